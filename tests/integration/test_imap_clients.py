"""IMAP with the clients Debian ships, against a real ``courriel serve`` (``--dev`` setup,
free loopback ports, the self-signed certificate in ``DATA/tls/cert.pem`` checked by every
client):

- isync's ``mbsync``: a two-way sync (``Create Both``, ``Expunge Both``, ``Sync All``) of an
  account of 2,000+ varied messages in four folders into a Maildir over implicit TLS; every
  message arrives byte for byte with its flags; a second sync transfers nothing; changes on
  each side (flags, deletions, new messages, a new folder) reach the other side over
  STARTTLS, and a sync after that transfers nothing again.
- ``mutt`` in a tmux pane: the index lists the subjects (RFC 2047 decoded), the pager shows a
  body, mail delivered over SMTP shows up while it idles, a flag and a delete made in mutt
  are on the server when it quits; reopened after changes made elsewhere, it resynchronises
  from its header cache with QRESYNC; its server-side body search (``=b``) finds what its
  own (``~b``) does.
- ``curl`` imaps:// and imap:// with STARTTLS: LIST, EXAMINE, a message by UID and a body
  part, ``UID SEARCH TEXT`` (the full-text index), APPEND by upload.

The mailbox contents are written through ``services.mailstore`` before the server starts, and
changes "made by another device" while it runs go through it too, from this process (as the
admin CLI does): each client session starts after them, so it reads them from the store.
Clients keep their state in ``tmp_path``; nothing in the user's home is read or written.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import re
import shlex
import smtplib
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import TypeVar

import pytest

from courriel.config import load_config
from courriel.runtime.services import Services, open_services
from courriel.storage.errors import NotFound
from courriel.storage.records import Flag
from support.server_process import PASSWORD, RunningServer, init_data, require, running_server

pytestmark = pytest.mark.integration

ALICE = "alice@example.test"
HOST = "127.0.0.1"  # the dev certificate lists it, so clients verify the name too

T = TypeVar("T")


def run(
    argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, capture_output=True, timeout=timeout, check=False, env=env)


def client_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    inherited = {name: value for name, value in os.environ.items() if name != "TMUX"}
    return {**inherited, "HOME": str(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


# --- the store, from this process ----------------------------------------------------------


def in_store(data: Path, work: Callable[[Services], Awaitable[T]]) -> T:
    """Run ``work`` on services opened on the store of ``data`` (the server may be running)."""

    async def opened() -> T:
        services = open_services(load_config(data / "courriel.toml"), parse_workers=0)
        try:
            return await work(services)
        finally:
            await services.aclose()

    return asyncio.run(opened())


async def mailbox_ids(services: Services, name: str) -> tuple[int, int]:
    """(account id, mailbox id) of ALICE's mailbox ``name``, created if missing."""
    account = await services.directory.get_account(ALICE)
    try:
        mailbox = await services.mailstore.get_mailbox(account.id, name)
    except NotFound:
        mailbox = await services.mailstore.create_mailbox(account.id, name)
    return account.id, mailbox.id


Filling = dict[str, list[tuple[bytes, tuple[str, ...], float | None]]]


def fill(data: Path, mailboxes: Filling) -> None:
    async def work(services: Services) -> None:
        for name, messages in mailboxes.items():
            account_id, mailbox_id = await mailbox_ids(services, name)
            for start in range(0, len(messages), 250):
                await services.mailstore.append(
                    account_id, mailbox_id, messages[start : start + 250]
                )
        while await services.mailstore.index_text() > 0:
            pass

    in_store(data, work)


@dataclass(frozen=True)
class StoredMessage:
    flags: Flag
    keywords: tuple[str, ...]
    raw: bytes


def server_mailboxes(data: Path) -> dict[str, dict[int, StoredMessage]]:
    """Every mailbox of ALICE: UID → flags and bytes as stored."""

    async def work(services: Services) -> dict[str, dict[int, StoredMessage]]:
        account = await services.directory.get_account(ALICE)
        result = {}
        for mailbox in await services.mailstore.list_mailboxes(account.id):
            _, metas = await services.mailstore.snapshot(mailbox.id)
            records = await services.mailstore.fetch(mailbox.id, [meta.uid for meta in metas])
            raw = await services.mailstore.read_messages(mailbox.id, records)
            result[mailbox.name] = {
                record.uid: StoredMessage(Flag(record.flags), record.keywords, raw[record.uid])
                for record in records
            }
        return result

    return in_store(data, work)


