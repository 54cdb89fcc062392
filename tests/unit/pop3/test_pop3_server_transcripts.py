"""Every transcript in tests/transcripts/pop3, against a real POP3 listener on loopback.

The files use ``support.transcript``'s format (``listener: pop3``, STLS through
``C: <starttls>``) with two POP3 setup lines::

    setup: account alice@example.test password=correct horse battery
    setup: message alice@example.test Subject: hi\\r\\n\\r\\nHello\\r\\n   (appended to INBOX)
    setup: disable alice@example.test

In ``S:`` lines only ``*`` is a wildcard: POP3 response codes are in brackets, which
``fnmatch`` would read as character sets.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from courriel.config import Config, EnabledListener
from courriel.net import Listener, TlsContextProvider, make_client_context, make_self_signed
from courriel.pop3.server import pop3_server
from courriel.runtime.services import Services
from support.services import temporary_services
from support.transcript import Transcript, load, play

TRANSCRIPTS = sorted((Path(__file__).parents[2] / "transcripts" / "pop3").glob("*.txt"))


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


def unescape(text: str) -> bytes:
    return text.encode().decode("unicode_escape").encode("latin-1")


async def run_setup(services: Services, lines: list[str]) -> None:
    await services.directory.add_domain("example.test", dkim=False)
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "account":
            address, _, password = rest.partition(" password=")
            await services.directory.add_account(address, password or None)
        elif kind == "message":
            address, _, raw = rest.partition(" ")
            account = await services.directory.get_account(address)
            inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
            await services.mailstore.append(account.id, inbox.id, [(unescape(raw), (), None)])
        elif kind == "disable":
            await services.directory.set_disabled(rest.strip(), True)
        else:
            raise ValueError(f"unknown setup {line!r}")


def only_star_globs(transcript: Transcript) -> Transcript:
    """``[`` and ``?`` taken literally by ``fnmatch``: ``[[]`` and ``[?]``."""

    def literal(text: str) -> str:
        return "".join({"[": "[[]", "?": "[?]"}.get(character, character) for character in text)

    steps = [(kind, text if kind == "C" else literal(text)) for kind, text in transcript.steps]
    return dataclasses.replace(transcript, steps=steps)


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
async def test_transcript(path: Path, tmp_path: Path) -> None:
    transcript = only_star_globs(load(path))
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
