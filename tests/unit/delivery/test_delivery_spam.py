"""The spam filter in delivery (issue 7): mail other servers send over SMTP is scored; a
reject is refused at the end of DATA, junk is filed into Junk, the rest into INBOX, each
with its ``X-Spam-*`` fields, and the fields a sender forged are gone. Submissions teach
the filter the sender's correspondents.

A real SMTP listener on loopback, driven by ``smtplib``; what Bob has is read from the store.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib

import pytest

from courriel.delivery.model import Envelope, Recipient, Role
from courriel.directory.auth import Principal
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.runtime.services import Services
from courriel.spam.rules import GTUBE
from courriel.storage.records import Flag
from support.services import account_messages

FORGED = b"X-Spam-Status: No, score=-100.0, required=5.0\r\nX-Spam-Score: -100.0\r\n"


def message(subject: str, text: str, *, sender: str = "Alice <alice@example.org>") -> bytes:
    return (
        f"From: {sender}\r\nTo: bob@example.test\r\nSubject: {subject}\r\n"
        "Date: Sat, 22 Nov 2025 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n"
        f"\r\n{text}\r\n"
    ).encode()


def send(port: int, raw: bytes) -> tuple[int, bytes]:
    """One message over SMTP: the reply to the end of DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.example.org")
        client.mail("alice@example.org")
        code, text = client.rcpt("bob@example.test")
        assert code == 250, text
        return client.data(raw)


async def bobs_mail(services: Services) -> list[tuple[str, bytes, int]]:
    return await account_messages(services, "bob@example.test")


def fields(raw: bytes) -> list[tuple[str, bytes]]:
    end, _ = find_header_end(raw)
    return [
        (field.name, raw[field.start : field.end].partition(b":")[2].strip())
        for field in split_header_fields(raw, 0, end)
    ]


async def test_gtube_is_refused_at_the_end_of_data(services: Services, mx_port: int) -> None:
    code, text = await asyncio.to_thread(send, mx_port, message("test", GTUBE))
    assert (code, text.split(b" ")[0]) == (550, b"5.7.1")
    assert b"GTUBE" in text and b"spam" in text
    assert await bobs_mail(services) == []


async def test_clean_mail_goes_to_inbox_with_its_score(services: Services, mx_port: int) -> None:
    code, _ = await asyncio.to_thread(
        send, mx_port, FORGED + message("Lunch", "Shall we meet at noon?")
    )
    assert code == 250
    [(mailbox, raw, flags)] = await bobs_mail(services)
    assert mailbox == "INBOX" and not flags & Flag.JUNK
    found = fields(raw)
    names = [name for name, _ in found]
    # Right under Return-Path, above this hop's Authentication-Results and Received.
    assert names[:4] == ["Return-Path", "X-Spam-Score", "X-Spam-Status", "X-Spam-Report"]
    assert names.index("X-Spam-Report") < names.index("Received")
    values = dict(found)
    assert values["X-Spam-Status"].startswith(b"No, score=")
    assert float(values["X-Spam-Score"]) < 5.0
    # The sender's own fields are gone: exactly one of each, ours.
    assert names.count("X-Spam-Status") == 1 and names.count("X-Spam-Score") == 1
    assert b"-100.0" not in raw


async def test_likely_spam_goes_to_junk(services: Services, mx_port: int) -> None:
    # A display name showing another address (2.5), a capitals subject (1.0), an
    # executable attachment (4.0): between the junk (5) and reject (15) thresholds.
    raw = (
        b'From: "support@bank.example" <alice@example.org>\r\nTo: bob@example.test\r\n'
        b"Subject: URGENT ACCOUNT NOTICE\r\nDate: Sat, 22 Nov 2025 10:00:00 +0000\r\n"
        b"Message-ID: <2@example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="invoice.exe"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--b--\r\n"
    )
    code, _ = await asyncio.to_thread(send, mx_port, FORGED + raw)
    assert code == 250
    [(mailbox, stored, flags)] = await bobs_mail(services)
    assert mailbox == "Junk" and flags & Flag.JUNK
    values = dict(fields(stored))
    assert values["X-Spam-Status"].startswith(b"Yes, score=")
    assert 5.0 <= float(values["X-Spam-Score"]) < 15.0
    assert b"EXECUTABLE_ATTACHMENT" in values["X-Spam-Report"]
    assert b"-100.0" not in stored


async def test_a_scoring_failure_delivers_without_fields(services: Services) -> None:
    class Broken(Exception):
        pass

    async def broken_check(*args: object, **kwargs: object) -> None:
        raise Broken

    services.spam.check = broken_check  # type: ignore[assignment,method-assign]
    recipient = await services.delivery.check_recipient(
        "bob@example.test", role=Role.MX, authenticated=False
    )
    assert isinstance(recipient, Recipient)
    envelope = Envelope(Role.MX, "alice@example.org", (recipient,), "mx.example.org", "192.0.2.1")
    report = await services.delivery.deliver(envelope, FORGED + message("Hi", "Hello"))
    assert report.stored == ("bob@example.test",)
    [(mailbox, raw, _)] = await bobs_mail(services)
    assert mailbox == "INBOX"
    assert b"X-Spam-" not in raw  # neither ours nor the forged ones


async def test_submission_records_the_correspondents(services: Services) -> None:
    bob = await services.directory.get_account("bob@example.test")
    recipients = []
    for address in ("carol@example.org", "dave@example.net"):
        checked = await services.delivery.check_recipient(
            address, role=Role.SUBMISSION, authenticated=True
        )
        assert isinstance(checked, Recipient)
        recipients.append(checked)
    envelope = Envelope(
        Role.SUBMISSION,
        "bob@example.test",
        tuple(recipients),
        "laptop",
        "192.0.2.7",
        principal=Principal(bob.id, "bob@example.test", "submission", "password"),
    )
    raw = message("Hello", "Hi both", sender="Bob <bob@example.test>")
    report = await services.delivery.deliver(envelope, raw)
    assert set(report.queued) == {"carol@example.org", "dave@example.net"}
    await services.delivery.wait_for_background()
    known = await services.spam.repo.known_correspondents(
        bob.id, ["carol@example.org", "dave@example.net", "eve@example.org"]
    )
    assert known == {"carol@example.org", "dave@example.net"}


async def test_one_log_line_per_message_says_what_the_checks_found(
    services: Services, mx_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    code, _ = await asyncio.to_thread(send, mx_port, message("test", GTUBE))
    assert code == 550
    code, _ = await asyncio.to_thread(send, mx_port, message("Lunch", "Shall we meet at noon?"))
    assert code == 250
    lines = [record.getMessage() for record in caplog.records]
    checked = [line for line in lines if "spam score" in line]
    # The refused message and the stored one: each one line, written by the SMTP server,
    # with the inbound checks' results and the filter's score, action and rules.
    assert len(checked) == 2, lines
    refused, stored = checked
    assert "0 stored" in refused and "refused (policy-rejected)" in refused
    assert "spam score 1002.0 for account 1: reject (GTUBE=1000" in refused
    assert "1 stored" in stored and "for account 1: headers (" in stored
    # The inbound checks ran (a static resolver): their results are on the same line.
    assert all("spf=none" in line and "-> deliver (DMARC:" in line for line in checked)