def store_flags(data: Path, mailbox: str, uids: list[int], mode: str, flags: list[str]) -> None:
    async def work(services: Services) -> None:
        account_id, mailbox_id = await mailbox_ids(services, mailbox)
        await services.mailstore.store_flags(account_id, mailbox_id, uids, mode, flags)

    in_store(data, work)


def expunge(data: Path, mailbox: str, uids: list[int]) -> None:
    """What another device's ``UID STORE +FLAGS (\\Deleted)`` + ``UID EXPUNGE`` does."""

    async def work(services: Services) -> None:
        account_id, mailbox_id = await mailbox_ids(services, mailbox)
        await services.mailstore.store_flags(account_id, mailbox_id, uids, "add", ["\\Deleted"])
        assert (await services.mailstore.expunge(account_id, mailbox_id, uids)).uids == tuple(uids)

    in_store(data, work)


def new_server_data(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """``courriel init --dev`` on free ports, with ALICE (after the ``require`` checks, so a
    skipped test costs nothing)."""
    data = tmp_path / "data"
    return data, init_data(data, accounts=(ALICE,))


# --- a varied mailbox ----------------------------------------------------------------------

SENDERS = (
    "Bob Example <bob@example.net>",
    '"Dupont, Jeanne" <jeanne.dupont@example.fr>',
    "=?utf-8?q?Fran=C3=A7ois_B=C3=A9ranger?= <francois@example.org>",
    "noreply@lists.example.com",
)
WORDS = ("pelican", "walrus", "heron", "quarterly", "figures", "meeting", "agenda", "report")


def paragraph(rng: random.Random, lines: int) -> str:
    return "".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12))) + "\r\n"
        for _ in range(lines)
    )


def base64_lines(payload: bytes) -> str:
    encoded = base64.b64encode(payload).decode()
    return "".join(encoded[i : i + 76] + "\r\n" for i in range(0, len(encoded), 76))


def varied_message(folder: str, index: int) -> bytes:
    """One of six shapes (plain, 8-bit UTF-8, attachment, alternative, forwarded, traps for
    mbox-minded clients), sizes from a line to 300 KB; unique by Message-ID."""
    rng = random.Random(f"{folder}/{index}")
    date = datetime(2024, 1, 1, 8, tzinfo=UTC) + timedelta(minutes=37 * index)
    slug = folder.replace("/", ".")
    head = (
        f"From: {SENDERS[index % len(SENDERS)]}\r\n"
        f"To: Alice <{ALICE}>\r\n"
        f"Date: {format_datetime(date)}\r\n"
        f"Message-ID: <{slug}.{index}@example.net>\r\n"
    )
    kind = index % 6
    if kind == 0:
        body = paragraph(rng, rng.randint(0, 40))
        return (f"{head}Subject: Note {index}\r\n\r\n{body}").encode()
    if kind == 1:
        return (
            f"{head}Subject: =?utf-8?q?Caf=C3=A9_n=C2=B0{index}?=\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"Bonjour, « café » n° {index} — déjà vu, naïve façade, 日本語.\r\n"
            + paragraph(rng, rng.randint(1, 10))
        ).encode()
    if kind == 2:
        size = 300_000 if index % 500 == 2 else rng.randint(100, 8000)
        return (
            f"{head}Subject: Report {index}\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="mixed-{index}"\r\n\r\n'
            "This is a multi-part message in MIME format.\r\n"
            f"--mixed-{index}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            + paragraph(rng, 3)
            + f"--mixed-{index}\r\nContent-Type: application/octet-stream; name=data{index}.bin\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="data{index}.bin"\r\n\r\n'
            + base64_lines(rng.randbytes(size))
            + f"--mixed-{index}--\r\n"
        ).encode()
    if kind == 3:
        text = paragraph(rng, 4)
        return (
            f"{head}Subject: Newsletter {index}\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="alt-{index}"\r\n\r\n'
            f"--alt-{index}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            f"{text}Prix : 10 =E2=82=AC, soft=\r\nbreak\r\n"
            f"--alt-{index}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            f"<html><body><p>{text}</p></body></html>\r\n"
            f"--alt-{index}--\r\n"
        ).encode()
    if kind == 4:
        return (
            f"{head}Subject: Fwd: Minutes {index}\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="fwd-{index}"\r\n\r\n'
            f"--fwd-{index}\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
            f"--fwd-{index}\r\nContent-Type: message/rfc822\r\n\r\n"
            "From: carol@example.org\r\nSubject: Minutes\r\n\r\n"
            + paragraph(rng, 5)
            + f"--fwd-{index}--\r\n"
        ).encode()
    return (
        f"{head}Subject: Traps {index}\r\nX-Folded: a header\r\n\tfolded on two lines\r\n\r\n"
        'From the desk of the editor (an mbox "From " line)\r\n>From quoted\r\n.\r\n'
        "..two dots\r\ntrailing spaces   \r\n\ttab first\r\n"
        + "x" * 990
        + "\r\n\r\n\r\nlast line without a line break"
    ).encode()


