"""Exceptions of the outbound SMTP client.

::

    CourrielError                        (courriel.core.errors)
     └── SmtpClientError                 .temporary, .status (RFC 3463), .reply (or None)
          ├── SmtpConnectionError        could not connect, or the connection broke (4.4.1/4.4.2)
          │    ├── SmtpTimeout           no reply within its RFC 5321 §4.5.3.2 timeout (4.4.2)
          │    └── SmtpBadReply          the server's bytes are not SMTP replies (4.5.0)
          ├── SmtpTlsError               the TLS handshake failed, or STARTTLS was unsafe (4.7.0)
          ├── SmtpReplyError             the server refused a session command: .reply
          │    └── SmtpAuthError         AUTH failed: refused, no common mechanism, bad proof
          └── SmtpNotPossible            this message cannot go to this server as it is
                                         (SMTPUTF8, 8BITMIME, SIZE): permanent, .status 5.x.x

Per-recipient answers are not exceptions: ``SmtpClient.send`` returns them as ``Reply``
values. These exceptions mean "this session (or this message on this server) is over".
``status`` is the RFC 3463 code the queue reports in a DSN when the error ends an attempt;
a server's ``reply`` keeps its own code. ``temporary`` tells the queue whether to retry.

Must not: format wire replies or decide retry policy (the queue does).
"""

from __future__ import annotations

from courriel.core.errors import CourrielError
from courriel.smtp.protocol.replies import Reply

__all__ = [
    "SmtpAuthError",
    "SmtpBadReply",
    "SmtpClientError",
    "SmtpConnectionError",
    "SmtpNotPossible",
    "SmtpReplyError",
    "SmtpTimeout",
    "SmtpTlsError",
]


class SmtpClientError(CourrielError):
    """Base class: the attempt with this server ended. ``reply`` is the server's answer when
    there was one."""

    default_status = "4.0.0"

    def __init__(self, message: str, *, reply: Reply | None = None, status: str | None = None):
        super().__init__(message)
        self.reply = reply
        self.status = (
            status
            or (reply.enhanced if reply and reply.enhanced else None)
            or (self.default_status)
        )

    @property
    def temporary(self) -> bool:
        """Whether a later attempt (or another host) may succeed."""
        return not self.status.startswith("5")


class SmtpConnectionError(SmtpClientError):
    """The TCP connection could not be made, or it broke (RFC 3463 X.4.1 / X.4.2)."""

    default_status = "4.4.2"


class SmtpTimeout(SmtpConnectionError):
    """The server did not answer in time (RFC 5321 §4.5.3.2); the connection is dropped."""

    default_status = "4.4.2"


class SmtpBadReply(SmtpConnectionError):
    """The server sent something that is not an SMTP reply (RFC 5321 §4.2); the stream is
    out of sync, so the connection is dropped."""

    default_status = "4.5.0"


class SmtpTlsError(SmtpClientError):
    """The TLS handshake failed, or bytes arrived before it that an attacker could have
    injected (RFC 3207 §4.2, CVE-2011-0411). The connection is unusable."""

    default_status = "4.7.0"


class SmtpReplyError(SmtpClientError):
    """The server refused a session command (greeting, EHLO/HELO, STARTTLS, AUTH)."""

    def __init__(self, message: str, reply: Reply) -> None:
        super().__init__(f"{message}: {reply}", reply=reply, status=_status_of(reply))

    @property
    def temporary(self) -> bool:
        if self.reply is None:
            return super().temporary
        return not self.reply.permanent


class SmtpAuthError(SmtpReplyError):
    """AUTH failed: refused (535), no mechanism in common, or the server's SCRAM proof did
    not verify (RFC 5802 §5.1: the server is then not authenticated)."""

    def __init__(self, message: str, reply: Reply | None = None) -> None:
        SmtpClientError.__init__(
            self,
            f"{message}: {reply}" if reply is not None else message,
            reply=reply,
            status=_status_of(reply) if reply is not None else "5.7.8",
        )


class SmtpNotPossible(SmtpClientError):
    """The message cannot be sent to this server without changing it: it needs SMTPUTF8
    (RFC 6531 §3.5, 5.6.7), 8BITMIME or BINARYMIME (RFC 6152 §3, 5.6.3), or it is larger
    than the server's SIZE (RFC 1870 §6, 5.3.4). Nothing was sent."""

    default_status = "5.6.0"


def _status_of(reply: Reply) -> str:
    """The enhanced code of a reply, or one made from its class (RFC 3463 §3.1 X.0.0); an
    unexpected positive reply counts as a temporary problem."""
    if reply.enhanced is not None and reply.code >= 400:
        return reply.enhanced
    return f"{reply.code // 100}.0.0" if reply.code >= 400 else "4.0.0"
