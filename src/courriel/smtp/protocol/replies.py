"""SMTP replies: the ``Reply`` value, its wire form, every reply the server sends, and the
client-side ``ReplyParser``.

Owns: RFC 5321 §4.2 reply syntax (three-digit code, ``-`` continuation lines, the 512-octet
reply-line limit of §4.5.3.1.5), RFC 2034 / RFC 3463 enhanced status codes on every line,
and the named replies the server and its tests share (the aiosmtpd ``statuscodes`` model):
the codes and enhanced codes come from RFC 5321 §4.2.2-§4.2.3, RFC 3463, RFC 1870, RFC 3207,
RFC 4954, RFC 6531, RFC 7504 and RFC 8689.

Must not: decide which reply a situation deserves (the session does), put client data in a
reply line unchecked (``to_bytes`` replaces control characters, so a CR or LF taken from a
client can never forge a reply line), or do I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from courriel.smtp.protocol.errors import MalformedReply

__all__ = [
    "ALREADY_AUTHENTICATED",
    "AUTH_CANCELLED",
    "AUTH_FAILED",
    "AUTH_IN_TRANSACTION",
    "AUTH_LINE_TOO_LONG",
    "AUTH_REQUIRED",
    "AUTH_SUCCEEDED",
    "AUTH_TEMPORARY_FAILURE",
    "AUTH_TOO_WEAK",
    "AUTH_UNEXPECTED_INITIAL_RESPONSE",
    "BAD_RECIPIENT_SYNTAX",
    "BAD_SENDER_ADDRESS",
    "BAD_SENDER_SYNTAX",
    "BAD_SEQUENCE",
    "BARE_LF_IN_COMMAND",
    "BARE_LINE_ENDING_IN_DATA",
    "BINARYMIME_NEEDS_BDAT",
    "CANNOT_VRFY",
    "DOES_NOT_ACCEPT_MAIL",
    "ENCRYPTION_REQUIRED_FOR_AUTH",
    "HELP",
    "INSUFFICIENT_STORAGE",
    "LINE_TOO_LONG",
    "LOCAL_ERROR",
    "MAILBOX_BUSY",
    "MAILBOX_DISABLED",
    "MAILBOX_FULL_TEMPORARY",
    "MAX_REPLY_LINE",
    "MESSAGE_CONTENT_REJECTED",
    "MESSAGE_REJECTED",
    "MESSAGE_TOO_BIG",
    "MUST_STARTTLS",
    "NON_ASCII_RECIPIENT",
    "NON_ASCII_SENDER",
    "NOOP_OK",
    "NOT_IMPLEMENTED",
    "NO_VALID_RECIPIENTS",
    "OK",
    "OVER_QUOTA",
    "PARAMETER_NOT_IMPLEMENTED",
    "POLICY_REJECTED",
    "READY_TO_START_TLS",
    "RECIPIENT_OK",
    "RELAY_DENIED",
    "REQUIRETLS_NOT_POSSIBLE",
    "RESET_OK",
    "SENDER_NOT_OWNED",
    "SENDER_OK",
    "SERVICE_NOT_AVAILABLE",
    "START_MAIL_INPUT",
    "SYNTAX_ERROR",
    "TEMPORARY_LOOKUP_FAILURE",
    "TIMEOUT",
    "TLS_NOT_AVAILABLE",
    "TOO_MANY_CONNECTIONS",
    "TOO_MANY_ERRORS",
    "TOO_MANY_RECIPIENTS",
    "TRANSACTION_FAILED",
    "TRY_AGAIN_LATER",
    "UNKNOWN_AUTH_MECHANISM",
    "UNKNOWN_USER",
    "UNRECOGNISED_COMMAND",
    "UNRECOGNISED_PARAMETER",
    "WILL_FORWARD",
    "Reply",
    "ReplyParser",
    "auth_challenge",
    "bdat_chunk_received",
    "closing",
    "greeting",
    "helo_reply",
    "message_accepted",
]

MAX_REPLY_LINE = 512  # RFC 5321 §4.5.3.1.5: reply line including code and CRLF

# RFC 3463 §2: class "." subject "." detail, class 2, 4 or 5, up to three digits each.
_ENHANCED = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})\Z")
_ENHANCED_PREFIX = re.compile(r"([245]\.\d{1,3}\.\d{1,3})(?: |\Z)")
# Anything that could end or corrupt a reply line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Reply:
    """One SMTP reply: ``code`` (RFC 5321 §4.2), ``enhanced`` (RFC 3463, or None) and text.

    ``text`` is a string for a one-line reply or a sequence of strings, one per line
    (RFC 5321 §4.2.1); it is stored as a string when there is one line and as a tuple
    otherwise, so equal replies compare equal however they were built.
    """

    code: int
    enhanced: str | None
    text: str | Sequence[str] = field(default="")

    def __post_init__(self) -> None:
        # RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39
        if not 200 <= self.code <= 559 or (self.code // 10) % 10 > 5:
            raise ValueError(f"{self.code} is not an SMTP reply code")
        if self.enhanced is not None:
            match = _ENHANCED.match(self.enhanced)
            # RFC 3463 §2: the class says success (2), persistent (4) or permanent (5)
            # failure, so it must agree with the reply code; 3yz replies carry none.
            if match is None or int(match.group(1)) != self.code // 100:
                raise ValueError(f"{self.enhanced!r} is not an enhanced code for {self.code}")
        if not isinstance(self.text, str):
            lines = tuple(self.text)
            object.__setattr__(self, "text", lines[0] if len(lines) == 1 else lines or "")

    @property
    def lines(self) -> tuple[str, ...]:
        """The text lines (at least one, maybe empty)."""
        return (self.text,) if isinstance(self.text, str) else tuple(self.text)

    @property
    def positive(self) -> bool:
        """2yz: the requested action completed (RFC 5321 §4.2.1)."""
        return self.code < 300

    @property
    def intermediate(self) -> bool:
        """3yz: the server waits for more (354 data, 334 AUTH challenge)."""
        return 300 <= self.code < 400

    @property
    def temporary(self) -> bool:
        """4yz: transient negative completion; the client should retry (RFC 5321 §4.2.1)."""
        return 400 <= self.code < 500

    @property
    def permanent(self) -> bool:
        """5yz: permanent negative completion (RFC 5321 §4.2.1)."""
        return self.code >= 500

    def with_text(self, text: str | Sequence[str]) -> Reply:
        """The same codes with another text."""
        return Reply(self.code, self.enhanced, text)

    def to_bytes(self, *, enhanced_codes: bool = True) -> bytes:
        """The wire form: every line but the last is ``code-``, the last ``code SP``.

        The enhanced code prefixes every line (RFC 2034 §4); pass ``enhanced_codes=False``
        to a client that did not get ENHANCEDSTATUSCODES (one that sent HELO). Lines longer
        than 512 octets are split at a space where possible (RFC 5321 §4.5.3.1.5), and
        control characters in the text become ``?``.
        """
        prefix = f"{self.enhanced} " if self.enhanced is not None and enhanced_codes else ""
        budget = MAX_REPLY_LINE - len(prefix) - 6  # "ddd-" and CRLF
        texts: list[bytes] = []
        for line in self.lines:
            encoded = _CONTROL.sub("?", line).encode("utf-8")
            texts.extend(_split_line(encoded, budget))
        code = str(self.code).encode("ascii")
        head = prefix.encode("ascii")
        last = len(texts) - 1
        return b"".join(
            code + (b" " if index == last else b"-") + head + text + b"\r\n"
            for index, text in enumerate(texts)
        )

    def __str__(self) -> str:
        prefix = f"{self.code} {self.enhanced}" if self.enhanced else str(self.code)
        return f"{prefix} {' / '.join(self.lines)}"


def _split_line(text: bytes, budget: int) -> list[bytes]:
    """Cut one line's text into pieces of at most ``budget`` octets, at spaces if it can."""
    pieces: list[bytes] = []
    while len(text) > budget:
        cut = text.rfind(b" ", 0, budget + 1)
        if cut <= 0:
            cut = budget
            # Never cut inside a UTF-8 sequence: back up over continuation octets.
            while cut > 0 and text[cut] & 0xC0 == 0x80:
                cut -= 1
            pieces.append(text[:cut])
            text = text[cut:]
        else:
            pieces.append(text[:cut])
            text = text[cut + 1 :]
    pieces.append(text)
    return pieces


