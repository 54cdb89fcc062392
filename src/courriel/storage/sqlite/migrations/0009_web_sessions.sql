-- courriel embedded store, schema 9: webmail sessions (issue 8).

-- One row per browser session. The cookie carries a random token; only its SHA-256 is
-- stored, so a copy of the database opens no session. A session is "second-factor" between
-- a right password and the TOTP or recovery code (short-lived, a few tries), then "active".
-- The CSRF token is per session (synchronizer token pattern).
CREATE TABLE web_session (
    digest      TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    stage       TEXT NOT NULL CHECK (stage IN ('second-factor', 'active')),
    csrf        TEXT NOT NULL,
    created     REAL NOT NULL,
    last_seen   REAL NOT NULL,
    expires     REAL NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE INDEX web_session_account ON web_session(account_id);
CREATE INDEX web_session_expires ON web_session(expires);
