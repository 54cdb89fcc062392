"""The embedded store: one SQLite database (WAL, ``synchronous=FULL``, one writer thread with
group commit) plus content-addressed files for large message bodies.

Small bodies (up to ``inline_limit`` bytes) are stored in the database, in the same
transaction as their message rows, so one fsync per group commit makes a whole batch durable;
a file per message costs a file fsync and a directory fsync each, which caps out near 3,500
per second on the reference disk before anything else runs (docs/architecture.md, "Why small
bodies live in the database"). Large bodies go to ``FileBlobStore`` first and the rows second.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from courriel.core.clock import Clock
from courriel.storage.fs.blobs import FileBlobStore
from courriel.storage.sqlite.directory import SqliteDirectoryRepo
from courriel.storage.sqlite.engine import SqliteEngine
from courriel.storage.sqlite.image_senders import SqliteImageSenderRepo
from courriel.storage.sqlite.mail import SqliteMailRepo
from courriel.storage.sqlite.mail_settings import SqliteMailSettingsRepo
from courriel.storage.sqlite.queue import SqliteQueueRepo
from courriel.storage.sqlite.search import register_functions
from courriel.storage.sqlite.security import SqliteSecurityRepo
from courriel.storage.sqlite.spam import SqliteSpamRepo
from courriel.storage.sqlite.web_sessions import SqliteWebSessionRepo

DEFAULT_INLINE_LIMIT = 128 * 1024


@dataclass
class EmbeddedStore:
    """The ports of the embedded mode, sharing one engine."""

    engine: SqliteEngine
    directory: SqliteDirectoryRepo
    mail: SqliteMailRepo
    security: SqliteSecurityRepo
    queue: SqliteQueueRepo
    blobs: FileBlobStore
    inline_limit: int
    spam: SqliteSpamRepo
    web_sessions: SqliteWebSessionRepo
    mail_settings: SqliteMailSettingsRepo
    image_senders: SqliteImageSenderRepo

    def close(self) -> None:
        self.engine.close()
        self.blobs.close()


def open_embedded_store(
    root: Path,
    *,
    readers: int = 4,
    batch_limit: int = 256,
    inline_limit: int = DEFAULT_INLINE_LIMIT,
    clock: Clock | None = None,
) -> EmbeddedStore:
    """Open (creating or migrating) the store in ``root``: ``mail.db`` and ``blobs/``.
    ``clock`` dates what the mail store records (SAVEDATE, reports; the system clock when
    None)."""
    root.mkdir(parents=True, exist_ok=True)
    engine = SqliteEngine(root / "mail.db", readers=readers, batch_limit=batch_limit)
    engine.on_reader_connect(register_functions)
    engine.open()
    blobs = FileBlobStore(root / "blobs")
    mail = SqliteMailRepo(
        engine,
        file_exists=lambda sha256: blobs.path_of(sha256).exists(),
        delete_files=blobs.delete_now,
        clock=clock,
    )
    return EmbeddedStore(
        engine,
        SqliteDirectoryRepo(engine),
        mail,
        SqliteSecurityRepo(engine),
        SqliteQueueRepo(engine),
        blobs,
        inline_limit,
        SqliteSpamRepo(engine),
        SqliteWebSessionRepo(engine),
        SqliteMailSettingsRepo(engine),
        SqliteImageSenderRepo(engine),
    )
