"""Reading leftovers of issue 8 in a real browser: a real ``courriel serve`` (DNS from a zone
file the test writes, so DMARC really passes or fails), mail received over SMTP on its MX
port, Debian's chromium driven by Playwright.

Covers: remote images of a DMARC-verified sender shown directly once the reader chose
"Always show images from" it — checked on a local HTTPS server on 127.0.0.1 standing for
the remote image host, which records what the browser asked for — and never for a message
whose From was forged (DMARC failed; a forged ``Authentication-Results`` in our name
removed on delivery) nor for a sender not in the list; the sender removed in the settings;
an image attachment previewed under the message and a PDF opened in chromium's own viewer;
an SVG attachment never previewed.
"""

from __future__ import annotations

import http.server
import re
import smtplib
import ssl
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from courriel.config import load_config
from courriel.net.tls import make_self_signed
from support.attachments import PDF, png, with_files
from support.browser import Watched, log_in_with_password, screenshot, watched_page
from support.server_process import RunningServer, init_data, running_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"
ZONES = """
[zones."shop.test"]
TXT = ["v=spf1 ip4:127.0.0.1 -all"]
[zones."_dmarc.shop.test"]
TXT = ["v=DMARC1; p=none"]
[zones."else.test"]
TXT = ["v=spf1 ip4:127.0.0.1 -all"]
[zones."_dmarc.else.test"]
TXT = ["v=DMARC1; p=none"]
[zones."evil.test"]
TXT = ["v=spf1 ip4:127.0.0.1 -all"]
"""
"""shop.test and else.test pass DMARC from 127.0.0.1 (SPF, aligned); evil.test passes SPF
only, so its mail with a shop.test From fails DMARC (``p=none``: still delivered)."""
VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"
"""Chromium's PDF viewer."""


PNG = png(40, 30)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>console.log("XSS-svg")</script></svg>'


@dataclass
class ImageHost:
    """The "remote" image host: HTTPS on 127.0.0.1, every path asked for recorded."""

    base: str
    asked: list[str] = field(default_factory=list)

    def was_asked(self, path: str, within: float = 0.0) -> bool:
        deadline = time.monotonic() + within
        while path not in self.asked and time.monotonic() < deadline:
            time.sleep(0.1)
        return path in self.asked


