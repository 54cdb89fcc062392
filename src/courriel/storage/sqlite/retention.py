"""Reads of the SQLite ``MailRepo`` that the retention purge builds on: which mailboxes of a
special use hold messages saved before a date, and which UIDs those are.

Both are served by ``message_save_date`` (migration 0005). The removal itself is
``messages.remove_messages``, the path IMAP EXPUNGE and POP3 deletion share; this module
never writes.
"""

from __future__ import annotations

import sqlite3

from courriel.storage.records import MailboxRecord
from courriel.storage.sqlite.messages import MAILBOX_COLUMNS, mailbox_record


def mailboxes_with_saves_before(
    connection: sqlite3.Connection, special_use: str, saved_before: float
) -> list[MailboxRecord]:
    """Every account's mailboxes with ``special_use`` (RFC 6154 §2) that hold a message
    saved (RFC 8514 SAVEDATE) before ``saved_before``, by id."""
    rows = connection.execute(
        f"SELECT {MAILBOX_COLUMNS} FROM mailbox WHERE special_use = ? AND EXISTS "
        "(SELECT 1 FROM message WHERE message.mailbox_id = mailbox.id "
        "AND message.save_date < ?) ORDER BY id",
        (special_use, saved_before),
    )
    return [mailbox_record(row) for row in rows]


def uids_saved_before(
    connection: sqlite3.Connection, mailbox_id: int, saved_before: float, limit: int
) -> list[int]:
    """UIDs of up to ``limit`` messages of the mailbox saved before ``saved_before``, the
    earliest saves first, returned in ascending order."""
    rows = connection.execute(
        "SELECT uid FROM message WHERE mailbox_id = ? AND save_date < ? "
        "ORDER BY save_date, uid LIMIT ?",
        (mailbox_id, saved_before, limit),
    )
    return sorted(row[0] for row in rows)
