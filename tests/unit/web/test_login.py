"""Webmail login through the AuthService: password, the 2FA step (TOTP and recovery code),
the session cookie's attributes, logout, "log out my other sessions", and the limits on
the pending second step."""

from __future__ import annotations

import json

import httpx
import pyotp

from courriel.web.security import LOGIN_COOKIE, SESSION_COOKIE
from courriel.web.sessions import MAX_CODE_ATTEMPTS, SECOND_FACTOR_TIME, token_digest

from .conftest import ALICE, PASSWORD, Web, csrf_of, login


def set_cookie_headers(response: httpx.Response) -> list[str]:
    return [value for name, value in response.headers.multi_items() if name == "set-cookie"]


async def enable_2fa(web: Web) -> tuple[pyotp.TOTP, list[str]]:
    enrolment = await web.services.auth.begin_totp(ALICE)
    totp = pyotp.TOTP(enrolment.secret)
    codes = await web.services.auth.confirm_totp(ALICE, totp.at(web.clock.now()))
    web.clock.advance(30)  # the enrolment code's step is used
    return totp, codes


async def test_password_login_opens_a_session_with_a_strict_cookie(web: Web) -> None:
    answer = await login(web.client)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookies = [c for c in set_cookie_headers(answer) if c.startswith(SESSION_COOKIE + "=")]
    assert len(cookies) == 1
    attributes = [part.strip().lower() for part in cookies[0].split(";")]
    assert {"httponly", "secure", "samesite=strict", "path=/"} <= set(attributes)
    assert not any(part.startswith("domain=") for part in attributes)
    token = cookies[0].split(";", 1)[0].split("=", 1)[1]
    # Only the digest is stored: the token itself is nowhere in the store.
    stored = await web.services.store.web_sessions.get_web_session(token_digest(token), 0)
    assert stored is not None and stored.stage == "active"
    assert await web.services.store.web_sessions.get_web_session(token, 0) is None
    inbox = await web.client.get("/", follow_redirects=True)
    assert inbox.status_code == 200
    assert ALICE in inbox.text


async def test_a_wrong_password_is_refused_and_logged_like_imap(web: Web) -> None:
    answer = await login(web.client, password="wrong password!")
    assert answer.status_code == 401
    assert "Wrong address or password" in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    assert (await web.client.get("/")).headers["location"] == "/login"
    failures = await web.services.store.security.failures("ip:192.0.2.10", web.clock.now(), 3600)
    assert failures == 1
    logged = [json.loads(line) for line in web.services.security_log.path.read_text().splitlines()]
    assert {
        "protocol": "web",
        "ip": "192.0.2.10",
        "account": ALICE,
        "result": "failed",
    }.items() <= logged[-1].items()
    assert "wrong password!" not in web.services.security_log.path.read_text()


async def test_an_unknown_account_answers_like_a_wrong_password(web: Web) -> None:
    unknown = await login(web.client, address="nobody@example.test")
    wrong = await login(web.client, password="not the password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.text.replace("nobody@example.test", ALICE) == wrong.text.replace(
        csrf_token_of(wrong), csrf_token_of(unknown)
    )


def csrf_token_of(page: httpx.Response) -> str:
    text = page.text
    return text.split('name="login_token" value="', 1)[1].split('"', 1)[0]


async def test_repeated_failures_ban_the_address_for_the_web_too(web: Web) -> None:
    limit = web.services.config.auth.max_failures_per_ip
    for _ in range(limit):
        await login(web.client, password="wrong password!")
    banned = await login(web.client)  # the right password, from a banned address
    assert banned.status_code == 429
    assert "Too many failed logins" in banned.text


async def test_the_login_form_needs_its_token(web: Web) -> None:
    answer = await web.client.post(
        "/login", data={"login_token": "forged", "address": ALICE, "password": PASSWORD}
    )
    assert answer.status_code == 403
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