@pytest.fixture(scope="module")
def image_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImageHost]:
    folder = tmp_path_factory.mktemp("image-host")
    make_self_signed("127.0.0.1", folder / "cert.pem", folder / "key.pem")
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("content-type", "image/png")
            self.send_header("content-length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ImageHost(f"https://127.0.0.1:{server.server_address[1]}", asked)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Site:
    server: RunningServer
    base: str
    hostname: str
    artefacts: Path

    def receive(self, envelope_sender: str, message: bytes) -> None:
        """``message`` for Alice, over SMTP on the MX port (the inbound checks run)."""
        with smtplib.SMTP("127.0.0.1", self.server.ports["smtp"], timeout=30) as client:
            client.sendmail(envelope_sender, [ALICE], message)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("web-reading") / "data"
    ports = init_data(data, accounts=(ALICE,))
    (data / "dns-zones.toml").write_text(ZONES)
    # This test is about showing mail: the spam filter must not file any of it in Junk.
    config = data / "courriel.toml"
    settings = config.read_text()
    spam = settings.index("\n[spam]\n")
    config.write_text(
        settings[:spam] + settings[spam:].replace("\nenabled = true\n", "\nenabled = false\n", 1)
    )
    hostname = load_config(config).server.hostname
    artefacts = Path(tempfile.mkdtemp(prefix="courriel-web-reading-"))
    with running_server(data, ports) as server:
        yield Site(server, f"https://127.0.0.1:{ports['https']}", hostname, artefacts)
        assert "Traceback" not in server.log_text()


def newsletter(subject: str, author: str, image: str, extra: str = "") -> bytes:
    return (
        f"{extra}From: Shop <{author}>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f'<p>Sale!</p><img alt="banner" src="{image}">\r\n'
    ).encode()


def files_mail() -> bytes:
    files = (
        ("photo.png", "image/png", PNG),
        ("scan.pdf", "application/pdf", PDF),
        ("drawing.svg", "image/svg+xml", SVG),
    )
    return with_files("Your files", files, sender="Shop <news@shop.test>", recipient=ALICE)


def open_message(watched: Watched, site: Site, subject: str) -> None:
    """From the inbox (reloaded until the message is in it), open ``subject``."""
    page = watched.page
    page.goto(f"{site.base}/")
    deadline = time.monotonic() + 20
    while page.locator(".messages li", has_text=subject).count() == 0:
        assert time.monotonic() < deadline, f"{subject!r} never arrived"
        time.sleep(0.2)
        page.reload()
    page.locator(".messages li", has_text=subject).locator("a").click()
    page.wait_for_selector("h1")


def test_images_of_a_trusted_sender_load_directly(
    site: Site, image_host: ImageHost, browser: Browser
) -> None:
    print(f"\nwebmail screenshots: {site.artefacts}")
    host = image_host.base
    forged_results = (
        f"Authentication-Results: {site.hostname}; dmarc=pass header.from=shop.test\r\n"
    )
    site.receive("news@shop.test", newsletter("Shop one", "news@shop.test", f"{host}/one.png"))
    site.receive("news@shop.test", newsletter("Shop two", "news@shop.test", f"{host}/two.png"))
    site.receive(
        "bounce@evil.test",
        newsletter("Forged shop", "news@shop.test", f"{host}/forged.png", forged_results),
    )
    site.receive("hi@else.test", newsletter("Other shop", "hi@else.test", f"{host}/other.png"))
    watched = watched_page(browser)
    page = watched.page
    log_in_with_password(page, site.base, ALICE, PASSWORD)

    open_message(watched, site, "Shop one")
    page.frame_locator("iframe.body").locator("text=Sale!").wait_for()
    assert not image_host.was_asked("/one.png", within=1.0)
    always = page.locator(".always-images")
    assert always.inner_text() == "Always show images from news@shop.test"
    always.click()
    page.frame_locator("iframe.body").locator("text=Sale!").wait_for()
    assert image_host.was_asked("/one.png", within=5.0)
    screenshot(page, site.artefacts, "01-trusted-sender")

    # Another message of the same (verified) sender: its image loads without a click.
    open_message(watched, site, "Shop two")
    assert image_host.was_asked("/two.png", within=5.0)
    assert page.locator(".trusted-images").is_visible()

    # The From is the same address, but DMARC failed (the forged results were removed):
    # nothing loads, and only "Show images" for this message is offered.
    open_message(watched, site, "Forged shop")
    page.frame_locator("iframe.body").locator("text=Sale!").wait_for()
    assert not image_host.was_asked("/forged.png", within=1.5)
    assert page.locator(".images-bar").is_visible() and page.locator(".always-images").count() == 0
    screenshot(page, site.artefacts, "02-forged-sender")

    # A verified sender not in the list: offered, not loaded.
    open_message(watched, site, "Other shop")
    page.frame_locator("iframe.body").locator("text=Sale!").wait_for()
    assert not image_host.was_asked("/other.png", within=1.5)
    assert page.locator(".always-images").inner_text().endswith("hi@else.test")

    # Removed in the settings: the sender's mail is blocked again.
    page.goto(f"{site.base}/settings/images")
    assert page.locator("#image-senders li").all_inner_texts()[0].startswith("news@shop.test")
    page.locator("#image-senders button").click()
    page.wait_for_url("**/settings/images?done=removed")
    assert page.locator("#image-senders li.empty").count() == 1
    open_message(watched, site, "Shop two")
    page.frame_locator("iframe.body").locator("text=Sale!").wait_for()
    assert page.locator(".always-images").count() == 1
    remote = page.frame_locator("iframe.body").locator(f"img[src^='{host}']")
    assert remote.count() == 0  # the source removed: not asked for
    assert image_host.asked.count("/two.png") == 1
    watched.context.close()


def test_image_and_pdf_previews_render(site: Site, browser: Browser) -> None:
    site.receive("news@shop.test", files_mail())
    watched = watched_page(browser)
    page = watched.page
    log_in_with_password(page, site.base, ALICE, PASSWORD)
    open_message(watched, site, "Your files")
    preview = page.locator(".previews img")
    assert preview.count() == 1 and preview.get_attribute("alt") == "photo.png"
    page.wait_for_function("document.querySelector('.previews img').complete")
    assert preview.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [40, 30]
    assert page.locator(".previews img[alt='drawing.svg']").count() == 0
    screenshot(page, site.artefacts, "03-previews")
    with page.expect_popup() as image_info:
        preview.click()  # the picture on its own, as the browser shows an image
    picture = image_info.value
    picture.wait_for_load_state()
    assert picture.evaluate("[document.contentType, document.images[0].naturalWidth]") == [
        "image/png",
        40,
    ]
    picture.close()

    with page.expect_popup() as popup_info:
        page.locator(".preview-open").click()
    viewer = popup_info.value
    deadline = time.monotonic() + 10
    while not any(frame.url.startswith(VIEWER) for frame in viewer.frames):
        assert time.monotonic() < deadline, [frame.url for frame in viewer.frames]
        viewer.wait_for_timeout(200)
    assert re.search(r"/mail/\d+/\d+/preview/3$", viewer.url)
    viewer.wait_for_timeout(500)
    screenshot(viewer, site.artefacts, "04-pdf-viewer")
    # The SVG is a download, never a page of ours.
    svg = page.request.get(page.url + "/preview/4")
    assert svg.status == 404
    assert not [text for text in watched.console if "XSS" in text]
    watched.context.close()
