"""Commands of the selected state (RFC 9051 §6.4): CHECK (IMAP4rev1), CLOSE, UNSELECT
(RFC 3691), EXPUNGE and UID EXPUNGE (RFC 4315), SEARCH with ESEARCH (RFC 4731) and
SEARCHRES (RFC 5182), SORT and THREAD (RFC 5256), FETCH with CHANGEDSINCE/VANISHED
(RFC 7162) and BINARY (RFC 3516), STORE with UNCHANGEDSINCE (RFC 7162 §3.1.3), COPY and MOVE
(RFC 6851) with COPYUID (RFC 4315), each with its UID form (RFC 9051 §6.4.9).

Sequence numbers are the view's (``view.MailboxView``); a message expunged by another
session but not yet announced keeps its number and is skipped (RFC 2180 §4.1). FETCH serves
from what was stored at ingest (``courriel.imap.protocol.fetch``) and reads message bytes
only for body sections, and only the header when that is all that is asked.

Must not: send EXPUNGE or EXISTS for others' changes itself (the session reports them at
the moments RFC 9051 §7.5.1 allows).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from courriel.imap.protocol.codes import (
    EXPUNGEISSUED,
    TRYCREATE,
    copy_uid_code,
    modified_code,
)
from courriel.imap.protocol.commands import (
    Check,
    Close,
    Copy,
    Expunge,
    Fetch,
    Move,
    Search,
    Sort,
    Store,
    StoreAction,
    Thread,
    Unselect,
)
from courriel.imap.protocol.fetch import FetchedMessage, flags_value, render_fetch
from courriel.imap.protocol.fetchitems import (
    BodySection,
    FetchAttribute,
    FetchItem,
    needs_content,
    sets_seen,
)
from courriel.imap.protocol.responses import (
    ESearchData,
    FetchData,
    SearchData,
    SortData,
    Tagged,
    ThreadData,
    Untagged,
    VanishedData,
    ok,
)
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
    resolve,
    to_criteria,
    uid_set_query,
)
from courriel.imap.protocol.searchkeys import AndKey, ModSeqKey, NotKey, OrKey, SearchKey
from courriel.imap.protocol.sequenceset import SequenceSet
from courriel.imap.protocol.wire import Value
from courriel.imap.server.errors import Bad, No
from courriel.imap.server.fetch_forms import fetch_rendered, servable
from courriel.imap.server.ordering import (
    SortInput,
    ThreadInput,
    sort_messages,
    thread_input,
    thread_ordered_subject,
    thread_references,
)
from courriel.imap.server.state import Authenticated, Selected
from courriel.imap.server.view import MailboxView, cached_flag_names, settable_flags
from courriel.mail import decode
from courriel.storage import query
from courriel.storage.errors import NotFound
from courriel.storage.records import Flag, MessageMeta, MessageRecord, RenderedMessage

if TYPE_CHECKING:
    from courriel.imap.server.session import ImapSession

#: Messages read from the store per round trip while answering FETCH, SORT or THREAD.
BATCH = 256
# Rows of a metadata FETCH read per store call: no parse trees, ~700 bytes each.
FORMS_BATCH = 1024

STORE_MODES = {StoreAction.ADD: "add", StoreAction.REMOVE: "remove", StoreAction.REPLACE: "replace"}


def email_id(record: MessageRecord | RenderedMessage) -> str:
    """OBJECTID EMAILID (RFC 8474 §5.1): the same for every copy of a message."""
    return f"M{record.email_id}"


def thread_id(record: MessageRecord | RenderedMessage) -> str:
    """OBJECTID THREADID (RFC 8474 §5.2)."""
    return f"T{record.thread_id}"


# -- message sets ----------------------------------------------------------------------------------


def target_indexes(view: MailboxView, sequence_set: SequenceSet, uid: bool) -> list[int]:
    """0-based positions named by a sequence set: message numbers, UIDs (RFC 9051 §6.4.9),
    or ``$``, the saved search result (RFC 5182 §2.1)."""
    if sequence_set.saved:
        return sorted(index for saved in view.saved if (index := view.index_of(saved)) is not None)
    if uid:
        return [position - 1 for position in sequence_set.select_positions(view.uids)]
    if sequence_set.exceeds(len(view)) or (not len(view) and sequence_set.has_star):
        raise Bad("Invalid message sequence number")  # RFC 9051 §9 seq-number
    return [number - 1 for number in sequence_set.message_numbers(len(view))]


def _batches(items: Sequence[int], size: int = BATCH) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _records(
    session: ImapSession, view: MailboxView, indexes: Sequence[int]
) -> Iterator[tuple[int, MessageRecord | None]]:
    uids = [view.uids[index] for index in indexes]
    found = {record.uid: record for record in await session.mailstore.fetch(view.mailbox_id, uids)}
    return ((index, found.get(view.uids[index])) for index in indexes)


# -- CHECK, CLOSE, UNSELECT, EXPUNGE ---------------------------------------------------------------


async def check(session: ImapSession, state: Selected, command: Check) -> Tagged:
    """RFC 3501 §6.4.1: every write is durable already; like NOOP."""
    del session, state
    return ok(command.tag, "CHECK completed")


async def close(session: ImapSession, state: Selected, command: Close) -> Tagged:
    """RFC 9051 §6.4.1: expunge silently (not in EXAMINE), then no mailbox is selected."""
    view = state.view
    session.state = Authenticated(state.principal)
    if not view.read_only:
        await session.mailstore.expunge(state.principal.account_id, view.mailbox_id)
    return ok(command.tag, "CLOSE completed")


async def unselect(session: ImapSession, state: Selected, command: Unselect) -> Tagged:
    """RFC 3691 §2, RFC 9051 §6.4.2: close without expunging."""
    session.state = Authenticated(state.principal)
    return ok(command.tag, "UNSELECT completed")


async def expunge(session: ImapSession, state: Selected, command: Expunge) -> Tagged:
    """RFC 9051 §6.4.3; UID EXPUNGE (RFC 4315 §2.1) only among the given UIDs. The
    EXPUNGE responses come from the session's update report before the OK."""
    view = state.view
    if view.read_only:
        raise No("Mailbox is read-only")
    uids = None
    if command.uids is not None:
        uids = [view.uids[index] for index in target_indexes(view, command.uids, uid=True)]
        if not uids:
            return ok(command.tag, "EXPUNGE completed")
    await session.mailstore.expunge(state.principal.account_id, view.mailbox_id, uids)
    view.dirty = True  # the report before the OK announces them
    return ok(command.tag, "EXPUNGE completed")


