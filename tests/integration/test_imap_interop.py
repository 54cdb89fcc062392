"""IMAP with real clients over real TLS: Python's ``imaplib`` and ``imapclient`` against the
IMAP listener (certificate made here, verified by the clients).

Covers login, LIST, SELECT, APPEND, FETCH of ENVELOPE / BODYSTRUCTURE / bodies, SEARCH TEXT
(full-text index), STORE, COPY/MOVE, EXPUNGE seen by a second session, IDLE receiving a
delivery within a second, and QRESYNC resynchronisation after changes made elsewhere.
"""

from __future__ import annotations

import asyncio
import imaplib
import ssl
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import imapclient
import pytest

from courriel.config import EnabledListener, TlsMode
from courriel.imap.server.server import imap_server
from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.runtime.services import Services
from courriel.storage.records import DeliveryTarget
from support.services import temporary_services

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
ALICE = "alice@example.test"
HOST = "127.0.0.1"

MESSAGE = (
    b"From: Bob Example <bob@example.net>\r\n"
    b"To: Alice <alice@example.test>\r\n"
    b"Subject: Quarterly figures\r\n"
    b"Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
    b"Message-ID: <figures@example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n'
    b"\r\n"
    b"--b1\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"The pelican numbers look excellent this quarter.\r\n"
    b"--b1\r\n"
    b"Content-Type: application/pdf; name=report.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQK\r\n"
    b"--b1--\r\n"
)


def note(subject: str, body: str = "Hello.") -> bytes:
    return (
        f"From: carol@example.org\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\n{body}\r\n"
    ).encode()


@dataclass
class Imap:
    services: Services
    imaps_port: int
    imap_port: int
    certificate: Path

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certificate))
        context.check_hostname = False  # the certificate names mail.example.test
        return context

    def imapclient(self) -> imapclient.IMAPClient:
        client = imapclient.IMAPClient(
            HOST, port=self.imaps_port, ssl=True, ssl_context=self.context(), timeout=20
        )
        client.login(ALICE, PASSWORD)
        return client

    async def account_id(self) -> int:
        return (await self.services.directory.get_account(ALICE)).id


@asynccontextmanager
async def imap_listeners(tmp_path: Path) -> AsyncIterator[Imap]:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", certificate, key, extra_names=("127.0.0.1",))
    tls = TlsContextProvider(certificate, key)
    async with temporary_services(tmp_path / "data") as services:

        async def no_delay(seconds: float) -> None:
            del seconds

        services.auth.sleep = no_delay
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account(ALICE, PASSWORD)
        listeners = []
        modes: tuple[tuple[str, TlsMode], ...] = (("imaps", "implicit"), ("imap", "starttls"))
        for name, mode in modes:
            server = imap_server(
                services,
                tls,
                EnabledListener(name, "imap", mode, (HOST,), 0),
            )
            listener = Listener(
                name, [HOST], 0, server.handler, tls=tls, implicit_tls=mode == "implicit"
            )
            await listener.start()
            listeners.append(listener)
        try:
            yield Imap(services, listeners[0].port, listeners[1].port, certificate)
        finally:
            for listener in listeners:
                await listener.stop(1.0)


async def index_text(services: Services) -> None:
    while await services.mailstore.index_text() > 0:
        pass


