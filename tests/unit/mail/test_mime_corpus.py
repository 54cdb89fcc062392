"""The MIME scanner on the hand-written corpus: structure, offsets, fields, limits."""

from __future__ import annotations

import pytest

from courriel.mail import MAX_DEPTH, MAX_PARTS, Part, extract_text, parse_message
from courriel.mail.mime import split_multipart

from .support import ALL_FILES, check_offsets, corpus, count_parts, tree


def _body(raw: bytes, part: Part) -> bytes:
    return raw[part.body_start : part.end]


def _header(raw: bytes, part: Part) -> bytes:
    return raw[part.start : part.body_start]


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_corpus_message_has_offsets_within_bounds(name: str) -> None:
    raw = corpus(name)
    check_offsets(parse_message(raw), raw)


def test_simple_text() -> None:
    raw = corpus("simple_text.eml")
    root = parse_message(raw).root
    assert (root.type, root.subtype, root.params) == ("text", "plain", (("charset", "us-ascii"),))
    assert root.children == ()
    assert _header(raw, root).startswith(b"Return-Path: <alice@example.com>\r\n")
    assert _header(raw, root).endswith(b"Content-Type: text/plain; charset=us-ascii\r\n\r\n")
    assert _body(raw, root).startswith(b"Hi Bob,\r\n")
    assert _body(raw, root).endswith(b"Alice\r\n")
    assert root.lines == 8
    assert root.encoding == "7bit"


def test_alternative_part_bodies_exclude_the_line_break_before_the_boundary() -> None:
    raw = corpus("alternative.eml")
    root = parse_message(raw).root
    assert tree(root) == ("multipart/alternative", ["text/plain", "text/html"])
    assert root.params == (("boundary", "alt-boundary"),)
    plain, markup = root.children
    assert _header(raw, plain) == (
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    )
    assert _body(raw, plain) == (
        b"The numbers are in: revenue is up 12 %=E2=80=94 see the table.\r\n"
        b"Caf=C3=A9 meeting at 10.\r\n"
    )
    assert plain.encoding == "quoted-printable"
    assert plain.lines == 2
    assert plain.size == len(_body(raw, plain))
    assert _body(raw, markup).endswith(b"</body></html>\r\n")
    assert raw[markup.end :].startswith(b"\r\n--alt-boundary--")


def test_mixed_attachment_fields() -> None:
    raw = corpus("mixed_attachment.eml")
    root = parse_message(raw).root
    text, pdf = root.children
    assert text.param("charset") == "iso-8859-1"
    assert text.encoding == "8bit"
    assert _body(raw, text) == "Bonjour Heidi, voilà le rapport.\r\n".encode("latin-1")
    assert (pdf.type, pdf.subtype) == ("application", "pdf")
    assert pdf.params == (("name", "report.pdf"),)
    assert pdf.disposition == "attachment"
    assert pdf.disposition_params == (("filename", "report.pdf"), ("size", "784"))
    assert pdf.encoding == "base64"
    assert pdf.description == "Quarterly report"
    assert pdf.id == "<report@example.com>"
    assert pdf.md5 == "Q2hlY2sgSW50ZWdyaXR5IQ=="
    assert pdf.language == ("en", "fr")
    assert pdf.location == "http://example.com/report.pdf"
    assert pdf.lines == 0  # only text/* and message/* count lines
    assert pdf.filename == "report.pdf"
    assert pdf.is_attachment
    assert _body(raw, pdf).startswith(b"JVBERi0xLjQK")
    assert _body(raw, pdf).endswith(b"CiUlRU9GCg==")  # the CRLF before "--" is not body


def test_nested_three_levels() -> None:
    raw = corpus("nested_3_levels.eml")
    root = parse_message(raw).root
    assert tree(root) == (
        "multipart/mixed",
        [
            (
                "multipart/alternative",
                [
                    "text/plain",
                    ("multipart/related", ["text/html", "image/png"]),
                ],
            ),
            "text/csv",
        ],
    )
    related = root.children[0].children[1]
    assert related.params == (("boundary", "inner"), ("type", "text/html"))
    image = related.children[1]
    assert image.id == "<logo@example.com>"
    assert image.disposition == "inline"
    assert not image.is_attachment
    csv = root.children[1]
    assert _body(raw, csv) == b"a,b\r\n1,2"
    assert csv.lines == 2
    assert count_parts(root) == 7


