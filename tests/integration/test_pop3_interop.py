"""POP3 with real clients over real TLS: Python's poplib (STLS on the pop3 listener, implicit
TLS on pop3s, certificates made here and verified) and curl (pop3s:// and pop3:// with
--ssl-reqd). The seeds' "laisser une copie sur le serveur" flow: a client that keeps mail on
the server and remembers UIDLs downloads each message once, across sessions and IMAP flag
changes; DELE removes at QUIT only; one session per maildrop across both listeners.

The listeners run in-process, built by ``pop3_server`` exactly as the runtime builds them;
the last test drives ``courriel serve`` once the runtime registers the POP3 server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import poplib
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from courriel.config import EnabledListener
from courriel.config.load import default_config
from courriel.config.schema import LISTENERS
from courriel.directory.passwords import FAST_TEST_PARAMETERS, PasswordHasher
from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.pop3.server import pop3_server
from courriel.runtime.server import Server, protocol_servers
from courriel.runtime.services import Services, open_services
from support.server_process import init_data, running_server
from support.services import temporary_services

pytestmark = pytest.mark.integration

ALICE = "alice@example.test"
PASSWORD = "correct horse battery"


@dataclass
class Pop3Servers:
    services: Services
    stls_port: int
    implicit_port: int
    ca: Path
    account_id: int
    inbox_id: int

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca))
        context.check_hostname = False  # the certificate names mail.example.test
        return context

    async def deliver(self, *messages: bytes) -> None:
        await self.services.mailstore.append(
            self.account_id, self.inbox_id, [(raw, (), None) for raw in messages]
        )

    async def uids(self) -> list[int]:
        _, metas = await self.services.mailstore.snapshot(self.inbox_id)
        return [meta.uid for meta in metas]


@asynccontextmanager
async def pop3_listeners(data: Path) -> AsyncIterator[Pop3Servers]:
    certificate, key = data / "cert.pem", data / "key.pem"
    make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    tls = TlsContextProvider(certificate, key)
    async with temporary_services(data / "store") as services:

        async def no_delay(seconds: float) -> None:
            del seconds

        services.auth.sleep = no_delay
        await services.directory.add_domain("example.test", dkim=False)
        account = await services.directory.add_account(ALICE, PASSWORD)
        inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
        listeners = []
        for name, mode in (("pop3", "starttls"), ("pop3s", "implicit")):
            server = pop3_server(
                services,
                tls,
                EnabledListener(name, "pop3", mode, ("127.0.0.1",), 0),  # type: ignore[arg-type]
            )
            listener = Listener(
                name,
                ["127.0.0.1"],
                0,
                server.handler,
                tls=tls,
                implicit_tls=mode == "implicit",
                on_refused=server.on_refused,
            )
            await listener.start()
            listeners.append(listener)
        try:
            yield Pop3Servers(
                services,
                listeners[0].port,
                listeners[1].port,
                certificate,
                account.id,
                inbox.id,
            )
        finally:
            for listener in listeners:
                await listener.stop(1.0)


def message(subject: str, body: str) -> bytes:
    return f"From: bob@example.net\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()


# --- poplib --------------------------------------------------------------------------------


def poplib_stls_session(servers: Pop3Servers, one: bytes, two: bytes) -> None:
    """A whole session with poplib, checked as it goes (run in a thread)."""
    client = poplib.POP3("127.0.0.1", servers.stls_port, timeout=20)
    try:
        before = client.capa()
        assert "STLS" in before and "USER" not in before  # no password before TLS
        client.stls(servers.context())
        assert isinstance(client.sock, ssl.SSLSocket)
        after = client.capa()
        assert "STLS" not in after
        assert after["SASL"] == ["SCRAM-SHA-256", "PLAIN", "LOGIN"]
        client.user(ALICE)
        assert client.pass_(PASSWORD) == b"+OK logged in, maildrop has 2 messages"
        assert client.stat() == (2, len(one) + len(two))
        assert client.list()[1] == [f"1 {len(one)}".encode(), f"2 {len(two)}".encode()]
        assert [line.split()[0] for line in client.uidl()[1]] == [b"1", b"2"]
        assert b"\r\n".join(client.retr(2)[1]) + b"\r\n" == two  # unstuffed by poplib
        assert client.top(1, 0)[1] == [b"From: bob@example.net", b"Subject: one", b""]
        assert client.dele(1) == b"+OK message 1 deleted"
        assert client.quit().endswith(b" POP3 server signing off (1 message deleted)")
    finally:
        client.close()


async def test_poplib_over_stls(tmp_path: Path) -> None:
    async with pop3_listeners(tmp_path) as servers:
        one = message("one", "first")
        two = message("two", ".a line starting with a dot\r\nlast")
        await servers.deliver(one, two)
        await asyncio.to_thread(poplib_stls_session, servers, one, two)
        assert await servers.uids() == [2]


def leave_on_server_download(servers: Pop3Servers, seen: set[bytes]) -> list[bytes]:
    """What a "leave a copy on the server" client does: UIDL, RETR only ids it has not
    seen, never DELE. Over implicit TLS (pop3s, RFC 8314), in UTF8 mode."""
    client = poplib.POP3_SSL(
        "127.0.0.1", servers.implicit_port, context=servers.context(), timeout=20
    )
    try:
        client.utf8()
        client.user(ALICE)
        client.pass_(PASSWORD)
        downloaded = []
        for line in client.uidl()[1]:
            number, unique_id = line.split()
            if unique_id not in seen:
                downloaded.append(b"\r\n".join(client.retr(int(number))[1]) + b"\r\n")
                seen.add(unique_id)
        client.quit()
    except BaseException:
        client.close()
        raise
    return downloaded


async def test_leave_on_server_downloads_each_message_once(tmp_path: Path) -> None:
    async with pop3_listeners(tmp_path) as servers:
        first, second, third = (message(s, "x") for s in ("first", "second", "third"))
        await servers.deliver(first, second)
        laptop: set[bytes] = set()
        desktop: set[bytes] = set()
        assert await asyncio.to_thread(leave_on_server_download, servers, laptop) == [
            first,
            second,
        ]
        # The webmail reads and flags; new mail comes in.
        await servers.services.mailstore.store_flags(
            servers.account_id, servers.inbox_id, [1, 2], "add", ["\\Seen", "\\Answered"]
        )
        await servers.deliver(third)
        assert await asyncio.to_thread(leave_on_server_download, servers, laptop) == [third]
        assert await asyncio.to_thread(leave_on_server_download, servers, laptop) == []
        # Each computer keeps its own copy of everything (seed 002).
        assert len(await asyncio.to_thread(leave_on_server_download, servers, desktop)) == 3
        assert await servers.uids() == [1, 2, 3]


def in_use_across_listeners(servers: Pop3Servers) -> tuple[bytes, bytes]:
    holder = poplib.POP3_SSL(
        "127.0.0.1", servers.implicit_port, context=servers.context(), timeout=20
    )
    other = poplib.POP3("127.0.0.1", servers.stls_port, timeout=20)
    try:
        holder.user(ALICE)
        holder.pass_(PASSWORD)
        other.stls(servers.context())
        other.user(ALICE)
        try:
            other.pass_(PASSWORD)
        except poplib.error_proto as error:
            refused = error.args[0]
        else:
            raise AssertionError("a second session got the maildrop")
        holder.quit()
        other.user(ALICE)
        accepted = other.pass_(PASSWORD)
        other.quit()
    finally:
        holder.close()
        other.close()
    return refused, accepted


async def test_one_session_per_maildrop_across_pop3_and_pop3s(tmp_path: Path) -> None:
    async with pop3_listeners(tmp_path) as servers:
        refused, accepted = await asyncio.to_thread(in_use_across_listeners, servers)
        assert refused == b"-ERR [IN-USE] maildrop already locked by another session"
        assert accepted.startswith(b"+OK logged in")


# --- curl ----------------------------------------------------------------------------------


def curl(*argv: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["curl", "-sS", "--max-time", "20", "--ssl-reqd", "-k", "-u", f"{ALICE}:{PASSWORD}", *argv],
        capture_output=True,
        timeout=60,
        check=False,
    )


async def test_curl_pop3s_and_pop3_with_stls(tmp_path: Path) -> None:
    async with pop3_listeners(tmp_path) as servers:
        one, two = message("one", "first"), message("two", "second")
        await servers.deliver(one, two)
        implicit = f"pop3s://127.0.0.1:{servers.implicit_port}"
        listing = await asyncio.to_thread(curl, f"{implicit}/")
        assert listing.returncode == 0, listing.stderr
        assert listing.stdout == f"1 {len(one)}\r\n2 {len(two)}\r\n".encode()
        retrieved = await asyncio.to_thread(curl, f"{implicit}/2")
        assert retrieved.returncode == 0, retrieved.stderr
        assert retrieved.stdout == two
        uidl = await asyncio.to_thread(curl, f"{implicit}/", "-X", "UIDL")
        assert uidl.returncode == 0, uidl.stderr
        assert [line.split()[0] for line in uidl.stdout.splitlines()] == [b"1", b"2"]
        upgraded = await asyncio.to_thread(curl, f"pop3://127.0.0.1:{servers.stls_port}/1")
        assert upgraded.returncode == 0, upgraded.stderr
        assert upgraded.stdout == one
        assert await servers.uids() == [1, 2]  # curl left everything on the server


# --- the runtime ----------------------------------------------------------------------------


def fetch_all(servers: tuple[int, int], ca: Path) -> list[bytes]:
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False
    replies = []
    implicit = poplib.POP3_SSL("127.0.0.1", servers[1], context=context, timeout=20)
    implicit.user(ALICE)
    replies.append(implicit.pass_(PASSWORD))
    implicit.quit()
    upgraded = poplib.POP3("127.0.0.1", servers[0], timeout=20)
    upgraded.stls(context)
    upgraded.user(ALICE)
    replies.append(upgraded.pass_(PASSWORD))
    upgraded.quit()
    return replies


async def test_the_runtime_serves_pop3_and_pop3s_with_this_factory(tmp_path: Path) -> None:
    """``runtime.Server`` builds the listeners from the config, as ``courriel serve`` will once
    ``pop3_server`` is in ``protocol_servers()``."""
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    config = default_config(tmp_path / "data")
    off = {
        spec.name: dataclasses.replace(getattr(config.listeners, spec.name), enabled=False)
        for spec in LISTENERS
    }
    config = dataclasses.replace(
        config,
        tls=dataclasses.replace(config.tls, certificate=certificate, key=key),
        listeners=dataclasses.replace(
            config.listeners,
            **{
                **off,
                "pop3": dataclasses.replace(
                    config.listeners.pop3, addresses=("127.0.0.1",), port=0
                ),
                "pop3s": dataclasses.replace(
                    config.listeners.pop3s, addresses=("127.0.0.1",), port=0
                ),
            },
        ),
    )
    services = open_services(config, hasher=PasswordHasher(FAST_TEST_PARAMETERS), parse_workers=0)
    server = Server(config, services=services, factories={"pop3": pop3_server})
    await server.start()
    try:
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account(ALICE, PASSWORD)
        ports = {listener.name: listener.port for listener in server.listeners}
        replies = await asyncio.to_thread(fetch_all, (ports["pop3"], ports["pop3s"]), certificate)
        assert replies == [b"+OK logged in, maildrop has 0 messages"] * 2
    finally:
        await server.stop(1.0)


# --- courriel serve ------------------------------------------------------------------------


@pytest.mark.skipif(
    "pop3" not in protocol_servers(), reason="the runtime does not register POP3 yet"
)
def test_courriel_serve_answers_pop3s(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ports = init_data(data, accounts=(ALICE,))
    with running_server(data, ports) as server:
        result = curl(f"pop3s://127.0.0.1:{server.ports['pop3s']}/")
        assert result.returncode == 0, result.stderr + server.log_text().encode()
        assert result.stdout.strip() == b""  # an empty maildrop (curl prints a CRLF)
        plain = curl(f"pop3://127.0.0.1:{server.ports['pop3']}/")
        assert plain.returncode == 0, plain.stderr
