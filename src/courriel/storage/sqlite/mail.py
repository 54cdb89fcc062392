"""SQLite implementation of the ``MailRepo`` port: binds the SQL functions of
``mailboxes``, ``messages``, ``search``, ``content``, ``retention`` and ``feedback`` to the
engine (writes through the group-commit writer, reads on reader connections). Dates it
records (SAVEDATE, when content became unused, reports) come from the injected clock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from functools import partial

from courriel.core.clock import Clock, SystemClock
from courriel.storage.errors import NotFound
from courriel.storage.query import SearchKey
from courriel.storage.records import (
    AppendResult,
    Changes,
    CopyResult,
    DeliveryOutcome,
    DeliveryTarget,
    ExpungeResult,
    FlagsResult,
    IngestedMessage,
    MailboxRecord,
    MessageContent,
    MessageMeta,
    MessageRecord,
    NewMessage,
    RenderedMessage,
    SpamFeedback,
    Usage,
)
from courriel.storage.sqlite import feedback, mailboxes, messages, retention
from courriel.storage.sqlite.content import FileExists, collect_garbage, index_pending_text
from courriel.storage.sqlite.engine import SqliteEngine
from courriel.storage.sqlite.search import search_uids


class SqliteMailRepo:
    """Mailboxes and messages in the embedded store."""

    def __init__(
        self,
        engine: SqliteEngine,
        *,
        file_exists: FileExists,
        delete_files: Callable[[Sequence[str]], None],
        clock: Clock | None = None,
    ) -> None:
        self._engine = engine
        self._file_exists = file_exists
        self._delete_files = delete_files
        self._clock = clock or SystemClock()

    async def create_mailbox(
        self, account_id: int, name: str, special_use: str | None = None
    ) -> MailboxRecord:
        return await self._engine.write(
            partial(
                mailboxes.create_mailbox, account_id=account_id, name=name, special_use=special_use
            )
        )

    async def get_mailbox(self, account_id: int, name: str) -> MailboxRecord | None:
        return await self._engine.read(
            partial(mailboxes.find_mailbox, account_id=account_id, name=name)
        )

    async def get_mailbox_by_id(self, mailbox_id: int) -> MailboxRecord | None:
        def get(connection: sqlite3.Connection) -> MailboxRecord | None:
            try:
                return messages.load_mailbox(connection, mailbox_id)
            except NotFound:
                return None

        return await self._engine.read(get)

    async def list_mailboxes(self, account_id: int) -> list[MailboxRecord]:
        return await self._engine.read(partial(mailboxes.list_mailboxes, account_id=account_id))

    async def rename_mailbox(
        self, account_id: int, old: str, new: str, separator: str
    ) -> list[MailboxRecord]:
        return await self._engine.write(
            partial(
                mailboxes.rename_mailbox,
                account_id=account_id,
                old=old,
                new=new,
                separator=separator,
                now=self._clock.now(),
            )
        )

    async def delete_mailbox(self, account_id: int, name: str) -> MailboxRecord:
        return await self._engine.write(
            partial(
                mailboxes.delete_mailbox, account_id=account_id, name=name, now=self._clock.now()
            )
        )

    async def set_subscribed(self, account_id: int, name: str, subscribed: bool) -> None:
        await self._engine.write(
            partial(
                mailboxes.set_subscribed, account_id=account_id, name=name, subscribed=subscribed
            )
        )

    async def list_subscriptions(self, account_id: int) -> list[str]:
        return await self._engine.read(partial(mailboxes.list_subscriptions, account_id=account_id))

    async def append(
        self, account_id: int, mailbox_id: int, messages_: Sequence[NewMessage]
    ) -> AppendResult:
        return await self._engine.write(
            partial(
                messages.append_messages,
                account_id=account_id,
                mailbox_id=mailbox_id,
                messages=messages_,
                now=self._clock.now(),
                file_exists=self._file_exists,
            )
        )

    async def deliver(
        self, content: IngestedMessage, targets: Sequence[DeliveryTarget], internal_date: float
    ) -> list[DeliveryOutcome]:
        return await self._engine.write(
            partial(
                messages.deliver_message,
                content=content,
                targets=targets,
                internal_date=internal_date,
                now=self._clock.now(),
                file_exists=self._file_exists,
            )
        )

    async def snapshot(self, mailbox_id: int) -> tuple[MailboxRecord, list[MessageMeta]]:
        return await self._engine.read(partial(messages.snapshot_mailbox, mailbox_id=mailbox_id))

    async def fetch(self, mailbox_id: int, uids: Sequence[int]) -> list[MessageRecord]:
        return await self._engine.read(
            partial(messages.fetch_messages, mailbox_id=mailbox_id, uids=uids)
        )

    async def fetch_rendered(
        self, mailbox_id: int, uids: Sequence[int], *, locations: bool = False
    ) -> list[RenderedMessage]:
        return await self._engine.read(
            partial(messages.fetch_rendered, mailbox_id=mailbox_id, uids=uids, locations=locations)
        )

    async def list_contents(self, mailbox_id: int) -> tuple[MailboxRecord, list[MessageContent]]:
        return await self._engine.read(
            partial(messages.list_message_contents, mailbox_id=mailbox_id)
        )

    async def read_contents(self, mailbox_id: int, uids: Sequence[int]) -> dict[int, bytes]:
        if not uids:
            return {}
        return await self._engine.read(
            partial(messages.read_inline_contents, mailbox_id=mailbox_id, uids=uids)
        )

    async def read_content(self, sha256: str, start: int = 0, length: int | None = None) -> bytes:
        def read(connection: sqlite3.Connection) -> bytes:
            query = "SELECT substr(d.data, ?{}) FROM blob b JOIN blob_data d ON d.blob_id = b.id "
            query += "WHERE b.sha256 = ?"
            if length is None:
                row = connection.execute(query.format(""), (start + 1, sha256)).fetchone()
            else:
                row = connection.execute(
                    query.format(", ?"), (start + 1, length, sha256)
                ).fetchone()
            if row is None:
                raise NotFound(f"content {sha256} is not stored inline")
            return bytes(row[0] or b"")  # SQLite's substr of an empty blob is NULL

        return await self._engine.read(read)

    async def store_flags(
        self,
        account_id: int,
        mailbox_id: int,
        uids: Sequence[int],
        *,
        mode: str,
        flags: int,
        keywords: Sequence[str],
        unchanged_since: int | None = None,
    ) -> FlagsResult:
        return await self._engine.write(
            partial(
                messages.store_message_flags,
                account_id=account_id,
                mailbox_id=mailbox_id,
                uids=uids,
                mode=mode,
                set_flags=flags,
                set_keywords=keywords,
                unchanged_since=unchanged_since,
            )
        )

    async def expunge(
        self, account_id: int, mailbox_id: int, uids: Sequence[int] | None = None
    ) -> ExpungeResult:
        return await self._engine.write(
            partial(
                messages.expunge_messages,
                account_id=account_id,
                mailbox_id=mailbox_id,
                uids=uids,
                now=self._clock.now(),
            )
        )

    async def remove_messages(
        self, account_id: int, mailbox_id: int, uids: Sequence[int]
    ) -> ExpungeResult:
        return await self._engine.write(
            partial(
                messages.remove_messages,
                account_id=account_id,
                mailbox_id=mailbox_id,
                uids=uids,
                now=self._clock.now(),
            )
        )

    async def copy(
        self,
        account_id: int,
        source_id: int,
        uids: Sequence[int],
        destination_id: int,
        *,
        feedback: str | None = None,
    ) -> CopyResult:
        return await self._engine.write(
            partial(
                messages.transfer_messages,
                account_id=account_id,
                source_id=source_id,
                uids=uids,
                destination_id=destination_id,
                now=self._clock.now(),
                move=False,
                feedback=feedback,
            )
        )

    async def move(
        self,
        account_id: int,
        source_id: int,
        uids: Sequence[int],
        destination_id: int,
        *,
        feedback: str | None = None,
    ) -> CopyResult:
        return await self._engine.write(
            partial(
                messages.transfer_messages,
                account_id=account_id,
                source_id=source_id,
                uids=uids,
                destination_id=destination_id,
                now=self._clock.now(),
                move=True,
                feedback=feedback,
            )
        )

    async def mailboxes_with_saves_before(
        self, special_use: str, saved_before: float
    ) -> list[MailboxRecord]:
        return await self._engine.read(
            partial(
                retention.mailboxes_with_saves_before,
                special_use=special_use,
                saved_before=saved_before,
            )
        )

    async def uids_saved_before(
        self, mailbox_id: int, saved_before: float, limit: int
    ) -> list[int]:
        return await self._engine.read(
            partial(
                retention.uids_saved_before,
                mailbox_id=mailbox_id,
                saved_before=saved_before,
                limit=limit,
            )
        )

    async def pending_spam_feedback(self, limit: int) -> list[SpamFeedback]:
        return await self._engine.read(partial(feedback.pending_feedback, limit=limit))

    async def consume_spam_feedback(self, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        return await self._engine.write(partial(feedback.consume_feedback, ids=ids))

    async def changes_since(self, mailbox_id: int, modseq: int) -> Changes:
        return await self._engine.read(
            partial(messages.changes_after, mailbox_id=mailbox_id, modseq=modseq)
        )

    async def search(self, mailbox_id: int, key: SearchKey) -> list[int]:
        return await self._engine.read(partial(search_uids, mailbox_id=mailbox_id, key=key))

    async def index_pending_text(self, limit: int) -> int:
        return await self._engine.write(partial(index_pending_text, limit=limit))

    async def usage(self, account_id: int) -> Usage:
        def read(connection: sqlite3.Connection) -> Usage:
            row = connection.execute(
                "SELECT used_bytes, message_count, quota_bytes FROM account WHERE id = ?",
                (account_id,),
            ).fetchone()
            if row is None:
                raise NotFound(f"account {account_id} does not exist")
            return Usage(*row)

        return await self._engine.read(read)

    async def collect_garbage(self, grace_seconds: float) -> list[str]:
        return await self._engine.write(
            partial(
                collect_garbage,
                older_than=self._clock.now() - grace_seconds,
                delete_files=self._delete_files,
            )
        )
