"""A generic asyncio TCP listener that every protocol server runs on.

Owns: binding IPv4 and IPv6 addresses, accepting, implicit TLS, the per-IP connection limit,
one task per session, logging session failures once, and graceful shutdown.

A ``Listener`` knows nothing of SMTP, IMAP or HTTP: it hands each ``Connection`` to a
``handler`` coroutine (the protocol session) and, for a client over its per-IP limit, to
``on_refused`` so the protocol can write its own "too many connections" reply (SMTP ``421``,
IMAP ``* BYE``, POP3 ``-ERR``).

Must not: parse protocol data, send anything to a peer on its own (certainly not a
traceback), or read configuration.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence

from courriel.net.connection import (
    DEFAULT_READ_HIGH_WATER,
    Connection,
    ConnectionInfo,
    _StreamProtocol,
)
from courriel.net.errors import (
    BindError,
    ConnectionClosed,
    ReadTimeout,
    TlsHandshakeError,
)
from courriel.net.ids import ConnectionIdSource
from courriel.net.limits import PerIpLimiter
from courriel.net.tls import TlsContextProvider

log = logging.getLogger("courriel.net")

SessionHandler = Callable[[Connection], Awaitable[None]]

_EPHEMERAL_PORT_ATTEMPTS = 20


class Listener:
    """Accepts connections on one port of one or more addresses and runs a session for each.

    ``addresses`` are IP literals (``"0.0.0.0"``, ``"::"``, ``"127.0.0.1"``...). IPv6 sockets
    are IPV6_V6ONLY, so ``"0.0.0.0"`` and ``"::"`` bind the same port side by side. With
    ``port=0`` the first address gets a free port and the others reuse it; ``port`` tells
    which.

    ``max_connections_per_ip`` (None: no limit) counts concurrent connections per IPv4
    address or IPv6 /64. Timeouts: ``handshake_timeout`` for implicit TLS, ``refusal_timeout``
    for ``on_refused``, ``close_timeout`` for a peer to take our last bytes before we abort,
    ``goodbye_timeout`` for cancelled sessions to finish their goodbye during ``stop``.
    """

    def __init__(
        self,
        name: str,
        addresses: Sequence[str],
        port: int,
        handler: SessionHandler,
        *,
        tls: TlsContextProvider | None = None,
        implicit_tls: bool = False,
        max_connections_per_ip: int | None = None,
        on_refused: SessionHandler | None = None,
        ids: ConnectionIdSource | None = None,
        handshake_timeout: float = 30.0,
        refusal_timeout: float = 10.0,
        close_timeout: float = 10.0,
        goodbye_timeout: float = 5.0,
        backlog: int = 128,
        read_high_water: int = DEFAULT_READ_HIGH_WATER,
    ) -> None:
        if not addresses:
            raise ValueError(f"listener {name}: no address to listen on")
        for address in addresses:
            try:
                ipaddress.ip_address(address.split("%", 1)[0])
            except ValueError:
                raise ValueError(f"listener {name}: {address!r} is not an IP address") from None
        if not 0 <= port <= 65535:
            raise ValueError(f"listener {name}: port {port} out of range")
        if implicit_tls and tls is None:
            raise ValueError(f"listener {name}: implicit TLS needs a TLS context provider")
        self.name = name
        self.addresses = tuple(addresses)
        self.requested_port = port
        self.tls = tls
        self.implicit_tls = implicit_tls
        self._handler = handler
        self._on_refused = on_refused
        self._limiter = (
            PerIpLimiter(max_connections_per_ip) if max_connections_per_ip is not None else None
        )
        self._ids = ids if ids is not None else ConnectionIdSource()
        self._handshake_timeout = handshake_timeout
        self._refusal_timeout = refusal_timeout
        self._close_timeout = close_timeout
        self._goodbye_timeout = goodbye_timeout
        self._backlog = backlog
        self._read_high_water = read_high_water
        self._servers: list[asyncio.Server] = []
        self._bound: list[tuple[str, int]] = []
        self._sessions: dict[asyncio.Task[None], Connection] = {}
        self._started = False
        self._stopping = False

    def __repr__(self) -> str:
        return f"<Listener {self.name} {self._bound or self.addresses}>"

    # --- lifecycle

    async def start(self) -> None:
        """Bind every address and start accepting. Raises ``BindError`` (nothing stays bound)."""
        if self._started:
            raise RuntimeError(f"listener {self.name} already started")
        sockets = self._bind_all()
        loop = asyncio.get_running_loop()
        try:
            for sock in sockets:
                server = await loop.create_server(
                    self._new_protocol, sock=sock, backlog=self._backlog
                )
                self._servers.append(server)
        except BaseException:
            for server in self._servers:
                server.close()
            for sock in sockets:
                sock.close()
            self._servers.clear()
            raise
        self._started = True
        self._bound = [_sock_address(sock) for sock in sockets]
        log.info(
            "listener %s on %s%s",
            self.name,
            ", ".join(f"[{address}]:{port}" for address, port in self._bound),
            " (implicit TLS)" if self.implicit_tls else "",
        )

    async def stop(self, grace: float) -> None:
        """Stop accepting, give sessions ``grace`` seconds to finish, then cancel the rest.

        Cancelled sessions get ``CancelledError`` and ``goodbye_timeout`` seconds to send
        their protocol's goodbye; connections still open after that are aborted.
        """
        if self._stopping:
            return
        self._stopping = True
        for server in self._servers:
            server.close()  # the listening sockets close now; sessions go on
        pending = set(self._sessions)
        if pending and grace > 0:
            _, pending = await asyncio.wait(pending, timeout=grace)
        if pending:
            log.info("listener %s: cancelling %d sessions", self.name, len(pending))
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(
                pending, timeout=self._goodbye_timeout + self._close_timeout
            )
        if pending:
            for task in pending:
                connection = self._sessions.get(task)
                if connection is not None:
                    connection.abort()
            _, pending = await asyncio.wait(pending, timeout=1.0)
        if pending:
            log.warning(
                "listener %s: %d sessions ignored cancellation and are left running",
                self.name,
                len(pending),
            )
        # Since Python 3.12 wait_closed() also waits for every connection: bound it.
        waits = [asyncio.ensure_future(server.wait_closed()) for server in self._servers]
        if waits:
            _, unfinished = await asyncio.wait(waits, timeout=1.0)
            for wait in unfinished:
                wait.cancel()
        log.info("listener %s stopped", self.name)

    # --- facts

    @property
    def bound_addresses(self) -> tuple[tuple[str, int], ...]:
        """``(address, port)`` of every bound socket, after ``start()``."""
        return tuple(self._bound)

    @property
    def port(self) -> int:
        """The port every address is bound to (useful with ``port=0``)."""
        if not self._bound:
            raise RuntimeError(f"listener {self.name} is not started")
        return self._bound[0][1]

    @property
    def active_connections(self) -> int:
        return len(self._sessions)

    # --- binding

    def _bind_all(self) -> list[socket.socket]:
        if self.requested_port != 0:
            return self._bind_on(self.requested_port)
        # Port 0: let the kernel choose for the first address, then ask for the same port on
        # the others; if another program holds it there, start over with a new port.
        last_error: BindError | None = None
        for _ in range(_EPHEMERAL_PORT_ATTEMPTS):
            first = self._bind_one(self.addresses[0], 0)
            port = _sock_address(first)[1]
            try:
                rest = self._bind_on(port, self.addresses[1:])
            except BindError as error:
                first.close()
                if error.__cause__ is None or getattr(error.__cause__, "errno", None) != (
                    errno.EADDRINUSE
                ):
                    raise
                last_error = error
                continue
            return [first, *rest]
        assert last_error is not None
        raise last_error

    def _bind_on(self, port: int, addresses: Sequence[str] | None = None) -> list[socket.socket]:
        sockets: list[socket.socket] = []
        try:
            for address in self.addresses if addresses is None else addresses:
                sockets.append(self._bind_one(address, port))
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        return sockets

    def _bind_one(self, address: str, port: int) -> socket.socket:
        family = (
            socket.AF_INET6
            if ipaddress.ip_address(address.split("%", 1)[0]).version == 6
            else socket.AF_INET
        )
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            # Restart at once after a crash even with connections in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # "::" must not swallow IPv4, so "0.0.0.0" can bind the same port.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((address, port))
            sock.setblocking(False)
        except OSError as error:
            sock.close()
            raise BindError(self.name, address, port, error.strerror or str(error)) from error
        return sock

    # --- sessions

    def _new_protocol(self) -> _StreamProtocol:
        return _StreamProtocol(self._accepted, high_water=self._read_high_water)

    def _accepted(self, protocol: _StreamProtocol) -> None:
        transport = protocol.transport
        assert transport is not None
        if self._stopping:
            transport.abort()
            return
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        raw_socket = transport.get_extra_info("socket")
        if raw_socket is not None:
            # Find peers that vanished without a FIN during long IMAP IDLEs.
            raw_socket.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            # Mail protocols are request/response with small replies, often pipelined
            # (RFC 2920): with Nagle on, a second small reply waits for the peer's delayed
            # ACK, which cost ~40 ms per pipelined SMTP transaction (measured).
            raw_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        info = ConnectionInfo(
            id=self._ids.next_id(),
            peer_ip=_normalize_ip(peer[0]),
            peer_port=int(peer[1]),
            local_ip=_normalize_ip(local[0]),
            local_port=int(local[1]),
            listener_name=self.name,
        )
        connection = Connection(info, protocol)
        task = asyncio.get_running_loop().create_task(
            self._run_session(connection), name=f"{self.name}:{info.id}"
        )
        self._sessions[task] = connection
        task.add_done_callback(self._session_done)

    def _session_done(self, task: asyncio.Task[None]) -> None:
        self._sessions.pop(task, None)

    async def _run_session(self, connection: Connection) -> None:
        info = connection.info
        extra = {"connection": info.id, "listener": self.name}
        log.debug(
            "connection %s from [%s]:%d on %s",
            info.id,
            info.peer_ip,
            info.peer_port,
            self.name,
            extra=extra,
        )
        limit_key = self._limiter.try_acquire(info.peer_ip) if self._limiter is not None else ""
        try:
            if self.implicit_tls:
                assert self.tls is not None
                await connection.start_tls(self.tls, timeout=self._handshake_timeout)
            if limit_key is None:
                await self._refuse(connection)
            else:
                await self._handler(connection)
        except TlsHandshakeError as error:
            log.info("connection %s: %s", info.id, error, extra=extra)
        except ConnectionClosed:
            log.debug("connection %s: closed by peer", info.id, extra=extra)
        except ReadTimeout as error:
            log.info("connection %s: read timeout: %s", info.id, error, extra=extra)
        except asyncio.CancelledError:
            log.debug("connection %s: session cancelled", info.id, extra=extra)
            raise
        except Exception:
            # The one place a session failure is logged; the peer only sees the close.
            log.exception(
                "connection %s from [%s]:%d: session failed on %s",
                info.id,
                info.peer_ip,
                info.peer_port,
                self.name,
                extra=extra,
            )
        finally:
            if limit_key and self._limiter is not None:
                self._limiter.release(limit_key)
            await connection.close_and_wait(self._close_timeout)
            log.debug("connection %s closed", info.id, extra=extra)

    async def _refuse(self, connection: Connection) -> None:
        info = connection.info
        assert self._limiter is not None
        log.info(
            "connection %s from [%s]:%d refused on %s: more than %d connections",
            info.id,
            info.peer_ip,
            info.peer_port,
            self.name,
            self._limiter.max_per_ip,
            extra={"connection": info.id, "listener": self.name},
        )
        if self._on_refused is None:
            return
        try:
            async with asyncio.timeout(self._refusal_timeout):
                await self._on_refused(connection)
                await connection.drain()
        except TimeoutError:
            log.debug("connection %s: refusal reply timed out", info.id)


def _sock_address(sock: socket.socket) -> tuple[str, int]:
    """``(ip, port)`` a socket is bound to, for IPv4 and IPv6 alike."""
    name = sock.getsockname()
    return str(name[0]), int(name[1])


def _normalize_ip(raw: str) -> str:
    try:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
