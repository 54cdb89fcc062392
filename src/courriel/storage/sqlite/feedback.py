"""Spam-filter feedback in the SQLite ``MailRepo``: the ``spam_feedback`` rows a copy or move
into or out of Junk records (in its own transaction, ``messages.transfer_messages``), and
the reads and deletes of the spam filter that trains on them.

Which moves make a report is ``mailstore``'s rule (``mailstore/junk.py``); this module only
stores what it is told.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from courriel.storage.records import SpamFeedback

_COLUMNS = "id, account_id, email_id, sha256, verdict, created"


def _feedback(row: Any) -> SpamFeedback:
    return SpamFeedback(*row)


def record_feedback(
    connection: sqlite3.Connection,
    account_id: int,
    mailbox_id: int,
    uids_json: str,
    verdict: str,
    now: float,
) -> tuple[SpamFeedback, ...]:
    """One report per message ``uids_json`` (a JSON list) of the mailbox, in UID order."""
    rows = connection.execute(
        "INSERT INTO spam_feedback (account_id, email_id, sha256, verdict, created) "
        "SELECT ?, m.email_id, b.sha256, ?, ? FROM message m JOIN blob b ON b.id = m.blob_id "
        "WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid "
        f"RETURNING {_COLUMNS}",
        (account_id, verdict, now, mailbox_id, uids_json),
    ).fetchall()
    return tuple(sorted((_feedback(row) for row in rows), key=lambda report: report.id))


def pending_feedback(connection: sqlite3.Connection, limit: int) -> list[SpamFeedback]:
    rows = connection.execute(f"SELECT {_COLUMNS} FROM spam_feedback ORDER BY id LIMIT ?", (limit,))
    return [_feedback(row) for row in rows]


def consume_feedback(connection: sqlite3.Connection, ids: Sequence[int]) -> int:
    cursor = connection.execute(
        "DELETE FROM spam_feedback WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(ids)),),
    )
    return cursor.rowcount
