"""Reading leftovers of issue 8 in the in-process app: search in all folders (each hit in its
folder, pages that neither repeat nor skip), "has attachments" as the store's search key,
remote images allowed per DMARC-verified sender (and never for a forged From), its settings
page, and image/PDF previews of attachments (SVG never; 404 for another account's ids)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from courriel.storage.query import AllOf, HasAttachment, HeaderContains
from courriel.web.action_views import BadRequest
from courriel.web.app import create_app
from courriel.web.remote_images import verified_sender
from courriel.web.search_views import format_cursor, parse_cursor, search_key
from support.attachments import PDF, png, with_files

from .conftest import ALICE, BOB, Web, csrf_of, login, web_client

HOST = "mail.example.test"
"""Our host name: the authserv-id of the Authentication-Results we trust."""
PAGE = 3
PNG = png(2, 2)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8 "


@pytest.fixture
async def reading(web: Web) -> AsyncIterator[Web]:
    """The ``web`` fixture's services under an app with the image-sender list and our host
    name, and pages of ``PAGE`` rows."""
    services = web.services
    app = create_app(
        mailstore=services.mailstore,
        auth=services.auth,
        sessions=services.web_sessions,
        bus=services.bus,
        clock=web.clock,
        page_size=PAGE,
        hostname=HOST,
        image_senders=services.store.image_senders,
    )
    async with web_client(services, web.clock, app, HOST) as opened:
        yield opened


async def logged_in(web: Web, client: httpx.AsyncClient | None = None) -> str:
    """Log in as Alice (or Bob with his own client); the session's CSRF token."""
    client = client or web.client
    address = ALICE if client is web.client else BOB
    assert (await login(client, address)).status_code == 303
    return csrf_of(await client.get("/", follow_redirects=True))


def note(subject: str, body: str = "needle") -> bytes:
    return (
        f"From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '.')}@x>\r\n\r\n{body}\r\n"
    ).encode()


# -- search in all folders ------------------------------------------------------------------


async def test_search_in_all_folders_names_each_hits_folder(reading: Web) -> None:
    web = reading
    archive = await web.services.mailstore.get_mailbox(await web.account_id(ALICE), "Archive")
    in_inbox = await web.deliver(ALICE, note("Needle in inbox"))
    in_archive = await web.deliver(ALICE, note("Needle archived"), "Archive")
    await web.deliver(ALICE, note("Hay", body="nothing"), "Archive")
    await web.deliver(BOB, note("Needle of Bob"))
    inbox = await web.mailbox_id(ALICE)
    await logged_in(web)

    here = await web.client.get(f"/search?mailbox={inbox}&q=needle")
    assert "Needle in inbox" in here.text and "Needle archived" not in here.text
    everywhere = await web.client.get(f"/search?mailbox={inbox}&q=needle&scope=all")
    assert everywhere.status_code == 200
    text = everywhere.text
    assert "2 result(s)" in text and "Needle of Bob" not in text and "Hay" not in text
    assert f'href="/mail/{inbox}/{in_inbox}"' in text
    assert f'href="/mail/{archive.id}/{in_archive}"' in text
    tags = re.findall(r'<span class="folder-tag"[^>]*>([^<]+)</span>', text)
    assert sorted(tags) == ["Archive", "Inbox"]
    assert 'value="all" checked' in text  # the choice is kept
    # Opening a hit opens it in its own folder.
    opened = await web.client.get(f"/mail/{archive.id}/{in_archive}")
    assert opened.status_code == 200 and "Needle archived" in opened.text


