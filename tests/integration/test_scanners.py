"""Issue 7's external scanners with the real Debian daemons, each run privately
(``tests/support/clamd.py``, ``rspamd.py``, ``spamd.py``): courriel's SMTP listeners on
loopback, driven by ``smtplib``, with ``[antivirus]`` and ``[spam] external`` set as an
administrator would, the clients built by ``runtime.services``.

- EICAR sent to the MX or through submission: ``554 5.7.0``, nothing stored or queued;
- clean mail: stored with ``X-Virus-Scan: clean (clamd)``, a forged copy removed;
- clamd down: ``451 4.7.0`` or accepted with ``X-Virus-Scan: not run``, per configuration;
- GTUBE through rspamd and spamd: their hit in ``X-Spam-Report``, junked or rejected;
- the external scanner down: ``451 4.7.0`` or a ``_NOT_RUN`` note, per configuration.

Each test skips, naming the package, when its daemon is not installed.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import smtplib
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from courriel.antivirus import ClamdClient
from courriel.antivirus.clamd_protocol import Clean, Infected, SizeLimitExceeded
from courriel.config import Config, EnabledListener
from courriel.config.kinds import DaemonAddress
from courriel.config.schema import OnUnreachable
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.net import Listener, TlsContextProvider, make_self_signed
from courriel.runtime.services import Services
from courriel.smtp.server.server import smtp_server
from courriel.spam.external import ExternalScannerClient
from courriel.spam.rspamd_protocol import ScanContext
from courriel.spam.rules import GTUBE
from courriel.storage.records import Flag
from support.clamd import EICAR, SIGNATURE, ClamdServer, running_clamd
from support.rspamd import RspamdServer, running_rspamd
from support.scripted_daemon import closed_port_address
from support.services import account_messages, temporary_services
from support.spamd import SpamdServer, running_spamd

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
Configure = Callable[[Config], Config]


@pytest.fixture(scope="module")
def clamd() -> Iterator[ClamdServer]:
    with running_clamd(stream_max_length="1M") as server:
        yield server


@pytest.fixture(scope="module")
def rspamd() -> Iterator[RspamdServer]:
    with running_rspamd() as server:
        yield server


@pytest.fixture(scope="module")
def spamd() -> Iterator[SpamdServer]:
    with running_spamd() as server:
        yield server


def message(subject: str, text: str | bytes, *, sender: str = "alice@example.org") -> bytes:
    body = text if isinstance(text, bytes) else text.encode()
    return (
        (
            f"From: Alice <{sender}>\r\nTo: bob@example.test\r\nSubject: {subject}\r\n"
            "Date: Sat, 22 Nov 2025 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\n"
        ).encode()
        + body
        + b"\r\n"
    )


def with_attachment(payload: bytes) -> bytes:
    return (
        b"From: Alice <alice@example.org>\r\nTo: bob@example.test\r\nSubject: invoice\r\n"
        b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\nMessage-ID: <2@example.org>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="eicar.com"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(payload) + b"\r\n--b--\r\n"
    )


def antivirus(address: DaemonAddress, on_unreachable: OnUnreachable = "tempfail") -> Configure:
    def configure(config: Config) -> Config:
        settings = dataclasses.replace(
            config.antivirus, clamd=address, on_unreachable=on_unreachable, timeout=10.0
        )
        return dataclasses.replace(config, antivirus=settings)

    return configure


def external(
    address: DaemonAddress, on_unreachable: OnUnreachable = "accept", *, reject_score: float = 15.0
) -> Configure:
    def configure(config: Config) -> Config:
        settings = dataclasses.replace(
            config.spam,
            external=address,
            external_on_unreachable=on_unreachable,
            external_timeout=30.0,
            reject_score=reject_score,
        )
        return dataclasses.replace(config, spam=settings)

    return configure


@dataclasses.dataclass
class Courriel:
    services: Services
    mx: int
    submission: int
    certificate: Path


@asynccontextmanager
async def courriel(tmp_path: Path, configure: Configure) -> AsyncIterator[Courriel]:
    """courriel's MX and submission listeners on loopback, configured by ``configure``."""
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make_self_signed("mail.example.test", certificate, key)
    tls = TlsContextProvider(certificate, key)
    async with temporary_services(tmp_path / "data", configure=configure) as services:
        await services.directory.add_domain("example.test", dkim=False)
        await services.directory.add_account("bob@example.test", PASSWORD)
        listeners = [
            Listener(
                name,
                ["127.0.0.1"],
                0,
                smtp_server(
                    services, tls, EnabledListener(name, name, "starttls", ("127.0.0.1",), 0)
                ).handler,
                tls=tls,
            )
            for name in ("smtp", "submission")
        ]
        for listener in listeners:
            await listener.start()
        try:
            yield Courriel(services, listeners[0].port, listeners[1].port, certificate)
        finally:
            for listener in listeners:
                await listener.stop(1.0)


