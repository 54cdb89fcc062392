"""Acting on mail in the webmail: flags, moves, delete, spam and not spam, empty Trash,
folders, search; every change a POST with the CSRF token, through ``MailStore`` (so the
change events IMAP sessions wait for are published and Junk moves are reported to the spam
filter), and another account's ids answered 404 like missing ones."""

from __future__ import annotations

import httpx
import pytest

from courriel.mailstore.defaults import JUNK, TRASH
from courriel.storage.query import AllOf, DateRange, HeaderContains, TextContains
from courriel.storage.records import Flag
from courriel.web.action_views import BadRequest, safe_next
from courriel.web.search_views import search_key

from .conftest import ALICE, BOB, Web, csrf_of, login


def mail(subject: str, body: str = "Hello there.", sender: str = "bob@example.test") -> bytes:
    return (
        f"From: Sender <{sender}>\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
        f"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '.')}@x>"
        f"\r\n\r\n{body}\r\n"
    ).encode()


WITH_ATTACHMENT = (
    b"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: Report\r\n"
    b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m1\r\n\r\n"
    b"--m1\r\nContent-Type: text/plain\r\n\r\nThe quarterly report.\r\n"
    b"--m1\r\nContent-Type: application/pdf; name=r.pdf\r\n"
    b"Content-Disposition: attachment; filename=r.pdf\r\n\r\n%PDF-1.4\r\n--m1--\r\n"
)


async def logged_in(web: Web, client: httpx.AsyncClient | None = None) -> str:
    """Log in as Alice; the session's CSRF token."""
    client = client or web.client
    assert (await login(client)).status_code == 303
    return csrf_of(await client.get("/", follow_redirects=True))


async def act(
    web: Web, mailbox: int, csrf: str, action: str, *uids: int, **more: str
) -> httpx.Response:
    data: dict[str, str | list[str]] = {"csrf": csrf, "action": action, **more}
    if uids:
        data["uid"] = [str(uid) for uid in uids]
    return await web.client.post(f"/mail/{mailbox}/actions", data=data)


async def uids_in(web: Web, address: str, name: str) -> list[int]:
    _, metas = await web.services.mailstore.snapshot(await web.mailbox_id(address, name))
    return [meta.uid for meta in metas]


async def flags_of(web: Web, mailbox: int, uid: int) -> Flag:
    [record] = await web.services.mailstore.fetch(mailbox, [uid])
    return Flag(record.flags)


async def test_the_list_has_checkboxes_and_the_action_bar(web: Web) -> None:
    uid = await web.deliver(ALICE, mail("Checkbox me"))
    await logged_in(web)
    page = await web.client.get("/", follow_redirects=True)
    inbox = await web.mailbox_id(ALICE)
    assert f'action="/mail/{inbox}/actions"' in page.text
    assert f'name="uid" value="{uid}"' in page.text
    assert 'value="spam"' in page.text and 'value="not-spam"' not in page.text
    assert "/static/actions.js" in page.text
    assert 'href="/folders"' in page.text and 'action="/search"' in page.text


async def test_flags_on_several_messages_reach_the_store_and_the_bus(web: Web) -> None:
    first = await web.deliver(ALICE, mail("One"))
    second = await web.deliver(ALICE, mail("Two"))
    inbox = await web.mailbox_id(ALICE)
    csrf = await logged_in(web)
    subscription = web.services.bus.subscribe(await web.account_id(ALICE))
    answer = await act(web, inbox, csrf, "read", first, second)
    assert answer.status_code == 303 and answer.headers["location"] == f"/mail/{inbox}/"
    change = await subscription.get(timeout=1)
    assert change is not None and change.kind == "flags" and change.uids == (first, second)
    subscription.close()
    assert Flag.SEEN in await flags_of(web, inbox, first)
    assert Flag.SEEN in await flags_of(web, inbox, second)
    await act(web, inbox, csrf, "unread", second)
    assert Flag.SEEN not in await flags_of(web, inbox, second)
    await act(web, inbox, csrf, "flag", first, second)
    assert Flag.FLAGGED in await flags_of(web, inbox, second)
    listed = await web.client.get(f"/mail/{inbox}/")
    assert listed.text.count('class="star"') == 2
    await act(web, inbox, csrf, "unflag", first)
    assert Flag.FLAGGED not in await flags_of(web, inbox, first)
    # From the message page, "next" brings the browser back to the message.
    back = await act(web, inbox, csrf, "flag", first, next=f"/mail/{inbox}/{first}")
    assert back.headers["location"] == f"/mail/{inbox}/{first}"


