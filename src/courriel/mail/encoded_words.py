"""RFC 2047 encoded-word decoding for unstructured header text and display names.

Owns: ``=?charset?B|Q?text?=`` decoding (RFC 2047 §2, §4), joining adjacent encoded words
separated only by blanks (§6.2), and decoding the raw header value bytes into text
(RFC 6532 UTF-8, else windows-1252). Adjacent words in the same charset are decoded
together so a multibyte character split across two words survives, as real mailers do.

Tolerant: an unknown charset is decoded as UTF-8, bad base64 is repaired, a word that
cannot be decoded is left as it was. Never raises.

Must not: parse structure (addresses, parameters) — callers decode the pieces they extract.
"""

from __future__ import annotations

import re

from courriel.mail.charset import decode_bytes, header_bytes_to_str
from courriel.mail.headers import unfold
from courriel.mail.transfer import decode_base64, decode_quoted_printable

# RFC 2047 §2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?="; the charset
# may carry an RFC 2231 §5 language suffix, which codec lookup strips.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BLANKS = re.compile(r"[ \t\r\n]+")


def _word_bytes(encoding: str, text: str) -> bytes | None:
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    if encoding in "bB":
        return decode_base64(data)
    return decode_quoted_printable(data, header=True)


def decode_encoded_words(text: str) -> str:
    """Replace the RFC 2047 encoded words in ``text`` by the text they encode."""
    if "=?" not in text:
        return text
    out: list[str] = []
    pending = b""
    pending_charset = ""
    pos = 0
    previous_was_word = False
    search = _ENCODED_WORD.search
    match = search(text)
    while match is not None:
        start = match.start()
        charset, encoding, payload = match.groups()
        data = _word_bytes(encoding, payload)
        # RFC 2047 §6.2: blanks between two adjacent encoded words are not displayed.
        adjacent = (
            data is not None and previous_was_word and (start == pos or text[pos:start].isspace())
        )
        if not adjacent or charset.lower() != pending_charset.lower():
            if pending:
                out.append(decode_bytes(pending, pending_charset))
                pending = b""
            if not adjacent:
                out.append(text[pos:start])
        if data is None:  # not decodable: keep the word as it was
            out.append(match.group())
            previous_was_word = False
        else:
            pending += data
            pending_charset = charset
            previous_was_word = True
        pos = match.end()
        match = search(text, pos)
    if pending:
        out.append(decode_bytes(pending, pending_charset))
    out.append(text[pos:])
    return "".join(out)


def decode_header_value(value: bytes) -> str:
    """A raw (folded) header value as display text: unfolded, decoded, blanks collapsed."""
    text = header_bytes_to_str(unfold(value))
    if "=?" in text:
        text = decode_encoded_words(text)
    if "\t" in text or "  " in text or "\r" in text or "\n" in text:
        text = _BLANKS.sub(" ", text)
    return text.strip()