async def test_imaplib_starttls_and_a_day_of_mail(tmp_path: Path) -> None:
    async with imap_listeners(tmp_path) as imap:

        def session() -> None:
            data: list[Any]
            client = imaplib.IMAP4(HOST, imap.imap_port, timeout=20)
            assert "LOGINDISABLED" in client.capabilities
            client.starttls(ssl_context=imap.context())
            assert isinstance(client.sock, ssl.SSLSocket)
            assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
            assert "AUTH=PLAIN" in client.capabilities
            with pytest.raises(imaplib.IMAP4.error):
                client.login(ALICE, "wrong password")
            assert client.login(ALICE, PASSWORD)[0] == "OK"
            typ, raw_listing = client.list()
            assert typ == "OK"
            listing: list[bytes] = [line for line in raw_listing if isinstance(line, bytes)]
            names = [line.decode().rsplit(" ", 1)[-1] for line in listing]
            assert {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"} <= set(names)
            assert b"\\Sent" in next(line for line in listing if b" Sent" in line)
            typ, data = client.append("INBOX", "(\\Flagged)", None, MESSAGE)
            assert typ == "OK" and b"APPENDUID" in data[0]
            typ, data = client.select("INBOX")
            assert (typ, data) == ("OK", [b"1"])
            typ, data = client.fetch("1", "(ENVELOPE BODYSTRUCTURE FLAGS)")
            assert typ == "OK"
            head = data[0]
            assert isinstance(head, bytes)
            assert b'"Quarterly figures"' in head
            assert b'(("Bob Example" NIL "bob" "example.net"))' in head
            assert b'("TEXT" "PLAIN" ("CHARSET" "utf-8")' in head
            assert b'"APPLICATION" "PDF"' in head and b'"MIXED"' in head
            assert b"\\Flagged" in head and b"\\Seen" not in head
            typ, data = client.fetch("1", "(BODY[1])")
            part = data[0]
            assert isinstance(part, tuple)
            assert part[1] == b"The pelican numbers look excellent this quarter."
            assert b"\\Seen" in cast(bytes, client.fetch("1", "(FLAGS)")[1][0])
            typ, data = client.fetch("1", "(BODY.PEEK[])")
            assert cast(tuple[bytes, bytes], data[0])[1] == MESSAGE
            assert client.search(None, "TEXT", "pelican") == ("OK", [b"1"])
            assert client.search(None, "TEXT", "walrus") == ("OK", [b""])
            typ, data = client.store("1", "+FLAGS", "(\\Answered)")
            assert typ == "OK" and b"\\Answered" in cast(bytes, data[0])
            typ, data = client.copy("1", "Archive")
            assert typ == "OK"
            typ, data = client.uid("MOVE", "1", "Trash")
            assert typ == "OK"
            assert client.response("EXPUNGE") == ("EXPUNGE", [b"1"])
            typ, data = client.status("Archive", "(MESSAGES UNSEEN)")
            assert data == [b"Archive (MESSAGES 1 UNSEEN 0)"]
            client.select("Trash")
            client.store("1", "+FLAGS.SILENT", "(\\Deleted)")
            typ, data = client.expunge()
            assert (typ, data) == ("OK", [b"1"])
            client.close()
            assert client.logout()[0] == "BYE"

        await index_text(imap.services)
        await asyncio.to_thread(session)


async def test_imapclient_fetch_search_flags_and_move(tmp_path: Path) -> None:
    async with imap_listeners(tmp_path) as imap:

        def fill() -> None:
            client = imap.imapclient()
            assert client.has_capability("IDLE") and client.has_capability("MOVE")
            for subject in ("Pelican news", "Walrus update", "Pelican again"):
                client.append("INBOX", note(subject, f"About {subject.lower()}."))
            client.append("INBOX", MESSAGE, flags=[imapclient.SEEN])
            client.create_folder("Projects/2024")
            folders = {name for _flags, _delimiter, name in client.list_folders()}
            assert {"Projects", "Projects/2024"} <= folders
            client.logout()

        def session() -> None:
            client = imap.imapclient()
            selected = client.select_folder("INBOX")
            assert selected[b"EXISTS"] == 4
            assert client.search(["TEXT", "pelican"]) == [1, 3, 4]
            assert client.search(["SUBJECT", "walrus"]) == [2]
            assert client.search(["UNSEEN"]) == [1, 2, 3]
            fetched = client.fetch([4], ["ENVELOPE", "BODYSTRUCTURE", "RFC822.SIZE", "BODY.PEEK[]"])
            envelope = fetched[4][b"ENVELOPE"]
            assert envelope.subject == b"Quarterly figures"
            assert envelope.from_[0].mailbox == b"bob" and envelope.from_[0].host == b"example.net"
            assert fetched[4][b"BODY[]"] == MESSAGE
            assert fetched[4][b"RFC822.SIZE"] == len(MESSAGE)
            structure = fetched[4][b"BODYSTRUCTURE"]
            assert structure.is_multipart
            assert client.add_flags([1, 2], [imapclient.FLAGGED])[1] == (b"\\Flagged",)
            assert client.remove_flags([1], [imapclient.FLAGGED])[1] == ()
            assert client.get_flags([2]) == {2: (b"\\Flagged",)}
            assert client.sort(["SUBJECT"]) == [3, 1, 4, 2]
            client.copy([1, 3], "Projects/2024")
            client.move([2], "Archive")  # imapclient speaks UIDs: UID MOVE
            assert client.search(["ALL"]) == [1, 3, 4]
            assert client.folder_status("Projects/2024", ["MESSAGES"])[b"MESSAGES"] == 2
            client.logout()

        await asyncio.to_thread(fill)
        await index_text(imap.services)
        await asyncio.to_thread(session)


async def test_two_sessions_one_sees_the_others_expunge(tmp_path: Path) -> None:
    async with imap_listeners(tmp_path) as imap:

        def sessions() -> None:
            first, second = imap.imapclient(), imap.imapclient()
            for index in range(3):
                first.append("INBOX", note(f"Message {index}"))
            first.select_folder("INBOX")
            second.select_folder("INBOX")
            second.delete_messages([2])
            result = second.expunge()
            assert result[1] == [(2, b"EXPUNGE")]
            responses = first.noop()[1]
            assert (2, b"EXPUNGE") in responses
            assert first.search(["ALL"]) == [1, 3]  # UIDs
            first.use_uid = False
            assert first.search(["ALL"]) == [1, 2]  # sequence numbers, renumbered
            first.logout()
            second.logout()

        await asyncio.to_thread(sessions)


async def test_idle_receives_a_delivery_within_a_second(tmp_path: Path) -> None:
    async with imap_listeners(tmp_path) as imap:
        account_id = await imap.account_id()
        idling = threading.Event()
        received: list[float] = []

        def watch() -> list[tuple[int, bytes]]:
            client = imap.imapclient()
            client.select_folder("INBOX")
            client.idle()
            idling.set()
            responses = client.idle_check(timeout=10)
            received.append(time.monotonic())
            client.idle_done()
            client.logout()
            return responses  # type: ignore[no-any-return]

        watcher = asyncio.ensure_future(asyncio.to_thread(watch))
        assert await asyncio.to_thread(idling.wait, 10)
        await asyncio.sleep(0.2)  # the client is reading; the server waits in IDLE
        delivered = time.monotonic()
        await imap.services.mailstore.deliver(note("Breaking news"), [DeliveryTarget(account_id)])
        responses = await watcher
        assert (1, b"EXISTS") in responses
        assert received[0] - delivered < 1.0


async def test_qresync_after_changes_elsewhere(tmp_path: Path) -> None:
    async with imap_listeners(tmp_path) as imap:

        def resync() -> None:
            client = imaplib.IMAP4_SSL(HOST, imap.imaps_port, ssl_context=imap.context())
            client.login(ALICE, PASSWORD)
            for index in range(4):
                client.append("INBOX", "", None, note(f"Message {index}"))
            assert client._simple_command("ENABLE", "QRESYNC")[0] == "OK"
            client.select("INBOX")
            validity = int(client.response("UIDVALIDITY")[1][0])
            modseq = int(client.response("HIGHESTMODSEQ")[1][0])
            client.close()

            other = imap.imapclient()  # meanwhile, on another device
            other.select_folder("INBOX")
            other.add_flags([3], [imapclient.SEEN])
            other.delete_messages([2])
            other.expunge()
            other.logout()

            typ, _ = client._simple_command("SELECT", "INBOX", f"(QRESYNC ({validity} {modseq}))")
            assert typ == "OK"
            vanished = client.untagged_responses.pop("VANISHED", [])
            fetches = client.untagged_responses.pop("FETCH", [])
            assert vanished == [b"(EARLIER) 2"]
            assert len(fetches) == 1
            assert b"UID 3" in fetches[0] and b"\\Seen" in fetches[0]
            client.logout()

        await asyncio.to_thread(resync)
