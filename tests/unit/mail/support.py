"""Helpers shared by the courriel.mail tests: the hand-written corpus and tree checks."""

from __future__ import annotations

from pathlib import Path

from courriel.mail import ParsedMessage, Part, iter_parts

CORPUS = Path(__file__).parent / "corpus"

#: Corpus files the stdlib ``email`` package parses the same way (used as an oracle).
WELL_FORMED = (
    "simple_text.eml",
    "alternative.eml",
    "mixed_attachment.eml",
    "nested_3_levels.eml",
    "rfc822_attached.eml",
    "digest.eml",
    "encoded_words.eml",
    "rfc2231_filename.eml",
    "groups.eml",
    "lf_only.eml",
    "no_body.eml",
)
#: Every corpus file.
ALL_FILES = tuple(sorted(path.name for path in CORPUS.glob("*.eml")))


def corpus(name: str) -> bytes:
    """The bytes of one corpus message."""
    return (CORPUS / name).read_bytes()


def check_offsets(parsed: ParsedMessage, raw: bytes) -> None:
    """Every offset lies within the raw bytes and nests inside its parent."""
    assert parsed.size == len(raw)
    root = parsed.root
    assert root.start == 0
    assert root.end == len(raw)
    _check_part(root, 0, len(raw))


def _check_part(part: Part, low: int, high: int) -> None:
    assert low <= part.start <= part.body_start <= part.end <= high, part
    assert part.size == part.end - part.body_start >= 0
    if part.type == "multipart":
        assert part.children, "a multipart always has at least one part"
    for child in part.children:
        _check_part(child, part.body_start, part.end)
    if part.message is not None:
        assert part.message.start == part.body_start
        assert part.message.end == part.end
        assert part.envelope is not None
        _check_part(part.message, part.body_start, part.end)


def tree(part: Part) -> object:
    """The content-type tree of a part, encapsulated messages included."""
    if part.children:
        return (part.content_type, [tree(child) for child in part.children])
    if part.message is not None:
        return (part.content_type, [tree(part.message)])
    return part.content_type


def count_parts(part: Part) -> int:
    return len(iter_parts(part))
