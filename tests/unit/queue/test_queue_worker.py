"""The queue worker end to end: a real embedded store, real SMTP servers (aiosmtpd) on
loopback addresses, DNS from a ``StaticResolver``, time from a ``FakeClock``."""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from courriel.core.clock import FakeClock
from courriel.dns import StaticResolver
from courriel.mail.dsn import parse_dsn
from courriel.net.tls import TlsContextProvider, make_self_signed
from courriel.queue.route import Smarthost
from courriel.queue.service import OutboundQueue
from courriel.queue.worker import QueueWorker
from courriel.smtp.client import Timeouts
from courriel.storage.records import QueueRecipientInput
from courriel.storage.sqlite import EmbeddedStore, open_embedded_store

SENDER = "alice@example.org"
MESSAGE = (
    b"From: Alice <alice@example.org>\r\nTo: team@one.test\r\nSubject: quarterly report\r\n"
    b"Message-ID: <q1@example.org>\r\n\r\nThe numbers are in.\r\n.Dotted line.\r\n"
)
DAY = 86400.0


# ---------------------------------------------------------------------------- SMTP peers


@dataclass
class Received:
    sender: str
    recipients: list[str]
    content: bytes
    tls: bool


@dataclass
class PeerHandler:
    """aiosmtpd handler: answers RCPT from ``refusals`` (or ``refuse_all``), records mail."""

    refusals: dict[str, str] = field(default_factory=dict)
    refuse_all: str | None = None
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.refuse_all is not None:
            return self.refuse_all
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                session.ssl is not None,
            )
        )
        return "250 2.0.0 queued"


