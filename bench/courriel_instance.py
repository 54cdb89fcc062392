#!/usr/bin/env python3
"""Set up and start a courriel instance shaped like the benchmark peers.

Like ``../shared/bench/peers/postfix-dovecot.sh``: one domain ``example.test`` with accounts
``user1..userN@example.test`` (one password for all), listeners on loopback high ports (SMTP
3525, IMAP 3143, POP3 3110 by default, so they do not collide with the peers' 2525/1143/1110),
plaintext allowed on loopback like the peers' configuration. Then point the shared scripts
at it, e.g.::

    .venv/bin/python bench/courriel_instance.py setup /tmp/courriel-bench/courriel
    .venv/bin/python bench/courriel_instance.py start /tmp/courriel-bench/courriel   # prints PID
    python3 ../shared/bench/smtp_load.py --port 3525 -c 50 -n 10000 --no-verify \\
        --server-pid $(cat /tmp/courriel-bench/courriel/serve.pid)
    .venv/bin/python bench/courriel_instance.py stop /tmp/courriel-bench/courriel

The password is the peers' ``secret`` when the policy allows it: the instance is set up with
``auth.min_password_length = 8`` and a password given by ``--password`` (default
``secret-secret``), since courriel refuses six-character passwords.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from courriel.config import load_config
from courriel.runtime.services import open_services

PORTS = {
    "smtp": 3525,
    "submission": 3587,
    "submissions": 3465,
    "imap": 3143,
    "imaps": 3993,
    "pop3": 3110,
    "pop3s": 3995,
    "https": 3443,
    "http": 3080,
}
DEV_PORTS = {
    "smtp": 2525,
    "submission": 2587,
    "submissions": 2465,
    "imap": 2143,
    "imaps": 2993,
    "pop3": 2110,
    "pop3s": 2995,
    "https": 8443,
    "http": 8080,
}


def setup(data: Path, users: int, password: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "courriel", "init", "example.test", "--dev", "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(result.stderr)
    config = data / "courriel.toml"
    text = config.read_text()
    for name, port in PORTS.items():
        text = text.replace(f"port = {DEV_PORTS[name]}\n", f"port = {port}\n")
    text = text.replace("min_password_length = 12", "min_password_length = 8")
    # The load generators open up to 50 connections (and 1,000 IDLE ones) from 127.0.0.1.
    text = text.replace("max_connections_per_ip = 20", "max_connections_per_ip = 2000")
    config.write_text(text)

    async def accounts() -> None:
        services = open_services(load_config(config), parse_workers=0)
        try:
            for index in range(1, users + 1):
                await services.directory.add_account(f"user{index}@example.test", password)
        finally:
            await services.aclose()

    asyncio.run(accounts())
    print(f"set up {data}: {users} accounts, password {password!r}, ports {PORTS}")


def start(data: Path) -> None:
    log = (data / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "courriel", "serve", "--data", str(data)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    (data / "serve.pid").write_text(str(process.pid))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if "courriel ready" in (data / "serve.log").read_text():
            print(process.pid)
            return
        time.sleep(0.1)
    sys.exit("courriel did not start; see " + str(data / "serve.log"))


def stop(data: Path) -> None:
    pid_file = data / "serve.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            os.kill(pid, 0)
            time.sleep(0.1)
    except ProcessLookupError:
        pass
    pid_file.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["setup", "start", "stop"])
    parser.add_argument("data", type=Path)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--password", default="secret-secret")
    args = parser.parse_args()
    {
        "setup": lambda: setup(args.data, args.users, args.password),
        "start": lambda: start(args.data),
        "stop": lambda: stop(args.data),
    }[args.action]()


if __name__ == "__main__":
    main()
