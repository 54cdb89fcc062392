"""The contract every server mechanism keeps, and the base class that enforces it.

A server mechanism is a state machine with three entry points, each returning an ``Outcome``
(see ``courriel.sasl.outcomes``)::

    step(client_data)          client data arrived (None: no initial response was given)
    provide_keys(keys)         answer to NeedScramKeys
    credentials_checked(ok)    answer to NeedCredentialsCheck

The last outcome says which call comes next; any other call raises ``MechanismStateError``.
Bad client data never raises: it becomes ``Failure``.

``MechanismBase`` holds the rules shared by all mechanisms so each one only parses its own
messages: the size limit, the "which call is expected" bookkeeping, and RFC 4422 §5's rule
for additional data on success in protocols that cannot carry it (SMTP, IMAP, POP3): the data
goes out as one more challenge, the client answers with an empty response, then ``Success``.

No I/O, no storage, no clock; the only outside effect, randomness, comes in through
``ServerOptions.nonce_source``.
"""

from __future__ import annotations

import base64
import enum
import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar, Protocol, TypeAlias

from courriel.sasl.errors import MechanismStateError
from courriel.sasl.framing import MAX_MESSAGE_SIZE
from courriel.sasl.outcomes import (
    Challenge,
    Failure,
    FailureReason,
    NeedCredentialsCheck,
    NeedScramKeys,
    Outcome,
    StoredScramKeys,
    Success,
)

__all__ = [
    "MechanismBase",
    "NonceSource",
    "ServerMechanism",
    "ServerOptions",
    "random_nonce",
]

NonceSource: TypeAlias = Callable[[], str]
"""Returns a fresh nonce: printable ASCII without ``,`` (RFC 5802 §7 ``printable``)."""

_NONCE_RANDOM_BYTES = 18  # 144 bits, 24 base64 characters without padding


def random_nonce(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A SCRAM nonce: base64 of 18 random bytes (RFC 5802 §5.1 asks for a "random nonce").

    Base64 output is printable and has no ``,``, so it is a valid ``c-nonce`` / ``s-nonce``.
    """
    return base64.b64encode(random_bytes(_NONCE_RANDOM_BYTES)).decode("ascii")


@dataclass(frozen=True, slots=True)
class ServerOptions:
    """How server mechanisms are built; one value per listener is enough.

    ``nonce_source`` is the injected random port (tests pass a fixed nonce).
    ``success_data_allowed`` is true only for protocols whose success reply can carry data
    (ManageSieve, RFC 5804 §2.1); SMTP (RFC 4954 §4), IMAP (RFC 9051 §6.2.2) and POP3
    (RFC 5034 §4) cannot, so the default sends such data as a final challenge.
    """

    nonce_source: NonceSource = random_nonce
    max_message_size: int = MAX_MESSAGE_SIZE
    success_data_allowed: bool = False


class ServerMechanism(Protocol):
    """A server-side SASL mechanism: see the module docstring for the calling rules."""

    @property
    def name(self) -> str:
        """The registered mechanism name, e.g. ``"SCRAM-SHA-256"``."""
        ...

    def step(self, client_data: bytes | None) -> Outcome:
        """Feed the client's next message; ``None`` only first, for "no initial response"."""
        ...

    def provide_keys(self, keys: StoredScramKeys) -> Outcome:
        """Answer ``NeedScramKeys`` with the user's keys (or fake ones for an unknown user)."""
        ...

    def credentials_checked(self, ok: bool) -> Outcome:
        """Answer ``NeedCredentialsCheck`` with the directory's verdict."""
        ...


class _Expecting(enum.Enum):
    CLIENT_DATA = "step()"
    KEYS = "provide_keys()"
    CREDENTIALS_CHECK = "credentials_checked()"
    NOTHING = "no further call (the exchange is over)"


class MechanismBase(ABC):
    """Shared bookkeeping; subclasses implement ``_on_client_data`` and what they ask for."""

    mechanism_name: ClassVar[str]

    def __init__(self, options: ServerOptions | None = None) -> None:
        self._options = options if options is not None else ServerOptions()
        self._expecting = _Expecting.CLIENT_DATA
        self._started = False
        self._pending_success: Success | None = None

    @property
    def name(self) -> str:
        return self.mechanism_name

    def step(self, client_data: bytes | None) -> Outcome:
        self._require(_Expecting.CLIENT_DATA)
        if client_data is None and self._started:
            # Only the first call can mean "no initial response"; later, no data is empty data.
            client_data = b""
        self._started = True
        if client_data is not None and len(client_data) > self._options.max_message_size:
            return self._settle(
                Failure(
                    FailureReason.MESSAGE_TOO_LONG,
                    f"{len(client_data)} octets, limit {self._options.max_message_size}",
                )
            )
        if self._pending_success is not None:
            # RFC 4422 §5: the additional data went out as a challenge; the only valid answer
            # is an empty response.
            if client_data:
                return self._settle(
                    Failure(
                        FailureReason.MALFORMED_MESSAGE,
                        "expected an empty response after the server's final message",
                    )
                )
            return self._settle(self._pending_success)
        return self._settle(self._on_client_data(client_data))

    def provide_keys(self, keys: StoredScramKeys) -> Outcome:
        self._require(_Expecting.KEYS)
        return self._settle(self._on_keys(keys))

    def credentials_checked(self, ok: bool) -> Outcome:
        self._require(_Expecting.CREDENTIALS_CHECK)
        return self._settle(self._on_credentials_checked(ok))

    @abstractmethod
    def _on_client_data(self, client_data: bytes | None) -> Outcome:
        """Handle client data; ``None`` only on the first call (no initial response)."""

    # Unreachable unless a subclass returns NeedScramKeys / NeedCredentialsCheck without
    # answering it: _require() only lets these through after such an outcome.
    def _on_keys(self, keys: StoredScramKeys) -> Outcome:  # noqa: ARG002
        raise MechanismStateError(f"{self.name} never asks for SCRAM keys")

    def _on_credentials_checked(self, ok: bool) -> Outcome:  # noqa: ARG002
        raise MechanismStateError(f"{self.name} never asks for a credentials check")

    def _require(self, expected: _Expecting) -> None:
        if self._expecting is not expected:
            raise MechanismStateError(
                f"{self.name}: {expected.value} called, "
                f"but the mechanism expects {self._expecting.value}"
            )

    def _settle(self, outcome: Outcome) -> Outcome:
        """Record which call the outcome asks for next, and defer success data if needed."""
        match outcome:
            case Challenge():
                self._expecting = _Expecting.CLIENT_DATA
            case NeedScramKeys():
                self._expecting = _Expecting.KEYS
            case NeedCredentialsCheck():
                self._expecting = _Expecting.CREDENTIALS_CHECK
            case Success(final_data=bytes() as data) if not self._options.success_data_allowed:
                # RFC 4422 §5, RFC 4954 §4, RFC 9051 §6.2.2, RFC 5034 §4.
                self._pending_success = replace(outcome, final_data=None)
                self._expecting = _Expecting.CLIENT_DATA
                return Challenge(data)
            case Success() | Failure():
                self._expecting = _Expecting.NOTHING
                self._pending_success = None
        return outcome