# -- SEARCH, SORT, THREAD --------------------------------------------------------------------------


def _markers(criteria: Criteria) -> Iterator[UnresolvedKey]:
    match criteria:
        case PendingNot():
            yield from _markers(criteria.key)
        case PendingAnyOf() | PendingAllOf():
            for key in criteria.keys:
                yield from _markers(key)
        case MessageNumbers() | SavedResult() | UidsUpToHighest() | RecentMessages():
            yield criteria
        case ObjectIdMatch():
            yield criteria
        case _:
            return


def uses_modseq(key: SearchKey) -> bool:
    """True when a MODSEQ key appears (RFC 7162 §3.1.5: then the answer carries MODSEQ)."""
    match key:
        case ModSeqKey():
            return True
        case NotKey():
            return uses_modseq(key.key)
        case OrKey():
            return uses_modseq(key.left) or uses_modseq(key.right)
        case AndKey():
            return any(uses_modseq(inner) for inner in key.keys)
        case _:
            return False


async def _object_matches(
    session: ImapSession, view: MailboxView, marker: ObjectIdMatch
) -> list[int]:
    """EMAILID / THREADID (RFC 8474 §6), answered from the stored records."""
    matches: list[int] = []
    live = [index for index in range(len(view)) if view.is_live(index)]
    for batch in _batches(live):
        for _, record in await _records(session, view, batch):
            if record is None:
                continue
            value = email_id(record) if marker.kind == "EMAILID" else thread_id(record)
            if value == marker.object_id:
                matches.append(record.uid)
    return matches


async def find(session: ImapSession, view: MailboxView, key: SearchKey) -> list[int]:
    """UIDs of the view's live messages matching ``key``, ascending (RFC 9051 §6.4.4); TEXT
    and BODY use the store's full-text index."""
    criteria = to_criteria(key)
    objects: dict[ObjectIdMatch, list[int]] = {}
    for marker in _markers(criteria):
        if isinstance(marker, ObjectIdMatch) and marker not in objects:
            objects[marker] = await _object_matches(session, view, marker)

    def resolve_marker(marker: UnresolvedKey) -> query.SearchKey:
        match marker:
            case MessageNumbers():
                return uid_set_query(marker.set.message_uids(view.uids))
            case SavedResult():
                return uid_set_query(view.saved)
            case UidsUpToHighest():
                return uid_set_query(marker.set.select_uids(view.uids))
            case RecentMessages():
                return uid_set_query(())  # no message is \Recent in courriel
            case ObjectIdMatch():
                return uid_set_query(objects[marker])

    resolved = resolve(criteria, resolve_marker)
    if isinstance(resolved, query.MatchAll):
        return view.live_uids()
    found = await session.mailstore.search(view.mailbox_id, resolved)
    return [uid for uid in found if view.index_of(uid) is not None and uid not in view.expunged]


