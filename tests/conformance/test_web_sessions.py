"""WebSessionRepo conformance (ports.WebSessionRepo): sessions by token digest, expiry,
use, wrong-code counting, ending one or all but one, listing, purging, and an account's
sessions leaving with the account."""

from __future__ import annotations

import dataclasses

import pytest

from courriel.storage.errors import AlreadyExists, NotFound
from courriel.storage.records import WebSessionRecord
from support.backends import Backend, make_account

NOW = 1_700_000_000.0


def session(digest: str, account_id: int, *, last_seen: float = NOW) -> WebSessionRecord:
    return WebSessionRecord(
        digest=digest,
        account_id=account_id,
        stage="active",
        csrf="c" * 32,
        created=NOW,
        last_seen=last_seen,
        expires=NOW + 3600,
        attempts=0,
        ip="192.0.2.1",
        user_agent="Test/1.0",
    )


async def test_a_session_is_found_by_digest_until_it_expires(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    sessions = backend.web_sessions
    stored = session("a" * 64, account.id)
    await sessions.create_web_session(stored)
    assert await sessions.get_web_session("a" * 64, NOW) == stored
    assert await sessions.get_web_session("b" * 64, NOW) is None
    assert await sessions.get_web_session("a" * 64, NOW + 3600) is None  # expires <= now
    with pytest.raises(AlreadyExists):
        await sessions.create_web_session(stored)
    with pytest.raises(NotFound):
        await sessions.create_web_session(session("b" * 64, 999_999))


async def test_use_pushes_the_deadline_back(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    sessions = backend.web_sessions
    await sessions.create_web_session(session("a" * 64, account.id))
    await sessions.touch_web_session("a" * 64, NOW + 3000, NOW + 6600)
    await sessions.touch_web_session("f" * 64, NOW, NOW)  # unknown: ignored
    found = await sessions.get_web_session("a" * 64, NOW + 5000)
    assert found is not None
    assert (found.last_seen, found.expires) == (NOW + 3000, NOW + 6600)


async def test_wrong_codes_are_counted(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    sessions = backend.web_sessions
    await sessions.create_web_session(
        dataclasses.replace(session("a" * 64, account.id), stage="second-factor")
    )
    assert [await sessions.count_web_session_attempt("a" * 64) for _ in range(3)] == [1, 2, 3]
    assert await sessions.count_web_session_attempt("b" * 64) == 0
    found = await sessions.get_web_session("a" * 64, NOW)
    assert found is not None and found.attempts == 3


async def test_ending_one_or_all_others(backend: Backend) -> None:
    alice, _ = await make_account(backend, "alice@example.test")
    bob, _ = await make_account(backend, "bob@example.test")
    sessions = backend.web_sessions
    for index, digest in enumerate(("a" * 64, "b" * 64, "c" * 64)):
        await sessions.create_web_session(session(digest, alice.id, last_seen=NOW + index))
    await sessions.create_web_session(session("d" * 64, bob.id))
    listed = await sessions.list_web_sessions(alice.id, NOW)
    assert [found.digest for found in listed] == ["c" * 64, "b" * 64, "a" * 64]
    assert await sessions.delete_web_session("a" * 64)
    assert not await sessions.delete_web_session("a" * 64)
    assert await sessions.delete_web_sessions(alice.id, keep="b" * 64) == 1
    assert [found.digest for found in await sessions.list_web_sessions(alice.id, NOW)] == ["b" * 64]
    assert await sessions.delete_web_sessions(alice.id) == 1
    assert await sessions.list_web_sessions(alice.id, NOW) == []
    assert await sessions.get_web_session("d" * 64, NOW) is not None  # bob's stays


async def test_purge_removes_only_expired_sessions(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    sessions = backend.web_sessions
    await sessions.create_web_session(session("a" * 64, account.id))
    await sessions.create_web_session(
        dataclasses.replace(session("b" * 64, account.id), expires=NOW + 10)
    )
    assert await sessions.purge_web_sessions(NOW + 10) == 1
    assert await sessions.purge_web_sessions(NOW + 10) == 0
    assert [found.digest for found in await sessions.list_web_sessions(account.id, NOW)] == [
        "a" * 64
    ]


async def test_an_accounts_sessions_go_with_it(backend: Backend) -> None:
    account, _ = await make_account(backend, "alice@example.test")
    await backend.web_sessions.create_web_session(session("a" * 64, account.id))
    await backend.directory.remove_account("alice@example.test")
    assert await backend.web_sessions.get_web_session("a" * 64, NOW) is None
