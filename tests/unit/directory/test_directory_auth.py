"""The AuthService: passwords, unknown users, disabled accounts, 2FA, app passwords, bans."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pyotp
import pytest

from courriel.config import Config
from courriel.core.clock import FakeClock
from courriel.directory.auth import Outcome, ip_scope
from courriel.runtime.services import Services
from support.services import temporary_services

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"


class Recorder:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def with_auth(**changes: Any) -> Callable[[Config], Config]:
    def configure(config: Config) -> Config:
        return dataclasses.replace(config, auth=dataclasses.replace(config.auth, **changes))

    return configure


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture
async def services(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Services]:
    async with temporary_services(tmp_path, clock=clock) as opened:
        await opened.directory.add_domain("example.test", dkim=False)
        await opened.directory.add_account(ALICE, PASSWORD)
        opened.auth.sleep = Recorder()
        yield opened


def totp_code(secret: str, clock: FakeClock, offset: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now() + offset)


async def test_password_login_and_wrong_password(services: Services) -> None:
    result = await services.auth.login("imap", "192.0.2.1", "Alice@Example.TEST", PASSWORD)
    assert result.ok
    assert result.principal is not None
    assert (result.principal.address, result.principal.method) == (ALICE, "password")
    wrong = await services.auth.login("imap", "192.0.2.1", ALICE, "not the password")
    assert wrong.outcome is Outcome.INVALID
    assert wrong.message == "invalid credentials"
    assert services.auth.sleep.delays == [0.5]  # type: ignore[attr-defined]
    events = list(services.security_log.read(account=ALICE))
    assert [(e["result"], e.get("reason")) for e in events] == [
        ("ok", "password"),
        ("failed", "wrong password"),
    ]
    assert all("not the password" not in str(e) for e in events)


async def test_unknown_user_gets_the_same_answer_and_the_same_hash_work(
    services: Services,
) -> None:
    calls: list[str] = []
    real_verify = services.auth.hasher.verify

    def counting_verify(stored: str, password: str) -> tuple[bool, bool]:
        calls.append(stored)
        return real_verify(stored, password)

    services.auth.hasher.verify = counting_verify  # type: ignore[method-assign,assignment]
    known = await services.auth.login("imap", "192.0.2.1", ALICE, "wrong guess 1")
    unknown = await services.auth.login("imap", "192.0.2.2", "nobody@example.test", "wrong guess")
    garbage = await services.auth.login("imap", "192.0.2.3", "not an address", "wrong guess")
    assert known == unknown == garbage
    assert known.message == unknown.message
    assert len(calls) == 3  # one argon2 verification each, real or dummy
    assert services.auth.sleep.delays == [0.5, 0.5, 0.5]  # type: ignore[attr-defined]


async def test_disabled_account_is_refused_only_with_the_right_password(
    services: Services,
) -> None:
    await services.directory.set_disabled(ALICE, True)
    assert (await services.auth.login("pop3", "192.0.2.1", ALICE, PASSWORD)).outcome is (
        Outcome.DISABLED
    )
    assert (await services.auth.login("pop3", "192.0.2.1", ALICE, "bad")).outcome is (
        Outcome.INVALID
    )


async def test_two_factor_requires_app_passwords_for_mail_protocols(
    services: Services, clock: FakeClock
) -> None:
    enrolment = await services.auth.begin_totp(ALICE)
    assert enrolment.uri.startswith("otpauth://totp/")
    # Not in force until confirmed.
    assert (await services.auth.login("imap", "192.0.2.1", ALICE, PASSWORD)).ok
    with pytest.raises(Exception, match="not valid"):
        await services.auth.confirm_totp(
            ALICE, "000000" if totp_code(enrolment.secret, clock) != "000000" else "111111"
        )
    codes = await services.auth.confirm_totp(ALICE, totp_code(enrolment.secret, clock))
    assert len(codes) == 10
    assert await services.auth.totp_status(ALICE) == (True, 10)

    for protocol in ("imap", "pop3", "smtp", "dav", "activesync"):
        result = await services.auth.login(protocol, "192.0.2.1", ALICE, PASSWORD)
        assert result.outcome is Outcome.APP_PASSWORD_REQUIRED
        assert "app password required" in result.message
    web = await services.auth.login("web", "192.0.2.1", ALICE, PASSWORD)
    assert web.outcome is Outcome.SECOND_FACTOR_REQUIRED
    assert web.principal is not None

    clock.advance(30)
    code = totp_code(enrolment.secret, clock)
    assert (await services.auth.verify_second_factor(web.principal, code, "192.0.2.1")).ok
    replay = await services.auth.verify_second_factor(web.principal, code, "192.0.2.1")
    assert replay.outcome is Outcome.INVALID  # RFC 6238 §5.2: a code works once
    assert (await services.auth.verify_second_factor(web.principal, codes[0], "192.0.2.1")).ok
    again = await services.auth.verify_second_factor(web.principal, codes[0], "192.0.2.1")
    assert again.outcome is Outcome.INVALID
    assert await services.auth.totp_status(ALICE) == (True, 9)

    await services.auth.disable_totp(ALICE)
    assert (await services.auth.login("imap", "192.0.2.1", ALICE, PASSWORD)).ok


async def test_app_passwords_are_limited_to_their_protocols(services: Services) -> None:
    record, password = await services.auth.add_app_password(
        ALICE, "Thunderbird laptop", ("imap", "smtp")
    )
    assert record.protocols == ("imap", "smtp")
    imap = await services.auth.login("imap", "198.51.100.4", ALICE, password)
    assert imap.ok
    assert imap.principal is not None
    assert imap.principal.method == "app-password"
    # Spaces and case do not matter when typing it.
    assert (
        await services.auth.login("smtp", "198.51.100.4", ALICE, password.upper().replace(" ", ""))
    ).ok
    assert (await services.auth.login("pop3", "198.51.100.4", ALICE, password)).outcome is (
        Outcome.INVALID
    )
    [listed] = await services.auth.list_app_passwords(ALICE)
    assert listed.last_ip == "198.51.100.4"
    assert listed.last_used is not None
    # With 2FA on, app passwords still work.
    enrolment = await services.auth.begin_totp(ALICE)
    await services.auth.confirm_totp(ALICE, pyotp.TOTP(enrolment.secret).at(services.clock.now()))
    assert (await services.auth.login("imap", "198.51.100.4", ALICE, password)).ok
    await services.auth.revoke_app_password(ALICE, "Thunderbird laptop")
    assert (await services.auth.login("imap", "198.51.100.4", ALICE, password)).outcome is (
        Outcome.INVALID
    )


async def test_ban_after_failures_then_release_and_growth(
    services: Services, clock: FakeClock
) -> None:
    ip = "203.0.113.9"
    for attempt in range(10):
        assert (await services.auth.login("imap", ip, ALICE, f"guess {attempt}")).outcome is (
            Outcome.INVALID
        )
    delays = services.auth.sleep.delays  # type: ignore[attr-defined]
    assert delays[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert max(delays) == 8.0
    banned = await services.auth.login("imap", ip, ALICE, PASSWORD)
    assert banned.outcome is Outcome.BANNED
    assert "too many failed logins" in banned.message
    [ban] = await services.auth.list_bans()
    assert ban.scope == "ip:203.0.113.9"
    assert ban.until == clock.now() + 3600
    # Another address is not affected.
    assert (await services.auth.login("imap", "203.0.113.10", ALICE, PASSWORD)).ok
    clock.advance(3601)
    assert (await services.auth.login("imap", ip, ALICE, PASSWORD)).ok
    for attempt in range(10):
        await services.auth.login("imap", ip, ALICE, f"guess {attempt}")
    [second] = await services.auth.list_bans()
    assert second.count == 2
    assert second.until == clock.now() + 7200
    assert await services.auth.unban(ip)
    assert (await services.auth.login("imap", ip, ALICE, PASSWORD)).ok
    assert [e["event"] for e in services.security_log.read() if e["event"] in ("ban", "unban")] == [
        "ban",
        "ban",
        "unban",
    ]


async def test_bans_survive_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    async with temporary_services(tmp_path, clock=clock) as first:
        await first.directory.add_domain("example.test", dkim=False)
        await first.directory.add_account(ALICE, PASSWORD)
        first.auth.sleep = Recorder()
        for attempt in range(10):
            await first.auth.login("pop3", "192.0.2.50", ALICE, f"guess {attempt}")
    async with temporary_services(tmp_path, clock=clock) as second:
        assert (await second.auth.login("pop3", "192.0.2.50", ALICE, PASSWORD)).outcome is (
            Outcome.BANNED
        )
        assert [ban.scope for ban in await second.auth.list_bans()] == ["ip:192.0.2.50"]


async def test_ipv6_failures_count_per_64_and_trusted_networks_are_spared(
    tmp_path: Path, clock: FakeClock
) -> None:
    configure = with_auth(trusted_networks=("10.0.0.0/8",), max_failures_per_ip=3)
    async with temporary_services(tmp_path, clock=clock, configure=configure) as services:
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account(ALICE, PASSWORD)
        services.auth.sleep = Recorder()
        for host in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::9"):
            await services.auth.login("imap", host, ALICE, "bad")
        assert ip_scope("2001:db8:1:2::77") == "ip:2001:db8:1:2::/64"
        assert (await services.auth.login("imap", "2001:db8:1:2::77", ALICE, PASSWORD)).outcome is (
            Outcome.BANNED
        )
        assert (await services.auth.login("imap", "2001:db8:1:3::1", ALICE, PASSWORD)).ok
        for _ in range(5):
            await services.auth.login("imap", "10.1.2.3", ALICE, "bad")
        assert (await services.auth.login("imap", "10.1.2.3", ALICE, PASSWORD)).ok
        assert await services.auth.list_bans() == [
            ban for ban in await services.auth.list_bans() if ban.scope.startswith("ip:2001")
        ]


async def test_plaintext_rules(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as strict:
        assert not strict.auth.plaintext_allowed("127.0.0.1", secure=False)
        assert strict.auth.plaintext_allowed("192.0.2.1", secure=True)
    configure = with_auth(plaintext_on_loopback=True)
    async with temporary_services(tmp_path, configure=configure) as dev:
        assert dev.auth.plaintext_allowed("127.0.0.1", secure=False)
        assert dev.auth.plaintext_allowed("::1", secure=False)
        assert not dev.auth.plaintext_allowed("192.0.2.1", secure=False)


async def test_a_verified_password_is_not_hashed_again_until_it_expires(
    services: Services, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_verify = services.auth.hasher.verify

    def counting_verify(stored: str, password: str) -> tuple[bool, bool]:
        calls.append(password)
        return real_verify(stored, password)

    monkeypatch.setattr(services.auth.hasher, "verify", counting_verify)
    for _ in range(3):
        assert (await services.auth.login("imap", "192.0.2.1", ALICE, PASSWORD)).ok
    assert calls == [PASSWORD]  # argon2 once, then the cache
    # A wrong password is always checked in full, and never accepted.
    assert not (await services.auth.login("pop3", "192.0.2.1", ALICE, "wrong horse")).ok
    assert calls == [PASSWORD, "wrong horse"]
    # Logins within the ttl do not extend it: the full check comes back ttl after the last one.
    clock.advance(services.config.auth.password_cache_ttl - 1)
    assert (await services.auth.login("imap", "192.0.2.1", ALICE, PASSWORD)).ok
    assert calls == [PASSWORD, "wrong horse"]
    clock.advance(2)
    assert (await services.auth.login("imap", "192.0.2.1", ALICE, PASSWORD)).ok
    assert calls == [PASSWORD, "wrong horse", PASSWORD]  # expired: verified again


async def test_a_changed_password_or_a_disabled_account_is_not_served_from_the_cache(
    services: Services,
) -> None:
    assert (await services.auth.login("imap", "192.0.2.1", ALICE, PASSWORD)).ok
    await services.directory.set_password(ALICE, "another long password")
    assert not (await services.auth.login("imap", "192.0.2.1", ALICE, PASSWORD)).ok
    assert (await services.auth.login("imap", "192.0.2.1", ALICE, "another long password")).ok
    await services.directory.set_disabled(ALICE, True)
    refused = await services.auth.login("imap", "192.0.2.1", ALICE, "another long password")
    assert refused.outcome is Outcome.DISABLED


async def test_the_cache_can_be_turned_off(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with temporary_services(
        tmp_path, clock=clock, configure=with_auth(password_cache_ttl=0.0)
    ) as opened:
        await opened.directory.add_domain("example.test", dkim=False)
        await opened.directory.add_account(ALICE, PASSWORD)
        calls: list[str] = []
        real_verify = opened.auth.hasher.verify

        def counting_verify(stored: str, password: str) -> tuple[bool, bool]:
            calls.append(password)
            return real_verify(stored, password)

        monkeypatch.setattr(opened.auth.hasher, "verify", counting_verify)
        for _ in range(2):
            assert (await opened.auth.login("imap", "192.0.2.1", ALICE, PASSWORD)).ok
        assert len(calls) == 2
