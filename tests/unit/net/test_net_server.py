"""Listener and Connection over real sockets on loopback, with real TLS."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import pytest

from courriel.net import (
    BindError,
    Connection,
    ConnectionClosed,
    ConnectionIdSource,
    ConnectionInfo,
    LineTooLong,
    Listener,
    ReadTimeout,
    TlsContextProvider,
    TlsInfo,
    make_client_context,
    make_self_signed,
)

HOST = "mail.example.test"

StartListener = Callable[..., Awaitable[Listener]]


@pytest.fixture(scope="module")
def cert_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    make_self_signed(HOST, cert, key, extra_names=["127.0.0.1"])
    return cert, key


@pytest.fixture
def provider(cert_files: tuple[Path, Path]) -> TlsContextProvider:
    return TlsContextProvider(*cert_files)


@pytest.fixture
async def start_listener() -> AsyncIterator[StartListener]:
    started: list[Listener] = []

    async def start(
        handler: Callable[[Connection], Awaitable[None]],
        addresses: tuple[str, ...] = ("127.0.0.1",),
        **options: object,
    ) -> Listener:
        options.setdefault("close_timeout", 2.0)
        options.setdefault("goodbye_timeout", 2.0)
        listener = Listener("test", addresses, 0, handler, **options)  # type: ignore[arg-type]
        await listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        await listener.stop(grace=0)


Client = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@asynccontextmanager
async def connect(
    port: int, host: str = "127.0.0.1", *, tls: bool = False
) -> AsyncIterator[Client]:
    reader, writer = await asyncio.open_connection(
        host,
        port,
        ssl=make_client_context(verify=False) if tls else None,
        server_hostname=HOST if tls else None,
    )
    try:
        yield reader, writer
    finally:
        writer.close()
        with suppress(OSError):
            await writer.wait_closed()


async def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


# --------------------------------------------------------------------------- basics


async def test_session_sees_connection_info(start_listener: StartListener) -> None:
    infos: list[ConnectionInfo] = []

    async def handler(connection: Connection) -> None:
        infos.append(connection.info)
        assert connection.tls_info() is None
        line = await connection.readline(100)
        connection.write(b"echo " + line)
        await connection.drain()

    listener = await start_listener(handler)
    for _ in range(2):
        async with connect(listener.port) as (reader, writer):
            writer.write(b"hello\r\n")
            assert await reader.readline() == b"echo hello\r\n"
            local_port = writer.get_extra_info("sockname")[1]
    first, second = infos
    assert second.peer_ip == "127.0.0.1"
    assert second.peer_port == local_port
    assert (second.local_ip, second.local_port) == ("127.0.0.1", listener.port)
    assert second.listener_name == "test"
    assert first.id != second.id
    assert listener.bound_addresses == (("127.0.0.1", listener.port),)


def test_connection_ids_are_short_and_unique() -> None:
    source = ConnectionIdSource(random_bytes=lambda size: b"\x00\x01\x02\x03"[:size])
    ids = [source.next_id() for _ in range(40_000)]
    assert len(set(ids)) == len(ids)
    assert ids[0] == source.prefix + "001"
    assert all(len(connection_id) <= 8 for connection_id in ids)


async def test_read_exactly_read_some_and_eof(start_listener: StartListener) -> None:
    results: asyncio.Future[tuple[bytes, bytes, bytes]] = asyncio.Future()

    async def handler(connection: Connection) -> None:
        exact = await connection.read_exactly(5)
        some = await connection.read_some(100)
        try:
            await connection.readline(100)
        except ConnectionClosed as closed:
            results.set_result((exact, some, closed.partial))

    listener = await start_listener(handler)
    async with connect(listener.port) as (_, writer):
        writer.write(b"12345")
        await asyncio.sleep(0.05)
        writer.write(b"rest")
        await asyncio.sleep(0.05)
        writer.write(b"no newline")
        writer.write_eof()
        assert await asyncio.wait_for(results, 2) == (b"12345", b"rest", b"no newline")


async def test_reply_after_client_half_close(start_listener: StartListener) -> None:
    async def handler(connection: Connection) -> None:
        line = await connection.readline(100)
        with pytest.raises(ConnectionClosed):
            await connection.readline(100)
        connection.write(b"221 bye after " + line)

    listener = await start_listener(handler)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"QUIT\r\n")
        writer.write_eof()
        assert await reader.read() == b"221 bye after QUIT\r\n"


# --------------------------------------------------------------------------- lines and timeouts


async def test_long_line_is_discarded_and_reading_continues(start_listener: StartListener) -> None:
    outcomes: list[object] = []

    async def handler(connection: Connection) -> None:
        for _ in range(4):
            try:
                outcomes.append(await connection.readline(32))
            except LineTooLong as error:
                outcomes.append(("too long", error.limit, error.discarded))
        connection.write(b"done\r\n")

    listener = await start_listener(handler)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"x" * 30 + b"\r\n")  # exactly 32 bytes: allowed
        writer.write(b"y" * 31 + b"\r\n")  # 33 bytes: too long
        writer.write(b"A" * 100 + b"\r\nNEXT\r\n")
        assert await reader.readline() == b"done\r\n"
    assert outcomes == [
        b"x" * 30 + b"\r\n",
        ("too long", 32, 33),
        ("too long", 32, 102),
        b"NEXT\r\n",
    ]


async def test_endless_line_is_not_buffered(start_listener: StartListener) -> None:
    seen: list[object] = []

    async def handler(connection: Connection) -> None:
        try:
            await connection.readline(100)
        except LineTooLong as error:
            seen.append(error.discarded)
        seen.append(connection.pending())
        seen.append(await connection.readline(100))

    listener = await start_listener(handler, read_high_water=4096)
    async with connect(listener.port) as (_, writer):
        for _ in range(50):
            writer.write(b"z" * 20_000)
            await writer.drain()
        writer.write(b"\r\nOK\r\n")
        await writer.drain()
        await wait_until(lambda: len(seen) == 3)
    discarded, pending_after, next_line = seen
    assert discarded == 1_000_002
    assert isinstance(pending_after, int)
    assert pending_after <= len(b"OK\r\n")  # the megabyte never sat in the buffer
    assert next_line == b"OK\r\n"


async def test_read_timeout_keeps_the_connection_usable(start_listener: StartListener) -> None:
    async def handler(connection: Connection) -> None:
        with pytest.raises(ReadTimeout):
            await connection.readline(100, timeout=0.05)
        connection.write(b"timed out\r\n")
        connection.write(b"got " + await connection.readline(100, timeout=5))

    listener = await start_listener(handler)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"par")  # an incomplete line stays buffered across the timeout
        assert await reader.readline() == b"timed out\r\n"
        writer.write(b"tial\r\n")
        assert await reader.readline() == b"got partial\r\n"


async def test_timeout_while_discarding_a_long_line(start_listener: StartListener) -> None:
    outcomes: list[object] = []

    async def handler(connection: Connection) -> None:
        with pytest.raises(ReadTimeout):
            await connection.readline(10, timeout=0.05)
        connection.write(b"waiting\r\n")
        with pytest.raises(LineTooLong):
            await connection.readline(10, timeout=5)
        outcomes.append(await connection.readline(10, timeout=5))

    listener = await start_listener(handler)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"L" * 50)
        assert await reader.readline() == b"waiting\r\n"
        writer.write(b"L" * 50 + b"\nafter\r\n")
        await wait_until(lambda: bool(outcomes))
    assert outcomes == [b"after\r\n"]


async def test_each_read_gets_its_whole_timeout(start_listener: StartListener) -> None:
    """One timer per connection is pushed back by each read, not restarted: a read that
    starts late in the previous read's time still gets its whole timeout, and a shorter
    timeout after a longer one still fires on time."""
    waited: list[float] = []

    async def handler(connection: Connection) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(3):  # the first read arms the timer for 0.3 s from its start
            connection.write(b"got " + await connection.readline(100, timeout=0.3))
        started = loop.time()
        with pytest.raises(ReadTimeout):
            await connection.readline(100, timeout=0.3)
        waited.append(loop.time() - started)
        started = loop.time()
        with pytest.raises(ReadTimeout):
            await connection.readline(100, timeout=0.05)
        waited.append(loop.time() - started)
        connection.write(b"got " + await connection.readline(100, timeout=5))

    listener = await start_listener(handler)
    async with connect(listener.port) as (reader, writer):
        for line in (b"a\r\n", b"b\r\n", b"c\r\n"):
            await asyncio.sleep(0.1)
            writer.write(line)
            assert await reader.readline() == b"got " + line
        await wait_until(lambda: len(waited) == 2)
        writer.write(b"after\r\n")
        assert await reader.readline() == b"got after\r\n"
    assert 0.29 <= waited[0] < 0.6
    assert 0.04 <= waited[1] < 0.3


async def test_a_cancelled_read_is_not_a_timeout(start_listener: StartListener) -> None:
    outcomes: list[str] = []

    async def handler(connection: Connection) -> None:
        read = asyncio.create_task(connection.readline(100, timeout=0.2))
        await asyncio.sleep(0.01)
        read.cancel()
        with pytest.raises(asyncio.CancelledError):
            await read
        outcomes.append("cancelled")
        with pytest.raises(ReadTimeout):  # the connection's timer still works afterwards
            await connection.readline(100, timeout=0.05)
        outcomes.append("timed out")

    listener = await start_listener(handler)
    async with connect(listener.port):
        await wait_until(lambda: len(outcomes) == 2)
    assert outcomes == ["cancelled", "timed out"]


async def test_lines_answered_as_they_arrive(start_listener: StartListener) -> None:
    """``answer_lines_with``: lines the answerer takes are replied to without waking the
    waiting read, in order and in one write per arrival; the first line it leaves, and
    every line after it, go to ``readline``."""
    offered: list[bytes] = []
    read: list[bytes] = []

    def answer(line: bytes) -> bytes | None:
        offered.append(line)
        return b"fast " + line if line.startswith(b"ping") else None

    async def handler(connection: Connection) -> None:
        connection.answer_lines_with(answer, 100)
        while (line := await connection.readline(100, timeout=5)) != b"quit\r\n":
            read.append(line)
            connection.write(b"slow " + line)

    listener = await start_listener(handler)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"ping 1\r\nping 2\r\nother\r\nping 3\r\n")
        replies = [await reader.readline() for _ in range(4)]
        # After a line left to the read, the read takes the rest.
        assert replies == [
            b"fast ping 1\r\n",
            b"fast ping 2\r\n",
            b"slow other\r\n",
            b"slow ping 3\r\n",
        ]
        writer.write(b"pi")  # a line in pieces is offered once complete
        await asyncio.sleep(0.05)
        writer.write(b"ng 4\r\n")
        assert await reader.readline() == b"fast ping 4\r\n"
        writer.write(b"quit\r\n")
        assert await reader.read() == b""
    assert read == [b"other\r\n", b"ping 3\r\n"]
    assert offered == [b"ping 1\r\n", b"ping 2\r\n", b"other\r\n", b"ping 4\r\n", b"quit\r\n"]


async def test_answered_lines_count_as_activity_for_the_read_timeout(
    start_listener: StartListener,
) -> None:
    outcomes: list[float] = []

    async def handler(connection: Connection) -> None:
        connection.answer_lines_with(lambda line: b"ok\r\n", 100)
        try:
            await connection.readline(100, timeout=0.3)
        except ReadTimeout:
            outcomes.append(asyncio.get_running_loop().time())

    listener = await start_listener(handler)
    async with connect(listener.port) as (reader, writer):
        started = asyncio.get_running_loop().time()
        for _ in range(4):  # 0.4 s of commands, each answered without waking the read
            writer.write(b"noop\r\n")
            assert await reader.readline() == b"ok\r\n"
            await asyncio.sleep(0.1)
        await wait_until(lambda: bool(outcomes), timeout=2)
    assert outcomes[0] - started > 0.6  # 0.3 s after the last answered line


async def test_a_failing_answerer_leaves_lines_to_the_read(start_listener: StartListener) -> None:
    read: list[bytes] = []

    def answer(line: bytes) -> bytes | None:
        raise RuntimeError("bug")

    async def handler(connection: Connection) -> None:
        connection.answer_lines_with(answer, 100)
        read.append(await connection.readline(100, timeout=5))
        read.append(await connection.readline(100, timeout=5))

    listener = await start_listener(handler)
    async with connect(listener.port) as (_, writer):
        writer.write(b"one\r\n")
        await wait_until(lambda: len(read) == 1)
        writer.write(b"two\r\n")
        await wait_until(lambda: len(read) == 2)
    assert read == [b"one\r\n", b"two\r\n"]


async def test_no_line_is_answered_while_an_overlong_one_is_discarded(
    start_listener: StartListener,
) -> None:
    outcomes: list[object] = []

    async def handler(connection: Connection) -> None:
        connection.answer_lines_with(lambda line: b"answered " + line, 10)
        with pytest.raises(LineTooLong):
            await connection.readline(10, timeout=5)
        outcomes.append(await connection.readline(10, timeout=5))

    listener = await start_listener(handler)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"L" * 50)
        await asyncio.sleep(0.05)
        writer.write(b"L" * 50 + b"ng\r\n")  # the overlong line ends: not a command
        await asyncio.sleep(0.05)
        writer.write(b"x\r\n")
        assert await reader.readline() == b"answered x\r\n"
    assert outcomes == []  # the read that discarded never saw "x"


# --------------------------------------------------------------------------- TLS


async def test_implicit_tls_and_tls_info(
    start_listener: StartListener, provider: TlsContextProvider
) -> None:
    infos: list[TlsInfo | None] = []

    async def handler(connection: Connection) -> None:
        infos.append(connection.tls_info())
        connection.write(b"* OK " + await connection.readline(100))

    listener = await start_listener(handler, tls=provider, implicit_tls=True)
    async with connect(listener.port, tls=True) as (reader, writer):
        writer.write(b"hi\r\n")
        assert await reader.readline() == b"* OK hi\r\n"
        client_view = writer.get_extra_info("ssl_object")
        name, version, bits = client_view.cipher()
    assert infos == [TlsInfo(version="TLSv1.3", cipher=name, bits=bits)]
    assert version == "TLSv1.3"
    assert name.startswith("TLS_")
    assert bits in (128, 256)


async def test_starttls_upgrades_in_place(
    start_listener: StartListener, provider: TlsContextProvider
) -> None:
    seen: list[object] = []

    async def handler(connection: Connection) -> None:
        connection.write(b"220 ready\r\n")
        assert await connection.readline(100) == b"STARTTLS\r\n"
        seen.append(connection.pending())
        connection.write(b"220 go ahead\r\n")
        await connection.start_tls(provider)
        info = connection.tls_info()
        assert info is not None
        line = await connection.readline(100)
        connection.write(f"250 {info.version} ".encode() + line)
        await connection.drain()

    listener = await start_listener(handler, tls=provider)
    async with connect(listener.port) as (reader, writer):
        assert await reader.readline() == b"220 ready\r\n"
        writer.write(b"STARTTLS\r\n")
        assert await reader.readline() == b"220 go ahead\r\n"
        await writer.start_tls(make_client_context(verify=False), server_hostname=HOST)
        writer.write(b"EHLO client\r\n")
        assert await reader.readline() == b"250 TLSv1.3 EHLO client\r\n"
    assert seen == [0]


async def test_pending_sees_commands_pipelined_before_starttls(
    start_listener: StartListener, provider: TlsContextProvider
) -> None:
    seen: list[object] = []

    async def handler(connection: Connection) -> None:
        assert await connection.readline(100) == b"STARTTLS\r\n"
        await wait_until(lambda: connection.pending() > 0)
        seen.append(connection.pending())
        seen.append(connection.discard_pending())  # RFC 3207 §4.2
        connection.write(b"220 go ahead\r\n")
        await connection.start_tls(provider)
        seen.append(await connection.readline(100))

    listener = await start_listener(handler, tls=provider)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"STARTTLS\r\nMAIL FROM:<evil@example.test>\r\n")
        assert await reader.readline() == b"220 go ahead\r\n"
        await writer.start_tls(make_client_context(verify=False), server_hostname=HOST)
        writer.write(b"EHLO client\r\n")
        await writer.drain()
        await wait_until(lambda: len(seen) == 3)
    injected = b"MAIL FROM:<evil@example.test>\r\n"
    assert seen == [len(injected), injected, b"EHLO client\r\n"]


async def test_start_tls_drops_plaintext_left_in_the_buffer(
    start_listener: StartListener,
    provider: TlsContextProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[bytes] = []

    async def handler(connection: Connection) -> None:
        await connection.readline(100)
        await wait_until(lambda: connection.pending() > 0)
        connection.write(b"220 go ahead\r\n")
        await connection.start_tls(provider)  # the protocol forgot to check pending()
        seen.append(await connection.readline(100))

    listener = await start_listener(handler, tls=provider)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"STARTTLS\r\nRSET\r\n")
        assert await reader.readline() == b"220 go ahead\r\n"
        await writer.start_tls(make_client_context(verify=False), server_hostname=HOST)
        writer.write(b"NOOP\r\n")
        await writer.drain()
        await wait_until(lambda: bool(seen))
    assert seen == [b"NOOP\r\n"]
    assert "discarding 6 bytes sent in plaintext before TLS" in caplog.text


async def test_failed_starttls_handshake_ends_the_session(
    start_listener: StartListener,
    provider: TlsContextProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="courriel.net")
    handler_finished: list[bool] = []

    async def handler(connection: Connection) -> None:
        await connection.readline(100)
        connection.write(b"220 go ahead\r\n")
        await connection.start_tls(provider)
        handler_finished.append(True)

    listener = await start_listener(handler, tls=provider)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"STARTTLS\r\n")
        assert await reader.readline() == b"220 go ahead\r\n"
        writer.write(b"this is not a TLS ClientHello\r\n")
        assert await reader.read() == b""
    await wait_until(lambda: listener.active_connections == 0)
    assert handler_finished == []
    assert "TLS handshake failed" in caplog.text


# --------------------------------------------------------------------------- limits


async def test_per_ip_limit_refuses_with_the_protocol_reply(
    start_listener: StartListener,
) -> None:
    release = asyncio.Event()

    async def handler(connection: Connection) -> None:
        connection.write(b"220 welcome\r\n")
        await release.wait()

    async def refuse(connection: Connection) -> None:
        connection.write(b"421 4.7.0 Too many connections from your IP\r\n")

    listener = await start_listener(handler, max_connections_per_ip=2, on_refused=refuse)
    async with connect(listener.port) as (first, _), connect(listener.port) as (second, _):
        assert await first.readline() == b"220 welcome\r\n"
        assert await second.readline() == b"220 welcome\r\n"
        async with connect(listener.port) as (third, _):
            assert await third.read() == b"421 4.7.0 Too many connections from your IP\r\n"
        release.set()
        await wait_until(lambda: listener.active_connections == 0)
    release.clear()
    async with connect(listener.port) as (fourth, _):
        assert await fourth.readline() == b"220 welcome\r\n"
        release.set()


async def test_per_ip_limit_on_implicit_tls_replies_over_tls(
    start_listener: StartListener, provider: TlsContextProvider
) -> None:
    release = asyncio.Event()

    async def handler(connection: Connection) -> None:
        connection.write(b"* OK\r\n")
        await release.wait()

    async def refuse(connection: Connection) -> None:
        connection.write(b"* BYE too many connections\r\n")

    listener = await start_listener(
        handler, tls=provider, implicit_tls=True, max_connections_per_ip=1, on_refused=refuse
    )
    async with connect(listener.port, tls=True) as (first, _):
        assert await first.readline() == b"* OK\r\n"
        async with connect(listener.port, tls=True) as (second, _):
            assert await second.readline() == b"* BYE too many connections\r\n"
        release.set()


# --------------------------------------------------------------------------- failures and stop


async def test_handler_exception_is_logged_once_and_listener_survives(
    start_listener: StartListener, caplog: pytest.LogCaptureFixture
) -> None:
    ids: list[str] = []

    async def handler(connection: Connection) -> None:
        ids.append(connection.info.id)
        line = await connection.readline(100)
        if line == b"crash\r\n":
            raise RuntimeError("boom in the session")
        connection.write(b"fine\r\n")

    listener = await start_listener(handler)
    async with connect(listener.port) as (reader, writer):
        writer.write(b"crash\r\n")
        assert await reader.read() == b""  # closed, and no traceback sent
    async with connect(listener.port) as (reader, writer):
        writer.write(b"hello\r\n")
        assert await reader.readline() == b"fine\r\n"
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert ids[0] in errors[0].getMessage()
    assert errors[0].exc_info is not None


async def test_stop_lets_sessions_finish_then_cancels_stuck_ones(
    start_listener: StartListener,
) -> None:
    cancelled: list[str] = []

    async def handler(connection: Connection) -> None:
        command = await connection.readline(100)
        try:
            if command == b"slow\r\n":
                await asyncio.sleep(0.1)
                connection.write(b"250 finished\r\n")
            else:
                await connection.readline(100)  # never comes
        except asyncio.CancelledError:
            cancelled.append(command.decode().strip())
            connection.write(b"421 shutting down\r\n")  # the protocol's goodbye
            await connection.drain()
            raise

    listener = await start_listener(handler)
    port = listener.port
    async with connect(port) as (slow_reader, slow), connect(port) as (stuck_reader, stuck):
        slow.write(b"slow\r\n")
        stuck.write(b"stuck\r\n")
        await wait_until(lambda: listener.active_connections == 2)
        await listener.stop(grace=0.5)
        assert await slow_reader.read() == b"250 finished\r\n"
        assert await stuck_reader.read() == b"421 shutting down\r\n"
    assert cancelled == ["stuck"]
    assert listener.active_connections == 0
    with pytest.raises(ConnectionRefusedError):
        async with connect(port):
            pass


async def test_stop_aborts_sessions_that_ignore_cancellation(
    start_listener: StartListener,
) -> None:
    async def handler(connection: Connection) -> None:
        try:
            await connection.readline(100)
        except asyncio.CancelledError:
            # A badly behaved session that keeps reading; the abort ends it.
            with suppress(ConnectionClosed):
                await connection.readline(100)

    listener = await start_listener(handler, goodbye_timeout=0.05, close_timeout=0.05)
    async with connect(listener.port) as (reader, _):
        await wait_until(lambda: listener.active_connections == 1)
        await listener.stop(grace=0.05)
        assert await reader.read() == b""
    assert listener.active_connections == 0


# --------------------------------------------------------------------------- binding


def ipv6_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(not ipv6_available(), reason="no IPv6 loopback")


async def echo_once(connection: Connection) -> None:
    connection.write(f"{connection.info.peer_ip} {connection.info.local_ip}\r\n".encode())


@needs_ipv6
async def test_ipv4_and_ipv6_loopback_on_one_port(start_listener: StartListener) -> None:
    listener = await start_listener(echo_once, ("127.0.0.1", "::1"))
    assert [port for _, port in listener.bound_addresses] == [listener.port] * 2
    async with connect(listener.port, "127.0.0.1") as (reader, _):
        assert await reader.readline() == b"127.0.0.1 127.0.0.1\r\n"
    async with connect(listener.port, "::1") as (reader, _):
        assert await reader.readline() == b"::1 ::1\r\n"


@needs_ipv6
async def test_wildcards_of_both_families_share_a_port(start_listener: StartListener) -> None:
    listener = await start_listener(echo_once, ("0.0.0.0", "::"))
    async with connect(listener.port, "127.0.0.1") as (reader, _):
        assert await reader.readline() == b"127.0.0.1 127.0.0.1\r\n"
    async with connect(listener.port, "::1") as (reader, _):
        assert await reader.readline() == b"::1 ::1\r\n"


async def test_bind_conflict_raises_and_leaves_nothing_bound(
    start_listener: StartListener,
) -> None:
    taken = await start_listener(echo_once)
    clash = Listener("clash", ["127.0.0.2", "127.0.0.1"], taken.port, echo_once)
    with pytest.raises(BindError, match=r"\[127.0.0.1\]"):
        await clash.start()
    # 127.0.0.2 was bound first and must have been released again.
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", taken.port))


def test_listener_rejects_bad_arguments() -> None:
    async def handler(connection: Connection) -> None:
        return None

    with pytest.raises(ValueError, match="not an IP address"):
        Listener("x", ["localhost"], 25, handler)
    with pytest.raises(ValueError, match="implicit TLS"):
        Listener("x", ["127.0.0.1"], 465, handler, implicit_tls=True)
    with pytest.raises(ValueError, match="no address"):
        Listener("x", [], 25, handler)


async def test_accepted_sockets_disable_nagle() -> None:
    """Small pipelined replies must not wait for the peer's delayed ACK (~40 ms)."""
    seen: dict[str, int] = {}

    async def handler(connection: Connection) -> None:
        sock = connection._transport.get_extra_info("socket")
        seen["nodelay"] = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        connection.write(b"hi\r\n")
        await connection.drain()

    listener = Listener("nodelay", ["127.0.0.1"], 0, handler)
    await listener.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        assert await reader.readline() == b"hi\r\n"
        writer.close()
    finally:
        await listener.stop(1.0)
    assert seen["nodelay"] == 1
