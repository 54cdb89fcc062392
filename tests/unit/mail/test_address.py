"""Address lists (RFC 5322 §3.4) as IMAP ENVELOPE addresses (RFC 9051 §7.5.2), IDNA."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.mail import (
    Address,
    domain_to_ascii,
    domain_to_unicode,
    format_address,
    format_address_list,
    parse_address_list,
)
from courriel.mail.address import parse_address_list_slow

END = Address(None, None, None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alice@example.com", [Address(None, None, "alice", "example.com")]),
        (
            "Alice Example <alice@example.com>",
            [
                Address("Alice Example", None, "alice", "example.com"),
            ],
        ),
        (
            '"Doe, John" <j@x.org>, c@y',
            [
                Address("Doe, John", None, "j", "x.org"),
                Address(None, None, "c", "y"),
            ],
        ),
        ("bob@example.org (Bob Smith)", [Address("Bob Smith", None, "bob", "example.org")]),
        ("Bob (the builder) <bob@x>", [Address("Bob", None, "bob", "x")]),
        ('"john doe"@example.com', [Address(None, None, "john doe", "example.com")]),
        (
            "<@a.example,@b.example:joe@c.example>",
            [
                Address(None, "@a.example,@b.example", "joe", "c.example"),
            ],
        ),
        ("=?utf-8?Q?J=C3=B6rg?= <j@x>", [Address("=?utf-8?Q?J=C3=B6rg?=", None, "j", "x")]),
        ("A <a@[192.0.2.1]>", [Address("A", None, "a", "[192.0.2.1]")]),
        ("john", [Address(None, None, "john", "")]),  # missing domain: "" never None
        ("Name <john>", [Address("Name", None, "john", "")]),
        ("<>", []),
        ("", []),
        ("x@y,,, z@w", [Address(None, None, "x", "y"), Address(None, None, "z", "w")]),
        ("John Q. Public <jqp@x>", [Address("John Q. Public", None, "jqp", "x")]),
    ],
)
def test_mailboxes(text: str, expected: list[Address]) -> None:
    assert list(parse_address_list(text)) == expected


def test_groups_use_imap_markers() -> None:
    parsed = parse_address_list('Team: a@x, "B" <b@y>;, c@z')
    assert list(parsed) == [
        Address(None, None, "Team", None),
        Address(None, None, "a", "x"),
        Address("B", None, "b", "y"),
        END,
        Address(None, None, "c", "z"),
    ]
    assert parsed[0].is_group_start
    assert parsed[3].is_group_end
    assert parsed[1].is_mailbox


def test_empty_and_unclosed_groups() -> None:
    assert list(parse_address_list("Undisclosed recipients:;")) == [
        Address(None, None, "Undisclosed recipients", None),
        END,
    ]
    assert list(parse_address_list("G: a@x")) == [
        Address(None, None, "G", None),
        Address(None, None, "a", "x"),
        END,
    ]


def test_junk_never_raises() -> None:
    for text in ['"unterminated <x@y>', "<<<>>>", "a@@b", ")(", "\\", ";;::,,", "@:@", "(((("]:
        parse_address_list(text)


def test_limit() -> None:
    assert len(parse_address_list("a@b, " * 5000, max_addresses=100)) == 100


def test_format() -> None:
    assert format_address(Address("Doe, John", None, "j", "x.org")) == '"Doe, John" <j@x.org>'
    assert format_address(Address(None, None, "john doe", "x")) == '"john doe"@x'
    assert format_address(Address(None, "@a", "j", "x")) == "<@a:j@x>"
    assert format_address(Address(None, None, "john", "")) == "john"
    text = 'Team: a@x, "B" <b@y>;, c@z'
    assert format_address_list(parse_address_list(text)) == "Team: a@x, B <b@y>;, c@z"
    assert format_address_list(parse_address_list("G:;")) == "G:;"


def test_idna() -> None:
    assert domain_to_ascii("bücher.example") == "xn--bcher-kva.example"
    assert domain_to_unicode("xn--bcher-kva.example") == "bücher.example"
    assert domain_to_ascii("example.com") == "example.com"
    assert domain_to_unicode("xn--zz!.example") == "xn--zz!.example"  # bad label kept
    assert domain_to_ascii("a..ü") == "a..xn--tda"  # the codec refuses; labels convert alone
    assert domain_to_unicode("plain.example") == "plain.example"


_atom = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-_+", min_size=1, max_size=8).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s
)
_phrase = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABC.=?_", min_size=0, max_size=12)
_quoted = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,;:<>@()", min_size=0, max_size=12)


@st.composite
def _simple_address(draw: st.DrawFn) -> str:
    spec = f"{draw(_atom)}@{draw(_atom)}"
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return spec
    if kind == 1:
        return f"<{spec}>"
    if kind == 2:
        return f"{draw(_phrase)} <{spec}>"
    return f'"{draw(_quoted)}" <{spec}>'


@given(st.lists(_simple_address(), min_size=1, max_size=4), st.sampled_from([",", ", ", " ,  "]))
def test_fast_path_agrees_with_the_tokenizer(addresses: list[str], separator: str) -> None:
    text = separator.join(addresses)
    assert parse_address_list(text) == parse_address_list_slow(text)
