"""The delivery pipeline with inbound authentication (issue 7): which mail is checked, where
the header fields go, forged results removed, DMARC reject / quarantine, DNS trouble.

Real services on a temporary store; DNS from the static resolver the services hold.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from courriel.config import Config
from courriel.delivery.model import DeliveryReport, Envelope, Recipient, Refusal, Role
from courriel.directory.auth import Principal
from courriel.dns import StaticResolver
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.runtime.services import Services
from courriel.storage.records import Flag
from support.services import account_messages, temporary_services

HOST = "mail.example.test"
CLIENT = "192.0.2.10"
ZONES: dict[str, dict[str, list[str]]] = {
    "sender.example": {"TXT": [f"v=spf1 ip4:{CLIENT} -all"]},
    "_dmarc.sender.example": {"TXT": ["v=DMARC1; p=reject"]},
    "forged.example": {"TXT": ["v=spf1 -all"]},
    "_dmarc.forged.example": {"TXT": ["v=DMARC1; p=reject"]},
    "junk.example": {"TXT": ["v=spf1 -all"]},
    "_dmarc.junk.example": {"TXT": ["v=DMARC1; p=quarantine"]},
    "down.example": {"TEMPFAIL": []},
    "_dmarc.down.example": {"TXT": ["v=DMARC1; p=reject"]},
}
FORGED_RESULTS = (
    b"Authentication-Results: MAIL.example.test; dmarc=pass header.from=bank.example\r\n"
)


def with_hostname(config: Config) -> Config:
    return dataclasses.replace(config, server=dataclasses.replace(config.server, hostname=HOST))


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with temporary_services(tmp_path, configure=with_hostname) as opened:
        assert isinstance(opened.resolver, StaticResolver)
        opened.resolver.zones.update(ZONES)
        await opened.directory.add_domain("example.test", dkim=False)
        await opened.directory.add_account("bob@example.test", None)
        yield opened


def message(author: str, extra: bytes = b"") -> bytes:
    header = f"From: <someone@{author}>\r\nTo: bob@example.test\r\nSubject: hi\r\n"
    return extra + header.encode() + b"\r\nHello\r\n"


async def deliver(
    services: Services, raw: bytes, sender: str, *, principal: Principal | None = None
) -> tuple[DeliveryReport, list[tuple[str, bytes, int]]]:
    """Deliver to bob; return the report and (mailbox, content, flags) of what bob has."""
    recipient = await services.delivery.check_recipient(
        "bob@example.test", role=Role.MX, authenticated=False
    )
    assert isinstance(recipient, Recipient)
    envelope = Envelope(
        role=Role.MX if principal is None else Role.SUBMISSION,
        sender=sender,
        recipients=(recipient,),
        helo="out.sender.example",
        peer_ip=CLIENT,
        principal=principal,
        session_id="t1",
    )
    report = await services.delivery.deliver(envelope, raw)
    return report, await bobs_mail(services)


async def bobs_mail(services: Services) -> list[tuple[str, bytes, int]]:
    return await account_messages(services, "bob@example.test")


def field_names(raw: bytes) -> list[str]:
    end, _ = find_header_end(raw)
    return [field.name for field in split_header_fields(raw, 0, end)]


async def test_mail_from_another_server_is_checked_and_recorded(services: Services) -> None:
    report, stored = await deliver(
        services, message("sender.example", FORGED_RESULTS), "news@sender.example"
    )
    assert report.stored == ("bob@example.test",)
    [(mailbox, raw, _)] = stored
    assert mailbox == "INBOX"
    # RFC 5321 §4.4 Return-Path at final delivery; RFC 8601 §2.1 and RFC 7208 §9.1: our
    # results above our Received; the forged results under our name are gone (§5). The
    # spam filter's fields go right under Return-Path.
    assert field_names(raw) == [
        "Return-Path",
        "X-Spam-Score",
        "X-Spam-Status",
        "X-Spam-Report",
        "Authentication-Results",
        "Received-SPF",
        "Received",
        "From",
        "To",
        "Subject",
    ]
    assert raw.count(b"Authentication-Results:") == 1
    assert b"Authentication-Results: mail.example.test;\r\n spf=pass" in raw
    assert b"dmarc=pass" in raw and b"header.from=sender.example" in raw
    assert b"bank.example" not in raw


async def test_dmarc_reject_refuses_the_whole_message(services: Services) -> None:
    report, stored = await deliver(services, message("forged.example"), "ceo@forged.example")
    assert report.refused is Refusal.POLICY_REJECTED
    assert "forged.example" in report.explanation
    assert report.stored == () and report.queued == ()
    assert stored == []


async def test_dmarc_reject_may_be_configured_to_junk(services: Services) -> None:
    services.delivery.mailauth = dataclasses.replace(
        services.delivery.mailauth, dmarc_reject="quarantine"
    )
    report, stored = await deliver(services, message("forged.example"), "ceo@forged.example")
    assert report.refused is None
    assert [(mailbox, flags) for mailbox, _, flags in stored] == [("Junk", Flag.JUNK)]


async def test_dmarc_quarantine_goes_to_the_junk_mailbox_by_special_use(
    services: Services,
) -> None:
    account = await services.directory.get_account("bob@example.test")
    await services.mailstore.rename_mailbox(account.id, "Junk", "Spam")
    report, stored = await deliver(services, message("junk.example"), "x@junk.example")
    assert report.stored == ("bob@example.test",)
    [(mailbox, raw, flags)] = stored
    assert (mailbox, flags) == ("Spam", Flag.JUNK)  # RFC 5788 $Junk as well
    assert b"dmarc=fail" in raw

    # No Junk mailbox at all: INBOX, still flagged $Junk.
    await services.mailstore.delete_mailbox(account.id, "Spam")
    await deliver(services, message("junk.example"), "x@junk.example")
    assert ("INBOX", Flag.JUNK) in [
        (mailbox, flags) for mailbox, _, flags in await bobs_mail(services)
    ]


async def test_dns_trouble_still_delivers_with_temperror(services: Services) -> None:
    report, stored = await deliver(services, message("down.example"), "x@down.example")
    assert report.stored == ("bob@example.test",)
    [(mailbox, raw, flags)] = stored
    assert (mailbox, flags) == ("INBOX", 0)
    assert b"spf=temperror" in raw and b"dmarc=temperror" in raw


async def test_authenticated_submission_is_not_checked_but_forgeries_go(
    services: Services,
) -> None:
    bob = await services.directory.get_account("bob@example.test")
    principal = Principal(bob.id, "bob@example.test", "smtp", "password")
    raw = message("forged.example", FORGED_RESULTS)  # would fail DMARC if it were checked
    report, stored = await deliver(services, raw, "bob@example.test", principal=principal)
    assert report.stored == ("bob@example.test",)
    [(_, delivered, _)] = stored
    assert b"Authentication-Results" not in delivered
    assert b"Received-SPF" not in delivered
    assert isinstance(services.resolver, StaticResolver)
    assert services.resolver.queries == []


async def test_checks_can_be_turned_off(services: Services) -> None:
    services.delivery.mailauth = dataclasses.replace(services.delivery.mailauth, enabled=False)
    report, stored = await deliver(
        services, message("forged.example", FORGED_RESULTS), "ceo@forged.example"
    )
    assert report.stored == ("bob@example.test",)
    [(mailbox, raw, _)] = stored
    assert mailbox == "INBOX"
    assert b"Authentication-Results" not in raw  # ours not added, the forged one removed
