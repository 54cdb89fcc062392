"""DirectoryRepo conformance, the paged listing the admin pages use (issue 8): accounts and
aliases a page at a time by address, filtered by the address's beginning and by domain,
counted; per-domain totals; DKIM keys added pending and activated (ports.DirectoryRepo)."""

from __future__ import annotations

import pytest

from courriel.storage.errors import NotFound
from support.backends import Backend


async def _accounts(backend: Backend, *addresses: str) -> None:
    for address in addresses:
        domain = address.rpartition("@")[2]
        if await backend.directory.get_domain(domain) is None:
            await backend.directory.add_domain(domain)
        await backend.directory.add_account(address, password_hash=None, scram_keys=None)


async def test_accounts_page_by_address_with_prefix_and_domain(backend: Backend) -> None:
    addresses = [f"user{n:02d}@a.test" for n in range(25)] + ["user05@b.test", "zed@a.test"]
    await _accounts(backend, *reversed(addresses))
    everyone = sorted(addresses)
    directory = backend.directory
    pages = [
        [a.address for a in await directory.list_accounts_page(offset=offset, limit=10)]
        for offset in (0, 10, 20, 30)
    ]
    assert pages == [everyone[0:10], everyone[10:20], everyone[20:27], []]
    assert await directory.count_accounts() == 27
    user0 = await directory.list_accounts_page(prefix="user0", limit=100)
    assert [a.address for a in user0] == [a for a in everyone if a.startswith("user0")]
    assert await directory.count_accounts(prefix="user0") == 11
    of_b = await directory.list_accounts_page(domain="b.test", limit=100)
    assert [a.address for a in of_b] == ["user05@b.test"]
    assert await directory.count_accounts(prefix="user", domain="a.test") == 25
    assert await directory.count_accounts(domain="missing.test") == 0
    # The prefix is literal: no wildcard characters.
    assert await directory.count_accounts(prefix="user_") == 0
    assert await directory.count_accounts(prefix="%") == 0
    assert await directory.list_accounts_page(prefix="zed@a.test", limit=5) == [
        await directory.get_account("zed@a.test")
    ]


async def test_aliases_page_and_domain_usage(backend: Backend) -> None:
    directory = backend.directory
    await _accounts(backend, "alice@a.test", "bob@a.test", "carol@b.test")
    await directory.add_domain("empty.test")
    for name in ("sales", "info", "team"):
        await directory.add_alias(f"{name}@a.test", ["alice@a.test"])
    await directory.add_alias("@b.test", ["carol@b.test"])
    first = await directory.list_aliases_page(limit=2)
    rest = await directory.list_aliases_page(offset=2, limit=2)
    assert [a.address for a in first + rest] == [
        "@b.test",
        "info@a.test",
        "sales@a.test",
        "team@a.test",
    ]
    assert await directory.count_aliases() == 4
    assert await directory.count_aliases(domain="a.test") == 3
    assert [a.address for a in await directory.list_aliases_page(prefix="s", limit=9)] == [
        "sales@a.test"
    ]
    usage = await directory.domain_usage()
    assert sorted(usage) == ["a.test", "b.test", "empty.test"]
    assert (usage["a.test"].accounts, usage["a.test"].aliases) == (2, 3)
    assert (usage["b.test"].accounts, usage["b.test"].aliases) == (1, 1)
    empty = usage["empty.test"]
    assert (empty.accounts, empty.aliases, empty.used_bytes, empty.message_count) == (0, 0, 0, 0)


async def test_dkim_keys_added_pending_and_activated(backend: Backend) -> None:
    directory = backend.directory
    await directory.add_domain("a.test")
    await directory.add_domain("b.test")
    old = await directory.add_dkim_key("a.test", "old-rsa", "rsa", "PEM", "v=DKIM1")
    new = await directory.add_dkim_key("a.test", "new-rsa", "rsa", "PEM2", "v=DKIM1", active=False)
    other = await directory.add_dkim_key("b.test", "old-rsa", "rsa", "PEM3", "v=DKIM1")
    assert old.active and not new.active
    assert [k.active for k in await directory.list_dkim_keys("a.test")] == [True, False]
    await directory.activate_dkim_keys("a.test", ["new-rsa"])
    assert [(k.selector, k.active) for k in await directory.list_dkim_keys("a.test")] == [
        ("old-rsa", False),
        ("new-rsa", True),
    ]
    assert (await directory.list_dkim_keys("b.test")) == [other]  # other domains untouched
    with pytest.raises(NotFound):
        await directory.activate_dkim_keys("a.test", ["old-rsa", "nope"])
    # Nothing changed on a refusal.
    assert [k.active for k in await directory.list_dkim_keys("a.test")] == [False, True]
    with pytest.raises(NotFound):
        await directory.activate_dkim_keys("missing.test", ["old-rsa"])