def initial_flags(index: int) -> tuple[str, ...]:
    flags = []
    if index % 3 == 0:
        flags.append("\\Seen")
    if index % 7 == 0:
        flags.append("\\Flagged")
    if index % 10 == 0:
        flags.append("\\Answered")
    if index % 50 == 49:
        flags.append("\\Draft")
    if index % 20 == 1:
        flags.append("$Forwarded")  # a keyword (RFC 5550), the Maildir "P" flag
    return tuple(flags)


def varied_mailboxes(sizes: dict[str, int]) -> Filling:
    return {
        name: [(varied_message(name, i), initial_flags(i), None) for i in range(count)]
        for name, count in sizes.items()
    }


# --- isync (mbsync) -----------------------------------------------------------------------

#: The Maildir info letters mbsync maps to IMAP flags ("P", passed, is $Forwarded).
MAILDIR_LETTERS = {
    "D": Flag.DRAFT,
    "F": Flag.FLAGGED,
    "P": Flag.FORWARDED,
    "R": Flag.ANSWERED,
    "S": Flag.SEEN,
}
SYNCED_FLAGS = Flag.DRAFT | Flag.FLAGGED | Flag.FORWARDED | Flag.ANSWERED | Flag.SEEN


def maildir_letters(flags: Flag) -> str:
    return "".join(letter for letter, flag in sorted(MAILDIR_LETTERS.items()) if flag in flags)


def isync_version() -> tuple[int, ...]:
    output = run(["mbsync", "--version"]).stdout.decode()
    found = re.search(r"isync (\d+)\.(\d+)", output)
    assert found, output
    return (int(found[1]), int(found[2]))


def mbsyncrc(path: Path, server: RunningServer, maildir: Path, *, starttls: bool) -> None:
    """Implicit TLS on the imaps listener, or STARTTLS on the imap one; the certificate
    checked against the server's own."""
    # isync 1.5 renamed SSLType to TLSType (and SSLVersions to TLSVersions).
    tls_type = "TLSType" if isync_version() >= (1, 5) else "SSLType"
    path.write_text(
        "IMAPAccount courriel\n"
        f"Host {HOST}\n"
        f"Port {server.ports['imap' if starttls else 'imaps']}\n"
        f"User {ALICE}\n"
        f'Pass "{PASSWORD}"\n'
        f"{tls_type} {'STARTTLS' if starttls else 'IMAPS'}\n"
        f"CertificateFile {server.data / 'tls/cert.pem'}\n"
        "\n"
        "IMAPStore server\nAccount courriel\n\n"
        "MaildirStore laptop\n"
        f"Path {maildir}/\n"
        f"Inbox {maildir}/INBOX\n"
        "SubFolders Verbatim\n\n"
        "Channel mail\n"
        "Far :server:\n"
        "Near :laptop:\n"
        "Patterns *\n"
        "Create Both\n"
        "Expunge Both\n"
        "Sync All\n"
        "SyncState *\n"
    )


