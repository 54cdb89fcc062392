"""DMARC (RFC 7489) over the project's StaticResolver: records, discovery, alignment, policy."""

from __future__ import annotations

import random

import pytest

from courriel.dns import StaticResolver
from courriel.mailauth.dmarc import (
    DmarcRecord,
    InvalidRecord,
    PolicyLookup,
    aligned,
    author_domains,
    discover_policy,
    evaluate_dmarc,
    is_dmarc_record,
    organizational_domain,
    override_for_arc,
    parse_record,
)
from courriel.mailauth.results import MethodResult

ZONES: dict[str, dict[str, list[str]]] = {
    # RFC 7489 Appendix B.2.1-style publications.
    "_dmarc.example.com": {"TXT": ["v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com"]},
    "_dmarc.none.example": {"TXT": ["v=DMARC1; p=none"]},
    "_dmarc.strict.example": {"TXT": ["v=DMARC1; p=reject; adkim=s; aspf=s"]},
    "_dmarc.half.example": {"TXT": ["v=DMARC1; p=reject; pct=50"]},
    "_dmarc.never.example": {"TXT": ["v=DMARC1; p=quarantine; pct=0"]},
    "_dmarc.example.co.uk": {"TXT": ["v=DMARC1; p=reject"]},
    # A subdomain with its own record: its p= applies to it, whatever the parent says.
    "_dmarc.own.example.com": {"TXT": ["v=DMARC1; p=none; sp=reject"]},
    # Not DMARC records: ignored (RFC 7489 §6.6.3 step 2).
    "_dmarc.spfonly.example": {"TXT": ["v=spf1 -all", "something else"]},
    "_dmarc.two.example": {"TXT": ["v=DMARC1; p=reject", "v=DMARC1; p=none"]},
    "_dmarc.broken.example": {"TXT": ["v=DMARC1; p=bogus"]},
    "_dmarc.tempfail.example": {"TEMPFAIL": []},
}

FROM_EXAMPLE = b"From: Alice <alice@example.com>\r\nSubject: hi\r\n\r\nbody\r\n"


@pytest.fixture
def resolver() -> StaticResolver:
    return StaticResolver(ZONES)


def message_from(*from_values: str) -> bytes:
    fields = b"".join(b"From: " + value.encode() + b"\r\n" for value in from_values)
    return fields + b"To: bob@receiver.test\r\nSubject: test\r\n\r\nHello\r\n"


def spf(result: str, mail_from: str) -> MethodResult:
    return MethodResult("spf", result, None, (("smtp.mailfrom", mail_from),))


def dkim(result: str, domain: str) -> MethodResult:
    return MethodResult("dkim", result, None, (("header.d", domain), ("header.s", "sel")))


NO_SPF = MethodResult("spf", "none", None, (("smtp.mailfrom", "bounce@unrelated.example"),))
NO_DKIM = (MethodResult("dkim", "none", "message not signed"),)


def never_sampled() -> float:
    raise AssertionError("pct= sampling must not happen here")


# -- organisational domain (RFC 7489 §3.2) -----------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "organizational"),
    [
        ("mail.example.co.uk", "example.co.uk"),
        ("example.co.uk", "example.co.uk"),
        ("a.b.c.example.com", "example.com"),
        ("Example.COM.", "example.com"),
        ("co.uk", "co.uk"),  # a public suffix is its own organisational domain
        ("com", "com"),
        ("mail.example.test", "example.test"),  # unlisted TLD: the "*" rule
        ("xn--bcher-kva.example.de", "example.de"),
    ],
)
def test_organizational_domain_from_the_public_suffix_list(
    domain: str, organizational: str
) -> None:
    assert organizational_domain(domain) == organizational


@pytest.mark.parametrize(
    ("identifier", "author", "mode", "expected"),
    [
        ("example.com", "example.com", "s", True),
        ("mail.example.com", "example.com", "s", False),
        ("mail.example.com", "example.com", "r", True),
        ("example.com", "news.example.com", "r", True),
        ("a.example.com", "b.example.com", "r", True),
        ("example.org", "example.com", "r", False),
        ("other.co.uk", "example.co.uk", "r", False),  # the suffix is not the organisation
        ("MAIL.Example.COM.", "example.com", "r", True),
    ],
)
def test_identifier_alignment(identifier: str, author: str, mode: str, expected: bool) -> None:
    assert aligned(identifier, author, mode) is expected  # type: ignore[arg-type]


