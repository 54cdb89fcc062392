"""Parse once at ingest: raw bytes → the ``IngestedMessage`` the store keeps.

Everything FETCH, SEARCH, SORT, THREAD and message lists need is computed here, from one
scan of the bytes (``courriel.mail.parse_message``): the MIME tree with offsets, ENVELOPE,
the search summary (with the day the Date: header names, for SENT* searches), the preview,
the decoded header lines for HEADER searches, the text for the full-text index, the size as
sent in CRLF lines (POP3 LIST and STAT: listing a maildrop never reads a body), and the
IMAP ENVELOPE/BODYSTRUCTURE/BODY in wire form (``courriel.imap.protocol.forms``: a pure
renderer, the one protocol module imported here, because a metadata FETCH of a whole
mailbox must not render thousands of parse trees). Bodies up to ``inline_limit`` bytes
travel with the rows into the database; larger ones go to the blob store (the caller puts
them). Never raises on bad input: a message that is not valid MIME is stored byte-exact all
the same.

:func:`with_prefix` gives the content of the same message with header fields put before it
(what delivery adds: ``Return-Path``, ``Received``, the checks' results) from the content of
the message as received, without parsing again: delivery reads a message once, in the
worker process, before it knows the spam fields each account gets.
"""

from __future__ import annotations

import dataclasses
import hashlib

from courriel.imap.protocol.forms import render_forms
from courriel.mail import (
    ParsedMessage,
    decode_header_block,
    encode,
    extract_text,
    parse_date_day,
    parse_message,
    wire_size,
)
from courriel.mail.codec import shifted
from courriel.storage.records import IngestedMessage, MessageSummary


def prepare_content(
    raw: bytes, inline_limit: int, parsed: ParsedMessage | None = None
) -> IngestedMessage:
    """The content of ``raw`` (``parsed``: its parse, when the caller has it already)."""
    if parsed is None:
        parsed = parse_message(raw)
    summary = parsed.summary
    return IngestedMessage(
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        data=raw if len(raw) <= inline_limit else None,
        parsed=encode(parsed),
        summary=MessageSummary(
            sent_date=None if summary.date is None else float(summary.date),
            sent_day=parse_date_day(parsed.envelope.date),  # RFC 9051 §6.4.4 SENT*
            subject=summary.subject,
            base_subject=summary.base_subject,
            from_text=summary.from_text,
            to_text=summary.to_text,
            cc_text=summary.cc_text,
            bcc_text=summary.bcc_text,
            message_id=summary.message_id or "",
            in_reply_to=summary.in_reply_to[0] if summary.in_reply_to else "",
            references=summary.references,
            has_attachment=summary.has_attachment,
            preview=parsed.preview,
            headers=decode_header_block(raw, 0, parsed.header_size),
        ),
        body_text=extract_text(raw, parsed.root),
        wire_size=wire_size(raw),
        forms=render_forms(parsed),
    )


def with_prefix(
    content: IngestedMessage, prefix: bytes, message: bytes, inline_limit: int
) -> IngestedMessage | None:
    """The content of ``message``, which is ``prefix + raw``, from ``content``, the content
    of ``raw``: the offsets and sizes moved, the prefix's fields added to the header text,
    the hash taken again; the text, summary and IMAP forms are those of ``raw`` (no field
    they read is in a prefix). ``prefix`` must be whole CRLF-terminated header fields.
    None when ``raw`` starts with a blank or tab: that line would continue the prefix's
    last field, so only a fresh parse tells what the message is."""
    raw_start = message[len(prefix) : len(prefix) + 1]
    if raw_start in (b" ", b"\t"):
        return None
    headers = decode_header_block(prefix)
    if content.summary.headers:
        headers = f"{headers}\n{content.summary.headers}"
    return dataclasses.replace(
        content,
        sha256=hashlib.sha256(message).hexdigest(),
        size=len(message),
        data=message if len(message) <= inline_limit else None,
        parsed=shifted(content.parsed, len(prefix)),
        summary=dataclasses.replace(content.summary, headers=headers),
        wire_size=content.wire_size + wire_size(prefix),
    )
