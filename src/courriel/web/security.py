"""HTTP security of the webmail: response headers, cookies and same-origin checks.

Owns: the headers every response carries (``SecurityHeaders``, a plain ASGI middleware so
streamed responses such as server-sent events pass through untouched), the strict Content
Security Policy of our pages (scripts and styles from our own ``/static`` only, no inline
code, no framing), the policy of the sandboxed message frame (no scripts at all, images only
when the user asked), the attachment policy, the cookie attributes (``__Host-`` prefix,
``Secure``, ``HttpOnly``, ``SameSite=Strict``), and the Origin check on state-changing
requests (in addition to the CSRF token).

References: CSP Level 3 (W3C), RFC 6265bis §4.1.3 cookie prefixes and §5.4.7 SameSite,
RFC 6797 (HSTS), RFC 7034 (X-Frame-Options), Fetch §3.7 (X-Content-Type-Options).

Must not: know mail, sessions or templates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "__Host-courriel-session"
LOGIN_COOKIE = "__Host-courriel-login"
"""The pre-login CSRF token (double-submit: the login form carries the same value)."""

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
"""Our own pages: everything from our origin, nothing inline, never framed."""


def message_frame_policy(*, remote_images: bool) -> str:
    """The policy of a sanitised HTML message shown in the sandboxed frame: no script, no
    form, no plugin, no navigation target of its own; inline styles (mail relies on them);
    images embedded as data: URLs, and remote ones only when the user asked."""
    images = "data: https: http:" if remote_images else "data:"
    return (
        f"default-src 'none'; style-src 'unsafe-inline'; img-src {images}; "
        "font-src 'none'; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
    )


ATTACHMENT_POLICY = "default-src 'none'; sandbox"
"""Downloads: should a browser render one anyway, it renders inert."""

_COMMON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeaders:
    """Adds the security headers to every HTTP response: the common ones, and a default
    CSP, X-Frame-Options and Cache-Control when the route set none of its own."""

    def __init__(self, app: ASGIApp, *, https: bool = True) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(_COMMON_HEADERS)
                if self.https:
                    headers.append(HSTS)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_POLICY.encode()))
                if b"x-frame-options" not in present:
                    headers.append((b"x-frame-options", b"DENY"))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies larger than ``limit`` bytes: ``413`` when Content-Length says
    so, and a body that grows past it while streaming ends the request the same way (the
    app sees a disconnect). Form parsers keep fields in memory; this bounds them.
    ``wider`` gives the paths under some prefixes (``/compose``: attachments) their own
    limit."""

    def __init__(self, app: ASGIApp, *, limit: int, wider: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.wider = dict(wider or {})

    def limit_of(self, path: str) -> int:
        for prefix, limit in self.wider.items():
            if path == prefix or path.startswith(prefix + "/"):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _too_large(send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counted, send)


async def _too_large(send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": b"request too large\n"})


def cookie_attributes(max_age: int | None) -> dict[str, Any]:
    """Keyword arguments of ``Response.set_cookie`` for our cookies (``__Host-`` rules:
    Secure, Path=/, no Domain)."""
    return {
        "max_age": max_age,
        "path": "/",
        "secure": True,
        "httponly": True,
        "samesite": "strict",
    }


def forget_cookie(response: Response, name: str) -> None:
    """Tell the browser to drop one of our cookies (the same attributes it was set with)."""
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="strict")


def same_origin(headers: Iterable[tuple[str, str]], host: str | None) -> bool:
    """False when the request says it comes from another origin. Browsers that send
    ``Sec-Fetch-Site`` (Fetch Metadata) are believed: only ``same-origin`` passes (``none``
    too: the user's own navigation). Otherwise an ``Origin`` header must name ``host``.
    Requests with neither (old browsers, scripts) or with ``Origin: null`` and no fetch
    metadata pass; the CSRF token still protects them."""
    origin = None
    fetch_site = None
    for name, value in headers:
        lowered = name.lower()
        if lowered == "origin":
            origin = value
        elif lowered == "sec-fetch-site":
            fetch_site = value.strip().lower()
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    if origin is None or origin == "null":
        return True
    if host is None:
        return False
    scheme, _, rest = origin.partition("://")
    return scheme in ("https", "http") and rest.lower() == host.lower()
