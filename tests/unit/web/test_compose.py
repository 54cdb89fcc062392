"""Writing mail in the webmail: the message built from a form (headers, Bcc hidden,
attachments, reply threading, forward as message/rfc822), and the routes in-process —
sending through the submission pipeline to a local account, the Sent copy, drafts saved,
replaced and removed, errors shown on the form with what was typed, CSRF, and another
account's draft or message answering 404."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from email.message import EmailMessage

import httpx

from courriel.mail.address import Address
from courriel.mail.envelope import Envelope
from courriel.storage.records import Flag
from courriel.web.compose import (
    Composition,
    FilePart,
    Mailbox,
    build_message,
    parse_recipients,
    reply_recipients,
    reply_subject,
    reply_threading,
)

from .conftest import ALICE, BOB, PASSWORD, Web, csrf_of, login

CAROL = "carol@example.test"
ALICE_BOX = Mailbox("Alice Example", ALICE)


def parsed(raw: bytes) -> EmailMessage:
    """The stdlib's reading of a message: an independent check of what we wrote."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def build(composition: Composition, *, include_bcc: bool = False) -> bytes:
    return build_message(
        composition,
        message_id="<id1@example.test>",
        date=1_800_000_000.0,
        include_bcc=include_bcc,
    )


# -- the message ------------------------------------------------------------------------------


def test_headers_and_a_plain_body() -> None:
    raw = build(
        Composition(
            sender=Mailbox("Élise Dupont", ALICE),
            to=(Mailbox(None, BOB),),
            cc=(Mailbox("Doe, John", "john@example.org"),),
            subject="Déjeuner à midi ?",
            body="Bonjour Bob,\nà tout à l’heure.\n",
        )
    )
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF lines only
    assert raw.isascii()  # encoded words, quoted-printable
    message = parsed(raw)
    assert message["From"].addresses[0].display_name == "Élise Dupont"
    assert message["To"] == BOB
    assert message["Cc"].addresses[0].display_name == "Doe, John"
    assert message["Subject"] == "Déjeuner à midi ?"
    assert message["Message-ID"] == "<id1@example.test>"
    assert message["Date"] == "Fri, 15 Jan 2027 08:00:00 +0000"
    assert message.get_content_type() == "text/plain"
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert message.get_content() == "Bonjour Bob,\r\nà tout à l’heure.\r\n"


def test_bcc_only_in_drafts_and_the_sent_copy() -> None:
    composition = Composition(
        sender=ALICE_BOX, to=(Mailbox(None, BOB),), bcc=(Mailbox(None, CAROL),), body="hi"
    )
    sent = build(composition)
    assert b"Bcc" not in sent and CAROL.encode() not in sent
    assert parsed(build(composition, include_bcc=True))["Bcc"] == CAROL
    assert [m.address for m in composition.recipients] == [BOB, CAROL]


def test_attachments_make_a_multipart_mixed_message() -> None:
    data = bytes(range(256)) * 40
    raw = build(
        Composition(
            sender=ALICE_BOX,
            to=(Mailbox(None, BOB),),
            subject="Report",
            body="See attached.",
            attachments=(
                FilePart("rapport été.pdf", "application/pdf", data),
                FilePart("../../etc/notes.txt", "text/plain; charset=utf-8", b"line\r\n"),
            ),
        )
    )
    message = parsed(raw)
    assert message.get_content_type() == "multipart/mixed"
    text, pdf, notes = list(message.iter_parts())
    assert text.get_content() == "See attached.\r\n"
    assert pdf.get_filename() == "rapport été.pdf"  # RFC 2231 name
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content() == data
    assert notes.get_filename() == "notes.txt"  # no folders from the browser's name
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_forward_as_attachment_is_message_rfc822() -> None:
    original = b"From: bob@example.test\r\nSubject: Plans\r\n\r\nThe plan.\r\n"
    raw = build(
        Composition(
            sender=ALICE_BOX,
            to=(Mailbox(None, CAROL),),
            subject="Fwd: Plans",
            attachments=(FilePart("Plans.eml", "message/rfc822", original),),
        )
    )
    message = parsed(raw)
    attached = list(message.iter_parts())[1]
    assert attached.get_content_type() == "message/rfc822"
    assert attached["Content-Transfer-Encoding"] == "7bit"  # RFC 2046 §5.2.1: not base64
    inner = attached.get_content()
    assert inner["Subject"] == "Plans"
    assert original in raw  # carried byte for byte


