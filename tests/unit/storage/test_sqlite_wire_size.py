"""The wire size in the embedded store (schema 4): a nullable column of ``blob``, NULL for
content stored before it; such content learns its size when it is stored again."""

from __future__ import annotations

from pathlib import Path

import pytest

from courriel.storage.sqlite import open_embedded_store
from support.backends import EmbeddedBackend, make_account
from support.builders import new, small

from .schema import blob_columns_across


async def test_migration_4_adds_a_nullable_wire_size_to_existing_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, after = await blob_columns_across(tmp_path / "mail.db", 4, monkeypatch)
    assert "wire_size" not in before
    assert after["wire_size"] == ("INTEGER", False)


async def test_content_without_a_wire_size_gets_it_when_stored_again(tmp_path: Path) -> None:
    store = open_embedded_store(tmp_path / "store")
    try:
        backend = EmbeddedBackend(store)
        account, inbox = await make_account(backend, "alice@example.test")
        content = small("old", size=200)  # no final line break: wire size 202
        await store.mail.append(account.id, inbox.id, [new(content)])
        # What schema 4 leaves for content stored before it.
        await store.engine.write(lambda c: c.execute("UPDATE blob SET wire_size = NULL"))
        [listed] = (await store.mail.list_contents(inbox.id))[1]
        assert listed.wire_size is None

        await store.mail.append(account.id, inbox.id, [new(content)])  # the same bytes again

        _, contents = await store.mail.list_contents(inbox.id)
        assert [c.wire_size for c in contents] == [202, 202]  # one row, shared
    finally:
        store.close()
