"""Charset labels and tolerant byte decoding."""

from __future__ import annotations

from courriel.mail import decode_bytes, header_bytes_to_str
from courriel.mail.charset import codec_name


def test_whatwg_style_aliases() -> None:
    assert codec_name("us-ascii") == "cp1252"
    assert codec_name('"ISO-8859-1"') == "cp1252"
    assert codec_name("GB2312") == "gb18030"
    assert codec_name("ks_c_5601-1987") == "cp949"
    assert codec_name("utf-8*en") == "utf-8"
    assert codec_name("x-nonsense") is None
    assert codec_name("base64") is None  # a Python codec, not a charset


def test_mislabelled_utf8_is_read_as_utf8() -> None:
    assert decode_bytes("été".encode(), "us-ascii") == "été"


def test_latin1_fallback_and_replacement() -> None:
    assert decode_bytes(b"caf\xe9", None) == "café"
    assert decode_bytes(b"\xff\xfe", "utf-8") == "\ufffd\ufffd"


def test_utf7_lone_surrogates_are_replaced() -> None:
    text = decode_bytes(b"+2D3-", "utf-7")
    text.encode("utf-8")  # must not raise


def test_header_bytes() -> None:
    assert header_bytes_to_str(b"plain") == "plain"
    assert header_bytes_to_str("é".encode()) == "é"
    assert header_bytes_to_str(b"\xe9") == "é"