def send_mx(port: int, raw: bytes) -> tuple[int, bytes]:
    """One message from another server: the reply to the end of DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo("client.example.org")
        client.mail("alice@example.org")
        code, text = client.rcpt("bob@example.test")
        assert code == 250, text
        return client.data(raw)


def submit(port: int, certificate: Path, raw: bytes, recipient: str) -> tuple[int, bytes]:
    """One message from bob through submission (STARTTLS, AUTH)."""
    context = ssl.create_default_context(cafile=str(certificate))
    context.check_hostname = False
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.starttls(context=context)
        client.login("bob@example.test", PASSWORD)
        client.mail("bob@example.test")
        code, text = client.rcpt(recipient)
        assert code == 250, text
        return client.data(raw)


async def bobs_mail(services: Services) -> list[tuple[str, bytes, int]]:
    return await account_messages(services, "bob@example.test")


def fields(raw: bytes) -> dict[str, list[bytes]]:
    end, _ = find_header_end(raw)
    found: dict[str, list[bytes]] = {}
    for field in split_header_fields(raw, 0, end):
        found.setdefault(field.name, []).append(field.unfolded)
    return found


# -- clamd --------------------------------------------------------------------------------


async def test_clamd_client_over_tcp_and_unix_socket(clamd: ClamdServer) -> None:
    for address in (clamd.tcp, clamd.unix):
        client = ClamdClient(address, timeout=30)
        infected = Infected(f"{SIGNATURE}.UNOFFICIAL")
        assert await client.scan(message("hi", EICAR)) == infected
        assert await client.scan(with_attachment(EICAR)) == infected
        assert await client.scan(message("hi", "Hello Bob")) == Clean()
        assert await client.scan(b"") == Clean()
        # StreamMaxLength is 1 MiB in this instance: clamd says so, then hangs up.
        assert await client.scan(b"x" * (3 << 20)) == SizeLimitExceeded()


async def test_eicar_from_another_server_is_refused(clamd: ClamdServer, tmp_path: Path) -> None:
    async with courriel(tmp_path, antivirus(clamd.tcp)) as server:
        for raw in (message("hi", EICAR), with_attachment(EICAR)):
            code, text = await asyncio.to_thread(send_mx, server.mx, raw)
            assert (code, text.split(b" ")[0]) == (554, b"5.7.0")
            assert SIGNATURE.encode() in text
        assert await bobs_mail(server.services) == []


async def test_eicar_through_submission_is_refused(clamd: ClamdServer, tmp_path: Path) -> None:
    async with courriel(tmp_path, antivirus(clamd.unix)) as server:
        raw = with_attachment(EICAR).replace(b"alice@example.org", b"bob@example.test")
        for recipient in ("carol@example.org", "bob@example.test"):
            code, text = await asyncio.to_thread(
                submit, server.submission, server.certificate, raw, recipient
            )
            assert (code, text.split(b" ")[0]) == (554, b"5.7.0")
        assert await server.services.queue.list_messages() == []
        assert await bobs_mail(server.services) == []


async def test_clean_mail_says_it_was_scanned(clamd: ClamdServer, tmp_path: Path) -> None:
    forged = b"X-Virus-Scan: clean (forged)\r\n"
    async with courriel(tmp_path, antivirus(clamd.tcp)) as server:
        raw = forged + message("lunch", "Shall we meet at noon? " + forged.decode())
        code, _ = await asyncio.to_thread(send_mx, server.mx, raw)
        assert code == 250
        [(mailbox, stored, _)] = await bobs_mail(server.services)
    assert mailbox == "INBOX"
    header = fields(stored)
    assert header["X-Virus-Scan"] == [b"clean (clamd)"]  # ours only
    names = list(header)
    assert names.index("X-Virus-Scan") < names.index("Received")
    assert stored.count(b"clean (forged)") == 1  # the body's copy is the body's business


async def test_clamd_down_tempfails(tmp_path: Path) -> None:
    async with courriel(tmp_path, antivirus(closed_port_address(), "tempfail")) as server:
        code, text = await asyncio.to_thread(send_mx, server.mx, message("hi", "Hello"))
        assert (code, text.split(b" ")[0]) == (451, b"4.7.0")
        assert await bobs_mail(server.services) == []


async def test_clamd_down_accepts_with_a_note(tmp_path: Path) -> None:
    async with courriel(tmp_path, antivirus(closed_port_address(), "accept")) as server:
        code, _ = await asyncio.to_thread(send_mx, server.mx, message("hi", EICAR))
        assert code == 250
        [(_, stored, _)] = await bobs_mail(server.services)
    assert fields(stored)["X-Virus-Scan"] == [b"not run (clamd unreachable)"]


# -- rspamd -------------------------------------------------------------------------------


async def test_rspamd_client(rspamd: RspamdServer) -> None:
    client = ExternalScannerClient(rspamd.address, timeout=30)
    context = ScanContext(client_ip="192.0.2.1", helo="mx.example.org", mail_from="a@example.org")
    gtube = await client.check(message("hi", GTUBE), context)
    assert gtube.action == "reject" and gtube.rejects and ("GTUBE", 0.0) in gtube.symbols
    ham = await client.check(message("lunch", "Shall we meet at noon?"), context)
    assert ham.action != "reject" and ham.score < ham.threshold
    assert ham.symbols  # rspamd always names a few


async def test_gtube_through_rspamd_is_in_the_report(rspamd: RspamdServer, tmp_path: Path) -> None:
    # reject_score = 0: never refuse, so the junked message shows the whole report.
    async with courriel(tmp_path, external(rspamd.address, reject_score=0.0)) as server:
        code, _ = await asyncio.to_thread(send_mx, server.mx, message("hi", GTUBE))
        assert code == 250
        code, _ = await asyncio.to_thread(
            send_mx, server.mx, message("lunch", "Shall we meet at noon?")
        )
        assert code == 250
        stored = {mailbox: (raw, flags) for mailbox, raw, flags in await bobs_mail(server.services)}
    junked, flags = stored["Junk"]
    assert flags & Flag.JUNK
    report = b" ".join(fields(junked)["X-Spam-Report"][0].split())  # lines wrap at 76
    assert b"RSPAMD rspamd score 15 (reject from 15), reject, stopped early: GTUBE(0)" in report
    # We never reject here (reject_score = 0), so rspamd's reject weighs our junk_score.
    assert b"*   5.0 RSPAMD" in junked
    kept, _ = stored["INBOX"]
    assert b"RSPAMD rspamd score" in fields(kept)["X-Spam-Report"][0]


async def test_gtube_through_rspamd_is_refused(rspamd: RspamdServer, tmp_path: Path) -> None:
    async with courriel(tmp_path, external(rspamd.address)) as server:
        code, text = await asyncio.to_thread(send_mx, server.mx, message("hi", GTUBE))
        assert (code, text.split(b" ")[0]) == (550, b"5.7.1")
        assert b"RSPAMD" in text
        assert await bobs_mail(server.services) == []


async def test_external_scanner_down(tmp_path: Path) -> None:
    down = closed_port_address("rspamd")
    async with courriel(tmp_path / "a", external(down, "tempfail")) as server:
        code, text = await asyncio.to_thread(send_mx, server.mx, message("hi", "Hello"))
        assert (code, text.split(b" ")[0]) == (451, b"4.7.0")
        assert await bobs_mail(server.services) == []
    async with courriel(tmp_path / "b", external(down, "accept")) as server:
        code, _ = await asyncio.to_thread(send_mx, server.mx, message("hi", "Hello"))
        assert code == 250
        [(_, stored, _)] = await bobs_mail(server.services)
    report = b" ".join(fields(stored)["X-Spam-Report"][0].split())
    assert b"0.0 RSPAMD_NOT_RUN the rspamd scan did not run: rspamd unreachable" in report


# -- spamd --------------------------------------------------------------------------------


async def test_spamd_client(spamd: SpamdServer) -> None:
    for address in (spamd.tcp, spamd.unix):
        client = ExternalScannerClient(address, timeout=30)
        gtube = await client.check(message("hi", GTUBE), ScanContext())
        assert gtube.is_spam and gtube.score >= 1000 and ("GTUBE", None) in gtube.symbols
        ham = await client.check(message("lunch", "Shall we meet at noon?"), ScanContext())
        assert not ham.is_spam and ham.threshold == 5.0


async def test_gtube_through_spamd_is_in_the_report(spamd: SpamdServer, tmp_path: Path) -> None:
    async with courriel(tmp_path, external(spamd.unix, reject_score=0.0)) as server:
        code, _ = await asyncio.to_thread(send_mx, server.mx, message("hi", GTUBE))
        assert code == 250
        [(mailbox, stored, _)] = await bobs_mail(server.services)
    assert mailbox == "Junk"
    report = b" ".join(fields(stored)["X-Spam-Report"][0].split())
    assert b"SPAMD spamd score 1000 (spam from 5), spam: GTUBE" in report
