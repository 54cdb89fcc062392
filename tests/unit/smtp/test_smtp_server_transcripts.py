"""Every transcript in tests/transcripts/smtp, against a real SMTP listener on loopback."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from courriel.config import Config, EnabledListener
from courriel.net import Listener, TlsContextProvider, make_client_context, make_self_signed
from courriel.runtime.services import Services
from courriel.smtp.server.server import smtp_server
from courriel.storage.records import DeliveryTarget
from support.services import temporary_services
from support.transcript import load, play

TRANSCRIPTS = sorted((Path(__file__).parents[2] / "transcripts" / "smtp").glob("*.txt"))
LISTENERS = {
    "smtp": ("smtp", "starttls"),
    "submission": ("submission", "starttls"),
    "submissions": ("submission", "implicit"),
}


def _typed(value: str) -> object:
    if value in ("true", "false"):
        return value == "true"
    return int(value) if value.isdigit() else value


def configure(overrides: dict[str, str]):  # type: ignore[no-untyped-def]
    def apply(config: Config) -> Config:
        config = dataclasses.replace(
            config, server=dataclasses.replace(config.server, hostname="mail.example.test")
        )
        for key, value in overrides.items():
            section, name = key.split(".")
            settings = dataclasses.replace(getattr(config, section), **{name: _typed(value)})
            config = dataclasses.replace(config, **{section: settings})
        return config

    return apply


async def run_setup(services: Services, lines: list[str]) -> None:
    await services.directory.add_domain("example.test", dkim=False)
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "account":
            address, _, password = rest.partition(" password=")
            await services.directory.add_account(address, password or None)
        elif kind == "alias":
            source, *targets = rest.split()
            await services.directory.add_alias(source, targets)
        elif kind == "quota":
            address, size = rest.split()
            await services.directory.set_quota(address, int(size))
        elif kind == "disable":
            await services.directory.set_disabled(rest.strip(), True)
        elif kind == "message":
            account = await services.directory.get_account(rest.strip())
            await services.mailstore.deliver(
                b"Subject: already here\r\n\r\nfilling the mailbox\r\n",
                [DeliveryTarget(account.id)],
            )
            services.directory.forget_resolutions()
        elif kind == "domain":
            await services.directory.add_domain(rest.strip(), dkim=False)
        else:
            raise ValueError(f"unknown setup {line!r}")


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
