"""``ClamdClient``: scan bytes with a running clamd, over TCP or its unix socket.

One connection per scan (clamd closes it after answering ``zINSTREAM``), the request from
``clamd_protocol``, the exchange through ``daemon.exchange`` within ``timeout``.

Must not: parse the protocol (``clamd_protocol``) or decide what happens to a message
(``screening``).
"""

from __future__ import annotations

from courriel.antivirus.clamd_protocol import (
    CHUNK_SIZE,
    MAX_REPLY,
    ScanReply,
    instream_request,
    parse_reply,
    reply_complete,
)
from courriel.antivirus.daemon import exchange
from courriel.config.kinds import DaemonAddress


class ClamdClient:
    """A clamd at ``address``; :meth:`scan` raises ``daemon.ScannerError`` when no scan
    ran (unreachable, timed out, garbage reply)."""

    name = "clamd"

    def __init__(
        self, address: DaemonAddress, *, timeout: float, chunk_size: int = CHUNK_SIZE
    ) -> None:
        self.address = address
        self.timeout = timeout
        self.chunk_size = chunk_size

    async def scan(self, data: bytes) -> ScanReply:
        """clamd's verdict on ``data``."""
        reply = await exchange(
            self.address,
            instream_request(data, self.chunk_size),
            timeout=self.timeout,
            max_reply=MAX_REPLY,
            complete=reply_complete,
        )
        return parse_reply(reply)
