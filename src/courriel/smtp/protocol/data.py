"""Message data after DATA (dot-stuffed, RFC 5321 §4.1.1.4, §4.5.2) and BDAT (RFC 3030).

Owns: finding the end of the data, removing the dot-stuffing, counting octets against the
size limit, and reporting bare CR and bare LF, for byte chunks of any size and alignment.

SMTP smuggling (CVE-2023-51764 Postfix, CVE-2023-51765 Sendmail, CVE-2023-51766 Exim, and
the Microsoft/GMX/Cisco cases of the same research): when two servers disagree on where a
message ends, bytes one of them took as message content are commands to the other, and an
attacker can "smuggle" a second, spoofed message through a server that signs it. So the
data ends at ``<CRLF>.<CRLF>`` and nowhere else (RFC 5321 §4.1.1.4): ``<LF>.<LF>``,
``<CR>.<CR>``, ``<LF>.<CRLF>`` and ``<CRLF>.<LF>`` are message content. The readers also
report bare CR and bare LF (RFC 5321 §2.3.8 forbids them in SMTP) without deciding what to
do: the session refuses the message with ``550 5.6.0`` (``BARE_LINE_ENDING_IN_DATA``) or
normalises it, and never relays a message with bare line endings unchanged.

Speed: the work is done by ``bytes.find`` and ``bytes.count`` over whole chunks; Python code
runs once per chunk, plus once per line that starts with a period, never per byte. At most
four bytes (a possible start of the end marker) are held back between chunks.

Must not: parse the message, touch a socket, or keep more than the size limit in memory.
"""

from __future__ import annotations

__all__ = ["BdatReader", "DataReader"]

_STUFFED_DOT = b"\r\n."  # a line starting with a period: stuffed (§4.5.2) or the end (§4.1.1.4)
_LINE_START = b"\r\n"


def _held_back(data: bytes) -> int:
    """How many trailing bytes (a CR, or a CRLF) could begin ``<CRLF>.`` in the next chunk."""
    if data.endswith(b"\r\n"):
        return 2
    if data.endswith(b"\r"):
        return 1
    return 0


class DataReader:
    """Decode the data of one DATA command, fed in chunks as they arrive.

    Usage::

        reader = DataReader(max_size=limit)
        data = leftover_bytes_after_the_DATA_line
        while True:
            spool.write(reader.feed(data))     # un-stuffed content, b"" once too big
            if reader.done:
                break
            data = await connection.read_some(65536)
        next_commands = reader.trailing        # pipelined bytes after <CRLF>.<CRLF>
        if reader.too_big: reply MESSAGE_TOO_BIG (552 5.3.4) and drop what was spooled
        elif reader.bare_lf or reader.bare_cr: refuse (550 5.6.0) or normalise

    ``octets`` is the message size as SIZE counts it (RFC 1870 §3: CRLFs included, the
    stuffing dots and the final ``.CRLF`` not). Past ``max_size`` nothing more is returned,
    but the reader goes on consuming until the end marker so the session stays in step
    with the client (RFC 5321 §4.5.3.1.10: the server answers 552 after the data).
    """

    __slots__ = (
        "_at_start",
        "_pending",
        "bare_cr",
        "bare_lf",
        "done",
        "max_size",
        "octets",
        "too_big",
        "trailing",
    )

    def __init__(self, max_size: int | None = None) -> None:
        self.max_size = max_size
        # RFC 5321 §4.1.1.4: the data starts at the beginning of a line, so a lone ".CRLF"
        # right after the 354 reply ends an empty message. Two virtual octets make the first
        # line look like every other line; they never reach the output.
        self._pending = _LINE_START
        self._at_start = True
        self.octets = 0
        self.too_big = False
        self.bare_cr = False
        self.bare_lf = False
        self.done = False
        self.trailing = b""

    def feed(self, chunk: bytes) -> bytes:
        """Take the next bytes from the client; return the message content they complete."""
        if self.done:
            raise RuntimeError("the end of data was already seen; use .trailing")
        data = self._pending + chunk if self._pending else chunk
        start = 2 if self._at_start else 0  # the virtual CRLF is not content
        dots: list[int] = []  # stuffing periods to drop
        search = 0
        while True:
            # Every line start followed by a period: the end marker or a stuffed line.
            found = data.find(_STUFFED_DOT, search)
            if found < 0:
                end = len(data) - _held_back(data)
                break
            after = found + 3
            if data.startswith(_LINE_START, after):  # <CRLF>.<CRLF>, RFC 5321 §4.1.1.4
                end = found + 2  # the CRLF ends the last line of the message
                self.trailing = data[after + 2 :]
                self.done = True
                break
            if after == len(data) or (after + 1 == len(data) and data[after] == 0x0D):
                end = found  # undecided until the next chunk: the end, or a stuffed line
                break
            dots.append(found + 2)  # RFC 5321 §4.5.2: the line's first period goes
            search = after
        self._pending = b"" if self.done else data[end:]
        if end < 2 and self._at_start:
            return b""  # nothing decided yet beyond the virtual CRLF
        self._at_start = False
        return self._content(data, start, end, dots)

    def _content(self, data: bytes, start: int, end: int, dots: list[int]) -> bytes:
        if self.too_big:
            self.octets += end - start - len(dots)
            return b""
        if not (self.bare_cr and self.bare_lf):
            # Every CR and LF before ``end`` is counted: the held-back tail never splits a
            # CRLF, so a CR not followed by LF (or an LF not preceded by CR) is bare.
            pairs = data.count(b"\r\n", 0, end)
            if data.count(b"\n", 0, end) != pairs:
                self.bare_lf = True
            if data.count(b"\r", 0, end) != pairs:
                self.bare_cr = True
        if not dots:
            content = data if start == 0 and end == len(data) else data[start:end]
        else:
            pieces = []
            previous = start
            for dot in dots:
                pieces.append(data[previous:dot])
                previous = dot + 1
            pieces.append(data[previous:end])
            content = b"".join(pieces)
        self.octets += len(content)
        if self.max_size is not None and self.octets > self.max_size:
            self.too_big = True  # RFC 1870 §6, RFC 5321 §4.5.3.1.10
            return b""
        return content


