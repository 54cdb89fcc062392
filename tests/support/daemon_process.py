"""Run a helper daemon (clamd, rspamd, spamd) privately for one test: a fresh directory,
the daemon in the foreground as a child process, a readiness probe, and a clean stop.

Nothing under ``/etc`` is written and no system port is bound: each caller writes its own
configuration in the directory and picks free loopback ports. The directory is world
readable (0755) because some daemons drop root privileges to ``nobody``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

_STOP_TIMEOUT = 15.0


def require_binary(candidates: Sequence[str], package: str) -> str:
    """The first of ``candidates`` found; skips the calling test, naming the Debian
    package, when none is installed."""
    for candidate in candidates:
        found = shutil.which(candidate)
        if found is not None:
            return found
    pytest.skip(
        f"{candidates[0]} is not installed (Debian package {package}; "
        "scripts/install-debian-packages scripts/debian-packages.txt)"
    )


@contextmanager
def private_directory(prefix: str) -> Iterator[Path]:
    """A fresh directory under the system temporary directory, removed on exit."""
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        directory.chmod(0o777)
        yield directory
    finally:
        with suppress(OSError):
            shutil.rmtree(directory)


def accepts(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def running_process(
    command: Sequence[str],
    *,
    directory: Path,
    ready: Callable[[], bool],
    start_timeout: float,
    name: str,
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` started in ``directory`` (output in ``<directory>/<name>.out``), yielded
    once ``ready()`` is true; SIGTERM (then SIGKILL) on exit. A daemon that exits or is not
    ready in time fails the test with its output and ``log``."""
    output_path = directory / f"{name}.out"
    with output_path.open("wb") as output:
        process = subprocess.Popen(
            list(command),
            cwd=directory,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + start_timeout
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                text = output_path.read_text(errors="replace")
                if log is not None and log.exists():
                    text += log.read_text(errors="replace")[-4000:]
                raise AssertionError(f"{name} did not start:\n{text[-6000:]}")
            time.sleep(0.1)
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if the process does not exit in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=_STOP_TIMEOUT)
