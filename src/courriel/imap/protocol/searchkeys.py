"""Parsed SEARCH keys: the ``search-key`` grammar as values, before any meaning is given.

Owns one frozen dataclass per kind of key of RFC 9051 §6.4.4 and its extensions: flags and
keywords, \\Recent for IMAP4rev1 (RFC 3501 §6.4.4), dates (internal, sent, saved RFC 8514
§5), sizes, header and text matches, MODSEQ (RFC 7162 §3.1.5), message and UID sets
(``$`` RFC 5182), EMAILID/THREADID (RFC 8474 §6), and the NOT/OR/list combinators.
The union :data:`SearchKey` is what SEARCH, SORT and THREAD carry;
``courriel.imap.protocol.search`` turns it into storage queries.

Must not: interpret keys (dates stay calendar days, sets stay unresolved).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeAlias

from courriel.imap.protocol.sequenceset import SequenceSet

DateField = Literal["internal", "sent", "saved"]
DateRelation = Literal["before", "on", "since"]


@dataclass(frozen=True, slots=True)
class AllKey:
    """ALL (RFC 9051 §6.4.4)."""


@dataclass(frozen=True, slots=True)
class FlagKey:
    """A flag set (``present``) or clear: ANSWERED/UNANSWERED, DELETED, DRAFT, FLAGGED,
    SEEN and KEYWORD/UNKEYWORD (RFC 9051 §6.4.4). ``flag`` is ``\\Seen``-style for system
    flags, the keyword otherwise."""

    flag: str
    present: bool = True


@dataclass(frozen=True, slots=True)
class RecentKey:
    """IMAP4rev1 RECENT, NEW (recent and unseen) or OLD (not recent) (RFC 3501 §6.4.4)."""

    kind: Literal["RECENT", "NEW", "OLD"]


@dataclass(frozen=True, slots=True)
class DateKey:
    """BEFORE/ON/SINCE (internal date), SENTBEFORE/SENTON/SENTSINCE (Date: header),
    SAVEDBEFORE/SAVEDON/SAVEDSINCE (save date, RFC 8514 §5); a calendar day."""

    field: DateField
    relation: DateRelation
    day: date


@dataclass(frozen=True, slots=True)
class SizeKey:
    """LARGER n / SMALLER n: RFC822.SIZE strictly larger or smaller (RFC 9051 §6.4.4)."""

    relation: Literal["larger", "smaller"]
    size: int


@dataclass(frozen=True, slots=True)
class HeaderKey:
    """FROM/TO/CC/BCC/SUBJECT text and HEADER field-name text (RFC 9051 §6.4.4);
    ``name`` is the header field name as the client wrote it (FROM gives ``From``)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class TextKey:
    """TEXT (header and body) or BODY (body only) contains ``value`` (RFC 9051 §6.4.4)."""

    scope: Literal["text", "body"]
    value: str


@dataclass(frozen=True, slots=True)
class ModSeqKey:
    """MODSEQ [entry-name entry-type] n (RFC 7162 §3.1.5); the entry is parsed and kept
    but, without per-flag mod-sequences, only ``modseq`` matters."""

    modseq: int
    entry_name: str | None = None
    entry_type: str | None = None


@dataclass(frozen=True, slots=True)
class SequenceKey:
    """A message sequence set, or ``$`` (RFC 5182 §2.1) (RFC 9051 §6.4.4)."""

    set: SequenceSet


@dataclass(frozen=True, slots=True)
class UidKey:
    """UID sequence-set, ``$`` allowed (RFC 9051 §6.4.4, RFC 5182 §2.1)."""

    set: SequenceSet


@dataclass(frozen=True, slots=True)
class ObjectIdKey:
    """EMAILID / THREADID objectid (RFC 8474 §6)."""

    kind: Literal["EMAILID", "THREADID"]
    object_id: str


@dataclass(frozen=True, slots=True)
class SaveDateSupportedKey:
    """SAVEDATESUPPORTED: every message when the mailbox keeps save dates (RFC 8514 §5)."""


@dataclass(frozen=True, slots=True)
class NotKey:
    key: SearchKey


@dataclass(frozen=True, slots=True)
class OrKey:
    left: SearchKey
    right: SearchKey


@dataclass(frozen=True, slots=True)
class AndKey:
    """A parenthesised list, or the top-level list of keys (all must match)."""

    keys: tuple[SearchKey, ...]


SearchKey: TypeAlias = (
    AllKey
    | FlagKey
    | RecentKey
    | DateKey
    | SizeKey
    | HeaderKey
    | TextKey
    | ModSeqKey
    | SequenceKey
    | UidKey
    | ObjectIdKey
    | SaveDateSupportedKey
    | NotKey
    | OrKey
    | AndKey
)
