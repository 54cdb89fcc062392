#!/usr/bin/env python3
"""A private Dovecot POP3 server with a filled maildrop, the peer for ``pop3_compare.py``.

The shared ``../shared/bench/peers/postfix-dovecot.sh`` runs the one Dovecot the SMTP
benchmarks use; this runs another, of its own, in ``DIR`` (configuration, Maildir, logs), so
a POP3 comparison never disturbs those. Like ``tests/support/dovecot.py`` it reads and
writes nothing under ``/etc`` and binds only loopback. The maildrop is written straight into
the Maildir (as Dovecot stores an IMAP APPEND: LF line ends, ``S=`` and ``W=`` sizes in the
file names), with the messages ``fill_maildrop.py`` gives courriel (``benchlib.gen_message``)::

    .venv/bin/python bench/pop3_dovecot.py start /tmp/pop3-bench/dovecot --port 4611 --count 10000
    .venv/bin/python bench/pop3_compare.py --rounds 5 \\
        --server courriel:4610:secret-secret:$(cat /tmp/pop3-bench/courriel/serve.pid) \\
        --server dovecot:4611:secret:$(cat /tmp/pop3-bench/dovecot/serve.pid)
    .venv/bin/python bench/pop3_dovecot.py stop /tmp/pop3-bench/dovecot

Needs Debian's ``dovecot-core`` and ``dovecot-pop3d``. Started as root, login processes run
as ``dovenull`` and mail access as ``nobody`` (Dovecot refuses root for both).
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from courriel_instance import stop

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.dovecot import dovecot_config, identity

SHARED_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
USER = "user1@example.test"
PASSWORD = "secret"


def fill(maildir: Path, count: int, size: int) -> None:
    """Write ``count`` messages into ``maildir``'s cur/, as Dovecot saves them."""
    sys.path.insert(0, str(SHARED_BENCH))
    import benchlib  # type: ignore[import-not-found]  # noqa: PLC0415 - the shared harness

    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    base = int(time.time()) - count
    for number in range(1, count + 1):
        wire = benchlib.gen_message(number, size=size, rcpt=USER)
        stored = wire.replace(b"\r\n", b"\n")
        name = f"{base + number}.M{number}P1.bench,S={len(stored)},W={len(wire)}:2,"
        (maildir / "cur" / name).write_bytes(stored)


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
            return connection.recv(100).startswith(b"+OK")
    except OSError:
        return False


def start(directory: Path, port: int, count: int, size: int) -> None:
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    for name in ("run", "state", "mail"):
        (directory / name).mkdir(exist_ok=True)
    _, mail_user, mail_group, _ = identity()
    maildir = directory / "mail" / USER
    if not (maildir / "cur").exists():
        fill(maildir, count, size)
    for path in [directory / "mail", *(directory / "mail").rglob("*")]:
        shutil.chown(path, mail_user, mail_group)
    (directory / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = directory / "dovecot.conf"
    config.write_text(
        dovecot_config(directory, port, protocol="pop3", instance="courriel-pop3-bench", fsync=True)
    )
    with (directory / "master.out").open("wb") as output:
        process = subprocess.Popen(
            [binary, "-F", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    (directory / "serve.pid").write_text(str(process.pid))  # as courriel_instance.stop reads
    deadline = time.monotonic() + 20
    while not _greets(port):
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"dovecot did not start; see {directory}/master.out and dovecot.log")
        time.sleep(0.05)
    print(process.pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--port", type=int, default=4611)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=5000)
    args = parser.parse_args()
    if args.action == "start":
        start(args.directory.resolve(), args.port, args.count, args.size)
    else:
        stop(args.directory.resolve())


if __name__ == "__main__":
    main()
