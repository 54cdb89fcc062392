"""RFC 2047 encoded words: charsets, B and Q, adjacency (§6.2), tolerance."""

from __future__ import annotations

import pytest

from courriel.mail import decode_encoded_words, decode_header_block, decode_header_value

from .support import corpus


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=?utf-8?B?Sm9zw6k=?=", "José"),
        ("=?ISO-8859-1?Q?Andr=E9_Dupont?=", "André Dupont"),
        ("=?iso-2022-jp?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"),
        ("=?koi8-r?b?8NLJ18XU?=", "Привет"),
        ("=?windows-1252?Q?=93quoted=94?=", "“quoted”"),
        ("=?gb2312?B?1tDOxA==?=", "中文"),
        ("=?utf-8*fr?Q?=C3=A9t=C3=A9?=", "été"),  # RFC 2231 §5 language suffix
        ("plain text", "plain text"),
    ],
)
def test_charsets(text: str, expected: str) -> None:
    assert decode_encoded_words(text) == expected


def test_blanks_between_adjacent_words_are_dropped() -> None:
    assert decode_encoded_words("=?utf-8?q?a?= =?utf-8?q?b?=\t =?utf-8?q?c?=") == "abc"


def test_blanks_between_a_word_and_text_are_kept() -> None:
    assert decode_encoded_words("Re: =?utf-8?q?caf=C3=A9?= now") == "Re: café now"


def test_a_character_split_across_two_words_survives() -> None:
    # "é" is C3 A9 in UTF-8; each word carries half of it.
    assert decode_encoded_words("=?utf-8?B?w6=?= =?utf-8?Q?=A9?=") == "é"


def test_unknown_charset_falls_back_to_utf8() -> None:
    assert decode_encoded_words("=?x-unknown?Q?caf=C3=A9?=") == "café"


def test_bad_base64_is_repaired() -> None:
    assert decode_encoded_words("=?utf-8?B?SGVsbG8?=") == "Hello"


def test_non_ascii_inside_a_word_leaves_it_alone() -> None:
    assert decode_encoded_words("=?utf-8?Q?é?=") == "=?utf-8?Q?é?="
    assert decode_encoded_words("=?utf-8?q?a?= =?utf-8?Q?é?=") == "a =?utf-8?Q?é?="


def test_words_in_different_charsets_are_decoded_separately() -> None:
    assert decode_encoded_words("=?utf-8?q?=C3=A9?= =?iso-8859-1?q?=E9?=") == "éé"


def test_decode_header_value_unfolds_and_collapses() -> None:
    value = b" =?utf-8?q?Caf=C3=A9?=\r\n   au\t lait "
    assert decode_header_value(value) == "Café au lait"


def test_decode_header_value_reads_latin1_junk() -> None:
    assert decode_header_value(b"Caf\xe9") == "Café"


def test_decode_header_block() -> None:
    raw = (
        b"Subject: =?utf-8?q?caf=C3=A9?=\r\n =?utf-8?q?_cr=C3=A8me?=\r\n"
        b"X-Two: =?utf-8?q?a?=\r\nX-Three: =?utf-8?q?b?=\r\n\r\nbody"
    )
    assert decode_header_block(raw, 0, raw.index(b"body")) == (
        "Subject: café crème\nX-Two: a\nX-Three: b"  # words of two fields are not joined
    )


def test_decode_header_block_with_mixed_8bit_lines() -> None:
    raw = corpus("junk_8bit_headers.eml")
    text = decode_header_block(raw, 0, raw.index(b"\r\n\r\n"))
    assert text.splitlines()[:2] == [
        "From: Jérôme <jerome@example.com>",
        "To: Élise <elise@example.org>",
    ]
