"""The byte-level MIME scanner: raw message bytes in, a tree of :class:`Part` out.

Owns: finding each entity's header and body (RFC 5322 §2.1, RFC 2045 §3), reading the MIME
header fields that BODYSTRUCTURE reports (RFC 2045 §5-§8, RFC 2183, RFC 3282, RFC 2557,
RFC 1864), the RFC 2045 §5.2 and RFC 2046 §5.1.5 content-type defaults, splitting
multipart bodies at their boundaries (RFC 2046 §5.1.1), and descending into
message/rfc822 and message/global (RFC 6532 §3.7) bodies.

It is a scanner, not a decoder: one compiled regex finds the header end, another the few
fields it needs, ``bytes.find`` the boundaries; nothing is copied or decoded except those
field values. Malformed input never raises: a multipart without a usable boundary or
without any delimiter gets one synthetic text/plain child spanning its body; a missing
close delimiter ends the last part at the end of its parent; past ``MAX_DEPTH`` nested
entities or ``MAX_PARTS`` entities in total, the remaining content becomes an opaque
application/octet-stream leaf. Every offset lies within ``[0, len(raw)]``.

Must not: decode bodies (``text`` does, for text parts only), or keep state between calls.
"""

from __future__ import annotations

import re

from courriel.mail.charset import header_bytes_to_str
from courriel.mail.envelope import build_envelope
from courriel.mail.headers import find_header_end, unfold
from courriel.mail.params import Params, parse_content_type, parse_disposition, strip_comments
from courriel.mail.part import Part

MAX_DEPTH = 64
MAX_PARTS = 10_000
# Wanted fields read from one header block; a 1 MB header repeating "To:" stops here.
MAX_FIELDS_SCANNED = 1_000
# Below this header size, findall (no match objects) is used; it cannot exceed the limit.
_SMALL_HEADER = 64 * 1024

_DEFAULT_PARAMS: Params = (("charset", "us-ascii"),)  # RFC 2045 §5.2

_NAMES = (
    rb"(content-(?:type|transfer-encoding|id|description|md5|disposition|language|location)"
    rb"|date|subject|from|sender|reply-to|to|cc|bcc|in-reply-to|message-id|references)"
    rb"[ \t]*+:([^\n]*+(?:\n[ \t][^\n]*+)*+)"
)
# The lookahead lets the engine reject most line starts on one character.
_FIELD_AFTER_NEWLINE = re.compile(rb"\n(?=[cdsfrtbimCDSFRTBIM])" + _NAMES, re.I)
_FIELD_AT_START = re.compile(_NAMES, re.I)
_FIRST_LETTERS = frozenset(b"cdsfrtbimCDSFRTBIM")
_LANGUAGE_SPLIT = re.compile(r"[\s,]+")
_BLANKS = re.compile(rb"[ \t\r\n]+")

Fields = dict[bytes, bytes]


