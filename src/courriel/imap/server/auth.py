"""Commands of the authenticated state (RFC 9051 §6.3), also valid while a mailbox is
selected: ENABLE (RFC 5161), SELECT/EXAMINE with CONDSTORE and QRESYNC (RFC 7162), CREATE
with USE (RFC 6154), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (LIST-EXTENDED RFC 5258,
LIST-STATUS RFC 5819, SPECIAL-USE RFC 6154), LSUB (RFC 3501), NAMESPACE (RFC 2342), STATUS
(SIZE RFC 8438, HIGHESTMODSEQ RFC 7162, APPENDLIMIT RFC 7889, MAILBOXID RFC 8474), APPEND
with MULTIAPPEND (RFC 3502) and APPENDUID (RFC 4315), IDLE (RFC 2177) and the QUOTA
commands (RFC 9208).

Everything goes through ``MailStore``; storage errors are left to the session's one table
(``errors.storage_error_response``) except where the RFC names another code (TRYCREATE).

Must not: read the socket (IDLE is an action the session carries out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from courriel.imap.protocol.codes import (
    CLOSED,
    NOPERM,
    READ_ONLY,
    READ_WRITE,
    TRYCREATE,
    USEATTR,
    append_uid_code,
    highest_modseq_code,
    mailbox_id_code,
    permanent_flags_code,
    uid_next_code,
    uid_validity_code,
    unseen_code,
)
from courriel.imap.protocol.commands import (
    Append,
    Create,
    Delete,
    Enable,
    GetQuota,
    GetQuotaRoot,
    Idle,
    List,
    Lsub,
    Namespace,
    Rename,
    Select,
    SetQuota,
    Status,
    Subscribe,
    Unsubscribe,
)
from courriel.imap.protocol.responses import (
    EnabledData,
    ExistsData,
    FlagsData,
    ListData,
    NamespaceData,
    QuotaData,
    QuotaRootData,
    RecentData,
    Response,
    StatusData,
    Tagged,
    Untagged,
    VanishedData,
    bad,
    no,
    ok,
)
from courriel.imap.server import actions
from courriel.imap.server.errors import Bad, No
from courriel.imap.server.listing import ListRequest, list_names, lsub_names
from courriel.imap.server.state import Authenticated, Selected
from courriel.imap.server.view import MailboxView, settable_flags
from courriel.mailstore.defaults import SPECIAL_USES
from courriel.storage.errors import NotFound
from courriel.storage.records import Flag, MailboxRecord

if TYPE_CHECKING:
    from courriel.imap.server.session import ImapSession

LoggedIn = Authenticated | Selected

#: What ENABLE can turn on (RFC 5161 §3.1; RFC 9051 §6.3.1; RFC 7162 §3.1, §3.2; RFC 6855 §3).
ENABLEABLE = frozenset({"CONDSTORE", "QRESYNC", "UTF8=ACCEPT", "IMAP4REV2"})


def mailbox_id(mailbox: MailboxRecord) -> str:
    """The OBJECTID of a mailbox (RFC 8474 §4): ids are never reused, RENAME keeps them."""
    return f"F{mailbox.id}"


def account_of(state: LoggedIn) -> int:
    return state.principal.account_id


# -- ENABLE -----------------------------------------------------------------------------------


async def enable(session: ImapSession, state: Authenticated, command: Enable) -> Tagged:
    """RFC 5161 §3.1: list what is newly enabled; unknown names are ignored."""
    del state
    newly: list[str] = []
    for name in command.capabilities:
        if name in ENABLEABLE and name not in session.enabled:
            session.enabled.add(name)
            newly.append("IMAP4rev2" if name == "IMAP4REV2" else name)
    await session.send(EnabledData(tuple(newly)))
    return ok(command.tag, "ENABLE completed")


# -- SELECT / EXAMINE ---------------------------------------------------------------------------


async def select(session: ImapSession, state: LoggedIn, command: Select) -> Tagged:
    """RFC 9051 §6.3.2, §6.3.3; CONDSTORE RFC 7162 §3.1.8; QRESYNC RFC 7162 §3.2.5."""
    verb = "EXAMINE" if command.read_only else "SELECT"
    if command.qresync is not None and not session.qresync:
        return bad(command.tag, "Enable QRESYNC first")  # RFC 7162 §3.2.5
    if isinstance(state, Selected):
        # RFC 9051 §6.3.2: the current mailbox is closed first, even if this SELECT fails;
        # RFC 7162 §3.2.11 / RFC 9051 §7.1: say so with [CLOSED].
        session.state = Authenticated(state.principal)
        await session.send(Untagged("OK", "Previous mailbox is now closed", CLOSED))
    if command.condstore:
        session.enable_condstore()  # RFC 7162 §3.1.8
    mailbox = await session.mailstore.get_mailbox(account_of(state), command.mailbox)
    record, messages = await session.mailstore.snapshot(mailbox.id)
    view = MailboxView(record, messages, read_only=command.read_only)
    responses: list[Response] = [
        FlagsData(view.mailbox_flags()),  # RFC 9051 §7.3.5
        ExistsData(len(view)),  # RFC 9051 §7.4.1
    ]
    if not session.rev2:
        responses.append(RecentData(0))  # RFC 3501 §7.3.2: courriel keeps no \Recent
        first_unseen = next(
            (index + 1 for index in range(len(view)) if not view.has_flag(index, Flag.SEEN)),
            None,
        )
        if first_unseen is not None:
            responses.append(Untagged("OK", "First unseen", unseen_code(first_unseen)))
    responses += [
        Untagged("OK", "UIDs valid", uid_validity_code(view.uid_validity)),
        Untagged("OK", "Predicted next UID", uid_next_code(view.uid_next)),
        Untagged(
            "OK",
            "Read-only mailbox" if view.read_only else "Flags permitted",
            permanent_flags_code(view.permanent_flags()),
        ),
    ]
    if session.condstore:
        responses.append(Untagged("OK", "Highest", highest_modseq_code(view.modseq)))
    if session.rev2:  # RFC 9051 §6.3.2: the LIST response with the mailbox's name
        responses.append(ListData((), session.settings.separator, view.name))
    await session.send(*responses)
    if command.qresync is not None and command.qresync.uid_validity == view.uid_validity:
        await _quick_resync(session, view, command)
    session.state = Selected(state.principal, view)
    code = READ_ONLY if view.read_only else READ_WRITE
    return ok(command.tag, f"{verb} completed", code)


async def _quick_resync(session: ImapSession, view: MailboxView, command: Select) -> None:
    """RFC 7162 §3.2.5.2: VANISHED (EARLIER) for what was expunged since the client's
    MODSEQ, then FETCH (UID FLAGS MODSEQ) for what changed."""
    parameters = command.qresync
    assert parameters is not None
    changes = await session.mailstore.changes_since(view.mailbox_id, parameters.modseq)
    known = parameters.known_uids
    largest = max(view.uid_next - 1, 0)
    if changes.history_complete:
        vanished = [uid for uid in changes.vanished if view.index_of(uid) is None]
    else:
        # Tombstones were purged: every known UID that is not here any more (§3.2.5.2).
        ranges = known.resolve(largest) if known is not None else [(1, largest)]
        vanished = [
            uid
            for low, high in ranges
            for uid in range(low, min(high, largest) + 1)
            if view.index_of(uid) is None
        ]
    if known is not None:
        vanished = [uid for uid in vanished if known.contains(uid, largest)]
    if vanished:
        await session.send(VanishedData(tuple(vanished), earlier=True))
    for meta in changes.changed:
        index = view.index_of(meta.uid)
        if index is None or (known is not None and not known.contains(meta.uid, largest)):
            continue
        if meta.modseq > view.modseqs[index]:
            view.update(index, meta)
        await session.send(view.flags_fetch(index, condstore=True))


# -- mailbox management ---------------------------------------------------------------------------


async def create(session: ImapSession, state: LoggedIn, command: Create) -> Tagged:
    """RFC 9051 §6.3.4; USE (RFC 6154 §3) with one special-use attribute; MAILBOXID
    (RFC 8474 §4.1)."""
    special_use: str | None = None
    if command.special_use:
        if len(command.special_use) > 1 or command.special_use[0] not in SPECIAL_USES:
            return no(command.tag, "Unsupported special-use attribute", USEATTR)
        special_use = command.special_use[0]
    mailbox = await session.mailstore.create_mailbox(
        account_of(state), command.mailbox, special_use
    )
    return ok(command.tag, "CREATE completed", mailbox_id_code(mailbox_id(mailbox)))


async def delete(session: ImapSession, state: LoggedIn, command: Delete) -> Tagged:
    """RFC 9051 §6.3.5: mailboxes below stay; INBOX cannot go (NO [CANNOT])."""
    await session.mailstore.delete_mailbox(account_of(state), command.mailbox)
    return ok(command.tag, "DELETE completed")


async def rename(session: ImapSession, state: LoggedIn, command: Rename) -> Tagged:
    """RFC 9051 §6.3.6: children move along; renaming INBOX moves its messages."""
    await session.mailstore.rename_mailbox(account_of(state), command.mailbox, command.new_name)
    return ok(command.tag, "RENAME completed")


async def subscribe(session: ImapSession, state: LoggedIn, command: Subscribe) -> Tagged:
    """RFC 9051 §6.3.7: a name that does not exist may be subscribed."""
    await session.mailstore.subscribe(account_of(state), command.mailbox, True)
    return ok(command.tag, "SUBSCRIBE completed")


async def unsubscribe(session: ImapSession, state: LoggedIn, command: Unsubscribe) -> Tagged:
    """RFC 9051 §6.3.8; unsubscribing a name that is not subscribed is not an error."""
    await session.mailstore.subscribe(account_of(state), command.mailbox, False)
    return ok(command.tag, "UNSUBSCRIBE completed")


# -- LIST, LSUB, NAMESPACE, STATUS --------------------------------------------------------------


async def list_(session: ImapSession, state: LoggedIn, command: List) -> Tagged:
    """RFC 9051 §6.3.9, LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819)."""
    separator = session.settings.separator
    if not command.extended and command.patterns == ("",):
        # RFC 9051 §6.3.9: the hierarchy delimiter and the root name.
        await session.send(ListData(("\\Noselect",), separator, ""))
        return ok(command.tag, "LIST completed")
    account = account_of(state)
    mailboxes = await session.mailstore.list_mailboxes(account)
    subscriptions = await session.mailstore.list_subscriptions(account)
    request = ListRequest(
        command.reference,
        command.patterns,
        command.selection,
        command.returns,
        extended=command.extended or session.rev2,
    )
    for listed in list_names(request, mailboxes, subscriptions, separator):
        await session.send(
            ListData(listed.attributes, separator, listed.name, child_info=listed.child_info)
        )
        if command.status_items is not None and listed.mailbox is not None:
            # RFC 5819 §2: STATUS right after the LIST line of each selectable mailbox.
            await session.send(status_data(session, listed.mailbox, command.status_items))
    return ok(command.tag, "LIST completed")


async def lsub(session: ImapSession, state: LoggedIn, command: Lsub) -> Tagged:
    """RFC 3501 §6.3.9 (IMAP4rev1; RFC 9051 keeps it as LIST (SUBSCRIBED))."""
    account = account_of(state)
    mailboxes = await session.mailstore.list_mailboxes(account)
    subscriptions = await session.mailstore.list_subscriptions(account)
    separator = session.settings.separator
    for listed in lsub_names(
        command.reference, command.pattern, mailboxes, subscriptions, separator
    ):
        await session.send(ListData(listed.attributes, separator, listed.name, lsub=True))
    return ok(command.tag, "LSUB completed")


async def namespace(session: ImapSession, state: LoggedIn, command: Namespace) -> Tagged:
    """RFC 2342 §5: one personal namespace, no other users', no shared."""
    del state
    await session.send(NamespaceData((("", session.settings.separator),), None, None))
    return ok(command.tag, "NAMESPACE completed")


