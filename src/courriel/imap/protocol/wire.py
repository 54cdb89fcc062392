"""Wire values: how the server writes atoms, numbers, strings, lists and mailbox names.

Owns the choice between atom, quoted string and literal for every string the server sends
(RFC 9051 §4.1-§4.3, §9 ``string``/``astring``/``nstring``) and mailbox name encoding per
client: modified UTF-7 for IMAP4rev1 clients (RFC 3501 §5.1.3), UTF-8 for IMAP4rev2 and for
clients that enabled UTF8=ACCEPT (RFC 9051 §5.1, RFC 6855 §3).

A :data:`Value` is plain Python where it can be: ``None`` is NIL, an ``int`` a number, a
``str`` or ``bytes`` a string (quoted when safe, else a literal), a ``tuple`` a
parenthesised list; :class:`Atom`, :class:`AString`, :class:`Literal` and
:class:`MailboxName` and :class:`Adjacent` say more when needed.

Must not: decide what to send (``responses`` and ``fetch`` do) or do I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

from courriel.imap.protocol.utf7 import encode_mailbox_name

#: Strings longer than this go out as literals, so response lines stay short for clients
#: with line buffers (RFC 7162 §4 recommends accepting 8192-octet lines).
MAX_QUOTED = 1024

# RFC 9051 §9: ASTRING-CHAR = ATOM-CHAR / resp-specials; ATOM-CHAR excludes atom-specials
# "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials.
_ASTRING = re.compile(rb"[^\x00-\x20\x7f-\xff(){%*\"\\]+")
# RFC 9051 §4.3: a quoted string cannot carry CR, LF or NUL.
_NOT_QUOTABLE = re.compile(rb"[\x00\r\n]")
_QUOTED_SPECIALS = re.compile(rb'(["\\])')


@dataclass(frozen=True, slots=True)
class Atom:
    """Text sent as is: keywords, flags (``\\Seen``), capability names, ``1:3`` sets."""

    text: str


@dataclass(frozen=True, slots=True)
class AString:
    """An ``astring`` (RFC 9051 §9): an atom when the text is one, else a string."""

    text: str


@dataclass(frozen=True, slots=True)
class Literal:
    """Bytes always sent as a literal; ``binary`` makes it a ``literal8`` (RFC 3516 §4.2)."""

    data: bytes
    binary: bool = False


@dataclass(frozen=True, slots=True)
class MailboxName:
    """A mailbox name, encoded for the client when written (RFC 9051 §5.1)."""

    name: str


@dataclass(frozen=True, slots=True)
class Adjacent:
    """Values written one after the other without spaces: the ``1*body`` of a multipart
    BODYSTRUCTURE (RFC 9051 §9 ``body-type-mpart``)."""

    values: tuple[Value, ...]


Value: TypeAlias = (
    int
    | str
    | bytes
    | Atom
    | AString
    | Literal
    | MailboxName
    | Adjacent
    | tuple["Value", ...]
    | None
)


def quote(data: bytes) -> bytes:
    """``data`` as a quoted string (the caller checked that it may be one)."""
    if b'"' not in data and b"\\" not in data:  # most strings: nothing to escape
        return b'"' + data + b'"'
    return b'"' + _QUOTED_SPECIALS.sub(rb"\\\1", data) + b'"'


def literal(data: bytes, *, binary: bool = False) -> bytes:
    """``{n}`` CRLF data, or ``~{n}`` for a literal8 (RFC 9051 §4.3, RFC 3516 §4.2)."""
    prefix = b"~{" if binary else b"{"
    return prefix + str(len(data)).encode("ascii") + b"}\r\n" + data


def _quotable(data: bytes, utf8: bool) -> bool:
    if len(data) > MAX_QUOTED or _NOT_QUOTABLE.search(data):
        return False
    if data.isascii():
        return True
    if not utf8:  # RFC 3501 §4.3: 8-bit text only in literals
        return False
    try:  # RFC 9051 §9 QUOTED-CHAR: UTF8-2 / UTF8-3 / UTF8-4
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def string(data: str | bytes, *, utf8: bool = False) -> bytes:
    """A ``string``: quoted when it may be, else a literal (RFC 9051 §4.3)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return quote(raw) if _quotable(raw, utf8) else literal(raw)


def astring(data: str | bytes, *, utf8: bool = False) -> bytes:
    """An ``astring``: an atom when possible (never ``NIL``, which would read as NIL)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if _ASTRING.fullmatch(raw) and raw.upper() != b"NIL":
        return raw
    return string(raw, utf8=utf8)


def mailbox(name: str, *, utf8: bool = False) -> bytes:
    """A mailbox name: UTF-8 for UTF-8 clients, modified UTF-7 otherwise (RFC 9051 §5.1,
    RFC 3501 §5.1.3, RFC 6855 §3)."""
    return astring(name if utf8 else encode_mailbox_name(name), utf8=utf8)


def write_value(out: list[bytes], value: Value, utf8: bool) -> None:
    """Append the wire form of ``value`` to ``out``."""
    if value is None:
        out.append(b"NIL")
    elif isinstance(value, tuple):
        out.append(b"(")
        for index, item in enumerate(value):
            if index:
                out.append(b" ")
            write_value(out, item, utf8)
        out.append(b")")
    elif isinstance(value, (str, bytes)):
        out.append(string(value, utf8=utf8))
    elif isinstance(value, bool):  # pragma: no cover - a programming error
        raise TypeError("booleans have no IMAP wire form")
    elif isinstance(value, int):
        out.append(str(value).encode("ascii"))
    elif isinstance(value, Atom):
        out.append(value.text.encode("utf-8"))
    elif isinstance(value, AString):
        out.append(astring(value.text, utf8=utf8))
    elif isinstance(value, MailboxName):
        out.append(mailbox(value.name, utf8=utf8))
    elif isinstance(value, Adjacent):
        for item in value.values:
            write_value(out, item, utf8)
    else:
        out.append(literal(value.data, binary=value.binary))


def render(value: Value, *, utf8: bool = False) -> bytes:
    """The wire form of ``value``."""
    out: list[bytes] = []
    write_value(out, value, utf8)
    return b"".join(out)
