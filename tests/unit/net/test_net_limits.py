"""Per-IP connection counting: IPv4 per address, IPv6 per /64."""

from __future__ import annotations

import pytest

from courriel.net.limits import ConnectionCounter, PerIpLimiter, ip_limit_key


@pytest.mark.parametrize(
    ("peer_ip", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("fe80::1%eth0", "fe80::/64"),
    ],
)
def test_limit_keys(peer_ip: str, key: str) -> None:
    assert ip_limit_key(peer_ip) == key


def test_limiter_counts_ipv6_per_64() -> None:
    limiter = PerIpLimiter(2)
    first = limiter.try_acquire("2001:db8::1")
    second = limiter.try_acquire("2001:db8::ffff")
    assert first == second == "2001:db8::/64"
    assert limiter.try_acquire("2001:db8::2") is None
    assert limiter.try_acquire("2001:db8:0:1::1") is not None  # another /64
    assert limiter.try_acquire("192.0.2.1") is not None
    limiter.release(first)
    assert limiter.count("2001:db8::1") == 1
    assert limiter.try_acquire("2001:db8::3") == "2001:db8::/64"


def test_limiter_forgets_idle_addresses() -> None:
    limiter = PerIpLimiter(1)
    key = limiter.try_acquire("192.0.2.1")
    assert key is not None
    limiter.release(key)
    assert limiter.count("192.0.2.1") == 0
    assert len(limiter) == 0


def test_limiter_needs_a_positive_maximum() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PerIpLimiter(0)


def test_counter_counts_per_key_up_to_the_maximum() -> None:
    counter = ConnectionCounter[int](2)
    assert counter.try_acquire(7)
    assert counter.try_acquire(7)
    assert not counter.try_acquire(7)  # refused: nothing counted
    assert counter.count(7) == 2
    assert counter.try_acquire(8)
    counter.release(7)
    assert counter.try_acquire(7)
    for _ in range(2):
        counter.release(7)
    counter.release(8)
    assert counter.count(7) == counter.count(8) == 0
    assert len(counter) == 0  # keys with nothing open are forgotten


def test_counter_needs_a_positive_maximum() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ConnectionCounter[str](0)
