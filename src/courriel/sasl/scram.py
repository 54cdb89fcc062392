"""SCRAM-SHA-256 (RFC 5802, RFC 7677): key derivation, server state machine, client.

Server exchange (RFC 5802 §5, §3 for the algebra)::

    C: n,,n=user,r=<client nonce>                     step(data)        -> NeedScramKeys("user")
                                                       provide_keys(k)   -> Challenge(server-first)
    S: r=<client nonce><server nonce>,s=<salt>,i=<count>
    C: c=biws,r=<nonce>,p=<ClientProof>               step(data)        -> Success / Failure
    S: v=<ServerSignature>                             (sent as a final challenge in SMTP, IMAP
                                                        and POP3, then Success; see mechanism.py)

The server never sees a password: it asks the caller for ``StoredScramKeys`` by user name and
checks the proof against them. For an unknown user the caller answers with
``fake_scram_keys``: a salt that is stable per name and as long as a real one, the usual
iteration count, and keys no password matches. An attacker then cannot tell "no such user"
from "wrong password" by the exchange: an error at client-first, a missing salt, or a salt
that changes between attempts would each give it away.

Channel binding: the gs2 flags ``n`` and ``y`` are accepted; ``p=`` (the -PLUS variants) is
refused with ``channel-binding-not-supported`` because we offer none. Mandatory extensions
(``m=``) are refused (RFC 5802 §5.1).

Pure: randomness arrives through ``nonce_source``; PBKDF2 (the only slow part) runs only in
``derive_scram_keys`` (when a password is set) and on the client.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from courriel.sasl.errors import MechanismStateError, SaslClientError, SaslprepError
from courriel.sasl.mechanism import MechanismBase, NonceSource, ServerOptions, random_nonce
from courriel.sasl.outcomes import (
    SCRAM_KEY_LENGTH,
    Challenge,
    Failure,
    FailureReason,
    NeedScramKeys,
    Outcome,
    StoredScramKeys,
    Success,
)
from courriel.sasl.saslprep import saslprep
from courriel.sasl.scram_messages import (
    ClientFirstMessage,
    ScramMessageError,
    encode_saslname,
    is_valid_nonce,
    parse_client_final,
    parse_client_first,
    parse_server_final,
    parse_server_first,
)

__all__ = [
    "DEFAULT_ITERATIONS",
    "MAX_CLIENT_ITERATIONS",
    "MIN_ITERATIONS",
    "SALT_LENGTH",
    "ScramClient",
    "ScramSha256Server",
    "derive_scram_keys",
    "fake_scram_keys",
    "new_scram_keys",
]

# RFC 7677 §4: "the hash iteration-count announced by a server SHOULD be at least 4096".
MIN_ITERATIONS = 4096

# Why 10,000: the count is paid by every client on every login (the server stores the keys
# and never runs PBKDF2 at login), so phones reconnecting IMAP, SMTP and IDLE pay it many times
# a day; 10,000 costs about 4 ms on a server core and tens of ms on a phone. It is 2.4 times
# the RFC 7677 floor. A much larger count would not make a stolen database safe: PBKDF2 keys
# stay far cheaper to attack than the argon2 hash stored beside them, at any count a phone
# tolerates. Each key set records its own count, so the default can be raised later without
# breaking stored keys; fake keys must then use the same count as fresh real ones.
DEFAULT_ITERATIONS = 10_000

# RFC 5802 §9: "A hostile server can perform a computational denial-of-service attack on
# clients by sending a big iteration count value." One million is about 0.4 s here.
MAX_CLIENT_ITERATIONS = 1_000_000

SALT_LENGTH = 16  # real and fake salts have the same length, so they look alike

_HASH = "sha256"  # RFC 7677 §3
_CLIENT_KEY_LABEL = b"Client Key"  # RFC 5802 §3
_SERVER_KEY_LABEL = b"Server Key"  # RFC 5802 §3
_MIN_FAKE_SECRET_LENGTH = 16
_FAKE_KEY_CONTEXT = b"courriel sasl fake-scram-keys v1\x00"


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, _HASH).digest()


def _hash(data: bytes) -> bytes:
    return hashlib.new(_HASH, data).digest()


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _normalize_password(password: str) -> bytes:
    """RFC 5802 §2.2 Normalize(): SASLprep as a stored string, then UTF-8.

    A password with no SASLprep form (control characters, or code points Unicode 3.2 does
    not know, such as emoji) is used as its raw UTF-8, as PostgreSQL does: clients that skip
    SASLprep, which are most of them, still log in, and strict clients refuse such a password
    on their side anyway.
    """
    try:
        return saslprep(password).encode("utf-8")
    except SaslprepError:
        return password.encode("utf-8")


def _salted_password(password: str, salt: bytes, iterations: int) -> bytes:
    # RFC 5802 §2.2: Hi() is PBKDF2 with HMAC as the PRF and dkLen the hash output size.
    return hashlib.pbkdf2_hmac(_HASH, _normalize_password(password), salt, iterations)


def derive_scram_keys(
    password: str, salt: bytes, iterations: int = DEFAULT_ITERATIONS
) -> StoredScramKeys:
    """The keys to store when a password is set (RFC 5802 §3).

    Raises ``ValueError`` for an empty salt or fewer than ``MIN_ITERATIONS`` iterations.
    """
    if not salt:
        raise ValueError("SCRAM salt must not be empty")
    if iterations < MIN_ITERATIONS:
        raise ValueError(f"SCRAM iteration count must be at least {MIN_ITERATIONS} (RFC 7677 §4)")
    salted_password = _salted_password(password, salt, iterations)
    client_key = _hmac(salted_password, _CLIENT_KEY_LABEL)
    return StoredScramKeys(
        salt=salt,
        iterations=iterations,
        stored_key=_hash(client_key),
        server_key=_hmac(salted_password, _SERVER_KEY_LABEL),
    )


def new_scram_keys(
    password: str,
    iterations: int = DEFAULT_ITERATIONS,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> StoredScramKeys:
    """``derive_scram_keys`` with a fresh random salt of ``SALT_LENGTH`` bytes."""
    return derive_scram_keys(password, random_bytes(SALT_LENGTH), iterations)


def fake_scram_keys(
    username: str, secret: bytes, iterations: int = DEFAULT_ITERATIONS
) -> StoredScramKeys:
    """Keys for a user who does not exist: deterministic per user name, matching no password.

    ``secret`` is a server-wide secret kept across restarts (a salt that changed on every
    attempt would betray the fake). Pass ``username`` in the form the directory uses for
    lookups, so that spellings which would find the same real account also get the same fake
    salt, and ``iterations`` equal to the count fresh real keys get.

    The keys come from HMAC-SHA-256 keyed with ``secret`` (an HKDF-style expand); nobody
    without ``secret`` can predict them, and finding a password that matches them is as hard
    as inverting SHA-256.
    """
    if len(secret) < _MIN_FAKE_SECRET_LENGTH:
        raise ValueError(f"fake SCRAM key secret must be at least {_MIN_FAKE_SECRET_LENGTH} bytes")
    user_key = _hmac(secret, _FAKE_KEY_CONTEXT + username.encode("utf-8"))
    return StoredScramKeys(
        salt=_hmac(user_key, b"salt")[:SALT_LENGTH],
        iterations=iterations,
        stored_key=_hmac(user_key, b"stored key"),
        server_key=_hmac(user_key, b"server key"),
    )


def _fresh_nonce(nonce_source: NonceSource) -> str:
    nonce = nonce_source()
    if not is_valid_nonce(nonce):
        # The injected source is ours, not the client's: a bad nonce is a bug, not a Failure.
        raise ValueError("nonce source returned a nonce that is not printable ASCII without ','")
    return nonce


# The server's state, as values (CONVENTIONS §3): each carries what the next step needs.


@dataclass(frozen=True, slots=True)
class _AwaitingClientFirst:
    pass


@dataclass(frozen=True, slots=True)
class _AwaitingKeys:
    client_first: ClientFirstMessage
    username: str  # SASLprep-ed


@dataclass(frozen=True, slots=True)
class _AwaitingClientFinal:
    client_first: ClientFirstMessage
    username: str
    keys: StoredScramKeys
    nonce: str  # client nonce + server nonce
    server_first: str


@dataclass(frozen=True, slots=True)
class _Finished:
    pass


_ServerState: TypeAlias = _AwaitingClientFirst | _AwaitingKeys | _AwaitingClientFinal | _Finished


class ScramSha256Server(MechanismBase):
    """Server side of SCRAM-SHA-256; see the module docstring for the exchange."""

    mechanism_name = "SCRAM-SHA-256"

    def __init__(self, options: ServerOptions | None = None) -> None:
        super().__init__(options)
        self._state: _ServerState = _AwaitingClientFirst()

    def _fail(self, reason: FailureReason, detail: str) -> Failure:
        self._state = _Finished()
        return Failure(reason, detail)

    def _on_client_data(self, client_data: bytes | None) -> Outcome:
        match self._state:
            case _AwaitingClientFirst():
                if client_data is None:
                    # RFC 4422 §5: no initial response, so an empty challenge asks for one.
                    return Challenge(b"")
                return self._receive_client_first(client_data)
            case _AwaitingClientFinal() as state:
                return self._receive_client_final(state, client_data or b"")
            case _:
                raise MechanismStateError(f"{self.name}: no client data expected now")

    def _receive_client_first(self, data: bytes) -> Outcome:
        try:
            message = parse_client_first(data)
        except ScramMessageError as error:
            return self._fail(error.reason, error.detail)
        try:
            # RFC 5802 §5.1: the server prepares the user name as a query string.
            username = saslprep(message.username, allow_unassigned=True)
        except SaslprepError as error:
            return self._fail(FailureReason.INVALID_USERNAME_ENCODING, f"user name: {error}")
        if not username:
            # RFC 5802 §5.1: preparation resulting in an empty string SHOULD abort.
            return self._fail(FailureReason.INVALID_USERNAME_ENCODING, "empty user name")
        if message.authzid is not None and message.authzid != message.username:
            # RFC 5802 §5.1 a=: acting as another identity; no proxy authentication (yet).
            return self._fail(
                FailureReason.AUTHZID_NOT_PERMITTED,
                "authorization identity differs from authentication identity; "
                "proxy authentication is not supported",
            )
        self._state = _AwaitingKeys(message, username)
        return NeedScramKeys(username)

    def _on_keys(self, keys: StoredScramKeys) -> Outcome:
        state = self._state
        if not isinstance(state, _AwaitingKeys):
            raise MechanismStateError(f"{self.name}: keys were not asked for")
        # RFC 5802 §5.1 r=: the server appends its own nonce to the client's.
        nonce = state.client_first.nonce + _fresh_nonce(self._options.nonce_source)
        # RFC 5802 §5.1 s=, i=
        server_first = f"r={nonce},s={_b64(keys.salt)},i={keys.iterations}"
        self._state = _AwaitingClientFinal(
            client_first=state.client_first,
            username=state.username,
            keys=keys,
            nonce=nonce,
            server_first=server_first,
        )
        return Challenge(server_first.encode("ascii"))

    def _receive_client_final(self, state: _AwaitingClientFinal, data: bytes) -> Outcome:
        try:
            message = parse_client_final(data)
        except ScramMessageError as error:
            return self._fail(error.reason, error.detail)
        # RFC 5802 §5.1 c=: without channel binding, c= is the base64 of the gs2 header.
        if message.channel_binding != state.client_first.gs2_header.encode("utf-8"):
            return self._fail(
                FailureReason.CHANNEL_BINDINGS_DONT_MATCH, "c= does not repeat the gs2 header"
            )
        # RFC 5802 §5.1 r=: "the server MUST verify that the nonce sent by the client in the
        # second message is the same as the one sent by the server in its first message."
        if message.nonce != state.nonce:
            return self._fail(FailureReason.MALFORMED_MESSAGE, "nonce does not match")
        if len(message.proof) != SCRAM_KEY_LENGTH:
            return self._fail(FailureReason.MALFORMED_MESSAGE, "client proof has the wrong size")

        # RFC 5802 §3: AuthMessage, ClientSignature, and the proof check.
        auth_message = ",".join(
            (state.client_first.bare, state.server_first, message.without_proof)
        ).encode("utf-8")
        client_signature = _hmac(state.keys.stored_key, auth_message)
        client_key = _xor(message.proof, client_signature)
        # Same work and same Failure for fake keys: an unknown user looks like a bad password.
        if not hmac.compare_digest(_hash(client_key), state.keys.stored_key):
            return self._fail(FailureReason.INVALID_CREDENTIALS, "client proof does not match")

        server_signature = _hmac(state.keys.server_key, auth_message)
        self._state = _Finished()
        return Success(
            authcid=state.username,
            authzid=state.username if state.client_first.authzid is not None else None,
            final_data=f"v={_b64(server_signature)}".encode("ascii"),  # RFC 5802 §5.1 v=
        )


class ScramClient:
    """Client side of SCRAM-SHA-256: ``first()``, ``final(server_first)``, ``verify(...)``.

    Our SMTP client uses it to authenticate to a smarthost, and the tests use it against the
    server. ``final()`` runs PBKDF2; an asyncio caller runs it in a thread. Every problem with
    the server's messages raises ``SaslClientError``; calling the methods out of order raises
    ``MechanismStateError``. The client sends gs2 flag ``n`` (it does no channel binding).
    """

    def __init__(
        self,
        username: str,
        password: str,
        *,
        nonce_source: NonceSource = random_nonce,
        min_iterations: int = MIN_ITERATIONS,
        max_iterations: int = MAX_CLIENT_ITERATIONS,
    ) -> None:
        # RFC 5802 §5.1: the client SHOULD prepare the user name as a query string and
        # abort when that fails or leaves nothing.
        prepared = saslprep(username, allow_unassigned=True)
        if not prepared:
            raise SaslprepError("user name is empty after SASLprep")
        self._username = prepared
        self._password = password
        self._nonce_source = nonce_source
        self._min_iterations = min_iterations
        self._max_iterations = max_iterations
        self._gs2_header = "n,,"  # RFC 5802 §7: no channel binding, no authzid
        self._client_first_bare: str | None = None
        self._client_nonce = ""
        self._expected_server_signature: bytes | None = None
        self._verified = False

    def first(self) -> bytes:
        """The client-first-message (send it as the initial response)."""
        if self._client_first_bare is not None:
            raise MechanismStateError("first() was already called")
        self._client_nonce = _fresh_nonce(self._nonce_source)
        self._client_first_bare = f"n={encode_saslname(self._username)},r={self._client_nonce}"
        return (self._gs2_header + self._client_first_bare).encode("utf-8")

    def final(self, server_first: bytes) -> bytes:
        """The client-final-message answering the server-first-message."""
        if self._client_first_bare is None or self._expected_server_signature is not None:
            raise MechanismStateError("final() must follow first(), once")
        try:
            message = parse_server_first(server_first)
        except ScramMessageError as error:
            raise SaslClientError(f"bad server-first-message: {error.detail}") from None
        # RFC 5802 §5.1: the nonce must start with ours and the server must add its part.
        if not message.nonce.startswith(self._client_nonce) or message.nonce == self._client_nonce:
            raise SaslClientError("server nonce does not extend the client nonce")
        if not self._min_iterations <= message.iterations <= self._max_iterations:
            raise SaslClientError(
                f"iteration count {message.iterations} outside "
                f"{self._min_iterations}..{self._max_iterations}"
            )
        salted_password = _salted_password(self._password, message.salt, message.iterations)
        client_key = _hmac(salted_password, _CLIENT_KEY_LABEL)
        without_proof = f"c={_b64(self._gs2_header.encode('utf-8'))},r={message.nonce}"
        auth_message = ",".join(
            (self._client_first_bare, server_first.decode("utf-8"), without_proof)
        ).encode("utf-8")
        client_signature = _hmac(_hash(client_key), auth_message)
        server_key = _hmac(salted_password, _SERVER_KEY_LABEL)
        self._expected_server_signature = _hmac(server_key, auth_message)
        proof = _xor(client_key, client_signature)
        return f"{without_proof},p={_b64(proof)}".encode("ascii")

    def verify(self, server_final: bytes) -> None:
        """Check the server-final-message; the server proved it knows the keys if this returns.

        RFC 5802 §5.1 v=: the client MUST verify the ServerSignature; until then the server
        is not authenticated. Raises ``SaslClientError`` on ``e=`` or a wrong signature.
        """
        expected = self._expected_server_signature
        if expected is None or self._verified:
            raise MechanismStateError("verify() must follow final(), once")
        try:
            message = parse_server_final(server_final)
        except ScramMessageError as error:
            raise SaslClientError(f"bad server-final-message: {error.detail}") from None
        if message.error is not None:
            raise SaslClientError(f"server reported error: {message.error}")
        if message.verifier is None or not hmac.compare_digest(message.verifier, expected):
            raise SaslClientError("server signature does not match")
        self._verified = True
