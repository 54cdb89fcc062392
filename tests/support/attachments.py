"""Attachments for the webmail's preview tests: a real PNG a browser decodes, a one-page
PDF, and a message carrying files (base64, ``multipart/mixed``, RFC 2046 §5.1.3)."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Sequence

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


def png(width: int, height: int) -> bytes:
    """An RGB PNG of one colour (PNG spec §5: signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + checksum

    rows = b"".join(b"\x00" + b"\xd0\x60\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def with_files(
    subject: str,
    files: Sequence[tuple[str, str, bytes]],
    *,
    sender: str = "bob@example.test",
    recipient: str = "alice@example.test",
) -> bytes:
    """A message with a short text and ``(filename, content type, bytes)`` attachments."""
    parts = b"--m1\r\nContent-Type: text/plain\r\n\r\nFiles attached.\r\n"
    for name, content_type, data in files:
        parts += (
            f'--m1\r\nContent-Type: {content_type}; name="{name}"\r\n'
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n".encode()
            + base64.encodebytes(data).replace(b"\n", b"\r\n")
        )
    return (
        f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=m1\r\n\r\n".encode()
        + parts
        + b"--m1--\r\n"
    )
