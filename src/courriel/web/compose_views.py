"""Writing mail in the webmail: the compose form, drafts, sending, address suggestions.

Owns: the pages and actions under ``/compose`` — a new message, a reply, a reply to all,
a forward (inline, or the original attached as message/rfc822), a draft reopened — and the
one POST that sends, saves a draft, or saves it automatically (``ACTIONS``), plus the JSON
list of past correspondents for address completion.

Sending takes the submission path of SMTP clients (RFC 6409): the sender is checked with
``DeliveryPipeline.check_sender`` (the account's address or one of its aliases), each
recipient with ``check_recipient`` in the SUBMISSION role, and the message goes to
``DeliveryPipeline.deliver`` with the account's principal, which adds the trace field,
DKIM-signs it, stores it for local recipients and queues it for the world (bounces come
back as DSNs). Bcc recipients are in the envelope only (RFC 5322 §3.6.3). The copy kept in
Sent (special use ``\\Sent``, RFC 6154) is marked ``\\Seen`` and keeps its Bcc field.
Drafts live in the Drafts mailbox (special use ``\\Drafts``) flagged ``\\Draft``: saving
again replaces the old copy, sending removes it.

Rich text: the script's editor posts ``format=html`` and its HTML (``body_html``); the HTML
is cleaned here, on the server (``rich_text.clean_composed_html``), and the plain-text
alternative derived from the clean HTML, whatever the browser sent as text. A draft written
in rich text reopens in rich text; every form also carries the editor's starting HTML (a
reply's quote as a blockquote), for when the writer switches to it.

Every mailbox and message is looked up among the logged-in account's own, so another
account's draft or message answers 404 like a missing one. A refused send re-renders the
form with what was typed; uploaded files are first kept in a draft, so nothing is lost.

Must not: build MIME itself (``web.compose``), or write to storage except through
``MailStore`` and the delivery pipeline.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from courriel.core.errors import CourrielError
from courriel.delivery.model import Envelope, Recipient, Refusal, Role
from courriel.delivery.pipeline import DeliveryPipeline
from courriel.directory.auth import Principal
from courriel.mail.compose import make_message_id
from courriel.mail.envelope import Envelope as MailEnvelope
from courriel.mail.summary import message_ids
from courriel.storage.records import MailboxRecord, MessageRecord
from courriel.web.compose import (
    MAX_RECIPIENTS,
    Composition,
    FilePart,
    Mailbox,
    bracketed,
    build_message,
    clean_content_type,
    form_message_ids,
    forward_subject,
    forwarded,
    mailboxes_of,
    parse_recipients,
    quoted,
    reply_recipients,
    reply_subject,
    reply_threading,
)
from courriel.web.context import (
    NotAllowed,
    NotFoundHere,
    WebContext,
    format_full_date,
    format_size,
    peer_ip,
)
from courriel.web.i18n import Translator
from courriel.web.mail_settings_views import signed
from courriel.web.mail_views import _ordered
from courriel.web.messages import find_attachment, open_message, part_bytes, part_text
from courriel.web.rich_text import (
    clean_composed_html,
    editor_markup,
    html_to_plain,
    quotable_html,
    quoted_html,
    text_to_html,
)
from courriel.web.security import same_origin
from courriel.web.sessions import OpenSession

log = logging.getLogger("courriel.web")

SENT = "\\Sent"
DRAFTS = "\\Drafts"
MAX_FILES = 20
"""Files one form may upload."""
MAX_TEXT_FIELD = 1024 * 1024
"""Characters of one text field (the body)."""
MAX_FIELDS = 60
MAX_SUGGESTIONS = 1000
"""Distinct correspondents offered for completion."""
SUGGESTION_MESSAGES = 500
"""Newest messages of Sent read for them."""
FORM_OVERHEAD = 256 * 1024
"""What the form's text fields may add to the largest message, for the request limit."""

