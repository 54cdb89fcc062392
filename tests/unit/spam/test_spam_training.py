"""Training from Junk moves through the real services (MailStore feedback → SpamFilter), and
the SpamFilter's other operations: check, correspondents, lists."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from courriel.mailauth.results import MethodResult
from courriel.runtime.services import Services
from courriel.spam.lists import InvalidEntry
from courriel.spam.training import TrainingSummary
from courriel.storage.errors import NotFound
from courriel.storage.records import ALLOW, BLOCK, SpamFeedback
from support.services import temporary_services

from .messages import message

SPAMS = [
    ("Unbeatable prices", "Replica watches at unbeatable prices, order now."),
    ("Order now", "Unbeatable offer on replica watches, order now and save."),
    ("Winner", "You won: claim your prize now, unbeatable, order now."),
    ("Deal", "Replica handbags at unbeatable prices, order now."),
    ("Last chance", "Order now, unbeatable discount, replica watches."),
]
HAMS = [
    ("Minutes", "The minutes of the project meeting are attached."),
    ("Re: schedule", "Can we move the project meeting to Thursday?"),
    ("Lunch", "Lunch after the project meeting on Thursday?"),
    ("Draft", "Please review the draft before the meeting."),
    ("Holidays", "The project can wait until September, see you at the meeting."),
]


async def _account(services: Services, address: str = "bob@example.test") -> int:
    domain = address.split("@")[1]
    if not await services.directory.is_local_domain(domain):
        await services.directory.add_domain(domain, dkim=False)
    return (await services.directory.add_account(address, None)).id


async def _mailbox(services: Services, account_id: int, name: str) -> int:
    found = await services.mailstore.get_mailbox(account_id, name)
    assert found is not None
    return found.id


def _raw(subject: str, text: str, sender: str) -> bytes:
    return message(subject=subject, text=text, sender=sender)


async def _deliver_and_sort(services: Services, bob: int) -> None:
    """Bob receives everything in INBOX and moves the spam into Junk."""
    inbox = await _mailbox(services, bob, "INBOX")
    junk = await _mailbox(services, bob, "Junk")
    items = [_raw(s, t, "Deals <deals@offers.example>") for s, t in SPAMS]
    items += [_raw(s, t, "Alice <alice@example.org>") for s, t in HAMS]
    await services.mailstore.append(bob, inbox, [(raw, [], None) for raw in items])
    await services.mailstore.move(bob, inbox, list(range(1, len(SPAMS) + 1)), junk)


async def test_moves_into_junk_train_the_owners_classifier(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        bob = await _account(services)
        carol = await _account(services, "carol@example.test")
        await _deliver_and_sort(services, bob)
        spammy = _raw("Unbeatable", "Order now: replica watches.", "X <x@elsewhere.example>")
        before = await services.spam.check(
            spammy, account_ids=[bob], auth_results=None, client_ip=None
        )
        assert not any(hit.name.startswith("BAYES") for hit in before.verdicts[bob].hits)

        summary = await services.spam.train_from_feedback(services.mailstore)

        assert summary == TrainingSummary(trained=len(SPAMS))
        assert await services.mailstore.pending_spam_feedback() == []
        counts = await services.store.spam.classifier_counts(bob, [])
        assert (counts.spam_messages, counts.ham_messages) == (len(SPAMS), 0)
        # Ham is learnt when mail leaves Junk; here Bob marks the INBOX mail by moving
        # it through Junk and back (what a "not spam" button on a misfiled message does).
        inbox = await _mailbox(services, bob, "INBOX")
        junk = await _mailbox(services, bob, "Junk")
        archive = await _mailbox(services, bob, "Archive")
        snapshot = await services.mailstore.snapshot(inbox)
        uids = [meta.uid for meta in snapshot[1]]
        moved = await services.mailstore.move(bob, inbox, uids, junk)
        await services.mailstore.move(bob, junk, list(moved.destination_uids), archive)
        summary = await services.spam.train_from_feedback(services.mailstore)
        # Each was trained as spam (into Junk), then retrained as ham (out of it).
        assert summary == TrainingSummary(trained=len(HAMS), retrained=len(HAMS))
        counts = await services.store.spam.classifier_counts(bob, [])
        assert (counts.spam_messages, counts.ham_messages) == (len(SPAMS), len(HAMS))

        after = await services.spam.check(
            spammy, account_ids=[bob, carol], auth_results=None, client_ip=None
        )
        assert [hit.name for hit in after.verdicts[bob].hits if hit.name.startswith("BAYES")] == [
            "BAYES_99"
        ]
        assert not any(hit.name.startswith("BAYES") for hit in after.verdicts[carol].hits)
        # The sender of the messages Bob called spam now has a bad reputation for everyone.
        from_them = _raw("Hello", "Nothing special.", "Deals <deals@offers.example>")
        result = await services.spam.check(
            from_them, account_ids=[carol], auth_results=None, client_ip=None
        )
        assert "SENDER_BAD_REPUTATION" in {hit.name for hit in result.verdicts[carol].hits}


async def test_training_twice_changes_nothing(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        bob = await _account(services)
        await _deliver_and_sort(services, bob)
        pending = await services.mailstore.pending_spam_feedback()
        await services.spam.train_from_feedback(services.mailstore)
        # A crash after training, before consuming: the same reports come back.
        junk = await _mailbox(services, bob, "Junk")
        inbox = await _mailbox(services, bob, "INBOX")
        snapshot = await services.mailstore.snapshot(junk)
        moved = await services.mailstore.move(bob, junk, [meta.uid for meta in snapshot[1]], inbox)
        await services.mailstore.move(bob, inbox, list(moved.destination_uids), junk)
        summary = await services.spam.train_from_feedback(services.mailstore)
        # Out of Junk (ham: retrained), back in (spam: retrained again): same totals.
        assert summary.retrained == 2 * len(pending)
        counts = await services.store.spam.classifier_counts(bob, [])
        assert (counts.spam_messages, counts.ham_messages) == (len(SPAMS), 0)


async def test_reports_about_removed_accounts_are_consumed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="courriel.spam")
    async with temporary_services(tmp_path) as services:
        bob = await _account(services)
        await _deliver_and_sort(services, bob)
        reports = await services.mailstore.pending_spam_feedback()
        source = _ReportsOf(services, reports, account_id=999_999)
        summary = await services.spam.train_from_feedback(source)
        assert summary == TrainingSummary(missing=len(SPAMS))
        assert source.consumed == len(SPAMS)
        assert any("spam training: 5 reports" in record.getMessage() for record in caplog.records)


class _ReportsOf:
    """The store's reports, as if their account had been removed since."""

    def __init__(self, services: Services, reports: list[SpamFeedback], account_id: int) -> None:
        self.services = services
        self.reports = [dataclasses.replace(report, account_id=account_id) for report in reports]
        self.consumed = 0

    async def pending_spam_feedback(self, limit: int = 500) -> list[SpamFeedback]:
        return self.reports[self.consumed : self.consumed + limit]

    async def consume_spam_feedback(self, reports: Sequence[SpamFeedback]) -> int:
        self.consumed += len(reports)
        return len(reports)

    async def read_feedback_content(self, report: SpamFeedback) -> bytes | None:
        return await self.services.mailstore.read_feedback_content(report)


