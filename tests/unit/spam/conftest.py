"""Fixtures of the spam tests: an embedded store with the domain example.test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from courriel.storage.sqlite import EmbeddedStore, open_embedded_store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    opened = open_embedded_store(tmp_path / "store")
    await opened.directory.add_domain("example.test")
    yield opened
    opened.close()
