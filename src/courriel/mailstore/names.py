"""Mailbox names: validation and the INBOX rule.

``INBOX`` is case-insensitive (RFC 9051 §5.1); other names are case-sensitive and use the
configured hierarchy separator. Names are Unicode (IMAP4rev2 sends UTF-8; modified UTF-7 is
the IMAP layer's business). Refused: empty names or components, leading or trailing
separators, control characters, the LIST wildcards ``*`` and ``%`` (RFC 9051 §5.1 advises
against them), and names over ``MAX_NAME_LENGTH`` characters.
"""

from __future__ import annotations

from courriel.storage.errors import InvalidName

INBOX = "INBOX"
MAX_NAME_LENGTH = 1000
_FORBIDDEN = frozenset("*%") | {chr(code) for code in range(0x20)} | {"\x7f"}


def canonical_name(name: str, separator: str) -> str:
    """The stored form: ``INBOX`` (and ``INBOX`` + separator + ...) upper-cased."""
    head, sep, rest = name.partition(separator)
    if head.upper() == INBOX:
        return INBOX + sep + rest
    return name


def validate_name(name: str, separator: str) -> str:
    """The canonical name, or ``InvalidName`` with the reason."""
    if not name:
        raise InvalidName("a mailbox name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName(f"a mailbox name has at most {MAX_NAME_LENGTH} characters")
    bad = sorted({character for character in name if character in _FORBIDDEN})
    if bad:
        raise InvalidName(f"a mailbox name cannot contain {''.join(bad)!r}")
    if any(not part for part in name.split(separator)):
        raise InvalidName(f"empty hierarchy level in {name!r} (separator {separator!r})")
    return canonical_name(name, separator)


def parent_names(name: str, separator: str) -> list[str]:
    """``a/b/c`` → ``["a", "a/b"]``."""
    parts = name.split(separator)
    return [separator.join(parts[:end]) for end in range(1, len(parts))]
