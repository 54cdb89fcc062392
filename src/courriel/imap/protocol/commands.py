"""Typed IMAP commands: one frozen dataclass per command, as the parser returns them.

Owns the values of RFC 9051 §6 (IMAP4rev2) and RFC 3501 §6 (IMAP4rev1) commands and their
extensions, grouped as the RFC groups them: any state (§6.1), not authenticated (§6.2),
authenticated (§6.3), selected (§6.4). Every command carries its ``tag``; commands with a
UID form (RFC 9051 §6.4.9) carry ``uid``. Mailbox names are text: decoded from modified
UTF-7 or UTF-8 by the parser, ``INBOX`` in any case spelled ``"INBOX"`` (RFC 9051 §5.1).

Must not: execute anything or know session state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal, TypeAlias

from courriel.imap.protocol.fetchitems import FetchAttribute
from courriel.imap.protocol.searchkeys import SearchKey
from courriel.imap.protocol.sequenceset import SequenceSet

# -- any state (RFC 9051 §6.1) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Capability:
    name: ClassVar[str] = "CAPABILITY"  # RFC 9051 §6.1.1
    tag: str


@dataclass(frozen=True, slots=True)
class Noop:
    name: ClassVar[str] = "NOOP"  # RFC 9051 §6.1.2
    tag: str


@dataclass(frozen=True, slots=True)
class Logout:
    name: ClassVar[str] = "LOGOUT"  # RFC 9051 §6.1.3
    tag: str


@dataclass(frozen=True, slots=True)
class Id:
    """``ID NIL`` (``parameters`` None) or ``ID ("name" "value" ...)`` (RFC 2971 §3.1)."""

    name: ClassVar[str] = "ID"
    tag: str
    parameters: tuple[tuple[str, str | None], ...] | None


@dataclass(frozen=True, slots=True)
class Compress:
    """COMPRESS DEFLATE (RFC 4978 §3); ``mechanism`` upper-cased."""

    name: ClassVar[str] = "COMPRESS"
    tag: str
    mechanism: str


# -- not authenticated (RFC 9051 §6.2) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartTls:
    name: ClassVar[str] = "STARTTLS"  # RFC 9051 §6.2.1
    tag: str


@dataclass(frozen=True, slots=True)
class Authenticate:
    """AUTHENTICATE mechanism [initial-response] (RFC 9051 §6.2.2, SASL-IR RFC 4959 §3).

    ``initial_response`` is decoded from base64; ``=`` gives ``b""``; None means absent.
    """

    name: ClassVar[str] = "AUTHENTICATE"
    tag: str
    mechanism: str
    initial_response: bytes | None = None


@dataclass(frozen=True, slots=True)
class Login:
    name: ClassVar[str] = "LOGIN"  # RFC 9051 §6.2.3
    tag: str
    username: str
    password: str


# -- authenticated (RFC 9051 §6.3) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Enable:
    """ENABLE capability... (RFC 5161 §3.1); names upper-cased."""

    name: ClassVar[str] = "ENABLE"
    tag: str
    capabilities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QresyncParameters:
    """SELECT (QRESYNC (uidvalidity modseq [known-uids [(seqs uids)]])) (RFC 7162 §3.2.5)."""

    uid_validity: int
    modseq: int
    known_uids: SequenceSet | None = None
    known_sequence_set: SequenceSet | None = None
    known_uid_set: SequenceSet | None = None


@dataclass(frozen=True, slots=True)
class Select:
    """SELECT, or EXAMINE when ``read_only`` (RFC 9051 §6.3.2, §6.3.3), with the CONDSTORE
    (RFC 7162 §3.1.8) and QRESYNC (RFC 7162 §3.2.5) parameters."""

    name: ClassVar[str] = "SELECT"
    tag: str
    mailbox: str
    read_only: bool = False
    condstore: bool = False
    qresync: QresyncParameters | None = None


@dataclass(frozen=True, slots=True)
class Create:
    """CREATE mailbox [(USE (\\Sent ...))] (RFC 9051 §6.3.4, RFC 6154 §3)."""

    name: ClassVar[str] = "CREATE"
    tag: str
    mailbox: str
    special_use: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delete:
    name: ClassVar[str] = "DELETE"  # RFC 9051 §6.3.5
    tag: str
    mailbox: str


@dataclass(frozen=True, slots=True)
class Rename:
    name: ClassVar[str] = "RENAME"  # RFC 9051 §6.3.6
    tag: str
    mailbox: str
    new_name: str


@dataclass(frozen=True, slots=True)
class Subscribe:
    name: ClassVar[str] = "SUBSCRIBE"  # RFC 9051 §6.3.7
    tag: str
    mailbox: str


@dataclass(frozen=True, slots=True)
class Unsubscribe:
    name: ClassVar[str] = "UNSUBSCRIBE"  # RFC 9051 §6.3.8
    tag: str
    mailbox: str


@dataclass(frozen=True, slots=True)
class List:
    """LIST with LIST-EXTENDED (RFC 9051 §6.3.9, RFC 5258 §3).

    ``selection``: SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE (RFC 6154 §5.3).
    ``returns``: SUBSCRIBED, CHILDREN, SPECIAL-USE; ``status_items`` for RETURN (STATUS
    (...)) (RFC 5819 §2), None when not asked. ``extended`` is True when the client used
    selection options, return options or several patterns (RFC 5258 §3: the server then
    sends extended data such as CHILDINFO).
    """

    name: ClassVar[str] = "LIST"
    tag: str
    reference: str
    patterns: tuple[str, ...]
    selection: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    status_items: tuple[str, ...] | None = None
    extended: bool = False


@dataclass(frozen=True, slots=True)
class Lsub:
    name: ClassVar[str] = "LSUB"  # RFC 3501 §6.3.9 (IMAP4rev1 only)
    tag: str
    reference: str
    pattern: str


@dataclass(frozen=True, slots=True)
class Namespace:
    name: ClassVar[str] = "NAMESPACE"  # RFC 9051 §6.3.10, RFC 2342
    tag: str


@dataclass(frozen=True, slots=True)
class Status:
    """STATUS mailbox (items) (RFC 9051 §6.3.11); item names upper-cased."""

    name: ClassVar[str] = "STATUS"
    tag: str
    mailbox: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AppendMessage:
    """One message of APPEND (RFC 9051 §6.3.12; several with MULTIAPPEND, RFC 3502 §6.3.11).

    ``binary`` when sent as literal8 (RFC 3516 §4.4); ``utf8`` when wrapped in
    ``UTF8 (...)`` (RFC 6855 §4).
    """

    data: bytes
    flags: tuple[str, ...] = ()
    internal_date: datetime | None = None
    binary: bool = False
    utf8: bool = False


@dataclass(frozen=True, slots=True)
class Append:
    name: ClassVar[str] = "APPEND"
    tag: str
    mailbox: str
    messages: tuple[AppendMessage, ...]


@dataclass(frozen=True, slots=True)
class Idle:
    name: ClassVar[str] = "IDLE"  # RFC 9051 §6.3.13, RFC 2177
    tag: str


@dataclass(frozen=True, slots=True)
class GetQuota:
    name: ClassVar[str] = "GETQUOTA"  # RFC 9208 §4.2
    tag: str
    root: str


@dataclass(frozen=True, slots=True)
class GetQuotaRoot:
    name: ClassVar[str] = "GETQUOTAROOT"  # RFC 9208 §4.3
    tag: str
    mailbox: str


@dataclass(frozen=True, slots=True)
class SetQuota:
    """SETQUOTA root (resource limit ...) (RFC 9208 §4.1); resource names upper-cased."""

    name: ClassVar[str] = "SETQUOTA"
    tag: str
    root: str
    limits: tuple[tuple[str, int], ...]


# -- selected (RFC 9051 §6.4) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Check:
    name: ClassVar[str] = "CHECK"  # RFC 3501 §6.4.1 (IMAP4rev1 only)
    tag: str


@dataclass(frozen=True, slots=True)
class Close:
    name: ClassVar[str] = "CLOSE"  # RFC 9051 §6.4.1
    tag: str


@dataclass(frozen=True, slots=True)
class Unselect:
    name: ClassVar[str] = "UNSELECT"  # RFC 9051 §6.4.2, RFC 3691
    tag: str


@dataclass(frozen=True, slots=True)
class Expunge:
    """EXPUNGE, or UID EXPUNGE uid-set when ``uids`` is given (RFC 9051 §6.4.3, RFC 4315
    §2.1)."""

    name: ClassVar[str] = "EXPUNGE"
    tag: str
    uids: SequenceSet | None = None


SearchReturn = Literal["MIN", "MAX", "ALL", "COUNT", "SAVE"]


@dataclass(frozen=True, slots=True)
class Search:
    """SEARCH / UID SEARCH (RFC 9051 §6.4.4).

    ``returns`` is None without RETURN (IMAP4rev1 ``* SEARCH`` answer), else the RETURN
    options (RFC 4731 §3.1, RFC 5182 §2.1 SAVE); ``RETURN ()`` is given as ``("ALL",)``
    (RFC 4731 §3.1). ``charset`` is the CHARSET argument, upper-cased, or None.
    """

    name: ClassVar[str] = "SEARCH"
    tag: str
    criteria: SearchKey
    uid: bool = False
    charset: str | None = None
    returns: tuple[SearchReturn, ...] | None = None


@dataclass(frozen=True, slots=True)
class SortCriterion:
    """One sort key (RFC 5256 §3, DISPLAYFROM/DISPLAYTO RFC 5957 §3)."""

    key: str
    reverse: bool = False


@dataclass(frozen=True, slots=True)
class Sort:
    name: ClassVar[str] = "SORT"  # RFC 5256 §3
    tag: str
    criteria: tuple[SortCriterion, ...]
    charset: str
    search: SearchKey
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Thread:
    """THREAD algorithm charset keys (RFC 5256 §3); ``algorithm`` upper-cased."""

    name: ClassVar[str] = "THREAD"
    tag: str
    algorithm: str
    charset: str
    search: SearchKey
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Fetch:
    """FETCH / UID FETCH (RFC 9051 §6.4.5) with the macros expanded.

    ``changed_since`` is the CHANGEDSINCE modifier (RFC 7162 §3.1.4.1); ``vanished`` the
    VANISHED modifier of UID FETCH (RFC 7162 §3.2.6). When the client asked for UID
    implicitly (UID FETCH), the attributes are as given: the session adds UID.
    """

    name: ClassVar[str] = "FETCH"
    tag: str
    sequence_set: SequenceSet
    attributes: tuple[FetchAttribute, ...]
    uid: bool = False
    changed_since: int | None = None
    vanished: bool = False


class StoreAction(enum.Enum):
    """FLAGS (replace), +FLAGS (add), -FLAGS (remove) (RFC 9051 §6.4.6)."""

    REPLACE = ""
    ADD = "+"
    REMOVE = "-"


@dataclass(frozen=True, slots=True)
class Store:
    """STORE / UID STORE (RFC 9051 §6.4.6), UNCHANGEDSINCE (RFC 7162 §3.1.3)."""

    name: ClassVar[str] = "STORE"
    tag: str
    sequence_set: SequenceSet
    action: StoreAction
    flags: tuple[str, ...]
    silent: bool = False
    uid: bool = False
    unchanged_since: int | None = None


@dataclass(frozen=True, slots=True)
class Copy:
    name: ClassVar[str] = "COPY"  # RFC 9051 §6.4.7
    tag: str
    sequence_set: SequenceSet
    mailbox: str
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Move:
    name: ClassVar[str] = "MOVE"  # RFC 9051 §6.4.8, RFC 6851
    tag: str
    sequence_set: SequenceSet
    mailbox: str
    uid: bool = False


Command: TypeAlias = (
    Capability
    | Noop
    | Logout
    | Id
    | Compress
    | StartTls
    | Authenticate
    | Login
    | Enable
    | Select
    | Create
    | Delete
    | Rename
    | Subscribe
    | Unsubscribe
    | List
    | Lsub
    | Namespace
    | Status
    | Append
    | Idle
    | GetQuota
    | GetQuotaRoot
    | SetQuota
    | Check
    | Close
    | Unselect
    | Expunge
    | Search
    | Sort
    | Thread
    | Fetch
    | Store
    | Copy
    | Move
)
