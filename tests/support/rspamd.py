"""A private Rspamd on loopback for the external spam scanner tests.

``running_rspamd()`` starts Debian's rspamd with the packaged configuration
(``/etc/rspamd/rspamd.conf``) but its own ``LOCAL_CONFDIR``, run, database and log
directories (``--var``): the normal worker on a free 127.0.0.1 port, the controller and
proxy workers off, DNS pointed at a closed local port so that blocklist lookups fail fast
instead of waiting for the internet. GTUBE is built in (a pre-result: action ``reject``).
Loading the configuration takes 10-20 seconds, so tests share one instance per module.
Skips when rspamd is not installed (Debian ``rspamd``).
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from courriel.config.kinds import DaemonAddress
from support.daemon_process import private_directory, require_binary, running_process
from support.server_process import free_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class RspamdServer:
    port: int
    directory: Path

    @property
    def address(self) -> DaemonAddress:
        return DaemonAddress("rspamd", HOST, self.port, "")


def _pings(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/ping", timeout=1) as reply:
            return bool(reply.read().startswith(b"pong"))
    except OSError:
        return False


@contextmanager
def running_rspamd() -> Iterator[RspamdServer]:
    """A private rspamd; stopped and removed on exit."""
    binary = require_binary(("rspamd", "/usr/bin/rspamd"), "rspamd")
    with private_directory("courriel-rspamd-") as directory:
        local = directory / "local"
        for name in ("local/override.d", "local/local.d", "run", "db", "log"):
            (directory / name).mkdir(parents=True)
            (directory / name).chmod(0o777)  # workers run as nobody when started as root
        port = free_port()
        override = local / "override.d"
        (override / "worker-normal.inc").write_text(f'bind_socket = "{HOST}:{port}";\ncount = 1;\n')
        (override / "worker-controller.inc").write_text("count = -1;\n")
        (override / "worker-proxy.inc").write_text("count = -1;\n")
        (local / "local.d" / "options.inc").write_text(
            'dns { nameserver = ["127.0.0.1:9"]; timeout = 0.3s; retransmits = 1; }\n'
        )
        command = [binary, "-f", "-c", "/etc/rspamd/rspamd.conf"]
        if os.geteuid() == 0:  # rspamd refuses to run its workers as root
            command += ["-u", "nobody", "-g", "nogroup"]
        command += [
            f"--var=LOCAL_CONFDIR={local}",
            f"--var=RUNDIR={directory / 'run'}",
            f"--var=DBDIR={directory / 'db'}",
            f"--var=LOGDIR={directory / 'log'}",
        ]
        with running_process(
            command,
            directory=directory,
            ready=lambda: _pings(port),
            start_timeout=120.0,
            name="rspamd",
            log=directory / "log" / "rspamd.log",
        ):
            yield RspamdServer(port, directory)
