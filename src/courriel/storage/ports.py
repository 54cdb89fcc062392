"""The storage ports: one Protocol per role. Each method's docstring is its contract.

Every backend (SQLite + files now, PostgreSQL + object store later) implements these and
passes the conformance suite in ``tests/conformance``. Rules that are not about persistence
(mailbox name syntax, default mailboxes, which events to publish, parsing) live in
``mailstore`` and ``directory``; rules that must hold inside one transaction live here:

- Inside a mailbox, commit order = UID order = MODSEQ order. UIDs come from the mailbox
  row's ``uid_next`` and MODSEQs from the account row's counter, both updated in the same
  transaction as the rows they number (DESIGN.md §3).
- Every mutating method is one transaction; a method that returns has committed durably.
- MODSEQ is one counter per account; a transaction that changes nothing allocates none.
- Quota: ``used_bytes`` changes in the same transaction as the rows; a write that would pass
  a non-zero quota raises ``QuotaExceeded`` (or is refused per recipient for ``deliver``)
  and writes nothing.
- Expunged UIDs leave tombstones so ``changes_since`` can report them (RFC 7162 §3.2.10).
- A spam-filter report (``SpamFeedback``) is written in the same transaction as the copy or
  move that makes it; which moves make one is ``mailstore``'s rule.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol

from courriel.storage.listing import DomainUsage
from courriel.storage.query import SearchKey
from courriel.storage.records import (
    AccountRecord,
    AccountScoringQuery,
    AliasRecord,
    AppendResult,
    AppPasswordRecord,
    AttemptResult,
    BanRecord,
    Changes,
    ClassifierCounts,
    CopyResult,
    DeliveryJob,
    DeliveryOutcome,
    DeliveryTarget,
    DkimKeyRecord,
    DomainRecord,
    ExpungeResult,
    FlagsResult,
    IngestedMessage,
    MailboxChange,
    MailboxRecord,
    MailSettingsRecord,
    MessageContent,
    MessageMeta,
    MessageRecord,
    NewMessage,
    QueuedMessage,
    QueuedRecipient,
    QueueRecipientInput,
    RenderedMessage,
    ScoringInputs,
    SenderReputation,
    SpamFeedback,
    SpamListEntry,
    TotpRecord,
    Usage,
    WebSessionRecord,
)


class DirectoryRepo(Protocol):
    """Domains, accounts and aliases. Addresses and domains are stored lower-cased (the
    caller normalises); lookups are exact."""

    async def add_domain(self, name: str) -> DomainRecord:
        """Create a domain. Raises ``AlreadyExists``."""
        ...

    async def get_domain(self, name: str) -> DomainRecord | None:
        """The domain, or None."""
        ...

    async def list_domains(self) -> list[DomainRecord]:
        """Every domain, sorted by name."""
        ...

    async def remove_domain(self, name: str) -> None:
        """Remove a domain that has no accounts and no aliases. Raises ``NotFound``, or
        ``Conflict`` while accounts or aliases remain."""
        ...

    async def add_account(
        self,
        address: str,
        *,
        password_hash: str | None,
        scram_keys: str | None,
        display_name: str = "",
        quota_bytes: int = 0,
        admin: bool = False,
    ) -> AccountRecord:
        """Create an account in an existing domain (the part after ``@``). Raises
        ``NotFound`` for an unknown domain, ``AlreadyExists`` when the address is taken by
        an account or an alias."""
        ...

    async def get_account(self, address: str) -> AccountRecord | None:
        """The account with this exact address, or None."""
        ...

    async def get_account_by_id(self, account_id: int) -> AccountRecord | None:
        """The account with this id, or None."""
        ...

    async def list_accounts(self, domain: str | None = None) -> list[AccountRecord]:
        """Every account (of one domain when given), sorted by address."""
        ...

    async def update_account(
        self,
        address: str,
        *,
        password_hash: str | None = None,
        scram_keys: str | None = None,
        display_name: str | None = None,
        quota_bytes: int | None = None,
        disabled: bool | None = None,
        admin: bool | None = None,
    ) -> AccountRecord:
        """Change the given fields (None leaves a field as it is). Raises ``NotFound``."""
        ...

    async def remove_account(self, address: str) -> None:
        """Remove an account with its mailboxes and messages (blob references dropped).
        Raises ``NotFound``."""
        ...

    async def add_alias(self, address: str, targets: Sequence[str]) -> AliasRecord:
        """Create an alias (``@domain`` is a catch-all) in an existing domain. Raises
        ``NotFound`` for an unknown domain, ``AlreadyExists`` when the address is taken by
        an account or an alias."""
        ...

    async def get_alias(self, address: str) -> AliasRecord | None:
        """The alias with this exact address, or None."""
        ...

    async def list_aliases(self, domain: str | None = None) -> list[AliasRecord]:
        """Every alias (of one domain when given), sorted by address."""
        ...

    # -- paged listing (issue 8, admin pages: a page never loads the whole directory) --

    async def list_accounts_page(
        self, *, prefix: str = "", domain: str | None = None, offset: int = 0, limit: int
    ) -> list[AccountRecord]:
        """At most ``limit`` accounts whose address starts with ``prefix`` (of one domain
        when given), sorted by address, skipping the first ``offset``."""
        ...

    async def count_accounts(self, *, prefix: str = "", domain: str | None = None) -> int:
        """How many accounts ``list_accounts_page`` pages through."""
        ...

    async def list_aliases_page(
        self, *, prefix: str = "", domain: str | None = None, offset: int = 0, limit: int
    ) -> list[AliasRecord]:
        """At most ``limit`` aliases whose address starts with ``prefix`` (of one domain
        when given), sorted by address, skipping the first ``offset``."""
        ...

    async def count_aliases(self, *, prefix: str = "", domain: str | None = None) -> int:
        """How many aliases ``list_aliases_page`` pages through."""
        ...

    async def domain_usage(self) -> dict[str, DomainUsage]:
        """Accounts, aliases, bytes and messages of every domain, by domain name (every
        domain is present, zeros included)."""
        ...

    # -- end of paged listing --

    async def remove_alias(self, address: str) -> None:
        """Remove an alias. Raises ``NotFound``."""
        ...

    async def add_dkim_key(
        self,
        domain: str,
        selector: str,
        algorithm: str,
        private_key: str,
        dns_record: str,
        *,
        active: bool = True,
    ) -> DkimKeyRecord:
        """Store a signing key (``active``: it signs at once; else it waits for
        ``activate_dkim_keys``). Raises ``NotFound`` (domain) or ``AlreadyExists``
        (selector)."""
        ...

    async def activate_dkim_keys(self, domain: str, selectors: Sequence[str]) -> None:
        """In one transaction: the keys ``selectors`` name sign from now on, every other key
        of the domain stops. Raises ``NotFound`` (domain, or a selector it does not have;
        nothing changes then)."""
        ...

    async def list_dkim_keys(self, domain: str) -> list[DkimKeyRecord]:
        """The domain's keys, oldest first."""
        ...

    async def remove_dkim_key(self, domain: str, selector: str) -> None:
        """Remove one key of a domain. Raises ``NotFound`` (domain or selector)."""
        ...


