"""The admin pages: only the admin role sees them (everyone else gets 404 on every /admin
path and method); domains with their DNS records, accounts, aliases, the queue, bans and
the security log, server status — through the real domain services, CSRF on every change."""

from __future__ import annotations

import re

import pytest

from courriel.storage.records import QueueRecipientInput

from .conftest import ADMIN, ALICE, BOB, PASSWORD, Web, csrf_of, login

ADMIN_PAGES = (
    "/admin",
    "/admin/domains",
    "/admin/domains/example.test",
    "/admin/accounts",
    f"/admin/accounts/{ALICE}",
    "/admin/aliases",
    "/admin/queue",
    "/admin/security",
)
ADMIN_POSTS = (
    "/admin/domains",
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
