"""The ``Resolver`` port and its errors.

::

    DnsError (CourrielError)
     ├── NonExistentDomain     NXDOMAIN: the name does not exist (RFC 8020)
     ├── NoRecords             the name exists but has no record of that type (NODATA)
     └── DnsTemporaryError     timeout, SERVFAIL, network trouble: try again later

Callers decide what an error means (RFC 5321 §5.1: NXDOMAIN on MX → permanent failure; a
temporary error → retry later; RFC 7208 §5: temperror for SPF). Names are given and returned
in A-label form without the trailing dot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from courriel.core.errors import CourrielError


class DnsError(CourrielError):
    """Base of DNS lookup errors."""


class NonExistentDomain(DnsError):
    """NXDOMAIN."""


class NoRecords(DnsError):
    """The name exists but has no record of the asked type."""


class DnsTemporaryError(DnsError):
    """The answer could not be had now (timeout, SERVFAIL, no server reachable)."""


@dataclass(frozen=True, order=True)
class MxRecord:
    preference: int
    host: str
    """Exchange host name; ``""`` for a null MX (RFC 7505: ``0 .``)."""


class Resolver(Protocol):
    """DNS lookups used by courriel. Each raises a ``DnsError`` subclass when there is no
    answer; an empty list is never returned."""

    async def mx(self, domain: str) -> list[MxRecord]:
        """MX records, sorted by preference."""
        ...

    async def a(self, host: str) -> list[str]:
        """IPv4 addresses."""
        ...

    async def aaaa(self, host: str) -> list[str]:
        """IPv6 addresses."""
        ...

    async def txt(self, name: str) -> list[str]:
        """TXT records, each one's strings joined (RFC 7208 §3.3, RFC 6376 §3.6.2.2)."""
        ...

    async def ptr(self, ip: str) -> list[str]:
        """Reverse names of an address."""
        ...
