"""Outbound authentication in the delivery pipeline (issue 7): mail from submission is
DKIM-signed for its From domain, RSA and Ed25519 together, and the signed bytes reach both
the local mailboxes and the outbound queue; mail that an alias forwards outside is
ARC-sealed. Nothing is lost when signing or sealing cannot be done.

Real services on a temporary store; our key records and the senders' records are served by
the static resolver the services hold, and the signatures are checked with our verifier.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from courriel.config import Config
from courriel.delivery.model import DeliveryReport, Envelope, Recipient, Role
from courriel.directory.auth import Principal
from courriel.dns import StaticResolver
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.mailauth.arc import verify_arc
from courriel.mailauth.dkim import verify_dkim
from courriel.runtime.services import Services
from support.services import temporary_services

HOST = "mail.example.test"
CLIENT = "192.0.2.10"
SENDER_ZONES: dict[str, dict[str, list[str]]] = {
    "sender.example": {"TXT": [f"v=spf1 ip4:{CLIENT} -all"]},
    "_dmarc.sender.example": {"TXT": ["v=DMARC1; p=none"]},
    "x._domainkey.down.example": {"TEMPFAIL": []},
}
SUBMITTED = (
    b"From: Alice <alice@example.test>\r\n"
    b"To: bob@example.test, friend@elsewhere.test\r\n"
    b"Subject: signed\r\n"
    b"\r\n"
    b"Hello both.\r\n"
)


def with_hostname(config: Config) -> Config:
    return dataclasses.replace(config, server=dataclasses.replace(config.server, hostname=HOST))


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with temporary_services(tmp_path, configure=with_hostname) as opened:
        assert isinstance(opened.resolver, StaticResolver)
        opened.resolver.zones.update(SENDER_ZONES)
        await opened.directory.add_domain("example.test")
        await opened.directory.add_account("alice@example.test", None)
        await opened.directory.add_account("bob@example.test", None)
        await publish_keys(opened, "example.test")
        yield opened


async def publish_keys(services: Services, domain: str) -> None:
    """Our key records for ``domain``, as ``courriel dkim show`` prints them, in DNS."""
    assert isinstance(services.resolver, StaticResolver)
    for record in await services.directory.dkim_keys(domain):
        name = f"{record.selector}._domainkey.{record.domain}"
        services.resolver.zones[name] = {"TXT": [record.dns_record]}


async def recipients(services: Services, role: Role, *addresses: str) -> tuple[Recipient, ...]:
    found = []
    for address in addresses:
        recipient = await services.delivery.check_recipient(
            address, role=role, authenticated=role is Role.SUBMISSION
        )
        assert isinstance(recipient, Recipient), (address, recipient)
        found.append(recipient)
    return tuple(found)


async def submit(
    services: Services, raw: bytes, *, sender: str = "alice@example.test"
) -> DeliveryReport:
    """alice@example.test sends ``raw`` through submission to bob and an outside friend."""
    envelope = Envelope(
        role=Role.SUBMISSION,
        sender=sender,
        recipients=await recipients(
            services, Role.SUBMISSION, "bob@example.test", "friend@elsewhere.test"
        ),
        helo="laptop",
        peer_ip="127.0.0.1",
        principal=Principal(1, "alice@example.test", "smtp", "password"),
        session_id="s1",
    )
    return await services.delivery.deliver(envelope, raw)


async def receive(services: Services, raw: bytes, *addresses: str) -> DeliveryReport:
    """Another server hands ``raw`` to our MX for ``addresses``."""
    envelope = Envelope(
        role=Role.MX,
        sender="news@sender.example",
        recipients=await recipients(services, Role.MX, *addresses),
        helo="out.sender.example",
        peer_ip=CLIENT,
        session_id="m1",
    )
    return await services.delivery.deliver(envelope, raw)


async def inbox(services: Services, address: str) -> list[bytes]:
    account = await services.directory.get_account(address)
    mailbox = await services.mailstore.get_mailbox(account.id, "INBOX")
    _, metas = await services.mailstore.snapshot(mailbox.id)
    records = await services.mailstore.fetch(mailbox.id, [meta.uid for meta in metas])
    return [await services.mailstore.read_message(record) for record in records]


async def queued(services: Services) -> list[tuple[list[str], bytes]]:
    """(recipients, bytes) of every queued message, in queue order."""
    found = []
    for message, queued_recipients in await services.queue.list_messages():
        addresses = [recipient.address for recipient in queued_recipients]
        found.append((addresses, await services.queue.body(message)))
    return found


def fields(raw: bytes, name: str) -> list[bytes]:
    end, _ = find_header_end(raw)
    return [f.unfolded for f in split_header_fields(raw, 0, end) if f.lname == name.lower()]


def tags(value: bytes) -> dict[str, str]:
    pairs = (part.split(b"=", 1) for part in value.split(b";") if b"=" in part)
    return {name.strip().decode(): b"".join(rest.split()).decode() for name, rest in pairs}


# -- DKIM at submission --------------------------------------------------------------------------


async def test_submission_signs_the_copy_every_recipient_gets(services: Services) -> None:
    report = await submit(services, SUBMITTED)
    assert report.stored == ("bob@example.test",)
    assert report.queued == ("friend@elsewhere.test",)
    [stored] = await inbox(services, "bob@example.test")
    [(to, sent)] = await queued(services)
    assert to == ["friend@elsewhere.test"]
    # One message for both: the local copy is the queued one with Return-Path on top.
    assert stored == b"Return-Path: <alice@example.test>\r\n" + sent
    signatures = [tags(value) for value in fields(sent, "DKIM-Signature")]
    assert [(s["a"], s["d"]) for s in signatures] == [
        ("rsa-sha256", "example.test"),  # RFC 8463 §4: both algorithms, RSA for everyone
        ("ed25519-sha256", "example.test"),
    ]
    assert {s["s"] for s in signatures} == {
        record.selector for record in await services.directory.dkim_keys("example.test")
    }
    # Signed after Message-ID and Date were added (RFC 6409 §8.2-8.3), so they are covered.
    assert all("message-id" in s["h"] and "date" in s["h"] for s in signatures)
    for copy in (sent, stored):
        results = await verify_dkim(copy, services.resolver)
        assert [(r.result, r.property("header.a")) for r in results] == [
            ("pass", "rsa-sha256"),
            ("pass", "ed25519-sha256"),
        ]


async def test_signing_domain_follows_the_from_address(services: Services) -> None:
    await services.directory.add_domain("other.test")
    await services.directory.add_alias("alice@other.test", ["alice@example.test"])
    await services.directory.add_alias("boss@other.test", ["bob@example.test"])
    await publish_keys(services, "other.test")
    # RFC 6376 §3.5 / RFC 7489 §3.1.1: d= is the From domain when alice may use that address.
    await submit(services, SUBMITTED.replace(b"alice@example.test>", b"alice@other.test>"))
    # A From that is not alice's: we vouch only for her envelope domain, checked at MAIL.
    await submit(services, SUBMITTED.replace(b"alice@example.test>", b"boss@other.test>"))
    [(_, aligned), (_, unowned)] = await queued(services)
    assert {tags(v)["d"] for v in fields(aligned, "DKIM-Signature")} == {"other.test"}
    assert {tags(v)["d"] for v in fields(unowned, "DKIM-Signature")} == {"example.test"}
    for copy in (aligned, unowned):
        assert {r.result for r in await verify_dkim(copy, services.resolver)} == {"pass"}


async def test_a_domain_without_keys_sends_unsigned(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    await services.directory.add_domain("bare.test", dkim=False)
    await services.directory.add_account("carol@bare.test", None)
    raw = SUBMITTED.replace(b"alice@example.test", b"carol@bare.test")
    envelope = Envelope(
        role=Role.SUBMISSION,
        sender="carol@bare.test",
        recipients=await recipients(services, Role.SUBMISSION, "friend@elsewhere.test"),
        helo="laptop",
        peer_ip="127.0.0.1",
        principal=Principal(3, "carol@bare.test", "smtp", "password"),
        session_id="s2",
    )
    with caplog.at_level(logging.ERROR, logger="courriel.delivery"):
        report = await services.delivery.deliver(envelope, raw)
    assert report.queued == ("friend@elsewhere.test",)
    [(_, sent)] = await queued(services)
    assert b"Subject: signed" in sent and not fields(sent, "DKIM-Signature")
    assert "bare.test has no usable DKIM key" in caplog.text


async def test_a_broken_key_is_skipped_and_the_others_still_sign(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    await services.directory.repo.add_dkim_key(
        "example.test", "broken", "rsa", "-----BEGIN PRIVATE KEY-----\nnot a key\n", "v=DKIM1"
    )
    with caplog.at_level(logging.ERROR, logger="courriel.delivery"):
        report = await submit(services, SUBMITTED)
    assert report.stored == ("bob@example.test",) and report.queued == ("friend@elsewhere.test",)
    [(_, sent)] = await queued(services)
    selectors = [tags(value)["s"] for value in fields(sent, "DKIM-Signature")]
    assert len(selectors) == 2 and "broken" not in selectors
    assert "DKIM key broken of example.test cannot be used" in caplog.text


async def test_only_broken_keys_send_unsigned_to_everyone(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    for record in await services.directory.dkim_keys("example.test"):
        await services.directory.remove_dkim_key("example.test", record.selector)
    await services.directory.repo.add_dkim_key(
        "example.test", "broken", "ed25519", "garbage", "v=DKIM1"
    )
    with caplog.at_level(logging.ERROR, logger="courriel.delivery"):
        report = await submit(services, SUBMITTED)
    assert report.stored == ("bob@example.test",) and report.queued == ("friend@elsewhere.test",)
    [stored] = await inbox(services, "bob@example.test")
    [(_, sent)] = await queued(services)
    assert not fields(stored, "DKIM-Signature") and not fields(sent, "DKIM-Signature")
    assert b"Hello both." in stored and b"Hello both." in sent
    assert "example.test has no usable DKIM key" in caplog.text


async def test_a_message_the_signer_cannot_read_goes_out_unsigned(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    # A header line without a colon: dkimpy refuses to canonicalise such a header.
    raw = SUBMITTED.replace(b"Subject: signed\r\n", b"Subject: signed\r\nno colon here\r\n")
    with caplog.at_level(logging.ERROR, logger="courriel.delivery"):
        report = await submit(services, raw)
    assert report.queued == ("friend@elsewhere.test",)
    [(_, sent)] = await queued(services)
    assert not fields(sent, "DKIM-Signature")
    assert "cannot DKIM-sign for example.test" in caplog.text


async def test_mail_from_other_servers_is_not_dkim_signed(services: Services) -> None:
    await receive(
        services,
        b"From: <news@sender.example>\r\nSubject: news\r\n\r\nHello\r\n",
        "bob@example.test",
    )
    [stored] = await inbox(services, "bob@example.test")
    assert not fields(stored, "DKIM-Signature")


# -- ARC when forwarding ---------------------------------------------------------------------------

FORWARDED = (
    b"From: News <news@sender.example>\r\n"
    b"To: fwd@example.test\r\n"
    b"Subject: forwarded\r\n"
    b"Message-ID: <n1@sender.example>\r\n"
    b"\r\n"
    b"News of the day.\r\n"
)


async def test_forwarded_mail_is_arc_sealed(services: Services) -> None:
    await services.directory.add_alias(
        "fwd@example.test", ["friend@elsewhere.test", "bob@example.test"]
    )
    report = await receive(services, FORWARDED, "fwd@example.test")
    assert report.stored == ("fwd@example.test",) and report.queued == ("friend@elsewhere.test",)
    [(to, sent)] = await queued(services)
    assert to == ["friend@elsewhere.test"]
    end, _ = find_header_end(sent)
    names = [field.lname for field in split_header_fields(sent, 0, end)]
    # RFC 8617 §5.1: our ARC Set on top, above our Authentication-Results and Received.
    assert names[:5] == [
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "authentication-results",
        "received-spf",
    ]
    [seal] = [tags(value) for value in fields(sent, "ARC-Seal")]
    assert (seal["i"], seal["cv"], seal["a"], seal["d"]) == (
        "1",
        "none",
        "rsa-sha256",
        "example.test",
    )
    rsa_selector = next(
        record.selector
        for record in await services.directory.dkim_keys("example.test")
        if record.algorithm == "rsa"
    )
    assert seal["s"] == rsa_selector
    [aar] = fields(sent, "ARC-Authentication-Results")
    assert aar.startswith(b"i=1; mail.example.test;")
    assert b"spf=pass" in aar and b"arc=none" in aar  # our results of the message as received
    verdict = await verify_arc(sent, services.resolver)
    assert (verdict.result, verdict.properties) == ("pass", (("header.oldest-pass", "0"),))
    # The local copy is not forwarded: it carries no seal.
    [stored] = await inbox(services, "bob@example.test")
    assert not fields(stored, "ARC-Seal")


async def test_each_forwarding_domain_seals_its_own_copy(services: Services) -> None:
    await services.directory.add_domain("other.test")
    await publish_keys(services, "other.test")
    await services.directory.add_alias("fwd@example.test", ["friend@elsewhere.test"])
    await services.directory.add_alias("fwd@other.test", ["pal@elsewhere.test"])
    report = await receive(services, FORWARDED, "fwd@example.test", "fwd@other.test")
    assert set(report.queued) == {"friend@elsewhere.test", "pal@elsewhere.test"}
    sealers = {}
    for to, sent in await queued(services):
        [seal] = fields(sent, "ARC-Seal")
        sealers[tuple(to)] = tags(seal)["d"]
        assert (await verify_arc(sent, services.resolver)).result == "pass"
    assert sealers == {
        ("friend@elsewhere.test",): "example.test",
        ("pal@elsewhere.test",): "other.test",
    }


async def test_a_chain_in_doubt_is_forwarded_unsealed(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    await services.directory.add_alias("fwd@example.test", ["friend@elsewhere.test"])
    # An ARC Set whose key cannot be looked up now: the chain is temperror, which we must
    # not seal over (no verdict on DNS trouble), and the message must still go on.
    upstream = (
        b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=down.example; s=x; t=1700000000; b=AAAA\r\n"
        b"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=down.example; s=x;\r\n"
        b" h=from:subject; bh=AAAA; b=AAAA\r\n"
        b"ARC-Authentication-Results: i=1; mx.down.example; spf=pass\r\n"
    )
    with caplog.at_level(logging.WARNING, logger="courriel.delivery"):
        report = await receive(services, upstream + FORWARDED, "fwd@example.test")
    assert report.queued == ("friend@elsewhere.test",)
    [(_, sent)] = await queued(services)
    assert b"arc=temperror" in sent
    assert [tags(value)["d"] for value in fields(sent, "ARC-Seal")] == ["down.example"]
    assert "ARC chain is temperror: forwarded without our seal" in caplog.text


async def test_forwarding_without_a_usable_key_is_unsealed(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    await services.directory.add_domain("bare.test", dkim=False)
    await services.directory.add_alias("fwd@bare.test", ["friend@elsewhere.test"])
    with caplog.at_level(logging.ERROR, logger="courriel.delivery"):
        report = await receive(services, FORWARDED, "fwd@bare.test")
    assert report.queued == ("friend@elsewhere.test",)
    [(_, sent)] = await queued(services)
    assert not fields(sent, "ARC-Seal") and b"News of the day." in sent
    assert "bare.test has no usable RSA DKIM key" in caplog.text
