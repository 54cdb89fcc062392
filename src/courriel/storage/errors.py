"""Storage errors: what a backend raises, whatever its engine.

::

    StorageError (CourrielError)
     ├── NotFound          the account, domain, alias, mailbox or message does not exist
     ├── AlreadyExists     a unique name is taken (domain, address, mailbox)
     ├── QuotaExceeded     the write would pass the account's storage quota
     ├── InvalidName       a name is not acceptable (empty, bad hierarchy, reserved)
     ├── Conflict          the operation contradicts the current state (e.g. domain in use)
     ├── ContentMissing    a large body's bytes vanished before commit; write them, retry
     └── Unavailable       the backend cannot serve (closed, disk full, corrupt)

Protocol servers map these to wire replies in one table each (``NotFound`` →
``NO [NONEXISTENT]``, ``QuotaExceeded`` → ``NO [OVERQUOTA]`` / ``552 5.2.2``).
"""

from courriel.core.errors import CourrielError


class StorageError(CourrielError):
    """Base of every storage error."""


class NotFound(StorageError):
    """The named thing does not exist."""


class AlreadyExists(StorageError):
    """A unique name is already taken."""


class QuotaExceeded(StorageError):
    """The write would pass the account's quota; nothing was written."""


class InvalidName(StorageError):
    """A name is not acceptable."""


class Conflict(StorageError):
    """The operation contradicts the current state."""


class Unavailable(StorageError):
    """The backend cannot serve requests."""


class ContentMissing(StorageError):
    """A large body's bytes vanished between the caller's put and the commit (a concurrent
    garbage collection); the caller writes them again and retries."""
