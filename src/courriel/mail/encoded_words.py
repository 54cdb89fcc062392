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
_FOLD_BEFORE_BLANK = re.compile(rb"\n(?=[ \t])")


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
        # RFC 2047 §6.2: blanks between two adjacent encoded words are not displayed. A line
        # feed separates two fields (see decode_header_block), never two words of one field.
        gap = text[pos:start]
        adjacent = (
            data is not None
            and previous_was_word
            and (not gap or (gap.isspace() and "\n" not in gap))
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


def decode_header_block(raw: bytes, start: int = 0, end: int | None = None) -> str:
    """A header block as text, one field per line: unfolded (RFC 5322 §2.2.3), RFC 2047
    words decoded, line endings made LF, names and spacing as written.

    One pass over the whole block instead of one call per field: this is the text to keep
    for IMAP SEARCH HEADER (RFC 9051 §6.4.4). A block that is not UTF-8 is read line by line
    (UTF-8 where valid, else windows-1252).
    """
    block = raw[start:end]
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    if b"\n " in block or b"\n\t" in block:
        block = _FOLD_BEFORE_BLANK.sub(b"", block)
    if block.isascii():
        text = block.decode("ascii")
    else:
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            text = "\n".join(header_bytes_to_str(line) for line in block.split(b"\n"))
    if "=?" in text:
        text = decode_encoded_words(text)
    return text.strip("\n")


def decode_header_value(value: bytes) -> str:
    """A raw (folded) header value as display text: unfolded, decoded, blanks collapsed."""
    if b"\n" in value:
        value = unfold(value)
    text = value.decode("ascii") if value.isascii() else header_bytes_to_str(value)
    if "=?" in text:
        text = decode_encoded_words(text)
    if "\t" in text or "  " in text or "\r" in text or "\n" in text:
        text = _BLANKS.sub(" ", text)
    return text.strip()
