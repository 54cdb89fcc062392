"""Compile a ``storage.query`` criteria tree into SQL over ``message m JOIN blob b``.

Substring matches on header fields are case-insensitive with Unicode case folding (RFC 9051
§6.4.4: "case-insensitive substring"), through SQL functions registered on reader
connections. TEXT and BODY use the FTS5 index: every word of the query must appear, the last
one as a prefix, as a phrase — word-based, not arbitrary substrings; documented in
docs/rfc-support.md.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Callable
from typing import Any

from courriel.storage.query import (
    AllOf,
    AnyOf,
    DateRange,
    HasAttachment,
    HasFlags,
    HasKeyword,
    HeaderContains,
    MatchAll,
    ModSeqAtLeast,
    Not,
    SearchKey,
    SizeRange,
    TextContains,
    UidIn,
)

_SUMMARY_COLUMNS = {
    "subject": "b.subject",
    "from": "b.from_text",
    "to": "b.to_text",
    "cc": "b.cc_text",
    "bcc": "b.bcc_text",
}
# "sent" (see ``DateRange``): midnight UTC of the day the Date: header names (migration
# 0007); content stored before it has only the UTC instant, which compares with day-aligned
# bounds as its UTC day would; without a parsable Date:, the internal date (RFC 5256 §2.2).
_DATE_COLUMNS = {
    "internal": "m.internal_date",
    "sent": "coalesce(b.sent_day * 86400, b.sent_date, m.internal_date)",
    "saved": "m.save_date",
}
_WORD = re.compile(r"\w+", re.UNICODE)


def _contains(haystack: str | None, needle: str) -> bool:
    return haystack is not None and needle.casefold() in haystack.casefold()


def _header_contains(headers: str | None, name: str, needle: str) -> bool:
    """Whether a ``name: value`` line of ``headers`` has ``needle`` in its value."""
    if headers is None:
        return False
    prefix = name.casefold() + ":"
    folded_needle = needle.casefold()
    for line in headers.split("\n"):
        folded = line.casefold()
        if folded.startswith(prefix) and folded_needle in folded[len(prefix) :]:
            return True
    return False


def _words_match(text: str | None, words: str) -> bool:
    """Text not yet in the FTS index, matched like the index would: the words in order,
    the last one as a prefix, case and diacritics aside."""
    if text is None:
        return False
    found = _fold(" ".join(_WORD.findall(text)))
    wanted = _fold(words)
    index = found.find(wanted)
    while index >= 0:
        if index == 0 or found[index - 1] == " ":
            return True
        index = found.find(wanted, index + 1)
    return False


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def register_functions(connection: sqlite3.Connection) -> None:
    """SQL functions the compiled queries use; called on every reader connection."""
    connection.create_function("courriel_words", 2, _words_match, deterministic=True)
    connection.create_function("courriel_contains", 2, _contains, deterministic=True)
    connection.create_function("courriel_header", 3, _header_contains, deterministic=True)


def fts_query(text: str) -> str | None:
    """An FTS5 phrase query for ``text`` (words in order, last one a prefix), or None when
    the text has no word characters."""
    words = _WORD.findall(text)
    if not words:
        return None
    return '"' + " ".join(words) + '" *'


Compiled = tuple[str, list[object]]


def _bounds(
    column: str, lower: tuple[str, float | None], upper: tuple[str, float | None]
) -> Compiled:
    parts: list[str] = []
    parameters: list[object] = []
    for operator, value in (lower, upper):
        if value is not None:
            parts.append(f"{column} {operator} ?")
            parameters.append(value)
    return ("(" + " AND ".join(parts) + ")" if parts else "1"), parameters


def _uid_in(key: UidIn) -> Compiled:
    if not key.ranges:
        return "0", []
    parts: list[str] = []
    parameters: list[object] = []
    for uid_range in key.ranges:
        if uid_range.last is None:
            parts.append("m.uid >= ?")
            parameters.append(uid_range.first)
        else:
            parts.append("m.uid BETWEEN ? AND ?")
            parameters.extend((uid_range.first, uid_range.last))
    return "(" + " OR ".join(parts) + ")", parameters


def _has_keyword(key: HasKeyword) -> Compiled:
    exists = (
        "EXISTS (SELECT 1 FROM json_each(coalesce(m.keywords, '[]')) WHERE lower(value) = lower(?))"
    )
    return (exists if key.present else "NOT " + exists), [key.keyword]


def _header_contains_key(key: HeaderContains) -> Compiled:
    column = _SUMMARY_COLUMNS.get(key.name.lower())
    if column is not None and key.value:
        return f"courriel_contains({column}, ?)", [key.value]
    return "courriel_header(b.headers, ?, ?)", [key.name, key.value]


def _text_contains(key: TextContains) -> Compiled:
    """TEXT/BODY: the FTS5 index, plus text still waiting to be indexed (``text_pending``)."""
    phrase = fts_query(key.value)
    if phrase is None:
        return "1", []
    words = " ".join(_WORD.findall(key.value))
    if key.scope == "body":
        indexed, pending, parameters = "body : " + phrase, "courriel_words(p.body, ?)", [words]
    else:
        indexed = phrase
        pending = "(courriel_words(p.headers, ?) OR courriel_words(p.body, ?))"
        parameters = [words, words]
    return (
        "(b.id IN (SELECT rowid FROM blob_text WHERE blob_text MATCH ?) "
        f"OR b.id IN (SELECT p.blob_id FROM text_pending p WHERE {pending}))",
        [indexed, *parameters],
    )


def _combine(keys: tuple[SearchKey, ...], joiner: str, empty: str) -> Compiled:
    if not keys:
        return empty, []
    compiled = [compile_key(inner) for inner in keys]
    return (
        "(" + joiner.join(sql for sql, _ in compiled) + ")",
        [parameter for _, parameters in compiled for parameter in parameters],
    )


def _not(key: Not) -> Compiled:
    sql, parameters = compile_key(key.key)
    return f"NOT ({sql})", parameters


_COMPILERS: dict[type, Callable[[Any], Compiled]] = {
    MatchAll: lambda _key: ("1", []),
    UidIn: _uid_in,
    HasFlags: lambda key: ("(m.flags & ?) = ?", [key.bits, key.bits if key.present else 0]),
    HasKeyword: _has_keyword,
    DateRange: lambda key: _bounds(_DATE_COLUMNS[key.field], (">=", key.since), ("<", key.before)),
    SizeRange: lambda key: _bounds("m.size", (">", key.larger), ("<", key.smaller)),
    HeaderContains: _header_contains_key,
    TextContains: _text_contains,
    HasAttachment: lambda key: ("b.has_attachment = ?", [int(key.present)]),
    ModSeqAtLeast: lambda key: ("m.modseq >= ?", [key.modseq]),
    Not: _not,
    AnyOf: lambda key: _combine(key.keys, " OR ", "0"),
    AllOf: lambda key: _combine(key.keys, " AND ", "1"),
}


def compile_key(key: SearchKey) -> Compiled:
    """The SQL condition and its parameters."""
    return _COMPILERS[type(key)](key)


def search_uids(connection: sqlite3.Connection, mailbox_id: int, key: SearchKey) -> list[int]:
    condition, parameters = compile_key(key)
    rows = connection.execute(
        "SELECT m.uid FROM message m JOIN blob b ON b.id = m.blob_id "
        f"WHERE m.mailbox_id = ? AND {condition} ORDER BY m.uid",
        [mailbox_id, *parameters],
    )
    return [row[0] for row in rows]
