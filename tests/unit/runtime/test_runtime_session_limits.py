"""Limits IMAP and POP3 sessions share, on real listeners over one ``Services`` (as ``serve``
wires them): commands paced by ``limits.commands_per_second`` (a burst beyond the rate is
delayed, never lost or refused) and ``limits.max_connections_per_account`` counted across
both protocols and given back however a session ends.

The transcripts (imap/account-limit.txt, pop3/account-limit.txt) show the refusals on the
wire; these tests show what needs a clock or two protocols.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from courriel.config import EnabledListener
from courriel.imap.server.server import imap_server
from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.pop3.server import pop3_server
from courriel.runtime.services import Services
from support.scenario import configure
from support.services import temporary_services

ALICE = "alice@example.test"
PASSWORD = "correct horse battery"


@dataclass
class Servers:
    services: Services
    imap: Listener
    pop3: Listener
    account_id: int

    def sessions_counted(self) -> int:
        return self.services.account_connections.count(self.account_id)


@asynccontextmanager
async def servers(tmp_path: Path, limits: Mapping[str, str]) -> AsyncIterator[Servers]:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", certificate, key)
    tls = TlsContextProvider(certificate, key)
    overrides = {"auth.plaintext_on_loopback": "true"}
    overrides.update({f"limits.{name}": value for name, value in limits.items()})
    async with temporary_services(tmp_path / "data", configure=configure(overrides)) as services:
        await services.directory.add_domain("example.test", dkim=False)
        account = await services.directory.add_account(ALICE, PASSWORD)
        inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
        messages = [(f"Subject: {n}\r\n\r\nbody {n}\r\n".encode(), (), None) for n in range(40)]
        await services.mailstore.append(account.id, inbox.id, messages)
        imap = imap_server(
            services, tls, EnabledListener("imap", "imap", "starttls", ("127.0.0.1",), 0)
        )
        pop3 = pop3_server(
            services, tls, EnabledListener("pop3", "pop3", "starttls", ("127.0.0.1",), 0)
        )
        listeners = (
            Listener("imap", ["127.0.0.1"], 0, imap.handler, tls=tls),
            Listener("pop3", ["127.0.0.1"], 0, pop3.handler, tls=tls),
        )
        for listener in listeners:
            await listener.start()
        try:
            yield Servers(services, *listeners, account.id)
        finally:
            for listener in listeners:
                await listener.stop(1.0)


class LineClient:
    """Lines over a plain socket; ``closed`` tells whether the server hung up."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> LineClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        OPEN_CLIENTS.append(client)
        await client.line()  # the greeting
        return client

    async def line(self) -> str:
        data = await asyncio.wait_for(self.reader.readline(), 10)
        assert data.endswith(b"\r\n"), data
        return data[:-2].decode()

    async def command(self, line: str) -> str:
        self.writer.write(line.encode() + b"\r\n")
        return await self.line()

    async def closed(self) -> bool:
        return await asyncio.wait_for(self.reader.read(), 10) == b""

    def close(self) -> None:
        self.writer.close()


OPEN_CLIENTS: list[LineClient] = []


@pytest.fixture(autouse=True)
async def close_clients() -> AsyncIterator[None]:
    yield
    while OPEN_CLIENTS:
        client = OPEN_CLIENTS.pop()
        client.writer.close()
        with suppress(ConnectionError):
            await client.writer.wait_closed()


async def imap_login(port: int) -> tuple[LineClient, str]:
    client = await LineClient.connect(port)
    return client, await client.command(f'a1 LOGIN {ALICE} "{PASSWORD}"')


async def pop3_login(port: int) -> tuple[LineClient, str]:
    client = await LineClient.connect(port)
    assert await client.command(f"USER {ALICE}") == "+OK send PASS"
    return client, await client.command(f"PASS {PASSWORD}")


async def eventually(condition: str, check: Callable[[], bool]) -> None:
    """Wait (bounded) for the server side of a closed connection to finish."""
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never true: {condition}")


# --- pacing --------------------------------------------------------------------------------

RATE, BURST, BURST_SENT = 50, 5, 30


async def test_imap_burst_beyond_the_rate_is_delayed_not_lost(tmp_path: Path) -> None:
    limits = {"commands_per_second": str(RATE), "command_burst": str(BURST)}
    async with servers(tmp_path, limits) as served:
        started = time.monotonic()
        client, reply = await imap_login(served.imap.port)
        assert reply.startswith("a1 OK")
        client.writer.write(b"".join(b"n%d NOOP\r\n" % n for n in range(BURST_SENT)))
        tagged = [await client.line() for _ in range(BURST_SENT)]
        elapsed = time.monotonic() - started
        assert tagged == [f"n{n} OK NOOP completed" for n in range(BURST_SENT)]
        # LOGIN and the NOOPs: all but the burst wait 1/RATE each.
        assert elapsed >= (1 + BURST_SENT - BURST) / RATE * 0.95, elapsed
        assert elapsed < 10, elapsed
        client.close()


