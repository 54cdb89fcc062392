"""What a handler asks the session loop to do when a reply is not enough.

Handlers never read the socket (CONVENTIONS.md item 1): a command that needs more than one
exchange returns one of these values and the session carries it out — STARTTLS (RFC 9051
§6.2.1), an AUTHENTICATE exchange (RFC 9051 §6.2.2), IDLE (RFC 2177), COMPRESS (RFC 4978),
LOGOUT (RFC 9051 §6.1.3).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StartTls:
    tag: str


@dataclass(frozen=True, slots=True)
class Authenticate:
    tag: str
    mechanism: str
    initial_response: bytes | None


@dataclass(frozen=True, slots=True)
class Idle:
    tag: str


@dataclass(frozen=True, slots=True)
class Compress:
    tag: str


@dataclass(frozen=True, slots=True)
class Logout:
    tag: str


Action = StartTls | Authenticate | Idle | Compress | Logout
