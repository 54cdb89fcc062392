"""POP3 multi-line responses: byte-stuffing, the terminating line, and TOP's cut of a message.

RFC 1939 §3: a multi-line response is lines ending in CRLF, each line that begins with "."
gets one more "." in front (byte-stuffing), and the response ends with a line holding only
"." (``.\\r\\n``). RFC 1939 §7 TOP: the headers, the blank line, and the first n lines of
the body.

Line endings are normalised on the way out: CRLF stays, a bare LF or a bare CR becomes
CRLF, and a message that does not end with a line break gets a CRLF. This is not cosmetic:
clients that split lines on LF alone would otherwise read ``text\\n.\\r\\n`` inside a
message as the end of the response, and whatever followed as server replies. So::

    dot_unstuff(dot_stuff(message)) == normalize_line_endings(message) + (CRLF if missing)

and ``wire_size(message)`` is the length of that, the size LIST and STAT must announce.
``normalize_line_endings`` and ``wire_size`` live in ``courriel.mail.lines`` (the store
computes the wire size at ingest); they are re-exported here.

Everything works on ``bytes`` with ``bytes.replace`` and ``count``, which run in C; a large
message goes through ``DotStuffer`` chunk by chunk without being held whole.

Must not: read messages from storage, write to the connection, or change anything but line
endings and stuffing (no charset or header rewriting; RFC 6856 downgrading is not done here).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from courriel.mail.lines import CRLF, normalize_line_endings, wire_size
from courriel.pop3.responses import ok

__all__ = [
    "TERMINATOR",
    "DotStuffer",
    "dot_stuff",
    "dot_stuff_chunks",
    "dot_unstuff",
    "listing_reply",
    "multiline_reply",
    "normalize_line_endings",
    "sent_unchanged",
    "top_lines",
    "wire_size",
]

TERMINATOR = b".\r\n"  # RFC 1939 §3: the line that ends a multi-line response
_STUFFED_LINE_START = b"\r\n."


class DotStuffer:
    """Streaming byte-stuffing: ``feed`` chunks, then ``finish`` once.

    Chunks may split a CRLF or a line anywhere; the output is the same as ``dot_stuff`` of
    their concatenation. A CR at the end of a chunk is held back until the next chunk says
    whether an LF follows it.
    """

    def __init__(self) -> None:
        self._pending_cr = False
        self._at_line_start = True
        self._finished = False

    def feed(self, chunk: bytes) -> bytes:
        """The stuffed, CRLF-normalised bytes for ``chunk`` (possibly empty)."""
        if self._finished:
            raise RuntimeError("DotStuffer.feed() after finish()")
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        if chunk.endswith(b"\r"):
            chunk = chunk[:-1]
            self._pending_cr = True
        if not chunk:
            return b""
        # RFC 1939 §3: a line starting with "." gets one more.
        stuffed = normalize_line_endings(chunk).replace(_STUFFED_LINE_START, b"\r\n..")
        if self._at_line_start and stuffed.startswith(b"."):
            stuffed = b"." + stuffed
        self._at_line_start = stuffed.endswith(b"\n")
        return stuffed

    def finish(self) -> bytes:
        """The end of the response: a CRLF if the last line had none, then ``.\\r\\n``."""
        if self._finished:
            raise RuntimeError("DotStuffer.finish() called twice")
        self._finished = True
        if self._pending_cr or not self._at_line_start:
            return CRLF + TERMINATOR
        return TERMINATOR


def dot_stuff(message: bytes, *, crlf_lines: bool = False) -> bytes:
    """``message`` as the body of a multi-line response, terminating ``.\\r\\n`` included.

    ``crlf_lines`` says the caller knows ``message`` is CRLF lines ending with one, with no
    bare CR or LF (its ``wire_size`` equals its length, which proves it): the line endings
    are then not scanned, only the dots.
    """
    if crlf_lines:
        stuffed = message.replace(_STUFFED_LINE_START, b"\r\n..")
        if stuffed.startswith(b"."):
            return b"." + stuffed + TERMINATOR
        return stuffed + TERMINATOR
    stuffer = DotStuffer()
    return stuffer.feed(message) + stuffer.finish()


def sent_unchanged(message: bytes, *, crlf_lines: bool) -> bool:
    """Whether a multi-line response carries ``message`` as it is, that is ``dot_stuff``
    only appends the terminating line: ``crlf_lines`` (as for ``dot_stuff``) and no line
    starting with "." (scanning for that costs about as much as stuffing). The scan runs
    once per message read ahead; CPython 3.11's backward search (``rfind``) takes half the
    time ``in`` and ``find`` take over mail text, so it is the one used."""
    return crlf_lines and not message.startswith(b".") and message.rfind(_STUFFED_LINE_START) < 0


def dot_stuff_chunks(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``dot_stuff`` over chunks, for messages too large to hold; empty pieces are skipped."""
    stuffer = DotStuffer()
    for chunk in chunks:
        stuffed = stuffer.feed(chunk)
        if stuffed:
            yield stuffed
    yield stuffer.finish()


def dot_unstuff(data: bytes) -> bytes:
    """The lines of a multi-line response body (after the +OK line), without the stuffing
    and the terminating line: the client side of RFC 1939 §3.

    Raises ``ValueError`` unless ``data`` ends with the terminating line and holds no other.
    """
    if data == TERMINATOR:
        return b""
    if not data.endswith(CRLF + TERMINATOR):
        raise ValueError("a multi-line response ends with a line holding only '.'")
    body = data[: -len(TERMINATOR)]
    if body.startswith(TERMINATOR) or CRLF + TERMINATOR in body:
        raise ValueError("a multi-line response has data after its terminating line")
    if body.startswith(b"."):
        body = body[1:]
    return body.replace(_STUFFED_LINE_START, CRLF)


def multiline_reply(text: str, lines: Iterable[str]) -> bytes:
    """``+OK text`` then ``lines`` (ASCII or UTF-8, without line breaks), stuffed and ended.

    For CAPA, LIST, UIDL and the mechanism list of a bare AUTH.
    """
    body = b"".join(line.encode("utf-8") + CRLF for line in lines)
    return ok(text) + dot_stuff(body)


def listing_reply(text: str, lines: bytes) -> bytes:
    """``+OK text``, ``lines`` as they are, and the terminating line: for LIST and UIDL,
    whose lines (``responses.scan_listings``, ``unique_id_listings``) end with CRLF and
    start with a digit, so that nothing needs stuffing or scanning."""
    return b"".join((ok(text), lines, TERMINATOR))


_BLANK_LINE = re.compile(rb"\n\r?\n")


def top_lines(message: bytes, lines: int) -> bytes:
    """The headers, the blank line and the first ``lines`` body lines of ``message``
    (RFC 1939 §7 TOP), unstuffed; ``dot_stuff`` it to send it.

    A message without a blank line is all headers and comes back whole, as does one whose
    body has ``lines`` lines or fewer. Lines end with LF or CRLF (a lone CR does not end a
    line here).
    """
    if lines < 0:
        raise ValueError("lines must not be negative")
    if message.startswith((b"\n", b"\r\n")):
        body_start = message.index(b"\n") + 1  # no header fields at all
    else:
        blank = _BLANK_LINE.search(message)
        if blank is None:
            return message
        body_start = blank.end()
    if lines >= message.count(b"\n", body_start) + 1:
        return message
    end = body_start
    for _ in range(lines):
        end = message.index(b"\n", end) + 1
    return message[:end]
