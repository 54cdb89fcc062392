"""The webmail on a phone screen and with the keyboard only: a real ``courriel serve`` on
ephemeral ports, Debian's chromium driven by Playwright at 375×740 CSS pixels.

Covers, on each page of the everyday path (login, the INBOX, a message, the compose form in
plain and in rich text, and the Sent list after sending): no horizontal scrolling (the
document is no wider than the viewport, and no control sticks out of it); every visible
control reached by Tab (the page's Tab order walked to its end), each with a visible focus
indicator and inside the screen when focused. The path itself is walked with the keyboard
only (typing, Tab and Enter). The keyboard shortcuts (``static/actions.js``) act on the page,
and do not fire while typing in a search field, an address field or the editor.

The message shown has a long unbroken subject and a long address in its text: what makes
a narrow page overflow in real mail. Screenshots are saved as artefacts (the folder is
printed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from support.browser import log_in_with_password, screenshot, watched_page
from support.server_process import PASSWORD, RunningServer
from support.webmail import WebSite, imap_client, webmail_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.integration

ALICE = "alice@example.test"
BOB = "bob@example.test"
PHONE: ViewportSize = {"width": 375, "height": 740}
LONG_SUBJECT = "Invoice-2026-0042-" + "x" * 60
LONG_LINK = "https://example.org/" + "very-long-path-segment/" * 8 + "?q=" + "z" * 40
MESSAGE = (
    f"From: Bob Example <{BOB}>\r\nTo: {ALICE}\r\nSubject: {LONG_SUBJECT}\r\n"
    "Message-ID: <access-1@example.test>\r\nDate: Fri, 20 Nov 2026 10:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    f"Hello Alice,\r\n\r\nthe invoice is at {LONG_LINK}\r\n\r\nBob\r\n"
)

# Every control a user may operate, visible on the page (the skip link is, off screen),
# each marked with an id (data-audit) for the walk.
CONTROLS_SCRIPT = """() => {
    const selector = 'a[href], button, input:not([type=hidden]), select, textarea, ' +
        'iframe, [contenteditable=true], [tabindex]:not([tabindex="-1"])';
    const found = [];
    document.querySelectorAll(selector).forEach((element, index) => {
        if (element.disabled || element.closest('[hidden], [inert]')) return;
        const style = getComputedStyle(element);
        if (style.visibility === 'hidden' || style.display === 'none') return;
        if (!element.getClientRects().length) return;
        // A radio group is one stop of the Tab order (arrow keys move inside it).
        const id = element.type === 'radio' ? 'radio ' + element.name : String(index);
        element.dataset.audit = id;
        if (found.some((control) => control.id === id)) return;
        const text = (element.getAttribute('aria-label') || element.innerText ||
            element.value || element.name || element.tagName).trim().slice(0, 40);
        found.push({ id, text: element.tagName.toLowerCase() + ' ' + text });
    });
    return found;
}"""

# The focused element of the page (the frame, when focus is inside it): its audit id, its
# box, and whether something shows where it is (outline or box shadow).
FOCUSED_SCRIPT = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    return {
        id: element.dataset.audit || '',
        text: element.tagName.toLowerCase() + ' ' +
            (element.innerText || element.name || '').trim().slice(0, 40),
        visible: outline || style.boxShadow !== 'none',
        left: box.left, right: box.right,
    };
}"""

