"""DirectoryRepo conformance: domains, accounts, aliases, DKIM keys (ports.DirectoryRepo)."""

from __future__ import annotations

import time

import pytest

from courriel.storage.errors import AlreadyExists, Conflict, NotFound
from courriel.storage.records import AccountRecord
from support.backends import Backend, assert_consistent, make_account
from support.builders import new, small


async def _account(backend: Backend, address: str, *, display_name: str = "") -> AccountRecord:
    return await backend.directory.add_account(
        address, password_hash=None, scram_keys=None, display_name=display_name
    )


# --- domains ---------------------------------------------------------------------------------


async def test_add_get_and_list_domains(backend: Backend) -> None:
    before = time.time()
    second = await backend.directory.add_domain("zeta.test")
    first = await backend.directory.add_domain("alpha.test")
    assert second.name == "zeta.test"
    assert before - 1 <= second.created <= time.time() + 1
    assert first.id != second.id
    assert await backend.directory.get_domain("alpha.test") == first
    assert await backend.directory.get_domain("zeta.test") == second
    assert await backend.directory.get_domain("missing.test") is None
    assert await backend.directory.list_domains() == [first, second]


async def test_domain_lookups_are_exact(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    assert await backend.directory.get_domain("EXAMPLE.test") is None


async def test_add_domain_twice_raises_already_exists(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    with pytest.raises(AlreadyExists):
        await backend.directory.add_domain("example.test")
    assert [d.name for d in await backend.directory.list_domains()] == ["example.test"]


async def test_remove_domain(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    await backend.directory.add_domain("other.test")
    await backend.directory.remove_domain("example.test")
    assert await backend.directory.get_domain("example.test") is None
    assert [d.name for d in await backend.directory.list_domains()] == ["other.test"]
    with pytest.raises(NotFound):
        await backend.directory.remove_domain("example.test")


async def test_remove_domain_with_an_account_raises_conflict(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    await _account(backend, "alice@example.test")
    with pytest.raises(Conflict):
        await backend.directory.remove_domain("example.test")
    assert await backend.directory.get_domain("example.test") is not None
    await backend.directory.remove_account("alice@example.test")
    await backend.directory.remove_domain("example.test")
    assert await backend.directory.list_domains() == []


@pytest.mark.parametrize("alias", ["info@example.test", "@example.test"])
async def test_remove_domain_with_an_alias_raises_conflict(backend: Backend, alias: str) -> None:
    await backend.directory.add_domain("example.test")
    await backend.directory.add_alias(alias, ["someone@elsewhere.test"])
    with pytest.raises(Conflict):
        await backend.directory.remove_domain("example.test")
    await backend.directory.remove_alias(alias)
    await backend.directory.remove_domain("example.test")
    assert await backend.directory.get_domain("example.test") is None


# --- accounts --------------------------------------------------------------------------------


async def test_add_account_stores_every_field(backend: Backend) -> None:
    domain = await backend.directory.add_domain("example.test")
    before = time.time()
    account = await backend.directory.add_account(
        "alice@example.test",
        password_hash="$argon2id$hash",
        scram_keys="scram-data",
        display_name="Alice Liddell",
        quota_bytes=5000,
        admin=True,
    )
    assert account.address == "alice@example.test"
    assert account.domain_id == domain.id
    assert account.display_name == "Alice Liddell"
    assert account.password_hash == "$argon2id$hash"
    assert account.scram_keys == "scram-data"
    assert account.admin is True
    assert account.disabled is False
    assert account.quota_bytes == 5000
    assert (account.used_bytes, account.message_count) == (0, 0)
    assert before - 1 <= account.created <= time.time() + 1
    assert await backend.directory.get_account("alice@example.test") == account
    assert await backend.directory.get_account_by_id(account.id) == account


async def test_add_account_defaults(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    account = await _account(backend, "bob@example.test")
    assert (account.display_name, account.quota_bytes, account.admin) == ("", 0, False)
    assert (account.password_hash, account.scram_keys) == (None, None)


async def test_add_account_in_unknown_domain_raises_not_found(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    with pytest.raises(NotFound):
        await _account(backend, "alice@missing.test")
    assert await backend.directory.list_accounts() == []


async def test_add_account_twice_raises_already_exists(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    first = await _account(backend, "alice@example.test")
    with pytest.raises(AlreadyExists):
        await _account(backend, "alice@example.test", display_name="Other")
    assert await backend.directory.list_accounts() == [first]


async def test_an_alias_and_an_account_cannot_share_an_address(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    await backend.directory.add_alias("info@example.test", ["alice@example.test"])
    with pytest.raises(AlreadyExists):
        await _account(backend, "info@example.test")
    await _account(backend, "alice@example.test")
    with pytest.raises(AlreadyExists):
        await backend.directory.add_alias("alice@example.test", ["bob@example.test"])
    assert [a.address for a in await backend.directory.list_accounts()] == ["alice@example.test"]
    assert [a.address for a in await backend.directory.list_aliases()] == ["info@example.test"]


async def test_account_lookups_are_exact(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    account = await _account(backend, "alice@example.test")
    assert await backend.directory.get_account("Alice@example.test") is None
    assert await backend.directory.get_account("alice@example.tes") is None
    assert await backend.directory.get_account_by_id(account.id + 1000) is None


async def test_list_accounts_sorted_and_by_domain(backend: Backend) -> None:
    await backend.directory.add_domain("b.test")
    await backend.directory.add_domain("a.test")
    for address in ["zoe@a.test", "carl@b.test", "anna@b.test", "mia@a.test"]:
        await _account(backend, address)
    everyone = await backend.directory.list_accounts()
    assert [a.address for a in everyone] == [
        "anna@b.test",
        "carl@b.test",
        "mia@a.test",
        "zoe@a.test",
    ]
    assert [a.address for a in await backend.directory.list_accounts("a.test")] == [
        "mia@a.test",
        "zoe@a.test",
    ]
    assert await backend.directory.list_accounts("missing.test") == []


async def test_update_account_changes_only_the_given_fields(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    original = await backend.directory.add_account(
        "alice@example.test", password_hash="h1", scram_keys="s1", display_name="Alice"
    )
    updated = await backend.directory.update_account("alice@example.test", quota_bytes=100)
    assert updated.quota_bytes == 100
    assert (updated.password_hash, updated.scram_keys, updated.display_name) == (
        "h1",
        "s1",
        "Alice",
    )
    updated = await backend.directory.update_account(
        "alice@example.test", password_hash="h2", scram_keys="s2", disabled=True, admin=True
    )
    assert (updated.password_hash, updated.scram_keys) == ("h2", "s2")
    assert (updated.disabled, updated.admin, updated.quota_bytes) == (True, True, 100)
    updated = await backend.directory.update_account(
        "alice@example.test", display_name="", quota_bytes=0, disabled=False, admin=False
    )
    assert (updated.display_name, updated.quota_bytes) == ("", 0)
    assert (updated.disabled, updated.admin) == (False, False)
    assert (updated.id, updated.created) == (original.id, original.created)
    assert await backend.directory.get_account("alice@example.test") == updated
    unchanged = await backend.directory.update_account("alice@example.test")
    assert unchanged == updated


async def test_update_unknown_account_raises_not_found(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    with pytest.raises(NotFound):
        await backend.directory.update_account("ghost@example.test", display_name="Ghost")
    with pytest.raises(NotFound):
        await backend.directory.update_account("ghost@example.test")


async def test_remove_account_drops_its_mail_and_releases_content(backend: Backend) -> None:
    alice, alice_inbox = await make_account(backend, "alice@example.test")
    bob, bob_inbox = await make_account(backend, "bob@example.test")
    archive = await backend.mail.create_mailbox(alice.id, "Archive")
    await backend.mail.set_subscribed(alice.id, "Archive", True)
    shared = small("shared")
    own = small("own")
    await backend.mail.append(alice.id, alice_inbox.id, [new(shared), new(own)])
    await backend.mail.append(alice.id, archive.id, [new(own)])
    await backend.mail.append(bob.id, bob_inbox.id, [new(shared)])
    assert await backend.refcount(shared.sha256) == 2
    assert await backend.refcount(own.sha256) == 2

    await backend.directory.remove_account("alice@example.test")

    assert await backend.directory.get_account("alice@example.test") is None
    assert await backend.directory.get_account_by_id(alice.id) is None
    assert await backend.mail.list_mailboxes(alice.id) == []
    assert await backend.mail.get_mailbox_by_id(alice_inbox.id) is None
    assert await backend.mail.get_mailbox_by_id(archive.id) is None
    assert await backend.mail.list_subscriptions(alice.id) == []
    with pytest.raises(NotFound):
        await backend.mail.usage(alice.id)
    assert await backend.refcount(shared.sha256) == 1
    assert await backend.refcount(own.sha256) == 0
    # Bob's copy of the shared content is untouched.
    [record] = await backend.mail.fetch(bob_inbox.id, [1])
    assert record.sha256 == shared.sha256
    assert await backend.mail.read_content(shared.sha256) == shared.data
    await assert_consistent(backend, bob.id)
    with pytest.raises(NotFound):
        await backend.directory.remove_account("alice@example.test")

    # The address can be used again, for a new and empty account.
    again = await _account(backend, "alice@example.test")
    assert again.id != alice.id
    assert await backend.mail.list_mailboxes(again.id) == []
    assert (again.used_bytes, again.message_count) == (0, 0)


# --- aliases ---------------------------------------------------------------------------------


async def test_aliases(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    await backend.directory.add_domain("other.test")
    info = await backend.directory.add_alias(
        "info@example.test", ["alice@example.test", "bob@other.test"]
    )
    catch_all = await backend.directory.add_alias("@example.test", ["alice@example.test"])
    sales = await backend.directory.add_alias("sales@other.test", ["carl@other.test"])
    assert info.targets == ("alice@example.test", "bob@other.test")
    assert catch_all.address == "@example.test"
    assert await backend.directory.get_alias("info@example.test") == info
    assert await backend.directory.get_alias("@example.test") == catch_all
    assert await backend.directory.get_alias("INFO@example.test") is None
    assert await backend.directory.list_aliases() == [catch_all, info, sales]
    assert await backend.directory.list_aliases("example.test") == [catch_all, info]
    with pytest.raises(AlreadyExists):
        await backend.directory.add_alias("info@example.test", ["x@example.test"])
    with pytest.raises(NotFound):
        await backend.directory.add_alias("info@missing.test", ["x@example.test"])
    await backend.directory.remove_alias("info@example.test")
    assert await backend.directory.get_alias("info@example.test") is None
    assert await backend.directory.list_aliases() == [catch_all, sales]
    with pytest.raises(NotFound):
        await backend.directory.remove_alias("info@example.test")


# --- DKIM keys -------------------------------------------------------------------------------


async def test_dkim_keys(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    await backend.directory.add_domain("other.test")
    first = await backend.directory.add_dkim_key(
        "example.test", "s1", "ed25519-sha256", "private-1", "v=DKIM1; k=ed25519; p=AAA"
    )
    second = await backend.directory.add_dkim_key(
        "example.test", "s2", "rsa-sha256", "private-2", "v=DKIM1; k=rsa; p=BBB"
    )
    elsewhere = await backend.directory.add_dkim_key("other.test", "s1", "rsa-sha256", "p3", "r3")
    assert (first.domain, first.selector, first.algorithm) == (
        "example.test",
        "s1",
        "ed25519-sha256",
    )
    assert (first.private_key, first.dns_record, first.active) == (
        "private-1",
        "v=DKIM1; k=ed25519; p=AAA",
        True,
    )
    assert await backend.directory.list_dkim_keys("example.test") == [first, second]
    assert await backend.directory.list_dkim_keys("other.test") == [elsewhere]
    assert await backend.directory.list_dkim_keys("missing.test") == []
    with pytest.raises(AlreadyExists):
        await backend.directory.add_dkim_key("example.test", "s1", "rsa-sha256", "p", "r")
    with pytest.raises(NotFound):
        await backend.directory.add_dkim_key("missing.test", "s1", "rsa-sha256", "p", "r")
    assert len(await backend.directory.list_dkim_keys("example.test")) == 2


async def test_removing_a_domain_removes_its_dkim_keys(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    await backend.directory.add_dkim_key("example.test", "s1", "rsa-sha256", "p", "r")
    await backend.directory.remove_domain("example.test")
    await backend.directory.add_domain("example.test")
    assert await backend.directory.list_dkim_keys("example.test") == []


async def test_remove_dkim_key(backend: Backend) -> None:
    await backend.directory.add_domain("example.test")
    await backend.directory.add_domain("other.test")
    old = await backend.directory.add_dkim_key("example.test", "s1", "rsa", "p1", "r1")
    new = await backend.directory.add_dkim_key("example.test", "s2", "rsa", "p2", "r2")
    same_selector = await backend.directory.add_dkim_key("other.test", "s1", "rsa", "p3", "r3")
    await backend.directory.remove_dkim_key("example.test", "s1")
    assert await backend.directory.list_dkim_keys("example.test") == [new]
    assert await backend.directory.list_dkim_keys("other.test") == [same_selector]
    for domain, selector in (("example.test", "s1"), ("missing.test", "s2"), ("other.test", "s9")):
        with pytest.raises(NotFound):
            await backend.directory.remove_dkim_key(domain, selector)
    assert old not in await backend.directory.list_dkim_keys("example.test")
