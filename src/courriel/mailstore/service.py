"""``MailStore``: the mailbox service shared by every protocol and by local delivery.

It validates names, parses each message once at ingest (``ingest.py``), puts large bodies
in the blob store before the rows are committed, calls the ``MailRepo`` port (one
transaction per operation, durable on return) and publishes change events on the ChangeBus
*after* the commit. Copies and moves into or out of Junk record a report for the spam
filter in their own transaction (``junk.py``); ``purge_expired`` empties Trash and Junk of
what they held longer than the retention. Must not: speak a protocol, check passwords, or
run SQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from courriel.core.clock import Clock, SystemClock
from courriel.mailstore.defaults import DEFAULT_MAILBOXES, JUNK, SPECIAL_USES, TRASH
from courriel.mailstore.junk import feedback_verdict
from courriel.mailstore.names import INBOX, validate_name
from courriel.mailstore.parsing import ParsePool
from courriel.storage.errors import ContentMissing, InvalidName, NotFound
from courriel.storage.ports import BlobStore, ChangeBus, MailRepo
from courriel.storage.query import SearchKey
from courriel.storage.records import (
    AppendResult,
    Changes,
    CopyResult,
    Delivered,
    DeliveryOutcome,
    DeliveryTarget,
    ExpungeResult,
    FlagsResult,
    IngestedMessage,
    MailboxChange,
    MailboxRecord,
    MessageContent,
    MessageMeta,
    MessageRecord,
    NewMessage,
    RenderedMessage,
    SpamFeedback,
    Usage,
    split_flags,
)

log = logging.getLogger("courriel.mailstore")

PURGE_BATCH = 500
"""Messages removed per transaction by the retention purge: a large Trash never holds the
writer for long, and other writes run between the batches."""


@dataclass(frozen=True, slots=True)
class Purged:
    """How many messages one retention purge removed from Trash and from Junk mailboxes."""

    trash: int = 0
    junk: int = 0


class MailStore:
    """Mailboxes and messages for every account of one store."""

    def __init__(
        self,
        repo: MailRepo,
        blobs: BlobStore,
        bus: ChangeBus,
        *,
        inline_limit: int,
        separator: str = "/",
        clock: Clock | None = None,
        parser: ParsePool | None = None,
    ) -> None:
        self.repo = repo
        self.blobs = blobs
        self.bus = bus
        self.inline_limit = inline_limit
        self.separator = separator
        self.clock = clock or SystemClock()
        self.parser = parser or ParsePool(inline_limit)
        self._ingesting = 0

    # -- mailboxes ---------------------------------------------------------------------------

    async def provision_account(self, account_id: int) -> list[MailboxRecord]:
        """Create the default mailboxes (INBOX, Sent, Drafts, Trash, Junk, Archive) that do
        not exist yet, subscribed, with their special-use attributes."""
        existing = {mailbox.name for mailbox in await self.repo.list_mailboxes(account_id)}
        created = []
        for name, special_use in DEFAULT_MAILBOXES:
            if name not in existing:
                created.append(await self.repo.create_mailbox(account_id, name, special_use))
            await self.repo.set_subscribed(account_id, name, True)
        return created

    async def list_mailboxes(self, account_id: int) -> list[MailboxRecord]:
        return await self.repo.list_mailboxes(account_id)

    async def get_mailbox(self, account_id: int, name: str) -> MailboxRecord:
        """The mailbox, or ``NotFound``."""
        canonical = validate_name(name, self.separator)
        mailbox = await self.repo.get_mailbox(account_id, canonical)
        if mailbox is None:
            raise NotFound(f"mailbox {name!r} does not exist")
        return mailbox

    async def create_mailbox(
        self, account_id: int, name: str, special_use: str | None = None
    ) -> MailboxRecord:
        """Create a mailbox (a trailing separator is allowed and ignored, RFC 9051 §6.3.4);
        missing parents are created too."""
        if name.endswith(self.separator):
            name = name[: -len(self.separator)]
        canonical = validate_name(name, self.separator)
        if special_use is not None and special_use not in SPECIAL_USES:
            raise InvalidName(f"{special_use} is not a special-use attribute (RFC 6154 §2)")
        parts = canonical.split(self.separator)
        for depth in range(1, len(parts)):
            parent = self.separator.join(parts[:depth])
            if await self.repo.get_mailbox(account_id, parent) is None:
                await self._created(account_id, await self.repo.create_mailbox(account_id, parent))
        mailbox = await self.repo.create_mailbox(account_id, canonical, special_use)
        await self._created(account_id, mailbox)
        return mailbox

    async def _created(self, account_id: int, mailbox: MailboxRecord) -> None:
        self.bus.publish(
            [MailboxChange(account_id, mailbox.id, mailbox.highest_modseq, "mailbox-created")]
        )

    async def rename_mailbox(self, account_id: int, old: str, new: str) -> list[MailboxRecord]:
        old_name = validate_name(old, self.separator)
        new_name = validate_name(new, self.separator)
        if new_name == INBOX:
            raise InvalidName("no mailbox can be renamed to INBOX")
        renamed = await self.repo.rename_mailbox(account_id, old_name, new_name, self.separator)
        self.bus.publish(
            [MailboxChange(account_id, m.id, m.highest_modseq, "mailbox-renamed") for m in renamed]
        )
        return renamed

    async def delete_mailbox(self, account_id: int, name: str) -> MailboxRecord:
        canonical = validate_name(name, self.separator)
        if canonical == INBOX:
            raise InvalidName("INBOX cannot be deleted (RFC 9051 §6.3.5)")
        mailbox = await self.repo.delete_mailbox(account_id, canonical)
        self.bus.publish(
            [MailboxChange(account_id, mailbox.id, mailbox.highest_modseq, "mailbox-deleted")]
        )
        return mailbox

    async def subscribe(self, account_id: int, name: str, subscribed: bool = True) -> None:
        await self.repo.set_subscribed(account_id, validate_name(name, self.separator), subscribed)

    async def list_subscriptions(self, account_id: int) -> list[str]:
        return await self.repo.list_subscriptions(account_id)

    # -- messages ----------------------------------------------------------------------------

    async def prepare(self, raw: bytes, content: IngestedMessage | None = None) -> IngestedMessage:
        """Parse once (unless the caller has ``content`` already) and make the body
        durable if it is too large for the database."""
        if content is None:
            content = await self.parser.prepare(raw, alone=self._ingesting <= 1)
        if content.data is None:
            await self.blobs.put(content.sha256, raw)
        return content

    async def append(
        self,
        account_id: int,
        mailbox_id: int,
        messages: Sequence[tuple[bytes, Iterable[str], float | None]],
    ) -> AppendResult:
        """Append ``(raw, flag names, internal date or None)`` items, all or nothing; durable
        when this returns (IMAP APPEND / MULTIAPPEND)."""
        self._ingesting += 1
        try:
            return await self._append(account_id, mailbox_id, messages)
        finally:
            self._ingesting -= 1

    async def _append(
        self,
        account_id: int,
        mailbox_id: int,
        messages: Sequence[tuple[bytes, Iterable[str], float | None]],
    ) -> AppendResult:
        items = []
        raw_by_sha: dict[str, bytes] = {}
        for raw, flag_names, internal_date in messages:
            content = await self.prepare(raw)
            raw_by_sha[content.sha256] = raw
            bits, keywords = split_flags(flag_names)
            items.append(
                NewMessage(content, int(bits), keywords, internal_date or self.clock.now())
            )
        try:
            result = await self.repo.append(account_id, mailbox_id, items)
        except ContentMissing:  # a concurrent garbage collection removed a body: write again
            for sha256, raw in raw_by_sha.items():
                await self.blobs.put(sha256, raw)
            result = await self.repo.append(account_id, mailbox_id, items)
        self.bus.publish(
            [MailboxChange(account_id, mailbox_id, result.modseq, "added", result.uids)]
        )
        return result

    async def deliver(
        self,
        raw: bytes,
        targets: Sequence[DeliveryTarget],
        internal_date: float | None = None,
        content: IngestedMessage | None = None,
    ) -> list[DeliveryOutcome]:
        """Deliver one message to several accounts, stored once; one outcome per target.
        Durable for every ``Delivered`` outcome when this returns. ``content``: what
        ``prepare_content(raw)`` gives, when the caller read the message already."""
        self._ingesting += 1
        try:
            return await self._deliver(raw, targets, internal_date, content)
        finally:
            self._ingesting -= 1

    async def _deliver(
        self,
        raw: bytes,
        targets: Sequence[DeliveryTarget],
        internal_date: float | None,
        prepared: IngestedMessage | None,
    ) -> list[DeliveryOutcome]:
        content = await self.prepare(raw, prepared)
        date = internal_date or self.clock.now()
        try:
            outcomes = await self.repo.deliver(content, targets, date)
        except ContentMissing:  # a concurrent garbage collection removed the body: write again
            await self.blobs.put(content.sha256, raw)
            outcomes = await self.repo.deliver(content, targets, date)
        self.bus.publish(
            [
                MailboxChange(o.account_id, o.mailbox_id, o.modseq, "added", (o.uid,))
                for o in outcomes
                if isinstance(o, Delivered)
            ]
        )
        return outcomes

    async def snapshot(self, mailbox_id: int) -> tuple[MailboxRecord, list[MessageMeta]]:
        return await self.repo.snapshot(mailbox_id)

    async def fetch(self, mailbox_id: int, uids: Sequence[int]) -> list[MessageRecord]:
        return await self.repo.fetch(mailbox_id, uids)

    async def fetch_rendered(
        self, mailbox_id: int, uids: Sequence[int], *, locations: bool = False
    ) -> list[RenderedMessage]:
        """State and ingest-time protocol forms of these UIDs (a metadata FETCH); with
        ``locations``, where their bytes are (for ``read_messages``)."""
        return await self.repo.fetch_rendered(mailbox_id, uids, locations=locations)

    async def list_contents(self, mailbox_id: int) -> tuple[MailboxRecord, list[MessageContent]]:
        """The mailbox row, and each message's sizes and where its bytes are (no parse
        trees): what a POP3 maildrop needs, in one read."""
        return await self.repo.list_contents(mailbox_id)

    async def read_message(
        self,
        record: MessageRecord | MessageContent | RenderedMessage,
        start: int = 0,
        length: int | None = None,
    ) -> bytes:
        """The message bytes ``[start, start+length)`` exactly as stored."""
        if record.sha256 is None:
            raise ValueError("read without its location (fetch_rendered(locations=True))")
        if record.inline:
            return await self.repo.read_content(record.sha256, start, length)
        return await self.blobs.read(record.sha256, start, length)

    async def read_messages(
        self, mailbox_id: int, messages: Sequence[MessageRecord | MessageContent | RenderedMessage]
    ) -> dict[int, bytes]:
        """The whole bytes of ``messages`` of the mailbox, by UID: the inline ones from one
        store read, the others from the blob store side by side. A message removed since
        it was listed is still read while its content is kept (the garbage collector's grace
        period); one whose content is gone is left out. The caller bounds the total size."""
        inline = [message.uid for message in messages if message.inline]
        contents = await self.repo.read_contents(mailbox_id, inline) if inline else {}
        others = [message for message in messages if message.uid not in contents]
        if others:
            read = await asyncio.gather(*(self._read_if_kept(message) for message in others))
            for message, data in zip(others, read, strict=True):
                if data is not None:
                    contents[message.uid] = data
        return contents

    async def _read_if_kept(
        self, message: MessageRecord | MessageContent | RenderedMessage
    ) -> bytes | None:
        try:
            return await self.read_message(message)
        except NotFound:
            return None

    async def store_flags(
        self,
        account_id: int,
        mailbox_id: int,
        uids: Sequence[int],
        mode: str,
        flag_names: Iterable[str],
        unchanged_since: int | None = None,
    ) -> FlagsResult:
        """``mode`` is ``add``, ``remove`` or ``replace`` (IMAP +FLAGS, -FLAGS, FLAGS)."""
        bits, keywords = split_flags(flag_names)
        result = await self.repo.store_flags(
            account_id,
            mailbox_id,
            uids,
            mode=mode,
            flags=int(bits),
            keywords=keywords,
            unchanged_since=unchanged_since,
        )
        if result.modseq is not None:
            changed_uids = tuple(meta.uid for meta in result.changed)
            self.bus.publish(
                [MailboxChange(account_id, mailbox_id, result.modseq, "flags", changed_uids)]
            )
        return result

    async def expunge(
        self, account_id: int, mailbox_id: int, uids: Sequence[int] | None = None
    ) -> ExpungeResult:
        result = await self.repo.expunge(account_id, mailbox_id, uids)
        if result.modseq is not None:
            self.bus.publish(
                [MailboxChange(account_id, mailbox_id, result.modseq, "expunged", result.uids)]
            )
        return result

    async def remove(self, account_id: int, mailbox_id: int, uids: Sequence[int]) -> ExpungeResult:
        """Remove these messages whatever their flags, all or none, and tell other sessions
        (POP3 UPDATE state, RFC 1939 §6: ``store_flags`` + ``expunge`` would be two
        transactions, and a crash between them would leave \\Deleted flags behind)."""
        result = await self.repo.remove_messages(account_id, mailbox_id, uids)
        if result.modseq is not None:
            self.bus.publish(
                [MailboxChange(account_id, mailbox_id, result.modseq, "expunged", result.uids)]
            )
        return result

    async def copy(
        self, account_id: int, source_id: int, uids: Sequence[int], destination_id: int
    ) -> CopyResult:
        """Copy messages; a copy into or out of Junk is reported to the spam filter in the
        same transaction (``junk.feedback_verdict``)."""
        verdict = await self._feedback_verdict(source_id, destination_id)
        result = await self.repo.copy(account_id, source_id, uids, destination_id, feedback=verdict)
        if result.modseq is not None:
            self.bus.publish(
                [
                    MailboxChange(
                        account_id, destination_id, result.modseq, "added", result.destination_uids
                    )
                ]
            )
        _log_feedback(result.feedback)
        return result

    async def move(
        self, account_id: int, source_id: int, uids: Sequence[int], destination_id: int
    ) -> CopyResult:
        """Move messages atomically (RFC 6851), reported to the spam filter as ``copy``."""
        verdict = await self._feedback_verdict(source_id, destination_id)
        result = await self.repo.move(account_id, source_id, uids, destination_id, feedback=verdict)
        if result.modseq is not None:
            self.bus.publish(
                [
                    MailboxChange(
                        account_id, destination_id, result.modseq, "added", result.destination_uids
                    ),
                    MailboxChange(
                        account_id, source_id, result.modseq, "expunged", result.source_uids
                    ),
                ]
            )
        _log_feedback(result.feedback)
        return result

    async def _feedback_verdict(self, source_id: int, destination_id: int) -> str | None:
        if source_id == destination_id:
            return None
        source, destination = await asyncio.gather(
            self.repo.get_mailbox_by_id(source_id), self.repo.get_mailbox_by_id(destination_id)
        )
        if source is None or destination is None:
            return None  # the repository answers NotFound
        return feedback_verdict(source.special_use, destination.special_use)

    # -- spam-filter feedback ------------------------------------------------------------------

    async def pending_spam_feedback(self, limit: int = 500) -> list[SpamFeedback]:
        """Reports the spam filter has not consumed yet, oldest first."""
        return await self.repo.pending_spam_feedback(limit)

    async def consume_spam_feedback(self, reports: Sequence[SpamFeedback]) -> int:
        """Forget reports once trained on; how many were still pending."""
        return await self.repo.consume_spam_feedback([report.id for report in reports])

    async def read_feedback_content(self, report: SpamFeedback) -> bytes | None:
        """The bytes of the message a report is about; None once no message uses them and
        the garbage collector removed them."""
        try:
            return await self.repo.read_content(report.sha256)
        except NotFound:
            pass
        try:
            return await self.blobs.read(report.sha256)
        except NotFound:
            return None

    # -- retention ---------------------------------------------------------------------------

    async def purge_expired(
        self, trash_retention: float, junk_retention: float, *, batch: int = PURGE_BATCH
    ) -> Purged:
        """In every account, remove the messages that entered a Trash or Junk mailbox (by
        special use, RFC 6154 §2, whatever its name) more than the retention ago (their
        SAVEDATE, RFC 8514 §3); a retention of 0 keeps them forever. Removal is ``remove``
        (the path of IMAP EXPUNGE and POP3 deletion: tombstones, MODSEQ, quota, content
        references, events) in transactions of at most ``batch`` messages."""
        now = self.clock.now()
        trash = await self._purge_special_use(TRASH, trash_retention, now, batch)
        junk = await self._purge_special_use(JUNK, junk_retention, now, batch)
        return Purged(trash, junk)

    async def _purge_special_use(
        self, special_use: str, retention: float, now: float, batch: int
    ) -> int:
        if retention <= 0:
            return 0
        saved_before = now - retention
        removed = 0
        for mailbox in await self.repo.mailboxes_with_saves_before(special_use, saved_before):
            removed += await self._purge_mailbox(mailbox, saved_before, batch)
        return removed

    async def _purge_mailbox(self, mailbox: MailboxRecord, saved_before: float, batch: int) -> int:
        removed = 0
        while True:
            uids = await self.repo.uids_saved_before(mailbox.id, saved_before, batch)
            if not uids:
                return removed
            try:
                result = await self.remove(mailbox.account_id, mailbox.id, uids)
            except NotFound:  # the mailbox was deleted meanwhile
                return removed
            removed += len(result.uids)
            if len(uids) < batch or not result.uids:
                return removed

    async def changes_since(self, mailbox_id: int, modseq: int) -> Changes:
        return await self.repo.changes_since(mailbox_id, modseq)

    async def search(self, mailbox_id: int, key: SearchKey) -> list[int]:
        return await self.repo.search(mailbox_id, key)

    async def usage(self, account_id: int) -> Usage:
        return await self.repo.usage(account_id)

    async def index_text(self, batch: int = 100) -> int:
        """Index the text of recent messages in one batch; how many still wait. (Small
        batches: deliveries queued behind one wait for it, and 2,000 texts at a time held
        the writer for tens of milliseconds; measured, 100 also costs less CPU.)"""
        return await self.repo.index_pending_text(batch)

    async def close(self) -> None:
        """Stop the parse workers (the store is closed by its owner)."""
        await self.parser.close()

    async def collect_garbage(self, grace_seconds: float = 3600.0) -> int:
        """Remove content no message has used for ``grace_seconds``; how many were removed."""
        return len(await self.repo.collect_garbage(grace_seconds))


def _log_feedback(reports: Sequence[SpamFeedback]) -> None:
    for report in reports:
        log.info(
            "spam feedback %d: account %d reported email %d (content %s) as %s",
            report.id,
            report.account_id,
            report.email_id,
            report.sha256[:16],
            report.verdict,
        )
