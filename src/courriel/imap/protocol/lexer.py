"""Tokens of a framed command: atoms, numbers, strings, literals, lists, dates, flags.

Owns :class:`Reader`, a cursor over one :class:`~courriel.imap.protocol.framing.CommandFrame`
that reads the RFC 9051 §9 grammar's terminals: ``atom``, ``astring``, ``nstring``,
``string`` (``quoted`` with escapes, ``literal``, ``literal8`` RFC 3516 §7), ``number``,
``number64``, ``nz-number``, ``list-mailbox``, ``flag``/``flag-list``, ``date`` and
``date-time``, ``sequence-set``. IMAP4rev2 quoted strings may carry UTF-8 (RFC 9051 §9
``QUOTED-CHAR``); invalid UTF-8 in a quoted string is a syntax error.

Errors raise :class:`SyntaxProblem` (text, optional code); the parser adds the tag.

Must not: know commands (``parser`` and the ``parse_*`` modules do) or decode mailbox names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import TypeVar

from courriel.imap.protocol.codes import ResponseCode
from courriel.imap.protocol.errors import Status
from courriel.imap.protocol.sequenceset import SequenceSet

T = TypeVar("T")

MAX_NUMBER = 4_294_967_295  # RFC 9051 §9 number
MAX_NUMBER64 = 9_223_372_036_854_775_807  # RFC 9051 §9 number64

# RFC 9051 §9: ATOM-CHAR is any CHAR except atom-specials "(" ")" "{" SP CTL "%" "*"
# DQUOTE "\" "]"; ASTRING-CHAR adds "]"; list-char adds "%" "*" "]".
_ATOM = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\\]]+")
_ASTRING_ATOM = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\]+")
_LIST_CHARS = re.compile(rb"[^\x00-\x20\x7f-\xff(){\"\\]+")
_QUOTED = re.compile(rb'"((?:[^"\\\r\n\x00]|\\["\\])*+)"')
_QUOTED_PAIR = re.compile(rb"\\([\"\\])")
_LITERAL = re.compile(rb"(~?)\{([0-9]{1,19})(\+?)\}\r\n")
_DIGITS = re.compile(rb"[0-9]+")
_WORD = re.compile(rb"[A-Za-z0-9.\-]*")
_SEQUENCE_SET = re.compile(rb"[0-9*:,$]+")
_FLAG = re.compile(rb"\\?[^\x00-\x20\x7f-\xff(){%*\"\\\]]+")
_DATE = re.compile(rb"([0-9]{1,2})-([A-Za-z]{3})-([0-9]{4})")
_DATE_TIME = re.compile(
    rb'"([ 0-9]?[0-9])-([A-Za-z]{3})-([0-9]{4}) '
    rb'([0-9]{2}):([0-9]{2}):([0-9]{2}) ([+-])([0-9]{2})([0-9]{2})"'
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        b"JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(),
        start=1,
    )
}
#: System flags (RFC 9051 §2.3.2) in their canonical spelling, by lower-case name;
#: \Recent is IMAP4rev1 only (RFC 3501 §2.3.2).
SYSTEM_FLAGS = {
    name.lower(): name
    for name in ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\Recent")
}


class SyntaxProblem(Exception):
    """A syntax error at the reader's position; ``parse_command`` adds the tag."""

    def __init__(self, text: str, code: ResponseCode | None = None, status: Status = "BAD"):
        super().__init__(text)
        self.text = text
        self.code = code
        self.status: Status = status


