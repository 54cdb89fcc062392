"""The POP3 session's state as values, the maildrop a TRANSACTION works on, and the locks
that keep one session per maildrop (RFC 1939 §3, §8; RFC 2449 §8.1.2).

``Authorization`` (before login, maybe with a USER waiting for its PASS) → ``Transaction``
(logged in, maildrop open). RFC 1939's UPDATE state lasts only while QUIT commits the
deletions, so it is the QUIT handler's work rather than a value. A TRANSACTION-only handler
receives the ``Transaction`` and so the maildrop: "no maildrop open" cannot be written.

The maildrop is INBOX as it was at login (RFC 1939 §8: message numbers stay the same for
the whole session); mail delivered later shows in the next session. It holds each message's
sizes and where its bytes are (``MessageContent``, never a parse tree), the deletion marks,
the messages RETR read ahead, and sizes computed on demand; nothing is written to storage
before QUIT.

Must not: read the socket, or write to storage (handlers do, through ``MailStore``).
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import ClassVar, cast

from courriel.directory.auth import Principal
from courriel.pop3.errors import Pop3Error
from courriel.pop3.protocol import Pop3State
from courriel.storage.records import MessageContent


@dataclass(frozen=True, slots=True)
class Authorization:
    """RFC 1939 §4: before login. ``user`` is the name of a USER waiting for its PASS."""

    protocol_state: ClassVar[Pop3State] = Pop3State.AUTHORIZATION
    user: str | None = None


@dataclass(slots=True)
class MaildropMessage:
    """One message of the maildrop: its sizes and where its bytes are, and its size on the
    wire (recorded at ingest; for content stored before that, computed when first asked)."""

    content: MessageContent
    wire_size: int | None

    @property
    def uid(self) -> int:
        return self.content.uid


@dataclass(slots=True)
class ReadAhead:
    """Messages read before a command asked for them, by message number (RETR and TOP
    read ahead), as stored; each is taken out when it is sent, and prepared then."""

    messages: dict[int, bytes] = field(default_factory=dict)
    refilling: Awaitable[None] | None = None
    """The read of the next messages under way while these are sent (a pipelining
    client), which a command finding nothing here waits for first."""

    def __len__(self) -> int:
        return len(self.messages)

    def __contains__(self, number: int) -> bool:
        return number in self.messages

    def keep(self, number: int, data: bytes) -> None:
        self.messages[number] = data

    def take(self, number: int) -> bytes | None:
        """Message ``number``, or None when it was not read ahead."""
        return self.messages.pop(number, None)

    def clear(self) -> None:
        """Drop everything held: a new read takes its place."""
        self.messages.clear()


@dataclass(slots=True)
class Maildrop:
    """INBOX at login: messages in UID order, numbered from 1 (RFC 1939 §3), with the
    session's deletion marks (RFC 1939 §5 DELE, RSET)."""

    account_id: int
    mailbox_id: int
    uidvalidity: int
    messages: list[MaildropMessage]
    deleted: set[int] = field(default_factory=set)
    """Message numbers marked by DELE, removed at QUIT."""
    retrieved: set[int] = field(default_factory=set)
    """Message numbers sent whole by RETR (flagged \\Seen at QUIT when configured)."""
    read_ahead: ReadAhead = field(default_factory=ReadAhead)
    """Messages RETR and TOP read before they were asked for; the handlers bound it."""
    _sizes: tuple[list[int], int] | None = field(default=None, init=False, repr=False)

    def message(self, number: int) -> MaildropMessage:
        """The message ``number``, or the ``-ERR`` RFC 1939 §5 asks for: numbers out of
        range and messages marked as deleted may not be used."""
        if not 1 <= number <= len(self.messages):
            count = len(self.messages)
            only = f"{count} message" if count == 1 else f"{count} messages"
            raise Pop3Error(f"no such message, only {only} in maildrop")
        if number in self.deleted:
            raise Pop3Error(f"message {number} already deleted")
        return self.messages[number - 1]

    def unique_id(self, message: MaildropMessage) -> str:
        """RFC 1939 §7 UIDL: the same for the life of the message. INBOX's UIDVALIDITY and
        the UID do not change with flags, sessions or restarts; only a move out of INBOX
        (a new message elsewhere) ends them. At most 21 characters, all digits and ".".
        """
        return f"{self.uidvalidity}.{message.uid}"

    def unique_ids(self) -> list[str]:
        """``unique_id`` of every message, in order (deleted ones too), in one pass."""
        uidvalidity = self.uidvalidity
        return [f"{uidvalidity}.{message.content.uid}" for message in self.messages]

    def wire_sizes(self) -> tuple[list[int], int] | None:
        """The ``wire_size`` of every message, in order (deleted ones too), and their sum;
        None while one is unknown. Kept once all are known: a size, once known, stays."""
        if self._sizes is None:
            sizes = [message.wire_size for message in self.messages]
            if None in sizes:
                return None
            known = cast("list[int]", sizes)
            self._sizes = (known, sum(known))
        return self._sizes

    def marked_uids(self) -> list[int]:
        return [self.messages[number - 1].uid for number in sorted(self.deleted)]

    def retrieved_uids(self) -> list[int]:
        """UIDs of messages RETR sent and DELE did not mark."""
        return [self.messages[n - 1].uid for n in sorted(self.retrieved - self.deleted)]


@dataclass(frozen=True, slots=True)
class Transaction:
    """RFC 1939 §5: logged in as ``principal`` with ``maildrop`` open and locked."""

    protocol_state: ClassVar[Pop3State] = Pop3State.TRANSACTION
    principal: Principal
    maildrop: Maildrop


State = Authorization | Transaction


class MaildropLocks:
    """Which maildrops (accounts) have a POP3 session in TRANSACTION, so that a second
    login is refused with ``[IN-USE]`` (RFC 1939 §8 asks for an exclusive lock; RFC 2449
    §8.1.2 names the code). One set per ``MailStore``, shared by every POP3 listener of it.

    IMAP sessions on the same account are not locked out: the maildrop is a snapshot, and
    a message IMAP removes meanwhile is simply gone at QUIT.
    """

    def __init__(self) -> None:
        self._held: set[int] = set()

    def acquire(self, account_id: int) -> bool:
        """Lock the account's maildrop; False when another session holds it."""
        if account_id in self._held:
            return False
        self._held.add(account_id)
        return True

    def release(self, account_id: int) -> None:
        self._held.discard(account_id)

    def held(self, account_id: int) -> bool:
        return account_id in self._held
