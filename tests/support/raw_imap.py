"""A small blocking IMAP client that parses responses into values, for comparing servers.

``imaplib`` hands back response lines and literals as it received them; comparing two
servers needs their *meaning*: a string is the same string whether it came quoted or as a
literal. :func:`parse_values` turns response text into plain values — :class:`Atom` (a
``str``) for atoms and numbers, ``bytes`` for strings (quoted or literal), ``None`` for
NIL, ``list`` for parenthesised lists — and :class:`RawImap` sends commands (literals
synchronised with the server's continuation) and returns the parsed untagged responses.

Test support only: no TLS upgrade, no IDLE, no pipelining.
"""

from __future__ import annotations

import re
import socket
import ssl
from dataclasses import dataclass, field
from typing import TypeAlias

_LITERAL_AT_END = re.compile(rb"~?\{(\d+)\+?\}\r\n$")
_ATOM_END = frozenset(b" ()\r\n")


class Atom(str):
    """An atom or a number as the server wrote it (``NIL`` is ``None`` instead)."""

    __slots__ = ()


ImapValue: TypeAlias = "Atom | bytes | list[ImapValue] | None"


class ImapError(AssertionError):
    """A tagged NO or BAD, or a response the parser cannot read."""


def _skip_spaces(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] == 0x20:
        pos += 1
    return pos


