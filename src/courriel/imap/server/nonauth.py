"""Commands of the not-authenticated state (RFC 9051 §6.2): STARTTLS, AUTHENTICATE and LOGIN,
all through the one ``AuthService`` (2FA accounts need app passwords; bans apply).

LOGIN and AUTHENTICATE are refused with ``NO [PRIVACYREQUIRED]`` while passwords may not be
sent (plaintext without TLS, unless ``auth.plaintext_on_loopback`` allows loopback), which
CAPABILITY announces as ``LOGINDISABLED`` (RFC 9051 §6.2.3, §11.1).

Must not: run the SASL exchange or start TLS itself (the session's actions do).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from courriel.imap.protocol.codes import PRIVACYREQUIRED
from courriel.imap.protocol.commands import Authenticate, Login, StartTls
from courriel.imap.protocol.responses import Tagged, bad, no
from courriel.imap.server import actions
from courriel.imap.server.state import NotAuthenticated

if TYPE_CHECKING:
    from courriel.imap.server.session import ImapSession


async def starttls(
    session: ImapSession, state: NotAuthenticated, command: StartTls
) -> Tagged | actions.StartTls:
    del state
    if session.tls_active:
        return bad(command.tag, "TLS is already active")  # RFC 9051 §6.2.1
    if session.settings.tls is None:
        return no(command.tag, "TLS is not available here")
    return actions.StartTls(command.tag)


async def authenticate(
    session: ImapSession, state: NotAuthenticated, command: Authenticate
) -> Tagged | actions.Authenticate:
    del state
    if not session.plaintext_allowed():
        return no(command.tag, "Use STARTTLS first", PRIVACYREQUIRED)
    return actions.Authenticate(command.tag, command.mechanism, command.initial_response)


async def login(session: ImapSession, state: NotAuthenticated, command: Login) -> Tagged:
    del state
    if not session.plaintext_allowed():  # RFC 9051 §6.2.3: LOGINDISABLED
        return no(command.tag, "Use STARTTLS first", PRIVACYREQUIRED)
    result = await session.settings.auth.login(
        "imap", session.peer_ip, command.username, command.password
    )
    return session.logged_in(command.tag, result)