def test_message_rfc822_is_descended_into() -> None:
    raw = corpus("rfc822_attached.eml")
    root = parse_message(raw).root
    assert tree(root) == (
        "multipart/mixed",
        [
            "text/plain",
            ("message/rfc822", [("multipart/alternative", ["text/plain", "text/html"])]),
        ],
    )
    attached = root.children[1]
    inner = attached.message
    assert inner is not None
    assert attached.envelope is not None
    assert attached.envelope.subject == "Original message"
    assert attached.envelope.from_[0].local == "mallory"
    assert attached.envelope.message_id == "<orig-1@example.net>"
    assert inner.start == attached.body_start
    assert _header(raw, inner).startswith(b"From: Mallory <mallory@example.net>\r\n")
    assert _header(raw, inner).endswith(b'boundary="fwd-inner"\r\n\r\n')
    assert _body(raw, inner.children[1]) == b"<p>Inner <b>HTML</b> text.</p>"
    # RFC 9051 §7.5.2: the message/rfc822 part counts the lines of the whole message.
    assert attached.lines == _body(raw, attached).count(b"\n") == 17


def test_digest_parts_default_to_message_rfc822() -> None:
    raw = corpus("digest.eml")
    root = parse_message(raw).root
    first, second, explicit = root.children
    assert (first.type, first.subtype, first.params) == ("message", "rfc822", ())
    assert _header(raw, first) == b"\r\n"  # an empty MIME header
    assert first.message is not None
    assert first.envelope is not None
    assert first.envelope.subject == "First post"
    assert _body(raw, first.message) == b"First body."
    assert first.message.params == (("charset", "us-ascii"),)  # RFC 2045 §5.2 default again
    assert second.message is not None
    assert second.message.param("charset") == "utf-8"
    assert (explicit.type, explicit.subtype) == ("text", "plain")


def test_missing_final_boundary_ends_the_last_part_at_the_end() -> None:
    raw = corpus("missing_final_boundary.eml")
    root = parse_message(raw).root
    first, second = root.children
    assert _body(raw, first) == b"First part."
    assert second.end == len(raw)
    assert _body(raw, second).endswith(b"close delimiter.\r\n")


def test_bad_boundary_gives_one_synthetic_text_part() -> None:
    raw = corpus("bad_boundary.eml")
    root = parse_message(raw).root
    assert (root.type, root.subtype) == ("multipart", "mixed")
    (only,) = root.children
    assert (only.type, only.subtype) == ("text", "plain")
    assert only.start == only.body_start == root.body_start
    assert only.end == root.end
    assert _body(raw, only).startswith(b"--actual\r\n")


def test_eight_bit_junk_in_headers() -> None:
    raw = corpus("junk_8bit_headers.eml")
    parsed = parse_message(raw)
    assert parsed.envelope.subject == "Café crème \x00 and a NUL"  # windows-1252 fallback
    assert parsed.envelope.from_[0].name == "Jérôme"
    assert parsed.envelope.to[0].name == "Élise"  # valid UTF-8 (RFC 6532)
    assert parsed.summary.subject == "Café crème and a NUL"
    assert parsed.root.param("charset") == "utf-8"  # the junk field did not end the header
    assert _body(raw, parsed.root) == b"Body with raw UTF-8: \xc3\xa9t\xc3\xa9.\r\n"


def test_lf_only_line_endings() -> None:
    raw = corpus("lf_only.eml")
    root = parse_message(raw).root
    assert raw.count(b"\r") == 0
    assert _header(raw, root).endswith(b'boundary="lf"\n\n')
    plain, markup = root.children
    assert _header(raw, plain) == b"Content-Type: text/plain; charset=utf-8\n\n"
    assert _body(raw, plain) == b"Unix line endings only."
    assert _body(raw, markup) == b"<p>Unix line endings only.</p>"