def _numbers(view: MailboxView, uids: Iterable[int], uid: bool) -> list[int]:
    if uid:
        return list(uids)
    return [index + 1 for found in uids if (index := view.index_of(found)) is not None]


def _highest_modseq(view: MailboxView, uids: Iterable[int]) -> int | None:
    modseqs = [view.modseqs[index] for uid in uids if (index := view.index_of(uid)) is not None]
    return max(modseqs) if modseqs else None


async def search(session: ImapSession, state: Selected, command: Search) -> Tagged:
    """RFC 9051 §6.4.4; ESEARCH (RFC 4731 §3.1, the IMAP4rev2 answer); SAVE (RFC 5182)."""
    view = state.view
    returns = command.returns
    try:
        uids = await find(session, view, command.criteria)
    except Exception:
        if returns is not None and "SAVE" in returns:
            view.saved = ()  # RFC 5182 §2.1: a failed SEARCH (SAVE) empties $
        raise
    modseq = None
    if uses_modseq(command.criteria):
        session.enable_condstore()
        modseq = _highest_modseq(view, uids)
    numbers = _numbers(view, uids, command.uid)
    if returns is None and not session.rev2:
        await session.send(SearchData(tuple(numbers), modseq))  # RFC 3501 §7.2.5
        return ok(command.tag, "SEARCH completed")
    options = set(returns or ("ALL",))  # RFC 9051 §6.4.4: no RETURN means RETURN (ALL)
    if "SAVE" in options:
        saved = uids
        if options & {"MIN", "MAX"} and not options & {"ALL", "COUNT"}:
            # RFC 5182 §2.4: SAVE with MIN/MAX only keeps those messages.
            saved = (
                sorted(
                    {uids[0], uids[-1]}
                    if "MIN" in options and "MAX" in options
                    else ({uids[0]} if "MIN" in options else {uids[-1]})
                )
                if uids
                else []
            )
        view.saved = tuple(saved)
    if options - {"SAVE"}:
        await session.send(
            ESearchData(
                command.tag,
                uid=command.uid,
                min=numbers[0] if "MIN" in options and numbers else None,
                max=numbers[-1] if "MAX" in options and numbers else None,
                all=tuple(numbers) if "ALL" in options else None,
                count=len(numbers) if "COUNT" in options else None,
                modseq=modseq,
            )
        )
    return ok(command.tag, "SEARCH completed")


def _needs_summary(criteria: Sequence[str]) -> bool:
    return any(key in ("FROM", "TO", "CC", "DISPLAYFROM", "DISPLAYTO") for key in criteria)


async def sort(session: ImapSession, state: Selected, command: Sort) -> Tagged:
    """RFC 5256 §3 (and RFC 5957 DISPLAYFROM/DISPLAYTO) over values stored at ingest."""
    view = state.view
    uids = await find(session, view, command.search)
    indexes = [index for uid in uids if (index := view.index_of(uid)) is not None]
    decode_addresses = _needs_summary([criterion.key for criterion in command.criteria])
    inputs: list[SortInput] = []
    for batch in _batches(indexes):
        for index, record in await _records(session, view, batch):
            if record is None:
                continue
            summary = record.summary
            from_ = to = cc = display_from = display_to = ""
            if decode_addresses:
                parsed = decode(record.parsed).summary
                from_, to, cc = parsed.sort_from, parsed.sort_to, parsed.sort_cc
                display_from, display_to = parsed.display_from, parsed.display_to
            inputs.append(
                SortInput(
                    number=record.uid if command.uid else index + 1,
                    arrival=record.internal_date,
                    # RFC 5256 §2.2: the sent date, else the internal date
                    date=summary.sent_date
                    if summary.sent_date is not None
                    else record.internal_date,
                    size=record.size,
                    subject=summary.base_subject,
                    from_=from_,
                    to=to,
                    cc=cc,
                    display_from=display_from,
                    display_to=display_to,
                )
            )
    modseq = None
    if uses_modseq(command.search):
        session.enable_condstore()
        modseq = _highest_modseq(view, uids)
    await session.send(SortData(tuple(sort_messages(inputs, command.criteria)), modseq))
    return ok(command.tag, "SORT completed")


