"""What the settings pages need from the directory: ``AuthService.confirm_identity`` and
``pending_totp``, ``SecurityLog.recent``, and the DNS records of a domain."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pyotp
import pytest

from courriel.core.clock import FakeClock
from courriel.directory.dns_records import domain_records
from courriel.directory.securitylog import SecurityLog
from courriel.runtime.services import Services
from courriel.storage.records import DkimKeyRecord
from support.services import temporary_services

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"
IP = "192.0.2.1"


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with temporary_services(tmp_path, clock=FakeClock(1_800_000_000.0)) as opened:
        await opened.directory.add_domain("example.test", dkim=False)
        await opened.directory.add_account(ALICE, PASSWORD)

        async def no_delay(seconds: float) -> None:
            del seconds

        opened.auth.sleep = no_delay
        yield opened


async def test_confirm_identity_checks_the_password_and_counts_failures(
    services: Services,
) -> None:
    auth = services.auth
    assert (await auth.confirm_identity(ALICE, IP, PASSWORD)).ok
    wrong = await auth.confirm_identity(ALICE, IP, "not the password")
    assert not wrong.ok
    assert await services.store.security.failures(f"ip:{IP}", services.clock.now(), 3600) == 1
    # An app password opens IMAP but confirms nothing.
    _, app_password = await auth.add_app_password(ALICE, "phone", ("imap",))
    assert not (await auth.confirm_identity(ALICE, IP, app_password)).ok
    assert not (await auth.confirm_identity("nobody@example.test", IP, PASSWORD)).ok
    for _ in range(services.config.auth.max_failures_per_ip):
        await auth.confirm_identity(ALICE, IP, "not the password")
    assert (await auth.confirm_identity(ALICE, IP, PASSWORD)).outcome.value == "banned"


async def test_confirm_identity_with_a_code_spends_it(services: Services) -> None:
    auth = services.auth
    clock = services.clock
    assert isinstance(clock, FakeClock)
    # Without 2FA on, no code can be right.
    assert not (await auth.confirm_identity(ALICE, IP, PASSWORD, "123456")).ok
    assert await auth.pending_totp(ALICE) is None
    enrolment = await auth.begin_totp(ALICE)
    pending = await auth.pending_totp(ALICE)
    assert pending == enrolment
    totp = pyotp.TOTP(enrolment.secret)
    codes = await auth.confirm_totp(ALICE, totp.at(clock.now()))
    assert await auth.pending_totp(ALICE) is None
    clock.advance(30)
    code = totp.at(clock.now())
    assert not (await auth.confirm_identity(ALICE, IP, "wrong password", code)).ok
    assert (await auth.confirm_identity(ALICE, IP, PASSWORD, code)).ok
    assert not (await auth.confirm_identity(ALICE, IP, PASSWORD, code)).ok  # used
    assert (await auth.confirm_identity(ALICE, IP, PASSWORD, codes[0])).ok
    assert not (await auth.confirm_identity(ALICE, IP, PASSWORD, codes[0])).ok  # once
    assert (await auth.totp_status(ALICE)) == (True, 9)


def test_recent_reads_the_end_of_the_log_newest_first(tmp_path: Path) -> None:
    log = SecurityLog(tmp_path / "security.log")
    assert log.recent() == []
    for number in range(3000):
        log.write("login", account=f"user{number}@example.test", detail="x" * 40)
    with log.path.open("a") as handle:
        handle.write("not json\n")
    log.write("ban", ip="192.0.2.9")
    recent = log.recent(5)
    assert [event.get("account") for event in recent[1:]] == [
        f"user{number}@example.test" for number in (2999, 2998, 2997, 2996)
    ]
    assert recent[0]["event"] == "ban"
    assert len(log.recent(2500)) == 2500
    assert len(log.recent(10_000)) == 3001
    everything = [json.loads(line) for line in log.path.read_text().splitlines()[:-2]]
    assert log.recent(10_000)[-1] == everything[0]
    log.close()


def test_domain_records() -> None:
    key = DkimKeyRecord(
        1, "example.org", "c202611-rsa", "rsa", "", "v=DKIM1; k=rsa; p=AAA", True, 0
    )
    records = domain_records("example.org", "mail.example.org", [key])
    assert [(r.name, r.type, r.value) for r in records] == [
        ("example.org", "MX", "10 mail.example.org."),
        ("example.org", "TXT", "v=spf1 mx -all"),
        ("c202611-rsa._domainkey.example.org", "TXT", "v=DKIM1; k=rsa; p=AAA"),
        ("_dmarc.example.org", "TXT", "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org"),
    ]
