"""The admin pages: only the admin role sees them (everyone else gets 404 on every /admin
path and method); domains with their DNS records, accounts, aliases, the queue, bans and
the security log, server status — through the real domain services, CSRF on every change."""

from __future__ import annotations

import re

import pytest

from courriel.delivery.model import Envelope, Recipient, Role
from courriel.directory.auth import Principal
from courriel.directory.dkim_rotation import KeyState
from courriel.storage.records import QueueRecipientInput

from .conftest import ADMIN, ALICE, BOB, PASSWORD, Web, csrf_of, login

ADMIN_PAGES = (
    "/admin",
    "/admin/domains",
    "/admin/domains/example.test",
    "/admin/domains/example.test/remove",
    "/admin/accounts",
    f"/admin/accounts/{ALICE}",
    "/admin/aliases",
    "/admin/queue",
    "/admin/security",
)
ADMIN_POSTS = (
    "/admin/domains",
    "/admin/domains/example.test/remove",
    "/admin/domains/example.test/dkim/rotate",
    "/admin/domains/example.test/dkim/activate",
    "/admin/domains/example.test/dkim/remove",
    "/admin/accounts",
    f"/admin/accounts/{BOB}/disable",
    f"/admin/accounts/{BOB}/enable",
    f"/admin/accounts/{BOB}/password",
    f"/admin/accounts/{BOB}/quota",
    f"/admin/accounts/{BOB}/role",
    "/admin/aliases",
    "/admin/aliases/remove",
    "/admin/queue/1/retry",
    "/admin/queue/1/drop",
    "/admin/security/unban",
)


async def as_admin(web: Web) -> str:
    assert (await login(web.client, ADMIN)).status_code == 303
    return csrf_of(await web.client.get("/admin"))


async def test_non_admins_get_404_on_every_admin_path(managed: Web) -> None:
    anonymous = managed.browser()
    assert (await login(managed.client, ALICE)).status_code == 303
    csrf = csrf_of(await managed.client.get("/settings"))
    for client in (managed.client, anonymous):
        not_found = (await client.get("/no/such/page")).text
        for path in (*ADMIN_PAGES, "/admin/nothing/here"):
            answer = await client.get(path)
            assert answer.status_code == 404, path
            assert answer.text == not_found
        for path in ADMIN_POSTS:
            answer = await client.post(path, data={"csrf": csrf, "domain": "evil.test"})
            assert answer.status_code == 404, path
        # No 405 either: a method a path does not take answers the same.
        assert (await client.delete("/admin/accounts")).status_code == 404
        assert (await client.post("/admin")).status_code == 404
    assert "evil.test" not in {d.name for d in await managed.services.directory.list_domains()}
    assert not (await managed.services.directory.get_account(BOB)).disabled
    # The settings page links to /admin only for admins.
    assert 'href="/admin"' not in (await managed.client.get("/settings")).text
    await anonymous.aclose()


async def test_the_role_is_read_on_every_request(managed: Web) -> None:
    await as_admin(managed)
    assert (await managed.client.get("/admin")).status_code == 200
    assert 'href="/admin"' in (await managed.client.get("/settings")).text
    await managed.services.directory.set_admin(ADMIN, False)
    assert (await managed.client.get("/admin")).status_code == 404


@pytest.mark.parametrize("path", ADMIN_POSTS)
async def test_every_admin_change_needs_the_csrf_token(managed: Web, path: str) -> None:
    await as_admin(managed)
    fields = {"domain": "new.test", "address": "carol@example.test", "password": PASSWORD}
    assert (await managed.client.post(path, data=fields)).status_code == 403
    forged = await managed.client.post(path, data={**fields, "csrf": "forged"})
    assert forged.status_code == 403
    assert "new.test" not in {d.name for d in await managed.services.directory.list_domains()}


