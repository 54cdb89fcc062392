"""The second factor: TOTP codes (RFC 6238) and one-time recovery codes.

Owns: making TOTP secrets, the ``otpauth://`` URI and its QR code for enrolment, checking a
code against a secret with a ±1 step window and replay protection, and making, hashing and
matching recovery codes. The caller stores the secret, the last accepted time step and the
recovery-code digests (``TotpRecord``, table ``recovery_code``).

Why HOTP is written here rather than taken from ``pyotp``: it is RFC 4226 §5.3 in a dozen
typed lines, and the checks need what ``pyotp.TOTP.verify`` does not give — the time step
that matched (stored to refuse replays, RFC 6238 §5.2), a ``now`` passed in rather than read
from the clock, and one constant-time comparison per candidate. ``pyotp`` checks this module
in the tests instead.

Must not: read the clock or store anything (every time is a ``now: float`` parameter), log
secrets or codes, or print (``terminal_qr`` returns text).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import math
import re
import secrets
import struct
from collections.abc import Iterable
from urllib.parse import quote, urlencode

import segno

__all__ = [
    "DIGITS",
    "PERIOD",
    "RECOVERY_CODE_ALPHABET",
    "RECOVERY_CODE_BITS",
    "RECOVERY_CODE_LENGTH",
    "SECRET_BYTES",
    "WINDOW",
    "code_at",
    "hotp",
    "looks_like_recovery_code",
    "match_recovery_code",
    "new_recovery_codes",
    "new_secret",
    "provisioning_uri",
    "recovery_code_digest",
    "terminal_qr",
    "time_step",
    "verify",
]

SECRET_BYTES = 20  # RFC 4226 §4 R6: 128 bits at least, 160 bits recommended
PERIOD = 30  # RFC 6238 §4.1 X, and §5.2's recommended time step
DIGITS = 6  # RFC 4226 §5.3: at least 6 digits; what every authenticator app shows
WINDOW = 1  # RFC 6238 §5.2: accept at most one step of network delay or clock drift
_T0 = 0  # RFC 6238 §4.1: the Unix epoch


def new_secret() -> str:
    """A fresh 160-bit TOTP secret in base32 (32 characters, no padding)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _secret_key(secret: str) -> bytes:
    # Accept what people copy: lower case, spaces, missing "=" padding (RFC 4648 §6).
    text = secret.replace(" ", "").upper()
    text += "=" * (-len(text) % 8)
    try:
        return base64.b32decode(text)
    except binascii.Error:
        raise ValueError("the TOTP secret is not valid base32") from None


def hotp(key: bytes, counter: int, *, digits: int = DIGITS) -> str:
    """The HOTP value of ``counter`` (RFC 4226 §5.3), as ``digits`` decimal digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()  # RFC 4226 §5.2
    offset = mac[-1] & 0x0F  # RFC 4226 §5.3 dynamic truncation
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def time_step(now: float, *, period: int = PERIOD) -> int:
    """The RFC 6238 §4.2 counter T = floor((now - T0) / X)."""
    return math.floor((now - _T0) / period)


def code_at(secret: str, *, now: float, digits: int = DIGITS) -> str:
    """The TOTP code for ``now`` (RFC 6238 §4.2): what the user's app shows."""
    return hotp(_secret_key(secret), time_step(now), digits=digits)


_CODE_SEPARATORS = re.compile(r"[ \t-]")


