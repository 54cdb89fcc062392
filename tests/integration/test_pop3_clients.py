"""POP3 with the mail collectors Debian ships, against a real ``courriel serve``: fetchmail
(``keep`` and ``uidl``, over STLS on the pop3 listener) and getmail6 (``read_all = false``,
``delete = false``, over implicit TLS on pop3s, into a Maildir), both checking the server
certificate against the dev CA.

The "leave a copy on the server" promise of issue 6, for each client: the first run
downloads every message byte for byte, a second run downloads nothing, a message delivered
in between is the only one a third run fetches, and the server still holds everything.
Mail arrives over SMTP, as it would. The clients' state (fetchmail's idfile, getmail's
oldmail file) lives in ``tmp_path``; nothing in the user's home is read or written.
"""

from __future__ import annotations

import os
import smtplib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.server_process import RunningServer, inbox, init_data, require, running_server

pytestmark = pytest.mark.integration

ALICE = "alice@example.test"
PASSWORD = "correct horse battery"  # support.server_process creates accounts with it
CERTIFICATE_NAME = "localhost"  # the dev certificate's name (it also lists 127.0.0.1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    data = tmp_path / "data"
    ports = init_data(data, accounts=(ALICE,))
    with running_server(data, ports) as running:
        yield running


def message(subject: str) -> bytes:
    """A message with what trips naive clients: a line of one dot, a dot-led line, UTF-8."""
    return (
        f"From: Bob <bob@example.net>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@example.net>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"Bonjour, voici « {subject} ».\r\n.\r\n..two dots\r\n.one dot\r\nend\r\n"
    ).encode()


def deliver(server: RunningServer, *messages: bytes) -> None:
    with smtplib.SMTP("127.0.0.1", server.ports["smtp"], timeout=20) as client:
        for raw in messages:
            assert client.sendmail("bob@example.net", [ALICE], raw) == {}


def as_delivered(raw: bytes) -> bytes:
    """How a collector hands the message to a local mailbox: LF line endings, unstuffed."""
    return raw.replace(b"\r\n", b"\n")


def delivered_originals(files: list[Path], sent: list[bytes]) -> list[bytes]:
    """For each delivered file, the sent message it ends with (collectors and the server add
    trace headers on top: Return-Path, Received)."""
    found = []
    for path in files:
        content = path.read_bytes()
        matches = [raw for raw in sent if content.endswith(as_delivered(raw))]
        assert len(matches) == 1, (path, content)
        found.append(matches[0])
    return found


def run(argv: list[str], *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env=env)


# --- fetchmail -----------------------------------------------------------------------------


def test_fetchmail_keeps_mail_on_the_server_and_fetches_each_message_once(
    server: RunningServer, tmp_path: Path
) -> None:
    require("fetchmail", "fetchmail")
    home, out = tmp_path / "fetchmail", tmp_path / "fetchmail" / "out"
    out.mkdir(parents=True)
    rcfile = home / ".fetchmailrc"
    rcfile.write_text(
        "set no syslog\n"
        f'set idfile "{home / "fetchids"}"\n'
        # uidl: remember what was seen by UIDL; keep: never DELE (leave a copy on the server)
        f"poll 127.0.0.1 with proto POP3 port {server.ports['pop3']} uidl\n"
        f'  user "{ALICE}" there with password "{PASSWORD}" is "alice" here\n'
        # STLS on the plaintext listener, the certificate checked against the dev CA
        f'  options keep sslproto "TLS1.2+" sslcertck sslcertfile "{server.data / "tls/cert.pem"}"'
        f' sslcommonname "{CERTIFICATE_NAME}"\n'
        f"  mda \"/bin/sh -c 'cat > $(mktemp -p {out} message.XXXXXX)'\"\n"
    )
    rcfile.chmod(0o600)  # fetchmail refuses an rcfile others can read
    env = {**os.environ, "HOME": str(home), "FETCHMAILHOME": str(home)}

    def fetch(expected_status: int) -> list[Path]:
        before = set(out.iterdir())
        result = run(
            ["fetchmail", "-f", str(rcfile), "--pidfile", str(home / "pid"), "-v"], env=env
        )
        assert result.returncode == expected_status, result.stdout + result.stderr
        assert "STLS" in result.stdout  # the session was upgraded
        return sorted(set(out.iterdir()) - before)

    first = [message("first"), message("second"), message("third")]
    deliver(server, *first)
    assert sorted(delivered_originals(fetch(0), first)) == sorted(first)
    assert fetch(1) == []  # fetchmail's status 1: no new mail
    fourth = message("fourth")
    deliver(server, fourth)
    assert delivered_originals(fetch(0), [*first, fourth]) == [fourth]
    assert fetch(1) == []
    assert len(inbox(server.data, ALICE)) == 4  # every message is still on the server


# --- getmail6 ------------------------------------------------------------------------------


def getmail_command(rcfile: Path, getmaildir: Path) -> list[str]:
    command = ["getmail", "--getmaildir", str(getmaildir), "--rcfile", str(rcfile)]
    if os.geteuid() != 0:
        return command
    # getmail refuses to deliver as root, and a destination "user" would need the whole
    # tmp_path readable by that user. A user namespace shows getmail another uid while
    # its file access stays ours.
    probe = run(["unshare", "--user", "--map-user=65534", "--map-group=65534", "true"])
    if probe.returncode != 0:
        pytest.skip(f"running as root and no user namespace for getmail: {probe.stderr}")
    return ["unshare", "--user", "--map-user=65534", "--map-group=65534", *command]


def test_getmail_reads_only_new_mail_and_deletes_nothing(
    server: RunningServer, tmp_path: Path
) -> None:
    require("getmail", "getmail6")
    getmaildir = tmp_path / "getmail"
    maildir = tmp_path / "Maildir"
    for folder in ("cur", "new", "tmp"):
        (maildir / folder).mkdir(parents=True)
    getmaildir.mkdir()
    rcfile = getmaildir / "getmailrc"
    rcfile.write_text(
        "[retriever]\n"
        "type = SimplePOP3SSLRetriever\n"
        "server = 127.0.0.1\n"
        f"port = {server.ports['pop3s']}\n"
        f"username = {ALICE}\n"
        f"password = {PASSWORD}\n"
        f"ca_certs = {server.data / 'tls/cert.pem'}\n"
        f"ssl_cert_hostname = {CERTIFICATE_NAME}\n"
        "\n[destination]\n"
        "type = Maildir\n"
        f"path = {maildir}/\n"
        "\n[options]\n"
        "read_all = false\n"  # only messages whose UIDL this getmaildir has not seen
        "delete = false\n"  # leave a copy on the server
        "verbose = 2\n"
    )
    rcfile.chmod(0o600)
    command = getmail_command(rcfile, getmaildir)

    def fetch() -> list[Path]:
        before = set((maildir / "new").iterdir())
        result = run(command)
        assert result.returncode == 0, result.stdout + result.stderr
        return sorted(set((maildir / "new").iterdir()) - before)

    first = [message("first"), message("second"), message("third")]
    deliver(server, *first)
    assert sorted(delivered_originals(fetch(), first)) == sorted(first)
    assert fetch() == []
    fourth = message("fourth")
    deliver(server, fourth)
    assert delivered_originals(fetch(), [*first, fourth]) == [fourth]
    assert fetch() == []
    assert len(inbox(server.data, ALICE)) == 4  # nothing was deleted