def mbsync(config: Path, home: Path) -> list[str]:
    """Sync every channel with the protocol traced (``-Dn``: commands and responses, no
    message contents); the IMAP commands mbsync sent, without their tags. Pipelined commands
    are traced as ``(N in progress) >>> TAG COMMAND``."""
    result = run(["mbsync", "-Dn", "-c", str(config), "-a"], env=client_env(home), timeout=120)
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 0, output[-5000:]
    return re.findall(r"^(?:\(\d+ in progress\) )?>>> \d+ (.*?)\r?$", output, flags=re.MULTILINE)


def transfers(commands: list[str]) -> list[str]:
    """The commands that move a message or change one: a body FETCH, APPEND, STORE, EXPUNGE,
    CREATE."""
    moving = re.compile(r"^(APPEND|UID STORE|STORE|UID EXPUNGE|EXPUNGE|CREATE)\b|BODY", re.I)
    return [command for command in commands if moving.search(command)]


@dataclass(frozen=True)
class LocalMessage:
    path: Path
    letters: str
    raw: bytes


def maildir_folder(maildir: Path, mailbox: str) -> Path:
    return maildir / mailbox  # SubFolders Verbatim: "Projects/2024" is Projects/2024/


def local_messages(folder: Path) -> dict[int, LocalMessage]:
    """The messages of one Maildir folder by the server UID mbsync paired them with (its
    ``.mbsyncstate``: ``far-uid near-uid flags`` lines; the near UID is in the file name)."""
    by_near_uid = {}
    for path in [*(folder / "cur").iterdir(), *(folder / "new").iterdir()]:
        found = re.search(r",U=(\d+)(?::2,([A-Z]*))?$", path.name)
        assert found, path
        by_near_uid[int(found[1])] = LocalMessage(path, found[2] or "", path.read_bytes())
    state = (folder / ".mbsyncstate").read_text().split("\n\n", 1)[1]
    pairs = [line.split(" ", 2)[:2] for line in state.splitlines() if line]
    assert all(far != "0" and near != "0" for far, near in pairs), state  # all propagated
    assert len(pairs) == len(by_near_uid)
    return {int(far): by_near_uid[int(near)] for far, near in pairs}


def without_tuid(raw: bytes) -> bytes:
    """mbsync marks every message it copies (either way) with an ``X-TUID`` header line, its
    own tracking, added at the end of the header: the one line a copy may differ by."""
    header_end = raw.find(b"\n\n")
    tuid = re.search(rb"^X-TUID: \S+\n", raw, flags=re.MULTILINE)
    if tuid is None or (header_end != -1 and tuid.start() > header_end):
        return raw
    return raw[: tuid.start()] + raw[tuid.end() :]


def as_maildir(raw: bytes) -> bytes:
    """Maildir files have the local line ending: mbsync turns CRLF into LF, nothing else."""
    return raw.replace(b"\r\n", b"\n")


def assert_in_sync(server: dict[str, dict[int, StoredMessage]], maildir: Path) -> None:
    """Every server message is in the Maildir byte for byte, with its flags, and nothing else
    is."""
    for name, messages in server.items():
        local = local_messages(maildir_folder(maildir, name))
        assert sorted(local) == sorted(messages), name
        for uid, stored in messages.items():
            copy = local[uid]
            # The copy mbsync made (downloaded, or uploaded) has the X-TUID line.
            expected = without_tuid(as_maildir(stored.raw))
            assert without_tuid(copy.raw) == expected, (name, uid, copy.path)
            assert copy.letters == maildir_letters(stored.flags & SYNCED_FLAGS), (name, uid)


def maildir_tree(maildir: Path) -> dict[str, bytes]:
    """Every file under the Maildir (messages with their flags in the name, the sync states)."""
    return {
        str(path.relative_to(maildir)): path.read_bytes()
        for path in maildir.rglob("*")
        if path.is_file()
    }


