"""MailRepo.search conformance: every key of ``storage.query`` against a seeded mailbox.

The four messages (UIDs 1-4, the fourth file-backed) and what each key must find:

====  ==================  ==========  ========  ============  =========================
uid   subject             flags       keywords  internal      sent
====  ==================  ==========  ========  ============  =========================
1     Quarterly report    Seen        Work      T0            T0 - 1 h
2     Lunch?              Flagged     work,     T0 + 1 d      T0 + 1 d - 400 s
                                      $Label1
3     Ünïcode Grüße       Seen,Ans.   -         T0 + 2 d      T0 + 2 d - 100 s
4     Re: Quarterly ...   Seen,Del.   -         T0 + 3 d      T0 + 3 d
====  ==================  ==========  ========  ============  =========================

Sizes 300, 500, 700, 200_000 bytes. UID 3 is flagged \\Flagged afterwards, so it alone has
a MODSEQ above the append's. These messages have no ``sent_day`` (as content stored before
the store kept one), so "sent" compares their UTC instant. ``SENT_DAY_CASES`` search a
second mailbox whose messages have one, with bounds at midnight UTC as IMAP gives them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from courriel.storage.query import (
    AllOf,
    AnyOf,
    DateRange,
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
    UidRange,
)
from courriel.storage.records import Flag, IngestedMessage
from support.backends import Backend, make_account
from support.builders import ingested, new, raw_message

SEEN = int(Flag.SEEN)
ANSWERED = int(Flag.ANSWERED)
FLAGGED = int(Flag.FLAGGED)
DELETED = int(Flag.DELETED)
T0 = 1_700_000_000.0
DAY = 86_400.0


@dataclass(frozen=True)
class Seeded:
    backend: Backend
    mailbox_id: int
    other_mailbox_id: int
    flagged_modseq: int
    saved_from: float
    saved_until: float


def _content(
    size: int,
    *,
    subject: str,
    from_text: str,
    sent_date: float,
    headers: str,
    body_text: str,
    to_text: str = "",
    cc_text: str = "",
    bcc_text: str = "",
    inline: bool = True,
) -> tuple[IngestedMessage, bytes]:
    data = raw_message(subject=subject)
    data += b"z" * (size - len(data))
    content = ingested(
        data,
        inline=inline,
        subject=subject,
        from_text=from_text,
        to_text=to_text,
        cc_text=cc_text,
        bcc_text=bcc_text,
        sent_date=sent_date,
        headers=headers,
        body_text=body_text,
    )
    return content, data


@pytest.fixture
async def seeded(backend: Backend) -> Seeded:
    account, inbox = await make_account(backend, "alice@example.test")
    archive = await backend.mail.create_mailbox(account.id, "Archive")
    quarterly, _ = _content(
        300,
        subject="Quarterly report",
        from_text="Alice Martin <alice@example.test>",
        to_text="bob@example.test",
        cc_text="carol@example.test",
        sent_date=T0 - 3600,
        headers="From: Alice Martin <alice@example.test>\nTo: bob@example.test\n"
        "Cc: carol@example.test\nSubject: Quarterly report\nX-Mailer: Straße Mail 1.0",
        body_text="The elephant sat on the budget spreadsheet",
    )
    lunch, _ = _content(
        500,
        subject="Lunch?",
        from_text="Bob <bob@example.test>",
        to_text="alice@example.test",
        bcc_text="dave@example.test",
        sent_date=T0 + DAY - 400,
        headers="From: Bob <bob@example.test>\nTo: alice@example.test\n"
        "Bcc: dave@example.test\nSubject: Lunch?\nX-Priority: 1",
        body_text="Café at noon, near the elephant statue?",
    )
    unicode, _ = _content(
        700,
        subject="Ünïcode Grüße",
        from_text="Zoë <zoe@example.test>",
        sent_date=T0 + 2 * DAY - 100,
        headers="From: Zoë <zoe@example.test>\nSubject: Ünïcode Grüße\nX-Mailer: STRASSE-mailer",
        body_text="Résumé attached for the position",
    )
    reply, reply_data = _content(
        200_000,
        inline=False,
        subject="Re: Quarterly report",
        from_text="Carol <carol@example.test>",
        sent_date=T0 + 3 * DAY,
        headers="From: Carol <carol@example.test>\nSubject: Re: Quarterly report\n"
        "In-Reply-To: <q1@example.test>",
        body_text="Numbers look fine",
    )
    await backend.blobs.put(reply.sha256, reply_data)
    saved_from = time.time()
    await backend.mail.append(
        account.id,
        inbox.id,
        [
            new(quarterly, flags=SEEN, keywords=("Work",), internal_date=T0),
            new(lunch, flags=FLAGGED, keywords=("work", "$Label1"), internal_date=T0 + DAY),
            new(unicode, flags=SEEN | ANSWERED, internal_date=T0 + 2 * DAY),
            new(reply, flags=SEEN | DELETED, internal_date=T0 + 3 * DAY),
        ],
    )
    saved_until = time.time()
    flagged = await backend.mail.store_flags(
        account.id, inbox.id, [3], mode="add", flags=FLAGGED, keywords=()
    )
    assert flagged.modseq is not None
    await backend.mail.copy(account.id, inbox.id, [1], archive.id)
    return Seeded(backend, inbox.id, archive.id, flagged.modseq, saved_from, saved_until)


ALL = [1, 2, 3, 4]
KeyFor = Callable[[Seeded], SearchKey]


def fixed(key: SearchKey) -> KeyFor:
    return lambda _seeded: key


CASES: list[tuple[str, KeyFor, list[int]]] = [
    ("all", fixed(MatchAll()), ALL),
    # UIDs
    ("uid-range", fixed(UidIn((UidRange(2, 3),))), [2, 3]),
    ("uid-ranges", fixed(UidIn((UidRange(1, 1), UidRange(4, None)))), [1, 4]),
    ("uid-open-ended", fixed(UidIn((UidRange(3, None),))), [3, 4]),
    ("uid-no-range", fixed(UidIn(())), []),
    ("uid-beyond", fixed(UidIn((UidRange(5, 9),))), []),
    # flags
    ("seen", fixed(HasFlags(SEEN)), [1, 3, 4]),
    ("unseen", fixed(HasFlags(SEEN, present=False)), [2]),
    ("seen-and-answered", fixed(HasFlags(SEEN | ANSWERED)), [3]),
    ("neither-seen-nor-deleted", fixed(HasFlags(SEEN | DELETED, present=False)), [2]),
    ("undeleted", fixed(HasFlags(DELETED, present=False)), [1, 2, 3]),
    ("flagged-later", fixed(HasFlags(FLAGGED)), [2, 3]),
    # keywords
    ("keyword-any-case", fixed(HasKeyword("WORK")), [1, 2]),
    ("keyword-absent", fixed(HasKeyword("work", present=False)), [3, 4]),
    ("keyword-dollar", fixed(HasKeyword("$label1")), [2]),
    ("keyword-unused", fixed(HasKeyword("nothing")), []),
    # dates, half-open [since, before)
    ("internal-since", fixed(DateRange("internal", since=T0 + DAY)), [2, 3, 4]),
    ("internal-before", fixed(DateRange("internal", before=T0 + DAY)), [1]),
    ("internal-window", fixed(DateRange("internal", since=T0 + DAY, before=T0 + 3 * DAY)), [2, 3]),
    ("sent-since", fixed(DateRange("sent", since=T0)), [2, 3, 4]),
    ("sent-before", fixed(DateRange("sent", before=T0 + DAY - 400)), [1]),
    ("sent-window", fixed(DateRange("sent", since=T0 + DAY - 400, before=T0 + 2 * DAY)), [2, 3]),
    (
        "saved-window",
        lambda s: DateRange("saved", since=s.saved_from - 1, before=s.saved_until + 1),
        ALL,
    ),
    ("saved-before", lambda s: DateRange("saved", before=s.saved_from - 1), []),
    ("saved-since-later", lambda s: DateRange("saved", since=s.saved_until + 60), []),
    # sizes, strict bounds
    ("larger", fixed(SizeRange(larger=500)), [3, 4]),
    ("smaller", fixed(SizeRange(smaller=500)), [1]),
    ("size-between", fixed(SizeRange(larger=300, smaller=200_000)), [2, 3]),
    ("size-unbounded", fixed(SizeRange()), ALL),
    # header fields: case-insensitive substring of the decoded value
    ("subject", fixed(HeaderContains("Subject", "quarterly")), [1, 4]),
    ("subject-unicode-casefold", fixed(HeaderContains("SUBJECT", "GRÜSSE")), [3]),
    ("subject-any", fixed(HeaderContains("Subject", "")), ALL),
    ("from", fixed(HeaderContains("From", "ALICE")), [1]),
    ("from-unicode", fixed(HeaderContains("from", "ZOË")), [3]),
    ("to", fixed(HeaderContains("To", "alice")), [2]),
    ("cc", fixed(HeaderContains("Cc", "carol")), [1]),
    ("bcc", fixed(HeaderContains("Bcc", "DAVE")), [2]),
    ("arbitrary-header-sharp-s", fixed(HeaderContains("X-Mailer", "strasse")), [1, 3]),
    ("arbitrary-header-name-case", fixed(HeaderContains("x-MAILER", "MAIL 1.0")), [1]),
    ("arbitrary-header-present", fixed(HeaderContains("X-Priority", "")), [2]),
    ("arbitrary-header-present-2", fixed(HeaderContains("x-mailer", "")), [1, 3]),
    ("in-reply-to", fixed(HeaderContains("In-Reply-To", "q1@EXAMPLE")), [4]),
    ("header-absent", fixed(HeaderContains("X-Missing", "")), []),
    ("header-name-prefix", fixed(HeaderContains("X-Mail", "")), []),
    ("header-name-is-not-value", fixed(HeaderContains("X-Mailer", "x-mailer")), []),
    # full text: TEXT covers headers and body, BODY the body only
    ("text-word", fixed(TextContains("elephant")), [1, 2]),
    ("text-case", fixed(TextContains("ELEPHANT")), [1, 2]),
    ("text-prefix", fixed(TextContains("elepha")), [1, 2]),
    ("text-phrase", fixed(TextContains("budget spreadsheet")), [1]),
    ("text-phrase-order", fixed(TextContains("spreadsheet budget")), []),
    ("text-unicode-case", fixed(TextContains("RÉSUMÉ")), [3]),
    ("text-accented", fixed(TextContains("CAFÉ")), [2]),
    ("text-in-headers", fixed(TextContains("quarterly")), [1, 4]),
    ("body-not-headers", fixed(TextContains("quarterly", scope="body")), []),
    ("body-file-backed", fixed(TextContains("numbers", scope="body")), [4]),
    ("body-word", fixed(TextContains("elephant", scope="body")), [1, 2]),
    ("text-absent", fixed(TextContains("giraffe")), []),
    # MODSEQ
    ("modseq", lambda s: ModSeqAtLeast(s.flagged_modseq), [3]),
    ("modseq-above", lambda s: ModSeqAtLeast(s.flagged_modseq + 1), []),
    ("modseq-zero", fixed(ModSeqAtLeast(0)), ALL),
    # combinations
    ("not", fixed(Not(HasFlags(SEEN))), [2]),
    ("any-of", fixed(AnyOf((UidIn((UidRange(1, 1),)), HasKeyword("$label1")))), [1, 2]),
    ("all-of", fixed(AllOf((HasFlags(SEEN), TextContains("quarterly")))), [1, 4]),
    ("any-of-nothing", fixed(AnyOf(())), []),
    ("all-of-nothing", fixed(AllOf(())), ALL),
    ("not-any-of-nothing", fixed(Not(AnyOf(()))), ALL),
    (
        "nested",
        fixed(Not(AllOf((HasFlags(SEEN), Not(HasFlags(DELETED)))))),
        [2, 4],
    ),
    ("not-text", fixed(Not(TextContains("elephant"))), [3, 4]),
    ("not-header", fixed(Not(HeaderContains("X-Mailer", ""))), [2, 4]),
    (
        "mixed",
        fixed(
            AllOf(
                (
                    AnyOf((HeaderContains("From", "bob"), HeaderContains("From", "zoë"))),
                    Not(HasKeyword("$Label1")),
                    SizeRange(larger=100),
                )
            )
        ),
        [3],
    ),
]


@pytest.mark.parametrize(
    ("key_for", "expected"),
    [pytest.param(key_for, expected, id=name) for name, key_for, expected in CASES],
)
async def test_search(seeded: Seeded, key_for: KeyFor, expected: list[int]) -> None:
    assert await seeded.backend.mail.search(seeded.mailbox_id, key_for(seeded)) == expected


async def test_search_is_scoped_to_the_mailbox(seeded: Seeded) -> None:
    search = seeded.backend.mail.search
    assert await search(seeded.other_mailbox_id, MatchAll()) == [1]
    assert await search(seeded.other_mailbox_id, TextContains("elephant")) == [1]
    assert await search(seeded.other_mailbox_id, HeaderContains("Subject", "lunch")) == []
    assert await search(seeded.other_mailbox_id, HasKeyword("work")) == [1]


# -- SENT*: the day the Date: header names ------------------------------------------------------

JAN_1 = 1_704_067_200.0  # 2024-01-01T00:00:00Z
JAN_1_DAY = int(JAN_1 // DAY)


@pytest.fixture
async def dated(backend: Backend) -> tuple[Backend, int]:
    """UIDs and their Date: headers (the ``sent_day``/``sent_date`` ingest keeps):

    1. ``Mon, 1 Jan 2024 23:30:00 -0500``: day 1 Jan, instant 2 Jan 04:30 UTC
    2. ``Mon, 1 Jan 2024 00:30:00 +1400``: day 1 Jan, instant 31 Dec 10:30 UTC
    3. the same as 1, but stored without a day (before the store kept one): 2 Jan
    4. no Date: the internal date, 1 Jan 12:00 UTC (RFC 5256 §2.2)
    """
    account, _ = await make_account(backend, "dora@example.test")
    mailbox = await backend.mail.create_mailbox(account.id, "Dated")

    def content(sent_day: int | None, sent_date: float | None) -> IngestedMessage:
        made = ingested(raw_message(subject="dated"), sent_date=sent_date)
        return replace(made, summary=replace(made.summary, sent_day=sent_day))

    await backend.mail.append(
        account.id,
        mailbox.id,
        [
            new(content(JAN_1_DAY, JAN_1 + DAY + 4.5 * 3600), internal_date=JAN_1 + DAY),
            new(content(JAN_1_DAY, JAN_1 - 13.5 * 3600), internal_date=JAN_1 + DAY),
            new(content(None, JAN_1 + DAY + 4.5 * 3600), internal_date=JAN_1 + DAY),
            new(content(None, None), internal_date=JAN_1 + 12 * 3600),
        ],
    )
    return backend, mailbox.id


SENT_DAY_CASES: list[tuple[str, DateRange, list[int]]] = [
    ("on-the-written-day", DateRange("sent", since=JAN_1, before=JAN_1 + DAY), [1, 2, 4]),
    ("not-on-the-utc-day-before", DateRange("sent", since=JAN_1 - DAY, before=JAN_1), []),
    (
        "on-the-utc-day-without-a-day",
        DateRange("sent", since=JAN_1 + DAY, before=JAN_1 + 2 * DAY),
        [3],
    ),
    ("before-the-written-day", DateRange("sent", before=JAN_1), []),
    ("before-the-next-day", DateRange("sent", before=JAN_1 + DAY), [1, 2, 4]),
    ("since-the-written-day", DateRange("sent", since=JAN_1), [1, 2, 3, 4]),
    ("since-the-next-day", DateRange("sent", since=JAN_1 + DAY), [3]),
]


@pytest.mark.parametrize(
    ("key", "expected"),
    [pytest.param(key, expected, id=name) for name, key, expected in SENT_DAY_CASES],
)
async def test_sent_compares_the_day_the_date_header_names(
    dated: tuple[Backend, int], key: DateRange, expected: list[int]
) -> None:
    """RFC 9051 §6.4.4: SENT* compare the Date: "disregarding time and timezone"."""
    backend, mailbox_id = dated
    assert await backend.mail.search(mailbox_id, key) == expected
