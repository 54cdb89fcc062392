"""Message operations of the SQLite ``MailRepo``: append, deliver, flags, expunge, copy, move,
and the reads sessions build on (snapshot, fetch, changes since a MODSEQ).

Each ``*_messages`` function runs on the writer connection inside the engine's transaction,
so UID and MODSEQ allocation, quota and counters change atomically with the rows. The MODSEQ
counter is the account row's (research/scale-out.md §2.5); a function that changes nothing
allocates none.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from courriel.storage.errors import NotFound, QuotaExceeded
from courriel.storage.records import (
    VERDICTS,
    AppendResult,
    Changes,
    CopyResult,
    Delivered,
    DeliveryOutcome,
    DeliveryRefused,
    DeliveryTarget,
    ExpungeResult,
    Flag,
    FlagsResult,
    IngestedMessage,
    MailboxRecord,
    MessageContent,
    MessageMeta,
    MessageRecord,
    MessageSummary,
    NewMessage,
    RenderedMessage,
    SpamFeedback,
)
from courriel.storage.sqlite.content import (
    FileExists,
    assign_thread,
    reference_content,
    release_content,
)
from courriel.storage.sqlite.feedback import record_feedback

MAILBOX_COLUMNS = (
    "id, account_id, name, special_use, uidvalidity, uid_next, highest_modseq, "
    "message_count, unseen_count, deleted_count, total_bytes, keywords"
)

_SEEN = int(Flag.SEEN)
_DELETED = int(Flag.DELETED)


def mailbox_record(row: Any) -> MailboxRecord:
    return MailboxRecord(
        id=row[0],
        account_id=row[1],
        name=row[2],
        special_use=row[3],
        uidvalidity=row[4],
        uid_next=row[5],
        highest_modseq=row[6],
        message_count=row[7],
        unseen_count=row[8],
        deleted_count=row[9],
        total_bytes=row[10],
        keywords=tuple(json.loads(row[11])),
    )


def load_mailbox(connection: sqlite3.Connection, mailbox_id: int) -> MailboxRecord:
    row = connection.execute(
        f"SELECT {MAILBOX_COLUMNS} FROM mailbox WHERE id = ?", (mailbox_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"mailbox {mailbox_id} does not exist")
    return mailbox_record(row)


def _owned_mailbox(
    connection: sqlite3.Connection, account_id: int, mailbox_id: int
) -> MailboxRecord:
    mailbox = load_mailbox(connection, mailbox_id)
    if mailbox.account_id != account_id:
        raise NotFound(f"mailbox {mailbox_id} does not exist")
    return mailbox


def next_modseq(connection: sqlite3.Connection, account_id: int) -> int:
    row = connection.execute(
        "UPDATE account SET highest_modseq = highest_modseq + 1 WHERE id = ? "
        "RETURNING highest_modseq",
        (account_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"account {account_id} does not exist")
    return int(row[0])


def _charge_quota(connection: sqlite3.Connection, account_id: int, size: int, count: int) -> bool:
    """Add to the account's usage unless that passes its quota (RFC 9208 STORAGE)."""
    row = connection.execute(
        "UPDATE account SET used_bytes = used_bytes + ?, message_count = message_count + ? "
        "WHERE id = ? AND (quota_bytes = 0 OR used_bytes + ? <= quota_bytes) RETURNING id",
        (size, count, account_id, size),
    ).fetchone()
    return row is not None


def _allocate_for_new_messages(
    connection: sqlite3.Connection, account_id: int, size: int, count: int
) -> tuple[int, int, int] | None:
    """For ``count`` new messages of ``size`` bytes in all: charge the quota and allocate one
    MODSEQ, ``count`` email ids and ``count`` thread ids, in one statement. Returns
    (modseq, first email id, first thread id), or None when the quota would be exceeded
    (nothing changed then)."""
    row = connection.execute(
        "UPDATE account SET used_bytes = used_bytes + ?1, message_count = message_count + ?2, "
        "highest_modseq = highest_modseq + 1, next_email_id = next_email_id + ?2, "
        "next_thread_id = next_thread_id + ?2 "
        "WHERE id = ?3 AND (quota_bytes = 0 OR used_bytes + ?1 <= quota_bytes) "
        "RETURNING highest_modseq, next_email_id - ?2, next_thread_id - ?2",
        (size, count, account_id),
    ).fetchone()
    return None if row is None else (row[0], row[1], row[2])