RECIPIENT_ERRORS = {
    Refusal.INVALID: "compose.error.invalid",
    Refusal.UNKNOWN: "compose.error.unknown",
    Refusal.DISABLED: "compose.error.disabled",
    Refusal.OVER_QUOTA: "compose.error.over_quota",
    Refusal.RELAY_DENIED: "compose.error.refused_recipient",
    Refusal.TEMPORARY: "compose.error.temporary",
}
"""A recipient refused at check time or at delivery → the sentence the form shows."""
MESSAGE_ERRORS = {
    Refusal.VIRUS: "compose.error.virus",
    Refusal.SCAN_UNAVAILABLE: "compose.error.try_later",
    Refusal.POLICY_REJECTED: "compose.error.refused",
}


@dataclass(frozen=True)
class Sending:
    """What sending needs beyond the reading webmail: the submission pipeline and the
    message size limit (``limits.max_message_size``)."""

    delivery: DeliveryPipeline
    max_message_size: int

    @property
    def request_limit(self) -> int:
        """Largest compose request: the files of the largest message, and its fields."""
        return self.max_message_size + FORM_OVERHEAD


@dataclass(frozen=True)
class KeptPart:
    """An attachment already stored in a message of the account (the draft being edited,
    or the message forwarded), offered with a box to keep it."""

    section: str
    """The IMAP section, or ``"message"`` for the whole source message (forward attached)."""
    filename: str
    content_type: str
    size: int
    checked: bool = True


@dataclass
class ComposeForm:
    """What the form shows and sends back (every field a string, as typed)."""

    sender: str = ""
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    body_html: str = ""
    """The editor's HTML as posted (not clean yet), or its starting HTML."""
    format: str = ""
    """``"html"`` (rich text), ``"plain"``, or ``""`` for a new form: the writer's last
    choice then (the script remembers it)."""
    in_reply_to: str = ""
    references: str = ""
    draft: str = ""
    """UID of the draft this form edits, in the account's Drafts."""
    source: str = ""
    """``mailbox-id/uid`` of the message whose parts ``kept`` names."""
    answered: str = ""
    """``mailbox-id/uid`` to flag ``\\Answered`` once sent (a reply)."""
    kept: list[KeptPart] = field(default_factory=list)

    @classmethod
    def from_post(cls, form: FormData) -> ComposeForm:
        def text(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        return cls(
            sender=text("sender"),
            to=text("to"),
            cc=text("cc"),
            bcc=text("bcc"),
            subject=text("subject"),
            body=text("body"),
            body_html=text("body_html"),
            format="html" if text("format") == "html" else "plain",
            in_reply_to=text("in_reply_to"),
            references=text("references"),
            draft=text("draft"),
            source=text("source"),
            answered=text("answered"),
        )


def _ids(text: str) -> tuple[int, int] | None:
    """``"12/345"`` as (mailbox id, uid)."""
    mailbox, _, uid = text.partition("/")
    if not (mailbox.isdigit() and uid.isdigit() and len(mailbox) <= 12 and len(uid) <= 12):
        return None
    return int(mailbox), int(uid)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) <= 12 else None


