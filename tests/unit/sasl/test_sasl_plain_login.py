"""PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login-00)."""

from __future__ import annotations

import pytest

from courriel.sasl import (
    Challenge,
    Failure,
    FailureReason,
    LoginServer,
    MechanismStateError,
    NeedCredentialsCheck,
    PasswordCredentials,
    PlainServer,
    StoredScramKeys,
    Success,
    decode_initial_response,
    decode_response,
    encode_initial_response,
    encode_response,
    login_client_responses,
    plain_client_response,
)


class TestPlain:
    def test_initial_response_then_check(self) -> None:
        server = PlainServer()
        outcome = server.step(b"\x00alice\x00secret")
        assert outcome == NeedCredentialsCheck(PasswordCredentials(None, "alice", "secret"))
        assert server.credentials_checked(True) == Success("alice", None, None)

    def test_without_initial_response_sends_an_empty_challenge(self) -> None:
        # RFC 4422 §5
        server = PlainServer()
        assert server.step(None) == Challenge(b"")
        assert isinstance(server.step(b"\x00alice\x00secret"), NeedCredentialsCheck)

    def test_authzid_equal_to_authcid_is_kept(self) -> None:
        server = PlainServer()
        outcome = server.step(b"alice\x00alice\x00secret")
        assert outcome == NeedCredentialsCheck(PasswordCredentials("alice", "alice", "secret"))
        assert server.credentials_checked(True) == Success("alice", "alice", None)

    def test_other_authzid_is_refused_before_any_check(self) -> None:
        outcome = PlainServer().step(b"admin\x00alice\x00secret")
        assert isinstance(outcome, Failure)
        assert outcome.reason is FailureReason.AUTHZID_NOT_PERMITTED
        assert "proxy authentication is not supported" in outcome.detail

    def test_rejected_credentials_fail(self) -> None:
        server = PlainServer()
        server.step(b"\x00alice\x00wrong")
        assert server.credentials_checked(False) == Failure(
            FailureReason.INVALID_CREDENTIALS, "credentials rejected"
        )

    def test_non_ascii_fields(self) -> None:
        outcome = PlainServer().step("\x00jürgen\x00pässwörd".encode())
        assert outcome == NeedCredentialsCheck(PasswordCredentials(None, "jürgen", "pässwörd"))

    @pytest.mark.parametrize(
        ("message", "reason"),
        [
            (b"", FailureReason.MALFORMED_MESSAGE),  # "=" initial response
            (b"alice\x00secret", FailureReason.MALFORMED_MESSAGE),
            (b"\x00alice\x00secret\x00", FailureReason.MALFORMED_MESSAGE),
            (b"\x00\x00secret", FailureReason.MALFORMED_MESSAGE),
            (b"\x00alice\x00", FailureReason.MALFORMED_MESSAGE),
            (b"\x00al\xffice\x00secret", FailureReason.INVALID_ENCODING),
            (b"\x00alice\x00" + b"x" * 9000, FailureReason.MESSAGE_TOO_LONG),
        ],
    )
    def test_malformed_messages_fail(self, message: bytes, reason: FailureReason) -> None:
        outcome = PlainServer().step(message)
        assert isinstance(outcome, Failure)
        assert outcome.reason is reason

    def test_fields_up_to_255_octets_are_accepted(self) -> None:
        # RFC 4616 §2: servers MUST accept at least 255 octets per field.
        long = "a" * 255
        outcome = PlainServer().step(plain_client_response(long, long, long))
        assert outcome == NeedCredentialsCheck(PasswordCredentials(long, long, long))

    def test_password_is_not_in_the_repr(self) -> None:
        assert "secret" not in repr(PasswordCredentials(None, "alice", "secret"))

    def test_calls_out_of_order_are_caller_bugs(self) -> None:
        server = PlainServer()
        with pytest.raises(MechanismStateError, match="expects step"):
            server.credentials_checked(True)
        with pytest.raises(MechanismStateError, match="expects step"):
            server.provide_keys(StoredScramKeys(b"s", 4096, b"k" * 32, b"k" * 32))
        server.step(b"\x00alice\x00secret")
        with pytest.raises(MechanismStateError, match="expects credentials_checked"):
            server.step(b"again")
        server.credentials_checked(True)
        with pytest.raises(MechanismStateError):
            server.credentials_checked(True)

    def test_through_the_framing(self) -> None:
        # What an SMTP session does with "AUTH PLAIN AGFsaWNlAHNlY3JldA==".
        wire = encode_initial_response(plain_client_response("alice", "secret"))
        assert wire == b"AGFsaWNlAHNlY3JldA=="
        data = decode_initial_response(wire)
        assert isinstance(data, bytes)
        assert isinstance(PlainServer().step(data), NeedCredentialsCheck)


