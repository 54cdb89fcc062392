"""RFC 5321 §4.1.2 paths and mailboxes, §4.1.3 address literals, §4.5.3.1 limits, RFC 6531
§3.3 UTF-8 addresses, and the relay-hazard facts."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.smtp.protocol.addresses import (
    Address,
    Path,
    RelayHazard,
    parse_ehlo_domain,
    parse_mailbox,
    parse_path,
    scan_path,
)
from courriel.smtp.protocol.errors import (
    AddressSyntaxError,
    NonAsciiAddressError,
    SmtpSyntaxError,
)

GOOD_PATHS: list[tuple[str, Path]] = [
    ("<user@example.org>", Path(Address("user", "example.org"))),
    ("<first.last+tag@sub.example.org>", Path(Address("first.last+tag", "sub.example.org"))),
    ("<!#$%&'*+/=?^_`{|}~-@example.org>", Path(Address("!#$%&'*+/=?^_`{|}~-", "example.org"))),
    ('<"john smith"@example.org>', Path(Address("john smith", "example.org", quoted=True))),
    ('<"a@b"@example.org>', Path(Address("a@b", "example.org", quoted=True))),
    ('<"a\\"b\\\\c"@example.org>', Path(Address('a"b\\c', "example.org", quoted=True))),
    ('<""@example.org>', Path(Address("", "example.org", quoted=True))),
    ('<"a>b"@example.org>', Path(Address("a>b", "example.org", quoted=True))),
    ("<user@[192.0.2.1]>", Path(Address("user", "[192.0.2.1]"))),
    ("<user@[IPv6:2001:db8::1]>", Path(Address("user", "[IPv6:2001:db8::1]"))),
    ("<user@[ipv6:2001:DB8:0:0:0:0:0:1]>", Path(Address("user", "[ipv6:2001:DB8:0:0:0:0:0:1]"))),
    ("<user@[IPv6:::ffff:192.0.2.1]>", Path(Address("user", "[IPv6:::ffff:192.0.2.1]"))),
    ("<user@localhost>", Path(Address("user", "localhost"))),
    ("<user@xn--exmple-cua.org>", Path(Address("user", "xn--exmple-cua.org"))),
    ("<user@123.example>", Path(Address("user", "123.example"))),
    # RFC 5321 §4.1.2 A-d-l and Appendix C: accepted, route dropped
    ("<@a.example:user@c.example>", Path(Address("user", "c.example"), ("a.example",))),
    (
        "<@a.example,@b.example:user@c.example>",
        Path(Address("user", "c.example"), ("a.example", "b.example")),
    ),
]


@pytest.mark.parametrize(("text", "expected"), GOOD_PATHS, ids=[text for text, _ in GOOD_PATHS])
def test_good_paths(text: str, expected: Path) -> None:
    assert parse_path(text, smtputf8=False) == expected


BAD_PATHS: list[tuple[str, str]] = [
    ("user@example.org", "the address must be enclosed in <>"),
    ("<user@example.org", "expected > after the address"),
    ("<user>", "expected @domain after the local part"),
    ("<@example.org>", "invalid source route"),
    ("<user@>", "a domain name is missing"),
    ("<.user@example.org>", "invalid local part"),
    ("<user.@example.org>", "expected @domain after the local part"),
    ("<us..er@example.org>", "expected @domain after the local part"),
    ("<us er@example.org>", "expected @domain after the local part"),
    ('<"unterminated@example.org>', "invalid quoted local part"),
    ('<"a"b@example.org>', "expected @domain after the local part"),
    ('<"tab\there"@example.org>', "invalid quoted local part"),
    ("<user@example..org>", "invalid domain name 'example..org'"),
    ("<user@example.org.>", "invalid domain name 'example.org.'"),
    ("<user@-example.org>", "invalid domain name '-example.org'"),
    ("<user@example-.org>", "invalid domain name 'example-.org'"),
    ("<user@exa_mple.org>", "invalid domain name 'exa_mple.org'"),
    ("<user@[192.0.2.256]>", "invalid address literal"),
    ("<user@[192.0.2]>", "invalid address literal"),
    ("<user@[1920.0.2.1]>", "invalid address literal"),
    ("<user@[IPv6:2001:db8::g]>", "invalid address literal"),
    ("<user@[IPv6:fe80::1%eth0]>", "invalid address literal"),  # no zone ids
    ("<user@[IPv6:192.0.2.1]>", "invalid address literal"),
    ("<user@[foo:bar]>", "invalid address literal"),  # unregistered tag
    ("<user@[192.0.2.1>", "invalid address literal"),
    ("<@a.example user@c.example>", "invalid source route"),
    ("<@a.example,b.example:user@c.example>", "invalid source route"),
    ("<@:user@c.example>", "a domain name is missing"),
    ("<>", "the null path <> is not allowed here"),
    ("<user@example.org>x", "unexpected text after the address"),
    (f"<{'a' * 65}@example.org>", "the local part is longer than 64 octets"),
    (f"<user@{'a' * 64}.example>", "a domain label is longer than 63 octets"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_PATHS, ids=[text[:40] for text, _ in BAD_PATHS])
def test_bad_paths(text: str, reason: str) -> None:
    with pytest.raises(AddressSyntaxError) as raised:
        parse_path(text, smtputf8=True)
    assert raised.value.reason == reason
    assert (raised.value.reply.code, raised.value.reply.enhanced) == (501, "5.5.4")


def test_length_limits() -> None:
    # RFC 5321 §4.5.3.1.1: 64 octets of local part is fine.
    assert parse_path(f"<{'a' * 64}@example.org>", smtputf8=False).mailbox == Address(
        "a" * 64, "example.org"
    )
    # The quotes count: the limit is on the local part as sent.
    with pytest.raises(AddressSyntaxError):
        parse_path(f'<"{"a" * 63}"@example.org>', smtputf8=False)
    # UTF-8 counts octets, not characters: 32 × "é" is 64 octets, 33 is 66.
    assert parse_path(f"<{'é' * 32}@example.org>", smtputf8=True).mailbox is not None
    with pytest.raises(AddressSyntaxError):
        parse_path(f"<{'é' * 33}@example.org>", smtputf8=True)
    # RFC 5321 §4.5.3.1.3: the path, brackets included, is at most 256 octets.
    domain = ".".join(["d" * 63] * 2 + ["e" * 60])  # 188 octets
    fits = f"<{'a' * 64}@{domain}>"
    assert len(fits) == 255
    assert parse_path(fits, smtputf8=False).mailbox == Address("a" * 64, domain)
    with pytest.raises(AddressSyntaxError) as raised:
        parse_path(f"<{'a' * 64}@{domain}xy>", smtputf8=False)
    assert raised.value.reason == "the path is longer than 256 octets"
    # RFC 5321 §4.5.3.1.2: a domain is at most 255 octets.
    with pytest.raises(AddressSyntaxError) as raised:
        parse_path(f"<@{'.'.join(['d' * 63] * 4)}.d:a@b.example>", smtputf8=False)
    assert raised.value.reason == "the domain is longer than 255 octets"


# --- SMTPUTF8 (RFC 6531 §3.3)


def test_utf8_local_part_and_u_label_with_smtputf8() -> None:
    path = parse_path("<δοκιμή@παράδειγμα.δοκιμή>", smtputf8=True)
    assert path.mailbox == Address("δοκιμή", "παράδειγμα.δοκιμή")
    assert path.mailbox.needs_smtputf8
    assert path.mailbox.normalized() == Address("δοκιμή", "xn--hxajbheg2az3al.xn--jxalpdlp")


@pytest.mark.parametrize(
    "text",
    [
        "<jöe@example.org>",
        "<joe@exämple.org>",
        '<"jö e"@example.org>',
        "<@exämple.org:joe@a.example>",
    ],
)
def test_utf8_without_smtputf8_is_refused(text: str) -> None:
    with pytest.raises(NonAsciiAddressError) as raised:
        parse_path(text, smtputf8=False)
    assert raised.value.reason == "a non-ASCII address requires SMTPUTF8"
    assert isinstance(raised.value, SmtpSyntaxError)


def test_invalid_u_labels() -> None:
    # U+3002 IDEOGRAPHIC FULL STOP is a label separator to IDNA: never inside a label.
    with pytest.raises(AddressSyntaxError):
        parse_path("<a@exa\u3002mple.org>", smtputf8=True)
    # C1 controls are no letters.
    with pytest.raises(AddressSyntaxError):
        parse_path("<a\u0085b@example.org>", smtputf8=True)


def test_a_label_domain_is_ascii() -> None:
    path = parse_path("<user@xn--exmple-cua.org>", smtputf8=False)
    assert path.mailbox is not None
    assert not path.mailbox.needs_smtputf8


# --- Address values


def test_text_keeps_the_quoting_that_was_sent() -> None:
    assert Address("user", "example.org").text == "user@example.org"
    assert Address("user", "example.org", quoted=True).text == '"user"@example.org'
    assert Address("john smith", "example.org").text == '"john smith"@example.org'
    assert Address('a"b\\c', "example.org", quoted=True).text == '"a\\"b\\\\c"@example.org'
    assert Address("Postmaster", "").text == "Postmaster"
    assert str(Address("a", "[192.0.2.1]")) == "a@[192.0.2.1]"


@pytest.mark.parametrize(
    "text",
    [
        "<user@example.org>",
        '<"john smith"@example.org>',
        '<"a\\"b"@example.org>',
        "<user@[IPv6:2001:db8::1]>",
        "<jöe@exämple.org>",
    ],
)
def test_text_round_trip(text: str) -> None:
    mailbox = parse_path(text, smtputf8=True).mailbox
    assert mailbox is not None
    assert f"<{mailbox.text}>" == text


def test_normalized() -> None:
    assert Address("John.Smith", "Example.ORG").normalized() == Address("john.smith", "example.org")
    assert Address("a", "BÜCHER.example").normalized() == Address("a", "xn--bcher-kva.example")
    assert Address("a", "[IPv6:2001:DB8:0:0:0:0:0:1]").normalized() == Address(
        "a", "[IPv6:2001:db8::1]"
    )
    assert Address("a", "[192.0.2.1]").normalized() == Address("a", "[192.0.2.1]")
    assert Address("Postmaster", "").normalized() == Address("postmaster", "")


def test_address_literal_ip() -> None:
    assert Address("a", "[192.0.2.1]").ip == ipaddress.IPv4Address("192.0.2.1")
    assert Address("a", "[IPv6:2001:db8::1]").ip == ipaddress.IPv6Address("2001:db8::1")
    assert Address("a", "example.org").ip is None
    assert Address("a", "[192.0.2.1]").is_address_literal


# --- relay hazards (RFC 5321 §2.3.11, §3.6)


@pytest.mark.parametrize(
    ("text", "hazards"),
    [
        ("<user@ours.example>", set()),
        ("<user%other.example@ours.example>", {RelayHazard.PERCENT_HACK}),
        ("<other!user@ours.example>", {RelayHazard.BANG_PATH}),
        ('<"user@other.example"@ours.example>', {RelayHazard.QUOTED_AT}),
        ("<@ours.example:user@other.example>", {RelayHazard.SOURCE_ROUTE}),
        (
            '<@ours.example:"a%b!c@d"@other.example>',
            {
                RelayHazard.SOURCE_ROUTE,
                RelayHazard.PERCENT_HACK,
                RelayHazard.BANG_PATH,
                RelayHazard.QUOTED_AT,
            },
        ),
    ],
)
def test_relay_hazards(text: str, hazards: set[RelayHazard]) -> None:
    path = parse_path(text, smtputf8=False)
    assert path.relay_hazards == hazards


def test_percent_hack_domain_is_ours() -> None:
    mailbox = parse_path("<user%other.example@ours.example>", smtputf8=False).mailbox
    assert mailbox == Address("user%other.example", "ours.example")


def test_source_route_routes_to_the_final_domain() -> None:
    path = parse_path("<@ours.example,@relay.example:user@other.example>", smtputf8=False)
    assert path.mailbox is not None
    assert path.mailbox.domain == "other.example"


# --- other entry points


def test_scan_path_returns_the_end() -> None:
    text = "<a@b.example> SIZE=10"
    assert scan_path(text, smtputf8=False, null_allowed=False) == (
        Path(Address("a", "b.example")),
        13,
    )
    assert scan_path("x<>y", 1, smtputf8=False, null_allowed=True) == (Path(None), 3)


def test_parse_mailbox() -> None:
    assert parse_mailbox("a@b.example", smtputf8=False) == Address("a", "b.example")
    with pytest.raises(AddressSyntaxError):
        parse_mailbox("<a@b.example>", smtputf8=False)
    with pytest.raises(AddressSyntaxError):
        parse_mailbox("a@b.example x", smtputf8=False)
    with pytest.raises(NonAsciiAddressError):
        parse_mailbox("ä@b.example", smtputf8=False)


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("mail.example.org", True),
        ("localhost", True),
        ("[192.0.2.1]", True),
        ("[IPv6:2001:db8::1]", True),
        ("MY_PC", True),
        ("mail.example.org.", True),
        ("", False),
        (".", False),
        ("a..b", False),
        ("[300.0.0.1]", False),
        ("[192.0.2.1", False),
        ("exämple.org", False),
        ("a b", False),
    ],
)
def test_ehlo_domain(text: str, valid: bool) -> None:
    if valid:
        assert parse_ehlo_domain(text) == text
    else:
        with pytest.raises(AddressSyntaxError):
            parse_ehlo_domain(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_path_never_raises_anything_else(text: str) -> None:
    try:
        path = parse_path(text, smtputf8=True, null_allowed=True)
    except AddressSyntaxError:
        return
    if path.mailbox is not None:
        assert len(f"<{path.mailbox.text}>".encode()) <= 256
