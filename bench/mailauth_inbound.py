#!/usr/bin/env python3
"""Benchmark of ``mailauth.inbound.authenticate``: µs of CPU per inbound message, in-process.

What the MX listener pays per message from another server (SPF, DKIM, ARC, iprev, DMARC and
the ``Authentication-Results:`` / ``Received-SPF:`` fields), over a ``StaticResolver`` (no
network: only our own cost is measured). Cases:

``unsigned``
    a ~5 KB multipart/alternative message without DKIM or ARC signatures, from a domain with
    no SPF record and no DMARC record, from a client without a PTR record: the usual mail of
    the SMTP load benchmark.
``dkim``
    the same messages DKIM-signed (RSA-2048 and Ed25519, relaxed/relaxed, as courriel signs)
    with both keys published; DKIM verification runs in a worker thread, as in the server.
``dmarc``
    unsigned, from a domain that publishes an SPF record the client passes and a
    ``p=reject`` DMARC record (the message passes DMARC through aligned SPF).

Each case authenticates ``--messages`` distinct messages ``--rounds`` times (one at a time,
or ``--concurrency`` at a time as the server's sessions would) and prints the best and the
median round in µs of process CPU time per message (all threads: DKIM verification runs in
a worker thread), so that other processes on a shared machine count less. ``--profile``
adds a cProfile list of the top functions per case.

    .venv/bin/python bench/mailauth_inbound.py
    .venv/bin/python bench/mailauth_inbound.py --case unsigned --profile --top 30
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from courriel.config.schema import MailauthSettings
from courriel.dns.static import StaticResolver
from courriel.mailauth.dkimkeys import generate_dkim_keys
from courriel.mailauth.dkimsign import sign_dkim
from courriel.mailauth.inbound import InboundVerdict, authenticate

SENDER_DOMAIN = "sender.test"
CLIENT_IP = "127.0.0.1"
HELO = "loadgen.sender.test"
AUTHSERV_ID = "mail.example.test"
CASES = ("unsigned", "dkim", "dmarc")

_TEXT = (
    "the quarterly report shows revenue growth across all regions while costs remained "
    "stable thanks to careful planning and the new supplier contracts signed in spring "
    "please review the attached figures before our meeting on thursday and send comments"
)
_WORDS = _TEXT.split(" ")
_NAMES = ("Alice Martin", "Bruno Petit", "Chloé Durand", "David Moreau", "Émilie Roux")


@dataclass(frozen=True, slots=True)
class Case:
    """One benchmark case: its messages (with their MAIL FROM) and its DNS zones."""

    name: str
    messages: Sequence[tuple[bytes, str]]
    resolver: StaticResolver
    expected: str
    """The ``summary()`` every message must get: a benchmark of the wrong path is useless."""


def make_message(index: int, size: int) -> tuple[bytes, str]:
    """A ~``size``-byte text+HTML message from ``<first.last@sender.test>`` and its sender."""
    rng = random.Random(index)
    name = _NAMES[index % len(_NAMES)]
    address = f"{name.split()[1].lower()}.{index}@{SENDER_DOMAIN}"
    subject = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 8))).capitalize()
    boundary = f"alt-{rng.getrandbits(32):08x}-{index}"
    header = (
        f"From: {name.split()[0]} <{address}>\r\n"
        f"To: <user{index % 100 + 1}@example.test>\r\n"
        f"Subject: {subject}\r\n"
        f"Date: Tue, 2 Jan 2024 10:{index % 60:02d}:00 +0000\r\n"
        f"Message-ID: <{index}.{rng.getrandbits(32):08x}@{SENDER_DOMAIN}>\r\n"
        "MIME-Version: 1.0\r\n"
        "User-Agent: courriel-bench/1.0\r\n"
        "Content-Language: en-US\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
    )
    paragraphs: list[str] = []
    while len(header) + 2 * sum(len(p) + 12 for p in paragraphs) + 300 < size:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(20, 60))]
        paragraphs.append(" ".join(words).capitalize() + ".")
    text = "\r\n\r\n".join(paragraphs)
    html = "\r\n".join(f"<p>{p}</p>" for p in paragraphs)
    body = (
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
        f"--{boundary}--\r\n"
    )
    return (header + "\r\n" + body).encode(), address


def build_case(name: str, count: int, size: int) -> Case:
    messages = [make_message(index, size) for index in range(count)]
    if name == "unsigned":
        return Case(
            name,
            messages,
            StaticResolver({}),
            "spf=none dkim=none dmarc=none arc=none iprev=permerror",
        )
    if name == "dmarc":
        zones = {
            SENDER_DOMAIN: {"TXT": [f"v=spf1 ip4:{CLIENT_IP} -all"]},
            f"_dmarc.{SENDER_DOMAIN}": {"TXT": ["v=DMARC1; p=reject; rua=mailto:d@sender.test"]},
        }
        return Case(
            name,
            messages,
            StaticResolver(zones),
            "spf=pass dkim=none dmarc=pass arc=none iprev=permerror",
        )
    keys = generate_dkim_keys("bench")
    signed = [(sign_dkim(raw, SENDER_DOMAIN, list(keys)) + raw, sender) for raw, sender in messages]
    zones = {key.record_name(SENDER_DOMAIN): {"TXT": ["".join(key.txt_strings())]} for key in keys}
    return Case(
        name,
        signed,
        StaticResolver(zones),
        "spf=none dkim=pass dkim=pass dmarc=none arc=none iprev=permerror",
    )


async def authenticate_one(raw: bytes, sender: str, resolver: StaticResolver) -> InboundVerdict:
    return await authenticate(
        raw,
        client_ip=CLIENT_IP,
        helo=HELO,
        mail_from=sender,
        resolver=resolver,
        authserv_id=AUTHSERV_ID,
        settings=MailauthSettings(),
    )


async def run_round(case: Case, concurrency: int = 1) -> float:
    """CPU seconds per message (all threads of the process) for one pass over the case's
    messages: the machine may be shared, and other processes' load must not count.

    ``concurrency`` workers share the messages, as the server's SMTP sessions share its
    event loop: with one, every task switch costs a whole loop iteration of its own.
    """
    queue = iter(case.messages)

    async def worker() -> None:
        for raw, sender in queue:
            await authenticate_one(raw, sender, case.resolver)

    start = time.process_time()
    if concurrency == 1:
        await worker()
    else:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    case.resolver.queries.clear()  # the static resolver keeps a log of every query
    return (time.process_time() - start) / len(case.messages)


async def check_case(case: Case) -> None:
    for raw, sender in case.messages[:3]:
        verdict = await authenticate_one(raw, sender, case.resolver)
        if verdict.summary() != case.expected:
            raise SystemExit(f"{case.name}: got {verdict.summary()!r}, want {case.expected!r}")


async def profile_case(case: Case, top: int, out: Callable[[str], None]) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    await run_round(case)
    profiler.disable()
    out(f"--- cProfile, case {case.name}, {len(case.messages)} messages, by own time")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)
    out(f"--- cProfile, case {case.name}, by cumulative time")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


async def main(arguments: argparse.Namespace) -> None:
    for name in arguments.case or CASES:
        case = build_case(name, arguments.messages, arguments.size)
        await check_case(case)
        await run_round(case)  # warm-up: imports, the Public Suffix List, caches
        rounds = [await run_round(case, arguments.concurrency) for _ in range(arguments.rounds)]
        print(
            f"{name:9} {len(case.messages)} messages x {arguments.rounds}, "
            f"concurrency {arguments.concurrency}: "
            f"best {min(rounds) * 1e6:7.1f} µs/message, "
            f"median {statistics.median(rounds) * 1e6:7.1f} µs/message"
        )
        if arguments.profile:
            await profile_case(case, arguments.top, print)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--case", action="append", choices=CASES, help="a case (default: all)")
    parser.add_argument("-n", "--messages", type=int, default=500, help="messages per case")
    parser.add_argument("-r", "--rounds", type=int, default=5, help="timed passes per case")
    parser.add_argument("--size", type=int, default=5000, help="message size in bytes")
    parser.add_argument(
        "-c", "--concurrency", type=int, default=1, help="messages checked at the same time"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile top list")
    parser.add_argument("--top", type=int, default=25, help="functions in the cProfile list")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse_arguments()))