class MailRepo(Protocol):
    """Mailboxes and the messages in them, for one store shared by every protocol."""

    async def create_mailbox(
        self, account_id: int, name: str, special_use: str | None = None
    ) -> MailboxRecord:
        """Create a mailbox with a fresh UIDVALIDITY, greater than any this account used
        before (RFC 9051 §2.3.1.1). Raises ``AlreadyExists`` or ``NotFound`` (account)."""
        ...

    async def get_mailbox(self, account_id: int, name: str) -> MailboxRecord | None:
        """The mailbox with this exact name, or None."""
        ...

    async def get_mailbox_by_id(self, mailbox_id: int) -> MailboxRecord | None:
        """The mailbox with this id, or None."""
        ...

    async def list_mailboxes(self, account_id: int) -> list[MailboxRecord]:
        """Every mailbox of the account, sorted by name."""
        ...

    async def rename_mailbox(
        self, account_id: int, old: str, new: str, separator: str
    ) -> list[MailboxRecord]:
        """Rename a mailbox and every mailbox below it (``old`` + separator + ...); UIDVALIDITY
        is kept (RFC 9051 §6.3.6). Renaming INBOX moves its messages to a new mailbox named
        ``new`` and leaves INBOX empty. Returns the renamed mailboxes. Raises ``NotFound``,
        ``AlreadyExists``, or ``InvalidName`` when ``new`` lies below ``old``."""
        ...

    async def delete_mailbox(self, account_id: int, name: str) -> MailboxRecord:
        """Delete a mailbox and its messages (quota released, blob references dropped);
        mailboxes below it stay. Returns the deleted row. Raises ``NotFound``."""
        ...

    async def set_subscribed(self, account_id: int, name: str, subscribed: bool) -> None:
        """Add or remove a subscription. A subscription may name a mailbox that does not
        exist (RFC 9051 §6.3.7)."""
        ...

    async def list_subscriptions(self, account_id: int) -> list[str]:
        """Subscribed names, sorted."""
        ...

    async def append(
        self, account_id: int, mailbox_id: int, messages: Sequence[NewMessage]
    ) -> AppendResult:
        """Append messages in order, all or nothing (MULTIAPPEND, RFC 3502): consecutive
        UIDs, one new MODSEQ. Raises ``NotFound`` (checked before the quota),
        ``QuotaExceeded``, or ``ValueError`` for an empty list."""
        ...

    async def deliver(
        self, content: IngestedMessage, targets: Sequence[DeliveryTarget], internal_date: float
    ) -> list[DeliveryOutcome]:
        """Deliver one message to several accounts in one transaction, one outcome per
        target in order: ``Delivered`` or ``DeliveryRefused`` (quota, unknown account).
        A target mailbox that does not exist falls back to INBOX. The content is stored
        once and referenced by every row."""
        ...

    async def snapshot(self, mailbox_id: int) -> tuple[MailboxRecord, list[MessageMeta]]:
        """The mailbox row and every message's UID, flags and MODSEQ, from one consistent
        read, in UID order. Raises ``NotFound``."""
        ...

    async def fetch(self, mailbox_id: int, uids: Sequence[int]) -> list[MessageRecord]:
        """The stored records of these UIDs (missing UIDs skipped), in UID order."""
        ...

    async def fetch_rendered(
        self, mailbox_id: int, uids: Sequence[int], *, locations: bool = False
    ) -> list[RenderedMessage]:
        """These UIDs' per-copy state and the forms stored with their content at ingest
        (None when it has none), in UID order, missing UIDs skipped; no parse tree. With
        ``locations``, ``sha256`` and ``inline`` say where the bytes are (else None)."""
        ...

    async def list_contents(self, mailbox_id: int) -> tuple[MailboxRecord, list[MessageContent]]:
        """The mailbox row and, for every message, its UID, stored size, wire size (None
        when the content was stored without one), SHA-256 and whether the bytes are inline,
        from one consistent read, in UID order; no parse tree or summary is read. Raises
        ``NotFound``."""
        ...

    async def read_contents(self, mailbox_id: int, uids: Sequence[int]) -> dict[int, bytes]:
        """The whole bytes of the messages ``uids`` of the mailbox whose content is inline
        (``MessageContent.inline``), by UID, from one consistent read. UIDs not in the
        mailbox (or the mailbox missing) and messages whose bytes are in the ``BlobStore``
        are left out, without error; the caller reads those by SHA-256. The caller bounds
        the total size (the bytes are returned at once)."""
        ...

    async def read_content(self, sha256: str, start: int = 0, length: int | None = None) -> bytes:
        """Bytes of an inline blob (``MessageRecord.inline``), ``[start, start+length)``.
        Raises ``NotFound``."""
        ...

    async def store_flags(
        self,
        account_id: int,
        mailbox_id: int,
        uids: Sequence[int],
        *,
        mode: str,
        flags: int,
        keywords: Sequence[str],
        unchanged_since: int | None = None,
    ) -> FlagsResult:
        """Set (``mode="add"``), clear (``"remove"``) or replace (``"replace"``) flags and
        keywords. Only rows whose flags really change get the new MODSEQ; rows whose MODSEQ
        is above ``unchanged_since`` are left alone and listed as modified (RFC 7162
        §3.1.3). Raises ``NotFound``."""
        ...

    async def expunge(
        self, account_id: int, mailbox_id: int, uids: Sequence[int] | None = None
    ) -> ExpungeResult:
        """Remove the messages flagged \\Deleted (only those among ``uids`` when given),
        leaving tombstones. Raises ``NotFound``."""
        ...

    async def remove_messages(
        self, account_id: int, mailbox_id: int, uids: Sequence[int]
    ) -> ExpungeResult:
        """Remove the messages ``uids`` whatever their flags, all in one transaction: POP3's
        UPDATE state (RFC 1939 §6) deletes every marked message or none. UIDs not in the
        mailbox are skipped. As ``expunge``: tombstones left under one new MODSEQ, quota
        and content references released; ``ExpungeResult((), None)`` (no MODSEQ used) when
        nothing was removed. Raises ``NotFound`` (mailbox missing or not the account's)."""
        ...

    async def copy(
        self,
        account_id: int,
        source_id: int,
        uids: Sequence[int],
        destination_id: int,
        *,
        feedback: str | None = None,
    ) -> CopyResult:
        """Copy messages (new UIDs, same flags, same email id); quota counts each copy.
        With ``feedback`` (``"spam"`` or ``"ham"``), one ``SpamFeedback`` per copied
        message is recorded in the same transaction and returned in ``CopyResult.feedback``
        in UID order (none when nothing was copied). Raises ``NotFound``,
        ``QuotaExceeded``, or ``ValueError`` for another verdict."""
        ...

    async def move(
        self,
        account_id: int,
        source_id: int,
        uids: Sequence[int],
        destination_id: int,
        *,
        feedback: str | None = None,
    ) -> CopyResult:
        """Move messages atomically (RFC 6851): new UIDs in the destination, tombstones in
        the source. ``feedback`` as for ``copy``. Raises ``NotFound``."""
        ...

    async def mailboxes_with_saves_before(
        self, special_use: str, saved_before: float
    ) -> list[MailboxRecord]:
        """Every account's mailboxes whose special-use attribute is ``special_use`` (RFC 6154
        §2) and that hold at least one message saved before ``saved_before`` (the time the
        message entered that mailbox: SAVEDATE, RFC 8514 §3), by id. Cheap when none does:
        the retention purge calls it for the whole store."""
        ...

    async def uids_saved_before(
        self, mailbox_id: int, saved_before: float, limit: int
    ) -> list[int]:
        """UIDs of at most ``limit`` messages of the mailbox saved before ``saved_before``
        (strictly), the earliest saves first, returned in ascending order; ``[]`` when none
        or the mailbox does not exist. Removing them is ``remove_messages``'s job."""
        ...

    async def pending_spam_feedback(self, limit: int) -> list[SpamFeedback]:
        """At most ``limit`` reports not consumed yet, oldest first."""
        ...

    async def consume_spam_feedback(self, ids: Sequence[int]) -> int:
        """Forget these reports (the spam filter trained on them); unknown ids are
        skipped. Returns how many were pending."""
        ...

    async def changes_since(self, mailbox_id: int, modseq: int) -> Changes:
        """Rows whose MODSEQ is above ``modseq`` and UIDs expunged after it. Raises
        ``NotFound``."""
        ...

    async def search(self, mailbox_id: int, key: SearchKey) -> list[int]:
        """UIDs matching the criteria, ascending."""
        ...

    async def index_pending_text(self, limit: int) -> int:
        """Move up to ``limit`` messages' text from the write path into the full-text index
        (in one batch, which is far cheaper than indexing in every delivery transaction);
        return how many still wait. Searches find pending text all the same."""
        ...

    async def usage(self, account_id: int) -> Usage:
        """Bytes and messages stored for the account, and its quota. Raises ``NotFound``."""
        ...

    async def collect_garbage(self, grace_seconds: float) -> list[str]:
        """Delete content no message has referenced for ``grace_seconds`` — its rows and,
        for large bodies, its files — and return the SHA-256 of everything removed. The
        store deletes the files itself, serialised with the writes that could revive the
        same content; callers must not delete them."""
        ...


