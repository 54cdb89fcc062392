"""Searching mail in the webmail: ``GET /search``, in one folder or in all of them.

Owns: the search form's fields turned into the store's search criteria (``search_key``,
pure: the same ``storage.query`` tree IMAP SEARCH builds, RFC 9051 §6.4.4, compiled and run
by the store: full text as ``TEXT``, From/To/Subject as header searches, the date range as
``SENTSINCE``/``SENTBEFORE`` on whole days, "has attachments" as ``HasAttachment``, the
ingest summary's stored flag), and the result pages, newest first:

- one folder: paged by UID like the message list (``?before=UID``);
- all folders (``scope=all``): the store searches each of the account's folders (one query
  each, nothing parsed), and the pages merge the folders' newest-first lists by arrival
  date. ``before`` is then a cursor per folder (``12:345,13:77``: in folder 12 only UIDs
  below 345 are left), so a page never repeats or skips a message however the dates fall.
  Each hit names its folder and opens in it.

Must not: search by itself (``MailStore.search`` does), or show another account's mailbox
(the mailbox is looked up among the account's own: 404 otherwise; a cursor naming another
account's folder is ignored, since only the account's own folders are searched).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from courriel.mailstore.names import INBOX
from courriel.storage.query import (
    AllOf,
    DateRange,
    HasAttachment,
    HeaderContains,
    SearchKey,
    TextContains,
)
from courriel.storage.records import MailboxRecord, MessageRecord
from courriel.web.action_views import BadRequest, account_mailboxes, own_mailbox, parse_id
from courriel.web.context import WebContext
from courriel.web.mail_views import _ordered
from courriel.web.messages import MessageRow, row_of

MAX_FIELD = 200
"""Characters of one search field."""
FIELDS = ("q", "from", "to", "subject", "since", "until", "attachment")
_HEADERS = (("from", "from"), ("to", "to"), ("subject", "subject"))
ALL_FOLDERS = "all"
"""The ``scope`` value that searches every folder of the account."""
MAX_CURSOR = 2000
"""Characters of an all-folders ``before`` cursor (a few hundred folders)."""


def _day(text: str, key: str) -> float:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as error:
        raise BadRequest(key) from error
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()


def search_key(fields: Mapping[str, str]) -> SearchKey | None:
    """The criteria of the filled-in fields (all must match); None when none is filled.
    ``BadRequest`` for a value too long or a date that is not ``YYYY-MM-DD``."""
    values = {name: fields.get(name, "").strip() for name in FIELDS}
    if any(len(value) > MAX_FIELD for value in values.values()):
        raise BadRequest("search.too_long")
    keys: list[SearchKey] = []
    if values["q"]:
        keys.append(TextContains(values["q"]))
    keys.extend(HeaderContains(header, values[name]) for name, header in _HEADERS if values[name])
    since = _day(values["since"], "search.bad_date") if values["since"] else None
    until = _day(values["until"], "search.bad_date") if values["until"] else None
    if since is not None or until is not None:
        before = until + 86400 if until is not None else None  # the last day included
        if since is not None and before is not None and before <= since:
            raise BadRequest("search.bad_range")
        keys.append(DateRange("sent", since, before))
    if values["attachment"] == "1":
        keys.append(HasAttachment())
    if not keys:
        return None
    return keys[0] if len(keys) == 1 else AllOf(tuple(keys))


@dataclass(frozen=True)
class ResultPage:
    rows: list[MessageRow]
    older: int | None
    """``before`` of the next page, None on the last one."""
    total: int
    """Matching messages."""


async def result_page(
    context: WebContext, mailbox: MailboxRecord, key: SearchKey, before: int | None
) -> ResultPage:
    """One page of matches in ``mailbox`` with a UID below ``before``, newest first."""
    size = context.page_size
    uids = sorted(await context.mailstore.search(mailbox.id, key))
    candidates = [uid for uid in uids if before is None or uid < before]
    records = await context.mailstore.fetch(mailbox.id, candidates[-(size + 1) :])
    page = records[-size:]
    older = page[0].uid if len(records) > size else None
    return ResultPage([row_of(r) for r in reversed(page)], older, len(uids))


# -- all folders ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderHit:
    """One result of an all-folders search: the message and the folder it is in."""

    mailbox: MailboxRecord
    row: MessageRow


@dataclass(frozen=True)
class AllFoldersPage:
    hits: list[FolderHit]
    older: str | None
    """The ``before`` cursor of the next page, None on the last one."""
    total: int


def parse_cursor(text: str | None) -> dict[int, int]:
    """``"12:345,13:77"`` as ``{12: 345, 13: 77}``; ``BadRequest`` when malformed."""
    if not text:
        return {}
    if len(text) > MAX_CURSOR:
        raise BadRequest("search.bad_cursor")
    cursor: dict[int, int] = {}
    for piece in text.split(","):
        mailbox_text, _, uid_text = piece.partition(":")
        mailbox_id, uid = parse_id(mailbox_text), parse_id(uid_text)
        if mailbox_id is None or uid is None:
            raise BadRequest("search.bad_cursor")
        cursor[mailbox_id] = uid
    return cursor


def format_cursor(cursor: Mapping[int, int]) -> str:
    return ",".join(f"{mailbox_id}:{uid}" for mailbox_id, uid in sorted(cursor.items()))


def _newest_first(record: MessageRecord) -> tuple[float, int, int]:
    return (-record.internal_date, record.mailbox_id, -record.uid)


async def all_folders_page(
    context: WebContext, mailboxes: list[MailboxRecord], key: SearchKey, before: dict[int, int]
) -> AllFoldersPage:
    """One page of matches across ``mailboxes``, newest first, below the cursor ``before``.

    Each folder is searched by the store; from each, at most a page and one more of its
    newest remaining hits is fetched (the stored summaries, nothing parsed), and the
    folders' lists are merged head by head, by arrival date."""
    size = context.page_size
    store = context.mailstore
    found = await asyncio.gather(*(store.search(mailbox.id, key) for mailbox in mailboxes))
    total = sum(len(uids) for uids in found)
    streams: list[list[MessageRecord]] = []
    remaining = 0
    for mailbox, uids in zip(mailboxes, found, strict=True):
        bound = before.get(mailbox.id)
        left = sorted(uid for uid in uids if bound is None or uid < bound)
        remaining += len(left)
        if left:
            records = await store.fetch(mailbox.id, left[-(size + 1) :])
            streams.append(list(reversed(records)))
    merged = list(heapq.merge(*streams, key=_newest_first))[:size]
    by_id = {mailbox.id: mailbox for mailbox in mailboxes}
    hits = [FolderHit(by_id[record.mailbox_id], row_of(record)) for record in merged]
    older = None
    if remaining > len(merged):
        cursor = {m.id: before[m.id] for m in mailboxes if m.id in before}
        for record in merged:
            cursor[record.mailbox_id] = min(record.uid, cursor.get(record.mailbox_id, record.uid))
        older = format_cursor(cursor)
    return AllFoldersPage(hits, older, total)


