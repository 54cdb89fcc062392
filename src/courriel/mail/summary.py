"""What SEARCH, SORT, THREAD and the webmail list need of a message, computed once at ingest.

Owns :class:`Summary`: the decoded subject and its RFC 5256 §2.1 base subject, decoded
address header text (IMAP SEARCH FROM/TO/CC/BCC match against it, RFC 9051 §6.4.4), the Date
header as a UTC timestamp (SORT DATE, RFC 5256 §3; SENT* searches compare the day the header
names instead, ``dates.parse_date_day``, which ingest stores beside it), message ids
for THREAD=REFERENCES (RFC 5256 §3: Message-ID, In-Reply-To, References), whether the
message has attachments, and the address sort keys: SORT FROM/TO/CC use the addr-mailbox of
the first address (RFC 5256 §3), DISPLAYFROM/DISPLAYTO its decoded display name or, without
one, its addr-spec (RFC 5957 §3).

Must not: fold case (SORT compares with i;ascii-casemap, the caller's job), or raise.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from courriel.mail.address import Address
from courriel.mail.dates import parse_date
from courriel.mail.encoded_words import decode_encoded_words
from courriel.mail.envelope import Envelope
from courriel.mail.part import Part, iter_parts
from courriel.mail.subject import base_subject

# A References header longer than this many ids keeps the last ones (the nearest parents).
MAX_REFERENCES = 256

_MSG_ID = re.compile(r"<([^<>]*)>")
_BLANKS = re.compile(r"[ \t\r\n]+")
# Signatures are parts, but nobody calls them attachments.
_NOT_ATTACHMENTS = frozenset(
    {
        "application/pgp-signature",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
        "application/pgp-keys",
    }
)


class Summary(NamedTuple):
    """Header-derived values for search, sort, threading and message lists."""

    subject: str
    base_subject: str
    is_reply: bool
    from_text: str
    to_text: str
    cc_text: str
    bcc_text: str
    date: int | None
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    has_attachment: bool
    sort_from: str
    sort_to: str
    sort_cc: str
    display_from: str
    display_to: str


def message_ids(text: str | None, *, limit: int = MAX_REFERENCES) -> tuple[str, ...]:
    """The msg-ids (RFC 5322 §3.6.4) in a header value, without angle brackets.

    Blanks inside an id are removed (obs-id-left folding); a value without any ``<...>`` is
    taken as bare ids separated by blanks. Only the last ``limit`` ids are kept.
    """
    if not text:
        return ()
    ids = _MSG_ID.findall(text)
    if not ids:
        return tuple(text.split()[-limit:]) if "<" not in text else ()
    if len(ids) > limit:
        ids = ids[-limit:]
    for found in ids:
        if not found or " " in found or not found.isprintable():
            cleaned = ["".join(found.split()) for found in ids]
            return tuple([found for found in cleaned if found])
    return tuple(ids)


def _decoded_names(addresses: tuple[Address, ...]) -> tuple[Address, ...]:
    """The addresses with RFC 2047 display names decoded (the same tuple when none is)."""
    if not any(address.name and "=?" in address.name for address in addresses):
        return addresses
    return tuple(
        address._replace(name=decode_encoded_words(address.name).strip() or None)
        if address.name and "=?" in address.name
        else address
        for address in addresses
    )


def address_text(addresses: tuple[Address, ...]) -> str:
    """Addresses as searchable text: ``Name <local@domain>, ...`` with names RFC 2047
    decoded and group names followed by ``:``. Not RFC 5322 syntax (nothing is quoted)."""
    return _text_of(_decoded_names(addresses))


def _text_of(addresses: tuple[Address, ...]) -> str:
    texts: list[str] = []
    for name, _, local, domain in addresses:
        if domain is None:
            if local:
                texts.append(f"{local}:")
            continue
        spec = f"{local}@{domain}" if domain else (local or "")
        texts.append(f"{name} <{spec}>" if name else spec)
    return ", ".join(texts)


def _first_mailbox(addresses: tuple[Address, ...]) -> Address | None:
    for address in addresses:
        if address.is_mailbox:
            return address
    return None


def _sort_key(addresses: tuple[Address, ...]) -> str:
    first = _first_mailbox(addresses)
    if first is None:
        return ""
    return first.local or ""


def _display_key(addresses: tuple[Address, ...]) -> str:
    """RFC 5957 §3: the display name of the first mailbox, else its addr-spec.

    ``addresses`` must already have decoded names (see ``_decoded_names``).
    """
    first = _first_mailbox(addresses)
    if first is None:
        return ""
    return first.name or first.addr_spec


def has_attachment(root: Part) -> bool:
    """True when some part is an attachment, or an encapsulated (forwarded) message."""
    for part in iter_parts(root):
        if part is root or part.children:
            continue
        if part.message is not None:
            return True
        if part.is_attachment and part.content_type not in _NOT_ATTACHMENTS:
            return True
    return False


def build_summary(envelope: Envelope, references: str | None, root: Part) -> Summary:
    """The summary of a message from its envelope, References value and MIME tree."""
    subject = ""
    if envelope.subject:
        subject = decode_encoded_words(envelope.subject)
        if "\x00" in subject:  # NUL breaks C string APIs downstream (SQLite FTS, IMAP)
            subject = subject.replace("\x00", "")
        if "\t" in subject or "  " in subject or "\n" in subject or "\r" in subject:
            subject = _BLANKS.sub(" ", subject)
        subject = subject.strip()
    base, is_reply = base_subject(subject)
    ids = message_ids(envelope.message_id)
    from_ = _decoded_names(envelope.from_)
    to = _decoded_names(envelope.to)
    return Summary(
        subject=subject,
        base_subject=base,
        is_reply=is_reply,
        from_text=_text_of(from_),
        to_text=_text_of(to),
        cc_text=address_text(envelope.cc),
        bcc_text=address_text(envelope.bcc),
        date=parse_date(envelope.date),
        message_id=ids[0] if ids else None,
        in_reply_to=message_ids(envelope.in_reply_to),
        references=message_ids(references),
        has_attachment=has_attachment(root),
        sort_from=_sort_key(envelope.from_),
        sort_to=_sort_key(envelope.to),
        sort_cc=_sort_key(envelope.cc),
        display_from=_display_key(from_),
        display_to=_display_key(to),
    )
