"""The password policy: which passwords an account may choose, and why others are refused.

``check_password`` returns every reason a password is refused (an empty list accepts it), as
short sentences that complete "The password …", so the CLI and the admin UI can show them all
at once instead of making the user guess one rule at a time. The rules follow NIST SP 800-63B
§5.1.1.2: a minimum length, a generous maximum, and a refusal of passwords that are common,
predictable or derived from the account's name; no composition rules ("one digit, one
symbol"), which make passwords harder to remember without making them harder to guess.

The predictability checks are a small, zxcvbn-like model written here: a list of the most
common passwords and of the words they are built from, repeated characters, letter and digit
sequences, keyboard rows (QWERTY, AZERTY, QWERTZ), leetspeak, and passwords made only of
two or three such pieces ("qwerty123456"). The list is hand-written, not a copy of a leaked
corpus; it only has to catch what people type first.

Must not: hash, store or log passwords, read the clock, or know about accounts beyond the
address it is given.
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Iterable

__all__ = [
    "COMMON_PASSWORDS",
    "COMMON_WORDS",
    "MAX_LENGTH",
    "MIN_LENGTH",
    "check_password",
    "normalize_password",
]

MIN_LENGTH = 12
"""Default minimum, in Unicode code points after NFC (NIST SP 800-63B §5.1.1.2 asks at least
8; twelve keeps a passphrase of three words or a random 12-character password in reach)."""

MAX_LENGTH = 1024
"""A password manager's long random passwords must fit (NIST SP 800-63B §5.1.1.2 asks to
allow at least 64), but argon2 is not fed megabytes by whoever reaches the form."""

# The reasons, one constant each so tests and callers compare them exactly.
TOO_LONG = f"must be at most {MAX_LENGTH} characters long"
CONTAINS_ACCOUNT_NAME = "must not contain the account name"
CONTAINS_DOMAIN_NAME = "must not contain the domain name"
IS_ACCOUNT_ADDRESS = "must not be the account address"
IS_COMMON = "must not be one of the most common passwords"
IS_COMMON_WITH_DIGITS = "must not be a common password with digits added"
IS_REPEATED_CHARACTER = "must not be a single character repeated"
IS_SEQUENCE = "must not be a sequence of letters or digits such as abcd or 1234"
IS_KEYBOARD_ROW = "must not be a row of keys such as qwerty"
IS_REPEATED_PIECE = "must not be a shorter piece repeated"
IS_PREDICTABLE = "must not be made only of common words, sequences and keyboard rows"


def too_short(min_length: int) -> str:
    """The reason given for a password shorter than ``min_length``."""
    return f"must be at least {min_length} characters long"


def normalize_password(password: str) -> str:
    """The NFC form of ``password``, which is what gets hashed and compared.

    The same password typed on two devices must verify: "é" arrives as one code point
    (U+00E9) from most keyboards but as "e" + U+0301 from some (macOS file names, some
    Android IMEs). NFC makes both the same string. NFC, not NFKC, because NFKC would merge
    characters users deliberately chose (ﬁ and fi, ² and 2) and shrink the password's
    space; SASLprep (RFC 4013) applies NFKC separately where SCRAM requires it.
    """
    return unicodedata.normalize("NFC", password)


# --- What people type first --------------------------------------------------------------
#
# Words and names that most common passwords are built from (English and French: courriel's
# first users are French speakers). Each is refused alone, with digits added
# ("sunshine2024"), in leetspeak ("p@ssw0rd") and as a piece of a longer password made only
# of predictable pieces ("monkeydragon12").
def _word_list(text: str) -> frozenset[str]:
    return frozenset(text.split())


COMMON_WORDS: frozenset[str] = _word_list(
    """
    password passwd pass motdepasse secret letmein welcome bienvenue login admin
    administrator root user guest changeme default access master test testing hello
    helloworld bonjour salut coucou trustno whatever nothing azerty qwerty qwertz abc abcd
    abcdef iloveyou jetaime loveyou love amour

    sunshine princess football baseball soccer hockey basketball dragon monkey shadow
    superman batman spiderman starwars pokemon minecraft fortnite nintendo playstation
    computer internet freedom summer winter spring autumn flower chocolate cookie banana
    cheese orange purple silver golden diamond killer hunter ranger mustang ferrari mercedes
    corvette harley matrix money blessed angel heaven soleil chaton doudou loulou chouchou
    nounours cheval papillon tigger buster ginger pepper maggie snoopy

    michael jennifer jordan charlie thomas nicolas daniel jessica ashley michelle robert
    marie camille julien alexandre liverpool chelsea arsenal juventus barcelona marseille
    paris france

    mail email courriel server office outlook gmail google
    """
)

# Whole passwords that reach twelve characters and still top the lists. Most are also caught
# by the rules below; listing them keeps the most common ones' reason the plainest.
COMMON_PASSWORDS: frozenset[str] = _word_list(
    """
    123456789012 1234567890123 12345678910 123456789123 012345678901 111111111111
    000000000000 123123123123 121212121212 147258369147 qwertyuiopas qwertyuiop12
    qwertyuiop123 qwerty123456 qwertyqwerty azertyuiopqs azertyuiop12 azerty123456
    azertyazerty qwertz123456 1q2w3e4r5t6y 1qaz2wsx3edc zaq12wsxcde3 qazwsxedcrfv
    1q2w3e4r5t6y7u asdfghjklasd zxcvbnmzxcvb aaaaaaaaaaaa abcdefghijkl abcabcabcabc
    abc123abc123 abcd1234abcd a1b2c3d4e5f6 passwordpassword password1234 password12345
    password123! passw0rd1234 p@ssw0rd1234 motdepasse123 motdepasse1234 iloveyou1234
    iloveyou2024 jetaime123456 welcome12345 letmein12345 changeme1234 administrator
    admin1234567 trustno1trustno1 sunshine1234 princess1234 football1234 baseball1234
    superman1234 starwars1234 whatever1234 123456abcdef abcdef123456
    """
)

# Keyboard layouts as one string per direction of typing: a walk along a row, across the
# end of one row into the next, or back. Column walks (1qaz, 1q2w) are in COMMON_PASSWORDS.
_KEYBOARD_ROWS: tuple[str, ...] = (
    "1234567890qwertyuiopasdfghjklzxcvbnm",  # QWERTY
    "1234567890azertyuiopqsdfghjklmwxcvbn",  # AZERTY
    "1234567890qwertzuiopasdfghjklyxcvbnm",  # QWERTZ
)

# Leetspeak: one character for one character, so positions in the two strings match.
_UNLEET = str.maketrans(
    {"@": "a", "4": "a", "0": "o", "3": "e", "1": "i", "!": "i", "$": "s", "5": "s", "7": "t"}
)

_DIGITS = "0123456789"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_MIN_RUN = 3
_MAX_PIECES = 3
# The piece-by-piece model is quadratic; a password longer than this is not "two or three
# predictable pieces" unless a whole-password rule already caught it.
_MAX_MODELLED_LENGTH = 64
_TRAILING_ADDITIONS = _DIGITS + "!?.*#$@%&_-+="


def check_password(password: str, *, account: str, min_length: int = MIN_LENGTH) -> list[str]:
    """Every reason ``password`` is refused for ``account``; an empty list accepts it.

    ``account`` is the address (``alice@example.com``). Length counts Unicode code points
    after NFC normalisation. Each family of rules gives at most one reason: length, the
    account's name, its domain, the address itself, and predictability (where the most
    specific rule that matches is named).
    """
    normalized = normalize_password(password)
    folded = normalized.casefold()
    reasons: list[str] = []
    if len(normalized) < min_length:
        reasons.append(too_short(min_length))
    if len(normalized) > MAX_LENGTH:
        reasons.append(TOO_LONG)
    local, _, domain = account.casefold().rpartition("@")
    if _contains_name(folded, _account_names(local)):
        reasons.append(CONTAINS_ACCOUNT_NAME)
    if _contains_name(folded, _domain_names(domain)):
        reasons.append(CONTAINS_DOMAIN_NAME)
    if local and folded == account.casefold():
        reasons.append(IS_ACCOUNT_ADDRESS)
    predictable = _predictability_reason(folded, min_length)
    if predictable is not None:
        reasons.append(predictable)
    return reasons


def _account_names(local: str) -> list[str]:
    # The whole local part, and its words: "jean.dupont" gives "dupont" too (four characters
    # or more, so "jo" in "jo.smith" does not refuse every password with "jo" in it).
    names = [local] if len(local) >= 3 else []
    for separator in ".-_+":
        local = local.replace(separator, " ")
    names.extend(word for word in local.split() if len(word) >= 4)
    return names


def _domain_names(domain: str) -> list[str]:
    first_label = domain.split(".", 1)[0]
    if first_label.startswith("xn--"):
        # An invalid A-label is compared as it is.
        with contextlib.suppress(UnicodeError):
            first_label = first_label.encode("ascii").decode("idna")
    return [first_label] if len(first_label) >= 3 else []


def _contains_name(folded_password: str, names: Iterable[str]) -> bool:
    return any(name in folded_password for name in names)


def _predictability_reason(folded: str, min_length: int) -> str | None:
    """The most specific predictability rule ``folded`` breaks, or None."""
    if not folded:
        return None
    unleet = folded.translate(_UNLEET)
    if folded in COMMON_PASSWORDS or folded in COMMON_WORDS or unleet in COMMON_WORDS:
        return IS_COMMON
    base = folded.rstrip(_TRAILING_ADDITIONS)
    if base != folded and (base in COMMON_WORDS or base.translate(_UNLEET) in COMMON_WORDS):
        return IS_COMMON_WITH_DIGITS
    if len(folded) < _MIN_RUN:
        return None
    if len(set(folded)) == 1:
        return IS_REPEATED_CHARACTER
    if _run_length(folded, 0) == len(folded):
        return IS_SEQUENCE
    if _keyboard_walk_length(folded, 0) == len(folded):
        return IS_KEYBOARD_ROW
    piece = _repeated_piece(folded)
    if piece is not None and len(piece) < min_length:
        return IS_REPEATED_PIECE
    if len(folded) <= _MAX_MODELLED_LENGTH and _fewest_pieces(folded, unleet) <= _MAX_PIECES:
        return IS_PREDICTABLE
    return None


def _run_length(text: str, start: int) -> int:
    """Length of the ascending or descending run of letters or digits from ``start``.

    Digits wrap around (…8901…) as people type them on a number row; letters do not.
    """
    best = 1
    for step in (1, -1):
        length = 1
        while start + length < len(text) and _follows(
            text[start + length - 1], text[start + length], step
        ):
            length += 1
        best = max(best, length)
    return best


def _follows(previous: str, current: str, step: int) -> bool:
    if previous in _DIGITS and current in _DIGITS:
        return (int(previous) + step) % 10 == int(current)
    if previous in _LETTERS and current in _LETTERS:
        return ord(previous) + step == ord(current)
    return False


def _keyboard_walk_length(text: str, start: int) -> int:
    """Longest stretch from ``start`` typed along one keyboard row string, either way."""
    best = 1
    for row in _KEYBOARD_ROWS:
        for layout in (row, row[::-1]):
            position = layout.find(text[start])
            if position < 0:
                continue
            length = 1
            while (
                start + length < len(text)
                and position + length < len(layout)
                and layout[position + length] == text[start + length]
            ):
                length += 1
            best = max(best, length)
    return best


def _repeated_piece(text: str) -> str | None:
    """The shortest piece that ``text`` is two or more copies of, or None."""
    # Classic trick: text is periodic iff it occurs in (text + text) before position len.
    period = (text + text).find(text, 1)
    if period < len(text):
        return text[:period]
    return None


def _fewest_pieces(folded: str, unleet: str) -> int:
    """How few predictable pieces ``folded`` splits into (a large number when it does not).

    A piece is a common word (read through leetspeak too), a run or keyboard walk of three
    or more, one character repeated, up to four digits (a year, a PIN), or copies of any
    one stretch ("qwertyqwerty").
    """
    size = len(folded)
    unreachable = _MAX_PIECES + 1
    fewest = [0] + [unreachable] * size
    for start in range(size):
        if fewest[start] >= _MAX_PIECES:
            continue
        for end in _piece_ends(folded, unleet, start):
            fewest[end] = min(fewest[end], fewest[start] + 1)
    return fewest[size]


def _piece_ends(folded: str, unleet: str, start: int) -> set[int]:
    ends: set[int] = set()
    for word in COMMON_WORDS:
        if folded.startswith(word, start) or unleet.startswith(word, start):
            ends.add(start + len(word))
    for length in (_run_length(folded, start), _keyboard_walk_length(folded, start)):
        ends.update(start + piece for piece in range(_MIN_RUN, length + 1))
    same = start + 1
    while same < len(folded) and folded[same] == folded[start]:
        same += 1
    if same - start >= 2:
        ends.update(range(start + 2, same + 1))
    digits = start
    while digits < len(folded) and digits - start < 4 and folded[digits] in _DIGITS:
        digits += 1
    ends.update(range(start + 1, digits + 1))
    ends.update(_repetition_ends(folded, start))
    return ends


def _repetition_ends(text: str, start: int) -> set[int]:
    """Ends of two or more copies of one piece from ``start`` ("qwertyqwertyqwerty")."""
    ends: set[int] = set()
    for size in range(2, (len(text) - start) // 2 + 1):
        piece = text[start : start + size]
        end = start + size
        while text.startswith(piece, end):
            end += size
            ends.add(end)
    return ends
