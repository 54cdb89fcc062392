"""The ``WebSessionRepo`` port on the embedded store: create, find (expired ones are not),
touch, wrong-code counts, ending one, ending the others, purge, and sessions leaving with
their account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from courriel.storage.errors import AlreadyExists, NotFound
from courriel.storage.records import WebSessionRecord
from courriel.storage.sqlite import EmbeddedStore, open_embedded_store

NOW = 1_800_000_000.0


def session(digest: str, account_id: int, *, expires: float = NOW + 60) -> WebSessionRecord:
    return WebSessionRecord(
        digest=digest,
        account_id=account_id,
        stage="active",
        csrf="c" * 43,
        created=NOW,
        last_seen=NOW,
        expires=expires,
        attempts=0,
        ip="192.0.2.1",
        user_agent="test",
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = open_embedded_store(tmp_path)
    yield opened
    opened.close()


async def account(store: EmbeddedStore, address: str) -> int:
    domain = address.split("@")[1]
    if await store.directory.get_domain(domain) is None:
        await store.directory.add_domain(domain)
    record = await store.directory.add_account(
        address, password_hash=None, scram_keys=None, display_name="", quota_bytes=0, admin=False
    )
    return record.id


async def test_sessions_round_trip_and_expire(store: EmbeddedStore) -> None:
    alice = await account(store, "alice@example.test")
    repo = store.web_sessions
    await repo.create_web_session(session("a" * 64, alice))
    with pytest.raises(AlreadyExists):
        await repo.create_web_session(session("a" * 64, alice))
    with pytest.raises(NotFound):
        await repo.create_web_session(session("b" * 64, alice + 99))
    assert await repo.get_web_session("a" * 64, NOW) == session("a" * 64, alice)
    assert await repo.get_web_session("a" * 64, NOW + 60) is None  # expired
    await repo.touch_web_session("a" * 64, NOW + 30, NOW + 120)
    found = await repo.get_web_session("a" * 64, NOW + 60)
    assert found is not None and found.last_seen == NOW + 30 and found.expires == NOW + 120
    assert await repo.count_web_session_attempt("a" * 64) == 1
    assert await repo.count_web_session_attempt("a" * 64) == 2
    assert await repo.count_web_session_attempt("z" * 64) == 0
    assert await repo.delete_web_session("a" * 64)
    assert not await repo.delete_web_session("a" * 64)


async def test_ending_the_other_sessions_and_purging(store: EmbeddedStore) -> None:
    alice = await account(store, "alice@example.test")
    bob = await account(store, "bob@example.test")
    repo = store.web_sessions
    for digest in ("1", "2", "3"):
        await repo.create_web_session(session(digest * 64, alice))
    await repo.create_web_session(session("4" * 64, bob))
    await repo.create_web_session(session("5" * 64, alice, expires=NOW - 1))
    listed = await repo.list_web_sessions(alice, NOW)
    assert sorted(s.digest[0] for s in listed) == ["1", "2", "3"]
    assert await repo.delete_web_sessions(alice, keep="2" * 64) == 3  # 1, 3 and the expired 5
    assert [s.digest[0] for s in await repo.list_web_sessions(alice, NOW)] == ["2"]
    assert [s.digest[0] for s in await repo.list_web_sessions(bob, NOW)] == ["4"]
    await repo.create_web_session(session("6" * 64, bob, expires=NOW - 1))
    assert await repo.purge_web_sessions(NOW) == 1
    assert await repo.delete_web_sessions(bob) == 1


async def test_sessions_leave_with_their_account(store: EmbeddedStore) -> None:
    alice = await account(store, "alice@example.test")
    await store.web_sessions.create_web_session(session("a" * 64, alice))
    await store.directory.remove_account("alice@example.test")
    assert await store.web_sessions.get_web_session("a" * 64, NOW) is None
