"""Errors raised by the network layer.

::

    CourrielError
     └── NetError
          ├── ConnectionClosed      the peer closed its side, or the connection broke
          ├── ReadTimeout           no complete read within the caller's timeout
          ├── LineTooLong           a line exceeded the caller's limit (already discarded)
          ├── BindError             a listener could not bind one of its addresses
          └── TlsError
               ├── TlsConfigError      certificate or key files are unusable
               └── TlsHandshakeError   a server-side TLS handshake failed or timed out

Protocol servers catch these in their session loop and turn them into their own wire replies
(``500 5.5.2 Line too long``, ``* BYE Autologout``...). Nothing here knows a protocol.
"""

from __future__ import annotations

from courriel.core.errors import CourrielError


class NetError(CourrielError):
    """Base class of every error the network layer raises on purpose."""


class ConnectionClosed(NetError):
    """The peer closed the connection (or it broke) before the read could complete.

    ``partial`` holds the bytes received before the end that did not make a complete unit
    (an unterminated last line, a short ``read_exactly``); they are dropped from the stream.
    """

    def __init__(self, message: str = "connection closed by peer", *, partial: bytes = b"") -> None:
        super().__init__(message)
        self.partial = partial


class ReadTimeout(NetError):
    """A read did not complete within its timeout; buffered data is kept for the next read."""

    def __init__(self, timeout: float) -> None:
        super().__init__(f"no data within {timeout:g} s")
        self.timeout = timeout


class LineTooLong(NetError):
    """A line longer than the limit arrived; it was discarded up to and including its LF.

    The stream is positioned at the start of the next line, so the protocol can send its
    error reply and keep reading commands.
    """

    def __init__(self, limit: int, discarded: int) -> None:
        super().__init__(f"line longer than {limit} bytes ({discarded} bytes discarded)")
        self.limit = limit
        self.discarded = discarded


class BindError(NetError):
    """A listener could not bind one of its addresses (in use, not local, no permission)."""

    def __init__(self, listener: str, address: str, port: int, reason: str) -> None:
        super().__init__(f"listener {listener}: cannot bind [{address}]:{port}: {reason}")
        self.listener = listener
        self.address = address
        self.port = port


class TlsError(NetError):
    """Base class of TLS errors."""


class TlsConfigError(TlsError):
    """The certificate or key files cannot be used (missing, unparsable, not matching)."""


class TlsHandshakeError(TlsError):
    """The TLS handshake with a client failed (old protocol version, bad data, timeout)."""
