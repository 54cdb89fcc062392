"""Directory rules: normalisation, password policy, default mailboxes, DKIM keys, aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from courriel.directory.errors import InvalidAddress, WeakPassword
from courriel.directory.resolve import Status
from courriel.storage.errors import AlreadyExists, Conflict, NotFound
from support.services import temporary_services


async def test_domain_is_stored_lower_case_idna_with_two_dkim_keys(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        domain = await services.directory.add_domain("Exämple.TEST.")
        assert domain.name == "xn--exmple-cua.test"
        keys = await services.directory.dkim_keys("exämple.test")
        assert sorted(key.algorithm for key in keys) == ["ed25519", "rsa"]
        rsa = next(key for key in keys if key.algorithm == "rsa")
        assert rsa.dns_record.startswith("v=DKIM1; k=rsa; p=MII")
        assert rsa.private_key.startswith("-----BEGIN PRIVATE KEY-----")
        with pytest.raises(AlreadyExists):
            await services.directory.add_domain("xn--exmple-cua.test")


@pytest.mark.parametrize("bad", ["", "nodot", "-bad.test", "a..b", "x" * 64 + ".test"])
async def test_bad_domain_names_are_refused(tmp_path: Path, bad: str) -> None:
    async with temporary_services(tmp_path) as services:
        with pytest.raises(InvalidAddress):
            await services.directory.add_domain(bad)


async def test_account_gets_default_mailboxes_with_special_use(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await services.directory.add_domain("example.test")
        account = await services.directory.add_account(
            "Alice@Example.Test", "correct horse battery", display_name="Alice"
        )
        assert account.address == "alice@example.test"
        mailboxes = {
            m.name: m.special_use for m in await services.mailstore.list_mailboxes(account.id)
        }
        assert mailboxes == {
            "INBOX": None,
            "Sent": "\\Sent",
            "Drafts": "\\Drafts",
            "Trash": "\\Trash",
            "Junk": "\\Junk",
            "Archive": "\\Archive",
        }
        assert set(await services.mailstore.list_subscriptions(account.id)) == set(mailboxes)
        assert account.password_hash is not None
        assert account.password_hash.startswith("$argon2id$")


async def test_password_policy_and_hash_verification(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        services.directory.min_password_length = 12
        await services.directory.add_domain("example.test")
        with pytest.raises(WeakPassword, match="12 characters"):
            await services.directory.add_account("bob@example.test", "short")
        with pytest.raises(WeakPassword, match="account name"):
            await services.directory.add_account("robert@example.test", "my-robert-password")
        account = await services.directory.add_account("bob@example.test", "a long enough secret")
        assert account.password_hash is not None
        assert services.directory.hasher.verify(account.password_hash, "a long enough secret")[0]
        assert not services.directory.hasher.verify(account.password_hash, "wrong")[0]
        changed = await services.directory.set_password("bob@example.test", "another long secret")
        assert changed.password_hash != account.password_hash


async def test_unknown_domain_and_taken_addresses(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        with pytest.raises(NotFound, match="domain"):
            await services.directory.add_account("a@nowhere.test", None)
        await services.directory.add_domain("example.test")
        await services.directory.add_account("a@example.test", None)
        with pytest.raises(AlreadyExists):
            await services.directory.add_alias("a@example.test", ["b@example.test"])
        with pytest.raises(Conflict):
            await services.directory.remove_domain("example.test")
        with pytest.raises(InvalidAddress):
            await services.directory.add_alias("x@example.test", ["x@example.test"])


async def test_quota_disable_and_remove(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await services.directory.add_domain("example.test")
        await services.directory.add_account("a@example.test", None)
        assert (await services.directory.set_quota("a@example.test", 1024)).quota_bytes == 1024
        with pytest.raises(ValueError, match="negative"):
            await services.directory.set_quota("a@example.test", -1)
        assert (await services.directory.set_disabled("a@example.test", True)).disabled
        assert (await services.directory.resolve("a@example.test")).status is Status.DISABLED
        await services.directory.remove_account("a@example.test")
        assert (await services.directory.resolve("a@example.test")).status is Status.UNKNOWN
        with pytest.raises(NotFound):
            await services.directory.remove_account("a@example.test")
