"""The in-process ChangeBus of the embedded mode.

``mailstore`` publishes after each commit; IMAP IDLE, POP3, webmail live updates and
ActiveSync Ping subscribe per account. A subscriber that falls behind loses events but is
told so (``overflowed``): events are hints, and a subscriber re-reads the store anyway.
Must not: block the publisher, or keep events for accounts nobody watches.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from courriel.storage.records import MailboxChange

_QUEUE_LIMIT = 1024


class InProcessSubscription:
    """One subscriber's queue of events for one account."""

    def __init__(self, bus: InProcessChangeBus, account_id: int) -> None:
        self._bus = bus
        self.account_id = account_id
        self._queue: asyncio.Queue[MailboxChange | None] = asyncio.Queue(_QUEUE_LIMIT)
        self.overflowed = False
        self.closed = False

    def _offer(self, change: MailboxChange) -> None:
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            self.overflowed = True

    async def get(self, timeout: float | None = None) -> MailboxChange | None:
        """The next event, or None when ``timeout`` passes first or the subscription closes."""
        if self.closed:
            return None
        with contextlib.suppress(asyncio.QueueEmpty):
            return self._queue.get_nowait()  # wait_for(..., 0) would not look (Python 3.11)
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)  # None: closed
        except TimeoutError:
            return None

    async def __aiter__(self) -> AsyncIterator[MailboxChange]:
        while not self.closed:
            change = await self._queue.get()
            if change is None:  # closed while waiting
                return
            yield change

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._bus._unsubscribe(self)
        # Wake a consumer waiting in get() or in iteration (a full queue has no waiter).
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(None)


class InProcessChangeBus:
    """Fan-out of change events to the subscribers of one process."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[InProcessSubscription]] = {}

    def publish(self, changes: Sequence[MailboxChange]) -> None:
        for change in changes:
            for subscription in self._subscribers.get(change.account_id, ()):
                subscription._offer(change)

    def subscribe(self, account_id: int) -> InProcessSubscription:
        subscription = InProcessSubscription(self, account_id)
        self._subscribers.setdefault(account_id, set()).add(subscription)
        return subscription

    def _unsubscribe(self, subscription: InProcessSubscription) -> None:
        subscribers = self._subscribers.get(subscription.account_id)
        if subscribers is not None:
            subscribers.discard(subscription)
            if not subscribers:
                del self._subscribers[subscription.account_id]