async def test_overview_shows_listeners_certificate_and_storage(managed: Web) -> None:
    await as_admin(managed)
    page = await managed.client.get("/admin")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "mail.example.test" in page.text
    assert "5 day(s) left" in page.text
    assert 'class="warning"' in page.text  # under two weeks
    listeners = re.search(r'<table class="grid" id="listeners">(.*?)</table>', page.text, re.S)
    assert listeners is not None
    for listener in managed.services.config.enabled_listeners():
        assert f"<td>{listener.name}</td>" in listeners.group(1)
    french = await managed.client.get("/admin", headers={"accept-language": "fr-FR"})
    assert "Certificat TLS" in french.text and "encore 5 jour(s)" in french.text


async def test_domains_are_added_with_dns_records_to_copy(managed: Web) -> None:
    csrf = await as_admin(managed)
    added = await managed.client.post("/admin/domains", data={"csrf": csrf, "domain": "New.Test"})
    assert added.status_code == 303
    assert added.headers["location"] == "/admin/domains/new.test?done=domain"
    page = await managed.client.get("/admin/domains/new.test")
    text = page.text
    assert "new.test.</code></td>\n      <td>MX</td>" in text
    assert "10 mail.example.test." in text
    assert "v=spf1 mx -all" in text
    assert "_dmarc.new.test." in text and "v=DMARC1; p=quarantine" in text
    keys = await managed.services.directory.dkim_keys("new.test")
    assert len(keys) == 2
    for key in keys:
        assert f"{key.selector}._domainkey.new.test." in text
        assert key.dns_record in text
    assert text.count('class="copy"') == 5
    assert '<script src="/static/manage.js"' in text
    script = await managed.client.get("/static/manage.js")
    assert script.status_code == 200 and "clipboard" in script.text
    listing = await managed.client.get("/admin/domains")
    assert "new.test" in listing.text
    invalid = await managed.client.post("/admin/domains", data={"csrf": csrf, "domain": "no"})
    assert invalid.status_code == 400
    assert (await managed.client.get("/admin/domains/nowhere.test")).status_code == 404


async def test_account_creation_and_its_login(managed: Web) -> None:
    csrf = await as_admin(managed)
    weak = await managed.client.post(
        "/admin/accounts",
        data={"csrf": csrf, "address": "carol@example.test", "password": "short"},
    )
    assert weak.status_code == 400
    assert "carol@example.test" in weak.text  # the form keeps what was typed
    created = await managed.client.post(
        "/admin/accounts",
        data={
            "csrf": csrf,
            "address": "Carol@Example.test",
            "display_name": "Carol",
            "password": PASSWORD,
            "quota": "1 MiB",
        },
    )
    assert created.headers["location"] == "/admin/accounts/carol@example.test?done=account"
    carol = await managed.services.directory.get_account("carol@example.test")
    assert carol.quota_bytes == 1024 * 1024 and not carol.admin and carol.display_name == "Carol"
    assert (await managed.services.mailstore.get_mailbox(carol.id, "INBOX")) is not None
    duplicate = await managed.client.post(
        "/admin/accounts",
        data={"csrf": csrf, "address": "carol@example.test", "password": PASSWORD},
    )
    assert duplicate.status_code == 400
    unknown_domain = await managed.client.post(
        "/admin/accounts",
        data={"csrf": csrf, "address": "dave@elsewhere.test", "password": PASSWORD},
    )
    assert unknown_domain.status_code == 400
    browser = managed.browser()
    assert (await login(browser, "carol@example.test")).headers["location"] == "/"
    await browser.aclose()
    page = await managed.client.get("/admin/accounts")
    assert "<meter" in page.text and "carol@example.test" in page.text


