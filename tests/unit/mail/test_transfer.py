"""Content-Transfer-Encoding decoding (RFC 2045 §6)."""

from __future__ import annotations

from courriel.mail import decode_base64, decode_quoted_printable, decode_transfer_encoding


def test_base64_with_line_breaks_and_junk() -> None:
    assert decode_base64(b"SGVs\r\nbG8g!!V29y\r\nbGQ=") == b"Hello World"


def test_base64_missing_padding() -> None:
    assert decode_base64(b"SGVsbG8") == b"Hello"
    assert decode_base64(b"SGVsbG8gV") == b"Hello "  # a dangling sextet is dropped


def test_quoted_printable_soft_breaks_and_bad_escapes() -> None:
    assert decode_quoted_printable(b"caf=C3=A9 =\r\nau lait =ZZ") == "café au lait =ZZ".encode()
    assert decode_quoted_printable(b"a_b", header=True) == b"a b"


def test_identity_and_unknown_encodings() -> None:
    assert decode_transfer_encoding(b"x=41", "7bit") == b"x=41"
    assert decode_transfer_encoding(b"x=41", "x-uuencode") == b"x=41"
    assert decode_transfer_encoding(b"x=41", "quoted-printable") == b"xA"