class BlobStore(Protocol):
    """Content-addressed storage for large message bodies (SHA-256 hex keys)."""

    async def put(self, sha256: str, data: bytes) -> None:
        """Store ``data`` under its hash, durably on return. Idempotent."""
        ...

    async def read(self, sha256: str, start: int = 0, length: int | None = None) -> bytes:
        """Bytes ``[start, start+length)`` of a blob. Raises ``NotFound``."""
        ...

    async def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        ...

    async def delete(self, sha256s: Sequence[str]) -> None:
        """Delete blobs (missing ones ignored). Only garbage collection calls this."""
        ...


class SecurityRepo(Protocol):
    """Second factors, app passwords, brute-force counters and bans, server secrets. Every
    write is durable on return; counters and bans survive restarts."""

    async def add_app_password(
        self, account_id: int, name: str, digest: str, protocols: Sequence[str]
    ) -> AppPasswordRecord:
        """Store an app password. Raises ``AlreadyExists`` (name taken for this account) or
        ``NotFound`` (account)."""
        ...

    async def list_app_passwords(self, account_id: int) -> list[AppPasswordRecord]:
        """The account's app passwords, oldest first."""
        ...

    async def find_app_password(self, account_id: int, digest: str) -> AppPasswordRecord | None:
        """The account's app password with this digest, or None."""
        ...

    async def revoke_app_password(self, account_id: int, name: str) -> None:
        """Delete an app password. Raises ``NotFound``."""
        ...

    async def touch_app_password(self, app_password_id: int, when: float, ip: str) -> None:
        """Record a use (time and client IP)."""
        ...

    async def get_totp(self, account_id: int) -> TotpRecord | None:
        """The account's TOTP record, or None."""
        ...

    async def set_totp(self, account_id: int, secret: str, enabled: bool) -> TotpRecord:
        """Create or replace the account's TOTP secret (``last_step`` reset to 0)."""
        ...

    async def enable_totp(self, account_id: int, step: int) -> None:
        """Mark the secret confirmed, with ``step`` as the last step used. Raises
        ``NotFound``."""
        ...

    async def delete_totp(self, account_id: int) -> None:
        """Remove the second factor and the recovery codes (no error when absent)."""
        ...

    async def use_totp_step(self, account_id: int, step: int) -> bool:
        """Atomically accept ``step`` if it is after the last one used (RFC 6238 §5.2);
        False when it was already used (a replay) or there is no enabled secret."""
        ...

    async def set_recovery_codes(self, account_id: int, digests: Sequence[str]) -> None:
        """Replace the account's recovery codes."""
        ...

    async def unused_recovery_codes(self, account_id: int) -> list[str]:
        """Digests of the codes not used yet."""
        ...

    async def use_recovery_code(self, account_id: int, digest: str, when: float) -> bool:
        """Atomically mark a code used; False when unknown or already used."""
        ...

    async def record_failure(self, scope: str, now: float, window: float) -> int:
        """Count a failure for ``scope``; the count restarts when the first counted failure
        is older than ``window`` seconds. Returns the count including this one."""
        ...

    async def clear_failures(self, scope: str) -> None:
        """Forget the failures of ``scope``."""
        ...

    async def failures(self, scope: str, now: float, window: float) -> int:
        """Failures of ``scope`` within the window (0 when none)."""
        ...

    async def ban(
        self, scope: str, duration: float, max_duration: float, reason: str, now: float
    ) -> BanRecord:
        """Ban ``scope``: ``duration`` the first time, doubled at each repeat, at most
        ``max_duration``; its failure count is cleared."""
        ...

    async def active_ban(self, scopes: Sequence[str], now: float) -> BanRecord | None:
        """The first of ``scopes`` banned at ``now``, or None."""
        ...

    async def list_bans(self, now: float) -> list[BanRecord]:
        """Bans still in force, soonest to expire first."""
        ...

    async def unban(self, scope: str) -> bool:
        """Lift a ban (keeping its repeat count); False when there was none in force."""
        ...

    async def secret(self, name: str, new_value: bytes) -> bytes:
        """The server secret ``name``, created with ``new_value`` the first time."""
        ...


