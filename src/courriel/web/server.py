"""The webmail on courriel's own listeners: HTTP/1.1 by uvicorn's h11 protocol.

Owns: ``web_server``, the ``ProtocolServer`` of the ``https`` and ``http`` listeners
(``runtime.protocol_servers``). courriel's ``net.Listener`` binds, applies the per-IP limit,
does the TLS handshake with the reloadable ``TlsContextProvider`` (SIGHUP swaps the
certificate for new handshakes, as for IMAP and SMTP) and counts the session; each accepted
connection is then handed to a uvicorn ``H11Protocol`` (``Connection.hand_over``), which
speaks HTTP/1.1 with keep-alive to the ASGI app. Uvicorn's own ``Server`` (its socket
binding, signal handlers and tick loop) is not used.

Stopping: when the listener cancels a session (after its grace), the protocol is asked to
finish the response under way and close; a stream that does not end (server-sent events)
is closed, then aborted.

Must not: parse HTTP itself, or change the process's signal handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.config import Config as UvicornConfig
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from courriel.net import Connection, TlsContextProvider
from courriel.web.app import create_app, redirect_app
from courriel.web.compose_views import Sending
from courriel.web.management import Management, ServerStatus

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from courriel.config import EnabledListener
    from courriel.runtime.server import ProtocolServer
    from courriel.runtime.services import Services

log = logging.getLogger("courriel.web")

KEEP_ALIVE = 15
"""Seconds an idle keep-alive connection stays open."""
HEAD_TIMEOUT = 20.0
"""Seconds a request head (request line and header fields) may take from its first byte."""
MAX_HEADER_BYTES = 64 * 1024
"""Largest request head (request line and header fields) accepted."""
SHUTDOWN_WAIT = 1.0
"""After the listener's grace: how long the response under way may still take once asked
to finish (a server-sent event stream never does) before the connection is closed."""

_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n"
    b"content-length: 30\r\nconnection: close\r\nretry-after: 10\r\n\r\n"
    b"too many connections, retry.\r\n"
)


class _Http11(H11Protocol):
    """Uvicorn's h11 protocol, with two timers it lacks:

    - the keep-alive timer also starts at connection time: a client that connects and
      never sends a request is closed after ``KEEP_ALIVE`` seconds, as an idle kept-alive
      one is (uvicorn starts it only after a response);
    - a request head must arrive whole within ``head_timeout`` seconds of its first byte
      (uvicorn cancels its only timer at the first byte, so a client sending a head a byte
      at a time, or half a head and then nothing, held the connection for ever: the
      "slowloris" attack, which only the per-IP limit bounded).
    """

    head_timeout = HEAD_TIMEOUT
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        unprocessed, _ = self.conn.trailing_data
        waiting_for_head = self.conn.their_state is h11.IDLE and bool(unprocessed)
        if waiting_for_head and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)
        elif not waiting_for_head and self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)


class HttpOnConnection:
    """Runs HTTP/1.1 on accepted ``Connection`` objects for one ASGI app."""

    def __init__(
        self, app: ASGIApp, *, keep_alive: float = KEEP_ALIVE, head_timeout: float = HEAD_TIMEOUT
    ) -> None:
        self.head_timeout = head_timeout
        self.config = UvicornConfig(
            app,
            lifespan="off",
            log_config=None,
            proxy_headers=False,
            server_header=False,
            date_header=True,
            timeout_keep_alive=keep_alive,  # type: ignore[arg-type]  # a float works
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            http="h11",
            ws="none",
        )
        self.config.load()
        self.state = ServerState()
        self.app_state: dict[str, Any] = {}

    async def serve(self, connection: Connection) -> None:
        """One connection, until the client or the keep-alive timeout closes it."""
        protocol = _Http11(self.config, self.state, self.app_state)
        protocol.head_timeout = self.head_timeout
        closed = connection.hand_over(protocol)
        try:
            await asyncio.shield(closed)
        except asyncio.CancelledError:
            protocol.shutdown()  # finish the response under way, then close
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(closed), SHUTDOWN_WAIT)
            if not closed.done():
                connection.close()
            raise

    async def refuse(self, connection: Connection) -> None:
        """Over the per-IP limit: a 503, then close."""
        connection.write(_REFUSED)


def web_server(
    services: Services, tls: TlsContextProvider, listener: EnabledListener
) -> ProtocolServer:
    """The ``https`` listener serves the webmail; a plain ``http`` one redirects to it."""
    from courriel.runtime.server import ProtocolServer  # noqa: PLC0415 - runtime imports us

    config = services.config
    if listener.tls == "none":
        https = config.listeners.https
        app = redirect_app(https.port)
    else:
        app = create_app(
            mailstore=services.mailstore,
            auth=services.auth,
            sessions=services.web_sessions,
            bus=services.bus,
            clock=services.clock,
            page_size=config.web.page_size,
            management=Management(
                services.directory,
                services.spam,
                services.queue,
                services.security_log,
                ServerStatus(
                    config.enabled_listeners(), config.storage.path, lambda: tls.certificate
                ),
                config.server.hostname,
            ),
            sending=Sending(services.delivery, config.limits.max_message_size),
        )
    http = HttpOnConnection(app)
    return ProtocolServer(http.serve, on_refused=http.refuse)
