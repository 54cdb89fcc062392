"""Parsers of the commands valid in any state (RFC 9051 §6.1): CAPABILITY, NOOP, LOGOUT,
plus ID (RFC 2971) and COMPRESS (RFC 4978).

Must not: decide what the answers are.
"""

from __future__ import annotations

from courriel.imap.protocol.commands import Capability, Compress, Id, Logout, Noop
from courriel.imap.protocol.lexer import Reader, SyntaxProblem
from courriel.imap.protocol.parse_common import ParseContext, no_arguments

# RFC 2971 §3.3: at most 30 pairs, field names of 30 octets, values of 1024 octets.
MAX_ID_PAIRS = 30
MAX_ID_FIELD = 30
MAX_ID_VALUE = 1024

parse_capability = no_arguments(Capability)  # RFC 9051 §6.1.1
parse_noop = no_arguments(Noop)  # RFC 9051 §6.1.2
parse_logout = no_arguments(Logout)  # RFC 9051 §6.1.3


def parse_id(tag: str, reader: Reader, _context: ParseContext) -> Id:
    """``ID SP id-params-list``, id-params-list = "(" *(string SP nstring) ")" / nil
    (RFC 2971 §4)."""
    reader.space()
    if reader.take(b"NIL"):
        reader.end()
        return Id(tag, None)
    reader.expect(b"(", '"(" or NIL')
    pairs: list[tuple[str, str | None]] = []
    while not reader.take(b")"):
        if pairs:
            reader.space()
        field = reader.text("an ID field name", lambda: reader.string("an ID field name"))
        reader.space()
        raw_value = reader.nstring("an ID value")
        value = None if raw_value is None else raw_value.decode("utf-8", "replace")
        if len(field.encode()) > MAX_ID_FIELD or (value and len(value.encode()) > MAX_ID_VALUE):
            raise SyntaxProblem("ID field or value too long")  # RFC 2971 §3.3
        pairs.append((field, value))
        if len(pairs) > MAX_ID_PAIRS:
            raise SyntaxProblem("Too many ID fields")  # RFC 2971 §3.3
    reader.end()
    return Id(tag, tuple(pairs))


def parse_compress(tag: str, reader: Reader, _context: ParseContext) -> Compress:
    """``COMPRESS SP algorithm`` (RFC 4978 §3); the session refuses all but DEFLATE."""
    reader.space()
    mechanism = reader.keyword("a compression mechanism")
    reader.end()
    return Compress(tag, mechanism)
