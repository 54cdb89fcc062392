"""The settings pages: display name, password change, 2FA enrolment and removal, app
passwords, spam allow/block lists — through the real AuthService, Directory and SpamFilter,
with CSRF on every change."""

from __future__ import annotations

import re

import httpx
import pyotp
import pytest

from courriel.web.security import SESSION_COOKIE

from .conftest import ALICE, BOB, PASSWORD, Web, csrf_of, login

NEW_PASSWORD = "a brand new passphrase"


async def logged_in(web: Web, address: str = ALICE, client: httpx.AsyncClient | None = None) -> str:
    """Log ``address`` in on ``client`` (the default browser); its CSRF token."""
    client = client or web.client
    assert (await login(client, address)).status_code == 303
    return csrf_of(await client.get("/settings"))


def secret_of(page: httpx.Response) -> str:
    found = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page.text)
    assert found is not None, page.text
    return found.group(1)


async def test_settings_need_a_session(managed: Web) -> None:
    for path in ("/settings", "/settings/2fa", "/settings/app-passwords", "/settings/spam"):
        answer = await managed.client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"


async def test_pages_carry_the_security_headers_in_both_languages(managed: Web) -> None:
    await logged_in(managed)
    for path in ("/settings", "/settings/2fa", "/settings/app-passwords", "/settings/spam"):
        english = await managed.client.get(path)
        assert english.status_code == 200
        assert "default-src 'none'" in english.headers["content-security-policy"]
        assert english.headers["x-frame-options"] == "DENY"
        french = await managed.client.get(path, headers={"accept-language": "fr"})
        assert french.headers["content-language"] == "fr"
        assert "Réglages" in french.text


