"""Content-Type and Content-Disposition values (RFC 2045 §5.1, RFC 2183, RFC 2231)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from courriel.mail import decode_params, get_param, parse_content_type, parse_disposition
from courriel.mail.params import parse_content_type_general, strip_comments


def test_content_type_with_quoted_and_plain_params() -> None:
    assert parse_content_type('Text/HTML; charset="UTF-8"; format=flowed') == (
        "text",
        "html",
        (("charset", "UTF-8"), ("format", "flowed")),
    )


def test_content_type_with_comments_and_odd_spacing() -> None:
    value = 'multipart/mixed (outer) ;  boundary = "a;b\\"c" (the boundary)'
    assert parse_content_type(value) == ("multipart", "mixed", (("boundary", 'a;b"c'),))


def test_invalid_content_types() -> None:
    assert parse_content_type("text") is None
    assert parse_content_type("") is None
    assert parse_content_type("/plain") is None


def test_unquoted_value_with_spaces_and_equals() -> None:
    assert parse_content_type("a/b; name=my file.pdf; boundary=----=_Part_1") == (
        "a",
        "b",
        (("name", "my file.pdf"), ("boundary", "----=_Part_1")),
    )


def test_disposition() -> None:
    assert parse_disposition('Attachment; filename="x.pdf"') == (
        "Attachment",
        (("filename", "x.pdf"),),
    )
    assert parse_disposition(";;") is None


def test_rfc2231_continuations_and_charset() -> None:
    params = (
        ("filename*0*", "utf-8''%E2%82%AC%20rapport%20"),
        ("filename*1", "annuel "),
        ("filename*2*", "%C3%A9t%C3%A9.pdf"),
    )
    assert decode_params(params) == (("filename", "€ rapport annuel été.pdf"),)


def test_rfc2231_single_extended_value_with_language() -> None:
    params = (("Title*", "us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"),)
    assert decode_params(params) == (("title", "This is ***fun***"),)


def test_rfc2231_gap_stops_the_value() -> None:
    assert decode_params((("n*0", "a"), ("n*2", "c"))) == (("n", "a"),)


def test_rfc2231_bad_charset_and_stray_percent() -> None:
    assert decode_params((("n*", "bogus''100%25%"),)) == (("n", "100%%"),)


def test_encoded_words_inside_parameters_are_decoded() -> None:
    assert decode_params((("name", "=?utf-8?B?w6l0w6kucGRm?="),)) == (("name", "été.pdf"),)


def test_duplicate_names_keep_the_first() -> None:
    assert decode_params((("A", "1"), ("a", "2"))) == (("a", "1"),)
    assert get_param((("A", "1"), ("a", "2")), "a") == "1"
    assert get_param((), "a") is None


def test_strip_comments_keeps_quoted_parentheses() -> None:
    assert strip_comments('a (b (nested) c) "(kept)" d') == 'a  "(kept)" d'


_pieces = st.sampled_from(
    [
        "text",
        "/",
        "plain",
        ";",
        " ",
        "\t",
        "charset",
        "=",
        '"',
        "utf-8",
        "a b",
        "\\",
        "(",
        ")",
        "----=_Part_1",
        "x/y",
        "é",
        ":",
        "@",
    ]
)


@given(st.lists(_pieces, max_size=12).map("".join))
def test_fast_path_agrees_with_the_general_parser(value: str) -> None:
    assert parse_content_type(value) == parse_content_type_general(value)
