"""check_host() and the SMTP-level SPF check over the project's StaticResolver.

The RFC 7208 suite (test_spf_rfc7208_suite.py) covers the record language; these tests
cover what it does not: the HELO / MAIL FROM / null sender choice (RFC 7208 §2.3, §2.4),
IDN domains, the RFC 8601 method result, Received-SPF (§9.1), the time budget, the limits
as settings, and DNS failures through the real static adapter.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from courriel.core.clock import FakeClock
from courriel.dns import MxRecord, StaticResolver
from courriel.mail.compose import header_lines
from courriel.mail.headers import unfold
from courriel.mailauth.results import MethodResult
from courriel.mailauth.spf import (
    SpfLimits,
    SpfResult,
    check_host,
    check_spf,
    evaluate_spf,
    received_spf_value,
)

RECEIVER = "mx.receiver.test"

ZONES: dict[str, dict[str, list[str]]] = {
    "example.org": {
        "TXT": [
            "google-site-verification=abc",  # not SPF: ignored (RFC 7208 §4.5)
            "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:1::/48 mx -all exp=why.example.org",
        ],
        "MX": ["10 mail.example.org", "20 ."],
    },
    "why.example.org": {"TXT": ["%{i} may not send for %{d} (%{s}, %{t})"]},
    "mail.example.org": {"A": ["198.51.100.7"], "AAAA": ["2001:db8:ffff::7"]},
    "helo-fail.example.net": {"TXT": ["v=spf1 -all"], "A": ["203.0.113.9"]},
    "helo-pass.example.net": {"TXT": ["v=spf1 a -all"], "A": ["203.0.113.5"]},
    "relay.example.net": {"A": ["203.0.113.6"]},
    "softfail.example": {"TXT": ["v=spf1 ~all"]},
    "broken.example": {"TEMPFAIL": []},
    "uses-broken.example": {"TXT": ["v=spf1 include:broken.example -all"]},
    "loop.example": {"TXT": ["v=spf1 include:loop.example -all"]},
    "two.example": {"TXT": ["v=spf1 -all", "v=spf1 +all"]},
    "voids.example": {"TXT": ["v=spf1 a:nothing.example ?all"]},
    "by-name.example": {"TXT": ["v=spf1 ptr -all exp=p.by-name.example"]},
    "p.by-name.example": {"TXT": ["connect from %{p}"]},
    "host.by-name.example": {"A": ["192.0.2.80"]},
    "192.0.2.80": {"PTR": ["other.example", "host.by-name.example"]},
    "xn--bcher-kva.example": {"TXT": ["v=spf1 ip4:192.0.2.1 -all"]},
}


@pytest.fixture
def resolver() -> StaticResolver:
    return StaticResolver(ZONES)


async def test_pass_by_ip4_network(resolver: StaticResolver) -> None:
    outcome = await check_host(
        "192.0.2.55", "example.org", "alice@example.org", helo="h.test", resolver=resolver
    )
    assert outcome.result is SpfResult.PASS
    assert outcome.mechanism == "ip4:192.0.2.0/24"
    assert outcome.explanation is None


async def test_ipv6_client_and_ipv4_mapped_client(resolver: StaticResolver) -> None:
    ipv6 = await check_host(
        "2001:db8:1::25", "example.org", "alice@example.org", helo="h.test", resolver=resolver
    )
    assert (ipv6.result, ipv6.mechanism) == (SpfResult.PASS, "ip6:2001:db8:1::/48")
    # RFC 7208 §5: an IPv4-mapped IPv6 address is evaluated as IPv4.
    mapped = await check_host(
        "::ffff:192.0.2.55", "example.org", "alice@example.org", helo="h.test", resolver=resolver
    )
    assert (mapped.result, mapped.mechanism) == (SpfResult.PASS, "ip4:192.0.2.0/24")


async def test_mx_addresses_of_the_family_in_use(resolver: StaticResolver) -> None:
    for ip in ("198.51.100.7", "2001:db8:ffff::7"):
        outcome = await check_host(
            ip, "example.org", "alice@example.org", helo="h.test", resolver=resolver
        )
        assert (outcome.result, outcome.mechanism) == (SpfResult.PASS, "mx")
    # The null MX "20 ." names no host and is skipped, not looked up.
    assert ("A", "") not in resolver.queries


async def test_fail_with_exp_explanation_expanded(resolver: StaticResolver) -> None:
    outcome = await check_host(
        "203.0.113.1",
        "example.org",
        "alice@example.org",
        helo="h.test",
        resolver=resolver,
        clock=FakeClock(1_700_000_000),
    )
    assert (outcome.result, outcome.mechanism) == (SpfResult.FAIL, "-all")
    # RFC 7208 §6.2: the exp= text is a macro-string; %{t} comes from the injected clock.
    assert outcome.explanation == (
        "203.0.113.1 may not send for example.org (alice@example.org, 1700000000)"
    )


async def test_default_explanation(resolver: StaticResolver) -> None:
    outcome = await check_host(
        "192.0.2.1",
        "helo-fail.example.net",
        "bob@helo-fail.example.net",
        helo="x",
        resolver=resolver,
    )
    assert outcome.result is SpfResult.FAIL
    assert outcome.explanation == "192.0.2.1 is not allowed to send mail from helo-fail.example.net"


async def test_no_record_and_bad_identities_are_none(resolver: StaticResolver) -> None:
    for domain in ("relay.example.net", "absent.example", "[192.0.2.1]", "localhost", "1.2.3.4"):
        outcome = await check_host(
            "192.0.2.1", domain, f"x@{domain}", helo="h.test", resolver=resolver
        )
        assert outcome.result is SpfResult.NONE, domain
        assert outcome.problem
    # RFC 7208 §4.3: a malformed domain is "none" without any DNS query.
    assert ("TXT", "[192.0.2.1]") not in resolver.queries
    assert ("TXT", "localhost") not in resolver.queries


async def test_dns_failure_is_temperror(resolver: StaticResolver) -> None:
    for domain in ("broken.example", "uses-broken.example"):
        outcome = await check_host(
            "192.0.2.1", domain, f"x@{domain}", helo="h.test", resolver=resolver
        )
        assert outcome.result is SpfResult.TEMPERROR, domain
        assert outcome.problem is not None
        assert "broken.example" in outcome.problem


async def test_permerrors(resolver: StaticResolver) -> None:
    loop = await check_host(
        "192.0.2.1", "loop.example", "x@loop.example", helo="h.test", resolver=resolver
    )
    assert loop.result is SpfResult.PERMERROR
    assert loop.problem == "more than 10 DNS-querying terms"
    two = await check_host(
        "192.0.2.1", "two.example", "x@two.example", helo="h.test", resolver=resolver
    )
    assert two.result is SpfResult.PERMERROR
    assert two.problem == "two.example publishes 2 SPF records"


async def test_limits_are_settings(resolver: StaticResolver) -> None:
    default = await check_host(
        "192.0.2.1", "voids.example", "x@voids.example", helo="h.test", resolver=resolver
    )
    assert default.result is SpfResult.NEUTRAL
    strict = await check_host(
        "192.0.2.1",
        "voids.example",
        "x@voids.example",
        helo="h.test",
        resolver=resolver,
        limits=SpfLimits(void_lookups=0),
    )
    assert strict.result is SpfResult.PERMERROR
    assert strict.problem is not None
    assert "void lookups" in strict.problem


async def test_ptr_and_p_macro(resolver: StaticResolver) -> None:
    matched = await check_host(
        "192.0.2.80", "by-name.example", "x@by-name.example", helo="h.test", resolver=resolver
    )
    assert (matched.result, matched.mechanism) == (SpfResult.PASS, "ptr")
    # other.example was never validated: it is not below by-name.example.
    assert ("A", "other.example") not in resolver.queries
    refused = await check_host(
        "192.0.2.81", "by-name.example", "x@by-name.example", helo="h.test", resolver=resolver
    )
    assert refused.result is SpfResult.FAIL
    assert refused.explanation == "connect from unknown"


class SilentResolver:
    """A DNS server that never answers: only the time budget ends the wait."""

    async def _never(self) -> list[str]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def mx(self, domain: str) -> list[MxRecord]:
        await self._never()
        return []

    async def a(self, host: str) -> list[str]:
        return await self._never()

    async def aaaa(self, host: str) -> list[str]:
        return await self._never()

    async def txt(self, name: str) -> list[str]:
        return await self._never()

    async def ptr(self, ip: str) -> list[str]:
        return await self._never()


async def test_time_budget_gives_temperror() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    outcome = await check_host(
        "192.0.2.1",
        "example.org",
        "alice@example.org",
        helo="h.test",
        resolver=SilentResolver(),
        limits=SpfLimits(time_budget=0.05),
    )
    assert outcome.result is SpfResult.TEMPERROR
    assert outcome.problem == "SPF evaluation took more than 0.05 s"
    assert loop.time() - started < 2


def test_default_budget_is_at_least_20_seconds() -> None:
    budget = SpfLimits().time_budget
    assert budget is not None and budget >= 20  # RFC 7208 §4.6.4


async def test_without_a_budget_the_caller_bounds_the_time() -> None:
    """``time_budget=None``: no timer of SPF's own; the caller's deadline ends the wait,
    and with it the evaluation (the inbound checks bound it by ``mailauth.timeout``)."""
    check = check_host(
        "192.0.2.1",
        "example.org",
        "alice@example.org",
        helo="h.test",
        resolver=SilentResolver(),
        limits=SpfLimits(time_budget=None),
    )
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await check


async def test_invalid_client_ip_is_a_programming_error(resolver: StaticResolver) -> None:
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        await check_host("not-an-ip", "example.org", "a@example.org", helo="h", resolver=resolver)


# -- the SMTP-level check (RFC 7208 §2.3, §2.4) ---------------------------------------------


async def test_check_spf_mail_from(resolver: StaticResolver) -> None:
    result = await check_spf(
        "192.0.2.55", "alice@example.org", "relay.example.net", resolver, receiver=RECEIVER
    )
    assert result == MethodResult(
        "spf",
        "pass",
        "domain of alice@example.org designates 192.0.2.55 as permitted sender",
        (("smtp.mailfrom", "alice@example.org"),),
    )


async def test_check_spf_helo_fail_is_conclusive(resolver: StaticResolver) -> None:
    result = await check_spf(
        "192.0.2.55", "<alice@example.org>", "helo-fail.example.net", resolver, receiver=RECEIVER
    )
    assert result.result == "fail"
    assert result.properties == (("smtp.helo", "helo-fail.example.net"),)
    # RFC 7208 §2.3: a definitive HELO result spares the MAIL FROM lookups.
    assert ("TXT", "example.org") not in resolver.queries


async def test_check_spf_helo_pass_still_checks_mail_from(resolver: StaticResolver) -> None:
    result = await check_spf(
        "203.0.113.5", "alice@example.org", "helo-pass.example.net", resolver, receiver=RECEIVER
    )
    assert ("TXT", "helo-pass.example.net") in resolver.queries
    assert result.result == "fail"
    assert result.properties == (("smtp.mailfrom", "alice@example.org"),)


async def test_check_spf_null_sender_uses_helo(resolver: StaticResolver) -> None:
    for null in ("", "<>"):
        check = await evaluate_spf(
            "203.0.113.5", null, "helo-pass.example.net", resolver, receiver=RECEIVER
        )
        # RFC 7208 §2.4: the MAIL FROM identity of a null reverse-path is postmaster@HELO.
        assert check.identity == "helo"
        assert check.sender == "postmaster@helo-pass.example.net"
        assert check.method_result().result == "pass"
        assert check.method_result().properties == (("smtp.helo", "helo-pass.example.net"),)


async def test_check_spf_helo_address_literal(resolver: StaticResolver) -> None:
    result = await check_spf("192.0.2.55", "", "[192.0.2.55]", resolver, receiver=RECEIVER)
    assert result.result == "none"
    assert result.properties == (("smtp.helo", "[192.0.2.55]"),)
    # With a sender, only the MAIL FROM identity is checked: the literal is not a domain.
    result = await check_spf(
        "192.0.2.55", "alice@example.org", "[192.0.2.55]", resolver, receiver=RECEIVER
    )
    assert result.result == "pass"
    assert not any(name.startswith("[") for _, name in resolver.queries)


async def test_check_spf_ipv6_client(resolver: StaticResolver) -> None:
    result = await check_spf(
        "2001:db8:ffff::7", "alice@example.org", "mail.example.org", resolver, receiver=RECEIVER
    )
    assert result.result == "pass"
    result = await check_spf(
        "2001:db9::1", "alice@example.org", "mail.example.org", resolver, receiver=RECEIVER
    )
    assert result.result == "fail"


async def test_check_spf_idn_domain_in_a_labels(resolver: StaticResolver) -> None:
    result = await check_spf(
        "192.0.2.1", "anna@b\u00fccher.example", "relay.example.net", resolver, receiver=RECEIVER
    )
    assert result.result == "pass"
    assert ("TXT", "xn--bcher-kva.example") in resolver.queries
    assert result.properties == (("smtp.mailfrom", "anna@b\u00fccher.example"),)


async def test_check_spf_temperror(resolver: StaticResolver) -> None:
    result = await check_spf(
        "192.0.2.1", "x@broken.example", "relay.example.net", resolver, receiver=RECEIVER
    )
    assert result.result == "temperror"
    assert result.reason is not None
    assert result.reason.startswith("error in processing during lookup of x@broken.example")


class FaultyResolver(StaticResolver):
    """A resolver with a bug: it raises something that is not a DnsError."""

    async def txt(self, name: str) -> list[str]:
        raise RuntimeError("resolver bug")


async def test_unexpected_error_is_temperror_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="courriel.mailauth.spf"):
        result = await check_spf(
            "192.0.2.1", "x@example.org", "[192.0.2.1]", FaultyResolver({}), receiver=RECEIVER
        )
    assert (result.result, result.reason) == (
        "temperror",
        "error in processing during lookup of x@example.org: internal error",
    )
    assert "SPF check of x@example.org from 192.0.2.1 failed" in caplog.text


# -- Received-SPF (RFC 7208 §9.1) -------------------------------------------------------------


async def test_received_spf_pass(resolver: StaticResolver) -> None:
    check = await evaluate_spf(
        "192.0.2.55", "alice@example.org", "relay.example.net", resolver, receiver=RECEIVER
    )
    assert received_spf_value(check, receiver=RECEIVER) == (
        "pass (mx.receiver.test: domain of alice@example.org designates 192.0.2.55 as "
        'permitted sender) receiver=mx.receiver.test; client-ip=192.0.2.55; envelope-from="'
        'alice@example.org"; helo=relay.example.net; identity=mailfrom; '
        'mechanism="ip4:192.0.2.0/24";'
    )


async def test_received_spf_fail_ipv6_quoted(resolver: StaticResolver) -> None:
    check = await evaluate_spf(
        "2001:db9::1", "alice@example.org", "relay.example.net", resolver, receiver=RECEIVER
    )
    value = received_spf_value(check, receiver=RECEIVER)
    assert value.startswith(
        "fail (mx.receiver.test: domain of alice@example.org does not designate 2001:db9::1 "
        "as permitted sender)"
    )
    assert 'client-ip="2001:db9::1";' in value
    assert value.endswith("identity=mailfrom; mechanism=-all;")


async def test_received_spf_errors_and_defaults(resolver: StaticResolver) -> None:
    neutral = await evaluate_spf(
        "192.0.2.1", "x@voids.example", "relay.example.net", resolver, receiver=RECEIVER
    )
    assert received_spf_value(neutral, receiver=RECEIVER).endswith("mechanism=?all;")
    temperror = await evaluate_spf(
        "192.0.2.1", "x@broken.example", "relay.example.net", resolver, receiver=RECEIVER
    )
    value = received_spf_value(temperror, receiver=RECEIVER)
    assert value.startswith("temperror (")
    assert "problem=" in value
    assert "mechanism=" not in value
    null = await evaluate_spf("192.0.2.1", "", "softfail.example", resolver, receiver=RECEIVER)
    value = received_spf_value(null, receiver=RECEIVER)
    assert value.startswith("softfail (mx.receiver.test: domain of transitioning postmaster@")
    assert "envelope-from" not in value
    assert value.endswith("helo=softfail.example; identity=helo; mechanism=~all;")


async def test_received_spf_network_text_cannot_break_the_field(
    resolver: StaticResolver,
) -> None:
    check = await evaluate_spf(
        "192.0.2.1",
        '"we\\"ird (x)"@example.org',
        'evil"\r\nX-Injected: 1 (oops)',
        resolver,
        receiver=RECEIVER,
    )
    value = received_spf_value(check, receiver=RECEIVER)
    assert "\r" not in value
    assert "\n" not in value
    # The comment escapes parentheses; values are quoted-strings with quoted-pairs.
    assert "\\(x\\)" in value
    assert 'helo="evil\\"X-Injected: 1 (oops)";' in value
    field = header_lines([("Received-SPF", value)])
    assert field.count(b"\r\n") >= 2  # folded at 78 columns
    assert unfold(field.removesuffix(b"\r\n")) == b"Received-SPF: " + value.encode()
