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

from courriel.acme.challenges import WELL_KNOWN_PREFIX, ChallengeDirectory
from courriel.core.clock import Clock
from courriel.directory.auth import AuthService
from courriel.mailstore.service import MailStore
from courriel.storage.ports import ChangeBus, ImageSenderRepo
from courriel.web import admin_views
from courriel.web.action_views import ActionViews
from courriel.web.admin_views import AdminViews
from courriel.web.auth_views import AuthViews
from courriel.web.compose_views import ComposeViews, Sending
from courriel.web.context import NotAllowed, NotFoundHere, WebContext
from courriel.web.conversation_views import ConversationViews
from courriel.web.events import EventViews
from courriel.web.folder_views import FolderViews
from courriel.web.image_sender_views import ImageSenderViews
from courriel.web.mail_settings_views import FORWARDING, SIGNATURE, VACATION, MailSettingsViews
from courriel.web.mail_views import MailViews
from courriel.web.management import Management
from courriel.web.original_views import OriginalViews
from courriel.web.remote_images import RemoteImages
from courriel.web.search_views import SearchViews
from courriel.web.security import BodyLimit, SecurityHeaders
from courriel.web.sessions import WebSessions
from courriel.web.settings_views import SettingsViews

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


def routes(context: WebContext, remote_images: RemoteImages | None = None) -> list[Route | Mount]:
    """Every path of the webmail."""
    auth = AuthViews(context)
    mail = MailViews(context, remote_images)
    events = EventViews(context)
    actions, folders, search = ActionViews(context), FolderViews(context), SearchViews(context)
    conversation = ConversationViews(context)
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
        # -- acting on mail and folders (action_views, folder_views, search_views) --
        Route("/mail/{mailbox}/actions", actions.act, methods=["POST"]),
        Route("/mail/{mailbox}/empty", actions.empty, methods=["POST"]),
        Route("/folders", folders.page, methods=["GET"]),
        Route("/folders", folders.create, methods=["POST"]),
        Route("/folders/{mailbox}/rename", folders.rename, methods=["POST"]),
        Route("/folders/{mailbox}/delete", folders.delete, methods=["POST"]),
        Route("/search", search.search, methods=["GET"]),
        Route("/mail/{mailbox}/{uid}/conversation", conversation.conversation, methods=["GET"]),
        Route("/mail/{mailbox}/{uid}/older", conversation.neighbour, methods=["GET"]),
        Route("/mail/{mailbox}/{uid}/newer", conversation.neighbour, methods=["GET"]),
        Mount("/static", app=static, name="static"),
    ]


