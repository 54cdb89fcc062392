"""Signature, vacation reply and forwarding pages in a real browser, against a real
``courriel serve`` (issue 8, settings part 2).

Covers: the vacation reply turned on from its page, then a message from outside over SMTP
answered once (the server's log says the reply was queued to the sender), a second one not;
the signature saved on its page and starting a new message in the compose form; the pages
with no script or CSP problem.
"""

from __future__ import annotations

import re
import smtplib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from support.browser import watched_page
from support.server_process import RunningServer, init_data, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"
REPLIED = "vacation reply from alice@example.test to <carol@remote.example>"


@dataclass
class Site:
    server: RunningServer
    base: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("web-mail-settings") / "data"
    ports = init_data(data, accounts=(ALICE,))
    with running_server(data, ports) as server:
        yield Site(server, f"https://127.0.0.1:{ports['https']}")
        assert "Traceback" not in server.log_text()


def send_from_outside(site: Site, subject: str) -> None:
    raw = (
        f"From: Carol <carol@remote.example>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject}@remote.example>\r\n\r\nHello\r\n"
    )
    with smtplib.SMTP("127.0.0.1", site.server.ports["smtp"], timeout=30) as client:
        client.sendmail("carol@remote.example", [ALICE], raw.encode())


def wait_for_log(site: Site, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in site.server.log_text():
        assert time.monotonic() < deadline, site.server.log_text()[-3000:]
        time.sleep(0.2)


def test_vacation_and_signature_from_their_pages(site: Site, browser: Browser) -> None:
    watched = watched_page(browser)
    page = watched.page
    page.goto(f"{site.base}/login")
    page.fill("input[name=address]", ALICE)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))
    page.goto(f"{site.base}/settings/vacation")
    page.check("input[name=enabled]")
    page.fill("input[name=subject]", "Away")
    page.fill("textarea[name=body]", "Back on Monday.")
    page.click("form[action='/settings/vacation'] button[type=submit]")
    page.wait_for_url("**/settings/vacation?done=saved")
    assert page.locator("input[name=enabled]").is_checked()

    send_from_outside(site, "first")
    wait_for_log(site, REPLIED)
    send_from_outside(site, "second")
    wait_for_log(site, "<carol@remote.example> already answered")
    assert site.server.log_text().count(REPLIED) == 1

    page.goto(f"{site.base}/settings/signature")
    page.fill("textarea[name=signature]", "Alice, from the browser")
    page.click("form[action='/settings/signature'] button[type=submit]")
    page.wait_for_url("**/settings/signature?done=saved")
    page.goto(f"{site.base}/compose")
    assert "-- \nAlice, from the browser" in page.locator("textarea[name=body]").input_value()
    problems = [
        text for text in watched.console if "Content Security Policy" in text or "Uncaught" in text
    ]
    assert not problems
    watched.context.close()
