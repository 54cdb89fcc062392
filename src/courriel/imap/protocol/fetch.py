"""FETCH rendering: stored message data to FETCH response values (RFC 9051 §7.5.2).

Owns: ENVELOPE (address structures, groups, NIL rules), BODYSTRUCTURE and BODY (basic,
text, message/rfc822 and message/global with embedded envelope, body and lines,
multipart, extension data: md5, disposition, language, location), section addressing
``BODY[1.2.HEADER.FIELDS (From)]<0.100>`` and the function that cuts exactly those bytes
out of the raw message, BINARY / BINARY.SIZE with the part's Content-Transfer-Encoding
undone (RFC 3516 §4.2), the date-time format, and :func:`render_fetch` which answers a
list of parsed attributes for one message.

Everything comes from the stored :class:`~courriel.mail.ParsedMessage` (offsets, parts,
envelope, preview) and, for body sections only, the raw bytes the caller read
(``fetchitems.needs_content`` tells when): the message is never parsed again.

Must not: read storage, parse messages, or decide \\Seen changes (``fetchitems.sets_seen``
tells the session).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from courriel.imap.protocol.errors import UnknownTransferEncoding
from courriel.imap.protocol.fetchitems import (
    BinarySection,
    BinarySize,
    BodySection,
    FetchAttribute,
    FetchItem,
    Partial,
    Preview,
    Section,
    response_name,
)
from courriel.imap.protocol.wire import Adjacent, Atom, Literal, Value
from courriel.mail import (
    Address,
    Envelope,
    ParsedMessage,
    Part,
    decode_transfer_encoding,
    find_header_end,
    find_section,
    section_range,
    split_header_fields,
)
from courriel.mail.params import Params

#: Content-Transfer-Encodings BINARY can undo (RFC 2045 §6.1); others: UNKNOWN-CTE.
KNOWN_ENCODINGS = frozenset({"7bit", "8bit", "binary", "base64", "quoted-printable"})

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# -- ENVELOPE (RFC 9051 §7.5.2) ---------------------------------------------------------------


def address_value(address: Address) -> Value:
    """``(name adl mailbox host)``; a group start is ``(NIL NIL "name" NIL)``, a group end
    ``(NIL NIL NIL NIL)`` (RFC 9051 §7.5.2, RFC 5322 §3.4 group syntax)."""
    return (address.name or None, address.route or None, address.local, address.domain)


def address_list_value(addresses: tuple[Address, ...]) -> Value:
    """``"(" 1*address ")"`` — addresses side by side, no space between them — or NIL
    when there is none (RFC 9051 §9 ``env-from`` etc.)."""
    if not addresses:
        return None
    return (Adjacent(tuple(address_value(address) for address in addresses)),)


def envelope_value(envelope: Envelope) -> Value:
    """``(date subject from sender reply-to to cc bcc in-reply-to message-id)``
    (RFC 9051 §7.5.2); absent fields are NIL, Sender and Reply-To default to From (done
    at ingest by ``courriel.mail.build_envelope``)."""
    return (
        envelope.date,
        envelope.subject,
        address_list_value(envelope.from_),
        address_list_value(envelope.sender),
        address_list_value(envelope.reply_to),
        address_list_value(envelope.to),
        address_list_value(envelope.cc),
        address_list_value(envelope.bcc),
        envelope.in_reply_to,
        envelope.message_id,
    )


# -- BODYSTRUCTURE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) ------------------------------------------


def _params(params: Params) -> Value:
    """``body-fld-param``: ("NAME" "value" ...) or NIL (RFC 9051 §9)."""
    if not params:
        return None
    flat: list[Value] = []
    for name, value in params:
        flat.extend((name.upper(), value))
    return tuple(flat)


_DEFAULT_CHARSET: Params = (("charset", "us-ascii"),)


def _body_params(part: Part) -> Params:
    """A part's Content-Type parameters, with the charset a text part without one has by
    default (RFC 2046 §4.1.2: US-ASCII "must be assumed"; RFC 9051 §7.5.2: BODYSTRUCTURE
    is computed "defaulting various fields as necessary"). An RFC 2231 ``charset*`` is a
    charset too."""
    if part.type != "text":
        return part.params
    for name, _ in part.params:
        lname = name.lower()
        if lname == "charset" or lname.startswith("charset*"):
            return part.params
    return part.params + _DEFAULT_CHARSET


def _disposition(part: Part) -> Value:
    """``body-fld-dsp``: ("ATTACHMENT" (params)) or NIL (RFC 9051 §9, RFC 2183)."""
    if part.disposition is None:
        return None
    return (part.disposition.upper(), _params(part.disposition_params))


def _language(part: Part) -> Value:
    """``body-fld-lang``: NIL, one string, or a list of strings (RFC 9051 §9, RFC 3282)."""
    if not part.language:
        return None
    if len(part.language) == 1:
        return part.language[0]
    return tuple(part.language)


def body_structure_value(
    part: Part, *, extensible: bool = True, message_global: bool = True
) -> Value:
    """BODYSTRUCTURE (``extensible``) or BODY of ``part`` (RFC 9051 §7.5.2).

    ``message_global`` False is the IMAP4rev1 form: RFC 3501 §9 ``media-message`` is
    MESSAGE/RFC822 only, so a MESSAGE/GLOBAL part is a basic body there, without envelope,
    body and lines (RFC 9755 §6: the answer depends on the IMAP version in use).
    """
    if part.children:
        # body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
        bodies = Adjacent(
            tuple(
                body_structure_value(child, extensible=extensible, message_global=message_global)
                for child in part.children
            )
        )
        if not extensible:
            return (bodies, part.subtype.upper())
        return (
            bodies,
            part.subtype.upper(),
            _params(part.params),
            _disposition(part),
            _language(part),
            part.location,
        )
    # body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP octets
    fields: tuple[Value, ...] = (
        part.type.upper(),
        part.subtype.upper(),
        _params(_body_params(part)),
        part.id,
        part.description,
        part.encoding.upper(),
        part.size,
    )
    if part.message is not None and (message_global or part.subtype != "global"):
        # body-type-msg: ... SP envelope SP body SP body-fld-lines (message/rfc822, global)
        envelope = part.envelope
        fields += (
            envelope_value(envelope) if envelope is not None else _EMPTY_ENVELOPE,
            body_structure_value(
                part.message, extensible=extensible, message_global=message_global
            ),
            part.lines,
        )
    elif part.type == "text":
        fields += (part.lines,)  # body-type-text: ... SP body-fld-lines
    if extensible:
        # body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
        fields += (part.md5, _disposition(part), _language(part), part.location)
    return fields


_EMPTY_ENVELOPE: Value = (None, None, None, None, None, None, None, None, None, None)

# -- sections (RFC 9051 §6.4.5) ----------------------------------------------------------------


def _header_fields(raw: bytes, start: int, end: int, body_end: int, section: Section) -> bytes:
    """HEADER.FIELDS / HEADER.FIELDS.NOT: the matching fields in order, then the blank line
    that ends a header (RFC 9051 §6.4.5), "except in the case of a message that has no
    body and no blank line" (RFC 9051 §7.5.2): ``raw[start:end]`` is the header with its
    separator, ``raw[end:body_end]`` the body."""
    header_end, _ = find_header_end(raw, start, end)
    names = {name.lower() for name in section.fields}
    keep = section.text == "HEADER.FIELDS"
    chunks = [
        raw[field.start : field.end]
        for field in split_header_fields(raw, start, header_end)
        if (field.lname in names) == keep
    ]
    if header_end == end and body_end == end:
        return b"".join(chunks)
    return b"".join(chunks) + b"\r\n"


def section_bytes(raw: bytes, parsed: ParsedMessage, section: Section) -> bytes | None:
    """The octets of ``BODY[section]`` cut from ``raw``, or None when the section does not
    exist in this message (answered as NIL)."""
    text = "HEADER" if section.text.startswith("HEADER") else section.text
    found = section_range(parsed, section.part, text)
    if found is None:
        return None
    start, end = found
    if section.text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        body = section_range(parsed, section.part, "TEXT")
        body_end = end if body is None else body[1]
        return _header_fields(raw, start, end, body_end, section)
    return raw[start:end]


def partial_bytes(data: bytes, partial: Partial | None) -> bytes:
    """``<offset.length>``: an empty string when the offset is past the end
    (RFC 9051 §6.4.5)."""
    if partial is None:
        return data
    return data[partial.offset : partial.offset + partial.length]


def binary_bytes(raw: bytes, parsed: ParsedMessage, part_path: tuple[int, ...]) -> bytes | None:
    """``BINARY[part]``: the part's body with its Content-Transfer-Encoding undone
    (RFC 3516 §4.2), the whole message for ``()``, None when the part does not exist.
    Raises :class:`UnknownTransferEncoding` (RFC 3516 §4.3)."""
    if not part_path:
        return raw
    part = find_section(parsed, part_path)
    if part is None:
        return None
    if part.encoding not in KNOWN_ENCODINGS:
        raise UnknownTransferEncoding(part.encoding)
    return decode_transfer_encoding(raw[part.body_start : part.end], part.encoding)


def binary_size(raw: bytes, parsed: ParsedMessage, part_path: tuple[int, ...]) -> int | None:
    """``BINARY.SIZE[part]`` (RFC 3516 §4.2): the decoded size, None when no such part."""
    part = find_section(parsed, part_path) if part_path else None
    if part is not None and part.encoding in ("7bit", "8bit", "binary"):
        return part.size  # identity encodings: no need to decode
    data = binary_bytes(raw, parsed, part_path)
    return None if data is None else len(data)


# -- other values --------------------------------------------------------------------------------


def date_time_value(moment: datetime | float) -> str:
    """``date-time`` (RFC 9051 §9): ``17-Jul-1996 02:44:25 -0700``; epoch seconds are
    shown in UTC."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return (
        f"{moment.day:02d}-{_MONTHS[moment.month - 1]}-{moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {sign}{hours:02d}{minutes:02d}"
    )


