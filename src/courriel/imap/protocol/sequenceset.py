"""Sequence sets: ``1:*``, ``*:4``, ``2,4:7,9``, ``$`` — parsing and arithmetic.

Owns: the ``sequence-set`` grammar (RFC 9051 §9, ``seq-number``, ``seq-range``), the
``$`` saved-result marker (RFC 5182 §2.1), resolving ``*`` against the largest number in
use (RFC 9051 §6.4.8: ``559:*`` includes the last message even when 559 is larger),
mapping message sequence numbers to UIDs and UID sets to present UIDs, and compressing a
list of numbers into ``1:3,5`` for responses (SEARCH/ESEARCH ALL, COPYUID, VANISHED).

Must not: know mailboxes. The session passes its UID array (index ``i`` is message
sequence number ``i + 1``, sorted ascending, RFC 9051 §2.3.1.2).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: RFC 9051 §9: nz-number is a non-zero 32-bit unsigned number.
MAX_NUMBER = 4_294_967_295

_SET = re.compile(rb"(?:[1-9][0-9]{0,9}|\*)(?::(?:[1-9][0-9]{0,9}|\*))?")


@dataclass(frozen=True, slots=True)
class SeqRange:
    """``first:last`` as written; None stands for ``*``. A single number has first == last."""

    first: int | None
    last: int | None

    def __str__(self) -> str:
        first = "*" if self.first is None else str(self.first)
        if self.first == self.last:
            return first
        last = "*" if self.last is None else str(self.last)
        return f"{first}:{last}"

    def bounds(self, largest: int) -> tuple[int, int]:
        """``(low, high)`` with ``*`` replaced by ``largest`` (RFC 9051 §9: "a:b" is the
        same as "b:a")."""
        first = largest if self.first is None else self.first
        last = largest if self.last is None else self.last
        return (first, last) if first <= last else (last, first)


@dataclass(frozen=True, slots=True)
class SequenceSet:
    """A parsed ``sequence-set``; ``saved`` is the ``$`` of SEARCHRES (then no ranges)."""

    ranges: tuple[SeqRange, ...]
    saved: bool = False

    def __str__(self) -> str:
        if self.saved:
            return "$"
        return ",".join(str(item) for item in self.ranges)

    @classmethod
    def parse(cls, text: str | bytes) -> SequenceSet:
        """Parse ``text``; raises ``ValueError`` on bad syntax or numbers out of range."""
        data = text.encode("ascii", "replace") if isinstance(text, str) else text
        if data == b"$":  # RFC 5182 §2.1: "$" stands for the saved result, alone
            return SAVED
        ranges: list[SeqRange] = []
        for item in data.split(b","):
            if not _SET.fullmatch(item):
                raise ValueError(f"invalid sequence set: {data[:60]!r}")
            first_text, _, last_text = item.partition(b":")
            first = _seq_number(first_text)
            last = _seq_number(last_text) if last_text else first
            ranges.append(SeqRange(first, last))
        return cls(tuple(ranges))

    @classmethod
    def of(cls, numbers: Iterable[int]) -> SequenceSet:
        """The compressed set of ``numbers`` (which must be >= 1)."""
        return cls(tuple(SeqRange(low, high) for low, high in _runs(sorted(set(numbers)))))

    @property
    def has_star(self) -> bool:
        return any(item.first is None or item.last is None for item in self.ranges)

    def resolve(self, largest: int) -> list[tuple[int, int]]:
        """Sorted, merged, inclusive ``(low, high)`` ranges with ``*`` = ``largest``.

        ``largest`` is the number of messages for message numbers, the highest UID in the
        mailbox for UIDs (RFC 9051 §6.4.8), 0 when the mailbox is empty (a range with ``*``
        then starts at 1 and matches nothing present). Raises ``ValueError`` for ``$``.
        """
        if self.saved:
            raise ValueError("the saved search result must be resolved by the session")
        bounds = sorted(item.bounds(largest) for item in self.ranges)
        merged: list[tuple[int, int]] = []
        for first, high in bounds:
            low = max(first, 1)
            if high < low:
                continue
            if merged and low <= merged[-1][1] + 1:
                if high > merged[-1][1]:
                    merged[-1] = (merged[-1][0], high)
            else:
                merged.append((low, high))
        return merged

    def contains(self, number: int, largest: int) -> bool:
        return any(low <= number <= high for low, high in self.resolve(largest))

    def exceeds(self, count: int) -> bool:
        """True when a message number in the set is larger than ``count`` (the session
        answers BAD then: RFC 9051 §9 ``seq-number``, numbers beyond EXISTS are invalid)."""
        return any(
            number is not None and number > count
            for item in self.ranges
            for number in (item.first, item.last)
        )

    def message_numbers(self, count: int) -> list[int]:
        """The message sequence numbers in the set that exist among ``count`` messages."""
        out: list[int] = []
        for low, high in self.resolve(count):
            out.extend(range(low, min(high, count) + 1))
        return out

    def message_uids(self, uids: Sequence[int]) -> list[int]:
        """Message sequence numbers mapped to UIDs with the session's UID array."""
        count = len(uids)
        out: list[int] = []
        for low, high in self.resolve(count):
            out.extend(uids[low - 1 : min(high, count)])
        return out

    def select_uids(self, uids: Sequence[int]) -> list[int]:
        """The UIDs of the (sorted) mailbox ``uids`` that this UID set names."""
        largest = uids[-1] if uids else 0
        out: list[int] = []
        for low, high in self.resolve(largest):
            start = bisect.bisect_left(uids, low)
            stop = bisect.bisect_right(uids, high)
            out.extend(uids[start:stop])
        return out

    def select_positions(self, uids: Sequence[int]) -> list[int]:
        """Message sequence numbers (1-based) of the UIDs this UID set names."""
        largest = uids[-1] if uids else 0
        out: list[int] = []
        for low, high in self.resolve(largest):
            start = bisect.bisect_left(uids, low)
            stop = bisect.bisect_right(uids, high)
            out.extend(range(start + 1, stop + 1))
        return out


SAVED = SequenceSet((), saved=True)


def _seq_number(text: bytes) -> int | None:
    if text == b"*":
        return None
    value = int(text)
    if value > MAX_NUMBER:  # RFC 9051 §9 nz-number
        raise ValueError(f"sequence number out of range: {value}")
    return value


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for number in numbers:
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def compress(numbers: Iterable[int], *, ordered: bool = True) -> str:
    """``[1, 2, 3, 5]`` as ``1:3,5``.

    ``ordered`` sorts and removes duplicates first; pass False to keep the given order
    (COPYUID pairs source and destination UIDs by position, RFC 4315 §3), merging only
    ascending runs.
    """
    values = sorted(set(numbers)) if ordered else list(numbers)
    return ",".join(str(low) if low == high else f"{low}:{high}" for low, high in _runs(values))