class _Budget:
    """How many entities this parse has created; shared down the recursion."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts = 0


def scan_fields(raw: bytes, start: int, header_end: int) -> Fields:
    """The fields the parser uses from ``raw[start:header_end]``: lower-case name to raw
    value (first occurrence wins; RFC 5322 §3.6 allows one of each)."""
    fields: Fields = {}
    if header_end <= start:
        return fields
    if raw[start] in _FIRST_LETTERS:
        first = _FIELD_AT_START.match(raw, start, header_end)
        if first is not None:
            name, value = first.groups()
            fields[name.lower()] = value
    if header_end - start <= _SMALL_HEADER:
        found = _FIELD_AFTER_NEWLINE.findall(raw, start, header_end)
    else:  # a huge header: stop after MAX_FIELDS_SCANNED wanted fields
        found = []
        for match in _FIELD_AFTER_NEWLINE.finditer(raw, start, header_end):
            found.append(match.groups())
            if len(found) >= MAX_FIELDS_SCANNED:
                break
    for written_name, value in found:
        name = written_name.lower()
        if name not in fields:
            fields[name] = value
    return fields


def _text(value: bytes | None) -> str | None:
    if value is None:
        return None
    return header_bytes_to_str(unfold(value))


def _line_count(raw: bytes, start: int, end: int) -> int:
    if end <= start:
        return 0
    lines = raw.count(b"\n", start, end)
    return lines if raw[end - 1] == 0x0A else lines + 1


def split_multipart(
    raw: bytes, start: int, end: int, boundary: bytes, max_parts: int
) -> list[tuple[int, int]]:
    """Body ranges of the parts of the multipart body ``raw[start:end]`` (RFC 2046 §5.1.1).

    A delimiter line is ``--boundary`` at a line start, optionally ``--`` (close), then
    blanks and a line end. The line break before a delimiter belongs to it. Text before the
    first delimiter (preamble) and after the close delimiter (epilogue) is not a part.
    With no close delimiter the last part runs to ``end``; after ``max_parts`` parts the last
    one runs to ``end`` too.
    """
    delimiter = b"--" + boundary
    size = len(delimiter)
    ranges: list[tuple[int, int]] = []
    part_start = -1
    pos = start
    while True:
        found = raw.find(delimiter, pos, end)
        if found < 0:
            break
        pos = found + 1
        if found > start and raw[found - 1] != 0x0A:
            continue  # not at a line start
        after = found + size
        closing = raw.startswith(b"--", after) and after + 2 <= end
        cursor = after + 2 if closing else after
        while cursor < end and raw[cursor] in b" \t":
            cursor += 1
        if cursor < end:
            byte = raw[cursor]
            if byte == 0x0D and cursor + 1 < end and raw[cursor + 1] == 0x0A:
                cursor += 2
            elif byte in b"\r\n":
                cursor += 1
            else:
                continue  # "--boundaryX": a longer boundary, not ours
        if part_start >= 0:
            if not closing and len(ranges) + 1 >= max_parts:
                ranges.append((part_start, end))  # the rest, as one opaque part
                return ranges
            part_end = found
            if part_end > part_start and raw[part_end - 1] == 0x0A:
                part_end -= 1
                if part_end > part_start and raw[part_end - 1] == 0x0D:
                    part_end -= 1
            ranges.append((part_start, part_end))
        if closing:
            return ranges
        part_start = cursor
        pos = cursor
    if part_start >= 0:
        ranges.append((part_start, end))
    return ranges


def _leaf(
    start: int, body_start: int, end: int, type_: str, subtype: str, params: Params, lines: int
) -> Part:
    return Part(
        start,
        body_start,
        end,
        type_,
        subtype,
        params,
        None,
        None,
        "7bit",
        lines,
        None,
        None,
        (),
        (),
        None,
        (),
        None,
        None,
    )


def parse_entity(
    raw: bytes, start: int, end: int, depth: int, budget: _Budget, in_digest: bool
) -> tuple[Part, Fields]:
    """Parse the entity in ``raw[start:end]``; return it and its scanned header fields."""
    budget.parts += 1
    header_end, body_start = find_header_end(raw, start, end)
    fields = scan_fields(raw, start, header_end)

    content_type = fields.get(b"content-type")
    parsed = parse_content_type(header_bytes_to_str(unfold(content_type))) if content_type else None
    if parsed is not None:
        type_, subtype, params = parsed
    elif in_digest:  # RFC 2046 §5.1.5
        type_, subtype, params = "message", "rfc822", ()
    else:  # RFC 2045 §5.2
        type_, subtype, params = "text", "plain", _DEFAULT_PARAMS

    encoding_value = fields.get(b"content-transfer-encoding")
    encoding = "7bit"
    if encoding_value is not None:
        encoding = header_bytes_to_str(unfold(encoding_value)).lower()
        if "(" in encoding:
            encoding = strip_comments(encoding)
        encoding = encoding.strip() or "7bit"

    # Most part headers hold only Content-Type and Content-Transfer-Encoding.
    if len(fields) > (content_type is not None) + (encoding_value is not None):
        content_id, description, md5, disposition, disposition_params, language, location = (
            _optional_fields(fields)
        )
    else:
        content_id = description = md5 = disposition = location = None
        disposition_params = language = ()

    children: tuple[Part, ...] = ()
    message: Part | None = None
    envelope = None
    opaque = depth >= MAX_DEPTH or budget.parts >= MAX_PARTS
    if type_ == "multipart" or (type_ == "message" and subtype in ("rfc822", "global")):
        if opaque:
            type_, subtype = "application", "octet-stream"
        elif type_ == "multipart":
            children = _parse_children(raw, body_start, end, params, subtype, depth, budget)
        else:
            message, message_fields = parse_entity(raw, body_start, end, depth + 1, budget, False)
            envelope = build_envelope(message_fields)

    lines = _line_count(raw, body_start, end) if type_ in ("text", "message") else 0
    part = Part(
        start,
        body_start,
        end,
        type_,
        subtype,
        params,
        content_id,
        description,
        encoding,
        lines,
        md5,
        disposition,
        disposition_params,
        language,
        location,
        children,
        message,
        envelope,
    )
    return part, fields


def _optional_fields(
    fields: Fields,
) -> tuple[str | None, str | None, str | None, str | None, Params, tuple[str, ...], str | None]:
    """Content-ID, -Description, -MD5, -Disposition (+ params), -Language, -Location."""
    disposition: str | None = None
    disposition_params: Params = ()
    disposition_value = fields.get(b"content-disposition")
    if disposition_value is not None:  # RFC 2183 §2
        parsed = parse_disposition(header_bytes_to_str(unfold(disposition_value)))
        if parsed is not None:
            disposition, disposition_params = parsed
    language: tuple[str, ...] = ()
    language_value = fields.get(b"content-language")
    if language_value is not None:  # RFC 3282 §2: a list of language tags
        language_text = strip_comments(header_bytes_to_str(unfold(language_value)))
        language = tuple(tag for tag in _LANGUAGE_SPLIT.split(language_text) if tag)
    location_value = fields.get(b"content-location")
    location = None
    if location_value is not None:  # RFC 2557 §4.1: folding whitespace is not part of it
        location = header_bytes_to_str(_BLANKS.sub(b"", location_value))
    return (
        _text(fields.get(b"content-id")),
        _text(fields.get(b"content-description")),
        _text(fields.get(b"content-md5")),
        disposition,
        disposition_params,
        language,
        location,
    )


def _parse_children(
    raw: bytes,
    body_start: int,
    end: int,
    params: Params,
    subtype: str,
    depth: int,
    budget: _Budget,
) -> tuple[Part, ...]:
    boundary = ""
    for name, value in params:
        if name.lower() == "boundary":
            boundary = value
            break
    ranges: list[tuple[int, int]] = []
    if boundary:
        ranges = split_multipart(
            raw,
            body_start,
            end,
            boundary.encode("utf-8", "replace"),
            max(1, MAX_PARTS - budget.parts),
        )
    if not ranges:
        # No usable boundary: one text/plain part holding the whole body keeps the
        # content readable and the tree valid for IMAP (a multipart needs a part).
        budget.parts += 1
        return (
            _leaf(
                body_start,
                body_start,
                end,
                "text",
                "plain",
                _DEFAULT_PARAMS,
                _line_count(raw, body_start, end),
            ),
        )
    in_digest = subtype == "digest"
    return tuple(
        parse_entity(raw, part_start, part_end, depth + 1, budget, in_digest)[0]
        for part_start, part_end in ranges
    )


def parse_structure(raw: bytes) -> tuple[Part, Fields]:
    """The MIME tree of a whole message and its top-level header fields."""
    return parse_entity(raw, 0, len(raw), 0, _Budget(), False)
