"""Content-addressed blob files: ``<root>/<aa>/<sha256 hex>``.

A put writes a temporary file in the target directory, fsyncs it, renames it into place and
fsyncs the directory, so a blob is either absent or complete after a crash and durable once
``put`` returns (the mox discipline). Puts of the same content are idempotent. Blocking file
work runs on a small thread pool so parallel fsyncs overlap. Must not: know about messages,
mailboxes or reference counts (the database owns those).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from courriel.storage.errors import InvalidName, NotFound

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class FileBlobStore:
    """The embedded ``BlobStore``."""

    def __init__(self, root: Path, *, workers: int = 8) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        # Every fan-out directory exists durably before the first put, so a put only adds an
        # entry to its own directory, which it fsyncs; a directory created by a put would
        # also need its entry in the root made durable before any put into it returns.
        missing = [root / f"{prefix:02x}" for prefix in range(256)]
        missing = [directory for directory in missing if not directory.is_dir()]
        for directory in missing:
            directory.mkdir(exist_ok=True)
        if missing:
            _fsync_directory(root)
            _fsync_directory(root.parent)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="blob")

    def path_of(self, sha256: str) -> Path:
        if not _SHA256_HEX.fullmatch(sha256):
            raise InvalidName(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    async def put(self, sha256: str, data: bytes) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, self._put, sha256, data)

    def _put(self, sha256: str, data: bytes) -> None:
        final = self.path_of(sha256)
        if final.exists():
            return
        directory = final.parent
        directory.mkdir(exist_ok=True)
        # Unique per call: concurrent puts of the same content (even the same object) race.
        temporary = directory / f".tmp-{sha256}-{os.getpid()}-{secrets.token_hex(8)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(descriptor, view)
                view = view[written:]
            os.fdatasync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, final)
        _fsync_directory(directory)

    async def read(self, sha256: str, start: int = 0, length: int | None = None) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self._read, sha256, start, length
        )

    def _read(self, sha256: str, start: int, length: int | None) -> bytes:
        try:
            with self.path_of(sha256).open("rb") as handle:
                handle.seek(start)
                return handle.read() if length is None else handle.read(length)
        except FileNotFoundError:
            raise NotFound(f"blob {sha256} is not stored") from None

    async def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()

    async def delete(self, sha256s: Sequence[str]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, self.delete_now, sha256s)

    def delete_now(self, sha256s: Sequence[str]) -> None:
        """Delete blobs on the calling thread (the store's writer runs this after GC)."""
        directories = set()
        for sha256 in sha256s:
            path = self.path_of(sha256)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                directories.add(path.parent)
        for directory in directories:
            _fsync_directory(directory)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