def test_mbsync_two_way_sync_of_thousands_of_messages(tmp_path: Path) -> None:
    require("mbsync", "isync")
    data, ports = new_server_data(tmp_path)
    sizes = {"INBOX": 2000, "Projects/2024": 40, "Lists/python": 25, "Sent": 15}
    fill(data, varied_mailboxes(sizes))
    maildir, home, config = tmp_path / "Maildir", tmp_path / "home", tmp_path / "mbsyncrc"
    maildir.mkdir()
    with running_server(data, ports) as server:
        mbsyncrc(config, server, maildir, starttls=False)

        # (a) the first sync copies everything, byte for byte, with the flags.
        started = time.monotonic()
        first = mbsync(config, home)
        first_sync_seconds = time.monotonic() - started
        before = server_mailboxes(data)
        assert {name: len(before[name]) for name in sizes} == sizes
        assert_in_sync(before, maildir)
        body_fetches = [command for command in first if "BODY.PEEK[]" in command]
        assert len(body_fetches) == sum(sizes.values())  # each message downloaded once
        assert first_sync_seconds < 30, first_sync_seconds

        # (b) a second sync moves nothing: mbsync asks for UIDs and flags and nothing more (no
        # body FETCH, APPEND, STORE, EXPUNGE, CREATE), and its Maildir, file names (flags)
        # and sync states included, is unchanged to the byte.
        tree = maildir_tree(maildir)
        second = mbsync(config, home)
        assert any(c.startswith("UID FETCH ") and "FLAGS" in c for c in second), second
        assert transfers(second) == []
        assert maildir_tree(maildir) == tree
        assert server_mailboxes(data) == before

        # (c) a change on each side reaches the other.
        inbox = local_messages(maildir_folder(maildir, "INBOX"))
        plain = [uid for uid, m in sorted(before["INBOX"].items()) if not m.flags & SYNCED_FLAGS]
        to_flag, to_delete_locally, to_expunge_on_server, to_see_on_server = plain[:4]
        flagged = next(uid for uid, m in before["INBOX"].items() if Flag.FLAGGED in m.flags)
        # Locally: read and flag one, unflag another, delete a third, file a new message
        # (in INBOX/new, as a delivery agent would) and a new folder with one message.
        for uid, letters in (
            (to_flag, "FS"),
            (flagged, inbox[flagged].letters.replace("F", "")),
        ):
            path = inbox[uid].path
            renamed = re.sub(r":2,[A-Z]*$", f":2,{letters}", path.name)
            path.rename(path.parent.parent / "cur" / renamed)
        inbox[to_delete_locally].path.unlink()
        written_here = (
            b"From: Alice <alice@example.test>\nTo: bob@example.net\nSubject: Written offline\n"
            b"Message-ID: <offline@example.test>\n\nDrafted on the train.\n"
        )
        (maildir / "INBOX/new/1700000000.1.laptop").write_bytes(written_here)
        new_folder = maildir / "Receipts"
        for sub in ("cur", "new", "tmp"):
            (new_folder / sub).mkdir(parents=True)
        receipt = b"From: shop@example.com\nSubject: Your receipt\n\nThank you.\n"
        (new_folder / "cur/1700000001.2.laptop:2,S").write_bytes(receipt)
        # On the server (another device): one read, one expunged.
        store_flags(data, "INBOX", [to_see_on_server], "add", ["\\Seen"])
        expunge(data, "INBOX", [to_expunge_on_server])

        mbsyncrc(config, server, maildir, starttls=True)  # the same account, another listener
        third = mbsync(config, home)
        assert "STARTTLS" in third, third[:5]
        moved = transfers(third)
        for expected in ('CREATE "Receipts"', 'APPEND "Receipts"', 'APPEND "INBOX"', "UID STORE"):
            assert any(command.startswith(expected) for command in moved), (expected, moved)
        after = server_mailboxes(data)
        server_inbox = after["INBOX"]
        assert server_inbox[to_flag].flags & SYNCED_FLAGS == Flag.SEEN | Flag.FLAGGED
        assert Flag.FLAGGED not in server_inbox[flagged].flags
        assert to_delete_locally not in server_inbox
        assert to_expunge_on_server not in server_inbox
        appended = [m for uid, m in server_inbox.items() if uid not in before["INBOX"]]
        assert [without_tuid(as_maildir(m.raw)) for m in appended] == [written_here]
        assert b"\n" not in appended[0].raw.replace(b"\r\n", b"")  # CRLF on the wire
        receipts = list(after["Receipts"].values())
        assert [without_tuid(as_maildir(m.raw)) for m in receipts] == [receipt]
        assert [m.flags for m in after["Receipts"].values()] == [Flag.SEEN]
        local_inbox = local_messages(maildir_folder(maildir, "INBOX"))
        assert to_expunge_on_server not in local_inbox
        assert "S" in local_inbox[to_see_on_server].letters
        assert len(local_inbox) == sizes["INBOX"] - 2 + 1
        assert_in_sync(after, maildir)

        # ... and once more nothing moves.
        tree = maildir_tree(maildir)
        assert transfers(mbsync(config, home)) == []
        assert maildir_tree(maildir) == tree
        assert server_mailboxes(data) == after


