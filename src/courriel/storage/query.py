"""The search-criteria tree: what to find in a mailbox, independent of protocol and engine.

IMAP SEARCH (RFC 9051 §6.4.4), the webmail search box and POP3/JMAP filters all build
these values; each backend compiles them (SQLite: ``storage/sqlite/search.py``). Sequence
numbers are a session concept, so the IMAP server turns them into UIDs before it gets
here. Dates are UTC epoch seconds; date ranges are half-open ``[since, before)``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MatchAll:
    """Every message (IMAP ``ALL``)."""


@dataclass(frozen=True, slots=True)
class UidRange:
    """UIDs in ``[first, last]``; ``last`` None means "to the highest UID"."""

    first: int
    last: int | None


@dataclass(frozen=True, slots=True)
class UidIn:
    """Any of these UID ranges (an IMAP sequence set already mapped to UIDs)."""

    ranges: tuple[UidRange, ...]


@dataclass(frozen=True, slots=True)
class HasFlags:
    """All of ``bits`` set (``present``) or all of them clear."""

    bits: int
    present: bool = True


@dataclass(frozen=True, slots=True)
class HasKeyword:
    keyword: str
    present: bool = True


@dataclass(frozen=True, slots=True)
class DateRange:
    """``field`` is ``internal`` (INTERNALDATE), ``sent`` (Date: header) or ``saved``
    (SAVEDATE, RFC 8514).

    ``sent`` compares calendar days, not instants (RFC 9051 §6.4.4: the Date: header
    "disregarding time and timezone"): a message counts as sent at midnight UTC of the day
    its header names in the header's own zone, so bounds at midnight UTC select whole days
    (``Mon, 1 Jan 2024 23:30:00 -0500`` is in ``[1 Jan, 2 Jan)``). Content stored before
    the backend kept that day (SQLite: migration 0007) counts at its UTC instant, hence on
    its UTC day; a message without a parsable Date: at its internal date (RFC 5256 §2.2).
    """

    field: str
    since: float | None = None
    before: float | None = None


@dataclass(frozen=True, slots=True)
class SizeRange:
    """RFC822.SIZE strictly larger than ``larger`` and strictly smaller than ``smaller``."""

    larger: int | None = None
    smaller: int | None = None


@dataclass(frozen=True, slots=True)
class HeaderContains:
    """The header field ``name`` exists and its decoded value contains ``value``
    (case-insensitive; an empty value matches every message with the field)."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class TextContains:
    """Full-text search. ``scope`` is ``text`` (headers and body) or ``body``."""

    value: str
    scope: str = "text"


@dataclass(frozen=True, slots=True)
class HasAttachment:
    """Messages whose ingest summary says they carry an attachment (``MessageSummary.
    has_attachment``, stored with the content: no message is read to answer). Not an IMAP
    SEARCH key; the webmail's "has attachments" filter."""

    present: bool = True


@dataclass(frozen=True, slots=True)
class ModSeqAtLeast:
    """CONDSTORE ``MODSEQ n`` (RFC 7162 §3.1.5)."""

    modseq: int


@dataclass(frozen=True, slots=True)
class Not:
    key: SearchKey


@dataclass(frozen=True, slots=True)
class AnyOf:
    keys: tuple[SearchKey, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    keys: tuple[SearchKey, ...]


SearchKey = (
    MatchAll
    | UidIn
    | HasFlags
    | HasKeyword
    | DateRange
    | SizeRange
    | HeaderContains
    | TextContains
    | HasAttachment
    | ModSeqAtLeast
    | Not
    | AnyOf
    | AllOf
)
