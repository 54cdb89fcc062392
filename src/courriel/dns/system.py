"""``SystemResolver``: the ``Resolver`` port on the system's DNS servers, with dnspython.

Timeouts are bounded (``timeout`` per lookup), and every failure maps to the port's error
classes, so a DNS problem is a value to handle, never a crash.
"""

from __future__ import annotations

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
import dns.reversename

from courriel.dns.resolver import DnsTemporaryError, MxRecord, NonExistentDomain, NoRecords


class SystemResolver:
    """Lookups through the servers in /etc/resolv.conf."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._resolver = dns.asyncresolver.Resolver()
        self._resolver.lifetime = timeout

    async def _query(self, name: str, kind: str) -> dns.resolver.Answer:
        try:
            return await self._resolver.resolve(name, kind, search=False)
        except dns.resolver.NXDOMAIN:
            raise NonExistentDomain(f"{name}: no such domain") from None
        except dns.resolver.NoAnswer:
            raise NoRecords(f"{name}: no {kind} record") from None
        except (dns.exception.Timeout, dns.resolver.NoNameservers, OSError) as error:
            raise DnsTemporaryError(f"{name} {kind}: {error}") from None
        except dns.exception.DNSException as error:
            raise DnsTemporaryError(f"{name} {kind}: {error}") from None

    async def mx(self, domain: str) -> list[MxRecord]:
        answer = await self._query(domain, "MX")
        return sorted(
            MxRecord(int(record.preference), record.exchange.to_text(omit_final_dot=True).lower())
            for record in answer
        )

    async def a(self, host: str) -> list[str]:
        return [record.to_text() for record in await self._query(host, "A")]

    async def aaaa(self, host: str) -> list[str]:
        return [record.to_text() for record in await self._query(host, "AAAA")]

    async def txt(self, name: str) -> list[str]:
        answer = await self._query(name, "TXT")
        return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]

    async def ptr(self, ip: str) -> list[str]:
        reverse = dns.reversename.from_address(ip).to_text()
        answer = await self._query(reverse, "PTR")
        return [record.target.to_text(omit_final_dot=True).lower() for record in answer]
