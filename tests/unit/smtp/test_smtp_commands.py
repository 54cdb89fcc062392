"""Command lines → typed commands, and every syntax error with its exact reply (RFC 5321
§4.1.1, §4.2, RFC 3030, RFC 3207, RFC 4954, RFC 6531)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courriel.smtp.protocol import replies
from courriel.smtp.protocol.addresses import Address, RelayHazard
from courriel.smtp.protocol.commands import (
    MAX_AUTH_LINE,
    MAX_COMMAND_LINE,
    MAX_ENVELOPE_LINE,
    VERBS,
    Auth,
    Bdat,
    Command,
    Data,
    Ehlo,
    Expn,
    Helo,
    Help,
    MailFrom,
    Noop,
    Quit,
    RcptTo,
    Rset,
    StartTls,
    Vrfy,
    parse_command,
)
from courriel.smtp.protocol.errors import SmtpSyntaxError
from courriel.smtp.protocol.parameters import (
    AuthParameter,
    BodyType,
    DsnNotify,
    DsnReturn,
    MailParameters,
    OriginalRecipient,
    RcptParameters,
)

GOOD: list[tuple[bytes, Command]] = [
    # RFC 5321 §4.1.1.1
    (b"EHLO mail.example.org\r\n", Ehlo("mail.example.org")),
    (b"ehlo mail.example.org\r\n", Ehlo("mail.example.org")),
    (b"EHLO [192.0.2.1]\r\n", Ehlo("[192.0.2.1]")),
    (b"EHLO [IPv6:2001:db8::1]\r\n", Ehlo("[IPv6:2001:db8::1]")),
    (b"EHLO DESKTOP_PC1\r\n", Ehlo("DESKTOP_PC1")),  # underscore tolerated
    (b"EHLO mail.example.org.\r\n", Ehlo("mail.example.org.")),  # trailing dot tolerated
    (b"HELO relay.example.org\r\n", Helo("relay.example.org")),
    (b"HeLo relay.example.org   \r\n", Helo("relay.example.org")),  # trailing spaces
    # RFC 5321 §4.1.1.2
    (b"MAIL FROM:<alice@example.com>\r\n", MailFrom(Address("alice", "example.com"))),
    (b"mail from:<alice@example.com>\r\n", MailFrom(Address("alice", "example.com"))),
    (b"MAIL FROM: <alice@example.com>\r\n", MailFrom(Address("alice", "example.com"))),
    (b"MAIL FROM:<>\r\n", MailFrom(None)),
    (
        b"MAIL FROM:<> SIZE=1000 BODY=8BITMIME\r\n",
        MailFrom(None, MailParameters(size=1000, body=BodyType.EIGHT_BIT_MIME)),
    ),
    (
        b"MAIL FROM:<a@example.com>  SIZE=5   RET=HDRS  \r\n",
        MailFrom(Address("a", "example.com"), MailParameters(size=5, ret=DsnReturn.HEADERS)),
    ),
    (
        b"MAIL FROM:<a@example.com> AUTH=<>\r\n",
        MailFrom(Address("a", "example.com"), MailParameters(auth=AuthParameter(None))),
    ),
    (
        "MAIL FROM:<jöe@exämple.org> SMTPUTF8\r\n".encode(),
        MailFrom(Address("jöe", "exämple.org"), MailParameters(smtputf8=True)),
    ),
    (
        b"MAIL FROM:<@relay.example:a@example.com>\r\n",
        MailFrom(Address("a", "example.com"), source_route=("relay.example",)),
    ),
    # RFC 5321 §4.1.1.3
    (b"RCPT TO:<bob@example.org>\r\n", RcptTo(Address("bob", "example.org"))),
    (b"RCPT TO:<Postmaster>\r\n", RcptTo(Address("Postmaster", ""))),
    (b"RCPT TO:<postmaster>\r\n", RcptTo(Address("postmaster", ""))),
    (b"RCPT TO:<postmaster@example.org>\r\n", RcptTo(Address("postmaster", "example.org"))),
    (
        b"RCPT TO:<@a.example,@b.example:joe@c.example>\r\n",
        RcptTo(Address("joe", "c.example"), source_route=("a.example", "b.example")),
    ),
    (
        b"RCPT TO:<bob@example.org> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob+2Bx@example.org\r\n",
        RcptTo(
            Address("bob", "example.org"),
            RcptParameters(
                frozenset({DsnNotify.SUCCESS, DsnNotify.DELAY}),
                OriginalRecipient("rfc822", "bob+x@example.org"),
            ),
        ),
    ),
    # RFC 5321 §4.1.1.4-10
    (b"DATA\r\n", Data()),
    (b"RSET\r\n", Rset()),
    (b"NOOP\r\n", Noop()),
    (b"NOOP anything at all\r\n", Noop()),
    (b"QUIT\r\n", Quit()),
    (b"VRFY bob\r\n", Vrfy("bob")),
    (b'VRFY "Bob Smith"\r\n', Vrfy('"Bob Smith"')),
    (b"VRFY bob SMTPUTF8\r\n", Vrfy("bob", smtputf8=True)),  # RFC 6531 §3.1 item 6
    (b"EXPN staff\r\n", Expn("staff")),
    (b"HELP\r\n", Help()),
    (b"HELP MAIL\r\n", Help("MAIL")),
    # RFC 3030 §2
    (b"BDAT 1000\r\n", Bdat(1000)),
    (b"BDAT 0 LAST\r\n", Bdat(0, last=True)),
    (b"bdat 42 last\r\n", Bdat(42, last=True)),
    # RFC 3207 §4
    (b"STARTTLS\r\n", StartTls()),
    # RFC 4954 §4
    (b"AUTH PLAIN\r\n", Auth("PLAIN")),
    (b"AUTH plain dGVzdAB0ZXN0ADEyMzQ=\r\n", Auth("PLAIN", "dGVzdAB0ZXN0ADEyMzQ=")),
    (b"AUTH EXTERNAL =\r\n", Auth("EXTERNAL", "=")),
    (b"AUTH SCRAM-SHA-256\r\n", Auth("SCRAM-SHA-256")),
    # No terminator at all: the caller already stripped it.
    (b"QUIT", Quit()),
]


@pytest.mark.parametrize(("line", "expected"), GOOD, ids=[line.decode() for line, _ in GOOD])
def test_good_commands(line: bytes, expected: Command) -> None:
    assert parse_command(line, smtputf8_allowed=False) == expected


BAD: list[tuple[bytes, int, str]] = [
    # Unknown or unimplemented verbs (RFC 5321 §4.2.4)
    (b"FOO bar\r\n", 500, "5.5.2"),
    (b"\r\n", 500, "5.5.2"),
    (b"MAILFROM:<a@b.example>\r\n", 500, "5.5.2"),
    ("MAıL FROM:<a@b.example>\r\n".encode(), 500, "5.5.2"),  # "ı".upper() == "I"
    (b"TURN\r\n", 502, "5.5.1"),
    (b"ETRN example.org\r\n", 502, "5.5.1"),
    (b"NOOP \xff\r\n", 500, "5.5.2"),  # not UTF-8
    (b"NOOP a\rb\r\n", 500, "5.5.2"),  # bare CR inside (RFC 5321 §2.3.8)
    (b"NOOP a\nb\r\n", 500, "5.5.2"),
    (b"NOOP a\0b\r\n", 500, "5.5.2"),
    # HELO / EHLO
    (b"EHLO\r\n", 501, "5.5.4"),
    (b"HELO\r\n", 501, "5.5.4"),
    (b"EHLO two words\r\n", 501, "5.5.4"),
    (b"EHLO bad..domain\r\n", 501, "5.5.4"),
    (b"EHLO -bad.example\r\n", 501, "5.5.4"),
    (b"EHLO [192.0.2.300]\r\n", 501, "5.5.4"),
    ("EHLO exämple.org\r\n".encode(), 501, "5.5.4"),  # RFC 6531 §3.7.1: ASCII only
    # MAIL
    (b"MAIL\r\n", 501, "5.5.4"),
    (b"MAIL TO:<a@b.example>\r\n", 501, "5.5.4"),
    (b"MAIL FROM :<a@b.example>\r\n", 501, "5.5.4"),
    (b"MAIL FROM:a@b.example\r\n", 501, "5.1.7"),
    (b"MAIL FROM:<a@b.example\r\n", 501, "5.1.7"),
    (b"MAIL FROM:<a b@c.example>\r\n", 501, "5.1.7"),
    (b"MAIL FROM:<a@>\r\n", 501, "5.1.7"),
    (b"MAIL FROM:<@>\r\n", 501, "5.1.7"),
    (b"MAIL FROM:<a.@b.example>\r\n", 501, "5.1.7"),
    (b"MAIL FROM:<a@b.example>SIZE=1\r\n", 501, "5.5.4"),
    (b"MAIL FROM:<a@b.example> SIZE=x\r\n", 501, "5.5.4"),
    (b"MAIL FROM:<a@b.example> SIZE=1 SIZE=2\r\n", 501, "5.5.4"),
    (b"MAIL FROM:<a@b.example> FOO=bar\r\n", 555, "5.5.4"),  # RFC 5321 §4.1.1.11
    (b"MAIL FROM:<a@b.example> NOTIFY=NEVER\r\n", 555, "5.5.4"),  # a RCPT parameter
    ("MAIL FROM:<jöe@example.org>\r\n".encode(), 550, "5.6.7"),  # RFC 6531 §3.5
    # RCPT
    (b"RCPT\r\n", 501, "5.5.4"),
    (b"RCPT FROM:<a@b.example>\r\n", 501, "5.5.4"),
    (b"RCPT TO:<>\r\n", 501, "5.1.3"),
    (b"RCPT TO:bob@example.org\r\n", 501, "5.1.3"),
    (b"RCPT TO:<bob@[1.2.3]>\r\n", 501, "5.1.3"),
    (b"RCPT TO:<bob@example.org> SIZE=1\r\n", 555, "5.5.4"),  # a MAIL parameter
    (b"RCPT TO:<bob@example.org> NOTIFY=NEVER,SUCCESS\r\n", 501, "5.5.4"),
    ("RCPT TO:<jöe@example.org>\r\n".encode(), 553, "5.6.7"),  # RFC 6531 §3.5
    # DATA, RSET, QUIT, STARTTLS take nothing
    (b"DATA now\r\n", 501, "5.5.4"),
    (b"RSET x\r\n", 501, "5.5.4"),
    (b"QUIT now\r\n", 501, "5.5.4"),
    (b"STARTTLS x\r\n", 501, "5.5.4"),  # RFC 3207 §4
    # VRFY / EXPN need an argument
    (b"VRFY\r\n", 501, "5.5.4"),
    (b"EXPN\r\n", 501, "5.5.4"),
    # BDAT (RFC 3030 §2)
    (b"BDAT\r\n", 501, "5.5.4"),
    (b"BDAT x\r\n", 501, "5.5.4"),
    (b"BDAT -1\r\n", 501, "5.5.4"),
    (b"BDAT 10 FIRST\r\n", 501, "5.5.4"),
    (b"BDAT 10 LAST more\r\n", 501, "5.5.4"),
    (b"BDAT 123456789012345678901\r\n", 501, "5.5.4"),
    # AUTH (RFC 4954 §4, RFC 4422 §3.1)
    (b"AUTH\r\n", 501, "5.5.4"),
    (b"AUTH PLAIN abc def\r\n", 501, "5.5.4"),
    (b"AUTH PL@IN\r\n", 501, "5.5.4"),
    (b"AUTH ABCDEFGHIJKLMNOPQRSTU\r\n", 501, "5.5.4"),  # 21 characters
]


@pytest.mark.parametrize(
    ("line", "code", "enhanced"), BAD, ids=[line.decode(errors="replace") for line, _, _ in BAD]
)
def test_syntax_errors(line: bytes, code: int, enhanced: str) -> None:
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(line, smtputf8_allowed=False)
    assert (raised.value.reply.code, raised.value.reply.enhanced) == (code, enhanced)
    assert raised.value.close_connection is False
    assert raised.value.permanent


def test_exact_reply_texts() -> None:
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(b"FOO\r\n")
    assert raised.value.reply == replies.UNRECOGNISED_COMMAND
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(b"MAIL FROM:<a@b.example> FOO=1\r\n")
    assert raised.value.reply.to_bytes() == b"555 5.5.4 Parameter FOO not supported\r\n"
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(b"RCPT TO:<a@b..example>\r\n")
    assert raised.value.reply.to_bytes() == (b"501 5.1.3 Invalid domain name 'b..example'\r\n")
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command("RCPT TO:<jöe@example.org>\r\n".encode())
    assert raised.value.reply == replies.NON_ASCII_RECIPIENT


def test_http_request_closes_the_connection() -> None:
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(b"GET / HTTP/1.1\r\n")
    assert raised.value.close_connection is True
    assert raised.value.reply.code == 500


# --- line endings (RFC 5321 §2.3.8)


def test_bare_lf_is_parsed_and_reported() -> None:
    assert parse_command(b"NOOP\n") == Noop(bare_lf=True)
    assert parse_command(b"NOOP\n").bare_lf is True
    assert parse_command(b"NOOP\r\n").bare_lf is False
    assert parse_command(b"NOOP").bare_lf is False
    assert parse_command(b"MAIL FROM:<a@b.example>\n") == MailFrom(
        Address("a", "b.example"), bare_lf=True
    )


def test_cr_before_bare_lf_is_refused() -> None:
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(b"NOOP\r\r\n")
    assert raised.value.reply == replies.BARE_LF_IN_COMMAND


# --- line length limits (RFC 5321 §4.5.3.1.4, RFC 4954 §4)


def test_line_limits() -> None:
    # 512 octets with CRLF is fine, 513 is not.
    ok = b"NOOP " + b"x" * (MAX_COMMAND_LINE - 7) + b"\r\n"
    assert len(ok) == MAX_COMMAND_LINE
    assert parse_command(ok) == Noop()
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(b"NOOP " + b"x" * (MAX_COMMAND_LINE - 6) + b"\r\n")
    assert raised.value.reply == replies.LINE_TOO_LONG
    # Without the terminator, the CRLF is still counted.
    with pytest.raises(SmtpSyntaxError):
        parse_command(b"NOOP " + b"x" * (MAX_COMMAND_LINE - 6))
    # MAIL may be longer (extension parameters), up to its own limit.
    mailbox = b"a" * 64 + b"@" + b".".join([b"d" * 63] * 2 + [b"example"])
    mail = b"MAIL FROM:<%s> ENVID=%s AUTH=%s\r\n" % (mailbox, b"e" * 100, mailbox)
    assert len(mail) == 527  # over 512
    assert parse_command(mail) == MailFrom(
        Address("a" * 64, mailbox.decode().partition("@")[2]),
        MailParameters(
            envid="e" * 100,
            auth=AuthParameter(Address("a" * 64, "d" * 63 + "." + "d" * 63 + ".example")),
        ),
    )
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(b"MAIL FROM:<a@b.example> " + b"X" * MAX_ENVELOPE_LINE + b"\r\n")
    assert raised.value.reply == replies.LINE_TOO_LONG
    # AUTH with a long initial response is fine up to 12288 octets.
    response = b"A" * (MAX_AUTH_LINE - len(b"AUTH PLAIN \r\n"))
    assert parse_command(b"AUTH PLAIN " + response + b"\r\n") == Auth("PLAIN", response.decode())
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(b"AUTH PLAIN " + response + b"A\r\n")
    assert raised.value.reply == replies.LINE_TOO_LONG


# --- SMTPUTF8 (RFC 6531)


def test_utf8_recipient_needs_smtputf8_transaction() -> None:
    line = "RCPT TO:<jöe@exämple.org>\r\n".encode()
    assert parse_command(line, smtputf8_allowed=True) == RcptTo(Address("jöe", "exämple.org"))


def test_smtputf8_parameter_needs_the_extension() -> None:
    line = "MAIL FROM:<jöe@example.org> SMTPUTF8\r\n".encode()
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(line, extensions=frozenset({"8BITMIME"}))
    assert (raised.value.reply.code, raised.value.reply.enhanced) == (555, "5.5.4")


def test_after_helo_no_parameter_is_accepted() -> None:
    with pytest.raises(SmtpSyntaxError) as raised:
        parse_command(b"MAIL FROM:<a@b.example> SIZE=10\r\n", extensions=frozenset())
    assert raised.value.reply.code == 555
    assert parse_command(b"MAIL FROM:<a@b.example>\r\n", extensions=frozenset()) == MailFrom(
        Address("a", "b.example")
    )


# --- relay facts


def test_percent_hack_is_a_local_part() -> None:
    command = parse_command(b"RCPT TO:<user%other.example@ours.example>\r\n")
    assert command == RcptTo(Address("user%other.example", "ours.example"))
    assert isinstance(command, RcptTo)
    assert command.relay_hazards == frozenset({RelayHazard.PERCENT_HACK})
    assert command.forward_path.domain == "ours.example"


def test_source_route_is_dropped_and_reported() -> None:
    command = parse_command(b"RCPT TO:<@ours.example:victim@elsewhere.example>\r\n")
    assert isinstance(command, RcptTo)
    assert command.forward_path == Address("victim", "elsewhere.example")
    assert command.source_route == ("ours.example",)
    assert command.relay_hazards == frozenset({RelayHazard.SOURCE_ROUTE})


def test_bare_postmaster() -> None:
    command = parse_command(b"RCPT TO:<POSTMASTER>\r\n")
    assert isinstance(command, RcptTo)
    assert command.is_bare_postmaster
    assert command.forward_path.text == "POSTMASTER"
    named = parse_command(b"RCPT TO:<postmaster@example.org>\r\n")
    assert isinstance(named, RcptTo)
    assert not named.is_bare_postmaster


# --- the table


def test_verbs_table_is_the_whole_command_set() -> None:
    assert sorted(VERBS) == [
        "AUTH", "BDAT", "DATA", "EHLO", "EXPN", "HELO", "HELP", "MAIL", "NOOP", "QUIT",
        "RCPT", "RSET", "STARTTLS", "VRFY",
    ]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_never_raises_anything_else(line: bytes) -> None:
    try:
        parse_command(line, smtputf8_allowed=True)
    except SmtpSyntaxError as error:
        code = error.reply.code
    else:
        return
    assert 500 <= code < 600


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(sorted(VERBS)),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
)
def test_never_raises_with_known_verbs(verb: str, rest: str) -> None:
    with contextlib.suppress(SmtpSyntaxError):
        parse_command(f"{verb} {rest}\r\n".encode(), smtputf8_allowed=True)