def test_reply_threading_and_subject() -> None:
    in_reply_to, references = reply_threading("<c@x>", ("<a@x>", "<b@x>"), ())
    assert in_reply_to == ("<c@x>",)
    assert references == ("<a@x>", "<b@x>", "<c@x>")
    # Without References, the parent's In-Reply-To starts the chain (RFC 5322 §3.6.4).
    assert reply_threading("<c@x>", (), ("<b@x>",))[1] == ("<b@x>", "<c@x>")
    assert reply_subject("Lunch") == "Re: Lunch"
    assert reply_subject("RE: Lunch") == "RE: Lunch"
    raw = build(
        Composition(
            sender=ALICE_BOX,
            to=(Mailbox(None, BOB),),
            subject="Re: Lunch",
            in_reply_to=in_reply_to,
            references=references,
        )
    )
    message = parsed(raw)
    assert message["In-Reply-To"] == "<c@x>"
    assert message["References"] == "<a@x> <b@x> <c@x>"


def test_address_fields_as_typed() -> None:
    found = parse_recipients('"Doe, John" <john@example.org>; bob@example.test, nobody, x@y')
    assert [m.address for m in found.mailboxes] == ["john@example.org", BOB]
    assert found.mailboxes[0].name == "Doe, John"
    assert found.mailboxes[0].display() == '"Doe, John" <john@example.org>'
    assert found.invalid == ("nobody", "x@y")
    assert parse_recipients("bob@example.test, BOB@example.test").mailboxes == (
        Mailbox(None, BOB),
    )  # once each


def mailbox(address: str, name: str | None = None) -> Address:
    local, _, domain = address.partition("@")
    return Address(name, None, local, domain)


def envelope_of(sender: str, to: list[Address], cc: list[Address]) -> Envelope:
    """An ENVELOPE with these From, To and Cc, as ingest stores it."""
    return Envelope(None, "x", (mailbox(sender),), (), (), tuple(to), tuple(cc), (), None, None)


def test_reply_all_leaves_out_our_own_addresses() -> None:
    envelope = envelope_of(BOB, [mailbox(ALICE), mailbox("dan@example.org")], [mailbox(CAROL)])
    to, cc = reply_recipients(envelope, [ALICE], to_all=True)
    assert [m.address for m in to] == [BOB]
    assert [m.address for m in cc] == ["dan@example.org", CAROL]
    assert reply_recipients(envelope, [ALICE], to_all=False) == ((Mailbox(None, BOB),), ())


# -- the routes -------------------------------------------------------------------------------


async def compose_page(web: Web, path: str = "/compose") -> httpx.Response:
    page = await web.client.get(path)
    assert page.status_code == 200, page.text
    return page


async def post(
    web: Web,
    fields: dict[str, str | list[str]],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    *,
    csrf: str | None = None,
) -> httpx.Response:
    if csrf is None:
        csrf = csrf_of(await compose_page(web))
    data = {"csrf": csrf, "sender": ALICE, **fields}
    return await web.client.post("/compose", data=data, files=files or None)


async def messages(web: Web, address: str, name: str) -> list[tuple[bytes, int]]:
    """(bytes, flags) of every message in a mailbox, read through the mail store."""
    store = web.services.mailstore
    mailbox = await web.mailbox_id(address, name)
    _, metas = await store.snapshot(mailbox)
    records = await store.fetch(mailbox, [meta.uid for meta in metas])
    return [(await store.read_message(record), record.flags) for record in records]


