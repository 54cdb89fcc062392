"""Concurrent-connection limits per client address.

IPv4 clients are counted per address. IPv6 clients are counted per /64, the smallest prefix
an ISP hands to one subscriber (RFC 6177), because one host can pick any address in it.
IPv4-mapped IPv6 addresses (``::ffff:192.0.2.1``) count as their IPv4 address.

Must not: sleep, ban, or keep history; temporary bans for failed logins live elsewhere.
"""

from __future__ import annotations

import ipaddress


def ip_limit_key(peer_ip: str) -> str:
    """The bucket a peer address counts in: the IPv4 address, or the IPv6 /64 network."""
    address = ipaddress.ip_address(peer_ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class PerIpLimiter:
    """Counts open connections per ``ip_limit_key`` and refuses those over the maximum."""

    def __init__(self, max_per_ip: int) -> None:
        if max_per_ip < 1:
            raise ValueError("max_per_ip must be at least 1")
        self.max_per_ip = max_per_ip
        self._open: dict[str, int] = {}

    def try_acquire(self, peer_ip: str) -> str | None:
        """Count one more connection; return its key to release, or None when over the limit."""
        key = ip_limit_key(peer_ip)
        count = self._open.get(key, 0)
        if count >= self.max_per_ip:
            return None
        self._open[key] = count + 1
        return key

    def release(self, key: str) -> None:
        count = self._open.get(key, 0) - 1
        if count > 0:
            self._open[key] = count
        else:
            self._open.pop(key, None)

    def count(self, peer_ip: str) -> int:
        return self._open.get(ip_limit_key(peer_ip), 0)
