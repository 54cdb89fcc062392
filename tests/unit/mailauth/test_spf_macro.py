"""SPF macro strings (RFC 7208 §7): grammar, expansion, truncation, name checks."""

from __future__ import annotations

import ipaddress

import pytest

from courriel.mailauth.spf_macro import (
    MacroSyntaxError,
    MacroValues,
    expand,
    fit_domain_name,
    name_problem,
    parse_domain_spec,
    parse_macro_string,
)

# RFC 7208 §7.4: the examples' sender and addresses.
IPV4 = MacroValues(
    sender="strong-bad@email.example.com",
    domain="email.example.com",
    ip=ipaddress.ip_address("192.0.2.3"),
    helo="mx.example.org",
    receiver="mx.receiver.example",
    validated_name="mx.example.org",
    timestamp=1_700_000_000,
)
IPV6 = MacroValues(
    sender="strong-bad@email.example.com",
    domain="email.example.com",
    ip=ipaddress.ip_address("2001:db8::cb01"),
    helo="mx.example.org",
)


def expanded(text: str, values: MacroValues = IPV4, *, explanation: bool = False) -> str:
    return expand(parse_macro_string(text, explanation=explanation), values)


@pytest.mark.parametrize(
    ("macro", "expected"),
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ],
)
def test_rfc7208_section_7_4_examples(macro: str, expected: str) -> None:
    assert expanded(macro) == expected


def test_ipv6_i_macro_is_dotted_nibbles() -> None:
    # RFC 7208 §7.4: "%{ir}.%{v}._spf.%{d2}" for 2001:db8::cb01.
    assert expanded("%{ir}.%{v}._spf.%{d2}", IPV6) == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )
    assert expanded("%{c}", IPV6, explanation=True) == "2001:db8::cb01"


def test_letters_h_p_and_explanation_only_letters() -> None:
    assert expanded("%{h}") == "mx.example.org"
    assert expanded("%{p}") == "mx.example.org"
    assert expanded("%{p}", IPV6) == "unknown"  # RFC 7208 §7.3: no validated name
    assert (
        expanded("%{c} %{r} %{t}", explanation=True) == "192.0.2.3 mx.receiver.example 1700000000"
    )


def test_missing_local_part_is_postmaster_in_values() -> None:
    values = MacroValues(
        sender="postmaster@example.org",
        domain="example.org",
        ip=ipaddress.ip_address("192.0.2.1"),
        helo="h.example",
    )
    assert expanded("%{l}|%{o}", values) == "postmaster|example.org"


def test_escapes_and_delimiters() -> None:
    # RFC 7208 §7.1: "%%" is "%", "%_" a space, "%-" a URL-encoded space.
    assert expanded("a%%b%_c%-d") == "a%b c%20d"
    values = MacroValues(
        sender="foo-bar+zip+quux@example.com",
        domain="example.com",
        ip=ipaddress.ip_address("192.0.2.1"),
        helo="h.example",
    )
    # Several delimiters split at any of them; parts are joined with "." (RFC 7208 §7.3).
    assert expanded("%{l+-}", values) == "foo.bar.zip.quux"
    assert expanded("%{l2r+-}", values) == "bar.foo"
    assert expanded("%{l100}", values) == "foo-bar+zip+quux"


def test_upper_case_macros_are_url_escaped() -> None:
    values = MacroValues(
        sender="~jack&jill=up-a_b3.c@example.com",
        domain="example.com",
        ip=ipaddress.ip_address("192.0.2.1"),
        helo="JUMPIN' JUPITER",
    )
    # RFC 7208 §7.3: all characters outside RFC 3986 "unreserved" are escaped.
    assert expanded("%{L}", values) == "~jack%26jill%3Dup-a_b3.c"
    assert expanded("%{H}", values) == "JUMPIN%27%20JUPITER"
    assert expanded("%{l}", values) == "~jack&jill=up-a_b3.c"


@pytest.mark.parametrize(
    "text",
    [
        "%",  # a lone percent
        "%x",  # not followed by {, %, _ or -
        "%(ir).example.com",
        "foo%.example.com",
        "%{d",  # unterminated
        "%{d0}",  # RFC 7208 §7.3: a digit transformer must be nonzero
        "%{a}",  # not a macro letter
        "%{c}",  # c, r, t only in explanations (RFC 7208 §7.2)
        "%{r}.example.com",
        "%{t}",
        "%{d2x}",  # not a delimiter
        "a b",  # spaces only in explanations
        "caf\u00e9",  # 7-bit only
        "tab\there",
    ],
)
def test_invalid_macro_strings(text: str) -> None:
    with pytest.raises(MacroSyntaxError):
        parse_macro_string(text)


def test_explanation_allows_spaces_and_crt() -> None:
    parse_macro_string("See %{c} at %{r}, %{t}.", explanation=True)
    with pytest.raises(MacroSyntaxError):
        parse_macro_string("caf\u00e9 %{c}", explanation=True)


@pytest.mark.parametrize(
    "spec",
    [
        "example.com",
        "example.com.",
        "_spf.example.com",
        "%{d}",
        "%{ir}.%{v}._spf.%{d2}",
        "foo:bar/baz.example.com",  # any visible character but "%" (RFC 7208 §7.1)
        "foo.example.xn--zckzah",
        "a.1-2",  # toplabel alternative with a hyphen may be all digits
        "macro%%percent%_space.example.com",
        "x%-",  # ends with a macro-expand
    ],
)
def test_valid_domain_specs(spec: str) -> None:
    parse_domain_spec(spec)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "museum",  # only a toplabel
        "museum.",
        "foo-bar",
        "111.222.33.44",  # all-numeric toplabel
        "abc.123",
        "example.-com",
        "example.com-",
        "example.com:8080",
        "example.com/24",
        "%{d}com",
        "x.%-a",  # the domain-end must follow the last macro-expand directly
    ],
)
def test_invalid_domain_specs(spec: str) -> None:
    with pytest.raises(MacroSyntaxError):
        parse_domain_spec(spec)


def test_uses_reports_letters() -> None:
    spec = parse_domain_spec("%{p}.%{d2}.example.com")
    assert spec.uses("p")
    assert spec.uses("d")
    assert not spec.uses("i")


def test_fit_domain_name_truncates_on_the_left() -> None:
    # RFC 7208 §7.3: labels are removed from the left until at most 253 characters remain.
    label = "a" * 60
    name = ".".join([label] * 5) + ".example.com"  # 305 + 12 characters
    fitted = fit_domain_name(name)
    assert len(fitted) <= 253
    assert fitted == ".".join([label] * 3) + ".example.com"
    assert fit_domain_name("example.com.") == "example.com"
    assert fit_domain_name("example.com") == "example.com"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("example.com", None),
        ("example.com.", None),
        ("a" * 63 + ".example.com", None),
        ("a" * 64 + ".example.com", "label longer than 63"),
        ("mail.example...com", "empty label"),
        (".example.com", "empty label"),
        ("museum", "not a multi-label"),
        ("", "empty"),
        (("a" * 50 + ".") * 5 + "com", "longer than 253"),
    ],
)
def test_name_problem(name: str, problem: str | None) -> None:
    found = name_problem(name)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found
