"""The webmail in a real browser: a real ``courriel serve`` on ephemeral ports, mail
delivered over SMTP, Debian's chromium driven by Playwright.

Covers: logging in with a password and a TOTP code (pyotp) and with a recovery code; the
message list; an HTML message shown sanitised in the sandboxed frame (a ``<script>`` did not
run); remote images blocked until "show images"; an attachment downloaded; another
account's ids answering 404; new mail announced by server-sent events; the HTTP listener
redirecting to HTTPS; the webmail's certificate reloaded on SIGHUP; the server stopping
cleanly with a live event stream open. Screenshots are saved as artefacts (the folder is
printed).
"""

from __future__ import annotations

import imaplib
import re
import signal
import smtplib
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyotp
import pytest

from courriel.net.tls import make_self_signed
from support.browser import Watched, screenshot, watched_page
from support.server_process import RunningServer, courriel, init_data, running_server, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"
BOB = "bob@example.test"
BEACON = "beacon.test"
"""A host that exists nowhere: every request to it is recorded and aborted by the browser."""

HTML_MAIL = (
    "From: Newsletter <news@example.org>\r\nTo: alice@example.test\r\n"
    "Subject: Autumn letter\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n\r\n"
    "--outer\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n"
    "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe plain version.\r\n"
    "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    '<h2 style="color:#0a5">Hello Alice</h2><p id="greeting">Les feuilles tombent.</p>'
    '<script>console.log("XSS-script"); window.name = "pwned";</script>'
    f'<img alt="tracker" src="http://{BEACON}/pixel.gif">\r\n'
    "--alt--\r\n"
    "--outer\r\nContent-Type: text/csv; name=figures.csv\r\n"
    "Content-Disposition: attachment; filename=figures.csv\r\n\r\n"
    "month,value\r\noctober,42\r\n"
    "--outer--\r\n"
)

# Each payload would leave a trace if it ran: a console message starting "XSS", a dialog,
# window.name changed, or a request to BEACON.
XSS_PAYLOADS = (
    '<script>console.log("XSS-1")</script>',
    "<img src=x onerror=\"console.log('XSS-2');window.name='XSS'\">",
    "<svg onload=\"console.log('XSS-3')\"><script>console.log('XSS-4')</script></svg>",
    "<svg><a xlink:href=\"javascript:console.log('XSS-5')\"><text y=20>svg link</text></a></svg>",
    f'<div style="background:url(http://{BEACON}/css-background)">css url</div>',
    "<div style=\"width: expression(console.log('XSS-6'))\">css expression</div>",
    f"<style>@import url(http://{BEACON}/import.css); body {{ color: red }}</style>",
    f'<link rel="stylesheet" href="http://{BEACON}/link.css">',
    '<a id="js-link" href="javascript:console.log(\'XSS-7\')">javascript link</a>',
    "<a href=\"data:text/html,<script>console.log('XSS-8')</script>\">data link</a>",
    f'<base href="http://{BEACON}/base/"><img src="relative.png" alt="relative">',
    f'<meta http-equiv="refresh" content="0;url=http://{BEACON}/meta-refresh">',
    f'<form action="http://{BEACON}/form" method="post"><input name="q" value="1">'
    '<button id="form-button" type="submit">form button</button></form>',
    f'<iframe src="http://{BEACON}/iframe"></iframe>',
    f'<object data="http://{BEACON}/object"></object><embed src="http://{BEACON}/embed">',
    "<details open ontoggle=\"console.log('XSS-9')\"><summary>details</summary></details>",
    "<video><source onerror=\"console.log('XSS-10')\"></video>",
    "<body onload=\"console.log('XSS-11')\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=\"console.log('XSS-12')\">",
    "<noscript><p title=\"</noscript><img src=x onerror=console.log('XSS-13')>\"></noscript>",
    '<p style="behavior: url(x.htc)" onmouseover="console.log(\'XSS-14\')">hover me</p>',
    f'<img srcset="http://{BEACON}/srcset.png 2x" alt="srcset">',
    f'<a href="http://{BEACON}/ping" ping="http://{BEACON}/ping-beacon">ping link</a>',
)


def xss_mail(recipient: str) -> str:
    body = "\r\n".join(XSS_PAYLOADS)
    return (
        f"From: attacker@example.org\r\nTo: {recipient}\r\nSubject: Innocent looking\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f"<p>Nothing to see.</p>\r\n{body}\r\n"
    )