async def test_disable_enable_reset_and_quota(managed: Web) -> None:
    csrf = await as_admin(managed)
    bob = managed.browser()
    assert (await login(bob, BOB)).status_code == 303
    assert (await bob.get("/settings")).status_code == 200
    disabled = await managed.client.post(f"/admin/accounts/{BOB}/disable", data={"csrf": csrf})
    assert disabled.headers["location"] == f"/admin/accounts/{BOB}?done=disabled"
    assert (await managed.services.directory.get_account(BOB)).disabled
    assert (await bob.get("/settings")).headers["location"] == "/login"  # session ended
    imap = await managed.services.auth.login("imap", "192.0.2.30", BOB, PASSWORD)
    assert imap.outcome.value == "disabled"
    await managed.client.post(f"/admin/accounts/{BOB}/enable", data={"csrf": csrf})
    assert not (await managed.services.directory.get_account(BOB)).disabled
    # An admin cannot lock themselves out.
    myself = await managed.client.post(f"/admin/accounts/{ADMIN}/disable", data={"csrf": csrf})
    assert myself.status_code == 400
    assert not (await managed.services.directory.get_account(ADMIN)).disabled
    # A new password ends the account's web sessions.
    assert (await login(bob, BOB)).status_code == 303
    reset = await managed.client.post(
        f"/admin/accounts/{BOB}/password", data={"csrf": csrf, "password": "another long secret"}
    )
    assert reset.status_code == 303
    assert (await bob.get("/settings")).headers["location"] == "/login"
    assert (await managed.services.auth.login("imap", "192.0.2.30", BOB, "another long secret")).ok
    weak = await managed.client.post(
        f"/admin/accounts/{BOB}/password", data={"csrf": csrf, "password": "x"}
    )
    assert weak.status_code == 400
    quota = await managed.client.post(
        f"/admin/accounts/{BOB}/quota", data={"csrf": csrf, "quota": "2 GiB"}
    )
    assert quota.status_code == 303
    assert (await managed.services.directory.get_account(BOB)).quota_bytes == 2 * 1024**3
    assert 'name="quota" value="2 GiB"' in (await managed.client.get(f"/admin/accounts/{BOB}")).text
    bad = await managed.client.post(
        f"/admin/accounts/{BOB}/quota", data={"csrf": csrf, "quota": "lots"}
    )
    assert bad.status_code == 400
    await managed.client.post(f"/admin/accounts/{BOB}/quota", data={"csrf": csrf, "quota": ""})
    assert (await managed.services.directory.get_account(BOB)).quota_bytes == 0
    role = await managed.client.post(
        f"/admin/accounts/{BOB}/role", data={"csrf": csrf, "admin": "on"}
    )
    assert role.headers["location"] == f"/admin/accounts/{BOB}?done=role"
    assert (await managed.services.directory.get_account(BOB)).admin
    await managed.client.post(f"/admin/accounts/{BOB}/role", data={"csrf": csrf})
    assert not (await managed.services.directory.get_account(BOB)).admin
    own = await managed.client.post(f"/admin/accounts/{ADMIN}/role", data={"csrf": csrf})
    assert own.status_code == 400
    assert (await managed.services.directory.get_account(ADMIN)).admin
    missing = await managed.client.post(
        "/admin/accounts/nobody@example.test/disable", data={"csrf": csrf}
    )
    assert missing.status_code == 404
    await bob.aclose()


async def test_aliases_and_catch_all(managed: Web) -> None:
    csrf = await as_admin(managed)
    added = await managed.client.post(
        "/admin/aliases",
        data={"csrf": csrf, "address": "team@example.test", "targets": f"{ALICE}, {BOB}"},
    )
    assert added.status_code == 303
    await managed.client.post(
        "/admin/aliases", data={"csrf": csrf, "address": "@example.test", "targets": ALICE}
    )
    resolution = await managed.services.directory.resolve("anything@example.test")
    assert resolution is not None
    page = await managed.client.get("/admin/aliases")
    assert "team@example.test" in page.text and "catch-all" in page.text
    looping = await managed.client.post(
        "/admin/aliases",
        data={"csrf": csrf, "address": "loop@example.test", "targets": "loop@example.test"},
    )
    assert looping.status_code == 400
    removed = await managed.client.post(
        "/admin/aliases/remove", data={"csrf": csrf, "address": "team@example.test"}
    )
    assert removed.status_code == 303
    assert [a.address for a in await managed.services.directory.list_aliases()] == ["@example.test"]
    again = await managed.client.post(
        "/admin/aliases/remove", data={"csrf": csrf, "address": "team@example.test"}
    )
    assert again.status_code == 404


