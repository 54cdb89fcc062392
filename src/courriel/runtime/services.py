"""Build the ``Services`` bundle from a ``Config``: backends first, domain services on top.

No module-level state: two bundles can live in one process (tests run two servers).
"""

from __future__ import annotations

from dataclasses import dataclass

from courriel.config import Config
from courriel.core.clock import Clock, SystemClock
from courriel.directory.passwords import PasswordHasher
from courriel.directory.service import Directory
from courriel.mailstore.service import MailStore
from courriel.storage.changebus import InProcessChangeBus
from courriel.storage.sqlite import EmbeddedStore, open_embedded_store


@dataclass
class Services:
    """Everything a protocol server or an admin command needs, built once."""

    config: Config
    clock: Clock
    store: EmbeddedStore
    bus: InProcessChangeBus
    mailstore: MailStore
    directory: Directory

    def close(self) -> None:
        """Finish pending writes and close the store."""
        self.store.close()


def open_services(
    config: Config, *, clock: Clock | None = None, hasher: PasswordHasher | None = None
) -> Services:
    """Open the store named by the config (creating or migrating it) and build the services.

    ``storage.backend`` is validated by the config schema; "sqlite" is the embedded default.
    """
    clock = clock or SystemClock()
    store = open_embedded_store(
        config.storage.path,
        readers=config.storage.readers,
        batch_limit=config.storage.batch_limit,
    )
    bus = InProcessChangeBus()
    mailstore = MailStore(
        store.mail,
        store.blobs,
        bus,
        inline_limit=store.inline_limit,
        separator=config.mailbox.hierarchy_separator,
        clock=clock,
    )
    directory = Directory(
        store.directory,
        mailstore,
        hasher or PasswordHasher(),
        default_quota=config.mailbox.default_quota,
    )
    return Services(config, clock, store, bus, mailstore, directory)