async def test_sending_reaches_the_recipient_and_keeps_a_sent_copy(web: Web) -> None:
    await web.services.directory.add_account(CAROL, PASSWORD)
    await login(web.client)
    answer = await post(
        web,
        {
            "action": "send",
            "to": f"Bob <{BOB}>",
            "bcc": CAROL,
            "subject": "Hello from the web",
            "body": "Hi Bob!",
        },
        files=[("files", ("notes.txt", b"some notes\n", "text/plain"))],
    )
    assert answer.status_code == 303, answer.text
    sent_box = await web.mailbox_id(ALICE, "Sent")
    assert answer.headers["location"] == f"/mail/{sent_box}/"
    [(bob_copy, _)] = await messages(web, BOB, "INBOX")
    [(carol_copy, _)] = await messages(web, CAROL, "INBOX")
    for received in (bob_copy, carol_copy):
        message = parsed(received)
        assert message["Subject"] == "Hello from the web"
        assert message["Bcc"] is None and CAROL.encode() not in received.split(b"\r\n\r\n")[0]
        assert message["Received"] is not None  # through the pipeline
        attachment = next(message.iter_attachments())
        assert attachment.get_filename() == "notes.txt"
        assert attachment.get_content() == "some notes\n"
    [(sent, flags)] = await messages(web, ALICE, "Sent")
    assert flags & Flag.SEEN
    assert parsed(sent)["Bcc"] == CAROL  # the writer still sees whom it went to
    assert parsed(sent)["Message-ID"] == parsed(bob_copy)["Message-ID"]
    # Its recipients are now offered for completion, to Alice only.
    await web.services.delivery.wait_for_background()
    suggestions = (await web.client.get("/compose/addresses")).json()
    assert "Bob <bob@example.test>" in suggestions and CAROL in suggestions
    other = web.browser()
    await login(other, BOB)
    assert (await other.get("/compose/addresses")).json() == []
    assert (await web.browser().get("/compose/addresses")).status_code == 401


async def test_errors_are_shown_with_what_was_typed(web: Web) -> None:
    await login(web.client)
    answer = await post(
        web,
        {
            "action": "send",
            "to": "nobody@example.test, not an address",
            "cc": BOB,
            "subject": "Kept subject",
            "body": "Kept <body> text",
        },
    )
    assert answer.status_code == 400
    text = answer.text
    assert "There is no mailbox nobody@example.test here." in text
    assert "“not an address” is not a valid address." in text
    assert 'value="nobody@example.test, not an address"' in text
    assert 'value="Kept subject"' in text
    assert "Kept &lt;body&gt; text</textarea>" in text
    assert await messages(web, BOB, "INBOX") == []  # nothing sent to anyone
    # Without recipients; and from an address that is not ours.
    answer = await post(web, {"action": "send", "body": "x"})
    assert "Add at least one recipient." in answer.text
    answer = await post(web, {"action": "send", "to": BOB, "sender": BOB})
    assert "You may not send as bob@example.test." in answer.text


async def test_a_refused_send_keeps_uploaded_files_in_a_draft(web: Web) -> None:
    await login(web.client)
    answer = await post(
        web,
        {"action": "send", "to": "nobody@example.test, oops", "subject": "With file"},
        files=[("files", ("data.bin", b"\x00\x01payload", "application/octet-stream"))],
    )
    assert answer.status_code == 400
    [(draft, flags)] = await messages(web, ALICE, "Drafts")
    assert flags & Flag.DRAFT
    assert next(parsed(draft).iter_attachments()).get_content() == b"\x00\x01payload"
    assert 'name="keep" value="2" checked' in answer.text  # offered again, from the draft
    assert 'value="nobody@example.test, oops"' in answer.text  # as typed, not as saved


