"""Settings and admin pages in a real browser, against a real ``courriel serve``.

Covers: turning two-step verification on from the settings page (the key read from the
page, the code computed with pyotp), logging out and in again with a code; an app password
made on the page and used by imaplib over IMAPS (the account password no longer opens IMAP
once 2FA is on); an admin creating an account on the admin page, and that account logging
in; the DNS records page with its copy buttons. Screenshots are saved as artefacts.
"""

from __future__ import annotations

import imaplib
import re
import ssl
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyotp
import pytest

from support.browser import Watched, screenshot, watched_page
from support.server_process import RunningServer, courriel, init_data, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"
ADMIN = "root@example.test"


@dataclass
class Site:
    server: RunningServer
    base: str
    artefacts: Path

    def imap_login(self, address: str, password: str) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        port = self.server.ports["imaps"]
        with imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context, timeout=20) as imap:
            imap.login(address, password)
            status, _ = imap.select("INBOX")
            assert status == "OK"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("web-settings") / "data"
    ports = init_data(data, accounts=(ALICE,))
    added = courriel(
        "account",
        "add",
        ADMIN,
        "--admin",
        "--password-stdin",
        "--data",
        str(data),
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    artefacts = Path(tempfile.mkdtemp(prefix="courriel-web-settings-screenshots-"))
    with running_server(data, ports) as server:
        yield Site(server, f"https://127.0.0.1:{ports['https']}", artefacts)
        assert "Traceback" not in server.log_text()


def script_problems(watched: Watched) -> list[str]:
    """Console messages telling of a CSP violation or a script error."""
    return [
        text
        for text in watched.console
        if "Content Security Policy" in text or "Uncaught" in text or "Error" in text
    ]


def log_in(watched: Watched, site: Site, address: str, password: str = PASSWORD) -> None:
    page = watched.page
    page.goto(f"{site.base}/login")
    page.fill("input[name=address]", address)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_2fa_enrolment_and_an_app_password_for_imap(site: Site, browser: Browser) -> None:
    print(f"\nsettings screenshots: {site.artefacts}")
    watched = watched_page(browser)
    page = watched.page
    log_in(watched, site, ALICE)
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))
    page.click("a[href='/settings']")
    page.click("a[href='/settings/2fa']")
    page.fill("input[name=password]", PASSWORD)
    page.click("text=Turn on")
    page.wait_for_selector("#totp-secret")
    qr = page.locator("img.qr")
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    assert qr.evaluate("image => image.naturalWidth") > 0  # the CSP let the image draw
    screenshot(page, site.artefacts, "01-2fa-scan")
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text())
    # Confirm with the previous step's code (inside the ±1 window), leaving the current
    # step unused for the login below; not close to a step's end.
    into_step = time.time() % 30
    if into_step > 22:
        time.sleep(30.5 - into_step)
    page.fill("input[name=code]", totp.at(time.time() - 30))
    page.click("text=Confirm")
    page.wait_for_selector("#recovery-codes")
    assert page.locator("#recovery-codes li").count() == 10
    screenshot(page, site.artefacts, "02-recovery-codes")

    page.click("form[action='/logout'] button")
    page.wait_for_url("**/login")
    log_in(watched, site, ALICE)
    page.wait_for_url("**/login/code")
    page.fill("input[name=code]", totp.at(time.time()))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))

    # With 2FA on, IMAP needs an app password.
    with pytest.raises(imaplib.IMAP4.error, match="app password required"):
        site.imap_login(ALICE, PASSWORD)
    page.goto(f"{site.base}/settings/app-passwords")
    page.fill("input[name=name]", "imaplib")
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/settings/app-passwords'] button[type=submit]")
    app_password = page.locator("#app-password").inner_text()
    assert re.fullmatch(r"[a-z]{4}( [a-z]{4}){4}", app_password)
    screenshot(page, site.artefacts, "03-app-password")
    site.imap_login(ALICE, app_password)
    page.goto(f"{site.base}/settings/app-passwords")
    row = page.locator("table.grid tbody tr", has_text="imaplib")
    assert "never" not in row.inner_text()  # its last use is listed
    assert app_password not in page.content()  # shown once only
    assert not script_problems(watched)
    watched.context.close()


def test_admin_creates_an_account_that_can_log_in(site: Site, browser: Browser) -> None:
    watched = watched_page(browser)
    page = watched.page
    log_in(watched, site, ADMIN)
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))
    page.goto(f"{site.base}/settings")
    page.click("a[href='/admin']")
    assert page.locator("#listeners").inner_text().count("imaps") == 1
    assert "day(s) left" in page.locator("#cert-expiry").inner_text()
    screenshot(page, site.artefacts, "04-admin")
    page.click("nav.subnav >> text=Accounts")
    form = page.locator("#new-account")
    form.locator("input[name=address]").fill("carol@example.test")
    form.locator("input[name=display_name]").fill("Carol")
    form.locator("input[name=password]").fill("a fresh long passphrase")
    form.locator("input[name=quota]").fill("10 MiB")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/admin/accounts/carol@example\.test\?done=account$"))
    assert "Account created." in page.inner_text("main")
    screenshot(page, site.artefacts, "05-account-created")

    page.goto(f"{site.base}/admin/domains/example.test")
    records = page.locator("#dns-records").inner_text()
    assert "v=spf1 mx -all" in records and "v=DKIM1" in records and "v=DMARC1" in records
    watched.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.locator("tr.dns-spf button.copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == "v=spf1 mx -all"
    screenshot(page, site.artefacts, "06-dns-records")
    assert not script_problems(watched)
    watched.context.close()

    carol = watched_page(browser)
    log_in(carol, site, "carol@example.test", "a fresh long passphrase")
    carol.page.wait_for_url(re.compile(r".*/mail/\d+/$"))
    assert "carol@example.test" in carol.page.inner_text("header")
    # Carol is no admin: the admin pages do not exist for her.
    answer = carol.page.goto(f"{site.base}/admin")
    assert answer is not None and answer.status == 404
    carol.context.close()
