"""One SMTP session: read a command, parse it, look it up, check the state, run it, reply.

The loop also carries out the handlers' I/O actions: DATA (read to <CRLF>.<CRLF> with the
smuggling-safe ``DataReader``), BDAT chunks, STARTTLS (discarding anything pipelined before
the handshake, RFC 3207 §4.2, and forgetting the session), and SASL exchanges. Limits: line
length, a timeout per command, message size, recipients, errors per session. Replies to
pipelined commands are written together and flushed when the client's input is drained
(RFC 2920). An unexpected exception is logged once with the connection id and the client
gets ``451``; nothing raises to the socket.
"""

from __future__ import annotations

import base64
import logging

from courriel import sasl
from courriel.delivery.model import Envelope, Refusal, Role
from courriel.delivery.pipeline import DeliveryPipeline
from courriel.directory.auth import AuthService, Outcome, Principal
from courriel.directory.saslbridge import SaslRefused, authenticate, offered_mechanisms
from courriel.mail.lines import normalize_line_endings
from courriel.net import Connection, ConnectionClosed, LineTooLong, ReadTimeout, TlsContextProvider
from courriel.net.errors import TlsError
from courriel.smtp.protocol import (
    BdatReader,
    Capabilities,
    DataReader,
    Reply,
    SmtpSyntaxError,
    ehlo_reply,
    offered_extensions,
    parse_command,
    replies,
)
from courriel.smtp.protocol.commands import MAX_LINE
from courriel.smtp.server import handlers
from courriel.smtp.server.refusals import MESSAGE_REFUSALS
from courriel.smtp.server.state import Connected, Greeted, InTransaction, State

log = logging.getLogger("courriel.smtp")

MAX_ERRORS = 20
READ_CHUNK = 65536


class SessionSettings:
    """What a listener's sessions share."""

    def __init__(
        self,
        *,
        role: Role,
        hostname: str,
        pipeline: DeliveryPipeline,
        auth: AuthService,
        tls: TlsContextProvider | None,
        max_message_size: int,
        max_recipients: int,
        command_timeout: float,
    ) -> None:
        self.role = role
        self.hostname = hostname
        self.pipeline = pipeline
        self.auth = auth
        self.tls = tls
        self.max_message_size = max_message_size
        self.max_recipients = max_recipients
        self.command_timeout = command_timeout


