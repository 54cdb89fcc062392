"""The POP3 command grammar: every command, good and bad (RFC 1939, 2449, 2595, 5034, 6856)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.pop3 import (
    COMMANDS,
    MAX_AUTH_COMMAND_LINE,
    MAX_COMMAND_LINE,
    READ_LIMIT,
    ApopCommand,
    AuthCommand,
    CapaCommand,
    DeleCommand,
    ListCommand,
    NoopCommand,
    PassCommand,
    Pop3Command,
    Pop3State,
    Pop3SyntaxError,
    QuitCommand,
    RespCode,
    RetrCommand,
    RsetCommand,
    StatCommand,
    StlsCommand,
    TopCommand,
    UidlCommand,
    UserCommand,
    Utf8Command,
    parse_command,
)
from courriel.sasl import MAX_MESSAGE_SIZE, decode_initial_response

BAD_DIGEST = "the APOP digest must be 32 hexadecimal digits"


def syntax_error(line: bytes) -> str:
    with pytest.raises(Pop3SyntaxError) as caught:
        parse_command(line)
    error = caught.value
    assert error.reply == f"-ERR {error.text}\r\n".encode()
    assert error.code is None
    return error.text


@pytest.mark.parametrize(
    ("line", "command"),
    [
        # RFC 1939 §7 USER / PASS
        (b"USER alice@example.com\r\n", UserCommand("alice@example.com")),
        (b"user alice\r\n", UserCommand("alice")),
        (b"USER  alice  \r\n", UserCommand("alice")),
        ("USER élodie@exämple.fr\r\n".encode(), UserCommand("élodie@exämple.fr")),
        (b"PASS secret\r\n", PassCommand("secret")),
        (b"PASS correct horse battery staple\r\n", PassCommand("correct horse battery staple")),
        (b"PASS  lead and trail \r\n", PassCommand(" lead and trail ")),
        ("PASS mot de passe é\r\n".encode(), PassCommand("mot de passe é")),
        # RFC 1939 §7 APOP (parsed, refused later)
        (
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
            ApopCommand("mrose", "c4c9334bac560ecc979e58001b3e22fb"),
        ),
        (
            b"APOP mrose C4C9334BAC560ECC979E58001B3E22FB\r\n",
            ApopCommand("mrose", "c4c9334bac560ecc979e58001b3e22fb"),
        ),
        # RFC 1939 §4, §5, §6
        (b"QUIT\r\n", QuitCommand()),
        (b"STAT\r\n", StatCommand()),
        (b"LIST\r\n", ListCommand(None)),
        (b"LIST 2\r\n", ListCommand(2)),
        (b"RETR 1\r\n", RetrCommand(1)),
        (b"DELE 17\r\n", DeleCommand(17)),
        (b"NOOP\r\n", NoopCommand()),
        (b"RSET\r\n", RsetCommand()),
        # RFC 1939 §7 TOP, UIDL
        (b"TOP 1 10\r\n", TopCommand(1, 10)),
        (b"TOP 3 0\r\n", TopCommand(3, 0)),
        (b"UIDL\r\n", UidlCommand(None)),
        (b"UIDL 4\r\n", UidlCommand(4)),
        # RFC 2449 §5, RFC 2595 §4, RFC 6856 §2
        (b"CAPA\r\n", CapaCommand()),
        (b"STLS\r\n", StlsCommand()),
        (b"UTF8\r\n", Utf8Command()),
        # RFC 5034 §4 AUTH
        (b"AUTH PLAIN\r\n", AuthCommand("PLAIN")),
        (b"auth scram-sha-256\r\n", AuthCommand("SCRAM-SHA-256")),
        (b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", AuthCommand("PLAIN", "AGFsaWNlAHNlY3JldA==")),
        (b"AUTH PLAIN =\r\n", AuthCommand("PLAIN", "=")),
        (b"AUTH\r\n", AuthCommand(None)),
        # line endings and case (RFC 1939 §3: keywords are case-insensitive)
        (b"StAt\r\n", StatCommand()),
        (b"STAT\n", StatCommand()),
        (b"STAT", StatCommand()),
        (b"LIST 1 \r\n", ListCommand(1)),
        (b"RETR 007\r\n", RetrCommand(7)),
    ],
)
def test_parses(line: bytes, command: Pop3Command) -> None:
    assert parse_command(line) == command


@pytest.mark.parametrize(
    ("line", "text"),
    [
        (b"\r\n", "empty command line"),
        (b"", "empty command line"),
        (b" STAT\r\n", "unknown command"),
        (b"XTND XMIT\r\n", "unknown command"),
        (b"STATS\r\n", "unknown command"),
        ("ÉTAT\r\n".encode(), "unknown command"),
        (b"STAT\0\r\n", "invalid characters in command line"),
        (b"PASS a\rb\r\n", "invalid characters in command line"),
        (b"STAT\r\r\n", "invalid characters in command line"),
        # wrong counts
        (b"USER\r\n", "USER needs one user name"),
        (b"USER \r\n", "USER needs one user name"),
        (b"USER alice bob\r\n", "USER needs one user name"),
        (b"PASS\r\n", "PASS needs a password"),
        (b"PASS \r\n", "PASS needs a password"),
        (b"APOP mrose\r\n", "APOP needs a name and a digest"),
        (b"APOP mrose 1 2\r\n", "APOP needs a name and a digest"),
        (b"QUIT now\r\n", "QUIT takes no arguments"),
        (b"STAT 1\r\n", "STAT takes no arguments"),
        (b"NOOP x\r\n", "NOOP takes no arguments"),
        (b"RSET 1\r\n", "RSET takes no arguments"),
        (b"CAPA x\r\n", "CAPA takes no arguments"),
        (b"STLS x\r\n", "STLS takes no arguments"),
        (b"UTF8 on\r\n", "UTF8 takes no arguments"),
        (b"LIST 1 2\r\n", "LIST takes at most one message number"),
        (b"UIDL 1 2\r\n", "UIDL takes at most one message number"),
        (b"RETR\r\n", "RETR needs one message number"),
        (b"RETR 1 2\r\n", "RETR needs one message number"),
        (b"DELE\r\n", "DELE needs one message number"),
        (b"TOP 1\r\n", "TOP needs a message number and a number of lines"),
        (b"TOP\r\n", "TOP needs a message number and a number of lines"),
        (b"TOP 1 2 3\r\n", "TOP needs a message number and a number of lines"),
        (b"AUTH PLAIN a b\r\n", "AUTH takes a mechanism and at most one initial response"),
        # bad arguments
        (b"LIST 0\r\n", "invalid message number"),
        (b"LIST -1\r\n", "invalid message number"),
        (b"LIST +1\r\n", "invalid message number"),
        (b"LIST one\r\n", "invalid message number"),
        ("LIST ١\r\n".encode(), "invalid message number"),
        (b"RETR 99999999999\r\n", "invalid message number"),
        (b"DELE 1.5\r\n", "invalid message number"),
        (b"UIDL x\r\n", "invalid message number"),
        (b"TOP 0 1\r\n", "invalid message number"),
        (b"TOP 1 -1\r\n", "invalid number of lines"),
        (b"TOP 1 many\r\n", "invalid number of lines"),
        (b"APOP mrose c4c9334bac560ecc979e58001b3e22f\r\n", BAD_DIGEST),
        (b"APOP mrose z4c9334bac560ecc979e58001b3e22fb\r\n", BAD_DIGEST),
        (b"AUTH PL@IN\r\n", "invalid SASL mechanism name"),
        (b"AUTH " + b"A" * 21 + b"\r\n", "invalid SASL mechanism name"),
        ("AUTH PLAIN é\r\n".encode(), "the initial response must be base64"),
        (b"USER \xff\xfe\r\n", "the user name is not valid UTF-8"),
        (b"PASS \xff\xfe\r\n", "the password is not valid UTF-8"),
    ],
)
def test_refuses(line: bytes, text: str) -> None:
    assert syntax_error(line) == text


def test_password_is_kept_out_of_repr_and_errors() -> None:
    assert "hunter2" not in repr(parse_command(b"PASS hunter2\r\n"))
    assert "AGFsaWNl" not in repr(parse_command(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"))
    assert b"\xff" not in syntax_error(b"PASS \xff secret\r\n").encode()


def test_auth_initial_response_goes_to_sasl_framing() -> None:
    command = parse_command(b"AUTH PLAIN =\r\n")
    assert isinstance(command, AuthCommand)
    assert decode_initial_response(command.initial_response) == b""
    command = parse_command(b"AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n")
    assert isinstance(command, AuthCommand)
    assert decode_initial_response(command.initial_response) == b"\0alice\0secret"


class TestLineLength:
    """RFC 2449 §4: 255 octets with CRLF; longer for AUTH's initial response (RFC 5034 §4)."""

    def test_longest_command_line(self) -> None:
        line = b"USER " + b"a" * (MAX_COMMAND_LINE - 7) + b"\r\n"
        assert len(line) == MAX_COMMAND_LINE
        assert parse_command(line) == UserCommand("a" * (MAX_COMMAND_LINE - 7))

    def test_one_octet_more(self) -> None:
        line = b"USER " + b"a" * (MAX_COMMAND_LINE - 6) + b"\r\n"
        assert syntax_error(line) == "line too long"

    def test_counted_with_crlf_whatever_ended_the_line(self) -> None:
        line = b"PASS " + b"a" * (MAX_COMMAND_LINE - 6)
        assert syntax_error(line + b"\n") == "line too long"
        assert syntax_error(line) == "line too long"

    def test_auth_initial_response_may_be_longer(self) -> None:
        response = b"A" * 4 * (MAX_MESSAGE_SIZE // 3)
        command = parse_command(b"AUTH PLAIN " + response + b"\r\n")
        assert command == AuthCommand("PLAIN", response.decode())

    def test_auth_limit(self) -> None:
        prefix = b"AUTH SCRAM-SHA-256 "
        longest = prefix + b"A" * (MAX_AUTH_COMMAND_LINE - len(prefix) - 2) + b"\r\n"
        assert isinstance(parse_command(longest), AuthCommand)
        assert syntax_error(longest[:-2] + b"A\r\n") == "line too long"

    def test_limits_are_parameters(self) -> None:
        assert parse_command(b"USER " + b"a" * 400, max_line=512) == UserCommand("a" * 400)
        with pytest.raises(Pop3SyntaxError, match="line too long"):
            parse_command(b"AUTH PLAIN " + b"A" * 100, max_auth_line=100)

    def test_read_limit_covers_every_command(self) -> None:
        assert max(MAX_COMMAND_LINE, MAX_AUTH_COMMAND_LINE) == READ_LIMIT
        longest_response = len(b"AUTH SCRAM-SHA-256 ") + 4 * (MAX_MESSAGE_SIZE // 3)
        assert longest_response <= MAX_AUTH_COMMAND_LINE


class TestTable:
    """The table shows the protocol: every verb with its parser and states (RFC 1939 §3)."""

    def test_every_command_is_in_the_table(self) -> None:
        verbs = "USER PASS APOP AUTH STLS UTF8 STAT LIST RETR DELE NOOP RSET TOP UIDL QUIT CAPA"
        assert set(COMMANDS) == set(verbs.split())

    @pytest.mark.parametrize("verb", ["USER", "PASS", "APOP", "AUTH", "STLS", "UTF8"])
    def test_authorization_only(self, verb: str) -> None:
        assert COMMANDS[verb].states == {Pop3State.AUTHORIZATION}

    @pytest.mark.parametrize(
        "verb", ["STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL"]
    )
    def test_transaction_only(self, verb: str) -> None:
        assert COMMANDS[verb].states == {Pop3State.TRANSACTION}

    @pytest.mark.parametrize("verb", ["QUIT", "CAPA"])
    def test_any_state(self, verb: str) -> None:
        assert COMMANDS[verb].states == set(Pop3State)

    def test_parsed_command_names_its_verb(self) -> None:
        for verb, line in [("TOP", b"TOP 1 1"), ("PASS", b"PASS x"), ("AUTH", b"AUTH")]:
            assert parse_command(line).verb == verb


def test_errors_carry_resp_codes_when_given() -> None:
    error = Pop3SyntaxError("in use", RespCode.IN_USE)
    assert error.reply == b"-ERR [IN-USE] in use\r\n"


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_a_syntax_error(line: bytes) -> None:
    try:
        command = parse_command(line)
    except Pop3SyntaxError as error:
        reply = error.reply
    else:
        assert command.verb in COMMANDS
        return
    assert reply.startswith(b"-ERR ")
    assert reply.endswith(b"\r\n")
    assert reply.count(b"\r\n") == 1


@given(
    st.sampled_from(sorted(COMMANDS)),
    st.lists(st.text(alphabet="0123456789abcXYZ =", max_size=12), max_size=3),
)
def test_any_verb_with_any_arguments(verb: str, arguments: list[str]) -> None:
    line = " ".join([verb, *arguments]).encode() + b"\r\n"
    try:
        command = parse_command(line)
    except Pop3SyntaxError:
        return
    assert command.verb == verb
