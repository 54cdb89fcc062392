"""Nothing acknowledged is lost on kill -9 (DESIGN.md §3, "Durability").

A child process (``support/durability_writer.py``) appends small inline and large
file-backed messages from several concurrent writers and prints each append's UID and
SHA-256 only after the append returned. The parent SIGKILLs it mid-stream, reopens the store
and checks every acknowledged message, byte for byte, then lets a new child continue on the
recovered store and kills that one at another point.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from courriel.storage.sqlite import open_embedded_store
from support.backends import EmbeddedBackend, assert_consistent, make_account

TESTS = Path(__file__).resolve().parents[2]
WRITER = TESTS / "support" / "durability_writer.py"
SHA256_NAME = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Ack:
    sha256: str
    size: int
    inline: bool


def _parse(line: bytes, acks: dict[int, Ack]) -> None:
    uid, sha256, size, inline = line.decode("ascii").split()
    assert int(uid) not in acks, f"UID {uid} acknowledged twice"
    acks[int(uid)] = Ack(sha256, int(size), inline == "1")


async def _run_and_kill(
    root: Path, ids: tuple[int, int], seed: int, kill_after: int
) -> dict[int, Ack]:
    """Start a writer, read ``kill_after`` acknowledgements, SIGKILL it; every ack it printed."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(WRITER),
        str(root),
        str(ids[0]),
        str(ids[1]),
        "8",
        str(seed),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment,
    )
    assert process.stdout is not None and process.stderr is not None
    acks: dict[int, Ack] = {}
    try:
        while len(acks) < kill_after:
            line = await asyncio.wait_for(process.stdout.readline(), 30)
            if not line:
                error = await process.stderr.read()
                pytest.fail(f"the writer stopped early:\n{error.decode(errors='replace')}")
            _parse(line, acks)
    finally:
        if process.returncode is None:
            process.kill()  # SIGKILL: no cleanup, no flush, no atexit
    rest = await asyncio.wait_for(process.stdout.read(), 30)
    *complete, _partial = rest.split(b"\n")  # a line cut by the kill is no acknowledgement
    for line in complete:
        _parse(line, acks)
    await process.stderr.read()
    assert await process.wait() == -signal.SIGKILL
    return acks


async def _check_store(root: Path, ids: tuple[int, int], acks: dict[int, Ack]) -> None:
    account_id, mailbox_id = ids
    store = open_embedded_store(root)
    try:
        backend = EmbeddedBackend(store)
        mailbox, metas = await store.mail.snapshot(mailbox_id)
        uids = [meta.uid for meta in metas]
        # No expunges: the committed UIDs are exactly 1..n, and every acknowledged one is there.
        assert uids == list(range(1, len(uids) + 1))
        assert mailbox.uid_next == len(uids) + 1
        missing = sorted(set(acks) - set(uids))
        assert missing == [], f"acknowledged but lost: {missing[:10]}"
        for record in await store.mail.fetch(mailbox_id, uids):
            if record.inline:
                data = await store.mail.read_content(record.sha256)
            else:
                data = await store.blobs.read(record.sha256)
            # Every visible row has all of its content, acknowledged or not.
            assert len(data) == record.size, record.uid
            assert hashlib.sha256(data).hexdigest() == record.sha256, record.uid
            ack = acks.get(record.uid)
            if ack is not None:
                assert (record.sha256, record.size, record.inline) == (
                    ack.sha256,
                    ack.size,
                    ack.inline,
                )
        await assert_consistent(backend, account_id)
    finally:
        store.close()
    # A file under a blob's name is always complete; a crash may leave temporary files, but
    # never under a name that could be taken for a blob.
    for path in (root / "blobs").rglob("*"):
        if not path.is_file():
            continue
        if SHA256_NAME.fullmatch(path.name):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name
            assert path.parent.name == path.name[:2]
        else:
            assert path.name.startswith(".tmp-"), path


async def test_acknowledged_appends_survive_sigkill(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = open_embedded_store(root)
    try:
        account, inbox = await make_account(EmbeddedBackend(store), "alice@example.test")
    finally:
        store.close()
    ids = (account.id, inbox.id)

    acknowledged: dict[int, Ack] = {}
    for seed, kill_after in enumerate([300, 75, 500, 180]):
        acks = await _run_and_kill(root, ids, seed, kill_after)
        assert len(acks) >= kill_after
        assert not set(acks) & set(acknowledged), "a UID was handed out twice"
        acknowledged.update(acks)
        await _check_store(root, ids, acknowledged)

    kinds = {ack.inline for ack in acknowledged.values()}
    assert kinds == {True, False}, "the run should mix inline and file-backed messages"
    assert len({ack.sha256 for ack in acknowledged.values()}) < len(acknowledged), (
        "the run should include deduplicated content"
    )
