"""IMAP ENVELOPE (RFC 9051 §7.5.2) from corpus messages."""

from __future__ import annotations

from courriel.mail import Address, build_envelope, parse_message

from .support import corpus


def test_envelope_members_are_raw_unfolded_strings() -> None:
    envelope = parse_message(corpus("encoded_words.eml")).envelope
    assert envelope.date == "Mon, 8 Jan 2024 07:00:00 +0900"
    assert envelope.subject == (
        "=?iso-2022-jp?B?GyRCJDMkcyRLJEEkTxsoQg==?= =?utf-8?q?_and_caf=C3=A9?= "
        "=?windows-1252?Q?=93quoted=94?="
    )
    assert envelope.from_ == (
        Address("=?iso-8859-1?q?Andr=E9?= Dupont", None, "andre", "example.fr"),
    )
    assert envelope.to == (
        Address("=?utf-8?B?Sm9zw6k=?=", None, "jose", "example.es"),
        Address("=?koi8-r?b?8NLJ18XU?=", None, "privet", "example.ru"),
    )
    assert envelope.cc == (Address("=?utf-8?q?M=C3=BCller?=", None, "mueller", "example.de"),)
    assert envelope.bcc == ()
    assert envelope.in_reply_to is None
    assert envelope.message_id == "<ew-7@example.fr>"


def test_sender_and_reply_to_default_to_from() -> None:
    envelope = parse_message(corpus("simple_text.eml")).envelope
    assert envelope.sender == envelope.reply_to == envelope.from_
    assert envelope.from_ == (Address("Alice Example", None, "alice", "example.com"),)


def test_explicit_reply_to_is_kept() -> None:
    envelope = parse_message(corpus("alternative.eml")).envelope
    assert envelope.reply_to == (Address(None, None, "lists", "example.net"),)
    assert envelope.sender == envelope.from_
    assert envelope.in_reply_to == "<q-1@example.org>"


def test_group_addresses_in_the_envelope() -> None:
    envelope = parse_message(corpus("groups.eml")).envelope
    assert envelope.to == (
        Address(None, None, "Team", None),
        Address(None, None, "sybil", "example.org"),
        Address("Trent T.", None, "trent", "example.org"),
        Address(None, None, None, None),
        Address(None, None, "victor", "example.org"),
    )
    assert envelope.cc == (
        Address(None, None, "Undisclosed recipients", None),
        Address(None, None, None, None),
    )
    assert envelope.bcc == (
        Address(None, "@relay1.example,@relay2.example", "walter", "example.org"),
    )


def test_empty_sender_header_defaults_to_from() -> None:
    envelope = build_envelope({b"from": b" a@b", b"sender": b" ", b"subject": b""})
    assert envelope.sender == envelope.from_ == (Address(None, None, "a", "b"),)
    assert envelope.subject == ""
    assert envelope.date is None
