"""The settings pages of an account's mail: ``/settings/signature``, ``/settings/vacation``
and ``/settings/forwarding`` (issue 8, settings part 2).

Owns: showing and saving the signature (added by the compose form to new messages and
replies), the vacation auto-reply (on/off, subject, text, optional first and last day —
whole days in UTC, the last one included —, once per sender per N days; the replies
themselves follow RFC 3834 in ``delivery/vacation.py``) and forwarding (a target address,
keeping a copy or not). Every change is a POST with the session's CSRF token; a value that
cannot be saved shows the page again with a 400 naming the field.

Must not: reach storage other than through ``delivery.mail_settings.MailSettings``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from courriel.delivery.mail_settings import MAX_BODY, MAX_SIGNATURE, Invalid, MailSettings
from courriel.storage.records import MailSettingsRecord
from courriel.web.context import WebContext
from courriel.web.management import Notices, show_page
from courriel.web.sessions import OpenSession

DAY = 86400
SIGNATURE = "settings_signature.html"
VACATION = "settings_vacation.html"
FORWARDING = "settings_forwarding.html"
PATHS = {SIGNATURE: "signature", VACATION: "vacation", FORWARDING: "forwarding"}
"""Where each page is (``app.py`` routes them) and redirects after a save."""
NOTICES = Notices("mailsettings", {"saved"})


def day_of(timestamp: float) -> str:
    """``YYYY-MM-DD`` (UTC) for an ``<input type="date">``; empty for 0 (no limit)."""
    if not timestamp:
        return ""
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date().isoformat()


def parse_day(text: str, field: str, *, after: bool = False) -> float:
    """The start of the UTC day ``text`` names (the start of the next one with ``after``:
    the last day is included); 0 for an empty field; ``Invalid(field)`` otherwise."""
    text = text.strip()
    if not text:
        return 0.0
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(field) from None
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
    return start + DAY if after else start


def vacation_from(values: dict[str, str], current: MailSettingsRecord) -> MailSettingsRecord:
    try:
        interval = int(values.get("interval_days", "7").strip() or "7")
    except ValueError:
        raise Invalid("vacation_interval_days") from None
    return dataclasses.replace(
        current,
        vacation_enabled=values.get("enabled") == "on",
        vacation_subject=values.get("subject", ""),
        vacation_body=values.get("body", "").replace("\r\n", "\n")[: MAX_BODY + 1],
        vacation_start=parse_day(values.get("start", ""), "vacation_start"),
        vacation_end=parse_day(values.get("end", ""), "vacation_end", after=True),
        vacation_interval_days=interval,
    )


def signature_from(values: dict[str, str], current: MailSettingsRecord) -> MailSettingsRecord:
    text = values.get("signature", "").replace("\r\n", "\n")
    return dataclasses.replace(current, signature=text[: MAX_SIGNATURE + 1].rstrip())


def forwarding_from(values: dict[str, str], current: MailSettingsRecord) -> MailSettingsRecord:
    return dataclasses.replace(
        current,
        forward_to=values.get("forward_to", "")[:400],
        forward_keep_copy=values.get("keep_copy") == "on",
    )


FORMS: dict[str, Callable[[dict[str, str], MailSettingsRecord], MailSettingsRecord]] = {
    SIGNATURE: signature_from,
    VACATION: vacation_from,
    FORWARDING: forwarding_from,
}


SIGNATURE_SEPARATOR = "-- "
"""The signature separator line (RFC 3676 §4.3), added unless the signature has one."""


async def signed(settings: MailSettings | None, account_id: int, body: str) -> str:
    """``body`` of a new message or a reply, with the account's signature above it (so
    above a reply's quote): the compose form's starting text."""
    if settings is None:
        return body
    signature = (await settings.get(account_id)).signature.strip("\n")
    if not signature:
        return body
    if not signature.startswith(SIGNATURE_SEPARATOR + "\n"):
        signature = f"{SIGNATURE_SEPARATOR}\n{signature}"
    return f"\n\n{signature}\n" + body


class MailSettingsViews:
    def __init__(self, context: WebContext, settings: MailSettings) -> None:
        self.context = context
        self.settings = settings

    def _show(
        self,
        request: Request,
        session: OpenSession,
        template: str,
        record: MailSettingsRecord,
        *,
        status: int = 200,
        message_key: str | None = None,
    ) -> Response:
        values: dict[str, Any] = {
            "settings": record,
            "start_day": day_of(record.vacation_start),
            "end_day": day_of(record.vacation_end - DAY if record.vacation_end else 0),
        }
        return show_page(
            self.context,
            request,
            session,
            template,
            values,
            notices=NOTICES,
            status=status,
            message_key=message_key,
        )

    def page(self, template: str) -> Callable[[Request], Awaitable[Response]]:
        """The GET view of one of the three pages."""

        async def view(request: Request) -> Response:
            session = await self.context.require_session(request)
            if isinstance(session, Response):
                return session
            record = await self.settings.get(session.account.id)
            return self._show(request, session, template, record)

        return view

    def save(self, template: str) -> Callable[[Request], Awaitable[Response]]:
        """The POST view of one of the three pages."""

        async def view(request: Request) -> Response:
            session = await self.context.require_session(request)
            if isinstance(session, Response):
                return session
            values = await self.context.check_post(request, session.csrf)
            current = await self.settings.get(session.account.id)
            try:
                record = FORMS[template](values, current)
                await self.settings.save(session.account, record)
            except Invalid as error:
                shown = dataclasses.replace(current, **_echo(template, values))
                return self._show(
                    request,
                    session,
                    template,
                    shown,
                    status=400,
                    message_key=f"mailsettings.invalid.{error.field}",
                )
            return RedirectResponse(f"/settings/{PATHS[template]}?done=saved", status_code=303)

        return view


def _echo(template: str, values: dict[str, str]) -> dict[str, Any]:
    """What the user typed, shown back on a refused form (dates aside)."""
    if template == SIGNATURE:
        return {"signature": values.get("signature", "")[:MAX_SIGNATURE]}
    if template == FORWARDING:
        return {"forward_to": values.get("forward_to", "")[:400]}
    return {
        "vacation_subject": values.get("subject", "")[:400],
        "vacation_body": values.get("body", "")[:MAX_BODY],
    }
