"""IMAP with the clients Debian ships, against a real ``courriel serve`` (``--dev`` setup,
free loopback ports, the self-signed certificate in ``DATA/tls/cert.pem`` checked by every
client):

- isync's ``mbsync``: a two-way sync (``Create Both``, ``Expunge Both``, ``Sync All``) of an
  account of 2,000+ varied messages in four folders into a Maildir over implicit TLS; every
  message arrives byte for byte with its flags; a second sync transfers nothing; changes on
  each side (flags, deletions, new messages, a new folder) reach the other side, and a sync
  after that transfers nothing again.
- ``mutt`` in a tmux pane: the index lists the subjects (RFC 2047 decoded), the pager shows a
  body, a flag and a delete made in mutt are on the server when it quits.
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
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
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
from support.server_process import PASSWORD, RunningServer, init_data, running_server

pytestmark = pytest.mark.integration

ALICE = "alice@example.test"
HOST = "127.0.0.1"  # the dev certificate lists it, so clients verify the name too

T = TypeVar("T")


def require(program: str, package: str) -> None:
    if shutil.which(program) is None:
        pytest.skip(
            f"{program} is not installed (Debian package {package}; "
            "scripts/install-debian-packages scripts/debian-packages.txt)"
        )


def run(
    argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, capture_output=True, timeout=timeout, check=False, env=env)


def client_env(home: Path) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "HOME": str(home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


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
        assert (await services.mailstore.expunge(account_id, mailbox_id, uids)).uids == tuple(
            uids
        )

    in_store(data, work)


@pytest.fixture
def server_data(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    data = tmp_path / "data"
    return data, init_data(data, accounts=(ALICE,))


# --- a varied mailbox ----------------------------------------------------------------------

SENDERS = (
    "Bob Example <bob@example.net>",
    '"Dupont, Jeanne" <jeanne.dupont@example.fr>',
    "=?utf-8?q?Fran=C3=A7ois_B=C3=A9ranger?= <francois@example.org>",
    "noreply@lists.example.com",
)
WORDS = "pelican walrus heron quarterly figures meeting agenda invoice draft report".split()


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
        "From the desk of the editor (an mbox \"From \" line)\r\n>From quoted\r\n.\r\n"
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
        flags.append("$Forwarded")  # a keyword: mbsync 1.4 syncs system flags only
    return tuple(flags)


def varied_mailboxes(sizes: dict[str, int]) -> Filling:
    return {
        name: [(varied_message(name, i), initial_flags(i), None) for i in range(count)]
        for name, count in sizes.items()
    }


# --- isync (mbsync) -----------------------------------------------------------------------

MAILDIR_LETTERS = {"D": Flag.DRAFT, "F": Flag.FLAGGED, "R": Flag.ANSWERED, "S": Flag.SEEN}
SYNCED_FLAGS = Flag.DRAFT | Flag.FLAGGED | Flag.ANSWERED | Flag.SEEN


def maildir_letters(flags: Flag) -> str:
    return "".join(letter for letter, flag in sorted(MAILDIR_LETTERS.items()) if flag in flags)


def isync_version() -> tuple[int, ...]:
    output = run(["mbsync", "--version"]).stdout.decode()
    found = re.search(r"isync (\d+)\.(\d+)", output)
    assert found, output
    return (int(found[1]), int(found[2]))


def mbsyncrc(path: Path, server: RunningServer, maildir: Path) -> None:
    # isync 1.5 renamed SSLType to TLSType (and SSLVersions to TLSVersions).
    tls_type = "TLSType" if isync_version() >= (1, 5) else "SSLType"
    path.write_text(
        "IMAPAccount courriel\n"
        f"Host {HOST}\n"
        f"Port {server.ports['imaps']}\n"
        f"User {ALICE}\n"
        f'Pass "{PASSWORD}"\n'
        f"{tls_type} IMAPS\n"
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
    message contents); the IMAP commands mbsync sent, without their tags."""
    result = run(["mbsync", "-Dn", "-c", str(config), "-a"], env=client_env(home), timeout=120)
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert result.returncode == 0, output[-5000:]
    return re.findall(r"^>>> \d+ (.*)$", output, flags=re.MULTILINE)


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
    """mbsync marks every message it copies with an ``X-TUID`` header line (its own
    tracking, added at the end of the header): the one line a copy may differ by."""
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
            assert without_tuid(copy.raw) == as_maildir(stored.raw), (name, uid, copy.path)
            assert copy.letters == maildir_letters(stored.flags & SYNCED_FLAGS), (name, uid)


def maildir_tree(maildir: Path) -> dict[str, bytes]:
    """Every file under the Maildir (messages with their flags in the name, the sync states)."""
    return {
        str(path.relative_to(maildir)): path.read_bytes()
        for path in maildir.rglob("*")
        if path.is_file()
    }


def test_mbsync_two_way_sync_of_thousands_of_messages(
    server_data: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    require("mbsync", "isync")
    data, ports = server_data
    sizes = {"INBOX": 2000, "Projects/2024": 40, "Lists/python": 25, "Sent": 15}
    fill(data, varied_mailboxes(sizes))
    maildir, home, config = tmp_path / "Maildir", tmp_path / "home", tmp_path / "mbsyncrc"
    maildir.mkdir()
    with running_server(data, ports) as server:
        mbsyncrc(config, server, maildir)

        # (a) the first sync copies everything, byte for byte, with the flags.
        started = time.monotonic()
        first = mbsync(config, home)
        first_sync_seconds = time.monotonic() - started
        before = server_mailboxes(data)
        assert {name: len(before[name]) for name in sizes} == sizes
        assert_in_sync(before, maildir)
        assert sum("BODY.PEEK[]" in command for command in first) >= len(sizes)
        assert first_sync_seconds < 30, first_sync_seconds

        # (b) a second sync moves nothing: mbsync asks for UIDs and flags and nothing more (no
        # body FETCH, APPEND, STORE, EXPUNGE, CREATE), and its Maildir, file names (flags)
        # and sync states included, is unchanged to the byte.
        tree = maildir_tree(maildir)
        second = mbsync(config, home)
        assert any(command.startswith("UID FETCH 1:2000 ") for command in second), second
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

        third = mbsync(config, home)
        assert any(command.startswith("APPEND") for command in third), third
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

