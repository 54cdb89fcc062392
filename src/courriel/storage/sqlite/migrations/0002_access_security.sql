-- courriel embedded store, schema 2: access security (issue 3).

-- App passwords: generated, high-entropy secrets looked up by SHA-256 digest (no argon2
-- needed for them), each limited to some protocols. Shown once, never stored in clear.
CREATE TABLE app_password (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES account(id),
    name        TEXT NOT NULL,
    digest      TEXT NOT NULL UNIQUE,
    protocols   TEXT NOT NULL,
    created     REAL NOT NULL,
    last_used   REAL,
    last_ip     TEXT,
    UNIQUE (account_id, name)
);

-- TOTP second factor (RFC 6238). enabled = 0 until the first code confirms enrolment;
-- last_step stops a code from being used twice (RFC 6238 §5.2).
CREATE TABLE totp (
    account_id  INTEGER PRIMARY KEY REFERENCES account(id),
    secret      TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 0,
    last_step   INTEGER NOT NULL DEFAULT 0,
    created     REAL NOT NULL
);

-- One-time recovery codes, by SHA-256 digest.
CREATE TABLE recovery_code (
    account_id  INTEGER NOT NULL REFERENCES account(id),
    digest      TEXT NOT NULL,
    used        REAL,
    PRIMARY KEY (account_id, digest)
) WITHOUT ROWID;

-- Brute-force counters and bans, keyed by scope: "ip:192.0.2.1", "ip:2001:db8:1:2::/64",
-- "account:alice@example.com". They survive restarts.
CREATE TABLE auth_failure (
    scope       TEXT PRIMARY KEY,
    failures    INTEGER NOT NULL,
    first       REAL NOT NULL,
    last        REAL NOT NULL
) WITHOUT ROWID;

CREATE TABLE ban (
    scope       TEXT PRIMARY KEY,
    until       REAL NOT NULL,
    count       INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    created     REAL NOT NULL
) WITHOUT ROWID;

-- Server secrets (e.g. the key that derives stable fake SCRAM salts for unknown users).
CREATE TABLE secret (
    name        TEXT PRIMARY KEY,
    value       BLOB NOT NULL
) WITHOUT ROWID;
