-- courriel embedded store, schema 5: retention purge of Trash and Junk, and the reports a
-- user makes by moving messages into or out of Junk (issue 5).

-- The purge looks for messages by the date they entered their mailbox (SAVEDATE, RFC 8514
-- §3): without this index each run would read every row of every Trash and Junk mailbox.
CREATE INDEX message_save_date ON message(mailbox_id, save_date);
-- The purge finds Trash and Junk by their special-use attribute (RFC 6154 §2), whatever
-- the user renamed them to.
CREATE INDEX mailbox_special_use ON mailbox(special_use) WHERE special_use IS NOT NULL;

-- Spam-filter feedback: one row per message moved or copied into Junk ('spam') or out of it
-- ('ham'), written in the same transaction as the move. The spam filter reads the pending
-- rows and deletes them once it has trained on them. The content is named by its SHA-256,
-- not referenced: a report does not keep a deleted message's body alive.
CREATE TABLE spam_feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES account(id),
    email_id    INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('spam', 'ham')),
    created     REAL NOT NULL
);
CREATE INDEX spam_feedback_account ON spam_feedback(account_id);
