"""Inbound authentication end to end (issue 7): a real ``courriel serve`` (``--dev``, DNS from
a zone file the test writes) receives mail on its MX port from ``smtplib`` and records SPF,
DKIM, DMARC, ARC and iprev in one Authentication-Results field, removes a forged one,
refuses a DMARC ``p=reject`` failure with 550 5.7.1, files a ``p=quarantine`` failure in
Junk, and still delivers when DNS fails (``temperror``)."""

from __future__ import annotations

import asyncio
import smtplib
from pathlib import Path

import pytest

from courriel.config import load_config
from courriel.runtime.services import open_services
from support.server_process import init_data, running_server

pytestmark = pytest.mark.integration

ZONES = """
[zones."pass.test"]
TXT = ["v=spf1 ip4:127.0.0.1 -all"]
[zones."_dmarc.pass.test"]
TXT = ["v=DMARC1; p=reject"]
[zones."reject.test"]
TXT = ["v=spf1 ip4:192.0.2.1 -all"]
[zones."_dmarc.reject.test"]
TXT = ["v=DMARC1; p=reject"]
[zones."junk.test"]
TXT = ["v=spf1 -all"]
[zones."_dmarc.junk.test"]
TXT = ["v=DMARC1; p=quarantine"]
[zones."down.test"]
TEMPFAIL = []
[zones."_dmarc.down.test"]
TXT = ["v=DMARC1; p=reject"]
[zones."127.0.0.1"]
PTR = ["client.pass.test"]
[zones."client.pass.test"]
A = ["127.0.0.1"]
"""


def mailbox_contents(data: Path, address: str, name: str) -> list[bytes]:
    """The messages of one mailbox, read from the store directly."""

    async def read() -> list[bytes]:
        services = open_services(load_config(data / "courriel.toml"), parse_workers=0)
        try:
            account = await services.directory.get_account(address)
            mailbox = await services.mailstore.get_mailbox(account.id, name)
            _, metas = await services.mailstore.snapshot(mailbox.id)
            records = await services.mailstore.fetch(mailbox.id, [m.uid for m in metas])
            return [await services.mailstore.read_message(r) for r in records]
        finally:
            await services.aclose()

    return asyncio.run(read())


def send(port: int, sender: str, raw: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.pass.test", timeout=30) as client:
        client.sendmail(sender, ["bob@example.test"], raw)


def test_inbound_authentication_over_smtp(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ports = init_data(data, accounts=("bob@example.test",))
    (data / "dns-zones.toml").write_text(ZONES)
    hostname = load_config(data / "courriel.toml").server.hostname
    with running_server(data, ports) as server:
        smtp = ports["smtp"]
        send(
            smtp,
            "news@pass.test",
            f"Authentication-Results: {hostname.upper()}; dmarc=pass header.from=bank.test\r\n"
            "From: News <news@pass.test>\r\nSubject: authentic\r\n\r\nHello Bob.\r\n".encode(),
        )
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(
                smtp,
                "ceo@reject.test",
                b"From: CEO <ceo@reject.test>\r\nSubject: forged\r\n\r\nPay now.\r\n",
            )
        send(smtp, "shop@junk.test", b"From: <shop@junk.test>\r\nSubject: spammy\r\n\r\nBuy.\r\n")
        send(
            smtp, "x@down.test", b"From: <x@down.test>\r\nSubject: dns down\r\n\r\nStill here.\r\n"
        )
        log = server.log_text()

    assert refused.value.smtp_code == 550
    error: object = refused.value.smtp_error  # bytes at run time, whatever the stubs say
    assert isinstance(error, bytes)
    assert error == b"5.7.1 Message rejected by the DMARC policy of reject.test"

    inbox = {
        message.split(b"Subject: ")[1].split(b"\r\n")[0]: message
        for message in mailbox_contents(data, "bob@example.test", "INBOX")
    }
    assert set(inbox) == {b"authentic", b"dns down"}  # the forged one never got in
    authentic = inbox[b"authentic"]
    assert authentic.count(b"Authentication-Results:") == 1  # the forged field is gone
    assert b"bank.test" not in authentic
    header = authentic.split(b"\r\n\r\n")[0]
    assert f"\r\nAuthentication-Results: {hostname};\r\n spf=pass".encode() in header
    for expected in (
        b"smtp.mailfrom=news@pass.test",
        b"dkim=none",
        b"dmarc=pass",
        b"header.from=pass.test",
        b"arc=none",
        b"iprev=pass (client.pass.test) policy.iprev=127.0.0.1",
    ):
        assert expected in header, expected
    assert header.index(b"Authentication-Results:") < header.index(b"Received-SPF: pass")
    assert header.index(b"Received-SPF:") < header.index(b"Received: from client.pass.test")

    down = inbox[b"dns down"]
    assert b"spf=temperror" in down and b"dmarc=temperror" in down

    [junk] = mailbox_contents(data, "bob@example.test", "Junk")
    assert b"Subject: spammy" in junk
    assert b"dmarc=fail" in junk
    assert "dmarc=fail" in log and "junk" in log
