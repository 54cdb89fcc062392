"""MailRepo conformance: mailboxes, messages, flags, expunge, copy/move, changes, quota,
deduplicated content and its garbage collection (ports.MailRepo).

After every mutating step the counters of the account and its mailboxes are compared with
a recount from the rows (``assert_consistent``).
"""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from courriel.storage.errors import AlreadyExists, ContentMissing, NotFound, QuotaExceeded
from courriel.storage.query import MatchAll
from courriel.storage.records import (
    CopyResult,
    Delivered,
    DeliveryRefused,
    DeliveryTarget,
    ExpungeResult,
    Flag,
    FlagsResult,
    MessageMeta,
    Usage,
)
from support.backends import Backend, assert_consistent, make_account
from support.builders import ingested, large, new, small

SEEN = int(Flag.SEEN)
ANSWERED = int(Flag.ANSWERED)
FLAGGED = int(Flag.FLAGGED)
DELETED = int(Flag.DELETED)
DRAFT = int(Flag.DRAFT)


async def uids_of(backend: Backend, mailbox_id: int) -> list[int]:
    _, metas = await backend.mail.snapshot(mailbox_id)
    return [meta.uid for meta in metas]


async def account_modseq(backend: Backend, account_id: int) -> int:
    return (await backend.audit_account(account_id)).highest_modseq


# --- mailboxes -------------------------------------------------------------------------------


