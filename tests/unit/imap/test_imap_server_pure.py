"""The IMAP server's pure parts: the selected-mailbox view, LIST matching, SORT and THREAD."""

from __future__ import annotations

import pytest

from courriel.imap.protocol.commands import SortCriterion
from courriel.imap.protocol.responses import (
    ExistsData,
    ExpungeData,
    FetchData,
    FlagsData,
    ThreadNode,
    Untagged,
    VanishedData,
)
from courriel.imap.protocol.wire import Atom
from courriel.imap.server.listing import ListedName, ListRequest, list_names, lsub_names
from courriel.imap.server.ordering import (
    SortInput,
    ThreadInput,
    ascii_casemap,
    sort_messages,
    thread_ordered_subject,
    thread_references,
)
from courriel.imap.server.view import MailboxView, settable_flags
from courriel.storage.records import Changes, Flag, MailboxRecord, MessageMeta


def mailbox(
    name: str = "INBOX",
    *,
    modseq: int = 10,
    uid_next: int = 5,
    keywords: tuple[str, ...] = (),
    special_use: str | None = None,
    mailbox_id: int = 1,
) -> MailboxRecord:
    return MailboxRecord(
        mailbox_id, 1, name, special_use, 77, uid_next, modseq, 0, 0, 0, 0, keywords
    )


def view_of(*uids: int) -> MailboxView:
    return MailboxView(
        mailbox(modseq=10, uid_next=max(uids, default=0) + 1),
        [MessageMeta(uid, 0, (), 5) for uid in uids],
        read_only=False,
    )


def changes(
    *changed: MessageMeta,
    vanished: tuple[int, ...] = (),
    modseq: int = 20,
    keywords: tuple[str, ...] = (),
) -> Changes:
    return Changes(mailbox(modseq=modseq, uid_next=50, keywords=keywords), changed, vanished, True)


# -- the view -------------------------------------------------------------------------------------


def test_flag_changes_are_reported_once_with_uid() -> None:
    view = view_of(1, 2, 3)
    update = changes(MessageMeta(2, int(Flag.SEEN), (), 11))
    assert view.apply(update, expunges=True, condstore=False, qresync=False) == [
        FetchData(2, (("FLAGS", (Atom("\\Seen"),)), ("UID", 2))),
    ]
    assert view.apply(update, expunges=True, condstore=False, qresync=False) == []
    assert view.modseq == 20


def test_condstore_adds_modseq_to_unsolicited_fetch() -> None:
    view = view_of(1)
    [response] = view.apply(
        changes(MessageMeta(1, 0, ("$Work",), 12), keywords=()),
        expunges=True,
        condstore=True,
        qresync=False,
    )
    assert isinstance(response, FetchData)
    assert response.items[-1] == ("MODSEQ", (12,))


def test_expunges_wait_until_allowed_and_numbers_shift() -> None:
    view = view_of(1, 2, 3, 4)
    held = view.apply(changes(vanished=(2, 3)), expunges=False, condstore=False, qresync=False)
    assert held == []
    assert len(view) == 4 and not view.is_live(1) and view.is_live(0)
    assert view.live_uids() == [1, 4]
    # RFC 9051 §7.5.1: each EXPUNGE renumbers the following messages.
    assert view.announce_expunges(qresync=False) == [ExpungeData(2), ExpungeData(2)]
    assert list(view.uids) == [1, 4]


def test_qresync_reports_vanished_and_new_messages_after() -> None:
    view = view_of(1, 2)
    saved: tuple[int, ...] = (1, 2)
    view.saved = saved
    responses = view.apply(
        changes(MessageMeta(7, 0, (), 19), vanished=(1, 99)),
        expunges=True,
        condstore=True,
        qresync=True,
    )
    assert responses == [VanishedData((1,)), ExistsData(2)]
    assert list(view.uids) == [2, 7]
    assert view.saved == (2,)


def test_new_keywords_announce_flags_again() -> None:
    view = view_of(1)
    responses = view.apply(
        changes(MessageMeta(1, 0, ("$Travel",), 11), keywords=("$Travel",)),
        expunges=True,
        condstore=False,
        qresync=False,
    )
    assert isinstance(responses[0], FlagsData) and "$Travel" in responses[0].flags
    assert isinstance(responses[1], Untagged) and responses[1].code is not None
    assert "$Travel" in str(responses[1].code)
    assert isinstance(responses[2], FetchData)


def test_read_only_views_offer_no_permanent_flags() -> None:
    view = MailboxView(mailbox(), [], read_only=True)
    assert view.permanent_flags() == ()
    assert view_of(1).permanent_flags()[-1] == "\\*"


def test_settable_flags() -> None:
    assert settable_flags(["\\Seen", "\\Recent", "$Work"]) == ("\\Seen", "$Work")
    with pytest.raises(ValueError, match="Bogus"):
        settable_flags(["\\Bogus"])


# -- LIST / LSUB ---------------------------------------------------------------------


def boxes(*names: str) -> list[MailboxRecord]:
    return [mailbox(name, mailbox_id=index) for index, name in enumerate(names, 1)]


