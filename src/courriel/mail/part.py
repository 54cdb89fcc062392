"""The MIME tree with byte offsets, and IMAP section addressing over it.

Owns: :class:`Part`, one MIME entity (RFC 2045 §2.4) described by offsets into the raw
message and by everything IMAP BODYSTRUCTURE needs (RFC 9051 §7.5.2, extension data
included); and the section arithmetic of RFC 9051 §6.4.5: which part ``1.2.3`` names and
which bytes ``BODY[1.2.HEADER]``, ``[1.2.TEXT]``, ``[1.2.MIME]`` and ``[1.2]`` cover.

Offsets: ``raw[start:body_start]`` is the entity's header including the empty separator
line, ``raw[body_start:end]`` its body. For a part of a multipart the body excludes the line
break before the next boundary (RFC 2046 §5.1.1: it belongs to the boundary).

Must not: hold the raw bytes, decode anything, or parse: ``courriel.mail.mime`` builds parts.
"""

from __future__ import annotations

from typing import NamedTuple

from courriel.mail.envelope import Envelope
from courriel.mail.params import Params, get_param

#: Section text specifiers of RFC 9051 §6.4.5 that :func:`part_range` understands.
SECTION_TEXTS = ("", "HEADER", "TEXT", "MIME")


class Part(NamedTuple):
    """One MIME entity: a whole message, a body part, or an encapsulated message.

    ``type``/``subtype`` are lower-cased; ``params`` are the raw Content-Type parameters in
    order (RFC 2231 sections not merged: see :meth:`param`). ``encoding`` is the lower-cased
    Content-Transfer-Encoding (default ``7bit``). ``lines`` counts body lines for text/* and
    message/rfc822|global parts (0 otherwise). ``children`` holds the parts of a multipart
    (never empty for a multipart). For message/rfc822 and message/global, ``message`` is
    the encapsulated message's own entity and ``envelope`` its ENVELOPE. Past the parser's
    depth or part limits a multipart or message entity is reported as
    application/octet-stream, so these invariants hold for every tree.

    A NamedTuple, like every record here: immutable and about five times cheaper to build
    than a frozen dataclass, which matters at ingest and when FETCH decodes stored trees.
    """

    start: int
    body_start: int
    end: int
    type: str
    subtype: str
    params: Params
    id: str | None
    description: str | None
    encoding: str
    lines: int
    md5: str | None
    disposition: str | None
    disposition_params: Params
    language: tuple[str, ...]
    location: str | None
    children: tuple[Part, ...]
    message: Part | None
    envelope: Envelope | None

    @property
    def size(self) -> int:
        """Body size in octets (RFC 9051 body-fld-octets)."""
        return self.end - self.body_start

    @property
    def content_type(self) -> str:
        return f"{self.type}/{self.subtype}"

    @property
    def is_multipart(self) -> bool:
        return bool(self.children)

    @property
    def is_message(self) -> bool:
        """True for message/rfc822 and message/global parts with an encapsulated message."""
        return self.message is not None

    def param(self, name: str) -> str | None:
        """A Content-Type parameter, RFC 2231 and RFC 2047 decoded, or None."""
        return get_param(self.params, name)

    def disposition_param(self, name: str) -> str | None:
        """A Content-Disposition parameter, RFC 2231 and RFC 2047 decoded, or None."""
        return get_param(self.disposition_params, name)

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter (read without decoding unless RFC 2231 forms exist)."""
        for name, value in self.params:
            lname = name.lower()
            if lname == "charset":
                return value
            if lname.startswith("charset*"):
                return get_param(self.params, "charset")
        return None

    @property
    def filename(self) -> str | None:
        """The attachment name: Content-Disposition filename, else Content-Type name."""
        name = get_param(self.disposition_params, "filename") if self.disposition_params else None
        if not name:
            name = get_param(self.params, "name")
        return name or None

    @property
    def has_filename(self) -> bool:
        """True when a ``filename`` (disposition) or ``name`` (content type) parameter exists,
        RFC 2231 forms included; nothing is decoded."""
        for name, _ in self.disposition_params:
            if name[:8].lower() == "filename":
                return True
        for name, _ in self.params:
            lname = name.lower()
            if lname == "name" or lname.startswith("name*"):
                return True
        return False

    @property
    def is_attachment(self) -> bool:
        """Disposition ``attachment``, or a file name without disposition ``inline``."""
        if self.disposition is not None:
            disposition = self.disposition.lower()
            if disposition == "attachment":
                return True
            if disposition == "inline":
                return False
        return self.has_filename


def iter_parts(part: Part) -> list[Part]:
    """Every part in depth-first order, encapsulated messages included (root first)."""
    out: list[Part] = []
    stack = [part]
    while stack:
        current = stack.pop()
        out.append(current)
        if current.message is not None:
            stack.append(current.message)
        stack.extend(reversed(current.children))
    return out


def find_part(root: Part, path: tuple[int, ...]) -> Part | None:
    """The part named by section number ``path`` (RFC 9051 §6.4.5), or None.

    ``()`` is the whole message. Part 1 of a non-multipart message is its body, so
    ``find_part(root, (1,))`` is ``root`` then. Inside a message/rfc822 part ``n``,
    ``n.1`` is part 1 of the encapsulated message, following the same rule.
    """
    node = root
    at_message = True  # node is a message whose body parts the next number indexes
    for number in path:
        if number < 1:
            return None
        if not at_message:
            if node.children:
                if number > len(node.children):
                    return None
                node = node.children[number - 1]
                continue
            if node.message is None:
                return None
            node = node.message
        if node.children:
            if number > len(node.children):
                return None
            node = node.children[number - 1]
        elif number != 1:
            return None
        at_message = False
    return node


def part_range(root: Part, path: tuple[int, ...], text: str = "") -> tuple[int, int] | None:
    """Byte range ``(start, end)`` of ``BODY[<path>.<text>]`` (RFC 9051 §6.4.5), or None.

    ``text`` is ``""`` (the part's body, or the whole message for ``()``), ``"HEADER"``,
    ``"TEXT"`` (a message's, or a message/rfc822 part's encapsulated message's, header or
    body) or ``"MIME"`` (a part's own MIME header; not allowed for ``()``). HEADER.FIELDS
    variants use the HEADER range.
    """
    text = text.upper()
    node = find_part(root, path)
    if node is None:
        return None
    if text == "":
        if not path:
            return node.start, node.end
        return node.body_start, node.end
    if text == "MIME":
        if not path:
            return None
        return node.start, node.body_start
    if text in ("HEADER", "TEXT"):
        message = node if not path else node.message
        if message is None:
            return None
        if text == "HEADER":
            return message.start, message.body_start
        return message.body_start, message.end
    return None