async def test_pop3_burst_beyond_the_rate_is_delayed_not_lost(tmp_path: Path) -> None:
    """LIST n is answered from memory as it arrives (``handlers.IMMEDIATE``) while tokens
    last; after that the session loop waits for each."""
    limits = {"commands_per_second": str(RATE), "command_burst": str(BURST)}
    async with servers(tmp_path, limits) as served:
        started = time.monotonic()
        client, reply = await pop3_login(served.pop3.port)
        assert reply == "+OK logged in, maildrop has 40 messages"
        client.writer.write(b"".join(b"LIST %d\r\n" % n for n in range(1, BURST_SENT + 1)))
        replies = [await client.line() for _ in range(BURST_SENT)]
        elapsed = time.monotonic() - started
        assert [reply.split()[:2] for reply in replies] == [
            ["+OK", str(n)] for n in range(1, BURST_SENT + 1)
        ]
        # USER, PASS and the LISTs: all but the burst wait 1/RATE each.
        assert elapsed >= (2 + BURST_SENT - BURST) / RATE * 0.95, elapsed
        assert elapsed < 10, elapsed
        assert await client.command("QUIT") == (
            "+OK mail.example.test POP3 server signing off (0 messages deleted)"
        )
        client.close()


async def test_without_pacing_the_same_burst_is_immediate(tmp_path: Path) -> None:
    """The control for the two tests above: their lower bounds come from the pacing."""
    async with servers(tmp_path, {"commands_per_second": "0"}) as served:
        started = time.monotonic()
        client, _ = await imap_login(served.imap.port)
        client.writer.write(b"".join(b"n%d NOOP\r\n" % n for n in range(BURST_SENT)))
        for _ in range(BURST_SENT):
            await client.line()
        assert time.monotonic() - started < (1 + BURST_SENT - BURST) / RATE
        client.close()


async def test_paced_session_still_times_out(tmp_path: Path) -> None:
    """A client that spends its burst and goes quiet is still logged out on time: pacing
    never holds a read open."""
    limits = {"commands_per_second": "1", "command_burst": "1", "command_timeout": "1"}
    async with servers(tmp_path, limits) as served:
        client = await LineClient.connect(served.imap.port)
        client.writer.write(b"a NOOP\r\nb NOOP\r\n")
        assert await client.line() == "a OK NOOP completed"
        started = time.monotonic()
        assert await client.line() == "b OK NOOP completed"  # a second late, not refused
        assert time.monotonic() - started >= 0.9
        assert await client.line() == "* BYE Autologout; idle for too long"
        assert await client.closed()


# --- connections per account ---------------------------------------------------------------


async def test_account_limit_counts_imap_and_pop3_together(tmp_path: Path) -> None:
    async with servers(tmp_path, {"max_connections_per_account": "2"}) as served:
        first, reply = await imap_login(served.imap.port)
        assert reply.startswith("a1 OK")
        second, reply = await pop3_login(served.pop3.port)
        assert reply == "+OK logged in, maildrop has 40 messages"
        assert served.sessions_counted() == 2

        third, reply = await imap_login(served.imap.port)
        assert reply == "a1 NO [LIMIT] Too many connections for this account"
        fourth, reply = await pop3_login(served.pop3.port)
        assert reply == "-ERR [SYS/TEMP] too many connections for this account"
        assert served.sessions_counted() == 2

        assert await second.command("QUIT") == (
            "+OK mail.example.test POP3 server signing off (0 messages deleted)"
        )
        assert await second.closed()
        assert served.sessions_counted() == 1
        assert (await third.command(f'a2 LOGIN {ALICE} "{PASSWORD}"')).startswith("a2 OK")
        assert served.sessions_counted() == 2
        for client in (first, second, third, fourth):
            client.close()


async def test_a_refused_pop3_login_holds_neither_slot_nor_lock(tmp_path: Path) -> None:
    """Over the limit, the maildrop lock is not taken; with room, a locked maildrop gives
    [IN-USE] and the slot it counted is given back."""
    async with servers(tmp_path, {"max_connections_per_account": "2"}) as served:
        holder, reply = await pop3_login(served.pop3.port)
        assert reply.startswith("+OK logged in")
        second, reply = await pop3_login(served.pop3.port)
        assert reply == "-ERR [IN-USE] maildrop already locked by another session"
        assert served.sessions_counted() == 1
        imap, reply = await imap_login(served.imap.port)
        assert reply.startswith("a1 OK")  # the [IN-USE] refusal gave its slot back
        third, reply = await pop3_login(served.pop3.port)
        assert reply == "-ERR [SYS/TEMP] too many connections for this account"
        assert served.services.maildrop_locks.held(served.account_id)  # still the holder's
        for client in (holder, second, imap, third):
            client.close()


async def test_slots_come_back_when_sessions_end_without_goodbye(tmp_path: Path) -> None:
    """Dropped connections, timeouts and a listener stopping all give the slot back."""
    limits = {"max_connections_per_account": "3", "idle_timeout": "1"}
    async with servers(tmp_path, limits) as served:
        dropped, _ = await imap_login(served.imap.port)
        dropped_pop3, _ = await pop3_login(served.pop3.port)
        timing_out, _ = await imap_login(served.imap.port)
        assert served.sessions_counted() == 3
        dropped.close()
        dropped_pop3.close()
        await eventually("dropped sessions released", lambda: served.sessions_counted() == 1)
        # idle_timeout is at least 30 minutes in a validated config; 1 s here for speed.
        assert await timing_out.line() == "* BYE Autologout; idle for too long"
        assert await timing_out.closed()
        await eventually("timed-out session released", lambda: served.sessions_counted() == 0)

        kept = [await imap_login(served.imap.port) for _ in range(2)]
        kept_pop3, _ = await pop3_login(served.pop3.port)
        assert served.sessions_counted() == 3
        await served.imap.stop(0.0)  # sessions are cancelled
        await served.pop3.stop(0.0)
        assert served.sessions_counted() == 0
        assert len(served.services.account_connections) == 0
        for client, _ in kept:
            client.close()
        kept_pop3.close()
