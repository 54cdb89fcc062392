"""The driving loop from ``courriel.sasl``'s docstring, run against real clients.

``authenticate`` below is the docstring example, character for character (a test compares
them), so the example a protocol server copies is known to work.
"""

from __future__ import annotations

import base64
import inspect
import logging
import textwrap
from collections.abc import Awaitable, Callable

import pytest

import courriel.sasl
from courriel import sasl

logger = logging.getLogger("courriel.test.sasl")
ALICE = "alice@example.test"


# --- copied from the courriel.sasl docstring --------------------------------------------------
async def authenticate(
    mechanism_name: str,
    initial_argument: bytes | None,
    read_line: Callable[[], Awaitable[bytes]],
    write: Callable[[bytes], Awaitable[None]],
    directory: FakeDirectory,
) -> tuple[bytes, str | None]:
    try:
        mechanism = sasl.server_mechanism(mechanism_name)
    except sasl.UnknownMechanism:
        return b"504 5.5.4 Unrecognized authentication type", None
    data = sasl.decode_initial_response(initial_argument)  # None, b"" for "=", bytes
    if isinstance(data, sasl.MalformedResponse):
        return b"501 5.5.2 Cannot decode response", None
    outcome = mechanism.step(data)
    while True:
        match outcome:
            case sasl.Challenge(challenge):
                await write(b"334 " + sasl.encode_challenge(challenge))
                match sasl.decode_response(await read_line()):
                    case sasl.Cancelled():
                        return b"501 5.0.0 Authentication cancelled", None
                    case sasl.MalformedResponse():
                        return b"501 5.5.2 Cannot decode response", None
                    case bytes() as response:
                        outcome = mechanism.step(response)
            case sasl.NeedCredentialsCheck(credentials):
                ok = await directory.check_password(credentials)
                outcome = mechanism.credentials_checked(ok)
            case sasl.NeedScramKeys(username):
                keys = await directory.scram_keys(username)  # None if unknown
                if keys is None:
                    keys = sasl.fake_scram_keys(username, directory.fake_key_secret)
                outcome = mechanism.provide_keys(keys)
            case sasl.Success(authcid):
                return b"235 2.7.0 Authentication successful", authcid
            case sasl.Failure(reason, detail):
                logger.info("auth failed", extra={"reason": reason, "detail": detail})
                return b"535 5.7.8 Authentication credentials invalid", None


# --- end of the copy ---------------------------------------------------------------------------


def test_the_copy_matches_the_docstring() -> None:
    # The docstring leaves out the annotations; the body must be the same, line for line.
    source = inspect.getsource(authenticate)
    signature_end = ") -> tuple[bytes, str | None]:\n"
    body = source[source.index(signature_end) + len(signature_end) :]
    docstring = courriel.sasl.__doc__
    assert docstring is not None
    assert textwrap.indent(body, "    ") in docstring


class FakeDirectory:
    fake_key_secret = b"fake-key-secret-for-tests"

    def __init__(self) -> None:
        self.passwords = {"alice@example.test": "secret"}
        self.keys = {
            user: sasl.derive_scram_keys(password, b"per-user-salt!!!", sasl.MIN_ITERATIONS)
            for user, password in self.passwords.items()
        }

    async def check_password(self, credentials: sasl.PasswordCredentials) -> bool:
        return self.passwords.get(credentials.authcid) == credentials.password

    async def scram_keys(self, username: str) -> sasl.StoredScramKeys | None:
        return self.keys.get(username)


Responder = Callable[[bytes], bytes]


async def session(
    mechanism: str, initial: bytes | None, respond: Responder, *, user: str | None = None
) -> tuple[list[bytes], bytes]:
    """Run ``authenticate``; ``respond`` plays the client, seeing each 334 line.

    Returns the challenges and the final reply; checks who was authenticated (``user``).
    """
    written: list[bytes] = []

    async def write(line: bytes) -> None:
        written.append(line)

    async def read_line() -> bytes:
        return respond(written[-1]) + b"\r\n"

    reply, authenticated = await authenticate(mechanism, initial, read_line, write, FakeDirectory())
    assert authenticated == user
    return written, reply


def scram_client(username: str, password: str) -> tuple[bytes, Responder]:
    client = sasl.ScramClient(username, password)
    first = sasl.encode_initial_response(client.first())

    def respond(line: bytes) -> bytes:
        challenge = sasl.decode_challenge(line.removeprefix(b"334 "))
        if challenge.startswith(b"r="):
            return sasl.encode_response(client.final(challenge))
        client.verify(challenge)  # the server proved itself
        return b""

    return first, respond


def scripted(*lines: bytes) -> Responder:
    remaining = list(lines)
    return lambda _: remaining.pop(0)


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


async def test_scram_success_sends_server_final_as_a_challenge() -> None:
    initial, respond = scram_client("alice@example.test", "secret")
    challenges, reply = await session("SCRAM-SHA-256", initial, respond, user=ALICE)
    assert reply == b"235 2.7.0 Authentication successful"
    assert len(challenges) == 2  # server-first, then server-final (RFC 4954 §4)


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice@example.test", "wrong"), ("nobody@example.test", "secret")],
)
async def test_scram_wrong_password_and_unknown_user_look_the_same(
    username: str, password: str
) -> None:
    initial, respond = scram_client(username, password)
    challenges, reply = await session("SCRAM-SHA-256", initial, respond)
    assert reply == b"535 5.7.8 Authentication credentials invalid"
    assert len(challenges) == 1


async def test_scram_without_initial_response() -> None:
    initial, respond = scram_client("alice@example.test", "secret")

    def respond_first_with_client_first(line: bytes) -> bytes:
        return initial if line == b"334 " else respond(line)

    _, reply = await session("scram-sha-256", None, respond_first_with_client_first, user=ALICE)
    assert reply == b"235 2.7.0 Authentication successful"


async def test_plain_with_initial_response() -> None:
    initial = sasl.encode_initial_response(
        sasl.plain_client_response("alice@example.test", "secret")
    )
    assert await session("PLAIN", initial, scripted(), user=ALICE) == (
        [],
        b"235 2.7.0 Authentication successful",
    )


async def test_plain_empty_initial_response_fails() -> None:
    _, reply = await session("PLAIN", b"=", scripted())
    assert reply == b"535 5.7.8 Authentication credentials invalid"


async def test_login_two_steps() -> None:
    username, password = sasl.login_client_responses("alice@example.test", "secret")
    challenges, reply = await session(
        "LOGIN", None, scripted(b64(username), b64(password)), user=ALICE
    )
    assert challenges == [b"334 VXNlcm5hbWU6", b"334 UGFzc3dvcmQ6"]
    assert reply == b"235 2.7.0 Authentication successful"


async def test_cancel() -> None:
    _, reply = await session("LOGIN", None, scripted(b"*"))
    assert reply == b"501 5.0.0 Authentication cancelled"


async def test_bad_base64_response() -> None:
    _, reply = await session("PLAIN", None, scripted(b"%%%"))
    assert reply == b"501 5.5.2 Cannot decode response"


async def test_bad_base64_initial_response() -> None:
    assert await session("PLAIN", b"%%%", scripted()) == ([], b"501 5.5.2 Cannot decode response")


async def test_unknown_mechanism() -> None:
    _, reply = await session("CRAM-MD5", None, scripted())
    assert reply == b"504 5.5.4 Unrecognized authentication type"
