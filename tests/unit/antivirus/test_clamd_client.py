"""``ClamdClient`` and ``daemon.exchange`` over loopback sockets: what the client does when
the daemon is missing, silent, cut short or talking nonsense. (The real clamd is in
``tests/integration/test_scanners.py``.)"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from courriel.antivirus import ClamdClient, ScannerReplyError, ScannerUnreachable
from courriel.antivirus.clamd_protocol import Clean, Infected
from courriel.antivirus.daemon import exchange
from courriel.config.kinds import DaemonAddress
from support.scripted_daemon import closed_port_address, scripted_daemon


async def test_clean_and_infected_replies_over_tcp() -> None:
    async with scripted_daemon(b"stream: OK\0") as address:
        assert await ClamdClient(address, timeout=5).scan(b"hello") == Clean()
    async with scripted_daemon(b"stream: Eicar-Test-Signature FOUND\0") as address:
        assert await ClamdClient(address, timeout=5).scan(b"x") == Infected("Eicar-Test-Signature")


async def test_unix_socket(tmp_path: Path) -> None:
    path = tmp_path / "clamd.sock"
    received = bytearray()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while not received.endswith(b"\0\0\0\0"):
            received.extend(await reader.read(65536))
        writer.write(b"stream: OK\0")
        await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(answer, str(path))
    try:
        client = ClamdClient(DaemonAddress("", "", 0, str(path)), timeout=5)
        assert await client.scan(b"abc") == Clean()
    finally:
        server.close()
        await server.wait_closed()
    assert bytes(received) == b"zINSTREAM\0\0\0\0\x03abc\0\0\0\0"


async def test_nothing_listening_is_unreachable(tmp_path: Path) -> None:
    with pytest.raises(ScannerUnreachable, match="cannot connect"):
        await ClamdClient(closed_port_address(), timeout=5).scan(b"x")
    missing = DaemonAddress("", "", 0, str(tmp_path / "none.sock"))
    with pytest.raises(ScannerUnreachable, match="cannot connect"):
        await ClamdClient(missing, timeout=5).scan(b"x")


async def test_a_silent_daemon_times_out() -> None:
    async with scripted_daemon(b"stream: OK\0", delay=30) as address:
        started = time.monotonic()
        with pytest.raises(ScannerUnreachable, match=r"no reply within 0\.3s"):
            await ClamdClient(address, timeout=0.3).scan(b"x")
        assert time.monotonic() - started < 5


async def test_closed_without_a_reply() -> None:
    async with scripted_daemon(b"") as address:
        with pytest.raises(ScannerUnreachable, match="without a reply"):
            await ClamdClient(address, timeout=5).scan(b"x")


async def test_truncated_and_garbage_replies() -> None:
    async with scripted_daemon(b"stream: O") as address:
        with pytest.raises(ScannerReplyError, match="truncated"):
            await ClamdClient(address, timeout=5).scan(b"x")
    async with scripted_daemon(b"\x00\xff\xfe garbage") as address:
        with pytest.raises(ScannerReplyError):
            await ClamdClient(address, timeout=5).scan(b"x")


async def test_an_endless_reply_is_cut_at_the_limit() -> None:
    async with scripted_daemon(b"A" * 100_000) as address:
        with pytest.raises(ScannerReplyError, match="longer than"):
            await ClamdClient(address, timeout=5).scan(b"x")


async def test_a_daemon_closing_mid_request_is_still_heard() -> None:
    """clamd answers a stream over its limit and closes while the client still writes."""
    async with scripted_daemon(b"INSTREAM size limit exceeded. ERROR\0") as address:
        reply = await exchange(
            address,
            [b"zINSTREAM\0"] + [b"\0\1\0\0" + b"x" * 65536] * 200,
            timeout=5,
            max_reply=4096,
        )
    assert reply.startswith(b"INSTREAM size limit exceeded")
