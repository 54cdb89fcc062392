"""The POP3 command grammar: one line of bytes in, one typed command or ``Pop3SyntaxError`` out.

Covers every command of RFC 1939 (USER, PASS, APOP, QUIT, STAT, LIST, RETR, DELE, NOOP,
RSET, TOP, UIDL), CAPA (RFC 2449 §5), STLS (RFC 2595 §4), AUTH (RFC 5034 §4) and UTF8
(RFC 6856 §2), with RFC 2449 §4's line-length limit. ``COMMANDS`` is the table: reading it
shows the whole protocol, each verb with its parser and the states it is valid in.

The grammar is lenient where clients are known to differ and strict where it matters:
keywords are case-insensitive (RFC 1939 §3); a bare LF ends a line as well as CRLF; runs of
spaces and trailing spaces between arguments are accepted, except in PASS, whose argument is
the rest of the line exactly (RFC 1939 §7 note). Message numbers are decimal and start at 1.

Must not: do I/O, know the session's state or storage, check credentials, or put what the
client sent into an error text (it may be a password).
"""

from __future__ import annotations

import base64
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, TypeAlias

from courriel.pop3.errors import Pop3SyntaxError
from courriel.sasl import MAX_MESSAGE_SIZE

__all__ = [
    "COMMANDS",
    "MAX_AUTH_COMMAND_LINE",
    "MAX_COMMAND_LINE",
    "READ_LIMIT",
    "ApopCommand",
    "AuthCommand",
    "CapaCommand",
    "CommandSpec",
    "DeleCommand",
    "ListCommand",
    "NoopCommand",
    "PassCommand",
    "Pop3Command",
    "Pop3State",
    "QuitCommand",
    "RetrCommand",
    "RsetCommand",
    "StatCommand",
    "StlsCommand",
    "TopCommand",
    "UidlCommand",
    "UserCommand",
    "Utf8Command",
    "parse_command",
]

# RFC 2449 §4: a command line is at most 255 octets, CRLF included.
MAX_COMMAND_LINE = 255
# RFC 5034 §4 asks clients to keep AUTH with an initial response within those 255 octets,
# but some send more; RFC 2449 §4 lets a server accept longer lines. Accept an initial
# response as long as any SASL message courriel accepts: "AUTH", a mechanism name of up to
# 20 characters (RFC 4422 §3.1), two spaces, the base64 of MAX_MESSAGE_SIZE octets, CRLF.
MAX_AUTH_COMMAND_LINE = len(b"AUTH ") + 20 + 1 + len(base64.b64encode(bytes(MAX_MESSAGE_SIZE))) + 2
# What the session passes to ``Connection.readline``: the verb is only known once read.
READ_LIMIT = max(MAX_COMMAND_LINE, MAX_AUTH_COMMAND_LINE)

_CR, _LF, _NUL = b"\r\n\0"  # the octets a command line may not hold (RFC 1939 §3)
_MECHANISM_CHARACTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")  # RFC 4422 §3.1
_APOP_DIGEST_CHARACTERS = frozenset(b"0123456789abcdef")


class Pop3State(enum.Enum):
    """The session states in which commands are valid (RFC 1939 §3)."""

    AUTHORIZATION = "AUTHORIZATION"  # RFC 1939 §4, before a successful login
    TRANSACTION = "TRANSACTION"  # RFC 1939 §5, with the maildrop open


# --- Commands ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserCommand:
    """RFC 1939 §7 USER name. UTF-8 only after UTF8 (RFC 6856 §2); the session checks."""

    verb: ClassVar[str] = "USER"
    name: str


@dataclass(frozen=True, slots=True)
class PassCommand:
    """RFC 1939 §7 PASS string: the rest of the line, spaces included (§7 note)."""

    verb: ClassVar[str] = "PASS"
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ApopCommand:
    """RFC 1939 §7 APOP name digest. Parsed so the refusal can be a clean -ERR: APOP needs
    the password stored in clear, and courriel stores only hashes."""

    verb: ClassVar[str] = "APOP"
    name: str
    digest: str


