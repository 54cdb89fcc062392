"""One accepted TCP connection, as protocol sessions see it.

Owns: the receive buffer, line reading with a length limit, reads with timeouts (one lazy
timer per connection), lines answered in the turn they arrive (``answer_lines_with``),
writes with back-pressure, STARTTLS upgrade in place, and the facts a session logs or puts
in headers (``ConnectionInfo``, ``TlsInfo``).

Why not ``asyncio.StreamReader``: sessions must see and drop bytes a client pipelined before
STARTTLS (RFC 3207 §4.2, RFC 9051 §6.2.1, RFC 2595 §4) and an overlong line must be skipped
without buffering it whole; StreamReader's buffer is private. ``_StreamProtocol`` is a small
buffered protocol that survives ``loop.start_tls`` (the same call ``StreamWriter.start_tls``
makes), so the upgrade happens in place and the session keeps its ``Connection`` object.

Must not: parse any protocol, decide replies, or log data a client sent.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn, TypeVar

from courriel.net.errors import ConnectionClosed, LineTooLong, ReadTimeout, TlsHandshakeError

if TYPE_CHECKING:
    from courriel.net.tls import TlsContextProvider

log = logging.getLogger("courriel.net")

_T = TypeVar("_T")

# Above this many unread bytes the transport stops reading until the session catches up,
# unless a read is waiting for more (a long line or a big read_exactly).
DEFAULT_READ_HIGH_WATER = 256 * 1024
# Replies written at once by answer_lines_with before the waiting read takes over (and
# waits for a slow peer).
ANSWER_BATCH = 256 * 1024
_LF = ord("\n")


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """Who is on the other end, and where they connected."""

    id: str
    peer_ip: str
    peer_port: int
    local_ip: str
    local_port: int
    listener_name: str


@dataclass(frozen=True, slots=True)
class TlsInfo:
    """The negotiated TLS parameters (the SMTP ``Received:`` header shows them)."""

    version: str  # "TLSv1.3"
    cipher: str  # "TLS_AES_256_GCM_SHA384"
    bits: int  # secret bits of the cipher: 256


class _StreamProtocol(asyncio.Protocol):
    """Receive buffer, EOF and flow-control state of one connection.

    It stays the application protocol across ``loop.start_tls``: before the upgrade the TCP
    transport feeds it, afterwards the TLS transport does.
    """

    def __init__(
        self,
        on_connection_made: Callable[[_StreamProtocol], None] | None = None,
        *,
        high_water: int = DEFAULT_READ_HIGH_WATER,
    ) -> None:
        self._on_connection_made = on_connection_made
        self.high_water = high_water
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.lost = False
        self.lost_error: BaseException | None = None
        self.over_tls = False
        self.read_paused = False
        self._write_paused = False
        self._data_waiter: asyncio.Future[None] | None = None
        self._drain_waiters: list[asyncio.Future[None]] = []
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.consumed = 0
        """Octets consumed so far: a read that waited sees whether others took data."""
        self.on_data: Callable[[], None] | None = None
        """Called when data arrives while a read waits, before the read is woken."""

    # --- asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self._on_connection_made is not None:
            self._on_connection_made(self)

    def data_received(self, data: bytes) -> None:
        self.buffer.extend(data)
        if self.on_data is not None and self._data_waiter is not None:
            self.on_data()
        if self.buffer:
            self._wake_reader()
        if len(self.buffer) > self.high_water and not self.read_paused:
            self._pause_reading()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        # Keep a plain TCP connection half-open so the session can still send its reply to
        # a client that shut down its sending side; TLS transports ignore this anyway.
        return not self.over_tls

    def connection_lost(self, exc: Exception | None) -> None:
        if self.lost:
            return
        self.lost = True
        self.eof = True
        self.lost_error = exc
        self._wake_reader()
        self._wake_writers()
        if not self.closed.done():
            self.closed.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_writers()

    @property
    def write_paused(self) -> bool:
        return self._write_paused

    # --- used by Connection

    async def wait_for_data(self) -> None:
        if self._data_waiter is not None:
            raise RuntimeError("another read is already waiting on this connection")
        if self.read_paused:
            self._resume_reading()
        waiter = asyncio.get_running_loop().create_future()
        self._data_waiter = waiter
        try:
            await waiter
        finally:
            self._data_waiter = None

    def consume(self, count: int) -> None:
        del self.buffer[:count]
        self.consumed += count
        if self.read_paused and len(self.buffer) <= self.high_water:
            self._resume_reading()

    async def wait_writable(self) -> None:
        while self._write_paused and not self.lost:
            waiter = asyncio.get_running_loop().create_future()
            self._drain_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._drain_waiters:
                    self._drain_waiters.remove(waiter)

    def _pause_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()
            self.read_paused = True

    def _resume_reading(self) -> None:
        self.read_paused = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def _wake_reader(self) -> None:
        waiter = self._data_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _wake_writers(self) -> None:
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()


class _HandedOver(asyncio.Protocol):
    """The transport's protocol after ``Connection.hand_over``: every event goes to the new
    protocol, and the loss also to the old one, so the listener sees the connection end."""

    def __init__(self, protocol: asyncio.Protocol, stream: _StreamProtocol) -> None:
        self._protocol = protocol
        self._stream = stream

    def data_received(self, data: bytes) -> None:
        self._protocol.data_received(data)

    def eof_received(self) -> bool | None:
        return self._protocol.eof_received()

    def pause_writing(self) -> None:
        self._protocol.pause_writing()

    def resume_writing(self) -> None:
        self._protocol.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._stream.connection_lost(exc)


@dataclass(slots=True)
class _Discarding:
    limit: int
    discarded: int


class Connection:
    """A client connection: buffered reads with limits and timeouts, writes, STARTTLS.

    Reads raise ``ConnectionClosed`` when the peer is gone before the read completes and
    ``ReadTimeout`` when ``timeout`` seconds pass (buffered bytes stay for the next read).
    Only one read may wait at a time.
    """

    def __init__(self, info: ConnectionInfo, protocol: _StreamProtocol) -> None:
        if protocol.transport is None:
            raise ValueError("protocol is not connected")
        self.info = info
        self._protocol = protocol
        # The connection's loop, kept: asyncio.get_running_loop() costs a getpid() system
        # call, too much for a path taken once per command (answer_lines_with).
        self._loop = protocol.closed.get_loop()
        self._discarding: _Discarding | None = None
        # Read timeouts: one timer per connection, pushed back lazily (see _with_timeout).
        self._read_deadline = 0.0
        self._read_timer: asyncio.TimerHandle | None = None
        self._timed_read: asyncio.Task[object] | None = None
        self._read_timed_out = False
        self._read_timeout = 0.0
        # Lines answered as they arrive (see answer_lines_with).
        self._line_answerer: Callable[[bytes], bytes | None] | None = None
        self._answer_limit = 0
        self._waiting_for_line = False

    def __repr__(self) -> str:
        return f"<Connection {self.info.id} {self.info.peer_ip}:{self.info.peer_port}>"

    @property
    def _transport(self) -> asyncio.Transport:
        transport = self._protocol.transport
        assert transport is not None
        return transport

    # --- reading

    def pending(self) -> int:
        """How many received bytes are buffered and not yet read."""
        return len(self._protocol.buffer)

    def has_line(self) -> bool:
        """Whether a whole line (up to an LF) is buffered and not yet read: a pipelining
        client sent another command already."""
        return _LF in self._protocol.buffer  # an int: no buffer protocol, ten times faster

    def has_lines(self, count: int) -> bool:
        """Whether at least ``count`` whole lines are buffered and not yet read."""
        return self._protocol.buffer.count(_LF) >= count

    def discard_pending(self) -> bytes:
        """Drop every buffered byte and return them (e.g. commands pipelined before STARTTLS)."""
        data = bytes(self._protocol.buffer)
        self._protocol.consume(len(data))
        return data

    def answer_lines_with(
        self, answer: Callable[[bytes], bytes | None] | None, limit: int = 0
    ) -> None:
        """Offer complete lines to ``answer`` as they arrive while ``readline`` waits for
        one, in the event loop turn that received them; None stops it.

        A request/response client waits for each reply, and a session that wakes up for
        every line pays an event loop turn per round trip (a waiting task only resumes in
        the next turn); a session that can answer some commands from memory answers them
        here instead. ``answer`` gets the line (at most ``limit`` octets, line end
        included) and returns the reply to send (the line is consumed), or None to leave
        that line and the ones after it to ``readline``. The replies to the lines of one
        arrival are sent in one write, up to ``ANSWER_BATCH`` octets. Lines are not
        offered while the peer is slow to read, while an overlong line is being
        discarded, or to reads other than ``readline``; a line answered counts as
        activity for the waiting read's timeout. An exception ``answer`` raises is logged
        and ends the offers for this connection.
        """
        self._line_answerer = answer
        self._answer_limit = limit
        self._protocol.on_data = self._answer_lines if answer is not None else None

    def _answer_lines(self) -> None:
        answer = self._line_answerer
        protocol = self._protocol
        if (
            answer is None
            or not self._waiting_for_line
            or self._discarding is not None
            or protocol.write_paused
            or self.is_closing
        ):
            return
        buffer = protocol.buffer
        replies: list[bytes] = []
        size = 0
        while size < ANSWER_BATCH:
            end = buffer.find(b"\n", 0, self._answer_limit)
            if end < 0:
                break
            try:
                reply = answer(bytes(buffer[: end + 1]))
            except Exception:
                log.exception("connection %s: answering a line failed", self.info.id)
                self.answer_lines_with(None)
                break
            if reply is None:
                break
            protocol.consume(end + 1)
            replies.append(reply)
            size += len(reply)
        if replies:
            self.write(b"".join(replies))
            if self._timed_read is not None:
                # The session was busy, not idle: its read's time starts again.
                self._read_deadline = self._loop.time() + self._read_timeout

    def unread(self, data: bytes) -> None:
        """Put bytes back in front of the buffer: a protocol that read past the end of a
        message (DATA's end marker, a BDAT chunk) returns the pipelined rest."""
        if data:
            self._protocol.buffer[:0] = data
            self._protocol._wake_reader()

    async def readline(self, limit: int, *, timeout: float | None = None) -> bytes:
        """Read one line, returned with its terminating LF (and CR, if the client sent CRLF).

        ``limit`` bounds the line length including its terminator. A longer line is
        discarded through its LF and ``LineTooLong`` is raised; the next call reads the line
        after it. An unterminated line before EOF raises ``ConnectionClosed`` (with
        ``partial``), since it is not a command.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if self._discarding is None:
            # A line already buffered (pipelined commands) needs no wait, hence no timer.
            buffer = self._protocol.buffer
            end = buffer.find(b"\n", 0, limit)
            if end >= 0:
                line = bytes(buffer[: end + 1])
                self._protocol.consume(end + 1)
                return line
        return await self._with_timeout(self._readline(limit), timeout)

    async def read_exactly(self, size: int, *, timeout: float | None = None) -> bytes:
        """Read exactly ``size`` bytes (a BDAT chunk, an IMAP literal)."""
        if size < 0:
            raise ValueError("size must not be negative")
        return await self._with_timeout(self._read_exactly(size), timeout)

    async def read_some(self, max_bytes: int, *, timeout: float | None = None) -> bytes:
        """Read between 1 and ``max_bytes`` bytes, whatever is available first."""
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        return await self._with_timeout(self._read_some(max_bytes), timeout)

    async def _with_timeout(self, read: Awaitable[_T], timeout: float | None) -> _T:
        """Await ``read``, raising ``ReadTimeout`` when it takes ``timeout`` seconds.

        A session reads once per command, so a timer per read (``asyncio.timeout``: a new
        timer pushed on the loop's heap, then cancelled) costs more than the read itself
        on a busy connection. Instead one timer per connection stays armed: a read only
        moves the deadline, and a timer that fires before the deadline re-arms itself.
        A read whose deadline is earlier than the armed timer re-arms it at once.
        """
        if timeout is None:
            return await read
        loop = self._loop
        task = asyncio.current_task()
        assert task is not None
        deadline = self._read_deadline = loop.time() + timeout
        self._read_timeout = timeout
        timer = self._read_timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._read_timer = loop.call_at(deadline, self._read_timer_fired)
        self._timed_read = task
        cancelling = task.cancelling()
        try:
            return await read
        except asyncio.CancelledError:
            # As asyncio.timeout: ours only if no one else cancelled the task meanwhile.
            if self._read_timed_out and task.uncancel() <= cancelling:
                raise ReadTimeout(timeout) from None
            raise
        finally:
            self._timed_read = None
            self._read_timed_out = False

    def _read_timer_fired(self) -> None:
        self._read_timer = None
        task = self._timed_read
        if task is None or task.done():
            return  # no read is waiting; the next one arms the timer again
        loop = self._loop
        if loop.time() < self._read_deadline:
            self._read_timer = loop.call_at(self._read_deadline, self._read_timer_fired)
            return
        self._read_timed_out = True
        task.cancel()

    def _stop_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    async def _readline(self, limit: int) -> bytes:
        if self._discarding is not None:
            # A timeout interrupted the discarding of a long line: finish it first.
            await self._finish_discarding()
        protocol = self._protocol
        scanned = 0
        while True:
            buffer = protocol.buffer
            end = buffer.find(b"\n", scanned, limit)
            if end >= 0:
                line = bytes(buffer[: end + 1])
                protocol.consume(end + 1)
                return line
            if len(buffer) >= limit:
                self._discarding = _Discarding(limit=limit, discarded=0)
                await self._finish_discarding()
            scanned, consumed = len(buffer), protocol.consumed
            self._waiting_for_line = True
            try:
                await self._wait_for_more()
            finally:
                self._waiting_for_line = False
            if protocol.consumed != consumed:
                scanned = 0  # lines were answered meanwhile (answer_lines_with)

    async def _finish_discarding(self) -> NoReturn:
        state = self._discarding
        assert state is not None
        protocol = self._protocol
        while True:
            end = protocol.buffer.find(b"\n")
            if end >= 0:
                state.discarded += end + 1
                protocol.consume(end + 1)
                self._discarding = None
                raise LineTooLong(state.limit, state.discarded)
            # Drop what came so far: an attacker's endless line never fills memory.
            state.discarded += len(protocol.buffer)
            protocol.consume(len(protocol.buffer))
            if protocol.eof:
                self._discarding = None
            await self._wait_for_more()

    async def _read_exactly(self, size: int) -> bytes:
        protocol = self._protocol
        while len(protocol.buffer) < size:
            await self._wait_for_more()
        data = bytes(protocol.buffer[:size])
        protocol.consume(size)
        return data

    async def _read_some(self, max_bytes: int) -> bytes:
        protocol = self._protocol
        while not protocol.buffer:
            await self._wait_for_more()
        data = bytes(protocol.buffer[:max_bytes])
        protocol.consume(len(data))
        return data

    async def _wait_for_more(self) -> None:
        """Wait for more bytes; at EOF drop the unusable rest and raise ConnectionClosed."""
        protocol = self._protocol
        if protocol.eof:
            partial = bytes(protocol.buffer)
            protocol.consume(len(partial))
            error = ConnectionClosed(partial=partial)
            if protocol.lost_error is not None:
                raise error from protocol.lost_error
            raise error
        await protocol.wait_for_data()

    # --- writing and closing

    def write(self, data: bytes) -> None:
        """Queue bytes for sending; call ``drain()`` to wait while the peer is slow."""
        if self._protocol.lost or self._transport.is_closing():
            raise ConnectionClosed("cannot write: connection is closed")
        self._transport.write(data)

    async def drain(self) -> None:
        """Wait until the send buffer is below its high-water mark."""
        await self._protocol.wait_writable()
        if self._protocol.lost:
            raise ConnectionClosed("connection lost while sending")

    def close(self) -> None:
        """Send what is queued, then close (with a TLS close_notify when TLS is active)."""
        self._stop_read_timer()
        transport = self._protocol.transport
        if transport is not None and not transport.is_closing():
            transport.close()

    def abort(self) -> None:
        """Close at once, dropping unsent data."""
        self._stop_read_timer()
        transport = self._protocol.transport
        if transport is not None:
            transport.abort()
        # A transport aborted mid-handshake never reports connection_lost: mark it here.
        self._protocol.connection_lost(None)

    @property
    def is_closing(self) -> bool:
        return self._protocol.lost or self._transport.is_closing()

    async def close_and_wait(self, timeout: float) -> None:
        """Close gracefully; abort if the peer does not let us finish within ``timeout``."""
        self.close()
        done, _ = await asyncio.wait([self._protocol.closed], timeout=timeout)
        if not done:
            self.abort()

    # --- TLS

    async def start_tls(self, provider: TlsContextProvider, *, timeout: float = 30.0) -> None:
        """Upgrade this connection to TLS in place, as the server side (STARTTLS, implicit TLS).

        Call it right after writing the go-ahead reply (``220 Ready to start TLS``), without
        awaiting anything in between: the reply is flushed here. Bytes still buffered at this
        point were sent in plaintext before the handshake; they are discarded so they can
        never be taken as commands of the TLS session (RFC 3207 §4.2). Protocols should check
        ``pending()`` when they read STARTTLS and refuse or discard explicitly.

        Raises ``TlsHandshakeError`` (the connection is then closed) or ``ConnectionClosed``.
        """
        protocol = self._protocol
        if protocol.over_tls:
            raise RuntimeError("TLS is already active on this connection")
        if protocol.buffer:
            log.warning(
                "connection %s: discarding %d bytes sent in plaintext before TLS",
                self.info.id,
                len(protocol.buffer),
                extra={"connection": self.info.id},
            )
            protocol.consume(len(protocol.buffer))
        if protocol.eof:
            raise ConnectionClosed("connection closed before TLS handshake")
        # loop.start_tls pauses and resumes the TCP transport itself. Nothing is awaited
        # before it pauses reading, so a ClientHello cannot land in the plaintext buffer;
        # the queued go-ahead reply still leaves before the first TLS record.
        protocol.read_paused = False
        # Set before the handshake: a close_notify right after it must not be answered
        # with the plain-TCP "keep half-open" choice.
        protocol.over_tls = True
        loop = asyncio.get_running_loop()
        try:
            transport = await loop.start_tls(
                self._transport,
                protocol,
                provider.context,
                server_side=True,
                ssl_handshake_timeout=timeout,
            )
        except (OSError, TimeoutError) as error:  # ssl.SSLError and ConnectionError are OSErrors
            self.abort()
            raise TlsHandshakeError(f"TLS handshake failed: {error}") from error
        except BaseException:  # cancelled mid-handshake: the transport is already closed
            self.abort()
            raise
        if transport is None:  # only when the connection was closed during the handshake
            self.abort()
            raise ConnectionClosed("connection closed during TLS handshake")
        protocol.transport = transport

    def hand_over(self, protocol: asyncio.Protocol) -> asyncio.Future[None]:
        """Give the transport (TLS already started, if any) to another asyncio protocol,
        such as an HTTP server's: it gets ``connection_made``, then the bytes buffered and
        not read, then every later event. The connection must not be read or written
        afterwards; ``close``, ``abort`` and ``close_and_wait`` still work. Returns a
        future done when the transport is lost (the connection's own ``closed``)."""
        self._stop_read_timer()
        stream = self._protocol
        transport = self._transport
        pending = bytes(stream.buffer)
        stream.consume(len(pending))
        forwarder = _HandedOver(protocol, stream)
        transport.set_protocol(forwarder)
        protocol.connection_made(transport)
        if stream.read_paused:
            stream._resume_reading()
        if pending:
            protocol.data_received(pending)
        if stream.eof and not stream.lost:
            protocol.eof_received()
        return stream.closed

    def tls_info(self) -> TlsInfo | None:
        """Version and cipher of the TLS session, or None on a plaintext connection."""
        if not self._protocol.over_tls:
            return None
        ssl_object = self._transport.get_extra_info("ssl_object")
        if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
            return None
        cipher = ssl_object.cipher()
        version = ssl_object.version()
        if cipher is None or version is None:
            return None
        name, _protocol, bits = cipher
        return TlsInfo(version=version, cipher=name, bits=bits)
