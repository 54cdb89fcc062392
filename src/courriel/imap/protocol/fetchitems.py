"""Parsed FETCH attributes: what a client asks for in FETCH (RFC 9051 §6.4.5).

Owns :data:`FetchAttribute` — simple items (:class:`FetchItem`), ``BODY[section]<partial>``
and ``BODY.PEEK`` (:class:`BodySection`), ``BINARY[part]`` / ``BINARY.PEEK`` /
``BINARY.SIZE`` (RFC 3516 §4), ``PREVIEW`` with LAZY (RFC 8970 §3) — the section
specifier (:class:`Section`, RFC 9051 §6.4.5), the ALL/FAST/FULL macros and the response
name of each attribute (``BODY.PEEK[1]<0.10>`` is answered as ``BODY[1]<0>``).

Must not: fetch or render anything (``fetch`` does).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, TypeAlias

SectionText = Literal["", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"]


class FetchItem(enum.StrEnum):
    """Fetch attributes without arguments (RFC 9051 §6.4.5 and extensions)."""

    FLAGS = "FLAGS"
    INTERNALDATE = "INTERNALDATE"
    RFC822_SIZE = "RFC822.SIZE"
    ENVELOPE = "ENVELOPE"
    BODYSTRUCTURE = "BODYSTRUCTURE"
    BODY = "BODY"  # the non-extensible BODYSTRUCTURE
    UID = "UID"
    MODSEQ = "MODSEQ"  # RFC 7162 §3.1.4.1
    EMAILID = "EMAILID"  # RFC 8474 §5.1
    THREADID = "THREADID"  # RFC 8474 §5.2
    SAVEDATE = "SAVEDATE"  # RFC 8514 §4
    RFC822 = "RFC822"  # IMAP4rev1: BODY[] (RFC 3501 §6.4.5)
    RFC822_HEADER = "RFC822.HEADER"  # IMAP4rev1: BODY.PEEK[HEADER]
    RFC822_TEXT = "RFC822.TEXT"  # IMAP4rev1: BODY[TEXT]


@dataclass(frozen=True, slots=True)
class Section:
    """``[1.2.HEADER.FIELDS (From To)]``: part numbers, text specifier, field names."""

    part: tuple[int, ...] = ()
    text: SectionText = ""
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        spec = ".".join(str(number) for number in self.part)
        if self.text:
            spec = f"{spec}.{self.text}" if spec else self.text
        if self.text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
            spec += " (" + " ".join(_field_name(name) for name in self.fields) + ")"
        return spec


def _field_name(name: str) -> str:
    # header-fld-name = astring; field names never need quoting unless odd.
    if name and all(33 <= ord(char) <= 126 and char not in '(){%*"\\' for char in name):
        return name
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Partial:
    """``<offset.length>`` (RFC 9051 §6.4.5 partial)."""

    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class BodySection:
    """BODY[section]<partial> and BODY.PEEK (RFC 9051 §6.4.5)."""

    section: Section = Section()
    partial: Partial | None = None
    peek: bool = False


@dataclass(frozen=True, slots=True)
class BinarySection:
    """BINARY[part]<partial> and BINARY.PEEK (RFC 3516 §4.2); ``part`` () is the whole
    message."""

    part: tuple[int, ...] = ()
    partial: Partial | None = None
    peek: bool = False


@dataclass(frozen=True, slots=True)
class BinarySize:
    """BINARY.SIZE[part] (RFC 3516 §4.2)."""

    part: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Preview:
    """PREVIEW, or PREVIEW (LAZY) (RFC 8970 §3.1)."""

    lazy: bool = False


FetchAttribute: TypeAlias = FetchItem | BodySection | BinarySection | BinarySize | Preview

# RFC 9051 §6.4.5: the macros.
FETCH_MACROS: dict[str, tuple[FetchAttribute, ...]] = {
    "ALL": (FetchItem.FLAGS, FetchItem.INTERNALDATE, FetchItem.RFC822_SIZE, FetchItem.ENVELOPE),
    "FAST": (FetchItem.FLAGS, FetchItem.INTERNALDATE, FetchItem.RFC822_SIZE),
    "FULL": (
        FetchItem.FLAGS,
        FetchItem.INTERNALDATE,
        FetchItem.RFC822_SIZE,
        FetchItem.ENVELOPE,
        FetchItem.BODY,
    ),
}


def _part_label(part: tuple[int, ...]) -> str:
    return ".".join(str(number) for number in part)


def response_name(attribute: FetchAttribute) -> str:
    """The name the FETCH response gives ``attribute`` (RFC 9051 §7.5.2): PEEK dropped,
    the partial's origin kept, its length dropped."""
    if isinstance(attribute, FetchItem):
        return attribute.value
    if isinstance(attribute, BodySection):
        origin = f"<{attribute.partial.offset}>" if attribute.partial else ""
        return f"BODY[{attribute.section}]{origin}"
    if isinstance(attribute, BinarySection):
        origin = f"<{attribute.partial.offset}>" if attribute.partial else ""
        return f"BINARY[{_part_label(attribute.part)}]{origin}"
    if isinstance(attribute, BinarySize):
        return f"BINARY.SIZE[{_part_label(attribute.part)}]"
    return "PREVIEW"


def sets_seen(attribute: FetchAttribute) -> bool:
    """True when fetching ``attribute`` sets \\Seen (RFC 9051 §6.4.5: BODY[...] and
    BINARY[...] without .PEEK; RFC 3501 §6.4.5: RFC822 and RFC822.TEXT)."""
    if isinstance(attribute, (BodySection, BinarySection)):
        return not attribute.peek
    return attribute in (FetchItem.RFC822, FetchItem.RFC822_TEXT)


def needs_content(attribute: FetchAttribute) -> bool:
    """True when rendering ``attribute`` needs the raw message bytes (the blob)."""
    if isinstance(attribute, (BodySection, BinarySection, BinarySize)):
        return True
    return attribute in (FetchItem.RFC822, FetchItem.RFC822_HEADER, FetchItem.RFC822_TEXT)
