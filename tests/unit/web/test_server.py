"""HTTP/1.1 on courriel's own listener: uvicorn's h11 protocol handed each accepted TLS
connection (``Connection.hand_over``), over real loopback sockets with a real client:
keep-alive, the per-IP limit's 503, a request body, a certificate reload for new
handshakes, and stopping with a stream still open."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.runtime.server import webmail_url
from courriel.web.server import HttpOnConnection


async def hello(request: Request) -> Response:
    return PlainTextResponse(
        f"hello {request.url.scheme} {request.client.host if request.client else ''}"
    )


async def echo(request: Request) -> Response:
    return PlainTextResponse(str(len(await request.body())))


async def forever(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        while True:
            yield b"tick\n"
            await asyncio.sleep(0.05)

    return StreamingResponse(chunks(), media_type="text/plain")


APP = Starlette(
    routes=[
        Route("/", hello),
        Route("/echo", echo, methods=["POST"]),
        Route("/forever", forever),
    ]
)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("web.example.test", cert, key, extra_names=("127.0.0.1",))
    return cert, key


async def start(
    certificate: tuple[Path, Path], limit: int = 20, keep_alive: float = 5.0
) -> tuple[Listener, TlsContextProvider]:
    tls = TlsContextProvider(*certificate)
    http = HttpOnConnection(APP, keep_alive=keep_alive)
    listener = Listener(
        "https",
        ["127.0.0.1"],
        0,
        http.serve,
        tls=tls,
        implicit_tls=True,
        max_connections_per_ip=limit,
        on_refused=http.refuse,
    )
    await listener.start()
    return listener, tls


def client(cert: Path) -> httpx.AsyncClient:
    context = ssl.create_default_context(cafile=str(cert))
    return httpx.AsyncClient(verify=context, timeout=10)


async def test_keep_alive_requests_over_tls(certificate: tuple[Path, Path]) -> None:
    listener, _ = await start(certificate)
    try:
        async with client(certificate[0]) as http:
            base = f"https://127.0.0.1:{listener.port}"
            first = await http.get(base + "/")
            assert first.text == "hello https 127.0.0.1"
            second = await http.post(base + "/echo", content=b"x" * 200_000)
            assert second.text == "200000"
            assert (await http.get(base + "/missing")).status_code == 404
            assert listener.active_connections == 1  # one kept-alive connection for all
    finally:
        await listener.stop(1.0)


async def test_over_the_per_ip_limit_a_503(certificate: tuple[Path, Path]) -> None:
    listener, _ = await start(certificate, limit=1)
    try:
        async with client(certificate[0]) as first, client(certificate[0]) as second:
            base = f"https://127.0.0.1:{listener.port}"
            assert (await first.get(base + "/")).status_code == 200
            refused = await second.get(base + "/")
            assert refused.status_code == 503
            assert refused.headers["connection"] == "close"
    finally:
        await listener.stop(1.0)


async def test_a_reloaded_certificate_serves_new_handshakes(
    certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    listener, tls = await start(certificate)
    try:
        make_self_signed("renewed.example.test", *certificate, extra_names=("127.0.0.1",))
        assert tls.reload()
        async with client(certificate[0]) as http:  # trusts only the new certificate
            answer = await http.get(f"https://127.0.0.1:{listener.port}/")
            assert answer.status_code == 200
    finally:
        await listener.stop(1.0)


async def test_stop_ends_an_open_stream(certificate: tuple[Path, Path]) -> None:
    listener, _ = await start(certificate)
    url = f"https://127.0.0.1:{listener.port}/forever"
    received = 0
    stopping: asyncio.Task[None] | None = None
    cut = False
    async with client(certificate[0]) as http, http.stream("GET", url) as stream:
        try:
            async for _ in stream.aiter_lines():
                received += 1
                if received == 3:
                    stopping = asyncio.create_task(listener.stop(0.2))
        except httpx.HTTPError:
            cut = True  # the stream was cut by the stop, as it never ends by itself
    assert stopping is not None
    await asyncio.wait_for(stopping, 10)
    assert cut and received >= 3
    assert listener.active_connections == 0


async def test_a_silent_client_is_closed(certificate: tuple[Path, Path]) -> None:
    listener, _ = await start(certificate, keep_alive=0.3)
    try:
        context = ssl.create_default_context(cafile=str(certificate[0]))
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", listener.port, ssl=context, server_hostname="127.0.0.1"
        )
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, nothing sent
        writer.close()
        await writer.wait_closed()
    finally:
        await listener.stop(1.0)


def test_the_webmail_address_logged_at_start() -> None:
    assert webmail_url(("127.0.0.1", 8443)) == "https://127.0.0.1:8443/"
    assert webmail_url(("0.0.0.0", 443)) == "https://localhost/"
    assert webmail_url(("::1", 8443)) == "https://[::1]:8443/"


async def test_a_request_head_must_arrive_in_time(certificate: tuple[Path, Path]) -> None:
    """Slowloris: half a request head and then a byte now and then is closed once the
    head has taken ``head_timeout``; a whole head in time is answered."""
    tls = TlsContextProvider(*certificate)
    http = HttpOnConnection(APP, keep_alive=5.0, head_timeout=0.5)
    listener = Listener(
        "https", ["127.0.0.1"], 0, http.serve, tls=tls, implicit_tls=True, on_refused=http.refuse
    )
    await listener.start()
    try:
        context = ssl.create_default_context(cafile=str(certificate[0]))
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", listener.port, ssl=context, server_hostname="127.0.0.1"
        )
        started = asyncio.get_running_loop().time()
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(20):  # a byte every 0.1 s would have kept it open before
            await asyncio.sleep(0.1)
            if reader.at_eof():
                break
            writer.write(b"X")
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, nothing answered
        assert asyncio.get_running_loop().time() - started < 2.5
        writer.close()
        with contextlib.suppress(ssl.SSLError, ConnectionError):
            await writer.wait_closed()
        async with client(certificate[0]) as http_client:
            answered = await http_client.get(f"https://127.0.0.1:{listener.port}/")
            assert answered.status_code == 200
    finally:
        await listener.stop(1.0)