# -- settings and admin (issue 8: settings_views.py, admin_views.py) ----------------------
def management_routes(context: WebContext, management: Management | None) -> list[Route | Mount]:
    """``/settings`` (every account) and ``/admin`` (the admin role; 404 for anyone else,
    whatever the path or method)."""
    if management is None:
        return []
    settings = SettingsViews(context, management)
    admin = AdminViews(context, management)
    return [
        Route("/settings", settings.overview, methods=["GET"]),
        Route("/settings/name", settings.set_name, methods=["POST"]),
        Route("/settings/password", settings.change_password, methods=["POST"]),
        Route("/settings/2fa", settings.two_factor, methods=["GET"]),
        Route("/settings/2fa/begin", settings.begin_two_factor, methods=["POST"]),
        Route("/settings/2fa/confirm", settings.confirm_two_factor, methods=["POST"]),
        Route("/settings/2fa/disable", settings.disable_two_factor, methods=["POST"]),
        Route("/settings/2fa/recovery", settings.regenerate_recovery_codes, methods=["POST"]),
        Route("/settings/app-passwords", settings.app_passwords, methods=["GET"]),
        Route("/settings/app-passwords", settings.add_app_password, methods=["POST"]),
        Route("/settings/app-passwords/revoke", settings.revoke_app_password, methods=["POST"]),
        Route("/settings/spam", settings.spam_lists, methods=["GET"]),
        Route("/settings/spam", settings.add_spam_entry, methods=["POST"]),
        Route("/settings/spam/remove", settings.remove_spam_entry, methods=["POST"]),
        Route("/admin", admin.page(admin_views.OVERVIEW), methods=["GET"]),
        Route("/admin/domains", admin.page(admin_views.DOMAINS), methods=["GET"]),
        Route("/admin/domains", admin.add_domain, methods=["POST"]),
        Route("/admin/domains/{domain}", admin.page(admin_views.DOMAIN), methods=["GET"]),
        Route(
            "/admin/domains/{domain}/remove",
            admin.page(admin_views.DOMAIN_REMOVE),
            methods=["GET"],
        ),
        Route("/admin/domains/{domain}/remove", admin.remove_domain, methods=["POST"]),
        Route("/admin/domains/{domain}/dkim/rotate", admin.rotate_dkim, methods=["POST"]),
        Route("/admin/domains/{domain}/dkim/activate", admin.activate_dkim, methods=["POST"]),
        Route("/admin/domains/{domain}/dkim/remove", admin.remove_dkim, methods=["POST"]),
        Route("/admin/accounts", admin.page(admin_views.ACCOUNTS), methods=["GET"]),
        Route("/admin/accounts", admin.add_account, methods=["POST"]),
        Route("/admin/accounts/{address}", admin.page(admin_views.ACCOUNT), methods=["GET"]),
        Route("/admin/accounts/{address}/disable", admin.set_disabled, methods=["POST"]),
        Route("/admin/accounts/{address}/enable", admin.set_disabled, methods=["POST"]),
        Route("/admin/accounts/{address}/password", admin.reset_password, methods=["POST"]),
        Route("/admin/accounts/{address}/quota", admin.set_quota, methods=["POST"]),
        Route("/admin/accounts/{address}/role", admin.set_role, methods=["POST"]),
        Route("/admin/aliases", admin.page(admin_views.ALIASES), methods=["GET"]),
        Route("/admin/aliases", admin.add_alias, methods=["POST"]),
        Route("/admin/aliases/remove", admin.remove_alias, methods=["POST"]),
        Route("/admin/queue", admin.page(admin_views.QUEUE), methods=["GET"]),
        Route("/admin/queue/{message}/retry", admin.retry, methods=["POST"]),
        Route("/admin/queue/{message}/drop", admin.drop, methods=["POST"]),
        Route("/admin/security", admin.page(admin_views.SECURITY), methods=["GET"]),
        Route("/admin/security/unban", admin.unban, methods=["POST"]),
        # Last: every other /admin path and method answers the same 404 (never a 405).
        Route("/admin", admin.not_found, methods=ADMIN_METHODS),
        Route("/admin/{rest:path}", admin.not_found, methods=ADMIN_METHODS),
    ]


ADMIN_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


# -- signature, vacation, forwarding (issue 8, settings part 2: mail_settings_views.py) ---
def mail_settings_routes(context: WebContext, sending: Sending | None) -> list[Route | Mount]:
    """``/settings/signature``, ``/settings/vacation``, ``/settings/forwarding``: over the
    delivery pipeline's ``MailSettings`` (none without it)."""
    if sending is None or sending.delivery.mail_settings is None:
        return []
    views = MailSettingsViews(context, sending.delivery.mail_settings)
    return [
        Route("/settings/signature", views.page(SIGNATURE), methods=["GET"]),
        Route("/settings/signature", views.save(SIGNATURE), methods=["POST"]),
        Route("/settings/vacation", views.page(VACATION), methods=["GET"]),
        Route("/settings/vacation", views.save(VACATION), methods=["POST"]),
        Route("/settings/forwarding", views.page(FORWARDING), methods=["GET"]),
        Route("/settings/forwarding", views.save(FORWARDING), methods=["POST"]),
    ]


# -- show original (issue 8: original_views.py) -------------------------------------------
def original_routes(context: WebContext, own_host: str) -> list[Route | Mount]:
    """A message's source and header analysis; ``own_host`` is our authserv-id."""
    original = OriginalViews(context, own_host)
    return [
        Route("/mail/{mailbox}/{uid}/original", original.page, methods=["GET"]),
        Route("/mail/{mailbox}/{uid}/original/raw", original.raw, methods=["GET"]),
    ]


