"""Errors a command handler raises, and the one table that turns storage errors into IMAP
responses (CONVENTIONS.md item 5).

Hierarchy::

    ImapError                 a command ends with this response instead of its OK
    ├── No(text, code)        tagged NO: the request was understood and refused (RFC 9051 §7.1.2)
    ├── Bad(text, code)       tagged BAD: the request is invalid here (RFC 9051 §7.1.3)
    └── Bye(text, code)       untagged BYE, then the server closes the connection (§7.1.5)

Storage errors (``courriel.storage.errors``) are not caught by handlers: the session converts
them here, once, with :func:`storage_error_response`. Unexpected exceptions are the session's
business (logged once, ``BAD [SERVERBUG]`` to the client).

Must not: carry Python exception text or configuration detail to the client, except the
messages of the storage errors listed in ``STORAGE_ERRORS`` as ``explain=True``, which are
written for users ("a mailbox name cannot contain '*'").
"""

from __future__ import annotations

from dataclasses import dataclass

from courriel.imap.protocol.codes import (
    ALREADYEXISTS,
    CANNOT,
    NONEXISTENT,
    OVERQUOTA,
    UNAVAILABLE,
    ResponseCode,
)
from courriel.imap.protocol.responses import Tagged, Untagged, bad, bye, no
from courriel.storage.errors import (
    AlreadyExists,
    Conflict,
    ContentMissing,
    InvalidName,
    NotFound,
    QuotaExceeded,
    StorageError,
    Unavailable,
)


class ImapError(Exception):
    """A command's final answer, raised from wherever the handler noticed it."""

    def __init__(self, text: str, code: ResponseCode | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.code = code

    def response(self, tag: str) -> Tagged | Untagged:
        raise NotImplementedError


class No(ImapError):
    def response(self, tag: str) -> Tagged:
        return no(tag, self.text, self.code)


class Bad(ImapError):
    def response(self, tag: str) -> Tagged:
        return bad(tag, self.text, self.code)


class Bye(ImapError):
    """The session ends: ``* BYE`` is sent instead of a tagged response."""

    def response(self, tag: str) -> Untagged:
        del tag
        return bye(self.text, self.code)


@dataclass(frozen=True, slots=True)
class StorageReply:
    code: ResponseCode | None
    text: str
    explain: bool = False
    """Show the error's own message (written for users) instead of ``text``."""


#: Storage error → tagged NO (RFC 5530 §3 response codes).
STORAGE_ERRORS: dict[type[StorageError], StorageReply] = {
    NotFound: StorageReply(NONEXISTENT, "No such mailbox", explain=True),
    AlreadyExists: StorageReply(ALREADYEXISTS, "Mailbox already exists", explain=True),
    QuotaExceeded: StorageReply(OVERQUOTA, "Quota exceeded", explain=True),  # RFC 9208 §4.3
    InvalidName: StorageReply(CANNOT, "Invalid mailbox name", explain=True),
    Conflict: StorageReply(CANNOT, "Cannot do that now", explain=True),
    ContentMissing: StorageReply(UNAVAILABLE, "Temporary storage failure, try again"),
    Unavailable: StorageReply(UNAVAILABLE, "Storage unavailable, try again later"),
}


def storage_error_response(tag: str, error: StorageError) -> Tagged:
    """The tagged NO that reports ``error`` (``NotFound`` → ``NO [NONEXISTENT]``, ...)."""
    for kind in type(error).__mro__:
        reply = STORAGE_ERRORS.get(kind)
        if reply is not None:
            text = str(error) if reply.explain and str(error) else reply.text
            return no(tag, _sentence(text), reply.code)
    return no(tag, "Storage error", UNAVAILABLE)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
