"""Commands valid in every state (RFC 9051 §6.1): CAPABILITY, NOOP, LOGOUT, and ID
(RFC 2971); COMPRESS (RFC 4978), allowed once logged in.

Must not: read the socket (LOGOUT and COMPRESS are actions the session carries out).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from courriel import __version__
from courriel.imap.protocol.codes import COMPRESSIONACTIVE
from courriel.imap.protocol.commands import Capability, Compress, Id, Logout, Noop
from courriel.imap.protocol.responses import CapabilityData, IdData, Tagged, no, ok
from courriel.imap.server import actions
from courriel.imap.server.state import State

if TYPE_CHECKING:
    from courriel.imap.server.session import ImapSession

log = logging.getLogger("courriel.imap")


async def capability(session: ImapSession, state: State, command: Capability) -> Tagged:
    del state
    await session.send(CapabilityData(session.capabilities()))  # RFC 9051 §7.2.2
    return ok(command.tag, "CAPABILITY completed")


async def noop(session: ImapSession, state: State, command: Noop) -> Tagged:
    """RFC 9051 §6.1.2: nothing, but the session reports mailbox updates before the OK."""
    del session, state
    return ok(command.tag, "NOOP completed")


async def logout(session: ImapSession, state: State, command: Logout) -> actions.Logout:
    del session, state
    return actions.Logout(command.tag)


async def id_(session: ImapSession, state: State, command: Id) -> Tagged:
    """RFC 2971 §3.2: say who we are; the client's fields only go to the log."""
    del state
    if command.parameters:
        fields = " ".join(f"{name}={value!r}" for name, value in command.parameters[:8])
        log.info("[%s] client ID %s", session.connection.info.id, fields[:300])
    await session.send(IdData((("name", "courriel"), ("version", __version__))))
    return ok(command.tag, "ID completed")


async def compress(
    session: ImapSession, state: State, command: Compress
) -> Tagged | actions.Compress:
    del state
    if session.compression_active:
        return no(command.tag, "Compression is already active", COMPRESSIONACTIVE)
    if command.mechanism != "DEFLATE":  # RFC 4978 §3: the one algorithm defined
        return no(command.tag, f"Unknown compression mechanism {command.mechanism}")
    return actions.Compress(command.tag)
