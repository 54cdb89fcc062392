"""MailStore.purge_expired: Trash and Junk keep a message for the retention after it entered
them (its SAVEDATE, RFC 8514 §3), found by special use (RFC 6154 §2), removed through the
same path as EXPUNGE and POP3 deletion. Time comes from a FakeClock."""

from __future__ import annotations

from pathlib import Path

from courriel.core.clock import FakeClock
from courriel.mailstore.service import Purged
from courriel.runtime.services import Services
from courriel.storage.records import MailboxChange
from support.backends import EmbeddedBackend, assert_consistent
from support.services import temporary_services

DAY = 86400.0
MONTH = 30 * DAY


def message(tag: str, size: int = 0) -> bytes:
    return f"Subject: {tag}\r\n\r\n{tag}\r\n".encode() + b"x" * size


async def _account(services: Services, address: str) -> int:
    domain = address.split("@")[1]
    if not await services.directory.is_local_domain(domain):
        await services.directory.add_domain(domain, dkim=False)
    return (await services.directory.add_account(address, None)).id


async def _put(services: Services, account: int, mailbox: str, *tags: str) -> None:
    target = await services.mailstore.get_mailbox(account, mailbox)
    await services.mailstore.append(account, target.id, [(message(t), [], None) for t in tags])


async def _subjects(services: Services, account: int, mailbox: str) -> list[str]:
    target = await services.mailstore.get_mailbox(account, mailbox)
    _, metas = await services.mailstore.snapshot(target.id)
    records = await services.mailstore.fetch(target.id, [meta.uid for meta in metas])
    return [record.summary.subject for record in records]


async def test_old_messages_go_recent_ones_stay_other_mailboxes_untouched(
    tmp_path: Path,
) -> None:
    clock = FakeClock()
    async with temporary_services(tmp_path, clock=clock) as services:
        alice = await _account(services, "alice@example.test")
        bob = await _account(services, "bob@example.test")
        for mailbox in ("INBOX", "Archive", "Sent", "Trash", "Junk"):
            await _put(services, alice, mailbox, f"old {mailbox}")
        await _put(services, alice, "Trash", "old Trash 2")
        await _put(services, bob, "Trash", "old bob")
        clock.advance(20 * DAY)
        await _put(services, alice, "Trash", "recent Trash")
        await _put(services, alice, "Junk", "recent Junk")
        clock.advance(11 * DAY)  # the first messages are 31 days old, the others 11
        before = await services.mailstore.usage(alice)
        trash = await services.mailstore.get_mailbox(alice, "Trash")
        events = services.bus.subscribe(alice)

        purged = await services.mailstore.purge_expired(MONTH, MONTH)

        assert purged == Purged(trash=3, junk=1)
        assert await _subjects(services, alice, "Trash") == ["recent Trash"]
        assert await _subjects(services, alice, "Junk") == ["recent Junk"]
        assert await _subjects(services, bob, "Trash") == []
        for mailbox in ("INBOX", "Archive", "Sent"):
            assert await _subjects(services, alice, mailbox) == [f"old {mailbox}"]
        after = await services.mailstore.usage(alice)
        removed_bytes = sum(len(message(t)) for t in ("old Trash", "old Trash 2", "old Junk"))
        assert after.message_count == before.message_count - 3
        assert after.used_bytes == before.used_bytes - removed_bytes
        assert (await services.mailstore.usage(bob)).used_bytes == 0
        trash_event = await events.get(timeout=1)
        assert trash_event is not None
        assert (trash_event.mailbox_id, trash_event.kind, trash_event.uids) == (
            trash.id,
            "expunged",
            (1, 2),
        )
        changes = await services.mailstore.changes_since(trash.id, trash.highest_modseq)
        assert changes.vanished == (1, 2)  # tombstones: QRESYNC VANISHED (RFC 7162 §3.2.10)
        assert (changes.mailbox.message_count, changes.mailbox.total_bytes) == (
            1,
            len(message("recent Trash")),
        )
        backend = EmbeddedBackend(services.store)
        await assert_consistent(backend, alice)
        await assert_consistent(backend, bob)
        # Nothing references the purged contents any more: the collector takes them.
        assert await services.mailstore.collect_garbage(grace_seconds=-1) == 4

        assert await services.mailstore.purge_expired(MONTH, MONTH) == Purged()


