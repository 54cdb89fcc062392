"""The SMTP server answers a pipelined group in one write (RFC 2920 §3.1: the server may
batch the replies of commands the client sent together), and still answers every command
whose client waits: a command line sent in two pieces, a lone command, the end of DATA.

A real listener on loopback; the count is of the session's calls to ``Connection.write``
(each one a send to the socket), observed, not replaced."""

from __future__ import annotations

import asyncio
import socket

import pytest

from courriel.net.connection import Connection
from courriel.runtime.services import Services


def _reply_lines(client: socket.socket, count: int) -> list[bytes]:
    """Read until ``count`` final reply lines (``NNN `` not ``NNN-``) have arrived."""
    data = b""
    while sum(1 for line in data.split(b"\r\n") if line[3:4] == b" ") < count:
        chunk = client.recv(65536)
        if not chunk:
            break
        data += chunk
    return [line for line in data.split(b"\r\n") if line[3:4] == b" "]


def _exchange(port: int) -> list[list[bytes]]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        greeting = _reply_lines(client, 1)
        client.sendall(b"EHLO client.example.org\r\n")
        ehlo = _reply_lines(client, 1)
        client.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n")
        group = _reply_lines(client, 3)
        client.sendall(b"Subject: hi\r\n\r\nhello\r\n.\r\n")
        accepted = _reply_lines(client, 1)
        client.sendall(b"NO")  # half a command: the server waits for the rest
        client.sendall(b"OP\r\n")
        noop = _reply_lines(client, 1)
        client.sendall(b"QUIT\r\n")
        bye = _reply_lines(client, 1)
    return [greeting, ehlo, group, accepted, noop, bye]


async def test_a_pipelined_group_is_answered_in_one_write(
    services: Services, mx_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[bytes] = []
    real_write = Connection.write

    def observed(self: Connection, data: bytes) -> None:
        writes.append(data)
        real_write(self, data)

    monkeypatch.setattr(Connection, "write", observed)
    greeting, ehlo, group, accepted, noop, bye = await asyncio.to_thread(_exchange, mx_port)
    assert greeting[0].startswith(b"220 ") and ehlo[0].startswith(b"250 ")
    assert [line[:3] for line in group] == [b"250", b"250", b"354"]
    assert accepted[0].startswith(b"250 ") and noop[0].startswith(b"250 ")
    assert bye[0].startswith(b"221 ")
    # greeting, EHLO, the group of three, the message, NOOP, QUIT: one write each.
    assert len(writes) == 6, writes
    assert writes[2].count(b"\r\n") == 3