async def thread(session: ImapSession, state: Selected, command: Thread) -> Tagged:
    """RFC 5256 §3: ORDEREDSUBJECT or REFERENCES, from message ids and subjects stored at
    ingest."""
    view = state.view
    uids = await find(session, view, command.search)
    indexes = [index for uid in uids if (index := view.index_of(uid)) is not None]
    inputs: list[ThreadInput] = []
    for batch in _batches(indexes):
        for index, record in await _records(session, view, batch):
            if record is None:
                continue
            inputs.append(thread_input(record, record.uid if command.uid else index + 1))
    if command.algorithm == "ORDEREDSUBJECT":
        threads = thread_ordered_subject(inputs)
    else:
        threads = thread_references(inputs)
    await session.send(ThreadData(threads))
    return ok(command.tag, "THREAD completed")


# -- FETCH ----------------------------------------------------------------------------


def _header_only(attributes: Sequence[FetchAttribute]) -> bool:
    """True when every content attribute lies in the top-level header, so reading
    ``header_size`` bytes is enough."""
    for attribute in attributes:
        if not needs_content(attribute):
            continue
        if attribute == FetchItem.RFC822_HEADER:
            continue
        if (
            isinstance(attribute, BodySection)
            and not attribute.section.part
            and attribute.section.text.startswith("HEADER")
        ):
            continue
        return False
    return True


#: What the view knows without reading the store.
VIEW_ITEMS = frozenset({FetchItem.FLAGS, FetchItem.UID, FetchItem.MODSEQ})


def _fetch_attributes(session: ImapSession, command: Fetch) -> list[FetchAttribute]:
    attributes: list[FetchAttribute] = list(command.attributes)
    if (command.uid or session.qresync) and FetchItem.UID not in attributes:
        # RFC 9051 §6.4.9: UID FETCH answers carry UID; so does every FETCH response once
        # QRESYNC is on (RFC 7162 §3.2.4).
        attributes.insert(0, FetchItem.UID)
    if command.changed_since is not None or FetchItem.MODSEQ in attributes:
        session.enable_condstore()  # RFC 7162 §3.1
    if command.changed_since is not None and FetchItem.MODSEQ not in attributes:
        attributes.append(FetchItem.MODSEQ)  # RFC 7162 §3.1.4.1
    return attributes


async def fetch(session: ImapSession, state: Selected, command: Fetch) -> Tagged:
    """RFC 9051 §6.4.5, §7.5.2; CHANGEDSINCE (RFC 7162 §3.1.4.1), VANISHED (§3.2.6)."""
    view = state.view
    if command.vanished and not session.qresync:
        raise Bad("Enable QRESYNC first")  # RFC 7162 §3.2.6
    # Catch up first, so flags and MODSEQs are current; numbers only change for UID FETCH,
    # which may carry EXPUNGE (RFC 9051 §7.5.1).
    await session.report_updates(expunges=command.uid)
    indexes = target_indexes(view, command.sequence_set, command.uid)
    attributes = _fetch_attributes(session, command)
    changed_since = command.changed_since
    if command.vanished:
        assert changed_since is not None
        await _vanished_earlier(session, view, command.sequence_set, changed_since)
    live = [index for index in indexes if view.is_live(index)]
    gone = len(indexes) - len(live)
    if changed_since is not None:
        live = [index for index in live if view.modseqs[index] > changed_since]
    seen_now = await _mark_seen(session, state, live, attributes)
    if set(attributes) <= VIEW_ITEMS:
        for index in live:  # FLAGS, UID, MODSEQ: the view has them
            await session.send(FetchData(index + 1, _view_items(view, index, attributes)))
    elif servable(attributes) and not seen_now:  # metadata: from the forms stored at ingest

        async def general(indexes: Sequence[int], asked: Sequence[FetchAttribute]) -> int:
            return await _fetch_from_store(session, view, indexes, asked, seen_now)

        gone += await fetch_rendered(session, view, live, attributes, FORMS_BATCH, general)
    else:
        gone += await _fetch_from_store(session, view, live, attributes, seen_now)
    if gone and not command.uid:
        # RFC 2180 §4.1.2, RFC 5530 §3: the others were answered.
        return ok(command.tag, "Some messages were expunged", EXPUNGEISSUED)
    return ok(command.tag, "FETCH completed")


