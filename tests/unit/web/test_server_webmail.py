"""The webmail as ``web_server`` serves it (the factory ``courriel serve`` uses), over real
Services, a real TLS listener on loopback and a real HTTP client: the access line names
the logged-in account and never the query; ``on_stop`` ends an open ``/events`` stream at
once, cleanly, where the listener's grace would have held the stop; the ``[web]`` body
settings reach the HTTP server."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from courriel.config import EnabledListener
from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.runtime.server import ProtocolServer
from courriel.runtime.services import Services
from courriel.web.server import web_server
from support.scenario import configure
from support.services import temporary_services

from .conftest import ALICE, PASSWORD, login, without_login_delay


@dataclass
class Served:
    services: Services
    protocol: ProtocolServer
    listener: Listener
    cert: Path

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.listener.port}"

    def client(self) -> httpx.AsyncClient:
        context = ssl.create_default_context(cafile=str(self.cert))
        return httpx.AsyncClient(base_url=self.base, verify=context, timeout=10)


@asynccontextmanager
async def served(tmp_path: Path, **web: str) -> AsyncIterator[Served]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", cert, key, extra_names=("127.0.0.1",))
    tls = TlsContextProvider(cert, key)
    overrides = {f"web.{name}": value for name, value in web.items()}
    async with temporary_services(tmp_path / "data", configure=configure(overrides)) as services:
        without_login_delay(services)
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account(ALICE, PASSWORD)
        protocol = web_server(
            services, tls, EnabledListener("https", "http", "implicit", ("127.0.0.1",), 0)
        )
        listener = Listener(
            "https",
            ["127.0.0.1"],
            0,
            protocol.handler,
            tls=tls,
            implicit_tls=True,
            on_refused=protocol.on_refused,
        )
        await listener.start()
        try:
            yield Served(services, protocol, listener, cert)
        finally:
            await listener.stop(1.0)


async def test_the_access_line_names_the_account(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="courriel")
    async with served(tmp_path) as server, server.client() as browser:
        assert (await login(browser)).status_code == 303
        counts = await browser.get("/mail/counts?since=secret-value")
        assert counts.status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "courriel.web.access"]
    assert lines[0].startswith("127.0.0.1 - GET /login 200 ")
    assert lines[1].startswith("127.0.0.1 - POST /login 303 ")  # not logged in yet
    assert lines[2].startswith(f"127.0.0.1 {ALICE} GET /mail/counts 200 ")
    assert "secret-value" not in caplog.text


async def test_stop_ends_the_event_stream_at_once(tmp_path: Path) -> None:
    """A browser's ``/events`` stream, open when the server stops: it ends cleanly (the
    browser reconnects later) and the listener's stop takes far less than its grace."""
    async with served(tmp_path) as server, server.client() as browser:
        assert (await login(browser)).status_code == 303
        account = await server.services.directory.get_account(ALICE)
        inbox = await server.services.mailstore.get_mailbox(account.id, "INBOX")
        async with browser.stream("GET", "/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            assert await anext(lines) == "retry: 5000"
            raw = b"Subject: hello\r\n\r\nbody\r\n"
            await server.services.mailstore.append(account.id, inbox.id, [(raw, [], None)])
            assert await anext(lines) == ""
            assert await anext(lines) == "event: mailbox"
            on_stop = server.protocol.on_stop
            assert on_stop is not None
            started = asyncio.get_running_loop().time()
            on_stop()
            stopping = asyncio.create_task(server.listener.stop(30.0))
            rest = [line async for line in lines]  # the stream ends without an error
            await asyncio.wait_for(stopping, 10)
            elapsed = asyncio.get_running_loop().time() - started
        assert rest[0].startswith("data: ") and '"kind": "added"' in rest[0]
        assert elapsed < 5.0, elapsed  # the grace was 30 s
        assert server.listener.active_connections == 0


async def test_the_body_settings_reach_the_server(tmp_path: Path) -> None:
    """``[web] body_timeout`` and ``body_min_rate``: a login form dribbled slower than
    them is answered 408."""
    async with served(tmp_path, body_timeout="1", body_min_rate="0") as server:
        context = ssl.create_default_context(cafile=str(server.cert))
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", server.listener.port, ssl=context, server_hostname="127.0.0.1"
        )
        writer.write(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\n"
            b"address=alice"
        )
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408 "), answer
