#!/usr/bin/env python3
"""Sequential RETR on several POP3 servers at once, in alternating slices: paired figures
that the neighbours' load moves together.

On a shared two-core machine the load changes from one second to the next, so two runs of
a second each, one per server, can differ by 40% for no reason of their own
(``pop3_compare.py`` interleaves whole runs and needs many rounds). This opens one session
on every server, then sends ``--slice`` RETR commands (one at a time, each waiting for its
reply) to each server in turn, the order rotating, until every maildrop is read; a slice
of one server and the slices of the others around it see the same load. It reports each
server's messages per second, the median over slices of its time ratio to the last server
named (the peer; below 1 is faster), round trips over 0.5 ms, the server CPU per message
(``/proc``, user + system, all threads and live descendants) and the median LIST time::

    .venv/bin/python bench/pop3_paired.py \\
        --server courriel:4610:secret-secret:$(cat DIR/serve.pid) \\
        --server dovecot:4611:secret:$(cat DOVECOT_DIR/serve.pid)

A server is ``NAME:PORT:PASSWORD[:PID]``. Every maildrop must hold the same messages
(``fill_maildrop.py`` for courriel, ``pop3_dovecot.py`` for Dovecot). Nothing is deleted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import dataclass, field

from pop3_roundtrip import Client, cpu_seconds

SLOW = 0.0005


class Session(Client):
    """A logged-in session (``pop3_roundtrip.Client`` with its login)."""

    def __init__(self, port: int, user: str, password: str) -> None:
        super().__init__(port)
        self.command(b"USER " + user.encode(), multiline=False)
        self.command(b"PASS " + password.encode(), multiline=False)

    def stat(self) -> int:
        self.socket.sendall(b"STAT\r\n")
        return int(self.status().split()[1])


@dataclass
class Server:
    name: str
    port: int
    password: str
    pid: int | None
    slices: list[float] = field(default_factory=list)
    slow: int = 0
    cpu: float = 0.0
    lists: list[float] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Server:
        name, port, password, *pid = text.split(":")
        return cls(name, int(port), password, int(pid[0]) if pid else None)


def run_slice(server: Server, session: Session, first: int, count: int) -> None:
    cpu = cpu_seconds(server.pid, tree=True) if server.pid else 0.0
    started = time.perf_counter()
    for number in range(first, first + count):
        sent = time.perf_counter()
        session.socket.sendall(b"RETR %d\r\n" % number)
        session.multiline()
        if time.perf_counter() - sent > SLOW:
            server.slow += 1
    server.slices.append(time.perf_counter() - started)
    if server.pid:
        server.cpu += cpu_seconds(server.pid, tree=True) - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", action="append", type=Server.parse, required=True)
    parser.add_argument("--user", default="user1@example.test")
    parser.add_argument("--slice", type=int, default=250, help="RETR commands per slice")
    parser.add_argument("--lists", type=int, default=10, help="LIST commands per server")
    parser.add_argument("--messages", type=int, default=0, help="RETR at most this many")
    args = parser.parse_args()
    servers: list[Server] = args.server
    sessions = [Session(server.port, args.user, server.password) for server in servers]
    counts = {session.stat() for session in sessions}
    if len(counts) != 1:
        raise SystemExit(f"the maildrops differ: {sorted(counts)} messages")
    total = counts.pop()
    if args.messages:
        total = min(total, args.messages)
    for _ in range(args.lists):
        for server, session in zip(servers, sessions, strict=True):
            started = time.perf_counter()
            session.socket.sendall(b"LIST\r\n")
            session.multiline()
            server.lists.append(time.perf_counter() - started)
    pairs = list(zip(servers, sessions, strict=True))
    for turn, first in enumerate(range(1, total + 1, args.slice)):
        count = min(args.slice, total + 1 - first)
        shift = turn % len(pairs)
        for server, session in pairs[shift:] + pairs[:shift]:
            run_slice(server, session, first, count)
    for session in sessions:
        session.command(b"QUIT", multiline=False)
        session.socket.close()

    peer = servers[-1]
    print(f"{total} messages, slices of {args.slice}, load {os.getloadavg()[0]:.1f}")
    for server in servers:
        elapsed = sum(server.slices)
        line = f"{server.name:<12} {total / elapsed:8,.0f} msg/s"
        if server is not peer:
            paired = zip(server.slices, peer.slices, strict=True)
            ratios = [mine / theirs for mine, theirs in paired]
            line += f"  time x{statistics.median(ratios):.2f} of {peer.name}"
        line += f"  slow {server.slow:5}  LIST {statistics.median(server.lists) * 1000:5.2f} ms"
        if server.pid:
            line += f"  CPU {server.cpu / total * 1e6:5.1f} us/msg"
        print(line)


if __name__ == "__main__":
    main()
