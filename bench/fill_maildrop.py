#!/usr/bin/env python3
"""Fill an account's INBOX of a courriel instance directly through ``MailStore.append``.

For the POP3 benchmark (``../shared/bench/pop3_load.py``) before the IMAP server can take
APPENDs: the messages are the ones ``benchlib.gen_message`` makes for the peers (about
5.2 KB, multipart/alternative), appended in batches of ``--batch``. Run it while the
instance is stopped (it opens the store itself)::

    .venv/bin/python bench/courriel_instance.py setup /tmp/cb2/courriel
    .venv/bin/python bench/fill_maildrop.py /tmp/cb2/courriel --count 10000
    .venv/bin/python bench/courriel_instance.py start /tmp/cb2/courriel
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from courriel.config import load_config
from courriel.runtime.services import open_services

SHARED_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


async def fill(data: Path, address: str, count: int, batch: int, size: int) -> None:
    sys.path.insert(0, str(SHARED_BENCH))
    import benchlib  # type: ignore[import-not-found]  # noqa: PLC0415 - the shared harness

    services = open_services(load_config(data / "courriel.toml"), parse_workers=0)
    try:
        account = await services.directory.get_account(address)
        if account is None:
            sys.exit(f"no account {address}")
        inbox = await services.mailstore.get_mailbox(account.id, "INBOX")
        started = time.perf_counter()
        for first in range(1, count + 1, batch):
            messages = [
                (benchlib.gen_message(i, size=size, rcpt=address), (), None)
                for i in range(first, min(first + batch, count + 1))
            ]
            await services.mailstore.append(account.id, inbox.id, messages)
        elapsed = time.perf_counter() - started
        print(f"appended {count} messages to {address} INBOX in {elapsed:.1f} s")
    finally:
        await services.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--user", default="user1@example.test")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--size", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(fill(args.data, args.user, args.count, args.batch, args.size))


if __name__ == "__main__":
    main()
