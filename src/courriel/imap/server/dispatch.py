"""The command table: every IMAP command, its handler, and the states that allow it.

Reading :data:`COMMANDS` shows the whole protocol (CONVENTIONS.md item 2): RFC 9051 §6.1
(any state), §6.2 (not authenticated), §6.3 (authenticated, also valid when a mailbox is
selected), §6.4 (selected), and the extensions beside each. A command in the wrong state is
answered ``BAD`` by the session (RFC 9051 §6: "a command in an inappropriate state is a
protocol error"). :func:`may_send_expunge` is the rule of RFC 9051 §7.5.1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from courriel.imap.protocol.commands import (
    Append,
    Authenticate,
    Capability,
    Check,
    Close,
    Command,
    Compress,
    Copy,
    Create,
    Delete,
    Enable,
    Expunge,
    Fetch,
    GetQuota,
    GetQuotaRoot,
    Id,
    Idle,
    List,
    Login,
    Logout,
    Lsub,
    Move,
    Namespace,
    Noop,
    Rename,
    Search,
    Select,
    SetQuota,
    Sort,
    StartTls,
    Status,
    Store,
    Subscribe,
    Thread,
    Unselect,
    Unsubscribe,
)
from courriel.imap.protocol.responses import Tagged, Untagged
from courriel.imap.server import any as any_state
from courriel.imap.server import auth, nonauth, selected
from courriel.imap.server.actions import Action
from courriel.imap.server.state import (
    ANY_STATE,
    LOGGED_IN,
    Authenticated,
    NotAuthenticated,
    Selected,
    State,
)

if TYPE_CHECKING:
    from courriel.imap.server.session import ImapSession

Handler = Callable[["ImapSession", Any, Any], Awaitable[Tagged | Untagged | Action]]


@dataclass(frozen=True, slots=True)
class Entry:
    handler: Handler
    states: tuple[type, ...]
    """The states in which the command is allowed."""


NOT_AUTHENTICATED: tuple[type, ...] = (NotAuthenticated,)
AUTHENTICATED_ONLY: tuple[type, ...] = (Authenticated,)
SELECTED: tuple[type, ...] = (Selected,)

COMMANDS: dict[type[Command], Entry] = {
    # any state, RFC 9051 §6.1
    Capability: Entry(any_state.capability, ANY_STATE),
    Noop: Entry(any_state.noop, ANY_STATE),
    Logout: Entry(any_state.logout, ANY_STATE),
    Id: Entry(any_state.id_, ANY_STATE),  # RFC 2971
    Compress: Entry(any_state.compress, LOGGED_IN),  # RFC 4978 §3
    # not authenticated, RFC 9051 §6.2
    StartTls: Entry(nonauth.starttls, NOT_AUTHENTICATED),
    Authenticate: Entry(nonauth.authenticate, NOT_AUTHENTICATED),
    Login: Entry(nonauth.login, NOT_AUTHENTICATED),
    # authenticated, RFC 9051 §6.3
    Enable: Entry(auth.enable, AUTHENTICATED_ONLY),  # RFC 5161 §3.1
    Select: Entry(auth.select, LOGGED_IN),
    Create: Entry(auth.create, LOGGED_IN),
    Delete: Entry(auth.delete, LOGGED_IN),
    Rename: Entry(auth.rename, LOGGED_IN),
    Subscribe: Entry(auth.subscribe, LOGGED_IN),
    Unsubscribe: Entry(auth.unsubscribe, LOGGED_IN),
    List: Entry(auth.list_, LOGGED_IN),
    Lsub: Entry(auth.lsub, LOGGED_IN),
    Namespace: Entry(auth.namespace, LOGGED_IN),
    Status: Entry(auth.status, LOGGED_IN),
    Append: Entry(auth.append, LOGGED_IN),
    Idle: Entry(auth.idle, LOGGED_IN),
    GetQuota: Entry(auth.get_quota, LOGGED_IN),  # RFC 9208
    GetQuotaRoot: Entry(auth.get_quota_root, LOGGED_IN),
    SetQuota: Entry(auth.set_quota, LOGGED_IN),
    # selected, RFC 9051 §6.4
    Check: Entry(selected.check, SELECTED),
    Close: Entry(selected.close, SELECTED),
    Unselect: Entry(selected.unselect, SELECTED),  # RFC 3691
    Expunge: Entry(selected.expunge, SELECTED),
    Search: Entry(selected.search, SELECTED),
    Sort: Entry(selected.sort, SELECTED),  # RFC 5256
    Thread: Entry(selected.thread, SELECTED),  # RFC 5256
    Fetch: Entry(selected.fetch, SELECTED),
    Store: Entry(selected.store, SELECTED),
    Copy: Entry(selected.copy, SELECTED),
    Move: Entry(selected.move, SELECTED),  # RFC 6851
}


def may_send_expunge(command: Command) -> bool:
    """RFC 9051 §7.5.1: no EXPUNGE while answering FETCH, STORE or SEARCH (their UID forms
    are other commands and may carry them); SORT and THREAD answer with sequence numbers
    like SEARCH, so the same holds for them."""
    if isinstance(command, (Fetch, Store, Search, Sort, Thread)):
        return command.uid
    return True


def wrong_state_text(state: State, command: Command) -> str:
    if isinstance(state, NotAuthenticated):
        return f"{command.name} needs authentication first"
    if isinstance(command, (StartTls, Authenticate, Login)):
        return "Already authenticated"
    if isinstance(command, Enable):
        return "ENABLE is only valid before a mailbox is selected"  # RFC 5161 §3.1
    return f"{command.name} needs a selected mailbox"