class TestPlainClient:
    def test_encodes_with_and_without_authzid(self) -> None:
        assert plain_client_response("alice", "secret") == b"\x00alice\x00secret"
        assert plain_client_response("alice", "secret", "bob") == b"bob\x00alice\x00secret"

    @pytest.mark.parametrize(
        ("authcid", "password", "authzid"),
        [("", "pw", ""), ("alice", "", ""), ("al\x00ice", "pw", ""), ("a", "p", "\x00")],
    )
    def test_refuses_what_rfc_4616_forbids(self, authcid: str, password: str, authzid: str) -> None:
        with pytest.raises(ValueError, match="PLAIN"):
            plain_client_response(authcid, password, authzid)


class TestLogin:
    def test_two_steps(self) -> None:
        server = LoginServer()
        assert server.step(None) == Challenge(b"Username:")
        assert server.step(b"alice") == Challenge(b"Password:")
        assert server.step(b"secret") == NeedCredentialsCheck(
            PasswordCredentials(None, "alice", "secret")
        )
        assert server.credentials_checked(True) == Success("alice", None, None)

    def test_initial_response_is_the_user_name(self) -> None:
        server = LoginServer()
        assert server.step(b"alice") == Challenge(b"Password:")
        assert isinstance(server.step(b"secret"), NeedCredentialsCheck)

    def test_rejected_credentials_fail(self) -> None:
        server = LoginServer()
        server.step(b"alice")
        server.step(b"wrong")
        outcome = server.credentials_checked(False)
        assert isinstance(outcome, Failure)
        assert outcome.reason is FailureReason.INVALID_CREDENTIALS

    @pytest.mark.parametrize(
        ("username", "password", "reason"),
        [
            (b"", b"secret", FailureReason.MALFORMED_MESSAGE),
            (b"alice", b"", FailureReason.MALFORMED_MESSAGE),
            (b"al\xffice", b"secret", FailureReason.INVALID_ENCODING),
            (b"alice", b"sec\xffret", FailureReason.INVALID_ENCODING),
            (b"al\x00ice", b"secret", FailureReason.MALFORMED_MESSAGE),
        ],
    )
    def test_bad_fields_fail(self, username: bytes, password: bytes, reason: FailureReason) -> None:
        server = LoginServer()
        server.step(None)
        outcome = server.step(username)
        if isinstance(outcome, Challenge):
            outcome = server.step(password)
        assert isinstance(outcome, Failure)
        assert outcome.reason is reason

    def test_through_the_framing(self) -> None:
        username, password = login_client_responses("alice", "secret")
        server = LoginServer()
        assert server.step(None) == Challenge(b"Username:")
        response = decode_response(encode_response(username) + b"\r\n")
        assert isinstance(response, bytes)
        assert server.step(response) == Challenge(b"Password:")
        response = decode_response(encode_response(password))
        assert isinstance(response, bytes)
        assert isinstance(server.step(response), NeedCredentialsCheck)


class TestLoginClient:
    def test_encodes_both_responses(self) -> None:
        assert login_client_responses("jürgen", "pw") == ("jürgen".encode(), b"pw")

    @pytest.mark.parametrize(("username", "password"), [("", "pw"), ("u", ""), ("u\x00", "pw")])
    def test_refuses_empty_or_nul(self, username: str, password: str) -> None:
        with pytest.raises(ValueError, match="LOGIN"):
            login_client_responses(username, password)
