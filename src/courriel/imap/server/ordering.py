"""SORT and THREAD (RFC 5256) over values computed at ingest: pure functions.

Owns the sort keys (ARRIVAL, CC, DATE, FROM, SIZE, SUBJECT, TO, RFC 5256 §3; DISPLAYFROM,
DISPLAYTO, RFC 5957 §3) compared with i;ascii-casemap (only a-z fold, RFC 4790 §9.2), ties
broken by mailbox order whatever REVERSE says (RFC 5256 §3), and the two threading
algorithms of RFC 5256 §3: ORDEREDSUBJECT (group by base subject, order by sent date) and
REFERENCES (the Message-ID / In-Reply-To / References tree with dummy parents, pruning,
and merging of threads by base subject). "Sent date" is the Date: header, or the internal
date when there is none (RFC 5256 §2.2).

Must not: read storage; the session builds :class:`SortInput` / :class:`ThreadInput`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from courriel.imap.protocol.commands import SortCriterion
from courriel.imap.protocol.responses import ThreadNode
from courriel.mail import base_subject
from courriel.storage.records import MessageRecord

_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def ascii_casemap(text: str) -> str:
    """i;ascii-casemap (RFC 4790 §9.2): a-z upper-cased, nothing else touched."""
    return text.translate(_ASCII_UPPER)


@dataclass(frozen=True, slots=True)
class SortInput:
    """One message's sort keys; ``number`` is what the response shows (sequence or UID)."""

    number: int
    arrival: float
    date: float
    size: int
    subject: str
    from_: str
    to: str
    cc: str
    display_from: str
    display_to: str


def _key(message: SortInput, key: str) -> str | float:
    match key:
        case "ARRIVAL":
            return message.arrival
        case "DATE":
            return message.date
        case "SIZE":
            return message.size
        case "SUBJECT":
            return ascii_casemap(message.subject)
        case "FROM":
            return ascii_casemap(message.from_)
        case "TO":
            return ascii_casemap(message.to)
        case "CC":
            return ascii_casemap(message.cc)
        case "DISPLAYFROM":
            return ascii_casemap(message.display_from)
        case _:  # DISPLAYTO
            return ascii_casemap(message.display_to)


def sort_messages(messages: Sequence[SortInput], criteria: Sequence[SortCriterion]) -> list[int]:
    """The numbers in SORT order (RFC 5256 §3): one stable pass per key, last key first,
    on a list already in mailbox order, so equal messages stay in mailbox order."""
    ordered = list(messages)
    for criterion in reversed(criteria):
        ordered = _stable_sort(ordered, criterion)
    return [message.number for message in ordered]


def _stable_sort(messages: list[SortInput], criterion: SortCriterion) -> list[SortInput]:
    if not criterion.reverse:
        return sorted(messages, key=lambda message: _key(message, criterion.key))
    # REVERSE reverses the key, not the tie order (RFC 5256 §3): group, then reverse groups.
    groups: dict[str | float, list[SortInput]] = {}
    for message in sorted(messages, key=lambda message: _key(message, criterion.key)):
        groups.setdefault(_key(message, criterion.key), []).append(message)
    return [message for key in reversed(groups) for message in groups[key]]


# -- THREAD -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThreadInput:
    """``references``: the References ids, or the In-Reply-To id when there are none
    (RFC 5256 §3 REFERENCES step 1.A); ``order`` is the position in the mailbox."""

    number: int
    order: int
    message_id: str
    references: tuple[str, ...]
    base_subject: str
    is_reply: bool
    date: float


def thread_input(record: MessageRecord, number: int) -> ThreadInput:
    """A stored message's threading values, from its ingest summary (IMAP THREAD and the
    webmail's conversation view)."""
    summary = record.summary
    references = summary.references or ((summary.in_reply_to,) if summary.in_reply_to else ())
    return ThreadInput(
        number=number,
        order=record.uid,
        message_id=summary.message_id,
        references=references,
        base_subject=summary.base_subject,
        is_reply=base_subject(summary.subject)[1],
        date=summary.sent_date if summary.sent_date is not None else record.internal_date,
    )


def thread_ordered_subject(messages: Sequence[ThreadInput]) -> tuple[ThreadNode, ...]:
    """ORDEREDSUBJECT (RFC 5256 §3): sort by base subject then sent date; each run of one
    subject is a thread whose first message is the parent of the others; threads are
    ordered by the sent date of their first message."""
    ordered = sorted(messages, key=lambda m: (ascii_casemap(m.base_subject), m.date, m.order))
    threads: list[tuple[ThreadInput, list[ThreadInput]]] = []
    for message in ordered:
        if threads and ascii_casemap(threads[-1][0].base_subject) == ascii_casemap(
            message.base_subject
        ):
            threads[-1][1].append(message)
        else:
            threads.append((message, []))
    threads.sort(key=lambda thread: (thread[0].date, thread[0].order))
    return tuple(
        ThreadNode(first.number, tuple(ThreadNode(child.number) for child in rest))
        for first, rest in threads
    )


