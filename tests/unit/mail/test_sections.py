"""IMAP section addressing over the Part tree (RFC 9051 §6.4.5)."""

from __future__ import annotations

import pytest

from courriel.mail import (
    ParsedMessage,
    find_part,
    find_section,
    parse_message,
    part_range,
    section_range,
)

from .support import corpus


def _text(raw: bytes, parsed: ParsedMessage, path: tuple[int, ...], text: str = "") -> bytes:
    found = section_range(parsed, path, text)
    assert found is not None
    start, end = found
    return raw[start:end]


def test_whole_message_header_and_text() -> None:
    raw = corpus("simple_text.eml")
    parsed = parse_message(raw)
    assert _text(raw, parsed, ()) == raw
    assert _text(raw, parsed, (), "HEADER") == raw[: parsed.header_size]
    assert _text(raw, parsed, (), "HEADER").endswith(b"us-ascii\r\n\r\n")
    assert _text(raw, parsed, (), "TEXT").startswith(b"Hi Bob,")
    assert section_range(parsed, (), "MIME") is None


def test_part_one_of_a_single_part_message_is_its_body() -> None:
    raw = corpus("simple_text.eml")
    parsed = parse_message(raw)
    assert find_section(parsed, (1,)) is parsed.root
    assert _text(raw, parsed, (1,)) == _text(raw, parsed, (), "TEXT")
    assert find_section(parsed, (2,)) is None
    assert find_section(parsed, (1, 1)) is None
    assert section_range(parsed, (1,), "HEADER") is None  # not a message/rfc822 part


def test_multipart_sections() -> None:
    raw = corpus("nested_3_levels.eml")
    parsed = parse_message(raw)
    assert _text(raw, parsed, (1, 1)) == b"Plain version."
    assert _text(raw, parsed, (1, 1), "MIME") == b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    assert _text(raw, parsed, (1, 2, 1)).startswith(b"<p>HTML version")
    assert _text(raw, parsed, (2,)) == b"a,b\r\n1,2"
    assert find_section(parsed, (3,)) is None
    assert find_section(parsed, (0,)) is None
    assert find_section(parsed, (1, 2, 3)) is None
    assert find_section(parsed, (1, 1, 1)) is None  # a text part has no subparts


def test_message_rfc822_sections() -> None:
    raw = corpus("rfc822_attached.eml")
    parsed = parse_message(raw)
    attached = find_section(parsed, (2,))
    assert attached is not None
    assert attached.content_type == "message/rfc822"
    assert _text(raw, parsed, (2,)).startswith(b"From: Mallory")
    assert _text(raw, parsed, (2,), "MIME").startswith(b"Content-Type: message/rfc822\r\n")
    assert _text(raw, parsed, (2,), "HEADER").startswith(b"From: Mallory")
    assert _text(raw, parsed, (2,), "HEADER").endswith(b'boundary="fwd-inner"\r\n\r\n')
    assert _text(raw, parsed, (2,), "TEXT").startswith(b"--fwd-inner\r\n")
    # 2.1 and 2.2 are the parts of the encapsulated multipart.
    assert _text(raw, parsed, (2, 1)) == b"Inner plain text."
    assert _text(raw, parsed, (2, 2), "MIME") == b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    assert find_section(parsed, (2, 3)) is None


def test_digest_message_with_single_part_body() -> None:
    raw = corpus("digest.eml")
    parsed = parse_message(raw)
    # 1 is a message/rfc822 whose body is not multipart: 1.1 is that body.
    assert _text(raw, parsed, (1, 1)) == b"First body."
    assert find_section(parsed, (1, 2)) is None
    assert _text(raw, parsed, (1,), "HEADER").startswith(b"From: Nina")


@pytest.mark.parametrize("text", ["header", "Text", "MIME"])
def test_case_of_the_text_specifier_does_not_matter(text: str) -> None:
    parsed = parse_message(corpus("rfc822_attached.eml"))
    assert part_range(parsed.root, (2,), text) == section_range(parsed, (2,), text.upper())


def test_unknown_specifier() -> None:
    parsed = parse_message(corpus("rfc822_attached.eml"))
    assert part_range(parsed.root, (2,), "BOGUS") is None
    assert find_part(parsed.root, ()) is parsed.root
