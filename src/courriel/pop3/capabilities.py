"""The CAPA reply: which capabilities the server announces, in which state (RFC 2449 §5, §6).

``capability_lines`` is the one place that decides them, from the server's settings and the
session's state, so the CAPA reply, the pre-TLS refusal of USER and the mechanism list all
agree:

- TOP, UIDL (RFC 2449 §6.1, §6.8), RESP-CODES (§6.4), AUTH-RESP-CODE (RFC 3206 §6) and
  PIPELINING (§6.6): always.
- USER (§6.2) and the plaintext SASL mechanisms (PLAIN, LOGIN): only when a password may be
  sent, that is over TLS or where the configuration allows cleartext (RFC 2595 §2.2 asks
  servers not to accept plaintext passwords without TLS by default).
- SASL (§6.3) with the remaining mechanisms, STLS (RFC 2595 §4) while TLS can still be
  started: in the AUTHORIZATION state only, the state their commands are valid in.
- EXPIRE (§6.7), LOGIN-DELAY (§6.5), IMPLEMENTATION (§6.9), UTF8 (RFC 6856 §2): as set.

Must not: look at the connection or the account itself; the session passes what it knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from courriel.pop3.multiline import multiline_reply
from courriel.sasl import PLAINTEXT_MECHANISMS

__all__ = ["EXPIRE_NEVER", "CapabilitySettings", "capa_reply", "capability_lines"]

EXPIRE_NEVER: Final = "NEVER"
"""RFC 2449 §6.7: the server never deletes messages on its own, so a client set to leave
messages on the server ("laisser une copie sur le serveur") finds them all next time."""


@dataclass(frozen=True, slots=True)
class CapabilitySettings:
    """What the server supports, from its configuration and the listener.

    ``expire`` is a number of days, ``EXPIRE_NEVER`` or None (not announced);
    ``login_delay`` a number of seconds or None. When ``*_varies_by_user`` is set, the
    AUTHORIZATION state announces the smallest value followed by ``USER`` and the session
    passes each user's own value in TRANSACTION (RFC 2449 §6.5, §6.7).
    """

    sasl_mechanisms: tuple[str, ...] = ("SCRAM-SHA-256", "PLAIN", "LOGIN")
    starttls_available: bool = True
    expire: int | Literal["NEVER"] | None = EXPIRE_NEVER
    expire_varies_by_user: bool = False
    login_delay: int | None = None
    login_delay_varies_by_user: bool = False
    implementation: str | None = None
    utf8: bool = True
    utf8_user: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.expire, int) and self.expire < 0:
            raise ValueError("EXPIRE is a number of days, at least 0 (RFC 2449 §6.7)")
        if self.login_delay is not None and self.login_delay < 0:
            raise ValueError("LOGIN-DELAY is a number of seconds, at least 0 (RFC 2449 §6.5)")
        if self.implementation is not None and not self.implementation.isprintable():
            raise ValueError("IMPLEMENTATION is printable text (RFC 2449 §6.9)")


def capability_lines(
    settings: CapabilitySettings,
    *,
    authenticated: bool,
    tls_active: bool,
    plaintext_login_allowed: bool,
) -> list[str]:
    """The capability lines for a session in this state, in a stable order."""
    lines = ["TOP", "UIDL"]  # RFC 2449 §6.1, §6.8: courriel implements both
    if not authenticated:
        if plaintext_login_allowed:
            lines.append("USER")  # RFC 2449 §6.2
        mechanisms = [
            mechanism
            for mechanism in settings.sasl_mechanisms
            if plaintext_login_allowed or mechanism not in PLAINTEXT_MECHANISMS
        ]
        if mechanisms:
            lines.append("SASL " + " ".join(mechanisms))  # RFC 2449 §6.3, RFC 5034 §4
    lines += ["RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]  # RFC 2449 §6.4, §6.6; RFC 3206
    # RFC 2449 §6.5, §6.7: "USER" before login says the value is per user; after login the
    # session passes that user's value.
    if settings.expire is not None:
        per_user = settings.expire_varies_by_user and not authenticated
        lines.append(f"EXPIRE {settings.expire}" + (" USER" if per_user else ""))
    if settings.login_delay is not None:
        per_user = settings.login_delay_varies_by_user and not authenticated
        lines.append(f"LOGIN-DELAY {settings.login_delay}" + (" USER" if per_user else ""))
    if settings.utf8:  # RFC 6856 §2: "USER" means UTF-8 user names and passwords work
        lines.append("UTF8 USER" if settings.utf8_user else "UTF8")
    if not authenticated and not tls_active and settings.starttls_available:
        lines.append("STLS")  # RFC 2595 §4: only before TLS and before login
    if settings.implementation:
        lines.append(f"IMPLEMENTATION {settings.implementation}")  # RFC 2449 §6.9
    return lines


def capa_reply(
    settings: CapabilitySettings,
    *,
    authenticated: bool,
    tls_active: bool,
    plaintext_login_allowed: bool,
) -> bytes:
    """The whole CAPA response: ``+OK``, the capability lines, ``.`` (RFC 2449 §5)."""
    lines = capability_lines(
        settings,
        authenticated=authenticated,
        tls_active=tls_active,
        plaintext_login_allowed=plaintext_login_allowed,
    )
    return multiline_reply("Capability list follows", lines)
