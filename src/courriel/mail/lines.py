"""Line endings of stored messages: CRLF normalisation and the size a message has on the wire.

Messages are stored byte-exact, as received, so a stored message may hold a bare LF, a bare
CR or lack a final line break. Protocols that send messages as lines (POP3 RETR, RFC 1939
§3; SMTP relay, RFC 5321 §2.3.8) send every line break as CRLF and end the last line with
one, so the size they announce is not the stored size: RFC 1939 §11 asks LIST and STAT for
the size "as sent", CRLFs included. ``wire_size`` computes it once, at ingest; the store
keeps it next to the content.

Everything runs in C (``bytes.count``, ``bytes.replace``); ``WireSizeCounter`` does the same
over chunks for messages too large to hold. Must not: change anything but line endings.
"""

from __future__ import annotations

__all__ = ["CRLF", "WireSizeCounter", "normalize_line_endings", "wire_size"]

CRLF = b"\r\n"


def _bare_line_breaks(data: bytes) -> int:
    """Bare LFs and bare CRs in ``data``: each is one octet short of the CRLF it becomes."""
    return data.count(b"\n") + data.count(b"\r") - 2 * data.count(CRLF)


def normalize_line_endings(data: bytes) -> bytes:
    """``data`` with every line break as CRLF (bare LF and bare CR become CRLF); no final
    line break is added. CRLF-only input is returned as is (the same object)."""
    if not _bare_line_breaks(data):
        return data  # the usual case: stored messages are already CRLF
    return data.replace(CRLF, b"\n").replace(b"\r", b"\n").replace(b"\n", CRLF)


def wire_size(message: bytes) -> int:
    """Octets of ``message`` sent as CRLF lines: every bare LF or bare CR counts as a CRLF,
    and a CRLF is added after a last line that has no line break (RFC 1939 §11: the size
    LIST and STAT announce, before byte-stuffing)."""
    size = len(message) + _bare_line_breaks(message)
    if message and not message.endswith((b"\n", b"\r")):
        size += len(CRLF)
    return size


class WireSizeCounter:
    """``wire_size`` over chunks, for messages too large to hold: ``feed`` each, then
    ``finish``. A CR ending a chunk waits for the next to say whether an LF follows."""

    def __init__(self) -> None:
        self._size = 0
        self._held_cr = False
        self._last = b""

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        data = b"\r" + chunk if self._held_cr else chunk
        self._held_cr = data.endswith(b"\r")
        self._last = data[-1:]
        if self._held_cr:
            data = data[:-1]
        self._size += len(data) + _bare_line_breaks(data)

    def finish(self) -> int:
        size = self._size + (2 if self._held_cr else 0)  # a final bare CR is sent as CRLF
        if self._last and self._last not in (b"\n", b"\r"):
            size += 2  # the CRLF a last line without a line break gets
        return size
