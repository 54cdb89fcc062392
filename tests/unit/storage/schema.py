"""Stores created at an older schema version, for the tests of a migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from courriel.storage.sqlite import engine as engine_module
from courriel.storage.sqlite.engine import SqliteEngine, migrations

Columns = dict[str, tuple[str, bool]]  # name: (type, NOT NULL)


def _blob_columns(connection: sqlite3.Connection) -> Columns:
    rows = connection.execute("PRAGMA table_info(blob)").fetchall()
    return {row[1]: (row[2], bool(row[3])) for row in rows}


async def _read_blob_columns(path: Path) -> Columns:
    engine = SqliteEngine(path)
    engine.open()
    try:
        return await engine.read(_blob_columns)
    finally:
        engine.close()


async def blob_columns_across(
    path: Path, version: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[Columns, Columns]:
    """The columns of ``blob`` in a store created at ``path`` just before migration
    ``version``, then in the same store once every shipped migration has run."""
    shipped = migrations()
    with monkeypatch.context() as patch:
        patch.setattr(engine_module, "migrations", lambda: [m for m in shipped if m[0] < version])
        before = await _read_blob_columns(path)
    return before, await _read_blob_columns(path)
