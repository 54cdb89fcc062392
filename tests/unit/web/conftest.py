"""A webmail app over real Services on a temporary store, driven by httpx in-process."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp

from courriel.core.clock import FakeClock
from courriel.runtime.services import Services
from courriel.web.app import create_app
from courriel.web.compose_views import Sending
from support.services import temporary_services

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"
BOB = "bob@example.test"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_LOGIN_TOKEN = re.compile(r'name="login_token" value="([^"]+)"')


@dataclass
class Web:
    services: Services
    clock: FakeClock
    client: httpx.AsyncClient

    def browser(self) -> httpx.AsyncClient:
        """Another browser (its own cookies) on the same app."""
        return httpx.AsyncClient(
            transport=self.client._transport, base_url="https://mail.example.test"
        )

    async def account_id(self, address: str) -> int:
        return (await self.services.directory.get_account(address)).id

    async def mailbox_id(self, address: str, name: str = "INBOX") -> int:
        account = await self.account_id(address)
        return (await self.services.mailstore.get_mailbox(account, name)).id

    async def deliver(self, address: str, raw: bytes, name: str = "INBOX") -> int:
        account = await self.account_id(address)
        mailbox = await self.mailbox_id(address, name)
        result = await self.services.mailstore.append(account, mailbox, [(raw, [], None)])
        return result.uids[0]


async def login(
    client: httpx.AsyncClient, address: str = ALICE, password: str = PASSWORD
) -> httpx.Response:
    """The login form, then the password; returns the answer to the POST."""
    form = await client.get("/login")
    token = _LOGIN_TOKEN.search(form.text)
    assert token is not None, form.text
    return await client.post(
        "/login",
        data={"login_token": token.group(1), "address": address, "password": password},
    )


def without_login_delay(services: Services) -> None:
    """Failed logins answer at once (the service's pause against guessing is for real
    clients)."""

    async def no_delay(seconds: float) -> None:
        del seconds

    services.auth.sleep = no_delay


@asynccontextmanager
async def web_client(
    services: Services, clock: FakeClock, app: ASGIApp, host: str = "mail.example.test"
) -> AsyncIterator[Web]:
    """``app`` over in-process HTTPS from one client address, as a :class:`Web`."""
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=f"https://{host}") as client:
        yield Web(services, clock, client)


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Web]:
    clock = FakeClock(1_800_000_000.0)
    async with temporary_services(tmp_path, clock=clock) as services:
        without_login_delay(services)
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account(ALICE, PASSWORD)
        await services.directory.add_account(BOB, PASSWORD)
        app = create_app(
            mailstore=services.mailstore,
            auth=services.auth,
            sessions=services.web_sessions,
            bus=services.bus,
            clock=clock,
            sending=Sending(services.delivery, services.config.limits.max_message_size),
        )
        async with web_client(services, clock, app) as opened:
            yield opened


# -- area: settings and admin (test_settings.py, test_admin.py) ---------------------------------
ADMIN = "root@example.test"


@pytest.fixture
async def managed(tmp_path: Path) -> AsyncIterator[Web]:
    """The app with its settings and admin pages; ``ADMIN`` has the admin role."""
    import datetime as dt  # noqa: PLC0415 - only this fixture needs them

    from courriel.net.tls import CertificateInfo  # noqa: PLC0415
    from courriel.web.management import Management, ServerStatus  # noqa: PLC0415

    clock = FakeClock(1_800_000_000.0)
    certificate = CertificateInfo(
        subject="CN=mail.example.test",
        names=("mail.example.test",),
        not_before=dt.datetime.fromtimestamp(clock.now() - 86400, dt.UTC),
        not_after=dt.datetime.fromtimestamp(clock.now() + 5 * 86400 + 3600, dt.UTC),
        fingerprint_sha256="00",
        issuer="CN=mail.example.test",
    )
    async with temporary_services(tmp_path, clock=clock) as services:
        without_login_delay(services)
        await services.directory.add_domain("example.test")
        await services.directory.add_account(ALICE, PASSWORD, display_name="Alice")
        await services.directory.add_account(BOB, PASSWORD)
        await services.directory.add_account(ADMIN, PASSWORD, admin=True)
        config = services.config
        app = create_app(
            mailstore=services.mailstore,
            auth=services.auth,
            sessions=services.web_sessions,
            bus=services.bus,
            clock=clock,
            management=Management(
                services.directory,
                services.spam,
                services.queue,
                services.security_log,
                ServerStatus(config.enabled_listeners(), config.storage.path, lambda: certificate),
                "mail.example.test",
            ),
        )
        async with web_client(services, clock, app) as opened:
            yield opened