def _view_items(
    view: MailboxView, index: int, attributes: Sequence[FetchAttribute]
) -> tuple[tuple[str, Value], ...]:
    items: list[tuple[str, Value]] = []
    for attribute in attributes:
        if attribute == FetchItem.FLAGS:
            items.append(("FLAGS", flags_value(view.flag_names(index))))
        elif attribute == FetchItem.UID:
            items.append(("UID", view.uids[index]))
        else:
            items.append(("MODSEQ", (view.modseqs[index],)))
    return tuple(items)


async def _fetch_from_store(
    session: ImapSession,
    view: MailboxView,
    indexes: Sequence[int],
    attributes: Sequence[FetchAttribute],
    seen_now: set[int],
) -> int:
    """FETCH responses rendered from stored records (and bytes when sections are asked);
    returns how many messages had gone from the store."""
    gone = 0
    with_flags = (
        tuple(attributes) if FetchItem.FLAGS in attributes else (*attributes, FetchItem.FLAGS)
    )
    content = any(needs_content(attribute) for attribute in attributes)
    header_only = content and _header_only(attributes)
    mailstore = session.mailstore
    for batch in _batches(indexes):
        found = [(index, record) for index, record in await _records(session, view, batch)]
        gone += sum(1 for _, record in found if record is None)
        present = [(index, record) for index, record in found if record is not None]
        parsed = [decode(record.parsed) for _, record in present]
        raws: list[bytes | None] = [None] * len(present)
        if content:  # read the batch's bytes together: the store serves reads in parallel
            raws = list(
                await asyncio.gather(
                    *(
                        mailstore.read_message(record, 0, message.header_size)
                        if header_only
                        else mailstore.read_message(record)
                        for (_, record), message in zip(present, parsed, strict=True)
                    )
                )
            )
        for (index, record), message, raw in zip(present, parsed, raws, strict=True):
            fetched = FetchedMessage(
                uid=record.uid,
                flags=cached_flag_names(record.flags, record.keywords),
                internal_date=record.internal_date,
                parsed=message,
                modseq=record.modseq,
                email_id=email_id(record),
                thread_id=thread_id(record),
                save_date=record.save_date,
                message_global=session.rev2,
            )
            asked = with_flags if record.uid in seen_now else tuple(attributes)
            items = render_fetch(asked, fetched, raw)
            if FetchItem.FLAGS in asked and record.modseq > view.modseqs[index]:
                view.update(  # the client now knows these flags
                    index, MessageMeta(record.uid, record.flags, record.keywords, record.modseq)
                )
            await session.send(FetchData(index + 1, items))
    return gone


async def _vanished_earlier(
    session: ImapSession, view: MailboxView, uid_set: SequenceSet, modseq: int
) -> None:
    """UID FETCH ... (CHANGEDSINCE n VANISHED): ``* VANISHED (EARLIER)`` first (RFC 7162
    §3.2.6)."""
    if uid_set.saved:
        return
    changes = await session.mailstore.changes_since(view.mailbox_id, modseq)
    largest = max(view.uid_next - 1, view.last_uid)
    vanished = tuple(
        uid
        for uid in changes.vanished
        if uid_set.contains(uid, largest) and (view.index_of(uid) is None or uid in view.expunged)
    )
    if vanished:
        await session.send(VanishedData(vanished, earlier=True))


async def _mark_seen(
    session: ImapSession,
    state: Selected,
    indexes: Sequence[int],
    attributes: Sequence[FetchAttribute],
) -> set[int]:
    """RFC 9051 §6.4.5: fetching a body (not .PEEK) sets \\Seen, except in EXAMINE; the
    FETCH response then includes FLAGS. Returns the UIDs that changed."""
    view = state.view
    if view.read_only or not any(sets_seen(attribute) for attribute in attributes):
        return set()
    unseen = [view.uids[index] for index in indexes if not view.has_flag(index, Flag.SEEN)]
    if not unseen:
        return set()
    result = await session.mailstore.store_flags(
        state.principal.account_id, view.mailbox_id, unseen, "add", ("\\Seen",)
    )
    return {meta.uid for meta in result.changed}


# -- STORE ----------------------------------------------------------------------------


