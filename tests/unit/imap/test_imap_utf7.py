"""Modified UTF-7 mailbox names (RFC 3501 §5.1.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.imap.protocol.utf7 import decode_mailbox_name, encode_mailbox_name

CASES = [
    # RFC 3501 §5.1.3: "~peter/mail/台北/日本語"
    ("~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
    ("INBOX", "INBOX"),
    ("Tom & Jerry", "Tom &- Jerry"),
    ("Entw\u00fcrfe", "Entw&APw-rfe"),
    ("\u263a", "&Jjo-"),
    ("\U0001f600", "&2D3eAA-"),  # outside the BMP: a surrogate pair
    ("", ""),
]


@pytest.mark.parametrize(("name", "encoded"), CASES)
def test_encode_and_decode(name: str, encoded: str) -> None:
    assert encode_mailbox_name(name) == encoded
    assert decode_mailbox_name(encoded) == name


@pytest.mark.parametrize(
    "bad",
    [
        "&U,BTFw",  # no "-"
        "&U,BTFw-&ZeVnLIqe-",  # two adjacent encoded runs
        "&AGE-",  # "a" encoded
        "&Jjp-",  # non-zero padding bits
        "&J-",  # a single base64 character
        "caf\u00e9",  # 8-bit
        "a\tb",  # control character
        "&2D0-",  # a lone high surrogate
        "&A-",
    ],
)
def test_decode_rejects_non_canonical_forms(bad: str) -> None:
    with pytest.raises(ValueError, match=r"UTF|BASE64|mailbox name|runs|padding|ASCII"):
        decode_mailbox_name(bad)


@given(st.text())
def test_round_trip(name: str) -> None:
    if any(0xD800 <= ord(char) <= 0xDFFF for char in name):
        return
    encoded = encode_mailbox_name(name)
    assert encoded.isascii()
    assert decode_mailbox_name(encoded) == name