# --- replies that carry a variable part


def greeting(hostname: str, text: str = "ESMTP ready") -> Reply:
    """The 220 greeting: hostname first (RFC 5321 §4.2, §3.1); no enhanced code (RFC 2034 §3)."""
    return Reply(220, None, f"{hostname} {text}" if text else hostname)


def helo_reply(hostname: str) -> Reply:
    """The 250 answer to HELO (RFC 5321 §4.1.1.1); EHLO's is built in ``extensions``."""
    return Reply(250, None, hostname)


def closing(hostname: str, reason: str = "Service closing transmission channel") -> Reply:
    """221: the answer to QUIT, hostname first (RFC 5321 §4.1.1.10, §4.2.2)."""
    return Reply(221, "2.0.0", f"{hostname} {reason}")


def message_accepted(queue_id: str) -> Reply:
    """250 after the end of data: the message is ours now (RFC 5321 §4.1.1.4, §6.1)."""
    return Reply(250, "2.0.0", f"OK queued as {queue_id}")


def bdat_chunk_received(octets: int) -> Reply:
    """250 after a non-final BDAT chunk (RFC 3030 §2)."""
    return Reply(250, "2.0.0", f"{octets} octets received")


def auth_challenge(challenge_base64: str) -> Reply:
    """334 with nothing but the base64 challenge (RFC 4954 §4); ``""`` gives ``334 ``."""
    return Reply(334, None, challenge_base64)


