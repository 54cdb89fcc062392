"""SCRAM-SHA-256 server and client (RFC 5802, RFC 7677)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from courriel.sasl import (
    DEFAULT_ITERATIONS,
    MIN_ITERATIONS,
    SALT_LENGTH,
    Challenge,
    Failure,
    FailureReason,
    MechanismStateError,
    NeedScramKeys,
    Outcome,
    SaslClientError,
    SaslprepError,
    ScramClient,
    ScramSha256Server,
    ServerOptions,
    StoredScramKeys,
    Success,
    derive_scram_keys,
    fake_scram_keys,
    new_scram_keys,
)

# RFC 7677 §3: user "user", password "pencil".
RFC7677_CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
RFC7677_SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
RFC7677_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
RFC7677_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC7677_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC7677_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC7677_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

SECRET = b"0123456789abcdef-test-secret"
RFC7677_KEYS = derive_scram_keys("pencil", RFC7677_SALT, 4096)


def fixed_server(nonce: str = RFC7677_SERVER_NONCE, **options: bool) -> ScramSha256Server:
    return ScramSha256Server(ServerOptions(nonce_source=lambda: nonce, **options))


def run_exchange(
    username: str, password: str, keys: StoredScramKeys | None, *, server_user: str | None = None
) -> tuple[Outcome, ScramClient]:
    """Drive a client against a server; ``keys=None`` plays an unknown user."""
    client = ScramClient(username, password)
    server = ScramSha256Server()
    outcome = server.step(client.first())
    assert isinstance(outcome, NeedScramKeys)
    if server_user is not None:
        assert outcome.username == server_user
    given = keys if keys is not None else fake_scram_keys(outcome.username, SECRET)
    challenge = server.provide_keys(given)
    assert isinstance(challenge, Challenge)
    outcome = server.step(client.final(challenge.data))
    if isinstance(outcome, Challenge):  # the server-final message, sent as a last challenge
        client.verify(outcome.data)
        outcome = server.step(b"")
    return outcome, client


class TestRfc7677Vector:
    def test_server_reproduces_the_exchange(self) -> None:
        server = fixed_server()
        assert server.step(RFC7677_CLIENT_FIRST) == NeedScramKeys("user")
        assert server.provide_keys(RFC7677_KEYS) == Challenge(RFC7677_SERVER_FIRST)
        # RFC 4954 §4 and friends: the server-final data goes out as a challenge...
        assert server.step(RFC7677_CLIENT_FINAL) == Challenge(RFC7677_SERVER_FINAL)
        # ...and the client's empty response completes the exchange.
        assert server.step(b"") == Success("user", None, None)

    def test_server_with_success_data_allowed_returns_it_in_success(self) -> None:
        server = fixed_server(success_data_allowed=True)
        server.step(RFC7677_CLIENT_FIRST)
        server.provide_keys(RFC7677_KEYS)
        assert server.step(RFC7677_CLIENT_FINAL) == Success("user", None, RFC7677_SERVER_FINAL)

    def test_client_reproduces_the_exchange(self) -> None:
        client = ScramClient("user", "pencil", nonce_source=lambda: RFC7677_CLIENT_NONCE)
        assert client.first() == RFC7677_CLIENT_FIRST
        assert client.final(RFC7677_SERVER_FIRST) == RFC7677_CLIENT_FINAL
        client.verify(RFC7677_SERVER_FINAL)

    def test_derived_keys_match_the_rfc_algebra(self) -> None:
        # StoredKey and ServerKey for "pencil" recomputed independently from RFC 5802 §3.
        salted = hashlib.pbkdf2_hmac("sha256", b"pencil", RFC7677_SALT, 4096)
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        assert RFC7677_KEYS.stored_key == hashlib.sha256(client_key).digest()
        assert RFC7677_KEYS.server_key == hmac.new(salted, b"Server Key", "sha256").digest()


class TestRoundTrip:
    @pytest.mark.parametrize(
        "username",
        ["alice@example.test", "comma,user", "equals=user", "Jürgen", "=2C=3D"],
    )
    def test_client_and_server_agree(self, username: str) -> None:
        keys = derive_scram_keys("correct horse", b"salt-" + username.encode(), MIN_ITERATIONS)
        outcome, _ = run_exchange(username, "correct horse", keys, server_user=username)
        assert outcome == Success(username, None, None)

    def test_username_is_saslprepped_by_both_sides(self) -> None:
        # RFC 5802 §5.1; RFC 4013 §3 example 1: SOFT HYPHEN maps to nothing.
        keys = derive_scram_keys("pw", b"salt", MIN_ITERATIONS)
        outcome, _ = run_exchange("I\u00adX", "pw", keys, server_user="IX")
        assert outcome == Success("IX", None, None)

    def test_password_is_saslprepped(self) -> None:
        # RFC 5802 §2.2: Normalize(password). U+2168 ROMAN NUMERAL NINE is "IX" after NFKC.
        assert derive_scram_keys("\u2168", b"salt", MIN_ITERATIONS) == derive_scram_keys(
            "IX", b"salt", MIN_ITERATIONS
        )
        keys = derive_scram_keys("IX", b"salt", MIN_ITERATIONS)
        outcome, _ = run_exchange("bob", "\u2168", keys)
        assert isinstance(outcome, Success)

    def test_password_without_saslprep_form_still_works(self) -> None:
        # Emoji are unassigned in Unicode 3.2: the raw UTF-8 is used on both sides.
        keys = derive_scram_keys("pass\U0001f511word", b"salt", MIN_ITERATIONS)
        outcome, _ = run_exchange("bob", "pass\U0001f511word", keys)
        assert isinstance(outcome, Success)

    def test_no_initial_response_gets_an_empty_challenge(self) -> None:
        server = fixed_server()
        assert server.step(None) == Challenge(b"")
        assert server.step(RFC7677_CLIENT_FIRST) == NeedScramKeys("user")

    def test_gs2_flag_y_is_accepted(self) -> None:
        # RFC 5802 §6: "y" means the client could bind but thinks we cannot; we offer no -PLUS.
        client = ScramClient("user", "pencil", nonce_source=lambda: RFC7677_CLIENT_NONCE)
        client_first = client.first()
        server = fixed_server()
        assert server.step(b"y" + client_first[1:]) == NeedScramKeys("user")
        server.provide_keys(RFC7677_KEYS)
        # c= must repeat "y,,"; a fresh proof is needed because AuthMessage changed.
        final = _client_final(b"y,,", RFC7677_SERVER_FIRST, "pencil")
        assert isinstance(server.step(final), Challenge)
        assert server.step(b"") == Success("user", None, None)

    def test_authzid_equal_to_username_is_accepted(self) -> None:
        server = fixed_server()
        assert server.step(b"n,a=user,n=user,r=abc") == NeedScramKeys("user")
        server.provide_keys(RFC7677_KEYS)
        server_first = (
            b"r=abc" + RFC7677_SERVER_NONCE.encode() + b",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        )
        final = _client_final(
            b"n,a=user,", server_first, "pencil", client_first_bare=b"n=user,r=abc"
        )
        assert isinstance(server.step(final), Challenge)
        assert server.step(b"") == Success("user", "user", None)


def _client_final(
    gs2_header: bytes,
    server_first: bytes,
    password: str,
    *,
    client_first_bare: bytes = b"n=user,r=" + RFC7677_CLIENT_NONCE.encode(),
) -> bytes:
    """Compute a client-final-message by hand (RFC 5802 §3) for headers ScramClient never sends."""
    nonce = server_first.split(b",")[0][2:]
    keys = derive_scram_keys(password, RFC7677_SALT, 4096)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), RFC7677_SALT, 4096)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    without_proof = b"c=" + base64.b64encode(gs2_header) + b",r=" + nonce
    auth_message = b",".join((client_first_bare, server_first, without_proof))
    signature = hmac.new(keys.stored_key, auth_message, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    return without_proof + b",p=" + base64.b64encode(proof)


class TestWrongPasswordAndUnknownUser:
    def test_wrong_password_fails(self) -> None:
        keys = derive_scram_keys("right", b"salt", MIN_ITERATIONS)
        outcome, _ = run_exchange("bob", "wrong", keys)
        assert outcome == Failure(FailureReason.INVALID_CREDENTIALS, "client proof does not match")

    def test_unknown_user_fails_exactly_like_a_wrong_password(self) -> None:
        keys = derive_scram_keys("right", b"salt", MIN_ITERATIONS)
        wrong_password, _ = run_exchange("bob", "wrong", keys)
        unknown_user, _ = run_exchange("nobody", "wrong", None)
        assert unknown_user == wrong_password

    def test_fake_server_first_looks_like_a_real_one(self) -> None:
        real = new_scram_keys("secret password")
        fake = fake_scram_keys("nobody@example.test", SECRET)
        assert len(fake.salt) == len(real.salt) == SALT_LENGTH
        assert fake.iterations == real.iterations == DEFAULT_ITERATIONS

    def test_fake_keys_are_stable_per_user_and_secret(self) -> None:
        first = fake_scram_keys("nobody@example.test", SECRET)
        assert fake_scram_keys("nobody@example.test", SECRET) == first
        assert fake_scram_keys("other@example.test", SECRET).salt != first.salt
        assert fake_scram_keys("nobody@example.test", SECRET + b"x").salt != first.salt

    def test_fake_keys_need_a_real_secret(self) -> None:
        with pytest.raises(ValueError, match="at least 16 bytes"):
            fake_scram_keys("nobody", b"short")


class TestKeyDerivation:
    def test_refuses_fewer_than_4096_iterations(self) -> None:
        # RFC 7677 §4
        with pytest.raises(ValueError, match="4096"):
            derive_scram_keys("pw", b"salt", 4095)

    def test_refuses_empty_salt(self) -> None:
        with pytest.raises(ValueError, match="salt"):
            derive_scram_keys("pw", b"", MIN_ITERATIONS)

    def test_new_keys_use_the_injected_random_source(self) -> None:
        keys = new_scram_keys("pw", MIN_ITERATIONS, random_bytes=lambda size: b"s" * size)
        assert keys == derive_scram_keys("pw", b"s" * SALT_LENGTH, MIN_ITERATIONS)

    def test_stored_keys_validate_their_shape(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            StoredScramKeys(b"salt", 4096, b"short", b"x" * 32)
        with pytest.raises(ValueError, match="positive"):
            StoredScramKeys(b"salt", 0, b"x" * 32, b"x" * 32)

    def test_text_form_is_rfc_5803(self) -> None:
        text = RFC7677_KEYS.to_text()
        assert text == (
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ=="
            "$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY="
            ":wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU="
        )
        assert StoredScramKeys.from_text(text) == RFC7677_KEYS

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "SCRAM-SHA-1$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",
            "SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",  # keys too short
            "SCRAM-SHA-256$4096:A$AAAA:AAAA",  # bad base64
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA",
        ],
    )
    def test_text_form_rejects_other_values(self, text: str) -> None:
        with pytest.raises(ValueError, match="SCRAM"):
            StoredScramKeys.from_text(text)

    def test_repr_hides_the_keys(self) -> None:
        assert "stored_key" not in repr(RFC7677_KEYS)


def _server_after_first(client_first: bytes = RFC7677_CLIENT_FIRST) -> ScramSha256Server:
    server = fixed_server()
    assert isinstance(server.step(client_first), NeedScramKeys)
    assert server.provide_keys(RFC7677_KEYS) == Challenge(RFC7677_SERVER_FIRST)
    return server


NONCE = b"rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
PROOF = b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="


class TestMalformedClientFirst:
    @pytest.mark.parametrize(
        ("message", "reason"),
        [
            (b"", FailureReason.MALFORMED_MESSAGE),
            (b"n,,", FailureReason.MALFORMED_MESSAGE),
            (b"n,,n=user", FailureReason.MALFORMED_MESSAGE),  # missing r=
            (b"n,,r=abc,n=user", FailureReason.MALFORMED_MESSAGE),  # wrong order
            (b"n,,u=user,r=abc", FailureReason.MALFORMED_MESSAGE),  # n= missing
            (b"x,,n=user,r=abc", FailureReason.MALFORMED_MESSAGE),  # bad gs2 flag
            (b"n,b=bob,n=user,r=abc", FailureReason.MALFORMED_MESSAGE),  # bad authzid
            (b"n,,n=user,r=", FailureReason.MALFORMED_MESSAGE),  # empty nonce
            (b"n,,n=user,r=ab\x7fc", FailureReason.MALFORMED_MESSAGE),  # unprintable nonce
            (b"n,,n=user,r=abc,1=x", FailureReason.MALFORMED_MESSAGE),  # bad extension
            (b"n,,n=user,r=abc,x=", FailureReason.MALFORMED_MESSAGE),  # empty extension value
            (b"n,,n=us\x00er,r=abc", FailureReason.MALFORMED_MESSAGE),  # NUL
            (b"n,,n=\xff,r=abc", FailureReason.INVALID_ENCODING),  # not UTF-8
            (b"n,,n=,r=abc", FailureReason.INVALID_USERNAME_ENCODING),  # empty saslname
            (b"n,,n=a=2Xb,r=abc", FailureReason.INVALID_USERNAME_ENCODING),  # RFC 5802 §5.1
            (b"n,,n=a=2c,r=abc", FailureReason.INVALID_USERNAME_ENCODING),  # escapes are upper
            (b"n,,n=\x07,r=abc", FailureReason.INVALID_USERNAME_ENCODING),  # SASLprep fails
            (b"n,,n=\xc2\xad,r=abc", FailureReason.INVALID_USERNAME_ENCODING),  # empty after it
            (b"p=tls-unique,,n=user,r=abc", FailureReason.CHANNEL_BINDING_NOT_SUPPORTED),
            (b"p=tls-exporter,,n=user,r=abc", FailureReason.CHANNEL_BINDING_NOT_SUPPORTED),
            (b"n,,m=ext,n=user,r=abc", FailureReason.EXTENSIONS_NOT_SUPPORTED),
            (b"n,,m=ext", FailureReason.EXTENSIONS_NOT_SUPPORTED),
            (b"n,a=admin,n=user,r=abc", FailureReason.AUTHZID_NOT_PERMITTED),
        ],
    )
    def test_is_refused(self, message: bytes, reason: FailureReason) -> None:
        outcome = fixed_server().step(message)
        assert isinstance(outcome, Failure)
        assert outcome.reason is reason

    def test_authzid_refusal_explains_itself(self) -> None:
        outcome = fixed_server().step(b"n,a=admin,n=user,r=abc")
        assert isinstance(outcome, Failure)
        assert "proxy authentication is not supported" in outcome.detail

    def test_unknown_optional_extension_is_ignored(self) -> None:
        assert fixed_server().step(b"n,,n=user,r=abc,x=future") == NeedScramKeys("user")

    def test_oversized_message_is_refused(self) -> None:
        outcome = fixed_server().step(b"n,,n=user,r=" + b"a" * 9000)
        assert isinstance(outcome, Failure)
        assert outcome.reason is FailureReason.MESSAGE_TOO_LONG


class TestMalformedClientFinal:
    @pytest.mark.parametrize(
        ("message", "reason"),
        [
            (b"", FailureReason.MALFORMED_MESSAGE),
            (b"c=biws,r=" + NONCE, FailureReason.MALFORMED_MESSAGE),  # missing proof
            (b"r=" + NONCE + b",c=biws," + PROOF, FailureReason.MALFORMED_MESSAGE),  # order
            (b"c=biws,r=" + NONCE + b"X," + PROOF, FailureReason.MALFORMED_MESSAGE),  # nonce
            (b"c=biws,r=" + NONCE[:20] + b"," + PROOF, FailureReason.MALFORMED_MESSAGE),
            (b"c=biws,r=" + NONCE + b",p=!!!", FailureReason.INVALID_ENCODING),
            (b"c=biws,r=" + NONCE + b",p=AAAA", FailureReason.MALFORMED_MESSAGE),  # size
            (b"c=b!ws,r=" + NONCE + b"," + PROOF, FailureReason.INVALID_ENCODING),
            (b"c=eSws,r=" + NONCE + b"," + PROOF, FailureReason.CHANNEL_BINDINGS_DONT_MATCH),
            (b"c=biws,r=" + NONCE + b",9=x," + PROOF, FailureReason.MALFORMED_MESSAGE),
        ],
    )
    def test_is_refused(self, message: bytes, reason: FailureReason) -> None:
        outcome = _server_after_first().step(message)
        assert isinstance(outcome, Failure)
        assert outcome.reason is reason

    def test_tampered_proof_fails_as_invalid_credentials(self) -> None:
        proof = bytearray(base64.b64decode(PROOF[2:]))
        proof[0] ^= 1
        message = b"c=biws,r=" + NONCE + b",p=" + base64.b64encode(bytes(proof))
        outcome = _server_after_first().step(message)
        assert outcome == Failure(FailureReason.INVALID_CREDENTIALS, "client proof does not match")

    def test_extension_changes_auth_message_so_replayed_proof_fails(self) -> None:
        message = b"c=biws,r=" + NONCE + b",x=1," + PROOF
        outcome = _server_after_first().step(message)
        assert isinstance(outcome, Failure)
        assert outcome.reason is FailureReason.INVALID_CREDENTIALS

    def test_non_empty_answer_to_the_server_final_is_refused(self) -> None:
        server = _server_after_first()
        assert server.step(RFC7677_CLIENT_FINAL) == Challenge(RFC7677_SERVER_FINAL)
        outcome = server.step(b"unexpected")
        assert isinstance(outcome, Failure)
        assert outcome.reason is FailureReason.MALFORMED_MESSAGE


class TestServerContract:
    def test_step_while_waiting_for_keys_is_a_caller_bug(self) -> None:
        server = fixed_server()
        server.step(RFC7677_CLIENT_FIRST)
        with pytest.raises(MechanismStateError, match="provide_keys"):
            server.step(b"c=biws")

    def test_nothing_after_failure(self) -> None:
        server = fixed_server()
        assert isinstance(server.step(b"garbage"), Failure)
        with pytest.raises(MechanismStateError):
            server.step(b"more")
        with pytest.raises(MechanismStateError):
            server.provide_keys(RFC7677_KEYS)

    def test_credentials_checked_is_never_expected(self) -> None:
        with pytest.raises(MechanismStateError):
            fixed_server().credentials_checked(True)

    def test_bad_nonce_source_is_a_bug_not_a_failure(self) -> None:
        server = fixed_server(nonce="has,comma")
        server.step(RFC7677_CLIENT_FIRST)
        with pytest.raises(ValueError, match="nonce"):
            server.provide_keys(RFC7677_KEYS)

    def test_default_nonce_is_fresh_and_printable(self) -> None:
        nonces = set()
        for _ in range(3):
            server = ScramSha256Server()
            server.step(b"n,,n=user,r=abc")
            challenge = server.provide_keys(RFC7677_KEYS)
            assert isinstance(challenge, Challenge)
            nonce = challenge.data.split(b",")[0][len(b"r=abc") :]
            assert len(nonce) >= 24
            nonces.add(nonce)
        assert len(nonces) == 3


class TestClientErrors:
    def client(self) -> ScramClient:
        client = ScramClient("user", "pencil", nonce_source=lambda: RFC7677_CLIENT_NONCE)
        client.first()
        return client

    @pytest.mark.parametrize(
        "server_first",
        [
            b"",
            b"garbage",
            b"r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # nothing added
            b"r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  # not our nonce
            b"r=rOprNGfwEbeRWgbNEkqOxyz,s=!!,i=4096",  # bad salt
            b"r=rOprNGfwEbeRWgbNEkqOxyz,s=,i=4096",  # empty salt
            b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1",
            b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1_000",
            b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095",  # RFC 7677 §4
            b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=99999999",  # RFC 5802 §9
            b"m=ext,r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
            b"r=rOprNGfwEbeRWgbNEkqOxyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,\xff=x",
        ],
    )
    def test_bad_server_first_is_refused(self, server_first: bytes) -> None:
        with pytest.raises(SaslClientError):
            self.client().final(server_first)

    @pytest.mark.parametrize(
        ("server_final", "match"),
        [
            (b"e=invalid-proof", "invalid-proof"),
            (b"v=AAAA", "does not match"),
            (b"v=!!", "not base64"),
            (b"x=1", "bad server-final"),
            (b"", "bad server-final"),
        ],
    )
    def test_bad_server_final_is_refused(self, server_final: bytes, match: str) -> None:
        client = self.client()
        client.final(RFC7677_SERVER_FIRST)
        with pytest.raises(SaslClientError, match=match):
            client.verify(server_final)

    def test_methods_must_come_in_order(self) -> None:
        client = ScramClient("user", "pencil")
        with pytest.raises(MechanismStateError):
            client.final(RFC7677_SERVER_FIRST)
        client.first()
        with pytest.raises(MechanismStateError):
            client.first()
        with pytest.raises(MechanismStateError):
            client.verify(RFC7677_SERVER_FINAL)

    def test_verify_only_once(self) -> None:
        client = self.client()
        client.final(RFC7677_SERVER_FIRST)
        client.verify(RFC7677_SERVER_FINAL)
        with pytest.raises(MechanismStateError):
            client.verify(RFC7677_SERVER_FINAL)

    def test_user_name_without_saslprep_form_is_refused(self) -> None:
        with pytest.raises(SaslprepError):
            ScramClient("bad\x07name", "pw")
        with pytest.raises(SaslprepError, match="empty"):
            ScramClient("\u00ad", "pw")

    def test_user_name_is_escaped(self) -> None:
        client = ScramClient("a,b=c", "pw", nonce_source=lambda: "n")
        assert client.first() == b"n,,n=a=2Cb=3Dc,r=n"
