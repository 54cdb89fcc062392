"""Rows exchanged through the storage ports.

Plain frozen dataclasses, engine-neutral: the SQLite backend and the PostgreSQL backend
(later) return the same values. Flags are a bit mask (``Flag``) for the system flags and the
common ``$`` keywords, plus a tuple of other keywords, as in ``research/scale-out.md`` §2.6.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


class Flag(enum.IntFlag):
    """System flags (RFC 9051 §2.3.2) and well-known keywords (RFC 9051 §2.3.2, RFC 5788)."""

    SEEN = 1
    ANSWERED = 2
    FLAGGED = 4
    DELETED = 8
    DRAFT = 16
    FORWARDED = 32
    JUNK = 64
    NOT_JUNK = 128
    MDN_SENT = 256
    PHISHING = 512


FLAG_NAMES: dict[Flag, str] = {
    Flag.SEEN: "\\Seen",
    Flag.ANSWERED: "\\Answered",
    Flag.FLAGGED: "\\Flagged",
    Flag.DELETED: "\\Deleted",
    Flag.DRAFT: "\\Draft",
    Flag.FORWARDED: "$Forwarded",
    Flag.JUNK: "$Junk",
    Flag.NOT_JUNK: "$NotJunk",
    Flag.MDN_SENT: "$MDNSent",
    Flag.PHISHING: "$Phishing",
}
_FLAG_BY_LOWER_NAME = {name.lower(): bit for bit, name in FLAG_NAMES.items()}


def split_flags(names: Iterable[str]) -> tuple[Flag, tuple[str, ...]]:
    """Split flag names into the bit mask and the remaining keywords.

    Flag and keyword names compare case-insensitively (RFC 9051 §2.3.2); a keyword keeps the
    spelling it was first given, duplicates are dropped.
    """
    bits = Flag(0)
    keywords: dict[str, str] = {}
    for name in names:
        bit = _FLAG_BY_LOWER_NAME.get(name.lower())
        if bit is not None:
            bits |= bit
        else:
            keywords.setdefault(name.lower(), name)
    return bits, tuple(sorted(keywords.values(), key=str.lower))


def flag_names(bits: int, keywords: Iterable[str] = ()) -> tuple[str, ...]:
    """The names of the flags set in ``bits`` followed by the keywords."""
    names = [name for bit, name in FLAG_NAMES.items() if bits & bit]
    names.extend(keywords)
    return tuple(names)


@dataclass(frozen=True, slots=True)
class DomainRecord:
    id: int
    name: str
    created: float


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account: one mailbox owner. ``quota_bytes`` 0 means unlimited."""

    id: int
    address: str
    domain_id: int
    display_name: str
    password_hash: str | None
    scram_keys: str | None
    disabled: bool
    admin: bool
    quota_bytes: int
    used_bytes: int
    message_count: int
    created: float


@dataclass(frozen=True, slots=True)
class AliasRecord:
    """``address`` is ``local@domain``, or ``@domain`` for a catch-all."""

    id: int
    address: str
    targets: tuple[str, ...]
    created: float


@dataclass(frozen=True, slots=True)
class DkimKeyRecord:
    """A DKIM signing key of a domain; ``dns_record`` is the TXT value to publish at
    ``selector._domainkey.domain``."""

    id: int
    domain: str
    selector: str
    algorithm: str
    private_key: str
    dns_record: str
    active: bool
    created: float


@dataclass(frozen=True, slots=True)
class MailboxRecord:
    id: int
    account_id: int
    name: str
    special_use: str | None
    uidvalidity: int
    uid_next: int
    highest_modseq: int
    message_count: int
    unseen_count: int
    deleted_count: int
    total_bytes: int
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """What SEARCH, SORT, THREAD and message lists need, computed once at ingest.

    ``sent_date`` is the Date: header as a UTC instant (SORT DATE, RFC 5256 §2.2);
    ``sent_day`` the calendar day the header names in its own zone, as days since
    1970-01-01 (SENTBEFORE/SENTON/SENTSINCE, RFC 9051 §6.4.4). Both None without a
    parsable Date:.
    """

    sent_date: float | None = None
    sent_day: int | None = None
    subject: str = ""
    base_subject: str = ""
    from_text: str = ""
    to_text: str = ""
    cc_text: str = ""
    bcc_text: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    has_attachment: bool = False
    preview: str = ""
    headers: str = ""
    """Every header field unfolded and decoded, one ``name: value`` line each, for HEADER."""


