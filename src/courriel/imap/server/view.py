"""The selected mailbox as one session sees it, and how store changes reach the client.

Owns the session's numbering (RFC 9051 §2.3.1.2): the UIDs of the messages the client knows,
ascending, so that message sequence number *n* is the *n*-th UID; next to each, the flags and
MODSEQ last reported to this client; the highest MODSEQ the view has caught up with; the
read-only flag (EXAMINE); the SEARCHRES saved result (RFC 5182, kept as UIDs); and the UIDs
expunged in the store but not yet announced. Those stay in the numbering as "ghosts" until an
EXPUNGE (or VANISHED, RFC 7162 §3.2.10) may be sent: never while answering FETCH, STORE or
SEARCH (RFC 9051 §7.5.1), which is the session's decision (``expunges=False``).

:meth:`MailboxView.apply` turns the store's ``Changes`` (``MailStore.changes_since``) into
the untagged responses that bring the client up to date, in an order that keeps numbers
right: FLAGS (new keywords), FETCH (flag changes, numbered before any removal), EXPUNGE or
VANISHED, then EXISTS (RFC 9051 §7.4.1, §7.5.1).

Memory: a few bytes per message (arrays, keywords only for messages that have some), since
every IDLE connection keeps its view.

Must not: do I/O or know the connection.
"""

from __future__ import annotations

import bisect
import functools
from array import array
from collections.abc import Iterable, Sequence

from courriel.imap.protocol.codes import permanent_flags_code
from courriel.imap.protocol.fetch import flags_value
from courriel.imap.protocol.responses import (
    ExistsData,
    ExpungeData,
    FetchData,
    FlagsData,
    Response,
    Untagged,
    VanishedData,
)
from courriel.imap.protocol.wire import Value
from courriel.storage.records import (
    FLAG_NAMES,
    Changes,
    Flag,
    MailboxRecord,
    MessageMeta,
    flag_names,
)

#: Flags every mailbox offers: the system flags (RFC 9051 §2.3.2) and the well-known
#: keywords the store keeps as bits (RFC 5788 registry).
BASE_FLAGS: tuple[str, ...] = tuple(FLAG_NAMES.values())


SYSTEM_FLAGS = frozenset({"\\seen", "\\answered", "\\flagged", "\\deleted", "\\draft"})


def settable_flags(flags: Iterable[str]) -> tuple[str, ...]:
    """The flags of a STORE or APPEND, without \\Recent (only the server sets it, RFC 3501
    §2.3.2); ValueError for a flag-extension this server does not define (RFC 9051 §9:
    servers must not generate them)."""
    kept: list[str] = []
    for flag in flags:
        lowered = flag.lower()
        if lowered == "\\recent":
            continue
        if flag.startswith("\\") and lowered not in SYSTEM_FLAGS:
            raise ValueError(flag)
        kept.append(flag)
    return tuple(kept)


@functools.lru_cache(maxsize=1024)
def cached_flag_names(bits: int, keywords: tuple[str, ...] = ()) -> tuple[str, ...]:
    """``flag_names`` for the few flag combinations a mailbox really has (FETCH asks for
    them once per message)."""
    return flag_names(bits, keywords)


