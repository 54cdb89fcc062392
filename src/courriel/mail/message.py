"""``parse_message``: everything courriel stores about a message, computed once at ingest.

Owns :class:`ParsedMessage` — the MIME tree with offsets, the top-level ENVELOPE, the
search/sort/thread summary and the RFC 8970 preview — and the function that builds it
from raw bytes. FETCH (ENVELOPE, BODYSTRUCTURE, BODY[section]<partial>, BINARY, PREVIEW),
SEARCH, SORT, THREAD and the webmail list serve from this value (DESIGN.md §3 "Parse
once"); full-text search data comes from :func:`courriel.mail.text.extract_text`.

Must not: raise (any byte string gives a ParsedMessage whose offsets lie within it), use
the ``email`` package, do I/O, or decode attachments.
"""

from __future__ import annotations

from typing import NamedTuple

from courriel.mail.charset import header_bytes_to_str
from courriel.mail.envelope import Envelope, build_envelope
from courriel.mail.headers import unfold
from courriel.mail.mime import parse_structure
from courriel.mail.part import Part, find_part, part_range
from courriel.mail.summary import Summary, build_summary
from courriel.mail.text import make_preview


class ParsedMessage(NamedTuple):
    """The stored description of one message (see :mod:`courriel.mail.codec`).

    Slice the raw bytes with the offsets: ``raw[:header_size]`` is RFC822.HEADER, and
    :func:`section_range` gives any ``BODY[section]``.

    ``size`` is the raw length in octets; ``root`` the top-level entity (``root.start`` is
    0, ``root.end`` is ``size``, ``root.body_start`` the RFC822.HEADER size).
    """

    size: int
    root: Part
    envelope: Envelope
    summary: Summary
    preview: str

    @property
    def header_size(self) -> int:
        return self.root.body_start


def find_section(parsed: ParsedMessage, path: tuple[int, ...]) -> Part | None:
    """The part named by IMAP section number ``path`` (RFC 9051 §6.4.5), or None.

    ``()`` is the whole message; ``(1,)`` of a non-multipart message is its body (the root).
    """
    return find_part(parsed.root, path)


def section_range(
    parsed: ParsedMessage, path: tuple[int, ...], text: str = ""
) -> tuple[int, int] | None:
    """Byte range ``(start, end)`` of ``BODY[<path>.<text>]`` (RFC 9051 §6.4.5), or None.

    ``text`` is ``""``, ``"HEADER"``, ``"TEXT"`` or ``"MIME"`` (see
    :func:`courriel.mail.part.part_range`); slice the raw message with the result.
    """
    return part_range(parsed.root, path, text)


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse a whole message (RFC 5322 + MIME) into the value stored at ingest."""
    root, fields = parse_structure(raw)
    envelope = build_envelope(fields)
    references = fields.get(b"references")
    summary = build_summary(
        envelope,
        header_bytes_to_str(unfold(references)) if references is not None else None,
        root,
    )
    return ParsedMessage(len(raw), root, envelope, summary, make_preview(raw, root))
