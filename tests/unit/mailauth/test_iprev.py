"""iprev (RFC 8601 §3, results §2.7.3) over the project's StaticResolver."""

from __future__ import annotations

import pytest

from courriel.dns import StaticResolver
from courriel.mailauth.iprev import MAX_NAMES, check_iprev
from courriel.mailauth.results import MethodResult

ZONES: dict[str, dict[str, list[str]]] = {
    "192.0.2.1": {"PTR": ["mail.example.org"]},
    "mail.example.org": {"A": ["192.0.2.1", "192.0.2.99"], "AAAA": ["2001:db8::25"]},
    "2001:db8::25": {"PTR": ["MAIL.example.org."]},
    # A PTR name that points elsewhere, then one that points back.
    "192.0.2.2": {"PTR": ["liar.example.net", "mx2.example.org"]},
    "liar.example.net": {"A": ["198.51.100.1"]},
    "mx2.example.org": {"A": ["192.0.2.2"]},
    "192.0.2.3": {"PTR": ["liar.example.net", "gone.example.net"]},  # gone: NXDOMAIN
    "192.0.2.4": {"TEMPFAIL": []},
    "192.0.2.5": {"PTR": ["flaky.example.net"]},
    "flaky.example.net": {"TEMPFAIL": []},
    "192.0.2.6": {"PTR": ["v6only.example.net"]},
    "v6only.example.net": {"AAAA": ["2001:db8::6"]},  # NODATA for A
    "192.0.2.7": {"PTR": [f"n{number}.example.net" for number in range(MAX_NAMES + 1)]},
    **{f"n{number}.example.net": {"A": ["198.51.100.2"]} for number in range(MAX_NAMES)},
    f"n{MAX_NAMES}.example.net": {"A": ["192.0.2.7"]},  # would match, but is one too many
}


@pytest.fixture
def resolver() -> StaticResolver:
    return StaticResolver(ZONES)


async def test_forward_confirmed_name_passes(resolver: StaticResolver) -> None:
    result = await check_iprev("192.0.2.1", resolver)
    assert result == MethodResult(
        "iprev", "pass", "mail.example.org", (("policy.iprev", "192.0.2.1"),)
    )
    assert ("A", "mail.example.org") in resolver.queries
    assert ("AAAA", "mail.example.org") not in resolver.queries  # only the client's family


async def test_ipv6_and_ipv4_mapped_addresses(resolver: StaticResolver) -> None:
    six = await check_iprev("2001:DB8:0::25", resolver)
    assert (six.result, six.property("policy.iprev")) == ("pass", "2001:db8::25")
    mapped = await check_iprev("::ffff:192.0.2.1", resolver)  # a dual-stack listener's form
    assert (mapped.result, mapped.property("policy.iprev")) == ("pass", "192.0.2.1")


async def test_any_name_that_maps_back_is_enough(resolver: StaticResolver) -> None:
    result = await check_iprev("192.0.2.2", resolver)
    assert (result.result, result.reason) == ("pass", "mx2.example.org")


async def test_names_that_do_not_map_back_fail(resolver: StaticResolver) -> None:
    # RFC 8601 §2.7.3 fail: other addresses, NXDOMAIN or no data for the forward lookup.
    for ip in ("192.0.2.3", "192.0.2.6"):
        result = await check_iprev(ip, resolver)
        assert result.result == "fail"
        assert result.property("policy.iprev") == ip


async def test_no_ptr_is_permerror(resolver: StaticResolver) -> None:
    result = await check_iprev("203.0.113.9", resolver)
    assert result == MethodResult(
        "iprev", "permerror", "no PTR record", (("policy.iprev", "203.0.113.9"),)
    )
    bogus = await check_iprev("not an address", resolver)
    assert bogus.result == "permerror"
    assert bogus.properties == ()


async def test_temporary_failures_are_temperror(resolver: StaticResolver) -> None:
    assert (await check_iprev("192.0.2.4", resolver)).result == "temperror"  # PTR lookup
    assert (await check_iprev("192.0.2.5", resolver)).result == "temperror"  # forward lookup


async def test_names_checked_are_limited(resolver: StaticResolver) -> None:
    result = await check_iprev("192.0.2.7", resolver)
    assert result.result == "fail"
    forward = [name for kind, name in resolver.queries if kind == "A"]
    assert len(forward) == MAX_NAMES
    assert f"n{MAX_NAMES}.example.net" not in forward