async def test_two_factor_login_with_totp(web: Web) -> None:
    totp, _ = await enable_2fa(web)
    answer = await login(web.client)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login/code"
    pending = web.client.cookies.get(SESSION_COOKIE)
    # The pending session does not open the mailbox.
    assert (await web.client.get("/")).headers["location"] == "/login"
    form = await web.client.get("/login/code")
    assert form.status_code == 200
    done = await web.client.post(
        "/login/code", data={"csrf": csrf_of(form), "code": totp.at(web.clock.now())}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    active = web.client.cookies.get(SESSION_COOKIE)
    assert active and active != pending  # a new token after the second factor
    assert (await web.client.get("/", follow_redirects=True)).status_code == 200
    # The pending token is gone.
    stale = web.browser()
    stale.cookies.set(SESSION_COOKIE, pending or "", domain="mail.example.test")
    assert (await stale.get("/login/code")).headers["location"] == "/login?expired=1"


async def test_two_factor_login_with_a_recovery_code_used_once(web: Web) -> None:
    _, codes = await enable_2fa(web)
    await login(web.client)
    form = await web.client.get("/login/code")
    done = await web.client.post("/login/code", data={"csrf": csrf_of(form), "code": codes[0]})
    assert done.headers["location"] == "/"
    other = web.browser()
    await login(other)
    form = await other.get("/login/code")
    again = await other.post("/login/code", data={"csrf": csrf_of(form), "code": codes[0]})
    assert again.status_code == 401
    assert "not valid" in again.text


async def test_wrong_codes_end_the_pending_login(web: Web) -> None:
    await enable_2fa(web)
    await login(web.client)
    form = await web.client.get("/login/code")
    csrf = csrf_of(form)
    for attempt in range(1, MAX_CODE_ATTEMPTS + 1):
        answer = await web.client.post("/login/code", data={"csrf": csrf, "code": "000000"})
        if attempt < MAX_CODE_ATTEMPTS:
            assert answer.status_code == 401
    assert "Too many wrong codes" in answer.text
    assert (await web.client.get("/login/code")).headers["location"] == "/login?expired=1"


async def test_the_second_step_expires(web: Web) -> None:
    totp, _ = await enable_2fa(web)
    await login(web.client)
    form = await web.client.get("/login/code")
    web.clock.advance(SECOND_FACTOR_TIME + 1)
    late = await web.client.post(
        "/login/code", data={"csrf": csrf_of(form), "code": totp.at(web.clock.now())}
    )
    assert late.headers["location"] == "/login?expired=1"


async def test_the_code_step_needs_the_csrf_token(web: Web) -> None:
    totp, _ = await enable_2fa(web)
    await login(web.client)
    answer = await web.client.post(
        "/login/code", data={"csrf": "forged", "code": totp.at(web.clock.now())}
    )
    assert answer.status_code == 403


async def test_logout_ends_the_session(web: Web) -> None:
    await login(web.client)
    page = await web.client.get("/", follow_redirects=True)
    token = web.client.cookies.get(SESSION_COOKIE) or ""
    out = await web.client.post("/logout", data={"csrf": csrf_of(page)})
    assert out.headers["location"] == "/login"
    replay = web.browser()
    replay.cookies.set(SESSION_COOKIE, token, domain="mail.example.test")
    assert (await replay.get("/")).headers["location"] == "/login"


async def test_log_out_my_other_sessions(web: Web) -> None:
    phone = web.browser()
    await login(phone)
    await login(web.client)
    page = await web.client.get("/account/sessions")
    assert page.status_code == 200
    assert page.text.count("<tr") == 3  # header row and two sessions
    done = await web.client.post(
        "/account/sessions/logout-others", data={"csrf": csrf_of(page)}, follow_redirects=True
    )
    assert "1 other session(s) ended" in done.text
    assert (await phone.get("/")).headers["location"] == "/login"
    assert (await web.client.get("/")).status_code == 303  # still in: to the inbox
    assert (await web.client.get("/")).headers["location"].startswith("/mail/")


async def test_idle_sessions_expire(web: Web) -> None:
    await login(web.client)
    web.clock.advance(web.services.config.web.session_idle_timeout + 1)
    assert (await web.client.get("/")).headers["location"] == "/login"


async def test_a_disabled_account_loses_its_sessions(web: Web) -> None:
    await login(web.client)
    await web.services.directory.set_disabled(ALICE, True)
    assert (await web.client.get("/")).headers["location"] == "/login"


async def test_the_login_cookie_is_strict_too(web: Web) -> None:
    form = await web.client.get("/login")
    cookie = next(c for c in set_cookie_headers(form) if c.startswith(LOGIN_COOKIE))
    assert "samesite=strict" in cookie.lower()
    assert "secure" in cookie.lower()