@dataclass(frozen=True, slots=True)
class QuitCommand:
    """RFC 1939 §4 (AUTHORIZATION) and §6 (enters UPDATE from TRANSACTION)."""

    verb: ClassVar[str] = "QUIT"


@dataclass(frozen=True, slots=True)
class StatCommand:
    """RFC 1939 §5 STAT."""

    verb: ClassVar[str] = "STAT"


@dataclass(frozen=True, slots=True)
class ListCommand:
    """RFC 1939 §5 LIST [msg]; ``message`` None lists every message."""

    verb: ClassVar[str] = "LIST"
    message: int | None


@dataclass(frozen=True, slots=True)
class RetrCommand:
    """RFC 1939 §5 RETR msg."""

    verb: ClassVar[str] = "RETR"
    message: int


@dataclass(frozen=True, slots=True)
class DeleCommand:
    """RFC 1939 §5 DELE msg."""

    verb: ClassVar[str] = "DELE"
    message: int


@dataclass(frozen=True, slots=True)
class NoopCommand:
    """RFC 1939 §5 NOOP."""

    verb: ClassVar[str] = "NOOP"


@dataclass(frozen=True, slots=True)
class RsetCommand:
    """RFC 1939 §5 RSET."""

    verb: ClassVar[str] = "RSET"


@dataclass(frozen=True, slots=True)
class TopCommand:
    """RFC 1939 §7 TOP msg n: the headers and the first ``lines`` lines of the body."""

    verb: ClassVar[str] = "TOP"
    message: int
    lines: int


@dataclass(frozen=True, slots=True)
class UidlCommand:
    """RFC 1939 §7 UIDL [msg]; ``message`` None lists every message."""

    verb: ClassVar[str] = "UIDL"
    message: int | None


@dataclass(frozen=True, slots=True)
class CapaCommand:
    """RFC 2449 §5 CAPA."""

    verb: ClassVar[str] = "CAPA"


@dataclass(frozen=True, slots=True)
class StlsCommand:
    """RFC 2595 §4 STLS."""

    verb: ClassVar[str] = "STLS"


@dataclass(frozen=True, slots=True)
class AuthCommand:
    """RFC 5034 §4 AUTH mechanism [initial-response].

    ``mechanism`` is upper-cased. ``initial_response`` is the raw base64 argument, ``=`` for
    an empty one (RFC 5034 §4), for ``sasl.decode_initial_response``. A bare ``AUTH`` (no
    mechanism, ``mechanism`` None) is not in RFC 5034 but older clients send it to list the
    mechanisms (RFC 1734 era); the session may answer with the list or refuse it.
    """

    verb: ClassVar[str] = "AUTH"
    mechanism: str | None
    initial_response: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Utf8Command:
    """RFC 6856 §2 UTF8: UTF-8 in USER, PASS and replies from now on."""

    verb: ClassVar[str] = "UTF8"


Pop3Command: TypeAlias = (
    UserCommand
    | PassCommand
    | ApopCommand
    | QuitCommand
    | StatCommand
    | ListCommand
    | RetrCommand
    | DeleCommand
    | NoopCommand
    | RsetCommand
    | TopCommand
    | UidlCommand
    | CapaCommand
    | StlsCommand
    | AuthCommand
    | Utf8Command
)

# --- Argument parsers --------------------------------------------------------------------
#
# Each takes the verb and the bytes after "VERB " (None when nothing followed the verb).

ArgumentParser: TypeAlias = Callable[[str, bytes | None], Pop3Command]


def _tokens(argument: bytes | None) -> list[bytes]:
    return argument.split() if argument is not None else []


