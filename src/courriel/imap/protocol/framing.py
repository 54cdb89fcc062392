"""Incremental command framing: bytes from the client in, whole commands out.

Owns: cutting the client's byte stream into commands — a command is one line, or several
lines joined by literals ``{n}`` (synchronising: the server must send a continuation
request first, RFC 9051 §4.3, §7.5), ``{n+}`` (non-synchronising, RFC 7888 §3) and
``~{n}`` (literal8, RFC 3516 §4.1) — and the limits a client must not exceed: line
length, literal size (LITERAL- caps non-synchronising literals at 4096 octets, RFC 7888 §4,
and IMAP4rev2 includes LITERAL-, RFC 9051 §4.3), command size and literal count. A
command that breaks a limit is answered at once and the framer skips what the client
still sends of it, so framing stays in step with the client.

Usage (h11 style)::

    framer = CommandFramer(FramingLimits(max_literal_size=50 << 20))
    framer.feed(await reader.read(65536))
    while not isinstance(event := framer.next_event(), NeedMore):
        match event:
            case NeedContinuation():  write(b"+ Ready for literal data\\r\\n")
            case FramingError():      write the tagged (or untagged) error
            case CommandFrame():      command = parse_command(event, context)

After STARTTLS (and COMPRESS), :meth:`CommandFramer.discard_buffered` drops plaintext the
client pipelined behind the command (RFC 9051 §11.1, CVE-2011-0411 "STARTTLS command
injection").

Must not: parse commands (``parser``), interpret literal contents, or do I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from courriel.imap.protocol.codes import TOOBIG, ResponseCode

# A literal marker at the end of a line: "{n}", "{n+}", "~{n}" (RFC 9051 §9 literal,
# RFC 7888 §8 literal with "+", RFC 3516 §7 literal8). number64 has at most 19 digits.
_MARKER = re.compile(rb"(~?)\{([0-9]{1,19})(\+?)\}\Z")
# Everything outside quoted strings and complete quoted strings: a line whose quotes
# balance is matched whole, so a "{5}" inside an unterminated quoted string is no marker.
_BALANCED = re.compile(rb'(?:[^"]++|"(?:[^"\\]++|\\.)*+")*+', re.S)
# RFC 9051 §9: tag = 1*<any ASTRING-CHAR except "+">.
_TAG = re.compile(rb"([^\x00-\x20\x7f-\xff(){%*\"\\+]+)(?: |\r?\n|\Z)")
# Bytes of a discarded line kept to see whether it ends with a literal marker.
_TAIL = 32

NON_SYNC_LITERAL_LIMIT: Final = 4096  # RFC 7888 §4 LITERAL-


@dataclass(frozen=True, slots=True)
class FramingLimits:
    """What one client command may contain.

    ``max_nonsync_literal_size`` is 4096 for LITERAL- (the IMAP4rev2 default, RFC 9051
    §4.3) and None when the server advertises LITERAL+ (RFC 7888 §3).
    """

    max_line_length: int = 65_536  # RFC 7162 §4: accept lines of at least 8192 octets
    max_literal_size: int = 64 << 20
    max_command_size: int = 128 << 20
    max_literals: int = 256
    max_nonsync_literal_size: int | None = NON_SYNC_LITERAL_LIMIT


@dataclass(frozen=True, slots=True)
class NeedMore:
    """Feed more bytes before asking again."""


@dataclass(frozen=True, slots=True)
class NeedContinuation:
    """The client announced a synchronising literal of ``size`` octets and waits for a
    command continuation request ("+ ...") before sending it (RFC 9051 §4.3, §7.5)."""

    size: int


@dataclass(frozen=True, slots=True)
class CommandFrame:
    """One complete command: its lines and literals as sent, literal markers included
    (each followed by CRLF and the literal's octets), the final line ending removed."""

    data: bytes
    literal_count: int = 0

    @property
    def tag(self) -> str | None:
        """The command tag if the frame starts with one (RFC 9051 §9 ``tag``)."""
        return read_tag(self.data)


@dataclass(frozen=True, slots=True)
class FramingError:
    """A command broke a limit; answer it at once.

    ``status`` is the tagged status (untagged BAD when ``tag`` is None). ``skip`` counts
    the literal octets the framer will discard for this command, after which it also
    discards the rest of the command; the caller only writes the response (and may close
    the connection when ``skip`` is absurd).
    """

    tag: str | None
    status: Literal["BAD", "NO"]
    text: str
    code: ResponseCode | None = None
    skip: int = 0


FramerEvent = NeedMore | NeedContinuation | CommandFrame | FramingError

NEED_MORE: Final = NeedMore()

_LINE = 0  # collecting a line
_LITERAL = 1  # collecting literal octets
_DISCARD_LINE = 2  # dropping the rest of a rejected command's line
_DISCARD_LITERAL = 3  # dropping a rejected non-synchronising literal


def read_tag(data: bytes) -> str | None:
    """The tag at the start of ``data``, or None."""
    match = _TAG.match(data)
    return match.group(1).decode("ascii") if match else None


def _literal_marker(line: bytes) -> tuple[int, bool, bool] | None:
    """``(size, non_synchronising, binary)`` when ``line`` ends with a literal marker."""
    if not line.endswith(b"}"):
        return None
    marker = _MARKER.search(line)
    if marker is None:
        return None
    balanced = _BALANCED.match(line)
    if balanced is None or balanced.end() != len(line):  # "}" inside an open quoted string
        return None
    return int(marker.group(2)), bool(marker.group(3)), bool(marker.group(1))


class CommandFramer:
    """Turns the client's byte stream into :data:`FramerEvent` values (see module doc)."""

    def __init__(self, limits: FramingLimits | None = None) -> None:
        self.limits = limits or FramingLimits()
        self._buffer = bytearray()
        self._scan_from = 0  # where to resume looking for a line feed
        self._parts: list[bytes] = []
        self._command_size = 0
        self._literal_count = 0
        self._tag: str | None = None
        self._state = _LINE
        self._remaining = 0  # octets left in the current (or discarded) literal
        self._discard_tail = b""

    @property
    def buffered(self) -> int:
        """Octets received but not yet framed into an event."""
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        """Add bytes received from the client."""
        self._buffer += data

    def discard_buffered(self) -> int:
        """Drop everything received and not yet framed; returns how many octets."""
        dropped = len(self._buffer)
        self._buffer.clear()
        self._scan_from = 0
        self._reset_command()
        self._state = _LINE
        return dropped

    def next_event(self) -> FramerEvent:
        """The next event; :class:`NeedMore` when the buffered bytes are exhausted."""
        while True:
            if self._state == _LINE:
                event = self._read_line()
            elif self._state == _LITERAL:
                event = self._read_literal()
            elif self._state == _DISCARD_LITERAL:
                event = self._skip_literal()
            else:
                event = self._skip_line()
            if event is not None:
                return event

    # -- states ------------------------------------------------------------------------

    def _read_line(self) -> FramerEvent | None:
        buffer = self._buffer
        newline = buffer.find(b"\n", self._scan_from)
        if newline < 0:
            if len(buffer) > self.limits.max_line_length:
                tag = self._current_tag(bytes(buffer[:64]))
                self._discard_tail = bytes(buffer[-_TAIL:])
                buffer.clear()
                self._scan_from = 0
                self._state = _DISCARD_LINE
                self._reset_command()
                return FramingError(tag, "BAD", "Command line too long")
            self._scan_from = len(buffer)
            return NEED_MORE
        end = newline - 1 if newline and buffer[newline - 1] == 0x0D else newline
        line = bytes(buffer[:end])
        del buffer[: newline + 1]
        self._scan_from = 0
        tag = self._current_tag(line)
        if len(line) > self.limits.max_line_length:
            return self._reject_line(line, tag)
        self._command_size += len(line)
        marker = _literal_marker(line)
        if marker is None:
            self._parts.append(line)
            frame = CommandFrame(b"".join(self._parts), self._literal_count)
            self._reset_command()
            return frame
        size, non_sync, _binary = marker
        problem = self._literal_problem(tag, size, non_sync)
        if problem is not None:
            self._reset_command()
            if non_sync:  # the client sends it anyway: skip it, then the rest of the command
                self._remaining = size
                self._state = _DISCARD_LITERAL
            return problem
        self._parts.append(line + b"\r\n")
        self._literal_count += 1
        self._command_size += size
        self._remaining = size
        self._tag = tag
        self._state = _LITERAL
        if non_sync:
            return None
        return NeedContinuation(size)  # RFC 9051 §4.3: the client waits for "+"

    def _read_literal(self) -> FramerEvent | None:
        buffer = self._buffer
        if not buffer and self._remaining:
            return NEED_MORE
        take = min(self._remaining, len(buffer))
        self._parts.append(bytes(buffer[:take]))
        del buffer[:take]
        self._remaining -= take
        if self._remaining:
            return NEED_MORE
        self._state = _LINE
        return None

    def _skip_literal(self) -> FramerEvent | None:
        buffer = self._buffer
        take = min(self._remaining, len(buffer))
        del buffer[:take]
        self._remaining -= take
        if self._remaining:
            return NEED_MORE
        self._discard_tail = b""
        self._state = _DISCARD_LINE
        return None

    def _skip_line(self) -> FramerEvent | None:
        buffer = self._buffer
        newline = buffer.find(b"\n")
        if newline < 0:
            self._discard_tail = (self._discard_tail + bytes(buffer))[-_TAIL:]
            buffer.clear()
            return NEED_MORE
        tail = (self._discard_tail + bytes(buffer[:newline])).removesuffix(b"\r")[-_TAIL:]
        del buffer[: newline + 1]
        self._discard_tail = b""
        marker = _MARKER.search(tail)
        if marker is not None and marker.group(3):
            # A non-synchronising literal follows even in a rejected command (RFC 7888 §3).
            self._remaining = int(marker.group(2))
            self._state = _DISCARD_LITERAL
        else:
            # Line end, or a synchronising literal the client will not send: it got our
            # tagged response instead of a continuation request (RFC 9051 §4.3).
            self._state = _LINE
        return None

    # -- helpers -----------------------------------------------------------------------

    def _literal_problem(self, tag: str | None, size: int, non_sync: bool) -> FramingError | None:
        limits = self.limits
        skip = size if non_sync else 0
        if self._literal_count >= limits.max_literals:
            return FramingError(tag, "BAD", "Too many literals in one command", None, skip)
        if (
            non_sync
            and limits.max_nonsync_literal_size is not None
            and size > limits.max_nonsync_literal_size
        ):
            # RFC 7888 §4: a LITERAL- server rejects a larger non-synchronising literal
            # with a tagged BAD [TOOBIG].
            return FramingError(tag, "BAD", "Non-synchronising literal too large", TOOBIG, skip)
        if size > limits.max_literal_size or self._command_size + size > limits.max_command_size:
            # RFC 9051 §4.3: instead of "+", the server refuses with a tagged response;
            # RFC 7889 §4 (APPENDLIMIT) names it NO [TOOBIG]. A non-synchronising literal is
            # already on its way, so that one is a BAD as in RFC 7888 §4.
            return FramingError(tag, "BAD" if non_sync else "NO", "Literal too large", TOOBIG, skip)
        return None

    def _reject_line(self, line: bytes, tag: str | None) -> FramerEvent:
        self._reset_command()
        marker = _MARKER.search(line[-_TAIL:])
        if marker is not None and marker.group(3):
            size = int(marker.group(2))
            self._remaining = size
            self._state = _DISCARD_LITERAL
            return FramingError(tag, "BAD", "Command line too long", None, size)
        return FramingError(tag, "BAD", "Command line too long")

    def _current_tag(self, line: bytes) -> str | None:
        return self._tag if self._parts else read_tag(line)

    def _reset_command(self) -> None:
        self._parts = []
        self._command_size = 0
        self._literal_count = 0
        self._tag = None
