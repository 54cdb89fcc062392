"""MailRepo.fetch_rendered conformance: per-copy state with the forms stored with the
content at ingest (opaque bytes), in UID order, for dense and sparse UID sets."""

from __future__ import annotations

import dataclasses

from courriel.storage.records import Flag, RenderedMessage
from support.backends import Backend, make_account
from support.builders import new, small


async def test_fetch_rendered_gives_state_and_forms(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    with_forms = dataclasses.replace(small("one"), forms=b"\x01opaque forms")
    without = dataclasses.replace(small("two"), forms=b"")
    appended = await backend.mail.append(
        account.id,
        inbox.id,
        [
            new(
                with_forms, flags=int(Flag.SEEN), keywords=("Todo",), internal_date=1_700_000_000.0
            ),
            new(without, internal_date=1_700_000_001.0),
        ],
    )
    first, second = await backend.mail.fetch_rendered(inbox.id, [2, 1, 99], locations=True)
    [record] = await backend.mail.fetch(inbox.id, [1])
    assert first == RenderedMessage(
        uid=1,
        email_id=record.email_id,
        thread_id=record.thread_id,
        flags=int(Flag.SEEN),
        keywords=("Todo",),
        modseq=appended.modseq,
        size=with_forms.size,
        internal_date=1_700_000_000.0,
        save_date=record.save_date,
        forms=b"\x01opaque forms",
        sha256=with_forms.sha256,
        inline=True,
    )
    assert (second.uid, second.forms, second.size) == (2, None, without.size)
    # Without locations, the same rows without where the bytes are.
    bare = await backend.mail.fetch_rendered(inbox.id, [1])
    assert bare == [dataclasses.replace(first, sha256=None, inline=True)]
    assert await backend.mail.fetch_rendered(inbox.id, []) == []


async def test_fetch_rendered_dense_and_sparse_sets(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    await backend.mail.append(account.id, inbox.id, [new(small(str(index))) for index in range(40)])
    dense = await backend.mail.fetch_rendered(inbox.id, list(range(5, 31)))
    assert [row.uid for row in dense] == list(range(5, 31))
    sparse = await backend.mail.fetch_rendered(inbox.id, [40, 1, 20])
    assert [row.uid for row in sparse] == [1, 20, 40]
    holes = await backend.mail.fetch_rendered(inbox.id, [2, 4, 6, 8])
    assert [row.uid for row in holes] == [2, 4, 6, 8]


async def test_the_same_content_again_brings_its_forms(backend: Backend) -> None:
    """Content stored without forms (before they existed) gets them when it arrives again."""
    account, inbox = await make_account(backend, "alice@example.test")
    content = small("same")
    await backend.mail.append(account.id, inbox.id, [new(dataclasses.replace(content, forms=b""))])
    await backend.mail.append(
        account.id, inbox.id, [new(dataclasses.replace(content, forms=b"F2"))]
    )
    rows = await backend.mail.fetch_rendered(inbox.id, [1, 2])
    assert [row.forms for row in rows] == [b"F2", b"F2"]