class QueueRepo(Protocol):
    """The outbound queue: messages waiting to leave, per-recipient state, leases.

    A worker leases due recipients (``claim``) for a while; a lease that expires (a crashed
    worker) makes them due again, and ``claim`` pushes ``next_attempt`` past the lease
    before returning, so a crash never causes a hot retry loop (mox's discipline)."""

    async def enqueue(
        self,
        *,
        sender: str,
        recipients: Sequence[QueueRecipientInput],
        data: bytes | None,
        file: str | None,
        size: int,
        envid: str | None,
        ret: str | None,
        smtputf8: bool,
        body: str,
        account: str | None,
        now: float,
        expires: float,
    ) -> int:
        """Queue a message (bytes inline, or in ``file`` already written durably); durable on
        return. Returns its id."""
        ...

    async def claim(self, now: float, lease: float, limit: int) -> list[DeliveryJob]:
        """Lease up to ``limit`` due pending recipients, grouped by message and domain."""
        ...

    async def record(self, results: Sequence[AttemptResult], now: float) -> None:
        """Store attempt outcomes and end their leases."""
        ...

    async def mark_delay_notified(self, recipient_ids: Sequence[int]) -> None:
        """Remember that a delay DSN went out for these recipients."""
        ...

    async def message(self, message_id: int) -> QueuedMessage | None:
        """A queued message, or None."""
        ...

    async def recipients(self, message_id: int) -> list[QueuedRecipient]:
        """The recipients of a message."""
        ...

    async def read_body(self, message_id: int) -> bytes | None:
        """The inline bytes of a message (None when it is in a file)."""
        ...

    async def list_messages(self) -> list[tuple[QueuedMessage, list[QueuedRecipient]]]:
        """Every queued message with its recipients, oldest first."""
        ...

    async def list_messages_page(
        self, offset: int, limit: int
    ) -> list[tuple[QueuedMessage, list[QueuedRecipient]]]:
        """At most ``limit`` queued messages with their recipients, oldest first, skipping
        the first ``offset`` (issue 8, the admin queue page)."""
        ...

    async def count_messages(self) -> int:
        """How many messages are queued."""
        ...

    async def set_state(
        self,
        message_id: int | None,
        from_states: Sequence[str],
        to_state: str,
        next_attempt: float | None = None,
    ) -> int:
        """Move recipients (of one message, or all when None) from one of ``from_states`` to
        ``to_state`` (hold, release, retry now); returns how many changed."""
        ...

    async def finished(self) -> list[QueuedMessage]:
        """Messages none of whose recipients is pending or held any more."""
        ...

    async def delete(self, message_id: int) -> QueuedMessage | None:
        """Remove a message and its recipients; returns it (its file is the caller's to
        remove), or None."""
        ...


