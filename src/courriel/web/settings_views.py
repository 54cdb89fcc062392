"""The settings pages every account has: ``/settings/...``.

Owns: the display name; changing the password (the current one first, the directory's
password policy, then every other web session of the account ends); turning two-factor
authentication on (a QR code drawn here with ``segno`` as a ``data:`` image — no outside
service sees the secret —, confirmed by a first code, then the recovery codes shown once)
and off (password and a code); a new set of recovery codes (password again; the old set
stops working, the new one is shown once); app passwords (made with a name, shown once, listed with
their creation and last use, revoked); the spam filter's allow and block lists.

Every credential change asks for the account password again
(``AuthService.confirm_identity``: wrong answers count like failed logins), so a session
left open on a shared computer cannot add a way in that outlives it.

Must not: check passwords or codes itself, or reach storage other than through
``AuthService``, ``Directory`` and ``SpamFilter``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Awaitable, Callable
from typing import Any

import segno
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from courriel.directory.app_passwords import PROTOCOLS
from courriel.directory.auth import Outcome
from courriel.directory.errors import DirectoryError, WeakPassword
from courriel.spam.lists import InvalidEntry
from courriel.storage.errors import NotFound
from courriel.web.context import NotFoundHere, WebContext, peer_ip
from courriel.web.management import Management, Notices, show_page
from courriel.web.sessions import OpenSession

MAX_NAME = 200
MAX_PASSWORD = 1024
MAX_CODE = 64
MAX_ENTRY = 320
NOTICES = Notices(
    "settings", {"name", "password", "2fa_off", "revoked", "allowed", "blocked", "removed"}
)
"""The ``?done=`` notices a page may show after a redirect (anything else is ignored)."""
OVERVIEW = "settings.html"
TWO_FACTOR = "settings_2fa.html"
APP_PASSWORDS = "settings_apps.html"
SPAM_LISTS = "settings_spam.html"

SessionView = Callable[["SettingsViews", Request, OpenSession], Awaitable[Response]]


def logged_in(view: SessionView) -> Callable[[SettingsViews, Request], Awaitable[Response]]:
    """The view, given the request's session; without one, the way to the login page."""

    @functools.wraps(view)
    async def with_session(self: SettingsViews, request: Request) -> Response:
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        return await view(self, request, session)

    return with_session


def _refusal(outcome: Outcome) -> str:
    return "login.banned" if outcome is Outcome.BANNED else "settings.wrong_password"


def qr_data_uri(uri: str) -> str:
    """``uri`` as a QR code in an SVG ``data:`` URL (our CSP allows ``data:`` images)."""
    return str(segno.make_qr(uri).svg_data_uri(scale=5, border=2))


