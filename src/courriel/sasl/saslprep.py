"""SASLprep (RFC 4013): the stringprep (RFC 3454) profile for user names and passwords.

The stdlib ``stringprep`` module carries the RFC 3454 tables (Unicode 3.2); this module
applies the SASLprep profile on top of them. SCRAM requires it (RFC 5802 §2.2 for passwords,
§5.1 for user names); the directory may use it for every password it stores.

Stored strings (a password being set, RFC 5802 §2.2) refuse unassigned code points; queries
(a user name received from a client, RFC 5802 §5.1) allow them (RFC 3454 §7).

Pure function; no I/O, no state.
"""

from __future__ import annotations

import stringprep
import unicodedata

from courriel.sasl.errors import SaslprepError

__all__ = ["saslprep"]

# Printable ASCII passes every step unchanged (no mapping, NFKC-stable, nothing prohibited,
# no bidi), and almost every real user name and password is printable ASCII.
_PRINTABLE_ASCII_FIRST, _PRINTABLE_ASCII_LAST = 0x20, 0x7E

_PROHIBITED_TABLES = (
    (stringprep.in_table_c12, "non-ASCII space"),  # RFC 4013 §2.3, RFC 3454 C.1.2
    (stringprep.in_table_c21_c22, "control character"),  # C.2.1, C.2.2
    (stringprep.in_table_c3, "private use character"),  # C.3
    (stringprep.in_table_c4, "non-character code point"),  # C.4
    (stringprep.in_table_c5, "surrogate code point"),  # C.5
    (stringprep.in_table_c6, "character inappropriate for plain text"),  # C.6
    (stringprep.in_table_c7, "character inappropriate for canonical representation"),  # C.7
    (stringprep.in_table_c8, "display property or deprecated character"),  # C.8
    (stringprep.in_table_c9, "tagging character"),  # C.9
)


def saslprep(text: str, *, allow_unassigned: bool = False) -> str:
    """Return the SASLprep form of ``text``, or raise ``SaslprepError``.

    ``allow_unassigned=False`` prepares a stored string, ``True`` a query (RFC 3454 §7).
    The result may be empty (``"\\u00ad"`` maps to nothing); callers that need a non-empty
    name check that themselves, as RFC 5802 §5.1 asks.
    """
    if all(_PRINTABLE_ASCII_FIRST <= ord(char) <= _PRINTABLE_ASCII_LAST for char in text):
        return text

    # RFC 4013 §2.1: non-ASCII spaces map to SPACE, "commonly mapped to nothing" (B.1) go.
    mapped = "".join(
        " " if stringprep.in_table_c12(char) else char
        for char in text
        if not stringprep.in_table_b1(char)
    )
    # RFC 4013 §2.2: Unicode normalization form KC, with the Unicode version of the tables.
    normalized = unicodedata.ucd_3_2_0.normalize("NFKC", mapped)

    for char in normalized:
        # RFC 4013 §2.3: prohibited output.
        for in_table, description in _PROHIBITED_TABLES:
            if in_table(char):
                raise SaslprepError(f"prohibited {description} U+{ord(char):04X}")
        # RFC 4013 §2.5, RFC 3454 §7: unassigned code points only in queries.
        if not allow_unassigned and stringprep.in_table_a1(char):
            raise SaslprepError(f"unassigned code point U+{ord(char):04X}")

    _check_bidi(normalized)
    return normalized


def _check_bidi(text: str) -> None:
    # RFC 4013 §2.4, RFC 3454 §6: a string with right-to-left characters (D.1) holds no
    # left-to-right ones (D.2), and starts and ends with a right-to-left character.
    if not any(stringprep.in_table_d1(char) for char in text):
        return
    if any(stringprep.in_table_d2(char) for char in text):
        raise SaslprepError("mixes right-to-left and left-to-right characters")
    if not (stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])):
        raise SaslprepError("right-to-left text must start and end with a right-to-left character")