# -- reading leftovers (issue 8: previews, remote images per sender; mail_views.py) -------
def reading_routes(context: WebContext, remote_images: RemoteImages | None) -> list[Route | Mount]:
    """Attachment previews; "always show images from" and its settings page (only with
    the ``ImageSenderRepo``)."""
    mail = MailViews(context, remote_images)
    found: list[Route | Mount] = [
        Route("/mail/{mailbox}/{uid}/preview/{section}", mail.preview, methods=["GET"]),
    ]
    if remote_images is not None:
        senders = ImageSenderViews(context, remote_images)
        found += [
            Route("/mail/{mailbox}/{uid}/images/always", mail.always_show_images, methods=["POST"]),
            Route("/settings/images", senders.page, methods=["GET"]),
            Route("/settings/images/remove", senders.remove, methods=["POST"]),
        ]
    return found


# -- writing mail (issue 8: compose_views.py) ---------------------------------------------
COMPOSE_PREFIX = "/compose"
"""Paths whose requests may carry attachments: ``Sending.request_limit`` instead of
``MAX_REQUEST_BODY``."""


def compose_routes(context: WebContext, sending: Sending | None) -> list[Route | Mount]:
    """New message, reply, forward, drafts, send (one POST whose ``action`` says which),
    and the address suggestions; none without the submission pipeline."""
    if sending is None:
        return []
    compose = ComposeViews(context, sending)
    return [
        Route(COMPOSE_PREFIX, compose.new, methods=["GET"]),
        Route(COMPOSE_PREFIX, compose.post, methods=["POST"]),
        Route(f"{COMPOSE_PREFIX}/addresses", compose.addresses, methods=["GET"]),
        Route(f"{COMPOSE_PREFIX}/draft/{{uid}}", compose.draft, methods=["GET"]),
        Route(
            f"{COMPOSE_PREFIX}/{{mode}}/{{mailbox}}/{{uid}}", compose.start_from, methods=["GET"]
        ),
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
    management: Management | None = None,
    sending: Sending | None = None,
    hostname: str = "",
    image_senders: ImageSenderRepo | None = None,
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

    own_host = hostname or (management.hostname if management else "")  # area: reading
    remote_images = RemoteImages(image_senders, own_host, clock) if image_senders else None
    return Starlette(
        routes=routes(context, remote_images)
        + reading_routes(context, remote_images)
        + management_routes(context, management)
        + compose_routes(context, sending)
        + mail_settings_routes(context, sending)
        + original_routes(context, hostname or (management.hostname if management else "")),
        middleware=[
            Middleware(SecurityHeaders, https=https),
            Middleware(
                BodyLimit,
                limit=MAX_REQUEST_BODY,
                wider={COMPOSE_PREFIX: sending.request_limit} if sending else {},
            ),
        ],
        exception_handlers={
            NotFoundHere: not_found,
            NotAllowed: not_allowed,
            HTTPException: http_error,
            Exception: server_error,
        },
    )


def redirect_app(https_port: int, challenges: ChallengeDirectory | None = None) -> ASGIApp:
    """The plain-HTTP listener's app: every GET or HEAD goes to the same path over HTTPS
    (301); anything else gets 400, since a form must never be posted in clear text.
    ``/.well-known/acme-challenge/<token>`` answers from ``challenges`` instead (ACME
    http-01, RFC 8555 §8.3): the key authorization, or 404 for an unknown token."""
    port = "" if https_port == 443 else f":{https_port}"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        host = urlsplit(f"//{request.headers.get('host', '')}").hostname
        request_path = request.url.path
        if challenges is not None and request_path.startswith(WELL_KNOWN_PREFIX):
            # RFC 8555 §8.3: the CA fetches over plain HTTP, whatever Host it names.
            answer = challenges.key_authorization(request_path.removeprefix(WELL_KNOWN_PREFIX))
            if request.method not in ("GET", "HEAD"):
                response: Response = Response("use GET\n", status_code=405)
            elif answer is None:
                response = Response("no such challenge\n", status_code=404)
            else:
                response = Response(answer, media_type="application/octet-stream")
        elif request.method not in ("GET", "HEAD") or not host:
            response = Response("use https\n", status_code=400)
        else:
            target = f"https://{host if ':' not in host else f'[{host}]'}{port}"
            path = scope.get("raw_path", b"/").decode("latin-1") or "/"
            query = scope.get("query_string", b"").decode("latin-1")
            response = RedirectResponse(target + path + (f"?{query}" if query else ""), 301)
        await response(scope, receive, send)

    return SecurityHeaders(app, https=False)
