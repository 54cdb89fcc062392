"""The ACME protocol flow of RFC 8555 over an ``HttpTransport``: from the directory to a
downloaded certificate chain.

``AcmeClient.obtain_certificate(names)`` runs: directory (§7.1.1), a nonce (§7.2), the account
(newAccount, §7.3; an existing key gets its existing account back), a new order (§7.4), for
each pending authorization its http-01 challenge (§8.3: the key authorization is published
through ``ChallengeResponder``, the challenge is answered, the authorization polled until
valid or invalid), then finalize with a CSR, poll the order until valid, and download the
chain (§7.4.2). Every POST is a JWS (``jws``); a ``badNonce`` answer is retried with the
fresh nonce it carries (§6.5).

Must not: write the certificate files or reload TLS (``renewal`` does), or open sockets
itself (the transport does).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from courriel.acme.csr import make_certificate_request
from courriel.acme.errors import AcmeError, AcmeProblem, AcmeProtocolError, ValidationFailed
from courriel.acme.jws import key_authorization, sign_request
from courriel.acme.messages import (
    HTTP_01,
    Authorization,
    Directory,
    Order,
    finalize_payload,
    new_account_payload,
    new_order_payload,
    parse_json,
    problem_from_response,
)
from courriel.acme.transport import HttpResponse, HttpTransport

log = logging.getLogger("courriel.acme")

JOSE_JSON = "application/jose+json"
PEM_CHAIN = "application/pem-certificate-chain"
BAD_NONCE_RETRIES = 5


class ChallengeResponder(Protocol):
    """Where http-01 key authorizations are published for the ``http`` listener to serve."""

    def publish(self, token: str, key_authorization: str) -> None: ...

    def withdraw(self, token: str) -> None: ...


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    """A certificate chain (PEM, leaf first) and the private key of its leaf (PEM)."""

    chain_pem: bytes
    key_pem: bytes


Sleep = Callable[[float], Awaitable[None]]


class AcmeClient:
    """One ACME account at one CA. ``poll_interval`` is the wait between two polls when the
    server sends no Retry-After; ``poll_timeout`` bounds each wait for a status."""

    def __init__(
        self,
        transport: HttpTransport,
        directory_url: str,
        account_key: ec.EllipticCurvePrivateKey,
        *,
        contact_email: str = "",
        poll_interval: float = 1.0,
        poll_timeout: float = 120.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.transport = transport
        self.directory_url = directory_url
        self.account_key = account_key
        self.contact_email = contact_email
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self._sleep = sleep
        self._directory: Directory | None = None
        self._nonce: str | None = None
        self._account_url: str | None = None
        self._retry_after = poll_interval

    # ----------------------------------------------------------------- the whole flow

    async def obtain_certificate(
        self, names: Sequence[str], challenges: ChallengeResponder
    ) -> IssuedCertificate:
        """A certificate for ``names`` proven by http-01, or ``AcmeError``."""
        await self.register()
        order = await self.new_order(names)
        for url in order.authorizations:
            await self.authorize(url, challenges)
        order = await self._poll_order(order, ("ready", "valid"))
        request = make_certificate_request(names)
        if order.status == "ready":
            response = await self._post(order.finalize, finalize_payload(request.csr_der))
            order = Order.parse(order.url, response.body)
            order = await self._poll_order(order, ("valid",))
        if not order.certificate:
            raise AcmeProtocolError("the valid order has no certificate URL")
        chain = await self._post(order.certificate, None, accept=PEM_CHAIN)
        if b"-----BEGIN CERTIFICATE-----" not in chain.body:
            raise AcmeProtocolError("the certificate download is not a PEM chain")
        return IssuedCertificate(chain.body, request.key_pem)

    # ----------------------------------------------------------------- steps

    async def directory(self) -> Directory:
        """RFC 8555 §7.1.1, fetched once per client."""
        if self._directory is None:
            response = await self.transport.request("GET", self.directory_url)
            if response.status != 200:
                raise problem_from_response(
                    response.status, response.header("content-type"), response.body
                )
            self._directory = Directory.parse(response.body)
        return self._directory

    async def register(self) -> str:
        """RFC 8555 §7.3: the account URL of our key (created with the contact if new)."""
        if self._account_url is None:
            directory = await self.directory()
            response = await self._post(
                directory.new_account, new_account_payload(self.contact_email), with_jwk=True
            )
            account = parse_json(response.body, "account")
            if account.get("status") != "valid":
                raise AcmeError(f"the ACME account is {account.get('status')!r}, not valid")
            location = response.header("location")
            if not location:
                raise AcmeProtocolError("newAccount answered without a Location")
            self._account_url = location
            log.info("ACME account %s at %s", location, self.directory_url)
        return self._account_url

    async def new_order(self, names: Sequence[str]) -> Order:
        """RFC 8555 §7.4: an order for ``names``."""
        directory = await self.directory()
        response = await self._post(directory.new_order, new_order_payload(names))
        location = response.header("location")
        if not location:
            raise AcmeProtocolError("newOrder answered without a Location")
        order = Order.parse(location, response.body)
        if order.status == "invalid":
            raise order.error or AcmeError("the new order is invalid")
        return order

    async def authorize(self, url: str, challenges: ChallengeResponder) -> None:
        """Bring one authorization to "valid" with its http-01 challenge (RFC 8555 §7.5)."""
        authorization = Authorization.parse(url, (await self._post(url, None)).body)
        if authorization.status == "valid":
            return  # §7.1.3: the CA may reuse an authorization it already validated
        if authorization.status != "pending":
            raise _validation_failure(authorization)
        challenge = authorization.challenge(HTTP_01)
        if challenge is None:
            raise AcmeError(f"the CA offers no http-01 challenge for {authorization.name}")
        challenges.publish(challenge.token, key_authorization(challenge.token, self.account_key))
        try:
            # §7.5.1: an empty object tells the server the response is in place.
            await self._post(challenge.url, {})
            authorization = await self._poll_authorization(authorization)
        finally:
            challenges.withdraw(challenge.token)
        if authorization.status != "valid":
            raise _validation_failure(authorization)
        log.info("ACME: %s validated (http-01)", authorization.name)

    # ----------------------------------------------------------------- polling

    async def _poll_authorization(self, authorization: Authorization) -> Authorization:
        deadline = time.monotonic() + self.poll_timeout
        while authorization.status == "pending":
            response = await self._wait_and_fetch(authorization.url, deadline, "authorization")
            authorization = Authorization.parse(authorization.url, response.body)
        return authorization

    async def _poll_order(self, order: Order, wanted: tuple[str, ...]) -> Order:
        deadline = time.monotonic() + self.poll_timeout
        while order.status not in wanted:
            if order.status == "invalid":
                raise order.error or AcmeError(f"the order {order.url} became invalid")
            response = await self._wait_and_fetch(order.url, deadline, "order")
            order = Order.parse(order.url, response.body)
        return order

    async def _wait_and_fetch(self, url: str, deadline: float, what: str) -> HttpResponse:
        if time.monotonic() > deadline:
            raise AcmeError(f"the {what} {url} did not change within {self.poll_timeout:.0f} s")
        await self._sleep(self._retry_after)
        return await self._post(url, None)

    # ----------------------------------------------------------------- signed requests

    async def _post(
        self,
        url: str,
        payload: Mapping[str, Any] | None,
        *,
        with_jwk: bool = False,
        accept: str | None = None,
    ) -> HttpResponse:
        """A signed POST (``payload=None``: POST-as-GET, §6.3); errors raise ``AcmeProblem``."""
        for attempt in range(BAD_NONCE_RETRIES + 1):
            body = sign_request(
                self.account_key,
                url=url,
                nonce=await self._take_nonce(),
                payload=payload,
                account_url=None if with_jwk else await self.register(),
            )
            headers = {"Content-Type": JOSE_JSON}
            if accept:
                headers["Accept"] = accept
            response = await self.transport.request("POST", url, body=body, headers=headers)
            self._nonce = response.header("replay-nonce") or None
            self._retry_after = _retry_after(response, self.poll_interval)
            if response.status < 400:
                return response
            problem = problem_from_response(
                response.status, response.header("content-type"), response.body
            )
            if not problem.is_bad_nonce or attempt == BAD_NONCE_RETRIES:
                raise problem
            log.debug("ACME: nonce rejected, retrying %s", url)  # §6.5
        raise AssertionError("unreachable")  # pragma: no cover

    async def _take_nonce(self) -> str:
        """The nonce of the last answer, or a new one from newNonce (RFC 8555 §7.2)."""
        if self._nonce is not None:
            nonce, self._nonce = self._nonce, None
            return nonce
        directory = await self.directory()
        response = await self.transport.request("HEAD", directory.new_nonce)
        nonce = response.header("replay-nonce")
        if response.status >= 400 or not nonce:
            raise AcmeProtocolError(f"newNonce gave no Replay-Nonce (HTTP {response.status})")
        return nonce


def _retry_after(response: HttpResponse, default: float) -> float:
    """RFC 8555 §7.5.1 / RFC 7231 §7.1.3: seconds to wait before the next poll (at most a
    minute; a date form is treated as the default)."""
    value = response.header("retry-after").strip()
    if value.isdigit():
        return min(float(value), 60.0)
    return default


def _validation_failure(authorization: Authorization) -> AcmeProblem:
    problem = authorization.failure()
    if problem is None:
        return ValidationFailed(
            authorization.name,
            "urn:ietf:params:acme:error:unauthorized",
            f"the authorization is {authorization.status}",
        )
    return ValidationFailed(authorization.name, problem.problem_type, problem.detail)
