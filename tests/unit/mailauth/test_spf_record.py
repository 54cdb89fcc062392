"""SPF record selection and grammar (RFC 7208 §4.5, §4.6.1, §5, §6)."""

from __future__ import annotations

import ipaddress

import pytest

from courriel.mailauth.spf_record import SpfSyntaxError, is_spf_record, parse_record


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v=spf1", True),
        ("v=spf1 -all", True),
        ("V=SpF1 ~all", True),  # RFC 5234 §2.3: case-insensitive
        ("v=spf10", False),  # RFC 7208 §4.5: the version ends at a space or the end
        ("v=spf1mx", False),
        ("v=spf1\t-all", False),
        (" v=spf1 -all", False),
        ("spf2.0/pra -all", False),
        ("", False),
    ],
)
def test_record_selection(text: str, expected: bool) -> None:
    assert is_spf_record(text) is expected


def test_directives_in_order_with_qualifiers() -> None:
    record = parse_record(
        "v=spf1 +a -mx ~ptr ?exists:%{i}.x.example.com include:_spf.example.com all"
    )
    assert [(d.qualifier, d.mechanism.kind) for d in record.directives] == [
        ("+", "a"),
        ("-", "mx"),
        ("~", "ptr"),
        ("?", "exists"),
        ("+", "include"),
        ("+", "all"),
    ]
    assert [d.text for d in record.directives][-2:] == ["include:_spf.example.com", "all"]
    assert record.redirect is None
    assert record.explanation is None


def test_names_are_case_insensitive_and_spaces_repeat() -> None:
    record = parse_record("v=spf1  A:Example.COM   IP4:192.0.2.1  -ALL ")
    assert [d.mechanism.kind for d in record.directives] == ["a", "ip4", "all"]


def test_a_and_mx_cidr_lengths() -> None:
    plain, ip4_only, both, ip6_only, named = parse_record(
        "v=spf1 a a/24 mx/24//64 a//96 mx:mail.example.com/28"
    ).directives
    assert (plain.mechanism.cidr4, plain.mechanism.cidr6) == (32, 128)
    assert (ip4_only.mechanism.cidr4, ip4_only.mechanism.cidr6) == (24, 128)
    assert (both.mechanism.cidr4, both.mechanism.cidr6) == (24, 64)
    assert (ip6_only.mechanism.cidr4, ip6_only.mechanism.cidr6) == (32, 96)
    assert named.mechanism.domain_spec is not None
    assert named.mechanism.cidr4 == 28


def test_slash_inside_a_domain_spec_is_not_a_cidr() -> None:
    (directive,) = parse_record("v=spf1 a:foo:bar/baz.example.com").directives
    assert directive.mechanism.domain_spec is not None
    assert directive.mechanism.cidr4 == 32


def test_ip_networks() -> None:
    ip4, ip4_net, ip6, ip6_net, mapped = parse_record(
        "v=spf1 ip4:192.0.2.1 ip4:192.0.2.77/24 ip6:2001:db8::1 ip6:2001:DB8::/32 ip6:::1.1.1.1/0"
    ).directives
    assert ip4.mechanism.network == ipaddress.ip_network("192.0.2.1/32")
    assert ip4_net.mechanism.network == ipaddress.ip_network("192.0.2.0/24")
    assert ip6.mechanism.network == ipaddress.ip_network("2001:db8::1/128")
    assert ip6_net.mechanism.network == ipaddress.ip_network("2001:db8::/32")
    assert mapped.mechanism.network == ipaddress.ip_network("::/0")


def test_modifiers() -> None:
    record = parse_record("v=spf1 -all exp=explain.%{d} redirect=_spf.example.com x-note=%{l}")
    assert record.redirect is not None
    assert record.redirect.uses("d") is False
    assert record.explanation is not None
    assert record.explanation.uses("d")
    # Unknown modifiers are ignored (RFC 7208 §6), names may hold "-", "_" and ".".
    assert parse_record("v=spf1 moo.cow-far_out=man:dog/cat -all").directives[0].text == "-all"
    assert parse_record("v=spf1 default=+").directives == ()


@pytest.mark.parametrize(
    "text",
    [
        "v=spf1 ip4:1.2.3.4 -all moo",  # unknown mechanism, anywhere (RFC 7208 §4.6)
        "v=spf1 moo.cow/far_out=man:dog/cat",  # "=" must follow the name directly
        "v=spf1 moo.cow:far_out=man:dog/cat",
        "v=spf1 redirect:example.com",  # redirect is a modifier
        "v=spf1 1up=foo",  # modifier names start with a letter
        "v=spf1 =all",
        "v=spf1 +foo=bar",  # qualifiers belong to mechanisms
        "v=spf1 -all.",
        "v=spf1 -all:foobar",
        "v=spf1 -all/8",
        "v=spf1 include",  # include and exists need ":" and a domain
        "v=spf1 include:",
        "v=spf1 include:example.com/24",
        "v=spf1 exists",
        "v=spf1 exists:example.com/24",
        "v=spf1 ptr/0",
        "v=spf1 ptr:",
        "v=spf1 a:",
        "v=spf1 a/33",
        "v=spf1 a//129",
        "v=spf1 a/24/64",
        "v=spf1 a/032",  # no leading zeros (RFC 7208 §5.6)
        "v=spf1 a:museum",
        "v=spf1 a:111.222.33.44",
        "v=spf1 ip4",
        "v=spf1 ip4:1.2.3",  # no short forms (RFC 7208 §5.6)
        "v=spf1 ip4:1.2.3.4:8080",
        "v=spf1 ip4:1.2.3.4//32",
        "v=spf1 ip4:1.2.3.4/33",
        "v=spf1 ip4:01.2.3.4",
        "v=spf1 ip4:256.2.3.4",
        "v=spf1 ip6",
        "v=spf1 ip6::CAFE::BABE",
        "v=spf1 ip6:::1/129",
        "v=spf1 ip6:::1//64",
        "v=spf1 ip6:fe80::1%eth0",
        "v=spf1 exp=",
        "v=spf1 exp=-all",
        "v=spf1 exp=a.example.com exp=b.example.com",
        "v=spf1 redirect=a.example.com redirect=b.example.com",
        "v=spf1 redirect=",
        "v=spf1 exp=%{r}.example.com",  # r only in explanation text (RFC 7208 §7.2)
        "v=spf1 foo=%abc",  # unknown modifiers still need valid macro syntax
        "v=spf1 a:ctrl.example.com\rptr -all",  # only spaces separate terms
        "v=spf1 ip4:192.0.2.5\n include:example.com",
        "v=spf1 a:foo.example.com\x00",
        "v=spf1 \x80a:example.net -all",  # 7-bit only (RFC 7208 §3.1)
        "v=spf1 a:\u00efgarbage.example.net",
        "v=spf10 -all",  # not a record at all
    ],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(SpfSyntaxError):
        parse_record(text)


def test_error_messages_stay_ascii() -> None:
    with pytest.raises(SpfSyntaxError) as caught:
        parse_record("v=spf1 a:\u00efgarbage.example.net")
    assert str(caught.value).isascii()
