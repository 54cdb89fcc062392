"""What the webmail shows of a message, from its stored tree: the parts read, the
attachments and their section numbers, the sender's display name."""

from __future__ import annotations

from courriel.mail.message import parse_message
from courriel.web.messages import (
    numbered_leaves,
    parse_section,
    readable_parts,
    safe_content_type,
    sender_parts,
)

NESTED = (
    b"From: a@example.test\r\nSubject: nested\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=m\r\n\r\n"
    b"--m\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
    b"--a\r\nContent-Type: text/plain\r\n\r\nplain\r\n"
    b"--a\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
    b"--r\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n"
    b"--r\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\n\r\nPNG\r\n--r--\r\n"
    b"--a--\r\n"
    b"--m\r\nContent-Type: text/plain\r\n\r\nsecond inline text\r\n"
    b"--m\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n"
    b'--m\r\nContent-Type: application/x-evil"; name="x.bin"\r\n\r\nEVIL\r\n'
    b"--m--\r\n"
)


def test_alternatives_prefer_the_richest_and_inline_texts_follow() -> None:
    root = parse_message(NESTED).root
    shown = readable_parts(root)
    assert [part.content_type for part in shown] == ["text/html", "text/plain"]
    sections = dict(numbered_leaves(root))
    assert sections["1.2.1"].content_type == "text/html"
    assert sections["1.2.2"].content_type == "image/png"
    assert sections["3"].content_type == "message/rfc822"
    assert set(sections) == {"1.1", "1.2.1", "1.2.2", "2", "3", "4"}


def test_a_single_part_message_is_section_one() -> None:
    root = parse_message(b"Subject: x\r\n\r\nhello\r\n").root
    assert [section for section, _ in numbered_leaves(root)] == ["1"]
    assert readable_parts(root) == [root]


def test_content_types_sent_are_tokens_only() -> None:
    sections = dict(numbered_leaves(parse_message(NESTED).root))
    assert safe_content_type(sections["1.2.2"]) == "image/png"
    assert safe_content_type(sections["4"]) in ("application/x-evil", "application/octet-stream")
    assert '"' not in safe_content_type(sections["4"])


def test_sections_parse_strictly() -> None:
    assert parse_section("1.2.3") == (1, 2, 3)
    for bad in ("", "1.", ".1", "a", "1.-2", "1" * 7, ".".join(["1"] * 65)):
        assert parse_section(bad) is None, bad


def test_sender_names() -> None:
    assert sender_parts("Bob Example <bob@example.test>") == ("Bob Example", "bob@example.test")
    assert sender_parts("bob@example.test") == ("bob@example.test", "bob@example.test")
    assert sender_parts('"Doe, Jane" <j@x.test>, other@x.test') == ("Doe, Jane", "j@x.test")
    assert sender_parts("") == ("", "")
