"""Every transcript in tests/transcripts/smtp, against a real SMTP listener on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from courriel.config import EnabledListener
from courriel.net import Listener, TlsContextProvider, make_client_context, make_self_signed
from courriel.smtp.server.server import smtp_server
from support.scenario import configure, run_setup
from support.services import temporary_services
from support.transcript import load, play

TRANSCRIPTS = sorted((Path(__file__).parents[2] / "transcripts" / "smtp").glob("*.txt"))
LISTENERS = {
    "smtp": ("smtp", "starttls"),
    "submission": ("submission", "starttls"),
    "submissions": ("submission", "implicit"),
}


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
async def test_transcript(path: Path, tmp_path: Path) -> None:
    transcript = load(path)
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    tls = TlsContextProvider(certificate, key)
    async with temporary_services(
        tmp_path / "data", configure=configure(transcript.config)
    ) as services:

        async def no_delay(seconds: float) -> None:
            del seconds

        services.auth.sleep = no_delay
        await run_setup(services, transcript.setup)
        protocol, mode = LISTENERS[transcript.listener]
        enabled = EnabledListener(transcript.listener, protocol, mode, ("127.0.0.1",), 0)  # type: ignore[arg-type]
        server = smtp_server(services, tls, enabled)
        listener = Listener(
            transcript.listener,
            ["127.0.0.1"],
            0,
            server.handler,
            tls=tls,
            implicit_tls=mode == "implicit",
            on_refused=server.on_refused,
        )
        await listener.start()
        try:
            await play(transcript, "127.0.0.1", listener.port, make_client_context(verify=False))
        finally:
            await listener.stop(1.0)
