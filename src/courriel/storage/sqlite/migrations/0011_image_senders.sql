-- courriel embedded store, schema 11: remote images allowed per sender (issue 8, webmail).

-- One row per (account, sender address) whose messages show remote images directly. The
-- webmail adds a sender only when our own Authentication-Results say DMARC passed for the
-- From domain (a forged From must not unlock images); see docs/webmail.md.
CREATE TABLE image_sender (
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    added       REAL NOT NULL,
    PRIMARY KEY (account_id, address)
) WITHOUT ROWID;
