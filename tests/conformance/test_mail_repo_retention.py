"""MailRepo conformance for the retention purge and spam-filter feedback (ports.MailRepo):
finding what a Trash or Junk mailbox held since before a date (SAVEDATE, RFC 8514 §3), and
the reports a copy or move records in its own transaction.

Save dates come from the backend's own clock, so the tests sleep a little between saves and
take the dates the store reports (``fetch``) as their boundaries.
"""

from __future__ import annotations

import asyncio

import pytest

from courriel.storage.errors import NotFound, QuotaExceeded
from courriel.storage.records import HAM, SPAM, MailboxRecord, MessageRecord
from support.backends import Backend, assert_consistent, make_account
from support.builders import large, new, small

TRASH = "\\Trash"
JUNK = "\\Junk"


async def _record(backend: Backend, mailbox_id: int, uid: int) -> MessageRecord:
    [record] = await backend.mail.fetch(mailbox_id, [uid])
    return record


async def _append_one(backend: Backend, account_id: int, mailbox_id: int) -> MessageRecord:
    result = await backend.mail.append(account_id, mailbox_id, [new(small())])
    await asyncio.sleep(0.01)  # the next save is strictly later
    return await _record(backend, mailbox_id, result.uids[0])


async def test_uids_saved_before_is_strict_and_in_uid_order(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    trash = await backend.mail.create_mailbox(account.id, "Trash", TRASH)
    first = await _append_one(backend, account.id, trash.id)
    second = await _append_one(backend, account.id, trash.id)
    third = await _append_one(backend, account.id, trash.id)

    uids_saved_before = backend.mail.uids_saved_before
    assert await uids_saved_before(trash.id, first.save_date, 10) == []
    assert await uids_saved_before(trash.id, second.save_date, 10) == [1]
    assert await uids_saved_before(trash.id, third.save_date + 1, 10) == [1, 2, 3]
    assert await uids_saved_before(trash.id, third.save_date + 1, 2) == [1, 2]  # earliest
    assert await uids_saved_before(999_999, third.save_date + 1, 10) == []


async def test_earliest_saves_come_first_whatever_the_uids(backend: Backend) -> None:
    """A message moved in later gets a later save date than one appended earlier, so the
    order is by save date, not by internal date."""
    account, inbox = await make_account(backend, "alice@example.test")
    trash = await backend.mail.create_mailbox(account.id, "Trash", TRASH)
    await backend.mail.append(account.id, inbox.id, [new(small(), internal_date=1.0)])
    await asyncio.sleep(0.01)
    in_trash = await _append_one(backend, account.id, trash.id)
    moved = await backend.mail.move(account.id, inbox.id, [1], trash.id)
    moved_in = await _record(backend, trash.id, moved.destination_uids[0])

    assert moved_in.save_date > in_trash.save_date  # SAVEDATE is the move, not the append
    assert await backend.mail.uids_saved_before(trash.id, moved_in.save_date + 1, 1) == [1]


async def test_mailboxes_with_saves_before_looks_at_every_account_by_special_use(
    backend: Backend,
) -> None:
    alice, alice_inbox = await make_account(backend, "alice@example.test")
    bob, _ = await make_account(backend, "bob@example.test")
    renamed_trash = await backend.mail.create_mailbox(alice.id, "Corbeille", TRASH)
    named_trash = await backend.mail.create_mailbox(alice.id, "Trash")  # no special use
    empty_trash = await backend.mail.create_mailbox(bob.id, "Trash", TRASH)
    bob_junk = await backend.mail.create_mailbox(bob.id, "Junk", JUNK)
    for account_id, mailbox in (
        (alice.id, renamed_trash),
        (alice.id, named_trash),
        (alice.id, alice_inbox),
        (bob.id, bob_junk),
    ):
        await backend.mail.append(account_id, mailbox.id, [new(small())])
    await asyncio.sleep(0.01)
    late = await _append_one(backend, bob.id, empty_trash.id)

    def ids(mailboxes: list[MailboxRecord]) -> list[int]:
        return [mailbox.id for mailbox in mailboxes]

    find = backend.mail.mailboxes_with_saves_before
    assert ids(await find(TRASH, late.save_date)) == [renamed_trash.id]
    assert ids(await find(TRASH, late.save_date + 1)) == [renamed_trash.id, empty_trash.id]
    assert ids(await find(JUNK, late.save_date)) == [bob_junk.id]
    assert await find("\\Archive", late.save_date + 1) == []
    [found] = await find(JUNK, late.save_date)
    assert (found.account_id, found.name, found.message_count) == (bob.id, "Junk", 1)


async def test_a_move_records_one_report_per_message_in_uid_order(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    junk = await backend.mail.create_mailbox(account.id, "Junk", JUNK)
    contents = [small("a"), small("b"), await large(backend.blobs, 200_000, "c")]
    appended = await backend.mail.append(account.id, inbox.id, [new(c) for c in contents])
    records = await backend.mail.fetch(inbox.id, [1, 2, 3])
    emails = {record.uid: record.email_id for record in records}

    result = await backend.mail.move(account.id, inbox.id, [3, 1, 2], junk.id, feedback=SPAM)

    assert [report.sha256 for report in result.feedback] == [c.sha256 for c in contents]
    assert [report.email_id for report in result.feedback] == [emails[1], emails[2], emails[3]]
    assert {(report.account_id, report.verdict) for report in result.feedback} == {
        (account.id, SPAM)
    }
    ids = [report.id for report in result.feedback]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert await backend.mail.pending_spam_feedback(10) == list(result.feedback)
    assert result.modseq is not None and result.modseq > appended.modseq
    await assert_consistent(backend, account.id)


async def test_a_copy_records_reports_and_a_plain_copy_none(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    junk = await backend.mail.create_mailbox(account.id, "Junk", JUNK)
    content = small()
    await backend.mail.append(account.id, junk.id, [new(content)])

    plain = await backend.mail.copy(account.id, junk.id, [1], inbox.id)
    assert plain.feedback == () and await backend.mail.pending_spam_feedback(10) == []
    reported = await backend.mail.copy(account.id, junk.id, [1], inbox.id, feedback=HAM)
    [report] = reported.feedback
    assert (report.verdict, report.sha256) == (HAM, content.sha256)
    nothing = await backend.mail.copy(account.id, junk.id, [42], inbox.id, feedback=HAM)
    assert (nothing.feedback, nothing.modseq) == ((), None)
    assert await backend.mail.pending_spam_feedback(10) == [report]
    await assert_consistent(backend, account.id)


async def test_reports_are_written_with_the_move_or_not_at_all(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test", quota_bytes=1000)
    junk = await backend.mail.create_mailbox(account.id, "Junk", JUNK)
    await backend.mail.append(account.id, inbox.id, [new(small(size=600))])

    with pytest.raises(QuotaExceeded):
        await backend.mail.copy(account.id, inbox.id, [1], junk.id, feedback=SPAM)
    with pytest.raises(NotFound):
        await backend.mail.move(account.id, inbox.id, [1], 999_999, feedback=SPAM)
    with pytest.raises(ValueError, match="verdict"):
        await backend.mail.move(account.id, inbox.id, [1], junk.id, feedback="maybe")

    assert await backend.mail.pending_spam_feedback(10) == []
    _, left = await backend.mail.snapshot(inbox.id)
    assert [meta.uid for meta in left] == [1]  # the refused move moved nothing
    await assert_consistent(backend, account.id)


async def test_consumed_reports_are_gone(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    junk = await backend.mail.create_mailbox(account.id, "Junk", JUNK)
    await backend.mail.append(account.id, inbox.id, [new(small()) for _ in range(3)])
    result = await backend.mail.move(account.id, inbox.id, [1, 2, 3], junk.id, feedback=SPAM)
    first, second, third = result.feedback

    assert await backend.mail.pending_spam_feedback(2) == [first, second]  # oldest first
    assert await backend.mail.consume_spam_feedback([first.id, second.id, 999_999]) == 2
    assert await backend.mail.pending_spam_feedback(10) == [third]
    assert await backend.mail.consume_spam_feedback([first.id]) == 0
    assert await backend.mail.consume_spam_feedback([]) == 0


async def test_removing_an_account_removes_its_reports(backend: Backend) -> None:
    alice, alice_inbox = await make_account(backend, "alice@example.test")
    bob, bob_inbox = await make_account(backend, "bob@example.test")
    for account, inbox in ((alice, alice_inbox), (bob, bob_inbox)):
        junk = await backend.mail.create_mailbox(account.id, "Junk", JUNK)
        await backend.mail.append(account.id, inbox.id, [new(small())])
        await backend.mail.move(account.id, inbox.id, [1], junk.id, feedback=SPAM)

    await backend.directory.remove_account("alice@example.test")

    assert [r.account_id for r in await backend.mail.pending_spam_feedback(10)] == [bob.id]