async def store(session: ImapSession, state: Selected, command: Store) -> Tagged:
    """RFC 9051 §6.4.6; UNCHANGEDSINCE and MODIFIED (RFC 7162 §3.1.3)."""
    view = state.view
    if view.read_only:
        raise No("Mailbox is read-only")
    await session.report_updates(expunges=command.uid)  # current flags for the answer
    indexes = target_indexes(view, command.sequence_set, command.uid)
    if command.unchanged_since is not None:
        session.enable_condstore()
    live = [index for index in indexes if view.is_live(index)]
    try:
        flags = settable_flags(command.flags)
    except ValueError as error:
        raise Bad(f"Invalid system flag {error}") from None
    changed: dict[int, MessageMeta] = {}
    modified: set[int] = set()
    if live:
        result = await session.mailstore.store_flags(
            state.principal.account_id,
            view.mailbox_id,
            [view.uids[index] for index in live],
            STORE_MODES[command.action],
            flags,
            command.unchanged_since,
        )
        changed = {meta.uid: meta for meta in result.changed}
        modified = set(result.modified)
        if result.modseq is not None:
            view.dirty = True  # new keywords make a new FLAGS response (RFC 9051 §7.3.5)
    condstore = session.condstore
    for index in live:
        uid = view.uids[index]
        if uid in modified:
            continue
        meta = changed.get(uid)
        if meta is not None:
            view.update(index, meta)
        items: list[tuple[str, Value]] = []
        if not command.silent:
            items.append(("FLAGS", flags_value(view.flag_names(index))))
        elif meta is None or not condstore:
            continue
        if command.uid or session.qresync:  # RFC 7162 §3.2.4: UID in every FETCH
            items.append(("UID", uid))
        if condstore:
            # RFC 7162 §3.1.3: the new MODSEQ is sent even for .SILENT.
            items.append(("MODSEQ", (view.modseqs[index],)))
        await session.send(FetchData(index + 1, tuple(items)))
    if modified:
        numbers = sorted(modified) if command.uid else _numbers(view, sorted(modified), False)
        return ok(command.tag, "Conditional STORE failed for some", modified_code(numbers))
    if len(live) < len(indexes) and not command.uid:
        return ok(command.tag, "Some messages were expunged", EXPUNGEISSUED)
    return ok(command.tag, "STORE completed")


# -- COPY, MOVE ----------------------------------------------------------------------------


async def _destination(session: ImapSession, state: Selected, name: str) -> int:
    try:
        mailbox = await session.mailstore.get_mailbox(state.principal.account_id, name)
    except NotFound:
        raise No("Mailbox does not exist", TRYCREATE) from None  # RFC 9051 §6.4.7
    return mailbox.id


async def copy(session: ImapSession, state: Selected, command: Copy) -> Tagged:
    """RFC 9051 §6.4.7 with COPYUID (RFC 4315 §3)."""
    view = state.view
    indexes = target_indexes(view, command.sequence_set, command.uid)
    destination = await _destination(session, state, command.mailbox)
    uids = [view.uids[index] for index in indexes if view.is_live(index)]
    if not uids:
        return ok(command.tag, "COPY completed (nothing to copy)")
    result = await session.mailstore.copy(
        state.principal.account_id, view.mailbox_id, uids, destination
    )
    if not result.source_uids:
        return ok(command.tag, "COPY completed (nothing to copy)")
    if destination == view.mailbox_id:
        view.dirty = True  # new messages here: EXISTS before the OK
    code = copy_uid_code(result.uidvalidity, result.source_uids, result.destination_uids)
    return ok(command.tag, "COPY completed", code)


async def move(session: ImapSession, state: Selected, command: Move) -> Tagged:
    """RFC 6851 §3.3: ``* OK [COPYUID ...]`` first, then the EXPUNGE (or VANISHED) responses
    (from the session's update report), then the tagged OK."""
    view = state.view
    if view.read_only:
        raise No("Mailbox is read-only")
    indexes = target_indexes(view, command.sequence_set, command.uid)
    destination = await _destination(session, state, command.mailbox)
    uids = [view.uids[index] for index in indexes if view.is_live(index)]
    if uids:
        result = await session.mailstore.move(
            state.principal.account_id, view.mailbox_id, uids, destination
        )
        if result.source_uids:
            code = copy_uid_code(result.uidvalidity, result.source_uids, result.destination_uids)
            await session.send(Untagged("OK", "Moved", code))
            view.dirty = True  # the report before the OK announces the expunges
    return ok(command.tag, "MOVE completed")
