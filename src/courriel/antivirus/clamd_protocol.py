"""The clamd ``INSTREAM`` exchange as bytes: the request for a message and its reply.

From clamd(8), "COMMANDS":

- a command prefixed with ``z`` ends with a NUL byte, and so does clamd's reply to it;
- ``zINSTREAM`` is followed by the data in chunks, each a 4-byte unsigned length in
  network byte order and that many bytes; a zero-length chunk ends the stream;
- the reply names the stream ``stream``: ``stream: OK``, ``stream: <signature> FOUND``,
  or an error ending in ``ERROR``; a stream over clamd's ``StreamMaxLength`` gets
  ``INSTREAM size limit exceeded. ERROR`` and the connection is closed.

:func:`instream_request` yields the request, :func:`reply_complete` says when a reply has
been read whole and :func:`parse_reply` turns it into a :data:`ScanReply`: ``Clean``,
``Infected``, ``SizeLimitExceeded`` or ``ClamdError``. Anything else (no NUL, not ASCII,
longer than :data:`MAX_REPLY`, an unknown form) raises ``ScannerReplyError``.

Must not: do I/O (``clamd`` does), or decide what a result means for the message.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from courriel.antivirus.daemon import ScannerReplyError

COMMAND = b"zINSTREAM\0"
#: clamd's default StreamMaxLength is 25 MiB; chunks are well under its buffer.
CHUNK_SIZE = 64 * 1024
END_OF_STREAM = struct.pack("!I", 0)
#: The longest reply read: a status line naming one signature.
MAX_REPLY = 4096
_SIZE_LIMIT = "INSTREAM size limit exceeded."
_STREAM = "stream: "


@dataclass(frozen=True, slots=True)
class Clean:
    """No signature matched."""


@dataclass(frozen=True, slots=True)
class Infected:
    """The data matched ``signature`` (``Eicar-Test-Signature``, ``Win.Trojan.X-1``)."""

    signature: str


@dataclass(frozen=True, slots=True)
class SizeLimitExceeded:
    """The data is longer than clamd's ``StreamMaxLength``: not scanned."""


@dataclass(frozen=True, slots=True)
class ClamdError:
    """clamd could not scan the data; ``message`` is its text without ``ERROR``."""

    message: str


ScanReply = Clean | Infected | SizeLimitExceeded | ClamdError


def instream_request(data: bytes, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The pieces of a ``zINSTREAM`` request scanning ``data``: the command, the
    length-prefixed chunks, the zero-length terminator."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    yield COMMAND
    view = memoryview(data)
    for start in range(0, len(data), chunk_size):
        chunk = view[start : start + chunk_size]
        yield struct.pack("!I", len(chunk)) + chunk
    yield END_OF_STREAM


def reply_complete(reply: bytes) -> bool:
    """Whether ``reply`` holds a whole NUL-terminated reply."""
    return b"\0" in reply


def parse_reply(reply: bytes) -> ScanReply:
    """Read clamd's reply to ``zINSTREAM`` (as read from the socket, NUL included).

    A reply cut before its NUL is accepted only for the size-limit error, after which
    clamd closes the connection (some versions drop the NUL there)."""
    if len(reply) > MAX_REPLY:
        raise ScannerReplyError(f"clamd reply longer than {MAX_REPLY} bytes")
    line, nul, _ = reply.partition(b"\0")
    try:
        text = line.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ScannerReplyError("clamd reply is not ASCII") from None
    if not text.isprintable():
        raise ScannerReplyError("clamd reply has control characters")
    if text.startswith(_SIZE_LIMIT):
        return SizeLimitExceeded()
    if not nul:
        raise ScannerReplyError(f"clamd reply truncated: {_quote(text)}")
    if text == "ERROR" or text.endswith(" ERROR"):
        message = text.removesuffix("ERROR").removeprefix(_STREAM).strip()
        return ClamdError(message or "unspecified error")
    if not text.startswith(_STREAM):
        raise ScannerReplyError(f"unexpected clamd reply: {_quote(text)}")
    status = text.removeprefix(_STREAM)
    if status == "OK":
        return Clean()
    if status.endswith(" FOUND"):
        signature = status.removesuffix(" FOUND").strip()
        if signature:
            return Infected(signature)
    raise ScannerReplyError(f"unexpected clamd reply: {_quote(text)}")


def _quote(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
