"""HTTP/1.1 on courriel's own listener: uvicorn's h11 protocol handed each accepted TLS
connection (``Connection.hand_over``), over real loopback sockets with a real client:
keep-alive, the per-IP limit's 503, a request body, a certificate reload for new
handshakes, stopping with a stream still open, slow request heads and bodies, the access
log and failed requests, and ``stop()`` ending server-sent event streams at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.runtime.server import webmail_url
from courriel.web.events import ServerStopping, server_stopping
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


# -- access log, failures, slow request bodies, stop with server-sent events ---------------


async def fails(request: Request) -> Response:
    raise RuntimeError("the database is on fire")


async def fails_midway(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first part\n"
        await asyncio.sleep(0.05)
        raise RuntimeError("the second part is on fire")

    return StreamingResponse(chunks(), media_type="text/plain")


async def answers_at_once(request: Request) -> Response:
    return PlainTextResponse("no need for your body")


async def until_stopped(request: Request) -> Response:
    """A server-sent event stream that ends when the server stops (as ``/events``)."""
    stopped = asyncio.Event()

    async def events() -> AsyncIterator[bytes]:
        with server_stopping(request).on_stop(stopped.set):
            yield b"retry: 5000\n\n"
            while not stopped.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopped.wait(), 25)
                yield b": keep-alive\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


def app_with_body_watch(ended: asyncio.Event) -> Starlette:
    """APP's routes, plus ``/upload``, which reads the body and sets ``ended`` however it
    ends, and the failing, early-answering and stream routes."""

    async def upload(request: Request) -> Response:
        try:
            return PlainTextResponse(str(len(await request.body())))
        finally:
            ended.set()

    return Starlette(
        routes=[
            *APP.routes,
            Route("/upload", upload, methods=["POST"]),
            Route("/early", answers_at_once, methods=["POST"]),
            Route("/fail", fails),
            Route("/fail-midway", fails_midway),
            Route("/events", until_stopped),
        ]
    )


@contextlib.asynccontextmanager
async def serving(
    certificate: tuple[Path, Path], app: Starlette, **options: Any
) -> AsyncIterator[tuple[Listener, HttpOnConnection]]:
    http = HttpOnConnection(app, keep_alive=5.0, **options)
    listener = Listener(
        "https",
        ["127.0.0.1"],
        0,
        http.serve,
        tls=TlsContextProvider(*certificate),
        implicit_tls=True,
        on_refused=http.refuse,
    )
    await listener.start()
    try:
        yield listener, http
    finally:
        await listener.stop(1.0)


async def raw_tls(cert: Path, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    context = ssl.create_default_context(cafile=str(cert))
    return await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="127.0.0.1"
    )


async def close_quietly(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ssl.SSLError, ConnectionError):
        await writer.wait_closed()


def access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "courriel.web.access"]


async def test_one_access_line_per_request_without_the_query(
    certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="courriel")
    async with serving(certificate, APP) as (listener, _), client(certificate[0]) as http:
        base = f"https://127.0.0.1:{listener.port}"
        await http.get(base + "/?token=s3cr3t-token&q=private+search")
        await http.post(base + "/echo?code=123456", content=b"x" * 1000)
        await http.get(base + "/missing")
    lines = access_lines(caplog)
    assert len(lines) == 3, lines
    pattern = re.compile(r"^127\.0\.0\.1 - (\S+) (\S+) (\d{3}) (\d+) \d+ms (\w+)$")
    fields = [pattern.match(line) for line in lines]
    assert all(fields), lines
    assert [(m[1], m[2], m[3]) for m in fields if m] == [
        ("GET", "/", "200"),
        ("POST", "/echo", "200"),
        ("GET", "/missing", "404"),
    ]
    assert [m[4] for m in fields if m][:2] == ["21", "4"]  # "hello https 127.0.0.1", "1000"
    assert len({m[5] for m in fields if m}) == 1  # one kept-alive connection, one id
    everything = caplog.text + "".join(str(vars(r)) for r in caplog.records)
    for secret in ("s3cr3t", "private", "123456"):
        assert secret not in everything
    record = next(r for r in caplog.records if r.name == "courriel.web.access")
    assert (record.method, record.path, record.status) == ("GET", "/", 200)  # type: ignore[attr-defined]


async def test_the_access_log_can_be_turned_off(
    certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="courriel")
    async with (
        serving(certificate, APP, access_log=False) as (listener, _),
        client(certificate[0]) as http,
    ):
        assert (await http.get(f"https://127.0.0.1:{listener.port}/")).status_code == 200
    assert access_lines(caplog) == []


async def test_a_failing_request_is_logged_once_and_never_shown(
    certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = app_with_body_watch(asyncio.Event())
    async with serving(certificate, app) as (listener, _), client(certificate[0]) as http:
        base = f"https://127.0.0.1:{listener.port}"
        failed = await http.get(base + "/fail")
        assert failed.status_code == 500
        assert "fire" not in failed.text and "Traceback" not in failed.text
        with pytest.raises(httpx.RemoteProtocolError):  # cut: a truncated body is not whole
            await http.get(base + "/fail-midway")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2, [r.getMessage() for r in errors]
    assert all(r.name == "courriel.web" and r.exc_info for r in errors)
    connection_ids = [str(getattr(r, "connection", "")) for r in errors]
    assert all(connection_ids)
    assert connection_ids[0] in errors[0].getMessage()
    assert "GET /fail failed" in errors[0].getMessage()
    statuses = [line.split()[4] for line in access_lines(caplog)]
    assert statuses == ["500", "200"]  # the stream had started when it failed


async def test_a_request_body_too_slow_is_answered_408_and_closed(
    certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """A client dribbling its body (a byte every 0.1 s, where 100 bytes/s are asked) is
    answered 408 and disconnected after ``body_timeout`` plus what its bytes bought; the
    app reading the body ends (the worker is not held)."""
    caplog.set_level(logging.INFO, logger="courriel")
    ended = asyncio.Event()
    app = app_with_body_watch(ended)
    async with serving(certificate, app, body_timeout=0.5, body_min_rate=100) as (listener, _):
        reader, writer = await raw_tls(certificate[0], listener.port)
        started = asyncio.get_running_loop().time()
        writer.write(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000\r\n\r\n")
        for _ in range(40):  # would take 4 s; the limit is 0.5 s + 1 s per 100 bytes
            await asyncio.sleep(0.1)
            if reader.at_eof() or writer.is_closing():
                break
            writer.write(b"x")
        answer = await asyncio.wait_for(reader.read(), 5)
        elapsed = asyncio.get_running_loop().time() - started
        await close_quietly(writer)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer
        assert b"connection: close" in answer.lower()
        assert 0.5 <= elapsed < 2.5, elapsed
        await asyncio.wait_for(ended.wait(), 5)
        # A body that keeps up is not cut, however long it takes beyond body_timeout.
        reader, writer = await raw_tls(certificate[0], listener.port)
        writer.write(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n")
        for _ in range(10):  # 100 bytes every 0.1 s: 1000 bytes/s for 1 s
            await asyncio.sleep(0.1)
            writer.write(b"y" * 100)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n"), head
        assert await asyncio.wait_for(reader.readexactly(4), 5) == b"1000"
        await close_quietly(writer)
    assert "POST /upload 408 23 " in "\n".join(access_lines(caplog))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_slow_body_after_the_answer_is_cut_without_a_408(
    certificate: tuple[Path, Path],
) -> None:
    app = app_with_body_watch(asyncio.Event())
    async with serving(certificate, app, body_timeout=0.5, body_min_rate=0) as (listener, _):
        reader, writer = await raw_tls(certificate[0], listener.port)
        writer.write(b"POST /early HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        for _ in range(30):
            await asyncio.sleep(0.1)
            if reader.at_eof() or writer.is_closing():
                break
            writer.write(b"z")
        rest = await asyncio.wait_for(reader.read(), 5)
        await close_quietly(writer)
        assert rest == b"no need for your body"  # then closed: no 408 after an answer


async def test_stop_ends_an_event_stream_at_once(
    certificate: tuple[Path, Path],
) -> None:
    """``stop()`` ends the server-sent event streams cleanly and closes idle connections
    (clients that do not answer the TLS close are dropped after ``STOP_CLOSE_WAIT``): the
    listener's stop takes far less than its grace."""
    app = app_with_body_watch(asyncio.Event())
    async with serving(certificate, app) as (listener, http_server):
        url = f"https://127.0.0.1:{listener.port}"
        async with client(certificate[0]) as idle, client(certificate[0]) as streaming:
            assert (await idle.get(url + "/")).status_code == 200  # kept alive, idle
            async with streaming.stream("GET", url + "/events") as stream:
                lines = stream.aiter_lines()
                assert await anext(lines) == "retry: 5000"
                started = asyncio.get_running_loop().time()
                http_server.stop()
                stopping = asyncio.create_task(listener.stop(30.0))
                rest = [line async for line in lines]  # ends cleanly: no error
                await asyncio.wait_for(stopping, 5)
                elapsed = asyncio.get_running_loop().time() - started
        assert rest == ["", ": keep-alive", ""], rest
        assert elapsed < 5.0, elapsed  # the grace was 30 s
        assert listener.active_connections == 0