class SettingsViews:
    def __init__(self, context: WebContext, management: Management) -> None:
        self.context = context
        self.management = management
        self._pages: dict[str, Callable[[OpenSession], Awaitable[dict[str, Any]]]] = {
            OVERVIEW: self._overview_values,
            TWO_FACTOR: self._two_factor_values,
            APP_PASSWORDS: self._app_password_values,
            SPAM_LISTS: self._spam_values,
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
        **extra: Any,
    ) -> Response:
        """A settings page; after a redirect, the notice ``?done=`` names."""
        values = await self._pages[template](session)
        return show_page(
            self.context,
            request,
            session,
            template,
            values | extra,
            notices=NOTICES,
            status=status,
            message_key=message_key,
            detail=detail,
        )

    async def _confirmed(
        self, request: Request, session: OpenSession, values: dict[str, str], template: str
    ) -> Response | None:
        """None when the form's ``password`` is the account's; else the page refusing."""
        confirmed = await self.context.auth.confirm_identity(
            session.account.address, peer_ip(request), values.get("password", "")[:MAX_PASSWORD]
        )
        if confirmed.ok:
            return None
        return await self._show(
            request, session, template, status=403, message_key=_refusal(confirmed.outcome)
        )

    # -- overview: display name and password ------------------------------------------------

    async def _overview_values(self, session: OpenSession) -> dict[str, Any]:
        enabled, left = await self.context.auth.totp_status(session.account.address)
        return {
            "totp_enabled": enabled,
            "recovery_left": left,
            "min_length": self.management.directory.min_password_length,
        }

    @logged_in
    async def overview(self, request: Request, session: OpenSession) -> Response:
        return await self._show(request, session, OVERVIEW)

    @logged_in
    async def set_name(self, request: Request, session: OpenSession) -> Response:
        values = await self.context.check_post(request, session.csrf)
        name = " ".join(values.get("display_name", "").split())[:MAX_NAME]
        await self.management.directory.set_display_name(session.account.address, name)
        return RedirectResponse("/settings?done=name", status_code=303)

    @logged_in
    async def change_password(self, request: Request, session: OpenSession) -> Response:
        values = await self.context.check_post(request, session.csrf)
        new = values.get("new_password", "")[:MAX_PASSWORD]
        if new != values.get("repeat_password", "")[:MAX_PASSWORD]:
            return await self._show(
                request, session, OVERVIEW, status=400, message_key="settings.passwords_differ"
            )
        refused = await self._confirmed(request, session, values, OVERVIEW)
        if refused is not None:
            return refused
        try:
            await self.management.directory.set_password(session.account.address, new)
        except WeakPassword as error:
            return await self._show(
                request,
                session,
                OVERVIEW,
                status=400,
                message_key="settings.weak_password",
                detail=str(error),
            )
        await self.context.sessions.close_others(session)
        return RedirectResponse("/settings?done=password", status_code=303)

    # -- two-factor authentication ----------------------------------------------------------

    async def _two_factor_values(self, session: OpenSession) -> dict[str, Any]:
        auth = self.context.auth
        address = session.account.address
        enabled, left = await auth.totp_status(address)
        pending = None if enabled else await auth.pending_totp(address)
        return {
            "enabled": enabled,
            "recovery_left": left,
            "pending": pending,
            "qr": qr_data_uri(pending.uri) if pending is not None else "",
        }

    @logged_in
    async def two_factor(self, request: Request, session: OpenSession) -> Response:
        return await self._show(request, session, TWO_FACTOR)

    @logged_in
    async def begin_two_factor(self, request: Request, session: OpenSession) -> Response:
        values = await self.context.check_post(request, session.csrf)
        refused = await self._confirmed(request, session, values, TWO_FACTOR)
        if refused is not None:
            return refused
        with contextlib.suppress(DirectoryError):  # already on (done in another tab)
            await self.context.auth.begin_totp(session.account.address)
        return RedirectResponse("/settings/2fa", status_code=303)

    @logged_in
    async def confirm_two_factor(self, request: Request, session: OpenSession) -> Response:
        auth = self.context.auth
        values = await self.context.check_post(request, session.csrf)
        address = session.account.address
        if await auth.pending_totp(address) is None:
            return RedirectResponse("/settings/2fa", status_code=303)
        try:
            codes = await auth.confirm_totp(address, values.get("code", "").strip()[:MAX_CODE])
        except DirectoryError:
            return await self._show(
                request, session, TWO_FACTOR, status=400, message_key="code.invalid"
            )
        return self._recovery_codes(request, session, codes, regenerated=False)

    @logged_in
    async def regenerate_recovery_codes(self, request: Request, session: OpenSession) -> Response:
        values = await self.context.check_post(request, session.csrf)
        refused = await self._confirmed(request, session, values, TWO_FACTOR)
        if refused is not None:
            return refused
        try:
            codes = await self.context.auth.regenerate_recovery_codes(session.account.address)
        except DirectoryError:  # 2FA was turned off meanwhile (another tab)
            return RedirectResponse("/settings/2fa", status_code=303)
        return self._recovery_codes(request, session, codes, regenerated=True)

    def _recovery_codes(
        self, request: Request, session: OpenSession, codes: list[str], *, regenerated: bool
    ) -> Response:
        # Shown in this answer only (no-store): the store keeps their digests.
        return self.context.render(
            request,
            "settings_recovery.html",
            session=session,
            recovery_codes=codes,
            regenerated=regenerated,
        )

    @logged_in
    async def disable_two_factor(self, request: Request, session: OpenSession) -> Response:
        auth = self.context.auth
        values = await self.context.check_post(request, session.csrf)
        confirmed = await auth.confirm_identity(
            session.account.address,
            peer_ip(request),
            values.get("password", "")[:MAX_PASSWORD],
            values.get("code", "").strip()[:MAX_CODE],
        )
        if not confirmed.ok:
            key = "login.banned" if confirmed.outcome is Outcome.BANNED else "settings.wrong_proof"
            return await self._show(request, session, TWO_FACTOR, status=403, message_key=key)
        await auth.disable_totp(session.account.address)
        return RedirectResponse("/settings/2fa?done=2fa_off", status_code=303)

    # -- app passwords ------------------------------------------------------------------------

    async def _app_password_values(self, session: OpenSession) -> dict[str, Any]:
        return {
            "records": await self.context.auth.list_app_passwords(session.account.address),
            "created": None,
        }

    @logged_in
    async def app_passwords(self, request: Request, session: OpenSession) -> Response:
        return await self._show(request, session, APP_PASSWORDS)

    @logged_in
    async def add_app_password(self, request: Request, session: OpenSession) -> Response:
        auth = self.context.auth
        values = await self.context.check_post(request, session.csrf)
        name = " ".join(values.get("name", "").split())[:MAX_NAME]
        existing = await auth.list_app_passwords(session.account.address)
        problem = (
            "settings.app_name_needed"
            if not name
            else "settings.app_name_taken"
            if any(record.name == name for record in existing)
            else None
        )
        if problem is not None:
            return await self._show(
                request, session, APP_PASSWORDS, status=400, message_key=problem
            )
        refused = await self._confirmed(request, session, values, APP_PASSWORDS)
        if refused is not None:
            return refused
        record, password = await auth.add_app_password(session.account.address, name, PROTOCOLS)
        # The password is in this answer only; the store keeps its digest.
        return await self._show(request, session, APP_PASSWORDS, created=(record.name, password))

    @logged_in
    async def revoke_app_password(self, request: Request, session: OpenSession) -> Response:
        values = await self.context.check_post(request, session.csrf)
        try:
            await self.context.auth.revoke_app_password(
                session.account.address, values.get("name", "")[:MAX_NAME]
            )
        except NotFound:
            raise NotFoundHere("app password") from None
        return RedirectResponse("/settings/app-passwords?done=revoked", status_code=303)

    # -- spam allow and block lists -------------------------------------------------------------

    async def _spam_values(self, session: OpenSession) -> dict[str, Any]:
        entries = await self.management.spam.list_entries(session.account.id)
        return {
            "allowed": [entry for entry in entries if entry.kind == "allow"],
            "blocked": [entry for entry in entries if entry.kind == "block"],
        }

    @logged_in
    async def spam_lists(self, request: Request, session: OpenSession) -> Response:
        return await self._show(request, session, SPAM_LISTS)

    @logged_in
    async def add_spam_entry(self, request: Request, session: OpenSession) -> Response:
        values = await self.context.check_post(request, session.csrf)
        kind = values.get("kind") or ""
        spam = self.management.spam
        change = {"allow": spam.allow, "block": spam.block}.get(kind)
        try:
            if change is None:
                raise InvalidEntry("choose the allow or the block list")
            await change(session.account.id, values.get("entry", "").strip()[:MAX_ENTRY])
        except InvalidEntry as error:
            return await self._show(
                request,
                session,
                SPAM_LISTS,
                status=400,
                message_key="settings.bad_entry",
                detail=str(error),
            )
        done = "allowed" if kind == "allow" else "blocked"
        return RedirectResponse(f"/settings/spam?done={done}", status_code=303)

    @logged_in
    async def remove_spam_entry(self, request: Request, session: OpenSession) -> Response:
        values = await self.context.check_post(request, session.csrf)
        spam = self.management.spam
        remove = {"allow": spam.unallow, "block": spam.unblock}.get(values.get("kind") or "")
        try:
            removed = remove is not None and await remove(
                session.account.id, values.get("entry", "")[:MAX_ENTRY]
            )
        except InvalidEntry:
            removed = False
        if not removed:
            raise NotFoundHere("entry")
        return RedirectResponse("/settings/spam?done=removed", status_code=303)
