"""Trash/Junk retention and spam-filter feedback as an IMAP user sees them: the runtime's
housekeeping purges Trash while another session has it selected, and that session hears
EXPUNGE; MOVE into Junk and out of it leaves a spam and a ham report. In-process
``runtime.Server`` on loopback, time from a FakeClock, ``imaplib`` as the client."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import imaplib
import logging
import time
from pathlib import Path

import pytest

from courriel.config import Config
from courriel.config.load import default_config
from courriel.config.schema import LISTENERS
from courriel.core.clock import FakeClock
from courriel.directory.passwords import FAST_TEST_PARAMETERS, PasswordHasher
from courriel.imap.server.server import imap_server
from courriel.net import make_self_signed
from courriel.runtime import server as runtime_server
from courriel.runtime.server import Server
from courriel.runtime.services import open_services

ALICE = "alice@example.test"
PASSWORD = "correct horse battery"
DAY = 86400.0


def imap_only(tmp_path: Path) -> Config:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    config = default_config(tmp_path / "data")
    listeners = {
        spec.name: dataclasses.replace(getattr(config.listeners, spec.name), enabled=False)
        for spec in LISTENERS
    }
    listeners["imap"] = dataclasses.replace(
        config.listeners.imap, enabled=True, addresses=("127.0.0.1",), port=0
    )
    return dataclasses.replace(
        config,
        tls=dataclasses.replace(config.tls, certificate=certificate, key=key),
        auth=dataclasses.replace(config.auth, plaintext_on_loopback=True),
        listeners=dataclasses.replace(config.listeners, **listeners),
    )


def message(subject: str) -> bytes:
    return f"From: someone@example.net\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n".encode()


def connect(port: int) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", port, timeout=10)
    client.login(ALICE, PASSWORD)
    return client


def subjects(client: imaplib.IMAP4) -> list[str]:
    typ, data = client.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK"
    return [
        part[1].decode().strip().removeprefix("Subject: ")
        for part in data
        if isinstance(part, tuple)
    ]


def wait_for_expunges(client: imaplib.IMAP4, count: int, within: float = 10) -> list[bytes]:
    """NOOP until ``count`` EXPUNGE responses arrived (RFC 9051 §7.5.1) or ``within`` s."""
    expunged: list[bytes] = []
    deadline = time.monotonic() + within
    while len(expunged) < count and time.monotonic() < deadline:
        assert client.noop()[0] == "OK"
        _, data = client.response("EXPUNGE")
        expunged += [item for item in data if isinstance(item, bytes)]
        time.sleep(0.05)
    return expunged


def trash_purged_under_a_selected_session(port: int, clock: FakeClock) -> list[bytes]:
    writer = connect(port)
    for subject in ("old 1", "old 2"):
        assert writer.append("Trash", None, None, message(subject))[0] == "OK"
    clock.advance(20 * DAY)
    assert writer.append("Trash", None, None, message("recent"))[0] == "OK"
    reader = connect(port)
    typ, data = reader.select("Trash")
    assert (typ, data) == ("OK", [b"3"])
    # Housekeeping purges every 50 ms, but nothing has been in Trash for 30 days yet.
    assert wait_for_expunges(reader, 1, within=0.5) == []

    clock.advance(11 * DAY)  # "old 1" and "old 2" entered Trash 31 days ago

    expunged = wait_for_expunges(reader, 2)
    assert subjects(reader) == ["recent"]
    for client in (reader, writer):
        client.logout()
    return expunged


def move_into_and_out_of_junk(port: int) -> None:
    client = connect(port)
    for subject in ("cheap pills", "from a friend"):
        assert client.append("INBOX", None, None, message(subject))[0] == "OK"
    assert client.select("INBOX")[0] == "OK"
    assert client.uid("MOVE", "1:2", "Junk")[0] == "OK"  # RFC 6851
    assert client.select("Junk")[0] == "OK"
    typ, data = client.uid("SEARCH", "SUBJECT", '"from a friend"')
    assert typ == "OK" and data[0]
    assert client.uid("MOVE", data[0].decode(), "INBOX")[0] == "OK"  # "not spam"
    assert client.uid("MOVE", "1:*", "Trash")[0] == "OK"  # deleting spam: no report
    client.logout()


async def test_housekeeping_purges_trash_and_a_selected_session_sees_expunge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runtime_server, "RETENTION_PURGE_DELAY", 0.05)
    monkeypatch.setattr(runtime_server, "RETENTION_PURGE_INTERVAL", 0.05)
    caplog.set_level(logging.INFO, logger="courriel")
    config = imap_only(tmp_path)
    clock = FakeClock(start=time.time())
    services = open_services(
        config, hasher=PasswordHasher(FAST_TEST_PARAMETERS), parse_workers=0, clock=clock
    )
    server = Server(config, services=services, factories={"imap": imap_server})
    await server.start()
    try:
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account(ALICE, PASSWORD)
        [listener] = server.listeners
        expunged = await asyncio.to_thread(
            trash_purged_under_a_selected_session, listener.port, clock
        )
    finally:
        await server.stop(1.0)

    assert expunged == [b"1", b"1"]  # each removal renumbers the rest (RFC 9051 §7.5.1)
    purges = [r.getMessage() for r in caplog.records if "retention purge" in r.getMessage()]
    assert "retention purge removed 2 message(s) from Trash and 0 from Junk" in purges


async def test_move_into_junk_reports_spam_and_out_of_it_ham(tmp_path: Path) -> None:
    config = imap_only(tmp_path)
    services = open_services(config, hasher=PasswordHasher(FAST_TEST_PARAMETERS), parse_workers=0)
    server = Server(config, services=services, factories={"imap": imap_server})
    await server.start()
    try:
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account(ALICE, PASSWORD)
        [listener] = server.listeners
        await asyncio.to_thread(move_into_and_out_of_junk, listener.port)
        reports = await services.mailstore.pending_spam_feedback()
    finally:
        await server.stop(1.0)

    digest = {hashlib.sha256(message(s)).hexdigest(): s for s in ("cheap pills", "from a friend")}
    assert [(r.verdict, digest[r.sha256]) for r in reports] == [
        ("spam", "cheap pills"),
        ("spam", "from a friend"),
        ("ham", "from a friend"),
    ]
