"""The "Show original" pages through the app: the analysis page, the raw download, the 404 rule."""

from __future__ import annotations

from courriel.storage.records import Flag

from .conftest import ALICE, BOB, Web, login

HOST = "mail.example.test"  # the ``managed`` app's host name: our authserv-id

RAW = (
    b"Return-Path: <billing@phish.example>\r\n"
    b"Received: from smtp.phish.example (smtp.phish.example [203.0.113.9])\r\n"
    b"\tby mail.example.test with ESMTPS (TLSv1.3 TLS_AES_128_GCM_SHA256) id Q1\r\n"
    b"\tfor <alice@example.test>; Sun, 22 Nov 2026 10:00:03 +0000\r\n"
    b"Authentication-Results: mail.example.test; spf=pass smtp.mailfrom=phish.example;\r\n"
    b"\tdmarc=fail (p=reject) header.from=bank.example\r\n"
    b"Authentication-Results: bank.example; dmarc=pass header.from=bank.example\r\n"
    b"X-Spam-Score: 6.0\r\n"
    b"X-Spam-Status: Yes, score=6.0, required=5.0\r\n"
    b"X-Spam-Report: score=6.0, required=5.0, 1 rule fired\r\n"
    b"\t*   6.0 DMARC_FAIL_REJECT DMARC fails for bank.example\r\n"
    b"X-Virus-Scan: clean (clamd)\r\n"
    b"Received: from [10.0.0.2] by smtp.phish.example; Sun, 22 Nov 2026 10:00:01 +0000\r\n"
    b"From: Your Bank <security@bank.example>\r\n"
    b"To: alice@example.test\r\n"
    b"Subject: urgent\r\n"
    b"Content-Type: text/html\r\n"
    b"\r\n"
    b"<script>alert(1)</script><b>Pay now</b>\r\n"
)


async def test_page_shows_the_analysis_and_the_escaped_source(managed: Web) -> None:
    uid = await managed.deliver(ALICE, RAW)
    inbox = await managed.mailbox_id(ALICE)
    await login(managed.client)
    message = await managed.client.get(f"/mail/{inbox}/{uid}")
    assert f'href="/mail/{inbox}/{uid}/original"' in message.text

    page = await managed.client.get(
        f"/mail/{inbox}/{uid}/original", headers={"accept-language": "fr"}
    )
    assert page.status_code == 200
    assert "content-security-policy" in page.headers
    text = page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    assert "203.0.113.9" in text and "TLSv1.3 TLS_AES_128_GCM_SHA256" in text
    assert "notre serveur" in text and "+2 s" in text  # our hop, 2 s after the first
    assert "DMARC n’a pas réussi pour le domaine de l’expéditeur bank.example" in text
    assert "Return-Path : billing@phish.example" in text
    assert "DMARC_FAIL_REJECT" in text and "clean (clamd)" in text
    assert "1 champ(s) Authentication-Results" in text  # bank.example's claim, ignored
    assert 'class="result-pass">pass' in text  # our SPF line; bank's dmarc=pass is not ours
    assert text.count('class="result-pass"') == 1


async def test_raw_download_is_the_exact_bytes_as_text(managed: Web) -> None:
    uid = await managed.deliver(ALICE, RAW)
    inbox = await managed.mailbox_id(ALICE)
    await login(managed.client)
    raw = await managed.client.get(f"/mail/{inbox}/{uid}/original/raw")
    assert raw.status_code == 200
    assert raw.content == RAW
    assert raw.headers["content-type"].startswith("text/plain")
    assert raw.headers["content-disposition"].startswith("attachment;")
    assert raw.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert raw.headers["x-content-type-options"] == "nosniff"


async def test_other_accounts_and_missing_messages_answer_the_same_404(managed: Web) -> None:
    uid = await managed.deliver(BOB, RAW)
    bobs_inbox = await managed.mailbox_id(BOB)
    await login(managed.client)
    answers = [
        await managed.client.get(path)
        for path in (
            f"/mail/{bobs_inbox}/{uid}/original",
            f"/mail/{bobs_inbox}/{uid}/original/raw",
            f"/mail/{await managed.mailbox_id(ALICE)}/999/original",
            "/mail/999999/1/original/raw",
        )
    ]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.text for answer in answers}) == 1


async def test_needs_a_session_and_leaves_the_message_unread(managed: Web) -> None:
    uid = await managed.deliver(ALICE, RAW)
    inbox = await managed.mailbox_id(ALICE)
    anonymous = await managed.client.get(f"/mail/{inbox}/{uid}/original/raw")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
    await login(managed.client)
    assert (await managed.client.get(f"/mail/{inbox}/{uid}/original")).status_code == 200
    (record,) = await managed.services.mailstore.fetch(inbox, [uid])
    assert not record.flags & Flag.SEEN