async def test_create_mailbox(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    sent = await backend.mail.create_mailbox(account.id, "Sent", "\\Sent")
    assert (sent.account_id, sent.name, sent.special_use) == (account.id, "Sent", "\\Sent")
    assert sent.uid_next == 1
    assert (sent.message_count, sent.unseen_count, sent.deleted_count, sent.total_bytes) == (
        0,
        0,
        0,
        0,
    )
    assert sent.keywords == ()
    assert 1 <= sent.highest_modseq <= await account_modseq(backend, account.id)
    assert inbox.special_use is None
    assert 0 < inbox.uidvalidity < sent.uidvalidity < 2**32
    assert await backend.mail.get_mailbox(account.id, "Sent") == sent
    assert await backend.mail.get_mailbox_by_id(sent.id) == sent
    assert await backend.mail.get_mailbox(account.id, "sent") is None
    assert await backend.mail.get_mailbox(account.id, "Drafts") is None
    assert await backend.mail.get_mailbox_by_id(sent.id + 1000) is None
    await assert_consistent(backend, account.id)


async def test_create_mailbox_errors(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    with pytest.raises(AlreadyExists):
        await backend.mail.create_mailbox(account.id, "INBOX")
    with pytest.raises(NotFound):
        await backend.mail.create_mailbox(account.id + 1000, "INBOX")
    assert [m.name for m in await backend.mail.list_mailboxes(account.id)] == ["INBOX"]


async def test_list_mailboxes_sorted_and_per_account(backend: Backend) -> None:
    alice, _ = await make_account(backend, "alice@example.test")
    bob, _ = await make_account(backend, "bob@example.test")
    for name in ["Trash", "Archive/2024", "Archive", "Drafts"]:
        await backend.mail.create_mailbox(alice.id, name)
    await backend.mail.create_mailbox(bob.id, "Bobs")
    names = [m.name for m in await backend.mail.list_mailboxes(alice.id)]
    assert names == ["Archive", "Archive/2024", "Drafts", "INBOX", "Trash"]
    assert [m.name for m in await backend.mail.list_mailboxes(bob.id)] == ["Bobs", "INBOX"]


async def test_uidvalidity_strictly_increases_even_when_a_name_is_recreated(
    backend: Backend,
) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    values = [inbox.uidvalidity]
    for _ in range(3):
        work = await backend.mail.create_mailbox(account.id, "Work")
        values.append(work.uidvalidity)
        await backend.mail.append(account.id, work.id, [new(small())])
        await backend.mail.delete_mailbox(account.id, "Work")
    values.append((await backend.mail.create_mailbox(account.id, "Other")).uidvalidity)
    values.append((await backend.mail.create_mailbox(account.id, "Work")).uidvalidity)
    assert all(a < b for a, b in itertools.pairwise(values)), values
    recreated = await backend.mail.get_mailbox(account.id, "Work")
    assert recreated is not None
    assert (recreated.uid_next, recreated.message_count) == (1, 0)


async def test_rename_mailbox_with_children(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    a = await backend.mail.create_mailbox(account.id, "a")
    ab = await backend.mail.create_mailbox(account.id, "a/b")
    abc = await backend.mail.create_mailbox(account.id, "a/b/c")
    sibling = await backend.mail.create_mailbox(account.id, "ab")
    dotted = await backend.mail.create_mailbox(account.id, "a.x")
    appended = await backend.mail.append(account.id, ab.id, [new(small(), flags=SEEN)])
    for name in ["a", "a/b", "ab"]:
        await backend.mail.set_subscribed(account.id, name, True)

    renamed = await backend.mail.rename_mailbox(account.id, "a", "x", "/")

    assert sorted((m.id, m.name, m.uidvalidity) for m in renamed) == sorted(
        [
            (a.id, "x", a.uidvalidity),
            (ab.id, "x/b", ab.uidvalidity),
            (abc.id, "x/b/c", abc.uidvalidity),
        ]
    )
    names = [m.name for m in await backend.mail.list_mailboxes(account.id)]
    assert names == ["INBOX", "a.x", "ab", "x", "x/b", "x/b/c"]
    assert await backend.mail.get_mailbox(account.id, "a") is None
    assert await backend.mail.get_mailbox(account.id, "ab") == sibling
    assert await backend.mail.get_mailbox(account.id, "a.x") == dotted
    moved, metas = await backend.mail.snapshot(ab.id)
    assert moved.name == "x/b"
    assert (moved.uidvalidity, moved.uid_next, moved.message_count) == (ab.uidvalidity, 2, 1)
    assert metas == [MessageMeta(1, SEEN, (), appended.modseq)]
    assert await backend.mail.list_subscriptions(account.id) == ["ab", "x", "x/b"]
    await assert_consistent(backend, account.id)


async def test_rename_mailbox_errors_change_nothing(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    for name in ["a", "a/b", "x/b", "y"]:
        await backend.mail.create_mailbox(account.id, name)
    before = await backend.mail.list_mailboxes(account.id)
    with pytest.raises(NotFound):
        await backend.mail.rename_mailbox(account.id, "missing", "z", "/")
    with pytest.raises(AlreadyExists):
        await backend.mail.rename_mailbox(account.id, "a", "y", "/")
    with pytest.raises(AlreadyExists):  # a/b would become x/b, which exists
        await backend.mail.rename_mailbox(account.id, "a", "x", "/")
    assert await backend.mail.list_mailboxes(account.id) == before


async def test_rename_inbox_moves_its_messages_and_leaves_it_empty(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    child = await backend.mail.create_mailbox(account.id, "INBOX/sub")
    contents = [small("one"), small("two"), small("three")]
    appended = await backend.mail.append(
        account.id,
        inbox.id,
        [
            new(contents[0], flags=SEEN, keywords=("Todo",)),
            new(contents[1]),
            new(contents[2], flags=DELETED | SEEN),
        ],
    )
    usage = await backend.mail.usage(account.id)

    [old] = await backend.mail.rename_mailbox(account.id, "INBOX", "Old", "/")

    assert old.name == "Old"
    assert old.id != inbox.id
    assert old.uidvalidity > inbox.uidvalidity
    _, metas = await backend.mail.snapshot(old.id)
    assert [(m.uid, m.flags, m.keywords) for m in metas] == [
        (1, SEEN, ("Todo",)),
        (2, 0, ()),
        (3, DELETED | SEEN, ()),
    ]
    fetched = await backend.mail.fetch(old.id, [1, 2, 3])
    assert [r.sha256 for r in fetched] == [c.sha256 for c in contents]
    emptied, inbox_metas = await backend.mail.snapshot(inbox.id)
    assert inbox_metas == []
    assert (emptied.id, emptied.name, emptied.uidvalidity) == (inbox.id, "INBOX", inbox.uidvalidity)
    assert emptied.uid_next == 4  # UIDs are never reused under one UIDVALIDITY
    assert (emptied.message_count, emptied.unseen_count, emptied.deleted_count) == (0, 0, 0)
    assert emptied.total_bytes == 0
    changes = await backend.mail.changes_since(inbox.id, appended.modseq)
    assert changes.vanished == (1, 2, 3)
    assert await backend.mail.get_mailbox(account.id, "INBOX/sub") == child
    assert await backend.mail.get_mailbox(account.id, "Old/sub") is None
    assert await backend.mail.usage(account.id) == usage
    later = await backend.mail.append(account.id, inbox.id, [new(small())])
    assert later.uids == (4,)
    await assert_consistent(backend, account.id)


async def test_delete_mailbox(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    work = await backend.mail.create_mailbox(account.id, "Work")
    child = await backend.mail.create_mailbox(account.id, "Work/2024")
    shared, own = small("shared"), small("own", size=400)
    await backend.mail.append(account.id, inbox.id, [new(shared)])
    await backend.mail.append(account.id, work.id, [new(shared), new(own)])

    deleted = await backend.mail.delete_mailbox(account.id, "Work")

    assert (deleted.id, deleted.name, deleted.uidvalidity) == (work.id, "Work", work.uidvalidity)
    assert await backend.mail.get_mailbox(account.id, "Work") is None
    assert await backend.mail.get_mailbox_by_id(work.id) is None
    assert await backend.mail.get_mailbox(account.id, "Work/2024") == child
    assert await backend.mail.usage(account.id) == Usage(shared.size, 1, 0)
    assert await backend.refcount(shared.sha256) == 1
    assert await backend.refcount(own.sha256) == 0
    with pytest.raises(NotFound):
        await backend.mail.delete_mailbox(account.id, "Work")
    with pytest.raises(NotFound):
        await backend.mail.snapshot(work.id)
    with pytest.raises(NotFound):
        await backend.mail.changes_since(work.id, 0)
    await assert_consistent(backend, account.id)


async def test_subscriptions(backend: Backend) -> None:
    alice, _ = await make_account(backend, "alice@example.test")
    bob, _ = await make_account(backend, "bob@example.test")
    await backend.mail.set_subscribed(alice.id, "INBOX", True)
    await backend.mail.set_subscribed(alice.id, "Ghost/none", True)  # no such mailbox: allowed
    await backend.mail.set_subscribed(alice.id, "INBOX", True)
    assert await backend.mail.list_subscriptions(alice.id) == ["Ghost/none", "INBOX"]
    assert await backend.mail.list_subscriptions(bob.id) == []
    await backend.mail.set_subscribed(alice.id, "INBOX", False)
    await backend.mail.set_subscribed(alice.id, "Never", False)
    assert await backend.mail.list_subscriptions(alice.id) == ["Ghost/none"]


# --- append ----------------------------------------------------------------------------------


async def test_append_consecutive_uids_one_modseq(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    before = await account_modseq(backend, account.id)
    contents = [small("a", size=100), small("b", size=200), small("c", size=300)]
    result = await backend.mail.append(
        account.id,
        inbox.id,
        [
            new(contents[0], flags=SEEN),
            new(contents[1], keywords=("Work",)),
            new(contents[2], flags=SEEN | DELETED),
        ],
    )
    assert (result.mailbox_id, result.uidvalidity, result.uids) == (
        inbox.id,
        inbox.uidvalidity,
        (1, 2, 3),
    )
    assert result.modseq > before
    assert await account_modseq(backend, account.id) == result.modseq
    mailbox, metas = await backend.mail.snapshot(inbox.id)
    assert metas == [
        MessageMeta(1, SEEN, (), result.modseq),
        MessageMeta(2, 0, ("Work",), result.modseq),
        MessageMeta(3, SEEN | DELETED, (), result.modseq),
    ]
    assert (mailbox.uid_next, mailbox.highest_modseq) == (4, result.modseq)
    assert (mailbox.message_count, mailbox.unseen_count, mailbox.deleted_count) == (3, 1, 1)
    assert mailbox.total_bytes == 600
    assert mailbox.keywords == ("Work",)
    assert await backend.mail.usage(account.id) == Usage(600, 3, 0)

    second = await backend.mail.append(account.id, inbox.id, [new(small("d", size=50))])
    assert second.uids == (4,)
    assert second.modseq > result.modseq
    await assert_consistent(backend, account.id)


async def test_append_is_all_or_nothing(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    first, last = small("first"), small("last")
    missing = ingested(b"never put into the blob store\r\n" * 100, inline=False)
    before = await account_modseq(backend, account.id)
    with pytest.raises(ContentMissing):
        await backend.mail.append(account.id, inbox.id, [new(first), new(missing), new(last)])
    mailbox, metas = await backend.mail.snapshot(inbox.id)
    assert metas == []
    assert (mailbox.uid_next, mailbox.message_count, mailbox.total_bytes) == (1, 0, 0)
    assert await backend.mail.usage(account.id) == Usage(0, 0, 0)
    assert await account_modseq(backend, account.id) == before
    assert await backend.refcount(first.sha256) is None
    assert await backend.refcount(missing.sha256) is None
    assert await backend.mail.search(inbox.id, MatchAll()) == []
    await assert_consistent(backend, account.id)


async def test_append_quota_refusal_writes_nothing(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test", quota_bytes=1000)
    first = await backend.mail.append(account.id, inbox.id, [new(small(size=600))])
    refused = [small(size=300), small(size=200)]
    with pytest.raises(QuotaExceeded):
        await backend.mail.append(account.id, inbox.id, [new(c) for c in refused])
    mailbox, metas = await backend.mail.snapshot(inbox.id)
    assert [m.uid for m in metas] == [1]
    assert (mailbox.uid_next, mailbox.highest_modseq) == (2, first.modseq)
    assert await account_modseq(backend, account.id) == first.modseq
    assert await backend.mail.usage(account.id) == Usage(600, 1, 1000)
    assert [await backend.refcount(c.sha256) for c in refused] == [None, None]
    await assert_consistent(backend, account.id)

    exact = await backend.mail.append(account.id, inbox.id, [new(small(size=400))])
    assert exact.uids == (2,)
    assert await backend.mail.usage(account.id) == Usage(1000, 2, 1000)
    with pytest.raises(QuotaExceeded):
        await backend.mail.append(account.id, inbox.id, [new(small(size=100))])
    await assert_consistent(backend, account.id)


async def test_append_to_a_missing_or_foreign_mailbox_raises_not_found(backend: Backend) -> None:
    alice, _ = await make_account(backend, "alice@example.test")
    bob, bob_inbox = await make_account(backend, "bob@example.test")
    with pytest.raises(NotFound):
        await backend.mail.append(alice.id, bob_inbox.id + 1000, [new(small())])
    with pytest.raises(NotFound):
        await backend.mail.append(alice.id, bob_inbox.id, [new(small())])
    assert await uids_of(backend, bob_inbox.id) == []
    assert await backend.mail.usage(alice.id) == Usage(0, 0, 0)
    await assert_consistent(backend, bob.id)


async def test_fetch_returns_what_was_stored(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    data = b"From: Alice <alice@example.test>\r\nSubject: Hello\r\n\r\nHi Bob\r\n"
    content = ingested(
        data,
        subject="Hello",
        from_text="Alice <alice@example.test>",
        to_text="bob@example.test",
        cc_text="carol@example.test",
        bcc_text="dave@example.test",
        message_id="<m1@example.test>",
        in_reply_to="<m0@example.test>",
        references=("<m-1@example.test>", "<m0@example.test>"),
        sent_date=1_700_000_000.0,
        headers="From: Alice <alice@example.test>\nSubject: Hello",
        body_text="Hi Bob",
        parsed=b'{"tree": [1, 2]}',
    )
    started = time.time()
    appended = await backend.mail.append(
        account.id,
        inbox.id,
        [
            new(content, flags=FLAGGED, keywords=("Todo",), internal_date=1_700_000_100.0),
            new(small("other")),
        ],
    )
    records = await backend.mail.fetch(inbox.id, [99, 2, 1])
    assert [r.uid for r in records] == [1, 2]
    record = records[0]
    assert (record.mailbox_id, record.flags, record.keywords) == (inbox.id, FLAGGED, ("Todo",))
    assert (record.modseq, record.size, record.sha256) == (
        appended.modseq,
        len(data),
        content.sha256,
    )
    assert record.internal_date == 1_700_000_100.0
    assert started - 1 <= record.save_date <= time.time() + 1
    assert record.inline is True
    assert record.parsed == b'{"tree": [1, 2]}'
    assert record.summary == content.summary
    assert records[1].email_id != record.email_id
    assert await backend.mail.fetch(inbox.id, []) == []
    assert await backend.mail.read_content(record.sha256) == data


async def test_threads_and_email_ids(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    archive = await backend.mail.create_mailbox(account.id, "Archive")
    root = ingested(b"root\r\n", message_id="<root@example.test>")
    reply = ingested(
        b"reply\r\n", message_id="<r1@example.test>", in_reply_to="<root@example.test>"
    )
    unrelated = ingested(b"unrelated\r\n", message_id="<other@example.test>")
    await backend.mail.append(account.id, inbox.id, [new(root), new(reply), new(unrelated)])
    copied = await backend.mail.copy(account.id, inbox.id, [2], archive.id)
    first, second, third = await backend.mail.fetch(inbox.id, [1, 2, 3])
    [copy] = await backend.mail.fetch(archive.id, list(copied.destination_uids))
    assert first.thread_id == second.thread_id != third.thread_id
    assert len({first.email_id, second.email_id, third.email_id}) == 3
    assert (copy.email_id, copy.thread_id) == (second.email_id, second.thread_id)


# --- deliver ---------------------------------------------------------------------------------


async def test_deliver_to_several_accounts(backend: Backend) -> None:
    alice, alice_inbox = await make_account(backend, "alice@example.test")
    bob, bob_inbox = await make_account(backend, "bob@example.test")
    carol, carol_inbox = await make_account(backend, "carol@example.test", quota_bytes=100)
    work = await backend.mail.create_mailbox(alice.id, "Work")
    content = small("hello", size=500)
    carol_modseq = await account_modseq(backend, carol.id)

    outcomes = await backend.mail.deliver(
        content,
        [
            DeliveryTarget(alice.id, "Work", flags=SEEN, keywords=("Filed",)),
            DeliveryTarget(bob.id),
            DeliveryTarget(carol.id),
            DeliveryTarget(alice.id + 1000),
            DeliveryTarget(alice.id, "Missing"),
        ],
        1_700_000_000.0,
    )

    assert len(outcomes) == 5
    to_work, to_bob, to_carol, to_nobody, to_inbox = outcomes
    assert isinstance(to_work, Delivered)
    assert (to_work.account_id, to_work.mailbox_id, to_work.uid) == (alice.id, work.id, 1)
    assert isinstance(to_bob, Delivered)
    assert (to_bob.account_id, to_bob.mailbox_id, to_bob.uid) == (bob.id, bob_inbox.id, 1)
    assert to_carol == DeliveryRefused(carol.id, "quota")
    assert to_nobody == DeliveryRefused(alice.id + 1000, "no-account")
    assert isinstance(to_inbox, Delivered)
    assert (to_inbox.account_id, to_inbox.mailbox_id, to_inbox.uid) == (
        alice.id,
        alice_inbox.id,
        1,
    )
    assert await backend.refcount(content.sha256) == 3
    [filed] = await backend.mail.fetch(work.id, [1])
    assert (filed.flags, filed.keywords, filed.modseq) == (SEEN, ("Filed",), to_work.modseq)
    assert filed.internal_date == 1_700_000_000.0
    assert filed.sha256 == content.sha256
    [plain] = await backend.mail.fetch(bob_inbox.id, [1])
    assert (plain.flags, plain.keywords, plain.modseq) == (0, (), to_bob.modseq)
    assert (await backend.mail.get_mailbox(alice.id, "Work")) is not None
    assert await backend.mail.get_mailbox(alice.id, "Missing") is None
    assert await backend.mail.usage(alice.id) == Usage(1000, 2, 0)
    assert await backend.mail.usage(bob.id) == Usage(500, 1, 0)
    assert await backend.mail.usage(carol.id) == Usage(0, 0, 100)
    assert await uids_of(backend, carol_inbox.id) == []
    assert await account_modseq(backend, carol.id) == carol_modseq
    for account in (alice, bob, carol):
        await assert_consistent(backend, account.id)


async def test_deliver_refused_everywhere_stores_nothing(backend: Backend) -> None:
    carol, _ = await make_account(backend, "carol@example.test", quota_bytes=10)
    content = small("too big", size=200)
    outcomes = await backend.mail.deliver(
        content, [DeliveryTarget(carol.id), DeliveryTarget(carol.id + 1)], time.time()
    )
    assert outcomes == [
        DeliveryRefused(carol.id, "quota"),
        DeliveryRefused(carol.id + 1, "no-account"),
    ]
    assert content.sha256 not in await backend.stored_contents()
    await assert_consistent(backend, carol.id)


async def test_deliver_large_content_is_stored_once(backend: Backend) -> None:
    alice, alice_inbox = await make_account(backend, "alice@example.test")
    bob, bob_inbox = await make_account(backend, "bob@example.test")
    content = await large(backend.blobs, 300_000, "big")
    outcomes = await backend.mail.deliver(
        content, [DeliveryTarget(alice.id), DeliveryTarget(bob.id)], time.time()
    )
    assert [type(o) for o in outcomes] == [Delivered, Delivered]
    assert await backend.refcount(content.sha256) == 2
    [a] = await backend.mail.fetch(alice_inbox.id, [1])
    [b] = await backend.mail.fetch(bob_inbox.id, [1])
    assert (a.sha256, a.inline, a.size) == (content.sha256, False, 300_000)
    assert (b.sha256, b.inline, b.size) == (content.sha256, False, 300_000)
    data = await backend.blobs.read(content.sha256)
    assert len(data) == 300_000
    assert ingested(data).sha256 == content.sha256


# --- deduplicated content --------------------------------------------------------------------


async def test_same_content_twice_is_stored_once(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    content = small("dup", size=300)
    await backend.mail.append(account.id, inbox.id, [new(content)])
    await backend.mail.append(account.id, inbox.id, [new(content), new(content)])
    assert await backend.refcount(content.sha256) == 3
    records = await backend.mail.fetch(inbox.id, [1, 2, 3])
    assert {r.sha256 for r in records} == {content.sha256}
    assert len({r.email_id for r in records}) == 3
    assert await backend.mail.usage(account.id) == Usage(900, 3, 0)  # each copy counts

    await backend.mail.store_flags(
        account.id, inbox.id, [1, 2], mode="add", flags=DELETED, keywords=()
    )
    await backend.mail.expunge(account.id, inbox.id)
    assert await backend.refcount(content.sha256) == 1
    await backend.mail.store_flags(
        account.id, inbox.id, [3], mode="add", flags=DELETED, keywords=()
    )
    await backend.mail.expunge(account.id, inbox.id)
    assert await backend.refcount(content.sha256) == 0
    # Unreferenced content stays readable through the grace period.
    assert await backend.mail.read_content(content.sha256) == content.data
    await assert_consistent(backend, account.id)


async def test_large_content_dedup(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    content = await large(backend.blobs, 200_000)
    await backend.mail.append(account.id, inbox.id, [new(content)])
    await backend.blobs.put(content.sha256, await backend.blobs.read(content.sha256))
    await backend.mail.append(account.id, inbox.id, [new(content)])
    assert await backend.refcount(content.sha256) == 2
    assert await backend.mail.usage(account.id) == Usage(400_000, 2, 0)


# --- flags -----------------------------------------------------------------------------------


async def test_store_flags_add_remove_replace(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    appended = await backend.mail.append(
        account.id, inbox.id, [new(small()), new(small(), flags=SEEN), new(small(), flags=FLAGGED)]
    )
    m0 = appended.modseq

    added = await backend.mail.store_flags(
        account.id, inbox.id, [1, 2], mode="add", flags=SEEN, keywords=()
    )
    assert added.modseq is not None and added.modseq > m0
    assert added == FlagsResult((MessageMeta(1, SEEN, (), added.modseq),), (), added.modseq)
    _, metas = await backend.mail.snapshot(inbox.id)
    assert metas == [
        MessageMeta(1, SEEN, (), added.modseq),
        MessageMeta(2, SEEN, (), m0),  # unchanged: keeps its MODSEQ
        MessageMeta(3, FLAGGED, (), m0),
    ]
    mailbox = await backend.mail.get_mailbox_by_id(inbox.id)
    assert mailbox is not None
    assert mailbox.unseen_count == 1
    await assert_consistent(backend, account.id)

    removed = await backend.mail.store_flags(
        account.id, inbox.id, [1, 2, 3], mode="remove", flags=SEEN | FLAGGED, keywords=()
    )
    assert removed.modseq is not None and removed.modseq > added.modseq
    assert [(m.uid, m.flags) for m in removed.changed] == [(1, 0), (2, 0), (3, 0)]
    assert all(m.modseq == removed.modseq for m in removed.changed)
    await assert_consistent(backend, account.id)

    replaced = await backend.mail.store_flags(
        account.id, inbox.id, [2, 3], mode="replace", flags=DRAFT | DELETED, keywords=("Later",)
    )
    assert replaced.modseq is not None
    assert replaced.changed == (
        MessageMeta(2, DRAFT | DELETED, ("Later",), replaced.modseq),
        MessageMeta(3, DRAFT | DELETED, ("Later",), replaced.modseq),
    )
    mailbox, metas = await backend.mail.snapshot(inbox.id)
    assert metas[0] == MessageMeta(1, 0, (), removed.modseq)
    assert (mailbox.unseen_count, mailbox.deleted_count, mailbox.highest_modseq) == (
        3,
        2,
        replaced.modseq,
    )
    assert mailbox.keywords == ("Later",)
    await assert_consistent(backend, account.id)


async def test_keywords_compare_case_insensitively(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    await backend.mail.append(account.id, inbox.id, [new(small()), new(small())])
    first = await backend.mail.store_flags(
        account.id, inbox.id, [1], mode="add", flags=0, keywords=("Project",)
    )
    assert first.changed == (MessageMeta(1, 0, ("Project",), first.modseq or 0),)
    modseq = await account_modseq(backend, account.id)
    again = await backend.mail.store_flags(
        account.id, inbox.id, [1], mode="add", flags=0, keywords=("PROJECT", "project")
    )
    assert again == FlagsResult((), (), None)
    assert await account_modseq(backend, account.id) == modseq

    doubled = await backend.mail.store_flags(
        account.id, inbox.id, [2], mode="add", flags=0, keywords=("Urgent", "URGENT")
    )
    assert [m.keywords for m in doubled.changed] == [("Urgent",)]
    replaced = await backend.mail.store_flags(
        account.id, inbox.id, [2], mode="replace", flags=0, keywords=("Home", "home")
    )
    assert [m.keywords for m in replaced.changed] == [("Home",)]

    gone = await backend.mail.store_flags(
        account.id, inbox.id, [1], mode="remove", flags=0, keywords=("pROJECT",)
    )
    assert [(m.uid, m.keywords) for m in gone.changed] == [(1, ())]
    mailbox, metas = await backend.mail.snapshot(inbox.id)
    assert [m.keywords for m in metas] == [(), ("Home",)]
    assert sorted(k.lower() for k in mailbox.keywords) == ["home", "project", "urgent"]

    appended = await backend.mail.append(
        account.id, inbox.id, [new(small(), keywords=("Tag", "TAG", "tag"))]
    )
    [record] = await backend.mail.fetch(inbox.id, list(appended.uids))
    assert record.keywords == ("Tag",)
    mailbox, _ = await backend.mail.snapshot(inbox.id)
    assert sorted(k.lower() for k in mailbox.keywords) == ["home", "project", "tag", "urgent"]
    await assert_consistent(backend, account.id)


async def test_noop_store_allocates_no_modseq(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    appended = await backend.mail.append(
        account.id, inbox.id, [new(small(), flags=SEEN, keywords=("Done",))]
    )
    for mode, flags, keywords in [
        ("add", SEEN, ("done",)),
        ("remove", FLAGGED, ("Other",)),
        ("replace", SEEN, ("DONE",)),
    ]:
        result = await backend.mail.store_flags(
            account.id, inbox.id, [1, 7], mode=mode, flags=flags, keywords=keywords
        )
        assert result == FlagsResult((), (), None), mode
    assert await backend.mail.store_flags(
        account.id, inbox.id, [42], mode="add", flags=SEEN, keywords=()
    ) == FlagsResult((), (), None)
    assert await account_modseq(backend, account.id) == appended.modseq
    mailbox, metas = await backend.mail.snapshot(inbox.id)
    assert mailbox.highest_modseq == appended.modseq
    assert metas == [MessageMeta(1, SEEN, ("Done",), appended.modseq)]
    following = await backend.mail.append(account.id, inbox.id, [new(small())])
    assert following.modseq == appended.modseq + 1


async def test_store_unchanged_since(backend: Backend) -> None:
    """RFC 7162 §3.1.3: rows changed after UNCHANGEDSINCE are left alone and reported."""
    account, inbox = await make_account(backend, "alice@example.test")
    appended = await backend.mail.append(account.id, inbox.id, [new(small()) for _ in range(4)])
    m1 = appended.modseq
    bumped = await backend.mail.store_flags(
        account.id, inbox.id, [2], mode="add", flags=FLAGGED, keywords=()
    )
    assert bumped.modseq is not None
    already = await backend.mail.store_flags(
        account.id, inbox.id, [4], mode="add", flags=SEEN, keywords=()
    )
    assert already.modseq is not None

    result = await backend.mail.store_flags(
        account.id,
        inbox.id,
        [1, 2, 3, 4],
        mode="add",
        flags=SEEN,
        keywords=(),
        unchanged_since=m1,
    )
    assert result.modseq is not None
    assert result.modified == (2, 4)
    assert result.changed == (
        MessageMeta(1, SEEN, (), result.modseq),
        MessageMeta(3, SEEN, (), result.modseq),
    )
    _, metas = await backend.mail.snapshot(inbox.id)
    assert metas[1] == MessageMeta(2, FLAGGED, (), bumped.modseq)
    assert metas[3] == MessageMeta(4, SEEN, (), already.modseq)

    # UIDs that pass the test but would not change are neither changed nor modified.
    quiet = await backend.mail.store_flags(
        account.id,
        inbox.id,
        [1, 3],
        mode="add",
        flags=SEEN,
        keywords=(),
        unchanged_since=result.modseq,
    )
    assert quiet == FlagsResult((), (), None)
    # UNCHANGEDSINCE 0 fails for every message (RFC 7162 §3.1.3).
    zero = await backend.mail.store_flags(
        account.id, inbox.id, [1, 3], mode="add", flags=DRAFT, keywords=(), unchanged_since=0
    )
    assert zero == FlagsResult((), (1, 3), None)
    await assert_consistent(backend, account.id)


async def test_store_flags_on_a_missing_mailbox_raises_not_found(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    with pytest.raises(NotFound):
        await backend.mail.store_flags(
            account.id, inbox.id + 1000, [1], mode="add", flags=SEEN, keywords=()
        )


# --- expunge and changes ---------------------------------------------------------------------


async def test_expunge_removes_only_deleted(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    contents = [small(str(i), size=100 * (i + 1)) for i in range(5)]
    appended = await backend.mail.append(
        account.id,
        inbox.id,
        [new(c, flags=DELETED if i in (1, 3, 4) else SEEN) for i, c in enumerate(contents)],
    )
    result = await backend.mail.expunge(account.id, inbox.id, [4, 1, 2, 99])
    assert result.uids == (2, 4)
    assert result.modseq is not None and result.modseq > appended.modseq
    assert await uids_of(backend, inbox.id) == [1, 3, 5]
    assert await backend.mail.usage(account.id) == Usage(100 + 300 + 500, 3, 0)
    await assert_consistent(backend, account.id)

    rest = await backend.mail.expunge(account.id, inbox.id)
    assert rest.uids == (5,)
    assert await uids_of(backend, inbox.id) == [1, 3]
    assert await backend.mail.usage(account.id) == Usage(400, 2, 0)
    mailbox = await backend.mail.get_mailbox_by_id(inbox.id)
    assert mailbox is not None
    assert (mailbox.deleted_count, mailbox.uid_next, mailbox.highest_modseq) == (0, 6, rest.modseq)
    await assert_consistent(backend, account.id)

    modseq = await account_modseq(backend, account.id)
    assert await backend.mail.expunge(account.id, inbox.id) == ExpungeResult((), None)
    assert await backend.mail.expunge(account.id, inbox.id, [1]) == ExpungeResult((), None)
    assert await account_modseq(backend, account.id) == modseq
    after = await backend.mail.append(account.id, inbox.id, [new(small())])
    assert after.uids == (6,)  # expunged UIDs are never reused
    with pytest.raises(NotFound):
        await backend.mail.expunge(account.id, inbox.id + 1000)


async def test_changes_since_reports_changed_rows_and_vanished_uids(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    m1 = (await backend.mail.append(account.id, inbox.id, [new(small()) for _ in range(4)])).modseq
    m2 = (
        await backend.mail.store_flags(
            account.id, inbox.id, [2], mode="add", flags=SEEN, keywords=()
        )
    ).modseq
    m3 = (
        await backend.mail.store_flags(
            account.id, inbox.id, [3, 4], mode="add", flags=DELETED, keywords=()
        )
    ).modseq
    m4 = (await backend.mail.expunge(account.id, inbox.id, [3])).modseq
    assert m2 is not None and m3 is not None and m4 is not None
    assert m1 < m2 < m3 < m4

    everything = await backend.mail.changes_since(inbox.id, 0)
    assert everything.changed == (
        MessageMeta(1, 0, (), m1),
        MessageMeta(2, SEEN, (), m2),
        MessageMeta(4, DELETED, (), m3),
    )
    assert everything.vanished == (3,)
    assert everything.history_complete is True
    assert everything.mailbox == await backend.mail.get_mailbox_by_id(inbox.id)
    assert everything.mailbox.highest_modseq == m4

    after_m1 = await backend.mail.changes_since(inbox.id, m1)
    assert [m.uid for m in after_m1.changed] == [2, 4]
    assert after_m1.vanished == (3,)
    after_m3 = await backend.mail.changes_since(inbox.id, m3)
    assert (after_m3.changed, after_m3.vanished) == ((), (3,))
    after_m4 = await backend.mail.changes_since(inbox.id, m4)
    assert (after_m4.changed, after_m4.vanished) == ((), ())
    with pytest.raises(NotFound):
        await backend.mail.changes_since(inbox.id + 1000, 0)


# --- copy and move ---------------------------------------------------------------------------


async def test_copy(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    archive = await backend.mail.create_mailbox(account.id, "Archive")
    a, b, c = small("a", size=100), small("b", size=200), small("c", size=300)
    appended = await backend.mail.append(
        account.id,
        inbox.id,
        [new(a, flags=SEEN, keywords=("Keep",)), new(b), new(c, flags=FLAGGED | DELETED)],
    )

    result = await backend.mail.copy(account.id, inbox.id, [3, 1, 99], archive.id)

    assert result.modseq is not None and result.modseq > appended.modseq
    assert result == CopyResult(archive.id, archive.uidvalidity, (1, 3), (1, 2), result.modseq)
    copied, metas = await backend.mail.snapshot(archive.id)
    assert metas == [
        MessageMeta(1, SEEN, ("Keep",), result.modseq),
        MessageMeta(2, FLAGGED | DELETED, (), result.modseq),
    ]
    assert copied.keywords == ("Keep",)
    assert (copied.message_count, copied.unseen_count, copied.deleted_count) == (2, 1, 1)
    sources = await backend.mail.fetch(inbox.id, [1, 3])
    copies = await backend.mail.fetch(archive.id, [1, 2])
    assert [(r.sha256, r.email_id, r.size) for r in copies] == [
        (r.sha256, r.email_id, r.size) for r in sources
    ]
    _, source_metas = await backend.mail.snapshot(inbox.id)
    assert [m.modseq for m in source_metas] == [appended.modseq] * 3
    assert await backend.mail.usage(account.id) == Usage(600 + 400, 5, 0)
    assert [await backend.refcount(x.sha256) for x in (a, b, c)] == [2, 1, 2]
    await assert_consistent(backend, account.id)

    again = await backend.mail.copy(account.id, inbox.id, [2], archive.id)
    assert again.destination_uids == (3,)
    empty = await backend.mail.copy(account.id, inbox.id, [50, 51], archive.id)
    assert empty == CopyResult(archive.id, archive.uidvalidity, (), (), None)
    await assert_consistent(backend, account.id)


async def test_copy_over_quota_writes_nothing(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test", quota_bytes=700)
    archive = await backend.mail.create_mailbox(account.id, "Archive")
    a, b = small("a", size=200), small("b", size=300)
    appended = await backend.mail.append(account.id, inbox.id, [new(a), new(b)])
    with pytest.raises(QuotaExceeded):
        await backend.mail.copy(account.id, inbox.id, [1, 2], archive.id)
    assert await uids_of(backend, archive.id) == []
    assert await backend.mail.usage(account.id) == Usage(500, 2, 700)
    assert [await backend.refcount(x.sha256) for x in (a, b)] == [1, 1]
    assert await account_modseq(backend, account.id) == appended.modseq
    fits = await backend.mail.copy(account.id, inbox.id, [1], archive.id)
    assert fits.destination_uids == (1,)
    assert await backend.mail.usage(account.id) == Usage(700, 3, 700)
    await assert_consistent(backend, account.id)


async def test_move(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    archive = await backend.mail.create_mailbox(account.id, "Archive")
    await backend.mail.append(account.id, archive.id, [new(small("already there"))])
    contents = [small(str(i), size=100 * (i + 1)) for i in range(4)]
    appended = await backend.mail.append(
        account.id,
        inbox.id,
        [
            new(x, flags=SEEN if i % 2 else 0, keywords=("K",) if i == 2 else ())
            for i, x in enumerate(contents)
        ],
    )
    sources = await backend.mail.fetch(inbox.id, [2, 3])
    usage = await backend.mail.usage(account.id)
    # Over quota does not stop a move: it changes no usage.
    await backend.directory.update_account("alice@example.test", quota_bytes=1)

    result = await backend.mail.move(account.id, inbox.id, [3, 2], archive.id)

    assert result.modseq is not None and result.modseq > appended.modseq
    assert result == CopyResult(archive.id, archive.uidvalidity, (2, 3), (2, 3), result.modseq)
    assert await uids_of(backend, inbox.id) == [1, 4]
    changes = await backend.mail.changes_since(inbox.id, appended.modseq)
    assert (changes.changed, changes.vanished) == ((), (2, 3))
    assert changes.mailbox.highest_modseq == result.modseq
    _, metas = await backend.mail.snapshot(archive.id)
    assert metas[1:] == [
        MessageMeta(2, SEEN, (), result.modseq),
        MessageMeta(3, 0, ("K",), result.modseq),
    ]
    moved = await backend.mail.fetch(archive.id, [2, 3])
    assert [(r.sha256, r.email_id) for r in moved] == [(r.sha256, r.email_id) for r in sources]
    assert await backend.mail.usage(account.id) == Usage(usage.used_bytes, usage.message_count, 1)
    assert [await backend.refcount(x.sha256) for x in contents] == [1, 1, 1, 1]
    await assert_consistent(backend, account.id)
    empty = await backend.mail.move(account.id, inbox.id, [2, 3], archive.id)
    assert empty == CopyResult(archive.id, archive.uidvalidity, (), (), None)


async def test_copy_and_move_within_one_mailbox(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    content = small("self", size=100)
    await backend.mail.append(account.id, inbox.id, [new(content, flags=SEEN)])
    copied = await backend.mail.copy(account.id, inbox.id, [1], inbox.id)
    assert (copied.source_uids, copied.destination_uids) == ((1,), (2,))
    moved = await backend.mail.move(account.id, inbox.id, [1], inbox.id)
    assert (moved.source_uids, moved.destination_uids) == ((1,), (3,))
    _, metas = await backend.mail.snapshot(inbox.id)
    assert [(m.uid, m.flags) for m in metas] == [(2, SEEN), (3, SEEN)]
    assert (await backend.mail.changes_since(inbox.id, 0)).vanished == (1,)
    assert await backend.mail.usage(account.id) == Usage(200, 2, 0)
    assert await backend.refcount(content.sha256) == 2
    await assert_consistent(backend, account.id)


async def test_copy_and_move_across_accounts_raise_not_found(backend: Backend) -> None:
    alice, alice_inbox = await make_account(backend, "alice@example.test")
    _, bob_inbox = await make_account(backend, "bob@example.test")
    await backend.mail.append(alice.id, alice_inbox.id, [new(small())])
    with pytest.raises(NotFound):
        await backend.mail.copy(alice.id, alice_inbox.id, [1], bob_inbox.id)
    with pytest.raises(NotFound):
        await backend.mail.move(alice.id, alice_inbox.id, [1], bob_inbox.id)
    with pytest.raises(NotFound):
        await backend.mail.copy(alice.id, bob_inbox.id, [1], alice_inbox.id)
    assert await uids_of(backend, bob_inbox.id) == []
    assert await uids_of(backend, alice_inbox.id) == [1]


# --- usage -----------------------------------------------------------------------------------


async def test_usage(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test", quota_bytes=10_000)
    assert await backend.mail.usage(account.id) == Usage(0, 0, 10_000)
    await backend.mail.append(account.id, inbox.id, [new(small(size=1234)), new(small(size=766))])
    assert await backend.mail.usage(account.id) == Usage(2000, 2, 10_000)
    account_row = await backend.directory.get_account_by_id(account.id)
    assert account_row is not None
    assert (account_row.used_bytes, account_row.message_count) == (2000, 2)
    with pytest.raises(NotFound):
        await backend.mail.usage(account.id + 1000)


# --- content ---------------------------------------------------------------------------------


async def test_read_content_ranges(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    data = bytes(range(256)) * 4
    content = ingested(data)
    await backend.mail.append(account.id, inbox.id, [new(content)])
    read = backend.mail.read_content
    assert await read(content.sha256) == data
    assert await read(content.sha256, 10) == data[10:]
    assert await read(content.sha256, 5, 7) == data[5:12]
    assert await read(content.sha256, 1020, 10) == data[1020:]
    assert await read(content.sha256, 0, 0) == b""
    assert await read(content.sha256, 5000) == b""
    with pytest.raises(NotFound):
        await read("0" * 64)


async def test_large_content_goes_through_the_blob_store(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    content = await large(backend.blobs, 300_000, "large")
    data = await backend.blobs.read(content.sha256)
    appended = await backend.mail.append(account.id, inbox.id, [new(content)])
    [record] = await backend.mail.fetch(inbox.id, list(appended.uids))
    assert (record.inline, record.size, record.sha256) == (False, 300_000, content.sha256)
    assert await backend.blobs.read(record.sha256, 1000, 10) == data[1000:1010]
    with pytest.raises(NotFound):
        await backend.mail.read_content(record.sha256)
    assert await backend.mail.usage(account.id) == Usage(300_000, 1, 0)
    assert await backend.mail.search(inbox.id, MatchAll()) == [1]
    await assert_consistent(backend, account.id)


async def test_large_content_whose_bytes_vanished_raises_content_missing(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    content = await large(backend.blobs, 200_000)
    data = await backend.blobs.read(content.sha256)
    await backend.mail.append(account.id, inbox.id, [new(content, flags=DELETED)])
    await backend.mail.expunge(account.id, inbox.id)
    await backend.blobs.delete([content.sha256])
    with pytest.raises(ContentMissing):
        await backend.mail.append(account.id, inbox.id, [new(content)])
    assert await uids_of(backend, inbox.id) == []
    await backend.blobs.put(content.sha256, data)  # what the caller does: write, retry
    retried = await backend.mail.append(account.id, inbox.id, [new(content)])
    assert retried.uids == (2,)
    assert await backend.blobs.read(content.sha256) == data
    await assert_consistent(backend, account.id)


async def test_collect_garbage(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    archive = await backend.mail.create_mailbox(account.id, "Archive")
    dropped = small("dropped")
    dropped_large = await large(backend.blobs, 250_000, "dropped large")
    kept, shared, revived = small("kept"), small("shared"), small("revived")
    await backend.mail.append(
        account.id,
        inbox.id,
        [
            new(dropped, flags=DELETED),
            new(dropped_large, flags=DELETED),
            new(kept),
            new(shared, flags=DELETED),
            new(revived, flags=DELETED),
        ],
    )
    await backend.mail.append(account.id, archive.id, [new(shared)])
    await backend.mail.expunge(account.id, inbox.id)
    await backend.mail.append(account.id, archive.id, [new(revived)])
    assert [
        await backend.refcount(x.sha256) for x in (dropped, dropped_large, kept, shared, revived)
    ] == [0, 0, 1, 1, 1]

    assert await backend.mail.collect_garbage(3600) == []  # still inside the grace period
    assert await backend.mail.read_content(dropped.sha256) == dropped.data
    assert await backend.blobs.exists(dropped_large.sha256)

    await asyncio.sleep(0.05)
    removed = await backend.mail.collect_garbage(0.01)

    assert sorted(removed) == sorted([dropped.sha256, dropped_large.sha256])
    assert await backend.stored_contents() == {kept.sha256, shared.sha256, revived.sha256}
    with pytest.raises(NotFound):
        await backend.mail.read_content(dropped.sha256)
    assert not await backend.blobs.exists(dropped_large.sha256)  # its file went with it
    assert await backend.mail.collect_garbage(0) == []
    for x in (kept, shared, revived):
        assert await backend.mail.read_content(x.sha256) == x.data
    await assert_consistent(backend, account.id)