# -- records (RFC 7489 §6.3, §6.4) -------------------------------------------------------------


def test_rfc_7489_example_records() -> None:
    # RFC 7489 Appendix B.2: monitoring, then quarantine of 25 %, then reject.
    assert parse_record("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com") == (
        DmarcRecord("none")
    )
    assert parse_record(
        "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com; "
        "ruf=mailto:auth-reports@thirdparty.example.net; pct=25"
    ) == DmarcRecord("quarantine", percent=25)
    assert parse_record("v=DMARC1; p=reject; sp=none; adkim=s; aspf=s; fo=1") == DmarcRecord(
        "reject", "none", 100, "s", "s"
    )


def test_record_tolerance() -> None:
    # Unknown tags are ignored; bad optional values fall back to defaults (RFC 7489 §6.3).
    assert parse_record("v=DMARC1;p=Reject;foo=bar;pct=250;adkim=x;aspf") == DmarcRecord("reject")
    assert parse_record("v = DMARC1 ; p = quarantine ; pct = 7 ;") == DmarcRecord(
        "quarantine", percent=7
    )
    assert parse_record("v=DMARC1; sp=none; p=reject") == DmarcRecord("reject", "none")
    assert parse_record("v=DMARC1; p=reject; p=none") == DmarcRecord("reject")  # first wins


def test_version_must_come_first_and_is_case_sensitive() -> None:
    assert is_dmarc_record("v=DMARC1; p=none")
    assert is_dmarc_record("v=DMARC1")
    assert not is_dmarc_record("v=dmarc1; p=none")  # RFC 7489 §6.4: %x44 %x4d ... exactly
    assert not is_dmarc_record("p=none; v=DMARC1")
    assert not is_dmarc_record("v=DMARC10; p=none")
    with pytest.raises(InvalidRecord):
        parse_record("v=spf1 -all")


def test_invalid_policy_is_none_with_a_report_address_else_unusable() -> None:
    # RFC 7489 §6.6.3 step 6.
    repaired = parse_record("v=DMARC1; p=bogus; rua=mailto:reports@example.com")
    assert repaired.policy == "none"
    assert repaired.note is not None and "p=none" in repaired.note
    assert parse_record("v=DMARC1; rua=mailto:r@example.com").policy == "none"
    assert parse_record("v=DMARC1; p=reject; sp=maybe; rua=mailto:r@example.com").policy == "none"
    for text in ("v=DMARC1", "v=DMARC1; p=bogus", "v=DMARC1; p=reject; sp=maybe"):
        with pytest.raises(InvalidRecord):
            parse_record(text)
    with pytest.raises(InvalidRecord):
        parse_record("v=DMARC1; p=bogus; rua=not a uri")


# -- policy discovery (RFC 7489 §6.6.3) --------------------------------------------------------


async def test_discovery_at_the_author_domain_first(resolver: StaticResolver) -> None:
    lookup = await discover_policy("own.example.com", resolver)
    assert lookup == PolicyLookup(DmarcRecord("none", "reject"), "own.example.com")
    assert resolver.queries == [("TXT", "_dmarc.own.example.com")]


async def test_discovery_falls_back_to_the_organizational_domain(
    resolver: StaticResolver,
) -> None:
    lookup = await discover_policy("mail.example.co.uk", resolver)
    assert lookup == PolicyLookup(DmarcRecord("reject"), "example.co.uk")
    assert resolver.queries == [
        ("TXT", "_dmarc.mail.example.co.uk"),
        ("TXT", "_dmarc.example.co.uk"),  # not _dmarc.co.uk
    ]


