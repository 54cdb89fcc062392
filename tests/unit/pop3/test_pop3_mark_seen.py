"""``pop3.mark_seen`` end to end: the setting as configured, a real POP3 client downloading
mail, and what a real IMAP client then sees.

Reading mail over POP3 does not mark it ``\\Seen`` unless ``[pop3] mark_seen = true``; with
it, a message RETR sent whole is flagged at QUIT (RFC 1939 §6: the UPDATE state), and only
then: not one TOP showed, not one the session marked for deletion, nothing when the
session ends without QUIT. Both listeners are built by their servers' builders from the
configuration, as the runtime builds them, on one store; the clients are the standard
library's ``poplib`` and ``imaplib``.
"""

from __future__ import annotations

import asyncio
import imaplib
import poplib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from courriel.config import EnabledListener, load_config
from courriel.imap.server.server import imap_server
from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.pop3.server import pop3_server
from courriel.runtime.services import Services
from support.scenario import configure
from support.services import temporary_services

ALICE = "alice@example.test"
PASSWORD = "correct horse battery"
NOTHING_SEEN = dict.fromkeys(range(1, 5), False)


@dataclass
class Served:
    services: Services
    pop3_port: int
    imap_port: int
    account_id: int

    def seen_over_imap(self) -> dict[int, bool]:
        """Message sequence number → whether IMAP shows it ``\\Seen`` (EXAMINE: read-only,
        so looking does not change anything)."""
        client = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10)
        try:
            client.login(ALICE, PASSWORD)
            status, _ = client.select("INBOX", readonly=True)
            assert status == "OK"
            status, lines = client.fetch("1:*", "(FLAGS)")
            assert status == "OK"
            seen = {}
            for line in lines:
                assert isinstance(line, bytes), line
                found = re.match(rb"(\d+) \(FLAGS \((.*)\)\)", line)
                assert found is not None, line
                seen[int(found.group(1))] = b"\\Seen" in found.group(2).split()
            return seen
        finally:
            client.logout()


@asynccontextmanager
async def serving(tmp_path: Path, overrides: dict[str, str]) -> AsyncIterator[Served]:
    """A POP3 and an IMAP listener on one store, configured with ``overrides``; alice's
    INBOX holds four messages."""
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    tls = TlsContextProvider(certificate, key)
    settings = {"auth.plaintext_on_loopback": "true", **overrides}
    async with temporary_services(tmp_path / "data", configure=configure(settings)) as services:

        async def no_delay(seconds: float) -> None:
            del seconds

        services.auth.sleep = no_delay
        await services.directory.add_domain("example.test", dkim=False)
        account = await services.directory.add_account(ALICE, PASSWORD)
        inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
        await services.mailstore.append(
            account.id,
            inbox.id,
            [(f"Subject: {n}\r\n\r\nmessage {n}\r\n".encode(), (), None) for n in range(1, 5)],
        )
        pop3 = pop3_server(
            services, tls, EnabledListener("pop3", "pop3", "starttls", ("127.0.0.1",), 0)
        )
        imap = imap_server(
            services, tls, EnabledListener("imap", "imap", "starttls", ("127.0.0.1",), 0)
        )
        listeners = [
            Listener("pop3", ["127.0.0.1"], 0, pop3.handler, tls=tls),
            Listener("imap", ["127.0.0.1"], 0, imap.handler, tls=tls),
        ]
        for listener in listeners:
            await listener.start()
        try:
            yield Served(services, listeners[0].port, listeners[1].port, account.id)
        finally:
            for listener in listeners:
                await listener.stop(1.0)


def download(port: int, *, quit_: bool) -> None:
    """RETR 1 and 2, TOP 3, DELE 2, then QUIT (or drop the connection)."""
    client = poplib.POP3("127.0.0.1", port, timeout=10)
    client.user(ALICE)
    client.pass_(PASSWORD)
    assert client.retr(1)[1] == [b"Subject: 1", b"", b"message 1"]
    client.retr(2)
    assert client.top(3, 0)[1] == [b"Subject: 3", b""]
    client.dele(2)
    if quit_:
        assert client.quit().startswith(b"+OK")
    else:
        client.close()


async def test_by_default_reading_over_pop3_leaves_mail_unread(tmp_path: Path) -> None:
    async with serving(tmp_path, {}) as served:
        assert served.services.config.pop3.mark_seen is False
        await asyncio.to_thread(download, served.pop3_port, quit_=True)
        # Message 2 was removed at QUIT: IMAP numbers the other three 1 to 3.
        assert await asyncio.to_thread(served.seen_over_imap) == {1: False, 2: False, 3: False}


async def test_mark_seen_flags_what_retr_sent_whole_at_quit(tmp_path: Path) -> None:
    async with serving(tmp_path, {"pop3.mark_seen": "true"}) as served:
        assert await asyncio.to_thread(served.seen_over_imap) == NOTHING_SEEN
        await asyncio.to_thread(download, served.pop3_port, quit_=True)
        # Message 1 was retrieved, message 2 retrieved and deleted (removed at QUIT), message
        # 3 only had its TOP shown, message 4 was left alone: IMAP now numbers 1, 3 and 4.
        assert await asyncio.to_thread(served.seen_over_imap) == {1: True, 2: False, 3: False}


async def test_mark_seen_without_quit_changes_nothing(tmp_path: Path) -> None:
    async with serving(tmp_path, {"pop3.mark_seen": "true"}) as served:
        await asyncio.to_thread(download, served.pop3_port, quit_=False)
        # RFC 1939 §6: no QUIT, no UPDATE state: nothing deleted, nothing flagged.
        for _ in range(500):  # the session ends when the server sees the connection go
            if not served.services.maildrop_locks.held(served.account_id):
                break
            await asyncio.sleep(0.01)
        assert await asyncio.to_thread(served.seen_over_imap) == NOTHING_SEEN


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_the_setting_is_read_from_the_file(tmp_path: Path, value: str, expected: bool) -> None:
    (tmp_path / "tls").mkdir()
    make_self_signed(
        "mail.example.test", tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
    )
    path = tmp_path / "courriel.toml"
    path.write_text(f'[server]\nhostname = "mail.example.test"\n\n[pop3]\nmark_seen = {value}\n')
    assert load_config(path).pop3.mark_seen is expected
