"""``OutboundQueue``: put messages in the queue durably, and manage what is queued.

A message is acknowledged (SMTP 250) only once it is in the queue for good: its bytes in the
database (small) or in a file under ``store/queue/`` fsynced and renamed into place before
the rows commit (large). Must not: deliver (``worker`` does) or decide routing.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from courriel.core.clock import Clock, SystemClock
from courriel.storage.errors import NotFound
from courriel.storage.ports import QueueRepo
from courriel.storage.records import QueuedMessage, QueuedRecipient, QueueRecipientInput

DEFAULT_LIFETIME = 5 * 86400.0
"""How long delivery is tried before the message bounces (RFC 5321 §4.5.4.1: 4-5 days)."""


class OutboundQueue:
    """The queue's front door, shared by submission, forwarding and bounces."""

    def __init__(
        self,
        repo: QueueRepo,
        spool: Path,
        *,
        inline_limit: int,
        lifetime: float = DEFAULT_LIFETIME,
        clock: Clock | None = None,
    ) -> None:
        self.repo = repo
        self.spool = spool
        self.inline_limit = inline_limit
        self.lifetime = lifetime
        self.clock = clock or SystemClock()
        self.wakeup = asyncio.Event()
        """Set when a message is queued, so the worker starts at once."""

    async def enqueue(
        self,
        sender: str,
        recipients: Sequence[QueueRecipientInput],
        raw: bytes,
        *,
        envid: str | None = None,
        ret: str | None = None,
        smtputf8: bool = False,
        body: str = "7BIT",
        account: str | None = None,
    ) -> int:
        """Queue ``raw`` for ``recipients``; durable when this returns. Returns the id."""
        file = None
        data: bytes | None = raw
        if len(raw) > self.inline_limit:
            file = await asyncio.to_thread(self._write_file, raw)
            data = None
        now = self.clock.now()
        try:
            message_id = await self.repo.enqueue(
                sender=sender,
                recipients=recipients,
                data=data,
                file=file,
                size=len(raw),
                envid=envid,
                ret=ret,
                smtputf8=smtputf8,
                body=body,
                account=account,
                now=now,
                expires=now + self.lifetime,
            )
        except BaseException:
            if file is not None:
                (self.spool / file).unlink(missing_ok=True)
            raise
        self.wakeup.set()
        return message_id

    def _write_file(self, raw: bytes) -> str:
        self.spool.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16)
        temporary = self.spool / f".tmp-{name}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(descriptor, raw)
            os.fdatasync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, self.spool / name)
        directory = os.open(self.spool, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return name

    async def body(self, message: QueuedMessage) -> bytes:
        """The bytes of a queued message."""
        if message.file is None:
            data = await self.repo.read_body(message.id)
            if data is None:
                raise NotFound(f"queued message {message.id} has no body")
            return data
        return await asyncio.to_thread((self.spool / message.file).read_bytes)

    async def list_messages(self) -> list[tuple[QueuedMessage, list[QueuedRecipient]]]:
        return await self.repo.list_messages()

    async def list_messages_page(
        self, offset: int, limit: int
    ) -> list[tuple[QueuedMessage, list[QueuedRecipient]]]:
        """One page of the queue, oldest first (the admin queue page)."""
        return await self.repo.list_messages_page(offset, limit)

    async def count_messages(self) -> int:
        return await self.repo.count_messages()

    async def show(self, message_id: int) -> tuple[QueuedMessage, list[QueuedRecipient], bytes]:
        message = await self.repo.message(message_id)
        if message is None:
            raise NotFound(f"no queued message {message_id}")
        return message, await self.repo.recipients(message_id), await self.body(message)

    async def retry(self, message_id: int | None = None) -> int:
        """Make pending (and held) recipients due now."""
        changed = await self.repo.set_state(
            message_id, ("pending", "held"), "pending", next_attempt=self.clock.now()
        )
        self.wakeup.set()
        return changed

    async def hold(self, message_id: int | None = None) -> int:
        return await self.repo.set_state(message_id, ("pending",), "held")

    async def release(self, message_id: int | None = None) -> int:
        changed = await self.repo.set_state(
            message_id, ("held",), "pending", next_attempt=self.clock.now()
        )
        self.wakeup.set()
        return changed

    async def drop(self, message_id: int) -> None:
        """Remove a message without sending anything."""
        message = await self.repo.delete(message_id)
        if message is None:
            raise NotFound(f"no queued message {message_id}")
        self._remove_file(message)

    async def remove_finished(self) -> list[QueuedMessage]:
        """Delete messages with no recipient left to try (after their DSNs went out)."""
        removed = []
        for message in await self.repo.finished():
            if await self.repo.delete(message.id) is not None:
                self._remove_file(message)
                removed.append(message)
        return removed

    def _remove_file(self, message: QueuedMessage) -> None:
        if message.file is not None:
            (self.spool / message.file).unlink(missing_ok=True)