async def test_drafts_are_saved_replaced_and_removed_when_sent(web: Web) -> None:
    await login(web.client)
    answer = await post(
        web,
        {"action": "save", "to": BOB, "bcc": CAROL, "subject": "Draft one", "body": "first"},
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/compose/draft/\d+\?saved=1", location)
    page = await web.client.get(location)
    assert "Draft saved." in page.text
    assert 'value="Draft one"' in page.text and f'value="{CAROL}"' in page.text
    draft_uid = re.search(r'name="draft" value="(\d+)"', page.text)
    assert draft_uid is not None
    [(_, flags)] = await messages(web, ALICE, "Drafts")
    assert flags & Flag.DRAFT and flags & Flag.SEEN
    # Saving again (the script's periodic save) replaces the old copy.
    saved = await post(
        web,
        {"action": "autosave", "to": BOB, "subject": "Draft two", "draft": draft_uid.group(1)},
        csrf=csrf_of(page),
    )
    assert saved.status_code == 200
    new_uid = saved.json()["draft"]
    assert new_uid != draft_uid.group(1)
    [(draft, _)] = await messages(web, ALICE, "Drafts")
    assert parsed(draft)["Subject"] == "Draft two"
    # Sending it removes it from Drafts.
    sent = await post(web, {"action": "send", "to": BOB, "subject": "Final", "draft": new_uid})
    assert sent.status_code == 303
    assert await messages(web, ALICE, "Drafts") == []
    assert len(await messages(web, BOB, "INBOX")) == 1


async def test_reply_and_forward_start_from_the_message(web: Web) -> None:
    original = (
        b"From: Bob <bob@example.test>\r\nTo: alice@example.test, carol@example.test\r\n"
        b"Subject: Plans\r\nMessage-ID: <plans@example.test>\r\n"
        b"References: <older@example.test>\r\n\r\nShall we meet?\r\n"
    )
    uid = await web.deliver(ALICE, original)
    inbox = await web.mailbox_id(ALICE)
    await login(web.client)
    reply = await compose_page(web, f"/compose/reply-all/{inbox}/{uid}")
    text = reply.text
    assert 'value="Re: Plans"' in text
    assert 'value="Bob &lt;bob@example.test&gt;"' in text and f'value="{CAROL}"' in text
    assert 'name="in_reply_to" value="&lt;plans@example.test&gt;"' in text
    assert 'value="&lt;older@example.test&gt; &lt;plans@example.test&gt;"' in text
    assert "&gt; Shall we meet?" in text
    # Sent, the reply carries the threading fields and flags the original \Answered.
    answer = await post(
        web,
        {
            "action": "send",
            "to": BOB,
            "subject": "Re: Plans",
            "in_reply_to": "<plans@example.test>",
            "references": "<older@example.test> <plans@example.test>",
            "answered": f"{inbox}/{uid}",
        },
        csrf=csrf_of(reply),
    )
    assert answer.status_code == 303
    [(received, _)] = await messages(web, BOB, "INBOX")
    assert parsed(received)["In-Reply-To"] == "<plans@example.test>"
    assert parsed(received)["References"] == "<older@example.test> <plans@example.test>"
    [(_, flags)] = await messages(web, ALICE, "INBOX")
    assert flags & Flag.ANSWERED
    # Forwarded as an attachment: the original travels whole, as message/rfc822.
    forward = await compose_page(web, f"/compose/forward-attached/{inbox}/{uid}")
    assert 'name="keep" value="message" checked' in forward.text
    answer = await post(
        web,
        {
            "action": "send",
            "to": BOB,
            "subject": "Fwd: Plans",
            "source": f"{inbox}/{uid}",
            "keep": "message",
        },
        csrf=csrf_of(forward),
    )
    assert answer.status_code == 303
    forwarded = parsed((await messages(web, BOB, "INBOX"))[1][0])
    attached = next(forwarded.iter_attachments())
    assert attached.get_content_type() == "message/rfc822"
    assert attached.get_content()["Message-ID"] == "<plans@example.test>"


async def test_csrf_and_other_accounts_ids(web: Web) -> None:
    bob_uid = await web.deliver(BOB, b"From: x@example.org\r\nSubject: Bob's\r\n\r\nprivate\r\n")
    bob_inbox = await web.mailbox_id(BOB)
    bob_drafts = await web.mailbox_id(BOB, "Drafts")
    draft_uid = await web.deliver(BOB, b"Subject: Bob's draft\r\n\r\nsecret\r\n", "Drafts")
    assert (await web.client.get("/compose")).status_code == 303  # not logged in
    await login(web.client)
    page = await compose_page(web)
    refused = await web.client.post(
        "/compose", data={"action": "send", "to": BOB, "subject": "x", "csrf": "wrong"}
    )
    assert refused.status_code == 403
    refused = await web.client.post("/compose", data={"action": "send", "to": BOB})
    assert refused.status_code == 403
    assert await messages(web, BOB, "INBOX") != []  # only Bob's own message
    assert len(await messages(web, BOB, "INBOX")) == 1
    # Bob's draft, message and mailbox: the same 404 as ids that do not exist.
    for path in (
        f"/compose/draft/{draft_uid}",
        f"/compose/reply/{bob_inbox}/{bob_uid}",
        f"/compose/forward/{bob_drafts}/{draft_uid}",
        "/compose/reply/999/1",
        "/compose/sideways/1/1",
    ):
        assert (await web.client.get(path)).status_code == 404, path
    # Nor can a form name Bob's message as the source of its attachments.
    answer = await post(
        web,
        {"action": "send", "to": ALICE, "source": f"{bob_inbox}/{bob_uid}", "keep": "message"},
        csrf=csrf_of(page),
    )
    assert answer.status_code == 404
    assert await messages(web, ALICE, "INBOX") == []


async def test_send_as_an_alias(web: Web) -> None:
    await web.services.directory.add_alias("sales@example.test", [ALICE])
    await login(web.client)
    page = await compose_page(web)
    assert '<option value="sales@example.test"' in page.text
    answer = await post(
        web, {"action": "send", "sender": "sales@example.test", "to": BOB, "subject": "Offer"}
    )
    assert answer.status_code == 303
    [(received, _)] = await messages(web, BOB, "INBOX")
    assert parsed(received)["From"] == "sales@example.test"
    assert parsed(received)["Return-Path"] == "<sales@example.test>"


async def test_attachments_may_exceed_the_small_form_limit(web: Web) -> None:
    """``/compose`` takes the message size limit; every other form keeps 1 MiB."""
    await login(web.client)
    big = bytes(range(256)) * 8192  # 2 MiB
    answer = await post(
        web,
        {"action": "send", "to": BOB, "subject": "Big"},
        files=[("files", ("big.bin", big, "application/octet-stream"))],
    )
    assert answer.status_code == 303
    [(received, _)] = await messages(web, BOB, "INBOX")
    assert next(parsed(received).iter_attachments()).get_content() == big
    page = await compose_page(web)
    assert "Messages may be up to 50 MB, attachments included." in page.text
    refused = await web.client.post(
        "/mail/1/1/unread", content=b"x" * (2 * 1024 * 1024), headers={"csrf": csrf_of(page)}
    )
    assert refused.status_code == 413


async def test_a_full_mailbox_is_told_on_the_form(web: Web) -> None:
    await web.deliver(BOB, b"Subject: filler\r\n\r\n" + b"x" * 2000 + b"\r\n")
    await web.services.directory.set_quota(BOB, 1024)
    await login(web.client)
    answer = await post(web, {"action": "send", "to": BOB, "subject": "Too much"})
    assert answer.status_code == 400
    assert "The mailbox bob@example.test is full." in answer.text
    assert len(await messages(web, BOB, "INBOX")) == 1


async def test_french_form(web: Web) -> None:
    await login(web.client)
    page = await web.client.get("/compose", headers={"accept-language": "fr-FR,fr;q=0.9"})
    assert "Nouveau message" in page.text and "Enregistrer le brouillon" in page.text
    answer = await web.client.post(
        "/compose",
        data={"csrf": csrf_of(page), "action": "send", "to": "x"},
        headers={"accept-language": "fr"},
    )
    assert "« x » n’est pas une adresse valide." in answer.text


def test_a_reply_to_ones_own_message_goes_to_its_recipients() -> None:
    envelope = envelope_of(ALICE, [mailbox(BOB, "Bob")], [mailbox(CAROL)])
    assert reply_recipients(envelope, [ALICE], to_all=False) == ((Mailbox("Bob", BOB),), ())
    to, cc = reply_recipients(envelope, [ALICE], to_all=True)
    assert [m.address for m in to] == [BOB] and [m.address for m in cc] == [CAROL]


async def test_a_forwarded_message_survives_the_draft(web: Web) -> None:
    """Forward as attachment, saved as a draft, reopened and sent: the message/rfc822
    part is carried from the original to the draft, then from the draft."""
    uid = await web.deliver(ALICE, b"Message-ID: <orig@example.test>\r\nSubject: Orig\r\n\r\nx\r\n")
    inbox = await web.mailbox_id(ALICE)
    await login(web.client)
    page = await compose_page(web, f"/compose/forward-attached/{inbox}/{uid}")
    saved = await post(
        web,
        {"action": "autosave", "to": BOB, "source": f"{inbox}/{uid}", "keep": "message"},
        csrf=csrf_of(page),
    )
    answer = saved.json()
    assert [part["filename"] for part in answer["attachments"]] == ["Orig.eml"]
    section = answer["attachments"][0]["section"]
    reopened = await compose_page(web, f"/compose/draft/{answer['draft']}")
    assert f'name="keep" value="{section}" checked' in reopened.text
    sent = await post(
        web,
        {
            "action": "send",
            "to": BOB,
            "draft": answer["draft"],
            "source": answer["source"],
            "keep": section,
        },
        csrf=csrf_of(reopened),
    )
    assert sent.status_code == 303
    [(received, _)] = await messages(web, BOB, "INBOX")
    attached = next(parsed(received).iter_attachments())
    assert attached.get_content_type() == "message/rfc822"
    assert attached.get_content()["Message-ID"] == "<orig@example.test>"
    assert await messages(web, ALICE, "Drafts") == []


# -- rich text ----------------------------------------------------------------------------------


def alice_to_bob(body: str, html: str, attachments: tuple[FilePart, ...] = ()) -> bytes:
    composition = Composition(ALICE_BOX, to=(Mailbox(None, BOB),), subject="Rich")
    return build(replace(composition, body=body, html=html, attachments=attachments))


def test_rich_text_is_multipart_alternative() -> None:
    raw = alice_to_bob("Hello Bob, déjà vu\n", "<div>Hello <b>Bob</b>, déjà vu</div>")
    assert raw.isascii()
    message = parsed(raw)
    assert message.get_content_type() == "multipart/alternative"
    plain, rich = message.iter_parts()
    assert isinstance(plain, EmailMessage) and isinstance(rich, EmailMessage)
    assert plain.get_content_type() == "text/plain"  # RFC 2046 §5.1.4: the simplest first
    assert plain.get_content() == "Hello Bob, déjà vu\r\n"
    assert rich.get_content_type() == "text/html"
    assert rich.get_content_charset() == "utf-8"
    assert "<div>Hello <b>Bob</b>, déjà vu</div>" in rich.get_content()
    # With a file: multipart/mixed holding the alternative, then the file.
    raw = alice_to_bob("Hi\n", "<div><i>Hi</i></div>", (FilePart("a.txt", "text/plain", b"x"),))
    message = parsed(raw)
    assert message.get_content_type() == "multipart/mixed"
    kinds = [part.get_content_type() for part in message.walk()]
    assert kinds == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/plain",
    ]
    assert next(message.iter_attachments()).get_filename() == "a.txt"
    html_body = message.get_body(preferencelist=("html",))
    assert html_body is not None and "<i>Hi</i>" in html_body.get_content()


