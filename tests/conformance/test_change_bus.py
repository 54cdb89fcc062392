"""ChangeBus conformance: per-account fan-out after commit (ports.ChangeBus, Subscription)."""

from __future__ import annotations

import asyncio
import time

from courriel.storage.ports import ChangeBus
from courriel.storage.records import MailboxChange


def change(account_id: int, modseq: int, kind: str = "added") -> MailboxChange:
    return MailboxChange(
        account_id, mailbox_id=10 * account_id, modseq=modseq, kind=kind, uids=(modseq,)
    )


async def test_subscriber_receives_its_accounts_events_in_order(bus: ChangeBus) -> None:
    subscription = bus.subscribe(1)
    events = [change(1, 1), change(2, 1), change(1, 2, "flags"), change(1, 3, "expunged")]
    bus.publish(events)
    assert await subscription.get(1) == events[0]
    assert await subscription.get(1) == events[2]
    assert await subscription.get(1) == events[3]
    assert await subscription.get(0.05) is None  # account 2's event never arrives
    subscription.close()


async def test_every_subscriber_of_an_account_gets_every_event(bus: ChangeBus) -> None:
    first, second, other = bus.subscribe(1), bus.subscribe(1), bus.subscribe(2)
    bus.publish([change(1, 5)])
    bus.publish([change(2, 6)])
    assert await first.get(1) == change(1, 5)
    assert await second.get(1) == change(1, 5)
    assert await other.get(1) == change(2, 6)
    assert await first.get(0.01) is None
    for subscription in (first, second, other):
        subscription.close()


async def test_get_times_out_with_none(bus: ChangeBus) -> None:
    subscription = bus.subscribe(1)
    started = time.monotonic()
    assert await subscription.get(0.1) is None
    assert 0.05 <= time.monotonic() - started < 2
    subscription.close()


async def test_get_with_zero_timeout_returns_a_waiting_event(bus: ChangeBus) -> None:
    subscription = bus.subscribe(1)
    bus.publish([change(1, 1), change(1, 2)])
    assert await subscription.get(0) == change(1, 1)
    assert await subscription.get(0) == change(1, 2)
    assert await subscription.get(0) is None
    subscription.close()


async def test_get_waits_for_a_later_publish(bus: ChangeBus) -> None:
    subscription = bus.subscribe(1)
    asyncio.get_running_loop().call_later(0.05, bus.publish, [change(1, 7)])
    assert await subscription.get(2) == change(1, 7)
    subscription.close()


async def test_events_before_subscribing_are_not_kept(bus: ChangeBus) -> None:
    bus.publish([change(1, 1)])
    subscription = bus.subscribe(1)
    assert await subscription.get(0.05) is None
    subscription.close()


async def test_closed_subscription_receives_nothing(bus: ChangeBus) -> None:
    closed, open_ = bus.subscribe(1), bus.subscribe(1)
    closed.close()
    bus.publish([change(1, 1)])
    assert await open_.get(1) == change(1, 1)
    assert await closed.get(0.05) is None
    open_.close()


async def test_iteration(bus: ChangeBus) -> None:
    subscription = bus.subscribe(3)
    events = [change(3, n) for n in range(1, 6)]

    async def collect() -> list[MailboxChange]:
        seen: list[MailboxChange] = []
        async for event in subscription:
            seen.append(event)
            if len(seen) == len(events):
                break
        return seen

    task = asyncio.create_task(collect())
    await asyncio.sleep(0)
    bus.publish(events[:2])
    await asyncio.sleep(0.01)
    bus.publish(events[2:])
    assert await asyncio.wait_for(task, 2) == events
    subscription.close()


async def test_close_ends_a_waiting_iteration(bus: ChangeBus) -> None:
    """An IDLE session iterates its subscription; closing it must end the loop."""
    subscription = bus.subscribe(1)
    seen: list[MailboxChange] = []

    async def consume() -> None:
        async for event in subscription:
            seen.append(event)

    task = asyncio.create_task(consume())
    bus.publish([change(1, 1)])
    await asyncio.sleep(0.05)
    subscription.close()
    await asyncio.wait_for(task, 2)
    assert seen == [change(1, 1)]


async def test_close_wakes_a_waiting_get(bus: ChangeBus) -> None:
    subscription = bus.subscribe(1)
    waiter = asyncio.create_task(subscription.get())
    await asyncio.sleep(0.01)
    subscription.close()
    assert await asyncio.wait_for(waiter, 2) is None


async def test_publish_never_blocks_on_a_slow_subscriber(bus: ChangeBus) -> None:
    slow, fast = bus.subscribe(1), bus.subscribe(1)
    started = time.monotonic()
    for modseq in range(1, 5001):
        bus.publish([change(1, modseq)])
    assert time.monotonic() - started < 2
    # The slow one lost events but still gets the oldest ones in order; events are hints.
    assert await slow.get(1) == change(1, 1)
    assert await slow.get(1) == change(1, 2)
    assert await fast.get(1) == change(1, 1)
    slow.close()
    fast.close()


async def test_publish_without_subscribers(bus: ChangeBus) -> None:
    bus.publish([change(9, 1), change(9, 2)])
    bus.publish([])
    subscription = bus.subscribe(9)
    bus.publish([change(9, 3)])
    assert await subscription.get(1) == change(9, 3)
    subscription.close()
