"""The POP3 server's behaviour across sessions and against storage, on a real listener:
DELE only at QUIT and atomically, a dropped connection keeps mail, [IN-USE], UIDL stable
across sessions, restarts and IMAP flag changes, the snapshot at login, \\Seen off by
default, large messages streamed, timeouts, SCRAM, 2FA, bans and storage failures.

The transcripts (tests/transcripts/pop3) cover each command's replies; these tests cover
what one connection cannot show.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import ssl
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pyotp
import pytest

from courriel import sasl
from courriel.config import Config, EnabledListener
from courriel.net import (
    Connection,
    Listener,
    SessionHandler,
    TlsContextProvider,
    make_client_context,
    make_self_signed,
)
from courriel.pop3 import (
    Pop3Command,
    dot_stuff,
    dot_unstuff,
    handlers,
    normalize_line_endings,
    wire_size,
)
from courriel.pop3.handlers import HANDLERS, READ_CHUNK
from courriel.pop3.server import pop3_server
from courriel.pop3.session import Pop3Session, SessionSettings
from courriel.pop3.state import MaildropLocks, Transaction
from courriel.runtime.services import Services
from courriel.storage.errors import Unavailable
from courriel.storage.records import Flag, MessageContent, MessageRecord
from support.services import temporary_services

ALICE = "alice@example.test"
PASSWORD = "correct horse battery"


# --- a POP3 client that shows the bytes ----------------------------------------------------


class Client:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=16 << 20)
        client = cls(reader, writer)
        OPEN_CLIENTS.append(client)
        assert (await client.line()).startswith("+OK ")
        return client

    async def line(self) -> str:
        data = await asyncio.wait_for(self.reader.readline(), 10)
        assert data.endswith(b"\r\n"), data
        return data[:-2].decode("utf-8")

    async def raw_multiline(self) -> bytes:
        """Everything up to and including the terminating line, as received."""
        return await asyncio.wait_for(self.reader.readuntil(b"\r\n.\r\n"), 20)

    async def send(self, line: str | bytes) -> None:
        self.writer.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")
        await self.writer.drain()

    async def command(self, line: str) -> str:
        await self.send(line)
        return await self.line()

    async def multiline(self, line: str) -> tuple[str, bytes]:
        status = await self.command(line)
        assert status.startswith("+OK"), status
        return status, dot_unstuff(await self.raw_multiline())

    async def login(self, user: str = ALICE, password: str = PASSWORD) -> str:
        assert await self.command(f"USER {user}") == "+OK send PASS"
        return await self.command(f"PASS {password}")

    async def uidl(self) -> list[str]:
        _, body = await self.multiline("UIDL")
        return body.decode().splitlines()

    async def closed(self) -> bool:
        return await asyncio.wait_for(self.reader.read(), 10) == b""

    def close(self) -> None:
        self.writer.close()


OPEN_CLIENTS: list[Client] = []


@pytest.fixture(autouse=True)
async def close_clients() -> AsyncIterator[None]:
    yield
    while OPEN_CLIENTS:
        client = OPEN_CLIENTS.pop()
        client.writer.close()
        with suppress(ConnectionError, ssl.SSLError):
            await client.writer.wait_closed()


# --- a server per test ---------------------------------------------------------------------


@dataclass
class Served:
    services: Services
    port: int
    tls: TlsContextProvider
    account_id: int
    inbox_id: int

    async def uids(self) -> list[int]:
        _, metas = await self.services.mailstore.snapshot(self.inbox_id)
        return [meta.uid for meta in metas]

    async def append(self, *messages: bytes, flags: tuple[str, ...] = ()) -> None:
        await self.services.mailstore.append(
            self.account_id, self.inbox_id, [(raw, flags, None) for raw in messages]
        )

    async def record(self, uid: int) -> MessageRecord:
        [record] = await self.services.mailstore.fetch(self.inbox_id, [uid])
        return record

    def count_reads(self, monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
        """The UIDs of each storage read of message contents, as they happen."""
        batches: list[list[int]] = []
        read_messages = self.services.mailstore.read_messages

        async def counted(mailbox_id: int, messages: Sequence[MessageContent]) -> dict[int, bytes]:
            batches.append([content.uid for content in messages])
            return await read_messages(mailbox_id, messages)

        monkeypatch.setattr(self.services.mailstore, "read_messages", counted)
        return batches

    async def lock_released(self) -> None:
        locks = self.services.maildrop_locks
        for _ in range(200):
            if not locks.held(self.account_id):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the maildrop lock was not released")


def plaintext_on_loopback(config: Config) -> Config:
    return dataclasses.replace(
        config,
        server=dataclasses.replace(config.server, hostname="mail.example.test"),
        auth=dataclasses.replace(config.auth, plaintext_on_loopback=True),
    )


@asynccontextmanager
async def serving(
    data: Path,
    *,
    settings: Callable[[SessionSettings], None] | None = None,
    fresh: bool = True,
    max_connections_per_ip: int | None = None,
) -> AsyncIterator[Served]:
    """Services on ``data`` and a STLS POP3 listener; ``settings`` adjusts the sessions'."""
    certificate, key = data / "cert.pem", data / "key.pem"
    if not certificate.exists():
        data.mkdir(parents=True, exist_ok=True)
        make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    tls = TlsContextProvider(certificate, key)
    async with temporary_services(data / "store", configure=plaintext_on_loopback) as services:

        async def no_delay(seconds: float) -> None:
            del seconds

        services.auth.sleep = no_delay
        if fresh:
            await services.directory.add_domain("example.test", dkim=False)
            await services.directory.add_account(ALICE, PASSWORD)
        account = await services.directory.get_account(ALICE)
        inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
        server = pop3_server(
            services, tls, EnabledListener("pop3", "pop3", "starttls", ("127.0.0.1",), 0)
        )
        handler: SessionHandler = server.handler
        if settings is not None:
            session_settings = SessionSettings(
                hostname="mail.example.test",
                mailstore=services.mailstore,
                auth=services.auth,
                tls=tls,
                locks=services.maildrop_locks,
                command_timeout=services.config.limits.command_timeout,
            )
            settings(session_settings)

            async def adjusted(connection: Connection) -> None:
                await Pop3Session(connection, session_settings, implicit_tls=False).run()

            handler = adjusted
        listener = Listener(
            "pop3",
            ["127.0.0.1"],
            0,
            handler,
            tls=tls,
            on_refused=server.on_refused,
            max_connections_per_ip=max_connections_per_ip,
        )
        await listener.start()
        try:
            yield Served(services, listener.port, tls, account.id, inbox.id)
        finally:
            await listener.stop(1.0)


