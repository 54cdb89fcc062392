"""Build the SMTP session handler of a listener for the runtime.

``smtp`` listeners are MX (receive for our domains from anyone, STARTTLS offered);
``submission`` listeners (587 STARTTLS, 465 implicit TLS) take mail from authenticated users
(RFC 6409, RFC 8314).
"""

from __future__ import annotations

from courriel.config import EnabledListener
from courriel.delivery.model import Role
from courriel.net import Connection, TlsContextProvider
from courriel.runtime.server import ProtocolServer
from courriel.runtime.services import Services
from courriel.smtp.protocol import replies
from courriel.smtp.server.session import SessionSettings, SmtpSession


def smtp_server(
    services: Services, tls: TlsContextProvider, listener: EnabledListener
) -> ProtocolServer:
    settings = SessionSettings(
        role=Role.SUBMISSION if listener.protocol == "submission" else Role.MX,
        hostname=services.config.server.hostname,
        pipeline=services.delivery,
        auth=services.auth,
        tls=tls,
        max_message_size=services.config.limits.max_message_size,
        max_recipients=services.config.limits.max_recipients,
        command_timeout=services.config.limits.command_timeout,
    )
    implicit = listener.tls == "implicit"

    async def handle(connection: Connection) -> None:
        await SmtpSession(connection, settings, implicit_tls=implicit).run()

    async def refuse(connection: Connection) -> None:
        connection.write(replies.TOO_MANY_CONNECTIONS.to_bytes())  # 421 4.7.0

    return ProtocolServer(handle, refuse)