HOSTILE_EDITOR = (
    "<div>Dear <strong>Bob</strong></div>"
    "<script>alert('XSS-script')</script>"
    "<div onclick=\"alert('XSS-click')\">click</div>"
    "<img src=x onerror=\"alert('XSS-img')\">"
    "<a href=\"javascript:alert('XSS-link')\">link</a>"
)


def to_bob(action: str, subject: str, **fields: str) -> dict[str, str | list[str]]:
    """The form's fields for a message to Bob."""
    return {"action": action, "to": BOB, "subject": subject, **fields}


async def test_rich_text_sent_is_cleaned_on_the_server(web: Web) -> None:
    await login(web.client)
    typed = "the browser's text is not what is sent <script>"
    fields = to_bob("send", "Rich", format="html", body_html=HOSTILE_EDITOR, body=typed)
    answer = await post(web, fields)
    assert answer.status_code == 303, answer.text
    [(received, _)] = await messages(web, BOB, "INBOX")
    assert b"XSS" not in received and b"onclick" not in received and b"<script" not in received
    message = parsed(received)
    assert message.get_content_type() == "multipart/alternative"
    html_body = message.get_body(preferencelist=("html",))
    plain_body = message.get_body(preferencelist=("plain",))
    assert html_body is not None and plain_body is not None
    assert "<strong>Bob</strong>" in html_body.get_content()
    assert plain_body.get_content() == "Dear Bob\r\nclick\r\nlink\r\n"
    # Plain mode ignores whatever HTML the form carries.
    fields = to_bob("send", "Plain", format="plain", body="Hi", body_html="<b>no</b>")
    answer = await post(web, fields)
    assert answer.status_code == 303
    plain = parsed((await messages(web, BOB, "INBOX"))[1][0])
    assert plain.get_content_type() == "text/plain"


