"""SQLite implementation of the ``ImageSenderRepo`` port: per account, the senders whose
messages show remote images directly (schema in migrations/0011)."""

from __future__ import annotations

import sqlite3

from courriel.storage.errors import NotFound
from courriel.storage.sqlite.engine import SqliteEngine


class SqliteImageSenderRepo:
    """Trusted image senders in the embedded store."""

    def __init__(self, engine: SqliteEngine) -> None:
        self._engine = engine

    async def add_image_sender(self, account_id: int, address: str, now: float) -> bool:
        def add(connection: sqlite3.Connection) -> bool:
            if connection.execute("SELECT 1 FROM account WHERE id = ?", (account_id,)).fetchone():
                cursor = connection.execute(
                    "INSERT OR IGNORE INTO image_sender (account_id, address, added) "
                    "VALUES (?, ?, ?)",
                    (account_id, address, now),
                )
                return cursor.rowcount == 1
            raise NotFound(f"account {account_id} does not exist")

        return await self._engine.write(add)

    async def remove_image_sender(self, account_id: int, address: str) -> bool:
        def remove(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM image_sender WHERE account_id = ? AND address = ?",
                (account_id, address),
            )
            return cursor.rowcount == 1

        return await self._engine.write(remove)

    async def has_image_sender(self, account_id: int, address: str) -> bool:
        def has(connection: sqlite3.Connection) -> bool:
            row = connection.execute(
                "SELECT 1 FROM image_sender WHERE account_id = ? AND address = ?",
                (account_id, address),
            ).fetchone()
            return row is not None

        return await self._engine.read(has)

    async def list_image_senders(self, account_id: int) -> list[str]:
        def listed(connection: sqlite3.Connection) -> list[str]:
            rows = connection.execute(
                "SELECT address FROM image_sender WHERE account_id = ? ORDER BY address",
                (account_id,),
            )
            return [row[0] for row in rows]

        return await self._engine.read(listed)
