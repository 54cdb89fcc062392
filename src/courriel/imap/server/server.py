"""Build the IMAP session handler of a listener for the runtime.

``imap`` listeners serve IMAP on 143 with STARTTLS and on 993 with implicit TLS (RFC 8314
§3.2), in dev mode 2143 and 2993.
"""

from __future__ import annotations

from courriel.config import EnabledListener
from courriel.imap.protocol.responses import bye, serialize
from courriel.imap.server.session import ImapSession, SessionSettings
from courriel.net import CommandRate, Connection, TlsContextProvider
from courriel.runtime.server import ProtocolServer
from courriel.runtime.services import Services


def imap_server(
    services: Services, tls: TlsContextProvider, listener: EnabledListener
) -> ProtocolServer:
    config = services.config
    settings = SessionSettings(
        hostname=config.server.hostname,
        mailstore=services.mailstore,
        auth=services.auth,
        bus=services.bus,
        tls=tls,
        separator=config.mailbox.hierarchy_separator,
        max_message_size=config.limits.max_message_size,
        max_line_length=config.limits.max_line_length,
        command_timeout=config.limits.command_timeout,
        idle_timeout=config.limits.idle_timeout,
        command_rate=CommandRate.from_limits(
            config.limits.commands_per_second, config.limits.command_burst, services.clock
        ),
        account_connections=services.account_connections,
    )
    implicit = listener.tls == "implicit"

    async def handle(connection: Connection) -> None:
        await ImapSession(connection, settings, implicit_tls=implicit).run()

    async def refuse(connection: Connection) -> None:
        # RFC 9051 §7.1.5: BYE instead of the greeting.
        connection.write(serialize(bye("Too many connections from your address")))

    return ProtocolServer(handle, refuse)