@dataclass(frozen=True, slots=True)
class IngestedMessage:
    """A message's content as prepared at ingest, before it is stored.

    ``data`` carries the bytes when the blob is small enough to live in the database
    (stored in the same transaction as the rows); otherwise it is ``None`` and the bytes
    were already written durably to the ``BlobStore`` under ``sha256``. ``wire_size`` is
    the size as sent in CRLF lines (``courriel.mail.wire_size``; POP3 LIST and STAT).
    ``forms``: protocol renderings made at ingest, opaque to the store (for IMAP:
    ``courriel.imap.protocol.forms``); empty when there are none.
    """

    sha256: str
    size: int
    data: bytes | None
    parsed: bytes
    summary: MessageSummary
    body_text: str
    wire_size: int
    forms: bytes = b""


@dataclass(frozen=True, slots=True)
class NewMessage:
    """One message to append to a mailbox."""

    content: IngestedMessage
    flags: int = 0
    keywords: tuple[str, ...] = ()
    internal_date: float = 0.0


@dataclass(frozen=True, slots=True)
class DeliveryTarget:
    """Deliver to ``mailbox_name`` of an account; INBOX when that mailbox does not exist."""

    account_id: int
    mailbox_name: str = "INBOX"
    flags: int = 0
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delivered:
    account_id: int
    mailbox_id: int
    uid: int
    modseq: int


@dataclass(frozen=True, slots=True)
class DeliveryRefused:
    account_id: int
    reason: str
    """``"quota"`` or ``"no-account"``."""


DeliveryOutcome = Delivered | DeliveryRefused


