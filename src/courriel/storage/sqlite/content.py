"""Message content rows (``blob``, ``blob_data``, ``blob_text``) and thread assignment.

Content is stored once per SHA-256 and reference-counted by message rows; a blob whose count
drops to zero keeps its bytes for a grace period (a session that has not yet seen an expunge
may still fetch it) and is then collected. Runs on the writer connection only.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence

from courriel.storage.errors import ContentMissing
from courriel.storage.records import IngestedMessage, MessageSummary

FileExists = Callable[[str], bool]


def reference_content(
    connection: sqlite3.Connection,
    content: IngestedMessage,
    count: int,
    file_exists: FileExists,
) -> int:
    """Add ``count`` references to the content, inserting it first if needed; the blob id."""
    row = connection.execute(
        "SELECT id, refcount, inline FROM blob WHERE sha256 = ?", (content.sha256,)
    ).fetchone()
    if row is not None:
        blob_id, refcount, inline = row
        if refcount == 0 and not inline and not file_exists(content.sha256):
            raise ContentMissing(content.sha256)
        connection.execute(  # content stored before schema 4 (7) learns its wire size (sent day)
            "UPDATE blob SET refcount = refcount + ?, zero_since = NULL, "
            "wire_size = coalesce(wire_size, ?), sent_day = coalesce(sent_day, ?) WHERE id = ?",
            (count, content.wire_size, content.summary.sent_day, blob_id),
        )
        if content.forms:  # content stored before schema 6, or with forms of another version
            connection.execute(
                "INSERT OR REPLACE INTO blob_forms (blob_id, data) VALUES (?, ?)",
                (blob_id, content.forms),
            )
        return int(blob_id)
    if content.data is None and not file_exists(content.sha256):
        raise ContentMissing(content.sha256)
    summary = content.summary
    cursor = connection.execute(
        "INSERT INTO blob (sha256, size, wire_size, inline, refcount, parsed, sent_date, "
        "sent_day, subject, base_subject, from_text, to_text, cc_text, bcc_text, message_id, "
        "in_reply_to, refs, has_attachment, preview, headers) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            content.sha256,
            content.size,
            content.wire_size,
            int(content.data is not None),
            count,
            content.parsed,
            summary.sent_date,
            summary.sent_day,
            summary.subject,
            summary.base_subject,
            summary.from_text,
            summary.to_text,
            summary.cc_text,
            summary.bcc_text,
            summary.message_id,
            summary.in_reply_to,
            json.dumps(list(summary.references)),
            int(summary.has_attachment),
            summary.preview,
            summary.headers,
        ),
    )
    blob_id = int(cursor.lastrowid or 0)
    if content.data is not None:
        connection.execute(
            "INSERT INTO blob_data (blob_id, data) VALUES (?, ?)", (blob_id, content.data)
        )
    if content.forms:
        connection.execute(
            "INSERT INTO blob_forms (blob_id, data) VALUES (?, ?)", (blob_id, content.forms)
        )
    connection.execute(
        "INSERT INTO text_pending (blob_id, headers, body) VALUES (?, ?, ?)",
        (blob_id, summary.headers, content.body_text),
    )
    return blob_id


def index_pending_text(connection: sqlite3.Connection, limit: int) -> int:
    """Move up to ``limit`` pending texts into the full-text index in one statement pair;
    the number still pending after."""
    connection.execute(
        "INSERT INTO blob_text (rowid, headers, body) "
        "SELECT blob_id, headers, body FROM text_pending ORDER BY blob_id LIMIT ?",
        (limit,),
    )
    connection.execute(
        "DELETE FROM text_pending WHERE blob_id IN "
        "(SELECT blob_id FROM text_pending ORDER BY blob_id LIMIT ?)",
        (limit,),
    )
    return int(connection.execute("SELECT count(*) FROM text_pending").fetchone()[0])


def release_content(connection: sqlite3.Connection, counts: dict[int, int], now: float) -> None:
    """Drop references; content reaching zero starts its grace period."""
    connection.executemany(
        "UPDATE blob SET refcount = refcount - ?, "
        "zero_since = CASE WHEN refcount - ? <= 0 THEN ? ELSE zero_since END WHERE id = ?",
        [(count, count, now, blob_id) for blob_id, count in counts.items()],
    )


def collect_garbage(
    connection: sqlite3.Connection,
    older_than: float,
    delete_files: Callable[[Sequence[str]], None],
    limit: int = 1000,
) -> list[str]:
    """Delete unreferenced content whose grace period is over; the hashes removed.

    Files are deleted before commit: the rows are unreferenced, so if the commit fails the
    only effect is garbage rows without files, which the next run removes, and a delivery
    that revives such a row checks that its file exists (``ContentMissing``).
    """
    rows = connection.execute(
        "SELECT id, sha256, inline FROM blob WHERE refcount <= 0 AND zero_since < ? LIMIT ?",
        (older_than, limit),
    ).fetchall()
    if not rows:
        return []
    ids = [(row[0],) for row in rows]
    connection.executemany("DELETE FROM blob_data WHERE blob_id = ?", ids)
    connection.executemany("DELETE FROM blob_forms WHERE blob_id = ?", ids)
    connection.executemany("DELETE FROM text_pending WHERE blob_id = ?", ids)
    connection.executemany("DELETE FROM blob WHERE id = ?", ids)
    delete_files([row[1] for row in rows if not row[2]])
    return [row[1] for row in rows]


def _id_key(message_id: str) -> str:
    """Message-IDs can be long; index them by a short stable digest."""
    return hashlib.blake2b(message_id.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def assign_thread(
    connection: sqlite3.Connection, account_id: int, summary: MessageSummary, spare_id: int
) -> int:
    """The thread of a new message: the thread of any message it refers to or that refers to
    it (by Message-ID, In-Reply-To, References), merging threads it joins, else ``spare_id``
    (allocated by the caller with the message's other counters)."""
    ids = (summary.message_id, summary.in_reply_to, *summary.references)
    keys = list(dict.fromkeys(_id_key(i) for i in ids if i))
    if not keys:
        return spare_id
    placeholders = ",".join("?" * len(keys))
    threads = {
        row[0]
        for row in connection.execute(
            "SELECT thread_id FROM thread_ref WHERE account_id = ? "
            f"AND message_id IN ({placeholders})",
            (account_id, *keys),
        )
    }
    thread_id = min(threads) if threads else spare_id
    for other in threads - {thread_id}:  # this message links two threads: merge them
        connection.execute(
            "UPDATE message SET thread_id = ? WHERE account_id = ? AND thread_id = ?",
            (thread_id, account_id, other),
        )
        connection.execute(
            "UPDATE thread_ref SET thread_id = ? WHERE account_id = ? AND thread_id = ?",
            (thread_id, account_id, other),
        )
    connection.executemany(
        "INSERT OR IGNORE INTO thread_ref (account_id, message_id, thread_id) VALUES (?, ?, ?)",
        [(account_id, key, thread_id) for key in keys],
    )
    return thread_id
