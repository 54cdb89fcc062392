"""Acting on messages in the webmail: flags, moves, delete, spam, empty Trash.

Owns: ``POST /mail/{mailbox}/actions`` (one or several messages of one mailbox, from the
list's checkboxes, the message page's buttons, drag and drop and keyboard shortcuts in
``static/actions.js``) and ``POST /mail/{mailbox}/empty`` (Trash, after a confirmation
page). Every change goes through ``MailStore``, which publishes it, so IMAP sessions see it
(flags: RFC 9051 §6.4.6 STORE; moves: RFC 6851 MOVE; removal: §6.4.3 EXPUNGE). A move into
or out of Junk is reported to the spam filter by ``MailStore.move`` itself
(``mailstore.junk``): "Spam" is a move to the Junk mailbox, "Not spam" a move from Junk
to INBOX. Mailboxes are told apart by special use (RFC 6154 §2), never by name.

Also owns what the folder and search views share: finding one of the account's own
mailboxes by id (another account's id answers 404 like a missing one: no IDOR), a page
telling the user what was wrong with a request, and the safe "go back to" address.

Must not: touch storage except through ``MailStore``; accept a change without the
session's CSRF token (``WebContext.check_post``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from courriel.mailstore.defaults import JUNK, TRASH
from courriel.mailstore.names import INBOX
from courriel.storage.errors import AlreadyExists, InvalidName, NotFound, QuotaExceeded
from courriel.storage.records import MailboxRecord
from courriel.web.context import NotFoundHere, WebContext
from courriel.web.mail_views import MailViews
from courriel.web.sessions import OpenSession

MAX_SELECTED = 1000
"""Messages one action may name (a list page holds ``[web] page_size``, 50 by default)."""
MAX_FORM_FIELDS = MAX_SELECTED + 10
EMPTY_BATCH = 500
"""Messages removed per transaction when Trash is emptied (as the retention purge)."""
_NEXT = re.compile(r"^/(?:mail/\d{1,12}/(?:\d{1,12})?|search)(?:\?[^\s\\#]{0,1500})?$")

Action = Callable[
    ["ActionViews", OpenSession, MailboxRecord, list[int], FormData], Coroutine[Any, Any, None]
]


class BadRequest(Exception):
    """Input the user can correct: answered 400 with the translated ``key``."""

    def __init__(self, key: str, status: int = 400) -> None:
        super().__init__(key)
        self.key = key
        self.status = status


def parse_id(text: object) -> int | None:
    if not isinstance(text, str) or not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def own_mailbox(mailboxes: list[MailboxRecord], mailbox_id: int | None) -> MailboxRecord:
    """The account's mailbox with this id; ``NotFoundHere`` otherwise (another account's
    id included)."""
    for mailbox in mailboxes:
        if mailbox.id == mailbox_id:
            return mailbox
    raise NotFoundHere("mailbox")


def special_mailbox(mailboxes: list[MailboxRecord], special_use: str) -> MailboxRecord | None:
    return next((m for m in mailboxes if m.special_use == special_use), None)


def safe_next(value: object, default: str) -> str:
    """Where to go after an action: one of our own list, message or search addresses
    (never another host: no open redirect), else ``default``."""
    if isinstance(value, str) and _NEXT.match(value):
        return value
    return default


def problem(
    context: WebContext, request: Request, session: OpenSession, error: BadRequest, back: str
) -> Response:
    """The page saying what was wrong, with a link back."""
    return context.render(
        request,
        "action_notice.html",
        status=error.status,
        session=session,
        message_key=error.key,
        back=back,
    )


def selected_uids(form: FormData) -> list[int]:
    """The ``uid`` fields, each a UID; ``BadRequest`` when there are none or one is not."""
    values = form.getlist("uid")
    if not values:
        raise BadRequest("actions.none_selected")
    uids = [parse_id(value) for value in values]
    if any(uid is None or uid == 0 for uid in uids):
        raise BadRequest("actions.bad_selection")
    return sorted({uid for uid in uids if uid is not None})


async def account_mailboxes(context: WebContext, session: OpenSession) -> list[MailboxRecord]:
    return await context.mailstore.list_mailboxes(session.account.id)


async def posted_form(context: WebContext, request: Request, session: OpenSession) -> FormData:
    """The POSTed form after the CSRF and origin checks, with every repeated field."""
    # Parsed once here with room for a whole selection; check_post reads the same form.
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=64 * 1024)
    await context.check_post(request, session.csrf)
    return form


class AccountViews:
    """Views over the logged-in account's own mailboxes."""

    def __init__(self, context: WebContext) -> None:
        self.context = context

    async def _mailboxes(self, session: OpenSession) -> list[MailboxRecord]:
        return await account_mailboxes(self.context, session)