class SpamRepo(Protocol):
    """The spam filter's memory: each account's classifier counts and the content it
    trained, server-wide sender reputation, the people each account wrote to, and each
    account's allow and block lists. Tokens, senders, addresses and entries arrive
    normalised (lower case) from the caller; the repository compares them exactly. An
    account's rows go with the account."""

    async def classifier_counts(self, account_id: int, tokens: Sequence[str]) -> ClassifierCounts:
        """The numbers of spam and ham messages the account trained, and the counts of
        those ``tokens`` it has seen (tokens never trained are left out), from one
        consistent read. An account that never trained has zeros and no tokens."""
        ...

    async def train(
        self,
        account_id: int,
        sha256: str,
        verdict: str,
        tokens: Sequence[str],
        senders: Sequence[str],
        now: float,
    ) -> str:
        """Train the account on one message, content ``sha256``, as ``verdict`` (``"spam"``
        or ``"ham"``), in one transaction: each distinct token's count and the message
        count of that verdict go up by one, and each of ``senders`` gets a report of that
        verdict. Content already trained as ``verdict`` changes nothing (``"unchanged"``);
        content trained as the other verdict is untrained first, with the same tokens and
        senders (``"retrained"``); else ``"trained"``. Raises ``ValueError`` for another
        verdict."""
        ...

    async def untrain(
        self, account_id: int, sha256: str, tokens: Sequence[str], senders: Sequence[str]
    ) -> bool:
        """Undo ``train`` for content ``sha256`` (counts never go below zero, token rows
        left at zero are deleted); False, changing nothing, when it was not trained."""
        ...

    async def record_senders(self, sightings: Mapping[str, int], now: float) -> None:
        """Count ``sightings[sender]`` more messages seen from each sender, the last of
        them at ``now``."""
        ...

    async def sender_reputation(self, senders: Sequence[str]) -> dict[str, SenderReputation]:
        """What is known of these senders, by sender; unknown ones are left out."""
        ...

    async def record_correspondents(
        self, account_id: int, addresses: Sequence[str], now: float
    ) -> None:
        """Remember that the account wrote to these addresses (a count per address).
        Raises ``NotFound`` for an unknown account."""
        ...

    async def known_correspondents(self, account_id: int, addresses: Sequence[str]) -> set[str]:
        """Those of ``addresses`` the account wrote to."""
        ...

    async def set_list_entry(
        self, account_id: int, entry: str, kind: str, now: float
    ) -> SpamListEntry:
        """Put ``entry`` (an address or ``@domain``) on the account's ``kind`` list
        (``"allow"`` or ``"block"``), taking it off the other list; an entry already on
        that list keeps its date. Raises ``NotFound`` (account) or ``ValueError`` (kind)."""
        ...

    async def remove_list_entry(self, account_id: int, entry: str, kind: str) -> bool:
        """Take ``entry`` off the account's ``kind`` list; False when it was not on it."""
        ...

    async def list_entries(self, account_id: int) -> list[SpamListEntry]:
        """The account's entries: allow list first, then block list, each by entry."""
        ...

    async def matching_list_entries(
        self, account_id: int, entries: Sequence[str]
    ) -> list[SpamListEntry]:
        """The account's entries that are among ``entries``, in the order of ``list_entries``."""
        ...

    async def scoring_inputs(
        self, senders: Sequence[str], queries: Sequence[AccountScoringQuery]
    ) -> ScoringInputs:
        """In one consistent read, what scoring a message needs: ``sender_reputation``
        of ``senders``, and for each query ``classifier_counts``, ``known_correspondents``
        and ``matching_list_entries`` of its account (each answer equal to what those
        methods return). Queries for an unknown account get empty answers."""
        ...