@dataclass
class Site:
    server: RunningServer
    base: str
    totp: pyotp.TOTP
    recovery_codes: list[str]
    artefacts: Path

    def smtp_send(self, recipient: str, message: str) -> None:
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=30) as client:
            client.sendmail("news@example.org", [recipient], message.encode())


def enable_2fa(data: Path, address: str) -> tuple[pyotp.TOTP, list[str]]:
    started = courriel("account", "2fa", "enable", address, "--data", str(data), stdin="\n")
    assert started.returncode == 0, started.stderr
    found = re.search(r"^key: (\S+)$", started.stdout, re.M)
    assert found is not None, started.stdout
    totp = pyotp.TOTP(found.group(1))
    # Confirm with the previous step's code (within the ±1 window), so the current step is
    # still unused for the browser's login; not close to a step's end, so the CLI checks it
    # within the window.
    into_step = time.time() % 30
    if into_step > 22:
        time.sleep(30.5 - into_step)
    confirmed = courriel(
        "account", "2fa", "confirm", address, totp.at(time.time() - 30), "--data", str(data)
    )
    assert confirmed.returncode == 0, confirmed.stderr
    codes = re.findall(r"^  (\S+)$", confirmed.stdout, re.M)
    assert codes, confirmed.stdout
    return totp, codes


def without_spam_filter(data: Path) -> None:
    """These tests are about showing mail: none of it may be filed in Junk."""
    config = data / "courriel.toml"
    text = config.read_text()
    head, spam, rest = text.partition("\n[spam]\n")
    assert spam and "\nenabled = true\n" in rest, "courriel init wrote no [spam] enabled"
    config.write_text(head + spam + rest.replace("\nenabled = true\n", "\nenabled = false\n", 1))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("web") / "data"
    ports = init_data(data, accounts=(ALICE, BOB))
    without_spam_filter(data)
    totp, codes = enable_2fa(data, ALICE)
    # Outside pytest's rotating base folder, so the pictures outlive later test runs.
    artefacts = Path(tempfile.mkdtemp(prefix="courriel-web-screenshots-"))
    with running_server(data, ports) as server:
        yield Site(server, f"https://127.0.0.1:{ports['https']}", totp, codes, artefacts)
        assert "Traceback" not in server.log_text()


def log_in(watched: Watched, site: Site, address: str, code: str | None = None) -> None:
    page = watched.page
    page.goto(f"{site.base}/login")
    page.fill("input[name=address]", address)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    if code is not None:
        page.wait_for_url("**/login/code")
        page.fill("input[name=code]", code)
        page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/mail/\d+/$"))


def wait_for_row(watched: Watched, subject: str) -> None:
    """Reload the list until the message delivered over SMTP is in it."""
    page = watched.page
    deadline = time.monotonic() + 20
    while page.locator(".messages li", has_text=subject).count() == 0:
        assert time.monotonic() < deadline, f"{subject!r} never appeared in the list"
        time.sleep(0.2)
        page.reload()


