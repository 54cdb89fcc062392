-- courriel embedded store, schema 4: each content's size as sent in CRLF lines (issue 6).
-- RFC 1939 §11: POP3 LIST and STAT announce the size a message has on the wire (every bare
-- LF or CR sent as CRLF, a final CRLF added), which differs from the stored size when the
-- message was received with bare line endings. Computed once at ingest so listing a
-- maildrop reads no body. NULL for content stored before this migration: readers compute
-- it from the bytes then.
ALTER TABLE blob ADD COLUMN wire_size INTEGER;