async def test_rich_drafts_and_refused_forms_keep_the_mode(web: Web) -> None:
    await login(web.client)
    saved = await post(web, to_bob("save", "Rich draft", format="html", body_html=HOSTILE_EDITOR))
    assert saved.status_code == 303
    page = await web.client.get(saved.headers["location"])
    assert 'name="format" value="plain" data-start="html"' in page.text
    assert "<div>Dear <strong>Bob</strong></div>" in page.text  # the editor's content
    assert "XSS" not in page.text and "onclick" not in page.text
    # The text box holds the words too: saved again without the editor's script (format
    # plain), the draft keeps them.
    textarea = re.search(r"<textarea[^>]*name=\"body\"[^>]*>(.*?)</textarea>", page.text, re.S)
    assert textarea is not None and "Dear Bob" in textarea[1]
    [(draft, _)] = await messages(web, ALICE, "Drafts")
    assert parsed(draft).get_content_type() == "multipart/alternative"
    # Refused (no recipient): the form again, the editor's HTML cleaned before it is shown.
    refused = await post(
        web, {"action": "send", "subject": "x", "format": "html", "body_html": HOSTILE_EDITOR}
    )
    assert refused.status_code == 400
    assert 'data-start="html"' in refused.text and "<strong>Bob</strong>" in refused.text
    assert "XSS" not in refused.text and "onclick" not in refused.text
    # A new form follows the writer's last choice (the script's), a plain draft stays plain.
    assert 'data-start=""' in (await compose_page(web)).text
    plain = await post(web, {"action": "save", "subject": "Plain draft", "body": "> quoted"})
    page = await web.client.get(plain.headers["location"])
    assert 'data-start="plain"' in page.text
    assert "<blockquote><div>quoted</div></blockquote>" in page.text


