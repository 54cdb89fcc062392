"""Live updates for open webmail pages: server-sent events fed by the ChangeBus.

Owns: ``/events``, a ``text/event-stream`` (HTML Living Standard §9.2) of the logged-in
account's mailbox changes after commit — ``event: mailbox`` with ``{"mailbox": id,
"kind": ...}`` — a comment every ``HEARTBEAT`` seconds so proxies keep the stream open,
and ``event: resync`` when the subscription fell behind (the page then reloads its counts).
The stream ends when the client goes, the session ends, or the server stops: the HTTP
server puts a ``ServerStopping`` in the requests' state (``SERVER_STOPPING``), and its
``stop()`` ends every open stream at once, cleanly (the browser's ``EventSource``
reconnects after ``retry``), instead of holding the server's stop for the listener's grace.

Must not: send message content (pages fetch what they show), or outlive the session.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from courriel.web.context import WebContext
from courriel.web.security import SESSION_COOKIE
from courriel.web.sessions import OpenSession

HEARTBEAT = 25.0
SESSION_CHECK = 60.0
"""How often an open stream checks that its session still exists (logout elsewhere)."""
SERVER_STOPPING = "server_stopping"
"""Key of the ``ServerStopping`` in the ASGI scope's ``state`` (``request.state``)."""


class ServerStopping:
    """The HTTP server's stop, as long-lived responses see it: ``stop()`` runs the
    callbacks registered with ``on_stop`` (once); one registered after runs at once."""

    def __init__(self) -> None:
        self.stopped = False
        self._callbacks: set[Callable[[], None]] = set()

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        callbacks, self._callbacks = self._callbacks, set()
        for callback in callbacks:
            callback()

    @contextlib.contextmanager
    def on_stop(self, callback: Callable[[], None]) -> Iterator[None]:
        """``callback`` runs when the server stops during the block."""
        if self.stopped:
            callback()
        else:
            self._callbacks.add(callback)
        try:
            yield
        finally:
            self._callbacks.discard(callback)


def server_stopping(request: Request) -> ServerStopping:
    """The server's ``ServerStopping``; a server without one never stops the stream."""
    stopping = request.scope.get("state", {}).get(SERVER_STOPPING)
    return stopping if isinstance(stopping, ServerStopping) else ServerStopping()


class EventViews:
    def __init__(self, context: WebContext) -> None:
        self.context = context

    async def events(self, request: Request) -> Response:
        session = await self.context.session(request)
        if session is None:
            return Response(status_code=401)
        return StreamingResponse(
            self._stream(request, session),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    async def _stream(self, request: Request, session: OpenSession) -> AsyncIterator[bytes]:
        subscription = self.context.bus.subscribe(session.account.id)
        clock = self.context.clock
        checked = clock.now()
        stopped = False

        def stop() -> None:  # the server stops: the waiting get() returns at once
            nonlocal stopped
            stopped = True
            subscription.close()

        with server_stopping(request).on_stop(stop):
            try:
                yield b"retry: 5000\n\n"
                while True:
                    change = await subscription.get(timeout=HEARTBEAT)
                    if stopped or await request.is_disconnected():
                        return
                    if clock.now() - checked >= SESSION_CHECK:
                        checked = clock.now()
                        token = request.cookies.get(SESSION_COOKIE)
                        if await self.context.sessions.find(token) is None:
                            return
                    if subscription.overflowed:
                        yield b"event: resync\ndata: {}\n\n"
                        return
                    if change is None:
                        yield b": keep-alive\n\n"
                        continue
                    data = json.dumps({"mailbox": change.mailbox_id, "kind": change.kind})
                    yield f"event: mailbox\ndata: {data}\n\n".encode()
            finally:
                subscription.close()
