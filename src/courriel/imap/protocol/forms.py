"""ENVELOPE, BODYSTRUCTURE and BODY in their wire form, rendered once at ingest.

DESIGN.md §3 "parse once": what FETCH serves is computed when a message arrives. Rendering
these three items from the parse tree costs ~150 µs per message in Python, so a client that
fetches them for a whole mailbox (every mail app does, on first sync) would wait seconds for
10,000 messages. The mail store keeps, per content, the bytes :func:`render_forms` returns,
opaque to it; a metadata FETCH (``selected.py``) then copies them into responses.

The forms are rendered for a client without UTF8=ACCEPT, as IMAP4rev2 reads them.
:func:`usable` says when a session may take them as they are; otherwise (8-bit strings for a
UTF-8 client, MESSAGE/GLOBAL for an IMAP4rev1 client, forms of an older version) FETCH
renders from the parse tree as before. Both paths produce the same bytes whenever the forms
are usable (tests/unit/imap/test_imap_forms.py compares them).

Must not: do I/O, or know how the store keeps the bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from courriel.imap.protocol.fetch import body_structure_value, envelope_value
from courriel.imap.protocol.wire import render
from courriel.mail import ParsedMessage

#: Bump whenever the rendering of ENVELOPE, BODYSTRUCTURE or BODY changes: stored forms of
#: another version are ignored (FETCH renders from the parse tree instead).
FORMS_VERSION = 1

_HEAD = struct.Struct("!BBII")  # version, traits, ENVELOPE and BODYSTRUCTURE lengths; BODY follows
# Traits, found once at ingest so that FETCH tests a bit per message:
_EIGHT_BIT = 1  # a literal ("{n}" CRLF) holds a string with 8-bit text (or CR, LF, NUL)
_MESSAGE_GLOBAL = 2  # a MESSAGE/GLOBAL part (RFC 6532 §3.5)
_LITERAL_MARK = b"}\r\n"
_GLOBAL_MARK = b'"MESSAGE" "GLOBAL"'


@dataclass(frozen=True, slots=True)
class Forms:
    """The wire bytes of the three items, without their names, and their traits."""

    envelope: bytes
    bodystructure: bytes
    body: bytes
    traits: int = 0


def render_forms(parsed: ParsedMessage) -> bytes:
    """The packed forms of ``parsed`` (what the store keeps)."""
    envelope = render(envelope_value(parsed.envelope))
    bodystructure = render(body_structure_value(parsed.root))
    body = render(body_structure_value(parsed.root, extensible=False))
    traits = 0
    if any(_LITERAL_MARK in form for form in (envelope, bodystructure, body)):
        traits |= _EIGHT_BIT
    if _GLOBAL_MARK in bodystructure:
        traits |= _MESSAGE_GLOBAL
    head = _HEAD.pack(FORMS_VERSION, traits, len(envelope), len(bodystructure))
    return head + envelope + bodystructure + body


def unpack_forms(data: bytes | None) -> Forms | None:
    """The forms in ``data``; None when absent, damaged or of another version."""
    if data is None or len(data) < _HEAD.size:
        return None
    version, traits, envelope_length, structure_length = _HEAD.unpack_from(data)
    start = _HEAD.size
    middle = start + envelope_length
    end = middle + structure_length
    if version != FORMS_VERSION or end > len(data):
        return None
    return Forms(data[start:middle], data[middle:end], data[end:], traits)


def usable(forms: Forms, *, utf8: bool, rev2: bool) -> bool:
    """True when the stored bytes are exactly what this session would render.

    A UTF-8 session (RFC 9051 §9, RFC 6855 §3) may see 8-bit strings quoted where the
    stored forms hold literals; an IMAP4rev1 session sees MESSAGE/GLOBAL as a basic body
    (RFC 3501 §9 ``media-message``)."""
    if utf8 and forms.traits & _EIGHT_BIT:
        return False
    return rev2 or not forms.traits & _MESSAGE_GLOBAL