# --- positive completion (2yz)

OK = Reply(250, "2.0.0", "OK")
SENDER_OK = Reply(250, "2.1.0", "Sender OK")  # RFC 3463 §3.2 X.1.0
RECIPIENT_OK = Reply(250, "2.1.5", "Recipient OK")  # RFC 3463 §3.2 X.1.5
RESET_OK = Reply(250, "2.0.0", "Reset state")  # RFC 5321 §4.1.1.5
NOOP_OK = Reply(250, "2.0.0", "OK")  # RFC 5321 §4.1.1.9
WILL_FORWARD = Reply(251, "2.1.5", "User not local; will forward")  # RFC 5321 §3.4
CANNOT_VRFY = Reply(  # RFC 5321 §3.5.3: 252 when VRFY is answered by policy
    252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"
)
HELP = Reply(  # RFC 5321 §4.1.1.8, §4.2.2 (214)
    214, "2.0.0", "See RFC 5321 (https://www.rfc-editor.org/rfc/rfc5321)"
)
READY_TO_START_TLS = Reply(220, "2.0.0", "Ready to start TLS")  # RFC 3207 §4
AUTH_SUCCEEDED = Reply(235, "2.7.0", "Authentication successful")  # RFC 4954 §6

# --- intermediate (3yz)

START_MAIL_INPUT = Reply(354, None, "Start mail input; end with <CRLF>.<CRLF>")  # RFC 5321 §4.3.2

# --- transient negative completion (4yz)

SERVICE_NOT_AVAILABLE = Reply(  # RFC 5321 §3.8: 421 before closing (shutdown)
    421, "4.3.2", "Service not available, closing transmission channel"
)
TIMEOUT = Reply(421, "4.4.2", "Timeout exceeded, closing connection")  # RFC 5321 §4.5.3.2
TOO_MANY_CONNECTIONS = Reply(421, "4.7.0", "Too many connections, try again later")
TOO_MANY_ERRORS = Reply(421, "4.7.0", "Too many errors, closing connection")
MAILBOX_BUSY = Reply(450, "4.2.1", "Mailbox temporarily unavailable")  # RFC 5321 §4.2.2 450
LOCAL_ERROR = Reply(451, "4.3.0", "Local error in processing, try again later")
TRY_AGAIN_LATER = Reply(451, "4.7.1", "Temporarily refused, try again later")  # greylisting
TEMPORARY_LOOKUP_FAILURE = Reply(451, "4.4.3", "Temporary DNS failure, try again later")
INSUFFICIENT_STORAGE = Reply(452, "4.3.1", "Insufficient system storage")  # RFC 1870 §6
MAILBOX_FULL_TEMPORARY = Reply(452, "4.2.2", "Mailbox full, try again later")  # RFC 3463 X.2.2
TOO_MANY_RECIPIENTS = Reply(452, "4.5.3", "Too many recipients")  # RFC 5321 §4.5.3.1.10
TLS_NOT_AVAILABLE = Reply(454, "4.7.0", "TLS not available due to temporary reason")  # RFC 3207 §4
AUTH_TEMPORARY_FAILURE = Reply(454, "4.7.0", "Temporary authentication failure")  # RFC 4954 §6

# --- permanent negative completion (5yz)