def test_no_body() -> None:
    raw = corpus("no_body.eml")
    root = parse_message(raw).root
    assert root.body_start == root.end == len(raw)
    assert root.size == 0
    assert root.lines == 0
    assert _header(raw, root).endswith(b"\r\n\r\n")


def test_no_headers_starts_with_the_separator() -> None:
    raw = corpus("no_headers.eml")
    parsed = parse_message(raw)
    assert parsed.root.body_start == 2
    assert parsed.envelope.subject is None
    assert parsed.envelope.from_ == ()
    assert _body(raw, parsed.root).startswith(b"This message has an empty header")


def test_no_separator_ends_the_header_at_the_first_non_field_line() -> None:
    raw = corpus("no_separator.eml")
    parsed = parse_message(raw)
    header = b"From: Fiona <fiona@example.com>\r\nSubject: No blank line\r\n"
    assert _header(raw, parsed.root) == header
    assert _body(raw, parsed.root).startswith(b"This line has no colon")
    assert parsed.envelope.subject == "No blank line"


def test_bytes_without_any_header_are_all_body() -> None:
    raw = b"just some text\nwithout headers\n"
    root = parse_message(raw).root
    assert (root.start, root.body_start, root.end) == (0, 0, len(raw))


def test_empty_message() -> None:
    parsed = parse_message(b"")
    assert (parsed.root.start, parsed.root.body_start, parsed.root.end) == (0, 0, 0)
    assert parsed.preview == ""


def test_a_one_megabyte_header_block() -> None:
    fields = b"".join(b"X-Filler-%06d: %s\r\n" % (i, b"v" * 40) for i in range(17_000))
    raw = b"Subject: big\r\n" + fields + b"To: late@example.org\r\n\r\nbody\r\n"
    assert len(raw) > 1_000_000
    parsed = parse_message(raw)
    check_offsets(parsed, raw)
    assert raw[parsed.root.body_start :] == b"body\r\n"
    assert parsed.envelope.subject == "big"
    assert parsed.envelope.to[0].local == "late"


def test_a_header_of_a_million_repeated_wanted_fields_is_cut() -> None:
    raw = b"To: a@example.org\r\n" * 60_000 + b"\r\nbody"
    parsed = parse_message(raw)
    assert parsed.envelope.to[0].domain == "example.org"
    assert raw[parsed.root.body_start :] == b"body"


def _nest(depth: int) -> bytes:
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
        for level in range(depth)
    )
    tail = b"".join(b"\r\n--b%d--" % level for level in reversed(range(depth)))
    return b"Subject: bomb\r\n" + head + b"Content-Type: text/plain\r\n\r\ncore" + tail + b"\r\n"


def _depth(part: Part) -> int:
    deepest = 0
    for child in part.children:
        deepest = max(deepest, _depth(child))
    if part.message is not None:
        deepest = max(deepest, _depth(part.message))
    return deepest + 1


def test_a_200_level_nesting_bomb_stops_at_max_depth() -> None:
    raw = _nest(200)
    parsed = parse_message(raw)
    check_offsets(parsed, raw)
    assert _depth(parsed.root) == MAX_DEPTH + 1
    deepest = parsed.root
    while deepest.children:
        deepest = deepest.children[0]
    # The rest of the bomb is one opaque leaf whose body still holds the remaining bytes.
    assert (deepest.type, deepest.subtype) == ("application", "octet-stream")
    assert b"core" in raw[deepest.body_start : deepest.end]


def test_nesting_a_thousand_deep_does_not_recurse_a_thousand_deep() -> None:
    raw = _nest(1000)
    parsed = parse_message(raw)
    check_offsets(parsed, raw)
    assert _depth(parsed.root) == MAX_DEPTH + 1


def test_nested_message_rfc822_bomb() -> None:
    raw = b"Content-Type: message/rfc822\r\n\r\n" * 300 + b"Subject: core\r\n\r\nbody"
    parsed = parse_message(raw)
    check_offsets(parsed, raw)
    assert _depth(parsed.root) == MAX_DEPTH + 1


