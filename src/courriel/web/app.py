"""The webmail ASGI application: ``create_app(services)`` and its route table.

Owns: the table of routes (reading it shows the whole webmail: which paths, which methods;
every state change is a POST carrying the session's CSRF token), the conversion of view
errors to pages (``NotFoundHere`` → 404, ``NotAllowed`` → 403, anything else → 500 with a
generic page, the traceback only in the log), the security headers around everything, and
the HTTP → HTTPS redirect app of the plain ``http`` listener.

Must not: bind sockets or read configuration files (``server.py`` and ``runtime`` do).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from courriel.core.clock import Clock
from courriel.directory.auth import AuthService
from courriel.mailstore.service import MailStore
from courriel.storage.ports import ChangeBus
from courriel.web.auth_views import AuthViews
from courriel.web.context import NotAllowed, NotFoundHere, WebContext
from courriel.web.events import EventViews
from courriel.web.mail_views import MailViews
from courriel.web.security import BodyLimit, SecurityHeaders
from courriel.web.sessions import WebSessions

log = logging.getLogger("courriel.web")

MAX_REQUEST_BODY = 1024 * 1024
"""Largest request body: today's forms are a few fields (sending mail will raise it)."""


def make_templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("courriel.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def routes(context: WebContext) -> list[Route | Mount]:
    """Every path of the webmail."""
    auth = AuthViews(context)
    mail = MailViews(context)
    events = EventViews(context)
    static = StaticFiles(packages=[("courriel.web", "static")])
    return [
        Route("/", mail.home, methods=["GET"]),
        Route("/login", auth.login_form, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/login/code", auth.code_form, methods=["GET"]),
        Route("/login/code", auth.code, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/account/sessions", auth.sessions_page, methods=["GET"]),
        Route("/account/sessions/logout-others", auth.logout_others, methods=["POST"]),
        Route("/mail/counts", mail.counts, methods=["GET"]),
        Route("/mail/{mailbox}/", mail.mailbox, methods=["GET"]),
        Route("/mail/{mailbox}/{uid}", mail.message, methods=["GET"]),
        Route("/mail/{mailbox}/{uid}/body", mail.body, methods=["GET"]),
        Route("/mail/{mailbox}/{uid}/part/{section}", mail.part, methods=["GET"]),
        Route("/mail/{mailbox}/{uid}/unread", mail.mark_unread, methods=["POST"]),
        Route("/events", events.events, methods=["GET"]),
        Mount("/static", app=static, name="static"),
    ]


def create_app(
    *,
    mailstore: MailStore,
    auth: AuthService,
    sessions: WebSessions,
    bus: ChangeBus,
    clock: Clock,
    page_size: int = 50,
    https: bool = True,
) -> Starlette:
    """The webmail over these domain services (``runtime`` passes the Services' own)."""
    context = WebContext(
        mailstore=mailstore,
        auth=auth,
        sessions=sessions,
        bus=bus,
        clock=clock,
        templates=make_templates(),
        page_size=page_size,
    )

    async def not_found(request: Request, exc: Exception) -> Response:
        del exc  # which lookup failed is not told
        return context.error(request, 404, "error.not_found")

    async def not_allowed(request: Request, exc: Exception) -> Response:
        log.info("web: refused %s %s: %s", request.method, request.url.path, exc)
        return context.error(request, 403, "error.forbidden")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return context.error(request, 404, "error.not_found")
        return Response(status_code=exc.status_code, headers=exc.headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        del exc
        # Starlette re-raises after this page is sent: the HTTP server logs the traceback.
        return context.error(request, 500, "error.server")

    return Starlette(
        routes=routes(context),
        middleware=[
            Middleware(SecurityHeaders, https=https),
            Middleware(BodyLimit, limit=MAX_REQUEST_BODY),
        ],
        exception_handlers={
            NotFoundHere: not_found,
            NotAllowed: not_allowed,
            HTTPException: http_error,
            Exception: server_error,
        },
    )


def redirect_app(https_port: int) -> ASGIApp:
    """The plain-HTTP listener's app: every GET or HEAD goes to the same path over HTTPS
    (301); anything else gets 400, since a form must never be posted in clear text."""
    port = "" if https_port == 443 else f":{https_port}"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        host = urlsplit(f"//{request.headers.get('host', '')}").hostname
        if request.method not in ("GET", "HEAD") or not host:
            response: Response = Response("use https\n", status_code=400)
        else:
            target = f"https://{host if ':' not in host else f'[{host}]'}{port}"
            path = scope.get("raw_path", b"/").decode("latin-1") or "/"
            query = scope.get("query_string", b"").decode("latin-1")
            response = RedirectResponse(target + path + (f"?{query}" if query else ""), 301)
        await response(scope, receive, send)

    return SecurityHeaders(app, https=False)
