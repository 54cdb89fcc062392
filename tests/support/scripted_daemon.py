"""A loopback server that answers each connection with scripted bytes: the replies a real
daemon cannot be made to give (garbage, truncation, silence), for the clients' error paths.
The real daemons are in ``tests/integration/test_scanners.py``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from courriel.config.kinds import DaemonAddress


@asynccontextmanager
async def scripted_daemon(
    reply: bytes, *, read_first: int = 1, delay: float = 0.0, protocol: str = ""
) -> AsyncIterator[DaemonAddress]:
    """A server on 127.0.0.1 that reads at least ``read_first`` bytes, waits ``delay``
    seconds, writes ``reply`` and closes."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(read_first)
            await asyncio.sleep(delay)
            writer.write(reply)
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield DaemonAddress(protocol, "127.0.0.1", port, "")
    finally:
        server.close()
        await server.wait_closed()


def closed_port_address(protocol: str = "") -> DaemonAddress:
    """An address where nothing listens (a port just released)."""
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return DaemonAddress(protocol, "127.0.0.1", port, "")
