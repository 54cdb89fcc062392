"""Reading mail in the webmail: the list from ingest summaries, paging by UID, opening a
message (marked \\Seen through the mail store, so IMAP sees it), the sanitised HTML frame
under its own CSP, attachments as downloads, and the 404 for anyone else's mailbox or
message (no IDOR)."""

from __future__ import annotations

import base64

from courriel.storage.records import Flag
from courriel.web.messages import list_page

from .conftest import ALICE, BOB, Web, csrf_of, login

PLAIN = (
    b"From: Bob Example <bob@example.test>\r\nTo: alice@example.test\r\n"
    b"Subject: Lunch =?utf-8?q?=C3=A0?= noon\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
    b"Message-ID: <plain@example.test>\r\n\r\nSee you at <noon> & bring bread.\r\n"
)


def html_message(html: str, subject: str = "Newsletter") -> bytes:
    return (
        f"From: news@example.org\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n"
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain version\r\n"
        "--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"{html}\r\n--b1--\r\n"
    ).encode()


PDF = b"%PDF-1.4 fake pdf body \x00\x01\x02"
WITH_ATTACHMENT = (
    b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: Report\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m1\r\n\r\n"
    b"--m1\r\nContent-Type: text/plain\r\n\r\nThe report is attached.\r\n"
    b'--m1\r\nContent-Type: application/pdf; name="rapport =?utf-8?q?=C3=A9t=C3=A9?=.pdf"\r\n'
    b"Content-Disposition: attachment; filename*=utf-8''rapport%20%C3%A9t%C3%A9.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    + base64.encodebytes(PDF).replace(b"\n", b"\r\n")
    + b"--m1--\r\n"
)


async def logged_in(web: Web) -> None:
    assert (await login(web.client)).status_code == 303


async def test_the_list_shows_what_ingest_stored(web: Web) -> None:
    await web.deliver(ALICE, PLAIN)
    await web.deliver(ALICE, WITH_ATTACHMENT)
    await logged_in(web)
    page = await web.client.get("/", follow_redirects=True)
    assert page.status_code == 200
    text = page.text
    assert "Bob Example" in text
    assert "Lunch à noon" in text
    assert "See you at &lt;noon&gt; &amp; bring bread." in text  # the preview, escaped
    assert "Has attachments" in text  # the attachment icon's label, on the report only
    assert text.index("Report") < text.index("Lunch")  # newest first
    assert 'class="count"' in text  # the unread count in the folder list


async def test_pages_follow_uids_backwards(web: Web) -> None:
    for number in range(12):
        await web.deliver(ALICE, PLAIN.replace(b"Lunch", f"Message {number:02d}".encode()))
    mailbox = await web.services.mailstore.get_mailbox(await web.account_id(ALICE), "INBOX")
    store = web.services.mailstore
    first = await list_page(store, mailbox, None, 5)
    assert [row.subject[:10] for row in first.rows] == [
        f"Message {n:02d}" for n in (11, 10, 9, 8, 7)
    ]
    assert first.older == first.rows[-1].uid and first.total == 12
    # Mail arriving meanwhile does not shift the next page.
    await web.deliver(ALICE, PLAIN.replace(b"Lunch", b"Message 12"))
    second = await list_page(store, mailbox, first.older, 5)
    assert second.rows[0].subject.startswith("Message 06")
    last = await list_page(store, mailbox, second.older, 5)
    assert last.older is None
    assert [row.subject[:10] for row in last.rows] == ["Message 01", "Message 00"]
    await logged_in(web)
    older = await web.client.get(f"/mail/{mailbox.id}/?before={first.older}")
    assert "Message 06" in older.text and "Message 07" not in older.text
    assert (await web.client.get(f"/mail/{mailbox.id}/?before=x")).status_code == 200


async def test_opening_a_message_marks_it_seen_for_every_protocol(web: Web) -> None:
    uid = await web.deliver(ALICE, PLAIN)
    inbox = await web.mailbox_id(ALICE)
    subscription = web.services.bus.subscribe(await web.account_id(ALICE))
    await logged_in(web)
    page = await web.client.get(f"/mail/{inbox}/{uid}")
    assert page.status_code == 200
    assert "See you at &lt;noon&gt; &amp; bring bread." in page.text
    assert "<iframe" not in page.text  # plain text is shown in the page
    [record] = await web.services.mailstore.fetch(inbox, [uid])
    assert record.flags & Flag.SEEN
    change = await subscription.get(timeout=1)
    assert change is not None and change.kind == "flags" and change.uids == (uid,)
    subscription.close()
    # Mark it unread again: a POST with the session's CSRF token.
    unread = await web.client.post(f"/mail/{inbox}/{uid}/unread", data={"csrf": csrf_of(page)})
    assert unread.status_code == 303
    [record] = await web.services.mailstore.fetch(inbox, [uid])
    assert not record.flags & Flag.SEEN