def flags_value(flags: tuple[str, ...] | list[str]) -> Value:
    """``(\\Seen $Forwarded)`` (RFC 9051 §7.5.2 FLAGS)."""
    return tuple(Atom(flag) for flag in flags)


def content_value(data: bytes | None, *, binary: bool = False) -> Value:
    """A body section as ``nstring``: a literal (``literal8`` for BINARY content that
    holds NUL, RFC 3516 §4.2), ``""`` when empty, NIL when absent."""
    if data is None:
        return None
    if not data:
        return b""
    return Literal(data, binary=binary and b"\x00" in data)


# -- one message -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    """What the session knows of one message, besides its raw bytes."""

    uid: int
    flags: tuple[str, ...]
    internal_date: datetime | float
    parsed: ParsedMessage
    modseq: int = 0
    email_id: str | None = None
    thread_id: str | None = None
    save_date: datetime | float | None = None
    message_global: bool = True
    """False for an IMAP4rev1 session: MESSAGE/GLOBAL parts are basic bodies there (RFC 3501
    §9 ``media-message``, RFC 9755 §6)."""


def _simple_value(item: FetchItem, message: FetchedMessage, raw: bytes | None) -> Value:
    parsed = message.parsed
    match item:
        case FetchItem.FLAGS:
            return flags_value(message.flags)
        case FetchItem.INTERNALDATE:
            return date_time_value(message.internal_date)
        case FetchItem.RFC822_SIZE:
            return parsed.size
        case FetchItem.ENVELOPE:
            return envelope_value(parsed.envelope)
        case FetchItem.BODYSTRUCTURE:
            return body_structure_value(parsed.root, message_global=message.message_global)
        case FetchItem.BODY:
            return body_structure_value(
                parsed.root, extensible=False, message_global=message.message_global
            )
        case FetchItem.UID:
            return message.uid
        case FetchItem.MODSEQ:  # RFC 7162 §3.1.4.1: MODSEQ (n)
            return (message.modseq,)
        case FetchItem.EMAILID:  # RFC 8474 §5.1: EMAILID (id)
            return (Atom(message.email_id),) if message.email_id else None
        case FetchItem.THREADID:  # RFC 8474 §5.2: THREADID (id) or NIL
            return (Atom(message.thread_id),) if message.thread_id else None
        case FetchItem.SAVEDATE:  # RFC 8514 §4: SAVEDATE date-time or NIL
            return None if message.save_date is None else date_time_value(message.save_date)
    # RFC822, RFC822.HEADER, RFC822.TEXT (RFC 3501 §6.4.5)
    content = _need(raw)
    if item == FetchItem.RFC822:
        return content_value(content)
    if item == FetchItem.RFC822_HEADER:
        return content_value(content[: parsed.header_size])
    return content_value(content[parsed.header_size :])


