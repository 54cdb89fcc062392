"""The wire size in the embedded store (schema 4): a nullable column of ``blob``, NULL for
content stored before it; such content learns its size when it is stored again."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from courriel.storage.sqlite import engine as engine_module
from courriel.storage.sqlite import open_embedded_store
from courriel.storage.sqlite.engine import SqliteEngine, migrations
from support.backends import EmbeddedBackend, make_account
from support.builders import new, small


@contextmanager
def opened(path: Path) -> Iterator[SqliteEngine]:
    engine = SqliteEngine(path)
    engine.open()
    try:
        yield engine
    finally:
        engine.close()


def blob_columns(connection: sqlite3.Connection) -> dict[str, tuple[str, bool]]:
    rows = connection.execute("PRAGMA table_info(blob)").fetchall()
    return {row[1]: (row[2], bool(row[3])) for row in rows}  # name: (type, NOT NULL)


async def test_migration_4_adds_a_nullable_wire_size_to_existing_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mail.db"
    shipped = migrations()
    with monkeypatch.context() as patch:
        patch.setattr(engine_module, "migrations", lambda: [m for m in shipped if m[0] < 4])
        with opened(path) as engine:
            assert "wire_size" not in await engine.read(blob_columns)
    with opened(path) as engine:
        assert (await engine.read(blob_columns))["wire_size"] == ("INTEGER", False)


async def test_content_without_a_wire_size_gets_it_when_stored_again(tmp_path: Path) -> None:
    store = open_embedded_store(tmp_path / "store")
    try:
        backend = EmbeddedBackend(store)
        account, inbox = await make_account(backend, "alice@example.test")
        content = small("old", size=200)  # no final line break: wire size 202
        await store.mail.append(account.id, inbox.id, [new(content)])
        # What schema 4 leaves for content stored before it.
        await store.engine.write(lambda c: c.execute("UPDATE blob SET wire_size = NULL"))
        [listed] = (await store.mail.list_contents(inbox.id))[1]
        assert listed.wire_size is None

        await store.mail.append(account.id, inbox.id, [new(content)])  # the same bytes again

        _, contents = await store.mail.list_contents(inbox.id)
        assert [c.wire_size for c in contents] == [202, 202]  # one row, shared
    finally:
        store.close()
