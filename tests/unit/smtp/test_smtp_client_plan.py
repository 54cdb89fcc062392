"""The outbound client's transaction plan: parameters gated by EHLO, refusals before
sending, dot-stuffing and BDAT chunks (pure, no sockets)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.smtp.client import (
    Recipient,
    SmtpNotPossible,
    dot_stuff,
    parse_notify,
    parse_original_recipient,
    plan_transaction,
)
from courriel.smtp.client.plan import bdat_chunks
from courriel.smtp.protocol.data import DataReader
from courriel.smtp.protocol.parameters import DsnNotify

FULL = {
    "PIPELINING": "",
    "SIZE": "1000000",
    "8BITMIME": "",
    "SMTPUTF8": "",
    "DSN": "",
    "CHUNKING": "",
    "BINARYMIME": "",
}
MESSAGE = b"Subject: hi\r\n\r\nbody\r\n"


def test_no_extensions_means_bare_commands() -> None:
    plan = plan_transaction(
        {},
        "a@example.org",
        [Recipient("b@example.net", notify="FAILURE", orcpt="rfc822;b@example.net")],
        MESSAGE,
        envid="x",
        ret="HDRS",
    )
    # RFC 5321 §4.1.1.11: no parameter the server did not offer (HELO: none at all).
    assert plan.mail == b"MAIL FROM:<a@example.org>\r\n"
    assert plan.rcpts == (b"RCPT TO:<b@example.net>\r\n",)
    assert not plan.chunked


def test_every_offered_parameter_is_sent() -> None:
    plan = plan_transaction(
        FULL,
        "a@example.org",
        [
            Recipient("b@example.net", notify="DELAY,FAILURE", orcpt="rfc822;b+2Bx@example.net"),
            Recipient("c@example.net", notify="NEVER"),
        ],
        MESSAGE,
        body="8BITMIME",
        smtputf8=True,
        envid="id 1+2",
        ret="FULL",
    )
    assert plan.mail == (
        b"MAIL FROM:<a@example.org> SIZE=21 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=id+201+2B2\r\n"
    )
    assert plan.rcpts == (
        b"RCPT TO:<b@example.net> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b+2Bx@example.net\r\n",
        b"RCPT TO:<c@example.net> NOTIFY=NEVER\r\n",
    )


def test_null_sender() -> None:
    plan = plan_transaction({}, "", [Recipient("x@example.net")], MESSAGE)
    assert plan.mail == b"MAIL FROM:<>\r\n"


def test_addresses_cannot_inject_commands() -> None:
    with pytest.raises(SmtpNotPossible) as caught:
        plan_transaction({}, "a@example.org", [Recipient("b@x>\r\nRSET")], MESSAGE)
    assert caught.value.status == "5.1.3"
    assert not caught.value.temporary
    with pytest.raises(SmtpNotPossible) as caught:
        plan_transaction({}, "a@x\r\nDATA", [Recipient("b@example.net")], MESSAGE)
    assert caught.value.status == "5.1.7"


def test_utf8_without_smtputf8_is_refused() -> None:
    # RFC 6531 §3.5: a UTF-8 envelope (or header) cannot go to a server without SMTPUTF8.
    without = {k: v for k, v in FULL.items() if k != "SMTPUTF8"}
    with pytest.raises(SmtpNotPossible) as caught:
        plan_transaction(without, "a@example.org", [Recipient("jürgen@example.net")], MESSAGE)
    assert caught.value.status == "5.6.7"
    with pytest.raises(SmtpNotPossible):
        plan_transaction(
            without,
            "a@example.org",
            [Recipient("b@example.net")],
            "Subject: café\r\n\r\nx\r\n".encode(),
            body="8BITMIME",
        )
    # Asked for but not needed: sent without it.
    plan = plan_transaction(
        without, "a@example.org", [Recipient("b@example.net")], MESSAGE, smtputf8=True
    )
    assert b"SMTPUTF8" not in plan.mail
    # Needed and offered: sent even when the queue did not flag it.
    plan = plan_transaction(FULL, "a@example.org", [Recipient("jürgen@example.net")], MESSAGE)
    assert b" SMTPUTF8" in plan.mail


def test_eight_bit_needs_8bitmime() -> None:
    eight_bit = "Subject: x\r\n\r\ncafé\r\n".encode()
    with pytest.raises(SmtpNotPossible) as caught:
        plan_transaction({}, "a@example.org", [Recipient("b@example.net")], eight_bit)
    assert caught.value.status == "5.6.3"  # RFC 6152 §3
    # Labelled 8BITMIME but plain ASCII: goes through to an old server.
    plan = plan_transaction({}, "a@x.org", [Recipient("b@x.net")], MESSAGE, body="8BITMIME")
    assert plan.mail == b"MAIL FROM:<a@x.org>\r\n"


def test_binarymime_uses_bdat_or_falls_back() -> None:
    binary = b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\n\r\xff"
    plan = plan_transaction(FULL, "a@x.org", [Recipient("b@x.net")], binary, body="BINARYMIME")
    assert plan.chunked and plan.payload == binary
    assert b"BODY=BINARYMIME" in plan.mail
    without = {k: v for k, v in FULL.items() if k != "BINARYMIME"}
    with pytest.raises(SmtpNotPossible):
        plan_transaction(without, "a@x.org", [Recipient("b@x.net")], binary, body="BINARYMIME")
    # Binary-labelled but DATA-safe content is sent with DATA.
    plan = plan_transaction(without, "a@x.org", [Recipient("b@x.net")], MESSAGE, body="BINARYMIME")
    assert not plan.chunked and b"BODY" not in plan.mail


def test_size_limit_is_checked() -> None:
    small = {**FULL, "SIZE": "10"}
    with pytest.raises(SmtpNotPossible) as caught:
        plan_transaction(small, "a@x.org", [Recipient("b@x.net")], MESSAGE)
    assert caught.value.status == "5.3.4"  # RFC 1870 §6
    unlimited = {**FULL, "SIZE": "0"}
    plan = plan_transaction(unlimited, "a@x.org", [Recipient("b@x.net")], MESSAGE)
    assert b"SIZE=21" in plan.mail


def test_dot_stuffing_bytes() -> None:
    assert dot_stuff(b"") == b".\r\n"
    assert dot_stuff(b".a\r\n.\r\nb.\r\n..c\r\n") == b"..a\r\n..\r\nb.\r\n...c\r\n.\r\n"
    assert dot_stuff(b"no final newline") == b"no final newline\r\n.\r\n"
    # RFC 5321 §2.3.8: bare LF / CR become CRLF, so "\n.\n" cannot end the data anywhere.
    assert dot_stuff(b"a\n.\nb\r.\r") == b"a\r\n..\r\nb\r\n..\r\n.\r\n"


@given(st.binary(max_size=300).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"\r\n")))
def test_dot_stuffing_round_trips_through_the_server_reader(content: bytes) -> None:
    wire = dot_stuff(content)
    reader = DataReader()
    decoded = reader.feed(wire)
    assert reader.done and reader.trailing == b""
    expected = content if not content or content.endswith(b"\r\n") else content + b"\r\n"
    assert decoded == expected


def test_bdat_chunks() -> None:
    assert list(bdat_chunks(b"")) == [(b"BDAT 0 LAST\r\n", True)]
    assert list(bdat_chunks(b"abcde", 2)) == [
        (b"BDAT 2\r\nab", False),
        (b"BDAT 2\r\ncd", False),
        (b"BDAT 1 LAST\r\ne", True),
    ]
    assert list(bdat_chunks(b"abcd", 2))[-1] == (b"BDAT 2 LAST\r\ncd", True)


def test_stored_dsn_values() -> None:
    assert parse_notify("DELAY,FAILURE") == frozenset({DsnNotify.DELAY, DsnNotify.FAILURE})
    assert parse_notify("NEVER") == frozenset({DsnNotify.NEVER})
    assert parse_notify(None) is None
    assert parse_notify("garbage") is None
    orcpt = parse_original_recipient("rfc822;b+2Bx@example.net")
    assert orcpt is not None and orcpt.address == "b+x@example.net"
    lenient = parse_original_recipient("rfc822;a b@example.net")
    assert lenient is not None and lenient.address == "a b@example.net"
    assert parse_original_recipient("nonsense") is None
