"""The IMAP session's state as values (RFC 9051 §3, the state diagram of §3.5).

``NotAuthenticated`` → ``Authenticated(principal)`` (LOGIN, AUTHENTICATE) →
``Selected(principal, view)`` (SELECT, EXAMINE) and back (CLOSE, UNSELECT, a failed SELECT).
Logout is not a state: the session ends. Data that exists only while a mailbox is selected
lives on ``Selected``, so a SELECTED-only handler gets the view from the state it is allowed
in. Must not: hold connection-level facts (TLS, enabled extensions: the session has them).
"""

from __future__ import annotations

from dataclasses import dataclass

from courriel.directory.auth import Principal
from courriel.imap.server.view import MailboxView


@dataclass(frozen=True, slots=True)
class NotAuthenticated:
    """After the greeting, before a successful LOGIN or AUTHENTICATE (RFC 9051 §3.1)."""


@dataclass(frozen=True, slots=True)
class Authenticated:
    """Logged in, no mailbox selected (RFC 9051 §3.2)."""

    principal: Principal


@dataclass(frozen=True, slots=True)
class Selected:
    """Logged in with a mailbox selected (RFC 9051 §3.3); ``view`` is this session's picture
    of it (sequence numbers, flags, MODSEQ, pending expunges)."""

    principal: Principal
    view: MailboxView


State = NotAuthenticated | Authenticated | Selected

ANY_STATE: tuple[type, ...] = (NotAuthenticated, Authenticated, Selected)
LOGGED_IN: tuple[type, ...] = (Authenticated, Selected)
