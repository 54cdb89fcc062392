"""A private ClamAV clamd on loopback for the scanner tests.

No network here, so the official signature databases cannot be downloaded: the private
clamd loads one database file written by the test, ``courriel-test.ndb``, whose single
body signature (``Eicar-Test-Signature``, target type 0 = any file, offset ``*``) matches
the EICAR test string anywhere — inline in a message body or in a decoded attachment
(clamd parses mail: ``ScanMail`` is on by default). clamd reports it as
``Eicar-Test-Signature.UNOFFICIAL`` (unsigned databases get that suffix).

``running_clamd()`` listens on a free 127.0.0.1 port and on a unix socket in its own
directory, with its own pid and log files, ``StreamMaxLength`` as given. Skips the test
when clamd is not installed (Debian ``clamav-daemon``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from courriel.config.kinds import DaemonAddress
from support.daemon_process import accepts, private_directory, require_binary, running_process
from support.server_process import free_port

HOST = "127.0.0.1"
#: The EICAR anti-virus test file (eicar.org), 68 bytes.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Eicar-Test-Signature"


@dataclass(frozen=True)
class ClamdServer:
    port: int
    socket_path: Path
    directory: Path

    @property
    def tcp(self) -> DaemonAddress:
        return DaemonAddress("", HOST, self.port, "")

    @property
    def unix(self) -> DaemonAddress:
        return DaemonAddress("", "", 0, str(self.socket_path))

    def log_text(self) -> str:
        log = self.directory / "clamd.log"
        return log.read_text(errors="replace") if log.exists() else ""


@contextmanager
def running_clamd(*, stream_max_length: str = "25M") -> Iterator[ClamdServer]:
    """A private clamd knowing only the EICAR signature; stopped and removed on exit."""
    binary = require_binary(("clamd", "/usr/sbin/clamd"), "clamav-daemon")
    with private_directory("courriel-clamd-") as directory:
        database = directory / "db"
        database.mkdir()
        # Name:TargetType:Offset:HexSignature (ClamAV "extended signature" format).
        (database / "courriel-test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")
        port = free_port()
        socket_path = directory / "clamd.sock"
        config = directory / "clamd.conf"
        config.write_text(
            f"DatabaseDirectory {database}\n"
            f"LocalSocket {socket_path}\n"
            f"TCPSocket {port}\n"
            f"TCPAddr {HOST}\n"
            f"PidFile {directory / 'clamd.pid'}\n"
            f"LogFile {directory / 'clamd.log'}\n"
            f"TemporaryDirectory {directory}\n"
            f"StreamMaxLength {stream_max_length}\n"
            "Foreground yes\n"
        )
        with running_process(
            [binary, "-c", str(config)],
            directory=directory,
            ready=lambda: socket_path.exists() and accepts(HOST, port),
            start_timeout=60.0,
            name="clamd",
            log=directory / "clamd.log",
        ):
            yield ClamdServer(port, socket_path, directory)