async def test_discovery_outcomes(resolver: StaticResolver) -> None:
    assert await discover_policy("nothing.example", resolver) == PolicyLookup()
    assert await discover_policy("spfonly.example", resolver) == PolicyLookup()
    two = await discover_policy("two.example", resolver)
    assert two.record is None and two.problem is not None and not two.temporary
    broken = await discover_policy("broken.example", resolver)
    assert broken.record is None and "unusable" in (broken.problem or "")
    failed = await discover_policy("tempfail.example", resolver)
    assert failed.temporary and failed.record is None
    resolver.queries.clear()
    assert await discover_policy("example.com", resolver) == PolicyLookup(
        DmarcRecord("reject", "quarantine"), "example.com"
    )
    assert resolver.queries == [("TXT", "_dmarc.example.com")]  # asked once, not twice


# -- the author domain (RFC 7489 §6.6.1) -------------------------------------------------------


def test_author_domains() -> None:
    assert author_domains(FROM_EXAMPLE).domains == ("example.com",)
    assert author_domains(message_from('"Bob, Jr." <bob@Mail.Example.COM.>')).domains == (
        "mail.example.com",
    )
    assert author_domains(message_from("=?utf-8?q?B=C3=BCcher?= <a@bücher.example>")).domains == (
        "xn--bcher-kva.example",
    )
    two = author_domains(message_from("a@one.example, b@two.example, c@one.example"))
    assert two.domains == ("one.example", "two.example")
    assert two.fields == 1
    repeated = author_domains(message_from("a@one.example", "b@two.example"))
    assert repeated.domains == ("one.example", "two.example")
    assert repeated.fields == 2
    assert author_domains(b"Subject: no author\r\n\r\nbody\r\n").problem == "no From field"
    assert author_domains(message_from("undisclosed-recipients:;")).problem is not None
    assert author_domains(message_from("alice")).problem is not None
    folded = b"From: Alice\r\n <alice@example.com>\r\n\r\nbody\r\n"
    assert author_domains(folded).domains == ("example.com",)


# -- evaluation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "spf_result", "dkim_results", "expected"),
    [
        # relaxed: SPF of a subdomain of the organisational domain aligns
        ("example.com", spf("pass", "bounce@mail.example.com"), NO_DKIM, "pass"),
        ("strict.example", spf("pass", "bounce@mail.strict.example"), NO_DKIM, "fail"),
        ("strict.example", spf("pass", "bounce@strict.example"), NO_DKIM, "pass"),
        # DKIM alone is enough, relaxed or strict when the d= is exact
        ("example.com", NO_SPF, (dkim("pass", "example.com"),), "pass"),
        ("example.com", NO_SPF, (dkim("pass", "news.example.com"),), "pass"),
        ("strict.example", NO_SPF, (dkim("pass", "news.strict.example"),), "fail"),
        ("strict.example", NO_SPF, (dkim("pass", "strict.example"),), "pass"),
        # a passing but unaligned identifier does not count
        ("example.com", spf("pass", "bounce@esp.example"), (dkim("pass", "esp.example"),), "fail"),
        # a failing aligned one does not either; another aligned pass does
        ("example.com", spf("fail", "a@example.com"), (dkim("fail", "example.com"),), "fail"),
        (
            "example.com",
            spf("fail", "a@example.com"),
            (dkim("fail", "esp.example"), dkim("pass", "example.com")),
            "pass",
        ),
        ("example.com", spf("softfail", "a@example.com"), NO_DKIM, "fail"),
        # no policy published: none, whatever SPF and DKIM say
        ("nothing.example", spf("pass", "a@nothing.example"), NO_DKIM, "none"),
        ("nothing.example", NO_SPF, NO_DKIM, "none"),
    ],
)
async def test_alignment_matrix(
    resolver: StaticResolver,
    domain: str,
    spf_result: MethodResult,
    dkim_results: tuple[MethodResult, ...],
    expected: str,
) -> None:
    verdict = await evaluate_dmarc(
        message_from(f"someone@{domain}"), spf_result, dkim_results, resolver, sample=never_sampled
    )
    assert verdict.result.method == "dmarc"
    assert verdict.result.result == expected
    assert verdict.result.properties == (("header.from", domain),)
    if expected != "fail":
        assert verdict.decision.disposition == "none"


