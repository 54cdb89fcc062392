"""Directory errors.

::

    DirectoryError (CourrielError)
     ├── InvalidAddress     not a usable mail address or domain name
     └── WeakPassword       refused by the password policy
"""

from courriel.core.errors import CourrielError


class DirectoryError(CourrielError):
    """Base of every directory error."""


class InvalidAddress(DirectoryError):
    """Not a usable mail address or domain name."""


class WeakPassword(DirectoryError):
    """The password policy refuses this password."""
