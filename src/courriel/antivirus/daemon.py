"""Talking to a helper daemon (clamd, rspamd, spamd): connect, send one request, read one
reply, within one deadline.

Each of these daemons answers one request per connection and then closes it, so a
conversation is :func:`exchange`: open a TCP connection (``host:port``) or a unix socket
(``/path``) as the ``DaemonAddress`` of the configuration says, write the request, read
until the daemon closes the connection or the protocol says the reply is complete, never
more than ``max_reply`` bytes and never longer than ``timeout``. ``spam.external`` uses it
too.

Errors: ``ScannerError`` is the base; ``ScannerUnreachable`` (cannot connect, timed out,
connection cut before a reply) and ``ScannerReplyError`` (a reply the protocol module cannot
read: garbage, truncated, too long) both mean "the scan did not run", which the caller's
``on_unreachable`` setting turns into accepting with a note or a temporary failure.

Must not: parse a protocol (``clamd_protocol``, ``spam.rspamd_protocol``,
``spam.spamd_protocol`` do) or decide what happens to a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterable
from typing import Any

from courriel.config.kinds import DaemonAddress

# Bytes written between two waits for the socket buffer to drain.
_WRITE_BATCH = 256 * 1024
_READ_SIZE = 64 * 1024


class ScannerError(Exception):
    """The scan did not run; ``str()`` says why in a few words, for logs and headers."""


class ScannerUnreachable(ScannerError):
    """No connection, no reply in time, or the connection closed before a reply."""


class ScannerReplyError(ScannerError):
    """The daemon answered something its protocol does not allow."""


async def exchange(
    address: DaemonAddress,
    request: Iterable[bytes],
    *,
    timeout: float,
    max_reply: int,
    complete: Callable[[bytes], bool] | None = None,
) -> bytes:
    """Send the pieces of ``request`` to the daemon at ``address`` and return its reply:
    everything read until it closes the connection, or until ``complete(reply)`` is true.

    A daemon may close the connection before it has read the whole request (clamd does on
    a stream over its size limit): writing then stops and its reply is still read.
    Raises ``ScannerUnreachable`` or ``ScannerReplyError`` (reply over ``max_reply``)."""
    try:
        async with asyncio.timeout(timeout):
            return await _exchange(address, request, max_reply, complete)
    except TimeoutError:
        raise ScannerUnreachable(f"no reply within {timeout:g}s") from None


async def _exchange(
    address: DaemonAddress,
    request: Iterable[bytes],
    max_reply: int,
    complete: Callable[[bytes], bool] | None,
) -> bytes:
    # A plain non-blocking socket rather than asyncio streams: when the daemon hangs up
    # mid-request, a failed send must not discard the reply already received (a stream
    # transport closes itself on a write error); the kernel still hands it to recv().
    connection = await _connect(address)
    loop = asyncio.get_running_loop()
    # Read while writing: a daemon may answer (and close) before it has read everything.
    sending = asyncio.create_task(_send(loop, connection, request))
    try:
        return await _receive(loop, connection, max_reply, complete)
    finally:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        connection.close()


async def _connect(address: DaemonAddress) -> socket.socket:
    loop = asyncio.get_running_loop()
    targets: list[tuple[int, str | tuple[Any, ...]]]
    try:
        if address.path:
            targets = [(socket.AF_UNIX, address.path)]
        else:
            found = await loop.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM)
            targets = [(family, sockaddr) for family, _, _, _, sockaddr in found]
    except OSError as error:
        raise ScannerUnreachable(f"cannot connect ({error.strerror or error})") from None
    problem: OSError | None = None
    for family, target in targets:
        connection = socket.socket(family, socket.SOCK_STREAM)
        connection.setblocking(False)
        try:
            await loop.sock_connect(connection, target)
        except OSError as error:
            connection.close()
            problem = error
            continue
        except BaseException:
            connection.close()
            raise
        return connection
    reason = problem.strerror or str(problem) if problem is not None else "no address"
    raise ScannerUnreachable(f"cannot connect ({reason})")


async def _receive(
    loop: asyncio.AbstractEventLoop,
    connection: socket.socket,
    max_reply: int,
    complete: Callable[[bytes], bool] | None,
) -> bytes:
    """The reply: until EOF or ``complete``; a connection reset after part of a reply
    returns that part (the protocol module says whether it is enough)."""
    reply = bytearray()
    while complete is None or not complete(bytes(reply)):
        try:
            data = await loop.sock_recv(connection, _READ_SIZE)
        except OSError as error:
            if reply:
                break
            raise ScannerUnreachable(f"connection lost ({error.strerror or error})") from None
        if not data:
            break
        reply += data
        if len(reply) > max_reply:
            raise ScannerReplyError(f"reply longer than {max_reply} bytes")
    if not reply:
        raise ScannerUnreachable("connection closed without a reply")
    return bytes(reply)


async def _send(
    loop: asyncio.AbstractEventLoop, connection: socket.socket, request: Iterable[bytes]
) -> None:
    """Write the request; a daemon that closes early has answered already (or will say
    nothing, which reading reports)."""
    batch: list[bytes] = []
    pending = 0
    try:
        for piece in request:
            batch.append(piece)
            pending += len(piece)
            if pending >= _WRITE_BATCH:
                await loop.sock_sendall(connection, b"".join(batch))
                batch, pending = [], 0
        if batch:
            await loop.sock_sendall(connection, b"".join(batch))
    except OSError:
        return