async def test_display_name(managed: Web) -> None:
    csrf = await logged_in(managed)
    answer = await managed.client.post(
        "/settings/name", data={"csrf": csrf, "display_name": "  Alice   Liddell "}
    )
    assert answer.status_code == 303
    assert (await managed.services.directory.get_account(ALICE)).display_name == "Alice Liddell"
    page = await managed.client.get(answer.headers["location"])
    assert "Name saved." in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/settings/name",
        "/settings/password",
        "/settings/2fa/begin",
        "/settings/2fa/confirm",
        "/settings/2fa/disable",
        "/settings/2fa/recovery",
        "/settings/app-passwords",
        "/settings/app-passwords/revoke",
        "/settings/spam",
        "/settings/spam/remove",
    ],
)
async def test_every_change_needs_the_csrf_token(managed: Web, path: str) -> None:
    await logged_in(managed)
    forms = {"display_name": "Mallory", "password": PASSWORD, "name": "x", "entry": "@evil.test"}
    missing = await managed.client.post(path, data=forms)
    forged = await managed.client.post(path, data={**forms, "csrf": "forged"})
    assert missing.status_code == forged.status_code == 403
    other_site = await managed.client.post(
        path,
        data={**forms, "csrf": csrf_of(await managed.client.get("/settings"))},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert other_site.status_code == 403
    assert (await managed.services.directory.get_account(ALICE)).display_name == "Alice"
    assert await managed.services.auth.list_app_passwords(ALICE) == []


async def test_password_change_needs_the_current_password_and_ends_other_sessions(
    managed: Web,
) -> None:
    other = managed.browser()
    await logged_in(managed, client=other)
    csrf = await logged_in(managed)
    wrong = await managed.client.post(
        "/settings/password",
        data={
            "csrf": csrf,
            "password": "not my password",
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert wrong.status_code == 403
    assert "current password is not right" in wrong.text
    # The wrong guess counts like a failed login.
    failures = await managed.services.store.security.failures(
        "ip:192.0.2.10", managed.clock.now(), 3600
    )
    assert failures == 1
    differ = await managed.client.post(
        "/settings/password",
        data={
            "csrf": csrf,
            "password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD + "x",
        },
    )
    assert differ.status_code == 400
    weak = await managed.client.post(
        "/settings/password",
        data={
            "csrf": csrf,
            "password": PASSWORD,
            "new_password": "short",
            "repeat_password": "short",
        },
    )
    assert weak.status_code == 400
    assert "This password is refused" in weak.text
    assert (await other.get("/settings")).status_code == 200  # nothing changed yet
    done = await managed.client.post(
        "/settings/password",
        data={
            "csrf": csrf,
            "password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/settings?done=password"
    # This browser stays in; the other one is out.
    assert (await managed.client.get("/settings")).status_code == 200
    assert (await other.get("/settings")).headers["location"] == "/login"
    new_login = await managed.services.auth.login("imap", "192.0.2.20", ALICE, NEW_PASSWORD)
    assert new_login.ok
    old_login = await managed.services.auth.login("imap", "192.0.2.20", ALICE, PASSWORD)
    assert not old_login.ok
    await other.aclose()


async def test_two_factor_enrolment_recovery_codes_and_removal(managed: Web) -> None:
    csrf = await logged_in(managed)
    wrong = await managed.client.post(
        "/settings/2fa/begin", data={"csrf": csrf, "password": "not my password"}
    )
    assert wrong.status_code == 403
    assert await managed.services.auth.pending_totp(ALICE) is None
    begun = await managed.client.post(
        "/settings/2fa/begin", data={"csrf": csrf, "password": PASSWORD}
    )
    assert begun.headers["location"] == "/settings/2fa"
    page = await managed.client.get("/settings/2fa")
    secret = secret_of(page)
    # The QR code is drawn here, as a data: image (no outside service sees the secret).
    assert 'src="data:image/svg+xml' in page.text
    assert secret == secret_of(await managed.client.get("/settings/2fa"))  # same after reload
    totp = pyotp.TOTP(secret)
    bad = await managed.client.post("/settings/2fa/confirm", data={"csrf": csrf, "code": "000000"})
    assert bad.status_code == 400
    assert (await managed.services.auth.totp_status(ALICE))[0] is False
    confirmed = await managed.client.post(
        "/settings/2fa/confirm", data={"csrf": csrf, "code": totp.at(managed.clock.now())}
    )
    assert confirmed.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", confirmed.text)
    assert len(codes) == 10
    assert confirmed.headers["cache-control"] == "no-store"
    assert await managed.services.auth.totp_status(ALICE) == (True, 10)
    # Shown once: the page never lists them again.
    again = await managed.client.get("/settings/2fa")
    assert not any(code in again.text for code in codes)
    assert "10 recovery code(s) left" in again.text
    # The password alone now opens IMAP no more.
    imap = await managed.services.auth.login("imap", "192.0.2.20", ALICE, PASSWORD)
    assert imap.outcome.value == "app-password-required"
    # Turning it off needs the password and a code; a recovery code works.
    no_code = await managed.client.post(
        "/settings/2fa/disable", data={"csrf": csrf, "password": PASSWORD, "code": "123456"}
    )
    assert no_code.status_code == 403
    assert (await managed.services.auth.totp_status(ALICE))[0] is True
    off = await managed.client.post(
        "/settings/2fa/disable", data={"csrf": csrf, "password": PASSWORD, "code": codes[0]}
    )
    assert off.headers["location"] == "/settings/2fa?done=2fa_off"
    assert (await managed.services.auth.totp_status(ALICE))[0] is False


async def test_turning_2fa_off_with_a_totp_code(managed: Web) -> None:
    csrf = await logged_in(managed)
    enrolment = await managed.services.auth.begin_totp(ALICE)
    totp = pyotp.TOTP(enrolment.secret)
    await managed.services.auth.confirm_totp(ALICE, totp.at(managed.clock.now()))
    # The enrolment code's step was used: the same code cannot turn 2FA off.
    replay = await managed.client.post(
        "/settings/2fa/disable",
        data={"csrf": csrf, "password": PASSWORD, "code": totp.at(managed.clock.now())},
    )
    assert replay.status_code == 403
    managed.clock.advance(30)
    off = await managed.client.post(
        "/settings/2fa/disable",
        data={"csrf": csrf, "password": PASSWORD, "code": totp.at(managed.clock.now())},
    )
    assert off.status_code == 303
    assert (await managed.services.auth.totp_status(ALICE))[0] is False


async def test_app_passwords_are_shown_once_listed_and_revoked(managed: Web) -> None:
    csrf = await logged_in(managed)
    refused = await managed.client.post(
        "/settings/app-passwords",
        data={"csrf": csrf, "name": "Thunderbird", "password": "not my password"},
    )
    assert refused.status_code == 403
    created = await managed.client.post(
        "/settings/app-passwords", data={"csrf": csrf, "name": "Thunderbird", "password": PASSWORD}
    )
    assert created.status_code == 200
    found = re.search(r'<code id="app-password">([a-z ]+)</code>', created.text)
    assert found is not None
    app_password = found.group(1)
    taken = await managed.client.post(
        "/settings/app-passwords", data={"csrf": csrf, "name": "Thunderbird", "password": PASSWORD}
    )
    assert taken.status_code == 400
    listing = await managed.client.get("/settings/app-passwords")
    assert "Thunderbird" in listing.text and app_password not in listing.text
    assert "never" in listing.text
    imap = await managed.services.auth.login("imap", "192.0.2.20", ALICE, app_password)
    assert imap.ok and imap.principal is not None
    assert imap.principal.method == "app-password"
    assert "192.0.2.20" in (await managed.client.get("/settings/app-passwords")).text
    # Bob cannot revoke Alice's app password: his own list has no such name (404).
    bob = managed.browser()
    bob_csrf = await logged_in(managed, BOB, bob)
    other = await bob.post(
        "/settings/app-passwords/revoke", data={"csrf": bob_csrf, "name": "Thunderbird"}
    )
    assert other.status_code == 404
    await bob.aclose()
    revoked = await managed.client.post(
        "/settings/app-passwords/revoke", data={"csrf": csrf, "name": "Thunderbird"}
    )
    assert revoked.headers["location"] == "/settings/app-passwords?done=revoked"
    assert not (await managed.services.auth.login("imap", "192.0.2.20", ALICE, app_password)).ok


async def test_spam_allow_and_block_lists(managed: Web) -> None:
    csrf = await logged_in(managed)
    spam = managed.services.spam
    account = await managed.account_id(ALICE)
    allowed = await managed.client.post(
        "/settings/spam", data={"csrf": csrf, "kind": "allow", "entry": "Friend@Example.org"}
    )
    assert allowed.headers["location"] == "/settings/spam?done=allowed"
    await managed.client.post(
        "/settings/spam", data={"csrf": csrf, "kind": "block", "entry": "@spam.example"}
    )
    entries = {(entry.kind, entry.entry) for entry in await spam.list_entries(account)}
    assert entries == {("allow", "friend@example.org"), ("block", "@spam.example")}
    page = await managed.client.get("/settings/spam")
    assert "friend@example.org" in page.text and "@spam.example" in page.text
    bad = await managed.client.post(
        "/settings/spam", data={"csrf": csrf, "kind": "block", "entry": "not an entry"}
    )
    assert bad.status_code == 400
    removed = await managed.client.post(
        "/settings/spam/remove", data={"csrf": csrf, "kind": "block", "entry": "@spam.example"}
    )
    assert removed.status_code == 303
    missing = await managed.client.post(
        "/settings/spam/remove", data={"csrf": csrf, "kind": "block", "entry": "@spam.example"}
    )
    assert missing.status_code == 404
    # Bob's lists are his own.
    assert await spam.list_entries(await managed.account_id(BOB)) == []


async def test_logged_out_posts_go_to_the_login_page(managed: Web) -> None:
    answer = await managed.client.post("/settings/name", data={"display_name": "x"})
    assert answer.status_code == 303
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


# -- new recovery codes (issue 8, admin and settings leftovers) --------------------------------


async def test_new_recovery_codes_replace_the_old_ones_after_the_password(managed: Web) -> None:
    auth = managed.services.auth
    csrf = await logged_in(managed)
    enrolment = await auth.begin_totp(ALICE)
    old_codes = await auth.confirm_totp(ALICE, pyotp.TOTP(enrolment.secret).at(managed.clock.now()))
    page = await managed.client.get("/settings/2fa")
    assert 'action="/settings/2fa/recovery"' in page.text

    wrong = await managed.client.post(
        "/settings/2fa/recovery", data={"csrf": csrf, "password": "not my password"}
    )
    assert wrong.status_code == 403
    assert 'id="recovery-codes"' not in wrong.text
    assert await auth.totp_status(ALICE) == (True, 10)
    principal = (await auth.login("web", "192.0.2.10", ALICE, PASSWORD)).principal
    assert principal is not None
    assert (await auth.verify_second_factor(principal, old_codes[0], "192.0.2.10")).ok

    made = await managed.client.post(
        "/settings/2fa/recovery", data={"csrf": csrf, "password": PASSWORD}
    )
    assert made.status_code == 200
    assert made.headers["cache-control"] == "no-store"
    assert "the earlier ones no longer work" in made.text
    new_codes = re.findall(r"<li><code>([0-9a-z-]+)</code></li>", made.text)
    assert len(new_codes) == 10 and set(new_codes).isdisjoint(old_codes)
    assert await auth.totp_status(ALICE) == (True, 10)  # the used old code no longer counts
    # Every old code is dead, used or not; a new one works once.
    for code in old_codes[:3]:
        assert not (await auth.verify_second_factor(principal, code, "192.0.2.11")).ok
    assert (await auth.verify_second_factor(principal, new_codes[0], "192.0.2.12")).ok
    assert not (await auth.verify_second_factor(principal, new_codes[0], "192.0.2.12")).ok
    assert await auth.totp_status(ALICE) == (True, 9)
    # Shown once: the 2FA page does not list them.
    again = await managed.client.get("/settings/2fa")
    assert not any(code in again.text for code in new_codes)
    events = [event["event"] for event in managed.services.security_log.read(account=ALICE)]
    assert "recovery-codes-regenerated" in events


async def test_new_recovery_codes_need_2fa_on(managed: Web) -> None:
    csrf = await logged_in(managed)
    page = await managed.client.get("/settings/2fa")
    assert 'action="/settings/2fa/recovery"' not in page.text
    answer = await managed.client.post(
        "/settings/2fa/recovery", data={"csrf": csrf, "password": PASSWORD}
    )
    assert answer.headers["location"] == "/settings/2fa"
    assert await managed.services.auth.totp_status(ALICE) == (False, 0)
