"""Errors of the IMAP grammar; each knows the response that reports it.

Hierarchy::

    ProtocolError                 anything the pure IMAP grammar rejects
    ├── ParseError                a command that cannot be parsed: tagged BAD (or NO for
    │                             BADCHARSET / invalid mailbox names), untagged BAD when
    │                             the tag itself is unreadable (RFC 9051 §7.1.3)
    └── UnknownTransferEncoding   BINARY[] of a part whose Content-Transfer-Encoding the
                                  server cannot decode: NO [UNKNOWN-CTE] (RFC 3516 §4.3)

Framing problems (line too long, literal too big) are not exceptions: the framer returns
them as ``FramingError`` events so that it keeps reading in step with the client.

Must not: format responses (``responses.parse_error_response`` does), or carry Python
exception text to the client.
"""

from __future__ import annotations

from typing import Literal

from courriel.imap.protocol.codes import UNKNOWN_CTE, ResponseCode

Status = Literal["BAD", "NO"]


class ProtocolError(Exception):
    """Base of the errors raised by ``courriel.imap.protocol``."""


class ParseError(ProtocolError):
    """A command the parser rejects.

    ``tag`` is None when the command has no readable tag (the reply is then untagged,
    RFC 9051 §7.1.3); ``text`` is the human-readable text sent to the client; ``code`` an
    optional response code; ``status`` BAD for syntax errors (RFC 9051 §7.1.3), NO for a
    well-formed request the grammar layer still refuses (RFC 9051 §6.4.4 BADCHARSET).
    """

    def __init__(
        self,
        tag: str | None,
        text: str,
        code: ResponseCode | None = None,
        *,
        status: Status = "BAD",
    ) -> None:
        super().__init__(text)
        self.tag = tag
        self.text = text
        self.code = code
        self.status: Status = status

    def __repr__(self) -> str:
        return f"ParseError({self.tag!r}, {self.text!r}, {self.code!r}, status={self.status!r})"


class UnknownTransferEncoding(ProtocolError):
    """BINARY of a part with an encoding we cannot undo (RFC 3516 §4.3: NO [UNKNOWN-CTE])."""

    code = UNKNOWN_CTE

    def __init__(self, encoding: str) -> None:
        super().__init__(f"Unknown Content-Transfer-Encoding {encoding}")
        self.encoding = encoding
        self.text = f"Cannot decode content transfer encoding {encoding!r}"
