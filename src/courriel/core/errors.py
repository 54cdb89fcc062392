"""The root of courriel's exception hierarchy.

::

    CourrielError
     ├── ConfigError            (courriel.config.errors: every problem with file and key)
     ├── StorageError           (courriel.storage.errors)
     │    ├── NotFound
     │    ├── AlreadyExists
     │    ├── QuotaExceeded
     │    ├── InvalidName
     │    └── Unavailable
     └── DirectoryError         (courriel.directory.errors)

Protocol servers convert these to wire replies in one table each; nothing here knows a
protocol.
"""


class CourrielError(Exception):
    """Base class of every error courriel raises on purpose."""
