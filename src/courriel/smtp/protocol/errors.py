"""Exceptions of the SMTP grammar.

::

    CourrielError                     (courriel.core.errors)
     └── SmtpProtocolError
          ├── SmtpError                 carries the Reply to send (.reply, .temporary, .permanent)
          │    └── SmtpSyntaxError      client input broke the grammar (parse_command & co)
          │         └── AddressSyntaxError     a path or mailbox is malformed (.reason)
          │              └── NonAsciiAddressError   UTF-8 address without SMTPUTF8 (RFC 6531)
          └── MalformedReply            a server's reply broke RFC 5321 §4.2 (client side)

Client input never raises anything but ``SmtpSyntaxError`` (and its subclasses): the session
catches it, writes ``error.reply`` and, when ``error.close_connection`` is set, closes.
``SmtpError`` is also what a session handler raises to refuse a command with a ready-made
reply (``raise SmtpError(replies.BAD_SEQUENCE)``), so replies are converted to bytes in one
place. ``MalformedReply`` is for the outbound client: the peer server sent something that is
not an SMTP reply, and the connection cannot be trusted any more.

Must not: format replies (``replies.py`` does) or know about sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from courriel.core.errors import CourrielError

if TYPE_CHECKING:
    from courriel.smtp.protocol.replies import Reply

__all__ = [
    "AddressSyntaxError",
    "MalformedReply",
    "NonAsciiAddressError",
    "SmtpError",
    "SmtpProtocolError",
    "SmtpSyntaxError",
]


class SmtpProtocolError(CourrielError):
    """Base class of the SMTP grammar's exceptions."""


class SmtpError(SmtpProtocolError):
    """A refusal that knows its wire form: ``reply`` is what the server sends."""

    def __init__(self, reply: Reply, *, close_connection: bool = False) -> None:
        super().__init__(str(reply))
        self.reply = reply
        self.close_connection = close_connection

    @property
    def temporary(self) -> bool:
        """A 4yz reply: the client may retry later (RFC 5321 §4.2.1)."""
        return self.reply.temporary

    @property
    def permanent(self) -> bool:
        """A 5yz reply: the client must not repeat the same request (RFC 5321 §4.2.1)."""
        return self.reply.permanent


class SmtpSyntaxError(SmtpError):
    """Client input does not follow the grammar; ``reply`` has the exact code to send."""


class AddressSyntaxError(SmtpSyntaxError):
    """A path or mailbox is malformed. ``reason`` says why, in words fit for a reply.

    The address functions raise it with ``501 5.5.4``; ``parse_command`` re-raises it with
    the code of the command's role (``501 5.1.7`` for a sender, ``501 5.1.3`` for a
    recipient, RFC 3463 §3.2).
    """

    def __init__(self, reply: Reply, reason: str) -> None:
        super().__init__(reply)
        self.reason = reason


class NonAsciiAddressError(AddressSyntaxError):
    """A UTF-8 address arrived where SMTPUTF8 was not negotiated (RFC 6531 §3.5)."""


class MalformedReply(SmtpProtocolError):
    """A server's reply line broke RFC 5321 §4.2; ``line`` is the offending line (bytes)."""

    def __init__(self, message: str, line: bytes) -> None:
        super().__init__(f"{message}: {line[:80]!r}")
        self.line = line
