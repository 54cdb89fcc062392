"""SMTP with real clients against a real ``courriel serve``: swaks and smtplib."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
import time
from collections.abc import Iterator

import pytest

from support.server_process import (
    PASSWORD,
    RunningServer,
    courriel,
    inbox,
    init_data,
    running_server,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("smtp") / "data"
    ports = init_data(data, accounts=("alice@example.test", "bob@example.test"))
    with running_server(data, ports) as running:
        yield running


def client_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def swaks(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["swaks", "--server", "127.0.0.1", "--timeout", "20", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_swaks_mx_with_starttls_and_pipelining(server: RunningServer) -> None:
    result = swaks(
        "--port",
        str(server.ports["smtp"]),
        "--tls",
        "--pipeline",
        "--from",
        "sender@example.net",
        "--to",
        "alice@example.test",
        "--header",
        "Subject: swaks over TLS",
        "--body",
        "Hello from swaks\n.dot line",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "<~  250 2.0.0" in result.stdout
    messages = inbox(server.data, "alice@example.test")
    message = next(m for m in messages if b"swaks over TLS" in m)
    # Return-Path first, then the spam filter's fields, then our results above our
    # Received (RFC 8601 §2.1, RFC 7208 §9.1).
    assert message.startswith(b"Return-Path: <sender@example.net>\r\nX-Spam-Score: ")
    assert b"\r\nX-Spam-Status: No, score=" in message
    assert message.index(b"\r\nX-Spam-Report: ") < message.index(b"\r\nAuthentication-Results: ")
    assert b"\r\nReceived-SPF: none " in message
    assert b"\r\nReceived: from " in message
    assert b"with ESMTPS (TLSv1." in message
    assert b"for <alice@example.test>" in message
    assert b"\r\n.dot line\r\n" in message


def test_swaks_bdat_and_auth_submission(server: RunningServer) -> None:
    result = swaks(
        "--port",
        str(server.ports["submission"]),
        "--tls",
        "--auth",
        "PLAIN",
        "--auth-user",
        "alice@example.test",
        "--auth-password",
        PASSWORD,
        "--from",
        "alice@example.test",
        "--to",
        "bob@example.test",
        "--header",
        "Subject: submitted",
        "--body",
        "via submission",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "235 2.7.0" in result.stdout
    message = next(m for m in inbox(server.data, "bob@example.test") if b"submitted" in m)
    assert b"with ESMTPSA" in message
    assert b"\r\nMessage-ID: <" in message or b"\r\nMessage-Id: <" in message


def test_swaks_refusals(server: RunningServer) -> None:
    unknown = swaks(
        "--port",
        str(server.ports["smtp"]),
        "--from",
        "a@example.net",
        "--to",
        "nobody@example.test",
    )
    assert "<** 550 5.1.1" in unknown.stdout
    relay = swaks(
        "--port",
        str(server.ports["smtp"]),
        "--from",
        "a@example.net",
        "--to",
        "victim@elsewhere.example",
    )
    assert "<** 554 5.7.1" in relay.stdout
    wrong = swaks(
        "--port",
        str(server.ports["submission"]),
        "--tls",
        "--auth",
        "LOGIN",
        "--auth-user",
        "alice@example.test",
        "--auth-password",
        "nope nope nope",
        "--from",
        "alice@example.test",
        "--to",
        "bob@example.test",
    )
    assert "535 5.7.8" in wrong.stdout


def test_smtplib_implicit_tls_and_outbound_queue(server: RunningServer) -> None:
    with smtplib.SMTP_SSL(
        "127.0.0.1", server.ports["submissions"], context=client_context(), timeout=20
    ) as client:
        client.login("alice@example.test", PASSWORD)
        refused = client.sendmail(
            "alice@example.test",
            ["bob@example.test", "friend@elsewhere.example"],
            b"Subject: to the world\r\nFrom: alice@example.test\r\n\r\nbody\r\n",
        )
        assert refused == {}
    assert any(b"to the world" in m for m in inbox(server.data, "bob@example.test"))
    # In the --dev setup DNS is static and knows no elsewhere.example: the queue worker
    # bounces the outside copy at once (no such domain) into the sender's INBOX.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        bounces = [m for m in inbox(server.data, "alice@example.test") if b"multipart/report" in m]
        if bounces:
            break
        time.sleep(0.3)
    [bounce] = bounces
    assert b"friend@elsewhere.example" in bounce
    assert b"Status: 5.1.2" in bounce
    listed = courriel("queue", "list", "--data", str(server.data))
    assert listed.returncode == 0, listed.stderr
    assert "friend@elsewhere.example" not in listed.stdout
