"""The admin pages, for accounts with the admin role: ``/admin/...``.

Owns: the overview (listeners, the certificate in service and its expiry, storage used),
domains (list, add — with their DKIM keys —, the DNS records each needs, with copy
buttons, DKIM key rotation, removal once empty after a confirmation), accounts (create,
disable and enable, the admin role, reset the password, quota with a usage bar), aliases
and catch-alls, the outbound queue (list, retry, drop), bans (lift) and the security log.

Lists are paged (``paging.py``: 50 a page, previous and next links): accounts and aliases
by address with a filter on the address's beginning, the queue oldest first, the log newest
first. Every page reads one page from the store (SQL ``LIMIT``/``OFFSET``; the log file
from its end), and counts come from aggregate queries, so 10,000 accounts cost no more
than 50.

DKIM rotation (``directory/dkim_rotation.py``): "new key" adds a pending pair whose
records the page shows to publish while the active pair keeps signing; "sign with this
pair" (after ticking that the records are published) makes it the one that signs and
retires the old pair; a retired or pending pair can then be removed.

Who may: the role is the account's ``admin`` flag (``courriel account add --admin``), read
from the store on every request, so taking it away works at once. Anyone else — logged in
or not — gets the same 404 as a path that does not exist, on every ``/admin`` path, for
every method: nothing tells them the admin pages exist.

Must not: reach storage other than through ``Directory``, ``AuthService``,
``OutboundQueue`` and ``SecurityLog``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from courriel.config import format_size, parse_size
from courriel.core.errors import CourrielError
from courriel.directory.dkim_rotation import DkimKeyPair, KeyState
from courriel.directory.dns_records import domain_records
from courriel.storage.errors import Conflict, NotFound
from courriel.storage.records import DomainRecord
from courriel.web.context import NotFoundHere, WebContext
from courriel.web.management import CERTIFICATE_WARNING_DAYS, Management, Notices, show_page
from courriel.web.paging import PAGE_SIZE, Pager, page_number
from courriel.web.sessions import OpenSession

MAX_FILTER = 320
MAX_FIELD = 1024
MAX_TARGETS_TEXT = 16 * 1024
NOTICES = Notices(
    "admin",
    {
        "domain",
        "account",
        "disabled",
        "enabled",
        "password",
        "quota",
        "role",
        "alias",
        "alias_removed",
        "retried",
        "dropped",
        "unbanned",
        "domain_removed",
        "dkim_rotated",
        "dkim_activated",
        "dkim_removed",
    },
)
"""The ``?done=`` notices a page may show after a redirect (anything else is ignored)."""
OVERVIEW = "admin.html"
DOMAINS = "admin_domains.html"
DOMAIN = "admin_domain.html"
DOMAIN_REMOVE = "admin_domain_remove.html"
ACCOUNTS = "admin_accounts.html"
ACCOUNT = "admin_account.html"
ALIASES = "admin_aliases.html"
QUEUE = "admin_queue.html"
SECURITY = "admin_security.html"

Form = dict[str, str]
AdminView = Callable[["AdminViews", Request, OpenSession, Form], Awaitable[Response]]


def admin_only(view: AdminView) -> Callable[[AdminViews, Request], Awaitable[Response]]:
    """A POST view, for a session whose account has the admin role now (anyone else gets
    the 404 of a missing page), with a form carrying the session's CSRF token."""

    @functools.wraps(view)
    async def checked(self: AdminViews, request: Request) -> Response:
        session = await self.admin_session(request)
        form = await self.context.check_post(request, session.csrf)
        return await view(self, request, session, form)

    return checked


def _field(form: Form, name: str, limit: int = MAX_FIELD) -> str:
    return form.get(name, "")[:limit]


def _quota(text: str) -> int:
    """A quota as typed ("5 GiB", "500 MB"); empty or "0" means unlimited."""
    text = text.strip()
    return 0 if not text else parse_size(text)


def _done(location: str, done: str) -> Response:
    return RedirectResponse(f"{location}?done={done}", status_code=303)