def imap_flags(site: Site, address: str, subject: str) -> str:
    """The FLAGS an IMAP client sees for the message with this subject (over IMAPS)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    port = site.server.ports["imaps"]
    with imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context, timeout=20) as imap:
        imap.login(address, PASSWORD)
        imap.select("INBOX")
        _, found = imap.uid("SEARCH", "SUBJECT", f'"{subject}"')
        uids = found[0].split()
        assert len(uids) == 1, found
        _, data = imap.uid("FETCH", uids[0].decode(), "(FLAGS)")
        first = data[0]
        assert isinstance(first, bytes), data
        return first.decode()


def fresh_totp_code(totp: pyotp.TOTP) -> str:
    """A code for the current step (the enrolment used the previous one)."""
    return totp.at(time.time())


def test_read_mail_with_2fa_in_a_real_browser(site: Site, browser: Browser) -> None:
    print(f"\nwebmail screenshots: {site.artefacts}")
    site.smtp_send(ALICE, HTML_MAIL)
    watched = watched_page(browser, block_host=BEACON)
    page = watched.page
    page.goto(f"{site.base}/login")
    screenshot(page, site.artefacts, "01-login")
    log_in(watched, site, ALICE, fresh_totp_code(site.totp))
    wait_for_row(watched, "Autumn letter")
    row = page.locator(".messages li", has_text="Autumn letter")
    assert "unread" in (row.get_attribute("class") or "")
    assert row.locator(".clip").count() == 1  # the attachment icon
    assert "Newsletter" in row.inner_text()
    screenshot(page, site.artefacts, "02-inbox")

    row.locator("a").click()
    page.wait_for_selector("iframe.body")
    frame = page.frame_locator("iframe.body")
    assert frame.locator("h2").inner_text() == "Hello Alice"
    frame.locator("text=Les feuilles tombent.").wait_for()
    assert page.locator("iframe.body").get_attribute("sandbox") == (
        "allow-popups allow-popups-to-escape-sandbox"
    )
    body_frame = next(f for f in page.frames if f.url.endswith("/body"))
    assert body_frame.evaluate("document.scripts.length") == 0
    assert body_frame.evaluate("window.name") == ""
    assert not [text for text in watched.console if "XSS" in text]
    # The remote image was not fetched; the bar offers to show it.
    assert watched.requests_to(BEACON) == []
    assert page.locator(".images-bar").is_visible()
    # The plain-text alternative is not an attachment; the CSV is.
    assert page.locator(".attachments li").all_inner_texts() == ["figures.csv text/csv, 23 B"]
    screenshot(page, site.artefacts, "03-html-message")

    # Opening marked it read, for IMAP too: the list no longer shows it as unread.
    page.click("text=Back to the list")
    assert "unread" not in (
        page.locator(".messages li", has_text="Autumn letter").get_attribute("class") or ""
    )
    page.go_back()

    with page.expect_download() as download_info:
        page.click("text=figures.csv")
    download = download_info.value
    assert download.suggested_filename == "figures.csv"
    saved = site.artefacts / "figures.csv"
    download.save_as(str(saved))
    assert saved.read_bytes() == b"month,value\r\noctober,42"

    page.click("text=Show images")
    page.wait_for_selector("iframe.body")
    page.wait_for_timeout(500)
    # Now fetched (Chromium upgrades the http: image of an https: page to https:).
    assert [url.split("//", 1)[1] for url in watched.requests_to(BEACON)] == [f"{BEACON}/pixel.gif"]
    watched.context.close()


def test_another_accounts_ids_are_not_found(site: Site, browser: Browser) -> None:
    site.smtp_send(BOB, HTML_MAIL.replace("alice@", "bob@").replace("Autumn", "Private"))
    bob = watched_page(browser)
    log_in(bob, site, BOB)
    wait_for_row(bob, "Private letter")
    bob.page.click("text=Private letter")
    bobs_message = bob.page.url.removeprefix(site.base)
    bob.context.close()

    alice = watched_page(browser)
    log_in(alice, site, ALICE, site.recovery_codes[0])
    mailbox = bobs_message.split("/")[2]
    for path in (
        f"/mail/{mailbox}/",
        bobs_message,
        f"{bobs_message}/body",
        f"{bobs_message}/part/2",
        f"{bobs_message}/original",  # area: show original
        f"{bobs_message}/original/raw",
    ):
        response = alice.page.goto(site.base + path)
        assert response is not None and response.status == 404, path
        assert "Private letter" not in alice.page.content()
    alice.context.close()


def test_xss_corpus_runs_nothing(site: Site, browser: Browser) -> None:
    site.smtp_send(BOB, xss_mail(BOB))
    watched = watched_page(browser, block_host=BEACON)
    page = watched.page
    log_in(watched, site, BOB)
    wait_for_row(watched, "Innocent looking")
    page.click("text=Innocent looking")
    page.wait_for_selector("iframe.body")
    frame = page.frame_locator("iframe.body")
    frame.locator("text=Nothing to see.").wait_for()
    body_frame = next(f for f in page.frames if f.url.endswith("/body"))
    # Try what a reader would: click the links and the (removed) form button, hover.
    for text in ("javascript link", "data link", "svg link", "hover me"):
        target = frame.locator(f"text={text}")
        if target.count():
            target.first.click(timeout=2000)
    page.wait_for_timeout(1000)
    screenshot(page, site.artefacts, "04-xss-corpus")
    assert body_frame.evaluate("document.scripts.length") == 0
    assert body_frame.evaluate("window.name") == ""
    dangerous = "form, iframe, object, embed, base, meta, link, style, svg, math, video, source"
    assert body_frame.evaluate(f"document.body.querySelectorAll('{dangerous}').length") == 0
    assert body_frame.evaluate("document.querySelectorAll('[onerror], [onload]').length") == 0
    assert [text for text in watched.console if "XSS" in text] == []
    assert watched.dialogs == []
    assert watched.requests_to(BEACON) == []
    assert page.evaluate("window.name") == ""
    # Opening it in the webmail marked it read for IMAP clients too.
    assert "\\Seen" in imap_flags(site, BOB, "Innocent looking")
    # -- area: show original: the source as text, the hop through our own server read back.
    page.click("text=Show original")
    source = page.locator("pre.source")
    assert "<script" in source.inner_text() and "Subject: Innocent looking" in source.inner_text()
    assert page.locator("tr.ours").count() == 1
    assert page.locator("table.auth").count() == 1  # our Authentication-Results was found
    screenshot(page, site.artefacts, "05-show-original")
    assert watched.dialogs == [] and watched.requests_to(BEACON) == []


def test_new_mail_is_announced_live(site: Site, browser: Browser) -> None:
    watched = watched_page(browser)
    page = watched.page
    log_in(watched, site, BOB)
    page.wait_for_timeout(300)  # the event stream is open
    badge = page.locator(".folders li.current .count")
    unread = int(badge.inner_text() or "0") if badge.is_visible() else 0
    site.smtp_send(BOB, HTML_MAIL.replace("alice@", "bob@").replace("Autumn", "Live"))
    page.wait_for_selector(".live-notice:not([hidden])", timeout=15000)
    # The folder's unread count follows, without a reload.
    # (Polled from here: the page's CSP forbids the eval that wait_for_function needs.)
    deadline = time.monotonic() + 15
    while badge.inner_text() != str(unread + 1):
        assert time.monotonic() < deadline, badge.inner_text()
        page.wait_for_timeout(100)
    screenshot(page, site.artefacts, "05-live-notice")
    page.click(".live-notice a")
    assert page.locator(".messages li", has_text="Live letter").count() == 1
    watched.context.close()


def test_french_pages_from_the_browser_language(site: Site, browser: Browser) -> None:
    watched = watched_page(browser, language="fr-FR")
    watched.page.goto(f"{site.base}/login")
    assert watched.page.locator("button[type=submit]").inner_text() == "Se connecter"
    log_in(watched, site, BOB)
    assert "Boîte de réception" in watched.page.locator("h1").inner_text()
    screenshot(watched.page, site.artefacts, "06-inbox-fr")
    watched.context.close()


def test_http_redirects_to_https(site: Site) -> None:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    http = site.server.ports["http"]
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(f"http://127.0.0.1:{http}/mail/1/?page=2", timeout=10)
    answer.value.close()
    assert answer.value.code == 301
    assert answer.value.headers["location"] == f"{site.base}/mail/1/?page=2"


def peer_certificate(port: int) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw) as wrapped,
    ):
        certificate = wrapped.getpeercert(binary_form=True)
    assert certificate is not None
    return certificate


def test_sighup_reloads_the_webmail_certificate(site: Site) -> None:
    port = site.server.ports["https"]
    before = peer_certificate(port)
    data = site.server.data
    make_self_signed(
        "webmail-renewed.example.test",
        data / "tls" / "cert.pem",
        data / "tls" / "key.pem",
        extra_names=("127.0.0.1",),
    )
    site.server.process.send_signal(signal.SIGHUP)
    wait_for(site.server.log, "CN=webmail-renewed.example.test")
    after = peer_certificate(port)
    assert after != before
    assert b"webmail-renewed.example.test" in after


def test_stop_with_an_event_stream_open(tmp_path: Path, browser: Browser) -> None:
    data = tmp_path / "data"
    ports = init_data(data, accounts=(BOB,))
    with running_server(data, ports) as server:
        site = Site(
            server,
            f"https://127.0.0.1:{ports['https']}",
            pyotp.TOTP(pyotp.random_base32()),
            [],
            tmp_path,
        )
        watched = watched_page(browser)
        log_in(watched, site, BOB)
        watched.page.wait_for_timeout(300)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
        stopped_after = time.monotonic() - started
        watched.context.close()
    log = server.log_text()
    assert "stopped" in log and "Traceback" not in log
    assert stopped_after < 20, stopped_after