def status_data(session: ImapSession, mailbox: MailboxRecord, items: Sequence[str]) -> StatusData:
    """``* STATUS name (...)`` (RFC 9051 §7.3.2) from the mailbox row's counters."""
    values: dict[str, int | str | None] = {
        "MESSAGES": mailbox.message_count,
        "UIDNEXT": mailbox.uid_next,
        "UIDVALIDITY": mailbox.uidvalidity,
        "UNSEEN": mailbox.unseen_count,
        "DELETED": mailbox.deleted_count,  # RFC 9051 §6.3.11
        "SIZE": mailbox.total_bytes,  # RFC 8438 §2
        "RECENT": 0,  # RFC 3501: courriel keeps no \Recent
        "HIGHESTMODSEQ": mailbox.highest_modseq,  # RFC 7162 §3.1.6
        "APPENDLIMIT": session.settings.max_message_size,  # RFC 7889 §3.2
        "MAILBOXID": mailbox_id(mailbox),  # RFC 8474 §4.2
    }
    if "HIGHESTMODSEQ" in items:
        session.enable_condstore()  # RFC 7162 §3.1: a CONDSTORE-enabling command
    return StatusData(mailbox.name, tuple((item, values[item]) for item in items))


async def status(session: ImapSession, state: LoggedIn, command: Status) -> Tagged:
    """RFC 9051 §6.3.11."""
    mailbox = await session.mailstore.get_mailbox(account_of(state), command.mailbox)
    await session.send(status_data(session, mailbox, command.items))
    return ok(command.tag, "STATUS completed")