def _allocate_uids(
    connection: sqlite3.Connection,
    account_id: int,
    mailbox_id: int,
    modseq: int,
    messages: Sequence[NewMessage],
) -> tuple[int, int, str]:
    """Take the next ``len(messages)`` UIDs of the mailbox and count the messages in, in one
    statement. Returns (first UID, UIDVALIDITY, keywords JSON); ``NotFound`` when the
    mailbox is not the account's."""
    row = connection.execute(
        "UPDATE mailbox SET uid_next = uid_next + ?1, highest_modseq = ?2, "
        "message_count = message_count + ?1, unseen_count = unseen_count + ?3, "
        "deleted_count = deleted_count + ?4, total_bytes = total_bytes + ?5 "
        "WHERE id = ?6 AND account_id = ?7 RETURNING uid_next - ?1, uidvalidity, keywords",
        (
            len(messages),
            modseq,
            sum(1 for item in messages if not item.flags & _SEEN),
            sum(1 for item in messages if item.flags & _DELETED),
            sum(item.content.size for item in messages),
            mailbox_id,
            account_id,
        ),
    ).fetchone()
    if row is None:
        raise NotFound(f"mailbox {mailbox_id} does not exist")
    return row[0], row[1], row[2]


def unique_keywords(keywords: Iterable[str]) -> tuple[str, ...]:
    """Keywords compare case-insensitively (RFC 9051 §2.3.2): each once, first spelling kept."""
    unique: dict[str, str] = {}
    for keyword in keywords:
        unique.setdefault(keyword.lower(), keyword)
    return tuple(unique.values())


def _keywords_json(keywords: Sequence[str]) -> str | None:
    return json.dumps(list(keywords)) if keywords else None


def _keywords_tuple(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else ()


def _merge_mailbox_keywords(
    connection: sqlite3.Connection, mailbox: MailboxRecord, keywords: Iterable[str]
) -> None:
    _merge_keywords_json(connection, mailbox.id, json.dumps(list(mailbox.keywords)), keywords)


def _merge_keywords_json(
    connection: sqlite3.Connection, mailbox_id: int, known_json: str, keywords: Iterable[str]
) -> None:
    """Add keywords not seen before to the mailbox's list (FLAGS, PERMANENTFLAGS)."""
    wanted = unique_keywords(keywords)
    if not wanted:
        return
    known_list = json.loads(known_json)
    known = {keyword.lower() for keyword in known_list}
    added = [keyword for keyword in wanted if keyword.lower() not in known]
    if added:
        connection.execute(
            "UPDATE mailbox SET keywords = ? WHERE id = ?",
            (json.dumps([*known_list, *added]), mailbox_id),
        )


def _update_mailbox_counts(
    connection: sqlite3.Connection,
    mailbox_id: int,
    modseq: int,
    *,
    uids: int = 0,
    messages: int = 0,
    unseen: int = 0,
    deleted: int = 0,
    size: int = 0,
) -> None:
    connection.execute(
        "UPDATE mailbox SET uid_next = uid_next + ?, highest_modseq = ?, "
        "message_count = message_count + ?, unseen_count = unseen_count + ?, "
        "deleted_count = deleted_count + ?, total_bytes = total_bytes + ? WHERE id = ?",
        (uids, modseq, messages, unseen, deleted, size, mailbox_id),
    )


def _insert_new_message(
    connection: sqlite3.Connection,
    account_id: int,
    mailbox_id: int,
    uid: int,
    ids: tuple[int, int],
    item: NewMessage,
    modseq: int,
    now: float,
    file_exists: FileExists,
) -> None:
    """Insert one new message row; ``ids`` is (email id, spare thread id)."""
    email_id, spare_thread_id = ids
    blob_id = reference_content(connection, item.content, 1, file_exists)
    thread_id = assign_thread(connection, account_id, item.content.summary, spare_thread_id)
    connection.execute(
        "INSERT INTO message (mailbox_id, uid, account_id, email_id, thread_id, blob_id, "
        "modseq, flags, keywords, size, internal_date, save_date) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            mailbox_id,
            uid,
            account_id,
            email_id,
            thread_id,
            blob_id,
            modseq,
            item.flags,
            _keywords_json(unique_keywords(item.keywords)),
            item.content.size,
            item.internal_date,
            now,
        ),
    )


