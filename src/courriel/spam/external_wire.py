"""What the external spam scanners' protocols share: the :class:`ExternalReport` they are
read into, and the shape of their replies.

Both rspamd (HTTP/1.1, RFC 9112) and spamd (the SPAMC/SPAMD protocol) answer with a status
line, header lines ``Name: value`` ended by CRLF, an empty line and a body of
``Content-Length`` bytes. :func:`split_reply` reads that shape, bounded and strict: no
empty line, a bad header line, a body shorter than announced — each raises
``ScannerReplyError`` (the scan counts as not run).

Must not: do I/O or know either protocol's commands (``rspamd_protocol``,
``spamd_protocol``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from courriel.antivirus.daemon import ScannerReplyError

#: Header lines read from one reply.
MAX_HEADER_LINES = 100


@dataclass(frozen=True, slots=True)
class ExternalReport:
    """An external scanner's opinion of one message."""

    scanner: str
    """``rspamd`` or ``spamd``."""
    score: float
    threshold: float
    """The scanner's own threshold: for spamd the score from which a message is spam,
    for rspamd its ``required_score``, the score from which it rejects."""
    threshold_means: Literal["junk", "reject"]
    """Which of our thresholds ``threshold`` corresponds to (``external`` scales on it)."""
    action: str
    """rspamd's action (``no action``, ``add header``, ``reject``...); spamd: ``spam`` or
    ``no action``."""
    is_spam: bool
    rejects: bool
    """The scanner would refuse the message (rspamd ``reject``)."""
    symbols: tuple[tuple[str, float | None], ...]
    """The rules that fired with their scores (``None``: the scanner did not say)."""
    skipped: bool = False
    """The scanner stopped early (rspamd ``is_skipped``: a pre-result such as GTUBE)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A reply split into its status line, header fields (names in lower case, values
    stripped, in order) and body."""

    status_line: str
    fields: tuple[tuple[str, str], ...]
    body: bytes

    def field(self, name: str) -> str | None:
        """The value of the first field called ``name`` (lower case), if any."""
        return next((value for key, value in self.fields if key == name), None)


def head_length(reply: bytes) -> int | None:
    """Where the body starts (after the empty line), or None while the head is incomplete."""
    end = reply.find(b"\r\n\r\n")
    return None if end < 0 else end + 4


def content_length(fields: tuple[tuple[str, str], ...]) -> int | None:
    """The ``Content-Length`` value (any case), None when absent; raises on a bad one."""
    values = {value for key, value in fields if key == "content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise ScannerReplyError("conflicting Content-Length fields")
    (value,) = values
    if not value.isdigit() or len(value) > 12:
        raise ScannerReplyError(f"bad Content-Length: {value[:40]!r}")
    return int(value)


def split_reply(reply: bytes, *, who: str) -> Reply:
    """Split ``reply`` (the whole reply as read); the body is cut to ``Content-Length``
    when given, and must be that long. ``who`` names the scanner in errors."""
    start = head_length(reply)
    if start is None:
        raise ScannerReplyError(f"{who} reply truncated: no end of header")
    try:
        head = reply[: start - 4].decode("ascii")
    except UnicodeDecodeError:
        raise ScannerReplyError(f"{who} reply header is not ASCII") from None
    status_line, *lines = head.split("\r\n")
    if len(lines) > MAX_HEADER_LINES:
        raise ScannerReplyError(f"{who} reply has more than {MAX_HEADER_LINES} header lines")
    fields = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or not line.isprintable():
            raise ScannerReplyError(f"{who} reply has a bad header line: {line[:60]!r}")
        fields.append((name.lower(), value.strip()))
    body = reply[start:]
    length = content_length(tuple(fields))
    if length is not None:
        if len(body) < length:
            raise ScannerReplyError(f"{who} reply truncated: {len(body)} of {length} bytes")
        body = body[:length]
    return Reply(status_line, tuple(fields), body)


def reply_complete(reply: bytes) -> bool:
    """Whether ``reply`` holds its head and the ``Content-Length`` bytes it announces (a
    reply without one ends when the scanner closes the connection)."""
    start = head_length(reply)
    if start is None:
        return False
    try:
        fields = tuple(
            (name.strip().lower(), value.strip())
            for name, _, value in (
                line.partition(":")
                for line in reply[: start - 4].decode("ascii", "replace").split("\r\n")[1:]
            )
        )
        length = content_length(fields)
    except ScannerReplyError:
        return True  # complete enough: split_reply will say what is wrong
    return length is not None and len(reply) - start >= length
