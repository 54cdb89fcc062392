"""Parsed SEARCH keys to storage queries, leaving session-level keys for the session.

Owns the meaning of each IMAP search key (RFC 9051 §6.4.4) in terms of
:mod:`courriel.storage.query`: flags and keywords (well-known ``$`` keywords are flag bits,
see ``courriel.storage.records.Flag``), dates, sizes, header and text matches, MODSEQ
(RFC 7162 §3.1.5), UID sets, and the NOT/OR/AND combinators.

Keys that only the session can answer stay as :data:`UnresolvedKey` markers in a
:data:`Criteria` tree: message sequence numbers (the session's UID array), ``$`` (the saved
result, RFC 5182 §2.1), UID sets with ``*`` (the highest UID, RFC 9051 §6.4.8), \\Recent
(IMAP4rev1, RFC 3501 §2.3.2) and EMAILID/THREADID (RFC 8474 §6, a mailstore lookup).
:func:`resolve` replaces them using a function the session provides.

Dates: IMAP compares calendar days "disregarding time and timezone" (RFC 9051 §6.4.4).
courriel takes the server's timezone to be UTC: ``SINCE 1-Feb-1994`` is
``[1994-02-01T00:00Z, ...)``. For SENT* keys the store compares the day the Date: header
names in its own zone against those bounds (``storage.query.DateRange``), so a message sent
late in the evening west of Greenwich counts for the day written in it.

Must not: touch storage or session state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, TypeAlias, TypeGuard

from courriel.imap.protocol.searchkeys import (
    AllKey,
    AndKey,
    DateKey,
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
from courriel.imap.protocol.sequenceset import SequenceSet
from courriel.storage import query
from courriel.storage.records import split_flags

# -- markers the session resolves ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageNumbers:
    """Message sequence numbers (RFC 9051 §6.4.4 ``sequence-set`` key)."""

    set: SequenceSet


@dataclass(frozen=True, slots=True)
class SavedResult:
    """``$``: the result saved by SEARCH RETURN (SAVE) (RFC 5182 §2.1)."""


@dataclass(frozen=True, slots=True)
class UidsUpToHighest:
    """A UID set with ``*``, which stands for the highest UID in the mailbox (RFC 9051
    §6.4.8: ``559:*`` includes the last message even if its UID is below 559)."""

    set: SequenceSet


@dataclass(frozen=True, slots=True)
class RecentMessages:
    """Messages with the session's \\Recent flag (IMAP4rev1 RECENT, RFC 3501 §6.4.4)."""


@dataclass(frozen=True, slots=True)
class ObjectIdMatch:
    """EMAILID / THREADID equal to ``object_id`` (RFC 8474 §6)."""

    kind: Literal["EMAILID", "THREADID"]
    object_id: str


UnresolvedKey: TypeAlias = (
    MessageNumbers | SavedResult | UidsUpToHighest | RecentMessages | ObjectIdMatch
)


@dataclass(frozen=True, slots=True)
class PendingNot:
    """NOT over a subtree that still holds markers."""

    key: Criteria


@dataclass(frozen=True, slots=True)
class PendingAnyOf:
    keys: tuple[Criteria, ...]


@dataclass(frozen=True, slots=True)
class PendingAllOf:
    keys: tuple[Criteria, ...]


#: A storage query, or a tree that still holds :data:`UnresolvedKey` markers.
Criteria: TypeAlias = query.SearchKey | UnresolvedKey | PendingNot | PendingAnyOf | PendingAllOf

_QUERY_TYPES = (
    query.MatchAll,
    query.UidIn,
    query.HasFlags,
    query.HasKeyword,
    query.DateRange,
    query.SizeRange,
    query.HeaderContains,
    query.TextContains,
    query.ModSeqAtLeast,
    query.Not,
    query.AnyOf,
    query.AllOf,
)


def is_query(criteria: Criteria) -> TypeGuard[query.SearchKey]:
    """True when ``criteria`` holds no marker (it is a storage query already)."""
    return isinstance(criteria, _QUERY_TYPES)


# -- conversion ------------------------------------------------------------------------------


