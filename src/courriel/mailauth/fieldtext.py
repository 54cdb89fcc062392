"""Text from outside as it goes into the header fields we write (Authentication-Results,
Received-SPF): control characters dropped, and comment specials quoted.

A sender's address, a HELO name or a DNS answer can hold anything; in a field of ours it
must neither break the line nor close a comment early (RFC 5322 §3.2.2: ``(``, ``)`` and
``\\`` inside a comment are written as quoted-pairs). Nearly every text is printable
already, so each function tests before it substitutes.

Must not: decide whether a value needs quoting as a token or a dot-atom (each field's own
grammar does), or fold.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_COMMENT_SPECIALS = re.compile(r"[()\\]")


def without_controls(text: str) -> str:
    """``text`` without US-ASCII control characters (CR, LF, TAB, NUL, DEL...)."""
    return text if text.isprintable() else _CONTROL.sub("", text)


def comment_text(text: str) -> str:
    """``text`` ready to stand between ``(`` and ``)``: controls dropped, and ``(``, ``)``,
    ``\\`` written as quoted-pairs (RFC 5322 §3.2.2)."""
    text = without_controls(text)
    if "(" in text or ")" in text or "\\" in text:
        text = _COMMENT_SPECIALS.sub(r"\\\g<0>", text)
    return text