async def test_all_folder_pages_neither_repeat_nor_skip(reading: Web) -> None:
    web = reading
    account = await web.account_id(ALICE)
    store = web.services.mailstore
    archive = await store.get_mailbox(account, "Archive")
    inbox = await web.mailbox_id(ALICE)
    # Arrival dates interleave the folders, and a late UID can carry an early date (a
    # message moved or appended with its old date): the merge must still list each once.
    dates = {inbox: [100.0, 300.0, 50.0, 500.0], archive.id: [200.0, 400.0, 600.0]}
    expected: set[tuple[int, int]] = set()
    for mailbox_id, stamps in dates.items():
        items: list[tuple[bytes, list[str], float | None]] = [
            (note(f"N{mailbox_id}-{n}"), [], stamp) for n, stamp in enumerate(stamps)
        ]
        result = await store.append(account, mailbox_id, items)
        expected |= {(mailbox_id, uid) for uid in result.uids}
    await logged_in(web)
    seen: list[tuple[int, int]] = []
    address = f"/search?mailbox={inbox}&q=needle&scope=all"
    for _ in range(10):
        page = await web.client.get(address)
        assert page.status_code == 200 and "7 result(s)" in page.text
        found = [(int(b), int(u)) for b, u in re.findall(r'href="/mail/(\d+)/(\d+)"', page.text)]
        assert 0 < len(found) <= PAGE
        seen += found
        older = re.search(r'href="([^"]+)" rel="next"', page.text)
        if older is None:
            break
        address = older.group(1).replace("&amp;", "&")
    assert len(seen) == len(expected) and set(seen) == expected
    for mailbox_id in dates:  # each folder's hits in its own newest-first order
        uids = [uid for box, uid in seen if box == mailbox_id]
        assert uids == sorted(uids, reverse=True)


async def test_a_bad_or_foreign_cursor(reading: Web) -> None:
    web = reading
    await web.deliver(ALICE, note("Mine"))
    await web.deliver(BOB, note("Bobs"))
    bobs_inbox = await web.mailbox_id(BOB)
    await logged_in(web)
    bad = await web.client.get("/search?q=needle&scope=all&before=12:x")
    assert bad.status_code == 400 and "damaged" in bad.text
    # Bob's folder in the cursor is not searched: only Alice's own are.
    foreign = await web.client.get(f"/search?q=needle&scope=all&before={bobs_inbox}:99")
    assert foreign.status_code == 200 and "Mine" in foreign.text and "Bobs" not in foreign.text
    assert parse_cursor("3:7,12:345") == {3: 7, 12: 345}
    assert format_cursor({12: 345, 3: 7}) == "3:7,12:345"
    for text in ("3", "3:", ":7", "a:1", "1:2:3", "x" * 2001):
        with pytest.raises(BadRequest):
            parse_cursor(text)


async def test_has_attachments_is_the_stores_search_key(reading: Web) -> None:
    assert search_key({"attachment": "1"}) == HasAttachment()
    assert search_key({"attachment": "1", "from": "bob"}) == AllOf(
        (HeaderContains("from", "bob"), HasAttachment())
    )
    web = reading
    await web.deliver(ALICE, note("Plain"))
    await web.deliver(ALICE, with_files("Files here", [("r.pdf", "application/pdf", PDF)]))
    await web.deliver(ALICE, with_files("Archived files", [("p.png", "image/png", PNG)]), "Archive")
    await logged_in(web)
    page = await web.client.get("/search?attachment=1&scope=all")
    assert "2 result(s)" in page.text
    assert "Files here" in page.text and "Archived files" in page.text and "Plain" not in page.text
    inbox_only = await web.client.get("/search?attachment=1")
    assert "1 result(s)" in inbox_only.text and "Archived files" not in inbox_only.text


# -- remote images per sender ----------------------------------------------------------------


def newsletter(
    subject: str,
    *,
    sender: str = "news@shop.test",
    results: str = f"{HOST}; dmarc=pass header.from=shop.test",
    image: str = "https://img.shop.test/banner.png",
) -> bytes:
    return (
        f"Authentication-Results: {results}\r\n"
        f"From: Shop <{sender}>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        f'<p>Sale!</p><img alt="banner" src="{image}">\r\n'
    ).encode()


def header_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"


