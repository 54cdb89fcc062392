"""Routing by MX (RFC 5321 §5.1), null MX (RFC 7505), implicit MX, smarthost."""

from __future__ import annotations

import random

import pytest

from courriel.dns import StaticResolver
from courriel.queue.route import RouteError, Smarthost, route

ZONES: dict[str, dict[str, list[str]]] = {
    "example.net": {"MX": ["20 backup.example.net", "10 mx1.example.net", "10 mx2.example.net"]},
    "mx1.example.net": {"A": ["192.0.2.1"], "AAAA": ["2001:db8::1"]},
    "mx2.example.net": {"A": ["192.0.2.2"]},
    "backup.example.net": {"A": ["192.0.2.3"]},
    "nullmx.example": {"MX": ["0 ."], "A": ["192.0.2.9"]},
    "implicit.example": {"A": ["192.0.2.4"], "AAAA": ["2001:db8::4"]},
    "nothing.example": {"TXT": ["v=spf1 -all"]},
    "broken.example": {"TEMPFAIL": []},
    "dangling.example": {"MX": ["10 ghost.dangling.example", "20 mx.dangling.example"]},
    "mx.dangling.example": {"A": ["192.0.2.5"]},
    "allghost.example": {"MX": ["10 ghost.allghost.example"]},
    "tempmx.example": {"MX": ["10 down.tempmx.example"]},
    "down.tempmx.example": {"TEMPFAIL": []},
}


@pytest.fixture
def resolver() -> StaticResolver:
    return StaticResolver(ZONES)


async def test_mx_order_by_preference_with_addresses(resolver: StaticResolver) -> None:
    result = await route("Example.NET", resolver, port=2525, random=random.Random(1))
    names = [host.name for host in result.hosts]
    assert set(names[:2]) == {"mx1.example.net", "mx2.example.net"}
    assert names[2] == "backup.example.net"  # RFC 5321 §5.1: lowest preference first
    mx1 = next(host for host in result.hosts if host.name == "mx1.example.net")
    assert mx1.addresses == ("192.0.2.1", "2001:db8::1")
    assert all(host.port == 2525 for host in result.hosts)
    assert not result.implicit_mx and result.smarthost is None


async def test_equal_preferences_are_shuffled(resolver: StaticResolver) -> None:
    # RFC 5321 §5.1: hosts of equal preference are tried in random order.
    firsts = set()
    for seed in range(20):
        result = await route("example.net", resolver, random=random.Random(seed))
        firsts.add(result.hosts[0].name)
        assert result.hosts[2].name == "backup.example.net"
    assert firsts == {"mx1.example.net", "mx2.example.net"}
    again = [
        (await route("example.net", resolver, random=random.Random(7))).hosts for _ in range(2)
    ]
    assert again[0] == again[1]  # seeded: reproducible


async def test_null_mx_is_permanent(resolver: StaticResolver) -> None:
    with pytest.raises(RouteError) as caught:
        await route("nullmx.example", resolver)
    assert not caught.value.temporary
    assert caught.value.reply.code == 556 and caught.value.status == "5.1.10"  # RFC 7505 §4.2


async def test_nxdomain_is_permanent(resolver: StaticResolver) -> None:
    with pytest.raises(RouteError) as caught:
        await route("no-such-domain.example", resolver)
    assert not caught.value.temporary and caught.value.status == "5.1.2"


async def test_implicit_mx(resolver: StaticResolver) -> None:
    result = await route("implicit.example", resolver)
    assert result.implicit_mx
    assert [(h.name, h.addresses) for h in result.hosts] == [
        ("implicit.example", ("192.0.2.4", "2001:db8::4"))
    ]
    with pytest.raises(RouteError) as caught:
        await route("nothing.example", resolver)  # no MX, no address
    assert not caught.value.temporary and caught.value.status == "5.1.2"


async def test_temporary_dns_errors(resolver: StaticResolver) -> None:
    for domain in ("broken.example", "tempmx.example"):
        with pytest.raises(RouteError) as caught:
            await route(domain, resolver)
        assert caught.value.temporary and caught.value.status == "4.4.3"


async def test_mx_hosts_without_address_are_skipped(resolver: StaticResolver) -> None:
    result = await route("dangling.example", resolver)
    assert [host.name for host in result.hosts] == ["mx.dangling.example"]
    with pytest.raises(RouteError) as caught:
        await route("allghost.example", resolver)
    assert not caught.value.temporary and caught.value.status == "5.4.4"


async def test_address_literal_domain(resolver: StaticResolver) -> None:
    result = await route("[192.0.2.77]", resolver, port=2525)
    assert [(h.addresses, h.port) for h in result.hosts] == [(("192.0.2.77",), 2525)]
    v6 = await route("[IPv6:2001:db8::7]", resolver)
    assert v6.hosts[0].addresses == ("2001:db8::7",)
    assert resolver.queries == []


async def test_smarthost_replaces_mx(resolver: StaticResolver) -> None:
    relay = Smarthost("smtp.provider.test", 465, implicit_tls=True, username="u", password="p")
    result = await route("example.net", resolver, smarthost=relay)
    assert result.smarthost is relay
    assert [(h.name, h.addresses, h.port) for h in result.hosts] == [
        ("smtp.provider.test", ("smtp.provider.test",), 465)
    ]
    assert resolver.queries == []  # the relay routes; no MX lookup here
    assert relay.tls_required  # credentials never in clear
    assert not Smarthost("relay.lan", 25).tls_required
