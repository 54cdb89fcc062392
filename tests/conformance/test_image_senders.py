"""ImageSenderRepo conformance (ports.ImageSenderRepo): adding once, listing sorted, per
account, removing, an unknown account, and an account's rows leaving with it."""

from __future__ import annotations

import pytest

from courriel.storage.errors import NotFound
from support.backends import Backend, make_account

NOW = 1_700_000_000.0


async def test_add_list_remove(backend: Backend) -> None:
    alice, _ = await make_account(backend, "alice@example.test")
    bob, _ = await make_account(backend, "bob@example.test")
    repo = backend.image_senders
    assert await repo.list_image_senders(alice.id) == []
    assert await repo.add_image_sender(alice.id, "news@shop.test", NOW)
    assert await repo.add_image_sender(alice.id, "a@b.test", NOW)
    assert not await repo.add_image_sender(alice.id, "news@shop.test", NOW + 1)
    assert await repo.list_image_senders(alice.id) == ["a@b.test", "news@shop.test"]
    assert await repo.has_image_sender(alice.id, "news@shop.test")
    assert not await repo.has_image_sender(bob.id, "news@shop.test")
    assert await repo.list_image_senders(bob.id) == []
    assert await repo.remove_image_sender(alice.id, "news@shop.test")
    assert not await repo.remove_image_sender(alice.id, "news@shop.test")
    assert not await repo.has_image_sender(alice.id, "news@shop.test")
    assert await repo.list_image_senders(alice.id) == ["a@b.test"]


async def test_unknown_account(backend: Backend) -> None:
    with pytest.raises(NotFound):
        await backend.image_senders.add_image_sender(999_999, "a@b.test", NOW)


async def test_an_accounts_senders_go_with_it(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    await backend.image_senders.add_image_sender(account.id, "a@b.test", NOW)
    await backend.directory.remove_account("alice@example.test")
    again, _ = await make_account(backend, "alice@example.test")
    assert await backend.image_senders.list_image_senders(again.id) == []
    assert not await backend.image_senders.has_image_sender(account.id, "a@b.test")
