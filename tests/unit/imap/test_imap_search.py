"""SEARCH keys to storage queries (RFC 9051 §6.4.4), with session-level markers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from courriel.imap.protocol.commands import Search
from courriel.imap.protocol.parser import parse_command
from courriel.imap.protocol.search import (
    Criteria,
    MessageNumbers,
    ObjectIdMatch,
    PendingAllOf,
    PendingAnyOf,
    PendingNot,
    RecentMessages,
    SavedResult,
    UidsUpToHighest,
    UnresolvedKey,
    is_query,
    resolve,
    to_criteria,
    uid_set_query,
)
from courriel.imap.protocol.sequenceset import SequenceSet
from courriel.storage import query
from courriel.storage.records import Flag


def criteria(keys: str) -> Criteria:
    command = parse_command(b"t SEARCH " + keys.encode("latin-1"))
    assert isinstance(command, Search)
    return to_criteria(command.criteria)


def utc(year: int, month: int, day: int) -> float:
    return datetime(year, month, day, tzinfo=UTC).timestamp()


FEB_1_1994 = utc(1994, 2, 1)

CASES: list[tuple[str, Criteria]] = [
    ("ALL", query.MatchAll()),
    ("SAVEDATESUPPORTED", query.MatchAll()),  # RFC 8514 §5
    ("ANSWERED", query.HasFlags(Flag.ANSWERED)),
    ("UNANSWERED", query.HasFlags(Flag.ANSWERED, present=False)),
    ("DELETED", query.HasFlags(Flag.DELETED)),
    ("UNDELETED", query.HasFlags(Flag.DELETED, present=False)),
    ("DRAFT", query.HasFlags(Flag.DRAFT)),
    ("UNDRAFT", query.HasFlags(Flag.DRAFT, present=False)),
    ("FLAGGED", query.HasFlags(Flag.FLAGGED)),
    ("UNFLAGGED", query.HasFlags(Flag.FLAGGED, present=False)),
    ("SEEN", query.HasFlags(Flag.SEEN)),
    ("UNSEEN", query.HasFlags(Flag.SEEN, present=False)),
    ("KEYWORD $Forwarded", query.HasFlags(Flag.FORWARDED)),
    ("KEYWORD $junk", query.HasFlags(Flag.JUNK)),
    ("KEYWORD Project-X", query.HasKeyword("Project-X")),
    ("UNKEYWORD Project-X", query.HasKeyword("Project-X", present=False)),
    ("BEFORE 1-Feb-1994", query.DateRange("internal", before=FEB_1_1994)),
    ("ON 1-Feb-1994", query.DateRange("internal", FEB_1_1994, utc(1994, 2, 2))),
    ('SINCE "1-Feb-1994"', query.DateRange("internal", since=FEB_1_1994)),
    ("SENTBEFORE 1-Feb-1994", query.DateRange("sent", before=FEB_1_1994)),
    ("SENTON 28-Feb-2024", query.DateRange("sent", utc(2024, 2, 28), utc(2024, 2, 29))),
    ("SENTSINCE 31-Dec-1999", query.DateRange("sent", since=utc(1999, 12, 31))),
    ("SAVEDBEFORE 1-Feb-1994", query.DateRange("saved", before=FEB_1_1994)),  # RFC 8514 §5
    ("SAVEDON 31-Dec-2023", query.DateRange("saved", utc(2023, 12, 31), utc(2024, 1, 1))),
    ("SAVEDSINCE 1-Feb-1994", query.DateRange("saved", since=FEB_1_1994)),
    ("LARGER 1024", query.SizeRange(larger=1024)),
    ("SMALLER 10", query.SizeRange(smaller=10)),
    ('FROM "Smith"', query.HeaderContains("from", "Smith")),
    ("TO bob", query.HeaderContains("to", "bob")),
    ("CC x", query.HeaderContains("cc", "x")),
    ("BCC x", query.HeaderContains("bcc", "x")),
    ("SUBJECT {5}\r\ncaf\xc3\xa9", query.HeaderContains("subject", "caf\u00e9")),
    ('HEADER X-Spam ""', query.HeaderContains("x-spam", "")),
    ('TEXT "string not in mailbox"', query.TextContains("string not in mailbox")),
    ("BODY lunch", query.TextContains("lunch", "body")),
    ("MODSEQ 620162338", query.ModSeqAtLeast(620162338)),  # RFC 7162 §3.1.5
    ('MODSEQ "/flags/\\\\draft" all 620162338', query.ModSeqAtLeast(620162338)),
    ("UID 1:5,7", query.UidIn((query.UidRange(1, 5), query.UidRange(7, 7)))),
    ("UID 9:3,4", query.UidIn((query.UidRange(3, 9),))),
    ("UID 5:*", UidsUpToHighest(SequenceSet.parse("5:*"))),
    ("UID $", SavedResult()),  # RFC 5182 §2.1
    ("$", SavedResult()),
    ("2:4,*", MessageNumbers(SequenceSet.parse("2:4,*"))),
    ("RECENT", RecentMessages()),  # RFC 3501 §6.4.4
    ("NEW", PendingAllOf((RecentMessages(), query.HasFlags(Flag.SEEN, present=False)))),
    ("OLD", PendingNot(RecentMessages())),
    ("EMAILID M6d99ac3275bb4e", ObjectIdMatch("EMAILID", "M6d99ac3275bb4e")),  # RFC 8474 §6
    ("THREADID T64b478a75b7ea9", ObjectIdMatch("THREADID", "T64b478a75b7ea9")),
    # RFC 9051 §6.4.4 example
    (
        'FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"',
        query.AllOf(
            (
                query.HasFlags(Flag.FLAGGED),
                query.DateRange("internal", since=FEB_1_1994),
                query.Not(query.HeaderContains("from", "Smith")),
            )
        ),
    ),
    (
        "OR SEEN (FLAGGED LARGER 5)",
        query.AnyOf(
            (
                query.HasFlags(Flag.SEEN),
                query.AllOf((query.HasFlags(Flag.FLAGGED), query.SizeRange(larger=5))),
            )
        ),
    ),
    ("(SEEN)", query.HasFlags(Flag.SEEN)),
    (
        "OR BODY x 1:5",
        PendingAnyOf((query.TextContains("x", "body"), MessageNumbers(SequenceSet.parse("1:5")))),
    ),
    ("NOT 1:5", PendingNot(MessageNumbers(SequenceSet.parse("1:5")))),
    ("SEEN NOT $", PendingAllOf((query.HasFlags(Flag.SEEN), PendingNot(SavedResult())))),
]


@pytest.mark.parametrize(("keys", "expected"), CASES, ids=[keys for keys, _ in CASES])
def test_search_key_meaning(keys: str, expected: Criteria) -> None:
    assert criteria(keys) == expected


def test_markers_are_resolved_by_the_session() -> None:
    uids = [10, 11, 15, 20, 21]
    saved = [11, 20]

    def resolve_marker(marker: UnresolvedKey) -> query.SearchKey:
        match marker:
            case MessageNumbers():
                return uid_set_query(marker.set.message_uids(uids))
            case SavedResult():
                return uid_set_query(saved)
            case UidsUpToHighest():
                return uid_set_query(marker.set.select_uids(uids))
            case RecentMessages():
                return uid_set_query([21])
            case ObjectIdMatch():
                return query.UidIn(())

    tree = criteria("OR 2:3 (UNSEEN NOT $) UID 100:* NEW")
    assert not is_query(tree)
    resolved = resolve(tree, resolve_marker)
    assert resolved == query.AllOf(
        (
            query.AnyOf(
                (
                    query.UidIn((query.UidRange(11, 11), query.UidRange(15, 15))),
                    query.AllOf(
                        (
                            query.HasFlags(Flag.SEEN, present=False),
                            query.Not(
                                query.UidIn((query.UidRange(11, 11), query.UidRange(20, 20)))
                            ),
                        )
                    ),
                )
            ),
            # RFC 9051 §6.4.8: 100:* includes the highest UID, 21.
            query.UidIn((query.UidRange(21, 21),)),
            query.AllOf((query.UidIn((query.UidRange(21, 21),)), query.HasFlags(Flag.SEEN, False))),
        )
    )
    pure = criteria("SEEN UID 1:4")
    assert is_query(pure)
    assert resolve(pure, resolve_marker) is pure


def test_uid_set_query_compresses() -> None:
    assert uid_set_query([5, 3, 4, 9, 9]) == query.UidIn(
        (query.UidRange(3, 5), query.UidRange(9, 9))
    )
    assert uid_set_query([]) == query.UidIn(())
