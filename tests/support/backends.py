"""Storage backends under test, keyed by name, and the invariant checks they share.

A conformance test takes the ``backend`` fixture and talks to the ports only. The few facts
the ports do not expose (reference counts, counters recomputed from the rows, the account's
MODSEQ counter) come through ``Backend``'s audit methods, which each backend answers with its
own SQL. To add PostgreSQL: write a ``Backend`` for it and one entry in ``BACKENDS``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from courriel.storage.changebus import InProcessChangeBus
from courriel.storage.ports import (
    BlobStore,
    ChangeBus,
    DirectoryRepo,
    ImageSenderRepo,
    MailRepo,
    MailSettingsRepo,
    SpamRepo,
    WebSessionRepo,
)
from courriel.storage.records import AccountRecord, MailboxRecord
from courriel.storage.sqlite import EmbeddedStore, open_embedded_store


@dataclass(frozen=True, slots=True)
class MailboxCounts:
    uid_next: int
    highest_modseq: int
    message_count: int
    unseen_count: int
    deleted_count: int
    total_bytes: int


@dataclass(frozen=True, slots=True)
class MailboxAudit:
    """A mailbox row's counters and the same counters recomputed from its message rows and
    tombstones, read in one snapshot. ``recounted.highest_modseq`` is the highest MODSEQ of
    a row or tombstone (the stored value when the mailbox never changed)."""

    stored: MailboxCounts
    recounted: MailboxCounts
    row_modseqs: tuple[int, ...]
    account_modseq: int


@dataclass(frozen=True, slots=True)
class AccountAudit:
    used_bytes: int
    message_count: int
    recounted_bytes: int
    recounted_messages: int
    highest_modseq: int
    mailbox_modseqs: tuple[int, ...]


class Backend(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def directory(self) -> DirectoryRepo: ...

    @property
    def mail(self) -> MailRepo: ...

    @property
    def blobs(self) -> BlobStore: ...

    @property
    def spam(self) -> SpamRepo: ...

    @property
    def web_sessions(self) -> WebSessionRepo: ...

    @property
    def mail_settings(self) -> MailSettingsRepo: ...

    @property
    def image_senders(self) -> ImageSenderRepo: ...

    async def audit_mailbox(self, mailbox_id: int) -> MailboxAudit: ...

    async def audit_account(self, account_id: int) -> AccountAudit: ...

    async def refcount(self, sha256: str) -> int | None:
        """The content's reference count, or None when no content row exists."""
        ...

    async def stored_contents(self) -> set[str]:
        """The SHA-256 of every content row, referenced or not."""
        ...

    async def audit_references(self) -> dict[str, tuple[int, int]]:
        """For every content row: its reference count, and the message rows using it."""
        ...


def _audit_mailbox(connection: sqlite3.Connection, mailbox_id: int) -> MailboxAudit:
    row = connection.execute(
        "SELECT uid_next, highest_modseq, message_count, unseen_count, deleted_count, "
        "total_bytes, account_id FROM mailbox WHERE id = ?",
        (mailbox_id,),
    ).fetchone()
    assert row is not None, f"mailbox {mailbox_id} does not exist"
    stored = MailboxCounts(*row[:6])
    count, unseen, deleted, size = connection.execute(
        "SELECT count(*), coalesce(sum(flags & 1 = 0), 0), coalesce(sum(flags & 8 != 0), 0), "
        "coalesce(sum(size), 0) FROM message WHERE mailbox_id = ?",
        (mailbox_id,),
    ).fetchone()
    max_uid, max_modseq = connection.execute(
        "SELECT max(uid), max(modseq) FROM (SELECT uid, modseq FROM message WHERE mailbox_id = ?"
        " UNION ALL SELECT uid, modseq FROM vanished WHERE mailbox_id = ?)",
        (mailbox_id, mailbox_id),
    ).fetchone()
    modseqs = tuple(
        r[0]
        for r in connection.execute(
            "SELECT modseq FROM message WHERE mailbox_id = ? ORDER BY uid", (mailbox_id,)
        )
    )
    account_modseq = connection.execute(
        "SELECT highest_modseq FROM account WHERE id = ?", (row[6],)
    ).fetchone()[0]
    recounted = MailboxCounts(
        uid_next=(max_uid or 0) + 1,
        highest_modseq=stored.highest_modseq if max_modseq is None else max_modseq,
        message_count=count,
        unseen_count=unseen,
        deleted_count=deleted,
        total_bytes=size,
    )
    return MailboxAudit(stored, recounted, modseqs, account_modseq)


