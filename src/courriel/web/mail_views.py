"""Reading mail in the webmail: folders, the message list, a message, its parts.

Owns: the pages and downloads under ``/mail/``. Every mailbox is looked up among the
logged-in account's own mailboxes (``_mailbox``), so another account's mailbox or message
id answers 404 exactly like one that does not exist (no IDOR). Opening a message marks it
``\\Seen`` through ``MailStore.store_flags``, which publishes the change: IMAP sessions
see it (RFC 9051 §6.4.5 treats a body FETCH the same way).

Remote images (issue 8): blocked until the reader asks, for one message ("Show images",
``?images=1``) or for every message of a sender ("Always show images from", POST
``.../images/always``), which ``remote_images.RemoteImages`` allows only for a sender whose
DMARC passed by our own results; such a message then shows its images directly.

Previews (issue 8): ``.../preview/{section}`` serves a PNG, JPEG, GIF or WebP attachment
as an image and a PDF for the browser's viewer, inline, only when the bytes start as the
type says, under a policy without scripts; every other type (SVG above all: it can carry
script) only ever as a download (``part``).

Must not: render untrusted HTML anywhere but the sandboxed frame (``body``), or send an
attachment inline other than as a checked preview.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from courriel.mail.part import Part
from courriel.mailstore.names import INBOX
from courriel.storage.records import Flag, MailboxRecord, MessageRecord
from courriel.web.context import NotFoundHere, WebContext
from courriel.web.messages import (
    OpenedMessage,
    find_attachment,
    inline_images,
    list_page,
    looks_like,
    open_message,
    part_bytes,
    part_text,
    preview_kind,
    safe_content_type,
)
from courriel.web.remote_images import RemoteImages, TooManySenders
from courriel.web.sanitize import (
    cid_references,
    embed_images,
    frame_document,
    plain_block,
    sanitize_html,
)
from courriel.web.security import ATTACHMENT_POLICY, message_frame_policy
from courriel.web.sessions import OpenSession

SPECIAL_ORDER = ("INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash")
IMAGE_PREVIEW_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
"""An image preview opened on its own: the browser's image page, nothing else."""
PDF_PREVIEW_POLICY = (
    "default-src 'none'; script-src 'none'; object-src 'self'; "
    "style-src 'unsafe-inline'; img-src 'self' data:; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; sandbox"
)
"""A PDF for the browser's own viewer (``object-src 'self'``: the viewer is a plugin to
the page): no script of the document's, no form, no framing, an opaque origin (``sandbox``:
Chromium's viewer still shows the PDF, checked by the browser test)."""


def _ordered(mailboxes: list[MailboxRecord]) -> list[MailboxRecord]:
    def key(mailbox: MailboxRecord) -> tuple[int, str]:
        if mailbox.name in SPECIAL_ORDER:
            return SPECIAL_ORDER.index(mailbox.name), ""
        return len(SPECIAL_ORDER), mailbox.name.lower()

    return sorted(mailboxes, key=key)


