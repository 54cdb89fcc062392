"""A real SMTP listener (the MX role, STARTTLS offered) on a loopback ephemeral port, over
given ``Services``: for tests that send mail with ``smtplib`` and read the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from courriel.config import EnabledListener
from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.runtime.services import Services
from courriel.smtp.server.server import smtp_server


@asynccontextmanager
async def mx_listener(services: Services, folder: Path) -> AsyncIterator[int]:
    """The port of a listening SMTP server; its self-signed certificate goes in ``folder``."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    make_self_signed("mail.example.test", certificate, key)
    tls = TlsContextProvider(certificate, key)
    enabled = EnabledListener("smtp", "smtp", "starttls", ("127.0.0.1",), 0)
    listener = Listener("smtp", ["127.0.0.1"], 0, smtp_server(services, tls, enabled).handler)
    await listener.start()
    try:
        yield listener.port
    finally:
        await listener.stop(1.0)