def test_only_our_dmarc_pass_for_the_from_domain_verifies_the_sender() -> None:
    assert verified_sender(header_of(newsletter("a")), HOST) == "news@shop.test"
    assert verified_sender(header_of(newsletter("a", sender="News@Shop.TEST")), HOST) == (
        "news@shop.test"
    )
    refused = {
        "dmarc failed": newsletter("a", results=f"{HOST}; dmarc=fail header.from=shop.test"),
        "dmarc none": newsletter("a", results=f"{HOST}; dmarc=none header.from=shop.test"),
        "another server's claim": newsletter(
            "a", results="mx.elsewhere.test; dmarc=pass header.from=shop.test"
        ),
        "another domain passed": newsletter(
            "a", results=f"{HOST}; dmarc=pass header.from=evil.test"
        ),
        "no domain checked": newsletter("a", results=f"{HOST}; dmarc=pass"),
        "two authors": newsletter("a", sender="news@shop.test>, <x@shop.test"),
    }
    for reason, raw in refused.items():
        assert verified_sender(header_of(raw), HOST) is None, reason
    assert verified_sender(header_of(newsletter("a")), "") is None


async def test_always_show_images_from_a_verified_sender(reading: Web) -> None:
    web = reading
    first = await web.deliver(ALICE, newsletter("First sale"))
    second = await web.deliver(ALICE, newsletter("Second sale"))
    forged = await web.deliver(
        ALICE,
        newsletter("Forged sale", results=f"{HOST}; dmarc=fail header.from=shop.test"),
    )
    other = await web.deliver(
        ALICE,
        newsletter(
            "Other shop", sender="hi@else.test", results=f"{HOST}; dmarc=pass header.from=else.test"
        ),
    )
    inbox = await web.mailbox_id(ALICE)
    csrf = await logged_in(web)
    always = "Always show images from news@shop.test"

    page = await web.client.get(f"/mail/{inbox}/{first}")
    assert always in page.text and f"/mail/{inbox}/{first}/body?images=1" not in page.text
    assert "/images/always" not in (await web.client.get(f"/mail/{inbox}/{forged}")).text
    refused = await web.client.post(f"/mail/{inbox}/{first}/images/always", data={})
    assert refused.status_code == 403  # no CSRF token
    # The forged message cannot add its (unverified) sender.
    assert (
        await web.client.post(f"/mail/{inbox}/{forged}/images/always", data={"csrf": csrf})
    ).status_code == 404
    added = await web.client.post(f"/mail/{inbox}/{first}/images/always", data={"csrf": csrf})
    assert added.status_code == 303 and added.headers["location"] == f"/mail/{inbox}/{first}"

    for uid in (first, second):
        shown = await web.client.get(f"/mail/{inbox}/{uid}")
        assert f"/mail/{inbox}/{uid}/body?images=1" in shown.text
        assert "you trust news@shop.test" in shown.text and always not in shown.text
        body = await web.client.get(f"/mail/{inbox}/{uid}/body?images=1")
        assert "https://img.shop.test/banner.png" in body.text
    # Same From address, DMARC failed: still blocked, still per message only.
    still = await web.client.get(f"/mail/{inbox}/{forged}")
    assert "body?images=1" not in still.text and "Show images" in still.text
    assert "/images/always" not in still.text
    # A verified sender not in the list: offered, not shown.
    offered = await web.client.get(f"/mail/{inbox}/{other}")
    assert "Always show images from hi@else.test" in offered.text
    assert "body?images=1" not in offered.text
    # Shown once with "Show images", the page still offers to trust the sender.
    once = await web.client.get(f"/mail/{inbox}/{other}?images=1")
    assert "body?images=1" in once.text and "Always show images from hi@else.test" in once.text

    # Bob's list is his own; Alice's message is not his to act on.
    async with web.browser() as bob:
        bob_csrf = await logged_in(web, bob)
        answer = await bob.post(f"/mail/{inbox}/{first}/images/always", data={"csrf": bob_csrf})
        assert answer.status_code == 404
        assert "news@shop.test" not in (await bob.get("/settings/images")).text

    settings = await web.client.get("/settings/images")
    assert settings.status_code == 200 and "news@shop.test" in settings.text
    removed = await web.client.post(
        "/settings/images/remove",
        data={"csrf": csrf, "address": "News@Shop.test"},
        follow_redirects=True,
    )
    assert "Sender removed." in removed.text and "news@shop.test" not in removed.text
    again = await web.client.get(f"/mail/{inbox}/{second}")
    assert "body?images=1" not in again.text and always in again.text
    bad = await web.client.post("/settings/images/remove", data={"csrf": csrf, "address": ""})
    assert bad.status_code == 400


