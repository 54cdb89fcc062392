"""The sent day in the embedded store (schema 7): a nullable column of ``blob``, NULL for
content stored before it, whose SENT* searches then use the UTC day of ``sent_date``; such
content learns its day when it is stored again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from courriel.storage.query import DateRange
from courriel.storage.sqlite import open_embedded_store
from support.backends import EmbeddedBackend, make_account
from support.builders import ingested, new, raw_message

from .schema import blob_columns_across

JAN_1 = 1_704_067_200.0  # 2024-01-01T00:00:00Z
DAY = 86_400.0
ON_JAN_1 = DateRange("sent", since=JAN_1, before=JAN_1 + DAY)
ON_JAN_2 = DateRange("sent", since=JAN_1 + DAY, before=JAN_1 + 2 * DAY)


async def test_migration_7_adds_a_nullable_sent_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, after = await blob_columns_across(tmp_path / "mail.db", 7, monkeypatch)
    assert "sent_day" not in before
    assert after["sent_day"] == ("INTEGER", False)


async def test_content_without_a_sent_day_uses_its_utc_day_until_stored_again(
    tmp_path: Path,
) -> None:
    store = open_embedded_store(tmp_path / "store")
    try:
        backend = EmbeddedBackend(store)
        account, inbox = await make_account(backend, "alice@example.test")
        # "Mon, 1 Jan 2024 23:30:00 -0500": 1 January as written, 2 January in UTC.
        late = ingested(raw_message(subject="late"), sent_date=JAN_1 + DAY + 4.5 * 3600)
        late = replace(late, summary=replace(late.summary, sent_day=int(JAN_1 // DAY)))
        await store.mail.append(account.id, inbox.id, [new(late)])
        assert await store.mail.search(inbox.id, ON_JAN_1) == [1]
        # What schema 7 leaves for content stored before it.
        await store.engine.write(lambda c: c.execute("UPDATE blob SET sent_day = NULL"))
        assert await store.mail.search(inbox.id, ON_JAN_1) == []
        assert await store.mail.search(inbox.id, ON_JAN_2) == [1]

        await store.mail.append(account.id, inbox.id, [new(late)])  # the same bytes again

        assert await store.mail.search(inbox.id, ON_JAN_1) == [1, 2]  # one row, shared
        assert await store.mail.search(inbox.id, ON_JAN_2) == []
    finally:
        store.close()
