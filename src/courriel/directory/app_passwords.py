"""App passwords: generated secrets a mail client uses instead of the account password.

An account with a second factor cannot type a TOTP code into IMAP, POP3 or SMTP AUTH, so
each client gets its own generated password, limited to some protocols and revocable alone.
This module makes them, hashes them for lookup, and parses the protocol list an
administrator gives. The caller stores ``AppPasswordRecord`` rows.

Must not: store or log app passwords, or decide whether a login succeeds (the directory's
AuthService does, with the protocol of the connection).
"""

from __future__ import annotations

import hashlib
import math
import secrets
import string

__all__ = [
    "APP_PASSWORD_BITS",
    "APP_PASSWORD_LENGTH",
    "PROTOCOLS",
    "app_password_digest",
    "looks_like_app_password",
    "new_app_password",
    "parse_protocols",
]

PROTOCOLS: tuple[str, ...] = ("imap", "pop3", "smtp", "dav", "activesync")
"""What an app password can open, in the order lists are shown."""

_ALPHABET = string.ascii_lowercase
APP_PASSWORD_LENGTH = 20
APP_PASSWORD_BITS = APP_PASSWORD_LENGTH * math.log2(len(_ALPHABET))  # about 94
_GROUP = 4


def new_app_password() -> str:
    """A fresh app password: 20 random lowercase letters shown as ``abcd efgh ijkl mnop qrst``.

    Letters only, so it survives every keyboard and phone, and is read aloud without
    ambiguity; the groups are for reading and may be typed with or without their spaces.
    """
    letters = "".join(secrets.choice(_ALPHABET) for _ in range(APP_PASSWORD_LENGTH))
    return " ".join(letters[i : i + _GROUP] for i in range(0, APP_PASSWORD_LENGTH, _GROUP))


def _normalize(password: str) -> str:
    return password.replace(" ", "").lower()


def app_password_digest(password: str) -> str:
    """SHA-256 (hex) of the app password without its spaces, in lower case.

    A fast hash is the right tool here, unlike for account passwords. argon2 exists to make
    each guess at a human-chosen password expensive; an app password is 94 random bits, so
    no amount of hashing speed makes guessing it feasible, even from a stolen table. And a
    deterministic, unsalted digest lets the server find the app password by equality — one
    indexed lookup on ``digest`` — where salted argon2 hashes would force it to run argon2
    against every app password of the account (or of the server) on each login.
    """
    return hashlib.sha256(_normalize(password).encode("utf-8")).hexdigest()


def looks_like_app_password(text: str) -> bool:
    """Whether ``text`` has the shape of an app password (20 ASCII letters, spaces ignored).

    Lets a login try the cheap digest lookup first; a user's own password may have this
    shape too, so a miss must still fall back to the account password.
    """
    letters = text.replace(" ", "")
    return len(letters) == APP_PASSWORD_LENGTH and letters.isascii() and letters.isalpha()


def parse_protocols(text: str) -> tuple[str, ...]:
    """The protocols in a comma-separated list such as ``"imap, smtp"``, in ``PROTOCOLS`` order.

    Names are matched without regard to case and spaces; duplicates are dropped. Raises
    ``ValueError`` naming the unknown entries and the valid ones, or when the list is empty.
    """
    names = [name.strip().lower() for name in text.split(",")]
    names = [name for name in names if name]
    valid = ", ".join(PROTOCOLS)
    if not names:
        raise ValueError(f"no protocol given; choose among: {valid}")
    unknown = sorted({name for name in names if name not in PROTOCOLS})
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        noun = "protocol" if len(unknown) == 1 else "protocols"
        raise ValueError(f"unknown {noun} {listed}; choose among: {valid}")
    return tuple(protocol for protocol in PROTOCOLS if protocol in names)