async def test_check_counts_the_sender(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        bob = await _account(services)
        for _ in range(2):
            await services.spam.check(
                message(),
                account_ids=[bob],
                auth_results=(MethodResult("spf", "pass"),),
                client_ip="192.0.2.1",
            )
        keys = ["alice@example.org", "@example.org"]
        # Counted in memory: nothing written until the sightings are recorded.
        assert await services.store.spam.sender_reputation(keys) == {}
        assert await services.spam.record_sightings() == 2
        found = await services.store.spam.sender_reputation(keys)
        assert {sender: r.seen for sender, r in found.items()} == {
            "alice@example.org": 2,
            "@example.org": 2,
        }
        assert await services.spam.record_sightings() == 0  # nothing new


async def test_sightings_survive_a_failed_write(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        bob = await _account(services)
        await services.spam.check(
            message(), account_ids=[bob], auth_results=None, client_ip="192.0.2.1"
        )
        failing = services.spam.repo

        class Unwritable:
            async def record_senders(self, sightings: object, now: float) -> None:
                raise OSError("disk full")

        services.spam.repo = Unwritable()  # type: ignore[assignment]
        with pytest.raises(OSError, match="disk full"):
            await services.spam.record_sightings()
        services.spam.repo = failing
        assert await services.spam.record_sightings() == 2
        found = await services.store.spam.sender_reputation(["@example.org"])
        assert found["@example.org"].seen == 1


async def test_correspondents(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        bob = await _account(services)
        await services.spam.record_correspondent(bob, " Alice@Example.org ")
        await services.spam.record_correspondents(bob, ["not an address", "@", ""])
        passing = (MethodResult("spf", "pass"), MethodResult("dmarc", "pass"))
        result = await services.spam.check(
            message(), account_ids=[bob], auth_results=passing, client_ip=None
        )
        names = [hit.name for hit in result.verdicts[bob].hits]
        assert "KNOWN_CORRESPONDENT" in names


async def test_lists(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        bob = await _account(services)
        spam = services.spam
        assert (await spam.allow(bob, " Alice@Example.ORG ")).entry == "alice@example.org"
        assert (await spam.block(bob, "@Bulk.Example.")).entry == "@bulk.example"
        assert (await spam.block(bob, "@bücher.example")).entry == "@xn--bcher-kva.example"
        entries = await spam.list_entries(bob)
        assert [(entry.kind, entry.entry) for entry in entries] == [
            (ALLOW, "alice@example.org"),
            (BLOCK, "@bulk.example"),
            (BLOCK, "@xn--bcher-kva.example"),
        ]
        assert await spam.unblock(bob, "@bulk.example")
        assert not await spam.unblock(bob, "@bulk.example")
        assert not await spam.unallow(bob, "@bulk.example")
        assert await spam.unallow(bob, "alice@example.org")
        for bad in ("bulk.example", "alice@", "@", "@nodot", "a b@example.org", "@bad_domain!.x"):
            with pytest.raises(InvalidEntry):
                await spam.allow(bob, bad)
        with pytest.raises(NotFound):
            await spam.allow(999_999, "alice@example.org")
