"""MailRepo.remove_messages conformance: POP3's UPDATE state (RFC 1939 §6) removes the
marked messages whatever their flags, all in one transaction (ports.MailRepo).

After every mutating step the counters of the account and its mailboxes are compared with
a recount from the rows (``assert_consistent``).
"""

from __future__ import annotations

import pytest

from courriel.storage.errors import NotFound
from courriel.storage.records import ExpungeResult, Flag, Usage
from support.backends import Backend, assert_consistent, make_account
from support.builders import large, new, small

SEEN = int(Flag.SEEN)
DELETED = int(Flag.DELETED)
FLAGGED = int(Flag.FLAGGED)


async def uids_of(backend: Backend, mailbox_id: int) -> list[int]:
    _, metas = await backend.mail.snapshot(mailbox_id)
    return [meta.uid for meta in metas]


async def test_removes_the_given_uids_whatever_their_flags(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    flags = [0, SEEN, DELETED, FLAGGED | SEEN, 0]
    appended = await backend.mail.append(
        account.id,
        inbox.id,
        [new(small(str(i), size=100 * (i + 1)), flags=f) for i, f in enumerate(flags)],
    )

    result = await backend.mail.remove_messages(account.id, inbox.id, [4, 1, 3, 99])

    assert result.uids == (1, 3, 4)  # ascending; 99 was never there
    assert result.modseq is not None and result.modseq > appended.modseq
    assert await uids_of(backend, inbox.id) == [2, 5]
    assert await backend.mail.usage(account.id) == Usage(200 + 500, 2, 0)
    mailbox = await backend.mail.get_mailbox_by_id(inbox.id)
    assert mailbox is not None
    assert (mailbox.message_count, mailbox.unseen_count, mailbox.deleted_count) == (2, 1, 0)
    assert mailbox.highest_modseq == result.modseq
    await assert_consistent(backend, account.id)


async def test_removed_uids_are_tombstoned_and_never_reused(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    appended = await backend.mail.append(account.id, inbox.id, [new(small()) for _ in range(3)])

    result = await backend.mail.remove_messages(account.id, inbox.id, [2])

    changes = await backend.mail.changes_since(inbox.id, appended.modseq)
    assert (changes.changed, changes.vanished) == ((), (2,))  # IMAP sessions see it go
    assert changes.mailbox.highest_modseq == result.modseq
    after = await backend.mail.append(account.id, inbox.id, [new(small())])
    assert after.uids == (4,)


async def test_nothing_to_remove_allocates_no_modseq(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    await backend.mail.append(account.id, inbox.id, [new(small())])
    before = (await backend.audit_account(account.id)).highest_modseq

    assert await backend.mail.remove_messages(account.id, inbox.id, []) == ExpungeResult((), None)
    assert await backend.mail.remove_messages(account.id, inbox.id, [7]) == ExpungeResult((), None)

    assert (await backend.audit_account(account.id)).highest_modseq == before
    assert await uids_of(backend, inbox.id) == [1]


async def test_another_accounts_mailbox_is_not_found_and_left_alone(backend: Backend) -> None:
    alice, _ = await make_account(backend, "alice@example.test")
    bob, bob_inbox = await make_account(backend, "bob@example.test")
    await backend.mail.append(bob.id, bob_inbox.id, [new(small()), new(small())])

    with pytest.raises(NotFound):
        await backend.mail.remove_messages(alice.id, bob_inbox.id, [1, 2])
    with pytest.raises(NotFound):
        await backend.mail.remove_messages(alice.id, bob_inbox.id + 1000, [1])

    assert await uids_of(backend, bob_inbox.id) == [1, 2]
    await assert_consistent(backend, bob.id)


async def test_content_references_are_released(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    archive = await backend.mail.create_mailbox(account.id, "Archive")
    shared = small("shared", size=300)
    await backend.mail.append(account.id, inbox.id, [new(shared)])
    await backend.mail.copy(account.id, inbox.id, [1], archive.id)
    big = await large(backend.blobs, 200_000)
    await backend.mail.append(account.id, inbox.id, [new(big)])
    assert await backend.refcount(shared.sha256) == 2

    await backend.mail.remove_messages(account.id, inbox.id, [1, 2])

    assert await backend.refcount(shared.sha256) == 1  # the Archive copy still uses it
    assert await backend.refcount(big.sha256) == 0
    # Unreferenced content stays through the grace period (a POP3 RETR may be reading it).
    assert await backend.blobs.exists(big.sha256)
    assert await backend.mail.usage(account.id) == Usage(300, 1, 0)
    await assert_consistent(backend, account.id)