@dataclass(eq=False)
class _Container:
    message: ThreadInput | None = None
    parent: _Container | None = None
    children: list[_Container] = field(default_factory=list)

    def is_ancestor_of(self, other: _Container) -> bool:
        node: _Container | None = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False

    def adopt(self, child: _Container) -> None:
        if child.parent is not None:
            child.parent.children.remove(child)
        child.parent = self
        self.children.append(child)

    def sort_key(self) -> tuple[float, int]:
        """A message's sent date; a dummy sorts as its first child (RFC 5256 §3 step 4)."""
        if self.message is not None:
            return (self.message.date, self.message.order)
        return self.children[0].sort_key() if self.children else (0.0, 0)

    def subject_holder(self) -> ThreadInput | None:
        return (
            self.message
            if self.message is not None
            else (self.children[0].message if self.children else None)
        )


def thread_references(messages: Sequence[ThreadInput]) -> tuple[ThreadNode, ...]:
    """REFERENCES (RFC 5256 §3), steps 1-6."""
    table: dict[str, _Container] = {}
    for message in messages:
        # Step 1.A: a missing or duplicate Message-ID gets a unique one.
        message_id = message.message_id
        if not message_id or (message_id in table and table[message_id].message is not None):
            message_id = f"\x00{message.order}"
        container = table.setdefault(message_id, _Container())
        container.message = message
        # Step 1.B: link the references in order, never changing an existing link or
        # making a loop.
        previous: _Container | None = None
        for reference in message.references:
            current = table.setdefault(reference, _Container())
            if (
                previous is not None
                and current.parent is None
                and current is not previous
                and not current.is_ancestor_of(previous)
            ):
                previous.adopt(current)
            previous = current
        # Step 1.C: the last reference is the parent, replacing any earlier guess.
        if previous is not None and (previous is container or container.is_ancestor_of(previous)):
            previous = None
        if previous is None:
            if container.parent is not None:
                container.parent.children.remove(container)
                container.parent = None
        elif container.parent is not previous:
            previous.adopt(container)
    # Step 2: the root set; step 3: the id table is not needed any more.
    roots = [container for container in table.values() if container.parent is None]
    # Step 4: prune dummies.
    roots = _prune(roots, at_root=True)
    for root in roots:
        root.parent = None
    # Step 5: sort (done again in step 6 after merging), then gather by subject.
    _sort_tree(roots)
    roots = _merge_by_subject(roots)
    # Step 6: sort every sibling list by sent date.
    _sort_tree(roots)
    return tuple(_node(container) for container in roots)


def _prune(containers: list[_Container], *, at_root: bool) -> list[_Container]:
    result: list[_Container] = []
    for container in containers:
        container.children = _prune(container.children, at_root=False)
        for child in container.children:
            child.parent = container
        if container.message is None:
            if not container.children:
                continue  # 4.A: a dummy without children goes
            if not at_root or len(container.children) == 1:
                result.extend(container.children)  # 4.B: promote its children
                continue
        result.append(container)
    return result


def _sort_tree(containers: list[_Container]) -> None:
    for container in containers:
        _sort_tree(container.children)
    containers.sort(key=_Container.sort_key)


def _merge_by_subject(roots: list[_Container]) -> list[_Container]:
    """RFC 5256 §3 REFERENCES step 5: threads with the same base subject are merged."""
    subjects: dict[str, _Container] = {}
    for root in roots:
        holder = root.subject_holder()
        if holder is None or not holder.base_subject:
            continue
        subject = ascii_casemap(holder.base_subject)
        old = subjects.get(subject)
        if (
            old is None
            or (root.message is None and old.message is not None)
            or (
                old.message is not None
                and old.message.is_reply
                and root.message is not None
                and not root.message.is_reply
            )
        ):
            subjects[subject] = root
    merged: list[_Container] = []
    replaced: dict[int, _Container] = {}
    for root in roots:
        holder = root.subject_holder()
        subject = ascii_casemap(holder.base_subject) if holder and holder.base_subject else ""
        target = subjects.get(subject) if subject else None
        if target is not None:
            target = replaced.get(id(target), target)
        if target is None or target is root:
            merged.append(root)
            continue
        if target.message is None and root.message is None:
            for child in list(root.children):  # 5.C.i: both dummies: one keeps all children
                target.adopt(child)
        elif target.message is None:
            target.adopt(root)  # 5.C.ii: under the dummy
        elif root.message is not None and root.message.is_reply and not target.message.is_reply:
            target.adopt(root)  # 5.C.iii: a reply under the original
        else:
            dummy = _Container()  # 5.C.iv: both under a new dummy
            position = merged.index(target) if target in merged else None
            dummy.adopt(target)
            dummy.adopt(root)
            replaced[id(subjects[subject])] = dummy
            if position is not None:
                merged[position] = dummy
            else:
                merged.append(dummy)
    return merged


def _node(container: _Container) -> ThreadNode:
    children = tuple(_node(child) for child in container.children)
    number = container.message.number if container.message is not None else None
    return ThreadNode(number, children)
