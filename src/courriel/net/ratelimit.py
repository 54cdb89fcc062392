"""Command pacing: a token bucket per connection, for IMAP and POP3 sessions.

A session takes a token for each command it reads. Tokens come back at ``per_second`` a
second and at most ``burst`` are saved up; a session starts with a full bucket. A command
that finds the bucket empty is not refused: it waits until its token is due, so a client
that pipelines faster than the rate (mbsync, fetchmail) is slowed down, never failed, and
every command is answered, in order. While a session waits it reads nothing more; what the
client keeps sending stays in the bounded receive buffer and then in the kernel's, so a
flood costs the server no more than the rate allows.

No client is disconnected for its rate: a paced connection costs almost nothing while it
waits, and a large first synchronisation is exactly what a sustained burst looks like.
Garbage is closed by the sessions' own limits (consecutive errors, line and literal sizes,
timeouts), which still apply.

Waits are bounded whatever the clock does: a token taken from an empty bucket is owed, the
debt never exceeds one token, so no wait is longer than ``1 / per_second`` seconds (one
second at the lowest rate the configuration accepts).

Must not: read configuration or know any protocol (sessions call :func:`pace` with their
own way of sending what they have written).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from courriel.core.clock import Clock, SystemClock


def check_rate(per_second: float, burst: int) -> None:
    """Raise ``ValueError`` unless ``per_second`` is positive and ``burst`` at least 1."""
    if per_second <= 0:
        raise ValueError("per_second must be positive")
    if burst < 1:
        raise ValueError("burst must be at least 1")


class TokenBucket:
    """``per_second`` tokens a second, at most ``burst`` saved; full at the start.

    Time is the clock's ``monotonic()``; a clock that stands still or steps back only
    means no token comes back.
    """

    def __init__(self, per_second: float, burst: int, clock: Clock) -> None:
        check_rate(per_second, burst)
        self.per_second = float(per_second)
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock.monotonic()

    @property
    def longest_wait(self) -> float:
        """No ``take`` asks for a longer wait than this."""
        return 1.0 / self.per_second

    def _refill(self) -> float:
        now = self._clock.monotonic()
        elapsed = now - self._updated
        if elapsed > 0:
            self._tokens = min(float(self.burst), self._tokens + elapsed * self.per_second)
            self._updated = now
        return self._tokens

    def tokens(self) -> float:
        """Tokens there now (negative while a wait is owed)."""
        return self._refill()

    def ready(self) -> bool:
        """Whether a token is there now, so ``take`` would return 0."""
        return self._refill() >= 1.0

    def take(self) -> float:
        """Take one token and return how many seconds to wait before using it: 0 when one
        was there; otherwise the token is owed and the wait is the time until it is paid
        back (at most ``longest_wait``). The caller waits that long before its next take;
        a caller that does not still never owes more than one token."""
        tokens = self._refill()
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return 0.0
        # The debt is capped at one token: a wait never exceeds 1 / per_second.
        self._tokens = max(tokens - 1.0, -1.0)
        return -self._tokens / self.per_second


@dataclass(frozen=True, slots=True)
class CommandRate:
    """The pacing a listener's sessions get: one ``TokenBucket`` each."""

    per_second: float
    burst: int
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        check_rate(self.per_second, self.burst)

    @classmethod
    def from_limits(cls, per_second: float, burst: int, clock: Clock) -> CommandRate | None:
        """From the ``limits`` settings: None (no pacing) when ``per_second`` is 0."""
        if per_second == 0:
            return None
        return cls(per_second, burst, clock)

    def bucket(self) -> TokenBucket:
        return TokenBucket(self.per_second, self.burst, self.clock)


async def pace(bucket: TokenBucket | None, flush: Callable[[], Awaitable[None]]) -> None:
    """Before a session's next command: wait if it came faster than ``bucket`` allows,
    after ``flush``-ing the replies so far (so they go out before the pause). Nothing
    happens without a bucket (no pacing)."""
    if bucket is None:
        return
    wait = bucket.take()
    if wait > 0:
        await flush()
        await asyncio.sleep(wait)
