"""A real browser for the webmail tests: Debian's chromium driven by Playwright.

Playwright is a test dependency; its own browser downloads are never used: it launches
``/usr/bin/chromium`` (Debian package ``chromium``) through ``executable_path``. Tests skip,
saying what to install, when either is missing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Dialog,
        Page,
        Request,
    )

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    return None


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless chromium, or the test is skipped with the reason."""
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "chromium is not installed (Debian package chromium; "
            "scripts/install-debian-packages scripts/debian-packages.txt)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # The test machine runs as root in a container: chromium's own sandbox needs
            # user namespaces it may not have. Pages are our test server's only.
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """A page with every console message, dialog and request recorded (frames included)."""

    context: BrowserContext
    page: Page
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def requests_to(self, host: str) -> list[str]:
        return [url for url in self.requests if f"//{host}" in url]


def watched_page(browser: Browser, *, language: str = "en-GB", block_host: str = "") -> Watched:
    """A new context (its own cookies) accepting the test server's self-signed certificate;
    requests to ``block_host`` are recorded and aborted (nothing leaves the machine)."""
    context = browser.new_context(ignore_https_errors=True, locale=language)
    page = context.new_page()
    watched = Watched(context, page)

    def on_console(message: ConsoleMessage) -> None:
        watched.console.append(message.text)

    def on_request(request: Request) -> None:
        watched.requests.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    if block_host:
        context.route(f"**://{block_host}/**", lambda route: route.abort())
    return watched


def screenshot(page: Page, folder: Path, name: str) -> Path:
    """Save a full-page screenshot as a test artefact."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in_with_password(page: Page, base: str, address: str, password: str) -> None:
    """The login form with an address and its password, until the mailbox list shows."""
    page.goto(f"{base}/login")
    page.fill("input[name=address]", address)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))
