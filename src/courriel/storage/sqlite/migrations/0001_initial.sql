-- courriel embedded store, schema 1. See research/scale-out.md §2 for the reasoning.
-- Counters (uid_next, highest_modseq, next_uidvalidity, next_email_id, next_thread_id) live
-- in rows and change in the same transaction as what they number: never AUTOINCREMENT.

CREATE TABLE domain (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created     REAL NOT NULL
);

CREATE TABLE account (
    id               INTEGER PRIMARY KEY,
    address          TEXT NOT NULL UNIQUE,
    domain_id        INTEGER NOT NULL REFERENCES domain(id),
    display_name     TEXT NOT NULL DEFAULT '',
    password_hash    TEXT,
    scram_keys       TEXT,
    disabled         INTEGER NOT NULL DEFAULT 0,
    admin            INTEGER NOT NULL DEFAULT 0,
    quota_bytes      INTEGER NOT NULL DEFAULT 0,
    used_bytes       INTEGER NOT NULL DEFAULT 0,
    message_count    INTEGER NOT NULL DEFAULT 0,
    highest_modseq   INTEGER NOT NULL DEFAULT 1,
    next_uidvalidity INTEGER NOT NULL,
    next_email_id    INTEGER NOT NULL DEFAULT 1,
    next_thread_id   INTEGER NOT NULL DEFAULT 1,
    vanished_floor   INTEGER NOT NULL DEFAULT 0,
    created          REAL NOT NULL
);
CREATE INDEX account_domain ON account(domain_id);

CREATE TABLE alias (
    id          INTEGER PRIMARY KEY,
    address     TEXT NOT NULL UNIQUE,
    domain_id   INTEGER NOT NULL REFERENCES domain(id),
    targets     TEXT NOT NULL,
    created     REAL NOT NULL
);
CREATE INDEX alias_domain ON alias(domain_id);

-- DKIM signing keys per domain (RFC 6376; Ed25519 per RFC 8463). Old selectors stay until
-- removed so signatures in transit keep verifying after a rotation.
CREATE TABLE dkim_key (
    id          INTEGER PRIMARY KEY,
    domain_id   INTEGER NOT NULL REFERENCES domain(id),
    selector    TEXT NOT NULL,
    algorithm   TEXT NOT NULL,
    private_key TEXT NOT NULL,
    dns_record  TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created     REAL NOT NULL,
    UNIQUE (domain_id, selector)
);

-- AUTOINCREMENT: a deleted mailbox's id is never given to a new one, so a session still
-- holding the old id cannot touch the new mailbox.
CREATE TABLE mailbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES account(id),
    name            TEXT NOT NULL,
    special_use     TEXT,
    uidvalidity     INTEGER NOT NULL,
    uid_next        INTEGER NOT NULL DEFAULT 1,
    highest_modseq  INTEGER NOT NULL,
    message_count   INTEGER NOT NULL DEFAULT 0,
    unseen_count    INTEGER NOT NULL DEFAULT 0,
    deleted_count   INTEGER NOT NULL DEFAULT 0,
    total_bytes     INTEGER NOT NULL DEFAULT 0,
    keywords        TEXT NOT NULL DEFAULT '[]',
    UNIQUE (account_id, name)
);

CREATE TABLE subscription (
    account_id  INTEGER NOT NULL REFERENCES account(id),
    name        TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- Immutable content shared by every copy; bytes inline (blob_data) when small, else a file.
-- AUTOINCREMENT here (not for UIDs) so a collected blob's id, and its full-text rows, are
-- never reused.
CREATE TABLE blob (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256          TEXT NOT NULL UNIQUE,
    size            INTEGER NOT NULL,
    inline          INTEGER NOT NULL,
    refcount        INTEGER NOT NULL DEFAULT 0,
    zero_since      REAL,
    parsed          BLOB NOT NULL,
    sent_date       REAL,
    subject         TEXT NOT NULL,
    base_subject    TEXT NOT NULL,
    from_text       TEXT NOT NULL,
    to_text         TEXT NOT NULL,
    cc_text         TEXT NOT NULL,
    bcc_text        TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    in_reply_to     TEXT NOT NULL,
    refs            TEXT NOT NULL,
    has_attachment  INTEGER NOT NULL,
    preview         TEXT NOT NULL,
    headers         TEXT NOT NULL
);
CREATE INDEX blob_garbage ON blob(zero_since) WHERE refcount = 0;

CREATE TABLE blob_data (
    blob_id     INTEGER PRIMARY KEY REFERENCES blob(id),
    data        BLOB NOT NULL
);

-- One row per message per mailbox: IMAP-exact flags for each copy.
CREATE TABLE message (
    mailbox_id      INTEGER NOT NULL,
    uid             INTEGER NOT NULL,
    account_id      INTEGER NOT NULL,
    email_id        INTEGER NOT NULL,
    thread_id       INTEGER NOT NULL,
    blob_id         INTEGER NOT NULL,
    modseq          INTEGER NOT NULL,
    flags           INTEGER NOT NULL,
    keywords        TEXT,
    size            INTEGER NOT NULL,
    internal_date   REAL NOT NULL,
    save_date       REAL NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX message_modseq ON message(mailbox_id, modseq);
CREATE INDEX message_email ON message(account_id, email_id);
CREATE INDEX message_thread ON message(account_id, thread_id);
CREATE INDEX message_blob ON message(blob_id);

-- Expunge tombstones for QRESYNC VANISHED (RFC 7162 §3.2.10).
CREATE TABLE vanished (
    mailbox_id  INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    modseq      INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX vanished_modseq ON vanished(mailbox_id, modseq);

-- Message-ID → thread, per account (threads from References / In-Reply-To).
CREATE TABLE thread_ref (
    account_id  INTEGER NOT NULL,
    message_id  TEXT NOT NULL,
    thread_id   INTEGER NOT NULL,
    PRIMARY KEY (account_id, message_id)
) WITHOUT ROWID;
CREATE INDEX thread_ref_thread ON thread_ref(account_id, thread_id);

-- Full text per blob (contentless: the text is not stored twice). rowid = blob.id.
CREATE VIRTUAL TABLE blob_text USING fts5(
    headers, body, content='', tokenize='unicode61 remove_diacritics 2'
);

-- Text of new content waiting for the full-text index. Written in the delivery transaction
-- (durable with the message), moved into blob_text in large batches by index_pending_text:
-- one FTS5 segment per batch instead of one per group commit. Searches scan it too.
CREATE TABLE text_pending (
    blob_id     INTEGER PRIMARY KEY,
    headers     TEXT NOT NULL,
    body        TEXT NOT NULL
);
