"""BlobStore conformance: content-addressed put/read/exists/delete (ports.BlobStore)."""

from __future__ import annotations

import asyncio
import os

import pytest

from courriel.storage.errors import NotFound
from support.backends import Backend
from support.builders import sha256_hex


async def test_put_then_read(backend: Backend) -> None:
    data = os.urandom(100_000)
    digest = sha256_hex(data)
    assert not await backend.blobs.exists(digest)
    await backend.blobs.put(digest, data)
    assert await backend.blobs.exists(digest)
    assert await backend.blobs.read(digest) == data


async def test_read_ranges(backend: Backend) -> None:
    data = bytes(range(256)) * 40
    digest = sha256_hex(data)
    await backend.blobs.put(digest, data)
    read = backend.blobs.read
    assert await read(digest, 0, 10) == data[:10]
    assert await read(digest, 1000) == data[1000:]
    assert await read(digest, 5000, 300) == data[5000:5300]
    assert await read(digest, len(data) - 5, 100) == data[-5:]
    assert await read(digest, len(data)) == b""
    assert await read(digest, 7, 0) == b""


async def test_empty_blob(backend: Backend) -> None:
    digest = sha256_hex(b"")
    await backend.blobs.put(digest, b"")
    assert await backend.blobs.exists(digest)
    assert await backend.blobs.read(digest) == b""


async def test_read_of_a_missing_blob_raises_not_found(backend: Backend) -> None:
    with pytest.raises(NotFound):
        await backend.blobs.read(sha256_hex(b"never stored"))


async def test_put_is_idempotent(backend: Backend) -> None:
    data = b"the same bytes\r\n" * 1000
    digest = sha256_hex(data)
    await backend.blobs.put(digest, data)
    await backend.blobs.put(digest, bytes(data))
    assert await backend.blobs.read(digest) == data


async def test_concurrent_puts_of_the_same_content(backend: Backend) -> None:
    """Two deliveries of one message may put it at the same time, even the same object."""
    data = os.urandom(2_000_000)
    digest = sha256_hex(data)
    await asyncio.gather(*(backend.blobs.put(digest, data) for _ in range(8)))
    await asyncio.gather(*(backend.blobs.put(digest, bytes(data)) for _ in range(4)))
    assert await backend.blobs.read(digest) == data


async def test_concurrent_puts_of_different_content(backend: Backend) -> None:
    blobs = [os.urandom(10_000 + i) for i in range(32)]
    await asyncio.gather(*(backend.blobs.put(sha256_hex(b), b) for b in blobs))
    for data in blobs:
        assert await backend.blobs.read(sha256_hex(data)) == data


async def test_delete(backend: Backend) -> None:
    kept, dropped, other = b"kept", b"dropped", b"other dropped"
    for data in (kept, dropped, other):
        await backend.blobs.put(sha256_hex(data), data)
    await backend.blobs.delete(
        [sha256_hex(dropped), sha256_hex(b"never stored"), sha256_hex(other)]
    )
    assert not await backend.blobs.exists(sha256_hex(dropped))
    assert not await backend.blobs.exists(sha256_hex(other))
    with pytest.raises(NotFound):
        await backend.blobs.read(sha256_hex(dropped))
    assert await backend.blobs.read(sha256_hex(kept)) == kept
    await backend.blobs.delete([])
    await backend.blobs.put(sha256_hex(dropped), dropped)  # can be stored again
    assert await backend.blobs.read(sha256_hex(dropped)) == dropped