async def test_a_malformed_request_gets_400_and_an_access_line(
    certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serving(certificate, APP) as (listener, _):
        reader, writer = await raw_tls(certificate[0], listener.port)
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Name: x\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        await close_quietly(writer)
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert [line.split()[:5] for line in access_lines(caplog)] == [
        ["127.0.0.1", "-", "-", "-", "400"]
    ]
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]


def test_server_stopping_calls_each_callback_once() -> None:
    stopping = ServerStopping()
    calls: list[str] = []
    with stopping.on_stop(lambda: calls.append("open")):
        with stopping.on_stop(lambda: calls.append("ended before")):
            pass
        stopping.stop()
        stopping.stop()
        with stopping.on_stop(lambda: calls.append("after")):
            pass
    assert calls == ["open", "after"]


async def test_a_client_leaving_mid_body_is_no_error(
    certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    ended = asyncio.Event()
    async with serving(certificate, app_with_body_watch(ended)) as (listener, _):
        _, writer = await raw_tls(certificate[0], listener.port)
        writer.write(b"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n")
        writer.write(b"only ten b")
        await writer.drain()
        await asyncio.sleep(0.1)
        await close_quietly(writer)
        await asyncio.wait_for(ended.wait(), 5)
    assert [line.split()[2:6] for line in access_lines(caplog)] == [
        ["POST", "/upload", "-", "0"]  # nothing was answered: the client had left
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
