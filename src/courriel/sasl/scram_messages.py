"""The SCRAM message grammar (RFC 5802 §7): parse the four messages into values.

Only syntax lives here; keys, proofs and state are in ``courriel.sasl.scram``. A message that
does not follow the grammar raises ``ScramMessageError`` carrying the ``FailureReason`` the
server reports (the client turns it into ``SaslClientError``); nothing else is raised.

Attribute values never contain ``,`` (RFC 5802 §7 ``value-char``), so splitting a message on
``,`` gives its attributes exactly; the order of attributes is fixed (RFC 5802 §5).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from courriel.sasl.outcomes import FailureReason

__all__ = [
    "ClientFinalMessage",
    "ClientFirstMessage",
    "ScramMessageError",
    "ServerFinalMessage",
    "ServerFirstMessage",
    "decode_saslname",
    "encode_saslname",
    "is_valid_nonce",
    "parse_client_final",
    "parse_client_first",
    "parse_server_final",
    "parse_server_first",
]


class ScramMessageError(Exception):
    """A SCRAM message breaks the grammar; ``reason`` is what the server reports."""

    def __init__(self, reason: FailureReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ClientFirstMessage:
    """``gs2-header client-first-message-bare`` (RFC 5802 §7)."""

    gs2_header: str  # "n,," / "y,," / "n,a=alice," exactly as received
    authzid: str | None  # decoded saslname, as sent
    username: str  # decoded saslname, not yet SASLprep-ed
    nonce: str
    bare: str  # client-first-message-bare exactly as received, for AuthMessage


@dataclass(frozen=True, slots=True)
class ClientFinalMessage:
    """``client-final-message-without-proof "," proof`` (RFC 5802 §7)."""

    channel_binding: bytes  # decoded c= value
    nonce: str
    proof: bytes
    without_proof: str  # exactly as received, for AuthMessage


@dataclass(frozen=True, slots=True)
class ServerFirstMessage:
    """``r=nonce,s=salt,i=iteration-count`` (RFC 5802 §7)."""

    nonce: str
    salt: bytes
    iterations: int


@dataclass(frozen=True, slots=True)
class ServerFinalMessage:
    """``v=verifier`` or ``e=server-error-value`` (RFC 5802 §7)."""

    verifier: bytes | None
    error: str | None


_SASLNAME_ESCAPE = re.compile(r"=(2C|3D)")
_SASLNAME = re.compile(r"(?:[^=,\x00]|=2C|=3D)+")
_ITERATION_COUNT = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)


def encode_saslname(name: str) -> str:
    """Escape ``=`` and ``,`` in a name for ``n=`` / ``a=`` (RFC 5802 §5.1)."""
    return name.replace("=", "=3D").replace(",", "=2C")


def decode_saslname(value: str) -> str:
    """Undo ``encode_saslname``; ``=`` followed by anything but ``2C`` / ``3D`` is an error.

    RFC 5802 §5.1: "If the server receives a username that contains '=' not followed by
    either '2C' or '3D', then the server MUST fail the authentication."
    """
    if not _SASLNAME.fullmatch(value):
        raise ScramMessageError(
            FailureReason.INVALID_USERNAME_ENCODING, "invalid saslname (bad '=' escape or empty)"
        )
    return _SASLNAME_ESCAPE.sub(lambda match: "," if match[1] == "2C" else "=", value)


def is_valid_nonce(nonce: str) -> bool:
    """RFC 5802 §7 ``printable``: ASCII 0x21-0x7E except ``,``, at least one character."""
    return bool(nonce) and all(0x21 <= ord(char) <= 0x7E and char != "," for char in nonce)


def _text(message: bytes) -> str:
    try:
        text = message.decode("utf-8")
    except UnicodeDecodeError:
        raise ScramMessageError(
            FailureReason.INVALID_ENCODING, "SCRAM message is not valid UTF-8"
        ) from None
    if "\x00" in text:
        # RFC 5802 §7: value-safe-char excludes NUL, and no other production allows it.
        raise ScramMessageError(FailureReason.MALFORMED_MESSAGE, "NUL in SCRAM message")
    return text


def _attribute(part: str, name: str) -> str:
    if not part.startswith(name + "="):
        raise ScramMessageError(
            FailureReason.MALFORMED_MESSAGE, f"expected attribute '{name}=', got {part[:16]!r}"
        )
    return part[len(name) + 1 :]


def _base64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise ScramMessageError(FailureReason.INVALID_ENCODING, f"{what} is not base64") from None


def _nonce(part: str) -> str:
    nonce = _attribute(part, "r")
    if not is_valid_nonce(nonce):
        raise ScramMessageError(FailureReason.MALFORMED_MESSAGE, "nonce is not printable ASCII")
    return nonce


def _check_extensions(parts: list[str]) -> None:
    # RFC 5802 §7: extensions = attr-val *("," attr-val); attr-val = ALPHA "=" value.
    # Optional extensions we do not know are ignored; only "m=" is mandatory (§5.1).
    for part in parts:
        if len(part) < 3 or not (part[0].isascii() and part[0].isalpha()) or part[1] != "=":
            raise ScramMessageError(
                FailureReason.MALFORMED_MESSAGE, f"invalid attribute {part[:16]!r}"
            )


def _reject_mandatory_extension(part: str) -> None:
    if part.startswith("m="):
        # RFC 5802 §5.1: "m" is reserved for mandatory extensions; a server or client that
        # does not support them MUST fail the authentication.
        raise ScramMessageError(
            FailureReason.EXTENSIONS_NOT_SUPPORTED, "mandatory extension 'm=' not supported"
        )


def parse_client_first(message: bytes) -> ClientFirstMessage:
    """Parse ``client-first-message``; refuses ``p=`` channel binding and ``m=`` extensions."""
    parts = _text(message).split(",")
    flag = parts[0]
    if flag.startswith("p="):
        # RFC 5802 §6: the client wants channel binding; we offer no -PLUS mechanism.
        raise ScramMessageError(
            FailureReason.CHANNEL_BINDING_NOT_SUPPORTED, "channel binding (p=) is not supported"
        )
    if flag not in ("n", "y"):
        # RFC 5802 §7: gs2-cbind-flag = ("p=" cb-name) / "n" / "y". "y" (client supports
        # channel binding, thinks we do not) is right: we do not advertise -PLUS (§6).
        raise ScramMessageError(FailureReason.MALFORMED_MESSAGE, "invalid gs2 channel binding flag")
    if len(parts) > 2:
        _reject_mandatory_extension(parts[2])
    if len(parts) < 4:
        raise ScramMessageError(
            FailureReason.MALFORMED_MESSAGE, "client-first-message needs a gs2 header, n= and r="
        )
    authzid_part = parts[1]
    authzid = decode_saslname(_attribute(authzid_part, "a")) if authzid_part else None
    username = decode_saslname(_attribute(parts[2], "n"))  # RFC 5802 §5.1
    nonce = _nonce(parts[3])
    _check_extensions(parts[4:])
    return ClientFirstMessage(
        gs2_header=f"{flag},{authzid_part},",
        authzid=authzid,
        username=username,
        nonce=nonce,
        bare=",".join(parts[2:]),
    )


def parse_client_final(message: bytes) -> ClientFinalMessage:
    """Parse ``client-final-message``: ``c=``, ``r=``, optional extensions, ``p=`` last."""
    parts = _text(message).split(",")
    if len(parts) < 3:
        raise ScramMessageError(
            FailureReason.MALFORMED_MESSAGE, "client-final-message needs c=, r= and p="
        )
    channel_binding = _base64(_attribute(parts[0], "c"), "channel binding")
    nonce = _nonce(parts[1])
    _check_extensions(parts[2:-1])
    proof = _base64(_attribute(parts[-1], "p"), "client proof")
    return ClientFinalMessage(
        channel_binding=channel_binding,
        nonce=nonce,
        proof=proof,
        without_proof=",".join(parts[:-1]),
    )


def parse_server_first(message: bytes) -> ServerFirstMessage:
    """Parse ``server-first-message`` (client side)."""
    parts = _text(message).split(",")
    _reject_mandatory_extension(parts[0])
    if len(parts) < 3:
        raise ScramMessageError(
            FailureReason.MALFORMED_MESSAGE, "server-first-message needs r=, s= and i="
        )
    nonce = _nonce(parts[0])
    salt = _base64(_attribute(parts[1], "s"), "salt")
    if not salt:
        raise ScramMessageError(FailureReason.MALFORMED_MESSAGE, "empty salt")
    count = _attribute(parts[2], "i")
    if not _ITERATION_COUNT.fullmatch(count):
        raise ScramMessageError(FailureReason.MALFORMED_MESSAGE, "invalid iteration count")
    _check_extensions(parts[3:])
    return ServerFirstMessage(nonce=nonce, salt=salt, iterations=int(count))


def parse_server_final(message: bytes) -> ServerFinalMessage:
    """Parse ``server-final-message`` (client side): a verifier or a server error."""
    parts = _text(message).split(",")
    _check_extensions(parts[1:])
    if parts[0].startswith("e="):
        return ServerFinalMessage(verifier=None, error=_attribute(parts[0], "e"))
    verifier = _base64(_attribute(parts[0], "v"), "server signature")
    return ServerFinalMessage(verifier=verifier, error=None)
