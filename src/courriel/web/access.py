"""The webmail's HTTP access log, and the one place a request's failure is logged.

Owns: ``AccessLog``, an ASGI wrapper put around the app for each connection by
``server.py``. It writes one line per request on the ``courriel.web.access`` logger: the
client's IP address, the logged-in account's address (``-`` when none), the method, the
path *without* its query string (a query may carry a search or a token: it is never
logged), the status, the response body's bytes and the duration in milliseconds, with the
connection id (as the listener's lines have it). In JSON logs each of these is a field.

A request that raises is logged once, with its traceback, on ``courriel.web`` with the
connection id; the client gets a plain 500 if nothing was answered yet, or sees its
connection closed mid-response; never a traceback. A client that went away
(``ClientDisconnect``) is not an error.

``note_account`` tells the line whose request it is: the webmail finds the session of every
request through ``WebContext.session``, which notes the account in the request's
``AccessRecord`` (a context variable: each request runs in its own task).

Must not: log query strings, cookies, form fields or any other header; parse HTTP.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("courriel.web.access")
log = logging.getLogger("courriel.web")

ACCESS_RECORD = "courriel.access"
"""Scope key of the request's ``AccessRecord`` (the HTTP server notes a 408 in it)."""
MAX_LOGGED_PATH = 300
"""Longer paths are cut in the log (a path is at most the request head's 64 KiB)."""

_SERVER_ERROR = (
    b"internal server error\n",
    [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
)


@dataclass(slots=True)
class AccessRecord:
    """What one request's line says, filled in as the request goes."""

    started: float
    status: int = 0
    """0 until a response starts (``-`` in the line: the client left before an answer)."""
    sent: int = 0
    account: str = "-"
    unheard: bool = False
    """What the app sends from now on goes nowhere: the client left, or the HTTP server
    answered in the app's place (408)."""

    def server_answered(self, status: int, sent: int) -> None:
        self.status, self.sent = status, sent
        self.unheard = True


_current: contextvars.ContextVar[AccessRecord | None] = contextvars.ContextVar(
    "courriel_web_access_record", default=None
)


def note_account(address: str) -> None:
    """Name the account of the request being served (nothing outside a request)."""
    record = _current.get()
    if record is not None:
        record.account = address


def logged_path(scope: Scope) -> str:
    """The request's path as the client sent it (still percent-encoded: a line never holds
    a line break), without the query string, cut to ``MAX_LOGGED_PATH``."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", ""))
    path = path.partition("?")[0] or "/"
    return path if len(path) <= MAX_LOGGED_PATH else path[:MAX_LOGGED_PATH] + "..."


def write_access_line(
    connection_id: str,
    client: str,
    method: str,
    path: str,
    record: AccessRecord,
    duration: float,
) -> None:
    """The request's line on ``courriel.web.access``."""
    milliseconds = round(duration * 1000)
    access_log.info(
        "%s %s %s %s %s %d %dms %s",
        client,
        record.account,
        method,
        path,
        record.status or "-",
        record.sent,
        milliseconds,
        connection_id,
        extra={
            "connection": connection_id,
            "client": client,
            "account": record.account,
            "method": method,
            "path": path,
            "status": record.status or None,
            "bytes": record.sent,
            "duration_ms": milliseconds,
        },
    )


class AccessLog:
    """ASGI wrapper of one connection's requests: the access line, and failures logged
    once. ``break_response`` closes the connection when a response fails after it
    started (a truncated page must not look complete)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        connection_id: str,
        client: str,
        break_response: Callable[[Scope], None],
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.connection_id = connection_id
        self.client = client
        self.break_response = break_response
        self.enabled = enabled
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = AccessRecord(started=self.clock())
        scope[ACCESS_RECORD] = record

        async def watched(message: Message) -> None:
            if not record.unheard:
                if message["type"] == "http.response.start":
                    record.status = int(message["status"])
                elif message["type"] == "http.response.body":
                    record.sent += len(message.get("body", b""))
            await send(message)

        async def received() -> Message:
            message = await receive()
            # From the server itself (inner middleware may fake one, e.g. BodyLimit's).
            if message["type"] == "http.disconnect":
                record.unheard = True
            return message

        token = _current.set(record)
        try:
            await self.app(scope, received, watched)
        except ClientDisconnect:
            pass  # the client left, or was cut off for a slow body: nothing to answer
        except Exception:
            # The one place a request's failure is logged; the client never sees it.
            log.exception(
                "connection %s: %s %s failed",
                self.connection_id,
                scope.get("method", "-"),
                logged_path(scope),
                extra={"connection": self.connection_id},
            )
            await self._answer_failure(record, scope, watched)
        finally:
            _current.reset(token)
            if self.enabled:
                write_access_line(
                    self.connection_id,
                    self.client,
                    str(scope.get("method", "-")),
                    logged_path(scope),
                    record,
                    self.clock() - record.started,
                )

    async def _answer_failure(self, record: AccessRecord, scope: Scope, send: Send) -> None:
        if record.status or record.unheard:
            self.break_response(scope)
            return
        body, headers = _SERVER_ERROR
        await send({"type": "http.response.start", "status": 500, "headers": headers})
        await send({"type": "http.response.body", "body": body})