def _message_number(token: bytes) -> int:
    # RFC 1939 §3: message-numbers are decimal and the first message is 1.
    if token.isdigit() and len(token) <= 10 and (number := int(token)) >= 1:
        return number
    raise Pop3SyntaxError("invalid message number")


def _line_count(token: bytes) -> int:
    # RFC 1939 §7 TOP: "a non-negative number of lines".
    if not token.isdigit() or len(token) > 10:
        raise Pop3SyntaxError("invalid number of lines")
    return int(token)


def _text(token: bytes, what: str) -> str:
    try:
        return token.decode("utf-8")
    except UnicodeDecodeError:
        raise Pop3SyntaxError(f"{what} is not valid UTF-8") from None


def _no_arguments(command: Callable[[], Pop3Command]) -> ArgumentParser:
    def parse(verb: str, argument: bytes | None) -> Pop3Command:
        if _tokens(argument):
            raise Pop3SyntaxError(f"{verb} takes no arguments")
        return command()

    return parse


def _parse_user(_verb: str, argument: bytes | None) -> Pop3Command:
    tokens = _tokens(argument)
    if len(tokens) != 1:
        raise Pop3SyntaxError("USER needs one user name")
    return UserCommand(_text(tokens[0], "the user name"))


def _parse_pass(_verb: str, argument: bytes | None) -> Pop3Command:
    # RFC 1939 §7 note: PASS has exactly one argument, so spaces in it belong to the
    # password. Nothing is stripped: "PASS  a b " has the password " a b ".
    if not argument:
        raise Pop3SyntaxError("PASS needs a password")
    return PassCommand(_text(argument, "the password"))


def _parse_apop(_verb: str, argument: bytes | None) -> Pop3Command:
    # RFC 1939 §7: APOP name digest, the digest being 32 lower-case hex digits (MD5).
    tokens = _tokens(argument)
    if len(tokens) != 2:
        raise Pop3SyntaxError("APOP needs a name and a digest")
    name, digest = tokens
    digest = digest.lower()
    if len(digest) != 32 or not set(digest) <= _APOP_DIGEST_CHARACTERS:
        raise Pop3SyntaxError("the APOP digest must be 32 hexadecimal digits")
    return ApopCommand(_text(name, "the name"), digest.decode("ascii"))


def _optional_message(
    command: Callable[[int | None], Pop3Command],
) -> ArgumentParser:
    def parse(verb: str, argument: bytes | None) -> Pop3Command:
        tokens = _tokens(argument)
        if len(tokens) > 1:
            raise Pop3SyntaxError(f"{verb} takes at most one message number")
        return command(_message_number(tokens[0]) if tokens else None)

    return parse


def _one_message(command: Callable[[int], Pop3Command]) -> ArgumentParser:
    def parse(verb: str, argument: bytes | None) -> Pop3Command:
        tokens = _tokens(argument)
        if len(tokens) != 1:
            raise Pop3SyntaxError(f"{verb} needs one message number")
        return command(_message_number(tokens[0]))

    return parse


def _parse_top(_verb: str, argument: bytes | None) -> Pop3Command:
    tokens = _tokens(argument)
    if len(tokens) != 2:
        raise Pop3SyntaxError("TOP needs a message number and a number of lines")
    return TopCommand(_message_number(tokens[0]), _line_count(tokens[1]))


def _parse_auth(_verb: str, argument: bytes | None) -> Pop3Command:
    # RFC 5034 §4: AUTH mechanism [initial-response].
    tokens = _tokens(argument)
    if not tokens:
        return AuthCommand(None)
    if len(tokens) > 2:
        raise Pop3SyntaxError("AUTH takes a mechanism and at most one initial response")
    mechanism = tokens[0].upper()
    if not 1 <= len(mechanism) <= 20 or not set(mechanism) <= _MECHANISM_CHARACTERS:
        raise Pop3SyntaxError("invalid SASL mechanism name")  # RFC 4422 §3.1
    initial_response = None
    if len(tokens) == 2:
        if not tokens[1].isascii():
            raise Pop3SyntaxError("the initial response must be base64")
        initial_response = tokens[1].decode("ascii")
    return AuthCommand(mechanism.decode("ascii"), initial_response)


