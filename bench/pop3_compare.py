#!/usr/bin/env python3
"""Compare POP3 servers on the same maildrop, runs interleaved, as medians of ratios.

The machine is shared and noisy, so one run of each says little. This runs the shared
``pop3_load.py`` (one session: LIST, UIDL, then RETR of every message) against each server
in turn, round after round, the order rotating each round so that no server always runs
first, and reports for every figure each server's median and the median of its per-round
ratios to the last server named (the peer)::

    .venv/bin/python bench/pop3_compare.py --rounds 9 --window 1 \\
        --server courriel:3110:secret-secret:$(cat /tmp/cb/courriel/serve.pid) \\
        --server dovecot:1110:secret:$(bash ../shared/bench/peers/postfix-dovecot.sh pid dovecot)

A server is ``NAME:PORT:PASSWORD[:PID]`` (the PID, for the server CPU figure). Every
maildrop must hold the same messages (``fill_maildrop.py`` for courriel, ``imap_load.py
--fill 10000`` for the peer: see ``../shared/bench/BASELINE.md``; or a private Dovecot,
filled already, from ``pop3_dovecot.py``). Whole runs one after the other still see
different load; ``pop3_paired.py`` alternates slices of one session per server instead.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SHARED_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
FIGURES = (
    ("retr_msgs_per_s", "msg/s", 1),
    ("list_s", "ms", 1000),
    ("uidl_s", "ms", 1000),
    ("stat_s", "ms", 1000),
    ("login_s", "ms", 1000),
    ("server_cpu_s_per_session", "s", 1),
)


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    password: str
    pid: int | None

    @classmethod
    def parse(cls, text: str) -> Server:
        name, port, password, *pid = text.split(":")
        return cls(name, int(port), password, int(pid[0]) if pid else None)


def run_once(server: Server, args: argparse.Namespace, label: str) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as out:
        command = [
            sys.executable,
            str(SHARED_BENCH / "pop3_load.py"),
            f"--port={server.port}",
            f"--user={args.user}",
            f"--password={server.password}",
            f"--window={args.window}",
            f"--reps={args.reps}",
            f"--label={label}",
            f"--json={out.name}",
        ]
        if server.pid is not None:
            command.append(f"--server-pid={server.pid}")
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        result: dict[str, float] = json.loads(Path(out.name).read_text().splitlines()[-1])
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", action="append", type=Server.parse, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reps", type=int, default=1, help="sessions per run (pop3_load)")
    parser.add_argument("--window", type=int, default=1, help="RETR commands in flight")
    parser.add_argument("--user", default="user1@example.test")
    parser.add_argument("--json", help="append every run's result to this file")
    args = parser.parse_args()
    servers: list[Server] = args.server
    peer = servers[-1]

    runs: dict[str, list[dict[str, float]]] = {server.name: [] for server in servers}
    for round_number in range(args.rounds):
        shift = round_number % len(servers)
        for server in servers[shift:] + servers[:shift]:
            label = f"pop3/{server.name}/window{args.window}/round{round_number + 1}"
            result = run_once(server, args, label)
            runs[server.name].append(result)
            if args.json:
                with open(args.json, "a") as out:
                    out.write(json.dumps(result) + "\n")
        print(
            f"round {round_number + 1}: "
            + ", ".join(
                f"{name} {results[-1]['retr_msgs_per_s']:,.0f} msg/s "
                f"LIST {results[-1]['list_s'] * 1000:.1f} ms"
                for name, results in runs.items()
            ),
            flush=True,
        )

    print(f"\nmedians over {args.rounds} rounds; ratios are to {peer.name}, round by round")
    for figure, unit, scale in FIGURES:
        cells = []
        for server in servers:
            values = [run[figure] for run in runs[server.name] if figure in run]
            if not values:
                continue
            cell = f"{server.name} {statistics.median(values) * scale:,.1f}"
            if server is not peer:
                ratios = [
                    mine[figure] / theirs[figure]
                    for mine, theirs in zip(runs[server.name], runs[peer.name], strict=True)
                    if theirs.get(figure) and figure in mine
                ]
                if ratios:
                    cell += f" ({statistics.median(ratios):.2f}x)"
            cells.append(cell)
        print(f"{figure:<26} {unit:<6} " + "   ".join(cells))


if __name__ == "__main__":
    main()
