#!/usr/bin/env python3
"""Messages/s appended through ``mailstore`` with durability on, and memory.

Realistic messages: ~5 KB text + HTML alternative, and ~100 KB with a base64 attachment;
``--concurrency`` asyncio tasks append to INBOXes of ``--accounts`` accounts (round-robin)
until ``--messages`` are stored; every append has returned (durable: SQLite WAL
``synchronous=FULL`` group commit, blob files fsynced) before it is counted. The full-text
index, built in batches off the delivery path, is then caught up and timed ("with
indexing"); CPU includes the parse worker process. Prints one
line per run and, with ``--json FILE``, appends one JSON object per run.

    .venv/bin/python bench/store_ingest.py                      # the issue's matrix
    .venv/bin/python bench/store_ingest.py -n 2000 -c 64 --kind 5k
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from courriel.core.workers import WorkerPool
from courriel.mailstore.parsing import PREPARE_JOB, ParsePool
from courriel.mailstore.service import MailStore
from courriel.storage.changebus import InProcessChangeBus
from courriel.storage.sqlite import open_embedded_store

WORDS = (
    *[
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
        "elit",
        "sed",
        "do",
        "eiusmod",
        "tempor",
    ],
    *[
        "incididunt",
        "ut",
        "labore",
        "et",
        "dolore",
        "magna",
        "aliqua",
        "courriel",
        "serveur",
        "message",
    ],
    *["réunion", "demain", "bonjour", "merci"],
)


def text_block(seed: int, size: int) -> str:
    words, total, index = [], 0, seed
    while total < size:
        word = WORDS[(index * 7919) % len(WORDS)]
        words.append(word)
        total += len(word) + 1
        index += 1
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    return "\r\n".join(lines)


def make_message(seed: int, kind: str) -> bytes:
    text = text_block(seed, 1800)
    html = "<html><body><p>" + text.replace("\r\n", "</p>\r\n<p>") + "</p></body></html>"
    boundary = f"b{seed:08x}"
    headers = (
        f"Received: from client.example.net ([192.0.2.{seed % 250}]) by mx.example.test\r\n"
        f"From: Sender {seed} <sender{seed % 97}@example.net>\r\n"
        f"To: User <user@example.test>\r\n"
        f"Subject: Message number {seed} about {WORDS[seed % len(WORDS)]}\r\n"
        f"Date: Sun, 22 Nov 2026 10:{seed % 60:02d}:00 +0100\r\n"
        f"Message-ID: <{seed}.{os.getpid()}@example.net>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    alternative = (
        f'Content-Type: multipart/alternative; boundary="{boundary}a"\r\n\r\n'
        f"--{boundary}a\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"
        f"--{boundary}a\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n--{boundary}a--\r\n"
    )
    if kind == "5k":
        return (headers + alternative).encode()
    attachment = base64.encodebytes(os.urandom(70_000)).decode().replace("\n", "\r\n")
    return (
        headers
        + f'Content-Type: multipart/mixed; boundary="{boundary}m"\r\n\r\n'
        + f"--{boundary}m\r\n{alternative}\r\n--{boundary}m\r\n"
        + 'Content-Type: application/pdf; name="report.pdf"\r\n'
        + 'Content-Disposition: attachment; filename="report.pdf"\r\n'
        + "Content-Transfer-Encoding: base64\r\n\r\n"
        + attachment
        + f"\r\n--{boundary}m--\r\n"
    ).encode()


async def run(args: argparse.Namespace, kind: str, concurrency: int) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="courriel-bench-", dir=args.dir))
    store = open_embedded_store(root)
    mailstore = MailStore(
        store.mail,
        store.blobs,
        InProcessChangeBus(),
        inline_limit=store.inline_limit,
        parser=ParsePool(
            store.inline_limit,
            WorkerPool([PREPARE_JOB], args.parse_workers) if args.parse_workers else None,
        ),
    )
    await mailstore.parser.start()
    await store.directory.add_domain("example.test")
    inboxes = []
    for index in range(args.accounts):
        account = await store.directory.add_account(
            f"user{index}@example.test", password_hash=None, scram_keys=None
        )
        await mailstore.provision_account(account.id)
        inboxes.append((account.id, (await store.mail.get_mailbox(account.id, "INBOX")).id))  # type: ignore[union-attr]
    messages = [make_message(seed, kind) for seed in range(args.messages)]
    latencies: list[float] = []
    next_index = 0
    cpu_before = time.process_time()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    batches_before, writes_before = store.engine.batches, store.engine.writes

    async def worker() -> None:
        nonlocal next_index
        while next_index < len(messages):
            index = next_index
            next_index += 1
            account_id, mailbox_id = inboxes[index % len(inboxes)]
            started = time.perf_counter()
            await mailstore.append(account_id, mailbox_id, [(messages[index], (), None)])
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    # The full-text index is built off the delivery path in batches (docs/architecture.md);
    # count that work too, as the time to index everything stored.
    indexing_started = time.perf_counter()
    while await mailstore.index_text() > 0:
        pass
    indexing = time.perf_counter() - indexing_started
    await mailstore.close()  # the parse worker exits: its CPU shows in RUSAGE_CHILDREN
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = (children.ru_utime + children.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    cpu = time.process_time() - cpu_before + worker_cpu
    batches = store.engine.batches - batches_before
    writes = store.engine.writes - writes_before
    await mailstore.close()
    store.close()
    latencies.sort()
    result: dict[str, object] = {
        "bench": "store_ingest",
        "kind": kind,
        "concurrency": concurrency,
        "messages": len(messages),
        "bytes_per_message": round(sum(map(len, messages)) / len(messages)),
        "messages_per_s": round(len(messages) / elapsed),
        "mb_per_s": round(sum(map(len, messages)) / elapsed / 1e6, 1),
        "indexing_s": round(indexing, 2),
        "messages_per_s_indexed": round(len(messages) / (elapsed + indexing)),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "cpu_ms_per_message": round(cpu / len(messages) * 1000, 3),
        "avg_batch": round(writes / max(batches, 1), 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=10_000)
    parser.add_argument("-c", "--concurrency", type=int, nargs="*", default=[1, 16, 64])
    parser.add_argument("--kind", choices=["5k", "100k"], nargs="*", default=["5k", "100k"])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument(
        "--parse-workers", type=int, default=1, help="as storage.parse_workers (0: in-process)"
    )
    parser.add_argument("--dir", default=None, help="where to create the store (default: $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the stores")
    parser.add_argument("--json", default=None, help="append one JSON line per run to this file")
    args = parser.parse_args()
    for kind in args.kind:
        for concurrency in args.concurrency:
            result = asyncio.run(run(args, kind, concurrency))
            print(
                f"{kind:>4} c={concurrency:<3} {result['messages_per_s']:>6} msg/s "
                f"{result['mb_per_s']:>6} MB/s  (with indexing {result['messages_per_s_indexed']}) "
                f"p50 {result['p50_ms']} ms  "
                f"p99 {result['p99_ms']} ms  "
                f"cpu {result['cpu_ms_per_message']} ms/msg  batch {result['avg_batch']}  "
                f"rss {result['max_rss_mb']} MB",
                flush=True,
            )
            if args.json:
                with open(args.json, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
