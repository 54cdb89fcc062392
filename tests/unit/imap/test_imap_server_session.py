"""IMAP session behaviour that transcripts cannot show: COMPRESS=DEFLATE, SCRAM-SHA-256,
two-factor accounts and app passwords, unexpected errors, IDLE timeouts, a selected mailbox
deleted elsewhere, the per-IP connection limit and shutdown during IDLE."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pyotp
import pytest

from courriel import sasl
from courriel.config import Config, EnabledListener
from courriel.imap.server.server import imap_server
from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.runtime.services import Services
from support.services import temporary_services

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"


class Client:
    """A raw IMAP client on a loopback socket, with optional DEFLATE."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.deflate: zlib._Compress | None = None
        self.inflate: zlib._Decompress | None = None
        self.pending = b""

    async def send(self, line: str | bytes) -> None:
        data = (line.encode() if isinstance(line, str) else line) + b"\r\n"
        if self.deflate is not None:
            data = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.writer.write(data)
        await self.writer.drain()

    async def line(self) -> str:
        while b"\n" not in self.pending:
            data = await asyncio.wait_for(self.reader.read(65536), 10)
            if not data:
                raise ConnectionError("closed")
            self.pending += self.inflate.decompress(data) if self.inflate else data
        line, _, self.pending = self.pending.partition(b"\n")
        return line.decode().rstrip("\r")

    async def until_tagged(self, tag: str) -> list[str]:
        lines = []
        while True:
            line = await self.line()
            lines.append(line)
            if line.startswith(tag + " "):
                return lines

    async def command(self, tag: str, text: str) -> list[str]:
        await self.send(f"{tag} {text}")
        return await self.until_tagged(tag)

    async def closed(self) -> bool:
        try:
            return await asyncio.wait_for(self.reader.read(1), 10) == b""
        except ConnectionError:
            return True


@dataclasses.dataclass
class Server:
    services: Services
    port: int
    listener: Listener
    clients: list[Client] = dataclasses.field(default_factory=list)

    async def connect(self) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        client = Client(reader, writer)
        self.clients.append(client)
        assert (await client.line()).startswith("* OK")
        return client

    async def logged_in(self) -> Client:
        client = await self.connect()
        assert (await client.command("l", f'LOGIN {ALICE} "{PASSWORD}"'))[-1].startswith("l OK")
        return client


def settings(**limits: float) -> Callable[[Config], Config]:
    def apply(config: Config) -> Config:
        auth = dataclasses.replace(config.auth, plaintext_on_loopback=True)
        return dataclasses.replace(
            config,
            auth=auth,
            limits=dataclasses.replace(config.limits, **limits),  # type: ignore[arg-type]
        )

    return apply


@asynccontextmanager
async def imap(
    tmp_path: Path, *, per_ip: int | None = None, **limits: float
) -> AsyncIterator[Server]:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    tls = TlsContextProvider(certificate, key)
    async with temporary_services(tmp_path / "data", configure=settings(**limits)) as services:

        async def no_delay(seconds: float) -> None:
            del seconds

        services.auth.sleep = no_delay
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account(ALICE, PASSWORD)
        enabled = EnabledListener("imap", "imap", "starttls", ("127.0.0.1",), 0)
        protocol = imap_server(services, tls, enabled)
        listener = Listener(
            "imap",
            ["127.0.0.1"],
            0,
            protocol.handler,
            tls=tls,
            max_connections_per_ip=per_ip,
            on_refused=protocol.on_refused,
        )
        await listener.start()
        server = Server(services, listener.port, listener)
        try:
            yield server
        finally:
            for client in server.clients:
                client.writer.close()
            await listener.stop(1.0)


async def test_compress_deflate(tmp_path: Path) -> None:
    async with imap(tmp_path) as server:
        client = await server.connect()
        assert (await client.command("a", "COMPRESS DEFLATE"))[-1].startswith("a BAD")
        client = await server.logged_in()
        assert (await client.command("b", "COMPRESS LZW"))[-1].startswith("b NO")
        assert (await client.command("c", "COMPRESS DEFLATE"))[-1] == "c OK DEFLATE active"
        client.deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        client.inflate = zlib.decompressobj(-15)
        lines = await client.command("d", "CAPABILITY")
        assert "IMAP4rev2" in lines[0] and "COMPRESS=DEFLATE" not in lines[0]
        assert (await client.command("e", "COMPRESS DEFLATE"))[-1].startswith(
            "e NO [COMPRESSIONACTIVE]"
        )
        lines = await client.command("f", 'LIST "" INBOX')
        assert lines == ['* LIST (\\HasNoChildren) "/" INBOX', "f OK LIST completed"]
        await client.send("g LOGOUT")
        assert (await client.until_tagged("g"))[-1] == "g OK LOGOUT completed"


