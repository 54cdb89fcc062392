-- courriel embedded store, schema 10: per-account mail settings (issue 8, settings part 2).

-- One row per account that changed a setting (none: the defaults). The signature is added
-- to new messages in the webmail; vacation is the RFC 3834 auto-reply (dates are Unix
-- times, 0 for "no limit"; "once per sender per interval_days"); forwarding sends every
-- delivered message on to forward_to, keeping a local copy or not.
CREATE TABLE mail_settings (
    account_id        INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
    signature         TEXT NOT NULL DEFAULT '',
    vacation_enabled  INTEGER NOT NULL DEFAULT 0,
    vacation_subject  TEXT NOT NULL DEFAULT '',
    vacation_body     TEXT NOT NULL DEFAULT '',
    vacation_start    REAL NOT NULL DEFAULT 0,
    vacation_end      REAL NOT NULL DEFAULT 0,
    vacation_interval_days INTEGER NOT NULL DEFAULT 7,
    forward_to        TEXT NOT NULL DEFAULT '',
    forward_keep_copy INTEGER NOT NULL DEFAULT 1
);

-- The vacation memory: when the account last auto-replied to a sender (RFC 3834 §2:
-- "SHOULD NOT be issued" to the same sender more than once within a period).
CREATE TABLE vacation_reply (
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    sender      TEXT NOT NULL,
    replied     REAL NOT NULL,
    PRIMARY KEY (account_id, sender)
) WITHOUT ROWID;
