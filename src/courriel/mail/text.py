"""Readable text of a message: full-text search data and the IMAP PREVIEW (RFC 8970).

Owns: choosing the parts that carry a message's readable content (text/plain and text/html
leaves that are not attachments, one alternative per multipart/alternative with plain text
preferred, encapsulated messages included), decoding them (RFC 2045 §6 transfer encoding,
then the RFC 2045 §5.1 charset, with fallbacks), turning HTML into text with two regular
expressions (scripts, styles and the head dropped, tags removed, entities decoded),
capping the result, and the RFC 8970 preview.

RFC 8970 §4: the preview is plain text in UTF-8 without markup, "the server SHOULD limit the
length of the preview text to 200 preview characters" and MUST NOT send more than 256;
removing quoted text and extraneous blanks is encouraged. RFC 8970 §3.2: when no useful
preview exists the server returns an empty string.

Must not: decode attachments (images, PDFs, ...), or read more than a bounded prefix of
each text part.
"""

from __future__ import annotations

import html
import re

from courriel.mail.charset import decode_bytes
from courriel.mail.part import Part
from courriel.mail.transfer import decode_transfer_encoding

#: Cap on the text indexed for full-text search, in characters.
MAX_TEXT_CHARS = 256 * 1024
#: RFC 8970 §4: the preview SHOULD be at most 200 characters (and MUST NOT exceed 256).
PREVIEW_CHARS = 200
# Encoded bytes read from a part to build the preview: enough to get past an HTML head.
_PREVIEW_PLAIN_BYTES = (2 * 1024, 16 * 1024)
_PREVIEW_HTML_BYTES = (16 * 1024, 64 * 1024)

# Patterns that start with a literal "<" let the regex engine skip to candidates quickly;
# a pattern starting with a character class costs ~10 ns per character scanned, so there is
# deliberately no whitespace-collapsing pass over whole bodies (search tokenizers ignore
# blanks; the preview collapses only the few lines it keeps).
_HTML_DROP = re.compile(
    r"<(script|style|head|title|template|noscript|xml)\b.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)",
    re.I | re.S,
)
# "[^<>]" and not "[^>]": a "<" without ">" must not make every later "<" rescan the text.
_HTML_TAG = re.compile(r"</?[A-Za-z!?][^<>]*>")


def html_to_text(markup: str) -> str:
    """Visible text of an HTML document: a fast approximation, not an HTML parser.

    Scripts, styles, the head and comments are dropped, every tag becomes a space (so
    words in adjacent cells do not run together), entities are decoded. Blanks are not
    collapsed.
    """
    text = _HTML_DROP.sub(" ", markup)
    text = _HTML_TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def _is_text_leaf(part: Part, subtype: str) -> bool:
    return (
        part.type == "text"
        and part.subtype == subtype
        and not part.children
        and not part.is_attachment
    )


def text_parts(part: Part, *, into_messages: bool = True) -> list[Part]:
    """The parts holding the readable text of ``part``, in reading order."""
    out: list[Part] = []
    _collect(part, out, into_messages)
    return out


def _collect(part: Part, out: list[Part], into_messages: bool) -> None:
    if part.children:
        if part.subtype == "alternative":
            for child in part.children:
                if _is_text_leaf(child, "plain") and child.size:
                    out.append(child)
                    return
            # RFC 2046 §5.1.4: the last alternative is the richest; take the last that has text.
            for child in reversed(part.children):
                found: list[Part] = []
                _collect(child, found, into_messages)
                if found:
                    out.extend(found)
                    return
            return
        for child in part.children:
            _collect(child, out, into_messages)
    elif part.message is not None:
        if into_messages:
            _collect(part.message, out, into_messages)
    elif _is_text_leaf(part, "plain") or _is_text_leaf(part, "html"):
        out.append(part)


def part_text(raw: bytes, part: Part, *, max_bytes: int | None = None) -> str:
    """The decoded text of a text/plain or text/html part (HTML converted to text).

    Only the first ``max_bytes`` encoded bytes are read when given.
    """
    end = part.end if max_bytes is None else min(part.end, part.body_start + max_bytes)
    data = decode_transfer_encoding(raw[part.body_start : end], part.encoding)
    text = decode_bytes(data, part.charset)
    if "\x00" in text:
        text = text.replace("\x00", "")
    if part.subtype == "html":
        return html_to_text(text)
    return text


def extract_text(raw: bytes, root: Part, *, limit: int = MAX_TEXT_CHARS) -> str:
    """The readable text of the message for full-text search, at most ``limit`` characters."""
    pieces: list[str] = []
    remaining = limit
    for part in text_parts(root):
        if remaining <= 0:
            break
        # A character takes at most 4 UTF-8 bytes; QP and base64 at most 3 more per byte.
        text = part_text(raw, part, max_bytes=remaining * 12)
        if text and not text.isspace():
            pieces.append(text[:remaining])
            remaining -= len(pieces[-1]) + 1
    return "\n".join(pieces)


def preview_text(text: str, *, limit: int = PREVIEW_CHARS) -> str:
    """RFC 8970 preview of some plain text: quoted lines and the signature dropped, blanks
    collapsed, cut at a word boundary within ``limit`` characters.

    Reads lines only until ``limit`` characters are collected.
    """
    kept: list[str] = []
    total = 0
    pos = 0
    length = len(text)
    while pos < length and total <= limit:
        newline = text.find("\n", pos)
        if newline < 0:
            newline = length
        line = text[pos:newline]
        pos = newline + 1
        if line.startswith(">"):  # quoted reply text
            continue
        if line.rstrip() == "--":  # RFC 3676 §4.3 signature separator "-- "
            break
        words = line.split()
        if words:
            kept.append(" ".join(words))
            total += len(kept[-1]) + 1
    preview = " ".join(kept)
    if len(preview) <= limit:
        return preview
    cut = preview[:limit]
    space = cut.rfind(" ")
    if space > limit * 3 // 4:
        cut = cut[:space]
    return cut.rstrip()


def make_preview(raw: bytes, root: Part) -> str:
    """The RFC 8970 preview of a message: from its first readable part with text, or ``""``."""
    for part in text_parts(root, into_messages=False):
        first, second = _PREVIEW_HTML_BYTES if part.subtype == "html" else _PREVIEW_PLAIN_BYTES
        preview = preview_text(part_text(raw, part, max_bytes=first))
        if len(preview) < PREVIEW_CHARS and part.size > first:
            # Quotes or markup used up the first window: read a larger one.
            preview = preview_text(part_text(raw, part, max_bytes=second))
        if preview:
            return preview
    return ""