@dataclass(frozen=True, slots=True)
class MessageMeta:
    """The mutable state of one message in one mailbox."""

    uid: int
    flags: int
    keywords: tuple[str, ...]
    modseq: int


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """Everything stored about one message in one mailbox (FETCH serves from this)."""

    mailbox_id: int
    uid: int
    email_id: int
    thread_id: int
    flags: int
    keywords: tuple[str, ...]
    modseq: int
    size: int
    internal_date: float
    save_date: float
    sha256: str
    inline: bool
    parsed: bytes
    summary: MessageSummary
    wire_size: int | None = None
    """The size as sent in CRLF lines; None for content stored before it was recorded."""


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One message's state in its mailbox and the forms rendered for it at ingest (None for
    content stored without them): what a metadata FETCH needs, without the parse tree;
    ``sha256`` and ``inline`` say where its bytes are, as in :class:`MessageContent`, when
    they were asked for (``sha256`` None otherwise)."""

    uid: int
    email_id: int
    thread_id: int
    flags: int
    keywords: tuple[str, ...]
    modseq: int
    size: int
    internal_date: float
    save_date: float
    forms: bytes | None
    sha256: str | None = None
    inline: bool = True


@dataclass(frozen=True, slots=True)
class MessageContent:
    """Where one message's bytes are and how large they are, without its parse tree: what
    listing and reading whole messages needs (a POP3 maildrop). ``inline``: the bytes are in
    the mail store (``MailRepo.read_contents``), else in the ``BlobStore`` under ``sha256``.
    ``wire_size`` is the size as sent in CRLF lines (``courriel.mail.wire_size``), None for
    content stored before it was recorded."""

    uid: int
    size: int
    wire_size: int | None
    sha256: str
    inline: bool


@dataclass(frozen=True, slots=True)
class AppendResult:
    """UIDPLUS APPENDUID data (RFC 4315 §3)."""

    mailbox_id: int
    uidvalidity: int
    uids: tuple[int, ...]
    modseq: int


@dataclass(frozen=True, slots=True)
class FlagsResult:
    """``changed``: rows whose flags changed (with their new modseq); ``modified``: UIDs that
    failed the UNCHANGEDSINCE test (RFC 7162 §3.1.3); ``modseq`` is None when nothing changed."""

    changed: tuple[MessageMeta, ...]
    modified: tuple[int, ...]
    modseq: int | None


@dataclass(frozen=True, slots=True)
class ExpungeResult:
    uids: tuple[int, ...]
    modseq: int | None


SPAM = "spam"
HAM = "ham"
VERDICTS = (SPAM, HAM)
"""What a user says of a message by moving it into Junk (``spam``) or out of it (``ham``)."""


@dataclass(frozen=True, slots=True)
class SpamFeedback:
    """A report for the spam filter to train on: the user moved or copied a message into
    Junk (``verdict`` ``spam``) or out of it (``ham``). ``sha256`` names the content, which
    stays readable while a message still uses it (plus the garbage collector's grace)."""

    id: int
    account_id: int
    email_id: int
    sha256: str
    verdict: str
    created: float


@dataclass(frozen=True, slots=True)
class CopyResult:
    """UIDPLUS COPYUID data (RFC 4315 §3): source and destination UIDs in matching order.
    ``feedback``: the spam-filter reports the copy or move recorded (see ``SpamFeedback``)."""

    destination_id: int
    uidvalidity: int
    source_uids: tuple[int, ...]
    destination_uids: tuple[int, ...]
    modseq: int | None
    feedback: tuple[SpamFeedback, ...] = ()


@dataclass(frozen=True, slots=True)
class Changes:
    """What changed in a mailbox after a MODSEQ (CONDSTORE/QRESYNC, IDLE refresh).

    ``history_complete`` is False when tombstones older than ``since`` were purged, so
    ``vanished`` may be missing UIDs and the caller must fall back (RFC 7162 §3.2.5.2).
    """

    mailbox: MailboxRecord
    changed: tuple[MessageMeta, ...]
    vanished: tuple[int, ...]
    history_complete: bool


@dataclass(frozen=True, slots=True)
class Usage:
    used_bytes: int
    message_count: int
    quota_bytes: int


@dataclass(frozen=True, slots=True)
class MailboxChange:
    """An event published on the ChangeBus after a commit. A hint: the store is the truth."""

    account_id: int
    mailbox_id: int
    modseq: int
    kind: str
    """``added``, ``flags``, ``expunged``, ``mailbox-created``, ``mailbox-deleted``,
    ``mailbox-renamed``, ``subscriptions``."""
    uids: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class AppPasswordRecord:
    """An app password: ``digest`` is SHA-256 of the generated secret; ``protocols`` the ones
    it opens (``imap``, ``pop3``, ``smtp``, ``dav``, ``activesync``)."""

    id: int
    account_id: int
    name: str
    digest: str
    protocols: tuple[str, ...]
    created: float
    last_used: float | None
    last_ip: str | None


@dataclass(frozen=True, slots=True)
class TotpRecord:
    """A TOTP secret (RFC 6238); ``enabled`` once a first code confirmed it; ``last_step``
    is the last time step accepted (a code is never accepted twice)."""

    account_id: int
    secret: str
    enabled: bool
    last_step: int
    created: float


@dataclass(frozen=True, slots=True)
class BanRecord:
    """A temporary ban of a scope (``ip:...`` or ``account:...``) until ``until``; ``count``
    is how many times the scope was banned (bans grow with repeats)."""

    scope: str
    until: float
    count: int
    reason: str
    created: float


@dataclass(frozen=True, slots=True)
class QueueRecipientInput:
    """A recipient to queue, with its RFC 3461 parameters."""

    address: str
    notify: str | None = None
    orcpt: str | None = None


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    """A message in the outbound queue. ``sender`` ``""`` is the null sender."""

    id: int
    sender: str
    size: int
    file: str | None
    envid: str | None
    ret: str | None
    smtputf8: bool
    body: str
    account: str | None
    created: float
    expires: float


@dataclass(frozen=True, slots=True)
class QueuedRecipient:
    """One recipient of a queued message: ``state`` is ``pending``, ``held``,
    ``delivered`` or ``failed``."""

    id: int
    message_id: int
    address: str
    domain: str
    notify: str | None
    orcpt: str | None
    state: str
    attempts: int
    next_attempt: float
    last_error: str | None
    last_host: str | None
    delay_notified: bool
    done: float | None


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """Recipients of one message at one domain, leased to one worker (one SMTP
    transaction, RFC 5321 §3.3: many recipients of one domain travel together)."""

    message: QueuedMessage
    domain: str
    recipients: tuple[QueuedRecipient, ...]


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """The outcome of an attempt for one recipient: ``delivered``, ``failed`` (permanent)
    or ``retry`` (at ``next_attempt``)."""

    recipient_id: int
    outcome: str
    error: str | None = None
    host: str | None = None
    next_attempt: float | None = None


# -- the spam filter (issue 7): classifier counts, sender reputation, allow and block lists --

ALLOW = "allow"
BLOCK = "block"
LIST_KINDS = (ALLOW, BLOCK)


@dataclass(frozen=True, slots=True)
class ClassifierCounts:
    """What one account's classifier knows about some tokens: how many spam and ham
    messages it was trained on, and for each token asked about that it has seen, in how
    many of them it appeared, as ``(spam, ham)``."""

    spam_messages: int
    ham_messages: int
    tokens: dict[str, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class SenderReputation:
    """Server-wide counts for a sender, an address or ``@domain``: messages scored from it
    (``seen``) and users' reports on its messages (``spam``, ``ham``)."""

    sender: str
    seen: int
    spam: int
    ham: int
    last_seen: float


@dataclass(frozen=True, slots=True)
class SpamListEntry:
    """An account's allow or block list entry: an address, or ``@domain``."""

    account_id: int
    entry: str
    kind: str
    created: float


@dataclass(frozen=True, slots=True)
class AccountScoringQuery:
    """What scoring a message asks about one recipient account: its classifier's counts
    for ``tokens``, which of ``correspondents`` it wrote to, and which of ``list_entries``
    are on its allow or block lists."""

    account_id: int
    tokens: Sequence[str]
    correspondents: Sequence[str]
    list_entries: Sequence[str]


@dataclass(frozen=True, slots=True)
class AccountScoringInputs:
    """The answers to an :class:`AccountScoringQuery`."""

    counts: ClassifierCounts
    known_correspondents: set[str]
    list_matches: list[SpamListEntry]


@dataclass(frozen=True, slots=True)
class ScoringInputs:
    """Everything the store knows that scoring one message needs: the senders'
    reputations (unknown senders left out) and each account's answers, by account id."""

    reputations: dict[str, SenderReputation]
    accounts: dict[int, AccountScoringInputs]


@dataclass(frozen=True, slots=True)
class WebSessionRecord:
    """A webmail session: ``digest`` is the SHA-256 (hex) of the token in the browser's
    cookie; ``stage`` is ``"second-factor"`` (password checked, code still due) or
    ``"active"``; ``csrf`` the token every state-changing form must carry; ``attempts``
    counts wrong second-factor codes; ``expires`` is the idle deadline, pushed back on use."""

    digest: str
    account_id: int
    stage: str
    csrf: str
    created: float
    last_seen: float
    expires: float
    attempts: int
    ip: str
    user_agent: str


@dataclass(frozen=True, slots=True)
class MailSettingsRecord:
    """An account's signature, vacation auto-reply and forwarding (the defaults when it
    never changed them). ``vacation_start`` / ``vacation_end`` are Unix times, 0 for no
    limit; a sender gets one auto-reply per ``vacation_interval_days``; ``forward_to`` is
    empty when nothing is forwarded."""

    account_id: int
    signature: str = ""
    vacation_enabled: bool = False
    vacation_subject: str = ""
    vacation_body: str = ""
    vacation_start: float = 0.0
    vacation_end: float = 0.0
    vacation_interval_days: int = 7
    forward_to: str = ""
    forward_keep_copy: bool = True
