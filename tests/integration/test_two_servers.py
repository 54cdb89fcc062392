"""Two ``courriel serve`` instances for two domains send mail to each other through their
queues (DNS answered by a static zone file the test writes), and a message to an unknown
recipient comes back as a DSN in the sender's INBOX (issue 4)."""

from __future__ import annotations

import random
import smtplib
import socket
import time
from pathlib import Path

import pytest

from courriel.mail import parse_message
from courriel.mail.dsn import parse_dsn
from support.server_process import PASSWORD, courriel, inbox, running_server

pytestmark = pytest.mark.integration

ZONES = """
[zones."a.test"]
MX = ["10 mx.a.test"]
[zones."mx.a.test"]
A = ["127.0.0.2"]
[zones."b.test"]
MX = ["10 mx.b.test"]
[zones."mx.b.test"]
A = ["127.0.0.3"]
"""


def port_free_on(port: int, *hosts: str) -> bool:
    for host in hosts:
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                return False
    return True


def shared_free_port(*hosts: str) -> int:
    for _ in range(200):
        port = random.randint(20000, 60000)
        if port_free_on(port, *hosts):
            return port
    raise RuntimeError("no free port")


def setup_instance(
    data: Path, domain: str, ip: str, smtp_port: int, account: str
) -> dict[str, int]:
    assert (
        courriel(
            "init", domain, "--dev", "--hostname", f"mx.{domain}", "--data", str(data)
        ).returncode
        == 0
    )
    config = data / "courriel.toml"
    text = config.read_text().replace('"127.0.0.1"', f'"{ip}"')
    ports = {"smtp": smtp_port}
    for name, dev_port in (
        ("submission", 2587),
        ("submissions", 2465),
        ("imap", 2143),
        ("imaps", 2993),
        ("pop3", 2110),
        ("pop3s", 2995),
        ("https", 8443),
        ("http", 8080),
    ):
        ports[name] = shared_free_port(ip)
        text = text.replace(f"port = {dev_port}\n", f"port = {ports[name]}\n")
    text = text.replace("port = 2525\n", f"port = {smtp_port}\n")
    text = text.replace("remote_port = 2525", f"remote_port = {smtp_port}")
    config.write_text(text)
    (data / "dns-zones.toml").write_text(ZONES)
    added = courriel(
        "account", "add", account, "--password-stdin", "--data", str(data), stdin=PASSWORD + "\n"
    )
    assert added.returncode == 0, added.stderr
    return ports


def wait_until(condition, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError("timed out waiting for delivery")


def test_two_domains_exchange_mail_and_bounces(tmp_path: Path) -> None:
    smtp_port = shared_free_port("127.0.0.2", "127.0.0.3")
    a_data, b_data = tmp_path / "a", tmp_path / "b"
    a_ports = setup_instance(a_data, "a.test", "127.0.0.2", smtp_port, "alice@a.test")
    b_ports = setup_instance(b_data, "b.test", "127.0.0.3", smtp_port, "bob@b.test")
    with running_server(a_data, a_ports) as a, running_server(b_data, b_ports) as b:
        with smtplib.SMTP("127.0.0.2", a_ports["submission"], timeout=20) as client:
            client.login("alice@a.test", PASSWORD)  # plaintext allowed on loopback in --dev
            refused = client.sendmail(
                "alice@a.test",
                ["bob@b.test", "nobody@b.test"],
                b"From: Alice <alice@a.test>\r\nTo: bob@b.test, nobody@b.test\r\n"
                b"Subject: across servers\r\n\r\nHello Bob.\r\n",
            )
            assert refused == {}  # A accepts both: it cannot know B's users
        wait_until(lambda: any(b"across servers" in m for m in inbox(b_data, "bob@b.test")))
        received = next(m for m in inbox(b_data, "bob@b.test") if b"across servers" in m)
        assert received.startswith(b"Return-Path: <alice@a.test>\r\n")
        assert received.count(b"Received: ") == 2  # A's submission, then B's MX
        assert b"by mx.b.test" in received and b"by mx.a.test" in received

        wait_until(lambda: any(b"multipart/report" in m for m in inbox(a_data, "alice@a.test")))
        bounce = next(m for m in inbox(a_data, "alice@a.test") if b"multipart/report" in m)
        assert bounce.startswith(b"Return-Path: <>\r\n")
        parsed = parse_message(bounce)
        assert parsed.root.subtype == "report"
        fields = parse_dsn(bounce)
        recipients = [f for f in fields if "final-recipient" in f]
        assert [r["final-recipient"] for r in recipients] == ["rfc822; nobody@b.test"]
        assert recipients[0]["action"] == "failed"
        assert recipients[0]["status"] == "5.1.1"
        assert b"Subject: across servers" in bounce  # the original headers come back
        assert not any(b"multipart/report" in m for m in inbox(b_data, "bob@b.test"))
        del a, b
    listed = courriel("queue", "list", "--data", str(a_data))
    assert "b.test" not in listed.stdout  # delivered or bounced: nothing left queued
