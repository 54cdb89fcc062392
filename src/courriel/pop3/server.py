"""Build the POP3 session handler of a listener for the runtime.

``pop3`` listeners come in two kinds: port 110 (dev 2110) starts in plaintext and offers
STLS (RFC 2595 §4); port 995 (dev 2995) speaks TLS from the first byte (RFC 8314 §3.3).
Both share the maildrop locks of ``Services``, so a session on one blocks a second login on
the other with ``[IN-USE]``.
"""

from __future__ import annotations

from courriel.config import EnabledListener
from courriel.net import CommandRate, Connection, TlsContextProvider
from courriel.pop3.responses import RespCode, err
from courriel.pop3.session import Pop3Session, SessionSettings
from courriel.runtime.server import ProtocolServer
from courriel.runtime.services import Services


def pop3_server(
    services: Services, tls: TlsContextProvider, listener: EnabledListener
) -> ProtocolServer:
    implicit = listener.tls == "implicit"
    settings = SessionSettings(
        hostname=services.config.server.hostname,
        mailstore=services.mailstore,
        auth=services.auth,
        tls=tls if listener.tls == "starttls" else None,
        locks=services.maildrop_locks,
        command_timeout=services.config.limits.command_timeout,
        mark_seen=services.config.pop3.mark_seen,
        command_rate=CommandRate.from_limits(
            services.config.limits.commands_per_second,
            services.config.limits.command_burst,
            services.clock,
        ),
        account_connections=services.account_connections,
    )

    async def handle(connection: Connection) -> None:
        await Pop3Session(connection, settings, implicit_tls=implicit).run()

    async def refuse(connection: Connection) -> None:
        # RFC 2449 §8.1: temporary, the server's side; the client may come back.
        connection.write(err("too many connections from your address", RespCode.SYS_TEMP))

    return ProtocolServer(handle, refuse)
