"""Child process of the durability test: append to one mailbox until killed.

Usage: ``python durability_writer.py ROOT ACCOUNT_ID MAILBOX_ID WRITERS SEED``

Several concurrent writers append small (inline) and large (file-backed) messages, sometimes
several at once (MULTIAPPEND), sometimes content already stored (deduplicated). After an
append *returned*, the writer prints one line per message, ``uid sha256 size inline``: an
acknowledgement, as SMTP's 250 or IMAP's APPEND OK would be. The parent kills the process
with SIGKILL at some point and checks that every acknowledged message survived.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

from courriel.storage.records import IngestedMessage, NewMessage
from courriel.storage.sqlite import EmbeddedStore, open_embedded_store
from support.builders import ingested, raw_message

INLINE_LIMIT = 8192


def _content(rng: random.Random) -> tuple[IngestedMessage, bytes]:
    if rng.random() < 0.3:
        size = rng.randint(INLINE_LIMIT + 1, 200_000)
    else:
        size = rng.randint(200, INLINE_LIMIT)
    data = raw_message(subject=f"durability {rng.getrandbits(64):x}") + rng.randbytes(size)
    return ingested(data, inline=len(data) <= INLINE_LIMIT), data


async def _writer(
    store: EmbeddedStore, account_id: int, mailbox_id: int, rng: random.Random
) -> None:
    earlier: list[tuple[IngestedMessage, bytes]] = []
    while True:
        batch: list[tuple[IngestedMessage, bytes]] = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            if earlier and rng.random() < 0.1:
                batch.append(rng.choice(earlier))  # the same content again: deduplicated
            else:
                batch.append(_content(rng))
        for content, data in batch:
            if content.data is None:
                await store.blobs.put(content.sha256, data)
        result = await store.mail.append(
            account_id, mailbox_id, [NewMessage(content, internal_date=0.0) for content, _ in batch]
        )
        lines = [
            f"{uid} {content.sha256} {content.size} {int(content.data is not None)}\n"
            for uid, (content, _) in zip(result.uids, batch, strict=True)
        ]
        sys.stdout.write("".join(lines))
        sys.stdout.flush()
        earlier.extend(batch)
        del earlier[:-20]


async def main(root: Path, account_id: int, mailbox_id: int, writers: int, seed: int) -> None:
    store = open_embedded_store(root, inline_limit=INLINE_LIMIT)
    rngs = [random.Random(seed * 1000 + number) for number in range(writers)]
    await asyncio.gather(*(_writer(store, account_id, mailbox_id, rng) for rng in rngs))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(
        main(
            Path(arguments[0]),
            int(arguments[1]),
            int(arguments[2]),
            int(arguments[3]),
            int(arguments[4]),
        )
    )
