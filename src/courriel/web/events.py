"""Live updates for open webmail pages: server-sent events fed by the ChangeBus.

Owns: ``/events``, a ``text/event-stream`` (HTML Living Standard §9.2) of the logged-in
account's mailbox changes after commit — ``event: mailbox`` with ``{"mailbox": id,
"kind": ...}`` — a comment every ``HEARTBEAT`` seconds so proxies keep the stream open,
and ``event: resync`` when the subscription fell behind (the page then reloads its counts).
The stream ends when the client goes, the session ends, or the server stops.

Must not: send message content (pages fetch what they show), or outlive the session.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from courriel.web.context import WebContext
from courriel.web.security import SESSION_COOKIE
from courriel.web.sessions import OpenSession

HEARTBEAT = 25.0
SESSION_CHECK = 60.0
"""How often an open stream checks that its session still exists (logout elsewhere)."""


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
        try:
            yield b"retry: 5000\n\n"
            while True:
                change = await subscription.get(timeout=HEARTBEAT)
                if await request.is_disconnected():
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
