"""MailSettingsRepo conformance (ports.MailSettingsRepo): defaults, replacing, the vacation
memory's once-per-interval claim, forgetting, and an account's rows leaving with it."""

from __future__ import annotations

import pytest

from courriel.storage.errors import NotFound
from courriel.storage.records import MailSettingsRecord
from support.backends import Backend, make_account

NOW = 1_700_000_000.0
WEEK = 7 * 86400.0


async def test_defaults_then_saved_settings(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    repo = backend.mail_settings
    assert await repo.get_mail_settings(account.id) == MailSettingsRecord(account.id)
    saved = MailSettingsRecord(
        account.id,
        signature="-- \nAlice",
        vacation_enabled=True,
        vacation_subject="Away",
        vacation_body="Back Monday.",
        vacation_start=NOW,
        vacation_end=NOW + WEEK,
        vacation_interval_days=3,
        forward_to="alice@elsewhere.test",
        forward_keep_copy=False,
    )
    await repo.put_mail_settings(saved)
    assert await repo.get_mail_settings(account.id) == saved
    await repo.put_mail_settings(MailSettingsRecord(account.id, signature="A."))
    assert await repo.get_mail_settings(account.id) == MailSettingsRecord(
        account.id, signature="A."
    )
    with pytest.raises(NotFound):
        await repo.put_mail_settings(MailSettingsRecord(999_999))


async def test_one_reply_per_sender_per_interval(backend: Backend) -> None:
    alice, _ = await make_account(backend, "alice@example.test")
    bob, _ = await make_account(backend, "bob@example.test")
    repo = backend.mail_settings
    assert await repo.claim_vacation_reply(alice.id, "x@remote.test", NOW, WEEK)
    assert not await repo.claim_vacation_reply(alice.id, "x@remote.test", NOW + 10, WEEK)
    assert await repo.claim_vacation_reply(alice.id, "y@remote.test", NOW + 10, WEEK)
    assert await repo.claim_vacation_reply(bob.id, "x@remote.test", NOW + 10, WEEK)
    # The interval counts from the last reply given.
    assert await repo.claim_vacation_reply(alice.id, "x@remote.test", NOW + WEEK, WEEK)
    assert not await repo.claim_vacation_reply(alice.id, "x@remote.test", NOW + WEEK + 1, WEEK)
    assert await repo.forget_vacation_replies(alice.id) == 2
    assert await repo.claim_vacation_reply(alice.id, "x@remote.test", NOW + WEEK + 2, WEEK)


async def test_an_accounts_settings_go_with_it(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    repo = backend.mail_settings
    await repo.put_mail_settings(MailSettingsRecord(account.id, signature="A."))
    await repo.claim_vacation_reply(account.id, "x@remote.test", NOW, WEEK)
    await backend.directory.remove_account("alice@example.test")
    again, _ = await make_account(backend, "alice@example.test")
    assert await repo.get_mail_settings(account.id) == MailSettingsRecord(account.id)
    assert await repo.forget_vacation_replies(account.id) == 0
    assert again.id is not None