async def test_no_state_change_without_a_valid_csrf_token(web: Web) -> None:
    uid = await web.deliver(ALICE, PLAIN)
    inbox = await web.mailbox_id(ALICE)
    await logged_in(web)
    page = await web.client.get(f"/mail/{inbox}/{uid}")  # marks it read
    for data in ({}, {"csrf": ""}, {"csrf": "x" * 43}, {"csrf": csrf_of(page) + "x"}):
        answer = await web.client.post(f"/mail/{inbox}/{uid}/unread", data=data)
        assert answer.status_code == 403, data
    [record] = await web.services.mailstore.fetch(inbox, [uid])
    assert record.flags & Flag.SEEN
    # A right token from another origin is refused too.
    cross = await web.client.post(
        f"/mail/{inbox}/{uid}/unread",
        data={"csrf": csrf_of(page)},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    for fetch_site in ("cross-site", "same-site"):
        refused = await web.client.post(
            f"/mail/{inbox}/{uid}/unread",
            data={"csrf": csrf_of(page)},
            headers={"sec-fetch-site": fetch_site, "origin": "null"},
        )
        assert refused.status_code == 403
    for path in ("/logout", "/account/sessions/logout-others"):
        assert (await web.client.post(path, data={"csrf": "nope"})).status_code == 403
    assert (await web.client.get("/", follow_redirects=True)).status_code == 200  # still in
    # GET never changes anything it is not meant to: no GET route for the POST paths.
    assert (await web.client.get(f"/mail/{inbox}/{uid}/unread")).status_code in (404, 405)


async def test_html_is_sanitised_in_a_sandboxed_frame_with_its_own_policy(web: Web) -> None:
    uid = await web.deliver(
        ALICE,
        html_message(
            '<p onclick="steal()">Hello <b>Alice</b></p><script>alert(1)</script>'
            '<img src="https://tracker.example/pixel.gif">'
            '<a href="javascript:alert(2)">click</a><a href="https://example.org/">site</a>'
        ),
    )
    inbox = await web.mailbox_id(ALICE)
    await logged_in(web)
    page = await web.client.get(f"/mail/{inbox}/{uid}")
    assert '<iframe class="body"' in page.text
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page.text
    assert "Remote images are blocked" in page.text
    # Our own scripts from /static only (app.js, actions.js), none from the message.
    scripts = page.text.lower().count("<script")
    assert scripts == page.text.count('<script src="/static/') >= 1
    assert "alert(" not in page.text and "tracker.example" not in page.text
    frame = await web.client.get(f"/mail/{inbox}/{uid}/body")
    assert frame.status_code == 200
    body = frame.text
    assert "<b>Alice</b>" in body
    for bad in ("onclick", "<script", "alert(1)", "javascript:", "tracker.example"):
        assert bad not in body, bad
    assert 'href="https://example.org/"' in body and 'rel="noopener noreferrer"' in body
    policy = frame.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "img-src data:;" in policy and "sandbox" in policy
    shown = await web.client.get(f"/mail/{inbox}/{uid}/body?images=1")
    assert "https://tracker.example/pixel.gif" in shown.text
    assert "img-src data: https: http:" in shown.headers["content-security-policy"]


async def test_attachments_are_downloads(web: Web) -> None:
    uid = await web.deliver(ALICE, WITH_ATTACHMENT)
    inbox = await web.mailbox_id(ALICE)
    await logged_in(web)
    page = await web.client.get(f"/mail/{inbox}/{uid}")
    assert "rapport été.pdf" in page.text
    assert f'href="/mail/{inbox}/{uid}/part/2"' in page.text
    assert "part/1" not in page.text  # the text shown is not offered as an attachment
    download = await web.client.get(f"/mail/{inbox}/{uid}/part/2")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''rapport%20%C3%A9t%C3%A9.pdf" in disposition
    assert (await web.client.get(f"/mail/{inbox}/{uid}/part/9")).status_code == 404
    assert (await web.client.get(f"/mail/{inbox}/{uid}/part/1.x")).status_code == 404


async def test_another_accounts_mail_is_not_found(web: Web) -> None:
    bobs_uid = await web.deliver(BOB, WITH_ATTACHMENT)
    bobs_inbox = await web.mailbox_id(BOB)
    await web.deliver(ALICE, PLAIN)
    await logged_in(web)
    missing = await web.client.get("/mail/999999/1")
    for path in (
        f"/mail/{bobs_inbox}/",
        f"/mail/{bobs_inbox}/{bobs_uid}",
        f"/mail/{bobs_inbox}/{bobs_uid}/body",
        f"/mail/{bobs_inbox}/{bobs_uid}/part/2",
    ):
        answer = await web.client.get(path)
        assert answer.status_code == 404, path
        assert answer.text == missing.text
    answer = await web.client.post(
        f"/mail/{bobs_inbox}/{bobs_uid}/unread",
        data={"csrf": csrf_of(await web.client.get("/", follow_redirects=True))},
    )
    assert answer.status_code == 404
    [record] = await web.services.mailstore.fetch(bobs_inbox, [bobs_uid])
    assert not record.flags & Flag.SEEN


async def test_pages_need_a_session(web: Web) -> None:
    uid = await web.deliver(ALICE, PLAIN)
    inbox = await web.mailbox_id(ALICE)
    for path in (
        "/",
        f"/mail/{inbox}/",
        f"/mail/{inbox}/{uid}",
        f"/mail/{inbox}/{uid}/body",
        "/account/sessions",
    ):
        answer = await web.client.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/login", path
    assert (await web.client.get("/events")).status_code == 401


async def test_security_headers_on_every_page(web: Web) -> None:
    pages = [
        await web.client.get("/login"),
        await web.client.get("/nowhere"),
        await web.client.get("/static/app.css"),
    ]
    await logged_in(web)
    pages.append(await web.client.get("/", follow_redirects=True))
    for page in pages:
        headers = page.headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["strict-transport-security"].startswith("max-age=")
    assert pages[1].status_code == 404


async def test_french_from_accept_language(web: Web) -> None:
    page = await web.client.get("/login", headers={"accept-language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert "Mot de passe" in page.text and 'lang="fr"' in page.text
    english = await web.client.get("/login", headers={"accept-language": "de, en;q=0.8"})
    assert "Password" in english.text


async def test_large_request_bodies_are_refused(web: Web) -> None:
    answer = await web.client.post("/login", content=b"a=" + b"x" * (2 * 1024 * 1024))
    assert answer.status_code == 413
    assert answer.headers["x-content-type-options"] == "nosniff"


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
RELATED = (
    b"From: news@example.org\r\nTo: alice@example.test\r\nSubject: With logo\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
    b"--r\r\nContent-Type: text/html\r\n\r\n"
    b'<p>Logo: <img src="cid:logo@example.org" alt="logo"><img src="cid:svg@x" alt="s"></p>\r\n'
    b"--r\r\nContent-Type: image/png\r\nContent-ID: <logo@example.org>\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(PNG) + b"\r\n"
    b"--r\r\nContent-Type: image/svg+xml\r\nContent-ID: <svg@x>\r\n\r\n"
    b"<svg onload=alert(1)></svg>\r\n--r--\r\n"
)


async def test_cid_images_are_embedded_as_data_urls(web: Web) -> None:
    uid = await web.deliver(ALICE, RELATED)
    inbox = await web.mailbox_id(ALICE)
    await logged_in(web)
    frame = await web.client.get(f"/mail/{inbox}/{uid}/body")
    expected = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert f'src="{expected}"' in frame.text
    assert "svg" not in frame.text.lower()  # an SVG image is never embedded
    assert "img-src data:;" in frame.headers["content-security-policy"]


async def test_unread_counts_for_the_live_folder_list(web: Web) -> None:
    await web.deliver(ALICE, PLAIN)
    await web.deliver(BOB, PLAIN)
    assert (await web.client.get("/mail/counts")).status_code == 401
    await logged_in(web)
    counts = (await web.client.get("/mail/counts")).json()
    inbox = await web.mailbox_id(ALICE)
    assert counts[str(inbox)] == 1
    assert str(await web.mailbox_id(BOB)) not in counts  # only the account's own mailboxes


async def test_pages_of_a_sparse_mailbox(web: Web) -> None:
    """After most messages were expunged, UIDs are far apart: the page is still right."""
    account = await web.account_id(ALICE)
    mailbox = await web.services.mailstore.get_mailbox(account, "INBOX")
    result = await web.services.mailstore.append(
        account,
        mailbox.id,
        [(PLAIN.replace(b"Lunch", f"M{n:03d}".encode()), [], None) for n in range(400)],
    )
    keep = {result.uids[n] for n in (0, 1, 2, 150, 399)}
    await web.services.mailstore.remove(
        account, mailbox.id, [uid for uid in result.uids if uid not in keep]
    )
    mailbox = await web.services.mailstore.get_mailbox(account, "INBOX")
    store = web.services.mailstore
    first = await list_page(store, mailbox, None, 2)
    assert [row.subject[:4] for row in first.rows] == ["M399", "M150"]
    assert first.total == 5
    second = await list_page(store, mailbox, first.older, 2)
    assert [row.subject[:4] for row in second.rows] == ["M002", "M001"]
    last = await list_page(store, mailbox, second.older, 2)
    assert [row.subject[:4] for row in last.rows] == ["M000"] and last.older is None
    assert (await list_page(store, mailbox, 1, 2)).rows == []
