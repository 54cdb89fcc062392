"""Acting on mail in a real browser: a real ``courriel serve`` on ephemeral ports, mail
appended over IMAPS with imaplib, Debian's chromium driven by Playwright.

One walk through (the browser tests are kept few: CI time): create a folder, select two
messages and move them there with the "Move to" select, mark one as spam (IMAP sees it in
Junk; the move recorded the spam filter's feedback), search for a word and open the
result, go to the next message with ``k``, drag a message onto a folder of the folder list,
and delete one with the ``#`` key. Screenshots go to a ``courriel-web-actions-*`` folder
(printed with ``-s``).
"""

from __future__ import annotations

import asyncio
import imaplib
import re
import ssl
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from courriel.config import load_config
from courriel.runtime.services import open_services
from courriel.storage.records import SpamFeedback
from support.browser import Watched, chromium, screenshot, watched_page
from support.server_process import PASSWORD, RunningServer, init_data, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.integration

ALICE = "alice@example.test"


def message(subject: str, body: str) -> bytes:
    return (
        f"From: Colleague <colleague@example.org>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
        f"Date: Sun, 22 Nov 2026 09:00:00 +0000\r\n"
        f"Message-ID: <{subject.replace(' ', '.')}@example.org>\r\n\r\n{body}\r\n"
    ).encode()


MESSAGES = {
    "Quarterly figures": "The spreadsheet with the zanzibar numbers is attached below.",
    "Team offsite": "We meet on Friday at the station.",
    "Winning lottery": "Claim your prize now!!!",
    "Old newsletter": "Nothing new this week.",
    "Meeting notes": "Notes from Monday.",
}


def imap(server: RunningServer) -> imaplib.IMAP4_SSL:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    client = imaplib.IMAP4_SSL("127.0.0.1", server.ports["imaps"], ssl_context=context, timeout=20)
    client.login(ALICE, PASSWORD)
    return client


def subjects_in(server: RunningServer, mailbox: str) -> list[str]:
    """The subjects an IMAP client sees in ``mailbox``."""
    with imap(server) as client:
        status, _ = client.select(f'"{mailbox}"', readonly=True)
        assert status == "OK", mailbox
        _, found = client.uid("SEARCH", "ALL")
        uids = found[0].split()
        if not uids:
            return []
        _, data = client.uid(
            "FETCH", b",".join(uids).decode(), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"
        )
        return sorted(
            item[1].decode().strip().removeprefix("Subject: ")
            for item in data
            if isinstance(item, tuple)
        )


def pending_feedback(data: Path) -> list[SpamFeedback]:
    """The spam-filter reports not yet trained on, read from the store directly."""

    async def read() -> list[SpamFeedback]:
        services = open_services(load_config(data / "courriel.toml"), parse_workers=0)
        try:
            return await services.mailstore.pending_spam_feedback()
        finally:
            await services.aclose()

    # In a thread of its own: Playwright's sync API runs an event loop in this one.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, read()).result()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("web-actions") / "data"
    ports = init_data(data, accounts=(ALICE,))
    with running_server(data, ports) as running:
        with imap(running) as client:
            for subject, body in MESSAGES.items():
                status, _ = client.append("INBOX", "", None, message(subject, body))
                assert status == "OK"
        yield running
        assert "Traceback" not in running.log_text()


def log_in(watched: Watched, base: str) -> None:
    page = watched.page
    page.goto(f"{base}/login")
    page.fill("input[name=address]", ALICE)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))


def row(page: Page, subject: str) -> Locator:
    return page.locator(".messages li", has_text=subject)


def open_folder(page: Page, name: str) -> None:
    page.locator(".folders a", has_text=name).first.click()
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))