def common_free_port(*hosts: str) -> int:
    """A port free on every address (all MX peers listen on the worker's one SMTP port)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for host in hosts[1:]:
                with socket.socket() as other:
                    other.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no common free port")


@contextmanager
def smtp_peer(handler: PeerHandler, host: str, port: int, **options: Any) -> Iterator[None]:
    controller = Controller(
        handler, hostname=host, port=port, server_hostname=f"mx.{host}", **options
    )
    controller.start()
    try:
        yield
    finally:
        controller.stop()


# ---------------------------------------------------------------------------- the world


ZONES: dict[str, dict[str, list[str]]] = {
    "one.test": {"MX": ["10 mx.one.test"]},
    "mx.one.test": {"A": ["127.0.0.2"]},
    "two.test": {"MX": ["10 mx.two.test"]},
    "mx.two.test": {"A": ["127.0.0.3"]},
    # Primary MX on an address where nothing listens; the backup works.
    "backup.test": {"MX": ["10 dead.backup.test", "20 mx.one.test"]},
    "dead.backup.test": {"A": ["127.0.0.9"]},
    "dead.test": {"MX": ["10 mx.dead.test"]},
    "mx.dead.test": {"A": ["127.0.0.9"]},
    "nullmx.test": {"MX": ["0 ."]},
    "broken.test": {"TEMPFAIL": []},
}


@dataclass
class World:
    store: EmbeddedStore
    queue: OutboundQueue
    clock: FakeClock
    resolver: StaticResolver
    port: int
    one: PeerHandler
    two: PeerHandler
    dsns: list[tuple[bytes, str]]
    spool: Path

    def worker(self, **options: Any) -> QueueWorker:
        async def on_dsn(dsn: bytes, address: str) -> None:
            self.dsns.append((dsn, address))

        options.setdefault("timeouts", Timeouts.uniform(5.0))
        options.setdefault("port", self.port)
        return QueueWorker(
            self.queue,
            self.resolver,
            hostname="mail.example.org",
            on_dsn=on_dsn,
            clock=self.clock,
            random=random.Random(5),
            **options,
        )

    async def enqueue(
        self, recipients: list[str | QueueRecipientInput], *, sender: str = SENDER, **kw: Any
    ) -> int:
        inputs = [
            r if isinstance(r, QueueRecipientInput) else QueueRecipientInput(r) for r in recipients
        ]
        return await self.queue.enqueue(sender, inputs, kw.pop("raw", MESSAGE), **kw)

    async def states(self, message_id: int) -> dict[str, str]:
        return {r.address: r.state for r in await self.store.queue.recipients(message_id)}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    port = common_free_port("127.0.0.2", "127.0.0.3")
    one, two = PeerHandler(), PeerHandler()
    store = open_embedded_store(tmp_path / "store")
    clock = FakeClock()
    spool = tmp_path / "spool"
    queue = OutboundQueue(store.queue, spool, inline_limit=store.inline_limit, clock=clock)
    with ExitStack() as peers:
        peers.enter_context(smtp_peer(one, "127.0.0.2", port))
        peers.enter_context(smtp_peer(two, "127.0.0.3", port))
        try:
            yield World(store, queue, clock, StaticResolver(ZONES), port, one, two, [], spool)
        finally:
            store.close()


# ---------------------------------------------------------------------------- delivery


async def test_two_domains_one_transaction_each(world: World) -> None:
    message_id = await world.enqueue(["a1@one.test", "b@two.test", "a2@one.test"])
    reports = await world.worker().run_once()
    assert sorted(report.domain for report in reports) == ["one.test", "two.test"]
    assert [(r.sender, r.recipients) for r in world.one.received] == [
        (SENDER, ["a1@one.test", "a2@one.test"])  # RFC 5321 §3.3: one transaction
    ]
    assert [(r.sender, r.recipients) for r in world.two.received] == [(SENDER, ["b@two.test"])]
    assert world.one.received[0].content == MESSAGE
    assert world.dsns == []
    # Every recipient delivered: the message is gone from the queue.
    assert await world.store.queue.message(message_id) is None
    assert await world.queue.list_messages() == []


async def test_permanent_failure_sends_one_dsn_with_the_original_headers(world: World) -> None:
    world.one.refusals["gone@one.test"] = "550 5.1.1 no such mailbox"
    world.one.refusals["moved@one.test"] = "551 5.1.6 moved away"
    message_id = await world.enqueue(
        ["gone@one.test", "ok@one.test", QueueRecipientInput("moved@one.test", orcpt="rfc822;x@y")],
        envid="E1",
    )
    await world.worker().run_once()
    assert world.one.received[0].recipients == ["ok@one.test"]
    [(dsn, address)] = world.dsns
    assert address == SENDER
    assert b"Subject: quarterly report" in dsn  # the original header...
    assert b"The numbers are in." not in dsn  # ...and only the header (no RET=FULL)
    fields = parse_dsn(dsn)
    assert fields[0]["original-envelope-id"] == "E1"
    assert [(g["final-recipient"], g["action"], g["status"]) for g in fields[1:]] == [
        ("rfc822; gone@one.test", "failed", "5.1.1"),
        ("rfc822; moved@one.test", "failed", "5.1.6"),
    ]
    assert fields[1]["remote-mta"] == "dns; mx.one.test"
    assert fields[1]["diagnostic-code"] == "smtp; 550 5.1.1 no such mailbox"
    assert fields[2]["original-recipient"] == "rfc822; x@y"
    assert await world.store.queue.message(message_id) is None


async def test_an_invalid_address_fails_alone(world: World) -> None:
    await world.enqueue(["two words@one.test", "ok@one.test"])
    await world.worker().run_once()
    assert world.one.received[0].recipients == ["ok@one.test"]
    [(dsn, _)] = world.dsns
    assert [(g["final-recipient"], g["status"]) for g in parse_dsn(dsn)[1:]] == [
        ("rfc822; two words@one.test", "5.1.3")
    ]


async def test_temporary_failure_is_retried_after_the_backoff(world: World) -> None:
    world.one.refuse_all = "451 4.7.1 greylisted, come back later"
    message_id = await world.enqueue(["bob@one.test"])
    worker = world.worker()
    [report] = await worker.run_once()
    assert report.results[0].outcome == "retry"
    [recipient] = await world.store.queue.recipients(message_id)
    assert recipient.state == "pending" and recipient.attempts == 1
    assert recipient.last_error == "smtp; 451 4.7.1 greylisted, come back later"
    wait = recipient.next_attempt - world.clock.now()
    assert 48 <= wait <= 72  # 1 minute ± 20 %
    assert await worker.run_once() == []  # not due yet
    world.one.refuse_all = None
    world.clock.advance(wait + 1)
    [report] = await worker.run_once()
    assert report.results[0].outcome == "delivered"
    assert world.one.received[0].recipients == ["bob@one.test"]
    assert world.dsns == []
    assert await world.store.queue.message(message_id) is None


async def test_backup_mx_after_a_refused_connection(world: World) -> None:
    await world.enqueue(["carol@backup.test"])
    [report] = await world.worker().run_once()
    assert report.results[0].outcome == "delivered"
    assert report.results[0].host == "mx.one.test"
    assert world.one.received[0].recipients == ["carol@backup.test"]


async def test_delay_notice_once_then_failure_at_expiry(world: World) -> None:
    message_id = await world.enqueue(
        [
            QueueRecipientInput("x@dead.test"),
            QueueRecipientInput("y@dead.test", notify="FAILURE"),
            QueueRecipientInput("z@dead.test", notify="NEVER"),
        ]
    )
    worker = world.worker()
    start = world.clock.now()
    attempts = 0
    while await world.store.queue.message(message_id) is not None:
        assert attempts < 60, "the message should have expired by now"
        await worker.run_once()
        attempts += 1
        pending = [
            r.next_attempt
            for r in await world.store.queue.recipients(message_id)
            if r.state == "pending"
        ]
        if pending:
            world.clock.advance(max(0.0, min(pending) - world.clock.now()))
    elapsed = world.clock.now() - start
    assert 5 * DAY <= elapsed <= 5 * DAY + 1  # the last attempt is at expiry (RFC 5321 §4.5.4.1)
    assert 20 <= attempts <= 40
    [delayed, failed] = [parse_dsn(dsn) for dsn, _ in world.dsns]
    # One delay notice, after 4 hours, only for the recipient whose NOTIFY allows it.
    assert [(g["final-recipient"], g["action"]) for g in delayed[1:]] == [
        ("rfc822; x@dead.test", "delayed")
    ]
    assert delayed[1]["status"] == "4.4.1"
    # Then the failure: NOTIFY=NEVER gets nothing (RFC 3461 §4.1).
    assert [(g["final-recipient"], g["action"], g["status"]) for g in failed[1:]] == [
        ("rfc822; x@dead.test", "failed", "4.4.1"),
        ("rfc822; y@dead.test", "failed", "4.4.1"),
    ]


async def test_dns_failures(world: World) -> None:
    null_id = await world.enqueue(["a@nullmx.test"])
    broken_id = await world.enqueue(["b@broken.test"])
    missing_id = await world.enqueue(["c@no-such-domain.test"])
    await world.worker().run_once()
    statuses = sorted(
        (g["final-recipient"], g["status"]) for dsn, _ in world.dsns for g in parse_dsn(dsn)[1:]
    )
    assert statuses == [
        ("rfc822; a@nullmx.test", "5.1.10"),  # RFC 7505 §4.2
        ("rfc822; c@no-such-domain.test", "5.1.2"),
    ]
    assert await world.store.queue.message(null_id) is None
    assert await world.store.queue.message(missing_id) is None
    assert await world.states(broken_id) == {"b@broken.test": "pending"}  # DNS will recover


async def test_no_dsn_to_the_null_sender(world: World) -> None:
    world.one.refusals["gone@one.test"] = "550 5.1.1 no such mailbox"
    message_id = await world.enqueue(["gone@one.test"], sender="")
    await world.worker().run_once()
    assert world.dsns == []
    assert await world.store.queue.message(message_id) is None


async def test_large_message_file_is_removed_when_finished(world: World) -> None:
    big = MESSAGE + b"x" * 100 + b"\r\n" + (b"y" * 998 + b"\r\n") * 200
    assert len(big) > world.queue.inline_limit
    message_id = await world.enqueue(["a@one.test"], raw=big)
    assert len(list(world.spool.iterdir())) == 1
    await world.worker().run_once()
    assert world.one.received[0].content == big
    assert await world.store.queue.message(message_id) is None
    assert list(world.spool.iterdir()) == []


# ---------------------------------------------------------------------------- leases


async def test_a_crashed_attempt_comes_back_after_its_lease_not_before(world: World) -> None:
    message_id = await world.enqueue(["a@one.test"])
    worker = world.worker(lease=600.0)
    # Another worker claimed the recipient and died before recording anything.
    assert await world.store.queue.claim(world.clock.now(), 600.0, 100)
    assert await worker.run_once() == []
    world.clock.advance(599)
    assert await worker.run_once() == []
    world.clock.advance(2)
    [report] = await worker.run_once()
    assert report.results[0].outcome == "delivered"
    assert await world.store.queue.message(message_id) is None


class ExplodingResolver(StaticResolver):
    calls = 0

    async def mx(self, domain: str) -> Any:
        self.calls += 1
        raise RuntimeError("a bug in the middle of an attempt")


async def test_a_bug_mid_attempt_does_not_loop(world: World) -> None:
    world.resolver = ExplodingResolver(ZONES)
    message_id = await world.enqueue(["a@one.test"])
    worker = world.worker(lease=300.0)
    for _ in range(5):
        assert await worker.run_once() == []
    assert world.resolver.calls == 1  # leased: not retried in a tight loop
    world.clock.advance(301)
    await worker.run_once()
    assert world.resolver.calls == 2
    assert await world.states(message_id) == {"a@one.test": "pending"}


# ---------------------------------------------------------------------------- TLS, smarthost, loop


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("worker-tls")
    make_self_signed("relay.example.test", directory / "c.pem", directory / "k.pem")
    return directory / "c.pem", directory / "k.pem"


async def test_opportunistic_starttls_to_an_untrusted_mx(
    world: World, certificate: tuple[Path, Path]
) -> None:
    handler = PeerHandler()
    port = common_free_port("127.0.0.4")
    world.resolver = StaticResolver(
        {"tls.test": {"MX": ["10 mx.tls.test"]}, "mx.tls.test": {"A": ["127.0.0.4"]}}
    )
    tls = TlsContextProvider(*certificate).context
    with smtp_peer(handler, "127.0.0.4", port, tls_context=tls):
        await world.enqueue(["a@tls.test"])
        await world.worker(port=port).run_once()
    assert [(r.recipients, r.tls) for r in handler.received] == [(["a@tls.test"], True)]


def accept_relay_user(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"me", b"pw")
    return AuthResult(success=ok, handled=False)


async def test_smarthost_with_starttls_and_auth(
    world: World, certificate: tuple[Path, Path]
) -> None:
    handler = PeerHandler()
    port = common_free_port("127.0.0.1")
    tls: ssl.SSLContext = TlsContextProvider(*certificate).context
    relay = Smarthost(
        "127.0.0.1",
        port,
        username="me",
        password="pw",
        ca_file=certificate[0],
        tls_name="relay.example.test",
    )
    with smtp_peer(handler, "127.0.0.1", port, tls_context=tls, authenticator=accept_relay_user):
        await world.enqueue(["a@one.test", "b@two.test"])
        await world.worker(smarthost=relay).run_once()
    assert sorted(r.recipients[0] for r in handler.received) == ["a@one.test", "b@two.test"]
    assert all(r.tls for r in handler.received)
    assert world.one.received == [] and world.two.received == []
    # Wrong credentials: retried later, never bounced (it is our configuration's fault).
    wrong = Smarthost(
        "127.0.0.1",
        port,
        username="me",
        password="no",
        ca_file=certificate[0],
        tls_name="relay.example.test",
    )
    with smtp_peer(handler, "127.0.0.1", port, tls_context=tls, authenticator=accept_relay_user):
        message_id = await world.enqueue(["c@one.test"])
        [report] = await world.worker(smarthost=wrong).run_once()
    assert report.results[0].outcome == "retry"
    assert await world.states(message_id) == {"c@one.test": "pending"}
    assert world.dsns == []


async def test_run_wakes_up_on_enqueue_and_stops_when_cancelled(world: World) -> None:
    task = asyncio.create_task(world.worker(poll_interval=30.0).run())
    await asyncio.sleep(0.05)
    message_id = await world.enqueue(["a@one.test"])
    for _ in range(200):
        if await world.store.queue.message(message_id) is None:
            break
        await asyncio.sleep(0.02)
    assert [r.recipients for r in world.one.received] == [["a@one.test"]]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
