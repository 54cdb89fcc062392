"""The client's handling of nonces (RFC 8555 §6.5, §7.2) and of error answers, over a
scripted ``HttpTransport``; the whole flow runs against a real ACME server (pebble) in
``tests/integration/test_acme_pebble.py``."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from courriel.acme.client import BAD_NONCE_RETRIES, AcmeClient
from courriel.acme.errors import AcmeError, AcmeProblem
from courriel.acme.jws import b64url_decode, generate_account_key
from courriel.acme.transport import HttpResponse, UrllibTransport

DIRECTORY = {
    "newNonce": "https://ca.test/nonce",
    "newAccount": "https://ca.test/account",
    "newOrder": "https://ca.test/order",
}
PROBLEM = "application/problem+json"


def problem(kind: str, nonce: str) -> HttpResponse:
    body = json.dumps({"type": f"urn:ietf:params:acme:error:{kind}", "detail": kind}).encode()
    return HttpResponse(400, {"content-type": PROBLEM, "replay-nonce": nonce}, body)


class ScriptedCa:
    """Answers GET directory and HEAD newNonce itself, POSTs from ``posts`` in order, and
    records the nonce each POST was signed with."""

    def __init__(self, posts: list[HttpResponse]) -> None:
        self.posts = posts
        self.nonces_used: list[str] = []
        self.nonce_requests = 0

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        if method == "GET":
            return HttpResponse(200, {}, json.dumps(DIRECTORY).encode())
        if method == "HEAD":
            self.nonce_requests += 1
            return HttpResponse(200, {"replay-nonce": f"fresh{self.nonce_requests}"})
        assert body is not None and headers is not None
        assert headers["Content-Type"] == "application/jose+json"
        protected = json.loads(b64url_decode(json.loads(body)["protected"]))
        self.nonces_used.append(protected["nonce"])
        return self.posts.pop(0)


ACCOUNT_CREATED = HttpResponse(
    201,
    {"location": "https://ca.test/acct/1", "replay-nonce": "after-account"},
    b'{"status": "valid"}',
)


async def test_a_bad_nonce_is_retried_with_the_nonce_of_the_error() -> None:
    ca = ScriptedCa([problem("badNonce", "from-error"), ACCOUNT_CREATED])
    client = AcmeClient(ca, "https://ca.test/dir", generate_account_key())
    assert await client.register() == "https://ca.test/acct/1"
    assert ca.nonces_used == ["fresh1", "from-error"]
    assert ca.nonce_requests == 1


async def test_bad_nonces_are_not_retried_for_ever() -> None:
    ca = ScriptedCa([problem("badNonce", f"n{i}") for i in range(BAD_NONCE_RETRIES + 1)])
    client = AcmeClient(ca, "https://ca.test/dir", generate_account_key())
    with pytest.raises(AcmeProblem, match="badNonce"):
        await client.register()
    assert len(ca.nonces_used) == BAD_NONCE_RETRIES + 1


async def test_another_problem_is_raised_at_once() -> None:
    ca = ScriptedCa([problem("unauthorized", "n")])
    client = AcmeClient(ca, "https://ca.test/dir", generate_account_key())
    with pytest.raises(AcmeProblem, match="unauthorized") as raised:
        await client.register()
    assert raised.value.status == 400
    assert len(ca.nonces_used) == 1


async def test_an_account_that_is_not_valid_is_an_error() -> None:
    deactivated = HttpResponse(
        200, {"location": "https://ca.test/acct/1"}, b'{"status": "deactivated"}'
    )
    client = AcmeClient(ScriptedCa([deactivated]), "https://ca.test/dir", generate_account_key())
    with pytest.raises(AcmeError, match="'deactivated', not valid"):
        await client.register()


async def test_the_transport_refuses_plain_http() -> None:
    with pytest.raises(AcmeError, match="non-https"):
        await UrllibTransport().request("GET", "http://ca.test/dir")
