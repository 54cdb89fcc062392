"""The ``search-key`` grammar (RFC 9051 §6.4.4) as an explicit table, plus CHARSET.

Owns: reading one search key or a program of keys into :mod:`searchkeys` values, with
IMAP4rev1's RECENT/NEW/OLD (RFC 3501 §6.4.4), MODSEQ (RFC 7162 §3.1.5), SAVEDBEFORE/
SAVEDON/SAVEDSINCE/SAVEDATESUPPORTED (RFC 8514 §5), EMAILID/THREADID (RFC 8474 §6), ``$``
(RFC 5182 §2.1); the CHARSET check (US-ASCII and UTF-8 always, RFC 9051 §6.4.4; other
known charsets decoded, unknown ones rejected with NO [BADCHARSET]); and a nesting limit.

Must not: give keys meaning (``search``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from courriel.imap.protocol.codes import bad_charset_code
from courriel.imap.protocol.lexer import Reader, SyntaxProblem
from courriel.imap.protocol.searchkeys import (
    AllKey,
    AndKey,
    DateField,
    DateKey,
    DateRelation,
    FlagKey,
    HeaderKey,
    ModSeqKey,
    NotKey,
    ObjectIdKey,
    OrKey,
    RecentKey,
    SaveDateSupportedKey,
    SearchKey,
    SequenceKey,
    SizeKey,
    TextKey,
    UidKey,
)
from courriel.mail.charset import codec_name, decode_bytes

#: Nesting depth of NOT / OR / parentheses a client may use.
MAX_DEPTH = 32
#: Charsets named in BADCHARSET (RFC 9051 §6.4.4: both MUST be supported).
SUPPORTED_CHARSETS = ("US-ASCII", "UTF-8")
# RFC 8474 §7: objectid = 1*255(ALPHA / DIGIT / "_" / "-")
_OBJECT_ID = re.compile(rb"[A-Za-z0-9_-]{1,255}")
# RFC 7162 §7: entry-type-req = entry-type-resp / "all"; entry-type-resp = "priv" / "shared"
_ENTRY_TYPES = frozenset({"PRIV", "SHARED", "ALL"})


@dataclass(slots=True)
class SearchState:
    """What key parsers need besides the reader: the charset for strings, the depth."""

    charset: str | None = None
    depth: int = 0

    def text(self, reader: Reader) -> str:
        """An astring decoded with the CHARSET (UTF-8 without one; RFC 9051 §6.4.4)."""
        return decode_bytes(reader.astring("a search string"), self.charset or "utf-8")


KeyParser = Callable[[Reader, SearchState], SearchKey]


def _flag(flag: str, present: bool) -> KeyParser:
    return lambda _reader, _state: FlagKey(flag, present)


def _recent(kind: Literal["RECENT", "NEW", "OLD"]) -> KeyParser:
    return lambda _reader, _state: RecentKey(kind)


def _date(field: DateField, relation: DateRelation) -> KeyParser:
    def parse(reader: Reader, _state: SearchState) -> SearchKey:
        reader.space()
        return DateKey(field, relation, reader.date())

    return parse


def _header(name: str) -> KeyParser:
    def parse(reader: Reader, state: SearchState) -> SearchKey:
        reader.space()
        return HeaderKey(name, state.text(reader))

    return parse


def _text(scope: Literal["text", "body"]) -> KeyParser:
    def parse(reader: Reader, state: SearchState) -> SearchKey:
        reader.space()
        return TextKey(scope, state.text(reader))

    return parse


def _size(relation: Literal["larger", "smaller"]) -> KeyParser:
    def parse(reader: Reader, _state: SearchState) -> SearchKey:
        reader.space()
        return SizeKey(relation, reader.number64("a size"))

    return parse


def _keyword(present: bool) -> KeyParser:
    def parse(reader: Reader, _state: SearchState) -> SearchKey:
        reader.space()
        return FlagKey(reader.atom("a keyword"), present)  # flag-keyword = atom

    return parse


def _object_id(kind: Literal["EMAILID", "THREADID"]) -> KeyParser:
    def parse(reader: Reader, _state: SearchState) -> SearchKey:
        reader.space()
        raw = reader.astring("an object id")
        if not _OBJECT_ID.fullmatch(raw):
            raise SyntaxProblem("Invalid object id")
        return ObjectIdKey(kind, raw.decode("ascii"))

    return parse


def _header_field(reader: Reader, state: SearchState) -> SearchKey:
    """HEADER field-name string (RFC 9051 §6.4.4)."""
    reader.space()
    name = reader.text("a header field name")
    reader.space()
    return HeaderKey(name, state.text(reader))


def _modseq(reader: Reader, _state: SearchState) -> SearchKey:
    """MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer (RFC 7162 §7)."""
    reader.space()
    if reader.peek() in (b'"', b"{"):
        entry_name = reader.text("an entry name", lambda: reader.string("an entry name"))
        reader.space()
        entry_type = reader.keyword("an entry type")
        if entry_type not in _ENTRY_TYPES:
            raise SyntaxProblem("Invalid MODSEQ entry type")
        reader.space()
        return ModSeqKey(reader.mod_sequence(zero=True), entry_name, entry_type.lower())
    return ModSeqKey(reader.mod_sequence(zero=True))


def _not(reader: Reader, state: SearchState) -> SearchKey:
    reader.space()
    return NotKey(read_key(reader, state))


def _or(reader: Reader, state: SearchState) -> SearchKey:
    reader.space()
    left = read_key(reader, state)
    reader.space()
    return OrKey(left, read_key(reader, state))


def _uid(reader: Reader, _state: SearchState) -> SearchKey:
    reader.space()
    return UidKey(reader.sequence_set())


#: RFC 9051 §6.4.4 search keys (RFC 3501 §6.4.4 for RECENT/NEW/OLD), by name.
SEARCH_KEYS: dict[str, KeyParser] = {
    "ALL": lambda _reader, _state: AllKey(),
    "ANSWERED": _flag("\\Answered", True),
    "BCC": _header("Bcc"),
    "BEFORE": _date("internal", "before"),
    "BODY": _text("body"),
    "CC": _header("Cc"),
    "DELETED": _flag("\\Deleted", True),
    "DRAFT": _flag("\\Draft", True),
    "FLAGGED": _flag("\\Flagged", True),
    "FROM": _header("From"),
    "HEADER": _header_field,
    "KEYWORD": _keyword(True),
    "LARGER": _size("larger"),
    "NOT": _not,
    "ON": _date("internal", "on"),
    "OR": _or,
    "SEEN": _flag("\\Seen", True),
    "SENTBEFORE": _date("sent", "before"),
    "SENTON": _date("sent", "on"),
    "SENTSINCE": _date("sent", "since"),
    "SINCE": _date("internal", "since"),
    "SMALLER": _size("smaller"),
    "SUBJECT": _header("Subject"),
    "TEXT": _text("text"),
    "TO": _header("To"),
    "UID": _uid,
    "UNANSWERED": _flag("\\Answered", False),
    "UNDELETED": _flag("\\Deleted", False),
    "UNDRAFT": _flag("\\Draft", False),
    "UNFLAGGED": _flag("\\Flagged", False),
    "UNKEYWORD": _keyword(False),
    "UNSEEN": _flag("\\Seen", False),
    "RECENT": _recent("RECENT"),  # RFC 3501 §6.4.4
    "NEW": _recent("NEW"),  # RFC 3501 §6.4.4
    "OLD": _recent("OLD"),  # RFC 3501 §6.4.4
    "MODSEQ": _modseq,  # RFC 7162 §3.1.5
    "SAVEDBEFORE": _date("saved", "before"),  # RFC 8514 §5
    "SAVEDON": _date("saved", "on"),  # RFC 8514 §5
    "SAVEDSINCE": _date("saved", "since"),  # RFC 8514 §5
    "SAVEDATESUPPORTED": lambda _reader, _state: SaveDateSupportedKey(),  # RFC 8514 §5
    "EMAILID": _object_id("EMAILID"),  # RFC 8474 §6
    "THREADID": _object_id("THREADID"),  # RFC 8474 §6
}


def read_key(reader: Reader, state: SearchState) -> SearchKey:
    """One ``search-key``."""
    state.depth += 1
    try:
        if state.depth > MAX_DEPTH:
            raise SyntaxProblem("Search keys nested too deeply")
        first = reader.peek()
        if first == b"(":
            return AndKey(tuple(reader.paren_list(lambda: read_key(reader, state))))
        if first[:1].isdigit() or first in (b"*", b"$"):
            return SequenceKey(reader.sequence_set())
        name = reader.keyword("a search key")
        parse = SEARCH_KEYS.get(name)
        if parse is None:
            raise SyntaxProblem(f"Unknown search key {name}")
        return parse(reader, state)
    finally:
        state.depth -= 1


def read_keys(reader: Reader, state: SearchState) -> SearchKey:
    """``search-key *(SP search-key)`` up to the end: one key, or an :class:`AndKey`."""
    keys = [read_key(reader, state)]
    while reader.try_space():
        keys.append(read_key(reader, state))
    reader.end()
    return keys[0] if len(keys) == 1 else AndKey(tuple(keys))


def read_charset(reader: Reader) -> str:
    """``charset = atom / quoted``, checked (RFC 9051 §6.4.4: NO [BADCHARSET])."""
    raw = reader.quoted() if reader.peek() == b'"' else reader.atom("a charset").encode()
    name = raw.decode("ascii", "replace").upper()
    if codec_name(name) is None:
        raise SyntaxProblem(
            f"Unsupported charset {name}", bad_charset_code(SUPPORTED_CHARSETS), "NO"
        )
    return name
