"""delivery.reading: one parse for the spam filter and the store. A worker process reads
like this one, whatever the message and the checks' results; scoring with the reading
equals scoring that reads the message itself; and what delivery stores from the reading
is what a fresh parse of the stored bytes gives (offsets, sizes, header text, hash)."""

from __future__ import annotations

import asyncio
import dataclasses
import smtplib
from pathlib import Path

from courriel.core.workers import WorkerPool
from courriel.delivery.reading import READ_JOB, MessageReader, read
from courriel.mailauth.results import MethodResult
from courriel.mailstore.ingest import prepare_content
from courriel.runtime.services import Services
from courriel.spam.analysis import analyze
from courriel.spam.rules import RuleContext
from courriel.storage.records import MessageRecord
from support.mx import mx_listener
from support.services import temporary_services

DATA = Path(__file__).parents[2] / "data"
MESSAGES = [path.read_bytes() for path in sorted(DATA.glob("spam-corpus/*/*.eml"))]
MIME = [path.read_bytes() for path in sorted(DATA.glob("mime-corpus/*.eml"))]
LIMIT = 128 * 1024
CONTEXTS = [
    RuleContext(None, ()),
    RuleContext(
        (
            MethodResult("spf", "fail", None, (("smtp.mailfrom", "x@example.org"),)),
            MethodResult("dmarc", "fail", "p=reject", (("header.from", "example.org"),)),
        ),
        ("example.test", "exemple.fr"),
    ),
]


def test_one_parse_reads_like_two() -> None:
    assert len(MESSAGES) > 100
    for raw in [*MESSAGES, *MIME, b"", b"\xff\xfe not a message"]:
        found = read(raw, LIMIT, CONTEXTS[1])
        assert found.content == prepare_content(raw, LIMIT)
        assert found.analysis == analyze(raw, CONTEXTS[1])
        assert read(raw, LIMIT, None).analysis is None


async def test_a_worker_process_reads_like_this_one() -> None:
    pool = WorkerPool([READ_JOB], 1)
    reader = MessageReader(LIMIT, pool, 0)
    await pool.start()
    try:
        for raw in [*MESSAGES[:40], *MIME, b""]:
            for context in [*CONTEXTS, None]:
                assert await reader.read(raw, context) == read(raw, LIMIT, context)
        assert pool.running == 1
    finally:
        await pool.close()


async def test_scoring_with_the_reading_equals_scoring_here(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await services.directory.add_domain("example.test", dkim=False)
        bob = (await services.directory.add_account("bob@example.test", None)).id
        context = CONTEXTS[1]
        for raw in MESSAGES[::7]:
            scored = [
                await services.spam.check(
                    raw,
                    account_ids=[bob],
                    auth_results=context.auth_results,
                    client_ip="192.0.2.1",
                    recipient_domains=context.recipient_domains,
                    analysis=analysis,
                )
                for analysis in (None, read(raw, LIMIT, context).analysis)  # here, then read
            ]
            assert scored[0] == scored[1]


async def stored_contents(services: Services, address: str) -> list[tuple[bytes, MessageRecord]]:
    """Each stored message's bytes and what the store keeps of it."""
    account = await services.directory.get_account(address)
    found = []
    for mailbox in await services.mailstore.list_mailboxes(account.id):
        _, metas = await services.mailstore.snapshot(mailbox.id)
        for record in await services.mailstore.fetch(mailbox.id, [meta.uid for meta in metas]):
            raw = await services.mailstore.read_message(record)
            found.append((raw, record))
    return found


async def test_what_delivery_stores_is_a_fresh_parse_of_the_stored_bytes(tmp_path: Path) -> None:
    """Mail from another server, scored (spam fields per account) and read by a worker:
    the rows the store keeps equal those of parsing the stored bytes anew."""
    async with temporary_services(tmp_path / "data", parse_workers=1) as services:
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account("bob@example.test", None)
        await services.directory.add_account("carol@example.test", None)
        services.delivery.reader.busy = lambda: True  # always through the worker
        async with mx_listener(services, tmp_path) as port:

            def send(raw: bytes) -> None:
                with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                    client.sendmail(
                        "alice@example.org", ["bob@example.test", "carol@example.test"], raw
                    )

            sent = [raw for raw in MIME if not raw[:1].isspace()][:12]
            for raw in sent:
                await asyncio.to_thread(send, raw)
        for address in ("bob@example.test", "carol@example.test"):
            stored = await stored_contents(services, address)
            assert len(stored) == len(sent)
            for raw, record in stored:
                fresh = prepare_content(raw, services.mailstore.inline_limit)
                assert record.parsed == fresh.parsed
                # The store keeps the day written in Date: for searches only.
                summary = dataclasses.replace(fresh.summary, sent_day=None)
                assert record.summary == summary
                assert record.sha256 == fresh.sha256
                assert record.size == fresh.size
                assert record.wire_size == fresh.wire_size
