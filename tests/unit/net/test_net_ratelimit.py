"""The command-pacing token bucket, on a clock the tests move by hand."""

from __future__ import annotations

import random

import pytest

from courriel.core.clock import FakeClock
from courriel.net.ratelimit import CommandRate, TokenBucket


def test_a_new_bucket_gives_its_burst_at_once() -> None:
    bucket = TokenBucket(10, 3, FakeClock())
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.1)


def test_tokens_come_back_at_the_rate_up_to_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, 3, clock)
    for _ in range(3):
        bucket.take()
    clock.advance(0.25)
    assert bucket.tokens() == pytest.approx(2.5)
    clock.advance(3600)
    assert bucket.tokens() == 3.0  # never more than the burst, however long the pause


def test_ready_tells_without_taking() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4, 1, clock)
    assert bucket.ready()
    assert bucket.ready()
    assert bucket.take() == 0.0
    assert not bucket.ready()
    clock.advance(0.25)
    assert bucket.ready()


def test_an_owed_token_is_paid_back_by_the_wait() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, 1, clock)
    assert bucket.take() == 0.0
    clock.advance(0.04)
    assert bucket.take() == pytest.approx(0.06)  # 0.4 token there, 0.6 owed
    clock.advance(0.06)
    assert bucket.tokens() == pytest.approx(0.0)
    assert bucket.take() == pytest.approx(0.1)


def test_a_client_that_waits_as_told_runs_at_the_rate() -> None:
    """Commands beyond the burst cost 1/rate seconds each, not more, not less."""
    clock = FakeClock()
    bucket = TokenBucket(50, 5, clock)
    started = clock.monotonic()
    for _ in range(105):
        clock.advance(bucket.take())
    assert clock.monotonic() - started == pytest.approx(100 / 50)


def test_waits_are_bounded_whatever_the_clock_does() -> None:
    """No wait is longer than 1/rate, even for a caller that never waits or a clock that
    stands still: the rate limiter cannot hold a session forever."""
    clock = FakeClock()
    bucket = TokenBucket(20, 4, clock)
    assert bucket.longest_wait == pytest.approx(0.05)
    for _ in range(1000):  # the clock never moves
        assert 0.0 <= bucket.take() <= bucket.longest_wait
    generator = random.Random(5)
    for _ in range(10_000):
        clock.advance(generator.choice((0.0, 0.001, 0.01, 0.5)))
        assert 0.0 <= bucket.take() <= bucket.longest_wait + 1e-12
        assert bucket.tokens() >= -1.0


def test_a_clock_stepping_back_brings_no_token() -> None:
    class SteppingClock(FakeClock):
        def step_back(self, seconds: float) -> None:
            self._mono -= seconds

    clock = SteppingClock()
    bucket = TokenBucket(10, 2, clock)
    bucket.take()
    bucket.take()
    clock.step_back(100)
    assert bucket.tokens() == pytest.approx(0.0)
    clock.advance(100.1)
    assert bucket.tokens() == pytest.approx(1.0)  # counted from the last good reading


@pytest.mark.parametrize(("per_second", "burst"), [(0, 1), (-1, 5), (10, 0)])
def test_nonsense_rates_are_refused(per_second: float, burst: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        TokenBucket(per_second, burst, FakeClock())
    with pytest.raises(ValueError, match="must be"):
        CommandRate(per_second, burst, FakeClock())


def test_command_rate_from_limits() -> None:
    clock = FakeClock()
    assert CommandRate.from_limits(0, 10, clock) is None  # 0 turns pacing off
    rate = CommandRate.from_limits(100, 7, clock)
    assert rate is not None
    first, second = rate.bucket(), rate.bucket()
    for _ in range(7):
        assert first.take() == 0.0
    assert first.take() > 0
    assert second.take() == 0.0  # one bucket per session
