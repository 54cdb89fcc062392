"""Build ``IngestedMessage`` and ``NewMessage`` values by hand, without the MIME parser.

The store treats ``parsed`` as opaque bytes and indexes ``summary.headers`` and
``body_text`` for search, so a test states exactly what it wants to find.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Sequence

from courriel.mail import wire_size
from courriel.storage.ports import BlobStore
from courriel.storage.records import IngestedMessage, MessageSummary, NewMessage

_serial = itertools.count(1)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_message(
    *,
    subject: str = "",
    body: str = "",
    headers: Sequence[tuple[str, str]] = (),
    padding: int = 0,
    unique: bool = True,
) -> bytes:
    """RFC 5322-shaped bytes; ``unique`` adds a serial so no two calls dedup by accident."""
    lines = [f"{name}: {value}" for name, value in headers]
    lines.append(f"Subject: {subject}")
    if unique:
        lines.append(f"X-Test-Serial: {next(_serial)}")
    text = "\r\n".join(lines) + "\r\n\r\n" + body + "\r\n"
    return text.encode("utf-8") + b"x" * padding


def ingested(
    data: bytes,
    *,
    inline: bool = True,
    subject: str = "",
    from_text: str = "",
    to_text: str = "",
    cc_text: str = "",
    bcc_text: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    references: tuple[str, ...] = (),
    sent_date: float | None = None,
    headers: str = "",
    body_text: str = "",
    parsed: bytes = b"{}",
) -> IngestedMessage:
    """Content for ``data``; with ``inline=False`` the caller must ``put`` the bytes first."""
    summary = MessageSummary(
        sent_date=sent_date,
        subject=subject,
        base_subject=subject.lower(),
        from_text=from_text,
        to_text=to_text,
        cc_text=cc_text,
        bcc_text=bcc_text,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        has_attachment=False,
        preview=body_text[:64],
        headers=headers,
    )
    return IngestedMessage(
        sha256=sha256_hex(data),
        size=len(data),
        data=data if inline else None,
        parsed=parsed,
        summary=summary,
        body_text=body_text,
        wire_size=wire_size(data),
    )


def small(tag: str = "", *, size: int = 0, body_text: str = "") -> IngestedMessage:
    """A unique inline message; exactly ``size`` bytes when given (at least the headers)."""
    data = raw_message(subject=tag, body=body_text)
    if size:
        if size < len(data):
            raise ValueError(f"{size} bytes cannot hold the {len(data)} bytes of headers")
        data += b"y" * (size - len(data))
    return ingested(data, subject=tag, body_text=body_text)


async def large(blobs: BlobStore, size: int, tag: str = "") -> IngestedMessage:
    """A unique file-backed message of exactly ``size`` bytes, already ``put``."""
    data = raw_message(subject=tag, padding=size)[:size]
    content = ingested(data, inline=False, subject=tag)
    await blobs.put(content.sha256, data)
    return content


def new(
    content: IngestedMessage,
    *,
    flags: int = 0,
    keywords: tuple[str, ...] = (),
    internal_date: float | None = None,
) -> NewMessage:
    return NewMessage(
        content=content,
        flags=flags,
        keywords=keywords,
        internal_date=time.time() if internal_date is None else internal_date,
    )
