"""The EHLO reply: which service extensions the server offers, now (RFC 5321 §4.1.1.1).

Owns: turning the session's capabilities into the EHLO reply and into the set of keywords
``parse_command`` accepts parameters for, so what is advertised and what is accepted cannot
drift apart; and, for the outbound client, reading a server's EHLO reply back into keywords.

Rules applied here:

- STARTTLS only before TLS (RFC 3207 §4.2: not after the handshake).
- AUTH lists the mechanisms offered now (RFC 4954 §3; plain-text ones only over TLS is the
  session's choice, RFC 4954 §4) and is left out when there are none.
- REQUIRETLS only over TLS (RFC 8689 §4.1).
- BINARYMIME needs CHUNKING (RFC 3030 §3) and SMTPUTF8 needs 8BITMIME (RFC 6531 §3.1
  item 8): a ``Capabilities`` value that breaks these is a configuration bug (ValueError).
- The hostname is ASCII (RFC 6531 §3.7.1: LDH labels or A-labels in the EHLO response), and
  the reply carries no enhanced code (RFC 2034 §3).

Must not: decide policy (which mechanisms, whether TLS is required): it gets those facts.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from courriel.mail.address import domain_to_ascii
from courriel.smtp.protocol.replies import Reply

__all__ = ["Capabilities", "ehlo_keywords", "ehlo_reply", "offered_extensions", "parse_ehlo_reply"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the server can offer this client at this moment of the session."""

    max_message_size: int | None = None  # RFC 1870 §4: "SIZE n"; None announces no limit
    starttls_available: bool = False  # a certificate is configured on this listener
    tls_active: bool = False
    auth_mechanisms: tuple[str, ...] = ()  # offered now, in the order to advertise
    pipelining: bool = True  # RFC 2920
    eight_bit_mime: bool = True  # RFC 6152
    smtputf8: bool = True  # RFC 6531
    chunking: bool = True  # RFC 3030
    binary_mime: bool = False  # RFC 3030 §3
    dsn: bool = False  # RFC 3461
    enhanced_status_codes: bool = True  # RFC 2034
    requiretls: bool = False  # RFC 8689

    def __post_init__(self) -> None:
        if self.binary_mime and not self.chunking:
            raise ValueError("BINARYMIME requires CHUNKING (RFC 3030 §3)")
        if self.smtputf8 and not self.eight_bit_mime:
            raise ValueError("SMTPUTF8 requires 8BITMIME (RFC 6531 §3.1)")
        if self.max_message_size is not None and self.max_message_size < 0:
            raise ValueError("max_message_size must not be negative")


def ehlo_keywords(capabilities: Capabilities) -> tuple[str, ...]:
    """The keyword lines after the greeting line, in a conventional order."""
    lines: list[str] = []
    if capabilities.pipelining:
        lines.append("PIPELINING")  # RFC 2920 §3
    size = capabilities.max_message_size
    lines.append("SIZE" if size is None else f"SIZE {size}")  # RFC 1870 §4
    if capabilities.starttls_available and not capabilities.tls_active:
        lines.append("STARTTLS")  # RFC 3207 §4.2
    if capabilities.auth_mechanisms:
        lines.append("AUTH " + " ".join(capabilities.auth_mechanisms))  # RFC 4954 §3
    if capabilities.enhanced_status_codes:
        lines.append("ENHANCEDSTATUSCODES")  # RFC 2034 §3
    if capabilities.eight_bit_mime:
        lines.append("8BITMIME")  # RFC 6152 §2
    if capabilities.dsn:
        lines.append("DSN")  # RFC 3461 §4
    if capabilities.smtputf8:
        lines.append("SMTPUTF8")  # RFC 6531 §3.1
    if capabilities.chunking:
        lines.append("CHUNKING")  # RFC 3030 §2
    if capabilities.binary_mime:
        lines.append("BINARYMIME")  # RFC 3030 §3
    if capabilities.requiretls and capabilities.tls_active:
        lines.append("REQUIRETLS")  # RFC 8689 §4.1
    return tuple(lines)


@functools.lru_cache(maxsize=64)
def offered_extensions(capabilities: Capabilities) -> frozenset[str]:
    """The keywords whose MAIL/RCPT parameters the session accepts: pass it to
    ``parse_command(extensions=...)`` after EHLO (``frozenset()`` after HELO). Cached: a
    server has a handful of distinct capability sets, asked for at every command."""
    return frozenset(line.split(" ", 1)[0] for line in ehlo_keywords(capabilities))


def ehlo_reply(hostname: str, capabilities: Capabilities, *, greeting: str = "") -> Reply:
    """The 250 reply to EHLO (RFC 5321 §4.1.1.1: ``250-domain [greeting]`` then keywords)."""
    first = domain_to_ascii(hostname)  # RFC 6531 §3.7.1
    if greeting:
        first = f"{first} {greeting}"
    return Reply(250, None, (first, *ehlo_keywords(capabilities)))


def parse_ehlo_reply(reply: Reply) -> dict[str, str]:
    """Client side: keyword (upper case) → its parameters, from a server's EHLO reply.

    RFC 5321 §4.1.1.1: ``ehlo-line = ehlo-keyword *( SP ehlo-param )``; the first line is
    the server's name. ``{"SIZE": "35882577", "AUTH": "PLAIN LOGIN", "PIPELINING": ""}``.
    """
    keywords: dict[str, str] = {}
    for line in reply.lines[1:]:
        keyword, _, parameters = line.strip().partition(" ")
        if keyword:
            keywords[keyword.upper()] = parameters.strip()
    return keywords
