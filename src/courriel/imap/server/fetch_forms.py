"""Metadata FETCH from the forms stored at ingest: no parse tree is read or rendered.

Every mail app's first sync asks ``UID FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE
BODYSTRUCTURE)`` or a subset of it. When every asked item is in :data:`FORM_ITEMS`, the
messages' rows and stored forms (``courriel.imap.protocol.forms``) are read in batches and
each response line is joined from bytes. A message whose forms are missing, of another
version or not :func:`~courriel.imap.protocol.forms.usable` for this session is answered by
the general path (``selected.py``), so the answers never depend on which path ran.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from courriel.imap.protocol.fetch import partial_bytes
from courriel.imap.protocol.fetchitems import (
    BodySection,
    FetchAttribute,
    FetchItem,
    Section,
    response_name,
)
from courriel.imap.protocol.forms import Forms, unpack_forms, usable
from courriel.imap.protocol.responses import RenderedFetches
from courriel.imap.server.view import MailboxView, cached_flag_names
from courriel.storage.records import MessageMeta, RenderedMessage

if TYPE_CHECKING:
    from courriel.imap.server.session import ImapSession


class _Message(NamedTuple):
    """What one response is written from."""

    row: RenderedMessage
    forms: Forms  # _NO_FORMS when no asked item needs them
    flags: bytes  # the flag names, space-separated
    content: bytes  # b"" when no asked item needs it


_NO_FORMS = Forms(b"", b"", b"")

#: One item of one response.
ItemWriter = Callable[[_Message], bytes]

_MONTHS = (
    b"Jan",
    b"Feb",
    b"Mar",
    b"Apr",
    b"May",
    b"Jun",
    b"Jul",
    b"Aug",
    b"Sep",
    b"Oct",
    b"Nov",
    b"Dec",
)


def utc_date_time(seconds: float) -> bytes:
    """``date-time`` (RFC 9051 §9) of epoch seconds in UTC: what ``date_time_value`` writes
    for a number, five times faster (it runs once per message and date item)."""
    moment = time.gmtime(seconds)
    return b"%02d-%s-%04d %02d:%02d:%02d +0000" % (
        moment.tm_mday,
        _MONTHS[moment.tm_mon - 1],
        moment.tm_year,
        moment.tm_hour,
        moment.tm_min,
        moment.tm_sec,
    )


#: RFC 9051 §7.5.2 items from the row alone.
_ROW_WRITERS: dict[FetchItem, ItemWriter] = {
    FetchItem.UID: lambda m: b"UID %d" % m.row.uid,
    FetchItem.FLAGS: lambda m: b"FLAGS (%s)" % m.flags,
    FetchItem.INTERNALDATE: lambda m: b'INTERNALDATE "%s"' % utc_date_time(m.row.internal_date),
    FetchItem.RFC822_SIZE: lambda m: b"RFC822.SIZE %d" % m.row.size,
    FetchItem.MODSEQ: lambda m: b"MODSEQ (%d)" % m.row.modseq,  # RFC 7162 §3.1.4.1
    FetchItem.EMAILID: lambda m: b"EMAILID (M%d)" % m.row.email_id,  # RFC 8474 §5.1
    FetchItem.THREADID: lambda m: b"THREADID (T%d)" % m.row.thread_id,  # §5.2
    FetchItem.SAVEDATE: lambda m: b'SAVEDATE "%s"' % utc_date_time(m.row.save_date),  # RFC 8514 §4
}

#: Items from the forms stored at ingest.
_FORM_WRITERS: dict[FetchItem, ItemWriter] = {
    FetchItem.ENVELOPE: lambda m: b"ENVELOPE " + m.forms.envelope,
    FetchItem.BODYSTRUCTURE: lambda m: b"BODYSTRUCTURE " + m.forms.bodystructure,
    FetchItem.BODY: lambda m: b"BODY " + m.forms.body,
}

#: Items this path serves besides whole-message sections; any other (a part, HEADER,
#: PREVIEW, BINARY...) takes the general path.
FORM_ITEMS = frozenset(_ROW_WRITERS) | frozenset(_FORM_WRITERS)

#: The most message bytes read at once for one batch of responses.
CONTENT_BATCH_BYTES = 8 * 1024 * 1024


def _whole_message(attribute: FetchAttribute) -> bool:
    """``BODY[]``/``BODY.PEEK[]`` with or without a partial (RFC 9051 §6.4.5)."""
    return isinstance(attribute, BodySection) and attribute.section == Section()


def _section_writer(attribute: BodySection) -> ItemWriter:
    name = response_name(attribute).encode("ascii")

    def write(message: _Message) -> bytes:
        value = partial_bytes(message.content, attribute.partial)
        if not value:
            return name + b' ""'
        return b"%s {%d}\r\n%s" % (name, len(value), value)  # RFC 9051 §4.3

    return write


def _writer(attribute: FetchAttribute) -> ItemWriter:
    if isinstance(attribute, BodySection):
        return _section_writer(attribute)
    assert isinstance(attribute, FetchItem)
    return _ROW_WRITERS.get(attribute) or _FORM_WRITERS[attribute]


#: The general path, for the messages this one cannot answer: (indexes, attributes).
Fallback = Callable[[Sequence[int], Sequence[FetchAttribute]], Awaitable[int]]


def servable(attributes: Sequence[FetchAttribute]) -> bool:
    """True when every attribute is served from rows, stored forms and whole messages."""
    return all(
        (isinstance(attribute, FetchItem) and attribute in FORM_ITEMS) or _whole_message(attribute)
        for attribute in attributes
    )


Position = tuple[int, RenderedMessage]  # (0-based message index, its row)


def _by_size(positions: list[Position]) -> Iterator[list[Position]]:
    """Consecutive groups whose messages add up to at most CONTENT_BATCH_BYTES (or one)."""
    group: list[Position] = []
    total = 0
    for position in positions:
        size = position[1].size
        if group and total + size > CONTENT_BATCH_BYTES:
            yield group
            group, total = [], 0
        group.append(position)
        total += size
    if group:
        yield group


async def fetch_rendered(
    session: ImapSession,
    view: MailboxView,
    indexes: Sequence[int],
    attributes: Sequence[FetchAttribute],
    batch: int,
    fallback: Fallback,
) -> int:
    """Answer FETCH for ``indexes``; how many messages had gone from the store."""
    mailstore = session.mailstore
    chunks = [indexes[start : start + batch] for start in range(0, len(indexes), batch)]

    locations = any(_whole_message(attribute) for attribute in attributes)

    def read(chunk: Sequence[int]) -> asyncio.Task[list[RenderedMessage]]:
        uids = [view.uids[index] for index in chunk]
        rows = mailstore.fetch_rendered(view.mailbox_id, uids, locations=locations)
        return asyncio.ensure_future(rows)

    gone = 0
    ahead = read(chunks[0]) if chunks else None
    try:
        for number, chunk in enumerate(chunks):
            assert ahead is not None
            found = await ahead
            # The next rows are read on a store thread while this batch is written out.
            ahead = read(chunks[number + 1]) if number + 1 < len(chunks) else None
            gone += await _answer(session, view, chunk, found, attributes, fallback)
    finally:
        if ahead is not None:
            ahead.cancel()
    return gone


async def _answer(
    session: ImapSession,
    view: MailboxView,
    chunk: Sequence[int],
    found: list[RenderedMessage],
    attributes: Sequence[FetchAttribute],
    fallback: Fallback,
) -> int:
    """The responses for one batch of messages; how many had gone."""
    writers = [_writer(attribute) for attribute in attributes]
    with_forms = any(attribute in _FORM_WRITERS for attribute in attributes)
    with_content = any(_whole_message(attribute) for attribute in attributes)
    with_flags = FetchItem.FLAGS in attributes
    mailstore = session.mailstore
    gone = len(chunk) - len(found)
    by_uid = {row.uid: row for row in found}
    positions = [(i, by_uid[view.uids[i]]) for i in chunk if view.uids[i] in by_uid]
    utf8, rev2 = session.utf8, session.rev2
    flag_names: dict[tuple[int, tuple[str, ...]], bytes] = {}  # few combinations per mailbox
    for group in _by_size(positions) if with_content else [positions]:
        contents: dict[int, bytes] = {}
        if with_content:
            contents = await mailstore.read_messages(view.mailbox_id, [r for _, r in group])
        lines: list[bytes] = []
        for index, row in group:
            forms = unpack_forms(row.forms) if with_forms else _NO_FORMS
            data = contents.get(row.uid)
            if (
                forms is None
                or (with_forms and not usable(forms, utf8=utf8, rev2=rev2))
                or (with_content and data is None)
            ):
                if lines:  # keep the responses in order
                    await session.send(RenderedFetches(b"".join(lines)))
                    lines.clear()
                gone += await fallback([index], attributes)
                continue
            key = (row.flags, row.keywords)
            flags = flag_names.get(key)
            if flags is None:
                names = cached_flag_names(row.flags, row.keywords)
                flags = flag_names[key] = " ".join(names).encode("utf-8")
            message = _Message(row, forms, flags, data or b"")
            items = b" ".join([write(message) for write in writers])
            lines.append(b"* %d FETCH (%s)\r\n" % (index + 1, items))
            if with_flags and row.modseq > view.modseqs[index]:
                view.update(index, MessageMeta(row.uid, row.flags, row.keywords, row.modseq))
        if lines:
            await session.send(RenderedFetches(b"".join(lines)))
    return gone