async def test_move_to_another_folder(web: Web) -> None:
    uids = [await web.deliver(ALICE, mail(f"Move {n}")) for n in range(3)]
    inbox = await web.mailbox_id(ALICE)
    archive = await web.mailbox_id(ALICE, "Archive")
    csrf = await logged_in(web)
    answer = await act(web, inbox, csrf, "move", uids[0], uids[2], target=str(archive))
    assert answer.status_code == 303
    assert await uids_in(web, ALICE, "INBOX") == [uids[1]]
    assert len(await uids_in(web, ALICE, "Archive")) == 2
    # Leaving the message page of a moved message goes back to the list.
    moved = await act(
        web, inbox, csrf, "move", uids[1], target=str(archive), next=f"/mail/{inbox}/{uids[1]}"
    )
    assert moved.headers["location"] == f"/mail/{inbox}/"


async def test_delete_moves_to_trash_and_deletes_there(web: Web) -> None:
    uid = await web.deliver(ALICE, mail("Bin me"))
    inbox = await web.mailbox_id(ALICE)
    trash = await web.mailbox_id(ALICE, "Trash")
    csrf = await logged_in(web)
    assert (await act(web, inbox, csrf, "delete", uid)).status_code == 303
    assert await uids_in(web, ALICE, "INBOX") == []
    [in_trash] = await uids_in(web, ALICE, "Trash")
    page = await web.client.get(f"/mail/{trash}/")
    assert "Delete for good" in page.text and f'action="/mail/{trash}/empty"' in page.text
    assert (await act(web, trash, csrf, "delete", in_trash)).status_code == 303
    assert await uids_in(web, ALICE, "Trash") == []


async def test_empty_trash_asks_first(web: Web) -> None:
    for n in range(3):
        await web.deliver(ALICE, mail(f"Old {n}"), name="Trash")
    trash = await web.mailbox_id(ALICE, "Trash")
    inbox = await web.mailbox_id(ALICE)
    csrf = await logged_in(web)
    question = await web.client.post(f"/mail/{trash}/empty", data={"csrf": csrf})
    assert question.status_code == 200
    assert "Delete the 3 message(s) in Trash for good?" in question.text
    assert 'name="confirm" value="yes"' in question.text
    assert len(await uids_in(web, ALICE, "Trash")) == 3
    done = await web.client.post(f"/mail/{trash}/empty", data={"csrf": csrf, "confirm": "yes"})
    assert done.status_code == 303
    assert await uids_in(web, ALICE, "Trash") == []
    # Only Trash can be emptied.
    await web.deliver(ALICE, mail("Keep me"))
    refused = await web.client.post(f"/mail/{inbox}/empty", data={"csrf": csrf, "confirm": "yes"})
    assert refused.status_code == 400 and "Only Trash can be emptied." in refused.text
    assert len(await uids_in(web, ALICE, "INBOX")) == 1


async def test_spam_and_not_spam_are_reported_to_the_filter(web: Web) -> None:
    uid = await web.deliver(ALICE, mail("Cheap pills"))
    inbox = await web.mailbox_id(ALICE)
    junk = await web.mailbox_id(ALICE, "Junk")
    csrf = await logged_in(web)
    assert (await act(web, inbox, csrf, "spam", uid)).status_code == 303
    [in_junk] = await uids_in(web, ALICE, "Junk")
    [report] = await web.services.mailstore.pending_spam_feedback()
    assert report.verdict == "spam" and report.account_id == await web.account_id(ALICE)
    page = await web.client.get(f"/mail/{junk}/")
    assert 'value="not-spam"' in page.text and 'value="spam"' not in page.text
    # "Not spam" only from Junk, and back to INBOX.
    fine = await web.deliver(ALICE, mail("Fine"))
    refused = await act(web, inbox, csrf, "not-spam", fine)
    assert refused.status_code == 400 and "Only messages in Junk" in refused.text
    assert (await act(web, junk, csrf, "not-spam", in_junk)).status_code == 303
    assert len(await uids_in(web, ALICE, "INBOX")) == 2
    verdicts = [r.verdict for r in await web.services.mailstore.pending_spam_feedback()]
    assert verdicts == ["spam", "ham"]