def test_act_on_mail_in_a_real_browser(server: RunningServer) -> None:
    base = f"https://127.0.0.1:{server.ports['https']}"
    artefacts = Path(tempfile.mkdtemp(prefix="courriel-web-actions-"))
    print(f"\nwebmail action screenshots: {artefacts}")
    with chromium() as browser:
        watched = watched_page(browser)
        page = watched.page
        failed: list[str] = []
        page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
        log_in(watched, base)
        assert row(page, "Quarterly figures").count() == 1

        # A new folder, from the folder page.
        page.click("text=Manage folders")
        page.fill(".create-folder input[name=name]", "Projects")
        page.click(".create-folder button[type=submit]")
        page.wait_for_url("**/folders")
        assert page.locator(".folder-table tr[data-folder=Projects]").count() == 1
        open_folder(page, "Inbox")

        # Two messages selected, moved there with the select.
        row(page, "Quarterly figures").locator("input[type=checkbox]").check()
        row(page, "Team offsite").locator("input[type=checkbox]").check()
        page.select_option("#move-target", label="Projects")
        screenshot(page, artefacts, "01-selected")
        page.click(".action-bar button[value=move]")
        page.wait_for_url(re.compile(r".*/mail/\d+/$"))
        assert row(page, "Quarterly figures").count() == 0
        assert row(page, "Team offsite").count() == 0
        assert subjects_in(server, "Projects") == ["Quarterly figures", "Team offsite"]

        # One marked as spam: in Junk for IMAP, and reported to the spam filter.
        row(page, "Winning lottery").locator("input[type=checkbox]").check()
        page.click(".action-bar button[value=spam]")
        page.wait_for_url(re.compile(r".*/mail/\d+/$"))
        assert row(page, "Winning lottery").count() == 0
        assert subjects_in(server, "Junk") == ["Winning lottery"]
        assert "Winning lottery" not in subjects_in(server, "INBOX")
        assert re.search(r"spam feedback \d+: account \d+ reported .* as spam", server.log_text())
        reports = pending_feedback(server.data)
        if not reports:  # the once-a-minute training consumed it already
            assert "spam training: 1 reports (1 trained" in server.log_text()
        else:
            assert [report.verdict for report in reports] == ["spam"]

        # Search for a word of a message's body, in the folder it now lives in.
        open_folder(page, "Projects")
        page.fill(".search-box input[name=q]", "zanzibar")
        page.press(".search-box input[name=q]", "Enter")
        page.wait_for_url("**/search?**")
        assert row(page, "Quarterly figures").count() == 1
        assert row(page, "Team offsite").count() == 0
        screenshot(page, artefacts, "02-search")
        row(page, "Quarterly figures").locator("a").click()
        page.locator("text=zanzibar numbers").wait_for()
        screenshot(page, artefacts, "03-message")
        page.keyboard.press("k")  # the newer message of the folder
        page.locator("h1", has_text="Team offsite").wait_for()

        # Drag and drop a message onto a folder of the folder list.
        open_folder(page, "Inbox")
        row(page, "Old newsletter").drag_to(page.locator(".folders a", has_text="Archive"))
        deadline = time.monotonic() + 10
        while "Old newsletter" not in subjects_in(server, "Archive"):
            assert time.monotonic() < deadline, "the dropped message never reached Archive"
            page.wait_for_timeout(100)
        page.wait_for_timeout(300)  # the page reloads after the move
        assert row(page, "Old newsletter").count() == 0

        # Keyboard: j focuses the first message, # deletes it (into Trash).
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("j")
        assert "focused" in (row(page, "Meeting notes").get_attribute("class") or "")
        page.keyboard.press("#")
        page.wait_for_url(re.compile(r".*/mail/\d+/$"))
        assert subjects_in(server, "Trash") == ["Meeting notes"]
        assert subjects_in(server, "INBOX") == []
        screenshot(page, artefacts, "04-after")
        # No script error and nothing the page's CSP refused; no address the pages use
        # failed (the browser's own favicon request, invisible to Playwright, may 404).
        assert failed == []
        assert [m for m in watched.console if not m.startswith("Failed to load")] == []
        watched.context.close()
