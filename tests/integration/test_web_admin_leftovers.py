"""DKIM key rotation and new recovery codes in a real browser, against a real
``courriel serve`` (issue 8, admin and settings leftovers).

Covers: an admin making a new DKIM key on the domain page, the new records shown to
publish while mail is still signed with the old key, marking the new key active (the box
saying the records are published ticked), mail submitted afterwards over SMTP signed with
the new selectors only and verifying with dkimpy against the records the page showed (and
not against the old ones), the old key retired then removed; a user with two-step
verification making new recovery codes (password again): an old code no longer logs in,
a new one does. The messages are read back over IMAPS by imaplib. Screenshots are saved
as artefacts.
"""

from __future__ import annotations

import imaplib
import re
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dkim
import pytest

from support.browser import Watched, log_in_with_password, screenshot, watched_page
from support.server_process import PASSWORD, RunningServer, courriel, init_data, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.integration

ALICE = "alice@example.test"
BOB = "bob@example.test"
ADMIN = "root@example.test"


@dataclass
class Site:
    server: RunningServer
    data: Path
    base: str
    artefacts: Path

    def send(self, subject: str) -> None:
        """Alice submits a message to Bob (plaintext AUTH on loopback is allowed by --dev)."""
        with smtplib.SMTP("127.0.0.1", self.server.ports["submission"], timeout=30) as client:
            client.login(ALICE, PASSWORD)
            refused = client.sendmail(
                ALICE,
                [BOB],
                f"From: Alice <{ALICE}>\r\nTo: {BOB}\r\nSubject: {subject}\r\n\r\n"
                "Which key signs me?\r\n".encode(),
            )
            assert refused == {}

    def received(self, subject: str) -> bytes:
        """The message with ``subject`` in Bob's INBOX, fetched over IMAPS."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        port = self.server.ports["imaps"]
        with imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context, timeout=20) as imap:
            imap.login(BOB, PASSWORD)
            imap.select("INBOX")
            for _ in range(100):
                status, found = imap.search(None, "SUBJECT", f'"{subject}"')
                if status == "OK" and found[0]:
                    break
                imap.noop()
                imap.select("INBOX")
            else:
                raise AssertionError(f"no message {subject!r} for {BOB}")
            _, parts = imap.fetch(found[0].split()[-1], "(BODY.PEEK[])")
            first = parts[0]
            assert isinstance(first, tuple)
            return bytes(first[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("web-admin-leftovers") / "data"
    ports = init_data(data, accounts=(ALICE, BOB))
    added = courriel(
        "account", "add", ADMIN, "--admin", "--password-stdin", "--data", str(data),
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    artefacts = Path(tempfile.mkdtemp(prefix="courriel-web-admin-leftovers-screenshots-"))
    with running_server(data, ports) as server:
        yield Site(server, data, f"https://127.0.0.1:{ports['https']}", artefacts)
        assert "Traceback" not in server.log_text()


def selectors_of(message: bytes) -> list[str]:
    header = message.split(b"\r\n\r\n", 1)[0]
    return sorted(
        value.decode() for value in re.findall(rb"DKIM-Signature:.*?\bs=([\w-]+);", header, re.S)
    )


def verifies(message: bytes, records: dict[str, str]) -> list[bool]:
    """dkimpy's verdict on each DKIM-Signature, DNS answering with ``records``
    (selector → TXT value) only."""

    def dns(name: bytes, timeout: int = 5) -> bytes:
        del timeout
        return records.get(name.decode().split("._domainkey.")[0], "").encode()

    verifier = dkim.DKIM(message)
    count = message.count(b"DKIM-Signature:")
    return [bool(verifier.verify(idx=index, dnsfunc=dns)) for index in range(count)]


def dkim_records(watched: Watched) -> dict[str, str]:
    """selector → TXT value, from the DNS table of the domain page."""
    records = {}
    for row in watched.page.locator("#dns-records tr.dns-dkim").all():
        name = row.locator("td").nth(0).inner_text().strip()
        value = row.locator("code.value").inner_text().strip()
        records[name.split("._domainkey.")[0]] = value
    return records


def pair_row_state(watched: Watched, base: str) -> str:
    return watched.page.locator(f"#dkim-keys tr[data-pair='{base}'] .key-state").inner_text()


def test_dkim_rotation_from_the_domain_page(site: Site, browser: Browser) -> None:
    print(f"\nadmin screenshots: {site.artefacts}")
    watched = watched_page(browser)
    page = watched.page
    log_in_with_password(page, site.base, ADMIN, PASSWORD)
    page.goto(f"{site.base}/admin/domains/example.test")
    old_records = dkim_records(watched)
    assert len(old_records) == 2
    [old_base] = page.locator("#dkim-keys tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.pair)"
    )
    assert pair_row_state(watched, old_base) == "signing"

    page.click("#dkim-rotate button")
    page.wait_for_url(re.compile(r".*/admin/domains/example\.test\?done=dkim_rotated$"))
    assert "New key made" in page.inner_text("main")
    records = dkim_records(watched)
    new_records = {s: v for s, v in records.items() if s not in old_records}
    assert len(new_records) == 2 and all(v.startswith("v=DKIM1;") for v in new_records.values())
    new_base = next(iter(new_records)).rsplit("-", 1)[0]
    assert pair_row_state(watched, new_base) == "new, not signing yet"
    screenshot(page, site.artefacts, "01-dkim-new-key-pending")

    # Pending: mail is still signed with the old key only, and verifies with its records.
    site.send("before activation")
    before = site.received("before activation")
    assert selectors_of(before) == sorted(old_records)
    assert verifies(before, old_records) == [True, True]

    pending_row = page.locator(f"#dkim-keys tr[data-pair='{new_base}']")
    pending_row.locator("input[name=published]").check()
    pending_row.locator("form.activate button[type=submit]").click()
    page.wait_for_url(re.compile(r".*\?done=dkim_activated$"))
    assert pair_row_state(watched, new_base) == "signing"
    assert pair_row_state(watched, old_base) == "retired"
    screenshot(page, site.artefacts, "02-dkim-new-key-active")

    # Active: a message submitted now carries the new selectors only and verifies (dkimpy)
    # with the records the page showed for the new key; the old records cannot verify it.
    site.send("after activation")
    after = site.received("after activation")
    assert selectors_of(after) == sorted(new_records)
    assert verifies(after, new_records) == [True, True]
    assert verifies(after, old_records) == [False, False]

    # The retired key goes; the active one offers no removal.
    assert page.locator(f"#dkim-keys tr[data-pair='{new_base}'] form.remove").count() == 0
    page.locator(f"#dkim-keys tr[data-pair='{old_base}'] form.remove button").click()
    page.wait_for_url(re.compile(r".*\?done=dkim_removed$"))
    assert dkim_records(watched) == new_records
    screenshot(page, site.artefacts, "03-dkim-old-key-removed")
    assert not [text for text in watched.console if "Content Security Policy" in text]
    watched.context.close()


def test_new_recovery_codes_from_the_2fa_page(site: Site, browser: Browser) -> None:
    enabled = courriel("account", "2fa", "enable", ALICE, "--data", str(site.data), stdin="")
    secret = re.search(r"key: ([A-Z2-7]+)", enabled.stdout)
    assert secret is not None, enabled.stdout
    import pyotp  # noqa: PLC0415 - only this test computes a code

    confirmed = courriel(
        "account", "2fa", "confirm", ALICE, pyotp.TOTP(secret.group(1)).now(),
        "--data", str(site.data),
    )  # fmt: skip
    assert confirmed.returncode == 0, confirmed.stderr
    old_codes = re.findall(r"^  (\S+)$", confirmed.stdout, re.M)
    assert len(old_codes) == 10

    watched = watched_page(browser)
    page = watched.page
    log_in_with_code(watched, site, old_codes[0])
    page.goto(f"{site.base}/settings/2fa")
    form = page.locator("#new-recovery-codes")
    form.locator("input[name=password]").fill("not the password")
    form.locator("button[type=submit]").click()
    assert "The current password is not right." in page.inner_text("main")
    assert page.locator("#recovery-codes").count() == 0
    form = page.locator("#new-recovery-codes")
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#recovery-codes")
    assert "the earlier ones no longer work" in page.inner_text("main")
    new_codes = [code.strip() for code in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(new_codes) == 10 and set(new_codes).isdisjoint(old_codes)
    screenshot(page, site.artefacts, "04-new-recovery-codes")
    page.goto(f"{site.base}/settings/2fa")
    assert not any(code in page.content() for code in new_codes)  # shown once
    page.click("form[action='/logout'] button")
    page.wait_for_url("**/login")

    # An old code, never used, no longer opens the account; a new one does.
    log_in_with_code(watched, site, old_codes[1], succeeds=False)
    assert "That code is not valid." in page.inner_text("main")
    log_in_with_code(watched, site, new_codes[0])
    watched.context.close()


def log_in_with_code(watched: Watched, site: Site, code: str, *, succeeds: bool = True) -> None:
    page = watched.page
    page.goto(f"{site.base}/login")
    page.fill("input[name=address]", ALICE)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/login/code")
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    if succeeds:
        page.wait_for_url(re.compile(r".*/mail/\d+/$"))
    else:
        page.wait_for_load_state()
        assert "/mail/" not in page.url
