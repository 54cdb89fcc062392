"""Vacation auto-replies and forwarding in delivery (issue 8, settings part 2), end to end:
a real SMTP listener on loopback driven by ``smtplib``; what is queued is read from the
outbound queue, what is stored from the store.

- A message to an account on vacation gets exactly one auto-reply to the envelope sender,
  queued with the null reverse-path (RFC 3834 §3.3), ``Auto-Submitted: auto-replied``,
  ``In-Reply-To``; a second message within the interval gets none.
- Forwarding queues a copy to the target (with or without a local copy), carrying
  ``Delivered-To``; a message already carrying it for the account is not forwarded again;
  a copy of mail from another server is ARC-sealed for the account's domain (RFC 8617 §5.1).
"""

from __future__ import annotations

import asyncio
import smtplib
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pytest

from courriel.delivery.mail_settings import Invalid
from courriel.runtime.services import Services
from courriel.storage.records import MailSettingsRecord
from support.mx import mx_listener
from support.services import account_messages, temporary_services


def message(subject: str, *, message_id: str = "<1@example.org>", extra: str = "") -> bytes:
    return (
        f"From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: {subject}\r\n"
        f"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\nMessage-ID: {message_id}\r\n{extra}"
        "\r\nHello Bob\r\n"
    ).encode()


def send(port: int, raw: bytes, sender: str = "alice@example.org") -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("client.example.org")
        client.mail(sender)
        code, text = client.rcpt("bob@example.test")
        assert code == 250, text
        return client.data(raw)


async def settle(services: Services) -> None:
    await services.delivery.wait_for_background()


async def queued(services: Services) -> list[tuple[str, list[str], bytes]]:
    found = []
    for item, recipients in await services.queue.list_messages():
        found.append(
            (item.sender, [r.address for r in recipients], await services.queue.body(item))
        )
    return found


async def configure(services: Services, **values: object) -> None:
    settings = services.delivery.mail_settings
    assert settings is not None
    bob = await services.directory.get_account("bob@example.test")
    await settings.save(bob, MailSettingsRecord(bob.id, **values))  # type: ignore[arg-type]


async def test_one_auto_reply_per_sender(services: Services, mx_port: int) -> None:
    await configure(services, vacation_enabled=True, vacation_body="Away until Monday.")
    code, _ = await asyncio.to_thread(send, mx_port, message("Lunch?"))
    assert code == 250
    await settle(services)
    replies = await queued(services)
    assert len(replies) == 1
    sender, recipients, raw = replies[0]
    assert (sender, recipients) == ("", ["alice@example.org"])  # RFC 3834 §3.3
    reply = BytesParser(policy=default).parsebytes(raw)
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["Subject"] == "Auto: Lunch?"
    assert reply["In-Reply-To"] == "<1@example.org>"
    assert reply["From"] == "bob@example.test"
    assert "Away until Monday." in reply.get_body().get_content()  # type: ignore[union-attr]
    code, _ = await asyncio.to_thread(send, mx_port, message("Again", message_id="<2@example.org>"))
    assert code == 250
    await settle(services)
    assert len(await queued(services)) == 1  # the same sender within 7 days: none
    assert len(await account_messages(services, "bob@example.test")) == 2


async def test_no_reply_to_lists_or_when_off(services: Services, mx_port: int) -> None:
    code, _ = await asyncio.to_thread(send, mx_port, message("Off"))
    await settle(services)
    assert await queued(services) == []
    await configure(services, vacation_enabled=True)
    list_mail = message("News", extra="List-Id: <news.example.org>\r\n")
    code, _ = await asyncio.to_thread(send, mx_port, list_mail)
    assert code == 250
    await asyncio.to_thread(send, mx_port, message("Bounce"), "")
    await settle(services)
    assert await queued(services) == []


async def test_forwarding_queues_a_copy(services: Services, mx_port: int) -> None:
    await configure(services, forward_to="bob@elsewhere.example", forward_keep_copy=False)
    code, _ = await asyncio.to_thread(send, mx_port, message("Fwd me"))
    assert code == 250
    copies = await queued(services)
    assert len(copies) == 1
    sender, recipients, raw = copies[0]
    assert (sender, recipients) == ("alice@example.org", ["bob@elsewhere.example"])
    assert b"Delivered-To: bob@example.test\r\n" in raw and b"Subject: Fwd me" in raw
    assert await account_messages(services, "bob@example.test") == []  # no copy kept
    # Back again (a loop through another server): kept here, not forwarded twice.
    looped = b"Delivered-To: bob@example.test\r\n" + message("Loop", message_id="<3@x>")
    code, _ = await asyncio.to_thread(send, mx_port, looped)
    assert code == 250
    assert len(await queued(services)) == 1
    assert len(await account_messages(services, "bob@example.test")) == 1


async def test_forwarding_with_a_copy_and_bad_targets(services: Services, mx_port: int) -> None:
    await configure(services, forward_to="bob@elsewhere.example")
    await asyncio.to_thread(send, mx_port, message("Both"))
    assert len(await queued(services)) == 1
    assert len(await account_messages(services, "bob@example.test")) == 1
    for target in ("not an address", "bob@example.test", "nobody@example.test"):
        with pytest.raises(Invalid):
            await configure(services, forward_to=target)


async def test_a_forwarded_copy_from_another_server_is_arc_sealed(tmp_path: Path) -> None:
    async with temporary_services(tmp_path / "data") as services:
        await services.directory.add_domain("example.test", dkim=True)
        await services.directory.add_account("bob@example.test", None)
        await configure(services, forward_to="bob@elsewhere.example")
        async with mx_listener(services, tmp_path) as port:
            code, _ = await asyncio.to_thread(send, port, message("Sealed"))
        assert code == 250
        [(sender, recipients, raw)] = await queued(services)
        assert (sender, recipients) == ("alice@example.org", ["bob@elsewhere.example"])
        assert raw.startswith(b"ARC-Seal: i=1;") and b"d=example.test" in raw.split(b"\r\n")[0]