class SearchViews:
    def __init__(self, context: WebContext) -> None:
        self.context = context

    async def search(self, request: Request) -> Response:
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        mailboxes = _ordered(await account_mailboxes(self.context, session))
        params = request.query_params
        wanted = parse_id(params.get("mailbox"))
        if wanted is None:
            mailbox = next((m for m in mailboxes if m.name == INBOX), None) or (
                mailboxes[0] if mailboxes else None
            )
        else:
            mailbox = own_mailbox(mailboxes, wanted)
        fields = {name: params.get(name, "") for name in FIELDS}
        everywhere = params.get("scope") == ALL_FOLDERS
        asked = any(fields[name].strip() for name in FIELDS)
        problem_key = None
        page = None
        across = None
        try:
            key = search_key(fields)
            if asked and key is not None and everywhere:
                cursor = parse_cursor(params.get("before"))
                across = await all_folders_page(self.context, mailboxes, key, cursor)
            elif asked and key is not None and mailbox is not None:
                before = parse_id(params.get("before"))
                page = await result_page(self.context, mailbox, key, before)
        except BadRequest as error:
            problem_key = error.key
        kept = {name: value for name, value in fields.items() if value}
        if mailbox is not None:
            kept["mailbox"] = str(mailbox.id)
        if everywhere:
            kept["scope"] = ALL_FOLDERS
        return self.context.render(
            request,
            "search.html",
            status=400 if problem_key else 200,
            session=session,
            mailboxes=mailboxes,
            mailbox=mailbox,
            fields=fields,
            everywhere=everywhere,
            page=page,
            across=across,
            query=urlencode(kept),
            message_key=problem_key,
        )