async def test_special_folders_are_found_by_special_use(web: Web) -> None:
    """A renamed Junk is still where "Spam" files mail; a missing Trash is created."""
    account = await web.account_id(ALICE)
    store = web.services.mailstore
    await store.rename_mailbox(account, "Junk", "Pourriels")
    await store.delete_mailbox(account, "Trash")
    uid = await web.deliver(ALICE, mail("Spammy"))
    other = await web.deliver(ALICE, mail("Unwanted"))
    inbox = await web.mailbox_id(ALICE)
    csrf = await logged_in(web)
    await act(web, inbox, csrf, "spam", uid)
    assert len(await uids_in(web, ALICE, "Pourriels")) == 1
    await act(web, inbox, csrf, "delete", other)
    trash = await store.get_mailbox(account, "Trash")
    assert trash.special_use == TRASH and trash.message_count == 1
    assert (await store.get_mailbox(account, "Pourriels")).special_use == JUNK


async def test_bad_input_gets_a_clear_message(web: Web) -> None:
    uid = await web.deliver(ALICE, mail("Target"))
    inbox = await web.mailbox_id(ALICE)
    csrf = await logged_in(web)
    cases: list[tuple[str, tuple[int, ...], dict[str, str], str]] = [
        ("read", (), {}, "Select at least one message first."),
        ("dance", (uid,), {}, "Unknown action."),
        ("read", (), {"uid": "abc"}, "The selection is not valid."),
        ("move", (uid,), {}, "Choose a folder to move to."),
        ("move", (uid,), {"target": str(inbox)}, "already in that folder"),
    ]
    for action, uids, more, text in cases:
        answer = await act(web, inbox, csrf, action, *uids, **more)
        assert answer.status_code == 400, (action, more)
        assert text in answer.text, answer.text
        assert f'href="/mail/{inbox}/"' in answer.text  # a way back
    # A UID that is not in the mailbox: 404, as for a message page.
    assert (await act(web, inbox, csrf, "read", 999)).status_code == 404
    # An address to come back to that is not ours is not followed.
    answer = await act(web, inbox, csrf, "read", uid, next="https://evil.example/")
    assert answer.headers["location"] == f"/mail/{inbox}/"
    for value in ("//evil.example/", "/\\evil", "/mail/1/\r\nX: y", "/login", ""):
        assert safe_next(value, "/d") == "/d", value
    assert safe_next("/search?q=a&mailbox=3", "/d") == "/search?q=a&mailbox=3"


async def test_another_accounts_mailboxes_and_messages_are_not_found(web: Web) -> None:
    bobs_uid = await web.deliver(BOB, mail("Bob's own"))
    bobs_inbox = await web.mailbox_id(BOB)
    bobs_trash = await web.mailbox_id(BOB, "Trash")
    alices_uid = await web.deliver(ALICE, mail("Alice's own"))
    alices_inbox = await web.mailbox_id(ALICE)
    csrf = await logged_in(web)
    for action in ("read", "flag", "delete", "spam"):
        assert (await act(web, bobs_inbox, csrf, action, bobs_uid)).status_code == 404
    # Bob's mailbox as the target of a move from Alice's own INBOX.
    moved = await act(web, alices_inbox, csrf, "move", alices_uid, target=str(bobs_inbox))
    assert moved.status_code == 404
    assert (
        await web.client.post(f"/mail/{bobs_trash}/empty", data={"csrf": csrf})
    ).status_code == 404
    for path in (f"/folders/{bobs_inbox}/rename", f"/folders/{bobs_trash}/delete"):
        answer = await web.client.post(path, data={"csrf": csrf, "name": "x", "confirm": "yes"})
        assert answer.status_code == 404, path
    assert (await web.client.get(f"/search?mailbox={bobs_inbox}&q=own")).status_code == 404
    # Nothing of Bob's changed; Alice's message is where it was.
    [record] = await web.services.mailstore.fetch(bobs_inbox, [bobs_uid])
    assert record.flags == 0
    assert await uids_in(web, BOB, "Trash") == [] and await uids_in(web, ALICE, "INBOX") == [
        alices_uid
    ]
    assert await web.services.mailstore.pending_spam_feedback() == []


