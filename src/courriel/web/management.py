"""What the settings and admin pages need beyond the webmail's own services.

Owns: ``Management``, the bundle of domain services the settings pages (every account) and
the admin pages (accounts with the admin role) call — the ``Directory``, the spam filter's
allow and block lists, the outbound queue, the security log — and ``ServerStatus``, the
facts the admin overview shows: listeners, the certificate in service, storage used; and
``show_page``, how both render a page with the notice of what was just done.

Must not: decide who may see what (``settings_views`` and ``admin_views`` do), or touch
storage except through the services.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from courriel.config import EnabledListener
from courriel.directory.securitylog import SecurityLog
from courriel.directory.service import Directory
from courriel.net.tls import CertificateInfo
from courriel.queue.service import OutboundQueue
from courriel.spam.service import SpamFilter
from courriel.web.context import WebContext
from courriel.web.sessions import OpenSession

CERTIFICATE_WARNING_DAYS = 14
"""A certificate closer than this to its end is shown as a warning."""


@dataclass(frozen=True)
class StatusReport:
    listeners: tuple[EnabledListener, ...]
    certificate: CertificateInfo | None
    certificate_days_left: int | None
    database_bytes: int
    disk_total: int
    disk_free: int


@dataclass(frozen=True)
class ServerStatus:
    """Where the admin overview reads the server's state from."""

    listeners: tuple[EnabledListener, ...]
    storage: Path
    certificate: Callable[[], CertificateInfo | None]
    """The certificate new handshakes present (it changes on SIGHUP)."""

    def report(self, now: float) -> StatusReport:
        certificate = self.certificate()
        days_left = None
        if certificate is not None:
            left = certificate.not_after - dt.datetime.fromtimestamp(now, dt.UTC)
            days_left = left.days
        database = sum(
            path.stat().st_size for path in self.storage.glob("mail.db*") if path.is_file()
        )
        try:
            disk = shutil.disk_usage(self.storage)
            total, free = disk.total, disk.free
        except OSError:
            total = free = 0
        return StatusReport(self.listeners, certificate, days_left, database, total, free)


@dataclass(frozen=True)
class Management:
    """The services behind ``/settings`` and ``/admin``."""

    directory: Directory
    spam: SpamFilter
    queue: OutboundQueue
    security_log: SecurityLog
    status: ServerStatus
    hostname: str
    """This server's host name: the MX of every domain served here."""


@dataclass(frozen=True)
class Notices:
    """The ``?done=`` values a group of pages shows a notice for (``prefix.done.value``);
    anything else in the query is ignored."""

    prefix: str
    keys: Collection[str]

    def key(self, request: Request) -> str | None:
        done = request.query_params.get("done")
        return f"{self.prefix}.done.{done}" if done in self.keys else None


def show_page(
    context: WebContext,
    request: Request,
    session: OpenSession,
    template: str,
    values: dict[str, Any],
    *,
    notices: Notices,
    status: int = 200,
    message_key: str | None = None,
    detail: str = "",
) -> Response:
    """A settings or admin page; ``message_key`` (with the directory's own words in
    ``detail``) says what went wrong, else a redirect's ``?done=`` what went right."""
    if message_key is None and status == 200:
        message_key = notices.key(request)
    return context.render(
        request,
        template,
        status=status,
        session=session,
        message_key=message_key,
        detail=detail,
        **values,
    )