class BdatReader:
    """Read the chunks of one BDAT transaction (RFC 3030 §2): exact octet counts, no
    dot-stuffing, no end marker.

    Usage, for each ``Bdat(size, last)`` command::

        reader.start_chunk(command.size, last=command.last)
        data = leftover_bytes_after_the_BDAT_line
        while True:
            spool.write(reader.feed(data))      # the chunk's bytes, b"" once too big
            if reader.chunk_done:
                break
            data = await connection.read_some(65536)
        next_commands = reader.trailing         # bytes after the chunk
        # reply 552 5.3.4 if reader.too_big; after the LAST chunk reader.done is true

    Feeding a complete chunk (``BDAT 0``, or once more after the end) takes nothing:
    ``feed`` returns ``b""`` and ``trailing`` is what was fed.

    The chunk is consumed even when the transaction has failed, because the client sends
    it anyway (RFC 3030 §2); ``too_big`` is known as soon as ``start_chunk`` sees the size.
    ``bare_cr`` / ``bare_lf`` are reported as for DATA: they matter unless the message is
    ``BODY=BINARYMIME``.
    """

    __slots__ = (
        "_last",
        "_previous_cr",
        "_remaining",
        "_started",
        "bare_cr",
        "bare_lf",
        "done",
        "max_size",
        "octets",
        "too_big",
        "trailing",
    )

    def __init__(self, max_size: int | None = None) -> None:
        self.max_size = max_size
        self.octets = 0
        self.too_big = False
        self.bare_cr = False
        self.bare_lf = False
        self.done = False
        self.trailing = b""
        self._remaining = 0
        self._last = False
        self._previous_cr = False
        self._started = False

    @property
    def chunk_done(self) -> bool:
        """Whether the current chunk was read to its last octet."""
        return self._remaining == 0

    @property
    def remaining(self) -> int:
        """Octets of the current chunk still to come."""
        return self._remaining

    def start_chunk(self, size: int, *, last: bool) -> None:
        """Begin the chunk announced by a BDAT command."""
        if self.done:
            raise RuntimeError("the LAST chunk was already read")
        if self._remaining:
            raise RuntimeError("the previous chunk is not complete")
        if size < 0:
            raise ValueError("a chunk size is not negative")
        self._remaining = size
        self._last = last
        self._started = True
        self.trailing = b""
        if self.max_size is not None and self.octets + size > self.max_size:
            self.too_big = True  # RFC 1870 §6
        if size == 0:
            self._chunk_complete()

    def feed(self, data: bytes) -> bytes:
        """Take bytes from the client; return those that belong to the chunk."""
        if not self._started:
            raise RuntimeError("no chunk was started; call start_chunk()")
        if self._remaining == 0:
            self.trailing = data
            return b""
        take = min(len(data), self._remaining)
        piece = data[:take] if take < len(data) else data
        self.trailing = data[take:]
        self._remaining -= take
        self.octets += take
        if not self.too_big:
            self._scan(piece)
        if self._remaining == 0:
            self._chunk_complete()
        return b"" if self.too_big else piece

    def _scan(self, piece: bytes) -> None:
        if not piece or (self.bare_cr and self.bare_lf):
            return
        joined = self._previous_cr and piece[0] == 0x0A  # a CRLF split across reads
        if self._previous_cr and not joined:
            self.bare_cr = True
        ends_with_cr = piece[-1] == 0x0D
        pairs = piece.count(b"\r\n")
        if piece.count(b"\n") > pairs + joined:
            self.bare_lf = True
        if piece.count(b"\r") > pairs + ends_with_cr:
            self.bare_cr = True
        self._previous_cr = ends_with_cr

    def _chunk_complete(self) -> None:
        if self._last:
            self.done = True
            if self._previous_cr:
                self.bare_cr = True  # the message ends with a CR that no LF follows
