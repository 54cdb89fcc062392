"""Outbound authentication end to end (issue 7): a real ``courriel serve`` signs what a user
sends through submission and seals what an alias forwards outside.

The outside world is an aiosmtpd server on loopback, which the queue reaches through the
static DNS of ``--dev`` (``elsewhere.test`` has its MX on 127.0.0.1). What it receives is
checked by independent verifiers: OpenDKIM's ``opendkim-testmsg`` for the DKIM signatures
(each of the RSA and Ed25519 signatures alone, then together), serving exactly the records
``courriel dkim show`` prints, and the ARC chain with our ``verify_arc`` over a resolver
serving the same records.
"""

from __future__ import annotations

import asyncio
import smtplib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from courriel.dns import StaticResolver
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.mailauth.arc import verify_arc
from support.opendkim import SKIP_REASON, opendkim_available, opendkim_verify, zone_records
from support.server_process import PASSWORD, courriel, free_port, inbox, init_data, running_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not opendkim_available(), reason=SKIP_REASON),
]

ZONES = """
[zones."elsewhere.test"]
MX = ["10 mx.elsewhere.test"]
[zones."mx.elsewhere.test"]
A = ["127.0.0.1"]
[zones."sender.example"]
TXT = ["v=spf1 ip4:127.0.0.1 -all"]
"""


class OutsideServer:
    """aiosmtpd handler: every message it accepts, as (recipients, bytes)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 2.0.0 accepted"

    def message_for(self, address: str) -> bytes | None:
        return next((raw for to, raw in self.received if address in to), None)


@contextmanager
def outside_server() -> Iterator[tuple[OutsideServer, int]]:
    handler = OutsideServer()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def wait_for(found: Callable[[], bytes | None], what: str, timeout: float = 60.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def header_fields(raw: bytes) -> list[tuple[str, bytes]]:
    end, _ = find_header_end(raw)
    return [
        (field.lname, raw[field.start : field.end]) for field in split_header_fields(raw, 0, end)
    ]


def with_only_signature(raw: bytes, keep: bytes) -> bytes:
    """``raw`` without its DKIM-Signature fields other than ``keep``."""
    for name, field in header_fields(raw):
        if name == "dkim-signature" and field != keep:
            raw = raw.replace(field, b"", 1)
    return raw


def test_submitted_mail_is_signed_and_forwarded_mail_sealed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ports = init_data(data, accounts=("alice@example.test", "bob@example.test"))
    (data / "dns-zones.toml").write_text(ZONES)
    alias = courriel("alias", "add", "fwd@example.test", "pal@elsewhere.test", "--data", str(data))
    assert alias.returncode == 0, alias.stderr
    shown = courriel("dkim", "show", "example.test", "--data", str(data))
    assert shown.returncode == 0, shown.stderr
    records = zone_records(shown.stdout)
    assert len(records) == 2  # RSA and Ed25519, as `domain add` made them
    with outside_server() as (outside, outside_port):
        config = data / "courriel.toml"
        text = config.read_text()
        assert f"remote_port = {ports['smtp']}\n" in text  # init_data moved the dev port
        config.write_text(
            text.replace(f"remote_port = {ports['smtp']}\n", f"remote_port = {outside_port}\n")
        )
        with running_server(data, ports):
            with smtplib.SMTP("127.0.0.1", ports["submission"], timeout=30) as client:
                client.login("alice@example.test", PASSWORD)  # plaintext on loopback, --dev
                refused = client.sendmail(
                    "alice@example.test",
                    ["bob@example.test", "friend@elsewhere.test"],
                    b"From: Alice <alice@example.test>\r\n"
                    b"To: bob@example.test, friend@elsewhere.test\r\n"
                    b"Subject: signed by courriel\r\n"
                    b"\r\n"
                    b"Checked by OpenDKIM.\r\n",
                )
                assert refused == {}
            with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=30) as client:
                client.sendmail(
                    "news@sender.example",
                    ["fwd@example.test"],
                    b"From: News <news@sender.example>\r\n"
                    b"To: fwd@example.test\r\n"
                    b"Subject: forwarded by courriel\r\n"
                    b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n"
                    b"\r\n"
                    b"Sealed on the way.\r\n",
                )
            sent = wait_for(lambda: outside.message_for("friend@elsewhere.test"), "the sent copy")
            forwarded = wait_for(lambda: outside.message_for("pal@elsewhere.test"), "the forward")
    [local] = [m for m in inbox(data, "bob@example.test") if b"signed by courriel" in m]

    # DKIM (RFC 6376): two signatures, each verifying alone with the published records.
    signatures = [field for name, field in header_fields(sent) if name == "dkim-signature"]
    assert len(signatures) == 2
    assert b"a=rsa-sha256" in signatures[0] and b"a=ed25519-sha256" in signatures[1]
    for number, signature in enumerate(signatures):
        alone = with_only_signature(sent, signature)
        checked = opendkim_verify(alone, records, tmp_path / f"alone-{number}")
        assert checked.returncode == 0, checked.stdout
    together = opendkim_verify(sent, records, tmp_path / "together")
    assert together.returncode == 0, together.stdout
    # The local recipient got the same signed message, with its Return-Path on top.
    assert local.endswith(sent[sent.index(signatures[0]) :])
    local_check = opendkim_verify(local, records, tmp_path / "local")
    assert local_check.returncode == 0, local_check.stdout
    # The same verifier says no to a changed body.
    tampered = opendkim_verify(
        sent.replace(b"Checked by OpenDKIM.", b"Changed."), records, tmp_path / "tampered"
    )
    assert tampered.returncode != 0 and b"Bad signature" in tampered.stdout

    # ARC (RFC 8617): the forward carries our ARC Set, and the chain validates.
    names = [name for name, _ in header_fields(forwarded)]
    assert names[:3] == ["arc-seal", "arc-message-signature", "arc-authentication-results"]
    assert b"spf=pass" in dict(header_fields(forwarded))["arc-authentication-results"]
    resolver = StaticResolver(
        {name: {"TXT": ["".join(strings)]} for name, strings in records.items()}
    )
    chain = asyncio.run(verify_arc(forwarded, resolver))
    assert (chain.result, chain.reason) == ("pass", None)
    broken = asyncio.run(verify_arc(forwarded.replace(b"Sealed on", b"Opened on"), resolver))
    assert broken.result == "fail"
