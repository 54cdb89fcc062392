"""HTTPS to the ACME server: the ``HttpTransport`` port and its standard-library adapter.

RFC 8555 §6.1: every ACME request goes over HTTPS, with a User-Agent. The adapter runs
``urllib`` in a worker thread (issuance makes a dozen requests a few times a year; no
dependency is worth it), verifies the server against the system trust store or the CA
bundle given (a private CA, or a test CA such as pebble's), reads at most ``MAX_BODY`` bytes
and returns error statuses as responses, for the client to read their problem document.

Must not: know ACME messages (``client`` does), or follow a URL that is not https.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Protocol

from courriel import __version__
from courriel.acme.errors import AcmeError
from courriel.net.tls import make_client_context

USER_AGENT = f"courriel/{__version__} (ACME client)"
MAX_BODY = 1024 * 1024
"""Largest answer read: a certificate chain is a few KiB, an order with 100 names ~20 KiB."""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """One HTTP answer; header names are lower-case."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class HttpTransport(Protocol):
    """Sends one HTTPS request; raises ``AcmeError`` only when no answer came."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse: ...


class UrllibTransport:
    """``HttpTransport`` over ``urllib.request`` in a thread."""

    def __init__(self, *, ca_bundle: Path | None = None, timeout: float = 30.0) -> None:
        try:
            self.ssl_context = make_client_context(verify=True, ca_file=ca_bundle)
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
            raise AcmeError(f"cannot read the ACME CA bundle {ca_bundle}: {error}") from error
        self.timeout = timeout

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        if not url.lower().startswith("https://"):
            raise AcmeError(f"refusing a non-https ACME URL (RFC 8555 §6.1): {url[:200]!r}")
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - https only
        request.add_header("User-Agent", USER_AGENT)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        return await asyncio.to_thread(self._send, request)

    def _send(self, request: urllib.request.Request) -> HttpResponse:
        opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=self.ssl_context), _NoRedirect()
        )
        try:
            with opener.open(request, timeout=self.timeout) as reply:
                return _response(reply.status, reply.headers, reply.read(MAX_BODY))
        except urllib.error.HTTPError as error:
            with error:
                return _response(error.code, error.headers, error.read(MAX_BODY))
        except (OSError, ssl.SSLError) as error:  # URLError, timeouts, TLS failures
            reason = getattr(error, "reason", error)
            raise AcmeError(
                f"cannot reach the ACME server at {request.full_url}: {reason}"
            ) from error


def _response(status: int, headers: Message, body: bytes) -> HttpResponse:
    return HttpResponse(status, {name.lower(): value for name, value in headers.items()}, body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """ACME servers do not redirect; a 30x is answered as it is, never followed (a
    redirect could lead to plain ``http://``, which RFC 8555 §6.1 forbids)."""

    def redirect_request(self, *_: object, **__: object) -> None:
        return None
