"""Property tests: whatever a client sends, a server mechanism answers with an outcome.

Nothing a peer sends may raise: servers get ``Failure`` (or ``Cancelled`` /
``MalformedResponse`` from the framing), and the SCRAM client gets ``SaslClientError``.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courriel.sasl import (
    MECHANISMS,
    Cancelled,
    Challenge,
    Failure,
    MalformedResponse,
    NeedCredentialsCheck,
    NeedScramKeys,
    Outcome,
    SaslClientError,
    ScramClient,
    ServerOptions,
    Success,
    decode_response,
    fake_scram_keys,
    server_mechanism,
)

FUZZ = settings(
    database=None,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

VALID_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
VALID_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqOfixed,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
VALID_SERVER_FIRST = b"r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
SCRAM_ALPHABET = "nyp=,acmrsiv2CD3Xbw+/0189-\x00\x7f\u00ad\u0627é"

scram_like = st.text(alphabet=SCRAM_ALPHABET, max_size=80).map(lambda text: text.encode())


@st.composite
def mutated(draw: st.DrawFn, message: bytes) -> bytes:
    """``message`` with a few random edits: near-valid input reaches the deep branches."""
    data = bytearray(message)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(data)))
        edit = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(st.binary(min_size=1, max_size=4) | st.sampled_from([b",", b"=", b"m=x,"]))
        if edit == "insert":
            data[position:position] = chunk
        elif edit == "delete":
            del data[position : position + len(chunk)]
        else:
            data[position : position + len(chunk)] = chunk
    return bytes(data)


client_message = st.one_of(
    st.binary(max_size=300),
    scram_like,
    mutated(VALID_CLIENT_FIRST),
    mutated(VALID_CLIENT_FINAL),
    st.just(VALID_CLIENT_FIRST),
    st.just(VALID_CLIENT_FINAL),
    st.just(b"\x00alice\x00secret"),
    st.just(b""),
)


def drive(name: str, first: bytes | None, responses: list[bytes], verdict: bool) -> Outcome:
    """Follow the outcomes the way a protocol server does, with scripted client messages."""
    mechanism = server_mechanism(name, ServerOptions(nonce_source=lambda: "fixed"))
    outcome = mechanism.step(first)
    remaining = list(responses)
    while True:
        match outcome:
            case Challenge():
                if not remaining:
                    return outcome
                outcome = mechanism.step(remaining.pop(0))
            case NeedScramKeys(username):
                outcome = mechanism.provide_keys(fake_scram_keys(username, b"k" * 16))
            case NeedCredentialsCheck():
                outcome = mechanism.credentials_checked(verdict)
            case Success() | Failure():
                return outcome


@FUZZ
@given(
    name=st.sampled_from(list(MECHANISMS)),
    first=st.none() | client_message,
    responses=st.lists(client_message, max_size=4),
    verdict=st.booleans(),
)
def test_any_client_messages_end_in_an_outcome(
    name: str, first: bytes | None, responses: list[bytes], verdict: bool
) -> None:
    outcome = drive(name, first, responses, verdict)
    assert isinstance(outcome, Challenge | Success | Failure)
    if isinstance(outcome, Success):
        # Only a password check can succeed on random input; fake SCRAM keys never do.
        assert name != "SCRAM-SHA-256"
        assert verdict


@FUZZ
@given(name=st.sampled_from(list(MECHANISMS)), lines=st.lists(st.binary(max_size=200), max_size=4))
def test_random_wire_lines_through_the_framing(name: str, lines: list[bytes]) -> None:
    mechanism = server_mechanism(name)
    outcome: Outcome = mechanism.step(None)
    for line in lines:
        if not isinstance(outcome, Challenge):
            break
        response = decode_response(line)
        if isinstance(response, Cancelled | MalformedResponse):
            break
        outcome = mechanism.step(response)
        if isinstance(outcome, NeedScramKeys):
            outcome = mechanism.provide_keys(fake_scram_keys(outcome.username, b"k" * 16))
        elif isinstance(outcome, NeedCredentialsCheck):
            outcome = mechanism.credentials_checked(False)
    assert not isinstance(outcome, Success)


def _client_after_first() -> ScramClient:
    client = ScramClient(
        "user", "pencil", nonce_source=lambda: "rOprNGfwEbeRWgbNEkqO", max_iterations=5000
    )
    client.first()
    return client


@FUZZ
@given(server_first=st.one_of(st.binary(max_size=200), scram_like, mutated(VALID_SERVER_FIRST)))
def test_client_only_raises_client_errors_on_server_first(server_first: bytes) -> None:
    with contextlib.suppress(SaslClientError):
        _client_after_first().final(server_first)


@FUZZ
@given(server_final=st.one_of(st.binary(max_size=200), scram_like))
def test_client_only_raises_client_errors_on_server_final(server_final: bytes) -> None:
    client = _client_after_first()
    client.final(VALID_SERVER_FIRST)
    try:
        client.verify(server_final)
    except SaslClientError:
        return
    raise AssertionError("a random server-final message was accepted")
