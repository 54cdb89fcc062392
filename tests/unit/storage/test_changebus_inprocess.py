"""InProcessChangeBus specifics beyond the ChangeBus port (see test_change_bus.py)."""

from __future__ import annotations

from courriel.storage.changebus import InProcessChangeBus
from courriel.storage.records import MailboxChange


def change(modseq: int) -> MailboxChange:
    return MailboxChange(account_id=1, mailbox_id=1, modseq=modseq, kind="added")


async def test_a_subscriber_that_falls_behind_is_told_so() -> None:
    bus = InProcessChangeBus()
    slow, keeping_up = bus.subscribe(1), bus.subscribe(1)
    for modseq in range(1, 3001):
        bus.publish([change(modseq)])
        assert await keeping_up.get(1) == change(modseq)
    assert slow.overflowed is True
    assert keeping_up.overflowed is False
    received = []
    while (event := await slow.get(0)) is not None:
        received.append(event.modseq)
    assert received == list(range(1, len(received) + 1))  # the oldest kept, in order
    assert 0 < len(received) < 3000


async def test_nothing_is_kept_for_accounts_nobody_watches() -> None:
    bus = InProcessChangeBus()
    first, second = bus.subscribe(1), bus.subscribe(1)
    first.close()
    first.close()  # closing twice is harmless
    bus.publish([change(1)])
    assert await second.get(1) == change(1)
    second.close()
    assert bus._subscribers == {}
