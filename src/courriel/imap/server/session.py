"""One IMAP session: read a command, parse it, look it up, check the state, run it, reply.

The loop feeds received bytes to the pure ``CommandFramer`` (answering ``+`` for
synchronising literals, RFC 9051 §4.3), parses each frame with ``parse_command``, finds the
command in ``dispatch.COMMANDS`` (which says the states that allow it), calls the handler
and writes what it returns. Before each tagged response of a command run while a mailbox is
selected it reports what changed in that mailbox (RFC 9051 §5.2, §7.4.1), holding EXPUNGE
back during FETCH, STORE and SEARCH (RFC 9051 §7.5.1).

It also carries out the handlers' I/O actions: STARTTLS (plaintext pipelined behind the
command is dropped, RFC 9051 §11.1), AUTHENTICATE exchanges (``+ challenge`` lines,
RFC 9051 §6.2.2), IDLE (updates pushed as the ChangeBus announces them, until ``DONE``,
RFC 2177), COMPRESS=DEFLATE (RFC 4978) and LOGOUT.

Limits: line length and literal size (``limits.max_line_length``, ``limits.max_message_size``;
smaller literals before login), ``limits.command_timeout`` before login and
``limits.idle_timeout`` after it (RFC 9051 §5.4: at least 30 minutes), a cap on consecutive
bad commands, commands paced by a token bucket (``limits.commands_per_second``: a command
over the rate waits, at most 1/rate seconds, and is never refused) and logged-in sessions
per account (``limits.max_connections_per_account``, counted with POP3's: a login over it
gets ``NO [LIMIT]``; the slot is given back however the session ends). An unexpected
exception is logged once with the connection id, user and command; the client gets
``BAD [SERVERBUG]`` and keeps its connection. Nothing raises to the socket.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import zlib
from dataclasses import dataclass

from courriel import sasl
from courriel.directory.auth import AuthResult, AuthService, Outcome, Principal
from courriel.directory.saslbridge import SaslRefused, authenticate, offered_mechanisms
from courriel.imap.protocol import (
    CommandFrame,
    CommandFramer,
    FramingError,
    FramingLimits,
    NeedContinuation,
    NeedMore,
    ParseContext,
    ParseError,
    framing_error_response,
    is_idle_done,
    parse_command,
    parse_error_response,
    serialize,
)
from courriel.imap.protocol.codes import (
    ALERT,
    AUTHENTICATIONFAILED,
    CONTACTADMIN,
    LIMIT,
    PRIVACYREQUIRED,
    SERVERBUG,
    UNAVAILABLE,
    ResponseCode,
    capability_code,
)
from courriel.imap.protocol.commands import Command
from courriel.imap.protocol.errors import UnknownTransferEncoding
from courriel.imap.protocol.responses import (
    Continuation,
    Response,
    Tagged,
    Untagged,
    bad,
    bye,
    no,
    ok,
)
from courriel.imap.server import dispatch
from courriel.imap.server.actions import (
    Action,
    Authenticate,
    Compress,
    Idle,
    Logout,
    StartTls,
)
from courriel.imap.server.capabilities import capabilities
from courriel.imap.server.errors import Bye, ImapError, storage_error_response
from courriel.imap.server.state import Authenticated, NotAuthenticated, Selected, State
from courriel.mailstore.service import MailStore
from courriel.net import Connection, ConnectionClosed, ReadTimeout, TlsContextProvider
from courriel.net.errors import TlsError
from courriel.net.limits import ConnectionCounter, CountedKey
from courriel.net.ratelimit import CommandRate, pace
from courriel.storage.errors import NotFound, StorageError
from courriel.storage.ports import ChangeBus, Subscription
from courriel.storage.records import MailboxChange

log = logging.getLogger("courriel.imap")

READ_CHUNK = 65536
FLUSH_THRESHOLD = 64 * 1024
MAX_CONSECUTIVE_ERRORS = 20
#: Before login a client needs literals only for a user name or password.
PRE_LOGIN_LIMITS = FramingLimits(
    max_literal_size=16 * 1024, max_command_size=64 * 1024, max_nonsync_literal_size=None
)
#: Decompressed bytes fed to the framer per step, so a compression bomb cannot fill memory.
INFLATE_STEP = 256 * 1024


@dataclass(frozen=True)
class SessionSettings:
    """What a listener's sessions share."""

    hostname: str
    mailstore: MailStore
    auth: AuthService
    bus: ChangeBus
    tls: TlsContextProvider | None
    separator: str
    max_message_size: int
    max_line_length: int
    command_timeout: float
    idle_timeout: float
    command_rate: CommandRate | None = None
    """Pacing of each session's commands; None: none."""
    account_connections: ConnectionCounter[int] | None = None
    """Logged-in sessions per account id, shared with POP3; None: no limit."""

    def framing_limits(self) -> FramingLimits:
        """After login: literals up to the message size limit (RFC 7889 APPENDLIMIT); a
        MULTIAPPEND may carry several."""
        return FramingLimits(
            max_line_length=self.max_line_length,
            max_literal_size=self.max_message_size,
            max_command_size=self.max_message_size * 8,
            max_nonsync_literal_size=None,  # LITERAL+ (RFC 7888 §3), bounded by the above
        )


