"""SQLite implementation of the ``SecurityRepo`` port: app passwords, TOTP, recovery codes,
brute-force counters, bans and server secrets (schema in migrations/0002)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from courriel.storage.errors import AlreadyExists, NotFound
from courriel.storage.records import AppPasswordRecord, BanRecord, TotpRecord
from courriel.storage.sqlite.engine import SqliteEngine

_APP_COLUMNS = "id, account_id, name, digest, protocols, created, last_used, last_ip"


def _app_password(row: Any) -> AppPasswordRecord:
    return AppPasswordRecord(
        id=row[0],
        account_id=row[1],
        name=row[2],
        digest=row[3],
        protocols=tuple(json.loads(row[4])),
        created=row[5],
        last_used=row[6],
        last_ip=row[7],
    )


def _ban(row: Any) -> BanRecord:
    return BanRecord(scope=row[0], until=row[1], count=row[2], reason=row[3], created=row[4])


class SqliteSecurityRepo:
    """Access-security state in the embedded store."""

    def __init__(self, engine: SqliteEngine) -> None:
        self._engine = engine

    async def add_app_password(
        self, account_id: int, name: str, digest: str, protocols: Sequence[str]
    ) -> AppPasswordRecord:
        def add(connection: sqlite3.Connection) -> AppPasswordRecord:
            if (
                connection.execute("SELECT 1 FROM account WHERE id = ?", (account_id,)).fetchone()
                is None
            ):
                raise NotFound(f"account {account_id} does not exist")
            try:
                cursor = connection.execute(
                    "INSERT INTO app_password (account_id, name, digest, protocols, created) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (account_id, name, digest, json.dumps(list(protocols)), time.time()),
                )
            except sqlite3.IntegrityError:
                raise AlreadyExists(f"an app password named {name!r} already exists") from None
            row = connection.execute(
                f"SELECT {_APP_COLUMNS} FROM app_password WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
            return _app_password(row)

        return await self._engine.write(add)

    async def list_app_passwords(self, account_id: int) -> list[AppPasswordRecord]:
        def list_(connection: sqlite3.Connection) -> list[AppPasswordRecord]:
            rows = connection.execute(
                f"SELECT {_APP_COLUMNS} FROM app_password WHERE account_id = ? ORDER BY id",
                (account_id,),
            )
            return [_app_password(row) for row in rows]

        return await self._engine.read(list_)

    async def find_app_password(self, account_id: int, digest: str) -> AppPasswordRecord | None:
        def find(connection: sqlite3.Connection) -> AppPasswordRecord | None:
            row = connection.execute(
                f"SELECT {_APP_COLUMNS} FROM app_password WHERE account_id = ? AND digest = ?",
                (account_id, digest),
            ).fetchone()
            return None if row is None else _app_password(row)

        return await self._engine.read(find)

    async def revoke_app_password(self, account_id: int, name: str) -> None:
        def revoke(connection: sqlite3.Connection) -> None:
            cursor = connection.execute(
                "DELETE FROM app_password WHERE account_id = ? AND name = ?", (account_id, name)
            )
            if cursor.rowcount == 0:
                raise NotFound(f"no app password named {name!r}")

        await self._engine.write(revoke)

    async def touch_app_password(self, app_password_id: int, when: float, ip: str) -> None:
        def touch(connection: sqlite3.Connection) -> None:
            connection.execute(
                "UPDATE app_password SET last_used = ?, last_ip = ? WHERE id = ?",
                (when, ip, app_password_id),
            )

        await self._engine.write(touch)

    async def get_totp(self, account_id: int) -> TotpRecord | None:
        def get(connection: sqlite3.Connection) -> TotpRecord | None:
            row = connection.execute(
                "SELECT account_id, secret, enabled, last_step, created FROM totp "
                "WHERE account_id = ?",
                (account_id,),
            ).fetchone()
            if row is None:
                return None
            return TotpRecord(row[0], row[1], bool(row[2]), row[3], row[4])

        return await self._engine.read(get)

    async def set_totp(self, account_id: int, secret: str, enabled: bool) -> TotpRecord:
        def set_(connection: sqlite3.Connection) -> TotpRecord:
            now = time.time()
            connection.execute(
                "INSERT OR REPLACE INTO totp (account_id, secret, enabled, last_step, created) "
                "VALUES (?, ?, ?, 0, ?)",
                (account_id, secret, int(enabled), now),
            )
            return TotpRecord(account_id, secret, enabled, 0, now)

        return await self._engine.write(set_)

    async def enable_totp(self, account_id: int, step: int) -> None:
        def enable(connection: sqlite3.Connection) -> None:
            cursor = connection.execute(
                "UPDATE totp SET enabled = 1, last_step = max(last_step, ?) WHERE account_id = ?",
                (step, account_id),
            )
            if cursor.rowcount == 0:
                raise NotFound("no second factor is being enrolled for this account")

        await self._engine.write(enable)

    async def delete_totp(self, account_id: int) -> None:
        def delete(connection: sqlite3.Connection) -> None:
            connection.execute("DELETE FROM totp WHERE account_id = ?", (account_id,))
            connection.execute("DELETE FROM recovery_code WHERE account_id = ?", (account_id,))

        await self._engine.write(delete)

    async def use_totp_step(self, account_id: int, step: int) -> bool:
        def use(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "UPDATE totp SET last_step = ? WHERE account_id = ? AND enabled = 1 "
                "AND last_step < ?",
                (step, account_id, step),
            )
            return cursor.rowcount == 1

        return await self._engine.write(use)

    async def set_recovery_codes(self, account_id: int, digests: Sequence[str]) -> None:
        def set_(connection: sqlite3.Connection) -> None:
            connection.execute("DELETE FROM recovery_code WHERE account_id = ?", (account_id,))
            connection.executemany(
                "INSERT INTO recovery_code (account_id, digest) VALUES (?, ?)",
                [(account_id, digest) for digest in digests],
            )

        await self._engine.write(set_)

    async def unused_recovery_codes(self, account_id: int) -> list[str]:
        def list_(connection: sqlite3.Connection) -> list[str]:
            rows = connection.execute(
                "SELECT digest FROM recovery_code WHERE account_id = ? AND used IS NULL",
                (account_id,),
            )
            return [row[0] for row in rows]

        return await self._engine.read(list_)

    async def use_recovery_code(self, account_id: int, digest: str, when: float) -> bool:
        def use(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "UPDATE recovery_code SET used = ? WHERE account_id = ? AND digest = ? "
                "AND used IS NULL",
                (when, account_id, digest),
            )
            return cursor.rowcount == 1

        return await self._engine.write(use)

    async def record_failure(self, scope: str, now: float, window: float) -> int:
        def record(connection: sqlite3.Connection) -> int:
            row = connection.execute(
                "INSERT INTO auth_failure (scope, failures, first, last) VALUES (?1, 1, ?2, ?2) "
                "ON CONFLICT (scope) DO UPDATE SET "
                "failures = CASE WHEN first < ?2 - ?3 THEN 1 ELSE failures + 1 END, "
                "first = CASE WHEN first < ?2 - ?3 THEN ?2 ELSE first END, last = ?2 "
                "RETURNING failures",
                (scope, now, window),
            ).fetchone()
            return int(row[0])

        return await self._engine.write(record)

    async def clear_failures(self, scope: str) -> None:
        def clear(connection: sqlite3.Connection) -> None:
            connection.execute("DELETE FROM auth_failure WHERE scope = ?", (scope,))

        await self._engine.write(clear)

    async def failures(self, scope: str, now: float, window: float) -> int:
        def read(connection: sqlite3.Connection) -> int:
            row = connection.execute(
                "SELECT failures FROM auth_failure WHERE scope = ? AND first >= ?",
                (scope, now - window),
            ).fetchone()
            return 0 if row is None else int(row[0])

        return await self._engine.read(read)

    async def ban(
        self, scope: str, duration: float, max_duration: float, reason: str, now: float
    ) -> BanRecord:
        def ban(connection: sqlite3.Connection) -> BanRecord:
            previous = connection.execute(
                "SELECT count FROM ban WHERE scope = ?", (scope,)
            ).fetchone()
            count = 1 if previous is None else previous[0] + 1
            length = min(duration * 2 ** (count - 1), max_duration)
            connection.execute(
                "INSERT OR REPLACE INTO ban (scope, until, count, reason, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (scope, now + length, count, reason, now),
            )
            connection.execute("DELETE FROM auth_failure WHERE scope = ?", (scope,))
            return BanRecord(scope, now + length, count, reason, now)

        return await self._engine.write(ban)

    async def active_ban(self, scopes: Sequence[str], now: float) -> BanRecord | None:
        def read(connection: sqlite3.Connection) -> BanRecord | None:
            placeholders = ",".join("?" * len(scopes))
            row = connection.execute(
                "SELECT scope, until, count, reason, created FROM ban "
                f"WHERE scope IN ({placeholders}) AND until > ? ORDER BY until DESC LIMIT 1",
                (*scopes, now),
            ).fetchone()
            return None if row is None else _ban(row)

        if not scopes:
            return None
        return await self._engine.read(read)

    async def list_bans(self, now: float) -> list[BanRecord]:
        def read(connection: sqlite3.Connection) -> list[BanRecord]:
            rows = connection.execute(
                "SELECT scope, until, count, reason, created FROM ban WHERE until > ? "
                "ORDER BY until",
                (now,),
            )
            return [_ban(row) for row in rows]

        return await self._engine.read(read)

    async def unban(self, scope: str) -> bool:
        def unban(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "UPDATE ban SET until = 0 WHERE scope = ? AND until > ?", (scope, time.time())
            )
            connection.execute("DELETE FROM auth_failure WHERE scope = ?", (scope,))
            return cursor.rowcount == 1

        return await self._engine.write(unban)

    async def secret(self, name: str, new_value: bytes) -> bytes:
        def get_or_create(connection: sqlite3.Connection) -> bytes:
            connection.execute(
                "INSERT OR IGNORE INTO secret (name, value) VALUES (?, ?)", (name, new_value)
            )
            return bytes(
                connection.execute("SELECT value FROM secret WHERE name = ?", (name,)).fetchone()[0]
            )

        return await self._engine.write(get_or_create)