async def test_scram_sha_256_with_sasl_ir(tmp_path: Path) -> None:
    async with imap(tmp_path) as server:
        client = await server.connect()
        scram = sasl.ScramClient(ALICE, PASSWORD)
        first = base64.b64encode(scram.first()).decode()
        await client.send(f"a AUTHENTICATE SCRAM-SHA-256 {first}")
        challenge = await client.line()
        assert challenge.startswith("+ ")
        final = await asyncio.to_thread(scram.final, base64.b64decode(challenge[2:]))
        await client.send(base64.b64encode(final))
        verifier = await client.line()
        assert verifier.startswith("+ ")
        scram.verify(base64.b64decode(verifier[2:]))
        await client.send(b"")
        assert (await client.until_tagged("a"))[-1].startswith("a OK [CAPABILITY")


async def test_two_factor_accounts_need_app_passwords(tmp_path: Path) -> None:
    async with imap(tmp_path) as server:
        auth = server.services.auth
        enrolment = await auth.begin_totp(ALICE)
        await auth.confirm_totp(ALICE, pyotp.TOTP(enrolment.secret).at(server.services.clock.now()))
        client = await server.connect()
        [refused] = await client.command("a", f'LOGIN {ALICE} "{PASSWORD}"')
        assert refused.startswith("a NO [ALERT] app password required")
        _, smtp_only = await auth.add_app_password(ALICE, "laptop", ("smtp",))
        [refused] = await client.command("b", f'LOGIN {ALICE} "{smtp_only}"')
        assert refused.startswith("b NO [AUTHENTICATIONFAILED]")
        _, for_imap = await auth.add_app_password(ALICE, "phone", ("imap",))
        [accepted] = await client.command("c", f'LOGIN {ALICE} "{for_imap}"')
        assert accepted.startswith("c OK [CAPABILITY")


async def test_an_unexpected_error_is_logged_once_and_the_session_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with imap(tmp_path) as server:
        client = await server.logged_in()

        async def broken(account_id: int) -> list[object]:
            raise RuntimeError(f"disk on fire for {account_id}")

        monkeypatch.setattr(server.services.mailstore, "list_mailboxes", broken)
        with caplog.at_level(logging.ERROR, logger="courriel.imap"):
            lines = await client.command("a", 'LIST "" *')
        assert lines == ["a BAD [SERVERBUG] Internal server error"]
        [record] = [r for r in caplog.records if r.name == "courriel.imap"]
        assert ALICE in record.getMessage() and "LIST" in record.getMessage()
        assert "disk on fire" not in lines[0]
        assert (await client.command("b", "NOOP")) == ["b OK NOOP completed"]


async def test_idle_ends_with_bye_after_the_idle_timeout(tmp_path: Path) -> None:
    async with imap(tmp_path, idle_timeout=0.5) as server:
        client = await server.logged_in()
        await client.command("s", "SELECT INBOX")
        await client.send("i IDLE")
        assert (await client.line()).startswith("+ ")
        assert await client.line() == "* BYE Autologout; idle for too long"
        assert await client.closed()


async def test_selected_mailbox_deleted_elsewhere(tmp_path: Path) -> None:
    async with imap(tmp_path) as server:
        first, second = await server.logged_in(), await server.logged_in()
        await first.command("a", "CREATE Doomed")
        await first.command("b", "SELECT Doomed")
        assert (await second.command("c", "DELETE Doomed")) == ["c OK DELETE completed"]
        await first.send("d NOOP")
        assert await first.line() == "* BYE Selected mailbox was deleted, have to disconnect"
        assert await first.closed()


async def test_too_many_connections_from_one_address(tmp_path: Path) -> None:
    async with imap(tmp_path, per_ip=1) as server:
        first = await server.connect()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        refused = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        assert refused.startswith(b"* BYE")
        assert (await first.command("a", "NOOP")) == ["a OK NOOP completed"]


async def test_stopping_the_server_during_idle(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with imap(tmp_path) as server:
        client = await server.logged_in()
        await client.command("s", "SELECT INBOX")
        await client.send("i IDLE")
        assert (await client.line()).startswith("+ ")
        server.clients.remove(client)  # still connected when the listener stops
        with caplog.at_level(logging.ERROR):
            await server.listener.stop(0.2)
    assert await client.closed()
    client.writer.close()
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