UNRECOGNISED_COMMAND = Reply(500, "5.5.2", "Syntax error, command unrecognised")  # RFC 5321 §4.2.4
LINE_TOO_LONG = Reply(500, "5.5.2", "Line too long")  # RFC 5321 §4.5.3.1.10
BARE_LF_IN_COMMAND = Reply(  # RFC 5321 §2.3.8: lines end with CRLF, nothing else
    500, "5.5.2", "Bare LF or CR in command line, lines must end with CRLF"
)
AUTH_LINE_TOO_LONG = Reply(500, "5.5.6", "Authentication exchange line is too long")  # RFC 4954 §4
SYNTAX_ERROR = Reply(501, "5.5.4", "Syntax error in parameters or arguments")  # RFC 5321 §4.2.2
BAD_SENDER_SYNTAX = Reply(501, "5.1.7", "Bad sender address syntax")  # RFC 3463 §3.2 X.1.7
BAD_RECIPIENT_SYNTAX = Reply(501, "5.1.3", "Bad recipient address syntax")  # RFC 3463 §3.2 X.1.3
AUTH_CANCELLED = Reply(501, "5.7.0", "Authentication cancelled")  # RFC 4954 §4: "*" gets 501
AUTH_BAD_BASE64 = Reply(501, "5.5.2", "Cannot decode base64 response")  # RFC 4954 §4
AUTH_UNEXPECTED_INITIAL_RESPONSE = Reply(  # RFC 4954 §4: server-first mechanism
    501, "5.7.0", "Initial response not allowed with this mechanism"
)
NOT_IMPLEMENTED = Reply(502, "5.5.1", "Command not implemented")  # RFC 5321 §4.2.4
BAD_SEQUENCE = Reply(503, "5.5.1", "Bad sequence of commands")  # RFC 5321 §4.2.2
ALREADY_AUTHENTICATED = Reply(503, "5.5.1", "Already authenticated")  # RFC 4954 §4
AUTH_IN_TRANSACTION = Reply(503, "5.5.1", "AUTH not allowed in a mail transaction")  # RFC 4954 §4
BINARYMIME_NEEDS_BDAT = Reply(  # RFC 3030 §3: DATA after BODY=BINARYMIME is refused
    503, "5.5.1", "BODY=BINARYMIME requires BDAT"
)
PARAMETER_NOT_IMPLEMENTED = Reply(504, "5.5.4", "Command parameter not implemented")
UNKNOWN_AUTH_MECHANISM = Reply(504, "5.5.4", "Unrecognised authentication type")  # RFC 4954 §4
DOES_NOT_ACCEPT_MAIL = Reply(521, "5.3.2", "This host does not accept mail")  # RFC 7504 §3
MUST_STARTTLS = Reply(530, "5.7.0", "Must issue a STARTTLS command first")  # RFC 3207 §4
AUTH_REQUIRED = Reply(530, "5.7.0", "Authentication required")  # RFC 4954 §6
AUTH_TOO_WEAK = Reply(534, "5.7.9", "Authentication mechanism is too weak")  # RFC 4954 §6
AUTH_FAILED = Reply(535, "5.7.8", "Authentication credentials invalid")  # RFC 4954 §6
ENCRYPTION_REQUIRED_FOR_AUTH = Reply(  # RFC 4954 §6
    538, "5.7.11", "Encryption required for requested authentication mechanism"
)
UNKNOWN_USER = Reply(550, "5.1.1", "No such user here")  # RFC 3463 §3.2 X.1.1
MAILBOX_DISABLED = Reply(550, "5.2.1", "Mailbox disabled, not accepting messages")  # X.2.1
RELAY_DENIED = Reply(550, "5.7.1", "Relaying denied")  # RFC 5321 §3.6.2, RFC 3463 X.7.1
POLICY_REJECTED = Reply(550, "5.7.1", "Rejected by policy")  # RFC 3463 X.7.1
BARE_LINE_ENDING_IN_DATA = Reply(  # RFC 5321 §2.3.8, §4.1.1.4: SMTP smuggling defence
    550, "5.6.0", "Message contains bare CR or LF; lines must end with CRLF"
)
NON_ASCII_SENDER = Reply(  # RFC 6531 §3.5: MAIL needing SMTPUTF8 gets 550 X.6.7
    550, "5.6.7", "Non-ASCII addresses not permitted for that sender"
)
MESSAGE_TOO_BIG = Reply(  # RFC 1870 §6, RFC 3463 X.3.4
    552, "5.3.4", "Message size exceeds fixed maximum message size"
)
OVER_QUOTA = Reply(552, "5.2.2", "Mailbox full")  # RFC 3463 §3.3 X.2.2
BAD_SENDER_ADDRESS = Reply(553, "5.1.8", "Bad sender's system address")  # RFC 3463 X.1.8
SENDER_NOT_OWNED = Reply(  # RFC 6409 §6.1: submission checks the sender
    553, "5.7.1", "Sender address not owned by the authenticated user"
)
NON_ASCII_RECIPIENT = Reply(  # RFC 6531 §3.5: RCPT needing SMTPUTF8 gets 553 X.6.7
    553, "5.6.7", "Non-ASCII addresses not permitted for that recipient"
)
TRANSACTION_FAILED = Reply(554, "5.0.0", "Transaction failed")  # RFC 5321 §4.2.2
NO_VALID_RECIPIENTS = Reply(554, "5.5.1", "No valid recipients")  # RFC 5321 §3.3
MESSAGE_REJECTED = Reply(554, "5.7.1", "Message rejected by policy")  # RFC 3463 X.7.1
MESSAGE_CONTENT_REJECTED = Reply(554, "5.6.0", "Message content rejected")  # RFC 3463 X.6.0
REQUIRETLS_NOT_POSSIBLE = Reply(  # RFC 8689 §5, enhanced code X.7.30
    550, "5.7.30", "REQUIRETLS support required"
)
UNRECOGNISED_PARAMETER = Reply(  # RFC 5321 §4.1.1.11, §4.2.2
    555, "5.5.4", "MAIL FROM/RCPT TO parameters not recognized or not implemented"
)


