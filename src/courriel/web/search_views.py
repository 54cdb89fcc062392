"""Searching mail in the webmail: ``GET /search``.

Owns: the search form's fields turned into the store's search criteria (``search_key``,
pure: the same ``storage.query`` tree IMAP SEARCH builds, RFC 9051 §6.4.4, compiled and run
by the store: full text as ``TEXT``, From/To/Subject as header searches, the date range as
``SENTSINCE``/``SENTBEFORE`` on whole days), and the result pages, newest first, paged by
UID like the message list (``?before=UID``). "Has attachments" is the ingest summary's flag
(no search key exists for it), checked on the matching messages page by page.

Must not: search by itself (``MailStore.search`` does), or show another account's mailbox
(the mailbox is looked up among the account's own: 404 otherwise).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from courriel.mailstore.names import INBOX
from courriel.storage.query import AllOf, DateRange, HeaderContains, SearchKey, TextContains
from courriel.storage.records import MailboxRecord, MessageRecord
from courriel.web.action_views import BadRequest, account_mailboxes, own_mailbox, parse_id
from courriel.web.context import WebContext
from courriel.web.mail_views import _ordered
from courriel.web.messages import MessageRow, row_of

MAX_FIELD = 200
"""Characters of one search field."""
FIELDS = ("q", "from", "to", "subject", "since", "until", "attachment")
_HEADERS = (("from", "from"), ("to", "to"), ("subject", "subject"))
ATTACHMENT_CHUNK = 200
"""Matching messages read at a time while looking for ones with attachments."""


def _day(text: str, key: str) -> float:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as error:
        raise BadRequest(key) from error
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()


def search_key(fields: Mapping[str, str]) -> SearchKey | None:
    """The criteria of the filled-in fields (all must match); None when none is filled
    ("has attachments" alone searches every message). ``BadRequest`` for a value too long
    or a date that is not ``YYYY-MM-DD``."""
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
    if not keys:
        return None
    return keys[0] if len(keys) == 1 else AllOf(tuple(keys))


@dataclass(frozen=True)
class ResultPage:
    rows: list[MessageRow]
    older: int | None
    """``before`` of the next page, None on the last one."""
    total: int | None
    """Matching messages; None with "has attachments" (counted only page by page)."""


async def result_page(
    context: WebContext,
    mailbox: MailboxRecord,
    key: SearchKey | None,
    attachment: bool,
    before: int | None,
) -> ResultPage:
    """One page of matches with a UID below ``before``, newest first."""
    size = context.page_size
    if key is None:
        _, metas = await context.mailstore.snapshot(mailbox.id)
        uids = [meta.uid for meta in metas]
    else:
        uids = sorted(await context.mailstore.search(mailbox.id, key))
    candidates = [uid for uid in uids if before is None or uid < before]
    if not attachment:
        records = await context.mailstore.fetch(mailbox.id, candidates[-(size + 1) :])
        page = records[-size:]
        older = page[0].uid if len(records) > size else None
        return ResultPage([row_of(r) for r in reversed(page)], older, len(uids))
    found: list[MessageRecord] = []
    top = len(candidates)
    while top > 0 and len(found) <= size:
        chunk = await context.mailstore.fetch(
            mailbox.id, candidates[max(0, top - ATTACHMENT_CHUNK) : top]
        )
        found.extend(r for r in reversed(chunk) if r.summary.has_attachment)
        top -= ATTACHMENT_CHUNK
    page = found[:size]
    older = page[-1].uid if len(found) > size else None
    return ResultPage([row_of(r) for r in page], older, None)


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
        attachment = fields["attachment"] == "1"
        asked = any(fields[name].strip() for name in FIELDS)
        problem_key = None
        page = None
        try:
            key = search_key(fields)
            if asked and mailbox is not None:
                before = parse_id(params.get("before"))
                page = await result_page(self.context, mailbox, key, attachment, before)
        except BadRequest as error:
            problem_key = error.key
        kept = {name: value for name, value in fields.items() if value}
        if mailbox is not None:
            kept["mailbox"] = str(mailbox.id)
        return self.context.render(
            request,
            "search.html",
            status=400 if problem_key else 200,
            session=session,
            mailboxes=mailboxes,
            mailbox=mailbox,
            fields=fields,
            page=page,
            query=urlencode(kept),
            message_key=problem_key,
        )
