"""DNS blocklists (RFC 5782): is the sending server's address listed?

An IPv4 address is looked up as its octets reversed under the list's zone (RFC 5782 §2.1:
``192.0.2.99`` in ``bl.example`` is ``99.2.0.192.bl.example``), an IPv6 address as its 32
nibbles reversed (§2.4). An A record in 127.0.0.0/8 means listed (§2.3); NXDOMAIN or no A
record means not listed. Other answers are not listings: 127.255.255.x are the "query
refused" codes some lists give open resolvers, and anything outside 127/8 is a list that
stopped working and answers every name.

Every zone is asked concurrently through the ``Resolver`` port, within one timeout. An
answer (listed or not) is cached for ``ttl`` seconds; a lookup that fails or runs out of
time is neither cached nor a listing: a DNS outage never holds or refuses mail. Private,
loopback and link-local addresses are never looked up (no list knows them, and asking
would tell the list's operator about the local network).

Must not: decide what a listing means for delivery (``verdict`` adds the zone's weight).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from courriel.core.clock import Clock, SystemClock
from courriel.dns.resolver import DnsError, NonExistentDomain, NoRecords, Resolver
from courriel.spam.weights import Hit, hit

log = logging.getLogger("courriel.spam")

#: How long an answer is remembered (the port gives no TTLs; lists update every few min).
DEFAULT_CACHE_SECONDS = 900.0
#: Answers remembered at most (the oldest go first).
DEFAULT_CACHE_ENTRIES = 10_000
_LISTED = ipaddress.ip_network("127.0.0.0/8")
_REFUSED = ipaddress.ip_network("127.255.255.0/24")
# Never looked up: RFC 1918 and RFC 4193 networks, loopback, link-local, unspecified.
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/8",
        "100.64.0.0/10",
        "::1/128",
        "::/128",
        "fc00::/7",
        "fe80::/10",
    )
)


@dataclass(frozen=True, slots=True)
class DnsblZone:
    """A blocklist zone and the score a listing in it adds."""

    name: str
    weight: float


def query_name(address: str, zone: str) -> str | None:
    """The name to look up for ``address`` in ``zone`` (RFC 5782 §2.1, §2.4), or None
    for an address that is not to be looked up (not an IP address, or a local one)."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in _LOCAL_NETWORKS if network.version == ip.version):
        return None
    if isinstance(ip, ipaddress.IPv4Address):
        reversed_labels = ".".join(reversed(str(ip).split(".")))
    else:
        reversed_labels = ".".join(reversed(ip.exploded.replace(":", "")))
    return f"{reversed_labels}.{zone.strip().rstrip('.').lower()}"


def listing_codes(answers: Sequence[str]) -> tuple[str, ...]:
    """The answers that mean "listed": A records in 127.0.0.0/8 but not 127.255.255.x."""
    codes = []
    for answer in answers:
        try:
            ip = ipaddress.ip_address(answer)
        except ValueError:
            continue
        if ip.version == 4 and ip in _LISTED and ip not in _REFUSED:
            codes.append(str(ip))
    return tuple(codes)


class DnsblCache:
    """Answers by (zone, address): the listing codes, ``()`` for not listed. Bounded in
    size and age; one per server (``SpamFilter`` holds it)."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        ttl: float = DEFAULT_CACHE_SECONDS,
        max_entries: int = DEFAULT_CACHE_ENTRIES,
    ) -> None:
        self.clock = clock or SystemClock()
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[float, tuple[str, ...]]] = OrderedDict()

    def get(self, zone: str, address: str) -> tuple[str, ...] | None:
        """The cached codes, or None when nothing fresh is cached."""
        key = (zone, address)
        found = self._entries.get(key)
        if found is None:
            return None
        expires, codes = found
        if expires <= self.clock.monotonic():
            del self._entries[key]
            return None
        return codes

    def put(self, zone: str, address: str, codes: tuple[str, ...]) -> None:
        key = (zone, address)
        self._entries.pop(key, None)
        self._entries[key] = (self.clock.monotonic() + self.ttl, codes)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


async def _lookup(
    resolver: Resolver, zone: DnsblZone, address: str, name: str, cache: DnsblCache
) -> tuple[str, ...] | None:
    cached = cache.get(zone.name, address)
    if cached is not None:
        return cached
    try:
        codes = listing_codes(await resolver.a(name))
    except (NonExistentDomain, NoRecords):
        codes = ()
    except DnsError as error:  # temporary trouble: ask again next time
        log.info("DNSBL %s: no answer for %s: %s", zone.name, address, error)
        return None
    cache.put(zone.name, address, codes)
    return codes


async def check_dnsbl(
    address: str,
    zones: Sequence[DnsblZone],
    resolver: Resolver,
    cache: DnsblCache,
    *,
    timeout: float,
) -> list[Hit]:
    """One ``DNSBL_LISTED`` hit, with the zone's weight, per zone listing ``address``; the
    zones that do not answer within ``timeout`` seconds count as not listing it."""
    queries = []
    for zone in zones:
        name = query_name(address, zone.name)
        if name is not None:
            queries.append((zone, name))
    if not queries:
        return []
    tasks = [
        asyncio.ensure_future(_lookup(resolver, zone, address, name, cache))
        for zone, name in queries
    ]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    if pending:
        log.info("DNSBL lookups of %s: %d timed out after %.1fs", address, len(pending), timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    hits = []
    for (zone, _), task in zip(queries, tasks, strict=True):
        if task not in done or task.cancelled():
            continue
        error = task.exception()
        if error is not None:  # a resolver bug: never a reason to lose or hold mail
            log.warning("DNSBL %s lookup failed: %r", zone.name, error)
            continue
        codes = task.result()
        if codes:
            detail = f"{address} in {zone.name} ({', '.join(codes)})"
            hits.append(hit("DNSBL_LISTED", detail, weight=zone.weight))
    return hits
