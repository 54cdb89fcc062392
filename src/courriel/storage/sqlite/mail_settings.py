"""SQLite implementation of the ``MailSettingsRepo`` port: per-account signature, vacation
and forwarding settings, and the vacation memory (schema in migrations/0010)."""

from __future__ import annotations

import sqlite3

from courriel.storage.errors import NotFound
from courriel.storage.records import MailSettingsRecord
from courriel.storage.sqlite.engine import SqliteEngine

_COLUMNS = (
    "account_id, signature, vacation_enabled, vacation_subject, vacation_body, "
    "vacation_start, vacation_end, vacation_interval_days, forward_to, forward_keep_copy"
)


class SqliteMailSettingsRepo:
    """Mail settings in the embedded store."""

    def __init__(self, engine: SqliteEngine) -> None:
        self._engine = engine

    async def get_mail_settings(self, account_id: int) -> MailSettingsRecord:
        def get(connection: sqlite3.Connection) -> MailSettingsRecord:
            row = connection.execute(
                f"SELECT {_COLUMNS} FROM mail_settings WHERE account_id = ?", (account_id,)
            ).fetchone()
            if row is None:
                return MailSettingsRecord(account_id)
            return MailSettingsRecord(
                account_id=row[0],
                signature=row[1],
                vacation_enabled=bool(row[2]),
                vacation_subject=row[3],
                vacation_body=row[4],
                vacation_start=row[5],
                vacation_end=row[6],
                vacation_interval_days=row[7],
                forward_to=row[8],
                forward_keep_copy=bool(row[9]),
            )

        return await self._engine.read(get)

    async def put_mail_settings(self, settings: MailSettingsRecord) -> None:
        def put(connection: sqlite3.Connection) -> None:
            if (
                connection.execute(
                    "SELECT 1 FROM account WHERE id = ?", (settings.account_id,)
                ).fetchone()
                is None
            ):
                raise NotFound(f"account {settings.account_id} does not exist")
            connection.execute(
                f"INSERT OR REPLACE INTO mail_settings ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    settings.account_id,
                    settings.signature,
                    int(settings.vacation_enabled),
                    settings.vacation_subject,
                    settings.vacation_body,
                    settings.vacation_start,
                    settings.vacation_end,
                    settings.vacation_interval_days,
                    settings.forward_to,
                    int(settings.forward_keep_copy),
                ),
            )

        await self._engine.write(put)

    async def claim_vacation_reply(
        self, account_id: int, sender: str, now: float, interval: float
    ) -> bool:
        def claim(connection: sqlite3.Connection) -> bool:
            row = connection.execute(
                "SELECT replied FROM vacation_reply WHERE account_id = ? AND sender = ?",
                (account_id, sender),
            ).fetchone()
            if row is not None and row[0] > now - interval:
                return False
            connection.execute(
                "INSERT OR REPLACE INTO vacation_reply (account_id, sender, replied) "
                "VALUES (?, ?, ?)",
                (account_id, sender, now),
            )
            return True

        return await self._engine.write(claim)

    async def forget_vacation_replies(self, account_id: int) -> int:
        def forget(connection: sqlite3.Connection) -> int:
            return connection.execute(
                "DELETE FROM vacation_reply WHERE account_id = ?", (account_id,)
            ).rowcount

        return await self._engine.write(forget)
