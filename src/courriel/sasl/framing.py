"""Base64 framing of SASL exchanges, shared by SMTP, IMAP and POP3.

The three protocols carry SASL the same way (RFC 4422 §4, "protocol requirements"):

- SMTP AUTH, RFC 4954 §4: ``334 <base64>`` challenges, base64 response lines, ``*`` cancels,
  an initial response of ``=`` is an empty one.
- IMAP AUTHENTICATE, RFC 9051 §6.2.2 with SASL-IR, RFC 4959 §3: ``+ <base64>`` continuations,
  the same responses, ``*`` cancels, ``=`` is an empty initial response.
- POP3 AUTH, RFC 5034 §4: ``+ <base64>`` challenges, the same responses and rules.

So the decoding lives here once. A protocol server passes the line it read (with or without
its CRLF) and gets bytes for the mechanism, ``Cancelled`` or ``MalformedResponse``; it never
sees a ``binascii.Error``. The wire replies (``501 5.5.2``, ``BAD``, ``-ERR``) stay in each
server's error table.

This module does no I/O and knows no mechanism.
"""

from __future__ import annotations

import base64
import binascii

from courriel.sasl.errors import SaslClientError
from courriel.sasl.outcomes import Cancelled, MalformedResponse

__all__ = [
    "MAX_MESSAGE_SIZE",
    "decode_challenge",
    "decode_initial_response",
    "decode_response",
    "encode_challenge",
    "encode_initial_response",
    "encode_response",
]

# Largest decoded client message we accept. PLAIN needs three 255-octet fields (RFC 4616 §2);
# SCRAM messages are a few hundred octets. 8 KiB leaves room and bounds the work per line.
MAX_MESSAGE_SIZE = 8192

_CANCEL = b"*"  # RFC 4954 §4, RFC 9051 §6.2.2, RFC 5034 §4
_EMPTY_INITIAL_RESPONSE = b"="  # RFC 4954 §4, RFC 4959 §3, RFC 5034 §4


def _encoded_limit(max_size: int) -> int:
    return 4 * ((max_size + 2) // 3)


def _as_bytes(line: bytes | str) -> bytes | None:
    if isinstance(line, str):
        if not line.isascii():
            return None
        line = line.encode("ascii")
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith(b"\n"):
        return line[:-1]
    return line


def _decode_base64(data: bytes, max_size: int) -> bytes | MalformedResponse:
    if len(data) > _encoded_limit(max_size):
        return MalformedResponse(f"response longer than {max_size} octets")
    try:
        # validate=True: characters outside the base64 alphabet are an error, not skipped.
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        return MalformedResponse("response is not valid base64")


def decode_response(
    line: bytes | str, *, max_size: int = MAX_MESSAGE_SIZE
) -> bytes | Cancelled | MalformedResponse:
    """Decode a client's answer to a challenge.

    ``*`` is ``Cancelled()``; an empty line is the empty response ``b""``; anything else must
    be base64 of at most ``max_size`` octets.
    """
    data = _as_bytes(line)
    if data is None:
        return MalformedResponse("response is not valid base64")
    if data == _CANCEL:
        return Cancelled()
    return _decode_base64(data, max_size)


def decode_initial_response(
    argument: bytes | str | None, *, max_size: int = MAX_MESSAGE_SIZE
) -> bytes | MalformedResponse | None:
    """Decode the optional initial response given with the AUTH / AUTHENTICATE command.

    ``None`` (no argument) stays ``None``, which tells the mechanism that the client sent no
    initial response; ``=`` is the empty initial response ``b""``. ``*`` is not a cancel here:
    no exchange has started, and it is not base64.
    """
    if argument is None:
        return None
    data = _as_bytes(argument)
    if data is None:
        return MalformedResponse("initial response is not valid base64")
    if data == _EMPTY_INITIAL_RESPONSE:
        return b""
    if not data:
        # RFC 4954 §4: an empty initial response must be sent as "=", never as nothing.
        return MalformedResponse("empty initial response must be sent as '='")
    return _decode_base64(data, max_size)


def encode_challenge(data: bytes) -> bytes:
    """Base64 of a server challenge, ready to follow ``334 `` or ``+ ``; empty for no data."""
    return base64.b64encode(data)


# Client side: our SMTP client authenticating to a smarthost uses these.


def encode_response(data: bytes) -> bytes:
    """Base64 of a client response to a challenge (an empty response is an empty line)."""
    return base64.b64encode(data)


def encode_initial_response(data: bytes) -> bytes:
    """Base64 of a client initial response; ``=`` when it is empty (RFC 4954 §4, RFC 4959 §3)."""
    return base64.b64encode(data) if data else _EMPTY_INITIAL_RESPONSE


def decode_challenge(text: bytes | str) -> bytes:
    """Decode a server challenge (the text after ``334 `` or ``+ ``).

    Raises ``SaslClientError`` when it is not base64.
    """
    data = _as_bytes(text)
    if data is None:
        raise SaslClientError("server challenge is not valid base64")
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error as error:
        raise SaslClientError("server challenge is not valid base64") from error
