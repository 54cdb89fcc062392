"""One POP3 session: read a command, parse it, check the state, run its handler, reply.

The loop also carries out the handlers' I/O actions: streaming a large message, STLS
(discarding anything pipelined before the handshake, RFC 2595 §4, and forgetting the
session), and SASL exchanges (RFC 5034 §4). Limits: line length (RFC 2449 §4), a timeout
per command, errors per session, commands paced by a token bucket
(``limits.commands_per_second``: a command over the rate waits, at most 1/rate seconds, and
is never refused). Replies to pipelined commands are written together and flushed when the
client's input is drained (RFC 2449 §6.6).

At login the session takes the maildrop lock and one of the account's session slots
(``limits.max_connections_per_account``, counted together with IMAP's); both are released
when the session ends, however it ends.
Replies are queued and sent together when no further command is waiting in the input (or
``OUTPUT_BATCH`` octets are queued), so a pipelining client gets a window of replies in one
write rather than one system call each; any other write sends the queue first, in order.
While the loop waits for a command, a TRANSACTION command that memory can answer (RETR of a
message read ahead, DELE, UIDL...: ``handlers.IMMEDIATE``) is answered as it arrives
(``Connection.answer_lines_with``), an event-loop turn sooner; the rest wakes the loop.

Only QUIT in TRANSACTION removes messages (RFC 1939 §6): a dropped connection, a timeout
(RFC 1939 §3: closed without a reply and without UPDATE) or an error deletes nothing. An
unexpected exception is logged once with the connection id, the user and the command; the
client gets a generic -ERR.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from courriel import sasl
from courriel.directory.auth import AuthService
from courriel.directory.saslbridge import SaslRefused, authenticate
from courriel.mailstore.service import MailStore
from courriel.net import Connection, ConnectionClosed, LineTooLong, ReadTimeout, TlsContextProvider
from courriel.net.errors import TlsError
from courriel.net.limits import ConnectionCounter, CountedKey
from courriel.net.ratelimit import CommandRate, pace
from courriel.pop3 import handlers
from courriel.pop3.capabilities import CapabilitySettings
from courriel.pop3.errors import Pop3Error, Pop3SyntaxError
from courriel.pop3.protocol import COMMANDS, READ_LIMIT, PassCommand, parse_command
from courriel.pop3.responses import RespCode, err, ok
from courriel.pop3.state import Authorization, MaildropLocks, State, Transaction
from courriel.storage.errors import StorageError

log = logging.getLogger("courriel.pop3")

MAX_ERRORS = 20
"""Syntax errors and commands in the wrong state before the session is closed."""
MIN_AUTOLOGOUT = 600.0
"""RFC 1939 §3: an inactivity timer in TRANSACTION lasts at least 10 minutes."""
OUTPUT_BATCH = 256 * 1024
"""Queued reply octets that are sent (and waited on) even while more commands are waiting."""


class SessionSettings:
    """What a listener's sessions share.

    ``mark_seen`` (``[pop3] mark_seen``): flag messages retrieved whole by RETR ``\\Seen``
    at QUIT (off by default: a POP3 client that leaves mail on the server should not make
    it look read in the webmail). ``transaction_timeout`` defaults to ``command_timeout``,
    at least 10 minutes.
    ``command_rate`` paces each session's commands; ``account_connections`` counts logged-in
    sessions per account id with IMAP's (None: no pacing, no limit).
    """

    def __init__(
        self,
        *,
        hostname: str,
        mailstore: MailStore,
        auth: AuthService,
        tls: TlsContextProvider | None,
        locks: MaildropLocks,
        command_timeout: float,
        transaction_timeout: float | None = None,
        capabilities: CapabilitySettings | None = None,
        mark_seen: bool = False,
        command_rate: CommandRate | None = None,
        account_connections: ConnectionCounter[int] | None = None,
    ) -> None:
        self.hostname = hostname
        self.mailstore = mailstore
        self.auth = auth
        self.tls = tls
        self.locks = locks
        self.command_timeout = command_timeout
        self.transaction_timeout = (
            max(command_timeout, MIN_AUTOLOGOUT)
            if transaction_timeout is None
            else transaction_timeout
        )
        self.capabilities = capabilities or CapabilitySettings(implementation="courriel")
        self.mark_seen = mark_seen
        self.command_rate = command_rate
        self.account_connections = account_connections


class Pop3Session:
    def __init__(
        self, connection: Connection, settings: SessionSettings, *, implicit_tls: bool
    ) -> None:
        self.connection = connection
        self.settings = settings
        self.state: State = Authorization()
        self.tls_active = implicit_tls
        self.utf8 = False
        self.errors = 0
        self.peer_ip = connection.info.peer_ip
        self._locked_account: int | None = None
        self._counted_account = CountedKey(settings.account_connections)
        self._pacing = settings.command_rate.bucket() if settings.command_rate else None
        self._verb = ""
        self._output: list[bytes] = []
        self._output_size = 0
        self._background: set[asyncio.Task[None]] = set()

    # -- facts and resources handlers use --------------------------------------------------

    def plaintext_allowed(self) -> bool:
        """Passwords need TLS, or loopback when ``auth.plaintext_on_loopback`` is on."""
        return self.settings.auth.plaintext_allowed(self.peer_ip, self.tls_active)

    def claim_maildrop(self, account_id: int) -> bool:
        """Lock the account's maildrop for this session; False when another holds it."""
        if not self.settings.locks.acquire(account_id):
            return False
        self._locked_account = account_id
        return True

    def release_maildrop(self) -> None:
        if self._locked_account is not None:
            self.settings.locks.release(self._locked_account)
            self._locked_account = None

    def claim_account(self, account_id: int) -> bool:
        """Count this session as one of the account's; False when it has too many."""
        return self._counted_account.claim(account_id)

    def release_account(self) -> None:
        self._counted_account.release()

    def in_background(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run ``work`` beside the session (cancelled when the session ends)."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def commands_waiting(self) -> bool:
        """Whether the client already sent commands beyond the one being answered (it
        pipelines). Two whole lines: one answered as it arrives is still buffered."""
        return self.connection.has_lines(2)

    # -- the loop --------------------------------------------------------------------------

    async def run(self) -> None:
        connection = self.connection
        self._write(ok(f"{self.settings.hostname} POP3 server ready"))  # RFC 1939 §4
        connection.answer_lines_with(self._answer_now, READ_LIMIT)
        try:
            await self._send()
            while True:
                action = await self._next_action()
                if action is not None and not await self._perform(action):
                    break
        except ConnectionClosed:
            pass
        except ReadTimeout:
            # RFC 1939 §3: close without a response and without entering UPDATE.
            log.info("[%s] autologout after %s", connection.info.id, self._describe())
        except TlsError as error:
            log.info("[%s] TLS handshake failed: %s", connection.info.id, error)
            connection.abort()
        except Exception:
            log.exception("[%s] POP3 session failed (%s)", connection.info.id, self._describe())
            self._write(err("internal error, closing connection", RespCode.SYS_TEMP))
        finally:
            connection.answer_lines_with(None)
            for task in self._background:
                task.cancel()
            self.release_maildrop()
            self.release_account()
        self._send_queued()
        await connection.close_and_wait(5.0)

    def _describe(self) -> str:
        state = self.state
        who = state.principal.address if isinstance(state, Transaction) else "not logged in"
        return f"{who}, {state.protocol_state.value}, last command {self._verb or '-'}"

    def _write(self, data: bytes) -> None:
        """Queue ``data`` after what is queued already (``_flush`` or ``_send`` sends it)."""
        self._output.append(data)
        self._output_size += len(data)

    def _send_queued(self) -> None:
        if not self._output:
            return
        data = b"".join(self._output)
        self._output.clear()
        self._output_size = 0
        if not self.connection.is_closing:
            self.connection.write(data)

    async def _send(self) -> None:
        """Send what is queued, then wait while the client is slow to read."""
        self._send_queued()
        await self.connection.drain()

    async def _flush(self) -> None:
        """After a reply: send, unless the client pipelined another command already (RFC
        2449 §6.6), whose reply can then go out in the same write."""
        if self.connection.has_line() and self._output_size < OUTPUT_BATCH:
            return
        await self._send()

    def _answer_now(self, line: bytes) -> bytes | None:
        """The reply to a command line that arrived while the loop waits for one, when
        memory can give it: a TRANSACTION command with an immediate form that needs no
        storage. None leaves the line to the loop (which parses it again): syntax errors,
        other states and commands, anything that must read storage or wait."""
        state = self.state
        if not isinstance(state, Transaction) or self._output:
            return None
        if self._pacing is not None and not self._pacing.ready():
            return None  # over the rate: the loop waits before it reads this line
        try:
            command = parse_command(line)
        except Pop3SyntaxError:
            return None
        immediate = handlers.IMMEDIATE.get(type(command))
        if immediate is None:
            return None
        try:
            reply = immediate(self, state, command)
        except Pop3Error as error:
            reply = error.reply  # as the loop would answer it (not a counted error)
        if reply is not None:
            self._verb = command.verb
            if self._pacing is not None:
                self._pacing.take()  # ready() said a token is there
        return reply

    def _timeout(self) -> float:
        if isinstance(self.state, Transaction):
            return self.settings.transaction_timeout
        return self.settings.command_timeout

    async def _next_action(self) -> handlers.Action | None:
        try:
            line = await self.connection.readline(READ_LIMIT, timeout=self._timeout())
        except LineTooLong:
            self._write(err("line too long"))  # RFC 2449 §4
            return await self._counted_error()
        await pace(self._pacing, self._send)
        try:
            command = parse_command(line)
        except Pop3SyntaxError as error:
            self._write(error.reply)
            return await self._counted_error()
        self._verb = command.verb
        state = self.state
        if isinstance(state, Authorization) and state.user and not isinstance(command, PassCommand):
            # RFC 1939 §7: PASS is valid only right after a successful USER.
            state = self.state = Authorization()
        if state.protocol_state not in COMMANDS[command.verb].states:
            self._write(
                err(f"{command.verb} is not valid in the {state.protocol_state.value} state")
            )
            return await self._counted_error()
        try:
            return await handlers.HANDLERS[type(command)](self, state, command)
        except Pop3Error as error:
            self._write(error.reply)
        except StorageError as error:
            log.warning("[%s] %s: %r", self.connection.info.id, self._describe(), error)
            self._write(handlers.storage_refusal(error).reply)
        await self._flush()
        return None

    async def _counted_error(self) -> handlers.Action | None:
        self.errors += 1
        if self.errors >= MAX_ERRORS:
            return handlers.Close(err("too many errors, closing connection"))
        await self._flush()
        return None

    async def _perform(self, action: handlers.Action) -> bool:
        """Carry out an action; False ends the session."""
        match action:
            case bytes():
                self._write(action)
                await self._flush()
            case handlers.Stream(status, body):
                return await self._stream(status, body)
            case handlers.Close(reply):
                self._write(reply)
                await self._send()
                return False
            case handlers.UpgradeTls():
                await self._start_tls()
            case handlers.RunAuth(mechanism, initial_response):
                return await self._authenticate(mechanism, initial_response)
        return True

    async def _stream(self, status: bytes, body: AsyncIterator[bytes]) -> bool:
        self._write(status)
        try:
            async for chunk in body:
                self._write(chunk)
                await self._send()
        except ConnectionClosed:
            raise
        except Exception:
            # The +OK is out: no -ERR can follow. Cut the connection so the client sees
            # an incomplete response rather than a short message (and nothing is deleted).
            log.exception(
                "[%s] message read failed mid-response (%s)",
                self.connection.info.id,
                self._describe(),
            )
            self.connection.abort()
            return False
        await self._flush()
        return True

    # -- STLS and AUTH -----------------------------------------------------------------------

    async def _start_tls(self) -> None:
        assert self.settings.tls is not None
        self._write(ok("begin TLS negotiation"))  # RFC 2595 §4
        await self._send()
        discarded = self.connection.discard_pending()  # no plaintext command survives TLS
        if discarded:
            log.info(
                "[%s] discarded %d octets pipelined before STLS",
                self.connection.info.id,
                len(discarded),
            )
        await self.connection.start_tls(self.settings.tls)
        self.tls_active = True
        self.state = Authorization()  # RFC 2595 §4: what came before TLS is forgotten
        self.utf8 = False

    async def _authenticate(self, mechanism: str, initial_response: str | None) -> bool:
        async def exchange(challenge: bytes) -> bytes | sasl.Cancelled | sasl.MalformedResponse:
            # RFC 5034 §4: "+ " and the base64 challenge; the client answers one line.
            self._write(b"+ " + base64.b64encode(challenge) + b"\r\n")
            await self._send()
            try:
                line = await self.connection.readline(READ_LIMIT, timeout=self._timeout())
            except LineTooLong:
                return sasl.MalformedResponse("line too long")
            return sasl.decode_response(line.rstrip(b"\r\n"))

        result = await authenticate(
            self.settings.auth,
            protocol="pop3",
            peer_ip=self.peer_ip,
            secure=self.tls_active,
            mechanism=mechanism,
            initial_response=initial_response,
            exchange=exchange,
        )
        try:
            match result:
                case SaslRefused("unknown-mechanism"):
                    raise Pop3Error("unsupported authentication mechanism")
                case SaslRefused("encryption-required"):
                    raise Pop3Error(*handlers.PLAINTEXT_REFUSED)
                case SaslRefused("cancelled"):
                    raise Pop3Error("authentication cancelled")  # RFC 5034 §4: "*"
                case SaslRefused():
                    raise Pop3Error("cannot decode the SASL response")
                case _:
                    action = await handlers.finish_login(self, result)
        except Pop3Error as error:
            action = error.reply
        except StorageError as error:
            log.warning("[%s] %s: %r", self.connection.info.id, self._describe(), error)
            action = handlers.storage_refusal(error).reply
        return await self._perform(action)
