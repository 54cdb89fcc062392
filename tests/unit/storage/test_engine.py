"""SqliteEngine: group commit on one writer thread, reader pool, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from courriel.storage.errors import Unavailable
from courriel.storage.sqlite import engine as engine_module
from courriel.storage.sqlite.engine import SqliteEngine, migrations

LATEST = migrations()[-1][0]


class Boom(Exception):
    """What a failing write function raises."""


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[SqliteEngine]:
    opened = SqliteEngine(tmp_path / "mail.db", readers=2)
    opened.open()
    await opened.write(lambda c: c.execute("CREATE TABLE scratch (tag TEXT PRIMARY KEY)"))
    yield opened
    opened.close()


def insert(tag: str) -> Callable[[sqlite3.Connection], str]:
    def run(connection: sqlite3.Connection) -> str:
        connection.execute("INSERT INTO scratch (tag) VALUES (?)", (tag,))
        return tag

    return run


def insert_then_fail(tag: str) -> Callable[[sqlite3.Connection], str]:
    def run(connection: sqlite3.Connection) -> str:
        connection.execute("INSERT INTO scratch (tag) VALUES (?)", (tag,))
        raise Boom(tag)

    return run


async def tags(engine: SqliteEngine) -> list[str]:
    return await engine.read(
        lambda c: [row[0] for row in c.execute("SELECT tag FROM scratch ORDER BY tag")]
    )


class Blocker:
    """A write that holds the writer thread until released, so the writes queued meanwhile
    all land in the next batch."""

    def __init__(self, engine: SqliteEngine) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.task = asyncio.create_task(engine.write(self._hold))

    def _hold(self, connection: sqlite3.Connection) -> str:
        self.started.set()
        self.release.wait(10)
        return "blocker"

    async def wait_started(self) -> None:
        assert await asyncio.to_thread(self.started.wait, 10)


async def test_a_failing_write_does_not_undo_the_others_in_its_batch(engine: SqliteEngine) -> None:
    blocker = Blocker(engine)
    await blocker.wait_started()
    batches, writes = engine.batches, engine.writes
    functions = [
        insert("a"),
        insert_then_fail("b"),
        insert("c"),
        insert_then_fail("d"),
        insert("e"),
    ]
    tasks = [asyncio.create_task(engine.write(f)) for f in functions]
    await asyncio.sleep(0)  # every task has queued its write
    blocker.release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)

    assert await blocker.task == "blocker"
    assert (engine.batches - batches, engine.writes - writes) == (2, 6)  # blocker, then one batch
    assert results[0::2] == ["a", "c", "e"]
    assert [type(r) for r in results[1::2]] == [Boom, Boom]
    assert [str(r) for r in results[1::2]] == ["b", "d"]
    assert await tags(engine) == ["a", "c", "e"]


async def test_every_caller_gets_its_own_result(engine: SqliteEngine) -> None:
    names = [f"w{n:03d}" for n in range(200)]
    results = await asyncio.gather(
        *(
            engine.write(insert(name) if n % 7 else insert_then_fail(name))
            for n, name in enumerate(names)
        ),
        return_exceptions=True,
    )
    for n, (name, result) in enumerate(zip(names, results, strict=True)):
        if n % 7:
            assert result == name
        else:
            assert isinstance(result, Boom)
            assert str(result) == name
    assert await tags(engine) == [name for n, name in enumerate(names) if n % 7]


async def test_concurrent_writes_share_commits(engine: SqliteEngine) -> None:
    batches, writes = engine.batches, engine.writes
    await asyncio.gather(*(engine.write(insert(f"t{n}")) for n in range(500)))
    assert engine.writes - writes == 500
    assert engine.batches - batches < 500
    assert len(await tags(engine)) == 500


async def test_batches_respect_the_limit(tmp_path: Path) -> None:
    engine = SqliteEngine(tmp_path / "mail.db", batch_limit=8)
    engine.open()
    try:
        await engine.write(lambda c: c.execute("CREATE TABLE scratch (tag TEXT PRIMARY KEY)"))
        blocker = Blocker(engine)
        await blocker.wait_started()
        batches = engine.batches
        tasks = [asyncio.create_task(engine.write(insert(f"t{n:02d}"))) for n in range(20)]
        await asyncio.sleep(0)
        blocker.release.set()
        await asyncio.gather(blocker.task, *tasks)
        assert engine.batches - batches == 1 + 3  # the blocker, then 8 + 8 + 4
        assert len(await tags(engine)) == 20
    finally:
        engine.close()


async def test_a_returned_write_is_committed(engine: SqliteEngine) -> None:
    await engine.write(insert("visible"))
    independent = sqlite3.connect(engine.path)
    try:
        assert independent.execute("SELECT tag FROM scratch").fetchall() == [("visible",)]
    finally:
        independent.close()


async def test_close_finishes_queued_writes(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    engine = SqliteEngine(path)
    engine.open()
    await engine.write(lambda c: c.execute("CREATE TABLE scratch (tag TEXT PRIMARY KEY)"))
    blocker = Blocker(engine)
    await blocker.wait_started()
    tasks = [asyncio.create_task(engine.write(insert(f"q{n}"))) for n in range(10)]
    await asyncio.sleep(0)
    closing = asyncio.create_task(asyncio.to_thread(engine.close))
    await asyncio.sleep(0.2)  # close() has queued its stop behind the ten writes
    assert not closing.done()
    blocker.release.set()
    await asyncio.wait_for(closing, 10)
    assert await asyncio.gather(*tasks) == [f"q{n}" for n in range(10)]
    with pytest.raises(Unavailable):
        await engine.write(insert("late"))
    with pytest.raises(Unavailable):
        await engine.read(lambda c: 1)

    reopened = SqliteEngine(path)
    reopened.open()
    try:
        assert await tags(reopened) == sorted(f"q{n}" for n in range(10))
    finally:
        reopened.close()


async def test_reads_are_consistent_snapshots(engine: SqliteEngine) -> None:
    await engine.write(insert("before"))
    first_read = threading.Event()
    write_done = threading.Event()

    def read_twice(connection: sqlite3.Connection) -> tuple[int, int]:
        first = connection.execute("SELECT count(*) FROM scratch").fetchone()[0]
        first_read.set()
        assert write_done.wait(10)
        second = connection.execute("SELECT count(*) FROM scratch").fetchone()[0]
        return first, second

    reading = asyncio.create_task(engine.read(read_twice))
    assert await asyncio.to_thread(first_read.wait, 10)
    await engine.write(insert("during"))
    write_done.set()
    assert await reading == (1, 1)
    assert await engine.read(lambda c: c.execute("SELECT count(*) FROM scratch").fetchone()[0]) == 2


async def test_readers_cannot_write(engine: SqliteEngine) -> None:
    with pytest.raises(sqlite3.OperationalError):
        await engine.read(insert("sneaky"))
    assert await tags(engine) == []


async def test_writes_from_several_event_loops(engine: SqliteEngine) -> None:
    def in_other_loop(prefix: str) -> list[str]:
        async def run() -> list[str]:
            return list(
                await asyncio.gather(*(engine.write(insert(f"{prefix}{n}")) for n in range(20)))
            )

        return asyncio.run(run())

    results = await asyncio.gather(
        asyncio.to_thread(in_other_loop, "x"),
        asyncio.to_thread(in_other_loop, "y"),
        *(engine.write(insert(f"z{n}")) for n in range(20)),
    )
    assert results[0] == [f"x{n}" for n in range(20)]
    assert results[1] == [f"y{n}" for n in range(20)]
    assert list(results[2:]) == [f"z{n}" for n in range(20)]
    assert len(await tags(engine)) == 60


# --- migrations ------------------------------------------------------------------------------


def user_version(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()


@contextmanager
def opened(path: Path) -> Iterator[SqliteEngine]:
    engine = SqliteEngine(path)
    engine.open()
    try:
        yield engine
    finally:
        engine.close()


async def test_migrations_apply_once(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    with opened(path) as engine:
        await engine.write(
            lambda c: c.execute("INSERT INTO domain (name, created) VALUES ('a.test', 0)")
        )
    assert user_version(path) == LATEST
    with opened(path) as engine:  # re-running 0001 would fail: its tables exist
        rows = await engine.read(lambda c: c.execute("SELECT name FROM domain").fetchall())
    assert rows == [("a.test",)]
    assert user_version(path) == LATEST


async def test_a_new_migration_applies_once_on_an_existing_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mail.db"
    with opened(path):
        pass
    shipped = migrations()
    extra = (
        LATEST + 1,
        "-- a later schema change\n"
        "CREATE TABLE extra (x INTEGER);\n\n"
        "INSERT INTO extra VALUES (42);\n",
    )
    monkeypatch.setattr(engine_module, "migrations", lambda: [*shipped, extra])
    for _ in range(2):
        with opened(path) as engine:
            rows = await engine.read(lambda c: c.execute("SELECT x FROM extra").fetchall())
        assert rows == [(42,)]
        assert user_version(path) == LATEST + 1


async def test_a_failing_migration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mail.db"
    with opened(path):
        pass
    shipped = migrations()
    broken = (LATEST + 1, "CREATE TABLE half (x INTEGER);\nTHIS IS NOT SQL;\n")
    monkeypatch.setattr(engine_module, "migrations", lambda: [*shipped, broken])
    engine = SqliteEngine(path)
    with pytest.raises(sqlite3.OperationalError):
        engine.open()
    engine.close()
    assert user_version(path) == LATEST
    connection = sqlite3.connect(path)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    finally:
        connection.close()
    assert "half" not in tables
    assert "mailbox" in tables


async def test_wal_and_full_synchronous(engine: SqliteEngine) -> None:
    def pragmas(connection: sqlite3.Connection) -> tuple[str, int]:
        return (
            connection.execute("PRAGMA journal_mode").fetchone()[0],
            connection.execute("PRAGMA synchronous").fetchone()[0],
        )

    journal, synchronous = await engine.write(pragmas)
    assert (journal, synchronous) == ("wal", 2)  # 2 = FULL


async def test_a_slow_write_does_not_block_reads(engine: SqliteEngine) -> None:
    blocker = Blocker(engine)
    await blocker.wait_started()
    started = time.monotonic()
    assert await engine.read(lambda c: c.execute("SELECT 1").fetchone()[0]) == 1
    assert time.monotonic() - started < 2
    blocker.release.set()
    await blocker.task


async def test_the_wal_starts_over_under_sustained_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes that never pause must not grow the WAL without bound: PASSIVE checkpoints
    alone never let SQLite rewind it while the writer keeps appending."""
    monkeypatch.setattr(engine_module, "CHECKPOINT_INTERVAL", 0.02)
    monkeypatch.setattr(engine_module, "WAL_RESTART_FRAMES", 64)
    opened = SqliteEngine(tmp_path / "mail.db", readers=2)
    opened.open()
    wal = tmp_path / "mail.db-wal"
    try:
        await opened.write(lambda c: c.execute("CREATE TABLE pages (body BLOB)"))
        largest = 0
        written = 0
        target = 12 * 1024 * 1024

        async def keep_writing() -> None:
            nonlocal written
            while written < target:
                await opened.write(
                    lambda c: c.execute("INSERT INTO pages VALUES (randomblob(8000))")
                )
                written += 8000

        async def watch_wal() -> None:
            nonlocal largest
            while written < target:
                largest = max(largest, wal.stat().st_size)
                await asyncio.sleep(0.005)

        await asyncio.gather(*(keep_writing() for _ in range(8)), watch_wal())
        # Without restarts the WAL holds everything written (12 MiB and more); with them the
        # file only grows to the largest stretch between two restarts.
        assert largest < written / 2, (written, largest)
        count = await opened.read(lambda c: c.execute("SELECT count(*) FROM pages").fetchone())
        assert count[0] * 8000 == written
    finally:
        opened.close()
