"""Parsers of the selected-state commands (RFC 9051 §6.4): CHECK (IMAP4rev1), CLOSE,
UNSELECT, EXPUNGE, SEARCH, SORT and THREAD (RFC 5256), FETCH, STORE, COPY, MOVE
(RFC 6851), each with its UID form (RFC 9051 §6.4.9) where there is one.

Must not: resolve sequence numbers or check them against the mailbox (the session).
"""

from __future__ import annotations

from typing import cast

from courriel.imap.protocol.commands import (
    Check,
    Close,
    Copy,
    Expunge,
    Fetch,
    Move,
    Search,
    SearchReturn,
    Sort,
    SortCriterion,
    Store,
    StoreAction,
    Thread,
    Unselect,
)
from courriel.imap.protocol.lexer import Reader, SyntaxProblem
from courriel.imap.protocol.parse_common import ParseContext, no_arguments, read_mailbox
from courriel.imap.protocol.parse_fetch import read_attributes
from courriel.imap.protocol.parse_search import SearchState, read_charset, read_keys
from courriel.imap.protocol.searchkeys import SearchKey

#: RETURN options of SEARCH (RFC 4731 §3.1; SAVE RFC 5182 §2.1).
SEARCH_RETURN_OPTIONS = frozenset({"MIN", "MAX", "ALL", "COUNT", "SAVE"})
#: SORT keys (RFC 5256 §3; DISPLAYFROM/DISPLAYTO RFC 5957 §3).
SORT_KEYS = frozenset(
    {"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"}
)
#: THREAD algorithms (RFC 5256 §3).
THREAD_ALGORITHMS = frozenset({"ORDEREDSUBJECT", "REFERENCES"})

parse_check = no_arguments(Check)  # RFC 3501 §6.4.1
parse_close = no_arguments(Close)  # RFC 9051 §6.4.1
parse_unselect = no_arguments(Unselect)  # RFC 9051 §6.4.2, RFC 3691 §2


def parse_expunge(tag: str, reader: Reader, _context: ParseContext) -> Expunge:
    reader.end()
    return Expunge(tag)  # RFC 9051 §6.4.3


def parse_uid_expunge(tag: str, reader: Reader, _context: ParseContext) -> Expunge:
    """``UID EXPUNGE SP sequence-set`` (RFC 4315 §2.1, RFC 9051 §6.4.9)."""
    reader.space()
    uids = reader.sequence_set()
    reader.end()
    return Expunge(tag, uids)


def _search(tag: str, reader: Reader, uid: bool) -> Search:
    """``SEARCH [SP "RETURN" SP "(" [opts] ")"] [SP "CHARSET" SP charset] 1*(SP key)``
    (RFC 9051 §6.4.4, RFC 4731 §3.1)."""
    reader.space()
    returns: tuple[SearchReturn, ...] | None = None
    if reader.take(b"RETURN "):
        options = reader.paren_list(lambda: reader.keyword("a RETURN option"), empty=True)
        for option in options:
            if option not in SEARCH_RETURN_OPTIONS:
                raise SyntaxProblem(f"Unknown RETURN option {option}")
        # RFC 4731 §3.1: RETURN () means RETURN (ALL).
        returns = cast(tuple[SearchReturn, ...], tuple(dict.fromkeys(options)) or ("ALL",))
        reader.space()
    charset: str | None = None
    if reader.take(b"CHARSET "):
        charset = read_charset(reader)
        reader.space()
    criteria = read_keys(reader, SearchState(charset))
    return Search(tag, criteria, uid, charset, returns)


def parse_search(tag: str, reader: Reader, _context: ParseContext) -> Search:
    return _search(tag, reader, uid=False)


def parse_uid_search(tag: str, reader: Reader, _context: ParseContext) -> Search:
    return _search(tag, reader, uid=True)


def _search_criteria(reader: Reader) -> tuple[str, SearchKey]:
    """``search-criteria = charset 1*(SP search-key)`` (RFC 5256 §5)."""
    charset = read_charset(reader)
    reader.space()
    return charset, read_keys(reader, SearchState(charset))


def _sort(tag: str, reader: Reader, uid: bool) -> Sort:
    """``SORT SP sort-criteria SP search-criteria`` (RFC 5256 §3)."""
    reader.space()

    def criterion() -> SortCriterion:
        reverse = reader.take(b"REVERSE ")
        key = reader.keyword("a sort key")
        if key not in SORT_KEYS:
            raise SyntaxProblem(f"Unknown sort key {key}")
        return SortCriterion(key, reverse)

    criteria = tuple(reader.paren_list(criterion))
    reader.space()
    charset, search = _search_criteria(reader)
    return Sort(tag, criteria, charset, search, uid)


def parse_sort(tag: str, reader: Reader, _context: ParseContext) -> Sort:
    return _sort(tag, reader, uid=False)


def parse_uid_sort(tag: str, reader: Reader, _context: ParseContext) -> Sort:
    return _sort(tag, reader, uid=True)


