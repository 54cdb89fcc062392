"""Content-Transfer-Encoding decoding (RFC 2045 §6), tolerant of what real mail contains.

Owns: turning a body (or an RFC 2047 encoded word's text) encoded as base64 (RFC 2045 §6.8)
or quoted-printable (RFC 2045 §6.7) back into octets. Bad padding, stray characters and
broken escapes are repaired or passed through; these functions never raise. Used by the
text extractor at ingest and by IMAP ``BINARY[]`` (RFC 3516) at fetch time.

Must not: decode charsets, or be called on attachments at ingest (only text parts are
decoded there; see ``text``).
"""

from __future__ import annotations

import binascii

_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(b for b in range(256) if b not in _BASE64_ALPHABET)


def decode_base64(data: bytes) -> bytes:
    """Decode base64, ignoring characters outside the alphabet (RFC 2045 §6.8)."""
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        pass
    # Bad padding: keep the alphabet only, drop a dangling sextet, pad to a quantum.
    clean = data.translate(None, _NOT_BASE64)
    remainder = len(clean) % 4
    if remainder == 1:
        clean = clean[:-1]
    elif remainder:
        clean += b"=" * (4 - remainder)
    try:
        return binascii.a2b_base64(clean)
    except binascii.Error:  # pragma: no cover - the cleaned input is always well-formed
        return b""


def decode_quoted_printable(data: bytes, *, header: bool = False) -> bytes:
    """Decode quoted-printable (RFC 2045 §6.7); ``header`` selects the RFC 2047 §4.2 "Q" form.

    Invalid escapes are kept literally, as RFC 2045 §6.7 note (1) recommends.
    """
    return binascii.a2b_qp(data, header=header)


def decode_transfer_encoding(data: bytes, encoding: str) -> bytes:
    """Undo ``encoding`` (a lower-case Content-Transfer-Encoding value) on ``data``.

    Identity encodings (7bit, 8bit, binary) and unknown ones return ``data`` unchanged.
    """
    if encoding == "base64":
        return decode_base64(data)
    if encoding == "quoted-printable":
        return decode_quoted_printable(data)
    return data
