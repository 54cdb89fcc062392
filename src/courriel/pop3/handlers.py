"""One function per POP3 command, the table of them, and the replies for refused logins and
storage errors.

A handler gets the session, the state the command is valid in and the parsed command, and
returns an action: reply bytes to send (one line or a whole multi-line response), or one of
``Stream`` / ``UpgradeTls`` / ``RunAuth`` / ``Close`` that the session loop carries out
(handlers never read the socket). A refusal raises ``Pop3Error``, which carries its -ERR
line. Which states allow a command is the grammar's table (``protocol.COMMANDS``); the
session checks it before calling, so a TRANSACTION handler always gets a ``Transaction``.

Most TRANSACTION commands also have an immediate form (``IMMEDIATE``): the same reply when
memory can give it, or None when storage must be read. The session calls it as a command
arrives; the handler calls it first. RETR and TOP read ahead: one storage read brings the
next messages too (up to 2 MiB), kept as stored and each prepared as RETR's whole reply
(``retr_reply``) when it is asked for, so a client downloading the maildrop in order is
answered from memory, one write per command, and waits for storage once per batch. LIST
and UIDL of a whole maildrop are built by one string formatting each (10,000 lines in
about a millisecond).

RFC 1939 §4-§7 (USER, PASS, APOP, QUIT, STAT, LIST, RETR, DELE, NOOP, RSET, TOP, UIDL),
RFC 2449 (CAPA, RESP-CODES), RFC 2595 §4 (STLS), RFC 5034 (AUTH), RFC 6856 (UTF8).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from courriel.directory.auth import MESSAGES, AuthResult, Outcome, Principal
from courriel.directory.saslbridge import offered_mechanisms
from courriel.mail.lines import WireSizeCounter, wire_size
from courriel.mailstore.names import INBOX
from courriel.pop3.capabilities import capa_reply
from courriel.pop3.errors import Pop3Error
from courriel.pop3.multiline import (
    TERMINATOR,
    DotStuffer,
    dot_stuff,
    listing_reply,
    multiline_reply,
    sent_unchanged,
    top_lines,
)
from courriel.pop3.protocol import (
    ApopCommand,
    AuthCommand,
    CapaCommand,
    DeleCommand,
    ListCommand,
    NoopCommand,
    PassCommand,
    Pop3Command,
    QuitCommand,
    RetrCommand,
    RsetCommand,
    StatCommand,
    StlsCommand,
    TopCommand,
    UidlCommand,
    UserCommand,
    Utf8Command,
)
from courriel.pop3.responses import (
    RespCode,
    err,
    octets_status,
    ok,
    scan_listing,
    scan_listings,
    stat_reply,
    unique_id_listing,
    unique_id_listings,
)
from courriel.pop3.state import (
    Authorization,
    Maildrop,
    MaildropMessage,
    State,
    Transaction,
)
from courriel.storage.errors import NotFound, StorageError, Unavailable
from courriel.storage.records import MessageContent

if TYPE_CHECKING:
    from courriel.pop3.session import Pop3Session

log = logging.getLogger("courriel.pop3")

READ_CHUNK = 1024 * 1024
"""Message bytes read from storage at a time. A message smaller than this is read whole and
sent with its size in the +OK line; a larger one is streamed chunk by chunk."""
READ_AHEAD_MESSAGES = 512
"""Messages one storage read brings in for RETR or TOP at most: the one asked for and the
next ones not yet retrieved, so a client downloading the maildrop in order is served from
memory (one read per batch instead of a read, and a trip to a reader thread, per message)."""
READ_AHEAD_BYTES = 2 * 1024 * 1024
"""What one storage read for RETR, or for sizes, may bring in at most (the first message
is always read), and so what a session holds for messages not yet asked for.