class ComposeError(Exception):
    """The form cannot be sent as it is; ``messages`` say why (translated)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


Action = Callable[
    ["ComposeViews", Request, OpenSession, ComposeForm, FormData], Awaitable[Response]
]


class ComposeViews:
    def __init__(self, context: WebContext, sending: Sending) -> None:
        self.context = context
        self.sending = sending
        self.delivery = sending.delivery

    # -- lookups (the logged-in account's own only) ----------------------------------------

    async def _special(self, session: OpenSession, use: str) -> MailboxRecord | None:
        mailboxes = await self.context.mailstore.list_mailboxes(session.account.id)
        found = next((m for m in mailboxes if m.special_use == use), None)
        return found or next((m for m in mailboxes if m.name == use.lstrip("\\")), None)

    async def _record(self, session: OpenSession, mailbox_id: int, uid: int) -> MessageRecord:
        mailboxes = await self.context.mailstore.list_mailboxes(session.account.id)
        if not any(mailbox.id == mailbox_id for mailbox in mailboxes):
            raise NotFoundHere("mailbox")
        records = await self.context.mailstore.fetch(mailbox_id, [uid])
        if not records:
            raise NotFoundHere("message")
        return records[0]

    async def _senders(self, session: OpenSession) -> list[Mailbox]:
        """The account's address, then the aliases that deliver to it (RFC 6409 §8.1: what
        ``check_sender`` accepts)."""
        account = session.account
        name = account.display_name or None
        own = [Mailbox(name, account.address)]
        for alias in await self.delivery.directory.list_aliases():
            if not alias.address.startswith("@") and account.address in alias.targets:
                own.append(Mailbox(name, alias.address))
        return own

    # -- pages -------------------------------------------------------------------------------

    async def new(self, request: Request) -> Response:
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        to = request.query_params.get("to", "")[:2000]
        body = await signed(self.sending.delivery.mail_settings, session.account.id, "")
        form = ComposeForm(to=to, body=body, body_html=text_to_html(body))
        return await self._page(request, session, form)

    async def start_from(self, request: Request) -> Response:
        """A reply, reply-all or forward of one of the account's messages."""
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        mode = str(request.path_params.get("mode"))
        mailbox_id = _int(request.path_params.get("mailbox"))
        uid = _int(request.path_params.get("uid"))
        starter = STARTERS.get(mode)
        if starter is None or mailbox_id is None or uid is None:
            raise NotFoundHere("compose mode")
        record = await self._record(session, mailbox_id, uid)
        form = await starter(self, request, session, record)
        if mode.startswith("reply"):  # the signature above the quote (mail_settings_views)
            body = await signed(self.sending.delivery.mail_settings, session.account.id, form.body)
            signature = text_to_html(body.removesuffix(form.body))
            form = replace(form, body=body, body_html=signature + form.body_html)
        return await self._page(request, session, form)

    async def draft(self, request: Request) -> Response:
        """A draft of the account, to edit (saving replaces it)."""
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        drafts = await self._special(session, DRAFTS)
        uid = _int(request.path_params.get("uid"))
        if drafts is None or uid is None:
            raise NotFoundHere("draft")
        form = await self._form_of_draft(session, drafts, uid)
        return await self._page(request, session, form)

    async def _form_of_draft(
        self, session: OpenSession, drafts: MailboxRecord, uid: int
    ) -> ComposeForm:
        record = await self._record(session, drafts.id, uid)
        opened = open_message(record)
        envelope = opened.parsed.envelope
        texts = [p for p in opened.readable if p.subtype == "plain"]
        body = await part_text(self.context.mailstore, record, texts[0]) if texts else ""
        htmls = [p for p in opened.readable if p.subtype == "html"]
        rich = await part_text(self.context.mailstore, record, htmls[0]) if htmls else ""
        if rich and not body:
            # The reading view keeps only the HTML half of an alternative: the text box (and
            # a browser without the editor's script) must still hold the words.
            body = html_to_plain(rich)
        senders = mailboxes_of(envelope, "from")
        summary = record.summary
        return ComposeForm(
            sender=senders[0].address if senders else "",
            to=", ".join(m.display() for m in mailboxes_of(envelope, "to")),
            cc=", ".join(m.display() for m in mailboxes_of(envelope, "cc")),
            bcc=", ".join(m.display() for m in mailboxes_of(envelope, "bcc")),
            subject=summary.subject,
            body=body.replace("\r\n", "\n").rstrip("\n") + "\n" if body else "",
            body_html=clean_composed_html(rich) if rich else text_to_html(body),
            format="html" if rich else "plain",
            in_reply_to=" ".join(bracketed(message_ids(summary.in_reply_to))),
            references=" ".join(bracketed(summary.references)),
            draft=str(uid),
            source=f"{drafts.id}/{uid}",
            kept=[
                KeptPart(a.section, a.filename, a.content_type, a.size) for a in opened.attachments
            ],
        )

    async def _page(
        self,
        request: Request,
        session: OpenSession,
        form: ComposeForm,
        *,
        errors: list[str] | None = None,
        status: int = 200,
    ) -> Response:
        senders = await self._senders(session)
        if form.sender not in [s.address for s in senders]:
            form = replace(form, sender=senders[0].address)
        mailboxes = await self.context.mailstore.list_mailboxes(session.account.id)
        return self.context.render(
            request,
            "compose.html",
            status=status,
            session=session,
            mailboxes=_ordered(mailboxes),
            mailbox=None,
            form=form,
            senders=senders,
            errors=errors or [],
            # Cleaned here too: a refused form comes back with the HTML as posted.
            editor_html=editor_markup(form.body_html),
            max_size=self.sending.max_message_size,
            saved=request.query_params.get("saved") == "1" and not errors,
        )

    # -- starting points ---------------------------------------------------------------------

    async def reply(
        self, request: Request, session: OpenSession, record: MessageRecord, *, to_all: bool
    ) -> ComposeForm:
        t = Translator(self.context.language(request))
        opened = open_message(record)
        envelope = opened.parsed.envelope
        own = [mailbox.address for mailbox in await self._senders(session)]
        to, cc = reply_recipients(envelope, own, to_all=to_all)
        summary = record.summary
        in_reply_to, references = reply_threading(
            summary.message_id or None, summary.references, message_ids(summary.in_reply_to)
        )
        author = opened.addresses("from") or "?"
        intro = t(
            "compose.wrote",
            date=format_full_date(opened.date, t.language),
            author=author,
        )
        text = await self._plain_text(record)
        body_html = quoted_html(intro, await self._quotable_html(record, text))
        return ComposeForm(
            sender=self._own_recipient(envelope, own),
            to=", ".join(m.display() for m in to),
            cc=", ".join(m.display() for m in cc),
            subject=reply_subject(summary.subject),
            body=quoted(text, intro),
            body_html=body_html,
            in_reply_to=" ".join(in_reply_to),
            references=" ".join(references),
            answered=f"{record.mailbox_id}/{record.uid}",
        )

    @staticmethod
    def _own_recipient(envelope: MailEnvelope, own: list[str]) -> str:
        """The address of ours the message was sent to (an alias, say): the reply's From."""
        mine = {address.lower(): address for address in own}
        for which in ("to", "cc"):
            for mailbox in mailboxes_of(envelope, which):
                if mailbox.address.lower() in mine:
                    return mine[mailbox.address.lower()]
        return ""

    async def _plain_text(self, record: MessageRecord) -> str:
        """The message's text: its plain parts, or its HTML made text."""
        opened = open_message(record)
        pieces = []
        for part in opened.readable:
            text = await part_text(self.context.mailstore, record, part)
            pieces.append(html_to_plain(quotable_html(text)) if part.subtype == "html" else text)
        return "\n".join(pieces)

    async def _quotable_html(self, record: MessageRecord, text: str) -> str:
        """What a rich reply quotes: the message's HTML parts (cleaned to the editor's
        allow list), or else its ``text`` as editor HTML."""
        opened = open_message(record)
        htmls = [part for part in opened.readable if part.subtype == "html"]
        if not htmls:
            return text_to_html(text)
        pieces = [await part_text(self.context.mailstore, record, part) for part in htmls]
        return "".join(quotable_html(piece) for piece in pieces)

    async def forward(
        self, request: Request, session: OpenSession, record: MessageRecord, *, attached: bool
    ) -> ComposeForm:
        del session
        t = Translator(self.context.language(request))
        opened = open_message(record)
        subject = forward_subject(record.summary.subject)
        source = f"{record.mailbox_id}/{record.uid}"
        if attached:
            name = (record.summary.subject or "message").strip()[:80] + ".eml"
            kept = [KeptPart("message", name, "message/rfc822", record.size)]
            return ComposeForm(subject=subject, source=source, kept=kept)
        headers = [
            (t("message.from"), opened.addresses("from")),
            (t("message.date"), format_full_date(opened.date, t.language)),
            (t("list.subject"), opened.subject),
            (t("message.to"), opened.addresses("to")),
            (t("message.cc"), opened.addresses("cc")),
        ]
        text = await self._plain_text(record)
        intro = t("compose.forwarded")
        body = forwarded(text, intro, headers)
        # In rich mode: the same header lines, then the original's own HTML (cleaned).
        head = text_to_html(forwarded("", intro, headers).rstrip("\n"))
        kept = [KeptPart(a.section, a.filename, a.content_type, a.size) for a in opened.attachments]
        return ComposeForm(
            subject=subject,
            body=body,
            body_html=head + await self._quotable_html(record, text),
            source=source,
            kept=kept,
        )

    # -- the one POST ------------------------------------------------------------------------

    async def post(self, request: Request) -> Response:
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        if not same_origin(request.headers.items(), request.headers.get("host")):
            raise NotAllowed("cross-origin request")
        form = await request.form(
            max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_TEXT_FIELD
        )
        try:
            values = await self.context.check_post(request, session.csrf)  # the form, cached
            action = ACTIONS.get(values.get("action", ""))
            if action is None:
                raise NotFoundHere("compose action")
            return await action(self, request, session, ComposeForm.from_post(form), form)
        finally:
            await form.close()  # the uploaded files' temporary files

    async def _attachments(
        self, session: OpenSession, form: ComposeForm, post: FormData
    ) -> list[FilePart]:
        """The kept parts still ticked, then the uploaded files; within the size limit."""
        parts: list[FilePart] = []
        ticked = {value for value in post.getlist("keep") if isinstance(value, str)}
        source = _ids(form.source)
        if ticked and source is not None:
            record = await self._record(session, *source)
            if "message" in ticked:
                raw = await self.context.mailstore.read_message(record)
                name = (record.summary.subject or "message").strip()[:80] + ".eml"
                parts.append(FilePart(name, "message/rfc822", raw))
            opened = open_message(record)
            for item in opened.attachments:
                if item.section not in ticked:
                    continue
                part = find_attachment(opened, item.section)
                if part is not None:
                    data = await part_bytes(self.context.mailstore, record, part)
                    parts.append(FilePart(item.filename, item.content_type, data))
        for upload in post.getlist("files"):
            if isinstance(upload, UploadFile) and upload.filename:
                await upload.seek(0)  # read again when a refused send keeps a draft
                data = await upload.read()
                parts.append(
                    FilePart(upload.filename, clean_content_type(upload.content_type), data)
                )
        return parts

    def _too_large(self, parts: list[FilePart], body: str) -> bool:
        # base64 makes 3 octets 4 (and CRLF every 76): the message's size, near enough.
        size = sum(len(part.data) * 4 // 3 + len(part.data) // 38 for part in parts)
        return size + len(body.encode("utf-8", "replace")) > self.sending.max_message_size

    async def _composition(
        self,
        request: Request,
        session: OpenSession,
        form: ComposeForm,
        post: FormData,
        *,
        strict: bool,
    ) -> tuple[Composition, list[str]]:
        """The message the form describes, and what is wrong with it for sending (with
        ``strict``); a draft keeps what it can, only its size can stop it
        (``ComposeError``)."""
        t = Translator(self.context.language(request))
        errors: list[str] = []
        senders = {mailbox.address: mailbox for mailbox in await self._senders(session)}
        sender = senders.get(form.sender) or next(iter(senders.values()))
        if form.sender and form.sender not in senders:
            errors.append(t("compose.error.not_your_address", address=form.sender))
        fields = {}
        for name in ("to", "cc", "bcc"):
            parsed = parse_recipients(getattr(form, name))
            errors.extend(t("compose.error.invalid", address=piece) for piece in parsed.invalid)
            fields[name] = parsed.mailboxes
        attachments = await self._attachments(session, form, post)
        written = form.body + form.body_html
        if self._too_large(attachments, written):
            errors.append(t("compose.error.too_large", size=self._size(request)))
        html, body = "", form.body
        if form.format == "html":
            html = clean_composed_html(form.body_html)
            body = html_to_plain(html)  # the text alternative from the clean HTML only
        composition = Composition(
            sender=sender,
            to=fields["to"],
            cc=fields["cc"],
            bcc=fields["bcc"],
            subject=" ".join(form.subject.split())[:998],
            body=body,
            html=html,
            in_reply_to=form_message_ids(form.in_reply_to)[:1],
            references=form_message_ids(form.references),
            attachments=tuple(attachments),
        )
        if not strict:
            if self._too_large(attachments, written):
                raise ComposeError([t("compose.error.too_large", size=self._size(request))])
            return composition, []
        if not composition.recipients:
            errors.append(t("compose.error.no_recipient"))
        elif len(composition.recipients) > MAX_RECIPIENTS:
            errors.append(t("compose.error.too_many", count=MAX_RECIPIENTS))
        return composition, errors

    def _size(self, request: Request) -> str:
        return format_size(self.sending.max_message_size, self.context.language(request))

    async def send(
        self, request: Request, session: OpenSession, form: ComposeForm, post: FormData
    ) -> Response:
        t = Translator(self.context.language(request))
        composition, errors = await self._composition(request, session, form, post, strict=True)
        recipients = await self._checked_recipients(t, session, composition, errors)
        if errors:
            messages = list(dict.fromkeys(errors))  # a sender refused twice is told once
            return await self._refused(request, session, form, post, messages)
        now = self.context.clock.now()
        domain = composition.sender.address.rpartition("@")[2]
        message_id = make_message_id(domain)
        raw = build_message(composition, message_id=message_id, date=now, include_bcc=False)
        if len(raw) > self.sending.max_message_size:
            messages = [t("compose.error.too_large", size=self._size(request))]
            return await self._refused(request, session, form, post, messages)
        addresses = [composition.sender.address, *(r.address for r in recipients)]
        envelope = Envelope(
            role=Role.SUBMISSION,
            sender=composition.sender.address,
            recipients=tuple(recipients),
            helo="webmail",
            peer_ip=peer_ip(request),
            principal=Principal(
                session.account.id, session.account.address, protocol="web", method="password"
            ),
            smtputf8=not all(address.isascii() for address in addresses),
            body="7BIT" if raw.isascii() else "8BITMIME",
            session_id=f"web{message_id.strip('<>').partition('@')[0][:12]}",
        )
        report = await self.delivery.deliver(envelope, raw)
        if report.refused is not None:
            messages = [t(MESSAGE_ERRORS.get(report.refused, "compose.error.refused"))]
            return await self._refused(request, session, form, post, messages)
        if report.failed and not report.stored and not report.queued:
            messages = [
                t(RECIPIENT_ERRORS.get(refusal, "compose.error.temporary"), address=address)
                for address, refusal in report.failed.items()
            ]
            return await self._refused(request, session, form, post, messages)
        log.info(
            "web: %s sent %s: %d stored, %d queued, %d failed",
            session.account.address,
            message_id,
            len(report.stored),
            len(report.queued),
            len(report.failed),
        )
        sent = await self._keep_sent_copy(session, composition, message_id, now)
        await self._after_sending(session, form)
        return RedirectResponse(f"/mail/{sent.id}/" if sent is not None else "/", 303)

    async def _checked_recipients(
        self, t: Translator, session: OpenSession, composition: Composition, errors: list[str]
    ) -> list[Recipient]:
        """Each recipient as SMTP RCPT TO would check it (submission role), the sender as
        MAIL FROM would; every refusal is added to ``errors``."""
        refusal = await self.delivery.check_sender(
            session.account.address, composition.sender.address
        )
        if refusal is not None:
            errors.append(t("compose.error.not_your_address", address=composition.sender.address))
        accepted = []
        for mailbox in composition.recipients:
            verdict = await self.delivery.check_recipient(
                mailbox.address, role=Role.SUBMISSION, authenticated=True
            )
            if isinstance(verdict, Refusal):
                key = RECIPIENT_ERRORS.get(verdict, "compose.error.temporary")
                errors.append(t(key, address=mailbox.address))
            else:
                accepted.append(verdict)
        return accepted

    async def _keep_sent_copy(
        self, session: OpenSession, composition: Composition, message_id: str, now: float
    ) -> MailboxRecord | None:
        """The Sent copy, with its Bcc field, ``\\Seen``; the mail is sent already, so a
        failure here (over quota) is logged, not shown as a failed send."""
        sent = await self._special(session, SENT)
        if sent is None:
            return None
        copy = build_message(composition, message_id=message_id, date=now, include_bcc=True)
        try:
            await self.context.mailstore.append(
                session.account.id, sent.id, [(copy, ["\\Seen"], now)]
            )
        except CourrielError as error:
            log.warning("web: no Sent copy for %s: %s", session.account.address, error)
        return sent

    async def _after_sending(self, session: OpenSession, form: ComposeForm) -> None:
        """The draft sent is removed; the message replied to is flagged ``\\Answered``."""
        await self._remove_draft(session, form.draft)
        answered = _ids(form.answered)
        if answered is not None:
            try:
                record = await self._record(session, *answered)
            except NotFoundHere:
                return
            await self.context.mailstore.store_flags(
                session.account.id, record.mailbox_id, [record.uid], "add", ["\\Answered"]
            )

    async def _remove_draft(self, session: OpenSession, draft: str) -> None:
        uid = _int(draft)
        drafts = await self._special(session, DRAFTS)
        if uid is not None and drafts is not None:
            await self.context.mailstore.remove(session.account.id, drafts.id, [uid])

    async def _refused(
        self,
        request: Request,
        session: OpenSession,
        form: ComposeForm,
        post: FormData,
        messages: list[str],
    ) -> Response:
        """The form again with what was typed and why it was not sent. Uploaded files
        cannot be put back into a file input: they are kept in a draft first."""
        has_uploads = any(
            isinstance(item, UploadFile) and item.filename for item in post.getlist("files")
        )
        ticked = {value for value in post.getlist("keep") if isinstance(value, str)}
        if has_uploads:
            try:
                saved = await self._save_draft(request, session, form, post)
            except ComposeError as error:
                messages = messages + error.messages
            else:
                drafts = await self._special(session, DRAFTS)
                if drafts is not None:
                    draft = await self._form_of_draft(session, drafts, saved)
                    form = replace(form, draft=str(saved), source=draft.source, kept=draft.kept)
                    return await self._page(request, session, form, errors=messages, status=400)
        form = replace(form, kept=await self._kept_again(session, form, ticked))
        return await self._page(request, session, form, errors=messages, status=400)

    async def _kept_again(
        self, session: OpenSession, form: ComposeForm, ticked: set[str]
    ) -> list[KeptPart]:
        """The kept attachments of the form's source, ticked as they were."""
        source = _ids(form.source)
        if source is None:
            return []
        try:
            record = await self._record(session, *source)
        except NotFoundHere:
            return []
        kept = []
        if "message" in ticked:
            name = (record.summary.subject or "message").strip()[:80] + ".eml"
            kept.append(KeptPart("message", name, "message/rfc822", record.size))
        for item in open_message(record).attachments:
            part = KeptPart(item.section, item.filename, item.content_type, item.size)
            kept.append(replace(part, checked=item.section in ticked))
        return kept

    async def _save_draft(
        self, request: Request, session: OpenSession, form: ComposeForm, post: FormData
    ) -> int:
        """Append the draft (``\\Draft``, ``\\Seen``), then remove the copy it replaces;
        its new UID."""
        drafts = await self._special(session, DRAFTS)
        if drafts is None:
            raise ComposeError([Translator(self.context.language(request))("compose.no_drafts")])
        composition, _ = await self._composition(request, session, form, post, strict=False)
        now = self.context.clock.now()
        domain = composition.sender.address.rpartition("@")[2]
        raw = build_message(
            composition, message_id=make_message_id(domain), date=now, include_bcc=True
        )
        try:
            result = await self.context.mailstore.append(
                session.account.id, drafts.id, [(raw, ["\\Draft", "\\Seen"], now)]
            )
        except CourrielError as error:
            log.info("web: draft not saved for %s: %s", session.account.address, error)
            t = Translator(self.context.language(request))
            raise ComposeError([t("compose.error.draft_not_saved")]) from error
        if form.draft and form.draft != str(result.uids[0]):
            await self._remove_draft(session, form.draft)
        return result.uids[0]

    async def save(
        self, request: Request, session: OpenSession, form: ComposeForm, post: FormData
    ) -> Response:
        try:
            uid = await self._save_draft(request, session, form, post)
        except ComposeError as error:
            ticked = {value for value in post.getlist("keep") if isinstance(value, str)}
            form = replace(form, kept=await self._kept_again(session, form, ticked))
            return await self._page(request, session, form, errors=error.messages, status=400)
        return RedirectResponse(f"/compose/draft/{uid}?saved=1", status_code=303)

    async def autosave(
        self, request: Request, session: OpenSession, form: ComposeForm, post: FormData
    ) -> Response:
        """The script's periodic save: JSON with the new draft and its attachments (the
        form then names them, and forgets the files it uploaded)."""
        try:
            uid = await self._save_draft(request, session, form, post)
        except ComposeError as error:
            return JSONResponse({"errors": error.messages}, status_code=400)
        drafts = await self._special(session, DRAFTS)
        assert drafts is not None  # _save_draft found it
        saved = await self._form_of_draft(session, drafts, uid)
        return JSONResponse(
            {
                "draft": str(uid),
                "source": saved.source,
                "attachments": [
                    {"section": k.section, "filename": k.filename, "size": k.size}
                    for k in saved.kept
                ],
            }
        )

    # -- address completion -----------------------------------------------------------------

    async def addresses(self, request: Request) -> Response:
        """Past correspondents of the logged-in account (the recipients of its newest
        Sent messages), as JSON ``["Name <a@b>", ...]``, most recent first."""
        session = await self.context.session(request)
        if session is None:
            return Response(status_code=401)
        sent = await self._special(session, SENT)
        found: dict[str, str] = {}
        if sent is not None:
            _, metas = await self.context.mailstore.snapshot(sent.id)
            uids = [meta.uid for meta in metas[-SUGGESTION_MESSAGES:]]
            records = await self.context.mailstore.fetch(sent.id, uids)
            for record in reversed(records):
                summary = record.summary
                for text in (summary.to_text, summary.cc_text, summary.bcc_text):
                    for mailbox in parse_recipients(text).mailboxes:
                        found.setdefault(mailbox.address.lower(), mailbox.display())
                if len(found) >= MAX_SUGGESTIONS:
                    break
        return JSONResponse(list(found.values())[:MAX_SUGGESTIONS])


STARTERS: dict[str, Callable[..., Awaitable[ComposeForm]]] = {
    "reply": partial(ComposeViews.reply, to_all=False),
    "reply-all": partial(ComposeViews.reply, to_all=True),
    "forward": partial(ComposeViews.forward, attached=False),
    "forward-attached": partial(ComposeViews.forward, attached=True),
}
"""``/compose/{mode}/{mailbox}/{uid}``: how each way of answering a message starts."""

ACTIONS: dict[str, Action] = {
    "send": ComposeViews.send,
    "save": ComposeViews.save,
    "autosave": ComposeViews.autosave,
}
"""The submit buttons of the form (``action``), and the script's periodic save."""