class WebSessionRepo(Protocol):
    """Webmail sessions, keyed by the SHA-256 of the browser's token (never the token
    itself). Every write is durable on return; an account's sessions go with it."""

    async def create_web_session(self, session: WebSessionRecord) -> None:
        """Store a new session. Raises ``AlreadyExists`` (digest taken) or ``NotFound``
        (account)."""
        ...

    async def get_web_session(self, digest: str, now: float) -> WebSessionRecord | None:
        """The session with this digest, or None when there is none or it expired
        (``expires <= now``)."""
        ...

    async def touch_web_session(self, digest: str, last_seen: float, expires: float) -> None:
        """Record use: set ``last_seen`` and push ``expires`` back; unknown digests are
        ignored."""
        ...

    async def count_web_session_attempt(self, digest: str) -> int:
        """Add one to the session's wrong-code count and return it (0: no such session)."""
        ...

    async def delete_web_session(self, digest: str) -> bool:
        """End one session; False when there was none."""
        ...

    async def delete_web_sessions(self, account_id: int, keep: str | None = None) -> int:
        """End every session of the account except the one whose digest is ``keep``;
        returns how many ended."""
        ...

    async def list_web_sessions(self, account_id: int, now: float) -> list[WebSessionRecord]:
        """The account's unexpired sessions, most recently used first."""
        ...

    async def purge_web_sessions(self, now: float) -> int:
        """Delete every session expired at ``now``; returns how many."""
        ...


