"""Exceptions of the SASL library.

Client input never raises: a server mechanism turns every bad message into a ``Failure``
outcome and the framing helpers into ``Cancelled`` / ``MalformedResponse`` values. Exceptions
are kept for the caller's own mistakes and for the client side, where the peer is a remote
server::

    CourrielError                 (courriel.core.errors)
     └── SaslError
          ├── UnknownMechanism     server_mechanism() was asked for a name not in MECHANISMS
          ├── MechanismStateError  a mechanism was driven out of order: a bug in the caller
          ├── SaslprepError        a string has no SASLprep form (RFC 4013); also a ValueError
          └── SaslClientError      the server we authenticate to sent something wrong or refused

None of these knows a wire form: the protocol servers map them (``UnknownMechanism`` is
``504 5.5.4`` in SMTP, ``NO`` in IMAP, ``-ERR`` in POP3).
"""

from __future__ import annotations

from courriel.core.errors import CourrielError

__all__ = [
    "MechanismStateError",
    "SaslClientError",
    "SaslError",
    "SaslprepError",
    "UnknownMechanism",
]


class SaslError(CourrielError):
    """Base class of the SASL library's exceptions."""


class UnknownMechanism(SaslError):
    """No server mechanism is registered under this name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown SASL mechanism {name!r}")
        self.name = name


class MechanismStateError(SaslError):
    """A method was called in a state that does not expect it.

    For example ``step()`` after the mechanism returned ``NeedScramKeys``, or anything after
    ``Success``. The driving loop should follow the outcomes; this is never the client's fault.
    """


class SaslprepError(SaslError, ValueError):
    """The string contains a prohibited character or fails the bidirectional rule."""


class SaslClientError(SaslError):
    """Client side: the server's message is malformed, fails verification, or is an error."""
