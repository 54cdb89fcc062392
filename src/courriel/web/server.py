"""The webmail on courriel's own listeners: HTTP/1.1 by uvicorn's h11 protocol.

Owns: ``web_server``, the ``ProtocolServer`` of the ``https`` and ``http`` listeners
(``runtime.protocol_servers``). courriel's ``net.Listener`` binds, applies the per-IP limit,
does the TLS handshake with the reloadable ``TlsContextProvider`` (SIGHUP swaps the
certificate for new handshakes, as for IMAP and SMTP) and counts the session; each accepted
connection is then handed to a uvicorn ``H11Protocol`` (``Connection.hand_over``), which
speaks HTTP/1.1 with keep-alive to the ASGI app. Uvicorn's own ``Server`` (its socket
binding, signal handlers and tick loop) is not used.

Each connection's requests go through ``access.AccessLog`` (one line per request on
``courriel.web.access``, failures logged once with the connection id). Beside uvicorn's
keep-alive timer, ``_Http11`` bounds how long a request head and a request body may take
(slowloris, and its slow-body variant: a body too slow is answered 408 and the
connection closed, RFC 9110 §15.5.9).

Stopping: ``HttpOnConnection.stop()`` (the runtime calls it as the server begins to stop)
closes idle kept-alive connections, lets each response under way finish and then closes
its connection, and ends the server-sent event streams (``events.ServerStopping``), so a
browser's open stream does not hold the stop for the listener's grace. When the listener
cancels a session still there after its grace, the protocol is asked the same; a
response that still does not end is closed, then aborted.

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

from courriel.acme.challenges import ChallengeDirectory, challenge_directory
from courriel.net import Connection, ConnectionInfo, TlsContextProvider
from courriel.web.access import (
    ACCESS_RECORD,
    AccessLog,
    AccessRecord,
    write_access_line,
)
from courriel.web.app import create_app, redirect_app
from courriel.web.compose_views import Sending
from courriel.web.events import SERVER_STOPPING, ServerStopping
from courriel.web.management import Management, ServerStatus

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Scope

    from courriel.config import EnabledListener
    from courriel.runtime.server import ProtocolServer
    from courriel.runtime.services import Services

log = logging.getLogger("courriel.web")

KEEP_ALIVE = 15
"""Seconds an idle keep-alive connection stays open."""
HEAD_TIMEOUT = 20.0
"""Seconds a request head (request line and header fields) may take from its first byte."""
BODY_TIMEOUT = 20.0
"""Seconds a request body may take, plus one second per ``BODY_MIN_RATE`` bytes received
(``[web] body_timeout``)."""
BODY_MIN_RATE = 500
"""Bytes per second a long request body must keep up (``[web] body_min_rate``)."""
MAX_HEADER_BYTES = 64 * 1024
"""Largest request head (request line and header fields) accepted."""
SHUTDOWN_WAIT = 1.0
"""After the listener's grace: how long the response under way may still take once asked
to finish (a server-sent event stream never does) before the connection is closed."""
STOP_CLOSE_WAIT = 1.0
"""While the server stops: how long a connection we closed waits for the client's part of
the TLS close (its close_notify, which an idle client that is not reading never sends)
before it is dropped."""

_BODY_TOO_SLOW = b"request body too slow\r\n"
_REFUSED = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n"
    b"content-length: 30\r\nconnection: close\r\nretry-after: 10\r\n\r\n"
    b"too many connections, retry.\r\n"
)


class _Http11(H11Protocol):
    """Uvicorn's h11 protocol, with the access log around the app and three timers it
    lacks:

    - the keep-alive timer also starts at connection time: a client that connects and
      never sends a request is closed after ``KEEP_ALIVE`` seconds, as an idle kept-alive
      one is (uvicorn starts it only after a response);
    - a request head must arrive whole within ``head_timeout`` seconds of its first byte
      (uvicorn cancels its only timer at the first byte, so a client sending a head a byte
      at a time, or half a head and then nothing, held the connection for ever: the
      "slowloris" attack, which only the per-IP limit bounded);
    - a request body must arrive within ``body_timeout`` seconds, plus one second per
      ``body_min_rate`` bytes received (as Apache's mod_reqtimeout ``MinRate``): a client
      dribbling a body is answered 408 Request Timeout when nothing was answered yet
      (RFC 9110 §15.5.9) and its connection closed, and the app reading the body sees the
      client gone. Time the server itself is not reading (the app is behind and reading
      is paused, or the client waits for our ``100 Continue``, RFC 9110 §10.1.1) does not
      count: the body's time starts again.
    """

    head_timeout = HEAD_TIMEOUT
    body_timeout = BODY_TIMEOUT
    body_min_rate = BODY_MIN_RATE
    _head_timer: asyncio.TimerHandle | None = None
    _body_timer: asyncio.TimerHandle | None = None
    _close_timer: asyncio.TimerHandle | None = None
    _stopping = False

    def __init__(
        self,
        config: UvicornConfig,
        server_state: ServerState,
        app_state: dict[str, Any],
        *,
        connection: ConnectionInfo,
        access_log: bool = True,
    ) -> None:
        super().__init__(config, server_state, app_state)
        self.connection_info = connection
        self.access_lines = access_log
        # Uvicorn's own messages (a request it could not parse) go to our log; its access
        # lines (with query strings) are never written: ours replace them.
        self.logger = log
        self.access_log = False
        self.app = AccessLog(
            self.app,
            connection_id=connection.id,
            client=connection.peer_ip,
            break_response=self._break_response,
            enabled=access_log,
        )
        self._received = 0
        """Bytes received on this connection so far."""
        self._body_started = 0.0
        self._body_received_before = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def data_received(self, data: bytes) -> None:
        self._received += len(data)
        super().data_received(data)
        unprocessed, _ = self.conn.trailing_data
        waiting_for_head = self.conn.their_state is h11.IDLE and bool(unprocessed)
        if waiting_for_head and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_too_slow)
        elif not waiting_for_head and self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def handle_events(self) -> None:
        # Also called when a response completes (a pipelined request may start then).
        super().handle_events()
        receiving_body = self.conn.their_state is h11.SEND_BODY
        if receiving_body and self._body_timer is None:
            self._start_body_time()
        elif not receiving_body and self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def _start_body_time(self) -> None:
        self._body_started = self.loop.time()
        self._body_received_before = self._received
        self._body_timer = self.loop.call_later(self.body_timeout, self._check_body_time)

    def _check_body_time(self) -> None:
        self._body_timer = None
        if self.conn.their_state is not h11.SEND_BODY or self.transport.is_closing():
            return
        cycle = self.cycle
        if self.flow.read_paused or (cycle is not None and cycle.waiting_for_100_continue):
            self._start_body_time()  # we are not reading: not the client's slowness
            return
        received = self._received - self._body_received_before
        allowed = self.body_timeout + (received / self.body_min_rate if self.body_min_rate else 0)
        late = self.loop.time() - self._body_started - allowed
        if late < 0:
            self._body_timer = self.loop.call_later(-late, self._check_body_time)
            return
        self._body_too_slow()

    def _body_too_slow(self) -> None:
        info = self.connection_info
        log.info(
            "connection %s: request body too slow, closed", info.id, extra={"connection": info.id}
        )
        cycle = self.cycle
        if cycle is not None and not cycle.response_started and not cycle.disconnected:
            # The app's receive() now says the client left; what it sends is dropped.
            cycle.disconnected = True
            cycle.message_event.set()
            record = cycle.scope.get(ACCESS_RECORD)
            if isinstance(record, AccessRecord):
                record.server_answered(408, len(_BODY_TOO_SLOW))
            self.transport.write(self._request_timeout_response())
        self.transport.close()

    def _request_timeout_response(self) -> bytes:
        """408, then the connection closes (RFC 9110 §15.5.9)."""
        headers = [
            *self.server_state.default_headers,
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(_BODY_TOO_SLOW)).encode()),
            (b"connection", b"close"),
        ]
        events: list[h11.Event] = [
            h11.Response(status_code=408, headers=headers, reason=b"Request Timeout"),
            h11.Data(data=_BODY_TOO_SLOW),
            h11.EndOfMessage(),
        ]
        return b"".join(self.conn.send(event) or b"" for event in events)

    def _break_response(self, scope: Scope) -> None:
        """The app failed after its response started: close the connection, so the
        client sees a truncated response as broken, not complete."""
        cycle = self.cycle
        if cycle is None or cycle.scope is not scope or cycle.response_complete:
            return
        cycle.disconnected = True  # uvicorn has nothing more to say about it
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """A request h11 could not parse: uvicorn's 400, and its access line."""
        super().send_400_response(msg)
        if self.access_lines:
            info = self.connection_info
            record = AccessRecord(started=0.0, status=400, sent=len(msg))
            write_access_line(info.id, info.peer_ip, "-", "-", record, 0.0)

    def shutdown(self) -> None:
        """The server stops: close now if idle, else once the response under way is done;
        either way the connection is dropped ``STOP_CLOSE_WAIT`` seconds after it closed."""
        self._stopping = True
        if not self.transport.is_closing():  # a closing one may be in h11's ERROR state
            super().shutdown()
        self._drop_when_close_hangs()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._stopping:
            self._drop_when_close_hangs()

    def _drop_when_close_hangs(self) -> None:
        if self.transport.is_closing() and self._close_timer is None:
            self._close_timer = self.loop.call_later(STOP_CLOSE_WAIT, self.transport.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._head_timer, self._body_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = self._close_timer = None
        super().connection_lost(exc)


class HttpOnConnection:
    """Runs HTTP/1.1 on accepted ``Connection`` objects for one ASGI app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        keep_alive: float = KEEP_ALIVE,
        head_timeout: float = HEAD_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        body_min_rate: int = BODY_MIN_RATE,
        access_log: bool = True,
    ) -> None:
        self.head_timeout = head_timeout
        self.body_timeout = body_timeout
        self.body_min_rate = body_min_rate
        self.access_log = access_log
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
        self.stopping = ServerStopping()
        self.app_state: dict[str, Any] = {SERVER_STOPPING: self.stopping}

    async def serve(self, connection: Connection) -> None:
        """One connection, until the client or the keep-alive timeout closes it."""
        protocol = _Http11(
            self.config,
            self.state,
            self.app_state,
            connection=connection.info,
            access_log=self.access_log,
        )
        protocol.head_timeout = self.head_timeout
        protocol.body_timeout = self.body_timeout
        protocol.body_min_rate = self.body_min_rate
        closed = connection.hand_over(protocol)
        if self.stopping.stopped:
            protocol.shutdown()  # accepted as the server stops: no new request
        try:
            await asyncio.shield(closed)
        except asyncio.CancelledError:
            protocol.shutdown()  # finish the response under way, then close
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(closed), SHUTDOWN_WAIT)
            if not closed.done():
                connection.close()
            raise

    def stop(self) -> None:
        """The server begins to stop: idle connections close now, each response under way
        finishes and then its connection closes, and server-sent event streams end, so
        that the listener's wait for its sessions ends as soon as they are done."""
        for protocol in list(self.state.connections):
            protocol.shutdown()
        self.stopping.stop()

    async def refuse(self, connection: Connection) -> None:
        """Over the per-IP limit: a 503, then close."""
        connection.write(_REFUSED)


def web_server(
    services: Services, tls: TlsContextProvider, listener: EnabledListener
) -> ProtocolServer:
    """The ``https`` listener serves the webmail; a plain ``http`` one redirects to it."""
    from courriel.runtime.server import ProtocolServer  # noqa: PLC0415 - runtime imports us

    config = services.config
    web = config.web
    if listener.tls == "none":
        https = config.listeners.https
        app = redirect_app(https.port, ChallengeDirectory(challenge_directory(config.data_dir)))
    else:
        app = create_app(
            mailstore=services.mailstore,
            auth=services.auth,
            sessions=services.web_sessions,
            bus=services.bus,
            clock=services.clock,
            page_size=web.page_size,
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
            image_senders=services.store.image_senders,
        )
    http = HttpOnConnection(
        app,
        body_timeout=web.body_timeout,
        body_min_rate=web.body_min_rate,
        access_log=web.access_log,
    )
    return ProtocolServer(http.serve, on_refused=http.refuse, on_stop=http.stop)
