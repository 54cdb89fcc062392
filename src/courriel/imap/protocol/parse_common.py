"""What every command parser shares: the parse context, the parser signature, mailbox
names and patterns.

Owns :class:`ParseContext` (what the parser must know of the session: whether the client
speaks UTF-8 mailbox names) and the decoding of mailbox names: UTF-8 for IMAP4rev2 and
UTF8=ACCEPT clients (RFC 9051 §5.1, RFC 6855 §3), modified UTF-7 for IMAP4rev1 clients
(RFC 3501 §5.1.3), ``INBOX`` case-insensitive (RFC 9051 §5.1).

Must not: hold session state beyond the context value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

from courriel.imap.protocol.commands import Command
from courriel.imap.protocol.lexer import Reader, SyntaxProblem
from courriel.imap.protocol.utf7 import decode_mailbox_name

C = TypeVar("C", bound=Command)


@dataclass(frozen=True, slots=True)
class ParseContext:
    """``utf8``: the client enabled IMAP4rev2 or UTF8=ACCEPT, so mailbox names are UTF-8
    (RFC 9051 §5.1, RFC 6855 §3); otherwise they are modified UTF-7 (RFC 3501 §5.1.3)."""

    utf8: bool = False


DEFAULT_CONTEXT = ParseContext()

#: A command parser: called with the tag and a reader just after the command name.
CommandParser: TypeAlias = Callable[[str, Reader, ParseContext], Command]


def decode_name(raw: bytes, context: ParseContext, *, strict: bool) -> str:
    """A mailbox name or pattern as text.

    IMAP4rev1 clients send modified UTF-7; raw UTF-8 from them is accepted too, since
    only UTF-8 makes sense of 8-bit octets. A pattern (``strict`` False) that is not valid
    modified UTF-7 is taken as written.
    """
    if context.utf8 or not raw.isascii():
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise SyntaxProblem("Mailbox name is not valid UTF-8") from None
    text = raw.decode("ascii")
    try:
        return decode_mailbox_name(text)
    except ValueError:
        if not strict:
            return text
        # The syntax is fine; the name is not one we can store: NO, as for any bad name.
        raise SyntaxProblem("Mailbox name is not valid modified UTF-7", status="NO") from None


def normalise_inbox(name: str) -> str:
    """``INBOX`` in any case is the inbox (RFC 9051 §5.1)."""
    return "INBOX" if name.upper() == "INBOX" else name


def read_mailbox(reader: Reader, context: ParseContext) -> str:
    """``mailbox`` = "INBOX" / astring (RFC 9051 §9)."""
    return normalise_inbox(decode_name(reader.astring("a mailbox name"), context, strict=True))


def read_reference(reader: Reader, context: ParseContext) -> str:
    """The LIST/LSUB reference name: a mailbox, decoded leniently."""
    return decode_name(reader.astring("a reference name"), context, strict=False)


def read_pattern(reader: Reader, context: ParseContext) -> str:
    """``list-mailbox`` (RFC 9051 §9), wildcards kept."""
    return decode_name(reader.list_mailbox(), context, strict=False)


def no_arguments(factory: Callable[[str], C]) -> Callable[[str, Reader, ParseContext], C]:
    """The parser of a command that takes no arguments (NOOP, CAPABILITY, ...)."""

    def parse(tag: str, reader: Reader, _context: ParseContext) -> C:
        reader.end()
        return factory(tag)

    return parse