# -- APPEND ----------------------------------------------------------------------------


async def append(session: ImapSession, state: LoggedIn, command: Append) -> Tagged:
    """RFC 9051 §6.3.12, MULTIAPPEND (RFC 3502: all or nothing), APPENDUID (RFC 4315 §3)."""
    try:
        mailbox = await session.mailstore.get_mailbox(account_of(state), command.mailbox)
    except NotFound:
        raise No("Mailbox does not exist", TRYCREATE) from None  # RFC 9051 §6.3.12
    items: list[tuple[bytes, tuple[str, ...], float | None]] = []
    for message in command.messages:
        if not message.data:
            return no(command.tag, "Empty message")
        if len(message.data) > session.settings.max_message_size:
            return no(command.tag, "Message too large", None)
        try:
            flags = settable_flags(message.flags)
        except ValueError as error:
            raise Bad(f"Invalid system flag {error}") from None
        date = message.internal_date.timestamp() if message.internal_date else None
        items.append((message.data, flags, date))
    result = await session.mailstore.append(account_of(state), mailbox.id, items)
    if isinstance(state, Selected) and state.view.mailbox_id == mailbox.id:
        state.view.dirty = True  # RFC 9051 §6.3.12: EXISTS for the selected mailbox
    return ok(command.tag, "APPEND completed", append_uid_code(result.uidvalidity, result.uids))


