"""The parse worker pool: same results as in-process parsing, survives a dying worker."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from courriel.core.workers import WorkerPool
from courriel.mailstore import parsing
from courriel.mailstore.ingest import prepare_content
from courriel.mailstore.parsing import PREPARE_JOB, ParsePool
from courriel.storage.records import IngestedMessage
from support.services import temporary_services

MESSAGES = [
    b"Subject: =?utf-8?q?caf=C3=A9?=\r\nFrom: A <a@example.net>\r\nMessage-ID: <x@y>\r\n"
    b"Date: Mon, 1 Jan 2024 23:30:00 -0500\r\n"
    b"References: <r1@y> <r2@y>\r\n\r\nbody words here\r\n",
    b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n--b\r\n'
    b"Content-Type: text/plain\r\n\r\nplain part\r\n--b\r\nContent-Type: text/html\r\n\r\n"
    b"<p>html part</p>\r\n--b--\r\n",
    b"",
    b"\xff\xfe garbage without headers",
    b"Subject: big\r\n\r\n" + b"x" * 200_000,
]


async def test_worker_results_equal_in_process_results() -> None:
    workers = WorkerPool([PREPARE_JOB], 1)
    pool = ParsePool(128 * 1024, workers)
    await pool.start()
    try:
        for raw in MESSAGES:
            remote = await pool.prepare(raw)
            assert remote == prepare_content(raw, 128 * 1024)
        results = await asyncio.gather(*(pool.prepare(raw) for raw in MESSAGES * 20))
        assert results == [prepare_content(raw, 128 * 1024) for raw in MESSAGES * 20]
    finally:
        await pool.close()


async def test_every_summary_field_crosses_the_pipe() -> None:
    workers = WorkerPool([PREPARE_JOB], 1)
    pool = ParsePool(128 * 1024, workers)
    await pool.start()
    try:
        summary = (await pool.prepare(MESSAGES[0])).summary
        assert workers.running == 1  # a worker process answered
    finally:
        await pool.close()
    assert summary.sent_date == 1704169800.0  # 2024-01-02T04:30:00Z
    assert summary.sent_day == 19723  # 2024-01-01, as written (RFC 9051 §6.4.4)
    assert summary.references == ("r1@y", "r2@y")
    assert summary == prepare_content(MESSAGES[0], 128 * 1024).summary


async def test_a_killed_worker_loses_no_request() -> None:
    workers = WorkerPool([PREPARE_JOB], 1)
    pool = ParsePool(128 * 1024, workers)
    await pool.start()
    try:
        [worker] = workers._workers
        pending = [asyncio.ensure_future(pool.prepare(raw)) for raw in MESSAGES * 50]
        await asyncio.sleep(0)
        os.kill(worker.process.pid, signal.SIGKILL)
        results = await asyncio.gather(*pending)
        assert results == [prepare_content(raw, 128 * 1024) for raw in MESSAGES * 50]
        # A new worker takes over for the next messages.
        again = await pool.prepare(MESSAGES[0])
        assert again == prepare_content(MESSAGES[0], 128 * 1024)
        assert workers._workers and workers._workers[0].process.pid != worker.process.pid
    finally:
        await pool.close()
    assert all(w.process.returncode is not None for w in [worker])


async def test_a_garbled_answer_loses_no_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer that cannot be read (here: the first one) must not strand its request or
    those queued behind it: all are parsed in-process and a new worker takes over."""
    real = parsing.content_from_fields
    calls = 0

    def garbled_once(fields: parsing.ContentFields, raw: bytes) -> IngestedMessage:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("bad marshal data")
        return real(fields, raw)

    monkeypatch.setattr(parsing, "content_from_fields", garbled_once)
    workers = WorkerPool([PREPARE_JOB], 1)
    pool = ParsePool(128 * 1024, workers)
    await pool.start()
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(pool.prepare(raw) for raw in MESSAGES * 10)), 30
        )
        assert results == [prepare_content(raw, 128 * 1024) for raw in MESSAGES * 10]
    finally:
        await pool.close()


async def test_lone_messages_are_parsed_in_process(tmp_path: Path) -> None:
    async with temporary_services(tmp_path, parse_workers=1) as services:
        await services.directory.add_domain("example.test", dkim=False)
        account = await services.directory.add_account("a@example.test", None)
        inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
        await services.mailstore.append(account.id, inbox.id, [(MESSAGES[0], [], None)])
        workers = services.mailstore.parser.pool
        assert workers is not None
        assert workers.running == 0  # no worker needed for one message
        await asyncio.gather(
            *(
                services.mailstore.append(account.id, inbox.id, [(raw, [], None)])
                for raw in MESSAGES * 4
            )
        )
        assert workers.running == 1
        records = await services.mailstore.fetch(inbox.id, list(range(1, 22)))
        for record in records:
            assert await services.mailstore.read_message(record) in MESSAGES