def test_a_hundred_thousand_parts_stop_at_max_parts() -> None:
    body = b"".join(b"--p\r\n\r\n%d\r\n" % i for i in range(100_000))
    raw = b'Content-Type: multipart/mixed; boundary="p"\r\n\r\n' + body + b"--p--\r\n"
    parsed = parse_message(raw)
    check_offsets(parsed, raw)
    assert count_parts(parsed.root) == MAX_PARTS
    last = parsed.root.children[-1]
    assert last.end == parsed.root.end  # the rest is one part
    assert parsed.root.children[0].end - parsed.root.children[0].body_start == 1


def test_boundary_that_prefixes_another_boundary_is_not_confused() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b'--b\r\nContent-Type: multipart/alternative; boundary="b-inner"\r\n\r\n'
        b"--b-inner\r\n\r\none\r\n--b-inner\r\n\r\ntwo\r\n--b-inner--\r\n"
        b"--b\r\n\r\nthree\r\n--b--\r\n"
    )
    root = parse_message(raw).root
    assert tree(root) == (
        "multipart/mixed",
        [("multipart/alternative", ["text/plain", "text/plain"]), "text/plain"],
    )
    assert [raw[p.body_start : p.end] for p in root.children[0].children] == [b"one", b"two"]


def test_delimiters_allow_transport_padding_and_need_a_line_start() -> None:
    body = b"preamble --b not at line start\r\n--b  \t\r\n\r\nA\r\n--b--  \r\nepilogue"
    ((start, end),) = split_multipart(body, 0, len(body), b"b", 100)
    assert body[start:end] == b"\r\nA"  # an empty MIME header, then the body "A"


def test_multipart_without_boundary_parameter() -> None:
    raw = b"Content-Type: multipart/mixed\r\n\r\nno boundary here"
    root = parse_message(raw).root
    assert [child.content_type for child in root.children] == ["text/plain"]


def test_invalid_content_type_gets_the_rfc2045_default() -> None:
    raw = b"Content-Type: garbage\r\nContent-Transfer-Encoding: BASE64 (comment)\r\n\r\nx"
    root = parse_message(raw).root
    assert (root.type, root.subtype, root.params) == ("text", "plain", (("charset", "us-ascii"),))
    assert root.encoding == "base64"


def test_message_global_is_descended_into() -> None:
    raw = b"Content-Type: message/global\r\n\r\nSubject: =?utf-8?q?h=C3=A9?=\r\n\r\nhi"
    root = parse_message(raw).root
    assert root.message is not None
    assert root.envelope is not None
    assert root.envelope.subject == "=?utf-8?q?h=C3=A9?="


def test_pathological_header_values_stay_cheap() -> None:
    huge = b"(" * 300_000 + b"x" * 300_000
    raw = (
        b"Content-Type: text/plain; " + b"p=1; " * 100_000 + b"\r\n"
        b"Content-Disposition: attachment; " + huge + b"\r\n"
        b"To: " + b"a@b, " * 200_000 + b"\r\n"
        b"Cc: " + huge + b"\r\n"
        b"Date: " + huge + b"\r\n"
        b"Subject: " + b"[x] " * 200_000 + b"=?" * 100_000 + b"\r\n"
        b"References: " + b"<a@b> " * 200_000 + b"\r\n\r\n"
        b"body"
    )
    parsed = parse_message(raw)  # must return in well under a second
    check_offsets(parsed, raw)
    assert len(parsed.envelope.to) == 1_000
    assert parsed.summary.date is None
    assert len(parsed.summary.references) == 256
    assert len(parsed.root.params) < 20_000


def test_html_without_closing_brackets_stays_cheap() -> None:
    raw = b"Content-Type: text/html\r\n\r\n" + b"<a" * 500_000
    parsed = parse_message(raw)
    assert parsed.preview.startswith("<a<a")
    assert extract_text(raw, parsed.root).startswith("<a<a")
