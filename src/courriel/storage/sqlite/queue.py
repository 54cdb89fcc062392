"""SQLite implementation of the ``QueueRepo`` port (schema in migrations/0003)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from courriel.storage.records import (
    AttemptResult,
    DeliveryJob,
    QueuedMessage,
    QueuedRecipient,
    QueueRecipientInput,
)
from courriel.storage.sqlite.engine import SqliteEngine

_MESSAGE = "id, sender, size, file, envid, ret, smtputf8, body, account, created, expires"
_RECIPIENT = (
    "id, message_id, address, domain, notify, orcpt, state, attempts, next_attempt, "
    "last_error, last_host, delay_notified, done"
)


def _message(row: Any) -> QueuedMessage:
    return QueuedMessage(
        id=row[0],
        sender=row[1],
        size=row[2],
        file=row[3],
        envid=row[4],
        ret=row[5],
        smtputf8=bool(row[6]),
        body=row[7],
        account=row[8],
        created=row[9],
        expires=row[10],
    )


def _recipient(row: Any) -> QueuedRecipient:
    return QueuedRecipient(
        id=row[0],
        message_id=row[1],
        address=row[2],
        domain=row[3],
        notify=row[4],
        orcpt=row[5],
        state=row[6],
        attempts=row[7],
        next_attempt=row[8],
        last_error=row[9],
        last_host=row[10],
        delay_notified=bool(row[11]),
        done=row[12],
    )


class SqliteQueueRepo:
    """The outbound queue in the embedded store."""

    def __init__(self, engine: SqliteEngine) -> None:
        self._engine = engine

    async def enqueue(
        self,
        *,
        sender: str,
        recipients: Sequence[QueueRecipientInput],
        data: bytes | None,
        file: str | None,
        size: int,
        envid: str | None,
        ret: str | None,
        smtputf8: bool,
        body: str,
        account: str | None,
        now: float,
        expires: float,
    ) -> int:
        if not recipients:
            raise ValueError("a queued message needs at least one recipient")

        def enqueue(connection: sqlite3.Connection) -> int:
            cursor = connection.execute(
                "INSERT INTO queue_message (sender, size, data, file, envid, ret, smtputf8, "
                "body, account, created, expires) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (sender, size, data, file, envid, ret, int(smtputf8), body, account, now, expires),
            )
            message_id = int(cursor.lastrowid or 0)
            connection.executemany(
                "INSERT INTO queue_recipient (message_id, address, domain, notify, orcpt, "
                "state, next_attempt) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
                [
                    (
                        message_id,
                        r.address,
                        r.address.rpartition("@")[2].lower(),
                        r.notify,
                        r.orcpt,
                        now,
                    )
                    for r in recipients
                ],
            )
            return message_id

        return await self._engine.write(enqueue)

    async def claim(self, now: float, lease: float, limit: int) -> list[DeliveryJob]:
        def claim(connection: sqlite3.Connection) -> list[DeliveryJob]:
            rows = connection.execute(
                f"SELECT {_RECIPIENT} FROM queue_recipient WHERE state = 'pending' "
                "AND next_attempt <= ? AND lease_until <= ? ORDER BY next_attempt, id LIMIT ?",
                (now, now, limit),
            ).fetchall()
            if not rows:
                return []
            # The lease, and the next attempt pushed past it: a crash mid-attempt makes the
            # recipient due again only after the lease, never in a tight loop.
            connection.executemany(
                "UPDATE queue_recipient SET lease_until = ?, next_attempt = ? WHERE id = ?",
                [(now + lease, now + lease, row[0]) for row in rows],
            )
            groups: dict[tuple[int, str], list[QueuedRecipient]] = {}
            for row in rows:
                recipient = _recipient(row)
                groups.setdefault((recipient.message_id, recipient.domain), []).append(recipient)
            jobs = []
            for (message_id, domain), recipients in groups.items():
                message = connection.execute(
                    f"SELECT {_MESSAGE} FROM queue_message WHERE id = ?", (message_id,)
                ).fetchone()
                jobs.append(DeliveryJob(_message(message), domain, tuple(recipients)))
            return jobs

        return await self._engine.write(claim)

    async def record(self, results: Sequence[AttemptResult], now: float) -> None:
        def record(connection: sqlite3.Connection) -> None:
            for result in results:
                if result.outcome == "retry":
                    connection.execute(
                        "UPDATE queue_recipient SET attempts = attempts + 1, lease_until = 0, "
                        "next_attempt = ?, last_error = ?, last_host = ? WHERE id = ?",
                        (
                            result.next_attempt or now,
                            result.error,
                            result.host,
                            result.recipient_id,
                        ),
                    )
                else:
                    connection.execute(
                        "UPDATE queue_recipient SET attempts = attempts + 1, lease_until = 0, "
                        "state = ?, last_error = ?, last_host = ?, done = ? WHERE id = ?",
                        (result.outcome, result.error, result.host, now, result.recipient_id),
                    )

        await self._engine.write(record)

    async def mark_delay_notified(self, recipient_ids: Sequence[int]) -> None:
        def mark(connection: sqlite3.Connection) -> None:
            connection.executemany(
                "UPDATE queue_recipient SET delay_notified = 1 WHERE id = ?",
                [(rid,) for rid in recipient_ids],
            )

        await self._engine.write(mark)

    async def message(self, message_id: int) -> QueuedMessage | None:
        def read(connection: sqlite3.Connection) -> QueuedMessage | None:
            row = connection.execute(
                f"SELECT {_MESSAGE} FROM queue_message WHERE id = ?", (message_id,)
            ).fetchone()
            return None if row is None else _message(row)

        return await self._engine.read(read)

    async def recipients(self, message_id: int) -> list[QueuedRecipient]:
        def read(connection: sqlite3.Connection) -> list[QueuedRecipient]:
            rows = connection.execute(
                f"SELECT {_RECIPIENT} FROM queue_recipient WHERE message_id = ? ORDER BY id",
                (message_id,),
            )
            return [_recipient(row) for row in rows]

        return await self._engine.read(read)

    async def read_body(self, message_id: int) -> bytes | None:
        def read(connection: sqlite3.Connection) -> bytes | None:
            row = connection.execute(
                "SELECT data FROM queue_message WHERE id = ?", (message_id,)
            ).fetchone()
            return None if row is None or row[0] is None else bytes(row[0])

        return await self._engine.read(read)

    async def list_messages(self) -> list[tuple[QueuedMessage, list[QueuedRecipient]]]:
        return await self._engine.read(lambda connection: _with_recipients(connection, -1, 0))

    async def list_messages_page(
        self, offset: int, limit: int
    ) -> list[tuple[QueuedMessage, list[QueuedRecipient]]]:
        return await self._engine.read(
            lambda connection: _with_recipients(connection, max(limit, 0), max(offset, 0))
        )

    async def count_messages(self) -> int:
        def count(connection: sqlite3.Connection) -> int:
            return int(connection.execute("SELECT count(*) FROM queue_message").fetchone()[0])

        return await self._engine.read(count)

    async def set_state(
        self,
        message_id: int | None,
        from_states: Sequence[str],
        to_state: str,
        next_attempt: float | None = None,
    ) -> int:
        def update(connection: sqlite3.Connection) -> int:
            placeholders = ",".join("?" * len(from_states))
            query = "UPDATE queue_recipient SET state = ?, lease_until = 0"
            parameters: list[object] = [to_state]
            if next_attempt is not None:
                query += ", next_attempt = ?"
                parameters.append(next_attempt)
            query += f" WHERE state IN ({placeholders})"
            parameters.extend(from_states)
            if message_id is not None:
                query += " AND message_id = ?"
                parameters.append(message_id)
            return connection.execute(query, parameters).rowcount

        return await self._engine.write(update)

    async def finished(self) -> list[QueuedMessage]:
        def read(connection: sqlite3.Connection) -> list[QueuedMessage]:
            rows = connection.execute(
                f"SELECT {_MESSAGE} FROM queue_message m WHERE NOT EXISTS (SELECT 1 FROM "
                "queue_recipient r WHERE r.message_id = m.id AND r.state IN ('pending', 'held'))"
            )
            return [_message(row) for row in rows]

        return await self._engine.read(read)

    async def delete(self, message_id: int) -> QueuedMessage | None:
        def delete(connection: sqlite3.Connection) -> QueuedMessage | None:
            row = connection.execute(
                f"SELECT {_MESSAGE} FROM queue_message WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                return None
            connection.execute("DELETE FROM queue_recipient WHERE message_id = ?", (message_id,))
            connection.execute("DELETE FROM queue_message WHERE id = ?", (message_id,))
            return _message(row)

        return await self._engine.write(delete)


def _with_recipients(
    connection: sqlite3.Connection, limit: int, offset: int
) -> list[tuple[QueuedMessage, list[QueuedRecipient]]]:
    """Queued messages oldest first (``limit`` -1: all) with their recipients; only the
    recipients of those messages are read."""
    messages = [
        _message(row)
        for row in connection.execute(
            f"SELECT {_MESSAGE} FROM queue_message ORDER BY id LIMIT ? OFFSET ?", (limit, offset)
        )
    ]
    by_message: dict[int, list[QueuedRecipient]] = {message.id: [] for message in messages}
    if messages:
        first, last = messages[0].id, messages[-1].id
        for row in connection.execute(
            f"SELECT {_RECIPIENT} FROM queue_recipient WHERE message_id BETWEEN ? AND ? "
            "ORDER BY message_id, id",  # the message_id index, in its own order
            (first, last),
        ):
            recipient = _recipient(row)
            if recipient.message_id in by_message:
                by_message[recipient.message_id].append(recipient)
    return [(message, by_message[message.id]) for message in messages]