class Reader:
    """A cursor over the bytes of one command (literal markers and data inline)."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    # -- positions ---------------------------------------------------------------------

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def peek(self, count: int = 1) -> bytes:
        return self.data[self.pos : self.pos + count]

    def peek_word(self) -> bytes:
        """The upper-cased letters, digits, dots and dashes at the cursor (not consumed)."""
        match = _WORD.match(self.data, self.pos)
        return match.group().upper() if match else b""

    def take(self, prefix: bytes) -> bool:
        """Consume ``prefix`` (ASCII letters compared case-insensitively) if present."""
        end = self.pos + len(prefix)
        if self.data[self.pos : end].upper() == prefix.upper():
            self.pos = end
            return True
        return False

    def expect(self, token: bytes, what: str | None = None) -> None:
        if not self.take(token):
            raise SyntaxProblem(f"Expected {what or token.decode('ascii')}")

    def space(self) -> None:
        if self.peek() != b" ":
            if self.at_end():
                raise SyntaxProblem("Missing argument")
            raise SyntaxProblem("Expected a space")
        self.pos += 1

    def try_space(self) -> bool:
        if self.peek() == b" ":
            self.pos += 1
            return True
        return False

    def end(self) -> None:
        if not self.at_end():
            raise SyntaxProblem("Unexpected extra arguments")

    def _match(self, pattern: re.Pattern[bytes], what: str) -> re.Match[bytes]:
        match = pattern.match(self.data, self.pos)
        if match is None:
            if self.at_end():
                raise SyntaxProblem(f"Missing {what}")
            raise SyntaxProblem(f"Expected {what}")
        self.pos = match.end()
        return match

    # -- atoms and numbers -------------------------------------------------------------

    def atom(self, what: str = "an atom") -> str:
        return self._match(_ATOM, what).group().decode("ascii")

    def keyword(self, what: str = "a keyword") -> str:
        """An atom, upper-cased (command names, options, search keys are case-insensitive,
        RFC 9051 §9 "case-insensitive")."""
        return self.atom(what).upper()

    def number(self, what: str = "a number", *, limit: int = MAX_NUMBER) -> int:
        value = int(self._match(_DIGITS, what).group())
        if value > limit:
            raise SyntaxProblem(f"Number out of range: {value}")
        return value

    def nz_number(self, what: str = "a non-zero number") -> int:
        value = self.number(what)
        if value == 0:
            raise SyntaxProblem(f"Expected {what}")
        return value

    def number64(self, what: str = "a number") -> int:
        return self.number(what, limit=MAX_NUMBER64)

    def mod_sequence(self, *, zero: bool = False) -> int:
        """``mod-sequence-value`` (1..2^63-1) or ``mod-sequence-valzer`` (RFC 7162 §7)."""
        value = self.number64("a mod-sequence value")
        if value == 0 and not zero:
            raise SyntaxProblem("Expected a non-zero mod-sequence value")
        return value

    # -- strings -----------------------------------------------------------------------

    def quoted(self) -> bytes:
        match = self._match(_QUOTED, "a quoted string")
        value = match.group(1)
        if b"\\" in value:
            value = _QUOTED_PAIR.sub(rb"\1", value)
        if not value.isascii():
            try:  # RFC 9051 §9 QUOTED-CHAR: UTF8-2 / UTF8-3 / UTF8-4 only
                value.decode("utf-8")
            except UnicodeDecodeError:
                raise SyntaxProblem("Invalid UTF-8 in quoted string") from None
        return value

    def literal(self, *, allow_binary: bool = False) -> tuple[bytes, bool]:
        """A literal's octets and whether it was a ``literal8`` (``~{n}``, RFC 3516 §4.1)."""
        match = self._match(_LITERAL, "a literal")
        binary = bool(match.group(1))
        if binary and not allow_binary:
            raise SyntaxProblem("literal8 is only allowed for APPEND data")
        size = int(match.group(2))
        start = match.end()
        end = start + size
        if end > len(self.data):
            raise SyntaxProblem("Truncated literal")
        value = self.data[start:end]
        if not binary and b"\x00" in value:
            # RFC 9051 §9 CHAR8 excludes NUL; RFC 3516 §4.2: binary data needs literal8.
            raise SyntaxProblem("NUL octet in a literal (use literal8)")
        self.pos = end
        return value, binary

    def at_string(self) -> bool:
        """True when a quoted string or a literal (``{``, ``~{``) starts here."""
        first = self.peek()
        return first in (b'"', b"{") or (first == b"~" and self.peek(2) == b"~{")

    def string(self, what: str = "a string") -> bytes:
        first = self.peek()
        if first == b'"':
            return self.quoted()
        if self.at_string():
            return self.literal()[0]
        if self.at_end():
            raise SyntaxProblem(f"Missing {what}")
        raise SyntaxProblem(f"Expected {what}")

    def astring(self, what: str = "a string") -> bytes:
        if self.at_string():
            return self.string(what)
        return self._match(_ASTRING_ATOM, what).group()

    def nstring(self, what: str = "a string or NIL") -> bytes | None:
        if self.peek(3).upper() == b"NIL" and not _ASTRING_ATOM.match(self.data, self.pos + 3):
            self.pos += 3
            return None
        return self.string(what)

    def list_mailbox(self) -> bytes:
        """``list-mailbox`` = 1*list-char / string (RFC 9051 §9): wildcards allowed."""
        if self.at_string():
            return self.string("a mailbox pattern")
        return self._match(_LIST_CHARS, "a mailbox pattern").group()

    def text(self, what: str = "a string", reader: Callable[[], bytes] | None = None) -> str:
        """A string (astring by default) decoded as UTF-8 (RFC 9051 §4.3, RFC 6855)."""
        raw = (reader or (lambda: self.astring(what)))()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SyntaxProblem(f"Invalid UTF-8 in {what}") from None

    # -- composite ---------------------------------------------------------------------

    def paren_list(self, item: Callable[[], T], *, empty: bool = False) -> list[T]:
        """``"(" item *(SP item) ")"``; ``empty`` allows ``()``."""
        self.expect(b"(", '"("')
        items: list[T] = []
        if self.take(b")"):
            if not empty:
                raise SyntaxProblem("Empty list")
            return items
        while True:
            items.append(item())
            if self.take(b")"):
                return items
            self.space()

    def flag(self) -> str:
        """``flag`` (RFC 9051 §9): a system flag (canonical spelling), ``\\`` atom, or a
        keyword atom."""
        text = self._match(_FLAG, "a flag").group().decode("ascii")
        if text.startswith("\\"):
            return SYSTEM_FLAGS.get(text.lower(), text)
        return text

    def flag_list(self) -> tuple[str, ...]:
        return tuple(self.paren_list(self.flag, empty=True))

    def sequence_set(self) -> SequenceSet:
        text = self._match(_SEQUENCE_SET, "a sequence set").group()
        try:
            return SequenceSet.parse(text)
        except ValueError:
            raise SyntaxProblem("Invalid sequence set") from None

    def date(self) -> date:
        """``date`` = date-text / DQUOTE date-text DQUOTE (RFC 9051 §9)."""
        quoted = self.take(b'"')
        match = self._match(_DATE, "a date (dd-Mon-yyyy)")
        if quoted:
            self.expect(b'"', "a closing quote")
        day, month_name, year = match.groups()
        month = _MONTHS.get(month_name.upper())
        try:
            if month is None:
                raise ValueError(month_name)
            return date(int(year), month, int(day))
        except ValueError:
            raise SyntaxProblem("Invalid date") from None

    def date_time(self) -> datetime:
        """``date-time`` (RFC 9051 §9): ``"17-Jul-1996 02:44:25 -0700"``, timezone-aware."""
        match = self._match(_DATE_TIME, "a date-time")
        day, month_name, year, hour, minute, second, sign, zone_h, zone_m = match.groups()
        month = _MONTHS.get(month_name.upper())
        try:
            if month is None:
                raise ValueError(month_name)
            offset = timedelta(hours=int(zone_h), minutes=int(zone_m))
            zone = timezone(-offset if sign == b"-" else offset) if offset else UTC
            return datetime(
                int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=zone
            )
        except ValueError:
            raise SyntaxProblem("Invalid date-time") from None
