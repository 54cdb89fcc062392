-- courriel embedded store, schema 8: the spam filter (issue 7).

-- The per-account statistical classifier: how many trained spam and ham messages contained
-- each token (counted once per message), and how many messages of each kind were trained.
CREATE TABLE spam_token (
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    token       TEXT NOT NULL,
    spam        INTEGER NOT NULL DEFAULT 0,
    ham         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, token)
) WITHOUT ROWID;

CREATE TABLE spam_corpus (
    account_id  INTEGER PRIMARY KEY REFERENCES account(id) ON DELETE CASCADE,
    spam        INTEGER NOT NULL DEFAULT 0,
    ham         INTEGER NOT NULL DEFAULT 0
);

-- Which content each account trained, and as what: a message moved into Junk and back out
-- is untrained as spam and trained as ham, never counted twice.
CREATE TABLE spam_trained (
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    sha256      TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('spam', 'ham')),
    trained     REAL NOT NULL,
    PRIMARY KEY (account_id, sha256)
) WITHOUT ROWID;

-- Sender reputation, server-wide, by address ("alice@example.org") and by domain
-- ("@example.org"): messages scored from it, and reports users made about its messages.
CREATE TABLE spam_sender (
    sender      TEXT PRIMARY KEY,
    seen        INTEGER NOT NULL DEFAULT 0,
    spam        INTEGER NOT NULL DEFAULT 0,
    ham         INTEGER NOT NULL DEFAULT 0,
    last_seen   REAL NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- People an account wrote to (fed by submission): mail from them is trusted more.
CREATE TABLE spam_correspondent (
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    messages    INTEGER NOT NULL,
    last        REAL NOT NULL,
    PRIMARY KEY (account_id, address)
) WITHOUT ROWID;

-- Per-account allow and block lists: an address ("bob@example.org") or a domain
-- ("@example.org"). An entry is on one list at a time.
CREATE TABLE spam_list (
    account_id  INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
    entry       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('allow', 'block')),
    created     REAL NOT NULL,
    PRIMARY KEY (account_id, entry)
) WITHOUT ROWID;
