"""The values exchanged between a server mechanism and the loop that drives it.

A mechanism answers every call with one ``Outcome``:

- ``Challenge(data)``: send ``data`` to the client (base64 framed) and call ``step()`` with
  its response.
- ``NeedCredentialsCheck(credentials)``: PLAIN and LOGIN have a password to check; ask the
  directory, then call ``credentials_checked(ok)``.
- ``NeedScramKeys(username)``: SCRAM needs the stored keys of ``username``; look them up (or
  make fake ones, see ``fake_scram_keys``), then call ``provide_keys(keys)``.
- ``Success`` / ``Failure``: the exchange is over.

``Cancelled`` and ``MalformedResponse`` are not mechanism outcomes: they come from the framing
helpers (``courriel.sasl.framing``) before a response reaches a mechanism.

Everything here is an immutable value; nothing does I/O.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass, field
from typing import TypeAlias

__all__ = [
    "Cancelled",
    "Challenge",
    "Failure",
    "FailureReason",
    "MalformedResponse",
    "NeedCredentialsCheck",
    "NeedScramKeys",
    "Outcome",
    "PasswordCredentials",
    "StoredScramKeys",
    "Success",
]

# SHA-256 output size: StoredKey and ServerKey are HMAC/H results (RFC 5802 §3, RFC 7677 §3).
SCRAM_KEY_LENGTH = 32

_SCRAM_TEXT_PREFIX = "SCRAM-SHA-256$"
_BASE64 = r"[A-Za-z0-9+/]+={0,2}"
_SCRAM_TEXT = re.compile(
    rf"SCRAM-SHA-256\$([1-9][0-9]{{0,9}}):({_BASE64})\$({_BASE64}):({_BASE64})", re.ASCII
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True, slots=True)
class PasswordCredentials:
    """What PLAIN and LOGIN hand over for checking (RFC 4616 §2).

    The strings are exactly what the client sent, decoded from UTF-8 and not prepared: the
    directory applies one preparation to every password path (SASL, IMAP LOGIN, POP3 PASS,
    web) so that a password set once matches through all of them. ``authzid`` is ``None``
    when the client did not ask to act as someone else; otherwise it equals ``authcid``
    (anything else is refused before this point).
    """

    authzid: str | None
    authcid: str
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class StoredScramKeys:
    """What the server stores for SCRAM-SHA-256 instead of the password (RFC 5802 §3).

    ``stored_key`` is H(ClientKey) and ``server_key`` is HMAC(SaltedPassword, "Server Key");
    neither lets a thief log in directly, but both allow an offline guessing attack, like any
    password hash.
    """

    salt: bytes
    iterations: int
    stored_key: bytes = field(repr=False)
    server_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not self.salt:
            raise ValueError("SCRAM salt must not be empty")
        if self.iterations < 1:
            raise ValueError("SCRAM iteration count must be positive")
        if len(self.stored_key) != SCRAM_KEY_LENGTH or len(self.server_key) != SCRAM_KEY_LENGTH:
            raise ValueError(f"SCRAM-SHA-256 keys are {SCRAM_KEY_LENGTH} bytes long")

    def to_text(self) -> str:
        """One-line form for storage, as RFC 5803 §3 (and PostgreSQL) write it::

        SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>     (base64 values)
        """
        return (
            f"{_SCRAM_TEXT_PREFIX}{self.iterations}:{_b64(self.salt)}"
            f"${_b64(self.stored_key)}:{_b64(self.server_key)}"
        )

    @classmethod
    def from_text(cls, text: str) -> StoredScramKeys:
        """Parse ``to_text()`` output; raises ``ValueError`` when it is not that."""
        match = _SCRAM_TEXT.fullmatch(text)
        if match is None:
            raise ValueError(
                "not a SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> value"
            )
        iterations, salt, stored_key, server_key = match.groups()
        try:
            return cls(
                salt=base64.b64decode(salt, validate=True),
                iterations=int(iterations),
                stored_key=base64.b64decode(stored_key, validate=True),
                server_key=base64.b64decode(server_key, validate=True),
            )
        except binascii.Error as error:
            raise ValueError(f"invalid base64 in stored SCRAM keys: {error}") from None


@dataclass(frozen=True, slots=True)
class Challenge:
    """Send ``data`` to the client as a server challenge; an empty ``data`` is allowed."""

    data: bytes


@dataclass(frozen=True, slots=True)
class NeedCredentialsCheck:
    """Check these credentials, then call ``mechanism.credentials_checked(ok)``."""

    credentials: PasswordCredentials


@dataclass(frozen=True, slots=True)
class NeedScramKeys:
    """Fetch the SCRAM keys of ``username``, then call ``mechanism.provide_keys(keys)``.

    ``username`` is SASLprep-ed (RFC 5802 §5.1). For an unknown user, answer with
    ``fake_scram_keys(username, secret)`` so the exchange looks the same as for a real one.
    """

    username: str


@dataclass(frozen=True, slots=True)
class Success:
    """Authenticated as ``authcid``.

    ``authzid`` is ``None`` or equal to ``authcid`` (no proxy authentication yet).
    ``final_data`` is the mechanism's additional data on success (RFC 4422 §3.6): only set when
    the mechanism was built with ``ServerOptions(success_data_allowed=True)``; otherwise it was
    already sent as a last challenge and this is ``None``.
    """

    authcid: str
    authzid: str | None
    final_data: bytes | None = None


class FailureReason(enum.StrEnum):
    """Why an exchange failed; the values read well in logs.

    Only ``INVALID_CREDENTIALS`` depends on the account, and it is the same for a wrong
    password and an unknown user. The other reasons depend on the client's message alone.
    """

    MALFORMED_MESSAGE = "malformed-message"
    INVALID_ENCODING = "invalid-encoding"
    INVALID_USERNAME_ENCODING = "invalid-username-encoding"
    MESSAGE_TOO_LONG = "message-too-long"
    AUTHZID_NOT_PERMITTED = "authzid-not-permitted"
    CHANNEL_BINDING_NOT_SUPPORTED = "channel-binding-not-supported"
    CHANNEL_BINDINGS_DONT_MATCH = "channel-bindings-dont-match"
    EXTENSIONS_NOT_SUPPORTED = "extensions-not-supported"
    INVALID_CREDENTIALS = "invalid-credentials"


@dataclass(frozen=True, slots=True)
class Failure:
    """The exchange failed. ``detail`` is for the log, not for the client."""

    reason: FailureReason
    detail: str = ""


Outcome: TypeAlias = Challenge | NeedCredentialsCheck | NeedScramKeys | Success | Failure


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The client sent ``*`` instead of a response (RFC 4954 §4, RFC 9051 §6.2.2, RFC 5034 §4)."""


@dataclass(frozen=True, slots=True)
class MalformedResponse:
    """The client's response is not valid base64, or is too long to be one we would accept."""

    reason: str
