"""``courriel mailbox purge`` on a real store: what Trash and Junk received 40 days ago goes
(the default retention is 30 days), what they received today stays, INBOX is untouched."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from courriel.cli import main
from courriel.config import load_config
from courriel.core.clock import Clock, FakeClock, SystemClock
from courriel.directory.passwords import FAST_TEST_PARAMETERS, PasswordHasher
from courriel.runtime.services import open_services

DAY = 86400.0
ALICE = "alice@example.test"
SHOWN = ("INBOX", "Trash", "Junk")


def put(data: Path, clock: Clock, mailboxes: tuple[str, ...]) -> dict[str, list[str]]:
    """Append one message to each of ``mailboxes`` at the clock's time (creating Alice the
    first time); return the subjects in INBOX, Trash and Junk."""

    async def work() -> dict[str, list[str]]:
        services = open_services(
            load_config(data / "courriel.toml"),
            clock=clock,
            hasher=PasswordHasher(FAST_TEST_PARAMETERS),
            parse_workers=0,
        )
        try:
            account = await services.store.directory.get_account(ALICE)
            if account is None:
                account = await services.directory.add_account(ALICE, None)
            for name in mailboxes:
                mailbox = await services.mailstore.get_mailbox(account.id, name)
                raw = f"Subject: {name} {clock.now() // DAY:.0f}\r\n\r\nx\r\n".encode()
                await services.mailstore.append(account.id, mailbox.id, [(raw, [], None)])
            shown = {}
            for name in SHOWN:
                mailbox = await services.mailstore.get_mailbox(account.id, name)
                _, metas = await services.mailstore.snapshot(mailbox.id)
                records = await services.mailstore.fetch(mailbox.id, [m.uid for m in metas])
                shown[name] = [record.summary.subject for record in records]
            return shown
        finally:
            await services.aclose()

    return asyncio.run(work())


def test_mailbox_purge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    assert main(["init", "example.test", "--dev", "--data", str(data)]) == 0
    put(data, FakeClock(start=time.time() - 40 * DAY), SHOWN)
    before = put(data, SystemClock(), ("Trash",))
    old_inbox, (_, recent_trash), _ = before.values()
    capsys.readouterr()

    assert main(["mailbox", "purge", "--data", str(data)]) == 0
    assert capsys.readouterr().out == "purged 1 message(s) from Trash and 1 from Junk\n"
    after = put(data, SystemClock(), ())
    assert after == {"INBOX": old_inbox, "Trash": [recent_trash], "Junk": []}

    assert main(["mailbox", "purge", "--data", str(data)]) == 0
    assert capsys.readouterr().out == "purged 0 message(s) from Trash and 0 from Junk\n"