def append_messages(
    connection: sqlite3.Connection,
    account_id: int,
    mailbox_id: int,
    messages: Sequence[NewMessage],
    now: float,
    file_exists: FileExists,
) -> AppendResult:
    """All or nothing (RFC 3502 MULTIAPPEND); consecutive UIDs, one MODSEQ."""
    if not messages:
        raise ValueError("nothing to append")
    total = sum(item.content.size for item in messages)
    allocated = _allocate_for_new_messages(connection, account_id, total, len(messages))
    if allocated is None:
        _owned_mailbox(connection, account_id, mailbox_id)  # NotFound comes first
        raise QuotaExceeded("the account's storage quota would be exceeded")
    modseq, first_email_id, first_thread_id = allocated
    first_uid, uidvalidity, known_keywords = _allocate_uids(
        connection, account_id, mailbox_id, modseq, messages
    )
    for offset, item in enumerate(messages):
        _insert_new_message(
            connection,
            account_id,
            mailbox_id,
            first_uid + offset,
            (first_email_id + offset, first_thread_id + offset),
            item,
            modseq,
            now,
            file_exists,
        )
    _merge_keywords_json(
        connection, mailbox_id, known_keywords, (k for m in messages for k in m.keywords)
    )
    uids = tuple(range(first_uid, first_uid + len(messages)))
    return AppendResult(mailbox_id, uidvalidity, uids, modseq)


def deliver_message(
    connection: sqlite3.Connection,
    content: IngestedMessage,
    targets: Sequence[DeliveryTarget],
    internal_date: float,
    now: float,
    file_exists: FileExists,
) -> list[DeliveryOutcome]:
    """One content, many mailboxes; each target succeeds or is refused on its own."""
    outcomes: list[DeliveryOutcome] = []
    for target in targets:
        row = connection.execute(
            "SELECT id FROM mailbox WHERE account_id = ? AND name IN (?, 'INBOX') "
            "ORDER BY name = 'INBOX' LIMIT 1",
            (target.account_id, target.mailbox_name),
        ).fetchone()
        if row is None:
            outcomes.append(DeliveryRefused(target.account_id, "no-account"))
            continue
        allocated = _allocate_for_new_messages(connection, target.account_id, content.size, 1)
        if allocated is None:
            outcomes.append(DeliveryRefused(target.account_id, "quota"))
            continue
        modseq, email_id, thread_id = allocated
        item = NewMessage(content, target.flags, target.keywords, internal_date)
        uid, _, known_keywords = _allocate_uids(
            connection, target.account_id, row[0], modseq, (item,)
        )
        _insert_new_message(
            connection,
            target.account_id,
            row[0],
            uid,
            (email_id, thread_id),
            item,
            modseq,
            now,
            file_exists,
        )
        _merge_keywords_json(connection, row[0], known_keywords, target.keywords)
        outcomes.append(Delivered(target.account_id, row[0], uid, modseq))
    return outcomes


def _uid_list(uids: Sequence[int]) -> str:
    return json.dumps(sorted(set(uids)))


def snapshot_mailbox(
    connection: sqlite3.Connection, mailbox_id: int
) -> tuple[MailboxRecord, list[MessageMeta]]:
    mailbox = load_mailbox(connection, mailbox_id)
    rows = connection.execute(
        "SELECT uid, flags, keywords, modseq FROM message WHERE mailbox_id = ? ORDER BY uid",
        (mailbox_id,),
    )
    return mailbox, [
        MessageMeta(uid, flags, _keywords_tuple(keywords), modseq)
        for uid, flags, keywords, modseq in rows
    ]


