-- courriel embedded store, schema 7: the day each content's Date: header names.
-- RFC 9051 §6.4.4: SENTBEFORE, SENTON and SENTSINCE compare the Date: header field
-- "disregarding time and timezone", that is the calendar day as written in the header's own
-- zone: "Mon, 1 Jan 2024 23:30:00 -0500" is on 1 January, although `sent_date` (its UTC
-- instant, which SORT DATE uses) falls on 2 January. Days since 1970-01-01, computed at
-- ingest; NULL without a parsable Date:. NULL also for content stored before this
-- migration: searches then fall back to the UTC day of `sent_date` (the earlier behaviour),
-- and the column is filled in when the same content is stored again.
ALTER TABLE blob ADD COLUMN sent_day INTEGER;
