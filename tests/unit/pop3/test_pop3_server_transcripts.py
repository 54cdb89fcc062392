"""Every transcript in tests/transcripts/pop3, against a real POP3 listener on loopback.

The files use ``support.transcript``'s format (``listener: pop3``, STLS through
``C: <starttls>``) with two POP3 setup lines::

    setup: account alice@example.test password=correct horse battery
    setup: message alice@example.test Subject: hi\\r\\n\\r\\nHello\\r\\n   (appended to INBOX)
    setup: disable alice@example.test

Setup lines are ``support.scenario``'s; only ``*`` is a wildcard (``[AUTH]`` is literal).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from courriel.config import EnabledListener
from courriel.net import Listener, TlsContextProvider, make_client_context, make_self_signed
from courriel.pop3.server import pop3_server
from support.scenario import configure, run_setup
from support.services import temporary_services
from support.transcript import load, play

TRANSCRIPTS = sorted((Path(__file__).parents[2] / "transcripts" / "pop3").glob("*.txt"))


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
async def test_transcript(path: Path, tmp_path: Path) -> None:
    # POP3 response codes are in brackets: only * is a wildcard.
    transcript = dataclasses.replace(load(path), star_only=True)
    assert transcript.listener == "pop3", "POP3 transcripts run on the STLS listener"
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
        enabled = EnabledListener("pop3", "pop3", "starttls", ("127.0.0.1",), 0)
        server = pop3_server(services, tls, enabled)
        listener = Listener(
            "pop3", ["127.0.0.1"], 0, server.handler, tls=tls, on_refused=server.on_refused
        )
        await listener.start()
        try:
            await play(transcript, "127.0.0.1", listener.port, make_client_context(verify=False))
        finally:
            await listener.stop(1.0)