def fetch_rendered(
    connection: sqlite3.Connection, mailbox_id: int, uids: Sequence[int], locations: bool = False
) -> list[RenderedMessage]:
    """These messages' state and ingest-time forms, in UID order (missing UIDs skipped);
    with ``locations``, where their bytes are too (one more join: a metadata FETCH of a
    whole mailbox reads half as much without it)."""
    if not uids:
        return []
    wanted = set(uids)
    first, last = min(wanted), max(wanted)
    where = (
        "m.uid BETWEEN ? AND ?"  # dense (1:*, a page of a list): one range scan
        if last - first < 2 * len(wanted)
        else "m.uid IN (SELECT value FROM json_each(?))"
    )
    arguments = (first, last) if where.startswith("m.uid BETWEEN") else (_uid_list(uids),)
    if locations:
        sql = (
            "SELECT m.uid, m.email_id, m.thread_id, m.flags, m.keywords, m.modseq, m.size, "
            "m.internal_date, m.save_date, f.data, b.sha256, b.inline FROM message m "
            "JOIN blob b ON b.id = m.blob_id LEFT JOIN blob_forms f ON f.blob_id = m.blob_id "
            f"WHERE m.mailbox_id = ? AND {where} ORDER BY m.uid"
        )
        return [
            RenderedMessage(
                r[0],
                r[1],
                r[2],
                r[3],
                _keywords_tuple(r[4]),
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                bool(r[11]),
            )
            for r in connection.execute(sql, (mailbox_id, *arguments))
            if r[0] in wanted
        ]
    sql = (
        "SELECT m.uid, m.email_id, m.thread_id, m.flags, m.keywords, m.modseq, m.size, "
        "m.internal_date, m.save_date, f.data FROM message m "
        "LEFT JOIN blob_forms f ON f.blob_id = m.blob_id "
        f"WHERE m.mailbox_id = ? AND {where} ORDER BY m.uid"
    )
    return [
        RenderedMessage(
            r[0],
            r[1],
            r[2],
            r[3],
            _keywords_tuple(r[4]) if r[4] else (),
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
        )
        for r in connection.execute(sql, (mailbox_id, *arguments))
        if r[0] in wanted
    ]


def fetch_messages(
    connection: sqlite3.Connection, mailbox_id: int, uids: Sequence[int]
) -> list[MessageRecord]:
    rows = connection.execute(
        "SELECT m.uid, m.email_id, m.thread_id, m.flags, m.keywords, m.modseq, m.size, "
        "m.internal_date, m.save_date, b.sha256, b.inline, b.parsed, b.sent_date, b.subject, "
        "b.base_subject, b.from_text, b.to_text, b.cc_text, b.bcc_text, b.message_id, "
        "b.in_reply_to, b.refs, b.has_attachment, b.preview, b.headers, b.wire_size "
        "FROM message m JOIN blob b ON b.id = m.blob_id "
        "WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?)) ORDER BY m.uid",
        (mailbox_id, _uid_list(uids)),
    )
    return [
        MessageRecord(
            mailbox_id=mailbox_id,
            uid=r[0],
            email_id=r[1],
            thread_id=r[2],
            flags=r[3],
            keywords=_keywords_tuple(r[4]),
            modseq=r[5],
            size=r[6],
            internal_date=r[7],
            save_date=r[8],
            sha256=r[9],
            inline=bool(r[10]),
            parsed=r[11],
            summary=MessageSummary(
                sent_date=r[12],
                subject=r[13],
                base_subject=r[14],
                from_text=r[15],
                to_text=r[16],
                cc_text=r[17],
                bcc_text=r[18],
                message_id=r[19],
                in_reply_to=r[20],
                references=tuple(json.loads(r[21])),
                has_attachment=bool(r[22]),
                preview=r[23],
                headers=r[24],
            ),
            wire_size=r[25],
        )
        for r in rows
    ]


