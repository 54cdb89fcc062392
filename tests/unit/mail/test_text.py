"""Search text and the RFC 8970 preview."""

from __future__ import annotations

from courriel.mail import PREVIEW_CHARS, extract_text, html_to_text, parse_message, preview_text
from courriel.mail.text import text_parts

from .support import corpus


def test_preview_drops_quotes_and_signature() -> None:
    parsed = parse_message(corpus("simple_text.eml"))
    assert parsed.preview == "Hi Bob, Are you free for lunch on Friday?"


def test_preview_prefers_the_plain_alternative_and_decodes_it() -> None:
    parsed = parse_message(corpus("alternative.eml"))
    assert parsed.preview == (
        "The numbers are in: revenue is up 12 %— see the table. Café meeting at 10."
    )


def test_preview_of_base64_and_latin1_parts() -> None:
    assert parse_message(corpus("encoded_words.eml")).preview == "Grüße aus Köln — ça va?"
    preview = parse_message(corpus("mixed_attachment.eml")).preview
    assert preview == "Bonjour Heidi, voilà le rapport."


def test_preview_is_empty_without_text() -> None:
    # RFC 8970: a zero-length string when no preview can be generated.
    assert parse_message(corpus("no_body.eml")).preview == ""
    raw = b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo="
    assert parse_message(raw).preview == ""


def test_preview_from_html_only() -> None:
    raw = (
        b"Content-Type: text/html\r\n\r\n<html><head><title>T</title><style>x{}</style></head>"
        b"<body><p>Hello&nbsp;<b>world</b></p><script>evil()</script></body></html>"
    )
    assert parse_message(raw).preview == "Hello world"


def test_preview_length_limit_cuts_at_a_word() -> None:
    text = "word " * 100
    preview = preview_text(text)
    assert len(preview) <= PREVIEW_CHARS
    assert preview.endswith("word")
    assert len(preview_text("x" * 1000)) == PREVIEW_CHARS


def test_preview_reads_past_a_long_quote() -> None:
    quoted = "".join(f"> quoted line {i} with some text\r\n" for i in range(200))
    raw = ("Content-Type: text/plain\r\n\r\n" + quoted + "The actual reply.\r\n").encode()
    assert parse_message(raw).preview == "The actual reply."


def test_html_to_text() -> None:
    markup = (
        "<!DOCTYPE html><html><head><style>p{}</style></head><body><!-- hidden -->"
        "<p>One&amp;Two</p><div>Three</div><script>var x = '<p>';</script>&#233;</body>"
    )
    assert html_to_text(markup).split() == ["One&Two", "Three", "é"]


def test_html_to_text_tolerates_unclosed_blocks() -> None:
    assert html_to_text("<p>kept<style>never closed").split() == ["kept"]
    assert html_to_text("a < b and c > d").split() == ["a", "<", "b", "and", "c", ">", "d"]


def test_extract_text_includes_forwarded_messages_and_skips_attachments() -> None:
    raw = corpus("rfc822_attached.eml")
    assert extract_text(raw, parse_message(raw).root) == "See the message below.\nInner plain text."
    raw = corpus("nested_3_levels.eml")
    assert extract_text(raw, parse_message(raw).root) == "Plain version."  # not the CSV


def test_extract_text_is_capped() -> None:
    raw = b"Content-Type: text/plain\r\n\r\n" + b"abc " * 100_000
    assert len(extract_text(raw, parse_message(raw).root, limit=1000)) == 1000


def test_alternative_without_plain_uses_the_richest_part() -> None:
    raw = corpus("nested_3_levels.eml").replace(b"text/plain; charset=utf-8", b"text/enriched")
    parts = text_parts(parse_message(raw).root)
    assert [part.content_type for part in parts] == ["text/html"]


def test_inline_text_with_a_filename_is_read_but_attachments_are_not() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b'--b\r\nContent-Disposition: inline; filename="a.txt"\r\n\r\nshown\r\n'
        b'--b\r\nContent-Disposition: attachment; filename="b.txt"\r\n\r\nhidden\r\n--b--\r\n'
    )
    assert extract_text(raw, parse_message(raw).root) == "shown"