async def test_a_rich_reply_quotes_the_html_in_a_blockquote(web: Web) -> None:
    original = (
        b"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: Menu\r\n"
        b"Message-ID: <menu@example.test>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Soup <b>and</b> bread</p><script>alert('XSS')</script>"
        b'<p style="color:red" onclick="x()">Dessert</p>\r\n'
    )
    uid = await web.deliver(ALICE, original)
    await login(web.client)
    reply = await compose_page(web, f"/compose/reply/{await web.mailbox_id(ALICE)}/{uid}")
    editor = re.search(r'<div id="compose-editor"[^>]*>(.*?)</div>\s*<input', reply.text, re.S)
    assert editor is not None
    assert "wrote:</div><blockquote><p>Soup <b>and</b> bread</p><p>Dessert</p>" in editor[1]
    assert "XSS" not in reply.text and "onclick" not in reply.text
    # The plain mode's quote: the same lines, as text.
    assert "&gt; Soup and bread\n&gt; Dessert\n" in reply.text
    # A forward starts from the original's HTML too, under the forwarded header lines.
    forward = await compose_page(web, f"/compose/forward/{await web.mailbox_id(ALICE)}/{uid}")
    editor = re.search(r'<div id="compose-editor"[^>]*>(.*?)</div>\s*<input', forward.text, re.S)
    assert editor is not None
    assert "Menu</div>" in editor[1] or "Menu<br>" in editor[1]
    assert "<p>Soup <b>and</b> bread</p><p>Dessert</p>" in editor[1]
    assert "XSS" not in forward.text and "onclick" not in forward.text
