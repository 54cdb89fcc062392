"""The stored form of ParsedMessage: exact round trip, compactness, bad data."""

from __future__ import annotations

import json

import pytest

from courriel.mail import DecodeError, decode, encode, parse_message

from .support import ALL_FILES, corpus


@pytest.mark.parametrize("name", ALL_FILES)
def test_round_trip(name: str) -> None:
    parsed = parse_message(corpus(name))
    assert decode(encode(parsed)) == parsed


def test_a_simple_message_is_a_few_hundred_bytes() -> None:
    stored = encode(parse_message(corpus("simple_text.eml")))
    assert len(stored) < 600
    value = json.loads(stored)
    assert value[0] == 1  # format version
    assert value[3][3] == value[3][4] == 1  # sender and reply-to stored as "same as from"


def test_lone_surrogates_round_trip() -> None:
    raw = b"Subject: =?utf-7?Q?+2D3-?=\r\n\r\n"
    parsed = parse_message(raw)
    assert decode(encode(parsed)) == parsed


@pytest.mark.parametrize("data", [b"", b"{}", b"[2]", b"[1, 0]", b"\xff", b'[1,0,[],[],[],""]'])
def test_bad_data_raises_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(data)