def list_message_contents(
    connection: sqlite3.Connection, mailbox_id: int
) -> tuple[MailboxRecord, list[MessageContent]]:
    """The mailbox row and where every message's bytes are, from one read, in UID order."""
    mailbox = load_mailbox(connection, mailbox_id)
    rows = connection.execute(
        "SELECT m.uid, m.size, b.wire_size, b.sha256, b.inline "
        "FROM message m JOIN blob b ON b.id = m.blob_id WHERE m.mailbox_id = ? ORDER BY m.uid",
        (mailbox_id,),
    )
    return mailbox, [
        MessageContent(uid, size, wire_size, sha256, bool(inline))
        for uid, size, wire_size, sha256, inline in rows
    ]


def read_inline_contents(
    connection: sqlite3.Connection, mailbox_id: int, uids: Sequence[int]
) -> dict[int, bytes]:
    """The bytes of the inline messages among ``uids``, by UID, in one statement."""
    return dict(
        connection.execute(
            "SELECT m.uid, d.data FROM message m JOIN blob_data d ON d.blob_id = m.blob_id "
            "WHERE m.mailbox_id = ? AND m.uid IN (SELECT value FROM json_each(?))",
            (mailbox_id, _uid_list(uids)),
        )
    )


def _apply_flags(
    mode: str, flags: int, keywords: tuple[str, ...], set_flags: int, set_keywords: Sequence[str]
) -> tuple[int, tuple[str, ...]]:
    if mode == "replace":
        return set_flags, unique_keywords(set_keywords)
    lowered = {keyword.lower() for keyword in set_keywords}
    if mode == "add":
        return flags | set_flags, unique_keywords((*keywords, *set_keywords))
    if mode == "remove":
        return flags & ~set_flags, tuple(k for k in keywords if k.lower() not in lowered)
    raise ValueError(f"unknown flag mode {mode!r}")


def store_message_flags(
    connection: sqlite3.Connection,
    account_id: int,
    mailbox_id: int,
    uids: Sequence[int],
    mode: str,
    set_flags: int,
    set_keywords: Sequence[str],
    unchanged_since: int | None,
) -> FlagsResult:
    """Only rows whose flags change get the new MODSEQ (RFC 7162 §3.1.3)."""
    mailbox = _owned_mailbox(connection, account_id, mailbox_id)
    rows = connection.execute(
        "SELECT uid, flags, keywords, modseq FROM message WHERE mailbox_id = ? "
        "AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid",
        (mailbox_id, _uid_list(uids)),
    ).fetchall()
    modified: list[int] = []
    updates: list[tuple[int, int, tuple[str, ...]]] = []
    unseen_delta = deleted_delta = 0
    for uid, flags, keywords_json, modseq in rows:
        if unchanged_since is not None and modseq > unchanged_since:
            modified.append(uid)  # RFC 7162 §3.1.3: not updated, reported as MODIFIED
            continue
        keywords = _keywords_tuple(keywords_json)
        new_flags, new_keywords = _apply_flags(mode, flags, keywords, set_flags, set_keywords)
        same_keywords = {k.lower() for k in new_keywords} == {k.lower() for k in keywords}
        if new_flags == flags and same_keywords:
            continue
        updates.append((uid, new_flags, new_keywords))
        unseen_delta += int(not new_flags & _SEEN) - int(not flags & _SEEN)
        deleted_delta += int(bool(new_flags & _DELETED)) - int(bool(flags & _DELETED))
    if not updates:
        return FlagsResult((), tuple(modified), None)
    modseq = next_modseq(connection, account_id)
    connection.executemany(
        "UPDATE message SET flags = ?, keywords = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?",
        [(f, _keywords_json(k), modseq, mailbox_id, uid) for uid, f, k in updates],
    )
    _update_mailbox_counts(
        connection, mailbox_id, modseq, unseen=unseen_delta, deleted=deleted_delta
    )
    _merge_mailbox_keywords(connection, mailbox, (k for _, _, kws in updates for k in kws))
    changed = tuple(MessageMeta(uid, f, k, modseq) for uid, f, k in updates)
    return FlagsResult(changed, tuple(modified), modseq)


