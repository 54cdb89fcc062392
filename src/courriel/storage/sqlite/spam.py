"""SQLite implementation of the ``SpamRepo`` port (schema in migrations/0008): classifier
token counts per account, the content each account trained, sender reputation,
correspondents, and allow and block lists.

Training is one transaction per message: the ``spam_trained`` row that says what the
content was trained as changes together with the counts, so a report replayed after a crash
or a message moved into Junk and back out never counts twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from courriel.storage.errors import NotFound
from courriel.storage.records import (
    HAM,
    LIST_KINDS,
    SPAM,
    VERDICTS,
    AccountScoringInputs,
    AccountScoringQuery,
    ClassifierCounts,
    ScoringInputs,
    SenderReputation,
    SpamListEntry,
)
from courriel.storage.sqlite.engine import SqliteEngine

# Host parameters per statement: far below SQLite's limit (32,766 since 3.32), and small
# enough that one lookup never holds a reader for long.
_CHUNK = 500
# The verdict names are also the column names of the count tables; nothing else may be
# spliced into SQL.
_COLUMNS = {SPAM: "spam", HAM: "ham"}


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _placeholders(count: int) -> str:
    return ", ".join("?" * count)


def _list_entry(row: Any) -> SpamListEntry:
    return SpamListEntry(account_id=row[0], entry=row[1], kind=row[2], created=row[3])


def _check_account(connection: sqlite3.Connection, account_id: int) -> None:
    if connection.execute("SELECT 1 FROM account WHERE id = ?", (account_id,)).fetchone() is None:
        raise NotFound(f"account {account_id} does not exist")


def _apply(
    connection: sqlite3.Connection,
    account_id: int,
    verdict: str,
    tokens: Sequence[str],
    senders: Sequence[str],
    delta: int,
) -> None:
    """Add (``delta`` 1) or remove (-1) one message's counts under ``verdict``."""
    column = _COLUMNS[verdict]
    if delta > 0:
        connection.executemany(
            f"INSERT INTO spam_token (account_id, token, {column}) VALUES (?, ?, 1) "
            f"ON CONFLICT (account_id, token) DO UPDATE SET {column} = {column} + 1",
            [(account_id, token) for token in tokens],
        )
        connection.execute(
            f"INSERT INTO spam_corpus (account_id, {column}) VALUES (?, 1) "
            f"ON CONFLICT (account_id) DO UPDATE SET {column} = {column} + 1",
            (account_id,),
        )
        connection.executemany(
            f"INSERT INTO spam_sender (sender, {column}) VALUES (?, 1) "
            f"ON CONFLICT (sender) DO UPDATE SET {column} = {column} + 1",
            [(sender,) for sender in senders],
        )
        return
    pairs = [(account_id, token) for token in tokens]
    connection.executemany(
        f"UPDATE spam_token SET {column} = max({column} - 1, 0) WHERE account_id = ? AND token = ?",
        pairs,
    )
    connection.executemany(
        "DELETE FROM spam_token WHERE account_id = ? AND token = ? AND spam = 0 AND ham = 0",
        pairs,
    )
    connection.execute(
        f"UPDATE spam_corpus SET {column} = max({column} - 1, 0) WHERE account_id = ?",
        (account_id,),
    )
    connection.executemany(
        f"UPDATE spam_sender SET {column} = max({column} - 1, 0) WHERE sender = ?",
        [(sender,) for sender in senders],
    )


