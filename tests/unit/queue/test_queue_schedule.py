"""Retry schedule with jitter, expiry, the one delay notice (RFC 3461 §4.1 NOTIFY)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.queue.schedule import (
    JITTER,
    RETRY_DELAYS,
    is_expired,
    next_attempt,
    retry_delay,
    should_send_delay_notice,
)
from courriel.storage.records import QueuedMessage, QueuedRecipient

NOW = 1_700_000_000.0


def message(*, sender: str = "a@example.org", created: float = NOW) -> QueuedMessage:
    return QueuedMessage(
        id=1,
        sender=sender,
        size=10,
        file=None,
        envid=None,
        ret=None,
        smtputf8=False,
        body="7BIT",
        account=None,
        created=created,
        expires=created + 5 * 86400,
    )


def recipient(*, notify: str | None = None, notified: bool = False) -> QueuedRecipient:
    return QueuedRecipient(
        id=1,
        message_id=1,
        address="b@example.net",
        domain="example.net",
        notify=notify,
        orcpt=None,
        state="pending",
        attempts=3,
        next_attempt=NOW,
        last_error=None,
        last_host=None,
        delay_notified=notified,
        done=None,
    )


def test_schedule_grows_then_stays_at_four_hours() -> None:
    assert [retry_delay(n) for n in range(1, 10)] == [
        60,
        300,
        900,
        1800,
        3600,
        7200,
        14400,
        14400,
        14400,
    ]
    with pytest.raises(ValueError, match="starts at 1"):
        retry_delay(0)


@given(st.integers(min_value=1, max_value=100), st.integers(min_value=0, max_value=2**32))
def test_jitter_stays_within_bounds(attempts: int, seed: int) -> None:
    when = next_attempt(attempts, NOW, random.Random(seed))
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    assert base * (1 - JITTER) <= when - NOW <= base * (1 + JITTER)


def test_jitter_spreads_retries() -> None:
    rng = random.Random(3)
    times = {round(next_attempt(5, NOW, rng)) for _ in range(50)}
    assert len(times) > 40


def test_never_past_expiry() -> None:
    expires = NOW + 600
    assert next_attempt(7, NOW, random.Random(1), expires=expires) == expires
    assert next_attempt(1, NOW, random.Random(1), expires=expires) < expires
    assert next_attempt(7, NOW + 900, random.Random(1), expires=expires) == NOW + 900


def test_expiry() -> None:
    queued = message()
    assert not is_expired(queued, NOW + 5 * 86400 - 1)
    assert is_expired(queued, NOW + 5 * 86400)


def test_delay_notice_after_four_hours_once() -> None:
    queued = message()
    later = NOW + 4 * 3600
    assert not should_send_delay_notice(queued, recipient(), later - 1)
    assert should_send_delay_notice(queued, recipient(), later)
    assert not should_send_delay_notice(queued, recipient(notified=True), later)
    assert should_send_delay_notice(queued, recipient(), NOW + 60, after=60)


def test_delay_notice_follows_notify() -> None:
    later = NOW + 5 * 3600
    queued = message()
    # RFC 3461 §4.1: absent NOTIFY: failures and (our choice) delays.
    assert should_send_delay_notice(queued, recipient(notify=None), later)
    assert should_send_delay_notice(queued, recipient(notify="DELAY,FAILURE"), later)
    assert not should_send_delay_notice(queued, recipient(notify="FAILURE"), later)
    assert not should_send_delay_notice(queued, recipient(notify="NEVER"), later)
    # Never to the null sender.
    assert not should_send_delay_notice(message(sender=""), recipient(), later)
