"""When to try again, when to warn, when to give up: pure functions of time.

The retry schedule, after the n-th failed attempt (``attempts`` = n)::

    n:      1      2       3       4      5     6     7 and later
    wait:   1 min  5 min   15 min  30 min 1 h   2 h   4 h

each wait stretched or shrunk at random by up to ±20 % (``JITTER``), so that messages that
failed together (a receiving server down for an hour) do not all come back in the same
second. RFC 5321 §4.5.4.1 asks for at least 30 minutes between retries and a give-up time
of at least 4-5 days; the first three waits are shorter on purpose, as in most MTAs, because
the commonest temporary failure is greylisting, which lets a retry through after a few
minutes. From the 4th retry on the RFC's pace holds, growing to one attempt every 4 hours.
The last attempt is placed exactly at the message's expiry (``OutboundQueue.lifetime``, 5
days by default); a temporary failure then becomes permanent and the sender gets a failure
DSN.

One delay notice (RFC 3464 action ``delayed``) goes out once a recipient has waited
``DELAY_NOTICE_AFTER`` (4 hours), only if the sender's NOTIFY asks for delays or no NOTIFY
was given (RFC 3461 §4.1: the MTA's default may include them), never to the null sender.

Must not: read the clock or draw randomness of its own (both are parameters), or do I/O.
"""

from __future__ import annotations

import random as random_module

from courriel.queue.bounce import notify_allows
from courriel.storage.records import QueuedMessage, QueuedRecipient

__all__ = [
    "DELAY_NOTICE_AFTER",
    "JITTER",
    "RETRY_DELAYS",
    "is_expired",
    "next_attempt",
    "retry_delay",
    "should_send_delay_notice",
]

RETRY_DELAYS: tuple[float, ...] = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0)
"""Seconds to wait after the 1st, 2nd, ... failed attempt; the last repeats forever."""

JITTER = 0.2
"""Each wait is multiplied by a random factor in [1 - JITTER, 1 + JITTER]."""

DELAY_NOTICE_AFTER = 4 * 3600.0
"""A delay DSN once a recipient has been waiting this long (RFC 3464, usual MTA practice)."""


def retry_delay(attempts: int) -> float:
    """The wait, without jitter, after ``attempts`` failed attempts (at least 1)."""
    if attempts < 1:
        raise ValueError("attempts counts failed attempts and starts at 1")
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def next_attempt(
    attempts: int,
    now: float,
    random: random_module.Random,
    *,
    expires: float | None = None,
) -> float:
    """When to try again after ``attempts`` failed attempts, the last of them at ``now``.

    ±``JITTER`` spreads retries out; the result never passes ``expires``, so the last
    attempt happens when the message expires rather than up to 4 hours later.
    """
    delay = retry_delay(attempts) * random.uniform(1.0 - JITTER, 1.0 + JITTER)
    when = now + delay
    if expires is not None:
        when = min(when, max(expires, now))
    return when


def is_expired(message: QueuedMessage, now: float) -> bool:
    """Whether the message has been in the queue too long (RFC 5321 §4.5.4.1 give-up time):
    a temporary failure now is final."""
    return now >= message.expires


def should_send_delay_notice(
    message: QueuedMessage,
    recipient: QueuedRecipient,
    now: float,
    *,
    after: float = DELAY_NOTICE_AFTER,
) -> bool:
    """Whether a delay DSN is due for ``recipient``, still pending after an attempt at
    ``now``: once only, after ``after`` seconds in the queue, when NOTIFY allows DELAY or is
    absent (RFC 3461 §4.1), and never for the null sender (RFC 3461 §6.2, RFC 5321 §4.5.5)."""
    return (
        message.sender != ""
        and not recipient.delay_notified
        and now - message.created >= after
        and notify_allows(recipient.notify, "DELAY")
    )