def message(subject: str, body: str = "Hello") -> bytes:
    return f"Subject: {subject}\r\n\r\n{body}\r\n".encode()


# --- the command table ---------------------------------------------------------------------


def test_every_command_of_the_grammar_has_a_handler() -> None:
    assert set(HANDLERS) == set(get_args(Pop3Command))


# --- UPDATE: DELE only at QUIT, atomically, visible to IMAP --------------------------------


async def test_dele_removes_only_at_quit_and_tells_imap_sessions(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"), message("two"), message("three"))
        changes = served.services.bus.subscribe(served.account_id)
        client = await Client.connect(served.port)
        assert await client.login() == "+OK logged in, maildrop has 3 messages"
        assert await client.command("DELE 1") == "+OK message 1 deleted"
        assert await client.command("DELE 3") == "+OK message 3 deleted"
        assert await served.uids() == [1, 2, 3]  # RFC 1939 §5: only marked
        assert (await served.record(1)).flags & int(Flag.DELETED) == 0  # no \Deleted either
        assert await client.command("QUIT") == (
            "+OK mail.example.test POP3 server signing off (2 messages deleted)"
        )
        assert await client.closed()
        assert await served.uids() == [2]
        change = await changes.get(timeout=5)
        assert change is not None
        assert (change.kind, change.mailbox_id, change.uids) == (
            "expunged",
            served.inbox_id,
            (1, 3),
        )
        changes.close()


async def test_a_dropped_connection_deletes_nothing(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"), message("two"))
        client = await Client.connect(served.port)
        await client.login()
        assert await client.command("DELE 1") == "+OK message 1 deleted"
        assert await client.command("DELE 2") == "+OK message 2 deleted"
        client.writer.transport.abort()  # no QUIT
        await served.lock_released()
        assert await served.uids() == [1, 2]
        again = await Client.connect(served.port)
        assert await again.login() == "+OK logged in, maildrop has 2 messages"
        again.close()


async def test_a_failed_update_removes_nothing_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"), message("two"))
        client = await Client.connect(served.port)
        await client.login()
        await client.command("DELE 1")

        async def broken(*args: object) -> None:
            raise Unavailable("disk full")

        monkeypatch.setattr(served.services.mailstore, "remove", broken)
        assert await client.command("QUIT") == "-ERR [SYS/TEMP] some deleted messages not removed"
        assert await client.closed()
        assert await served.uids() == [1, 2]


async def test_a_message_imap_removed_meanwhile_is_still_served_then_simply_gone(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"), message("two"))
        client = await Client.connect(served.port)
        await client.login()
        await served.services.mailstore.remove(served.account_id, served.inbox_id, [1])
        _, body = await client.multiline("RETR 1")  # content stays through the GC grace
        assert body == message("one")
        assert await client.command("DELE 1") == "+OK message 1 deleted"
        assert await client.command("QUIT") == (
            "+OK mail.example.test POP3 server signing off (0 messages deleted)"
        )
        assert await served.uids() == [2]


# --- one session per maildrop ----------------------------------------------------------------


async def test_a_second_session_on_the_same_maildrop_is_refused_in_use(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        first = await Client.connect(served.port)
        assert (await first.login()).startswith("+OK logged in")
        second = await Client.connect(served.port)
        assert await second.login() == "-ERR [IN-USE] maildrop already locked by another session"
        assert await second.command("STAT") == "-ERR STAT is not valid in the AUTHORIZATION state"
        await first.command("QUIT")
        assert await first.closed()
        await served.lock_released()
        assert (await second.login()).startswith("+OK logged in")
        assert await second.command("STAT") == "+OK 0 0"
        second.close()


# --- the maildrop is a snapshot; UIDL is stable ------------------------------------------------


async def test_mail_delivered_during_a_session_appears_in_the_next(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"))
        client = await Client.connect(served.port)
        await client.login()
        await served.append(message("late"))
        assert await client.command("STAT") == f"+OK 1 {len(message('one'))}"
        assert await client.command("RETR 2") == (
            "-ERR no such message, only 1 message in maildrop"
        )
        await client.command("QUIT")
        again = await Client.connect(served.port)
        assert await again.login() == "+OK logged in, maildrop has 2 messages"
        again.close()


async def test_uidl_is_stable_across_sessions_restarts_and_imap_activity(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"), message("two"), message("three"))
        client = await Client.connect(served.port)
        await client.login()
        first = await client.uidl()
        await client.command("QUIT")
        assert [line.split()[0] for line in first] == ["1", "2", "3"]
        ids = [line.split()[1] for line in first]
        assert len(set(ids)) == 3

        # IMAP: flags, keywords, and message two expunged.
        mailstore = served.services.mailstore
        await mailstore.store_flags(
            served.account_id, served.inbox_id, [1, 3], "add", ["\\Seen", "\\Flagged", "$Work"]
        )
        await mailstore.store_flags(served.account_id, served.inbox_id, [2], "add", ["\\Deleted"])
        await mailstore.expunge(served.account_id, served.inbox_id)
        await served.append(message("four"))
        await served.lock_released()
        client = await Client.connect(served.port)
        await client.login()
        second = await client.uidl()
        await client.command("QUIT")
        assert second[:2] == [f"1 {ids[0]}", f"2 {ids[2]}"]  # numbers change, ids do not
        assert second[2].split()[1] not in ids
    async with serving(tmp_path, fresh=False) as served:  # a restart
        client = await Client.connect(served.port)
        await client.login()
        assert await client.uidl() == second
        client.close()


# --- reading does not mark \Seen unless configured -----------------------------------------------


async def test_retrieving_does_not_set_seen_by_default(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"))
        client = await Client.connect(served.port)
        await client.login()
        await client.multiline("RETR 1")
        await client.command("QUIT")
        assert await client.closed()
        assert (await served.record(1)).flags & int(Flag.SEEN) == 0


async def test_mark_seen_flags_retrieved_messages_at_quit(tmp_path: Path) -> None:
    def mark_seen(settings: SessionSettings) -> None:
        settings.mark_seen = True

    async with serving(tmp_path, settings=mark_seen) as served:
        await served.append(message("one"), message("two"), message("three"), message("four"))
        client = await Client.connect(served.port)
        await client.login()
        await client.multiline("RETR 1")
        await client.multiline("RETR 2")
        await client.multiline("TOP 3 0")  # TOP is not reading the message
        assert await client.command("DELE 2") == "+OK message 2 deleted"
        assert (await served.record(1)).flags & int(Flag.SEEN) == 0  # not before QUIT
        await client.command("QUIT")
        assert await client.closed()
        seen = {uid: (await served.record(uid)).flags & int(Flag.SEEN) for uid in (1, 3, 4)}
        assert seen == {1: int(Flag.SEEN), 3: 0, 4: 0}


# --- message bytes ---------------------------------------------------------------------------


async def test_a_large_message_is_streamed_with_exact_size_and_stuffing(tmp_path: Path) -> None:
    line = b".dot line with bare LF\n" + b"x" * 100 + b"\r\n"
    raw = b"Subject: big\r\n\r\n" + line * (3 * READ_CHUNK // len(line)) + b".last\r"
    async with serving(tmp_path) as served:
        await served.append(raw)
        assert not (await served.record(1)).inline  # read from the blob store in chunks
        client = await Client.connect(served.port)
        await client.login()
        assert await client.command("LIST 1") == f"+OK 1 {wire_size(raw)}"
        status, body = await client.multiline("RETR 1")
        assert status == "+OK message follows"
        assert body == normalize_line_endings(raw)  # the final bare CR became CRLF
        assert len(body) == wire_size(raw)
        _, head = await client.multiline("TOP 1 2")  # two lines: one LF, one CRLF
        assert head == b"Subject: big\r\n\r\n" + normalize_line_endings(line)
        client.close()


async def test_sizes_of_messages_whose_line_breaks_straddle_read_chunks(tmp_path: Path) -> None:
    header = b"Subject: edge\r\n\r\n"
    crlf_split = header + b"a" * (READ_CHUNK - len(header) - 1) + b"\r\nnext\nline"
    bare_cr_split = header + b"b" * (READ_CHUNK - len(header) - 1) + b"\rmore\r"
    exact = header + b"c" * (2 * READ_CHUNK - len(header) - 2) + b"\n\r"
    async with serving(tmp_path) as served:
        await served.append(crlf_split, bare_cr_split, exact)
        client = await Client.connect(served.port)
        await client.login()
        _, listing = await client.multiline("LIST")
        assert listing.split(b"\r\n")[:3] == [
            f"{number} {wire_size(raw)}".encode()
            for number, raw in enumerate((crlf_split, bare_cr_split, exact), 1)
        ]
        for number, raw in enumerate((crlf_split, bare_cr_split, exact), 1):
            _, body = await client.multiline(f"RETR {number}")
            assert len(body) == wire_size(raw)


async def test_sizes_of_content_stored_before_wire_sizes_were_recorded(tmp_path: Path) -> None:
    """Content from before schema 4 has no recorded wire size: the maildrop reads it, small
    messages in batches and large ones chunk by chunk, and announces the same sizes."""
    header = b"Subject: old\r\n\r\n"
    small_bare_lf = header + b"line\nline\n.dot\nno final break"
    crlf_split = header + b"a" * (READ_CHUNK - len(header) - 1) + b"\r\nnext\nline"
    bare_cr_split = header + b"b" * (READ_CHUNK - len(header) - 1) + b"\rmore\r"
    exact = header + b"c" * (2 * READ_CHUNK - len(header) - 2) + b"\n\r"
    raws = (small_bare_lf, crlf_split, bare_cr_split, exact)
    async with serving(tmp_path) as served:
        await served.append(*raws)
        await served.services.store.engine.write(
            lambda connection: connection.execute("UPDATE blob SET wire_size = NULL")
        )
        client = await Client.connect(served.port)
        await client.login()
        assert await client.command("LIST 1") == f"+OK 1 {wire_size(small_bare_lf)}"
        assert await client.command("STAT") == f"+OK 4 {sum(wire_size(raw) for raw in raws)}"
        _, listing = await client.multiline("LIST")
        assert listing.split(b"\r\n")[:4] == [
            f"{number} {wire_size(raw)}".encode() for number, raw in enumerate(raws, 1)
        ]
        for number, raw in enumerate(raws, 1):
            _, body = await client.multiline(f"RETR {number}")
            assert len(body) == wire_size(raw)
        client.close()


async def test_list_leaves_out_deleted_messages_whatever_their_sizes(tmp_path: Path) -> None:
    raws = [message(f"m{n}", "line\n" * n) for n in range(1, 6)]
    async with serving(tmp_path) as served:
        await served.append(*raws)
        await served.services.store.engine.write(  # content stored before schema 4
            lambda connection: connection.execute("UPDATE blob SET wire_size = NULL")
        )
        client = await Client.connect(served.port)
        await client.login()
        assert await client.command("DELE 2") == "+OK message 2 deleted"
        assert await client.command("DELE 5") == "+OK message 5 deleted"
        kept = {1: raws[0], 3: raws[2], 4: raws[3]}
        status, listing = await client.multiline("LIST")
        total = sum(wire_size(raw) for raw in kept.values())
        assert status == f"+OK 3 messages ({total} octets)"
        assert listing == b"".join(b"%d %d\r\n" % (n, wire_size(raw)) for n, raw in kept.items())
        _, unique_ids = await client.multiline("UIDL")
        assert [line.split()[0] for line in unique_ids.splitlines()] == [b"1", b"3", b"4"]
        assert await client.command("RSET") == "+OK maildrop has 5 messages"
        status, listing = await client.multiline("LIST")
        assert status.startswith("+OK 5 messages (")
        assert len(listing.splitlines()) == 5
        client.close()


async def test_retr_reads_ahead_and_sends_every_message_byte_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Downloading in order costs one storage read per READ_AHEAD_MESSAGES messages; the
    read-ahead skips messages already sent or marked, large ones are streamed apart, and
    a message IMAP removes meanwhile is still served from its content."""
    monkeypatch.setattr(handlers, "READ_AHEAD_MESSAGES", 4)
    big = b"Subject: big\r\n\r\n" + b".x\n" * (READ_CHUNK // 3 + 1)
    raws = [message(f"m{n}", f".dot {n}\nbare LF\rbare CR") for n in range(1, 12)]
    raws[5] = big
    async with serving(tmp_path) as served:
        await served.append(*raws)
        batches = served.count_reads(monkeypatch)
        client = await Client.connect(served.port)
        await client.login()
        assert await client.command("DELE 5") == "+OK message 5 deleted"
        await served.services.mailstore.remove(served.account_id, served.inbox_id, [7])
        for number in (3, 1, 2, 4, 6, 7, 8, 9, 10, 11):
            _, body = await client.multiline(f"RETR {number}")
            assert body == normalize_line_endings(raws[number - 1])  # each ends with a break
        # RETR 3 reads 3, 4, 7, 8 (5 is marked, 6 too large to hold); RETR 1 misses and
        # reads 1, 2, 4, 7 (3 was sent); 2 and 4 come from memory, 6 is streamed, 7 comes
        # from memory, RETR 8 reads 8 to 11.
        assert batches == [[3, 4, 7, 8], [1, 2, 4, 7], [8, 9, 10, 11]]
        client.close()


async def test_top_from_the_read_ahead_is_top_from_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TOP answers from what RETR read ahead (a collector that leaves mail on the server
    downloads with "TOP n 99999999") exactly as from storage: the same cut, stuffing and
    line endings, for messages that need stuffing or CRLFs and for those sent as stored."""
    raws = [
        message("plain", "one\r\ntwo"),
        b"Subject: dots\r\n\r\n.one\r\n..two\r\n.\r\nend\r\n",
        b"Subject: bare\n\nline\n.dot\rcr\nno final break",
        b"Subject: headers only",
    ]
    tops = (0, 1, 2, 99_999_999)
    async with serving(tmp_path) as served:
        await served.append(message("first"), *raws)
        monkeypatch.setattr(handlers, "READ_AHEAD_MESSAGES", 1)  # each TOP reads storage
        from_storage = await Client.connect(served.port)
        await from_storage.login()
        expected = {}
        for number in range(2, 6):
            for lines in tops:
                expected[number, lines] = await from_storage.multiline(f"TOP {number} {lines}")
        await from_storage.command("QUIT")
        await served.lock_released()
        monkeypatch.undo()
        for lines in tops:
            client = await Client.connect(served.port)
            await client.login()
            await client.multiline("RETR 1")  # reads messages 2 to 5 ahead
            for number in range(2, 6):
                top = await client.multiline(f"TOP {number} {lines}")
                assert top == expected[number, lines], (number, lines)
            await client.command("QUIT")
            await served.lock_released()
    for number, raw in enumerate(raws, 2):
        status, body = expected[number, 99_999_999]
        assert status == "+OK top of message follows"
        assert body == dot_unstuff(dot_stuff(raw))  # the whole message, as RETR sends it


async def test_reading_in_order_reads_each_message_once_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client downloading in order waits for storage once per batch: the RETR that finds
    the read-ahead empty reads the next READ_AHEAD_MESSAGES, none is read before (no
    background read competes with the session) and none twice."""
    monkeypatch.setattr(handlers, "READ_AHEAD_MESSAGES", 64)
    raws = [message(f"m{n}") for n in range(1, 201)]
    async with serving(tmp_path) as served:
        await served.append(*raws)
        batches = served.count_reads(monkeypatch)
        client = await Client.connect(served.port)
        await client.login()
        for number, raw in enumerate(raws, 1):
            _, body = await client.multiline(f"RETR {number}")
            assert body == raw
            assert len(batches) == (number - 1) // 64 + 1
        client.close()
    assert [len(batch) for batch in batches] == [64, 64, 64, 8]
    assert sorted(uid for batch in batches for uid in batch) == list(range(1, 201))


async def test_a_pipelining_client_gets_the_next_batch_read_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With many RETR in flight, the next batch is read while the read-ahead is still
    being sent (once it is down to REFILL_AT), so only the first read holds a command up;
    every message is still read once and sent right."""
    monkeypatch.setattr(handlers, "READ_AHEAD_MESSAGES", 64)
    monkeypatch.setattr(handlers, "REFILL_AT", 16)
    started: list[int] = []
    in_background = Pop3Session.in_background

    def counted(session: Pop3Session, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        state = session.state
        assert isinstance(state, Transaction)
        started.append(len(state.maildrop.read_ahead))
        return in_background(session, work)

    monkeypatch.setattr(Pop3Session, "in_background", counted)
    raws = [message(f"m{n}") for n in range(1, 201)]
    async with serving(tmp_path) as served:
        await served.append(*raws)
        batches = served.count_reads(monkeypatch)
        client = await Client.connect(served.port)
        await client.login()
        await client.send(b"".join(b"RETR %d\r\n" % n for n in range(1, 201)))
        for raw in raws:
            assert (await client.line()).startswith("+OK")
            assert dot_unstuff(await client.raw_multiline()) == raw
        client.close()
    assert sorted(uid for batch in batches for uid in batch) == list(range(1, 201))
    assert len(started) == len(batches) - 1  # every read but the first was a refill
    assert all(held <= 16 for held in started)


async def test_the_read_ahead_is_bounded_in_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raws = [message(f"m{n}", "x" * 1000) for n in range(1, 8)]
    monkeypatch.setattr(handlers, "READ_AHEAD_BYTES", 3 * len(raws[0]))
    async with serving(tmp_path) as served:
        await served.append(*raws)
        batches = served.count_reads(monkeypatch)
        client = await Client.connect(served.port)
        await client.login()
        await client.send(b"".join(b"RETR %d\r\n" % n for n in range(1, 8)))  # pipelined
        for raw in raws:
            assert await client.line() == f"+OK {len(raw)} octets"
            assert dot_unstuff(await client.raw_multiline()) == raw
        assert batches == [[1, 2, 3], [4, 5, 6], [7]]
        client.close()


async def test_pipelined_commands_are_answered_in_order(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"))
        client = await Client.connect(served.port)
        await client.login()
        await client.send(b"STAT\r\nUIDL 1\r\nNOOP\r\nLIST 1\r\nBOGUS\r\nDELE 1\r\nRSET\r\n")
        replies = [await client.line() for _ in range(7)]
        assert [reply.split()[0] for reply in replies] == ["+OK"] * 4 + ["-ERR"] + ["+OK"] * 2
        assert replies[3] == f"+OK 1 {len(message('one'))}"
        client.close()


async def test_commands_answered_from_memory_and_from_storage_keep_their_order(
    tmp_path: Path,
) -> None:
    """Commands memory can answer are answered as they arrive, the others by the session
    loop (a storage read, a syntax error, QUIT): pipelined together, the replies come in
    command order and match what one-at-a-time commands get."""
    raws = [message(f"m{n}", f".line {n}") for n in range(1, 5)]
    script = [
        "RETR 1",  # reads 1 to 4 ahead from storage
        "RETR 2",
        "LIST 2",
        "DELE 2",
        "RETR 2",
        "BOGUS",
        "TOP 3 0",
        "UIDL 3",
        "RSET",
        "STAT",
        "RETR 4",
        "RETR 2",  # sent already: read again from storage
        "NOOP",
    ]

    async def replies(client: Client, pipelined: bool) -> list[bytes]:
        if pipelined:
            await client.send("".join(f"{line}\r\n" for line in script).encode())
        answers = []
        for line in script:
            if not pipelined:
                await client.send(line)
            status = await client.line()
            body = b""
            if status.startswith("+OK") and line.split()[0] in ("RETR", "TOP"):
                body = await client.raw_multiline()
            answers.append(status.encode() + b"\r\n" + body)
        return answers

    async with serving(tmp_path) as served:
        await served.append(*raws)
        one_at_a_time = await Client.connect(served.port)
        await one_at_a_time.login()
        expected = await replies(one_at_a_time, pipelined=False)
        assert await one_at_a_time.command("QUIT") == (
            "+OK mail.example.test POP3 server signing off (0 messages deleted)"
        )
        await served.lock_released()
        client = await Client.connect(served.port)
        await client.login()
        assert await replies(client, pipelined=True) == expected
        client.close()
    assert expected[4] == b"-ERR message 2 already deleted\r\n"
    assert expected[5] == b"-ERR unknown command\r\n"
    assert expected[11].endswith(dot_stuff(raws[1]))


# --- limits ----------------------------------------------------------------------------------


async def test_an_endless_line_is_refused_and_the_session_goes_on(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        client = await Client.connect(served.port)
        await client.send(b"USER " + b"a" * 200_000 + b"\r\n")
        assert await client.line() == "-ERR line too long"
        assert (await client.login()).startswith("+OK logged in")
        client.close()


async def test_idle_sessions_are_closed_without_update(tmp_path: Path) -> None:
    def short_timeouts(settings: SessionSettings) -> None:
        settings.command_timeout = 0.3
        settings.transaction_timeout = 0.3

    async with serving(tmp_path, settings=short_timeouts) as served:
        await served.append(message("one"))
        idle = await Client.connect(served.port)
        assert await idle.closed()  # RFC 1939 §3: no reply, just the close
        client = await Client.connect(served.port)
        await client.login()
        await client.command("DELE 1")
        assert await client.closed()
        await served.lock_released()
        assert await served.uids() == [1]


def test_the_transaction_timer_lasts_at_least_ten_minutes() -> None:
    settings = SessionSettings(
        hostname="h",
        mailstore=None,  # type: ignore[arg-type]
        auth=None,  # type: ignore[arg-type]
        tls=None,
        locks=MaildropLocks(),
        command_timeout=30.0,
    )
    assert (settings.command_timeout, settings.transaction_timeout) == (30.0, 600.0)


async def test_connections_over_the_per_ip_limit_hear_why(tmp_path: Path) -> None:
    async with serving(tmp_path, max_connections_per_ip=1) as served:
        first = await Client.connect(served.port)
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        line = await asyncio.wait_for(reader.readline(), 10)
        assert line == b"-ERR [SYS/TEMP] too many connections from your address\r\n"
        writer.close()
        first.close()


# --- authentication --------------------------------------------------------------------------


async def starttls(client: Client) -> None:
    assert await client.command("STLS") == "+OK begin TLS negotiation"
    await client.writer.start_tls(make_client_context(verify=False))


async def test_scram_sha_256(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"))
        client = await Client.connect(served.port)
        await starttls(client)
        scram = sasl.ScramClient(ALICE, PASSWORD)
        first = base64.b64encode(scram.first()).decode()
        challenge = await client.command(f"AUTH SCRAM-SHA-256 {first}")
        assert challenge.startswith("+ ")
        final = await asyncio.to_thread(scram.final, base64.b64decode(challenge[2:]))
        server_final = await client.command(base64.b64encode(final).decode())
        assert server_final.startswith("+ ")
        scram.verify(base64.b64decode(server_final[2:]))  # the server proved itself
        assert await client.command("") == "+OK logged in, maildrop has 1 message"
        client.close()


async def test_two_factor_accounts_need_an_app_password(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        auth = served.services.auth
        enrolment = await auth.begin_totp(ALICE)
        await auth.confirm_totp(ALICE, pyotp.TOTP(enrolment.secret).at(served.services.clock.now()))
        client = await Client.connect(served.port)
        refused = await client.login()
        assert refused.startswith("-ERR [AUTH] app password required")
        _, imap_only = await auth.add_app_password(ALICE, "tablet", ("imap",))
        assert await client.login(password=imap_only) == "-ERR [AUTH] invalid credentials"
        _, pop3_password = await auth.add_app_password(ALICE, "laptop", ("pop3",))
        assert (await client.login(password=pop3_password)).startswith("+OK logged in")
        client.close()


async def test_a_banned_address_is_told_and_disconnected(tmp_path: Path) -> None:
    async with serving(tmp_path) as served:
        client = await Client.connect(served.port)
        for attempt in range(10):  # auth.max_failures_per_ip
            assert await client.login(password=f"guess {attempt}") == (
                "-ERR [AUTH] invalid credentials"
            )
        reply = await client.login()
        assert reply.startswith("-ERR [SYS/TEMP] too many failed logins")
        assert await client.closed()


# --- storage failures ------------------------------------------------------------------------


async def test_storage_errors_become_sys_temp_and_the_session_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(tmp_path) as served:
        await served.append(message("one"))
        client = await Client.connect(served.port)
        await client.login()

        async def broken(*args: object) -> bytes:
            raise Unavailable("database is locked")

        with monkeypatch.context() as patch:
            patch.setattr(served.services.mailstore, "read_message", broken)
            patch.setattr(served.services.mailstore, "read_messages", broken)
            assert await client.command("RETR 1") == (
                "-ERR [SYS/TEMP] storage unavailable, try again later"
            )
        _, body = await client.multiline("RETR 1")
        assert body == message("one")
        client.close()