def _remove_rows(
    connection: sqlite3.Connection,
    mailbox_id: int,
    rows: Sequence[tuple[int, int, int, int]],
    modseq: int,
) -> None:
    """Delete message rows (uid, blob_id, size, flags) and leave tombstones."""
    connection.executemany(
        "DELETE FROM message WHERE mailbox_id = ? AND uid = ?",
        [(mailbox_id, row[0]) for row in rows],
    )
    connection.executemany(  # RFC 7162 §3.2.10: remembered for VANISHED (EARLIER)
        "INSERT OR REPLACE INTO vanished (mailbox_id, uid, modseq) VALUES (?, ?, ?)",
        [(mailbox_id, row[0], modseq) for row in rows],
    )
    _update_mailbox_counts(
        connection,
        mailbox_id,
        modseq,
        messages=-len(rows),
        unseen=-sum(1 for row in rows if not row[3] & _SEEN),
        deleted=-sum(1 for row in rows if row[3] & _DELETED),
        size=-sum(row[2] for row in rows),
    )


def expunge_messages(
    connection: sqlite3.Connection,
    account_id: int,
    mailbox_id: int,
    uids: Sequence[int] | None,
    now: float,
) -> ExpungeResult:
    """Remove the messages flagged \\Deleted (among ``uids`` when given; RFC 9051 §6.4.3)."""
    return _delete_messages(connection, account_id, mailbox_id, uids, now, only_deleted=True)


def remove_messages(
    connection: sqlite3.Connection,
    account_id: int,
    mailbox_id: int,
    uids: Sequence[int],
    now: float,
) -> ExpungeResult:
    """Remove these messages whatever their flags (POP3 UPDATE, RFC 1939 §6)."""
    return _delete_messages(connection, account_id, mailbox_id, uids, now, only_deleted=False)


def _delete_messages(
    connection: sqlite3.Connection,
    account_id: int,
    mailbox_id: int,
    uids: Sequence[int] | None,
    now: float,
    *,
    only_deleted: bool,
) -> ExpungeResult:
    """Delete rows under one MODSEQ with tombstones, releasing quota and content."""
    _owned_mailbox(connection, account_id, mailbox_id)
    query = "SELECT uid, blob_id, size, flags FROM message WHERE mailbox_id = ?"
    parameters: tuple[object, ...] = (mailbox_id,)
    if only_deleted:
        query += " AND flags & ? != 0"
        parameters += (_DELETED,)
    if uids is not None:
        query += " AND uid IN (SELECT value FROM json_each(?))"
        parameters += (_uid_list(uids),)
    rows = connection.execute(query + " ORDER BY uid", parameters).fetchall()
    if not rows:
        return ExpungeResult((), None)
    modseq = next_modseq(connection, account_id)
    _remove_rows(connection, mailbox_id, rows, modseq)
    connection.execute(
        "UPDATE account SET used_bytes = used_bytes - ?, message_count = message_count - ? "
        "WHERE id = ?",
        (sum(row[2] for row in rows), len(rows), account_id),
    )
    release_content(connection, Counter(row[1] for row in rows), now)
    return ExpungeResult(tuple(row[0] for row in rows), modseq)