def verify(
    secret: str, code: str, *, now: float, last_used_step: int, digits: int = DIGITS
) -> int | None:
    """The time step ``code`` matches, or None when it is refused.

    Steps from now-1 to now+1 are tried (RFC 6238 §5.2). A step at or before
    ``last_used_step`` is refused even when its code matches, so a code observed in use
    cannot be used again (RFC 6238 §5.2, "MUST NOT accept the second attempt of the same
    OTP"); store the returned step as the new ``last_used_step``. Pass 0 when no code was
    accepted yet. Spaces and dashes in ``code`` are ignored ("123 456").
    """
    typed = _CODE_SEPARATORS.sub("", code)
    if len(typed) != digits or not typed.isascii() or not typed.isdigit():
        return None
    key = _secret_key(secret)
    current = time_step(now)
    matched: int | None = None
    # Every candidate is computed and compared in constant time, without stopping early, so
    # the time taken says nothing about which step matched.
    for step in range(current - WINDOW, current + WINDOW + 1):
        expected = hotp(key, step, digits=digits)
        if hmac.compare_digest(expected.encode("ascii"), typed.encode("ascii")) and (
            step > last_used_step
        ):
            matched = step
    return matched


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/Issuer:account?secret=…&issuer=Issuer`` enrolment URI.

    This is the Key URI Format of Google Authenticator, which every authenticator app reads.
    The issuer is both in the label (older apps) and a parameter (newer ones); algorithm,
    digits and period keep their defaults (SHA1, 6, 30) and are left out, since some apps
    mishandle them when present.
    """
    if ":" in issuer or ":" in account:
        raise ValueError("the issuer and the account name cannot contain ':'")
    _secret_key(secret)  # raises on an invalid secret
    label = quote(f"{issuer}:{account}", safe=":@")
    parameters = {"secret": secret.replace(" ", "").upper().rstrip("="), "issuer": issuer}
    query = urlencode(parameters, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


# 256-colour indices 231 (white) and 16 (black): fixed entries of the colour cube that
# terminal themes leave alone, unlike the 16 basic colours.
_LIGHT_ON_DARK = "\x1b[38;5;231;48;5;16m"
_RESET = "\x1b[0m"


def terminal_qr(uri: str, *, colours: bool = True) -> str:
    """``uri`` as a QR code drawn with Unicode half blocks, two modules per character cell.

    With ``colours`` (the default) every line sets its own white foreground and black
    background, so the code scans the same on a dark or a light terminal. Without them the
    text relies on a dark background (light modules are drawn, dark ones are blank); use that
    only when writing to something that is not a terminal.
    """
    buffer = io.StringIO()
    # A 2-module quiet zone: half of ISO/IEC 18004's 4, which phone cameras read fine and
    # which keeps the code inside an 80-column terminal.
    segno.make_qr(uri).terminal(out=buffer, compact=True, border=2)
    lines = buffer.getvalue().splitlines()
    if colours:
        lines = [f"{_LIGHT_ON_DARK}{line}{_RESET}" for line in lines]
    return "\n".join(lines) + "\n"


# --- Recovery codes -----------------------------------------------------------------------
#
# Crockford's base32 alphabet: no i, l, o or u, so nothing printed can be misread; when
# typed back, o is read as 0 and i or l as 1, as Crockford specifies.
RECOVERY_CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
RECOVERY_CODE_BITS = 60
RECOVERY_CODE_LENGTH = math.ceil(RECOVERY_CODE_BITS / math.log2(len(RECOVERY_CODE_ALPHABET)))
_GROUP = 4
_TYPED_ALIASES = str.maketrans({"o": "0", "i": "1", "l": "1", "-": None, " ": None})


def new_recovery_codes(count: int = 10) -> list[str]:
    """``count`` fresh recovery codes such as ``k7q2-m9xa-4hcz`` (60 bits each)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    return [_new_recovery_code() for _ in range(count)]


def _new_recovery_code() -> str:
    characters = "".join(
        secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH)
    )
    groups = [characters[i : i + _GROUP] for i in range(0, len(characters), _GROUP)]
    return "-".join(groups)


def _normalize_recovery_code(code: str) -> str:
    return code.strip().lower().translate(_TYPED_ALIASES)


def looks_like_recovery_code(text: str) -> bool:
    """Whether ``text`` has the shape of a recovery code (as opposed to a TOTP code)."""
    normalized = _normalize_recovery_code(text)
    return len(normalized) == RECOVERY_CODE_LENGTH and all(
        character in RECOVERY_CODE_ALPHABET for character in normalized
    )


def recovery_code_digest(code: str) -> str:
    """SHA-256 (hex) of the code without case, dashes or spaces, and with o→0, i/l→1.

    A fast hash is enough, argon2 is not needed: argon2 makes each guess at a low-entropy
    human password expensive, but a recovery code is 60 random bits, so even a stolen table
    of digests leaves 2^60 SHA-256 computations per code, and online guesses are rate-limited
    like any login. The digest also lets a code be found by equality instead of running a
    slow hash per stored code.
    """
    normalized = _normalize_recovery_code(code)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def match_recovery_code(code: str, digests: Iterable[str]) -> str | None:
    """The stored digest ``code`` matches, or None.

    Every digest is compared in constant time, without stopping at a match. The caller
    deletes (or marks used) the returned digest, which is what makes the code one-time.
    """
    candidate = recovery_code_digest(code).encode("ascii")
    matched: str | None = None
    for digest in digests:
        if hmac.compare_digest(candidate, digest.encode("ascii")):
            matched = digest
    return matched
