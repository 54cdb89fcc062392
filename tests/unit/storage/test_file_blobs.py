"""FileBlobStore specifics beyond the BlobStore port: crash-safe file discipline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from courriel.storage.fs import blobs as blobs_module
from courriel.storage.fs.blobs import FileBlobStore
from support.builders import sha256_hex


async def test_a_put_makes_the_file_and_every_directory_entry_durable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After ``put`` returns, a power loss must not lose the blob: its file is fsynced, and
    so is each directory whose entries lead to it, including a fan-out directory created
    for it (its entry lives in the root)."""
    synced_directories: list[Path] = []
    synced_files: list[int] = []
    real_fsync_directory = blobs_module._fsync_directory
    real_fdatasync = os.fdatasync

    def record_directory(directory: Path) -> None:
        synced_directories.append(Path(directory))
        real_fsync_directory(directory)

    def record_file(descriptor: int) -> None:
        synced_files.append(descriptor)
        real_fdatasync(descriptor)

    monkeypatch.setattr(blobs_module, "_fsync_directory", record_directory)
    monkeypatch.setattr(os, "fdatasync", record_file)
    root = tmp_path / "blobs"
    store = FileBlobStore(root)
    try:
        data = b"durable bytes\r\n" * 100
        digest = sha256_hex(data)
        await store.put(digest, data)
        path = store.path_of(digest)
        assert path.read_bytes() == data
        assert synced_files, "the blob file was not fsynced"
        assert path.parent in synced_directories, "the rename was not made durable"
        assert root in synced_directories, "the new fan-out directory entry was not made durable"
    finally:
        store.close()


async def test_no_temporary_file_is_left_and_none_looks_like_a_blob(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    try:
        for index in range(20):
            data = os.urandom(1000 + index)
            await store.put(sha256_hex(data), data)
        files = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
        assert len(files) == 20
        for path in files:
            assert path.name == sha256_hex(path.read_bytes())
            assert path.parent.name == path.name[:2]
    finally:
        store.close()