class ImapSession:
    def __init__(self, connection: Connection, settings: SessionSettings, *, implicit_tls: bool):
        self.connection = connection
        self.settings = settings
        self.mailstore = settings.mailstore
        self.state: State = NotAuthenticated()
        self.tls_active = implicit_tls
        self.peer_ip = connection.info.peer_ip
        self.enabled: set[str] = set()
        """Extensions the client turned on: ENABLE (RFC 5161), or CONDSTORE by use
        (RFC 7162 §3.1)."""
        self.framer = CommandFramer(
            FramingLimits(
                max_line_length=settings.max_line_length,
                max_literal_size=PRE_LOGIN_LIMITS.max_literal_size,
                max_command_size=PRE_LOGIN_LIMITS.max_command_size,
                max_nonsync_literal_size=None,
            )
        )
        self.closing = False
        self.errors = 0
        self.command_name = ""
        self._out: list[bytes] = []
        self._out_size = 0
        self._deflater: zlib._Compress | None = None
        self._inflater: zlib._Decompress | None = None
        self._subscription: Subscription | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()
        self._pacing = settings.command_rate.bucket() if settings.command_rate else None
        self._counted_account = CountedKey(settings.account_connections)

    # -- facts handlers use ------------------------------------------------------------------

    @property
    def principal(self) -> Principal | None:
        state = self.state
        return None if isinstance(state, NotAuthenticated) else state.principal

    @property
    def utf8(self) -> bool:
        """UTF-8 mailbox names and strings (RFC 9051 §5.1, RFC 6855 §3)."""
        return "IMAP4REV2" in self.enabled or "UTF8=ACCEPT" in self.enabled

    @property
    def rev2(self) -> bool:
        """The client enabled IMAP4rev2 (RFC 9051 §2: otherwise we answer as IMAP4rev1)."""
        return "IMAP4REV2" in self.enabled

    @property
    def condstore(self) -> bool:
        return "CONDSTORE" in self.enabled or "QRESYNC" in self.enabled

    @property
    def qresync(self) -> bool:
        return "QRESYNC" in self.enabled

    @property
    def compression_active(self) -> bool:
        return self._deflater is not None

    def plaintext_allowed(self) -> bool:
        """Passwords may be sent: TLS, or loopback when the config allows it."""
        return self.settings.auth.plaintext_allowed(self.peer_ip, self.tls_active)

    def capabilities(self) -> tuple[str, ...]:
        logged_in = not isinstance(self.state, NotAuthenticated)
        return capabilities(
            logged_in=logged_in,
            starttls_available=self.settings.tls is not None and not self.tls_active,
            mechanisms=offered_mechanisms(self.settings.auth, self.peer_ip, self.tls_active),
            compression_active=self.compression_active,
            append_limit=self.settings.max_message_size,
        )

    def enable_condstore(self) -> None:
        """A CONDSTORE-enabling command was used (RFC 7162 §3.1)."""
        self.enabled.add("CONDSTORE")

    # -- writing -----------------------------------------------------------------------------

    async def send(self, *responses: Response) -> None:
        """Queue responses; they are written when enough is queued or at :meth:`flush`."""
        for response in responses:
            data = serialize(response, utf8=self.utf8)
            self._out.append(data)
            self._out_size += len(data)
        if self._out_size >= FLUSH_THRESHOLD:
            await self.flush()

    async def flush(self) -> None:
        """Write what is queued and wait while the client is slow to read."""
        if self._write_queued():
            await self.connection.drain()

    def _write_queued(self) -> bool:
        if not self._out:
            return False
        data = b"".join(self._out)
        self._out.clear()
        self._out_size = 0
        if self._deflater is not None:
            data = self._deflater.compress(data) + self._deflater.flush(zlib.Z_SYNC_FLUSH)
        if self.connection.is_closing:
            return False
        self.connection.write(data)
        return True

    # -- reading -----------------------------------------------------------------------------

    def _timeout(self) -> float:
        if isinstance(self.state, NotAuthenticated):
            return self.settings.command_timeout
        return self.settings.idle_timeout  # RFC 9051 §5.4

    async def _receive(self, timeout: float | None) -> None:
        """Feed the framer with the next bytes from the client (decompressed if needed)."""
        inflater = self._inflater
        if inflater is not None and inflater.unconsumed_tail:
            self.framer.feed(inflater.decompress(inflater.unconsumed_tail, INFLATE_STEP))
            return
        data = await self.connection.read_some(READ_CHUNK, timeout=timeout)
        if inflater is not None:
            try:
                data = inflater.decompress(data, INFLATE_STEP)
            except zlib.error:
                raise Bye("Invalid compressed data") from None
        self.framer.feed(data)

    async def _next_frame(self) -> CommandFrame:
        """The next complete command; answers continuation requests and framing errors."""
        while True:
            event = self.framer.next_event()
            if isinstance(event, CommandFrame):
                return event
            if isinstance(event, NeedContinuation):
                await self.send(Continuation("Ready for literal data"))  # RFC 9051 §7.5
                await self.flush()
            elif isinstance(event, FramingError):
                await self.send(framing_error_response(event))
                await self.flush()
                if event.skip > self.framer.limits.max_literal_size:
                    # RFC 7888 §4: rather than swallow a huge literal sent without asking.
                    raise Bye("Literal too large")
                self._count_error()
            else:
                assert isinstance(event, NeedMore)
                await self._receive(self._timeout())

    async def _next_line(self) -> CommandFrame | None:
        """A client line that is not a command (SASL response, DONE); None if it broke a
        framing limit."""
        while True:
            event = self.framer.next_event()
            if isinstance(event, CommandFrame):
                return event
            if isinstance(event, (FramingError, NeedContinuation)):
                self.framer.discard_buffered()
                return None
            await self._receive(self._timeout())

    def _count_error(self) -> None:
        self.errors += 1
        if self.errors >= MAX_CONSECUTIVE_ERRORS:
            raise Bye("Too many invalid commands")

    # -- the loop ----------------------------------------------------------------------------

    async def run(self) -> None:
        connection = self.connection
        try:
            # RFC 9051 §7.1.1: the greeting may carry the capabilities.
            await self.send(
                Untagged("OK", f"{self.settings.hostname} IMAP ready", self._capability_code())
            )
            await self.flush()
            while not self.closing:
                frame = await self._next_frame()
                await pace(self._pacing, self.flush)
                await self._execute(frame)
        except ConnectionClosed:
            pass
        except ReadTimeout:
            await self._say_goodbye(bye("Autologout; idle for too long"))
        except Bye as error:
            await self._say_goodbye(error.response(""))
        except TlsError as error:
            log.info("[%s] TLS handshake failed: %s", connection.info.id, error)
            connection.abort()
            return
        except Exception:
            log.exception(
                "[%s] IMAP session failed (user %s, command %s)",
                connection.info.id,
                self._user(),
                self.command_name or "-",
            )
            await self._say_goodbye(bye("Internal error, closing connection", SERVERBUG))
        finally:
            self._release_account()
            await self._stop_watching()
        await connection.close_and_wait(5.0)

    async def _say_goodbye(self, response: Response) -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            await self.send(response)
            await self.flush()

    def _claim_account(self, principal: Principal) -> bool:
        """Count this session as one of the account's (False: it has too many)."""
        if self._counted_account.claim(principal.account_id):
            return True
        assert self.settings.account_connections is not None  # else nothing is refused
        log.info(
            "[%s] login of %s refused: %d sessions already",
            self.connection.info.id,
            principal.address,
            self.settings.account_connections.maximum,
        )
        return False

    def _release_account(self) -> None:
        self._counted_account.release()

    def _user(self) -> str:
        principal = self.principal
        return principal.address if principal is not None else "-"

    def _capability_code(self) -> ResponseCode:
        return capability_code(self.capabilities())

    async def _execute(self, frame: CommandFrame) -> None:
        try:
            command = parse_command(frame, ParseContext(utf8=self.utf8))
        except ParseError as error:
            await self.send(parse_error_response(error))
            await self.flush()
            self._count_error()
            return
        entry = dispatch.COMMANDS[type(command)]
        if not isinstance(self.state, entry.states):
            await self.send(bad(command.tag, dispatch.wrong_state_text(self.state, command)))
            await self.flush()
            self._count_error()
            return
        self.command_name = command.name
        outcome = await self._run_handler(entry, command)
        if isinstance(outcome, (Tagged, Untagged)):
            await self._finish(command, outcome)
        else:
            await self._perform(command, outcome)
        self.command_name = ""

    async def _run_handler(
        self, entry: dispatch.Entry, command: Command
    ) -> Tagged | Untagged | Action:
        tag = command.tag
        try:
            return await entry.handler(self, self.state, command)
        except ImapError as error:
            if isinstance(error, Bye):
                raise
            return error.response(tag)
        except StorageError as error:
            return storage_error_response(tag, error)
        except UnknownTransferEncoding as error:
            return no(tag, error.text, error.code)  # RFC 3516 §4.3
        except (ConnectionClosed, ReadTimeout, TlsError):
            raise
        except Exception:
            log.exception(
                "[%s] IMAP command failed (user %s, command %s)",
                self.connection.info.id,
                self._user(),
                command.name,
            )
            self.errors += 1
            return bad(tag, "Internal server error", SERVERBUG)

    async def _finish(self, command: Command, response: Tagged | Untagged) -> None:
        """Report mailbox changes, then the command's own response (RFC 9051 §7.5.1)."""
        if isinstance(response, Tagged):
            if response.status == "OK":
                self.errors = 0
            await self.report_updates(expunges=dispatch.may_send_expunge(command))
        await self.send(response)
        await self.flush()

    # -- mailbox updates ---------------------------------------------------------------------

    async def report_updates(self, *, expunges: bool) -> None:
        """Tell the client what changed in the selected mailbox since it last heard."""
        state = self.state
        if not isinstance(state, Selected):
            return
        view = state.view
        subscription = self._subscription
        if subscription is not None and subscription.overflowed:
            view.dirty = True  # events were lost: the store is the truth
        if view.dirty:
            view.dirty = False
            try:
                changes = await self.mailstore.changes_since(view.mailbox_id, view.modseq)
            except NotFound:
                raise Bye("Selected mailbox was deleted, have to disconnect") from None
            await self.send(
                *view.apply(
                    changes, expunges=expunges, condstore=self.condstore, qresync=self.qresync
                )
            )
        elif expunges and view.expunged:
            await self.send(*view.announce_expunges(qresync=self.qresync))

    def start_watching(self, account_id: int) -> None:
        """Follow the account's ChangeBus events (for updates and IDLE)."""
        subscription = self.settings.bus.subscribe(account_id)
        self._subscription = subscription
        self._watcher = asyncio.create_task(self._watch(subscription))

    async def _watch(self, subscription: Subscription) -> None:
        async for change in subscription:
            self._changed(change)

    def _changed(self, change: MailboxChange) -> None:
        state = self.state
        if isinstance(state, Selected) and change.mailbox_id == state.view.mailbox_id:
            state.view.dirty = True
            self._wakeup.set()

    async def _stop_watching(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher

    def logged_in(self, tag: str, result: AuthResult) -> Tagged:
        """The end of LOGIN or AUTHENTICATE (RFC 9051 §6.2.2, §6.2.3, RFC 5530 codes)."""
        match result.outcome:
            case Outcome.OK:
                assert result.principal is not None
                if not self._claim_account(result.principal):
                    # RFC 5530 §3: an implementation limit; the session stays unauthenticated.
                    return no(tag, "Too many connections for this account", LIMIT)
                self.state = Authenticated(result.principal)
                self.framer.limits = self.settings.framing_limits()
                self.start_watching(result.principal.account_id)
                log.info(
                    "[%s] %s logged in (%s)",
                    self.connection.info.id,
                    result.principal.address,
                    result.principal.method,
                )
                # RFC 9051 §6.2.3: the OK may carry the capabilities of the new state.
                return ok(tag, "Logged in", capability_code(self.capabilities()))
            case Outcome.BANNED:
                raise Bye(result.message, UNAVAILABLE)
            case Outcome.APP_PASSWORD_REQUIRED:
                return no(tag, result.message, ALERT)  # RFC 9051 §7.1: show it to the user
            case Outcome.DISABLED:
                return no(tag, "Account disabled", CONTACTADMIN)
            case _:
                return no(tag, "Authentication failed", AUTHENTICATIONFAILED)

    # -- actions -----------------------------------------------------------------------------

    async def _perform(self, command: Command, action: Action) -> None:
        match action:
            case StartTls(tag):
                await self._start_tls(tag)
            case Authenticate(tag, mechanism, initial_response):
                response = await self._authenticate(tag, mechanism, initial_response)
                await self._finish(command, response)
            case Idle(tag):
                response = await self._idle(tag)
                await self._finish(command, response)
            case Compress(tag):
                await self._start_compression(tag)
            case Logout(tag):
                await self.send(bye("Logging out"), ok(tag, "LOGOUT completed"))  # §6.1.3
                await self.flush()
                self.closing = True

    async def _start_tls(self, tag: str) -> None:
        assert self.settings.tls is not None
        # RFC 9051 §11.1: nothing the client pipelined in plaintext may be read as a command
        # of the TLS session.
        dropped = self.framer.discard_buffered() + len(self.connection.discard_pending())
        if dropped:
            log.info(
                "[%s] discarded %d octets pipelined before STARTTLS",
                self.connection.info.id,
                dropped,
            )
        await self.send(ok(tag, "Begin TLS negotiation now"))
        # Nothing is awaited between the OK and the handshake, so the ClientHello cannot
        # land in the plaintext buffer (see Connection.start_tls).
        self._write_queued()
        await self.connection.start_tls(self.settings.tls)
        self.tls_active = True

    async def _start_compression(self, tag: str) -> None:
        # RFC 4978 §3: both directions are compressed right after the OK's CRLF.
        self.framer.discard_buffered()
        self.connection.discard_pending()
        await self.send(ok(tag, "DEFLATE active"))
        await self.flush()
        self._deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._inflater = zlib.decompressobj(-15)

    async def _authenticate(
        self, tag: str, mechanism: str, initial_response: bytes | None
    ) -> Tagged:
        async def exchange(challenge: bytes) -> bytes | sasl.Cancelled | sasl.MalformedResponse:
            await self.send(Continuation.challenge(challenge))  # RFC 9051 §6.2.2
            await self.flush()
            line = await self._next_line()
            if line is None:
                return sasl.MalformedResponse("response too long")
            return sasl.decode_response(line.data)

        initial: str | None = None
        if initial_response is not None:  # RFC 4959 §3: "=" is the empty response
            initial = base64.b64encode(initial_response).decode("ascii") or "="
        result = await authenticate(
            self.settings.auth,
            protocol="imap",
            peer_ip=self.peer_ip,
            secure=self.tls_active,
            mechanism=mechanism,
            initial_response=initial,
            exchange=exchange,
        )
        match result:
            case SaslRefused("unknown-mechanism"):
                return no(tag, f"Unsupported authentication mechanism {mechanism}")
            case SaslRefused("encryption-required"):
                return no(tag, "Use STARTTLS first", PRIVACYREQUIRED)  # RFC 9051 §6.2.2
            case SaslRefused("cancelled"):
                return bad(tag, "Authentication cancelled")  # RFC 9051 §6.2.2: BAD
            case SaslRefused():
                return bad(tag, "Invalid SASL response")
            case _:
                return self.logged_in(tag, result)

    async def _idle(self, tag: str) -> Tagged:
        """RFC 2177, RFC 9051 §6.3.13: updates as they happen, until DONE."""
        await self.send(Continuation("idling"))
        self._wakeup.clear()
        await self.report_updates(expunges=True)
        await self.flush()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.idle_timeout
        while True:
            event = self.framer.next_event()
            if isinstance(event, CommandFrame):
                if is_idle_done(event):
                    return ok(tag, "IDLE terminated")
                return bad(tag, "Expected DONE")
            if isinstance(event, (FramingError, NeedContinuation)):
                self.framer.discard_buffered()
                return bad(tag, "Expected DONE")
            receive = asyncio.ensure_future(self._receive(None))
            try:
                while not receive.done():
                    if self._wakeup.is_set():  # the ChangeBus announced a change here
                        self._wakeup.clear()
                        await self.report_updates(expunges=True)
                        await self.flush()
                        continue
                    woken = asyncio.ensure_future(self._wakeup.wait())
                    done, _ = await asyncio.wait(
                        {receive, woken},
                        timeout=max(deadline - loop.time(), 0),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if not woken.done():
                        woken.cancel()
                        await asyncio.gather(woken, return_exceptions=True)
                    if not done:
                        raise ReadTimeout(self.settings.idle_timeout)
            finally:
                if not receive.done():
                    receive.cancel()
                    await asyncio.gather(receive, return_exceptions=True)
            receive.result()
