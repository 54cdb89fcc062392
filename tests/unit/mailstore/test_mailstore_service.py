"""MailStore: parse at ingest, byte-exact storage, events after commit, naming rules."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from courriel.mail import decode
from courriel.runtime.services import Services
from courriel.storage.errors import InvalidName, NotFound
from courriel.storage.query import HeaderContains, TextContains
from courriel.storage.records import Delivered, DeliveryRefused, DeliveryTarget, Flag
from support.services import temporary_services

SIMPLE = (
    b"From: =?utf-8?q?Ren=C3=A9e?= <renee@example.net>\r\n"
    b"To: alice@example.test\r\n"
    b"Subject: =?iso-8859-1?q?R=E9union?= de lundi\r\n"
    b"Date: Mon, 23 Nov 2026 09:30:00 +0100\r\n"
    b"Message-ID: <m1@example.net>\r\n"
    b"X-Ticket: ABC-42\r\n"
    b"\r\n"
    b"Bonjour, la reunion budgetaire est deplacee a mardi.\r\n"
)


def large_message() -> bytes:
    body = os.urandom(200_000).hex().encode()
    return b"Subject: big\r\nFrom: a@example.net\r\n\r\n" + body + b"\r\n"


async def _account(services: Services, address: str = "alice@example.test") -> int:
    if not await services.directory.is_local_domain(address.split("@")[1]):
        await services.directory.add_domain(address.split("@")[1], dkim=False)
    return (await services.directory.add_account(address, None)).id


async def test_append_parses_once_and_serves_bytes_exactly(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        account = await _account(services)
        inbox = await services.mailstore.get_mailbox(account, "inbox")
        result = await services.mailstore.append(
            account, inbox.id, [(SIMPLE, ["\\Seen", "$Label1"], 1_700_000_000.0)]
        )
        assert result.uids == (1,)
        [record] = await services.mailstore.fetch(inbox.id, [1])
        assert record.flags == Flag.SEEN and record.keywords == ("$Label1",)
        assert record.internal_date == 1_700_000_000.0
        assert record.summary.subject == "Réunion de lundi"
        assert record.summary.message_id == "m1@example.net"
        assert record.summary.sent_date == 1795422600.0  # 08:30 UTC
        parsed = decode(record.parsed)
        assert parsed.size == len(SIMPLE)
        assert parsed.envelope is not None
        assert await services.mailstore.read_message(record) == SIMPLE
        assert await services.mailstore.read_message(record, 0, 4) == b"From"
        found = await services.mailstore.search(inbox.id, TextContains("budgetaire"))
        assert found == [1]
        assert await services.mailstore.search(inbox.id, TextContains("budget", "body")) == [1]
        assert await services.mailstore.search(inbox.id, HeaderContains("x-ticket", "abc-4")) == [1]
        assert await services.mailstore.search(inbox.id, HeaderContains("from", "renée")) == [1]


async def test_large_message_goes_to_a_file_and_reads_back(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        account = await _account(services)
        inbox = await services.mailstore.get_mailbox(account, "INBOX")
        raw = large_message()
        await services.mailstore.append(account, inbox.id, [(raw, [], None)])
        [record] = await services.mailstore.fetch(inbox.id, [1])
        assert not record.inline
        assert services.store.blobs.path_of(record.sha256).read_bytes() == raw
        assert await services.mailstore.read_message(record) == raw
        assert await services.mailstore.read_message(record, 100, 10) == raw[100:110]


async def test_garbage_collected_file_is_written_again_when_content_returns(
    tmp_path: Path,
) -> None:
    async with temporary_services(tmp_path) as services:
        account = await _account(services)
        inbox = await services.mailstore.get_mailbox(account, "INBOX")
        raw = large_message()
        await services.mailstore.append(account, inbox.id, [(raw, ["\\Deleted"], None)])
        [record] = await services.mailstore.fetch(inbox.id, [1])
        await services.mailstore.expunge(account, inbox.id)
        assert await services.mailstore.collect_garbage(grace_seconds=-1) == 1
        assert not services.store.blobs.path_of(record.sha256).exists()
        # The same content arrives again: the file must exist again before rows point to it.
        await services.mailstore.append(account, inbox.id, [(raw, [], None)])
        [again] = await services.mailstore.fetch(inbox.id, [2])
        assert await services.mailstore.read_message(again) == raw


async def test_malformed_messages_are_stored_byte_exact(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        account = await _account(services)
        inbox = await services.mailstore.get_mailbox(account, "INBOX")
        samples = [
            b"",
            b"no header separator at all",
            b"Subject: \xff\xfe junk \x00\r\n\r\nbody",
            b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nunterminated',
            b"X: " + b"a" * 100_000 + b"\r\n\r\n",
        ]
        result = await services.mailstore.append(
            account, inbox.id, [(raw, [], None) for raw in samples]
        )
        records = await services.mailstore.fetch(inbox.id, list(result.uids))
        for raw, record in zip(samples, records, strict=True):
            assert await services.mailstore.read_message(record) == raw


async def test_deliver_stores_once_for_several_accounts(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        alice = await _account(services, "alice@example.test")
        bob = await _account(services, "bob@example.test")
        await services.directory.set_quota("bob@example.test", 10)
        outcomes = await services.mailstore.deliver(
            SIMPLE,
            [DeliveryTarget(alice, "Junk"), DeliveryTarget(bob), DeliveryTarget(999_999)],
        )
        assert isinstance(outcomes[0], Delivered)
        junk = await services.mailstore.get_mailbox(alice, "Junk")
        assert outcomes[0].mailbox_id == junk.id and outcomes[0].uid == 1
        assert outcomes[1] == DeliveryRefused(bob, "quota")
        assert outcomes[2] == DeliveryRefused(999_999, "no-account")
        assert (await services.mailstore.usage(alice)).used_bytes == len(SIMPLE)
        assert (await services.mailstore.usage(bob)).used_bytes == 0


async def test_changes_are_published_after_commit(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        account = await _account(services)
        inbox = await services.mailstore.get_mailbox(account, "INBOX")
        subscription = services.bus.subscribe(account)
        result = await services.mailstore.append(account, inbox.id, [(SIMPLE, [], None)])
        event = await subscription.get(timeout=1)
        assert event is not None
        assert (event.kind, event.mailbox_id, event.uids, event.modseq) == (
            "added",
            inbox.id,
            (1,),
            result.modseq,
        )
        # The event came after the commit: a reader sees the message now.
        assert [m.uid for m in (await services.mailstore.snapshot(inbox.id))[1]] == [1]
        await services.mailstore.store_flags(account, inbox.id, [1], "add", ["\\Flagged"])
        flags_event = await subscription.get(timeout=1)
        assert flags_event is not None and flags_event.kind == "flags"
        await services.mailstore.store_flags(account, inbox.id, [1], "add", ["\\Flagged"])
        assert await subscription.get(timeout=0.05) is None  # nothing changed, no event
        subscription.close()


async def test_mailbox_names(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        account = await _account(services)
        store = services.mailstore
        created = await store.create_mailbox(account, "Projets/2026/Été/")
        assert created.name == "Projets/2026/Été"
        names = {m.name for m in await store.list_mailboxes(account)}
        assert {"Projets", "Projets/2026", "Projets/2026/Été"} <= names
        assert (await store.get_mailbox(account, "iNbOx")).name == "INBOX"
        for bad in ("", "a//b", "/a", "a*b", "a%b", "tab\there", "x" * 1001):
            with pytest.raises(InvalidName):
                await store.create_mailbox(account, bad)
        with pytest.raises(InvalidName, match="INBOX cannot be deleted"):
            await store.delete_mailbox(account, "inbox")
        with pytest.raises(InvalidName):
            await store.rename_mailbox(account, "Projets", "INBOX")
        with pytest.raises(InvalidName):
            await store.create_mailbox(account, "X", special_use="\\Important")
        with pytest.raises(NotFound):
            await store.get_mailbox(account, "Nope")
        renamed = await store.rename_mailbox(account, "Projets", "Archive/Projets")
        assert sorted(m.name for m in renamed) == [
            "Archive/Projets",
            "Archive/Projets/2026",
            "Archive/Projets/2026/Été",
        ]


async def test_concurrent_appends_through_the_service_keep_uids_dense(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        account = await _account(services)
        inbox = await services.mailstore.get_mailbox(account, "INBOX")

        async def append(index: int) -> tuple[int, ...]:
            raw = SIMPLE + f"n{index}\r\n".encode()
            return (await services.mailstore.append(account, inbox.id, [(raw, [], None)])).uids

        uids = sorted(
            u for result in await asyncio.gather(*map(append, range(200))) for u in result
        )
        assert uids == list(range(1, 201))
        mailbox, messages = await services.mailstore.snapshot(inbox.id)
        assert mailbox.uid_next == 201 and mailbox.message_count == 200
        assert [m.uid for m in messages] == uids
        assert len({m.modseq for m in messages}) == 200
