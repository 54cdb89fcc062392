-- courriel embedded store, schema 3: the outbound queue (issue 4).
-- research/scale-out.md §2.11: recipient-level rows claimed with a lease (never a lock held
-- during SMTP); the next attempt is pushed forward before the attempt, so a crash never
-- causes a hot retry loop.

CREATE TABLE queue_message (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    sender          TEXT NOT NULL,            -- reverse-path; '' is the null sender <>
    size            INTEGER NOT NULL,
    data            BLOB,                     -- the message when small
    file            TEXT,                     -- else its file name under store/queue/
    envid           TEXT,                     -- RFC 3461 §4.4 ENVID
    ret             TEXT,                     -- RFC 3461 §4.3 RET: 'FULL' or 'HDRS'
    smtputf8        INTEGER NOT NULL DEFAULT 0,
    body            TEXT NOT NULL DEFAULT '7BIT',   -- 7BIT, 8BITMIME, BINARYMIME
    account         TEXT,                     -- submitting account, for `queue list`
    created         REAL NOT NULL,
    expires         REAL NOT NULL
);

CREATE TABLE queue_recipient (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id      INTEGER NOT NULL REFERENCES queue_message(id),
    address         TEXT NOT NULL,
    domain          TEXT NOT NULL,
    notify          TEXT,                     -- RFC 3461 §4.1: 'NEVER' or 'SUCCESS,FAILURE,DELAY'
    orcpt           TEXT,                     -- RFC 3461 §4.2 ORCPT
    state           TEXT NOT NULL,            -- pending, held, delivered, failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt    REAL NOT NULL,
    lease_until     REAL NOT NULL DEFAULT 0,
    last_error      TEXT,
    last_host       TEXT,
    delay_notified  INTEGER NOT NULL DEFAULT 0,
    done            REAL
);
CREATE INDEX queue_due ON queue_recipient(state, next_attempt);
CREATE INDEX queue_message_recipients ON queue_recipient(message_id);
