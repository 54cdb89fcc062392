"""Managing folders in the webmail: create, rename, delete.

Owns: ``GET /folders`` (every mailbox with its unread and total counts, a form for each
change) and the POSTs under it. The rules are IMAP's, applied by ``MailStore``: names
validated once (``mailstore.names``, hierarchy by the configured separator, missing parents
created, RFC 9051 §6.3.4), a rename takes the mailboxes below along (§6.3.6), INBOX is never
deleted (§6.3.5). The webmail adds two rules of its own: INBOX is not renamed from here
(IMAP's rename of INBOX moves its mail, a surprise in a web page), and deleting a
special-use mailbox (RFC 6154 §2: Trash, Junk, Sent...) or one holding mail asks first.

Must not: touch storage except through ``MailStore``.
"""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from courriel.mailstore.names import INBOX
from courriel.storage.errors import AlreadyExists, InvalidName, NotFound
from courriel.storage.records import MailboxRecord
from courriel.web.action_views import AccountViews, BadRequest, posted_form, problem
from courriel.web.context import NotFoundHere
from courriel.web.mail_views import MailViews, _ordered
from courriel.web.sessions import OpenSession

FOLDERS = "/folders"


def folder_name(value: object) -> str:
    """The typed name, trimmed; ``BadRequest`` when there is none."""
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise BadRequest("folders.name_missing")
    return name


class FolderViews(AccountViews):
    async def _session(self, request: Request) -> OpenSession | Response:
        return await self.context.require_session(request)

    async def page(self, request: Request) -> Response:
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        mailboxes = _ordered(await self._mailboxes(session))
        return self.context.render(
            request,
            "folders_manage.html",
            session=session,
            mailboxes=mailboxes,
            mailbox=None,
            inbox=INBOX,
            separator=self.context.mailstore.separator,
        )

    async def _change(
        self, request: Request, session: OpenSession, change: Awaitable[object]
    ) -> Response:
        """Run one change; storage refusals become a page saying why."""
        try:
            await change
        except BadRequest as error:
            return problem(self.context, request, session, error, FOLDERS)
        except InvalidName:
            return problem(
                self.context, request, session, BadRequest("folders.invalid_name"), FOLDERS
            )
        except AlreadyExists:
            return problem(
                self.context, request, session, BadRequest("folders.exists", 409), FOLDERS
            )
        except NotFound as error:
            raise NotFoundHere("mailbox") from error
        return RedirectResponse(FOLDERS, status_code=303)

    async def create(self, request: Request) -> Response:
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        form = await posted_form(self.context, request, session)

        async def create() -> None:
            name = folder_name(form.get("name"))
            await self.context.mailstore.create_mailbox(session.account.id, name)

        return await self._change(request, session, create())

    async def rename(self, request: Request) -> Response:
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        form = await posted_form(self.context, request, session)
        mailbox = MailViews._mailbox(await self._mailboxes(session), request)

        async def rename() -> None:
            if mailbox.name == INBOX:
                raise BadRequest("folders.inbox_fixed")
            name = folder_name(form.get("name"))
            await self.context.mailstore.rename_mailbox(session.account.id, mailbox.name, name)

        return await self._change(request, session, rename())

    async def delete(self, request: Request) -> Response:
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        form = await posted_form(self.context, request, session)
        mailbox = MailViews._mailbox(await self._mailboxes(session), request)
        if mailbox.name == INBOX:
            return problem(
                self.context, request, session, BadRequest("folders.inbox_fixed"), FOLDERS
            )
        if needs_confirmation(mailbox) and form.get("confirm") != "yes":
            return self.context.render(
                request,
                "action_confirm.html",
                session=session,
                question_key="folders.delete_confirm",
                question_values={"name": mailbox.name, "count": mailbox.message_count},
                action=f"/folders/{mailbox.id}/delete",
                button_key="folders.delete",
                back=FOLDERS,
            )
        return await self._change(
            request,
            session,
            self.context.mailstore.delete_mailbox(session.account.id, mailbox.name),
        )


def needs_confirmation(mailbox: MailboxRecord) -> bool:
    return mailbox.special_use is not None or mailbox.message_count > 0