# --- The table ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One verb: how its arguments are parsed and the states it is valid in."""

    parse: ArgumentParser
    states: frozenset[Pop3State]


_AUTHORIZATION = frozenset({Pop3State.AUTHORIZATION})
_TRANSACTION = frozenset({Pop3State.TRANSACTION})
_ANY_STATE = frozenset(Pop3State)

COMMANDS: Mapping[str, CommandSpec] = MappingProxyType(
    {
        # RFC 1939 §4 and §7: logging in.
        "USER": CommandSpec(_parse_user, _AUTHORIZATION),
        "PASS": CommandSpec(_parse_pass, _AUTHORIZATION),
        "APOP": CommandSpec(_parse_apop, _AUTHORIZATION),
        "AUTH": CommandSpec(_parse_auth, _AUTHORIZATION),  # RFC 5034 §4
        "STLS": CommandSpec(_no_arguments(StlsCommand), _AUTHORIZATION),  # RFC 2595 §4
        "UTF8": CommandSpec(_no_arguments(Utf8Command), _AUTHORIZATION),  # RFC 6856 §2
        # RFC 1939 §5 and §7: the maildrop.
        "STAT": CommandSpec(_no_arguments(StatCommand), _TRANSACTION),
        "LIST": CommandSpec(_optional_message(ListCommand), _TRANSACTION),
        "RETR": CommandSpec(_one_message(RetrCommand), _TRANSACTION),
        "DELE": CommandSpec(_one_message(DeleCommand), _TRANSACTION),
        "NOOP": CommandSpec(_no_arguments(NoopCommand), _TRANSACTION),
        "RSET": CommandSpec(_no_arguments(RsetCommand), _TRANSACTION),
        "TOP": CommandSpec(_parse_top, _TRANSACTION),
        "UIDL": CommandSpec(_optional_message(UidlCommand), _TRANSACTION),
        # Any state: RFC 1939 §4 and §6 (QUIT), RFC 2449 §5 (CAPA).
        "QUIT": CommandSpec(_no_arguments(QuitCommand), _ANY_STATE),
        "CAPA": CommandSpec(_no_arguments(CapaCommand), _ANY_STATE),
    }
)


def parse_command(
    line: bytes,
    *,
    max_line: int = MAX_COMMAND_LINE,
    max_auth_line: int = MAX_AUTH_COMMAND_LINE,
) -> Pop3Command:
    """Parse one command line, with or without its CRLF (or bare LF).

    Lengths count the line with a two-octet CRLF, whatever ended it: at most ``max_line``
    (RFC 2449 §4), or ``max_auth_line`` for AUTH. Raises ``Pop3SyntaxError``, whose
    ``reply`` is the -ERR line to send; the session then goes on reading commands.
    """
    if line.endswith(b"\r\n"):
        line = line[:-2]
    elif line.endswith(b"\n"):
        line = line[:-1]
    keyword, space, rest = line.partition(b" ")
    verb = keyword.upper().decode("ascii", errors="replace")
    limit = max_auth_line if verb == "AUTH" else max_line
    if len(line) + 2 > limit:
        raise Pop3SyntaxError("line too long")
    # Octet values rather than one-octet bytes: ``13 in line`` skips the buffer protocol
    # and is ten times faster, on the path of every command.
    if _CR in line or _LF in line or _NUL in line:
        raise Pop3SyntaxError("invalid characters in command line")
    if not keyword:
        raise Pop3SyntaxError("empty command line" if not line else "unknown command")
    spec = COMMANDS.get(verb)
    if spec is None:
        raise Pop3SyntaxError("unknown command")
    return spec.parse(verb, rest if space else None)