def _int(text: str | None) -> int | None:
    if text is None or not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the RFC 6266 / RFC 8187 UTF-8 name."""
    fallback = (
        "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename)
        or "attachment"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class MailViews:
    def __init__(self, context: WebContext, remote_images: RemoteImages | None = None) -> None:
        self.context = context
        self.remote_images = remote_images

    async def _session(self, request: Request) -> OpenSession | Response:
        return await self.context.require_session(request)

    async def _mailboxes(self, session: OpenSession) -> list[MailboxRecord]:
        return _ordered(await self.context.mailstore.list_mailboxes(session.account.id))

    @staticmethod
    def _mailbox(mailboxes: list[MailboxRecord], request: Request) -> MailboxRecord:
        wanted = _int(request.path_params.get("mailbox"))
        for mailbox in mailboxes:
            if mailbox.id == wanted:
                return mailbox
        raise NotFoundHere("mailbox")

    async def _message(self, mailbox: MailboxRecord, request: Request) -> MessageRecord:
        uid = _int(request.path_params.get("uid"))
        if uid is None:
            raise NotFoundHere("message")
        records = await self.context.mailstore.fetch(mailbox.id, [uid])
        if not records:
            raise NotFoundHere("message")
        return records[0]

    async def home(self, request: Request) -> Response:
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        mailboxes = await self._mailboxes(session)
        inbox = next((m for m in mailboxes if m.name == INBOX), None)
        if inbox is None:
            return self.context.render(
                request,
                "mailbox.html",
                session=session,
                mailboxes=mailboxes,
                mailbox=None,
                page=None,
            )
        return RedirectResponse(f"/mail/{inbox.id}/", status_code=303)

    async def mailbox(self, request: Request) -> Response:
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        mailboxes = await self._mailboxes(session)
        mailbox = self._mailbox(mailboxes, request)
        before = _int(request.query_params.get("before"))
        page = await list_page(self.context.mailstore, mailbox, before, self.context.page_size)
        return self.context.render(
            request,
            "mailbox.html",
            session=session,
            mailboxes=mailboxes,
            mailbox=mailbox,
            page=page,
            before=before,
        )

    async def message(self, request: Request) -> Response:
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        context = self.context
        mailboxes = await self._mailboxes(session)
        mailbox = self._mailbox(mailboxes, request)
        record = await self._message(mailbox, request)
        opened = open_message(record)
        if not record.flags & Flag.SEEN:
            await context.mailstore.store_flags(
                session.account.id, mailbox.id, [record.uid], "add", ["\\Seen"]
            )
            mailboxes = await self._mailboxes(session)  # the unread count changed
        texts: list[str] = []
        blocked = 0
        sender = None
        trusted = False
        if self.remote_images is not None and opened.has_html:
            sender = await self.remote_images.sender_of(context.mailstore, opened)
            trusted = await self.remote_images.trusted(session.account.id, sender)
        images = trusted or request.query_params.get("images") == "1"
        if opened.has_html:
            blocked = await self._blocked_images(opened, images)
        else:
            texts = [await part_text(context.mailstore, record, p) for p in opened.readable]
        return context.render(
            request,
            "message.html",
            session=session,
            mailboxes=mailboxes,
            mailbox=mailbox,
            message=opened,
            texts=texts,
            blocked_images=blocked,
            images=images,
            image_sender=sender,
            trusted_sender=trusted,
        )

    async def always_show_images(self, request: Request) -> Response:
        """Trust the message's sender for remote images, when DMARC verified it (else 404:
        the page never offers it)."""
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        await self.context.check_post(request, session.csrf)
        mailbox = self._mailbox(await self._mailboxes(session), request)
        opened = open_message(await self._message(mailbox, request))
        remote = self.remote_images
        sender = None if remote is None else await remote.sender_of(self.context.mailstore, opened)
        if remote is None or sender is None:
            raise NotFoundHere("verified sender")
        try:
            await remote.trust(session.account.id, sender)
        except TooManySenders:
            return self.context.error(request, 400, "message.too_many_image_senders")
        return RedirectResponse(f"/mail/{mailbox.id}/{opened.record.uid}", status_code=303)

    async def _blocked_images(self, opened: OpenedMessage, images: bool) -> int:
        if images:
            return 0
        blocked = 0
        for part in opened.readable:
            if part.subtype == "html":
                markup = await part_text(self.context.mailstore, opened.record, part)
                blocked += sanitize_html(markup, remote_images=False).blocked_images
        return blocked

    async def body(self, request: Request) -> Response:
        """The sanitised message for the sandboxed frame, under its own strict CSP."""
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        context = self.context
        mailbox = self._mailbox(await self._mailboxes(session), request)
        opened = open_message(await self._message(mailbox, request))
        images = request.query_params.get("images") == "1"
        pieces = []
        for part in opened.readable:
            text = await part_text(context.mailstore, opened.record, part)
            if part.subtype == "html":
                text = await self._with_inline_images(opened, text)
                pieces.append(sanitize_html(text, remote_images=images).markup)
            else:
                pieces.append(plain_block(text))
        document = frame_document(pieces, context.language(request))
        return Response(
            document,
            media_type="text/html; charset=utf-8",
            headers={
                "content-security-policy": message_frame_policy(remote_images=images),
                "x-frame-options": "SAMEORIGIN",
                "cache-control": "no-store",
            },
        )

    async def _with_inline_images(self, opened: OpenedMessage, markup: str) -> str:
        """The HTML with its ``cid:`` images embedded as ``data:`` URLs."""
        wanted = cid_references(markup)
        if not wanted:
            return markup
        found = inline_images(opened, wanted)
        images = {
            content_id: (
                part.content_type,
                await part_bytes(self.context.mailstore, opened.record, part),
            )
            for content_id, part in found.items()
        }
        return embed_images(markup, images)

    async def _attachment(self, request: Request) -> tuple[MessageRecord, Part, str] | Response:
        """The logged-in account's message part named by the path (``NotFoundHere`` for a
        part, message or mailbox it does not have) and its file name; or the login
        redirect."""
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        mailbox = self._mailbox(await self._mailboxes(session), request)
        opened = open_message(await self._message(mailbox, request))
        section = str(request.path_params.get("section", ""))
        part = find_attachment(opened, section)
        if part is None:
            raise NotFoundHere("part")
        name = part.filename or f"part-{section}"
        if part.is_message and not part.filename:
            name += ".eml"
        return opened.record, part, name

    async def part(self, request: Request) -> Response:
        """One attachment, always as a download."""
        found = await self._attachment(request)
        if isinstance(found, Response):
            return found
        record, part, name = found
        return Response(
            await part_bytes(self.context.mailstore, record, part),
            media_type=safe_content_type(part),
            headers={
                "content-disposition": content_disposition(name),
                "content-security-policy": ATTACHMENT_POLICY,
                "cache-control": "private, no-store",
            },
        )

    async def preview(self, request: Request) -> Response:
        """An image or PDF attachment shown by the browser; 404 for any other part, one
        whose bytes are not what its type says, or another account's ids."""
        found = await self._attachment(request)
        if isinstance(found, Response):
            return found
        record, part, name = found
        content_type = safe_content_type(part)
        kind = preview_kind(content_type, part.size)
        if kind is None:
            raise NotFoundHere("preview")
        data = await part_bytes(self.context.mailstore, record, part)
        if not looks_like(content_type, data):
            raise NotFoundHere("preview")
        return Response(
            data,
            media_type=content_type,
            headers={
                # RFC 6266 §4.2: "inline", with the same file name as the download.
                "content-disposition": "inline" + content_disposition(name)[len("attachment") :],
                "content-security-policy": (
                    IMAGE_PREVIEW_POLICY if kind == "image" else PDF_PREVIEW_POLICY
                ),
                "cache-control": "private, no-store",
            },
        )

    async def counts(self, request: Request) -> Response:
        """Unread counts by mailbox id, for the live folder list (``app.js``)."""
        session = await self.context.session(request)
        if session is None:
            return Response(status_code=401)
        mailboxes = await self.context.mailstore.list_mailboxes(session.account.id)
        return JSONResponse({str(box.id): box.unseen_count for box in mailboxes})

    async def mark_unread(self, request: Request) -> Response:
        session = await self._session(request)
        if isinstance(session, Response):
            return session
        await self.context.check_post(request, session.csrf)
        mailbox = self._mailbox(await self._mailboxes(session), request)
        record = await self._message(mailbox, request)
        await self.context.mailstore.store_flags(
            session.account.id, mailbox.id, [record.uid], "remove", ["\\Seen"]
        )
        return RedirectResponse(f"/mail/{mailbox.id}/", status_code=303)