def transfer_messages(
    connection: sqlite3.Connection,
    account_id: int,
    source_id: int,
    uids: Sequence[int],
    destination_id: int,
    now: float,
    *,
    move: bool,
    feedback: str | None = None,
) -> CopyResult:
    """COPY (RFC 9051 §6.4.7) or MOVE (RFC 6851 §3.3): new UIDs in the destination, in
    source UID order, keeping flags, email id and thread; a move also expunges the source.
    With a ``feedback`` verdict, one spam-filter report per message is recorded too."""
    if feedback is not None and feedback not in VERDICTS:
        raise ValueError(f"unknown spam-filter verdict {feedback!r}")
    _owned_mailbox(connection, account_id, source_id)
    destination = _owned_mailbox(connection, account_id, destination_id)
    rows = connection.execute(
        "SELECT uid, email_id, thread_id, blob_id, flags, keywords, size, internal_date "
        "FROM message WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) "
        "ORDER BY uid",
        (source_id, _uid_list(uids)),
    ).fetchall()
    if not rows:
        return CopyResult(destination_id, destination.uidvalidity, (), (), None)
    size = sum(row[6] for row in rows)
    if not move and not _charge_quota(connection, account_id, size, len(rows)):
        raise QuotaExceeded("the account's storage quota would be exceeded")
    modseq = next_modseq(connection, account_id)
    new_uids = tuple(range(destination.uid_next, destination.uid_next + len(rows)))
    connection.executemany(
        "INSERT INTO message (mailbox_id, uid, account_id, email_id, thread_id, blob_id, "
        "modseq, flags, keywords, size, internal_date, save_date) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [
            (
                destination_id,
                new_uid,
                account_id,
                r[1],
                r[2],
                r[3],
                modseq,
                r[4],
                r[5],
                r[6],
                r[7],
                now,
            )
            for new_uid, r in zip(new_uids, rows, strict=True)
        ],
    )
    _update_mailbox_counts(
        connection,
        destination_id,
        modseq,
        uids=len(rows),
        messages=len(rows),
        unseen=sum(1 for row in rows if not row[4] & _SEEN),
        deleted=sum(1 for row in rows if row[4] & _DELETED),
        size=size,
    )
    _merge_mailbox_keywords(
        connection, destination, (k for row in rows for k in _keywords_tuple(row[5]))
    )
    if move:
        _remove_rows(connection, source_id, [(r[0], r[3], r[6], r[4]) for r in rows], modseq)
    else:
        connection.executemany(
            "UPDATE blob SET refcount = refcount + ?, zero_since = NULL WHERE id = ?",
            [(count, blob_id) for blob_id, count in Counter(row[3] for row in rows).items()],
        )
    reports: tuple[SpamFeedback, ...] = ()
    if feedback is not None:
        reports = record_feedback(
            connection, account_id, destination_id, _uid_list(new_uids), feedback, now
        )
    return CopyResult(
        destination_id,
        destination.uidvalidity,
        tuple(row[0] for row in rows),
        new_uids,
        modseq,
        reports,
    )


def changes_after(connection: sqlite3.Connection, mailbox_id: int, modseq: int) -> Changes:
    mailbox = load_mailbox(connection, mailbox_id)
    changed = [
        MessageMeta(uid, flags, _keywords_tuple(kw), ms)
        for uid, flags, kw, ms in connection.execute(
            "SELECT uid, flags, keywords, modseq FROM message WHERE mailbox_id = ? "
            "AND modseq > ? ORDER BY uid",
            (mailbox_id, modseq),
        )
    ]
    vanished = [
        row[0]
        for row in connection.execute(
            "SELECT uid FROM vanished WHERE mailbox_id = ? AND modseq > ? ORDER BY uid",
            (mailbox_id, modseq),
        )
    ]
    floor = connection.execute(
        "SELECT vanished_floor FROM account WHERE id = ?", (mailbox.account_id,)
    ).fetchone()[0]
    return Changes(mailbox, tuple(changed), tuple(vanished), history_complete=modseq >= floor)


def drop_mailbox_messages(connection: sqlite3.Connection, mailbox_id: int, now: float) -> None:
    """Remove every message of a mailbox that is going away (no tombstones: the mailbox and
    its UIDVALIDITY go with them)."""
    mailbox = load_mailbox(connection, mailbox_id)
    blobs = Counter(
        row[0]
        for row in connection.execute(
            "SELECT blob_id FROM message WHERE mailbox_id = ?", (mailbox_id,)
        )
    )
    connection.execute("DELETE FROM message WHERE mailbox_id = ?", (mailbox_id,))
    connection.execute(
        "UPDATE account SET used_bytes = used_bytes - ?, message_count = message_count - ? "
        "WHERE id = ?",
        (mailbox.total_bytes, mailbox.message_count, mailbox.account_id),
    )
    release_content(connection, blobs, now)
