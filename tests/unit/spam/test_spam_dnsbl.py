"""DNS blocklists (RFC 5782) through a resolver the test controls: listed, not listed,
refused answers, temporary errors and timeouts (never a listing, never cached), the cache,
and addresses that are never looked up."""

from __future__ import annotations

import asyncio

import pytest

from courriel.core.clock import FakeClock
from courriel.dns.static import StaticResolver
from courriel.spam.dnsbl import DnsblCache, DnsblZone, check_dnsbl, listing_codes, query_name

ZONES = [DnsblZone("bl.example", 3.5), DnsblZone("other.example", 1.5)]


def resolver(**listings: list[str]) -> StaticResolver:
    """``listings`` by query name with dots as underscores."""
    return StaticResolver(
        {name.replace("_", "."): {"A": value} for name, value in listings.items()}
    )


def test_query_names() -> None:
    # RFC 5782 §2.1: octets reversed under the zone.
    assert query_name("192.0.2.99", "bl.example") == "99.2.0.192.bl.example"
    assert query_name("192.0.2.99", "BL.Example.") == "99.2.0.192.bl.example"
    # RFC 5782 §2.4: the 32 nibbles of an IPv6 address, reversed.
    assert query_name("2001:db8:1:2::3", "bl.example") == (
        "3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.example"
    )
    # An IPv4 address mapped into IPv6 is looked up as IPv4.
    assert query_name("::ffff:192.0.2.99", "bl.example") == "99.2.0.192.bl.example"


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "172.16.0.1", "192.168.1.1", "127.0.0.1", "::1", "fd00::1", "fe80::1", "x"],
)
def test_local_and_bad_addresses_are_never_looked_up(address: str) -> None:
    assert query_name(address, "bl.example") is None


def test_listing_codes() -> None:
    assert listing_codes(["127.0.0.2", "127.0.0.4"]) == ("127.0.0.2", "127.0.0.4")
    # "Query refused" codes and answers outside 127/8 (a dead list answering everything).
    assert listing_codes(["127.255.255.254", "192.0.2.1", "not an address"]) == ()


async def test_a_listed_address_is_a_hit_with_the_zones_weight() -> None:
    dns = resolver(**{"99_2_0_192_bl_example": ["127.0.0.2"]})
    hits = await check_dnsbl("192.0.2.99", ZONES, dns, DnsblCache(FakeClock()), timeout=1.0)
    assert [(found.name, found.weight) for found in hits] == [("DNSBL_LISTED", 3.5)]
    assert hits[0].description.endswith("192.0.2.99 in bl.example (127.0.0.2)")
    assert {name for _, name in dns.queries} == {
        "99.2.0.192.bl.example",
        "99.2.0.192.other.example",
    }


async def test_listed_in_two_zones() -> None:
    dns = resolver(
        **{"99_2_0_192_bl_example": ["127.0.0.2"], "99_2_0_192_other_example": ["127.0.0.10"]}
    )
    hits = await check_dnsbl("192.0.2.99", ZONES, dns, DnsblCache(FakeClock()), timeout=1.0)
    assert sorted(found.weight for found in hits) == [1.5, 3.5]


async def test_not_listed_and_refused() -> None:
    dns = resolver(**{"99_2_0_192_bl_example": ["127.255.255.254"]})
    assert await check_dnsbl("192.0.2.99", ZONES, dns, DnsblCache(FakeClock()), timeout=1.0) == []


async def test_answers_are_cached_until_they_expire() -> None:
    clock = FakeClock()
    cache = DnsblCache(clock, ttl=600)
    dns = resolver(**{"99_2_0_192_bl_example": ["127.0.0.2"]})
    for _ in range(3):
        hits = await check_dnsbl("192.0.2.99", ZONES, dns, cache, timeout=1.0)
        assert len(hits) == 1
    assert len(dns.queries) == 2  # one per zone; the miss is cached too
    clock.advance(601)
    await check_dnsbl("192.0.2.99", ZONES, dns, cache, timeout=1.0)
    assert len(dns.queries) == 4


def test_the_cache_is_bounded() -> None:
    cache = DnsblCache(FakeClock(), max_entries=2)
    cache.put("bl.example", "192.0.2.1", ())
    cache.put("bl.example", "192.0.2.2", ("127.0.0.2",))
    cache.put("bl.example", "192.0.2.3", ())
    assert len(cache) == 2
    assert cache.get("bl.example", "192.0.2.1") is None
    assert cache.get("bl.example", "192.0.2.2") == ("127.0.0.2",)


async def test_a_temporary_error_is_no_hit_and_not_cached() -> None:
    cache = DnsblCache(FakeClock())
    dns = StaticResolver({"99.2.0.192.bl.example": {"TEMPFAIL": []}})
    assert await check_dnsbl("192.0.2.99", ZONES[:1], dns, cache, timeout=1.0) == []
    assert cache.get("bl.example", "192.0.2.99") is None
    # The list answers again: the listing is seen.
    dns.zones["99.2.0.192.bl.example"] = {"A": ["127.0.0.2"]}
    assert len(await check_dnsbl("192.0.2.99", ZONES[:1], dns, cache, timeout=1.0)) == 1


class SilentResolver(StaticResolver):
    """A list that never answers ``a`` queries for one zone (a black-holed server)."""

    def __init__(self, silent_zone: str) -> None:
        super().__init__({"99.2.0.192.other.example": {"A": ["127.0.0.3"]}})
        self.silent_zone = silent_zone
        self.cancelled = 0

    async def a(self, host: str) -> list[str]:
        if host.endswith(self.silent_zone):
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        return await super().a(host)


async def test_a_list_that_does_not_answer_in_time_is_no_hit() -> None:
    cache = DnsblCache(FakeClock())
    dns = SilentResolver("bl.example")
    loop = asyncio.get_running_loop()
    started = loop.time()
    hits = await check_dnsbl("192.0.2.99", ZONES, dns, cache, timeout=0.2)
    assert loop.time() - started < 2.0
    # The zone that answered still counts; the silent one is cancelled and not cached.
    assert [found.weight for found in hits] == [1.5]
    assert dns.cancelled == 1
    assert cache.get("bl.example", "192.0.2.99") is None


async def test_no_zones_or_local_addresses_ask_nothing() -> None:
    dns = resolver()
    assert await check_dnsbl("192.0.2.99", [], dns, DnsblCache(FakeClock()), timeout=1.0) == []
    assert await check_dnsbl("127.0.0.1", ZONES, dns, DnsblCache(FakeClock()), timeout=1.0) == []
    assert dns.queries == []