class ReplyParser:
    """Incremental parser of server replies for the SMTP client (RFC 5321 §4.2).

    Feed it whatever the socket returned; it returns every reply completed so far, a
    multi-line reply as one ``Reply``. It is strict where it matters for a client: every
    line must start with a valid code (RFC 5321 §4.2: ``%x32-35 %x30-35 %x30-39``), all
    lines of one reply must carry the same code (§4.2.1), a separator other than ``-`` or
    SP is refused, and a line longer than ``max_line`` or a reply of more than
    ``max_lines`` lines raises ``MalformedReply`` instead of buffering without end.
    ``max_line`` defaults above the RFC's 512 octets because real servers send longer
    EHLO lines. A bare LF ending is tolerated. The enhanced code (RFC 2034) is taken from
    the first line when its class matches the reply code, and removed from every line
    that repeats it. After ``MalformedReply`` the stream is out of sync: close it.
    """

    __slots__ = ("_buffer", "_code", "_lines", "max_line", "max_lines")

    def __init__(self, *, max_line: int = 4096, max_lines: int = 256) -> None:
        self.max_line = max_line
        self.max_lines = max_lines
        self._buffer = bytearray()
        self._code: bytes | None = None
        self._lines: list[str] = []

    @property
    def in_reply(self) -> bool:
        """Whether some of a reply was received but not its last line."""
        return bool(self._buffer) or self._code is not None

    def feed(self, data: bytes) -> list[Reply]:
        """Add received bytes; return the replies they completed, in order."""
        buffer = self._buffer
        buffer += data
        replies: list[Reply] = []
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            line = bytes(buffer[start:end])
            start = end + 1
            if len(line) + 1 > self.max_line:
                raise MalformedReply("reply line too long", line)
            reply = self._line(line[:-1] if line.endswith(b"\r") else line)
            if reply is not None:
                replies.append(reply)
        del buffer[:start]
        if len(buffer) > self.max_line:
            raise MalformedReply("reply line too long", bytes(buffer[:80]))
        return replies

    def _line(self, line: bytes) -> Reply | None:
        code = line[:3]
        separator = line[3:4]
        # RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39, then "-" or SP (or nothing
        # at all on a last line without text).
        if (
            len(code) != 3
            or not 0x32 <= code[0] <= 0x35
            or not 0x30 <= code[1] <= 0x35
            or not 0x30 <= code[2] <= 0x39
            or separator not in (b"-", b" ", b"")
        ):
            raise MalformedReply("not an SMTP reply line", line)
        if self._code is not None and code != self._code:
            # RFC 5321 §4.2.1: every line of a multiline reply has the same code.
            raise MalformedReply("reply code changed inside a multiline reply", line)
        if len(self._lines) >= self.max_lines:
            raise MalformedReply("too many lines in one reply", line)
        self._lines.append(line[4:].decode("utf-8", errors="replace"))
        if separator == b"-":
            self._code = code
            return None
        lines = self._lines
        self._code = None
        self._lines = []
        return _build_reply(int(code), lines)


def _build_reply(code: int, lines: list[str]) -> Reply:
    enhanced: str | None = None
    match = _ENHANCED_PREFIX.match(lines[0])
    if match is not None and int(match.group(1)[0]) == code // 100:
        enhanced = match.group(1)
        lines = [_strip_enhanced(line, enhanced) for line in lines]
    return Reply(code, enhanced, lines)


def _strip_enhanced(line: str, enhanced: str) -> str:
    if line == enhanced:
        return ""
    if line.startswith(enhanced + " "):
        return line[len(enhanced) + 1 :]
    return line
