"""A private SpamAssassin spamd on loopback for the external spam scanner tests.

``running_spamd()`` runs Debian's spamd with the packaged rules (``/usr/share/spamassassin``)
and a site configuration of its own (the packaged ``.pre`` plugin lists plus a
``local.cf`` with network tests and Bayes off), listening on a free 127.0.0.1 port and a
unix socket in its own directory, one child. GTUBE scores 1000. Started as root it runs
as ``nobody``. Skips when spamd is not installed (Debian ``spamd``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from courriel.config.kinds import DaemonAddress
from support.daemon_process import accepts, private_directory, require_binary, running_process
from support.server_process import free_port

HOST = "127.0.0.1"


@dataclass(frozen=True)
class SpamdServer:
    port: int
    socket_path: Path
    directory: Path

    @property
    def tcp(self) -> DaemonAddress:
        return DaemonAddress("spamd", HOST, self.port, "")

    @property
    def unix(self) -> DaemonAddress:
        return DaemonAddress("spamd", "", 0, str(self.socket_path))


@contextmanager
def running_spamd() -> Iterator[SpamdServer]:
    """A private spamd; stopped and removed on exit."""
    binary = require_binary(("spamd", "/usr/sbin/spamd"), "spamd")
    with private_directory("courriel-spamd-") as directory:
        site = directory / "site"
        home = directory / "home"
        for folder in (site, home):
            folder.mkdir()
            folder.chmod(0o777)
        for plugin_list in Path("/etc/spamassassin").glob("*.pre"):
            shutil.copy(plugin_list, site)
        (site / "local.cf").write_text("use_bayes 0\nskip_rbl_checks 1\n")
        port = free_port()
        socket_path = directory / "spamd.sock"
        command = [
            binary,
            f"--listen={HOST}:{port}",
            f"--listen={socket_path}",
            f"--pidfile={directory / 'spamd.pid'}",
            "--nouser-config",
            "--local",
            "--max-children=1",
            "--min-children=1",
            f"--siteconfigpath={site}",
            f"--helper-home-dir={home}",
            "--syslog=stderr",
        ]
        if os.geteuid() == 0:
            command.append("--username=nobody")
        with running_process(
            command,
            directory=directory,
            ready=lambda: socket_path.exists() and accepts(HOST, port),
            start_timeout=60.0,
            name="spamd",
        ):
            yield SpamdServer(port, socket_path, directory)
