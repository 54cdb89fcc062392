"""Spam-filter feedback: a copy or move into Junk reports "spam", out of Junk (but not to
Trash) reports "ham", decided by special use whatever the names, recorded with the move and
logged one line per report."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from courriel.mailstore.junk import feedback_verdict
from courriel.runtime.services import Services
from courriel.storage.errors import QuotaExceeded
from support.services import temporary_services

JUNK, TRASH, ARCHIVE, SENT = "\\Junk", "\\Trash", "\\Archive", "\\Sent"


@pytest.mark.parametrize(
    ("source", "destination", "verdict"),
    [
        (None, JUNK, "spam"),  # INBOX and ordinary mailboxes have no special use
        (TRASH, JUNK, "spam"),
        (ARCHIVE, JUNK, "spam"),
        (JUNK, None, "ham"),
        (JUNK, ARCHIVE, "ham"),
        (JUNK, SENT, "ham"),
        (JUNK, TRASH, None),  # throwing spam away says nothing new
        (JUNK, JUNK, None),
        (None, TRASH, None),
        (TRASH, None, None),
        (None, ARCHIVE, None),
        (None, None, None),
    ],
)
def test_feedback_verdict(source: str | None, destination: str | None, verdict: str) -> None:
    assert feedback_verdict(source, destination) == verdict


async def _account(services: Services, address: str = "alice@example.test") -> int:
    domain = address.split("@")[1]
    if not await services.directory.is_local_domain(domain):
        await services.directory.add_domain(domain, dkim=False)
    return (await services.directory.add_account(address, None)).id


async def _ids(services: Services, account: int, *names: str) -> list[int]:
    return [(await services.mailstore.get_mailbox(account, name)).id for name in names]


def message(tag: str) -> bytes:
    return f"Subject: {tag}\r\nFrom: spammer@example.net\r\n\r\nbuy {tag}\r\n".encode()


async def test_moves_into_and_out_of_junk_are_reported_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="courriel.mailstore")
    async with temporary_services(tmp_path) as services:
        store = services.mailstore
        alice = await _account(services)
        inbox, junk, trash = await _ids(services, alice, "INBOX", "Junk", "Trash")
        raws = [message("pills"), message("watches")]
        await store.append(alice, inbox, [(raw, [], None) for raw in raws])

        into = await store.move(alice, inbox, [1, 2], junk)

        assert [report.verdict for report in into.feedback] == ["spam", "spam"]
        assert [await store.read_feedback_content(r) for r in into.feedback] == raws
        lines = [r.getMessage() for r in caplog.records if r.name == "courriel.mailstore"]
        assert len(lines) == 2
        assert all(" as spam" in line and f"account {alice} " in line for line in lines)

        out = await store.move(alice, junk, [1], inbox)  # "not spam"
        [ham] = out.feedback
        assert (ham.verdict, await store.read_feedback_content(ham)) == ("ham", raws[0])
        thrown = await store.move(alice, junk, [2], trash)  # deleting spam: nothing to learn
        assert thrown.feedback == ()
        back = await store.copy(alice, trash, [1], junk)  # from Trash into Junk: spam
        assert [report.verdict for report in back.feedback] == ["spam"]

        pending = await store.pending_spam_feedback()
        assert [r.verdict for r in pending] == ["spam", "spam", "ham", "spam"]
        assert [r.id for r in pending] == sorted(r.id for r in pending)
        assert await store.consume_spam_feedback(pending[:3]) == 3
        assert await store.pending_spam_feedback() == pending[3:]


async def test_a_copy_within_junk_or_between_ordinary_mailboxes_reports_nothing(
    tmp_path: Path,
) -> None:
    async with temporary_services(tmp_path) as services:
        store = services.mailstore
        alice = await _account(services)
        await store.create_mailbox(alice, "Spam/Old", JUNK)  # a second Junk mailbox
        inbox, junk, old_spam, archive = await _ids(
            services, alice, "INBOX", "Junk", "Spam/Old", "Archive"
        )
        await store.append(alice, junk, [(message("a"), [], None)])
        await store.append(alice, inbox, [(message("b"), [], None)])

        assert (await store.copy(alice, junk, [1], junk)).feedback == ()
        assert (await store.move(alice, junk, [1], old_spam)).feedback == ()
        assert (await store.copy(alice, inbox, [1], archive)).feedback == ()
        assert (await store.move(alice, inbox, [1], inbox)).feedback == ()
        assert await store.pending_spam_feedback() == []


async def test_a_renamed_junk_still_reports(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        store = services.mailstore
        alice = await _account(services)
        await store.rename_mailbox(alice, "Junk", "Pourriels")
        await store.create_mailbox(alice, "Junk")  # an ordinary mailbox by that name
        inbox, renamed, named = await _ids(services, alice, "INBOX", "Pourriels", "Junk")
        await store.append(alice, inbox, [(message(t), [], None) for t in ("a", "b")])

        assert (await store.move(alice, inbox, [1], named)).feedback == ()
        assert [r.verdict for r in (await store.move(alice, inbox, [2], renamed)).feedback] == [
            "spam"
        ]


async def test_a_refused_copy_reports_nothing(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        store = services.mailstore
        alice = await _account(services)
        inbox, junk = await _ids(services, alice, "INBOX", "Junk")
        raw = message("x")
        await store.append(alice, inbox, [(raw, [], None)])
        await services.directory.set_quota("alice@example.test", len(raw) + 1)

        with pytest.raises(QuotaExceeded):
            await store.copy(alice, inbox, [1], junk)
        assert await store.pending_spam_feedback() == []


async def test_the_content_of_a_large_reported_message_reads_back(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        store = services.mailstore
        alice = await _account(services)
        inbox, junk = await _ids(services, alice, "INBOX", "Junk")
        raw = b"Subject: big\r\n\r\n" + os.urandom(150_000).hex().encode() + b"\r\n"
        await store.append(alice, inbox, [(raw, [], None)])

        [report] = (await store.move(alice, inbox, [1], junk)).feedback
        assert await store.read_feedback_content(report) == raw
        await store.remove(alice, junk, [1])
        assert await store.collect_garbage(grace_seconds=-1) == 1
        assert await store.read_feedback_content(report) is None  # the body is gone
