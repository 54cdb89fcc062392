"""``SmtpClient``: one outbound SMTP session over asyncio streams (RFC 5321 client side).

Owns the conversation with one server: the greeting (RFC 5321 §3.1, §4.3.1), EHLO with the
fall-back to HELO (§3.2, §4.1.1.1), STARTTLS (RFC 3207) with the EHLO that must follow it,
AUTH (RFC 4954) with SCRAM-SHA-256, PLAIN or LOGIN through ``courriel.sasl``, mail
transactions with PIPELINING (RFC 2920), DATA (§4.1.1.4) or BDAT (RFC 3030), RSET and QUIT,
and the timeouts of RFC 5321 §4.5.3.2 (``Timeouts``). What goes into a transaction is
decided by the pure ``plan`` module; replies are read by the protocol's ``ReplyParser``.

Every failure arrives as a ``SmtpClientError`` (see ``errors``): an OS error, a timeout, a
TLS alert or bytes that are not SMTP never escape as anything else, and the connection is
dropped whenever the stream can no longer be trusted.

Must not: choose the server, decide whether TLS or AUTH are required, retry, or judge what a
reply means for the message (the queue worker does all of that).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, fields
from types import TracebackType

from courriel.mail.address import domain_to_ascii
from courriel.sasl import (
    SaslClientError,
    ScramClient,
    decode_challenge,
    encode_initial_response,
    encode_response,
    login_client_responses,
    plain_client_response,
)
from courriel.smtp.client.errors import (
    SmtpAuthError,
    SmtpBadReply,
    SmtpClientError,
    SmtpConnectionError,
    SmtpReplyError,
    SmtpTimeout,
    SmtpTlsError,
)
from courriel.smtp.client.plan import (
    BDAT_CHUNK_SIZE,
    Recipient,
    bdat_chunks,
    plan_transaction,
)
from courriel.smtp.protocol.errors import MalformedReply
from courriel.smtp.protocol.extensions import parse_ehlo_reply
from courriel.smtp.protocol.replies import Reply, ReplyParser

__all__ = ["DEFAULT_AUTH_MECHANISMS", "SendResult", "SmtpClient", "Timeouts"]

log = logging.getLogger("courriel.smtp.client")

DEFAULT_AUTH_MECHANISMS = ("SCRAM-SHA-256", "PLAIN", "LOGIN")
_PLAINTEXT_MECHANISMS = frozenset({"PLAIN", "LOGIN"})
_WRITE_BLOCK = 64 * 1024
_READ_SIZE = 64 * 1024
_MAX_AUTH_LINE = 500  # RFC 4954 §4: AUTH with its initial response fits a 512-octet line


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait, per phase. The defaults are RFC 5321 §4.5.3.2's minimums."""

    connect: float = 30.0
    greeting: float = 300.0  # §4.5.3.2.1 initial 220 message: 5 minutes
    command: float = 300.0  # EHLO, STARTTLS, AUTH, RSET: no RFC value, as MAIL
    mail: float = 300.0  # §4.5.3.2.2 MAIL: 5 minutes
    rcpt: float = 300.0  # §4.5.3.2.3 RCPT: 5 minutes
    data_initiation: float = 120.0  # §4.5.3.2.4 DATA initiation: 2 minutes
    data_block: float = 180.0  # §4.5.3.2.5 data block (each TCP send): 3 minutes
    data_termination: float = 600.0  # §4.5.3.2.6 DATA termination: 10 minutes
    tls_handshake: float = 60.0
    quit: float = 30.0

    @classmethod
    def uniform(cls, seconds: float) -> Timeouts:
        """The same timeout for every phase (tests)."""
        return cls(**dict.fromkeys((field.name for field in fields(cls)), seconds))


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the server answered for one transaction.

    ``recipients`` has one reply per recipient, in order: its RCPT reply, or the MAIL reply
    when MAIL was refused. ``final`` is the answer to the message data (the DATA or BDAT
    refusal, or the reply after the end of data); None when no recipient was accepted.
    """

    mail: Reply
    recipients: tuple[Reply, ...]
    final: Reply | None

    @property
    def outcomes(self) -> tuple[Reply, ...]:
        """Per recipient, the reply that decides its fate: the RCPT refusal, or the final
        reply for an accepted recipient (RFC 5321 §3.3: the transaction succeeds or fails
        for all accepted recipients together)."""
        final = self.final
        return tuple(
            reply if not reply.positive or final is None else final for reply in self.recipients
        )


class SmtpClient:
    """A connected SMTP session; create it with ``await SmtpClient.connect(...)``.

    Use as ``async with``: leaving the block sends QUIT and closes the connection.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        host: str,
        server_hostname: str,
        local_hostname: str,
        timeouts: Timeouts,
        tls_context: ssl.SSLContext | None,
        tls_active: bool,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._parser = ReplyParser()
        self._replies: deque[Reply] = deque()
        self.host = host
        self.server_hostname = server_hostname
        self.local_hostname = local_hostname
        self.timeouts = timeouts
        self.tls_context = tls_context
        self.tls_active = tls_active
        self.greeting: Reply | None = None
        self.esmtp = False
        self.extensions: dict[str, str] = {}
        """EHLO keywords (upper case) → parameters; empty after HELO."""
        self.chunk_size = BDAT_CHUNK_SIZE
        self._closed = False

    # ------------------------------------------------------------------ session set-up

    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        *,
        local_hostname: str,
        timeout: Timeouts | float = Timeouts(),
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        server_hostname: str | None = None,
    ) -> SmtpClient:
        """Connect, read the greeting and say EHLO (or HELO).

        ``host`` is an address or a name; ``server_hostname`` (default ``host``) is the name
        TLS checks the certificate against and sends as SNI. ``tls_context`` is used at once
        with ``implicit_tls`` (RFC 8314 §3.3, submissions on 465), else by ``starttls()``.
        ``local_hostname`` is our EHLO name (RFC 5321 §4.1.1.1, A-labels per RFC 6531
        §3.7.1).
        """
        timeouts = timeout if isinstance(timeout, Timeouts) else Timeouts.uniform(timeout)
        if implicit_tls and tls_context is None:
            raise ValueError("implicit_tls needs a tls_context")
        name = server_hostname or host
        try:
            async with asyncio.timeout(timeouts.connect):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    ssl=tls_context if implicit_tls else None,
                    server_hostname=name if implicit_tls else None,
                    ssl_handshake_timeout=timeouts.tls_handshake if implicit_tls else None,
                    limit=_READ_SIZE,
                )
        except TimeoutError:
            raise SmtpTimeout(
                f"cannot connect to [{host}]:{port}: timed out", status="4.4.1"
            ) from None
        except ssl.SSLError as error:
            raise SmtpTlsError(f"TLS with [{host}]:{port} failed: {error}") from error
        except OSError as error:  # refused, unreachable, no route: RFC 3463 X.4.1
            raise SmtpConnectionError(
                f"cannot connect to [{host}]:{port}: {error.strerror or error}", status="4.4.1"
            ) from error
        client = cls(
            reader,
            writer,
            host=host,
            server_hostname=name,
            local_hostname=local_hostname,
            timeouts=timeouts,
            tls_context=tls_context,
            tls_active=implicit_tls,
        )
        try:
            greeting = await client._read_reply(timeouts.greeting)
            client.greeting = greeting
            if greeting.code != 220:
                # RFC 5321 §3.1: a 554 greeting refuses the session; the client SHOULD QUIT.
                await client.quit()
                raise SmtpReplyError(f"[{host}]:{port} refused the session", greeting)
            await client.ehlo()
        except BaseException:
            client.abort()
            raise
        return client

    async def __aenter__(self) -> SmtpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            await self.quit()
        else:
            self.abort()

    def offers(self, keyword: str) -> bool:
        """Whether the last EHLO reply listed ``keyword``."""
        return keyword.upper() in self.extensions

    async def ehlo(self) -> Reply:
        """EHLO, or HELO when EHLO gets a permanent refusal (RFC 5321 §3.2); records the
        server's extensions."""
        name = _ehlo_name(self.local_hostname)
        reply = await self._command(f"EHLO {name}\r\n".encode("ascii"), self.timeouts.command)
        if reply.code == 250:
            self.esmtp = True
            self.extensions = parse_ehlo_reply(reply)
            return reply
        if not reply.permanent:
            raise SmtpReplyError("EHLO refused", reply)
        # RFC 5321 §3.2: a server that does not know EHLO answers 5yz; try HELO, and use
        # no extension at all (§4.1.1.1).
        helo = await self._command(f"HELO {name}\r\n".encode("ascii"), self.timeouts.command)
        if helo.code != 250:
            raise SmtpReplyError("HELO refused", helo)
        self.esmtp = False
        self.extensions = {}
        return helo

    async def starttls(
        self, context: ssl.SSLContext | None = None, *, server_hostname: str | None = None
    ) -> None:
        """Upgrade to TLS (RFC 3207) and say EHLO again.

        Raises ``SmtpReplyError`` when the server refuses STARTTLS (the plain session goes
        on: an opportunistic sender may continue without TLS) and ``SmtpTlsError`` when the
        handshake fails (the connection is dropped).
        """
        context = context or self.tls_context
        if context is None:
            raise ValueError("starttls needs a TLS context")
        if self.tls_active:
            raise SmtpTlsError("TLS is already active")  # RFC 3207 §4.2: not twice
        if not self.offers("STARTTLS"):
            raise SmtpTlsError("the server does not offer STARTTLS")
        reply = await self._command(b"STARTTLS\r\n", self.timeouts.command)
        if reply.code != 220:
            raise SmtpReplyError("STARTTLS refused", reply)
        # RFC 3207 §4.2 / CVE-2011-0411: anything the server sent after its 220 and before
        # the handshake may be an attacker's, injected in clear text. Refuse the session.
        if self._replies or self._parser.in_reply or self._unread():
            self.abort()
            raise SmtpTlsError("the server sent data before the TLS handshake")
        try:
            async with asyncio.timeout(self.timeouts.tls_handshake):
                await self._writer.start_tls(
                    context, server_hostname=server_hostname or self.server_hostname
                )
        except TimeoutError:
            self.abort()
            raise SmtpTlsError("TLS handshake timed out") from None
        except (ssl.SSLError, OSError) as error:
            self.abort()
            raise SmtpTlsError(f"TLS handshake failed: {error}") from error
        if self._unread():
            self.abort()
            raise SmtpTlsError("the server sent data before the TLS handshake")
        self.tls_active = True
        # RFC 3207 §4.2: forget everything learnt before TLS and ask again.
        self.esmtp = False
        self.extensions = {}
        await self.ehlo()

    def auth_mechanisms(self) -> tuple[str, ...]:
        """The SASL mechanisms the server offers (RFC 4954 §3), upper case."""
        names: list[str] = self.extensions.get("AUTH", "").upper().split()
        for keyword, value in self.extensions.items():
            if keyword.startswith("AUTH="):  # old "AUTH=LOGIN PLAIN" advertisement
                names.extend([keyword[5:], *value.upper().split()])
        return tuple(dict.fromkeys(names))

    async def auth(
        self,
        username: str,
        password: str,
        mechanisms: Sequence[str] = DEFAULT_AUTH_MECHANISMS,
        *,
        allow_plaintext_without_tls: bool = False,
    ) -> Reply:
        """Authenticate (RFC 4954) with the first of ``mechanisms`` the server offers.

        PLAIN and LOGIN send the password itself, so they are used only over TLS unless
        ``allow_plaintext_without_tls``. SCRAM-SHA-256 (RFC 7677) also proves the server
        knows the password (RFC 5802 §5.1); its PBKDF2 runs in a thread. Raises
        ``SmtpAuthError`` on refusal or when no mechanism is usable.
        """
        offered = self.auth_mechanisms()
        usable = [
            name.upper()
            for name in mechanisms
            if name.upper() in offered
            and (
                self.tls_active
                or allow_plaintext_without_tls
                or name.upper() not in _PLAINTEXT_MECHANISMS
            )
        ]
        if not usable:
            raise SmtpAuthError(
                f"no usable AUTH mechanism (server offers {' '.join(offered) or 'none'}"
                f"{'' if self.tls_active else ', without TLS'})"
            )
        name = usable[0]
        try:
            if name == "SCRAM-SHA-256":
                reply = await self._auth_scram(username, password)
            elif name == "PLAIN":
                reply = await self._auth_begin("PLAIN", plain_client_response(username, password))
            elif name == "LOGIN":
                responses = login_client_responses(username, password)
                reply = await self._auth_begin("LOGIN", None)
                for response in responses:
                    if reply.code != 334:
                        break
                    reply = await self._command(
                        encode_response(response) + b"\r\n", self.timeouts.command
                    )
            else:
                raise SmtpAuthError(f"mechanism {name} is not implemented")
        except (SaslClientError, ValueError) as error:
            await self._auth_cancel()
            raise SmtpAuthError(f"AUTH {name} failed: {error}") from error
        if reply.code != 235:  # RFC 4954 §6
            if reply.code == 334:
                await self._auth_cancel()
            raise SmtpAuthError(f"AUTH {name} failed", reply)
        return reply

    async def _auth_begin(self, mechanism: str, initial: bytes | None) -> Reply:
        """``AUTH mechanism [initial-response]`` (RFC 4954 §4); a long initial response is
        sent after an empty 334 instead."""
        line = f"AUTH {mechanism}".encode("ascii")
        if initial is None:
            return await self._command(line + b"\r\n", self.timeouts.command)
        encoded = encode_initial_response(initial)
        if len(line) + 1 + len(encoded) <= _MAX_AUTH_LINE:
            return await self._command(line + b" " + encoded + b"\r\n", self.timeouts.command)
        reply = await self._command(line + b"\r\n", self.timeouts.command)
        if reply.code != 334:
            return reply
        return await self._command(encode_response(initial) + b"\r\n", self.timeouts.command)

    async def _auth_scram(self, username: str, password: str) -> Reply:
        scram = ScramClient(username, password)
        reply = await self._auth_begin("SCRAM-SHA-256", scram.first())
        if reply.code != 334:
            return reply
        server_first = decode_challenge(reply.lines[0])
        # PBKDF2 with the server's iteration count: seconds of CPU, off the event loop.
        client_final = await asyncio.to_thread(scram.final, server_first)
        reply = await self._command(encode_response(client_final) + b"\r\n", self.timeouts.command)
        if reply.code == 235:
            # RFC 5802 §5.1: the client MUST verify the server signature; a server that
            # reports success without sending it has not proved who it is.
            raise SmtpAuthError("the server did not send its SCRAM signature", reply)
        if reply.code != 334:
            return reply
        scram.verify(decode_challenge(reply.lines[0]))
        # RFC 4954 §4: the server-final message came as a challenge; answer it empty.
        return await self._command(b"\r\n", self.timeouts.command)

    async def _auth_cancel(self) -> None:
        """``*`` ends an exchange in progress (RFC 4954 §4); the 501 that follows is read."""
        if self._closed:
            return
        with contextlib.suppress(SmtpClientError):
            await self._command(b"*\r\n", self.timeouts.command)

    # ------------------------------------------------------------------ transactions

    async def send(
        self,
        sender: str,
        recipients: Sequence[Recipient | str],
        data: bytes,
        *,
        body: str = "7BIT",
        smtputf8: bool = False,
        envid: str | None = None,
        ret: str | None = None,
    ) -> SendResult:
        """One mail transaction (RFC 5321 §3.3); returns every reply that matters.

        With PIPELINING (RFC 2920 §3.1) MAIL and all RCPT go in one write; DATA follows
        once an RCPT succeeded. BDAT (RFC 3030) carries BINARYMIME content when the server
        offers it. Raises ``SmtpNotPossible`` (before sending anything) when the message
        cannot go to this server unchanged, and ``SmtpClientError`` when the session breaks.
        """
        recipient_list = [
            recipient if isinstance(recipient, Recipient) else Recipient(recipient)
            for recipient in recipients
        ]
        plan = plan_transaction(
            self.extensions,
            sender,
            recipient_list,
            data,
            body=body,
            smtputf8=smtputf8,
            envid=envid,
            ret=ret,
        )
        count = len(recipient_list)
        if self.offers("PIPELINING"):
            await self._write(plan.mail + b"".join(plan.rcpts))
            mail = await self._read_reply(self.timeouts.mail)
            # RFC 2920 §3.1: every pipelined command gets its reply, read them all.
            rcpts = [await self._read_reply(self.timeouts.rcpt) for _ in plan.rcpts]
            if not mail.positive:
                return SendResult(mail, (mail,) * count, None)
        else:
            mail = await self._command(plan.mail, self.timeouts.mail)
            if not mail.positive:
                return SendResult(mail, (mail,) * count, None)
            rcpts = [await self._command(rcpt, self.timeouts.rcpt) for rcpt in plan.rcpts]
        if not any(reply.positive for reply in rcpts):
            await self.reset()  # RFC 5321 §4.1.1.5: end the open transaction
            return SendResult(mail, tuple(rcpts), None)
        final = await (self._bdat(plan.payload) if plan.chunked else self._data(plan.payload))
        if not final.positive:
            await self.reset()
        return SendResult(mail, tuple(rcpts), final)

    async def _data(self, payload: bytes) -> Reply:
        reply = await self._command(b"DATA\r\n", self.timeouts.data_initiation)
        if reply.code != 354:  # RFC 5321 §4.1.1.4: 354, then the data
            return reply
        await self._write(payload)
        return await self._read_reply(self.timeouts.data_termination)

    async def _bdat(self, data: bytes) -> Reply:
        for command, last in bdat_chunks(data, self.chunk_size):
            await self._write(command)
            # RFC 3030 §2: each BDAT gets its reply; after a refusal the rest is pointless.
            reply = await self._read_reply(
                self.timeouts.data_termination if last else self.timeouts.data_block
            )
            if last or not reply.positive:
                return reply
        raise AssertionError("bdat_chunks always ends with a LAST chunk")

    async def reset(self) -> None:
        """RSET (RFC 5321 §4.1.1.5), best effort: a failure here only ends the session."""
        if self._closed:
            return
        try:
            await self._command(b"RSET\r\n", self.timeouts.command)
        except SmtpClientError as error:
            log.debug("RSET to %s failed: %s", self.host, error)

    async def quit(self) -> None:
        """QUIT (RFC 5321 §4.1.1.10) and close; never raises."""
        if self._closed:
            return
        with contextlib.suppress(SmtpClientError):
            await self._command(b"QUIT\r\n", self.timeouts.quit)
        await self.close()

    async def close(self) -> None:
        """Close the connection without QUIT."""
        if self._closed:
            return
        self._closed = True
        self._writer.close()
        try:
            async with asyncio.timeout(self.timeouts.quit):
                await self._writer.wait_closed()
        except (TimeoutError, OSError):
            self._writer.transport.abort()

    def abort(self) -> None:
        """Drop the connection at once."""
        self._closed = True
        self._writer.transport.abort()

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ the wire

    def _unread(self) -> int:
        # StreamReader keeps received bytes in a private buffer; STARTTLS must know whether
        # any are waiting (see starttls). Read defensively: it is not public API.
        buffer = getattr(self._reader, "_buffer", b"")
        return len(buffer)

    async def _command(self, line: bytes, timeout: float) -> Reply:
        await self._write(line)
        return await self._read_reply(timeout)

    async def _write(self, data: bytes) -> None:
        """Send ``data`` in blocks, each drained within the data-block timeout
        (RFC 5321 §4.5.3.2.5)."""
        if self._closed:
            raise SmtpConnectionError("the connection is closed")
        view = memoryview(data)
        try:
            for start in range(0, len(view), _WRITE_BLOCK):
                self._writer.write(view[start : start + _WRITE_BLOCK])
                async with asyncio.timeout(self.timeouts.data_block):
                    await self._writer.drain()
        except TimeoutError:
            self.abort()
            raise SmtpTimeout(f"{self.host} stopped reading (data block timeout)") from None
        except (OSError, RuntimeError) as error:  # RuntimeError: transport closed under us
            self.abort()
            raise SmtpConnectionError(f"connection to {self.host} lost: {error}") from error

    async def _read_reply(self, timeout: float) -> Reply:
        if self._replies:
            return self._replies.popleft()
        if self._closed:
            raise SmtpConnectionError("the connection is closed")
        try:
            async with asyncio.timeout(timeout):
                while not self._replies:
                    data = await self._reader.read(_READ_SIZE)
                    if not data:
                        self.abort()
                        raise SmtpConnectionError(f"{self.host} closed the connection")
                    self._replies.extend(self._parser.feed(data))
        except TimeoutError:
            self.abort()
            raise SmtpTimeout(f"no reply from {self.host} within {timeout:g} s") from None
        except MalformedReply as error:
            self.abort()
            raise SmtpBadReply(f"{self.host} sent a malformed reply: {error}") from error
        except OSError as error:  # includes ssl.SSLError after the handshake
            self.abort()
            raise SmtpConnectionError(f"connection to {self.host} lost: {error}") from error
        return self._replies.popleft()


def _ehlo_name(hostname: str) -> str:
    """Our name for EHLO/HELO: A-labels (RFC 6531 §3.7.1) or an address literal."""
    if hostname.startswith("["):
        return hostname
    name = domain_to_ascii(hostname)
    if not name or not name.isascii() or any(char in name for char in " \r\n\t"):
        raise ValueError(f"unusable EHLO name {hostname!r}")
    return name
