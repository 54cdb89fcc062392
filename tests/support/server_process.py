"""A real ``courriel serve`` process on loopback for integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from courriel.config import load_config
from courriel.runtime.services import open_services

COURRIEL = [sys.executable, "-m", "courriel"]
PASSWORD = "correct horse battery"


def courriel(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COURRIEL, *argv], input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: held open together while they are chosen (ports
    probed one after the other may come back twice)."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]


def free_port() -> int:
    return free_ports(1)[0]


@dataclass
class RunningServer:
    data: Path
    log: Path
    ports: dict[str, int]
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text()


def wait_for(path: Path, text: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    content = ""
    while time.monotonic() < deadline:
        content = path.read_text() if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not seen in {path}:\n{content}")


def init_data(
    data: Path, domain: str = "example.test", accounts: tuple[str, ...] = ()
) -> dict[str, int]:
    """``courriel init --dev`` with free ports instead of the fixed dev ports."""
    assert courriel("init", domain, "--dev", "--data", str(data)).returncode == 0
    config = data / "courriel.toml"
    text = config.read_text()
    ports = {}
    chosen = iter(free_ports(9))
    for name, dev_port in (
        ("smtp", 2525),
        ("submission", 2587),
        ("submissions", 2465),
        ("imap", 2143),
        ("imaps", 2993),
        ("pop3", 2110),
        ("pop3s", 2995),
        ("https", 8443),
        ("http", 8080),
    ):
        ports[name] = next(chosen)
        text = text.replace(f"port = {dev_port}\n", f"port = {ports[name]}\n")
    config.write_text(text)
    for address in accounts:
        added = courriel(
            "account",
            "add",
            address,
            "--password-stdin",
            "--data",
            str(data),
            stdin=PASSWORD + "\n",
        )
        assert added.returncode == 0, added.stderr
    return ports


@contextmanager
def running_server(data: Path, ports: dict[str, int]) -> Iterator[RunningServer]:
    log = data / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*COURRIEL, "serve", "--data", str(data)], stdout=output, stderr=subprocess.STDOUT
        )
    server = RunningServer(data, log, ports, process)
    try:
        wait_for(log, "courriel ready")
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def inbox(data: Path, address: str) -> list[bytes]:
    """The messages in ``address``'s INBOX of the store in ``data``, read directly."""

    async def read() -> list[bytes]:
        services = open_services(load_config(data / "courriel.toml"), parse_workers=0)
        try:
            account = await services.directory.get_account(address)
            mailbox = await services.mailstore.get_mailbox(account.id, "INBOX")
            _, metas = await services.mailstore.snapshot(mailbox.id)
            records = await services.mailstore.fetch(mailbox.id, [m.uid for m in metas])
            return [await services.mailstore.read_message(r) for r in records]
        finally:
            await services.aclose()

    return asyncio.run(read())


def require(program: str, package: str) -> None:
    """Skip the test, saying how to install it, when a client program is missing."""
    import pytest  # noqa: PLC0415 - only tests call this

    if shutil.which(program) is None:
        pytest.skip(
            f"{program} is not installed (Debian package {package}; "
            "scripts/install-debian-packages scripts/debian-packages.txt)"
        )
