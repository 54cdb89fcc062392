"""The outbound SMTP client against real servers on loopback.

``aiosmtpd`` is a real, independent SMTP server (no PIPELINING, CHUNKING or DSN, which
exercises the client's fall-backs); ``ScriptedPeer`` is a tiny server written here that
answers fixed lines and records every byte, for PIPELINING, BDAT, DSN parameters, SCRAM and
broken servers.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from courriel.net.tls import TlsContextProvider, make_client_context, make_self_signed
from courriel.sasl import (
    MIN_ITERATIONS,
    Cancelled,
    Challenge,
    Failure,
    MalformedResponse,
    NeedScramKeys,
    ScramSha256Server,
    Success,
    decode_initial_response,
    decode_response,
    derive_scram_keys,
    encode_challenge,
)
from courriel.smtp.client import (
    Recipient,
    SmtpAuthError,
    SmtpBadReply,
    SmtpClient,
    SmtpConnectionError,
    SmtpNotPossible,
    SmtpReplyError,
    SmtpTimeout,
    SmtpTlsError,
    Timeouts,
)

HOST = "mx.example.test"
FAST = Timeouts.uniform(3.0)
MESSAGE = b"From: a@example.org\r\nSubject: test\r\n\r\n.leading dot\r\nbody\r\n..two\r\n"


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("client-tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    make_self_signed(HOST, cert, key, extra_names=["127.0.0.1"])
    return cert, key


@pytest.fixture
def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return TlsContextProvider(*certificate).context


@pytest.fixture
def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """A client context that verifies against the test certificate."""
    return make_client_context(verify=True, ca_file=certificate[0])


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class RecordingHandler:
    """aiosmtpd handler: refuses some recipients, records every accepted message."""

    def __init__(self, refusals: dict[str, str] | None = None) -> None:
        self.refusals = refusals or {}
        self.messages: list[tuple[str, list[str], bytes, list[str], bool]] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refusals:
            return self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                list(envelope.mail_options),
                session.ssl is not None,
            )
        )
        return "250 2.0.0 queued"


@contextmanager
def aiosmtpd_peer(handler: RecordingHandler, **options: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, server_hostname=HOST, **options
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def accept_alice(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"alice", b"s3cret")
    return AuthResult(success=ok, handled=False)


# ---------------------------------------------------------------------------- scripted peer


@dataclass
class Script:
    """How ``ScriptedPeer`` behaves; defaults are a plain ESMTP server."""

    extensions: tuple[str, ...] | None = ("PIPELINING", "8BITMIME")
    greeting: bytes = b"220 peer.test ESMTP\r\n"
    rcpt: Callable[[bytes], bytes] = lambda address: b"250 2.1.5 OK\r\n"
    final: bytes = b"250 2.0.0 queued\r\n"
    pipelined_rcpts: int = 0  # answer MAIL only once this many RCPT lines arrived
    silent: bool = False
    drop_in_data: bool = False
    after_starttls_reply: bytes = b""
    scram_password: str | None = None
    forge_scram_signature: bool = False
    tls: ssl.SSLContext | None = None


@dataclass
class ScriptedPeer:
    script: Script
    lines: list[bytes] = field(default_factory=list)
    data: list[bytes] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def __aenter__(self) -> ScriptedPeer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=1 << 22)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    @property
    def commands(self) -> list[bytes]:
        return [line.rstrip(b"\r\n") for line in self.lines]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._dialogue(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.transport.abort()

    async def _dialogue(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        script = self.script
        if script.silent:
            await asyncio.sleep(3600)
        writer.write(script.greeting)
        while True:
            line = await reader.readline()
            if not line:
                return
            self.lines.append(line)
            verb = line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper()
            if verb == b"EHLO":
                if script.extensions is None:
                    writer.write(b"502 5.5.1 EHLO not implemented\r\n")
                else:
                    lines = [b"peer.test", *(e.encode() for e in script.extensions)]
                    writer.write(
                        b"".join(
                            b"250" + (b" " if i == len(lines) - 1 else b"-") + text + b"\r\n"
                            for i, text in enumerate(lines)
                        )
                    )
            elif verb == b"HELO":
                writer.write(b"250 peer.test\r\n")
            elif verb == b"MAIL":
                replies = [b"250 2.1.0 OK\r\n"]
                for _ in range(script.pipelined_rcpts):
                    rcpt = await reader.readline()
                    self.lines.append(rcpt)
                    replies.append(script.rcpt(_address(rcpt)))
                writer.write(b"".join(replies))
            elif verb == b"RCPT":
                writer.write(script.rcpt(_address(line)))
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                if script.drop_in_data:
                    await reader.read(10)
                    return
                self.data.append(await reader.readuntil(b"\r\n.\r\n"))
                writer.write(script.final)
            elif verb == b"BDAT":
                words = line.split()
                self.chunks.append(await reader.readexactly(int(words[1])))
                last = len(words) > 2 and words[2].upper() == b"LAST"
                writer.write(script.final if last else b"250 2.0.0 chunk received\r\n")
            elif verb == b"STARTTLS" and script.tls is not None:
                writer.write(b"220 2.0.0 ready\r\n" + script.after_starttls_reply)
                await writer.drain()
                await writer.start_tls(script.tls)
            elif verb == b"AUTH" and script.scram_password is not None:
                await self._scram(line, reader, writer)
            elif verb == b"RSET":
                writer.write(b"250 2.0.0 reset\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"500 5.5.2 what?\r\n")
            await writer.drain()

    async def _scram(
        self, line: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        assert self.script.scram_password is not None
        words = line.split()
        mechanism = ScramSha256Server()
        initial = decode_initial_response(words[2] if len(words) > 2 else None)
        assert not isinstance(initial, MalformedResponse)
        outcome = mechanism.step(initial)
        while True:
            if isinstance(outcome, NeedScramKeys):
                keys = derive_scram_keys(self.script.scram_password, b"salt" * 4, MIN_ITERATIONS)
                outcome = mechanism.provide_keys(keys)
            elif isinstance(outcome, Challenge):
                data = outcome.data
                if self.script.forge_scram_signature and data.startswith(b"v="):
                    data = b"v=" + b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
                writer.write(b"334 " + encode_challenge(data) + b"\r\n")
                await writer.drain()
                response = decode_response(await reader.readline())
                self.lines.append(b"<sasl response>")
                if isinstance(response, Cancelled | MalformedResponse):
                    writer.write(b"501 5.7.0 cancelled\r\n")
                    return
                outcome = mechanism.step(response)
            elif isinstance(outcome, Success):
                writer.write(b"235 2.7.0 welcome\r\n")
                return
            else:
                assert isinstance(outcome, Failure)
                writer.write(b"535 5.7.8 no\r\n")
                return


def _address(line: bytes) -> bytes:
    return line.split(b"<", 1)[1].split(b">", 1)[0]


async def connect(port: int, **options: Any) -> SmtpClient:
    options.setdefault("timeout", FAST)
    return await SmtpClient.connect("127.0.0.1", port, local_hostname="client.test", **options)


# ---------------------------------------------------------------------------- aiosmtpd


async def test_delivers_to_aiosmtpd_with_per_recipient_replies() -> None:
    handler = RecordingHandler({"gone@example.net": "550 5.1.1 no such user"})
    with aiosmtpd_peer(handler) as port:
        async with await connect(port) as client:
            assert client.greeting is not None and client.greeting.code == 220
            assert client.esmtp and client.offers("8BITMIME") and not client.offers("PIPELINING")
            result = await client.send(
                "alice@example.org",
                [Recipient("bob@example.net"), "gone@example.net", "carol@example.net"],
                MESSAGE,
            )
    assert [reply.code for reply in result.recipients] == [250, 550, 250]
    assert [reply.code for reply in result.outcomes] == [250, 550, 250]
    assert result.outcomes[1].enhanced == "5.1.1"
    [(sender, recipients, content, options, tls)] = handler.messages
    assert sender == "alice@example.org"
    assert recipients == ["bob@example.net", "carol@example.net"]
    assert content == MESSAGE  # dot-stuffing undone by the server: the exact message
    assert options == [f"SIZE={len(MESSAGE)}"]  # only what aiosmtpd offered
    assert not tls


async def test_temporary_recipient_refusal_is_a_reply() -> None:
    handler = RecordingHandler({"busy@example.net": "451 4.2.1 try later"})
    with aiosmtpd_peer(handler) as port:
        async with await connect(port) as client:
            result = await client.send("a@example.org", ["busy@example.net"], MESSAGE)
    assert result.final is None
    assert result.outcomes[0].temporary and result.outcomes[0].enhanced == "4.2.1"
    assert handler.messages == []


async def test_starttls_then_ehlo_again(
    server_tls: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    handler = RecordingHandler()
    with aiosmtpd_peer(handler, tls_context=server_tls) as port:
        async with await connect(port, tls_context=trusting, server_hostname=HOST) as client:
            assert client.offers("STARTTLS") and not client.tls_active
            await client.starttls()
            # RFC 3207 §4.2: capabilities asked again; STARTTLS is not offered twice.
            assert client.tls_active and not client.offers("STARTTLS")
            assert client.offers("8BITMIME")
            result = await client.send("a@example.org", ["b@example.net"], MESSAGE)
    assert result.final is not None and result.final.code == 250
    assert handler.messages[0][4]  # the server saw TLS


async def test_starttls_certificate_mismatch_is_a_tls_error(
    server_tls: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    with aiosmtpd_peer(RecordingHandler(), tls_context=server_tls) as port:
        client = await connect(port, tls_context=trusting, server_hostname="other.example")
        with pytest.raises(SmtpTlsError) as caught:
            await client.starttls()
        assert caught.value.temporary
        assert client.closed


async def test_implicit_tls(certificate: tuple[Path, Path], trusting: ssl.SSLContext) -> None:
    handler = RecordingHandler()
    with aiosmtpd_peer(handler, ssl_context=TlsContextProvider(*certificate).context) as port:
        async with await connect(
            port, tls_context=trusting, implicit_tls=True, server_hostname=HOST
        ) as client:
            assert client.tls_active
            result = await client.send("a@example.org", ["b@example.net"], MESSAGE)
    assert result.final is not None and result.final.code == 250
    assert handler.messages[0][2] == MESSAGE


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_auth_plain_and_login(
    mechanism: str, server_tls: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    handler = RecordingHandler()
    with aiosmtpd_peer(handler, tls_context=server_tls, authenticator=accept_alice) as port:
        async with await connect(port, tls_context=trusting, server_hostname=HOST) as client:
            await client.starttls()
            assert {"PLAIN", "LOGIN"} <= set(client.auth_mechanisms())
            reply = await client.auth("alice", "s3cret", [mechanism])
            assert reply.code == 235
            await client.send("alice@example.org", ["b@example.net"], MESSAGE)
        async with await connect(port, tls_context=trusting, server_hostname=HOST) as client:
            await client.starttls()
            with pytest.raises(SmtpAuthError) as caught:
                await client.auth("alice", "wrong", [mechanism])
            assert caught.value.reply is not None and caught.value.reply.code == 535
    assert len(handler.messages) == 1


async def test_plaintext_auth_needs_tls_unless_allowed() -> None:
    with aiosmtpd_peer(
        RecordingHandler(), authenticator=accept_alice, auth_require_tls=False
    ) as port:
        async with await connect(port) as client:
            with pytest.raises(SmtpAuthError, match="no usable AUTH mechanism"):
                await client.auth("alice", "s3cret")
            reply = await client.auth("alice", "s3cret", allow_plaintext_without_tls=True)
            assert reply.code == 235


async def test_server_dropping_mid_data_is_a_connection_error() -> None:
    async with ScriptedPeer(Script(drop_in_data=True)) as peer:
        client = await connect(peer.port)
        with pytest.raises(SmtpConnectionError) as caught:
            await client.send("a@example.org", ["b@example.net"], MESSAGE * 20000)
        assert caught.value.temporary
        assert client.closed


async def test_silent_server_times_out() -> None:
    async with ScriptedPeer(Script(silent=True)) as peer:
        with pytest.raises(SmtpTimeout) as caught:
            await connect(peer.port, timeout=Timeouts.uniform(0.2))
        assert caught.value.temporary and caught.value.status == "4.4.2"


async def test_connection_refused() -> None:
    with pytest.raises(SmtpConnectionError) as caught:
        await connect(free_port())
    assert caught.value.temporary and caught.value.status == "4.4.1"


# ---------------------------------------------------------------------------- scripted peer


async def test_pipelining_sends_mail_and_every_rcpt_at_once() -> None:
    def rcpt(address: bytes) -> bytes:
        return b"550 5.1.1 unknown\r\n" if address.startswith(b"x") else b"250 2.1.5 OK\r\n"

    # The peer answers MAIL only after all three RCPT arrived: a client that waited for the
    # MAIL reply before sending RCPT would time out here (RFC 2920 §3.1).
    script = Script(pipelined_rcpts=3, rcpt=rcpt)
    async with ScriptedPeer(script) as peer, await connect(peer.port) as client:
        result = await client.send(
            "a@example.org", ["b@example.net", "x@example.net", "c@example.net"], MESSAGE
        )
    assert [reply.code for reply in result.outcomes] == [250, 550, 250]
    assert peer.commands[1:6] == [
        b"MAIL FROM:<a@example.org>",
        b"RCPT TO:<b@example.net>",
        b"RCPT TO:<x@example.net>",
        b"RCPT TO:<c@example.net>",
        b"DATA",
    ]


async def test_dsn_parameters_and_exact_data_bytes() -> None:
    script = Script(extensions=("DSN", "SIZE 100000", "8BITMIME", "SMTPUTF8"))
    async with ScriptedPeer(script) as peer, await connect(peer.port) as client:
        await client.send(
            "a@example.org",
            [Recipient("b@example.net", notify="SUCCESS,FAILURE", orcpt="rfc822;b@example.net")],
            b".first\r\nline\r\n.\r\nlast",
            envid="QQ314159",
            ret="HDRS",
        )
    assert peer.commands[1:4] == [
        b"MAIL FROM:<a@example.org> SIZE=21 RET=HDRS ENVID=QQ314159",
        b"RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.net",
        b"DATA",
    ]
    # RFC 5321 §4.5.2: every line-leading dot doubled, CRLF added, then the terminator.
    assert peer.data == [b"..first\r\nline\r\n..\r\nlast\r\n.\r\n"]


async def test_bdat_for_binarymime() -> None:
    script = Script(extensions=("CHUNKING", "BINARYMIME", "8BITMIME", "PIPELINING"))
    binary = b"Content-Type: image/png\r\n\r\n\x89PNG\r\x00\n.\r\n" * 5
    async with ScriptedPeer(script) as peer, await connect(peer.port) as client:
        client.chunk_size = 64
        result = await client.send("a@example.org", ["b@example.net"], binary, body="BINARYMIME")
    assert result.final is not None and result.final.code == 250
    assert b"".join(peer.chunks) == binary  # RFC 3030: no stuffing, no terminator
    assert len(peer.chunks) == -(-len(binary) // 64)
    assert b"BODY=BINARYMIME" in peer.commands[1]
    assert peer.data == []


async def test_helo_fallback_when_ehlo_is_refused() -> None:
    async with ScriptedPeer(Script(extensions=None)) as peer, await connect(peer.port) as client:
        assert not client.esmtp and client.extensions == {}
        result = await client.send("a@example.org", ["b@example.net"], MESSAGE)
    assert result.final is not None and result.final.code == 250
    assert peer.commands[:3] == [
        b"EHLO client.test",
        b"HELO client.test",
        b"MAIL FROM:<a@example.org>",
    ]


async def test_smtputf8_is_not_sent_to_a_server_without_it() -> None:
    async with ScriptedPeer(Script()) as peer, await connect(peer.port) as client:
        with pytest.raises(SmtpNotPossible) as caught:
            await client.send("a@example.org", ["jürgen@example.net"], MESSAGE, smtputf8=True)
        assert caught.value.status == "5.6.7" and not caught.value.temporary
    assert not any(command.startswith(b"MAIL") for command in peer.commands)


async def test_refused_greeting() -> None:
    script = Script(greeting=b"554 5.3.2 no service here\r\n")
    async with ScriptedPeer(script) as peer:
        with pytest.raises(SmtpReplyError) as caught:
            await connect(peer.port)
    assert not caught.value.temporary
    assert caught.value.reply is not None and caught.value.reply.code == 554
    assert peer.commands == [b"QUIT"]  # RFC 5321 §3.1


async def test_garbage_reply_is_wrapped() -> None:
    async with ScriptedPeer(Script(greeting=b"HTTP/1.1 400 Bad Request\r\n")) as peer:
        with pytest.raises(SmtpBadReply) as caught:
            await connect(peer.port)
    assert caught.value.temporary


async def test_starttls_response_injection_is_refused(certificate: tuple[Path, Path]) -> None:
    script = Script(
        extensions=("STARTTLS",),
        tls=TlsContextProvider(*certificate).context,
        after_starttls_reply=b"250 injected before the handshake\r\n",
    )
    async with ScriptedPeer(script) as peer:
        client = await connect(peer.port, tls_context=make_client_context(verify=False))
        with pytest.raises(SmtpTlsError, match="before the TLS handshake"):
            await client.starttls()
        assert client.closed


async def test_scram_sha_256(certificate: tuple[Path, Path]) -> None:
    script = Script(extensions=("AUTH SCRAM-SHA-256 PLAIN",), scram_password="pencil")
    async with ScriptedPeer(script) as peer, await connect(peer.port) as client:
        reply = await client.auth("user", "pencil")
        assert reply.code == 235
    assert peer.commands[1].startswith(b"AUTH SCRAM-SHA-256 ")


async def test_scram_wrong_password_and_forged_server_signature() -> None:
    script = Script(extensions=("AUTH SCRAM-SHA-256",), scram_password="pencil")
    async with ScriptedPeer(script) as peer, await connect(peer.port) as client:
        with pytest.raises(SmtpAuthError):
            await client.auth("user", "wrong")
    forged = Script(
        extensions=("AUTH SCRAM-SHA-256",), scram_password="pencil", forge_scram_signature=True
    )
    async with ScriptedPeer(forged) as peer, await connect(peer.port) as client:
        # RFC 5802 §5.1: a server that cannot prove it knows the password is refused.
        with pytest.raises(SmtpAuthError, match="signature"):
            await client.auth("user", "pencil")