class AdminViews:
    def __init__(self, context: WebContext, management: Management) -> None:
        self.context = context
        self.management = management
        self._pages: dict[str, Callable[[Request], Awaitable[dict[str, Any]]]] = {
            OVERVIEW: self._overview_values,
            DOMAINS: self._domains_values,
            DOMAIN: self._domain_values,
            DOMAIN_REMOVE: self._domain_remove_values,
            ACCOUNTS: self._accounts_values,
            ACCOUNT: self._account_values,
            ALIASES: self._aliases_values,
            QUEUE: self._queue_values,
            SECURITY: self._security_values,
        }

    async def _show(
        self,
        request: Request,
        session: OpenSession,
        template: str,
        *,
        status: int = 200,
        message_key: str | None = None,
        detail: str = "",
        typed: dict[str, str] | None = None,
    ) -> Response:
        """An admin page; after a redirect, the notice ``?done=`` names."""
        values = await self._pages[template](request)
        values["typed"] = typed or {}
        return show_page(
            self.context,
            request,
            session,
            template,
            values,
            notices=NOTICES,
            status=status,
            message_key=message_key,
            detail=detail,
        )

    async def _refused(
        self, request: Request, session: OpenSession, form: Form, template: str, error: Exception
    ) -> Response:
        """The page again, saying why the directory refused (its own words)."""
        typed = {key: _field(form, key) for key in ("address", "display_name")}
        return await self._show(
            request,
            session,
            template,
            status=400,
            message_key="admin.refused",
            detail=str(error),
            typed=typed,
        )

    async def admin_session(self, request: Request) -> OpenSession:
        """The session, when its account has the admin role now; else the 404 of a
        missing page."""
        session = await self.context.session(request)
        if session is None or not session.account.admin:
            raise NotFoundHere("admin")
        return session

    def page(self, template: str) -> Callable[[Request], Awaitable[Response]]:
        """The GET view showing ``template`` (with the values its builder reads)."""

        async def show(request: Request) -> Response:
            return await self._show(request, await self.admin_session(request), template)

        return show

    async def not_found(self, request: Request) -> Response:
        """Any other ``/admin`` path or method: 404 for everyone."""
        del request
        raise NotFoundHere("admin")

    # -- overview --------------------------------------------------------------------------

    async def _overview_values(self, request: Request) -> dict[str, Any]:
        del request
        management = self.management
        usage = (await management.directory.domain_usage()).values()
        return {
            "status_report": await asyncio.to_thread(
                management.status.report, self.context.clock.now()
            ),
            "warning_days": CERTIFICATE_WARNING_DAYS,
            "mail_bytes": sum(domain.used_bytes for domain in usage),
            "message_count": sum(domain.message_count for domain in usage),
            "account_count": sum(domain.accounts for domain in usage),
            "domain_count": len(usage),
            "queued_count": await management.queue.count_messages(),
            "ban_count": len(await self.context.auth.list_bans()),
        }

    # -- domains -----------------------------------------------------------------------------

    async def _domains_values(self, request: Request) -> dict[str, Any]:
        del request
        directory = self.management.directory
        usage = await directory.domain_usage()
        domains = await directory.list_domains()
        return {
            "domains": [(domain, usage[domain.name]) for domain in domains if domain.name in usage]
        }

    async def _domain(self, request: Request) -> DomainRecord:
        """The domain the path names, when it is served here; else 404."""
        found = await self.management.directory.get_domain(str(request.path_params["domain"]))
        if found is None:
            raise NotFoundHere("domain")
        return found

    async def _domain_name(self, request: Request) -> str:
        return (await self._domain(request)).name

    async def _domain_values(self, request: Request) -> dict[str, Any]:
        directory = self.management.directory
        found = await self._domain(request)
        name = found.name
        keys = await directory.dkim_keys(name)
        return {
            "domain": found,
            "usage": (await directory.domain_usage())[name],
            "records": domain_records(name, self.management.hostname, keys),
            "key_pairs": await directory.dkim_key_pairs(name),
            "accounts": await directory.list_accounts_page(domain=name, limit=PAGE_SIZE),
            "aliases": await directory.list_aliases_page(domain=name, limit=PAGE_SIZE),
            "page_size": PAGE_SIZE,
        }

    async def _domain_remove_values(self, request: Request) -> dict[str, Any]:
        name = await self._domain_name(request)
        return {
            "domain_name": name,
            "usage": (await self.management.directory.domain_usage())[name],
        }

    @admin_only
    async def add_domain(self, request: Request, session: OpenSession, form: Form) -> Response:
        try:
            domain = await self.management.directory.add_domain(_field(form, "domain", 255))
        except CourrielError as error:
            return await self._refused(request, session, form, DOMAINS, error)
        return _done(f"/admin/domains/{domain.name}", "domain")

    @admin_only
    async def remove_domain(self, request: Request, session: OpenSession, form: Form) -> Response:
        """The confirmation page's POST: the domain's name typed again, then removed with
        its DKIM keys; refused (with how many) while accounts or aliases remain."""
        name = await self._domain_name(request)
        if _field(form, "confirm_name", 255).strip().lower() != name:
            return await self._show(
                request, session, DOMAIN_REMOVE, status=400, message_key="admin.type_the_name"
            )
        try:
            await self.management.directory.remove_domain(name)
        except Conflict as error:
            return await self._refused(request, session, form, DOMAIN_REMOVE, error)
        return _done("/admin/domains", "domain_removed")

    # -- DKIM key rotation -----------------------------------------------------------------------

    @admin_only
    async def rotate_dkim(self, request: Request, session: OpenSession, form: Form) -> Response:
        del session, form
        name = await self._domain_name(request)
        await self.management.directory.rotate_dkim_keys(name)
        return _done(f"/admin/domains/{name}", "dkim_rotated")

    @admin_only
    async def activate_dkim(self, request: Request, session: OpenSession, form: Form) -> Response:
        name = await self._domain_name(request)
        pair = await self._key_pair(name, form)
        if pair.state is not KeyState.ACTIVE and _field(form, "published") != "on":
            return await self._show(
                request, session, DOMAIN, status=400, message_key="admin.dkim_publish_first"
            )
        await self.management.directory.activate_dkim_keys(name, pair.base)
        return _done(f"/admin/domains/{name}", "dkim_activated")

    @admin_only
    async def remove_dkim(self, request: Request, session: OpenSession, form: Form) -> Response:
        name = await self._domain_name(request)
        pair = await self._key_pair(name, form)
        try:
            await self.management.directory.remove_dkim_keys(name, pair.base)
        except CourrielError as error:
            return await self._refused(request, session, form, DOMAIN, error)
        return _done(f"/admin/domains/{name}", "dkim_removed")

    async def _key_pair(self, domain: str, form: Form) -> DkimKeyPair:
        """The key pair the form's ``pair`` names; 404 when the domain has none such."""
        pairs = await self.management.directory.dkim_key_pairs(domain)
        wanted = _field(form, "pair", 255)
        pair = next((pair for pair in pairs if pair.base == wanted), None)
        if pair is None:
            raise NotFoundHere("DKIM key")
        return pair

    # -- accounts ----------------------------------------------------------------------------

    async def _accounts_values(self, request: Request) -> dict[str, Any]:
        directory = self.management.directory
        values = await self._address_list(
            request, "accounts", directory.count_accounts, directory.list_accounts_page
        )
        return values | {"domains": await directory.list_domains()}

    async def _address_list(
        self,
        request: Request,
        name: str,
        count: Callable[..., Awaitable[int]],
        page: Callable[..., Awaitable[Sequence[object]]],
    ) -> dict[str, Any]:
        """One page of accounts or aliases (``name``) by address, filtered by the query's
        ``q`` (the start of the addresses, lower-cased as stored) and ``domain`` (when it is
        one served here), with its pager and filter."""
        prefix = request.query_params.get("q", "")[:MAX_FILTER].strip().lower()
        typed_domain = request.query_params.get("domain", "")[:255].strip().lower()
        known = bool(typed_domain) and await self.management.directory.is_local_domain(typed_domain)
        domain = typed_domain if known else None
        pager = Pager.of(
            request,
            await count(prefix=prefix, domain=domain),
            {"q": prefix, "domain": domain or ""},
        )
        return {
            name: await page(prefix=prefix, domain=domain, offset=pager.offset, limit=pager.size),
            "pager": pager,
            "filter": prefix,
            "filter_domain": domain or "",
        }

    async def _address(self, request: Request) -> str:
        """The account the path names, normalised; 404 when there is none."""
        try:
            account = await self.management.directory.get_account(
                str(request.path_params["address"])
            )
        except (NotFound, CourrielError):
            raise NotFoundHere("account") from None
        return account.address

    async def _account_values(self, request: Request) -> dict[str, Any]:
        address = await self._address(request)
        enabled, _ = await self.context.auth.totp_status(address)
        account = await self.management.directory.get_account(address)
        return {
            "account": account,
            "quota_text": format_size(account.quota_bytes) if account.quota_bytes else "",
            "totp_enabled": enabled,
            "min_length": self.management.directory.min_password_length,
        }

    @admin_only
    async def add_account(self, request: Request, session: OpenSession, form: Form) -> Response:
        quota = _field(form, "quota", 64)
        try:
            account = await self.management.directory.add_account(
                _field(form, "address"),
                _field(form, "password"),
                display_name=" ".join(_field(form, "display_name").split())[:200],
                quota_bytes=_quota(quota) if quota.strip() else None,
                admin=_field(form, "admin") == "on",
            )
        except (CourrielError, ValueError) as error:
            return await self._refused(request, session, form, ACCOUNTS, error)
        return _done(f"/admin/accounts/{account.address}", "account")

    @admin_only
    async def set_disabled(self, request: Request, session: OpenSession, form: Form) -> Response:
        del form  # the path says what to do
        address = await self._address(request)
        disable = request.url.path.endswith("/disable")
        if disable and address == session.account.address:
            return await self._show(
                request, session, ACCOUNT, status=400, message_key="admin.not_yourself"
            )
        await self.management.directory.set_disabled(address, disable)
        return _done(f"/admin/accounts/{address}", "disabled" if disable else "enabled")

    @admin_only
    async def set_role(self, request: Request, session: OpenSession, form: Form) -> Response:
        address = await self._address(request)
        admin = _field(form, "admin") == "on"
        if not admin and address == session.account.address:
            return await self._show(
                request, session, ACCOUNT, status=400, message_key="admin.not_yourself"
            )
        await self.management.directory.set_admin(address, admin)
        return _done(f"/admin/accounts/{address}", "role")

    @admin_only
    async def reset_password(self, request: Request, session: OpenSession, form: Form) -> Response:
        address = await self._address(request)
        try:
            account = await self.management.directory.set_password(
                address, _field(form, "password")
            )
        except CourrielError as error:
            return await self._refused(request, session, form, ACCOUNT, error)
        if account.id != session.account.id:
            await self.context.sessions.close_all(account.id)
        return _done(f"/admin/accounts/{address}", "password")

    @admin_only
    async def set_quota(self, request: Request, session: OpenSession, form: Form) -> Response:
        address = await self._address(request)
        try:
            await self.management.directory.set_quota(address, _quota(_field(form, "quota", 64)))
        except ValueError as error:
            return await self._refused(request, session, form, ACCOUNT, error)
        return _done(f"/admin/accounts/{address}", "quota")

    # -- aliases -----------------------------------------------------------------------------

    async def _aliases_values(self, request: Request) -> dict[str, Any]:
        directory = self.management.directory
        return await self._address_list(
            request, "aliases", directory.count_aliases, directory.list_aliases_page
        )

    @admin_only
    async def add_alias(self, request: Request, session: OpenSession, form: Form) -> Response:
        text = _field(form, "targets", MAX_TARGETS_TEXT)
        targets = text.replace(",", " ").split()
        try:
            await self.management.directory.add_alias(_field(form, "address"), targets)
        except CourrielError as error:
            return await self._refused(request, session, form, ALIASES, error)
        return _done("/admin/aliases", "alias")

    @admin_only
    async def remove_alias(self, request: Request, session: OpenSession, form: Form) -> Response:
        del request, session
        try:
            await self.management.directory.remove_alias(_field(form, "address"))
        except (NotFound, CourrielError):
            raise NotFoundHere("alias") from None
        return _done("/admin/aliases", "alias_removed")

    # -- queue -------------------------------------------------------------------------------

    async def _queue_values(self, request: Request) -> dict[str, Any]:
        queue = self.management.queue
        pager = Pager.of(request, await queue.count_messages())
        return {
            "messages": await queue.list_messages_page(pager.offset, pager.size),
            "pager": pager,
        }

    def _message_id(self, request: Request) -> int:
        text = str(request.path_params["message"])
        if not text.isdigit() or len(text) > 18:
            raise NotFoundHere("queued message")
        return int(text)

    @admin_only
    async def retry(self, request: Request, session: OpenSession, form: Form) -> Response:
        del session, form
        if await self.management.queue.retry(self._message_id(request)) == 0:
            raise NotFoundHere("queued message")
        return _done("/admin/queue", "retried")

    @admin_only
    async def drop(self, request: Request, session: OpenSession, form: Form) -> Response:
        del session, form
        try:
            await self.management.queue.drop(self._message_id(request))
        except NotFound:
            raise NotFoundHere("queued message") from None
        return _done("/admin/queue", "dropped")

    # -- security ------------------------------------------------------------------------------

    async def _security_values(self, request: Request) -> dict[str, Any]:
        number = page_number(request)
        end_text = request.query_params.get("end", "")
        end = int(end_text) if end_text.isdigit() and len(end_text) <= 18 else None
        log_page = await asyncio.to_thread(
            functools.partial(
                self.management.security_log.page,
                end=end,
                skip=(number - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
        )
        # The links keep the file length page 1 was read at: appended events do not
        # shift the later pages.
        pager = Pager(
            request.url.path, number, None, more=log_page.more, keep={"end": str(log_page.end)}
        )
        return {
            "bans": await self.context.auth.list_bans(),
            "events": log_page.events,
            "pager": pager,
        }

    @admin_only
    async def unban(self, request: Request, session: OpenSession, form: Form) -> Response:
        del request, session
        if not await self.context.auth.unban(_field(form, "scope")):
            raise NotFoundHere("ban")
        return _done("/admin/security", "unbanned")
