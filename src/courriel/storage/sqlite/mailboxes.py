"""Mailbox operations of the SQLite ``MailRepo``: create, rename, delete, subscriptions.

Name syntax and hierarchy rules are checked by ``mailstore``; this module keeps the rows
consistent: UIDVALIDITY from the account's counter (strictly increasing, so a re-created
name never reuses one, RFC 9051 §2.3.1.1), renames that carry children and subscriptions.
"""

from __future__ import annotations

import sqlite3

from courriel.storage.errors import AlreadyExists, InvalidName, NotFound
from courriel.storage.records import MailboxRecord
from courriel.storage.sqlite.messages import (
    MAILBOX_COLUMNS,
    drop_mailbox_messages,
    load_mailbox,
    mailbox_record,
    transfer_messages,
)


def find_mailbox(
    connection: sqlite3.Connection, account_id: int, name: str
) -> MailboxRecord | None:
    row = connection.execute(
        f"SELECT {MAILBOX_COLUMNS} FROM mailbox WHERE account_id = ? AND name = ?",
        (account_id, name),
    ).fetchone()
    return None if row is None else mailbox_record(row)


def list_mailboxes(connection: sqlite3.Connection, account_id: int) -> list[MailboxRecord]:
    rows = connection.execute(
        f"SELECT {MAILBOX_COLUMNS} FROM mailbox WHERE account_id = ? ORDER BY name",
        (account_id,),
    )
    return [mailbox_record(row) for row in rows]


def create_mailbox(
    connection: sqlite3.Connection, account_id: int, name: str, special_use: str | None
) -> MailboxRecord:
    row = connection.execute(
        "UPDATE account SET next_uidvalidity = next_uidvalidity + 1 WHERE id = ? "
        "RETURNING next_uidvalidity - 1, highest_modseq",
        (account_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"account {account_id} does not exist")
    uidvalidity, modseq = row
    try:
        cursor = connection.execute(
            "INSERT INTO mailbox (account_id, name, special_use, uidvalidity, highest_modseq) "
            "VALUES (?, ?, ?, ?, ?)",
            (account_id, name, special_use, uidvalidity & 0xFFFFFFFF or 1, modseq),
        )
    except sqlite3.IntegrityError:
        raise AlreadyExists(f"mailbox {name!r} already exists") from None
    return load_mailbox(connection, int(cursor.lastrowid or 0))


def rename_mailbox(
    connection: sqlite3.Connection,
    account_id: int,
    old: str,
    new: str,
    separator: str,
    now: float,
) -> list[MailboxRecord]:
    source = find_mailbox(connection, account_id, old)
    if source is None:
        raise NotFound(f"mailbox {old!r} does not exist")
    if find_mailbox(connection, account_id, new) is not None:
        raise AlreadyExists(f"mailbox {new!r} already exists")
    if new.startswith(old + separator):
        raise InvalidName(f"cannot move {old!r} inside itself")
    if old == "INBOX":
        # RFC 9051 §6.3.6: renaming INBOX moves its messages to the new name; INBOX stays.
        target = create_mailbox(connection, account_id, new, None)
        uids = [
            row[0]
            for row in connection.execute(
                "SELECT uid FROM message WHERE mailbox_id = ?", (source.id,)
            )
        ]
        if uids:
            transfer_messages(connection, account_id, source.id, uids, target.id, now, move=True)
        return [load_mailbox(connection, target.id)]
    renamed: list[MailboxRecord] = []
    prefix = old + separator
    for mailbox in list_mailboxes(connection, account_id):
        if mailbox.name == old or mailbox.name.startswith(prefix):
            new_name = new + mailbox.name[len(old) :]
            if mailbox.name != old and find_mailbox(connection, account_id, new_name):
                raise AlreadyExists(f"mailbox {new_name!r} already exists")
            connection.execute("UPDATE mailbox SET name = ? WHERE id = ?", (new_name, mailbox.id))
            connection.execute(
                "UPDATE OR REPLACE subscription SET name = ? WHERE account_id = ? AND name = ?",
                (new_name, account_id, mailbox.name),
            )
            renamed.append(load_mailbox(connection, mailbox.id))
    return renamed


def delete_mailbox(
    connection: sqlite3.Connection, account_id: int, name: str, now: float
) -> MailboxRecord:
    mailbox = find_mailbox(connection, account_id, name)
    if mailbox is None:
        raise NotFound(f"mailbox {name!r} does not exist")
    drop_mailbox_messages(connection, mailbox.id, now)
    connection.execute("DELETE FROM vanished WHERE mailbox_id = ?", (mailbox.id,))
    connection.execute("DELETE FROM mailbox WHERE id = ?", (mailbox.id,))
    return mailbox


def set_subscribed(
    connection: sqlite3.Connection, account_id: int, name: str, subscribed: bool
) -> None:
    if subscribed:
        connection.execute(
            "INSERT OR IGNORE INTO subscription (account_id, name) VALUES (?, ?)",
            (account_id, name),
        )
    else:
        connection.execute(
            "DELETE FROM subscription WHERE account_id = ? AND name = ?", (account_id, name)
        )


def list_subscriptions(connection: sqlite3.Connection, account_id: int) -> list[str]:
    return [
        row[0]
        for row in connection.execute(
            "SELECT name FROM subscription WHERE account_id = ? ORDER BY name", (account_id,)
        )
    ]
