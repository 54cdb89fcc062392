"""Fixtures of the delivery tests: real ``Services`` with bob@example.test (a module may
define its own ``services`` with more), and a real SMTP listener over them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from courriel.runtime.services import Services
from support.mx import mx_listener
from support.services import temporary_services


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with temporary_services(tmp_path / "data") as opened:
        await opened.directory.add_domain("example.test", dkim=False)
        await opened.directory.add_account("bob@example.test", None)
        yield opened


@pytest.fixture
async def mx_port(services: Services, tmp_path: Path) -> AsyncIterator[int]:
    async with mx_listener(services, tmp_path) as port:
        yield port