async def test_trash_and_junk_are_found_by_special_use_not_by_name(tmp_path: Path) -> None:
    clock = FakeClock()
    async with temporary_services(tmp_path, clock=clock) as services:
        alice = await _account(services, "alice@example.test")
        await services.mailstore.rename_mailbox(alice, "Trash", "Corbeille")
        await services.mailstore.rename_mailbox(alice, "Junk", "Indésirables")
        await services.mailstore.create_mailbox(alice, "Trash")  # an ordinary mailbox now
        for mailbox in ("Corbeille", "Indésirables", "Trash"):
            await _put(services, alice, mailbox, f"old {mailbox}")
        clock.advance(MONTH + 1)

        assert await services.mailstore.purge_expired(MONTH, MONTH) == Purged(1, 1)

        assert await _subjects(services, alice, "Corbeille") == []
        assert await _subjects(services, alice, "Indésirables") == []
        assert await _subjects(services, alice, "Trash") == ["old Trash"]


async def test_a_retention_of_zero_keeps_messages_forever(tmp_path: Path) -> None:
    clock = FakeClock()
    async with temporary_services(tmp_path, clock=clock) as services:
        alice = await _account(services, "alice@example.test")
        await _put(services, alice, "Trash", "kept")
        await _put(services, alice, "Junk", "spam")
        clock.advance(10 * 365 * DAY)

        assert await services.mailstore.purge_expired(0, MONTH) == Purged(trash=0, junk=1)
        assert await services.mailstore.purge_expired(MONTH, 0) == Purged(trash=1, junk=0)
        await _put(services, alice, "Junk", "spam again")
        clock.advance(10 * 365 * DAY)
        assert await services.mailstore.purge_expired(0, 0) == Purged()
        assert await _subjects(services, alice, "Junk") == ["spam again"]


async def test_the_retention_counts_from_when_a_message_entered_trash(tmp_path: Path) -> None:
    """SAVEDATE, not the internal date: a year-old message thrown away today stays a month."""
    clock = FakeClock()
    async with temporary_services(tmp_path, clock=clock) as services:
        alice = await _account(services, "alice@example.test")
        await _put(services, alice, "INBOX", "a year old")
        clock.advance(365 * DAY)
        inbox = await services.mailstore.get_mailbox(alice, "INBOX")
        trash = await services.mailstore.get_mailbox(alice, "Trash")
        await services.mailstore.move(alice, inbox.id, [1], trash.id)
        clock.advance(MONTH - 1)
        assert await services.mailstore.purge_expired(MONTH, MONTH) == Purged()
        clock.advance(2)
        assert await services.mailstore.purge_expired(MONTH, MONTH) == Purged(trash=1)


async def test_a_large_trash_is_purged_in_bounded_transactions(tmp_path: Path) -> None:
    clock = FakeClock()
    async with temporary_services(tmp_path, clock=clock) as services:
        alice = await _account(services, "alice@example.test")
        await _put(services, alice, "Trash", *(f"m{i}" for i in range(7)))
        clock.advance(MONTH + 1)
        await _put(services, alice, "Trash", "recent")
        events = services.bus.subscribe(alice)

        assert await services.mailstore.purge_expired(MONTH, MONTH, batch=3) == Purged(7, 0)

        batches: list[MailboxChange] = []
        while (event := await events.get(timeout=0.2)) is not None:
            batches.append(event)
        assert [event.uids for event in batches] == [(1, 2, 3), (4, 5, 6), (7,)]
        modseqs = [event.modseq for event in batches]
        assert modseqs == sorted(set(modseqs))  # one transaction, one MODSEQ each
        assert await _subjects(services, alice, "Trash") == ["recent"]
        await assert_consistent(EmbeddedBackend(services.store), alice)