def names_of(listed: list[ListedName]) -> list[str]:
    return [item.name for item in listed]


def test_percent_stops_at_the_separator_and_shows_missing_parents() -> None:
    found = list_names(ListRequest("", ("%",)), boxes("INBOX", "a/b/c"), [], "/")
    assert names_of(found) == ["INBOX", "a"]
    assert found[1].attributes == ("\\Noselect", "\\HasChildren")
    extended = list_names(ListRequest("", ("%",), extended=True), boxes("a/b"), [], "/")
    assert extended[0].attributes == ("\\NonExistent", "\\HasChildren")
    star = list_names(ListRequest("", ("*",)), boxes("a/b/c"), [], "/")
    assert names_of(star) == ["a/b/c"]


def test_reference_and_inbox_case() -> None:
    found = list_names(ListRequest("inbox/", ("%",)), boxes("INBOX", "INBOX/Receipts"), [], "/")
    assert names_of(found) == ["INBOX/Receipts"]
    assert names_of(list_names(ListRequest("", ("InBoX",)), boxes("INBOX"), [], "/")) == ["INBOX"]


def test_subscribed_recursive_match_gives_childinfo() -> None:
    request = ListRequest("", ("%",), selection=("SUBSCRIBED", "RECURSIVEMATCH"), extended=True)
    found = list_names(request, boxes("Fruit", "Fruit/Banana"), ["Fruit/Banana", "Gone"], "/")
    assert [(item.name, item.child_info) for item in found] == [
        ("Fruit", ("SUBSCRIBED",)),
        ("Gone", ()),
    ]
    assert found[1].attributes == ("\\NonExistent", "\\Subscribed")


def test_lsub_marks_unsubscribed_parents_noselect() -> None:
    found = lsub_names("", "%", boxes("a/b"), ["a/b"], "/")
    assert [(item.name, item.attributes) for item in found] == [("a", ("\\Noselect",))]


# -- SORT and THREAD -----------------------------------------------------------------


def sortable(number: int, subject: str, date: float, size: int = 10) -> SortInput:
    return SortInput(number, date, date, size, subject, "", "", "", "", "")


def test_sort_reverse_keeps_mailbox_order_for_ties() -> None:
    messages = [sortable(1, "b", 1), sortable(2, "a", 2), sortable(3, "b", 3), sortable(4, "a", 4)]
    assert sort_messages(messages, [SortCriterion("SUBJECT")]) == [2, 4, 1, 3]
    assert sort_messages(messages, [SortCriterion("SUBJECT", reverse=True)]) == [1, 3, 2, 4]
    assert sort_messages(messages, [SortCriterion("SUBJECT"), SortCriterion("DATE", True)]) == [
        4,
        2,
        3,
        1,
    ]


def test_ascii_casemap_folds_only_ascii() -> None:
    assert ascii_casemap("café Zoé") == "CAFé ZOé"


def threadable(
    number: int,
    message_id: str,
    references: tuple[str, ...] = (),
    subject: str = "s",
    reply: bool = False,
) -> ThreadInput:
    return ThreadInput(number, number, message_id, references, subject, reply, float(number))


def test_references_with_a_missing_parent_make_a_dummy() -> None:
    # 2 and 3 answer a message we do not have: siblings under a dummy (RFC 5256 §4).
    messages = [
        threadable(1, "a", subject="other"),
        threadable(2, "b", ("missing",), reply=True),
        threadable(3, "c", ("missing",), reply=True),
    ]
    assert thread_references(messages) == (
        ThreadNode(1),
        ThreadNode(None, (ThreadNode(2), ThreadNode(3))),
    )


def test_references_chain_and_subject_merge() -> None:
    messages = [
        threadable(1, "a", subject="lunch"),
        threadable(2, "b", ("a",), subject="lunch", reply=True),
        threadable(3, "c", ("a", "b"), subject="lunch", reply=True),
        threadable(4, "d", subject="lunch", reply=True),  # no references: same subject
    ]
    assert thread_references(messages) == (
        ThreadNode(1, (ThreadNode(2, (ThreadNode(3),)), ThreadNode(4))),
    )


def test_reference_loops_are_ignored() -> None:
    messages = [threadable(1, "a", ("b",)), threadable(2, "b", ("a",), subject="t")]
    threads = thread_references(messages)
    assert sum(1 for _ in threads) >= 1  # no endless recursion, every message present
    seen: list[int] = []

    def walk(node: ThreadNode) -> None:
        if node.number is not None:
            seen.append(node.number)
        for child in node.children:
            walk(child)

    for thread in threads:
        walk(thread)
    assert sorted(seen) == [1, 2]


def test_ordered_subject() -> None:
    messages = [
        threadable(1, "a", subject="b"),
        threadable(2, "b", subject="a"),
        threadable(3, "c", subject="b"),
    ]
    assert thread_ordered_subject(messages) == (
        ThreadNode(1, (ThreadNode(3),)),
        ThreadNode(2),
    )
