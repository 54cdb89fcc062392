"""MailRepo.list_contents and MailRepo.read_contents conformance: listing a mailbox's
messages by their sizes and where their bytes are, and reading many inline bodies in one
read (ports.MailRepo; what a POP3 maildrop is built on)."""

from __future__ import annotations

import dataclasses

import pytest

from courriel.storage.errors import NotFound
from courriel.storage.records import MessageContent
from support.backends import Backend, make_account
from support.builders import ingested, large, new, raw_message, small


async def test_list_contents_gives_sizes_and_where_the_bytes_are(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    bare_lf = ingested(raw_message(subject="bare", body="one\ntwo").replace(b"\r\n", b"\n"))
    big = await large(backend.blobs, 200_000)
    one = small("one", size=300)
    appended = await backend.mail.append(account.id, inbox.id, [new(one), new(bare_lf), new(big)])

    mailbox, contents = await backend.mail.list_contents(inbox.id)

    assert (mailbox.id, mailbox.uidvalidity) == (inbox.id, inbox.uidvalidity)
    assert mailbox.highest_modseq == appended.modseq  # the row as of the same read
    assert contents == [
        MessageContent(1, 300, one.wire_size, one.sha256, True),
        MessageContent(2, bare_lf.size, bare_lf.wire_size, bare_lf.sha256, True),
        MessageContent(3, 200_000, big.wire_size, big.sha256, False),
    ]
    assert bare_lf.wire_size > bare_lf.size  # each bare LF goes out as CRLF


async def test_list_contents_keeps_the_wire_size_given_at_ingest(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    content = dataclasses.replace(small("x"), wire_size=123_456)
    await backend.mail.append(account.id, inbox.id, [new(content)])

    [listed] = (await backend.mail.list_contents(inbox.id))[1]

    assert listed.wire_size == 123_456
    [record] = await backend.mail.fetch(inbox.id, [1])
    assert record.wire_size == 123_456


async def test_list_contents_in_uid_order_without_removed_messages(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    await backend.mail.append(account.id, inbox.id, [new(small(str(i))) for i in range(5)])
    await backend.mail.remove_messages(account.id, inbox.id, [2, 4])

    _, contents = await backend.mail.list_contents(inbox.id)

    assert [content.uid for content in contents] == [1, 3, 5]


async def test_list_contents_of_an_empty_or_missing_mailbox(backend: Backend) -> None:
    _, inbox = await make_account(backend, "alice@example.test")
    assert (await backend.mail.list_contents(inbox.id))[1] == []
    with pytest.raises(NotFound):
        await backend.mail.list_contents(inbox.id + 1000)


async def test_read_contents_returns_inline_bodies_by_uid(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    odd = raw_message(subject="odd", body=".dot\nbare LF\rbare CR") + b"\x00\xff no final break"
    messages = [small("one"), ingested(odd), small("three", size=5000)]
    await backend.mail.append(account.id, inbox.id, [new(content) for content in messages])
    stored = {1: messages[0], 2: messages[1], 3: messages[2]}

    contents = await backend.mail.read_contents(inbox.id, [3, 1, 2])

    assert contents.keys() == {1, 2, 3}
    for uid, content in stored.items():
        assert contents[uid] == content.data  # byte-exact, line endings untouched
    assert await backend.mail.read_contents(inbox.id, [2]) == {2: odd}


async def test_read_contents_leaves_out_large_removed_and_unknown_messages(
    backend: Backend,
) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    big = await large(backend.blobs, 200_000)
    kept, removed = small("kept"), small("removed")
    await backend.mail.append(account.id, inbox.id, [new(kept), new(big), new(removed)])
    await backend.mail.remove_messages(account.id, inbox.id, [3])

    contents = await backend.mail.read_contents(inbox.id, [1, 2, 3, 99])

    assert contents == {1: kept.data}  # 2 is in the blob store, 3 is gone, 99 never was
    assert await backend.mail.read_contents(inbox.id, []) == {}
    assert await backend.mail.read_contents(inbox.id + 1000, [1]) == {}


async def test_read_contents_reads_one_mailbox_only(backend: Backend) -> None:
    alice, alice_inbox = await make_account(backend, "alice@example.test")
    bob, bob_inbox = await make_account(backend, "bob@example.test")
    alices, bobs = small("alice's"), small("bob's")
    await backend.mail.append(alice.id, alice_inbox.id, [new(alices)])
    await backend.mail.append(bob.id, bob_inbox.id, [new(bobs)])

    assert await backend.mail.read_contents(alice_inbox.id, [1]) == {1: alices.data}
    assert await backend.mail.read_contents(bob_inbox.id, [1]) == {1: bobs.data}


async def test_read_contents_of_shared_content(backend: Backend) -> None:
    """One content stored once, referenced by several messages: each UID gets the bytes."""
    account, inbox = await make_account(backend, "alice@example.test")
    content = small("same")
    await backend.mail.append(account.id, inbox.id, [new(content), new(content)])
    archive = await backend.mail.create_mailbox(account.id, "Archive")
    await backend.mail.copy(account.id, inbox.id, [1], archive.id)

    assert await backend.mail.read_contents(inbox.id, [1, 2]) == {
        1: content.data,
        2: content.data,
    }
    assert await backend.mail.read_contents(archive.id, [1]) == {1: content.data}