OVERFLOW_SCRIPT = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [];
    document.querySelectorAll('body *').forEach((element) => {
        const box = element.getBoundingClientRect();
        if (!box.width || element.closest('.skip')) return;
        if (box.right > width + 1 || box.left < -1) {
            let clipped = false;  // inside a box that scrolls or clips its own content
            let up = element.parentElement;
            for (; up && up !== document.body; up = up.parentElement) {
                if (getComputedStyle(up).overflowX !== 'visible') { clipped = true; break; }
            }
            if (!clipped) wide.push(element.tagName.toLowerCase() + '.' + element.className +
                ' right=' + Math.round(box.right));
        }
    });
    return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 8) };
}"""


HTML_MESSAGE = (
    "From: News <news@example.org>\r\nTo: alice@example.test\r\nSubject: Wide news\r\n"
    "Message-ID: <access-2@example.test>\r\nDate: Fri, 20 Nov 2026 09:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    '<table width="700"><tr><td>A table wider than a phone</td>'
    '<td><a href="https://example.org/">a link</a></td></tr></table>'
    + "<p>A long letter.</p>" * 60
    + "\r\n"
)


Site = WebSite


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("access") / "data"
    with webmail_site(data, (ALICE, BOB), "courriel-web-access-") as running:
        append_to_inbox(running.server, ALICE, HTML_MESSAGE)
        append_to_inbox(running.server, ALICE, MESSAGE)
        yield running


def append_to_inbox(server: RunningServer, address: str, message: str) -> None:
    with imap_client(server) as imap:
        imap.login(address, PASSWORD)
        status, _ = imap.append("INBOX", "", None, message.encode())
        assert status == "OK"


def subjects_in(server: RunningServer, address: str, mailbox: str) -> list[str]:
    with imap_client(server) as imap:
        imap.login(address, PASSWORD)
        imap.select(mailbox, readonly=True)
        _, found = imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        return [
            item[1].decode().partition(":")[2].strip() for item in found if isinstance(item, tuple)
        ]


def assert_fits_the_screen(page: Page, where: str) -> None:
    """No horizontal scrolling at the phone's width: the document is no wider than the
    viewport, and no element sticks out of it (unless a box of its own scrolls it)."""
    found: dict[str, Any] = page.evaluate(OVERFLOW_SCRIPT)
    assert found["scroll"] <= found["width"], f"{where} scrolls horizontally: {found}"
    assert not found["wide"], f"{where}: elements wider than the screen: {found['wide']}"


def assert_tab_reaches_every_control(page: Page, where: str) -> list[str]:
    """Walk the page's Tab order from its start to its end: every visible control is
    reached, each shows its focus and is inside the screen when focused. The ids reached,
    in order."""
    controls: list[dict[str, str]] = page.evaluate(CONTROLS_SCRIPT)
    assert controls, f"{where}: no controls found"
    order: list[str] = []
    problems: list[str] = []
    for _ in range(len(controls) * 3 + 10):
        page.keyboard.press("Tab")
        focused: dict[str, Any] | None = page.evaluate(FOCUSED_SCRIPT)
        if focused is None:
            continue  # past the last control: the next Tab starts again at the first
        if order and focused["id"] == order[-1]:
            continue  # still inside the same frame
        if focused["id"] in order:
            break  # around once
        order.append(focused["id"])
        if not focused["visible"]:  # the page's script may mark it a moment later
            page.wait_for_timeout(100)
            focused = page.evaluate(FOCUSED_SCRIPT) or focused
        if not focused["visible"]:
            problems.append(f"no visible focus on {focused['text']}")
        if focused["left"] < -1 or focused["right"] > PHONE["width"] + 1:
            problems.append(f"focused {focused['text']} is off screen ({focused})")
    missing = [c["text"] for c in controls if c["id"] not in order]
    assert not missing, f"{where}: Tab never reaches {missing}"
    assert not problems, f"{where}: {problems}"
    return order


def tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def message_uid(page: Page, subject: str) -> str:
    """The UID of the row with this subject in the message list shown."""
    uid = page.locator(".messages li", has_text=subject).get_attribute("data-uid")
    assert uid is not None
    return uid


def audit(page: Page, site: Site, where: str) -> None:
    assert_fits_the_screen(page, where)
    assert_tab_reaches_every_control(page, where)
    screenshot(page, site.artefacts, where)


def test_phone_screen_and_keyboard_only(site: Site, browser: Browser) -> None:
    print(f"\naccess screenshots: {site.artefacts}")
    watched = watched_page(browser)
    page = watched.page
    page.set_viewport_size(PHONE)

    page.goto(f"{site.base}/login")
    audit(page, site, "01-login")
    tab_to(page, "input[name=address]")
    page.keyboard.type(ALICE)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))
    audit(page, site, "02-inbox")

    # Typing in the search field is typing: "j" and "#" are letters there, not shortcuts.
    tab_to(page, "input[name=q]")
    page.keyboard.type("j#x")
    assert page.input_value("input[name=q]") == "j#x"
    assert page.locator(".messages li.focused").count() == 0
    assert page.locator(".messages li input:checked").count() == 0
    page.keyboard.press("Escape")
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("j")  # outside a field, the shortcut moves to the first message
    assert page.locator(".messages li.focused").count() == 1

    tab_to(page, f'.messages li > a[href$="/{message_uid(page, LONG_SUBJECT)}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/mail/\d+/\d+$"))
    audit(page, site, "03-message")
    tab_to(page, "input[name=q]")
    page.keyboard.type("r")  # "r" is reply outside fields
    page.wait_for_timeout(300)  # time for a shortcut to navigate, were it to fire
    assert "/compose/" not in page.url
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("r")
    page.wait_for_url("**/compose/reply/**")
    audit(page, site, "04-reply")

    tab_to(page, ".top .compose-link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/compose")
    assert_fits_the_screen(page, "05-compose")
    assert_tab_reaches_every_control(page, "05-compose")
    tab_to(page, "input[name=to]")
    page.keyboard.type(BOB)
    tab_to(page, "input[name=subject]")
    page.keyboard.type("From my phone")
    tab_to(page, "button.format-toggle")
    page.keyboard.press("Enter")  # rich text
    assert page.locator("#compose-editor").is_visible()
    assert_fits_the_screen(page, "06-compose-rich")
    assert_tab_reaches_every_control(page, "06-compose-rich")
    tab_to(page, "#compose-editor")
    page.keyboard.type("Typed on a phone: r j k # u and ")
    page.keyboard.press("Control+b")
    page.keyboard.type("bold")
    assert (
        "/compose" in page.url and page.locator("#compose-editor b, #compose-editor strong").count()
    )
    screenshot(page, site.artefacts, "06-compose-rich")
    tab_to(page, "button[value=send]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))
    audit(page, site, "07-sent")
    assert "From my phone" in subjects_in(site.server, BOB, "INBOX")
    assert not [text for text in watched.console if "error" in text.lower()]


def test_an_html_message_on_a_phone(site: Site, browser: Browser) -> None:
    """The sanitised HTML of a message is shown in a frame: the page around it does not
    scroll sideways (a wide table scrolls inside the frame), and Tab reaches the frame."""
    watched = watched_page(browser)
    page = watched.page
    page.set_viewport_size(PHONE)
    log_in_with_password(page, site.base, ALICE, PASSWORD)
    page.click(f'.messages li > a[href$="/{message_uid(page, "Wide news")}"]')
    page.wait_for_url(re.compile(r".*/mail/\d+/\d+$"))
    page.locator("iframe.body").wait_for()
    audit(page, site, "08-html-message")


def test_account_pages_on_a_phone(site: Site, browser: Browser) -> None:
    """The folders page, the sessions list and the settings pages fit a phone screen (their
    tables scroll in their own box) and Tab reaches every control."""
    watched = watched_page(browser)
    page = watched.page
    page.set_viewport_size(PHONE)
    log_in_with_password(page, site.base, ALICE, PASSWORD)
    for number, path in enumerate(
        ["/folders", "/account/sessions", "/settings", "/settings/apps", "/settings/spam"], 9
    ):
        page.goto(f"{site.base}{path}")
        assert page.url.endswith(path), page.url
        audit(page, site, f"{number:02d}{path.replace('/', '-')}")
    assert not [text for text in watched.console if "error" in text.lower()]
