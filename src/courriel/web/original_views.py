"""The "Show original" pages: a message's raw source and where its header says it came from.

``GET /mail/{mailbox}/{uid}/original`` shows the analysis of ``headers_analysis`` (the
``Received:`` path, our own authentication results, the spam score and its rules, the
virus scan, warnings about the sender) and the raw source, escaped in a ``<pre>`` (never
rendered as HTML); ``GET /mail/{mailbox}/{uid}/original/raw`` downloads the exact stored
bytes as ``text/plain``, as an attachment under the attachment CSP.

Owns: these two routes. The mailbox is looked up among the logged-in account's own
(``MailViews._mailbox``): another account's id answers the same 404 as a missing one.

Must not: mark the message read, or show the source any other way than as text.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from courriel.mail.charset import decode_bytes
from courriel.storage.records import MailboxRecord, MessageRecord
from courriel.web.context import WebContext
from courriel.web.headers_analysis import analyze_headers
from courriel.web.mail_views import MailViews, content_disposition
from courriel.web.security import ATTACHMENT_POLICY
from courriel.web.sessions import OpenSession

MAX_SHOWN_SOURCE = 1024 * 1024
"""Bytes of the source shown on the page; a larger message is cut there (the download has
it all)."""


def format_delay(seconds: int, language: str) -> str:
    """``+0 s``, ``+42 s``, ``+3 min 5 s``, ``+2 h 10 min``, ``+3 d 4 h``; ``-12 s`` when the
    clocks of two hops disagree."""
    sign = "-" if seconds < 0 else "+"
    left = abs(seconds)
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    day = "j" if language == "fr" else "d"
    if days:
        text = f"{days} {day} {hours} h"
    elif hours:
        text = f"{hours} h {minutes} min"
    elif minutes:
        text = f"{minutes} min {secs} s"
    else:
        text = f"{secs} s"
    return sign + text


class OriginalViews:
    def __init__(self, context: WebContext, own_host: str) -> None:
        self.context = context
        self.own_host = own_host
        self.mail = MailViews(context)

    async def _find(
        self, request: Request
    ) -> tuple[OpenSession, list[MailboxRecord], MailboxRecord, MessageRecord] | Response:
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        mailboxes = await self.mail._mailboxes(session)
        mailbox = self.mail._mailbox(mailboxes, request)
        record = await self.mail._message(mailbox, request)
        return session, mailboxes, mailbox, record

    async def page(self, request: Request) -> Response:
        found = await self._find(request)
        if isinstance(found, Response):
            return found
        session, mailboxes, mailbox, record = found
        store = self.context.mailstore
        shown = await store.read_message(record, 0, min(record.size, MAX_SHOWN_SOURCE))
        # The header is at the start; read past the shown part only for a huge header.
        header = shown
        if record.size > MAX_SHOWN_SOURCE and b"\n\n" not in shown and b"\r\n\r\n" not in shown:
            header = await store.read_message(record)
        analysis = analyze_headers(header, self.own_host)
        return self.context.render(
            request,
            "original.html",
            session=session,
            mailboxes=mailboxes,
            mailbox=mailbox,
            record=record,
            analysis=analysis,
            source=decode_bytes(shown, "utf-8").replace("\x00", ""),
            cut=record.size > MAX_SHOWN_SOURCE,
            delay=lambda seconds: format_delay(seconds, self.context.language(request)),
        )

    async def raw(self, request: Request) -> Response:
        """The stored bytes, exactly, as a text/plain download."""
        found = await self._find(request)
        if isinstance(found, Response):
            return found
        _, _, _, record = found
        data = await self.context.mailstore.read_message(record)
        return Response(
            data,
            media_type="text/plain",
            headers={
                "content-disposition": content_disposition(f"message-{record.uid}.eml"),
                "content-security-policy": ATTACHMENT_POLICY,
                "cache-control": "private, no-store",
            },
        )