def _read_quoted(data: bytes, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    pos += 1
    while pos < len(data):
        byte = data[pos]
        if byte == 0x5C:  # backslash: quoted-specials escape
            out.append(data[pos + 1])
            pos += 2
        elif byte == 0x22:
            return bytes(out), pos + 1
        else:
            out.append(byte)
            pos += 1
    raise ImapError(f"unterminated quoted string in {data!r}")


def _read_literal(data: bytes, pos: int) -> tuple[bytes, int]:
    if data[pos] == 0x7E:  # "~": literal8 (RFC 3516)
        pos += 1
    close = data.index(b"}", pos)
    size = int(data[pos + 1 : close].rstrip(b"+"))
    start = close + 3  # "}" CRLF
    return data[start : start + size], start + size


def _read_atom(data: bytes, pos: int) -> tuple[Atom, int]:
    """An atom; ``[...]`` inside it (section specs, response codes) may hold spaces and
    parentheses, and ``<...>`` (partial origins) follows it."""
    start = pos
    depth = 0
    while pos < len(data):
        byte = data[pos]
        if byte == 0x5B:  # [
            depth += 1
        elif byte == 0x5D:  # ]
            depth -= 1
        elif depth == 0 and byte in _ATOM_END:
            break
        pos += 1
    return Atom(data[start:pos].decode("utf-8", "replace")), pos


def _read_value(data: bytes, pos: int) -> tuple[ImapValue, int]:
    byte = data[pos]
    if byte == 0x28:  # (
        items: list[ImapValue] = []
        pos += 1
        while True:
            pos = _skip_spaces(data, pos)
            if pos >= len(data):
                raise ImapError(f"unclosed list in {data!r}")
            if data[pos] == 0x29:  # )
                return items, pos + 1
            item, pos = _read_value(data, pos)
            items.append(item)
    if byte == 0x22:
        return _read_quoted(data, pos)
    if byte == 0x7B or (byte == 0x7E and data[pos + 1 : pos + 2] == b"{"):
        return _read_literal(data, pos)
    atom, end = _read_atom(data, pos)
    if end == pos:
        raise ImapError(f"unexpected byte at {pos} in {data!r}")
    if atom.upper() == "NIL":
        return None, end
    return atom, end


def parse_values(data: bytes) -> list[ImapValue]:
    """Every value of one response (its line and literals, final CRLF included)."""
    values: list[ImapValue] = []
    pos = 0
    end = len(data)
    while True:
        pos = _skip_spaces(data, pos)
        if pos >= end or data[pos : pos + 2] == b"\r\n":
            return values
        value, pos = _read_value(data, pos)
        values.append(value)


@dataclass
class Reply:
    """The untagged responses of one command and its tagged completion."""

    responses: list[bytes] = field(default_factory=list)
    status: str = ""
    text: bytes = b""


class RawImap:
    """One IMAP connection. ``command`` sends a command whose literals are given apart."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
    ) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        if ssl_context is not None:
            sock = ssl_context.wrap_socket(sock, server_hostname=host)
        self._socket = sock
        self._buffer = b""
        self._tag = 0
        self.greeting = self._read_response()

    def _read_line(self) -> bytes:
        while b"\r\n" not in self._buffer:
            chunk = self._socket.recv(65536)
            if not chunk:
                raise ImapError(f"connection closed; pending {self._buffer!r}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line + b"\r\n"

    def _read_exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = self._socket.recv(max(65536, size - len(self._buffer)))
            if not chunk:
                raise ImapError("connection closed inside a literal")
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _read_response(self) -> bytes:
        """One response: a line and, for each literal it announces, the literal and the
        rest of the line."""
        parts = [self._read_line()]
        while (literal := _LITERAL_AT_END.search(parts[-1])) is not None:
            parts.append(self._read_exactly(int(literal.group(1))))
            parts.append(self._read_line())
        return b"".join(parts)

    def command(self, *pieces: bytes | str, literals: tuple[bytes, ...] = ()) -> Reply:
        """Send ``pieces`` joined by spaces; each ``literals`` item follows the piece
        before it as a synchronising literal (RFC 9051 §4.3)."""
        self._tag += 1
        tag = f"t{self._tag}".encode()
        text = b" ".join(piece.encode() if isinstance(piece, str) else piece for piece in pieces)
        chunks = text.split(b"\x00")  # a NUL marks where a literal goes
        if len(chunks) != len(literals) + 1:
            raise ValueError("one NUL marker per literal")
        reply = Reply()
        self._socket.sendall(tag + b" " + chunks[0])
        for literal, rest in zip(literals, chunks[1:], strict=True):
            self._socket.sendall(b"{%d}\r\n" % len(literal))
            while not (response := self._read_response()).startswith(b"+"):
                reply.responses.append(response)
            self._socket.sendall(literal + rest)
        self._socket.sendall(b"\r\n")
        while True:
            response = self._read_response()
            if response.startswith(tag + b" "):
                status, _, rest = response[len(tag) + 1 :].partition(b" ")
                reply.status, reply.text = status.decode(), rest.rstrip(b"\r\n")
                return reply
            reply.responses.append(response)

    def ok(self, *pieces: bytes | str, literals: tuple[bytes, ...] = ()) -> Reply:
        """``command`` that must end in OK."""
        reply = self.command(*pieces, literals=literals)
        if reply.status != "OK":
            raise ImapError(f"{pieces!r}: {reply.status} {reply.text!r}")
        return reply

    def fetch(self, sequence: str, items: str) -> dict[int, dict[str, ImapValue]]:
        """``FETCH sequence (items)``: per message number, item name to value (names as
        the server wrote them, upper-cased)."""
        found: dict[int, dict[str, ImapValue]] = {}
        for response in self.ok("FETCH", sequence, f"({items})").responses:
            values = parse_values(response)
            if len(values) < 4 or values[2] != "FETCH" or not isinstance(values[3], list):
                continue
            number = int(str(values[1]))
            pairs = values[3]
            attributes = found.setdefault(number, {})
            for index in range(0, len(pairs) - 1, 2):
                attributes[str(pairs[index]).upper()] = pairs[index + 1]
        return found

    def search(self, criteria: str, literals: tuple[bytes, ...] = ()) -> list[int]:
        """``SEARCH criteria``: the message numbers found, in the server's order."""
        numbers: list[int] = []
        for response in self.ok("SEARCH", criteria, literals=literals).responses:
            values = parse_values(response)
            if values[:2] == ["*", "SEARCH"]:
                numbers.extend(int(str(value)) for value in values[2:])
        return numbers

    def close(self) -> None:
        try:
            self.command("LOGOUT")
        except (OSError, ImapError):
            pass
        finally:
            self._socket.close()
