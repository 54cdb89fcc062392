"""Issue 3's login cases over real TLS connections (certificates made here), through SMTP
submission with Python's smtplib: wrong password, unknown user, disabled account, 2FA with
the main password (refused, "app password required") and an app password (accepted), an app
password outside its protocols, a ban after repeated failures and its release (injected
clock), and a ban surviving a restart."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pyotp
import pytest

from courriel.config import EnabledListener
from courriel.core.clock import FakeClock
from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.runtime.services import Services
from courriel.smtp.server.server import smtp_server
from support.services import temporary_services

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"


@asynccontextmanager
async def submission(
    data: Path, clock: FakeClock, *, fresh: bool = True
) -> AsyncIterator[tuple[Services, int, Path]]:
    certificate, key = data / "cert.pem", data / "key.pem"
    if not certificate.exists():
        make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    async with temporary_services(data / "store-data", clock=clock) as services:

        async def no_delay(seconds: float) -> None:
            del seconds

        services.auth.sleep = no_delay
        if fresh:
            await services.directory.add_domain("example.test", dkim=False)
            await services.directory.add_account(ALICE, PASSWORD)
            await services.directory.add_account("bob@example.test", PASSWORD)
        tls = TlsContextProvider(certificate, key)
        server = smtp_server(
            services,
            tls,
            EnabledListener("submission", "submission", "starttls", ("127.0.0.1",), 0),
        )
        listener = Listener("submission", ["127.0.0.1"], 0, server.handler, tls=tls)
        await listener.start()
        try:
            yield services, listener.port, certificate
        finally:
            await listener.stop(1.0)


def login(port: int, ca: Path, user: str, password: str) -> tuple[int, bytes]:
    """One STARTTLS + AUTH over a verified TLS connection; the server's answer."""
    context = ssl.create_default_context(cafile=str(ca))
    context.check_hostname = False  # the certificate names mail.example.test, we dial 127.0.0.1
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as client:
        client.starttls(context=context)
        assert isinstance(client.sock, ssl.SSLSocket)
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
        try:
            code, text = client.login(user, password)
        except smtplib.SMTPAuthenticationError as error:
            reason = error.smtp_error
            return error.smtp_code, reason if isinstance(reason, bytes) else reason.encode()
        except smtplib.SMTPServerDisconnected:
            return 421, b"disconnected"
        return code, text


async def attempt(port: int, ca: Path, user: str, password: str) -> tuple[int, bytes]:
    return await asyncio.to_thread(login, port, ca, user, password)


async def test_passwords_unknown_users_and_disabled_accounts(tmp_path: Path) -> None:
    async with submission(tmp_path, FakeClock()) as (services, port, ca):
        assert (await attempt(port, ca, ALICE, PASSWORD))[0] == 235
        assert (await attempt(port, ca, ALICE, "wrong password here"))[0] == 535
        unknown = await attempt(port, ca, "ghost@example.test", "wrong password here")
        assert unknown == await attempt(port, ca, ALICE, "another wrong one")
        await services.directory.set_disabled("bob@example.test", True)
        assert (await attempt(port, ca, "bob@example.test", PASSWORD))[0] == 535


async def test_two_factor_and_app_passwords(tmp_path: Path) -> None:
    async with submission(tmp_path, FakeClock()) as (services, port, ca):
        enrolment = await services.auth.begin_totp(ALICE)
        await services.auth.confirm_totp(
            ALICE, pyotp.TOTP(enrolment.secret).at(services.clock.now())
        )
        code, text = await attempt(port, ca, ALICE, PASSWORD)
        assert code == 534
        assert b"app password required" in text
        _, smtp_password = await services.auth.add_app_password(ALICE, "laptop", ("smtp",))
        assert (await attempt(port, ca, ALICE, smtp_password))[0] == 235
        _, imap_only = await services.auth.add_app_password(ALICE, "phone", ("imap", "pop3"))
        assert (await attempt(port, ca, ALICE, imap_only))[0] == 535
        [laptop, _phone] = await services.auth.list_app_passwords(ALICE)
        assert laptop.last_ip == "127.0.0.1"


async def test_ban_release_and_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    async with submission(tmp_path, clock) as (services, port, ca):
        # smtplib's login() tries PLAIN, then LOGIN: two failed logins per attempt, so the
        # tenth failure (auth.max_failures_per_ip) comes with the fifth attempt.
        for guess in range(5):
            assert (await attempt(port, ca, ALICE, f"guess number {guess}"))[0] == 535
        code, _ = await attempt(port, ca, ALICE, PASSWORD)
        assert code == 421  # banned: the right password does not help
        bans = await services.auth.list_bans()
        assert [ban.scope for ban in bans] == ["ip:127.0.0.1"]
    async with submission(tmp_path, clock, fresh=False) as (services, port, ca):
        assert (await attempt(port, ca, ALICE, PASSWORD))[0] == 421  # still banned
        clock.advance(3601)
        assert (await attempt(port, ca, ALICE, PASSWORD))[0] == 235  # released
