"""Around a message in the webmail: its conversation and its neighbours in the list.

``GET /mail/{mailbox}/{uid}/conversation`` and ``GET /mail/{mailbox}/{uid}/older|newer``
(the next message down or up the list, by UID: what the ``j``/``k`` keys follow).

Owns: finding the messages of one conversation in a mailbox and showing them as a tree.
Candidates come from the store's search (the ``storage.query`` keys IMAP SEARCH uses): the
messages whose Message-ID the message refers to, and those that refer to the conversation's
first message (in References or In-Reply-To, RFC 5322 §3.6.4). They are threaded by IMAP
THREAD's own REFERENCES algorithm (``imap.server.ordering``, RFC 5256 §3), from the
threading values stored at ingest; the tree holding the message is shown.

The neighbour is found by the store's search of the UIDs above or below (``UidIn``).

Must not: parse messages again, or look outside the account's own mailbox (404 otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from courriel.imap.protocol.responses import ThreadNode
from courriel.imap.server.ordering import thread_input, thread_references
from courriel.storage.query import AnyOf, HeaderContains, SearchKey, UidIn, UidRange
from courriel.storage.records import MessageRecord
from courriel.web.action_views import AccountViews, parse_id
from courriel.web.context import NotFoundHere
from courriel.web.mail_views import MailViews, _ordered
from courriel.web.messages import MessageRow, row_of

MAX_REFERENCES = 20
"""Referenced ids searched for (the last ones: the nearest ancestors)."""
MAX_MESSAGES = 200
"""Messages of one conversation shown (the newest)."""


@dataclass(frozen=True)
class ConversationLine:
    depth: int
    row: MessageRow | None
    """None for a message the mailbox does not hold (a dummy parent, RFC 5256 §4)."""


def related_key(record: MessageRecord) -> SearchKey | None:
    """Messages this one refers to, and those referring to its conversation's first one."""
    summary = record.summary
    references = summary.references or ((summary.in_reply_to,) if summary.in_reply_to else ())
    first = references[0] if references else summary.message_id
    if not first:
        return None
    keys: list[SearchKey] = [
        HeaderContains("message-id", reference) for reference in references[-MAX_REFERENCES:]
    ]
    keys += [HeaderContains("references", first), HeaderContains("in-reply-to", first)]
    if summary.message_id:
        keys += [
            HeaderContains("references", summary.message_id),
            HeaderContains("in-reply-to", summary.message_id),
        ]
    return AnyOf(tuple(keys))


def tree_lines(
    node: ThreadNode, rows: dict[int, MessageRow], depth: int = 0
) -> list[ConversationLine]:
    """The tree in reading order, each message with its depth."""
    lines = [ConversationLine(depth, rows.get(node.number) if node.number else None)]
    for child in node.children:
        lines.extend(tree_lines(child, rows, depth + 1))
    return lines


def contains(node: ThreadNode, uid: int) -> bool:
    return node.number == uid or any(contains(child, uid) for child in node.children)


class ConversationViews(AccountViews):
    async def conversation(self, request: Request) -> Response:
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        store = self.context.mailstore
        mailboxes = _ordered(await self._mailboxes(session))
        mailbox = MailViews._mailbox(mailboxes, request)
        uid = parse_id(request.path_params.get("uid"))
        found = await store.fetch(mailbox.id, [uid]) if uid else []
        if not found:
            raise NotFoundHere("message")
        record = found[0]
        key = related_key(record)
        uids = set(await store.search(mailbox.id, key)) if key is not None else set()
        uids.add(record.uid)
        records = await store.fetch(mailbox.id, sorted(uids)[-MAX_MESSAGES:])
        threads = thread_references([thread_input(r, r.uid) for r in records])
        rows = {r.uid: row_of(r) for r in records}
        tree = next((node for node in threads if contains(node, record.uid)), None)
        lines = tree_lines(tree, rows) if tree is not None else []
        return self.context.render(
            request,
            "conversation.html",
            session=session,
            mailboxes=mailboxes,
            mailbox=mailbox,
            current=record.uid,
            lines=lines,
        )

    async def neighbour(self, request: Request) -> Response:
        """303 to the next older (``older``) or newer message, or to the list when there is
        none."""
        session = await self.context.require_session(request)
        if isinstance(session, Response):
            return session
        mailbox = MailViews._mailbox(await self._mailboxes(session), request)
        uid = parse_id(request.path_params.get("uid"))
        if not uid:
            raise NotFoundHere("message")
        older = request.url.path.endswith("/older")
        span = UidRange(1, uid - 1) if older else UidRange(uid + 1, None)
        store = self.context.mailstore
        found = await store.search(mailbox.id, UidIn((span,))) if uid > 1 or not older else []
        if not found:
            return RedirectResponse(f"/mail/{mailbox.id}/", status_code=303)
        return RedirectResponse(
            f"/mail/{mailbox.id}/{max(found) if older else min(found)}", status_code=303
        )