class SmtpSession:
    def __init__(self, connection: Connection, settings: SessionSettings, *, implicit_tls: bool):
        self.connection = connection
        self.settings = settings
        self.role = settings.role
        self.hostname = settings.hostname
        self.pipeline = settings.pipeline
        self.tls = settings.tls
        self.max_message_size = settings.max_message_size
        self.max_recipients = settings.max_recipients
        self.state: State = Connected()
        self.tls_active = implicit_tls
        self.principal: Principal | None = None
        self.errors = 0
        self.transactions = 0
        self.peer_ip = connection.info.peer_ip
        self._replies: list[bytes] = []
        """Replies written and not yet sent (``_send``)."""

    # -- facts handlers use --------------------------------------------------------------

    def secure_enough(self) -> bool:
        """Passwords and submission need TLS, or loopback when the config allows it."""
        return self.settings.auth.plaintext_allowed(self.peer_ip, self.tls_active)

    def capabilities(self) -> Capabilities:
        mechanisms: tuple[str, ...] = ()
        if self.role is Role.SUBMISSION and self.principal is None:
            mechanisms = offered_mechanisms(self.settings.auth, self.peer_ip, self.tls_active)
        return Capabilities(
            max_message_size=self.max_message_size,
            starttls_available=self.tls is not None,
            tls_active=self.tls_active,
            auth_mechanisms=mechanisms,
            dsn=True,
            binary_mime=True,  # RFC 3030 §3: BDAT carries it, the store keeps bytes as they are
        )

    def ehlo_reply(self) -> Reply:
        return ehlo_reply(self.hostname, self.capabilities())

    def note_refusal(self, address: str, refusal: Refusal) -> None:
        log.info("[%s] RCPT %s refused: %s", self.connection.info.id, address, refusal.value)

    async def postmaster_address(self) -> str:
        """``<postmaster>`` without a domain (RFC 5321 §4.1.1.3) means our postmaster: the
        one of the first domain served here."""
        domains = await self.pipeline.directory.list_domains()
        return f"postmaster@{domains[0].name if domains else self.hostname}"

    # -- the loop ------------------------------------------------------------------------

    async def run(self) -> None:
        connection = self.connection
        self._write(replies.greeting(self.hostname, "ESMTP courriel"))
        try:
            await self._drain()
            while True:
                action = await self._next_action()
                if action is None:
                    continue
                if not await self._perform(action):
                    break
        except ConnectionClosed:
            pass
        except ReadTimeout:
            self._write(replies.TIMEOUT)  # RFC 5321 §4.5.3.2: 421 then close
        except TlsError as error:
            log.info("[%s] TLS handshake failed: %s", connection.info.id, error)
            connection.abort()
            return
        except Exception:
            log.exception(
                "[%s] SMTP session failed (state %s)", connection.info.id, type(self.state).__name__
            )
            self._write(Reply(451, "4.3.0", "Internal error, closing connection"))
        self._send()
        await connection.close_and_wait(5.0)

    def _write(self, reply: Reply) -> None:
        """Queue a reply; it is sent by ``_send``, at the latest before the session waits
        for the client (one send for a pipelined group's replies, RFC 2920 §3.1)."""
        self._replies.append(reply.to_bytes())

    def _send(self) -> None:
        """Hand the queued replies to the connection, in one write."""
        if self._replies:
            if not self.connection.is_closing:
                self.connection.write(b"".join(self._replies))
            self._replies.clear()

    async def _drain(self) -> None:
        """Send the queued replies and wait while the client is slow to read them."""
        self._send()
        await self.connection.drain()

    async def _flush(self) -> None:
        if self.connection.pending() == 0:  # RFC 2920 §3.1: replies batched while pipelining
            await self._drain()

    async def _next_action(self) -> handlers.Action | None:
        if not self.connection.has_line():
            self._send()  # the client may wait for them before it ends its line
        try:
            line = await self.connection.readline(MAX_LINE, timeout=self.settings.command_timeout)
        except LineTooLong:
            self._write(replies.LINE_TOO_LONG)
            return await self._counted_error()
        transaction = isinstance(self.state, InTransaction) and self.state.parameters.smtputf8
        try:
            command = parse_command(
                line,
                smtputf8_allowed=transaction,
                extensions=offered_extensions(self.capabilities()),
            )
        except SmtpSyntaxError as error:
            if error.close_connection:
                return handlers.Close(error.reply)
            self._write(error.reply)
            return await self._counted_error()
        if getattr(command, "bare_lf", False):
            self._write(replies.BARE_LF_IN_COMMAND)  # RFC 5321 §2.3.8
            return await self._counted_error()
        entry = handlers.lookup(command)
        if not isinstance(self.state, entry.states):
            self._write(replies.BAD_SEQUENCE)  # RFC 5321 §4.1.4: 503 5.5.1
            return await self._counted_error()
        return await entry.handler(self, command)

    async def _counted_error(self) -> handlers.Action | None:
        self.errors += 1
        if self.errors >= MAX_ERRORS:
            return handlers.Close(replies.TOO_MANY_ERRORS)
        await self._flush()
        return None

    async def _perform(self, action: handlers.Action) -> bool:
        """Carry out an action; False ends the session."""
        match action:
            case Reply():
                self._write(action)
                await self._flush()
            case handlers.Close(reply):
                self._write(reply)
                await self._drain()
                return False
            case handlers.ReadData():
                await self._read_data()
            case handlers.ReadBdat(size, last):
                await self._read_bdat(size, last)
            case handlers.UpgradeTls():
                await self._start_tls()
            case handlers.RunAuth(mechanism, initial_response):
                return await self._authenticate(mechanism, initial_response)
        return True

    # -- DATA and BDAT ---------------------------------------------------------------------

    async def _read_data(self) -> None:
        state = self.state
        assert isinstance(state, InTransaction)
        self._write(replies.START_MAIL_INPUT)  # RFC 5321 §4.1.1.4: 354
        await self._drain()
        reader = DataReader(self.max_message_size)
        pieces: list[bytes] = []
        pending = self.connection.discard_pending()
        while True:
            if pending:
                pieces.append(reader.feed(pending))
            if reader.done:
                break
            pending = await self.connection.read_some(
                READ_CHUNK, timeout=self.settings.command_timeout
            )
        self.connection.unread(reader.trailing)
        if reader.too_big:
            self._end_transaction()
            self._write(replies.MESSAGE_TOO_BIG)  # RFC 1870 §6: 552 5.3.4
            await self._flush()
            return
        message = b"".join(pieces)
        if reader.bare_lf or reader.bare_cr:
            message = normalize_line_endings(message)  # the end marker was strict anyway
        await self._finish(message)

    async def _read_bdat(self, size: int, last: bool) -> None:
        state = self.state
        assert isinstance(state, InTransaction)
        if state.bdat is None:
            state.bdat = BdatReader(self.max_message_size)
        reader = state.bdat
        reader.start_chunk(size, last=last)
        # Always consume the chunk, even for a failed transaction (RFC 3030 §2).
        chunk = [reader.feed(self.connection.discard_pending())]
        while not reader.chunk_done:
            self._send()
            data = await self.connection.read_some(
                min(READ_CHUNK, reader.remaining), timeout=self.settings.command_timeout
            )
            chunk.append(reader.feed(data))
        self.connection.unread(reader.trailing)
        failure = None
        if reader.too_big:
            failure = replies.MESSAGE_TOO_BIG  # RFC 1870 §6: 552 5.3.4
        elif not state.recipients:
            failure = replies.NO_VALID_RECIPIENTS  # RFC 5321 §3.3: 554 5.5.1
        else:
            state.bdat_chunks.append(b"".join(chunk))
        if failure is not None and last:
            self._end_transaction()
        if failure is not None or not last:
            self._write(failure or replies.bdat_chunk_received(size))  # RFC 3030 §2
            await self._flush()
            return
        message = b"".join(state.bdat_chunks)
        binary = state.parameters.body is not None and state.parameters.body.value == "BINARYMIME"
        if (reader.bare_lf or reader.bare_cr) and not binary:
            message = normalize_line_endings(message)
        await self._finish(message)

    async def _finish(self, message: bytes) -> None:
        state = self.state
        assert isinstance(state, InTransaction)
        self.transactions += 1
        session_id = f"{self.connection.info.id}{self.transactions}"
        tls_info = self.connection.tls_info()
        parameters = state.parameters
        envelope = Envelope(
            role=self.role,
            sender=state.sender,
            recipients=tuple(state.recipients),
            helo=state.helo,
            peer_ip=self.peer_ip,
            tls=None if tls_info is None else (tls_info.version, tls_info.cipher),
            principal=self.principal,
            smtputf8=parameters.smtputf8,
            body=parameters.body.value if parameters.body is not None else "7BIT",
            envid=parameters.envid,
            ret=None if parameters.ret is None else parameters.ret.value,
            session_id=session_id,
        )
        self._end_transaction()
        try:
            report = await self.pipeline.deliver(envelope, message)
        except Exception:
            log.exception("[%s] delivery failed", self.connection.info.id)
            self._write(replies.LOCAL_ERROR)  # 451 4.3.0: nothing was acknowledged
            await self._flush()
            return
        if report.refused is not None:
            reply = MESSAGE_REFUSALS[report.refused]  # e.g. DMARC reject: 550 5.7.1
            self._write(reply.with_text(report.explanation) if report.explanation else reply)
        elif report.failed and not report.stored and not report.queued:
            temporary = any(r is Refusal.OVER_QUOTA for r in report.failed.values())
            self._write(replies.MAILBOX_FULL_TEMPORARY if temporary else replies.TRANSACTION_FAILED)
        else:
            self._write(replies.message_accepted(session_id))  # RFC 5321 §4.1.1.4: 250
        log.info(
            "[%s] message %s from <%s> [%s]: %d stored, %d queued, %d failed%s%s",
            self.connection.info.id,
            session_id,
            envelope.sender,
            envelope.peer_ip,
            len(report.stored),
            len(report.queued),
            len(report.failed),
            f", refused ({report.refused.value})" if report.refused is not None else "",
            "".join(f"; {note}" for note in report.notes),
        )
        await self._flush()

    def _end_transaction(self) -> None:
        state = self.state
        if isinstance(state, InTransaction):
            self.state = Greeted(state.helo, state.extended)

    # -- STARTTLS and AUTH -----------------------------------------------------------------

    async def _start_tls(self) -> None:
        assert self.tls is not None
        self._write(replies.READY_TO_START_TLS)  # RFC 3207 §4: 220
        await self._drain()
        discarded = self.connection.discard_pending()  # RFC 3207 §4.2: no pipelined plaintext
        if discarded:
            log.info(
                "[%s] discarded %d octets pipelined before STARTTLS",
                self.connection.info.id,
                len(discarded),
            )
        await self.connection.start_tls(self.tls)
        self.tls_active = True
        self.state = Connected()  # RFC 3207 §4.2: forget everything, expect EHLO again
        self.principal = None

    async def _authenticate(self, mechanism: str, initial_response: str | None) -> bool:
        async def exchange(challenge: bytes) -> bytes | sasl.Cancelled | sasl.MalformedResponse:
            self._write(replies.auth_challenge(base64.b64encode(challenge).decode("ascii")))
            await self._drain()
            line = await self.connection.readline(MAX_LINE, timeout=self.settings.command_timeout)
            return sasl.decode_response(line.rstrip(b"\r\n"))

        result = await authenticate(
            self.settings.auth,
            protocol="smtp",
            peer_ip=self.peer_ip,
            secure=self.tls_active,
            mechanism=mechanism,
            initial_response=initial_response,
            exchange=exchange,
        )
        match result:
            case SaslRefused("unknown-mechanism"):
                self._write(replies.UNKNOWN_AUTH_MECHANISM)  # RFC 4954 §4: 504 5.5.4
            case SaslRefused("encryption-required"):
                self._write(replies.ENCRYPTION_REQUIRED_FOR_AUTH)  # 538 5.7.11
            case SaslRefused("cancelled"):
                self._write(replies.AUTH_CANCELLED)  # RFC 4954 §4: 501
            case SaslRefused():
                self._write(replies.SYNTAX_ERROR.with_text("Cannot decode the SASL response"))
            case _ if result.ok:
                self.principal = result.principal
                self._write(replies.AUTH_SUCCEEDED)  # 235 2.7.0
            case _ if result.outcome is Outcome.BANNED:
                self._write(Reply(421, "4.7.0", result.message))
                await self._drain()
                return False
            case _ if result.outcome is Outcome.APP_PASSWORD_REQUIRED:
                # RFC 4954 §6 534 5.7.9 names this case: the mechanism is not enough here.
                self._write(Reply(534, "5.7.9", result.message))
            case _ if result.outcome is Outcome.DISABLED:
                self._write(Reply(535, "5.7.8", "Account disabled"))
            case _:
                self._write(replies.AUTH_FAILED)  # 535 5.7.8
        await self._flush()
        return True