async def test_every_change_needs_the_csrf_token(web: Web) -> None:
    uid = await web.deliver(ALICE, mail("Protected"))
    inbox = await web.mailbox_id(ALICE)
    trash = await web.mailbox_id(ALICE, "Trash")
    csrf = await logged_in(web)
    posts = [
        (f"/mail/{inbox}/actions", {"action": "delete", "uid": str(uid)}),
        (f"/mail/{trash}/empty", {"confirm": "yes"}),
        ("/folders", {"name": "Sneaky"}),
        (f"/folders/{trash}/rename", {"name": "Bin"}),
        (f"/folders/{trash}/delete", {"confirm": "yes"}),
    ]
    for path, data in posts:
        for token in ({}, {"csrf": ""}, {"csrf": csrf + "x"}):
            answer = await web.client.post(path, data={**data, **token})
            assert answer.status_code == 403, (path, token)
        cross = await web.client.post(
            path, data={**data, "csrf": csrf}, headers={"origin": "https://evil.example"}
        )
        assert cross.status_code == 403, path
    assert await uids_in(web, ALICE, "INBOX") == [uid]
    names = {
        m.name for m in await web.services.mailstore.list_mailboxes(await web.account_id(ALICE))
    }
    assert "Sneaky" not in names and "Trash" in names and "Bin" not in names
    # Without a session, a POST goes to the login page.
    anonymous = web.browser()
    answer = await anonymous.post(
        f"/mail/{inbox}/actions", data={"action": "delete", "uid": str(uid)}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    await anonymous.aclose()


async def test_a_whole_page_can_be_selected(web: Web) -> None:
    """More fields than a login form: the whole list of a page at once."""
    account = await web.account_id(ALICE)
    inbox = await web.mailbox_id(ALICE)
    result = await web.services.mailstore.append(
        account, inbox, [(mail(f"Bulk {n}"), [], None) for n in range(60)]
    )
    csrf = await logged_in(web)
    answer = await act(web, inbox, csrf, "read", *result.uids)
    assert answer.status_code == 303
    _, metas = await web.services.mailstore.snapshot(inbox)
    assert all(meta.flags & Flag.SEEN for meta in metas)


async def test_folders_create_rename_delete(web: Web) -> None:
    account = await web.account_id(ALICE)
    store = web.services.mailstore
    csrf = await logged_in(web)
    page = await web.client.get("/folders")
    assert page.status_code == 200 and "Manage folders" in page.text
    assert (
        await web.client.post("/folders", data={"csrf": csrf, "name": " Projects/2026 "})
    ).status_code == 303
    names = {m.name for m in await store.list_mailboxes(account)}
    assert {"Projects", "Projects/2026"} <= names  # the parent is created too
    projects = await store.get_mailbox(account, "Projects")
    renamed = await web.client.post(
        f"/folders/{projects.id}/rename", data={"csrf": csrf, "name": "Work"}
    )
    assert renamed.status_code == 303
    names = {m.name for m in await store.list_mailboxes(account)}
    assert {"Work", "Work/2026"} <= names and "Projects" not in names
    # An empty ordinary folder goes at once.
    child = await store.get_mailbox(account, "Work/2026")
    assert (
        await web.client.post(f"/folders/{child.id}/delete", data={"csrf": csrf})
    ).status_code == 303
    assert "Work/2026" not in {m.name for m in await store.list_mailboxes(account)}
    # The folder list shows unread counts, the new folder included.
    await web.deliver(ALICE, mail("In work"), name="Work")
    listed = await web.client.get("/folders")
    assert "Work" in listed.text and "<td>1</td>" in listed.text


async def test_folder_rules_and_confirmations(web: Web) -> None:
    account = await web.account_id(ALICE)
    store = web.services.mailstore
    inbox = await web.mailbox_id(ALICE)
    junk = await web.mailbox_id(ALICE, "Junk")
    csrf = await logged_in(web)
    for name, text in (
        ("", "Type a folder name."),
        ("a//b", "This folder name is not allowed"),
        ("stars*", "This folder name is not allowed"),
        ("Archive", "A folder with this name exists already."),
    ):
        answer = await web.client.post("/folders", data={"csrf": csrf, "name": name})
        assert answer.status_code in (400, 409) and text in answer.text, name
    for path in (f"/folders/{inbox}/rename", f"/folders/{inbox}/delete"):
        answer = await web.client.post(path, data={"csrf": csrf, "name": "Boxed", "confirm": "yes"})
        assert answer.status_code == 400 and "inbox cannot be renamed or deleted" in answer.text
    rename_to_existing = await web.client.post(
        f"/folders/{junk}/rename", data={"csrf": csrf, "name": "Archive"}
    )
    assert rename_to_existing.status_code == 409
    # A special-use folder asks first, then goes.
    question = await web.client.post(f"/folders/{junk}/delete", data={"csrf": csrf})
    assert question.status_code == 200 and "Delete the folder “Junk”" in question.text
    assert "Junk" in {m.name for m in await store.list_mailboxes(account)}
    gone = await web.client.post(f"/folders/{junk}/delete", data={"csrf": csrf, "confirm": "yes"})
    assert gone.status_code == 303
    assert "Junk" not in {m.name for m in await store.list_mailboxes(account)}
    # So does one holding mail.
    await store.create_mailbox(account, "Full")
    await web.deliver(ALICE, mail("Inside"), name="Full")
    full = await web.mailbox_id(ALICE, "Full")
    question = await web.client.post(f"/folders/{full}/delete", data={"csrf": csrf})
    assert question.status_code == 200 and "its 1 message(s)" in question.text


def test_search_fields_become_the_stores_search_key() -> None:
    assert search_key({}) is None
    assert search_key({"q": "  invoice "}) == TextContains("invoice")
    key = search_key(
        {"from": "bob", "subject": "lunch", "since": "2026-11-01", "until": "2026-11-30"}
    )
    assert key == AllOf(
        (
            HeaderContains("from", "bob"),
            HeaderContains("subject", "lunch"),
            DateRange("sent", 1_793_491_200.0, 1_796_083_200.0),  # [1 Nov, 1 Dec) UTC
        )
    )
    for fields, problem in (
        ({"since": "yesterday"}, "search.bad_date"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "search.bad_range"),
        ({"q": "x" * 201}, "search.too_long"),
    ):
        with pytest.raises(BadRequest) as raised:
            search_key(fields)
        assert raised.value.key == problem


async def test_search_finds_by_text_sender_date_and_attachment(web: Web) -> None:
    await web.deliver(ALICE, mail("Lunch plans", body="Shall we try the bistro?"))
    await web.deliver(ALICE, mail("Invoice", body="Amount due.", sender="billing@shop.example"))
    await web.deliver(ALICE, WITH_ATTACHMENT)
    inbox = await web.mailbox_id(ALICE)
    await logged_in(web)

    async def subjects(query: str) -> list[str]:
        page = await web.client.get(f"/search?mailbox={inbox}&{query}")
        assert page.status_code == 200, page.text
        return [s for s in ("Lunch plans", "Invoice", "Report") if f">{s}</span>" in page.text]

    assert await subjects("q=bistro") == ["Lunch plans"]
    assert await subjects("from=billing") == ["Invoice"]
    assert await subjects("subject=lunch") == ["Lunch plans"]
    assert await subjects("attachment=1") == ["Report"]
    assert await subjects("since=2026-11-23") == ["Report"]
    assert await subjects("until=2026-11-22") == ["Lunch plans", "Invoice"]
    assert await subjects("q=nothing-like-this") == []
    # Results carry the action bar: they can be acted on like a list.
    page = await web.client.get(f"/search?mailbox={inbox}&q=bistro")
    assert f'action="/mail/{inbox}/actions"' in page.text and "1 result(s)" in page.text
    bad = await web.client.get(f"/search?mailbox={inbox}&since=31/12/2026")
    assert bad.status_code == 400 and "Dates are written as YYYY-MM-DD." in bad.text
    assert (await web.client.get("/search?mailbox=abc&q=x")).status_code == 200  # INBOX
    assert (await web.client.get("/search")).status_code == 200  # the empty form


async def test_search_results_are_paged_by_uid(web: Web) -> None:
    account = await web.account_id(ALICE)
    inbox = await web.mailbox_id(ALICE)
    await web.services.mailstore.append(
        account, inbox, [(mail(f"Paged {n:02d}", body="needle"), [], None) for n in range(55)]
    )
    await logged_in(web)
    first = await web.client.get(f"/search?mailbox={inbox}&q=needle")
    assert "55 result(s)" in first.text
    assert "Paged 54" in first.text and "Paged 04" not in first.text
    older = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = await web.client.get(older.replace("&amp;", "&"))
    assert "Paged 04" in second.text and "Paged 05" not in second.text
    assert 'rel="next"' not in second.text


async def test_french_action_bar(web: Web) -> None:
    await web.deliver(ALICE, mail("Bonjour"))
    await logged_in(web)
    page = await web.client.get(
        "/", follow_redirects=True, headers={"accept-language": "fr-FR,fr;q=0.9"}
    )
    assert "Marquer comme lu" in page.text and "Gérer les dossiers" in page.text


def threaded(subject: str, message_id: str, references: str = "") -> bytes:
    refs = (
        f"References: {references}\r\nIn-Reply-To: {references.rsplit(maxsplit=1)[-1]}\r\n"
        if references
        else ""
    )
    return (
        f"From: bob@example.test\r\nTo: alice@example.test\r\nSubject: {subject}\r\n"
        f"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMessage-ID: {message_id}\r\n{refs}\r\n"
        "Body.\r\n"
    ).encode()


async def test_conversation_view_threads_like_imap_thread(web: Web) -> None:
    await web.deliver(ALICE, threaded("Plans", "<root@x>"))
    reply = await web.deliver(ALICE, threaded("Re: Plans", "<reply@x>", "<root@x>"))
    await web.deliver(ALICE, threaded("Re: Plans", "<deeper@x>", "<root@x> <reply@x>"))
    await web.deliver(ALICE, threaded("Something else", "<other@x>"))
    await web.deliver(ALICE, threaded("Re: Missing", "<orphan@x>", "<gone@x>"))
    inbox = await web.mailbox_id(ALICE)
    await logged_in(web)
    message = await web.client.get(f"/mail/{inbox}/{reply}")
    assert f'href="/mail/{inbox}/{reply}/conversation"' in message.text
    page = await web.client.get(f"/mail/{inbox}/{reply}/conversation")
    assert page.status_code == 200
    assert "3 message(s)" in page.text and "Something else" not in page.text
    assert page.text.index('class="depth-0') < page.text.index('class="depth-1 current')
    assert page.text.index('class="depth-1 current') < page.text.index('class="depth-2')
    orphan = await web.client.get(f"/mail/{inbox}/5/conversation")
    # A lone reply whose parent is elsewhere: the dummy parent is pruned (RFC 5256 §3).
    assert "Re: Missing" in orphan.text and "1 message(s)" in orphan.text
    bobs = await web.mailbox_id(BOB)
    await web.deliver(BOB, threaded("Bob's", "<bob@x>"))
    assert (await web.client.get(f"/mail/{bobs}/1/conversation")).status_code == 404
    assert (await web.client.get(f"/mail/{inbox}/99/conversation")).status_code == 404


async def test_older_and_newer_follow_the_list(web: Web) -> None:
    first, second, third = [await web.deliver(ALICE, mail(f"N{n}")) for n in range(3)]
    inbox = await web.mailbox_id(ALICE)
    csrf = await logged_in(web)
    await act(web, inbox, csrf, "delete", second)  # a hole in the UIDs
    older = await web.client.get(f"/mail/{inbox}/{third}/older")
    assert older.status_code == 303 and older.headers["location"] == f"/mail/{inbox}/{first}"
    newer = await web.client.get(f"/mail/{inbox}/{first}/newer")
    assert newer.headers["location"] == f"/mail/{inbox}/{third}"
    for path in (f"{first}/older", f"{third}/newer"):  # the ends: back to the list
        answer = await web.client.get(f"/mail/{inbox}/{path}")
        assert answer.headers["location"] == f"/mail/{inbox}/"
    page = await web.client.get(f"/mail/{inbox}/{first}")
    assert 'data-key="j"' in page.text and 'data-key="k"' in page.text
    bobs = await web.mailbox_id(BOB)
    await web.deliver(BOB, mail("Bob 1"))
    await web.deliver(BOB, mail("Bob 2"))
    assert (await web.client.get(f"/mail/{bobs}/2/older")).status_code == 404
