"""Sequence sets (RFC 9051 §9 sequence-set, RFC 5182 "$") and their arithmetic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.imap.protocol.sequenceset import SAVED, SeqRange, SequenceSet, compress


@pytest.mark.parametrize(
    ("text", "ranges"),
    [
        ("1", [SeqRange(1, 1)]),
        ("1:*", [SeqRange(1, None)]),
        ("*:4", [SeqRange(None, 4)]),
        ("*", [SeqRange(None, None)]),
        ("2,4:7,9,12:*", [SeqRange(2, 2), SeqRange(4, 7), SeqRange(9, 9), SeqRange(12, None)]),
        ("7:3", [SeqRange(7, 3)]),
        ("4294967295", [SeqRange(4294967295, 4294967295)]),
    ],
)
def test_parse_and_format(text: str, ranges: list[SeqRange]) -> None:
    parsed = SequenceSet.parse(text)
    assert list(parsed.ranges) == ranges
    assert str(parsed) == text


def test_dollar_is_the_saved_result() -> None:
    assert SequenceSet.parse("$") is SAVED
    assert str(SAVED) == "$"
    with pytest.raises(ValueError, match="saved search result"):
        SAVED.resolve(10)


@pytest.mark.parametrize(
    "text", ["", "0", "1:0", "a", "1,,2", "1:", ":1", "1:2:3", "4294967296", "$,1", "-1", "1 2"]
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="sequence"):
        SequenceSet.parse(text)


def test_resolve_replaces_star_and_merges() -> None:
    assert SequenceSet.parse("*:4,1,2,10:12").resolve(11) == [(1, 2), (4, 12)]
    assert SequenceSet.parse("3:1").resolve(5) == [(1, 3)]
    # RFC 9051 §6.4.8: 559:* includes the last message even when 559 is above it.
    assert SequenceSet.parse("559:*").resolve(500) == [(500, 559)]
    # An empty mailbox: "*" is 0, so the range is clipped to 1 and matches nothing present.
    assert SequenceSet.parse("1:*").resolve(0) == [(1, 1)]
    assert SequenceSet.parse("1:*").message_uids([]) == []


def test_message_numbers_to_uids() -> None:
    uids = [10, 11, 15, 20, 21]
    assert SequenceSet.parse("2:3,5").message_uids(uids) == [11, 15, 21]
    assert SequenceSet.parse("4:*").message_uids(uids) == [20, 21]
    assert SequenceSet.parse("*").message_uids(uids) == [21]
    assert SequenceSet.parse("3:9").message_uids(uids) == [15, 20, 21]
    assert SequenceSet.parse("1:*").message_numbers(3) == [1, 2, 3]
    assert SequenceSet.parse("6").exceeds(5)
    assert not SequenceSet.parse("1:*").exceeds(5)


def test_uid_sets_select_present_uids() -> None:
    uids = [10, 11, 15, 20, 21]
    assert SequenceSet.parse("11:20").select_uids(uids) == [11, 15, 20]
    assert SequenceSet.parse("12:14").select_uids(uids) == []
    assert SequenceSet.parse("100:*").select_uids(uids) == [21]
    assert SequenceSet.parse("*").select_uids([]) == []
    assert SequenceSet.parse("11:20").select_positions(uids) == [2, 3, 4]


@pytest.mark.parametrize(
    ("numbers", "text"),
    [
        ([], ""),
        ([5], "5"),
        ([1, 2, 3, 5], "1:3,5"),
        ([9, 3, 2, 3, 1], "1:3,9"),
        ([41, 43, 44, 45, 118, 120, 121], "41,43:45,118,120:121"),
    ],
)
def test_compress(numbers: list[int], text: str) -> None:
    assert compress(numbers) == text


def test_compress_can_keep_order_for_copyuid() -> None:
    # RFC 4315 §3: COPYUID pairs source and destination UIDs by position.
    assert compress([304, 319, 320], ordered=False) == "304,319:320"
    assert compress([3958, 3956, 3957], ordered=False) == "3958,3956:3957"


@given(st.sets(st.integers(min_value=1, max_value=500)))
def test_compress_round_trips(numbers: set[int]) -> None:
    if not numbers:
        return
    parsed = SequenceSet.parse(compress(numbers))
    assert parsed.message_numbers(500) == sorted(numbers)
    assert SequenceSet.of(numbers) == parsed