class MailSettingsRepo(Protocol):
    """Per-account signature, vacation and forwarding settings, and the vacation memory
    (when the account last auto-replied to a sender). Writes are durable on return; an
    account's rows go with it."""

    async def get_mail_settings(self, account_id: int) -> MailSettingsRecord:
        """The account's settings; the defaults (``MailSettingsRecord(account_id)``) when
        it never saved any."""
        ...

    async def put_mail_settings(self, settings: MailSettingsRecord) -> None:
        """Replace the account's settings. Raises ``NotFound`` (account)."""
        ...

    async def claim_vacation_reply(
        self, account_id: int, sender: str, now: float, interval: float
    ) -> bool:
        """Atomically: True, recording ``now``, when the account has not replied to
        ``sender`` since ``now - interval``; False (nothing changed) otherwise."""
        ...

    async def forget_vacation_replies(self, account_id: int) -> int:
        """Forget whom the account replied to (a new vacation starts); returns how many."""
        ...


# -- remote images allowed per sender (issue 8, webmail reading: migration 0011) ---------
class ImageSenderRepo(Protocol):
    """Per account, the sender addresses whose messages show remote images without asking.
    Addresses are stored as given (the caller lower-cases them); writes are durable on
    return; an account's rows go with it."""

    async def add_image_sender(self, account_id: int, address: str, now: float) -> bool:
        """Trust ``address``; True when it was added, False when it already was trusted.
        Raises ``NotFound`` (account)."""
        ...

    async def remove_image_sender(self, account_id: int, address: str) -> bool:
        """Stop trusting ``address``; True when it was trusted."""
        ...

    async def has_image_sender(self, account_id: int, address: str) -> bool:
        """Whether the account trusts ``address``."""
        ...

    async def list_image_senders(self, account_id: int) -> list[str]:
        """The trusted addresses, sorted."""
        ...


class ChangeBus(Protocol):
    """Change notifications after commit. Events are hints; the store is the truth."""

    def publish(self, changes: Sequence[MailboxChange]) -> None:
        """Send events to every current subscriber of their accounts; never blocks."""
        ...

    def subscribe(self, account_id: int) -> Subscription:
        """Start receiving the account's events."""
        ...


class Subscription(Protocol):
    """A live feed of one account's events; iterate it, close it when done."""

    @property
    def overflowed(self) -> bool:
        """True once events were dropped because this subscriber fell behind: it must
        re-read the store instead of relying on events alone."""
        ...

    def __aiter__(self) -> AsyncIterator[MailboxChange]: ...

    async def get(self, timeout: float | None = None) -> MailboxChange | None:
        """The next event, or None on timeout."""
        ...

    def close(self) -> None:
        """Stop receiving events."""
        ...
