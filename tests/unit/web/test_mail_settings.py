"""The signature, vacation and forwarding pages (issue 8, settings part 2): through the real
``MailSettings`` of the delivery pipeline, with CSRF on every change, validation answered
with a 400 naming the field, both languages, and each account seeing only its own."""

from __future__ import annotations

from courriel.storage.records import MailSettingsRecord

from .conftest import ALICE, BOB, Web, csrf_of, login

PAGES = ("/settings/signature", "/settings/vacation", "/settings/forwarding")


async def logged_in(web: Web, address: str = ALICE) -> str:
    assert (await login(web.client, address)).status_code == 303
    return csrf_of(await web.client.get("/settings/signature"))


async def settings_of(web: Web, address: str = ALICE) -> MailSettingsRecord:
    mail_settings = web.services.delivery.mail_settings
    assert mail_settings is not None
    return await mail_settings.get(await web.account_id(address))


async def test_pages_need_a_session(web: Web) -> None:
    for path in PAGES:
        answer = await web.client.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")


async def test_pages_in_both_languages_with_headers(web: Web) -> None:
    await logged_in(web)
    for path in PAGES:
        english = await web.client.get(path)
        assert english.status_code == 200
        assert "default-src 'none'" in english.headers["content-security-policy"]
        french = await web.client.get(path, headers={"accept-language": "fr"})
        assert french.headers["content-language"] == "fr"
    assert (
        "Réponse d’absence"
        in (await web.client.get("/settings/vacation", headers={"accept-language": "fr"})).text
    )


async def test_every_change_needs_the_csrf_token(web: Web) -> None:
    await logged_in(web)
    for path in PAGES:
        answer = await web.client.post(path, data={"signature": "x", "forward_to": "a@b.example"})
        assert answer.status_code == 403
        forged = await web.client.post(path, data={"csrf": "forged", "signature": "x"})
        assert forged.status_code == 403
    assert await settings_of(web) == MailSettingsRecord(await web.account_id(ALICE))


async def test_signature_is_saved_and_shown(web: Web) -> None:
    csrf = await logged_in(web)
    answer = await web.client.post(
        "/settings/signature", data={"csrf": csrf, "signature": "-- \r\nAlice <b>\r\n"}
    )
    assert (answer.status_code, answer.headers["location"]) == (
        303,
        "/settings/signature?done=saved",
    )
    assert (await settings_of(web)).signature == "-- \nAlice <b>"
    page = await web.client.get(answer.headers["location"])
    assert "Saved." in page.text and "Alice &lt;b&gt;" in page.text
    too_long = await web.client.post(
        "/settings/signature", data={"csrf": csrf, "signature": "x" * 5000}
    )
    assert too_long.status_code == 400 and "too long" in too_long.text


async def test_vacation_with_dates_and_validation(web: Web) -> None:
    csrf = await logged_in(web)
    form = {
        "csrf": csrf,
        "enabled": "on",
        "subject": "Away",
        "body": "Back on Monday.",
        "start": "2027-01-10",
        "end": "2027-01-20",
        "interval_days": "3",
    }
    answer = await web.client.post("/settings/vacation", data=form)
    assert answer.status_code == 303
    saved = await settings_of(web)
    assert saved.vacation_enabled and saved.vacation_subject == "Away"
    assert saved.vacation_interval_days == 3
    assert saved.vacation_end - saved.vacation_start == 11 * 86400  # the last day included
    page = await web.client.get("/settings/vacation")
    assert 'value="2027-01-10"' in page.text and 'value="2027-01-20"' in page.text
    for bad in (
        {"interval_days": "0"},
        {"interval_days": "many"},
        {"start": "10/01/2027"},
        {"end": "2027-01-01"},
        {"subject": "two\nlines"},
    ):
        refused = await web.client.post("/settings/vacation", data=form | bad)
        assert refused.status_code == 400, bad
    assert await settings_of(web) == saved
    off = await web.client.post("/settings/vacation", data={"csrf": csrf, "interval_days": "7"})
    assert off.status_code == 303 and not (await settings_of(web)).vacation_enabled


async def test_forwarding(web: Web) -> None:
    csrf = await logged_in(web)
    answer = await web.client.post(
        "/settings/forwarding", data={"csrf": csrf, "forward_to": "Alice@Elsewhere.example"}
    )
    assert answer.status_code == 303
    saved = await settings_of(web)
    assert (saved.forward_to, saved.forward_keep_copy) == ("alice@elsewhere.example", False)
    for bad in ("not an address", ALICE, "nobody@example.test"):
        refused = await web.client.post(
            "/settings/forwarding", data={"csrf": csrf, "forward_to": bad, "keep_copy": "on"}
        )
        assert refused.status_code == 400 and "cannot receive" in refused.text
    await web.client.post(
        "/settings/forwarding", data={"csrf": csrf, "forward_to": BOB, "keep_copy": "on"}
    )
    assert (await settings_of(web)).forward_to == BOB
    assert (await settings_of(web, BOB)).forward_to == ""  # Bob's own are untouched


async def test_the_signature_starts_new_messages_and_replies(web: Web) -> None:
    csrf = await logged_in(web)
    blank = await web.client.get("/compose")
    assert "-- \n" not in blank.text
    await web.client.post("/settings/signature", data={"csrf": csrf, "signature": "Alice L."})
    new = await web.client.get("/compose")
    assert "\n\n-- \nAlice L.\n</textarea>" in new.text
    uid = await web.deliver(
        ALICE,
        b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: Plans\r\n"
        b"Message-ID: <p@example.test>\r\n\r\nShall we meet?\r\n",
    )
    inbox = await web.mailbox_id(ALICE)
    reply = (await web.client.get(f"/compose/reply/{inbox}/{uid}")).text
    assert reply.index("-- \nAlice L.") < reply.index("&gt; Shall we meet?")
    forward = (await web.client.get(f"/compose/forward/{inbox}/{uid}")).text
    assert "Alice L." not in forward
