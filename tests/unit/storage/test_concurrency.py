"""Concurrent writers and readers against one account: the ordering invariants of
research/scale-out.md §2.1 hold for every reader at every moment.

- I1: a reader that sees UID u sees every UID below u that will ever exist (no holes).
- I2: MODSEQ never goes backwards, and a change with a lower MODSEQ never commits after one
  with a higher MODSEQ, so ``changes_since(last seen)`` misses nothing.
- Inside a mailbox, commit order = UID order = MODSEQ order; counters equal recounts.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courriel.storage.records import Flag, NewMessage
from support.backends import BACKENDS, Backend, assert_consistent, make_account
from support.builders import large, new, small

SEEN = int(Flag.SEEN)
FLAGGED = int(Flag.FLAGGED)
DELETED = int(Flag.DELETED)


@pytest.mark.parametrize("backend_name", sorted(BACKENDS))
async def test_readers_never_see_a_uid_hole_or_a_modseq_going_back(
    tmp_path: Path, backend_name: str
) -> None:
    async with BACKENDS[backend_name](tmp_path) as backend:
        account, inbox = await make_account(backend, "alice@example.test")
        appenders_done = asyncio.Event()
        appended_uids: list[int] = []

        async def appender(number: int) -> None:
            for round_ in range(8):
                batch: list[NewMessage] = []
                for index in range(1 + (number + round_) % 3):
                    if (number + round_ + index) % 23 == 0:
                        batch.append(new(await large(backend.blobs, 150_000)))
                    else:
                        batch.append(new(small(), flags=SEEN if index % 2 else 0))
                result = await backend.mail.append(account.id, inbox.id, batch)
                appended_uids.extend(result.uids)

        observations = 0

        async def reader() -> set[int]:
            nonlocal observations
            known: set[int] = set()
            changes_modseq = 0
            snapshot_modseq = 0
            while True:
                finished = appenders_done.is_set()
                mailbox, metas = await backend.mail.snapshot(inbox.id)
                uids = [meta.uid for meta in metas]
                assert uids == list(range(1, len(uids) + 1)), "a reader saw a UID hole"
                assert mailbox.uid_next == len(uids) + 1
                assert mailbox.message_count == len(uids)
                assert mailbox.highest_modseq >= snapshot_modseq, "HIGHESTMODSEQ went back"
                assert all(meta.modseq <= mailbox.highest_modseq for meta in metas)
                snapshot_modseq = mailbox.highest_modseq

                changes = await backend.mail.changes_since(inbox.id, changes_modseq)
                assert all(meta.modseq > changes_modseq for meta in changes.changed)
                assert changes.mailbox.highest_modseq >= changes_modseq
                known.update(meta.uid for meta in changes.changed)
                assert known == set(range(1, len(known) + 1)), "changes_since missed a change"
                changes_modseq = changes.mailbox.highest_modseq
                observations += 1
                if finished:
                    return known

        reading = asyncio.create_task(reader())
        await asyncio.gather(*(appender(n) for n in range(64)))
        appenders_done.set()
        known = await reading

        assert sorted(appended_uids) == list(range(1, len(appended_uids) + 1))
        assert known == set(appended_uids)
        assert observations >= 5, f"the reader only looked {observations} times"
        await assert_consistent(backend, account.id)


# --- random interleavings --------------------------------------------------------------------

MAILBOXES = ("INBOX", "A", "B")


@dataclass(frozen=True)
class Append:
    mailbox: int
    count: int
    flags: int


@dataclass(frozen=True)
class Store:
    mailbox: int
    picks: tuple[int, ...]
    mode: str
    flags: int
    keywords: tuple[str, ...]
    unchanged_since_offset: int | None


@dataclass(frozen=True)
class Expunge:
    mailbox: int
    picks: tuple[int, ...] | None


@dataclass(frozen=True)
class Transfer:
    source: int
    picks: tuple[int, ...]
    destination: int
    move: bool


Operation = Append | Store | Expunge | Transfer

mailbox_index = st.integers(0, len(MAILBOXES) - 1)
picks = st.lists(st.integers(0, 30), min_size=1, max_size=4).map(tuple)
flag_sets = st.sampled_from([0, SEEN, DELETED, SEEN | DELETED, FLAGGED, SEEN | FLAGGED])
operations: st.SearchStrategy[Operation] = st.one_of(
    st.builds(Append, mailbox_index, st.integers(1, 3), flag_sets),
    st.builds(
        Store,
        mailbox_index,
        picks,
        st.sampled_from(["add", "remove", "replace"]),
        flag_sets,
        st.lists(st.sampled_from(["Work", "work", "$Todo", "later"]), max_size=2).map(tuple),
        st.none() | st.integers(-2, 0),
    ),
    st.builds(Expunge, mailbox_index, st.none() | picks),
    st.builds(Transfer, mailbox_index, picks, mailbox_index, st.booleans()),
)
scripts = st.lists(st.lists(operations, min_size=1, max_size=8), min_size=2, max_size=4)


@dataclass
class Journal:
    """What each committed write allocated: (modseq, mailbox id, new UIDs)."""

    allocations: list[tuple[int, int, tuple[int, ...]]] = field(default_factory=list)
    modseqs: list[int] = field(default_factory=list)


async def _pick(backend: Backend, mailbox_id: int, indexes: tuple[int, ...]) -> list[int]:
    _, metas = await backend.mail.snapshot(mailbox_id)
    if not metas:
        return [index + 1 for index in indexes]  # missing UIDs: the write must skip them
    return sorted({metas[index % len(metas)].uid for index in indexes})


async def _run(
    backend: Backend, account_id: int, ids: list[int], op: Operation, journal: Journal
) -> None:
    mail = backend.mail
    if isinstance(op, Append):
        result = await mail.append(
            account_id, ids[op.mailbox], [new(small(), flags=op.flags) for _ in range(op.count)]
        )
        journal.allocations.append((result.modseq, ids[op.mailbox], result.uids))
        journal.modseqs.append(result.modseq)
    elif isinstance(op, Store):
        mailbox, _ = await mail.snapshot(ids[op.mailbox])
        since = None
        if op.unchanged_since_offset is not None:
            since = mailbox.highest_modseq + op.unchanged_since_offset
        flags = await mail.store_flags(
            account_id,
            ids[op.mailbox],
            await _pick(backend, ids[op.mailbox], op.picks),
            mode=op.mode,
            flags=op.flags,
            keywords=op.keywords,
            unchanged_since=since,
        )
        assert not set(flags.modified) & {meta.uid for meta in flags.changed}
        if flags.modseq is not None:
            assert all(meta.modseq == flags.modseq for meta in flags.changed)
            journal.modseqs.append(flags.modseq)
    elif isinstance(op, Expunge):
        uids = None if op.picks is None else await _pick(backend, ids[op.mailbox], op.picks)
        expunged = await mail.expunge(account_id, ids[op.mailbox], uids)
        if expunged.modseq is not None:
            journal.modseqs.append(expunged.modseq)
    else:
        if op.source == op.destination:
            return
        transfer = mail.move if op.move else mail.copy
        moved = await transfer(
            account_id,
            ids[op.source],
            await _pick(backend, ids[op.source], op.picks),
            ids[op.destination],
        )
        assert len(moved.source_uids) == len(moved.destination_uids)
        assert list(moved.source_uids) == sorted(moved.source_uids)
        if moved.modseq is not None:
            journal.allocations.append((moved.modseq, ids[op.destination], moved.destination_uids))
            journal.modseqs.append(moved.modseq)


async def _scenario(backend_name: str, root: Path, plan: list[list[Operation]]) -> None:
    async with BACKENDS[backend_name](root) as backend:
        account, inbox = await make_account(backend, "alice@example.test")
        ids = [inbox.id]
        for name in MAILBOXES[1:]:
            ids.append((await backend.mail.create_mailbox(account.id, name)).id)
        journal = Journal()

        async def worker(script: list[Operation]) -> None:
            for op in script:
                await _run(backend, account.id, ids, op, journal)
                await assert_consistent(backend, account.id)

        await asyncio.gather(*(worker(script) for script in plan))

        # One MODSEQ per committed change, never shared between two writes.
        assert len(journal.modseqs) == len(set(journal.modseqs))
        for mailbox_id in ids:
            in_commit_order = sorted(
                (modseq, uids) for modseq, box, uids in journal.allocations if box == mailbox_id
            )
            allocated = [uid for _, uids in in_commit_order for uid in uids]
            # UIDs strictly increase in commit (= MODSEQ) order and are never reused.
            assert allocated == list(range(1, len(allocated) + 1))
            history = await backend.mail.changes_since(mailbox_id, 0)
            present = {meta.uid for meta in history.changed}
            assert not present & set(history.vanished)
            assert present | set(history.vanished) == set(allocated)
            assert history.mailbox.uid_next == len(allocated) + 1


@pytest.mark.parametrize("backend_name", sorted(BACKENDS))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(plan=scripts)
def test_random_interleavings_keep_the_invariants(
    backend_name: str, plan: list[list[Operation]]
) -> None:
    with tempfile.TemporaryDirectory() as root:
        asyncio.run(_scenario(backend_name, Path(root), plan))