async def test_queue_list_retry_and_drop(managed: Web) -> None:
    csrf = await as_admin(managed)
    queue = managed.services.queue
    message = await queue.enqueue(
        ALICE,
        [QueueRecipientInput("someone@remote.example")],
        b"From: alice@example.test\r\nSubject: out\r\n\r\nhello\r\n",
    )
    await queue.hold(message)
    page = await managed.client.get("/admin/queue")
    assert "someone@remote.example" in page.text and "held" in page.text
    retried = await managed.client.post(f"/admin/queue/{message}/retry", data={"csrf": csrf})
    assert retried.headers["location"] == "/admin/queue?done=retried"
    _, recipients = (await queue.list_messages())[0]
    assert recipients[0].state == "pending"
    dropped = await managed.client.post(f"/admin/queue/{message}/drop", data={"csrf": csrf})
    assert dropped.status_code == 303
    assert await queue.list_messages() == []
    for path in (f"/admin/queue/{message}/drop", f"/admin/queue/{message}/retry"):
        assert (await managed.client.post(path, data={"csrf": csrf})).status_code == 404
    assert (
        await managed.client.post("/admin/queue/x/drop", data={"csrf": csrf})
    ).status_code == 404


async def test_bans_and_security_log(managed: Web) -> None:
    auth = managed.services.auth
    for _ in range(managed.services.config.auth.max_failures_per_ip):
        await auth.login("imap", "198.51.100.7", ALICE, "wrong password!")
    csrf = await as_admin(managed)
    page = await managed.client.get("/admin/security")
    assert "198.51.100.7" in page.text
    log = re.search(r'<table class="grid log" id="security-log">(.*?)</table>', page.text, re.S)
    assert log is not None
    rows = re.findall(r"<tr><td>", log.group(1))
    assert rows
    # Newest first: the admin's own login is above the failures.
    assert log.group(1).index(ADMIN) < log.group(1).index("198.51.100.7")
    assert "wrong password!" not in page.text
    lifted = await managed.client.post(
        "/admin/security/unban", data={"csrf": csrf, "scope": "ip:198.51.100.7"}
    )
    assert lifted.headers["location"] == "/admin/security?done=unbanned"
    assert await auth.ban_of("198.51.100.7") is None
    again = await managed.client.post(
        "/admin/security/unban", data={"csrf": csrf, "scope": "ip:198.51.100.7"}
    )
    assert again.status_code == 404


async def test_admin_pages_escape_what_users_typed(managed: Web) -> None:
    await managed.services.directory.set_display_name(BOB, "<script>alert(1)</script>")
    await as_admin(managed)
    for path in ("/admin/accounts", f"/admin/accounts/{BOB}"):
        page = await managed.client.get(path)
        assert "<script>alert(1)</script>" not in page.text
        assert "&lt;script&gt;" in page.text


# -- paging, domain removal, DKIM rotation (issue 8, admin and settings leftovers) -----------


def listed(page: str, table: str) -> list[str]:
    """The addresses in the first cells of a table's rows."""
    body = re.search(rf'<table class="grid" id="{table}">(.*?)</table>', page, re.S)
    assert body is not None, page
    return re.findall(r"<tr>\s*<td>(?:<a [^>]*>)?([^<(]+?)(?:</a>)?(?: \(|</td>)", body.group(1))


