"""The ``fetch-att`` grammar (RFC 9051 §6.4.5, §9) as an explicit table.

Owns: reading the attributes of FETCH — simple items, ``BODY[section]<partial>``,
``BODY.PEEK``, ``BINARY[part]``/``BINARY.PEEK``/``BINARY.SIZE`` (RFC 3516 §4.2), PREVIEW
with LAZY (RFC 8970 §3.1), the IMAP4rev1 RFC822 items (RFC 3501 §6.4.5), the ALL/FAST/FULL
macros — and the section specifier ``1.2.HEADER.FIELDS.NOT (Received)``.

Must not: render anything (``fetch``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from courriel.imap.protocol.fetchitems import (
    FETCH_MACROS,
    BinarySection,
    BinarySize,
    BodySection,
    FetchAttribute,
    FetchItem,
    Partial,
    Preview,
    Section,
    SectionText,
)
from courriel.imap.protocol.lexer import MAX_NUMBER, Reader, SyntaxProblem

#: Section part numbers deeper than this are refused (no MIME tree is that deep).
MAX_SECTION_DEPTH = 100
#: HEADER.FIELDS names per section.
MAX_HEADER_FIELDS = 256

# RFC 9051 §9: section-part = nz-number *("." nz-number); section-msgtext / "MIME".
_TEXT_SPEC = re.compile(rb"HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME", re.I)
_SECTION_TEXTS: dict[str, SectionText] = {
    "HEADER.FIELDS.NOT": "HEADER.FIELDS.NOT",
    "HEADER.FIELDS": "HEADER.FIELDS",
    "HEADER": "HEADER",
    "TEXT": "TEXT",
    "MIME": "MIME",
}
_PART = re.compile(rb"(?:[1-9][0-9]{0,9})(?:\.[1-9][0-9]{0,9})*")
_FETCH_ATT = re.compile(rb"[A-Za-z0-9.]+")

AttributeParser = Callable[[Reader], FetchAttribute]


def _simple(item: FetchItem) -> AttributeParser:
    return lambda _reader: item


def _part_numbers(text: bytes) -> tuple[int, ...]:
    numbers = tuple(int(number) for number in text.split(b".")) if text else ()
    if len(numbers) > MAX_SECTION_DEPTH or any(number > MAX_NUMBER for number in numbers):
        raise SyntaxProblem("Invalid section part number")
    return numbers


def read_section(reader: Reader) -> Section:
    """``section = "[" [section-spec] "]"`` (RFC 9051 §9)."""
    reader.expect(b"[", '"["')
    part_match = _PART.match(reader.data, reader.pos)
    part_text = b""
    if part_match is not None:
        part_text = part_match.group()
        reader.pos = part_match.end()
    text_match = None
    if part_match is None or reader.take(b"."):
        text_match = _TEXT_SPEC.match(reader.data, reader.pos)
        if text_match is None and part_match is not None:
            raise SyntaxProblem("Invalid section")
    text_spec = None
    if text_match is not None:
        text_spec = text_match.group()
        reader.pos = text_match.end()
    part = _part_numbers(part_text)
    text: SectionText = ""
    fields: tuple[str, ...] = ()
    if text_spec is not None:
        upper = text_spec.upper().decode("ascii")
        if upper == "MIME" and not part:
            raise SyntaxProblem("MIME needs a part number")  # RFC 9051 §6.4.5
        text = _SECTION_TEXTS[upper]
        if text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
            reader.space()
            names = reader.paren_list(lambda: reader.text("a header field name"))
            if len(names) > MAX_HEADER_FIELDS:
                raise SyntaxProblem("Too many header field names")
            fields = tuple(names)
    reader.expect(b"]", '"]"')
    return Section(part, text, fields)


def read_binary_part(reader: Reader) -> tuple[int, ...]:
    """``section-binary = "[" [section-part] "]"`` (RFC 3516 §7)."""
    reader.expect(b"[", '"["')
    match = _PART.match(reader.data, reader.pos)
    part = b""
    if match is not None:
        part = match.group()
        reader.pos = match.end()
    reader.expect(b"]", '"]"')
    return _part_numbers(part)


def read_partial(reader: Reader) -> Partial | None:
    """``partial = "<" number64 "." nz-number64 ">"`` (RFC 9051 §9)."""
    if not reader.take(b"<"):
        return None
    offset = reader.number64("a partial offset")
    reader.expect(b".", '"."')
    length = reader.number64("a partial length")
    if length == 0:
        raise SyntaxProblem("Partial length must not be zero")
    reader.expect(b">", '">"')
    return Partial(offset, length)


def _body(reader: Reader) -> FetchAttribute:
    """BODY, or BODY[section]<partial> (RFC 9051 §6.4.5)."""
    if reader.peek() != b"[":
        return FetchItem.BODY
    section = read_section(reader)
    return BodySection(section, read_partial(reader))


def _body_peek(reader: Reader) -> FetchAttribute:
    section = read_section(reader)
    return BodySection(section, read_partial(reader), peek=True)


def _binary(peek: bool) -> AttributeParser:
    def parse(reader: Reader) -> FetchAttribute:
        part = read_binary_part(reader)
        return BinarySection(part, read_partial(reader), peek)

    return parse


def _binary_size(reader: Reader) -> FetchAttribute:
    return BinarySize(read_binary_part(reader))


def _preview(reader: Reader) -> FetchAttribute:
    """PREVIEW [SP "(" preview-mod *(SP preview-mod) ")"], preview-mod = "LAZY"
    (RFC 8970 §7)."""
    lazy = False
    if reader.peek(2) == b" (":
        reader.space()
        for modifier in reader.paren_list(lambda: reader.keyword("a preview modifier")):
            if modifier != "LAZY":
                raise SyntaxProblem(f"Unknown PREVIEW modifier {modifier}")
            lazy = True
    return Preview(lazy)


#: RFC 9051 §6.4.5 fetch attributes by name (the part before any "[").
FETCH_ATTRIBUTES: dict[str, AttributeParser] = {
    "FLAGS": _simple(FetchItem.FLAGS),
    "INTERNALDATE": _simple(FetchItem.INTERNALDATE),
    "RFC822.SIZE": _simple(FetchItem.RFC822_SIZE),
    "ENVELOPE": _simple(FetchItem.ENVELOPE),
    "BODYSTRUCTURE": _simple(FetchItem.BODYSTRUCTURE),
    "BODY": _body,
    "BODY.PEEK": _body_peek,
    "UID": _simple(FetchItem.UID),
    "BINARY": _binary(peek=False),  # RFC 3516 §4.2
    "BINARY.PEEK": _binary(peek=True),  # RFC 3516 §4.2
    "BINARY.SIZE": _binary_size,  # RFC 3516 §4.2
    "MODSEQ": _simple(FetchItem.MODSEQ),  # RFC 7162 §3.1.4.1
    "PREVIEW": _preview,  # RFC 8970 §3.1
    "EMAILID": _simple(FetchItem.EMAILID),  # RFC 8474 §5.1
    "THREADID": _simple(FetchItem.THREADID),  # RFC 8474 §5.2
    "SAVEDATE": _simple(FetchItem.SAVEDATE),  # RFC 8514 §4
    "RFC822": _simple(FetchItem.RFC822),  # RFC 3501 §6.4.5
    "RFC822.HEADER": _simple(FetchItem.RFC822_HEADER),  # RFC 3501 §6.4.5
    "RFC822.TEXT": _simple(FetchItem.RFC822_TEXT),  # RFC 3501 §6.4.5
}


def read_attribute(reader: Reader) -> FetchAttribute:
    match = _FETCH_ATT.match(reader.data, reader.pos)
    if match is None:
        if reader.at_end():
            raise SyntaxProblem("Missing fetch attribute")
        raise SyntaxProblem("Expected a fetch attribute")
    name = match.group().upper().decode("ascii")
    parse = FETCH_ATTRIBUTES.get(name)
    if parse is None:
        raise SyntaxProblem(f"Unknown fetch attribute {name}")
    reader.pos = match.end()
    return parse(reader)


def read_attributes(reader: Reader) -> tuple[FetchAttribute, ...]:
    """``"ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")"``."""
    if reader.peek() == b"(":
        return tuple(reader.paren_list(lambda: read_attribute(reader)))
    word = reader.peek_word()
    macro = FETCH_MACROS.get(word.decode("ascii"))
    if macro is not None and reader.data[reader.pos + len(word) : reader.pos + len(word) + 1] in (
        b"",
        b" ",
    ):
        reader.pos += len(word)
        return macro
    return (read_attribute(reader),)