class ActionViews(AccountViews):
    async def act(self, request: Request) -> Response:
        """One action (``action`` field) on the selected messages (``uid`` fields)."""
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        form = await posted_form(self.context, request, session)
        mailboxes = await self._mailboxes(session)
        mailbox = MailViews._mailbox(mailboxes, request)
        listing = f"/mail/{mailbox.id}/"
        back = safe_next(form.get("next"), listing)
        name = str(form.get("action", ""))
        try:
            if name not in FLAG_CHANGES and name not in MOVES:
                raise BadRequest("actions.unknown")
            uids = selected_uids(form)
            if len(uids) > MAX_SELECTED:
                raise BadRequest("actions.too_many")
            await self._existing(mailbox, uids)
            if name in FLAG_CHANGES:
                mode, flag = FLAG_CHANGES[name]
                await self.context.mailstore.store_flags(
                    session.account.id, mailbox.id, uids, mode, [flag]
                )
            else:
                await MOVES[name](self, session, mailbox, uids, form)
        except BadRequest as error:
            return problem(self.context, request, session, error, back)
        if name in MOVES and back.startswith(listing) and back != listing and "?" not in back:
            back = listing  # the message shown is no longer in this mailbox
        return RedirectResponse(back, status_code=303)

    async def _existing(self, mailbox: MailboxRecord, uids: list[int]) -> None:
        """404 when none of the UIDs is in the mailbox (some may have gone meanwhile, by
        another client: the action applies to the rest, as IMAP UID commands do)."""
        records = await self.context.mailstore.fetch_rendered(mailbox.id, uids)
        if not records:
            raise NotFoundHere("message")

    async def _move(
        self, session: OpenSession, source: MailboxRecord, uids: list[int], target: MailboxRecord
    ) -> None:
        if target.id == source.id:
            raise BadRequest("actions.same_folder")
        try:
            await self.context.mailstore.move(session.account.id, source.id, uids, target.id)
        except QuotaExceeded as error:
            raise BadRequest("actions.over_quota", 409) from error
        except NotFound as error:  # a mailbox deleted meanwhile
            raise NotFoundHere("mailbox") from error

    async def move(
        self, session: OpenSession, mailbox: MailboxRecord, uids: list[int], form: FormData
    ) -> None:
        target_id = parse_id(form.get("target"))
        if target_id is None:
            raise BadRequest("actions.no_target")
        await self._move(
            session, mailbox, uids, own_mailbox(await self._mailboxes(session), target_id)
        )

    async def _special(self, session: OpenSession, special_use: str, name: str) -> MailboxRecord:
        """The account's mailbox with this special use, created under ``name`` if missing."""
        found = special_mailbox(await self._mailboxes(session), special_use)
        if found is not None:
            return found
        try:
            return await self.context.mailstore.create_mailbox(
                session.account.id, name, special_use
            )
        except (AlreadyExists, InvalidName) as error:
            raise BadRequest("actions.no_special_folder", 409) from error

    async def delete(
        self, session: OpenSession, mailbox: MailboxRecord, uids: list[int], form: FormData
    ) -> None:
        """Into Trash; in Trash, removed for good (RFC 9051 §6.4.3)."""
        del form
        if mailbox.special_use == TRASH:
            await self.context.mailstore.remove(session.account.id, mailbox.id, uids)
            return
        await self._move(session, mailbox, uids, await self._special(session, TRASH, "Trash"))

    async def spam(
        self, session: OpenSession, mailbox: MailboxRecord, uids: list[int], form: FormData
    ) -> None:
        del form
        if mailbox.special_use == JUNK:
            raise BadRequest("actions.same_folder")
        await self._move(session, mailbox, uids, await self._special(session, JUNK, "Junk"))

    async def not_spam(
        self, session: OpenSession, mailbox: MailboxRecord, uids: list[int], form: FormData
    ) -> None:
        del form
        if mailbox.special_use != JUNK:
            raise BadRequest("actions.not_in_junk")
        inbox = next((box for box in await self._mailboxes(session) if box.name == INBOX), None)
        if inbox is None:
            raise NotFoundHere("mailbox")
        await self._move(session, mailbox, uids, inbox)

    async def empty(self, request: Request) -> Response:
        """Empty Trash: without ``confirm=yes`` a page asks first; then every message is
        removed, in transactions of ``EMPTY_BATCH``."""
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        form = await posted_form(self.context, request, session)
        mailbox = MailViews._mailbox(await self._mailboxes(session), request)
        listing = f"/mail/{mailbox.id}/"
        if mailbox.special_use != TRASH:
            return problem(self.context, request, session, BadRequest("actions.not_trash"), listing)
        if form.get("confirm") != "yes":
            return self.context.render(
                request,
                "action_confirm.html",
                session=session,
                question_key="actions.empty_confirm",
                question_values={"count": mailbox.message_count},
                action=f"/mail/{mailbox.id}/empty",
                button_key="actions.empty_trash",
                back=listing,
            )
        _, metas = await self.context.mailstore.snapshot(mailbox.id)
        uids = [meta.uid for meta in metas]
        for start in range(0, len(uids), EMPTY_BATCH):
            await self.context.mailstore.remove(
                session.account.id, mailbox.id, uids[start : start + EMPTY_BATCH]
            )
        return RedirectResponse(listing, status_code=303)


FLAG_CHANGES: dict[str, tuple[str, str]] = {
    # name: (STORE mode, flag), RFC 9051 §6.4.6
    "read": ("add", "\\Seen"),
    "unread": ("remove", "\\Seen"),
    "flag": ("add", "\\Flagged"),
    "unflag": ("remove", "\\Flagged"),
}
"""The actions of ``POST /mail/{mailbox}/actions`` that change a flag."""

MOVES: dict[str, Action] = {
    "move": ActionViews.move,
    "delete": ActionViews.delete,
    "spam": ActionViews.spam,
    "not-spam": ActionViews.not_spam,
}
"""The actions that take the messages out of the mailbox."""
