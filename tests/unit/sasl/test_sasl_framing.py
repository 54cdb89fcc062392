"""Base64 framing shared by SMTP (RFC 4954 §4), IMAP (RFC 9051 §6.2.2) and POP3 (RFC 5034 §4)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.sasl import (
    MAX_MESSAGE_SIZE,
    Cancelled,
    MalformedResponse,
    SaslClientError,
    decode_challenge,
    decode_initial_response,
    decode_response,
    encode_challenge,
    encode_initial_response,
    encode_response,
)


class TestDecodeResponse:
    @pytest.mark.parametrize("line", [b"*", b"*\r\n", b"*\n", "*"])
    def test_star_cancels(self, line: bytes | str) -> None:
        assert decode_response(line) == Cancelled()

    @pytest.mark.parametrize("line", [b"", b"\r\n", ""])
    def test_empty_line_is_an_empty_response(self, line: bytes | str) -> None:
        assert decode_response(line) == b""

    @pytest.mark.parametrize("line", [b"dXNlcg==", b"dXNlcg==\r\n", "dXNlcg=="])
    def test_base64_is_decoded(self, line: bytes | str) -> None:
        assert decode_response(line) == b"user"

    @pytest.mark.parametrize(
        "line", [b"not base64!", b"dXNlcg", b"dXN lcg==", b"=", b"**", "d\u00e9", b"\xff"]
    )
    def test_invalid_base64_is_malformed(self, line: bytes | str) -> None:
        assert isinstance(decode_response(line), MalformedResponse)

    def test_oversized_response_is_refused_before_decoding(self) -> None:
        line = base64.b64encode(b"x" * (MAX_MESSAGE_SIZE + 3))
        outcome = decode_response(line)
        assert isinstance(outcome, MalformedResponse)
        assert "longer than" in outcome.reason

    def test_largest_accepted_response(self) -> None:
        assert decode_response(base64.b64encode(b"x" * MAX_MESSAGE_SIZE)) == b"x" * MAX_MESSAGE_SIZE

    @settings(database=None)
    @given(st.binary(max_size=64))
    def test_round_trip(self, data: bytes) -> None:
        assert decode_response(encode_response(data)) == data

    @settings(database=None)
    @given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
    def test_never_raises(self, line: bytes | str) -> None:
        assert isinstance(decode_response(line), bytes | Cancelled | MalformedResponse)


class TestDecodeInitialResponse:
    def test_absent_stays_absent(self) -> None:
        assert decode_initial_response(None) is None

    @pytest.mark.parametrize("argument", [b"=", "=", b"=\r\n"])
    def test_equals_sign_is_the_empty_response(self, argument: bytes | str) -> None:
        # RFC 4954 §4, RFC 4959 §3, RFC 5034 §4
        assert decode_initial_response(argument) == b""

    def test_base64_is_decoded(self) -> None:
        assert decode_initial_response(b"AGFsaWNlAHNlY3JldA==") == b"\x00alice\x00secret"

    @pytest.mark.parametrize("argument", [b"", b"*", b"!!", b"==", "\u00e9"])
    def test_others_are_malformed(self, argument: bytes | str) -> None:
        assert isinstance(decode_initial_response(argument), MalformedResponse)

    @settings(database=None)
    @given(st.binary(max_size=64))
    def test_round_trip(self, data: bytes) -> None:
        assert decode_initial_response(encode_initial_response(data)) == data


class TestEncoding:
    def test_empty_challenge_is_empty(self) -> None:
        # "334 " / "+ " with nothing after: RFC 4954 §4, RFC 9051 §6.2.2.
        assert encode_challenge(b"") == b""

    def test_challenge(self) -> None:
        assert encode_challenge(b"Username:") == b"VXNlcm5hbWU6"

    def test_empty_initial_response_is_an_equals_sign(self) -> None:
        assert encode_initial_response(b"") == b"="

    def test_decode_challenge(self) -> None:
        assert decode_challenge(b"VXNlcm5hbWU6\r\n") == b"Username:"
        assert decode_challenge("") == b""

    @pytest.mark.parametrize("text", [b"!!", "\u00e9", b"abc"])
    def test_bad_challenge_raises_client_error(self, text: bytes | str) -> None:
        with pytest.raises(SaslClientError):
            decode_challenge(text)
