#!/usr/bin/env python3
"""Server CPU time per POP3 round trip: what one sequential RETR (or LIST, UIDL) costs.

Wall-clock throughput on a shared two-core machine swings with the neighbours' load; the
server's own CPU time per command swings much less, and it is what Python overhead on the
per-round-trip path adds to. This logs in, then sends ``--count`` commands one at a time
(each waits for its answer), reading the server's CPU time (``/proc/PID/stat``, user +
system, all threads) before and after::

    .venv/bin/python bench/pop3_roundtrip.py --port 3110 --pid $(cat DIR/serve.pid)
    .venv/bin/python bench/pop3_roundtrip.py --port 1110 --password secret \\
        --pid $(bash ../shared/bench/peers/postfix-dovecot.sh pid dovecot) --tree

``--tree`` adds the CPU time of every descendant (Dovecot runs one process per session).
Nothing is deleted: the session ends with QUIT after no DELE.
"""

from __future__ import annotations

import argparse
import os
import socket
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, tree: bool) -> float:
    pids = [pid]
    if tree:
        pending = [pid]
        while pending:
            parent = pending.pop()
            children = Path(f"/proc/{parent}/task/{parent}/children")
            if children.exists():
                found = [int(child) for child in children.read_text().split()]
                pids += found
                pending += found
    total = 0
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


class Client:
    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.status()

    def _fill(self) -> None:
        chunk = self.socket.recv(1 << 18)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buffer += chunk

    def status(self) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            self._fill()
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        if not line.startswith(b"+OK"):
            raise RuntimeError(line.decode(errors="replace"))
        return line

    def multiline(self) -> None:
        self.status()
        if self.buffer.startswith(b".\r\n"):
            del self.buffer[:3]
            return
        start = 0
        while (end := self.buffer.find(b"\r\n.\r\n", start)) < 0:
            start = max(0, len(self.buffer) - 4)
            self._fill()
        del self.buffer[: end + 5]

    def command(self, line: bytes, *, multiline: bool) -> None:
        self.socket.sendall(line + b"\r\n")
        if multiline:
            self.multiline()
        else:
            self.status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3110)
    parser.add_argument("--user", default="user1@example.test")
    parser.add_argument("--password", default="secret-secret")
    parser.add_argument("--pid", type=int, required=True, help="the server's process")
    parser.add_argument("--tree", action="store_true", help="count its descendants too")
    parser.add_argument("--count", type=int, default=5000, help="RETR commands (1..count)")
    parser.add_argument("--lists", type=int, default=20, help="LIST and UIDL commands")
    args = parser.parse_args()

    client = Client(args.port)
    client.command(b"USER " + args.user.encode(), multiline=False)
    client.command(b"PASS " + args.password.encode(), multiline=False)
    client.command(b"NOOP", multiline=False)
    for name, commands, multiline in (
        ("RETR", [b"RETR %d" % n for n in range(1, args.count + 1)], True),
        ("LIST", [b"LIST"] * args.lists, True),
        ("UIDL", [b"UIDL"] * args.lists, True),
        ("NOOP", [b"NOOP"] * args.count, False),
    ):
        if not commands:
            continue
        cpu = cpu_seconds(args.pid, args.tree)
        started = time.perf_counter()
        for command in commands:
            client.command(command, multiline=multiline)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(args.pid, args.tree) - cpu
        print(
            f"{name}: {len(commands)} in {wall:.3f} s, {len(commands) / wall:,.0f}/s, "
            f"server CPU {cpu / len(commands) * 1e6:,.1f} µs each"
        )
    client.command(b"QUIT", multiline=False)


if __name__ == "__main__":
    main()