def next_link(page: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', page)
    return None if found is None else found.group(1).replace("&amp;", "&")


async def forbid_full_lists(managed: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a page loads a whole list instead of one page from the store."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a whole list was loaded")

    repo = managed.services.directory.repo
    for name in ("list_accounts", "list_aliases"):
        monkeypatch.setattr(repo, name, refuse)
    monkeypatch.setattr(managed.services.queue.repo, "list_messages", refuse)


async def test_accounts_are_paged_in_address_order_with_a_prefix_filter(
    managed: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = managed.services.directory
    await directory.add_domain("other.test", dkim=False)
    for number in range(117):
        await directory.add_account(f"user{number:03d}@example.test", None)
    await directory.add_account("user999@other.test", None)
    await as_admin(managed)
    await forbid_full_lists(managed, monkeypatch)
    everyone = sorted(
        [ALICE, BOB, ADMIN, "user999@other.test"]
        + [f"user{number:03d}@example.test" for number in range(117)]
    )
    seen: list[str] = []
    url: str | None = "/admin/accounts"
    while url is not None:
        page = (await managed.client.get(url)).text
        rows = listed(page, "accounts")
        assert len(rows) == (50 if len(seen) < 100 else len(everyone) - 100)
        seen += rows
        url = next_link(page)
    assert seen == everyone  # stable order, nothing twice, nothing missed
    last = (await managed.client.get("/admin/accounts?page=3")).text
    assert "101–121 of 121" in last and 'rel="prev" ' not in last
    assert '<a href="/admin/accounts?page=2" rel="prev">' in last
    # A page past the end shows the last one; nonsense shows the first.
    assert (
        listed((await managed.client.get("/admin/accounts?page=99")).text, "accounts")
        == (everyone[100:])
    )
    assert listed((await managed.client.get("/admin/accounts?page=x")).text, "accounts")[0] == (
        ALICE
    )
    # The filter: addresses starting with what was typed (any case), paged, kept in links.
    filtered = (await managed.client.get("/admin/accounts?q=USER0")).text
    assert listed(filtered, "accounts") == everyone[3:53]
    assert "1–50 of 100" in filtered
    assert next_link(filtered) == "/admin/accounts?q=user0&page=2"
    assert 'name="q" value="user0"' in filtered
    second = (await managed.client.get("/admin/accounts?q=user0&page=2")).text
    assert listed(second, "accounts") == everyone[53:103]
    assert next_link(second) is None
    by_domain = (await managed.client.get("/admin/accounts?domain=other.test")).text
    assert listed(by_domain, "accounts") == ["user999@other.test"]
    none = (await managed.client.get("/admin/accounts?q=nobody%25")).text
    assert listed(none, "accounts") == [] and "No account matches." in none
    # The overview and the domain list count without loading every account.
    overview = (await managed.client.get("/admin")).text
    assert "121" in overview
    domains = (await managed.client.get("/admin/domains")).text
    assert "<td>120</td>" in domains
    domain = (await managed.client.get("/admin/domains/example.test")).text
    assert "Accounts (120)" in domain and "See all 120" in domain


async def test_aliases_and_queue_are_paged(managed: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    directory, queue = managed.services.directory, managed.services.queue
    for number in range(55):
        await directory.add_alias(f"list{number:02d}@example.test", [ALICE])
    ids = [
        await queue.enqueue(
            ALICE,
            [QueueRecipientInput(f"friend{number}@remote.example")],
            b"From: alice@example.test\r\nSubject: out\r\n\r\nhello\r\n",
        )
        for number in range(53)
    ]
    await as_admin(managed)
    await forbid_full_lists(managed, monkeypatch)
    first = (await managed.client.get("/admin/aliases")).text
    assert listed(first, "aliases") == [f"list{number:02d}@example.test" for number in range(50)]
    second = (await managed.client.get(next_link(first) or "")).text
    assert listed(second, "aliases") == [
        f"list{number:02d}@example.test" for number in range(50, 55)
    ]
    filtered = (await managed.client.get("/admin/aliases?q=list5")).text
    assert len(listed(filtered, "aliases")) == 5 and next_link(filtered) is None

    queue_page = (await managed.client.get("/admin/queue")).text
    numbers = [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", queue_page)]
    assert numbers == ids[:50]  # oldest first
    assert "friend49@remote.example" in queue_page and "friend50@" not in queue_page
    rest = (await managed.client.get("/admin/queue?page=2")).text
    assert [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", rest)] == ids[50:]
    assert "friend52@remote.example" in rest  # recipients of the page's messages only
    assert "53 message" not in rest and "51–53 of 53" in rest


async def test_the_security_log_is_paged_newest_first_and_stays_put(managed: Web) -> None:
    log = managed.services.security_log
    for number in range(120):
        log.write("login-failed", account=f"n{number:03d}@example.test", protocol="imap")
    await as_admin(managed)  # logs the admin's own login: the newest event
    first = (await managed.client.get("/admin/security")).text
    accounts = re.findall(r"account=(n\d+)@", first)
    assert accounts == [f"n{number:03d}" for number in range(119, 70, -1)]  # after the login
    link = next_link(first)
    assert link is not None and "end=" in link and "page=2" in link
    # New events do not shift page 2: it continues where page 1 ended.
    for number in range(5):
        log.write("login-failed", account=f"late{number}@example.test")
    second = (await managed.client.get(link)).text
    assert re.findall(r"account=(n\d+)@", second) == [f"n{n:03d}" for n in range(70, 20, -1)]
    assert "late0@" not in second
    third = (await managed.client.get(next_link(second) or "")).text
    assert re.findall(r"account=(n\d+)@", third)[-1] == "n000"
    assert next_link(third) is None
    assert "late0" in (await managed.client.get("/admin/security")).text


async def test_a_domain_is_removed_only_when_empty_after_confirming(managed: Web) -> None:
    directory = managed.services.directory
    csrf = await as_admin(managed)
    await directory.add_alias("team@example.test", [ALICE])
    in_use = await managed.client.get("/admin/domains/example.test/remove")
    assert in_use.status_code == 200
    assert "still has 3 account(s) and 1 alias(es)" in in_use.text
    assert 'id="confirm-remove-domain"' not in in_use.text
    refused = await managed.client.post(
        "/admin/domains/example.test/remove",
        data={"csrf": csrf, "confirm_name": "example.test"},
    )
    assert refused.status_code == 400
    assert "3 account(s) and 1 alias(es)" in refused.text
    assert await directory.is_local_domain("example.test")

    await directory.add_domain("empty.test")
    assert len(await directory.dkim_keys("empty.test")) == 2
    page = await managed.client.get("/admin/domains/empty.test")
    assert 'href="/admin/domains/empty.test/remove"' in page.text
    confirm = await managed.client.get("/admin/domains/empty.test/remove")
    assert 'id="confirm-remove-domain"' in confirm.text and "Type empty.test" in confirm.text
    mistyped = await managed.client.post(
        "/admin/domains/empty.test/remove", data={"csrf": csrf, "confirm_name": "example.test"}
    )
    assert mistyped.status_code == 400 and "nothing was removed" in mistyped.text
    assert await directory.is_local_domain("empty.test")
    removed = await managed.client.post(
        "/admin/domains/empty.test/remove", data={"csrf": csrf, "confirm_name": " Empty.Test "}
    )
    assert removed.headers["location"] == "/admin/domains?done=domain_removed"
    assert not await directory.is_local_domain("empty.test")
    assert await directory.repo.list_dkim_keys("empty.test") == []
    listing = await managed.client.get("/admin/domains?done=domain_removed")
    assert "Domain removed." in listing.text and "empty.test" not in listing.text
    gone = await managed.client.post(
        "/admin/domains/empty.test/remove", data={"csrf": csrf, "confirm_name": "empty.test"}
    )
    assert gone.status_code == 404


async def signed_by(managed: Web, number: int) -> tuple[list[str], bytes]:
    """Alice submits a message to Bob through the delivery pipeline; the selectors of the
    DKIM-Signature fields on what Bob's inbox got, and those bytes."""
    services = managed.services
    alice = await services.directory.get_account(ALICE)
    bob = await services.delivery.check_recipient(BOB, role=Role.SUBMISSION, authenticated=True)
    assert isinstance(bob, Recipient)
    envelope = Envelope(
        role=Role.SUBMISSION,
        sender=ALICE,
        recipients=(bob,),
        helo="laptop",
        peer_ip="127.0.0.1",
        principal=Principal(alice.id, ALICE, "smtp", "password"),
        session_id=f"rotation{number}",
    )
    raw = (
        f"From: Alice <{ALICE}>\r\nTo: {BOB}\r\nSubject: rotation {number}\r\n"
        f"Message-ID: <rotation{number}@example.test>\r\n"
        "Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n\r\nSigned by whom?\r\n"
    ).encode()
    await services.delivery.deliver(envelope, raw)
    mailbox = await managed.mailbox_id(BOB)
    _, metas = await services.mailstore.snapshot(mailbox)
    [record] = await services.mailstore.fetch(mailbox, [metas[-1].uid])
    stored = await services.mailstore.read_message(record)
    assert f"rotation {number}".encode() in stored
    header = stored.split(b"\r\n\r\n", 1)[0]
    signatures = re.findall(rb"DKIM-Signature:.*?\bs=([\w-]+);", header, re.S)
    return [selector.decode() for selector in signatures], stored


def verifies_with(signed: bytes, records: dict[str, str]) -> bool:
    """dkimpy's verdict on every signature, the DNS answering from ``records``."""
    import dkim  # noqa: PLC0415 - the independent verifier, only here

    def dns(name: bytes, timeout: int = 5) -> bytes:
        del timeout
        selector = name.decode().split("._domainkey.")[0]
        return records.get(selector, "").encode()

    verifier = dkim.DKIM(signed)
    count = signed.count(b"DKIM-Signature:")
    return count > 0 and all(verifier.verify(idx=index, dnsfunc=dns) for index in range(count))


async def test_dkim_rotation_signs_with_the_new_key_only_once_activated(managed: Web) -> None:
    directory = managed.services.directory
    csrf = await as_admin(managed)
    [old] = await directory.dkim_key_pairs("example.test")
    old_records = {key.selector: key.dns_record for key in old.keys}
    assert sorted((await signed_by(managed, 1))[0]) == sorted(old.selectors)

    rotated = await managed.client.post(
        "/admin/domains/example.test/dkim/rotate", data={"csrf": csrf}
    )
    assert rotated.headers["location"] == "/admin/domains/example.test?done=dkim_rotated"
    old, new = await directory.dkim_key_pairs("example.test")
    assert (old.state, new.state) == (KeyState.ACTIVE, KeyState.PENDING)
    page = (await managed.client.get(rotated.headers["location"])).text
    assert "New key made" in page
    for key in new.keys:  # the records to publish are on the page, ready to copy
        assert f"{key.selector}._domainkey.example.test." in page and key.dns_record in page
    assert page.count('name="pair"') == 2  # activate or remove the pending pair only
    # Pending: the old key alone still signs.
    selectors, signed = await signed_by(managed, 2)
    assert sorted(selectors) == sorted(old.selectors)
    assert verifies_with(signed, old_records)

    unticked = await managed.client.post(
        "/admin/domains/example.test/dkim/activate", data={"csrf": csrf, "pair": new.base}
    )
    assert unticked.status_code == 400 and "tick the box" in unticked.text
    assert (await directory.dkim_key_pairs("example.test"))[1].state is KeyState.PENDING
    unknown = await managed.client.post(
        "/admin/domains/example.test/dkim/activate",
        data={"csrf": csrf, "pair": "nope", "published": "on"},
    )
    assert unknown.status_code == 404
    activated = await managed.client.post(
        "/admin/domains/example.test/dkim/activate",
        data={"csrf": csrf, "pair": new.base, "published": "on"},
    )
    assert activated.headers["location"] == "/admin/domains/example.test?done=dkim_activated"
    old, new = await directory.dkim_key_pairs("example.test")
    assert (old.state, new.state) == (KeyState.RETIRED, KeyState.ACTIVE)
    # Active: a message submitted now is signed with the new selectors and verifies with
    # the new records (dkimpy); the old records no longer verify it.
    selectors, signed = await signed_by(managed, 3)
    assert sorted(selectors) == sorted(new.selectors)
    new_records = {key.selector: key.dns_record for key in new.keys}
    assert verifies_with(signed, new_records)
    assert not verifies_with(signed, old_records)

    # The active pair cannot be removed; the retired one can.
    active = await managed.client.post(
        "/admin/domains/example.test/dkim/remove", data={"csrf": csrf, "pair": new.base}
    )
    assert active.status_code == 400 and "last active" in active.text
    retired = await managed.client.post(
        "/admin/domains/example.test/dkim/remove", data={"csrf": csrf, "pair": old.base}
    )
    assert retired.headers["location"] == "/admin/domains/example.test?done=dkim_removed"
    assert [pair.base for pair in await directory.dkim_key_pairs("example.test")] == [new.base]
    page = (await managed.client.get("/admin/domains/example.test")).text
    assert old.keys[0].dns_record not in page
