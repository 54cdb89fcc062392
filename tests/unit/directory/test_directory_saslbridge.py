"""SASL exchanges through the AuthService, driven by the real client state machines."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pyotp
import pytest

from courriel import sasl
from courriel.directory.auth import Outcome
from courriel.directory.saslbridge import SaslRefused, authenticate, offered_mechanisms
from courriel.runtime.services import Services
from support.services import temporary_services

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with temporary_services(tmp_path) as opened:
        await opened.directory.add_domain("example.test", dkim=False)
        await opened.directory.add_account(ALICE, PASSWORD)

        async def no_sleep(seconds: float) -> None:
            del seconds

        opened.auth.sleep = no_sleep
        yield opened


def scram_exchange(
    client: sasl.ScramClient,
) -> Callable[[bytes], Awaitable[bytes | sasl.Cancelled | sasl.MalformedResponse]]:
    state = {"round": 0}

    async def exchange(challenge: bytes) -> bytes | sasl.Cancelled | sasl.MalformedResponse:
        state["round"] += 1
        if state["round"] == 1:
            return client.final(challenge)
        client.verify(challenge)  # the server proved it knows the keys too
        return b""

    return exchange


async def scram_login(services: Services, username: str, password: str) -> object:
    client = sasl.ScramClient(username, password)
    return await authenticate(
        services.auth,
        protocol="imap",
        peer_ip="192.0.2.1",
        secure=True,
        mechanism="SCRAM-SHA-256",
        initial_response=base64.b64encode(client.first()),
        exchange=scram_exchange(client),
    )


async def test_scram_sha_256_with_the_account_password(services: Services) -> None:
    result = await scram_login(services, ALICE, PASSWORD)
    assert getattr(result, "ok", False)
    assert result.principal.method == "scram"  # type: ignore[attr-defined]


async def test_scram_failures_look_alike(services: Services) -> None:
    wrong = await scram_login(services, ALICE, "not it at all")
    unknown = await scram_login(services, "ghost@example.test", "whatever it is")
    assert getattr(wrong, "outcome", None) is Outcome.INVALID
    assert getattr(unknown, "outcome", None) is Outcome.INVALID


async def test_scram_is_refused_once_two_factor_is_on(services: Services) -> None:
    enrolment = await services.auth.begin_totp(ALICE)
    await services.auth.confirm_totp(ALICE, pyotp.TOTP(enrolment.secret).now())
    result = await scram_login(services, ALICE, PASSWORD)
    assert getattr(result, "outcome", None) is Outcome.INVALID


async def test_plain_and_login(services: Services) -> None:
    plain = await authenticate(
        services.auth,
        protocol="smtp",
        peer_ip="192.0.2.1",
        secure=True,
        mechanism="plain",
        initial_response=base64.b64encode(sasl.plain_client_response(ALICE, PASSWORD)),
        exchange=_never,
    )
    assert getattr(plain, "ok", False)
    user, password = sasl.login_client_responses(ALICE, PASSWORD)
    answers = iter([user, password])

    async def login_exchange(challenge: bytes) -> bytes | sasl.Cancelled | sasl.MalformedResponse:
        del challenge
        return next(answers)

    login = await authenticate(
        services.auth,
        protocol="pop3",
        peer_ip="192.0.2.1",
        secure=True,
        mechanism="LOGIN",
        initial_response=None,
        exchange=login_exchange,
    )
    assert getattr(login, "ok", False)
    wrong = await authenticate(
        services.auth,
        protocol="smtp",
        peer_ip="192.0.2.1",
        secure=True,
        mechanism="PLAIN",
        initial_response=base64.b64encode(sasl.plain_client_response(ALICE, "bad password")),
        exchange=_never,
    )
    assert getattr(wrong, "outcome", None) is Outcome.INVALID


async def _never(challenge: bytes) -> bytes | sasl.Cancelled | sasl.MalformedResponse:
    raise AssertionError(f"no challenge expected, got {challenge!r}")


async def test_refusals(services: Services) -> None:
    async def cancel(challenge: bytes) -> bytes | sasl.Cancelled | sasl.MalformedResponse:
        del challenge
        return sasl.Cancelled()

    cases = {
        "unknown-mechanism": {"mechanism": "CRAM-MD5", "secure": True, "initial_response": None},
        "encryption-required": {"mechanism": "PLAIN", "secure": False, "initial_response": None},
        "malformed": {"mechanism": "PLAIN", "secure": True, "initial_response": "%%%"},
        "cancelled": {"mechanism": "LOGIN", "secure": True, "initial_response": None},
    }
    for reason, arguments in cases.items():
        result = await authenticate(
            services.auth,
            protocol="smtp",
            peer_ip="192.0.2.1",
            exchange=cancel,
            **arguments,  # type: ignore[arg-type]
        )
        assert result == SaslRefused(reason), reason
    assert offered_mechanisms(services.auth, "192.0.2.1", secure=False) == ()
    assert offered_mechanisms(services.auth, "192.0.2.1", secure=True) == (
        "SCRAM-SHA-256",
        "PLAIN",
        "LOGIN",
    )