For a client that waits for each reply, the next batch is read when a command finds the
read-ahead empty, not in the background before: a background read competes with the
session for the interpreter lock, and each command arriving meanwhile waited for the whole
read anyway (measured: 10% more CPU per message and slower sequential RETR than one read
per 2 MiB that the client waits for). A pipelining client's next batch is read beside the
session (``REFILL_AT``)."""
REFILL_AT = 64
"""Messages left in the read-ahead when a pipelining client's next batch is read (the
read under way beside the session: ``refill_while_pipelining``)."""


# --- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stream:
    """Send ``status``, then the already-stuffed ``body`` chunks (terminating line
    included) as they come, waiting for the client between chunks."""

    status: bytes
    body: AsyncIterator[bytes]


@dataclass(frozen=True)
class UpgradeTls:
    """Send +OK, discard anything pipelined, handshake, forget the session (RFC 2595 §4)."""


@dataclass(frozen=True)
class RunAuth:
    mechanism: str
    initial_response: str | None


@dataclass(frozen=True)
class Close:
    """Send ``reply`` and end the session."""

    reply: bytes


Action = bytes | Stream | UpgradeTls | RunAuth | Close
Handler = Callable[["Pop3Session", Any, Any], Awaitable[Action]]


# --- refusals: the one table from login outcomes and storage errors to -ERR lines ---------

Refusal = tuple[str, RespCode | None]
"""The text and code of an -ERR line; ``Pop3Error(*refusal)`` raises it (a fresh exception
each time: a shared instance would collect tracebacks)."""

PLAINTEXT_REFUSED: Refusal = (
    "plaintext authentication disallowed on non-secure connections; use STLS",
    RespCode.AUTH,
)

LOGIN_REFUSALS: Mapping[Outcome, Refusal] = MappingProxyType(
    {
        # RFC 3206 §5: the credentials are the problem; asking the user again may help.
        Outcome.INVALID: (MESSAGES[Outcome.INVALID], RespCode.AUTH),
        Outcome.APP_PASSWORD_REQUIRED: (MESSAGES[Outcome.APP_PASSWORD_REQUIRED], RespCode.AUTH),
        Outcome.SECOND_FACTOR_REQUIRED: (MESSAGES[Outcome.SECOND_FACTOR_REQUIRED], RespCode.AUTH),
        # RFC 3206 §4: lasting, and not the password's fault: do not ask again.
        Outcome.DISABLED: (MESSAGES[Outcome.DISABLED], RespCode.SYS_PERM),
        # RFC 3206 §4: temporary; the session is closed, as SMTP does with 421.
        Outcome.BANNED: (MESSAGES[Outcome.BANNED], RespCode.SYS_TEMP),
    }
)

STORAGE_REFUSALS: tuple[tuple[type[StorageError], Refusal], ...] = (
    # A message IMAP removed while this session had it numbered, whose content is gone
    # too (past the garbage collector's grace period).
    (NotFound, ("message no longer available", None)),
    (Unavailable, ("storage unavailable, try again later", RespCode.SYS_TEMP)),
    (StorageError, ("temporary storage failure, try again later", RespCode.SYS_TEMP)),
)


def storage_refusal(error: StorageError) -> Pop3Error:
    """The -ERR for a storage error a handler did not expect (the first matching row)."""
    refusal = next(refusal for kind, refusal in STORAGE_REFUSALS if isinstance(error, kind))
    return Pop3Error(*refusal)


async def finish_login(session: Pop3Session, result: AuthResult) -> Action:
    """After USER/PASS or AUTH: open the maildrop, or refuse (PASS and AUTH share it)."""
    if not result.ok:
        refusal = Pop3Error(*LOGIN_REFUSALS[result.outcome])
        if result.outcome is Outcome.BANNED:
            return Close(refusal.reply)
        raise refusal
    assert result.principal is not None
    return await open_maildrop(session, result.principal)


async def open_maildrop(session: Pop3Session, principal: Principal) -> Action:
    """Count the session among the account's, lock the account's maildrop and snapshot
    INBOX: enter TRANSACTION (RFC 1939 §4)."""
    if not session.claim_account(principal.account_id):
        log.info(
            "[%s] login of %s refused: too many sessions for the account",
            session.connection.info.id,
            principal.address,
        )
        # RFC 3206 §4: temporary and not the credentials' fault, so the client neither asks
        # for a new password nor says the maildrop is locked ([IN-USE] is that lock's).
        raise Pop3Error("too many connections for this account", RespCode.SYS_TEMP)
    if not session.claim_maildrop(principal.account_id):
        session.release_account()
        # RFC 2449 §8.1.2: another session has it; the client may try again later.
        raise Pop3Error("maildrop already locked by another session", RespCode.IN_USE)
    try:
        maildrop = await load_maildrop(session, principal.account_id)
    except NotFound:
        session.release_maildrop()
        session.release_account()
        raise Pop3Error("no maildrop for this account", RespCode.SYS_PERM) from None
    except BaseException:
        session.release_maildrop()
        session.release_account()
        raise
    session.state = Transaction(principal, maildrop)
    log.info(
        "[%s] %s logged in (%s, %s), %d messages",
        session.connection.info.id,
        principal.address,
        principal.method,
        "TLS" if session.tls_active else "plaintext",
        len(maildrop.messages),
    )
    return ok(f"logged in, maildrop has {_messages(len(maildrop.messages))}")


def _messages(count: int) -> str:
    return f"{count} message" if count == 1 else f"{count} messages"


async def load_maildrop(session: Pop3Session, account_id: int) -> Maildrop:
    """INBOX at login: each message's sizes and where its bytes are, from one store read
    (no parse trees, no bodies: RFC 1939 §11 sizes were recorded at ingest)."""
    mailstore = session.settings.mailstore
    inbox = await mailstore.get_mailbox(account_id, INBOX)
    mailbox, contents = await mailstore.list_contents(inbox.id)
    messages = [MaildropMessage(content, content.wire_size) for content in contents]
    return Maildrop(account_id, inbox.id, mailbox.uidvalidity, messages)


# --- reading messages --------------------------------------------------------------------


async def read(session: Pop3Session, content: MessageContent, start: int, length: int) -> bytes:
    return await session.settings.mailstore.read_message(content, start, length)


def _batches(
    messages: Iterable[tuple[int, MaildropMessage]],
) -> Iterator[list[tuple[int, MaildropMessage]]]:
    """``(number, message)`` pairs of messages smaller than ``READ_CHUNK``, in groups one
    storage read may bring in: at most ``READ_AHEAD_MESSAGES`` and ``READ_AHEAD_BYTES`` (a
    group's first message whatever its size)."""
    batch: list[tuple[int, MaildropMessage]] = []
    size = 0
    for number, message in messages:
        if message.content.size >= READ_CHUNK:
            continue
        if batch and (
            len(batch) == READ_AHEAD_MESSAGES or size + message.content.size > READ_AHEAD_BYTES
        ):
            yield batch
            batch, size = [], 0
        batch.append((number, message))
        size += message.content.size
    if batch:
        yield batch


def _unsent_after(maildrop: Maildrop, number: int) -> Iterator[tuple[int, MaildropMessage]]:
    """Messages after ``number`` not yet retrieved, marked or read ahead, in order."""
    messages = maildrop.messages
    return (
        (later, messages[later - 1])
        for later in range(number + 1, len(messages) + 1)
        if later not in maildrop.deleted
        and later not in maildrop.retrieved
        and later not in maildrop.read_ahead
    )


def _known_wire_size(message: MaildropMessage, data: bytes) -> int:
    """The wire size of ``message``, whose bytes are ``data``, given it if it had none."""
    if message.wire_size is None:
        message.wire_size = wire_size(data)
    return message.wire_size


def multiline_body(status: bytes, message: MaildropMessage, data: bytes) -> bytes:
    """``status``, then ``message``, whose bytes are ``data``, as a multi-line response
    carries it (RFC 1939 §3: stuffed, CRLF lines, the terminating line), in one piece, so
    that answering is one write of it."""
    crlf_lines = _known_wire_size(message, data) == len(data)
    if sent_unchanged(data, crlf_lines=crlf_lines):
        return b"".join((status, data, TERMINATOR))
    return status + dot_stuff(data, crlf_lines=crlf_lines)


def retr_reply(message: MaildropMessage, data: bytes) -> bytes:
    """RETR's whole reply (RFC 1939 §5: "+OK", the size, the message, the end line)."""
    return multiline_body(octets_status(_known_wire_size(message, data)), message, data)


def _keep_read_ahead(
    maildrop: Maildrop, batch: list[tuple[int, MaildropMessage]], contents: dict[int, bytes]
) -> None:
    # Kept as stored: preparing a whole batch at once would hold up the command waiting
    # (0.5 ms for 64 messages); each is prepared when asked for.
    for number, message in batch:
        if (data := contents.get(message.uid)) is not None:
            maildrop.read_ahead.keep(number, data)


def refill_while_pipelining(session: Pop3Session, maildrop: Maildrop) -> None:
    """With another command already waiting (a pipelining client) and the read-ahead
    down to ``REFILL_AT`` messages, read the next batch beside the session, so that sending
    does not stop for each batch's read (measured: the event loop was 40 % idle with 16
    RETR in flight). A client that waits for each reply gets no such read: it would only
    compete with the session for the GIL."""
    read_ahead = maildrop.read_ahead
    if (
        read_ahead.refilling is not None
        or not read_ahead.messages
        or len(read_ahead) > REFILL_AT
        or not session.commands_waiting()
    ):
        return
    batch = next(_batches(_unsent_after(maildrop, max(read_ahead.messages))), None)
    if batch is None:
        return

    async def refill() -> None:
        try:
            contents = await session.settings.mailstore.read_messages(
                maildrop.mailbox_id, [message.content for _, message in batch]
            )
            _keep_read_ahead(maildrop, batch, contents)
        except StorageError as error:  # the command that needs them reads them again
            log.info("read-ahead of the next messages failed: %r", error)
        finally:
            read_ahead.refilling = None

    read_ahead.refilling = session.in_background(refill())


async def read_with_read_ahead(session: Pop3Session, maildrop: Maildrop, number: int) -> bytes:
    """The bytes of message ``number`` (smaller than ``READ_CHUNK``), for RETR or TOP once
    their immediate form found it not read ahead: from the read under way beside the
    session if it brings it, else from one storage read that also brings in the next
    messages not yet retrieved or marked, which replace the read-ahead. Raises
    ``NotFound`` when its content is gone."""
    refilling = maildrop.read_ahead.refilling
    if refilling is not None:
        await asyncio.shield(refilling)
        data = maildrop.read_ahead.take(number)
        if data is not None:
            return data
    maildrop.read_ahead.clear()
    wanted = (number, maildrop.messages[number - 1])
    batch = next(_batches(itertools.chain([wanted], _unsent_after(maildrop, number))))
    contents = await session.settings.mailstore.read_messages(
        maildrop.mailbox_id, [message.content for _, message in batch]
    )
    _keep_read_ahead(maildrop, batch[1:], contents)
    data = contents.get(wanted[1].uid)
    if data is None:
        raise NotFound(f"message {number} is gone from the store")
    return data


async def message_wire_size(session: Pop3Session, content: MessageContent) -> int:
    """The size of a message on the wire, read ``READ_CHUNK`` bytes at a time."""
    try:
        counter = WireSizeCounter()
        offset = 0
        while True:
            chunk = await read(session, content, offset, READ_CHUNK)
            counter.feed(chunk)
            offset += len(chunk)
            if len(chunk) < READ_CHUNK:
                return counter.finish()
    except NotFound:
        return content.size  # removed and collected since login: the stored size will do


async def ensure_wire_sizes(
    session: Pop3Session, maildrop: Maildrop, messages: Iterable[MaildropMessage]
) -> None:
    """Give ``messages`` the CRLF size LIST and STAT announce (RFC 1939 §11). The store
    records it at ingest; content stored before it did (schema 4) has none and is read once
    per session to compute it: small messages in batches (``_batches``), large ones chunk
    by chunk."""
    missing = [message for message in messages if message.wire_size is None]
    if not missing:
        return
    mailstore = session.settings.mailstore
    for batch in _batches(enumerate(missing)):
        contents = await mailstore.read_messages(
            maildrop.mailbox_id, [message.content for _, message in batch]
        )
        for _, message in batch:
            data = contents.get(message.uid)
            message.wire_size = message.content.size if data is None else wire_size(data)
    for message in missing:
        if message.wire_size is None:
            message.wire_size = await message_wire_size(session, message.content)


async def _stuffed_chunks(
    session: Pop3Session, content: MessageContent, first: bytes
) -> AsyncIterator[bytes]:
    stuffer = DotStuffer()
    yield stuffer.feed(first)
    offset, chunk = len(first), first
    while len(chunk) == READ_CHUNK:
        chunk = await read(session, content, offset, READ_CHUNK)
        offset += len(chunk)
        stuffed = stuffer.feed(chunk)
        if stuffed:
            yield stuffed
    yield stuffer.finish()


# --- AUTHORIZATION state (RFC 1939 §4, §7; RFC 5034; RFC 2595; RFC 6856) -----------------


async def user(session: Pop3Session, state: Authorization, command: UserCommand) -> Action:
    del state
    if not session.plaintext_allowed():
        raise Pop3Error(*PLAINTEXT_REFUSED)  # RFC 2595 §2.2: no password before TLS
    session.state = Authorization(user=command.name)
    return ok("send PASS")


async def pass_(session: Pop3Session, state: Authorization, command: PassCommand) -> Action:
    if state.user is None:
        raise Pop3Error("send USER first")  # RFC 1939 §7: PASS follows a successful USER
    session.state = Authorization()
    if not session.plaintext_allowed():
        raise Pop3Error(*PLAINTEXT_REFUSED)
    result = await session.settings.auth.login(
        "pop3", session.peer_ip, state.user, command.password
    )
    return await finish_login(session, result)


async def apop(session: Pop3Session, state: Authorization, command: ApopCommand) -> Action:
    del session, state, command
    # RFC 1939 §7: APOP needs the password in clear on the server; courriel keeps hashes.
    raise Pop3Error("APOP is not supported; use USER/PASS or AUTH over TLS")


async def auth(session: Pop3Session, state: Authorization, command: AuthCommand) -> Action:
    del state
    mechanisms = offered_mechanisms(session.settings.auth, session.peer_ip, session.tls_active)
    if command.mechanism is None:
        # Not in RFC 5034, but clients from the RFC 1734 days send a bare AUTH to list the
        # mechanisms: answer as those servers did.
        return multiline_reply("authentication mechanisms follow", mechanisms)
    return RunAuth(command.mechanism, command.initial_response)


async def stls(session: Pop3Session, state: Authorization, command: StlsCommand) -> Action:
    del state, command
    if session.tls_active:
        raise Pop3Error("TLS already active")  # RFC 2595 §4
    if session.settings.tls is None:
        raise Pop3Error("STLS not available")
    return UpgradeTls()


async def utf8(session: Pop3Session, state: Authorization, command: Utf8Command) -> Action:
    del state, command
    # RFC 6856 §2: messages are sent as stored, never downgraded; user names and passwords
    # are UTF-8 with or without this command ("UTF8 USER").
    session.utf8 = True
    return ok("UTF8 enabled")


# --- TRANSACTION state (RFC 1939 §5, §7) --------------------------------------------------
#
# Each command has an immediate form that answers from memory (the maildrop, the messages
# read ahead) or returns None when it needs storage. The session offers commands to it as
# they arrive (``IMMEDIATE``), which saves an event-loop turn per round trip; the handler
# tries it first and reads storage otherwise, so both paths give the same replies.

ImmediateHandler = Callable[["Pop3Session", Transaction, Any], bytes | None]


def _ready(reply: bytes | None) -> bytes:
    assert reply is not None, "the sizes were just ensured"
    return reply


def _drop_sizes(maildrop: Maildrop) -> tuple[list[int], int, int] | None:
    """Every message's wire size, and the count and total size of the messages not marked
    as deleted (RFC 1939 §5 STAT and LIST); None while a size is unknown (content stored
    before sizes were recorded: ``ensure_wire_sizes`` of every message first)."""
    if (known := maildrop.wire_sizes()) is None:
        return None
    sizes, total = known
    deleted = maildrop.deleted
    if deleted:
        total -= sum(sizes[number - 1] for number in deleted)
    return sizes, len(sizes) - len(deleted), total


def stat_now(session: Pop3Session, state: Transaction, command: StatCommand) -> bytes | None:
    del session, command
    if (drop := _drop_sizes(state.maildrop)) is None:
        return None
    _, count, total = drop
    return stat_reply(count, total)


async def stat(session: Pop3Session, state: Transaction, command: StatCommand) -> Action:
    if (reply := stat_now(session, state, command)) is not None:
        return reply
    await ensure_wire_sizes(session, state.maildrop, state.maildrop.messages)
    return _ready(stat_now(session, state, command))


def list_now(session: Pop3Session, state: Transaction, command: ListCommand) -> bytes | None:
    del session
    maildrop = state.maildrop
    if command.message is not None:
        size = maildrop.message(command.message).wire_size
        return None if size is None else ok(scan_listing(command.message, size))
    if (drop := _drop_sizes(maildrop)) is None:
        return None
    sizes, count, total = drop
    return listing_reply(
        f"{_messages(count)} ({total} octets)", scan_listings(sizes, maildrop.deleted)
    )


async def list_(session: Pop3Session, state: Transaction, command: ListCommand) -> Action:
    if (reply := list_now(session, state, command)) is not None:
        return reply
    maildrop = state.maildrop
    if command.message is not None:
        await ensure_wire_sizes(session, maildrop, [maildrop.message(command.message)])
    else:
        await ensure_wire_sizes(session, maildrop, maildrop.messages)
    return _ready(list_now(session, state, command))


def uidl_now(session: Pop3Session, state: Transaction, command: UidlCommand) -> bytes:
    del session
    maildrop = state.maildrop
    if command.message is not None:
        message = maildrop.message(command.message)
        return ok(unique_id_listing(command.message, maildrop.unique_id(message)))
    return listing_reply(
        "unique-id listing follows", unique_id_listings(maildrop.unique_ids(), maildrop.deleted)
    )


async def uidl(session: Pop3Session, state: Transaction, command: UidlCommand) -> Action:
    return uidl_now(session, state, command)


def retr_now(session: Pop3Session, state: Transaction, command: RetrCommand) -> bytes | None:
    maildrop = state.maildrop
    number = command.message
    message = maildrop.message(number)
    data = maildrop.read_ahead.take(number)
    if data is None:
        return None
    maildrop.retrieved.add(number)
    refill_while_pipelining(session, maildrop)
    return retr_reply(message, data)


async def retr(session: Pop3Session, state: Transaction, command: RetrCommand) -> Action:
    if (reply := retr_now(session, state, command)) is not None:
        return reply
    maildrop = state.maildrop
    message = maildrop.message(command.message)
    if message.content.size >= READ_CHUNK:
        first = await read(session, message.content, 0, READ_CHUNK)
        maildrop.retrieved.add(command.message)
        return Stream(ok("message follows"), _stuffed_chunks(session, message.content, first))
    data = await read_with_read_ahead(session, maildrop, command.message)
    maildrop.retrieved.add(command.message)
    return retr_reply(message, data)


_TOP_STATUS = ok("top of message follows")


def _top_reply(message: MaildropMessage, data: bytes, lines: int) -> bytes:
    """TOP's reply for a message whose bytes are ``data``: RETR's body when TOP asks for
    every line (as collectors that leave mail on the server do: fetchmail's "keep" sends
    "TOP n 99999999")."""
    head = top_lines(data, lines)
    if head is not data:
        return _TOP_STATUS + dot_stuff(head)
    return multiline_body(_TOP_STATUS, message, data)


def top_now(session: Pop3Session, state: Transaction, command: TopCommand) -> bytes | None:
    # Not RETR: the message is not flagged \Seen at QUIT, whatever pop3.mark_seen says.
    del session
    maildrop = state.maildrop
    message = maildrop.message(command.message)
    data = maildrop.read_ahead.take(command.message)
    if data is None:
        return None
    return _top_reply(message, data, command.lines)


async def top(session: Pop3Session, state: Transaction, command: TopCommand) -> Action:
    if (reply := top_now(session, state, command)) is not None:
        return reply
    maildrop = state.maildrop
    message = maildrop.message(command.message)
    if message.content.size < READ_CHUNK:
        # Collectors that leave mail on the server download with TOP (fetchmail's "keep"
        # sends "TOP n 99999999"), so TOP reads ahead as RETR does.
        data = await read_with_read_ahead(session, maildrop, command.message)
        return _top_reply(message, data, command.lines)
    data = b""
    while True:
        chunk = await read(session, message.content, len(data), READ_CHUNK)
        data += chunk
        head = top_lines(data, command.lines)
        # Done when the whole message is in, or the cut falls before the end of what was
        # read (a shorter prefix could not have ended the headers or the lines early).
        if len(chunk) < READ_CHUNK or len(head) < len(data):
            return _TOP_STATUS + dot_stuff(head)


def dele_now(session: Pop3Session, state: Transaction, command: DeleCommand) -> bytes:
    del session
    state.maildrop.message(command.message)
    state.maildrop.deleted.add(command.message)  # RFC 1939 §5: removed at QUIT only
    return ok(f"message {command.message} deleted")


async def dele(session: Pop3Session, state: Transaction, command: DeleCommand) -> Action:
    return dele_now(session, state, command)


def noop_now(session: Pop3Session, state: Transaction, command: NoopCommand) -> bytes:
    del session, state, command
    return ok()


async def noop(session: Pop3Session, state: Transaction, command: NoopCommand) -> Action:
    return noop_now(session, state, command)


def rset_now(session: Pop3Session, state: Transaction, command: RsetCommand) -> bytes:
    del session, command
    state.maildrop.deleted.clear()  # RFC 1939 §5
    return ok(f"maildrop has {_messages(len(state.maildrop.messages))}")


async def rset(session: Pop3Session, state: Transaction, command: RsetCommand) -> Action:
    return rset_now(session, state, command)


# --- any state ---------------------------------------------------------------------------


async def capa(session: Pop3Session, state: State, command: CapaCommand) -> Action:
    del command
    settings = dataclasses.replace(
        session.settings.capabilities,
        sasl_mechanisms=offered_mechanisms(
            session.settings.auth, session.peer_ip, session.tls_active
        ),
        starttls_available=session.settings.tls is not None,
    )
    return capa_reply(
        settings,
        authenticated=isinstance(state, Transaction),
        tls_active=session.tls_active,
        plaintext_login_allowed=session.plaintext_allowed(),
    )


async def quit_(session: Pop3Session, state: State, command: QuitCommand) -> Action:
    del command
    goodbye = f"{session.settings.hostname} POP3 server signing off"
    if isinstance(state, Authorization):
        return Close(ok(goodbye))  # RFC 1939 §4: no UPDATE state from AUTHORIZATION
    # RFC 1939 §6: the UPDATE state. The marked messages go in one transaction or not at
    # all; MailStore tells IMAP sessions they are gone.
    maildrop = state.maildrop
    mailstore = session.settings.mailstore
    removed = 0
    try:
        marked = maildrop.marked_uids()
        if marked:
            result = await mailstore.remove(maildrop.account_id, maildrop.mailbox_id, marked)
            removed = len(result.uids)
    except StorageError:
        log.exception("[%s] UPDATE failed for %s", session.connection.info.id, state.principal)
        return Close(err("some deleted messages not removed", RespCode.SYS_TEMP))
    if session.settings.mark_seen and (retrieved := maildrop.retrieved_uids()):
        try:
            await mailstore.store_flags(
                maildrop.account_id, maildrop.mailbox_id, retrieved, "add", ["\\Seen"]
            )
        except StorageError:  # the deletions stand; \Seen is a courtesy
            log.exception(
                "[%s] could not flag retrieved messages \\Seen", session.connection.info.id
            )
    return Close(ok(f"{goodbye} ({_messages(removed)} deleted)"))


# --- the table ---------------------------------------------------------------------------

HANDLERS: Mapping[type[Pop3Command], Handler] = MappingProxyType(
    {
        UserCommand: user,
        PassCommand: pass_,
        ApopCommand: apop,
        AuthCommand: auth,
        StlsCommand: stls,
        Utf8Command: utf8,
        StatCommand: stat,
        ListCommand: list_,
        RetrCommand: retr,
        DeleCommand: dele,
        NoopCommand: noop,
        RsetCommand: rset,
        TopCommand: top,
        UidlCommand: uidl,
        QuitCommand: quit_,
        CapaCommand: capa,
    }
)
"""Command type → handler. The states each is valid in: ``protocol.COMMANDS[verb].states``."""

IMMEDIATE: Mapping[type[Pop3Command], ImmediateHandler] = MappingProxyType(
    {
        StatCommand: stat_now,
        ListCommand: list_now,
        UidlCommand: uidl_now,
        RetrCommand: retr_now,
        TopCommand: top_now,
        DeleCommand: dele_now,
        NoopCommand: noop_now,
        RsetCommand: rset_now,
    }
)
"""TRANSACTION command type → its immediate form: the reply from memory, or None when the
handler must read storage. Valid only in TRANSACTION, like the commands."""
