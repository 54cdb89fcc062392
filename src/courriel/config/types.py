"""Friendly units for configuration values: byte sizes and durations.

Owns the text forms an operator may write (``"50 MiB"``, ``"10M"``, ``"1.5 GB"``, ``"30s"``,
``"1h30m"``, ``"5d"``) and their canonical rendering back to text. Values are plain numbers once
parsed: sizes are ``int`` bytes, durations are ``float`` seconds.

Must not know the schema, TOML or where a value came from: callers turn the ``ValueError``
raised here into a configuration problem.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

KIB = 1024
MIB = 1024**2
GIB = 1024**3
TIB = 1024**4

# Bare K/M/G/T are binary, as in nginx, Dovecot and systemd; the SI spellings KB/MB/GB/TB
# are decimal. Units are matched case-insensitively.
SIZE_UNITS: dict[str, int] = {
    "": 1,
    "b": 1,
    "k": KIB,
    "kib": KIB,
    "kb": 1000,
    "m": MIB,
    "mib": MIB,
    "mb": 1000**2,
    "g": GIB,
    "gib": GIB,
    "gb": 1000**3,
    "t": TIB,
    "tib": TIB,
    "tb": 1000**4,
}

# Largest first: format_size picks the largest unit that divides the value exactly.
_SIZE_DISPLAY_UNITS: tuple[tuple[str, int], ...] = (
    ("TiB", TIB),
    ("GiB", GIB),
    ("MiB", MIB),
    ("KiB", KIB),
)

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
WEEK = 7 * DAY

DURATION_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": MINUTE,
    "min": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "h": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "w": WEEK,
    "week": WEEK,
    "weeks": WEEK,
}

_DURATION_DISPLAY_UNITS: tuple[tuple[str, float], ...] = (
    ("d", DAY),
    ("h", HOUR),
    ("m", MINUTE),
    ("s", 1.0),
)

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_SIZE_PATTERN = re.compile(rf"\s*({_NUMBER})\s*([A-Za-z]*)\s*")
_DURATION_PART = re.compile(rf"\s*({_NUMBER})\s*([A-Za-z]*)")

SIZE_EXAMPLES = '"50 MiB", "10M", "1.5 GB" or a number of bytes'
DURATION_EXAMPLES = '"30s", "15m", "4h", "5d", "1h30m" or a number of seconds'


def parse_size(text: str) -> int:
    """Parse a byte size such as ``"50 MiB"``, ``"10M"``, ``"1.5 GB"`` or ``"4096"``.

    Raises ``ValueError`` with a message fit for an operator when the text is not a size or
    does not come to a whole number of bytes.
    """
    match = _SIZE_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(f"must be a size like {SIZE_EXAMPLES}, got {text!r}")
    number, unit = match.groups()
    multiplier = SIZE_UNITS.get(unit.lower())
    if multiplier is None:
        raise ValueError(
            f"unknown size unit {unit!r} in {text!r}; use B, KiB, MiB, GiB, TiB (or K, M, G, T), "
            "or KB, MB, GB, TB for powers of 1000"
        )
    # Decimal arithmetic on the digits keeps "1.1 KB" exact (1100), where float would not.
    whole, _, fraction = number.partition(".")
    fraction = fraction.rstrip("0")
    scale: int = 10 ** len(fraction)
    numerator = int(whole or "0") * scale + int(fraction or "0")
    total, remainder = divmod(numerator * multiplier, scale)
    if remainder:
        raise ValueError(f"{text!r} is not a whole number of bytes")
    return total


def format_size(size: int) -> str:
    """Render a byte count with the largest binary unit that divides it: ``"50 MiB"``."""
    for name, multiplier in _SIZE_DISPLAY_UNITS:
        if size and size % multiplier == 0:
            return f"{size // multiplier} {name}"
    return f"{size} B"


def parse_duration(text: str) -> float:
    """Parse a duration such as ``"30s"``, ``"15m"``, ``"4h"``, ``"5d"`` or ``"1h30m"``.

    A bare number is seconds. Returns seconds as a float; raises ``ValueError`` with a message
    fit for an operator.
    """
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"must be a duration like {DURATION_EXAMPLES}, got {text!r}")
    position = 0
    total = 0.0
    parts = 0
    while position < len(stripped):
        match = _DURATION_PART.match(stripped, position)
        if match is None:
            raise ValueError(f"must be a duration like {DURATION_EXAMPLES}, got {text!r}")
        number, unit = match.groups()
        lone_number = parts == 0 and match.end() == len(stripped)
        if not unit and not lone_number:
            # "1h30" is ambiguous: only a lone number may omit its unit.
            raise ValueError(f"must be a duration like {DURATION_EXAMPLES}, got {text!r}")
        multiplier = DURATION_UNITS.get(unit.lower()) if unit else 1.0
        if multiplier is None:
            raise ValueError(f"unknown duration unit {unit!r} in {text!r}; use s, m, h, d or w")
        total += float(number) * multiplier
        parts += 1
        position = match.end()
    if not math.isfinite(total):
        raise ValueError(f"{text!r} is too long a duration")
    return total


def format_duration(seconds: float) -> str:
    """Render seconds with the largest unit that divides them: ``"30d"``, ``"5m"``, ``"1.5s"``."""
    if seconds == int(seconds):
        whole = int(seconds)
        for name, multiplier in _DURATION_DISPLAY_UNITS:
            if whole and whole % int(multiplier) == 0:
                return f"{whole // int(multiplier)}{name}"
        return "0s"
    # The shortest repr, written without an exponent ("1e-07" is not a duration we parse).
    return f"{Decimal(repr(seconds)):f}s"
