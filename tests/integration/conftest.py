"""Fixtures the integration tests share: one chromium per test module for the webmail's
browser tests (``support.browser.chromium`` skips when chromium or Playwright is missing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from support.browser import chromium

if TYPE_CHECKING:  # Playwright is only needed by the tests that use a browser
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched
