"""Real ``Services`` on a temporary embedded store, for tests of the domain services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from courriel.config.load import default_config
from courriel.directory.passwords import FAST_TEST_PARAMETERS, PasswordHasher
from courriel.runtime.services import Services, open_services


@asynccontextmanager
async def temporary_services(data_dir: Path, parse_workers: int = 0) -> AsyncIterator[Services]:
    """Services over a fresh store in ``data_dir``, with cheap password hashing."""
    services = open_services(
        default_config(data_dir),
        hasher=PasswordHasher(FAST_TEST_PARAMETERS),
        parse_workers=parse_workers,
    )
    try:
        yield services
    finally:
        await services.aclose()