def day_start(day: date) -> float:
    """Midnight UTC at the start of ``day``, as epoch seconds (see the module docstring)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _date_range(key: DateKey) -> query.DateRange:
    start = day_start(key.day)
    if key.relation == "before":  # RFC 9051 §6.4.4 BEFORE: earlier than the day
        return query.DateRange(key.field, before=start)
    if key.relation == "on":  # ON: within the day
        return query.DateRange(key.field, since=start, before=day_start(key.day + timedelta(1)))
    return query.DateRange(key.field, since=start)  # SINCE: within or later than the day


def _flag(key: FlagKey) -> query.SearchKey:
    bits, keywords = split_flags((key.flag,))
    if bits:
        return query.HasFlags(int(bits), key.present)
    return query.HasKeyword(keywords[0] if keywords else key.flag, key.present)


def _uid_ranges(sequence_set: SequenceSet) -> query.UidIn:
    return query.UidIn(tuple(query.UidRange(low, high) for low, high in sequence_set.resolve(0)))


def _not(inner: Criteria) -> Criteria:
    return query.Not(inner) if is_query(inner) else PendingNot(inner)


def _combine(keys: list[Criteria], kind: Literal["any", "all"]) -> Criteria:
    if len(keys) == 1:
        return keys[0]
    pure = tuple(key for key in keys if is_query(key))
    if len(pure) == len(keys):
        return query.AnyOf(pure) if kind == "any" else query.AllOf(pure)
    return PendingAnyOf(tuple(keys)) if kind == "any" else PendingAllOf(tuple(keys))


def to_criteria(key: SearchKey) -> Criteria:
    """The meaning of a parsed search key (RFC 9051 §6.4.4)."""
    match key:
        case AllKey() | SaveDateSupportedKey():
            # RFC 8514 §5: SAVEDATESUPPORTED matches all messages where save dates exist,
            # which they do for every courriel mailbox.
            return query.MatchAll()
        case FlagKey():
            return _flag(key)
        case RecentKey(kind="RECENT"):
            return RecentMessages()
        case RecentKey(kind="NEW"):  # RFC 3501 §6.4.4: RECENT UNSEEN
            return PendingAllOf((RecentMessages(), _flag(FlagKey("\\Seen", present=False))))
        case RecentKey():  # OLD: NOT RECENT
            return PendingNot(RecentMessages())
        case DateKey():
            return _date_range(key)
        case SizeKey(relation="larger"):
            return query.SizeRange(larger=key.size)
        case SizeKey():
            return query.SizeRange(smaller=key.size)
        case HeaderKey():
            return query.HeaderContains(key.name.lower(), key.value)
        case TextKey():
            return query.TextContains(key.value, key.scope)
        case ModSeqKey():
            return query.ModSeqAtLeast(key.modseq)
        case SequenceKey():
            return SavedResult() if key.set.saved else MessageNumbers(key.set)
        case UidKey():
            if key.set.saved:
                return SavedResult()
            if key.set.has_star:
                return UidsUpToHighest(key.set)
            return _uid_ranges(key.set)
        case ObjectIdKey():
            return ObjectIdMatch(key.kind, key.object_id)
        case NotKey():
            return _not(to_criteria(key.key))
        case OrKey():
            return _combine([to_criteria(key.left), to_criteria(key.right)], "any")
        case AndKey():
            return _combine([to_criteria(item) for item in key.keys], "all")


def resolve(
    criteria: Criteria, resolve_marker: Callable[[UnresolvedKey], query.SearchKey]
) -> query.SearchKey:
    """``criteria`` with every marker replaced by ``resolve_marker(marker)``."""
    match criteria:
        case PendingNot():
            return query.Not(resolve(criteria.key, resolve_marker))
        case PendingAnyOf():
            return query.AnyOf(tuple(resolve(key, resolve_marker) for key in criteria.keys))
        case PendingAllOf():
            return query.AllOf(tuple(resolve(key, resolve_marker) for key in criteria.keys))
        case (
            MessageNumbers()
            | SavedResult()
            | UidsUpToHighest()
            | RecentMessages()
            | ObjectIdMatch()
        ):
            return resolve_marker(criteria)
        case _:
            return criteria


def uid_set_query(uids: list[int] | tuple[int, ...]) -> query.UidIn:
    """A ``UidIn`` for explicit UIDs, compressed into ranges (for markers resolved by the
    session: sequence numbers mapped through the UID array, the saved result, ...)."""
    ranges: list[query.UidRange] = []
    for uid in sorted(set(uids)):
        last = ranges[-1] if ranges else None
        if last is not None and last.last is not None and uid == last.last + 1:
            ranges[-1] = query.UidRange(last.first, uid)
        else:
            ranges.append(query.UidRange(uid, uid))
    return query.UidIn(tuple(ranges))