def _need(raw: bytes | None) -> bytes:
    if raw is None:
        raise ValueError("this attribute needs the message content (see needs_content)")
    return raw


def render_attribute(
    attribute: FetchAttribute, message: FetchedMessage, raw: bytes | None = None
) -> tuple[str, Value]:
    """``(response name, value)`` for one attribute of one message (RFC 9051 §7.5.2).

    ``raw`` is the message content, needed when ``fetchitems.needs_content`` says so.
    Raises :class:`UnknownTransferEncoding` for BINARY of an unknown encoding.
    """
    name = response_name(attribute)
    if isinstance(attribute, FetchItem):
        return name, _simple_value(attribute, message, raw)
    if isinstance(attribute, BodySection):
        data = section_bytes(_need(raw), message.parsed, attribute.section)
        return name, content_value(None if data is None else partial_bytes(data, attribute.partial))
    if isinstance(attribute, BinarySection):
        data = binary_bytes(_need(raw), message.parsed, attribute.part)
        value = None if data is None else partial_bytes(data, attribute.partial)
        return name, content_value(value, binary=True)
    if isinstance(attribute, BinarySize):
        return name, binary_size(_need(raw), message.parsed, attribute.part)
    if isinstance(attribute, Preview):
        # RFC 8970 §3.1: the preview is always available here, LAZY or not.
        return name, message.parsed.preview
    raise TypeError(attribute)  # pragma: no cover - the union is exhaustive


def render_fetch(
    attributes: tuple[FetchAttribute, ...], message: FetchedMessage, raw: bytes | None = None
) -> tuple[tuple[str, Value], ...]:
    """Every attribute of one FETCH response, in the order asked."""
    return tuple(render_attribute(attribute, message, raw) for attribute in attributes)