def _thread(tag: str, reader: Reader, uid: bool) -> Thread:
    """``THREAD SP thread-alg SP search-criteria`` (RFC 5256 §3)."""
    reader.space()
    algorithm = reader.keyword("a thread algorithm")
    if algorithm not in THREAD_ALGORITHMS:
        raise SyntaxProblem(f"Unknown thread algorithm {algorithm}")
    reader.space()
    charset, search = _search_criteria(reader)
    return Thread(tag, algorithm, charset, search, uid)


def parse_thread(tag: str, reader: Reader, _context: ParseContext) -> Thread:
    return _thread(tag, reader, uid=False)


def parse_uid_thread(tag: str, reader: Reader, _context: ParseContext) -> Thread:
    return _thread(tag, reader, uid=True)


def _fetch(tag: str, reader: Reader, uid: bool) -> Fetch:
    """``FETCH SP sequence-set SP (macro / fetch-att / "(" fetch-att... ")")
    [SP "(" fetch-modifier *(SP fetch-modifier) ")"]`` (RFC 9051 §6.4.5, RFC 7162 §3.1.4.1,
    §3.2.6)."""
    reader.space()
    sequence_set = reader.sequence_set()
    reader.space()
    attributes = read_attributes(reader)
    changed_since: int | None = None
    vanished = False
    if reader.try_space():
        reader.expect(b"(", '"("')
        while True:
            modifier = reader.keyword("a FETCH modifier")
            if modifier == "CHANGEDSINCE":  # RFC 7162 §3.1.4.1
                reader.space()
                changed_since = reader.mod_sequence()
            elif modifier == "VANISHED" and uid:  # RFC 7162 §3.2.6: UID FETCH only
                vanished = True
            else:
                raise SyntaxProblem(f"Unknown FETCH modifier {modifier}")
            if reader.take(b")"):
                break
            reader.space()
    if vanished and changed_since is None:
        # RFC 7162 §3.2.6: VANISHED without CHANGEDSINCE is a BAD.
        raise SyntaxProblem("VANISHED requires CHANGEDSINCE")
    reader.end()
    return Fetch(tag, sequence_set, attributes, uid, changed_since, vanished)


def parse_fetch(tag: str, reader: Reader, _context: ParseContext) -> Fetch:
    return _fetch(tag, reader, uid=False)


def parse_uid_fetch(tag: str, reader: Reader, _context: ParseContext) -> Fetch:
    return _fetch(tag, reader, uid=True)


def _store(tag: str, reader: Reader, uid: bool) -> Store:
    """``STORE SP sequence-set [SP "(" "UNCHANGEDSINCE" SP modseq ")"] SP store-att-flags``,
    store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))
    (RFC 9051 §6.4.6, RFC 7162 §3.1.3)."""
    reader.space()
    sequence_set = reader.sequence_set()
    reader.space()
    unchanged_since: int | None = None
    if reader.take(b"("):
        modifier = reader.keyword("a STORE modifier")
        if modifier != "UNCHANGEDSINCE":
            raise SyntaxProblem(f"Unknown STORE modifier {modifier}")
        reader.space()
        unchanged_since = reader.mod_sequence(zero=True)
        reader.expect(b")", '")"')
        reader.space()
    action = StoreAction.REPLACE
    if reader.take(b"+"):
        action = StoreAction.ADD
    elif reader.take(b"-"):
        action = StoreAction.REMOVE
    item = reader.keyword("FLAGS or FLAGS.SILENT")
    if item not in ("FLAGS", "FLAGS.SILENT"):
        raise SyntaxProblem(f"Unknown STORE item {item}")
    reader.space()
    if reader.peek() == b"(":
        flags = reader.flag_list()
    else:
        flag_names = [reader.flag()]
        while reader.try_space():
            flag_names.append(reader.flag())
        flags = tuple(flag_names)
    reader.end()
    return Store(tag, sequence_set, action, flags, item == "FLAGS.SILENT", uid, unchanged_since)


def parse_store(tag: str, reader: Reader, _context: ParseContext) -> Store:
    return _store(tag, reader, uid=False)


def parse_uid_store(tag: str, reader: Reader, _context: ParseContext) -> Store:
    return _store(tag, reader, uid=True)


def parse_copy(tag: str, reader: Reader, context: ParseContext) -> Copy:
    """``COPY SP sequence-set SP mailbox`` (RFC 9051 §6.4.7)."""
    reader.space()
    sequence_set = reader.sequence_set()
    reader.space()
    mailbox = read_mailbox(reader, context)
    reader.end()
    return Copy(tag, sequence_set, mailbox)


def parse_uid_copy(tag: str, reader: Reader, context: ParseContext) -> Copy:
    command = parse_copy(tag, reader, context)
    return Copy(tag, command.sequence_set, command.mailbox, uid=True)


def parse_move(tag: str, reader: Reader, context: ParseContext) -> Move:
    """``MOVE SP sequence-set SP mailbox`` (RFC 9051 §6.4.8, RFC 6851 §3.1)."""
    reader.space()
    sequence_set = reader.sequence_set()
    reader.space()
    mailbox = read_mailbox(reader, context)
    reader.end()
    return Move(tag, sequence_set, mailbox)


def parse_uid_move(tag: str, reader: Reader, context: ParseContext) -> Move:
    command = parse_move(tag, reader, context)
    return Move(tag, command.sequence_set, command.mailbox, uid=True)
