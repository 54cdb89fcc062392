"""The mechanism table, and the pinned public surface of ``courriel.sasl``."""

from __future__ import annotations

import pytest

import courriel.sasl
from courriel.core.errors import CourrielError
from courriel.sasl import (
    MECHANISMS,
    PLAINTEXT_MECHANISMS,
    Challenge,
    LoginServer,
    NeedScramKeys,
    PlainServer,
    ScramSha256Server,
    ServerMechanism,
    ServerOptions,
    UnknownMechanism,
    server_mechanism,
)


def test_table_lists_strongest_first() -> None:
    assert list(MECHANISMS) == ["SCRAM-SHA-256", "PLAIN", "LOGIN"]
    assert {"PLAIN", "LOGIN"} == PLAINTEXT_MECHANISMS
    assert MECHANISMS.keys() >= PLAINTEXT_MECHANISMS


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        MECHANISMS["X"] = PlainServer  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("PLAIN", PlainServer),
        ("plain", PlainServer),
        ("Login", LoginServer),
        ("scram-sha-256", ScramSha256Server),
    ],
)
def test_server_mechanism_matches_names_without_case(name: str, kind: type) -> None:
    mechanism = server_mechanism(name)
    assert isinstance(mechanism, kind)
    assert mechanism.name == name.upper()


@pytest.mark.parametrize("name", ["CRAM-MD5", "", "SCRAM-SHA-1", "\u017fcram-sha-256"])
def test_unknown_names_raise(name: str) -> None:
    with pytest.raises(UnknownMechanism) as caught:
        server_mechanism(name)
    assert caught.value.name == name


def test_each_call_gets_a_fresh_mechanism() -> None:
    assert server_mechanism("PLAIN") is not server_mechanism("PLAIN")


def test_options_reach_the_mechanism() -> None:
    mechanism = server_mechanism("SCRAM-SHA-256", ServerOptions(nonce_source=lambda: "fixed"))
    assert mechanism.step(b"n,,n=u,r=c") == NeedScramKeys("u")
    keys = courriel.sasl.fake_scram_keys("u", b"s" * 16)
    challenge = mechanism.provide_keys(keys)
    assert isinstance(challenge, Challenge)
    assert challenge.data.startswith(b"r=cfixed,")


def test_mechanisms_satisfy_the_protocol() -> None:
    mechanisms: list[ServerMechanism] = [PlainServer(), LoginServer(), ScramSha256Server()]
    assert [mechanism.name for mechanism in mechanisms] == ["PLAIN", "LOGIN", "SCRAM-SHA-256"]


def test_public_surface_is_pinned() -> None:
    # A change here is a change to every protocol server using this library: do it on purpose.
    assert sorted(courriel.sasl.__all__) == [
        "Cancelled",
        "Challenge",
        "DEFAULT_ITERATIONS",
        "Failure",
        "FailureReason",
        "LoginServer",
        "MAX_CLIENT_ITERATIONS",
        "MAX_MESSAGE_SIZE",
        "MECHANISMS",
        "MIN_ITERATIONS",
        "MalformedResponse",
        "MechanismFactory",
        "MechanismStateError",
        "NeedCredentialsCheck",
        "NeedScramKeys",
        "NonceSource",
        "Outcome",
        "PLAINTEXT_MECHANISMS",
        "PasswordCredentials",
        "PlainServer",
        "SALT_LENGTH",
        "SaslClientError",
        "SaslError",
        "SaslprepError",
        "ScramClient",
        "ScramSha256Server",
        "ServerMechanism",
        "ServerOptions",
        "StoredScramKeys",
        "Success",
        "UnknownMechanism",
        "decode_challenge",
        "decode_initial_response",
        "decode_response",
        "derive_scram_keys",
        "encode_challenge",
        "encode_initial_response",
        "encode_response",
        "fake_scram_keys",
        "login_client_responses",
        "new_scram_keys",
        "plain_client_response",
        "random_nonce",
        "saslprep",
        "server_mechanism",
    ]
    for name in courriel.sasl.__all__:
        assert hasattr(courriel.sasl, name)


def test_errors_join_the_courriel_hierarchy() -> None:
    assert issubclass(courriel.sasl.SaslError, CourrielError)
    for error in (
        courriel.sasl.UnknownMechanism,
        courriel.sasl.MechanismStateError,
        courriel.sasl.SaslprepError,
        courriel.sasl.SaslClientError,
    ):
        assert issubclass(error, courriel.sasl.SaslError)
