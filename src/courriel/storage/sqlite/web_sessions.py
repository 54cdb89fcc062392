"""SQLite implementation of the ``WebSessionRepo`` port: webmail sessions by token digest
(schema in migrations/0009)."""

from __future__ import annotations

import sqlite3
from typing import Any

from courriel.storage.errors import AlreadyExists, NotFound
from courriel.storage.records import WebSessionRecord
from courriel.storage.sqlite.engine import SqliteEngine

_COLUMNS = "digest, account_id, stage, csrf, created, last_seen, expires, attempts, ip, user_agent"


def _session(row: Any) -> WebSessionRecord:
    return WebSessionRecord(*row)


class SqliteWebSessionRepo:
    """Webmail sessions in the embedded store."""

    def __init__(self, engine: SqliteEngine) -> None:
        self._engine = engine

    async def create_web_session(self, session: WebSessionRecord) -> None:
        def create(connection: sqlite3.Connection) -> None:
            if (
                connection.execute(
                    "SELECT 1 FROM account WHERE id = ?", (session.account_id,)
                ).fetchone()
                is None
            ):
                raise NotFound(f"account {session.account_id} does not exist")
            try:
                connection.execute(
                    f"INSERT INTO web_session ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        session.digest,
                        session.account_id,
                        session.stage,
                        session.csrf,
                        session.created,
                        session.last_seen,
                        session.expires,
                        session.attempts,
                        session.ip,
                        session.user_agent,
                    ),
                )
            except sqlite3.IntegrityError:
                raise AlreadyExists("a web session with this token exists") from None

        await self._engine.write(create)

    async def get_web_session(self, digest: str, now: float) -> WebSessionRecord | None:
        def get(connection: sqlite3.Connection) -> WebSessionRecord | None:
            row = connection.execute(
                f"SELECT {_COLUMNS} FROM web_session WHERE digest = ? AND expires > ?",
                (digest, now),
            ).fetchone()
            return None if row is None else _session(row)

        return await self._engine.read(get)

    async def touch_web_session(self, digest: str, last_seen: float, expires: float) -> None:
        def touch(connection: sqlite3.Connection) -> None:
            connection.execute(
                "UPDATE web_session SET last_seen = ?, expires = ? WHERE digest = ?",
                (last_seen, expires, digest),
            )

        await self._engine.write(touch)

    async def count_web_session_attempt(self, digest: str) -> int:
        def count(connection: sqlite3.Connection) -> int:
            row = connection.execute(
                "UPDATE web_session SET attempts = attempts + 1 WHERE digest = ? "
                "RETURNING attempts",
                (digest,),
            ).fetchone()
            return 0 if row is None else int(row[0])

        return await self._engine.write(count)

    async def delete_web_session(self, digest: str) -> bool:
        def delete(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute("DELETE FROM web_session WHERE digest = ?", (digest,))
            return cursor.rowcount > 0

        return await self._engine.write(delete)

    async def delete_web_sessions(self, account_id: int, keep: str | None = None) -> int:
        def delete(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "DELETE FROM web_session WHERE account_id = ? AND digest IS NOT ?",
                (account_id, keep),
            )
            return cursor.rowcount

        return await self._engine.write(delete)

    async def list_web_sessions(self, account_id: int, now: float) -> list[WebSessionRecord]:
        def list_(connection: sqlite3.Connection) -> list[WebSessionRecord]:
            rows = connection.execute(
                f"SELECT {_COLUMNS} FROM web_session WHERE account_id = ? AND expires > ? "
                "ORDER BY last_seen DESC, digest",
                (account_id, now),
            )
            return [_session(row) for row in rows]

        return await self._engine.read(list_)

    async def purge_web_sessions(self, now: float) -> int:
        def purge(connection: sqlite3.Connection) -> int:
            return connection.execute("DELETE FROM web_session WHERE expires <= ?", (now,)).rowcount

        return await self._engine.write(purge)
