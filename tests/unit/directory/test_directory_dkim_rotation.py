"""DKIM rotation in the directory (issue 8): a rotation adds a pending pair while the active
one keeps signing, activation swaps them in one step, removal refuses the last active key
of an algorithm; the states read back from the store's order and ``active`` flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from courriel.directory.dkim_rotation import KeyState, find_pair, key_pairs, selector_base
from courriel.directory.errors import DirectoryError
from courriel.mailauth.dkimsign import signing_keys
from courriel.storage.errors import NotFound
from courriel.storage.records import DkimKeyRecord
from support.services import temporary_services


def record(key_id: int, selector: str, *, active: bool, algorithm: str = "rsa") -> DkimKeyRecord:
    return DkimKeyRecord(key_id, "a.test", selector, algorithm, "", "", active, float(key_id))


def test_states_follow_the_active_flags_and_the_order_keys_were_added() -> None:
    records = [
        record(1, "c202601-rsa", active=False),
        record(2, "c202601-ed25519", active=False, algorithm="ed25519"),
        record(3, "c202602-rsa", active=True),
        record(4, "c202602-ed25519", active=True, algorithm="ed25519"),
        record(5, "c202603-rsa", active=False),
        record(6, "c202603-ed25519", active=False, algorithm="ed25519"),
        record(7, "imported", active=False),
    ]
    pairs = key_pairs(records)
    assert [(pair.base, pair.state) for pair in pairs] == [
        ("c202601", KeyState.RETIRED),
        ("c202602", KeyState.ACTIVE),
        ("c202603", KeyState.PENDING),
        ("imported", KeyState.PENDING),
    ]
    assert pairs[1].selectors == ("c202602-rsa", "c202602-ed25519")
    assert find_pair(pairs, "C202603-ED25519") is pairs[2]
    assert find_pair(pairs, "c202601") is pairs[0]
    assert find_pair(pairs, "c2026") is None
    # With no active key at all, nothing is retired: every pair waits.
    assert {pair.state for pair in key_pairs([records[0], records[4]])} == {KeyState.PENDING}
    assert selector_base("c202611-2-ed25519") == "c202611-2"


async def test_rotate_activate_and_remove(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        directory = services.directory
        await directory.add_domain("Example.Test")
        [first] = await directory.dkim_key_pairs("example.test")
        assert first.state is KeyState.ACTIVE

        second = await directory.rotate_dkim_keys("EXAMPLE.test")
        assert second.state is KeyState.PENDING and second.base != first.base
        signing = signing_keys(await directory.dkim_keys("example.test"))
        assert [key.selector for key in signing] == list(first.selectors)

        third = await directory.rotate_dkim_keys("example.test")  # same month: fresh names
        assert len({first.base, second.base, third.base}) == 3

        await directory.activate_dkim_keys("example.test", second.selectors[1])
        states = {pair.base: pair.state for pair in await directory.dkim_key_pairs("example.test")}
        assert states == {
            first.base: KeyState.RETIRED,
            second.base: KeyState.ACTIVE,
            third.base: KeyState.PENDING,
        }
        signing = signing_keys(await directory.dkim_keys("example.test"))
        assert [key.selector for key in signing] == list(second.selectors)

        with pytest.raises(DirectoryError, match="last active rsa key"):
            await directory.remove_dkim_keys("example.test", second.selectors[0])
        with pytest.raises(DirectoryError, match="last active"):
            await directory.remove_dkim_keys("example.test", second.base)
        with pytest.raises(NotFound):
            await directory.remove_dkim_keys("example.test", "nope")
        with pytest.raises(NotFound):
            await directory.activate_dkim_keys("example.test", "nope")
        removed = await directory.remove_dkim_keys("example.test", first.base)
        assert [key.selector for key in removed] == list(first.selectors)
        await directory.remove_dkim_keys("example.test", third.base)  # never published
        assert [pair.base for pair in await directory.dkim_key_pairs("example.test")] == [
            second.base
        ]
        events = [event["event"] for event in services.security_log.read()]
        assert "dkim-activated" in events


async def test_a_domain_without_keys_signs_with_its_first_pair_at_once(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await services.directory.add_domain("bare.test", dkim=False)
        pair = await services.directory.rotate_dkim_keys("bare.test")
        assert pair.state is KeyState.ACTIVE
        assert len(signing_keys(await services.directory.dkim_keys("bare.test"))) == 2