# --- mutt, in tmux ------------------------------------------------------------------------


def note(subject: str, body: str, day: int) -> bytes:
    return (
        f"From: Bob Example <bob@example.net>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(datetime(2023, 12, day, 9, tzinfo=UTC))}\r\n"
        f"Message-ID: <note.{day}@example.net>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


@dataclass
class Tmux:
    """A tmux server of its own (socket in tmp_path) running one client program in a
    session called ``client``; the program's exit status goes to ``status_file``."""

    socket: Path
    status_file: Path
    env: dict[str, str]

    def __call__(self, *argv: str) -> str:
        result = run(["tmux", "-u", "-S", str(self.socket), *argv], env=self.env, timeout=10)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        return result.stdout.decode()

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "client")

    def keys(self, *keys: str) -> None:
        self("send-keys", "-t", "client", *keys)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not on the screen within {timeout} s:\n{screen}")

    def wait_for_match(self, pattern: str, timeout: float = 20) -> re.Match[str]:
        """The first match of ``pattern`` once the screen shows one (a status line drawn
        whole, not half-way through a redraw)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            found = re.search(pattern, screen)
            if found:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not on the screen within {timeout} s:\n{screen}")

    def wait_for_exit(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status_file.exists() and self.status_file.read_text().strip():
                return int(self.status_file.read_text())
            time.sleep(0.1)
        raise AssertionError(f"the client did not exit within {timeout} s:\n{self.screen()}")


@contextmanager
def tmux_session(tmp_path: Path, command: list[str], env: dict[str, str]) -> Iterator[Tmux]:
    tmux = Tmux(tmp_path / "tmux.socket", tmp_path / "client.status", env)
    tmux.status_file.unlink(missing_ok=True)
    shell_command = f"{shlex.join(command)}; echo $? > {shlex.quote(str(tmux.status_file))}"
    # -f /dev/null: no tmux.conf from the machine (key bindings, a status line, ...)
    tmux(
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-s",
        "client",
        "-x",
        "160",
        "-y",
        "45",
        shell_command,
    )
    try:
        yield tmux
    finally:
        run(["tmux", "-S", str(tmux.socket), "kill-server"], env=env, timeout=10)


def deliver_over_smtp(server: RunningServer, raw: bytes) -> None:
    """A delivery through the running server, so that its sessions are told (IDLE)."""
    with smtplib.SMTP(HOST, server.ports["smtp"], timeout=20) as client:
        assert client.sendmail("bob@example.net", [ALICE], raw) == {}


def write_muttrc(path: Path, server: RunningServer, cache: Path) -> None:
    path.write_text(
        f'set folder = "imaps://{HOST}:{server.ports["imaps"]}/"\n'
        'set spoolfile = "+INBOX"\n'
        f'set imap_user = "{ALICE}"\n'
        f'set imap_pass = "{PASSWORD}"\n'
        # GnuTLS mutt trusts the certificates in this file (the dev certificate is
        # self-signed and names 127.0.0.1).
        f'set certificate_file = "{server.data / "tls/cert.pem"}"\n'
        "set ssl_force_tls = yes\n"
        # The header cache is what lets mutt resynchronise with QRESYNC (RFC 7162) when
        # it opens the mailbox again.
        f'set header_cache = "{cache}/"\nset imap_qresync = yes\n'
        'set message_cachedir = ""\n'
        # IDLE, and a look at the connection every second, so new mail shows at once.
        "set imap_idle = yes\nset timeout = 1\nset mail_check = 1\n"
        "set sort = date\nset quit = yes\nset delete = yes\nset resolve = yes\n"
        "set mark_old = no\nset wait_key = no\nset imap_check_subscribed = no\n"
    )


def limit(tmux: Tmux, pattern: str, total: int) -> int:
    """Limit mutt's index to ``pattern``: how many messages it shows (then back to all)."""
    tmux.keys("l", pattern, "Enter")
    shown = tmux.wait_for_match(rf"Msgs:(\d+)/{total} ")  # the status line, SHOWN/TOTAL
    tmux.keys("l", "all", "Enter")
    tmux.wait_for(f"Msgs:{total} ")
    return int(shown[1])


