"""Writing mail in a real browser: a real ``courriel serve`` on ephemeral ports, Debian's
chromium driven by Playwright, and imaplib to look at the result.

Covers: logging in, writing a message with one file chosen in the file input and one
dropped on the form (our own drag-and-drop script), the draft saved automatically after
30 seconds (Playwright's clock) with both files, sending it to a local account, the
recipient's INBOX holding it with both attachments (read over IMAPS), the Sent copy marked
\\Seen, the draft gone, and the recipient offered as a suggestion the next time.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import re
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from support.browser import log_in_with_password, screenshot, watched_page
from support.server_process import RunningServer, init_data, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"
BOB = "bob@example.test"
REPORT = b"%PDF-1.4 quarterly figures \x00\x01\x02\xff" * 50


@dataclass
class Site:
    server: RunningServer
    base: str
    artefacts: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("compose") / "data"
    ports = init_data(data, accounts=(ALICE, BOB))
    artefacts = Path(tempfile.mkdtemp(prefix="courriel-web-compose-"))
    with running_server(data, ports) as server:
        yield Site(server, f"https://127.0.0.1:{ports['https']}", artefacts)
        assert "Traceback" not in server.log_text()


def imap_messages(site: Site, address: str, mailbox: str) -> list[tuple[EmailMessage, bytes]]:
    """(message, FLAGS response) of every message in ``mailbox``, over IMAPS."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    port = site.server.ports["imaps"]
    found = []
    with imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context, timeout=20) as imap:
        imap.login(address, PASSWORD)
        imap.select(mailbox, readonly=True)
        _, uids = imap.uid("SEARCH", "ALL")
        for uid in uids[0].split():
            _, data = imap.uid("FETCH", uid.decode(), "(FLAGS BODY.PEEK[])")
            first = data[0]
            assert isinstance(first, tuple), data
            message = email.message_from_bytes(first[1], policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            found.append((message, first[0]))
    return found


def test_compose_with_attachments_and_send_to_a_local_account(site: Site, browser: Browser) -> None:
    print(f"\ncompose screenshots: {site.artefacts}")
    chosen = site.artefacts / "report.pdf"
    chosen.write_bytes(REPORT)
    watched = watched_page(browser)
    page = watched.page
    log_in_with_password(page, site.base, ALICE, PASSWORD)

    page.clock.install()  # the form's timers: the 30-second autosave runs when we say
    page.click("text=Write")
    page.wait_for_url("**/compose")
    assert page.locator(".size-limit").inner_text().startswith("Messages may be up to")
    page.fill("input[name=to]", BOB)
    page.fill("input[name=subject]", "Quarterly figures")
    page.fill("textarea[name=body]", "Hello Bob,\nthe figures are attached.\nAlice")
    page.set_input_files("input[type=file]", str(chosen))
    # A second file dropped on the form: a real drop event carrying a File.
    page.evaluate(
        """() => {
            const transfer = new DataTransfer();
            transfer.items.add(new File(["month,value\\noctober,42\\n"], "figures.csv",
                                        { type: "text/csv" }));
            const zone = document.querySelector("[data-drop]");
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true }));
        }"""
    )
    assert page.locator("ul.chosen li").count() == 2
    assert page.evaluate("document.querySelector('input[type=file]').files.length") == 2
    screenshot(page, site.artefacts, "01-compose")

    # The draft is saved after 30 seconds, files included; the form then names them as
    # parts of the draft (kept), no longer as files to upload.
    page.clock.run_for(31_000)
    page.locator(".autosave-status").wait_for()
    assert page.locator("ul.kept input[name=keep]").count() == 2
    assert page.locator("ul.chosen li").count() == 0
    [(draft, draft_flags)] = imap_messages(site, ALICE, "Drafts")
    assert b"\\Draft" in draft_flags
    assert draft["Subject"] == "Quarterly figures"
    assert {part.get_filename() for part in draft.iter_attachments()} == {
        "report.pdf",
        "figures.csv",
    }
    page.click("button[value=send]")
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))
    assert page.locator(".messages li", has_text="Quarterly figures").count() == 1  # Sent
    screenshot(page, site.artefacts, "02-sent")

    [(received, _)] = imap_messages(site, BOB, "INBOX")
    assert received["Subject"] == "Quarterly figures"
    assert received["From"] == ALICE
    body = received.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content() == "Hello Bob,\r\nthe figures are attached.\r\nAlice\r\n"
    files = {part.get_filename(): part for part in received.iter_attachments()}
    assert files["report.pdf"].get_content() == REPORT
    assert files["report.pdf"].get_content_type() == "application/pdf"
    assert files["figures.csv"].get_content() == "month,value\noctober,42\n"
    [(sent, flags)] = imap_messages(site, ALICE, "Sent")
    assert sent["Message-ID"] == received["Message-ID"]
    assert b"\\Seen" in flags
    assert imap_messages(site, ALICE, "Drafts") == []  # sending removed the draft

    # Next time, Bob is suggested after two letters.
    page.click("text=Write")
    page.wait_for_url("**/compose")
    page.locator("input[name=to]").press_sequentially("bo")
    suggestion = page.locator("#compose-to + .suggestions li", has_text=BOB)
    suggestion.wait_for()
    suggestion.click()
    assert page.input_value("input[name=to]") == f"{BOB}, "
    assert not [text for text in watched.console if "error" in text.lower()]
