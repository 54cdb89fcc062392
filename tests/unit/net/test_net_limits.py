"""Per-IP connection counting: IPv4 per address, IPv6 per /64."""

from __future__ import annotations

import pytest

from courriel.net.limits import PerIpLimiter, ip_limit_key


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
    assert limiter._open == {}


def test_limiter_needs_a_positive_maximum() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PerIpLimiter(0)