async def test_failure_applies_p_to_the_domain_and_sp_to_subdomains(
    resolver: StaticResolver,
) -> None:
    top = await evaluate_dmarc(FROM_EXAMPLE, NO_SPF, NO_DKIM, resolver, sample=never_sampled)
    assert top.result.result == "fail"
    assert top.decision.disposition == "reject"
    assert top.decision.requested == "reject"
    assert top.decision.domain == "example.com"
    assert "p=reject sp=quarantine" in (top.result.reason or "")

    sub = await evaluate_dmarc(
        message_from("x@deep.sub.example.com"), NO_SPF, NO_DKIM, resolver, sample=never_sampled
    )
    assert sub.decision.disposition == "quarantine"  # sp= of example.com
    assert sub.result.properties == (("header.from", "deep.sub.example.com"),)

    # A subdomain with its own record: its p= (none), not its sp= (§6.3).
    own = await evaluate_dmarc(
        message_from("x@own.example.com"), NO_SPF, NO_DKIM, resolver, sample=never_sampled
    )
    assert (own.result.result, own.decision.disposition) == ("fail", "none")


async def test_pct_samples_with_the_injected_random_source(resolver: StaticResolver) -> None:
    message = message_from("x@half.example")
    low = await evaluate_dmarc(message, NO_SPF, NO_DKIM, resolver, sample=lambda: 0.49)
    high = await evaluate_dmarc(message, NO_SPF, NO_DKIM, resolver, sample=lambda: 0.5)
    assert low.decision.disposition == "reject"
    # RFC 7489 §6.6.4: not selected → the next lower policy, quarantine (not none).
    assert high.decision.disposition == "quarantine"
    assert high.result.result == "fail"
    assert "pct=50" in (high.result.reason or "")

    seeded = random.Random(7489)
    dispositions = [
        (
            await evaluate_dmarc(message, NO_SPF, NO_DKIM, resolver, sample=seeded.random)
        ).decision.disposition
        for _ in range(400)
    ]
    assert set(dispositions) == {"reject", "quarantine"}
    assert 150 < dispositions.count("reject") < 250

    never = await evaluate_dmarc(
        message_from("x@never.example"), NO_SPF, NO_DKIM, resolver, sample=lambda: 0.0
    )
    assert never.decision.disposition == "none"  # pct=0: quarantine never applies


async def test_missing_and_unusable_from(resolver: StaticResolver) -> None:
    for message in (
        b"Subject: no From\r\n\r\nbody\r\n",
        message_from("undisclosed-recipients:;"),
    ):
        verdict = await evaluate_dmarc(message, NO_SPF, NO_DKIM, resolver)
        assert verdict.result.result == "permerror"
        assert verdict.result.properties == ()
        assert verdict.decision.disposition == "none"
    literal = await evaluate_dmarc(message_from("a@[192.0.2.1]"), NO_SPF, NO_DKIM, resolver)
    assert literal.result.result == "permerror"
    assert resolver.queries == []  # nothing looked up for them


async def test_several_from_domains_cannot_hide_a_failing_one(resolver: StaticResolver) -> None:
    # RFC 7489 §6.6.1: each domain is evaluated and the strictest failing policy applies;
    # the same for a repeated From field, whichever one a reader's program shows.
    aligned_pass = spf("pass", "bounce@none.example")
    for message in (
        message_from("a@none.example", "b@example.com"),
        message_from("b@example.com", "a@none.example"),
        message_from("a@none.example, b@example.com"),
    ):
        verdict = await evaluate_dmarc(message, aligned_pass, NO_DKIM, resolver)
        assert verdict.result.result == "fail"
        assert verdict.result.properties == (("header.from", "example.com"),)
        assert verdict.decision.disposition == "reject"
        assert "2 From domains" in (verdict.result.reason or "")
    twice = await evaluate_dmarc(
        message_from("a@example.com", "b@example.com"), NO_SPF, NO_DKIM, resolver
    )
    assert twice.result.result == "fail"
    assert "1 From domains in 2 From field(s)" in (twice.result.reason or "")
    both_pass = await evaluate_dmarc(
        message_from("a@example.com", "b@mail.example.com"),
        spf("pass", "bounce@example.com"),
        NO_DKIM,
        resolver,
    )
    assert both_pass.result.result == "pass"
    # More domains than MAX_AUTHOR_DOMAINS: not looked up at all (no DNS amplification),
    # and not let through as if unauthenticated mail were fine.
    resolver.queries.clear()
    crowd = message_from(", ".join(f"u@d{number}.example" for number in range(11)))
    too_many = await evaluate_dmarc(crowd, NO_SPF, NO_DKIM, resolver)
    assert too_many.result.result == "permerror"
    assert too_many.decision.disposition == "quarantine"
    assert resolver.queries == []


