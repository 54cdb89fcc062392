"""Concurrent-connection limits: per client address, and per key in general (per account).

IPv4 clients are counted per address. IPv6 clients are counted per /64, the smallest prefix
an ISP hands to one subscriber (RFC 6177), because one host can pick any address in it.
IPv4-mapped IPv6 addresses (``::ffff:192.0.2.1``) count as their IPv4 address.

``ConnectionCounter`` is the counting itself, for any key: the per-IP limiter counts peer
networks with it, and ``runtime`` shares one counting account ids among every IMAP and POP3
listener (``limits.max_connections_per_account``).

Must not: sleep, ban, or keep history; temporary bans for failed logins live elsewhere.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


def ip_limit_key(peer_ip: str) -> str:
    """The bucket a peer address counts in: the IPv4 address, or the IPv6 /64 network."""
    address = ipaddress.ip_address(peer_ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ConnectionCounter(Generic[Key]):
    """Counts what is open per key and refuses more than ``maximum`` at once.

    Every successful ``try_acquire`` must be matched by one ``release`` of the same key
    (sessions release in a ``finally``). Keys with nothing open are forgotten.
    """

    def __init__(self, maximum: int) -> None:
        if maximum < 1:
            raise ValueError("the maximum must be at least 1")
        self.maximum = maximum
        self._open: dict[Key, int] = {}

    def try_acquire(self, key: Key) -> bool:
        """Count one more for ``key``; False (nothing counted) when it is at the maximum."""
        count = self._open.get(key, 0)
        if count >= self.maximum:
            return False
        self._open[key] = count + 1
        return True

    def release(self, key: Key) -> None:
        count = self._open.get(key, 0) - 1
        if count > 0:
            self._open[key] = count
        else:
            self._open.pop(key, None)

    def count(self, key: Key) -> int:
        return self._open.get(key, 0)

    def __len__(self) -> int:
        """How many keys have something open."""
        return len(self._open)


class CountedKey(Generic[Key]):
    """One session's count in a ``ConnectionCounter`` (no counter: nothing is counted): at
    most one key held, given back once however often ``release`` is called."""

    def __init__(self, counter: ConnectionCounter[Key] | None) -> None:
        self._counter = counter
        self._held: Key | None = None

    def claim(self, key: Key) -> bool:
        """Count ``key``; False (nothing held) when it is at the counter's maximum."""
        if self._counter is None:
            return True
        if not self._counter.try_acquire(key):
            return False
        self._held = key
        return True

    def release(self) -> None:
        if self._counter is not None and self._held is not None:
            self._counter.release(self._held)
            self._held = None


class PerIpLimiter:
    """Counts open connections per ``ip_limit_key`` and refuses those over the maximum."""

    def __init__(self, max_per_ip: int) -> None:
        if max_per_ip < 1:
            raise ValueError("max_per_ip must be at least 1")
        self._counter = ConnectionCounter[str](max_per_ip)

    @property
    def max_per_ip(self) -> int:
        return self._counter.maximum

    def try_acquire(self, peer_ip: str) -> str | None:
        """Count one more connection; return its key to release, or None when over the limit."""
        key = ip_limit_key(peer_ip)
        return key if self._counter.try_acquire(key) else None

    def release(self, key: str) -> None:
        self._counter.release(key)

    def count(self, peer_ip: str) -> int:
        return self._counter.count(ip_limit_key(peer_ip))

    def __len__(self) -> int:
        """How many addresses (or /64 networks) have connections open."""
        return len(self._counter)
