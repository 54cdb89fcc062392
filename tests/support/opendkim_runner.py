"""Run OpenDKIM's ``opendkim-testmsg`` on a message, with DNS answered from given TXT records.

Usage (inside fresh network and mount namespaces, so nothing here touches the machine's own
network or resolver)::

    unshare --net --mount -- python opendkim_runner.py RECORDS.json MESSAGE.eml

``RECORDS.json`` maps a name to its TXT strings (a long record as several strings, as in a
zone file). The runner brings the namespace's loopback up, bind-mounts a resolv.conf naming
127.0.0.1 over /etc/resolv.conf (only in this mount namespace), answers DNS on 127.0.0.1:53
from the records, and runs ``opendkim-testmsg`` (verify mode) with the message on standard
input. Its exit status and output are passed on.
"""

from __future__ import annotations

import fcntl
import json
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# Run as a script (inside namespaces): the tests' folder is not on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.dns_server import dns_answer


def serve_dns(sock: socket.socket, records: dict[str, list[str]]) -> None:
    """Answer TXT questions from ``records`` (a record's strings); other names are
    NXDOMAIN."""

    def lookup(name: str, kind: str) -> list[str] | None:
        strings = records.get(name)
        if strings is None:
            return None
        return [" ".join(f'"{chunk}"' for chunk in strings)] if kind == "TXT" else []

    while True:
        wire, peer = sock.recvfrom(4096)
        reply = dns_answer(wire, lookup)
        if reply is not None:
            sock.sendto(reply, peer)


def bring_loopback_up() -> None:
    """``ip link set lo up``, without needing iproute2: SIOCGIFFLAGS, then SIOCSIFFLAGS."""
    get_flags, set_flags, up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        request = struct.pack("16sh14x", b"lo", 0)
        flags = struct.unpack("16sh14x", fcntl.ioctl(control, get_flags, request))[1]
        fcntl.ioctl(control, set_flags, struct.pack("16sh14x", b"lo", flags | up))


def main() -> int:
    records_path, message_path = Path(sys.argv[1]), Path(sys.argv[2])
    given = json.loads(records_path.read_text())
    records = {name.rstrip(".").lower(): strings for name, strings in given.items()}
    bring_loopback_up()
    with tempfile.NamedTemporaryFile("w", suffix=".resolv.conf", delete=False) as resolv:
        resolv.write("nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
    subprocess.run(["mount", "--bind", resolv.name, "/etc/resolv.conf"], check=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))
    threading.Thread(target=serve_dns, args=(sock, records), daemon=True).start()
    with message_path.open("rb") as message:
        completed = subprocess.run(
            ["opendkim-testmsg"], stdin=message, capture_output=True, timeout=30, check=False
        )
    sys.stdout.buffer.write(completed.stdout + completed.stderr)
    return completed.returncode


if __name__ == "__main__":
    sys.exit(main())