async def test_temporary_errors_never_apply_the_policy(resolver: StaticResolver) -> None:
    # RFC 7489 §6.6.2: an aligned identifier that failed temporarily → temperror.
    spf_temp = spf("temperror", "a@example.com")
    verdict = await evaluate_dmarc(FROM_EXAMPLE, spf_temp, NO_DKIM, resolver, sample=never_sampled)
    assert (verdict.result.result, verdict.decision.disposition) == ("temperror", "none")
    dkim_temp = (dkim("temperror", "example.com"),)
    verdict = await evaluate_dmarc(FROM_EXAMPLE, NO_SPF, dkim_temp, resolver, sample=never_sampled)
    assert verdict.result.result == "temperror"
    # An unaligned temporary failure could not have passed DMARC: the policy applies.
    unaligned = await evaluate_dmarc(
        FROM_EXAMPLE, spf("temperror", "a@esp.example"), NO_DKIM, resolver, sample=never_sampled
    )
    assert (unaligned.result.result, unaligned.decision.disposition) == ("fail", "reject")
    # The policy lookup itself failing: temperror too.
    lookup = await evaluate_dmarc(message_from("a@tempfail.example"), NO_SPF, NO_DKIM, resolver)
    assert (lookup.result.result, lookup.decision.disposition) == ("temperror", "none")
    assert lookup.result.properties == (("header.from", "tempfail.example"),)


async def test_broken_publications_are_permerror(resolver: StaticResolver) -> None:
    for domain in ("two.example", "broken.example"):
        verdict = await evaluate_dmarc(message_from(f"a@{domain}"), NO_SPF, NO_DKIM, resolver)
        assert (verdict.result.result, verdict.decision.disposition) == ("permerror", "none")


async def test_null_sender_uses_the_helo_identity(resolver: StaticResolver) -> None:
    # RFC 7208 §2.4: MAIL FROM:<> is checked as postmaster@<HELO>, reported as smtp.helo.
    helo_pass = MethodResult("spf", "pass", None, (("smtp.helo", "mx.example.com"),))
    verdict = await evaluate_dmarc(FROM_EXAMPLE, helo_pass, NO_DKIM, resolver)
    assert verdict.result.result == "pass"


# -- the ARC override (RFC 8617 §7.2.1) --------------------------------------------------------


async def test_trusted_arc_sealer_overrides_a_failure(resolver: StaticResolver) -> None:
    failed = await evaluate_dmarc(FROM_EXAMPLE, NO_SPF, NO_DKIM, resolver, sample=never_sampled)
    arc_pass = MethodResult("arc", "pass", None, (("header.oldest-pass", "0"),))
    trusted = ("Lists.Example.org",)

    overridden = override_for_arc(failed, arc_pass, "lists.example.org", trusted)
    assert overridden.result.result == "fail"  # the result stays: only the handling changes
    assert overridden.decision.disposition == "none"
    assert overridden.decision.requested == "reject"
    assert overridden.decision.override == "arc=pass sealed by trusted lists.example.org"
    assert "RFC 8617 §7.2.1" in (overridden.result.reason or "")

    assert override_for_arc(failed, arc_pass, "evil.example", trusted) == failed
    assert override_for_arc(failed, arc_pass, None, trusted) == failed
    assert override_for_arc(failed, arc_pass, "lists.example.org", ()) == failed
    arc_fail = MethodResult("arc", "fail", "signature mismatch")
    assert override_for_arc(failed, arc_fail, "lists.example.org", trusted) == failed
    passed = await evaluate_dmarc(
        FROM_EXAMPLE, spf("pass", "a@example.com"), NO_DKIM, resolver, sample=never_sampled
    )
    assert override_for_arc(passed, arc_pass, "lists.example.org", trusted) == passed