def index_line(screen: str, subject: str) -> str:
    return next(line for line in screen.splitlines() if subject in line)


def test_mutt_reads_flags_deletes_idles_and_resynchronises(tmp_path: Path) -> None:
    require("mutt", "mutt")
    require("tmux", "tmux")
    data, ports = new_server_data(tmp_path)
    notes = [
        note("Pelican migration report", "The pelicans arrived early this year.", 1),
        note("Walrus sightings", "Two walruses on the beach.", 2),
        note("=?utf-8?q?Caf=C3=A9_au_lait?=", "Un café, s'il vous plaît.", 3),
    ]
    later = varied_mailboxes({"INBOX": 60})["INBOX"]  # dated 2024: after the notes
    fill(data, {"INBOX": [*((raw, (), None) for raw in notes), *later]})
    home, muttrc, cache = tmp_path / "home", tmp_path / "muttrc", tmp_path / "cache"
    cache.mkdir()
    env = client_env(home)
    # -d 4: mutt's protocol trace in ~/.muttdebug0 (the second session's is read below)
    mutt = ["mutt", "-n", "-F", str(muttrc), "-d", "4"]
    with running_server(data, ports) as server:
        write_muttrc(muttrc, server, cache)
        before = server_mailboxes(data)["INBOX"]
        count = len(before)

        with tmux_session(tmp_path, mutt, env) as tmux:
            index = tmux.wait_for(f"Msgs:{count} ")
            for subject in ("Pelican migration report", "Walrus sightings", "Café au lait"):
                assert subject in index, index
            assert "Note 0" in index and "Report 2" in index  # the 2024 ones follow
            # New mail while mutt idles shows up by itself.
            deliver_over_smtp(server, note("Arrived during IDLE", "Pushed.", 10))
            index = tmux.wait_for(f"Msgs:{count + 1} ", timeout=5)
            assert "Arrived during IDLE" in index, index
            tmux.keys("Enter")  # the first message, in the pager
            tmux.wait_for("The pelicans arrived early this year.")
            # Back to the index, flag the first, delete the second (resolve moves down),
            # quit: mutt writes the flags and expunges.
            tmux.keys("q")
            tmux.wait_for(f"Msgs:{count + 1} ")
            tmux.keys("F", "d", "q")
            assert tmux.wait_for_exit() == 0
        after = server_mailboxes(data)["INBOX"]
        assert after[1].flags == Flag.SEEN | Flag.FLAGGED
        assert 2 not in after
        pushed = max(after)
        assert b"Subject: Arrived during IDLE" in after[pushed].raw
        assert {uid: m.flags for uid, m in after.items() if uid not in (1, pushed)} == {
            uid: m.flags for uid, m in before.items() if uid not in (1, 2)
        }

        # Meanwhile, on another device: one expunged, one flagged, one new.
        expunge(data, "INBOX", [3])
        store_flags(data, "INBOX", [pushed], "add", ["\\Flagged"])
        fill(data, {"INBOX": [(note("Arrived later", "After mutt quit.", 11), (), None)]})
        with tmux_session(tmp_path, mutt, env) as tmux:
            index = tmux.wait_for(f"Msgs:{count} ")  # - Walrus - Café + IDLE + later
            assert "Café au lait" not in index and "Arrived later" in index, index
            assert "!" in index_line(index, "Arrived during IDLE").split("Dec 10")[0], index
            # The server's search (=b: UID SEARCH BODY, the full-text index) finds what
            # mutt's own (~b: it downloads and decodes every body) finds.
            found_by_server = limit(tmux, "=b walrus", count)
            found_by_mutt = limit(tmux, "~b walrus", count)
            assert 0 < found_by_server == found_by_mutt < count
            tmux.keys("q")
            assert tmux.wait_for_exit() == 0
        trace = (home / ".muttdebug0").read_text(errors="replace")
        assert 'UID SEARCH BODY "walrus"' in trace
        # mutt resynchronised from its header cache (RFC 7162 §3.2.6: UID FETCH with
        # CHANGEDSINCE and VANISHED), and was told of the messages expunged since the MODSEQ
        # it had cached: Café (UID 3), maybe also the one it deleted itself (UID 2),
        # depending on when it last saved that MODSEQ.
        assert re.search(r"> a\d+ UID FETCH 1:\d+ \(FLAGS\) \(CHANGEDSINCE \d+ VANISHED\)", trace)
        vanished = re.findall(r"< \* VANISHED \(EARLIER\) ([\d:,]+)", trace)
        assert vanished in (["3"], ["2:3"], ["2,3"]), vanished


