"""Logging in and out of the webmail.

Owns: the login form (its CSRF token is a double-submit cookie, as no session exists yet),
the password step through ``AuthService.login("web", ...)`` (the same bans, delays and
security log as IMAP and POP3), the second step when the account has 2FA (a TOTP code or
a recovery code, ``AuthService.verify_second_factor``), the session cookie, logging out,
and the sessions page with "log out my other sessions".

Must not: compare passwords or codes itself, or say whether an account exists.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from courriel.directory.auth import Outcome, Principal
from courriel.web.context import NotAllowed, WebContext, peer_ip
from courriel.web.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    cookie_attributes,
    forget_cookie,
)
from courriel.web.sessions import ACTIVE, SECOND_FACTOR, NewSession, same_token

LOGIN_FORM_TIME = 1800
MAX_ADDRESS = 320
MAX_PASSWORD = 1024
_OUTCOME_MESSAGES = {
    Outcome.INVALID: "login.invalid",
    Outcome.BANNED: "login.banned",
    Outcome.DISABLED: "login.disabled",
    # With 2FA on, "web" gets SECOND_FACTOR_REQUIRED, never this; kept for completeness.
    Outcome.APP_PASSWORD_REQUIRED: "login.invalid",
}


def _with_session(response: Response, new: NewSession, max_age: int | None) -> Response:
    response.set_cookie(SESSION_COOKIE, new.token, **cookie_attributes(max_age))
    forget_cookie(response, LOGIN_COOKIE)
    return response


def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


class AuthViews:
    def __init__(self, context: WebContext) -> None:
        self.context = context

    def _login_page(
        self, request: Request, message: str | None = None, status: int = 200, address: str = ""
    ) -> Response:
        token = secrets.token_urlsafe(32)
        response = self.context.render(
            request,
            "login.html",
            status=status,
            login_token=token,
            message_key=message,
            address=address,
        )
        response.set_cookie(LOGIN_COOKIE, token, **cookie_attributes(LOGIN_FORM_TIME))
        return response

    async def login_form(self, request: Request) -> Response:
        if await self.context.session(request) is not None:
            return RedirectResponse("/", status_code=303)
        message = "login.expired" if request.query_params.get("expired") else None
        return self._login_page(request, message)

    async def login(self, request: Request) -> Response:
        context = self.context
        form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
        values = {key: value for key, value in form.items() if isinstance(value, str)}
        cookie = request.cookies.get(LOGIN_COOKIE)
        if cookie is None or not same_token(cookie, values.get("login_token")):
            return self._login_page(request, "login.form_expired", status=403)
        address = values.get("address", "").strip()[:MAX_ADDRESS]
        password = values.get("password", "")[:MAX_PASSWORD]
        ip = peer_ip(request)
        result = await context.auth.login("web", ip, address, password)
        if result.outcome is Outcome.SECOND_FACTOR_REQUIRED and result.principal is not None:
            pending = await context.sessions.open(
                result.principal.account_id, SECOND_FACTOR, ip=ip, user_agent=_user_agent(request)
            )
            return _with_session(RedirectResponse("/login/code", status_code=303), pending, None)
        if result.ok and result.principal is not None:
            return await self._open(request, result.principal.account_id)
        status = 429 if result.outcome is Outcome.BANNED else 401
        return self._login_page(
            request, _OUTCOME_MESSAGES.get(result.outcome, "login.invalid"), status, address
        )

    async def _open(self, request: Request, account_id: int) -> Response:
        new = await self.context.sessions.open(
            account_id, ACTIVE, ip=peer_ip(request), user_agent=_user_agent(request)
        )
        return _with_session(RedirectResponse("/", status_code=303), new, None)

    async def code_form(self, request: Request) -> Response:
        pending = await self.context.session(request, SECOND_FACTOR)
        if pending is None:
            return RedirectResponse("/login?expired=1", status_code=303)
        return self.context.render(request, "code.html", session=pending)

    async def code(self, request: Request) -> Response:
        context = self.context
        pending = await context.session(request, SECOND_FACTOR)
        if pending is None:
            return RedirectResponse("/login?expired=1", status_code=303)
        values = await context.check_post(request, pending.csrf)
        code = values.get("code", "").strip()[:64]
        principal = Principal(pending.account.id, pending.account.address, "web", "password")
        result = await context.auth.verify_second_factor(principal, code, peer_ip(request))
        if result.ok:
            await context.sessions.close(pending)
            return await self._open(request, pending.account.id)
        if result.outcome is Outcome.BANNED or await context.sessions.wrong_code(pending):
            await context.sessions.close(pending)
            key = "login.banned" if result.outcome is Outcome.BANNED else "code.too_many"
            return self._login_page(request, key, status=429 if key == "login.banned" else 401)
        return context.render(
            request, "code.html", session=pending, status=401, message_key="code.invalid"
        )

    async def logout(self, request: Request) -> Response:
        context = self.context
        session = await context.session(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        await context.check_post(request, session.csrf)
        await context.sessions.close(session)
        response = RedirectResponse("/login", status_code=303)
        forget_cookie(response, SESSION_COOKIE)
        return response

    async def sessions_page(self, request: Request) -> Response:
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        sessions = await self.context.sessions.list(session)
        ended = request.query_params.get("ended")
        return self.context.render(
            request,
            "sessions.html",
            session=session,
            sessions=sessions,
            ended=int(ended) if ended and ended.isdigit() else None,
        )

    async def logout_others(self, request: Request) -> Response:
        context = self.context
        session = await context.require_session(request)
        if isinstance(session, Response):
            return session
        await context.check_post(request, session.csrf)
        ended = await context.sessions.close_others(session)
        return RedirectResponse(f"/account/sessions?ended={ended}", status_code=303)


__all__ = ["AuthViews", "NotAllowed"]
