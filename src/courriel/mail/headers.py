"""Header blocks: where a header ends, its fields with byte offsets, unfolding.

Owns the byte-level scan of an RFC 5322 §2.2 header section (and of a MIME part's header,
RFC 2045 §3): finding the end of the header and the start of the body, splitting the block
into fields (name, raw value, offsets) and unfolding values (RFC 5322 §2.2.3). Works on the
raw message bytes with ``start``/``end`` bounds so that nothing is copied and every offset
is an offset into the raw message.

Tolerance rules (the same as Python's ``email`` package, compat32): the header ends at the
first line that is neither a field (``name:``) nor a continuation (starts with a blank); if
that line is empty it is the separator and the body starts after it, otherwise there is no
separator and the body starts at that line. Field names may carry 8-bit bytes; values may
carry anything but a line feed. LF-only and mixed line endings are accepted.

Must not: decode charsets or encoded words (see ``charset`` and ``encoded_words``), or
allocate per byte: the scans are single compiled regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import NamedTuple

# Limit for split_header_fields: a header of 1 MB of one-byte fields must not yield a list
# of 500,000 objects.
MAX_HEADER_FIELDS = 10_000

# RFC 5322 §2.2 field = name ":" value CRLF, with obs-FWS (§4.5.3) before the colon, or a
# continuation line (§2.2.3). Possessive quantifiers: the scan never backtracks.
_HEADER_LINES = re.compile(rb"(?:(?:[^\x00-\x20\x7f:]++[ \t]*+:|[ \t])[^\n]*+\n)*+")
# The same for a last line that has no line ending.
_LAST_LINE = re.compile(rb"(?:[^\x00-\x20\x7f:]++[ \t]*+:|[ \t])[^\n]*+")
# One field: name, colon, value with its continuation lines (line ending not included).
_FIELD_BODY = rb"([^\x00-\x20\x7f:]++)[ \t]*+:([^\n]*+(?:\n[ \t][^\n]*+)*+)"
_FIELD_AT_START = re.compile(_FIELD_BODY)
# Every later field starts after a line feed; the literal "\n" lets the engine skip ahead.
_FIELD_AFTER_NEWLINE = re.compile(rb"\n" + _FIELD_BODY)
_FOLD = re.compile(rb"\r?\n")


class HeaderField(NamedTuple):
    """One header field: ``raw[start:end]`` is the whole field including its line ending.

    ``value`` is the raw value after the colon, still folded, trailing CR kept out.
    """

    name: str
    value: bytes
    start: int
    end: int

    @property
    def lname(self) -> str:
        """The field name in lower case, for comparisons (field names are case-insensitive)."""
        return self.name.lower()

    @property
    def unfolded(self) -> bytes:
        """The value unfolded (RFC 5322 §2.2.3) and stripped of surrounding blanks."""
        return unfold(self.value)


def find_header_end(raw: bytes, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """Return ``(header_end, body_start)`` for the header that begins at ``start``.

    ``raw[start:header_end]`` holds the header lines with their line endings;
    ``raw[header_end:body_start]`` is the empty separator line (empty when there is none);
    both values lie in ``[start, end]``.
    """
    stop = len(raw) if end is None else end
    match = _HEADER_LINES.match(raw, start, stop)
    header_end = match.end() if match is not None else start
    if header_end >= stop or _LAST_LINE.fullmatch(raw, header_end, stop):
        return stop, stop
    if raw[header_end] == 0x0A:  # LF-only separator
        return header_end, header_end + 1
    if raw[header_end] == 0x0D:
        if header_end + 1 < stop and raw[header_end + 1] == 0x0A:
            return header_end, header_end + 2
        if header_end + 1 == stop:
            return header_end, stop
    return header_end, header_end


def without_named_fields(raw: bytes, names: Collection[str]) -> bytes:
    """``raw`` without the fields of its top-level header called any of ``names`` (lower
    case), byte-exact otherwise: how the fields only this server may write are removed
    from what a sender wrote (``X-Spam-*``, ``X-Virus-Scan``)."""
    header_end, _ = find_header_end(raw)
    fields = split_header_fields(raw, 0, header_end)
    return without_fields(raw, [field for field in fields if field.lname in names])


def without_fields(raw: bytes, fields: Sequence[HeaderField]) -> bytes:
    """``raw`` without ``fields`` (in order, from :func:`split_header_fields` on ``raw``),
    byte-exact otherwise: how forged trace fields are removed (RFC 8601 §5)."""
    if not fields:
        return raw
    pieces = []
    position = 0
    for field in fields:
        pieces.append(raw[position : field.start])
        position = field.end
    pieces.append(raw[position:])
    return b"".join(pieces)


def split_header_fields(
    raw: bytes, start: int = 0, end: int | None = None, *, max_fields: int = MAX_HEADER_FIELDS
) -> list[HeaderField]:
    """Split the header lines in ``raw[start:end]`` into fields, in order.

    ``end`` should be the ``header_end`` from :func:`find_header_end`. A continuation line
    before the first field is skipped. At most ``max_fields`` fields are returned.
    """
    stop = len(raw) if end is None else end
    fields: list[HeaderField] = []
    if start >= stop or max_fields <= 0:
        return fields
    first = _FIELD_AT_START.match(raw, start, stop)
    matches = _FIELD_AFTER_NEWLINE.finditer(raw, start, stop)
    match = first if first is not None else next(matches, None)
    while match is not None:
        name, value = match.groups()
        field_start = match.start() if match is first else match.start() + 1
        field_end = match.end()
        if field_end < stop and raw[field_end] == 0x0A:
            field_end += 1
        if value.endswith(b"\r"):
            value = value[:-1]
        fields.append(HeaderField(name.decode("utf-8", "replace"), value, field_start, field_end))
        if len(fields) >= max_fields:
            break
        match = next(matches, None)
    return fields


def unfold(value: bytes) -> bytes:
    """Remove the line breaks of a folded value (RFC 5322 §2.2.3) and surrounding blanks.

    Every line break inside a field value is followed by a blank by construction, so
    removing CR LF (or bare LF) pairs is exactly unfolding.
    """
    if b"\n" in value:
        value = _FOLD.sub(b"", value)
    return value.strip(b" \t\r\n")
