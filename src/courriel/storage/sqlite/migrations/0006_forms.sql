-- courriel embedded store, schema 6: protocol forms rendered at ingest (issue 5).
-- DESIGN.md §3 "parse once": the IMAP ENVELOPE, BODYSTRUCTURE and BODY of each content, in
-- wire form (courriel.imap.protocol.forms), so a metadata FETCH of a whole mailbox copies
-- bytes instead of rendering 10,000 parse trees. Opaque to the store; their producer puts
-- a version inside. Content stored before this migration has no row: FETCH renders it from
-- the parse tree. Kept apart from `blob` so reading them does not walk `blob`'s wide rows.
CREATE TABLE blob_forms (
    blob_id     INTEGER PRIMARY KEY REFERENCES blob(id),
    data        BLOB NOT NULL
);
