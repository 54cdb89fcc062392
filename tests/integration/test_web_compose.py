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
import re
from collections.abc import Iterator
from email.message import EmailMessage
from typing import TYPE_CHECKING

import pytest

from support.browser import log_in_with_password, screenshot, watched_page
from support.webmail import WebSite, imap_client, webmail_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"
BOB = "bob@example.test"
REPORT = b"%PDF-1.4 quarterly figures \x00\x01\x02\xff" * 50


Site = WebSite


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("compose") / "data"
    with webmail_site(data, (ALICE, BOB), "courriel-web-compose-") as running:
        yield running


def imap_messages(site: Site, address: str, mailbox: str) -> list[tuple[EmailMessage, bytes]]:
    """(message, FLAGS response) of every message in ``mailbox``, over IMAPS."""
    found = []
    with imap_client(site.server) as imap:
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


def test_rich_text_is_sent_as_html_and_plain_text(site: Site, browser: Browser) -> None:
    """Bob writes in the rich-text editor (the toolbar's Bold, a bulleted list, an attribute
    a page script could add), sends to Alice; Alice's INBOX holds multipart/alternative with
    the bold text as HTML and its plain twin, and nothing of the injected handler. His reply
    starts in rich text (the mode is remembered) with the original in a blockquote, and a
    draft saved in rich text reopens in rich text."""
    watched = watched_page(browser)
    page = watched.page
    log_in_with_password(page, site.base, BOB, PASSWORD)
    page.click("text=Write")
    page.wait_for_url("**/compose")
    page.fill("input[name=to]", ALICE)
    page.fill("input[name=subject]", "Rich greetings")
    page.click("button.format-toggle")
    editor = page.locator("#compose-editor")
    assert editor.is_visible()
    assert not page.locator("textarea[name=body]").is_visible()
    editor.click()
    page.keyboard.type("Hello ")
    page.click(".editor-bar [data-command=bold]")
    assert page.get_attribute(".editor-bar [data-command=bold]", "aria-pressed") == "true"
    page.keyboard.type("very bold")
    page.click(".editor-bar [data-command=bold]")
    page.keyboard.type(" words.")
    page.keyboard.press("Enter")
    page.click(".editor-bar [data-command=insertUnorderedList]")
    page.keyboard.type("first point")
    # What a hostile extension or a pasted page could leave in the editor's DOM.
    page.evaluate(
        """() => {
            const span = document.createElement("span");
            span.setAttribute("onclick", "console.log('XSS-onclick')");
            span.textContent = " click me";
            const script = document.createElement("script");
            script.type = "text/plain"; // inert here; the server must still drop it
            script.textContent = "console.log('XSS-script')";
            const editor = document.getElementById("compose-editor");
            editor.appendChild(span);
            editor.appendChild(script);
        }"""
    )
    screenshot(page, site.artefacts, "03-rich-compose")
    page.click("button[value=send]")
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))

    [received] = [m for m, _ in imap_messages(site, ALICE, "INBOX") if "Rich" in m["Subject"]]
    assert received.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in received.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    html_part = received.get_body(preferencelist=("html",))
    plain_part = received.get_body(preferencelist=("plain",))
    assert html_part is not None and plain_part is not None
    markup = html_part.get_content()
    assert re.search(r"<(b|strong)>very bold</(b|strong)>", markup), markup
    assert "<li>first point</li>" in markup
    assert "onclick" not in markup and "XSS" not in markup and "<script" not in markup
    text = plain_part.get_content()
    assert "Hello very bold words." in text and "- first point" in text, text
    assert "<" not in text and "XSS" not in text

    # The reply: rich text again (remembered), the original quoted in a blockquote.
    page.goto(f"{site.base}/")
    [sent_row] = page.locator(".folders a", has_text="Sent").all()
    sent_row.click()
    page.locator(".messages li a", has_text="Rich greetings").click()
    page.click(".compose-links a[data-key=r]")
    page.wait_for_url("**/compose/reply/**")
    assert page.locator("#compose-editor").is_visible()
    quote = page.locator("#compose-editor blockquote")
    assert "very bold" in quote.inner_text()
    assert quote.locator("b, strong").count() == 1
    page.locator("#compose-editor").press("Control+Home")
    page.keyboard.type("Thanks, ")
    page.click(".editor-bar [data-command=italic]")
    page.keyboard.type("noted")
    page.click("button[value=save]")
    page.wait_for_url("**/compose/draft/*?saved=1")
    assert page.locator("#compose-editor").is_visible()  # the draft kept its mode
    assert page.locator("#compose-editor i, #compose-editor em").inner_text() == "noted"
    [(draft, _)] = imap_messages(site, BOB, "Drafts")
    assert draft.get_content_type() == "multipart/alternative"
    screenshot(page, site.artefacts, "04-rich-draft")

    # Back to plain text: the editor's content as quoted lines.
    page.click("button.format-toggle")
    body = page.input_value("textarea[name=body]")
    assert "Thanks, noted" in body and "> Hello very bold words." in body, body
    assert not [text for text in watched.console if "error" in text.lower()]