# --- curl ---------------------------------------------------------------------------------


def curl(server: RunningServer, url: str, *argv: str) -> bytes:
    result = run(
        [
            "curl",
            "-sS",
            "--max-time",
            "20",
            "--cacert",
            str(server.data / "tls/cert.pem"),  # verified, 127.0.0.1 included
            "--user",
            f"{ALICE}:{PASSWORD}",
            *argv,
            url,
        ],
        timeout=30,
    )
    assert result.returncode == 0, (url, argv, result.stderr.decode(errors="replace"))
    return result.stdout


def test_curl_lists_examines_fetches_searches_and_appends(tmp_path: Path) -> None:
    require("curl", "curl")
    data, ports = new_server_data(tmp_path)
    report = (
        b"From: Bob Example <bob@example.net>\r\nSubject: Quarterly figures\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        b"--b1\r\nContent-Type: text/plain\r\n\r\nQuarterly pelican figures attached.\r\n"
        b"--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQK\r\n--b1--\r\n"
    )
    messages = [
        note("Expunged pelican", "A pelican, soon gone.", 1),
        note("Pelican news", "The pelican numbers look excellent.", 2),
        report,
        note("Walrus update", "Nothing about birds.", 3),
        note("Heron", "Herons only.", 4),
    ]
    fill(data, {"INBOX": [(raw, (), None) for raw in messages], "Projects/2024": []})
    expunge(data, "INBOX", [1])  # UIDs 2..5 are now sequence numbers 1..4
    with running_server(data, ports) as server:
        imaps = f"imaps://{HOST}:{server.ports['imaps']}"

        listing = curl(server, f"{imaps}/").decode()
        names = {line.rsplit(" ", 1)[-1] for line in listing.splitlines()}
        created = {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"}  # by provisioning
        assert created | {"Projects", "Projects/2024"} <= names, listing
        assert all(line.startswith("* LIST (") for line in listing.splitlines()), listing

        examined = curl(server, f"{imaps}/", "-X", "EXAMINE INBOX").decode()
        assert "* 4 EXISTS\r\n" in examined and "[UIDNEXT 6]" in examined, examined

        # UID 3 is message 2: curl asks by UID (UID FETCH 3 BODY[]), or this would differ.
        assert curl(server, f"{imaps}/INBOX;UID=3") == report
        part = curl(server, f"{imaps}/INBOX;UID=3;SECTION=1")  # BODY[1]
        assert part == b"Quarterly pelican figures attached."
        found = curl(server, f"{imaps}/INBOX", "-X", "UID SEARCH TEXT pelican")
        assert found == b"* SEARCH 2 3\r\n"

        # STARTTLS on the plaintext listener, required (curl fails rather than log in in clear).
        upgraded = f"imap://{HOST}:{server.ports['imap']}"
        assert curl(server, f"{upgraded}/INBOX;UID=4", "--ssl-reqd") == messages[3]

        draft = tmp_path / "draft.eml"
        draft.write_bytes(note("Draft from curl", "Uploaded with APPEND.", 9))
        curl(server, f"{imaps}/Drafts", "--upload-file", str(draft))
    stored = server_mailboxes(data)
    assert [m.raw for m in stored["Drafts"].values()] == [draft.read_bytes()]
    assert stored["INBOX"][3].flags == Flag.SEEN  # BODY[] sets \Seen (RFC 9051 §6.4.5)
    assert stored["INBOX"][4].flags == Flag.SEEN
    assert stored["INBOX"][2].flags == Flag(0)  # EXAMINE and SEARCH change nothing