async def test_without_the_list_the_page_offers_per_message_only(web: Web) -> None:
    """The plain app (no ``ImageSenderRepo``): "Show images" as before, nothing more."""
    uid = await web.deliver(ALICE, newsletter("Sale"))
    inbox = await web.mailbox_id(ALICE)
    assert (await login(web.client)).status_code == 303
    page = await web.client.get(f"/mail/{inbox}/{uid}")
    assert "Show images" in page.text and "/images/always" not in page.text
    assert (await web.client.get("/settings/images")).status_code == 404


# -- previews ----------------------------------------------------------------------------------


FILES = [
    ("photo.png", "image/png", PNG),
    ("scan.pdf", "application/pdf", PDF),
    ("drawing.svg", "image/svg+xml", SVG),
    ("anim.gif", "image/gif", GIF),
    ("pic.jpg", "image/jpeg", JPEG),
    ("pic.webp", "image/webp", WEBP),
    ("fake.png", "image/png", b"<html><script>alert(1)</script></html>"),
]


async def test_image_and_pdf_previews(reading: Web) -> None:
    web = reading
    uid = await web.deliver(ALICE, with_files("Files", FILES))
    inbox = await web.mailbox_id(ALICE)
    await logged_in(web)
    base = f"/mail/{inbox}/{uid}"
    page = await web.client.get(base)
    previews = re.findall(r'<img src="([^"]+)" alt="([^"]+)"', page.text)
    assert [alt for _, alt in previews] == [
        "photo.png",
        "anim.gif",
        "pic.jpg",
        "pic.webp",
        "fake.png",
    ]
    assert f'href="{base}/preview/3" target="_blank"' in page.text  # the PDF opens
    assert f"{base}/preview/4" not in page.text  # the SVG: download only

    for section, content_type, data in (
        ("2", "image/png", PNG),
        ("5", "image/gif", GIF),
        ("6", "image/jpeg", JPEG),
        ("7", "image/webp", WEBP),
    ):
        shown = await web.client.get(f"{base}/preview/{section}")
        assert shown.status_code == 200 and shown.content == data
        assert shown.headers["content-type"] == content_type
        assert shown.headers["content-disposition"].startswith("inline; filename=")
        assert "sandbox" in shown.headers["content-security-policy"]
        assert shown.headers["x-content-type-options"] == "nosniff"
    pdf = await web.client.get(f"{base}/preview/3")
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        "inline; filename=\"scan.pdf\"; filename*=UTF-8''scan.pdf"
    )
    policy = pdf.headers["content-security-policy"]
    assert "script-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert policy.endswith("; sandbox")
    # SVG and bytes that are not what their type says: never shown, still downloadable.
    for section in ("4", "8", "1", "9", "1.2", "x"):
        assert (await web.client.get(f"{base}/preview/{section}")).status_code == 404, section
    svg = await web.client.get(f"{base}/part/4")
    assert svg.status_code == 200 and svg.headers["content-disposition"].startswith("attachment")


async def test_previews_of_another_account_are_not_found(reading: Web) -> None:
    web = reading
    uid = await web.deliver(ALICE, with_files("Private", FILES[:2]))
    inbox = await web.mailbox_id(ALICE)
    async with web.browser() as bob:
        await logged_in(web, bob)
        for path in (f"/mail/{inbox}/{uid}/preview/2", f"/mail/{inbox}/{uid}/preview/3"):
            answer = await bob.get(path)
            assert answer.status_code == 404 and answer.content != PNG
            assert answer.status_code == (await bob.get(f"/mail/{inbox}/{uid}/part/2")).status_code
    assert (await web.client.get(f"/mail/{inbox}/{uid}/preview/2")).status_code in (303, 307)
