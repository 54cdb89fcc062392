"""MailRepo.search conformance for ``HasAttachment``: the ingest summary's stored flag,
alone, negated and combined with another key."""

from __future__ import annotations

from dataclasses import replace

from courriel.storage.query import AllOf, HasAttachment, HeaderContains, Not
from support.backends import Backend, make_account
from support.builders import new, small


async def test_has_attachment_uses_the_stored_summary(backend: Backend) -> None:
    account, inbox = await make_account(backend, "alice@example.test")
    plain, with_file, other_file = small("plain"), small("report"), small("photo")
    attached = [
        replace(content, summary=replace(content.summary, has_attachment=True))
        for content in (with_file, other_file)
    ]
    result = await backend.mail.append(
        account.id, inbox.id, [new(plain), new(attached[0]), new(attached[1])]
    )
    first, second, third = result.uids
    search = backend.mail.search
    assert await search(inbox.id, HasAttachment()) == [second, third]
    assert await search(inbox.id, HasAttachment(present=False)) == [first]
    assert await search(inbox.id, Not(HasAttachment())) == [first]
    photo = AllOf((HasAttachment(), HeaderContains("subject", "photo")))
    assert await search(inbox.id, photo) == [third]