def _audit_account(connection: sqlite3.Connection, account_id: int) -> AccountAudit:
    row = connection.execute(
        "SELECT used_bytes, message_count, highest_modseq FROM account WHERE id = ?",
        (account_id,),
    ).fetchone()
    assert row is not None, f"account {account_id} does not exist"
    size, count = connection.execute(
        "SELECT coalesce(sum(size), 0), count(*) FROM message WHERE account_id = ?",
        (account_id,),
    ).fetchone()
    modseqs = tuple(
        r[0]
        for r in connection.execute(
            "SELECT highest_modseq FROM mailbox WHERE account_id = ? ORDER BY id", (account_id,)
        )
    )
    return AccountAudit(row[0], row[1], size, count, row[2], modseqs)


class EmbeddedBackend:
    """SQLite + files (``open_embedded_store``)."""

    name = "embedded"

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store
        # Typed as the ports, so mypy checks that the backend implements them.
        self.directory: DirectoryRepo = store.directory
        self.mail: MailRepo = store.mail
        self.blobs: BlobStore = store.blobs
        self.spam: SpamRepo = store.spam
        self.web_sessions: WebSessionRepo = store.web_sessions
        self.mail_settings: MailSettingsRepo = store.mail_settings
        self.image_senders: ImageSenderRepo = store.image_senders

    async def audit_mailbox(self, mailbox_id: int) -> MailboxAudit:
        return await self.store.engine.read(lambda c: _audit_mailbox(c, mailbox_id))

    async def audit_account(self, account_id: int) -> AccountAudit:
        return await self.store.engine.read(lambda c: _audit_account(c, account_id))

    async def refcount(self, sha256: str) -> int | None:
        def read(connection: sqlite3.Connection) -> int | None:
            row = connection.execute(
                "SELECT refcount FROM blob WHERE sha256 = ?", (sha256,)
            ).fetchone()
            return None if row is None else int(row[0])

        return await self.store.engine.read(read)

    async def stored_contents(self) -> set[str]:
        def read(connection: sqlite3.Connection) -> set[str]:
            return {row[0] for row in connection.execute("SELECT sha256 FROM blob")}

        return await self.store.engine.read(read)

    async def audit_references(self) -> dict[str, tuple[int, int]]:
        def read(connection: sqlite3.Connection) -> dict[str, tuple[int, int]]:
            rows = connection.execute(
                "SELECT b.sha256, b.refcount, "
                "(SELECT count(*) FROM message m WHERE m.blob_id = b.id) FROM blob b"
            )
            return {row[0]: (row[1], row[2]) for row in rows}

        return await self.store.engine.read(read)


@asynccontextmanager
async def embedded_backend(root: Path) -> AsyncIterator[Backend]:
    store = open_embedded_store(root / "store")
    try:
        yield EmbeddedBackend(store)
    finally:
        store.close()


BACKENDS: dict[str, Callable[[Path], AbstractAsyncContextManager[Backend]]] = {
    "embedded": embedded_backend,
}
"""Every backend the conformance suite runs against, by name (``pytest -k embedded``)."""


async def make_account(
    backend: Backend, address: str, *, quota_bytes: int = 0
) -> tuple[AccountRecord, MailboxRecord]:
    """An account (its domain created when missing) with an empty INBOX."""
    domain = address.rpartition("@")[2]
    if await backend.directory.get_domain(domain) is None:
        await backend.directory.add_domain(domain)
    account = await backend.directory.add_account(
        address, password_hash=None, scram_keys=None, quota_bytes=quota_bytes
    )
    inbox = await backend.mail.create_mailbox(account.id, "INBOX")
    return account, inbox


async def assert_consistent(backend: Backend, account_id: int) -> None:
    """Every counter of the account and its mailboxes equals a recount from the rows,
    row MODSEQ <= mailbox HIGHESTMODSEQ <= the account's counter, and every content's
    reference count equals the message rows that use it."""
    account = await backend.audit_account(account_id)
    assert (account.used_bytes, account.message_count) == (
        account.recounted_bytes,
        account.recounted_messages,
    )
    assert all(modseq <= account.highest_modseq for modseq in account.mailbox_modseqs)
    for mailbox in await backend.mail.list_mailboxes(account_id):
        audit = await backend.audit_mailbox(mailbox.id)
        assert audit.stored == audit.recounted, mailbox.name
        assert all(modseq <= audit.stored.highest_modseq for modseq in audit.row_modseqs)
        assert audit.stored.highest_modseq <= audit.account_modseq
    references = await backend.audit_references()
    assert {sha: counts for sha, counts in references.items() if counts[0] != counts[1]} == {}


CHANGE_BUSES: dict[str, Callable[[], ChangeBus]] = {
    "in-process": InProcessChangeBus,
}
"""Every ChangeBus implementation the conformance suite runs against, by name."""