class MailboxView:
    """One session's numbering and knowledge of the selected mailbox (see module doc)."""

    def __init__(
        self, mailbox: MailboxRecord, messages: Sequence[MessageMeta], *, read_only: bool
    ) -> None:
        self.mailbox_id = mailbox.id
        self.name = mailbox.name
        self.uid_validity = mailbox.uidvalidity
        self.uid_next = mailbox.uid_next
        self.modseq = mailbox.highest_modseq
        """The store's MODSEQ this view has caught up with (``changes_since`` starts here)."""
        self.read_only = read_only
        self.keywords_seen: tuple[str, ...] = tuple(mailbox.keywords)
        self.uids = array("I", (meta.uid for meta in messages))
        self.modseqs = array("Q", (meta.modseq for meta in messages))
        self.flags = array("I", (meta.flags for meta in messages))
        self.keywords: dict[int, tuple[str, ...]] = {
            meta.uid: meta.keywords for meta in messages if meta.keywords
        }
        self.expunged: set[int] = set()
        """UIDs gone from the store, still numbered here until announced."""
        self.saved: tuple[int, ...] = ()
        """The SEARCHRES result, ``$`` (RFC 5182 §2.1), as UIDs."""
        self.dirty = False
        """Set when the ChangeBus says this mailbox changed: the next refresh reads the store."""

    # -- numbering ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.uids)

    @property
    def last_uid(self) -> int:
        return self.uids[-1] if self.uids else 0

    def index_of(self, uid: int) -> int | None:
        """The 0-based position of ``uid`` (sequence number - 1), or None."""
        index = bisect.bisect_left(self.uids, uid)
        if index < len(self.uids) and self.uids[index] == uid:
            return index
        return None

    def is_live(self, index: int) -> bool:
        """False for a message expunged elsewhere and not announced yet."""
        return not self.expunged or self.uids[index] not in self.expunged

    def live_uids(self) -> list[int]:
        if not self.expunged:
            return list(self.uids)
        return [uid for uid in self.uids if uid not in self.expunged]

    def flag_names(self, index: int) -> tuple[str, ...]:
        return cached_flag_names(self.flags[index], self.keywords.get(self.uids[index], ()))

    def has_flag(self, index: int, flag: Flag) -> bool:
        return bool(self.flags[index] & flag)

    def mailbox_flags(self) -> tuple[str, ...]:
        """The FLAGS of the mailbox (RFC 9051 §7.3.5): system flags and keywords in use."""
        known = {name.lower() for name in BASE_FLAGS}
        extra = [keyword for keyword in self.keywords_seen if keyword.lower() not in known]
        return (*BASE_FLAGS, *extra)

    def permanent_flags(self) -> tuple[str, ...]:
        """PERMANENTFLAGS (RFC 9051 §7.1): everything, and ``\\*`` (new keywords), unless
        the mailbox is read-only."""
        return () if self.read_only else (*self.mailbox_flags(), "\\*")

    # -- updates -----------------------------------------------------------------------------

    def update(self, index: int, meta: MessageMeta) -> None:
        """Record flags and MODSEQ the client was just told about."""
        self.flags[index] = meta.flags
        self.modseqs[index] = meta.modseq
        if meta.keywords:
            self.keywords[meta.uid] = meta.keywords
        else:
            self.keywords.pop(meta.uid, None)

    def flags_fetch(self, index: int, *, condstore: bool) -> FetchData:
        """``* n FETCH (FLAGS (...) UID u [MODSEQ (m)])`` for an unsolicited flag change;
        UID is always included, as QRESYNC requires (RFC 7162 §3.2.4)."""
        items: list[tuple[str, Value]] = [
            ("FLAGS", flags_value(self.flag_names(index))),
            ("UID", self.uids[index]),
        ]
        if condstore:  # RFC 7162 §3.1.4: MODSEQ in every unsolicited flag update
            items.append(("MODSEQ", (self.modseqs[index],)))
        return FetchData(index + 1, tuple(items))

    def apply(
        self, changes: Changes, *, expunges: bool, condstore: bool, qresync: bool
    ) -> list[Response]:
        """Merge ``changes`` into the view; the untagged responses that tell the client."""
        responses: list[Response] = []
        mailbox = changes.mailbox
        new_keywords = [
            keyword
            for keyword in mailbox.keywords
            if keyword.lower() not in {seen.lower() for seen in self.keywords_seen}
        ]
        if new_keywords:  # RFC 9051 §7.3.5: FLAGS again when the set of flags changes
            self.keywords_seen = (*self.keywords_seen, *new_keywords)
            responses.append(FlagsData(self.mailbox_flags()))
            responses.append(
                Untagged("OK", "Flags permitted", permanent_flags_code(self.permanent_flags()))
            )
        for uid in changes.vanished:
            if self.index_of(uid) is not None:
                self.expunged.add(uid)
        last = self.last_uid
        added: list[MessageMeta] = []
        for meta in changes.changed:
            if meta.uid > last:
                added.append(meta)
                continue
            index = self.index_of(meta.uid)
            if index is None or meta.uid in self.expunged or meta.modseq <= self.modseqs[index]:
                continue
            self.update(index, meta)
            responses.append(self.flags_fetch(index, condstore=condstore))
        if expunges:
            responses.extend(self.announce_expunges(qresync=qresync))
        if added:
            self._append(added)
            responses.append(ExistsData(len(self.uids)))  # RFC 9051 §7.4.1
        self.modseq = max(self.modseq, mailbox.highest_modseq)
        self.uid_next = max(self.uid_next, mailbox.uid_next)
        return responses

    def announce_expunges(self, *, qresync: bool) -> list[Response]:
        """Remove the ghosts; ``* n EXPUNGE`` each (numbers shift as they go, RFC 9051
        §7.5.1), or one ``* VANISHED uids`` once QRESYNC is enabled (RFC 7162 §3.2.10)."""
        if not self.expunged:
            return []
        gone = self.expunged
        responses: list[Response]
        if qresync:
            responses = [VanishedData(tuple(sorted(gone)))]
        else:
            positions = sorted(index for uid in gone if (index := self.index_of(uid)) is not None)
            responses = [
                ExpungeData(position + 1 - shift) for shift, position in enumerate(positions)
            ]
        keep = [index for index, uid in enumerate(self.uids) if uid not in gone]
        self.uids = array("I", (self.uids[index] for index in keep))
        self.modseqs = array("Q", (self.modseqs[index] for index in keep))
        self.flags = array("I", (self.flags[index] for index in keep))
        for uid in gone:
            self.keywords.pop(uid, None)
        if self.saved:  # RFC 5182 §2.1: expunged messages leave the saved result
            self.saved = tuple(uid for uid in self.saved if uid not in gone)
        self.expunged = set()
        return responses

    def _append(self, metas: Iterable[MessageMeta]) -> None:
        for meta in metas:
            self.uids.append(meta.uid)
            self.modseqs.append(meta.modseq)
            self.flags.append(meta.flags)
            if meta.keywords:
                self.keywords[meta.uid] = meta.keywords
