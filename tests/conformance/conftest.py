"""Fixtures of the conformance suite: one parameter per backend, by name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from courriel.storage.ports import ChangeBus
from support.backends import BACKENDS, CHANGE_BUSES, Backend


@pytest.fixture(params=sorted(BACKENDS))
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    async with BACKENDS[request.param](tmp_path) as opened:
        yield opened


@pytest.fixture(params=sorted(CHANGE_BUSES))
def bus(request: pytest.FixtureRequest) -> ChangeBus:
    return CHANGE_BUSES[request.param]()
