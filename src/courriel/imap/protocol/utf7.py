"""Modified UTF-7 mailbox names (RFC 3501 §5.1.3), for IMAP4rev1 clients.

Owns: encoding a mailbox name (text) into the modified UTF-7 form IMAP4rev1 clients expect,
and decoding it back, strictly. IMAP4rev2 clients and clients that enabled UTF8=ACCEPT see
names as UTF-8 (RFC 9051 §5.1, RFC 6855 §3), so the session chooses per client.

Must not: guess. A name that is not canonical modified UTF-7 raises ``ValueError``; the
caller decides whether to reject it or treat it as plain text.
"""

from __future__ import annotations

import binascii
import re

# RFC 3501 §5.1.3: printable US-ASCII except "&" represents itself; "&" is "&-"; anything
# else is "&" + modified BASE64 of UTF-16BE (with "," for "/", no padding) + "-".
_DIRECT = re.compile(r"[\x20-\x25\x27-\x7e]+")
_SHIFTED = re.compile(r"&([A-Za-z0-9+,]*)-")


def encode_mailbox_name(name: str) -> str:
    """``name`` in modified UTF-7 (RFC 3501 §5.1.3)."""
    if _DIRECT.fullmatch(name):
        return name
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            utf16 = "".join(pending).encode("utf-16-be", "surrogatepass")
            encoded = binascii.b2a_base64(utf16, newline=False).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if "\x20" <= char <= "\x7e":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def decode_mailbox_name(text: str) -> str:
    """The mailbox name encoded as modified UTF-7 in ``text``.

    Raises ``ValueError`` for anything that :func:`encode_mailbox_name` would not produce:
    8-bit or control characters, a missing "-", bad BASE64, an odd UTF-16 length, an
    encoded printable ASCII character, or two adjacent encoded runs (RFC 3501 §5.1.3).
    """
    if "&" not in text:
        if not text.isascii() or (not _DIRECT.fullmatch(text) and text):
            raise ValueError("mailbox name has characters that modified UTF-7 cannot carry")
        return text
    out: list[str] = []
    pos = 0
    previous_shift_end = -1
    while pos < len(text):
        amp = text.find("&", pos)
        if amp < 0:
            amp = len(text)
        direct = text[pos:amp]
        if direct and not _DIRECT.fullmatch(direct):
            raise ValueError("mailbox name has characters that modified UTF-7 cannot carry")
        out.append(direct)
        if amp == len(text):
            break
        match = _SHIFTED.match(text, amp)
        if match is None:
            raise ValueError("unterminated or invalid modified UTF-7 run")
        encoded = match.group(1)
        if not encoded:
            out.append("&")
        else:
            if amp == previous_shift_end:
                # RFC 3501 §5.1.3: "&...-&...-" must be one run.
                raise ValueError("adjacent modified UTF-7 runs")
            out.append(_decode_run(encoded))
            previous_shift_end = match.end()
        pos = match.end()
    return "".join(out)


def _decode_run(encoded: str) -> str:
    length = len(encoded)
    if length % 4 == 1:
        raise ValueError("invalid modified BASE64 length")
    padded = encoded.replace(",", "/") + "=" * (-length % 4)
    try:
        utf16 = binascii.a2b_base64(padded, strict_mode=True)
    except binascii.Error as error:
        raise ValueError("invalid modified BASE64") from error
    if len(utf16) % 2:
        raise ValueError("odd UTF-16 length in modified UTF-7")
    # Leftover bits must be zero, else a different encoding would name the same text.
    if binascii.b2a_base64(utf16, newline=False).decode("ascii").rstrip("=") != padded.rstrip("="):
        raise ValueError("non-zero padding bits in modified UTF-7")
    try:
        decoded = utf16.decode("utf-16-be")
    except UnicodeDecodeError as error:
        raise ValueError("invalid UTF-16 in modified UTF-7") from error
    if any("\x20" <= char <= "\x7e" for char in decoded):
        raise ValueError("printable ASCII must not be encoded in modified UTF-7")
    return decoded
