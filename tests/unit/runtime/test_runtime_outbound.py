"""A local recipient that fails at the end of DATA while others succeed gets its sender a
failure DSN (RFC 3464) in the sender's INBOX."""

from __future__ import annotations

from pathlib import Path

from courriel.delivery.model import Envelope, Recipient, Role
from courriel.mail.dsn import parse_dsn
from courriel.runtime.outbound import local_failure_handler
from support.services import temporary_services


async def test_partial_local_failure_sends_a_dsn_to_the_local_sender(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await services.directory.add_domain("example.test", dkim=False)
        alice = await services.directory.add_account("alice@example.test", None)
        bob = await services.directory.add_account("bob@example.test", None)
        carol = await services.directory.add_account("carol@example.test", None)
        await services.directory.set_quota("carol@example.test", 10)  # too small for any message
        services.delivery.on_failures = local_failure_handler(services)
        recipients = []
        for address in ("bob@example.test", "carol@example.test"):
            verdict = await services.delivery.check_recipient(
                address, role=Role.MX, authenticated=False
            )
            assert isinstance(verdict, Recipient)  # carol's quota is only enforced at DATA
            recipients.append(verdict)
        envelope = Envelope(
            role=Role.MX,
            sender="alice@example.test",
            recipients=tuple(recipients),
            helo="client.example.net",
            peer_ip="192.0.2.1",
            session_id="test1",
        )
        report = await services.delivery.deliver(
            envelope, b"Subject: partly delivered\r\n\r\nhello\r\n"
        )
        assert report.stored == ("bob@example.test",)
        assert list(report.failed) == ["carol@example.test"]
        assert (await services.mailstore.usage(bob.id)).message_count == 1
        assert (await services.mailstore.usage(carol.id)).message_count == 0
        inbox = await services.mailstore.get_mailbox(alice.id, "INBOX")
        _, metas = await services.mailstore.snapshot(inbox.id)
        [record] = await services.mailstore.fetch(inbox.id, [m.uid for m in metas])
        dsn = await services.mailstore.read_message(record)
        assert dsn.startswith(b"Return-Path: <>\r\n")
        fields = [f for f in parse_dsn(dsn) if "final-recipient" in f]
        assert [(f["final-recipient"], f["status"]) for f in fields] == [
            ("rfc822; carol@example.test", "5.2.2")
        ]
        assert b"From: " in dsn and b"postmaster@" in dsn