class SqliteSpamRepo:
    """The spam filter's tables in the embedded store."""

    def __init__(self, engine: SqliteEngine) -> None:
        self._engine = engine

    # -- classifier ---------------------------------------------------------------------------

    async def classifier_counts(self, account_id: int, tokens: Sequence[str]) -> ClassifierCounts:
        unique = list(dict.fromkeys(tokens))
        return await self._engine.read(
            lambda connection: _classifier_counts(connection, account_id, unique)
        )

    async def train(
        self,
        account_id: int,
        sha256: str,
        verdict: str,
        tokens: Sequence[str],
        senders: Sequence[str],
        now: float,
    ) -> str:
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}")
        unique_tokens = list(dict.fromkeys(tokens))
        unique_senders = list(dict.fromkeys(senders))

        def train(connection: sqlite3.Connection) -> str:
            _check_account(connection, account_id)
            row = connection.execute(
                "SELECT verdict FROM spam_trained WHERE account_id = ? AND sha256 = ?",
                (account_id, sha256),
            ).fetchone()
            if row is not None and row[0] == verdict:
                return "unchanged"
            if row is not None:
                _apply(connection, account_id, row[0], unique_tokens, unique_senders, -1)
            _apply(connection, account_id, verdict, unique_tokens, unique_senders, 1)
            connection.execute(
                "INSERT INTO spam_trained (account_id, sha256, verdict, trained) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (account_id, sha256) "
                "DO UPDATE SET verdict = excluded.verdict, trained = excluded.trained",
                (account_id, sha256, verdict, now),
            )
            return "trained" if row is None else "retrained"

        return await self._engine.write(train)

    async def untrain(
        self, account_id: int, sha256: str, tokens: Sequence[str], senders: Sequence[str]
    ) -> bool:
        unique_tokens = list(dict.fromkeys(tokens))
        unique_senders = list(dict.fromkeys(senders))

        def untrain(connection: sqlite3.Connection) -> bool:
            row = connection.execute(
                "SELECT verdict FROM spam_trained WHERE account_id = ? AND sha256 = ?",
                (account_id, sha256),
            ).fetchone()
            if row is None:
                return False
            _apply(connection, account_id, row[0], unique_tokens, unique_senders, -1)
            connection.execute(
                "DELETE FROM spam_trained WHERE account_id = ? AND sha256 = ?",
                (account_id, sha256),
            )
            return True

        return await self._engine.write(untrain)

    # -- sender reputation ------------------------------------------------------------------

    async def record_senders(self, sightings: Mapping[str, int], now: float) -> None:
        counted = [(sender, count, now) for sender, count in sightings.items() if count > 0]
        if not counted:
            return

        def record(connection: sqlite3.Connection) -> None:
            connection.executemany(
                "INSERT INTO spam_sender (sender, seen, last_seen) VALUES (?, ?, ?) "
                "ON CONFLICT (sender) DO UPDATE SET seen = seen + excluded.seen, "
                "last_seen = max(last_seen, excluded.last_seen)",
                counted,
            )

        await self._engine.write(record)

    async def sender_reputation(self, senders: Sequence[str]) -> dict[str, SenderReputation]:
        unique = list(dict.fromkeys(senders))
        if not unique:
            return {}
        return await self._engine.read(lambda connection: _reputations(connection, unique))

    # -- correspondents -------------------------------------------------------------------

    async def record_correspondents(
        self, account_id: int, addresses: Sequence[str], now: float
    ) -> None:
        unique = list(dict.fromkeys(addresses))

        def record(connection: sqlite3.Connection) -> None:
            _check_account(connection, account_id)
            connection.executemany(
                "INSERT INTO spam_correspondent (account_id, address, messages, last) "
                "VALUES (?, ?, 1, ?) ON CONFLICT (account_id, address) "
                "DO UPDATE SET messages = messages + 1, last = max(last, excluded.last)",
                [(account_id, address, now) for address in unique],
            )

        await self._engine.write(record)

    async def known_correspondents(self, account_id: int, addresses: Sequence[str]) -> set[str]:
        unique = list(dict.fromkeys(addresses))
        if not unique:
            return set()
        return await self._engine.read(
            lambda connection: _known_correspondents(connection, account_id, unique)
        )

    # -- allow and block lists ------------------------------------------------------------

    async def set_list_entry(
        self, account_id: int, entry: str, kind: str, now: float
    ) -> SpamListEntry:
        if kind not in LIST_KINDS:
            raise ValueError(f"unknown list {kind!r}")

        def set_(connection: sqlite3.Connection) -> SpamListEntry:
            _check_account(connection, account_id)
            connection.execute(
                "INSERT INTO spam_list (account_id, entry, kind, created) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (account_id, entry) DO UPDATE SET kind = excluded.kind, "
                "created = excluded.created WHERE kind != excluded.kind",
                (account_id, entry, kind, now),
            )
            row = connection.execute(
                "SELECT account_id, entry, kind, created FROM spam_list "
                "WHERE account_id = ? AND entry = ?",
                (account_id, entry),
            ).fetchone()
            return _list_entry(row)

        return await self._engine.write(set_)

    async def remove_list_entry(self, account_id: int, entry: str, kind: str) -> bool:
        def remove(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(
                "DELETE FROM spam_list WHERE account_id = ? AND entry = ? AND kind = ?",
                (account_id, entry, kind),
            )
            return cursor.rowcount > 0

        return await self._engine.write(remove)

    async def list_entries(self, account_id: int) -> list[SpamListEntry]:
        def read(connection: sqlite3.Connection) -> list[SpamListEntry]:
            rows = connection.execute(
                "SELECT account_id, entry, kind, created FROM spam_list WHERE account_id = ? "
                "ORDER BY kind = 'block', entry",
                (account_id,),
            )
            return [_list_entry(row) for row in rows]

        return await self._engine.read(read)

    async def matching_list_entries(
        self, account_id: int, entries: Sequence[str]
    ) -> list[SpamListEntry]:
        unique = list(dict.fromkeys(entries))
        if not unique:
            return []
        return await self._engine.read(
            lambda connection: _list_matches(connection, account_id, unique)
        )

    # -- scoring ---------------------------------------------------------------------------

    async def scoring_inputs(
        self, senders: Sequence[str], queries: Sequence[AccountScoringQuery]
    ) -> ScoringInputs:
        unique_senders = list(dict.fromkeys(senders))
        asked = [
            (
                query.account_id,
                list(dict.fromkeys(query.tokens)),
                list(dict.fromkeys(query.correspondents)),
                list(dict.fromkeys(query.list_entries)),
            )
            for query in queries
        ]

        def read(connection: sqlite3.Connection) -> ScoringInputs:
            accounts = {
                account_id: AccountScoringInputs(
                    _classifier_counts(connection, account_id, tokens),
                    _known_correspondents(connection, account_id, correspondents),
                    _list_matches(connection, account_id, entries),
                )
                for account_id, tokens, correspondents, entries in asked
            }
            return ScoringInputs(_reputations(connection, unique_senders), accounts)

        # One read transaction (a consistent snapshot) of a few indexed lookups, here: the
        # delivery waits for it, and a trip to a reader thread costs more than the read.
        return self._engine.read_now(read)


# -- reads shared by the single lookups and ``scoring_inputs`` (arguments deduplicated) ---


def _classifier_counts(
    connection: sqlite3.Connection, account_id: int, tokens: Sequence[str]
) -> ClassifierCounts:
    row = connection.execute(
        "SELECT spam, ham FROM spam_corpus WHERE account_id = ?", (account_id,)
    ).fetchone()
    spam_messages, ham_messages = (0, 0) if row is None else (row[0], row[1])
    counts: dict[str, tuple[int, int]] = {}
    if spam_messages or ham_messages:
        for chunk in _chunks(tokens):
            for token, spam, ham in connection.execute(
                "SELECT token, spam, ham FROM spam_token WHERE account_id = ? "
                f"AND token IN ({_placeholders(len(chunk))})",
                (account_id, *chunk),
            ):
                counts[token] = (spam, ham)
    return ClassifierCounts(spam_messages, ham_messages, counts)


def _reputations(
    connection: sqlite3.Connection, senders: Sequence[str]
) -> dict[str, SenderReputation]:
    found: dict[str, SenderReputation] = {}
    for chunk in _chunks(senders):
        for row in connection.execute(
            "SELECT sender, seen, spam, ham, last_seen FROM spam_sender "
            f"WHERE sender IN ({_placeholders(len(chunk))})",
            tuple(chunk),
        ):
            found[row[0]] = SenderReputation(*row)
    return found


def _known_correspondents(
    connection: sqlite3.Connection, account_id: int, addresses: Sequence[str]
) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(addresses):
        found.update(
            row[0]
            for row in connection.execute(
                "SELECT address FROM spam_correspondent WHERE account_id = ? "
                f"AND address IN ({_placeholders(len(chunk))})",
                (account_id, *chunk),
            )
        )
    return found


def _list_matches(
    connection: sqlite3.Connection, account_id: int, entries: Sequence[str]
) -> list[SpamListEntry]:
    found: list[SpamListEntry] = []
    for chunk in _chunks(entries):
        found.extend(
            _list_entry(row)
            for row in connection.execute(
                "SELECT account_id, entry, kind, created FROM spam_list "
                f"WHERE account_id = ? AND entry IN ({_placeholders(len(chunk))})",
                (account_id, *chunk),
            )
        )
    found.sort(key=lambda item: (item.kind == "block", item.entry))
    return found
