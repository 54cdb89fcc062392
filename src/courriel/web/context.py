"""What every webmail view shares: services, templates, the logged-in session, CSRF.

Owns: rendering a template with the request's language and the session's CSRF token;
finding the session from the cookie (``require_session`` answers a redirect to the login
page instead); the CSRF and same-origin check of every POST; the error pages; date and size
formatting for templates.

Must not: decide what a page shows (the views do), or touch storage except through
``MailStore`` and ``WebSessions``.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from courriel.core.clock import Clock
from courriel.directory.auth import AuthService
from courriel.mailstore.service import MailStore
from courriel.storage.ports import ChangeBus
from courriel.web.access import note_account
from courriel.web.i18n import Translator, negotiate
from courriel.web.security import SESSION_COOKIE, same_origin
from courriel.web.sessions import ACTIVE, OpenSession, WebSessions, same_token

MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": (
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ),
}
SIZE_UNITS = {"en": ("B", "KB", "MB", "GB"), "fr": ("o", "Ko", "Mo", "Go")}


class NotAllowed(Exception):
    """A POST without a valid CSRF token, or from another origin: answered 403."""


class NotFoundHere(Exception):
    """A mailbox, message or part that does not exist for this account: answered 404,
    the same as one of another account's (nothing tells them apart)."""


def format_size(size: int, language: str) -> str:
    units = SIZE_UNITS.get(language, SIZE_UNITS["en"])
    value = float(size)
    for unit in units:
        if value < 1024 or unit == units[-1]:
            text = f"{value:.0f}" if unit == units[0] or value >= 10 else f"{value:.1f}"
            if language == "fr":
                text = text.replace(".", ",")
            return f"{text} {unit}"
        value /= 1024
    return f"{size} {units[0]}"  # pragma: no cover - the loop always returns


def format_date(timestamp: float, language: str, *, now: float | None = None) -> str:
    """``14:05`` for today, ``3 Nov`` this year, ``3 Nov 2024`` before (local time)."""
    moment = dt.datetime.fromtimestamp(timestamp)
    today = dt.datetime.fromtimestamp(time.time() if now is None else now)
    months = MONTHS.get(language, MONTHS["en"])
    if moment.date() == today.date():
        return moment.strftime("%H:%M")
    day = f"{moment.day} {months[moment.month - 1]}"
    return day if moment.year == today.year else f"{day} {moment.year}"


def format_full_date(timestamp: float, language: str) -> str:
    moment = dt.datetime.fromtimestamp(timestamp)
    months = MONTHS.get(language, MONTHS["en"])
    return f"{moment.day} {months[moment.month - 1]} {moment.year} {moment:%H:%M}"


@dataclass
class WebContext:
    """The shared state of one webmail app."""

    mailstore: MailStore
    auth: AuthService
    sessions: WebSessions
    bus: ChangeBus
    clock: Clock
    templates: jinja2.Environment
    page_size: int

    def language(self, request: Request) -> str:
        return negotiate(request.headers.get("accept-language"))

    def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        session: OpenSession | None = None,
        **values: Any,
    ) -> HTMLResponse:
        language = self.language(request)
        values.setdefault("message_key", None)
        page = self.templates.get_template(template).render(
            t=Translator(language),
            language=language,
            session=session,
            csrf=session.csrf if session is not None else "",
            size=lambda n: format_size(n, language),
            date=lambda ts: format_date(ts, language, now=self.clock.now()),
            full_date=lambda ts: format_full_date(ts, language),
            **values,
        )
        return HTMLResponse(page, status_code=status, headers={"content-language": language})

    async def session(self, request: Request, stage: str = ACTIVE) -> OpenSession | None:
        found = await self.sessions.find(request.cookies.get(SESSION_COOKIE), stage)
        if found is not None:
            note_account(found.account.address)  # the request's access line names it
        return found

    async def require_session(self, request: Request) -> OpenSession | RedirectResponse:
        session = await self.session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        return session

    async def check_post(self, request: Request, expected_csrf: str) -> dict[str, str]:
        """The form of a POST whose CSRF token matches and whose origin is ours; raises
        ``NotAllowed`` otherwise."""
        if not same_origin(request.headers.items(), request.headers.get("host")):
            raise NotAllowed("cross-origin request")
        form = await request.form(max_files=0, max_fields=20, max_part_size=64 * 1024)
        values = {key: value for key, value in form.items() if isinstance(value, str)}
        if not same_token(expected_csrf, values.get("csrf")):
            raise NotAllowed("missing or wrong CSRF token")
        return values

    def error(self, request: Request, status: int, key: str) -> Response:
        return self.render(request, "error.html", status=status, message_key=key)


def peer_ip(request: Request) -> str:
    return request.client.host if request.client is not None else ""
