"""Every transcript in tests/transcripts/imap, against a real IMAP listener on loopback.

The files use ``support.transcript``'s format with ``glob: star`` semantics (only ``*`` is
a wildcard: IMAP is full of brackets), numbered connections for concurrent sessions and
``${name}`` captures. ``listener: imap`` (STARTTLS, the default) or ``listener: imaps``.
Passwords are accepted over plaintext loopback unless a transcript says
``config: auth.plaintext_on_loopback=false``. Setup lines::

    setup: account alice@example.test password=correct horse battery
    setup: mailbox alice@example.test Work/Projects          (created, not subscribed)
    setup: subscribe alice@example.test Work/Projects
    setup: message alice@example.test INBOX simple.eml \\Seen $Label
                       (messages/simple.eml appended with those flags; internal dates are
                        1 Jan 2024 00:00 UTC plus one minute per message, in order)
    setup: quota alice@example.test 100000
    setup: disable alice@example.test
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from courriel.config import EnabledListener, TlsMode
from courriel.imap.server.server import imap_server
from courriel.net import Listener, TlsContextProvider, make_client_context, make_self_signed
from courriel.runtime.services import Services
from support.scenario import configure
from support.services import temporary_services
from support.transcript import load, play

FOLDER = Path(__file__).parents[2] / "transcripts" / "imap"
TRANSCRIPTS = sorted(FOLDER.glob("*.txt"))
FIRST_INTERNAL_DATE = 1_704_067_200.0  # 2024-01-01T00:00:00Z


async def run_setup(services: Services, lines: list[str]) -> None:
    await services.directory.add_domain("example.test", dkim=False)
    mailstore = services.mailstore
    appended = 0
    for line in lines:
        kind, _, rest = line.partition(" ")
        if kind == "account":
            address, _, password = rest.partition(" password=")
            await services.directory.add_account(address, password or None)
            continue
        if kind == "disable":
            await services.directory.set_disabled(rest.strip(), True)
            continue
        address, _, rest = rest.partition(" ")
        account = await services.directory.get_account(address)
        if kind == "mailbox":
            await mailstore.create_mailbox(account.id, rest.strip())
        elif kind == "subscribe":
            await mailstore.subscribe(account.id, rest.strip())
        elif kind == "quota":
            await services.directory.set_quota(address, int(rest))
        elif kind == "message":
            name, file, *flags = rest.split()
            raw = (FOLDER / "messages" / file).read_bytes().replace(b"\r\n", b"\n")
            mailbox = await mailstore.get_mailbox(account.id, name)
            date = FIRST_INTERNAL_DATE + 60 * appended
            appended += 1
            await mailstore.append(
                account.id, mailbox.id, [(raw.replace(b"\n", b"\r\n"), flags, date)]
            )
        else:
            raise ValueError(f"unknown setup {line!r}")
    while await mailstore.index_text() > 0:
        pass


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
async def test_transcript(path: Path, tmp_path: Path) -> None:
    transcript = dataclasses.replace(load(path), star_only=True)
    if transcript.listener == "smtp":  # not given
        transcript.listener = "imap"
    assert transcript.listener in ("imap", "imaps"), transcript.listener
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    tls = TlsContextProvider(certificate, key)
    async with temporary_services(
        tmp_path / "data",
        configure=configure({"auth.plaintext_on_loopback": "true", **transcript.config}),
    ) as services:

        async def no_delay(seconds: float) -> None:
            del seconds

        services.auth.sleep = no_delay
        await run_setup(services, transcript.setup)
        mode: TlsMode = "implicit" if transcript.listener == "imaps" else "starttls"
        enabled = EnabledListener(transcript.listener, "imap", mode, ("127.0.0.1",), 0)
        server = imap_server(services, tls, enabled)
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