# -- IDLE ------------------------------------------------------------------------------------------


async def idle(session: ImapSession, state: LoggedIn, command: Idle) -> actions.Idle:
    del session, state
    return actions.Idle(command.tag)


# -- QUOTA (RFC 9208) ----------------------------------------------------------------------------

#: The one quota root: the whole account (RFC 9208 §3.2).
QUOTA_ROOT = ""


async def _quota(session: ImapSession, state: LoggedIn) -> QuotaData | None:
    usage = await session.mailstore.usage(account_of(state))
    if not usage.quota_bytes:
        return None  # unlimited: no quota root (RFC 9208 §4.3)
    # RFC 9208 §5.1: STORAGE in units of 1024 octets.
    return QuotaData(
        QUOTA_ROOT, (("STORAGE", (usage.used_bytes + 1023) // 1024, usage.quota_bytes // 1024),)
    )


async def get_quota_root(session: ImapSession, state: LoggedIn, command: GetQuotaRoot) -> Tagged:
    """RFC 9208 §4.3."""
    await session.mailstore.get_mailbox(account_of(state), command.mailbox)
    quota = await _quota(session, state)
    await session.send(QuotaRootData(command.mailbox, (QUOTA_ROOT,) if quota else ()))
    if quota is not None:
        await session.send(quota)
    return ok(command.tag, "GETQUOTAROOT completed")


async def get_quota(session: ImapSession, state: LoggedIn, command: GetQuota) -> Tagged:
    """RFC 9208 §4.2."""
    quota = await _quota(session, state)
    if command.root != QUOTA_ROOT or quota is None:
        raise No("No such quota root", None)
    await session.send(quota)
    return ok(command.tag, "GETQUOTA completed")


async def set_quota(session: ImapSession, state: LoggedIn, command: SetQuota) -> Tagged:
    """RFC 9208 §4.1: quotas are set by the administrator, not by the user."""
    del session, state
    return no(command.tag, "Quotas are set by the administrator", NOPERM)
