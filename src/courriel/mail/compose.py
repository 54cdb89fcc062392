"""Header fields a mail server writes itself: the composing half of ``courriel.mail``.

Owns: RFC 5322 §3.3 date-time text, RFC 5322 §3.6.4 Message-IDs, RFC 2047 encoded words
for unstructured text and display names, folding at 78 columns (RFC 5322 §2.1.1, §2.2.3),
header fields as CRLF bytes, and the fix-ups a submission server makes to what it is given
(RFC 6409 §8.2 Date, §8.3 Message-ID), and the pieces of a MIME body: boundaries
(RFC 2046 §5.1.1) and quoted-printable text (RFC 2045 §6.7). ``received``, ``dsn`` and the
webmail's ``web.compose`` build on these.

Every function is pure: the time (``now``, ``timestamp``) and the random source
(``random_bytes``, ``os.urandom`` by default) are parameters, so callers inject their clock
and tests are deterministic (CONVENTIONS.md §8). Dates never depend on the locale or the
local time zone. Values are checked rather than trusted: a line break inside a value, which
would let text from outside start a header field of its own, raises ``ValueError``.

Output is 7-bit except where a value itself is UTF-8 that cannot be encoded (an RFC 6531
address in an address field); ``header_lines`` then writes it as UTF-8 (RFC 6532 §3.2).

Must not: parse messages beyond finding the end of the header and its field names (that is
``headers``' job), rewrite or reorder fields it did not add, or change a single byte of a
message it adds fields to.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from courriel.mail.address import domain_to_ascii
from courriel.mail.headers import find_header_end, split_header_fields

RandomBytes = Callable[[int], bytes]

#: RFC 5322 §2.1.1: a line SHOULD be at most 78 characters, not counting CRLF ...
MAX_LINE = 78
#: ... and MUST be at most 998.
MAX_LINE_HARD = 998

# RFC 2047 §2: an encoded word is at most 75 characters, a line holding one at most 76.
_MAX_ENCODED_WORD = 75
_MAX_ENCODED_LINE = 76
# "=?utf-8?q?" + "?=": what an encoded word costs besides its payload (RFC 2047 §2).
_WORD_OVERHEAD = len("=?utf-8?q??=")
# The smallest word that holds any one character (4 UTF-8 octets, Q-encoded: 12 chars).
_MIN_ENCODED_WORD = _WORD_OVERHEAD + 12
# Encoded display names are cut into words no longer than this, so that the first one fits
# after any usual address field name ("Reply-To: " is 10 columns) within 76 (RFC 2047 §2).
_NAME_WORD = 60
# 128 random bits: a Message-ID that is unique without a clock or a counter (RFC 5322 §3.6.4).
_MESSAGE_ID_BYTES = 16
# Random bytes in a MIME boundary (RFC 2046 §5.1.1).
_BOUNDARY_BYTES = 12

# RFC 5322 §3.3 day-name and month-name, in English whatever the locale.
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# RFC 5322 §3.2.3 atext.
_ATEXT = r"A-Za-z0-9!#$%&'*+\-/=?^_`{|}~"
_DOT_ATOM = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
# RFC 5322 §3.2.5 phrase made of atoms only: a display name that needs no quoting.
_ATOM_PHRASE = re.compile(rf"[{_ATEXT}]+(?: [{_ATEXT}]+)*")
_ATOM = re.compile(rf"[{_ATEXT}]+")
# RFC 5322 §3.6.8 ftext: printable ASCII but the colon.
_FIELD_NAME = re.compile(r"[!-9;-~]+")
# RFC 2047 §5 (3): the characters a "Q" word may carry literally when it stands for a word
# of a phrase; the strictest of the three contexts, so one encoder serves them all.
_Q_LITERAL = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_BLANKS = re.compile(r"([ \t]+)")
_BLANK = re.compile(r"[ \t]")
_ENCODED_WORD_START = "=?"


def format_date(timestamp: float, tz_offset_minutes: int = 0) -> str:
    """``timestamp`` (seconds since the epoch) as an RFC 5322 §3.3 date-time.

    ``tz_offset_minutes`` is the zone to show the time in (``+0200`` is 120). Day and month
    names are English whatever the locale (RFC 5322 §3.3 day-name, month-name); fractions
    of a second are dropped. ``format_date(1700000000)`` is
    ``"Tue, 14 Nov 2023 22:13:20 +0000"``.
    """
    # RFC 5322 §3.3 zone = ("+" / "-") 4DIGIT, hours and minutes: less than a day.
    if not -24 * 60 < tz_offset_minutes < 24 * 60:
        raise ValueError(f"time zone offset out of range: {tz_offset_minutes} minutes")
    # A fixed UTC conversion of the shifted instant: the local zone is never consulted.
    local = datetime.fromtimestamp(int(timestamp // 1) + tz_offset_minutes * 60, UTC)
    sign = "-" if tz_offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(tz_offset_minutes), 60)
    # RFC 5322 §3.3: [day-of-week ","] day month year time zone, as in the RFC's examples.
    return (
        f"{_DAYS[local.weekday()]}, {local.day} {_MONTHS[local.month - 1]} {local.year:04d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d} {sign}{hours:02d}{minutes:02d}"
    )


def make_message_id(domain: str, random_bytes: RandomBytes = os.urandom) -> str:
    """A new ``<unique@domain>`` Message-ID (RFC 5322 §3.6.4).

    The left part is 128 random bits in lower-case base32, so it is unique without a clock
    or a counter; ``domain`` (this server's name) is written in ASCII (IDNA A-labels), as
    RFC 5322 §3.6.4 msg-id is ASCII.
    """
    host = _ascii_domain(domain)
    unique = base64.b32encode(random_bytes(_MESSAGE_ID_BYTES)).decode("ascii")
    # RFC 5322 §3.6.4 id-left = dot-atom-text: base32 letters and digits are atext.
    return f"<{unique.rstrip('=').lower()}@{host}>"


def encode_header_value(text: str, *, field_name: str = "") -> str:
    """Unstructured text (a Subject, RFC 5322 §3.2.5) ready to follow ``field_name: ``.

    Words that are not printable ASCII, or that could be read as encoded words, become
    RFC 2047 encoded words in UTF-8 (§5 (1)), Q or B, whichever is shorter; everything else
    stays as written. The value is folded (CRLF + blank, RFC 5322 §2.2.3) so that every
    line of ``f"{field_name}: {value}"`` is at most 78 columns, 76 when it holds an encoded
    word (RFC 2047 §2). Encoded words end at character boundaries, never inside a UTF-8
    sequence or before a combining mark. Leading and trailing blanks are dropped; blanks
    between words are kept.

    ``decode_encoded_words`` applied to the unfolded value gives ``text`` back. Raises
    ``ValueError`` for a line break or a lone surrogate (not text that UTF-8 can carry).
    """
    _reject_line_breaks(text)
    start = len(field_name) + 2 if field_name else 0
    return _fold(_unstructured_atoms(text, start), start)


def format_address(name: str | None, address: str) -> str:
    """A mailbox for an address field: ``Name <local@domain>``, or ``local@domain``.

    ``address`` is an addr-spec as SMTP carries it (a quoted local part stays quoted). The
    display name is written as atoms when it can be, as a quoted string when it is ASCII
    with specials (RFC 5322 §3.2.4), and as RFC 2047 encoded words when it is not ASCII
    (RFC 2047 §5 (3)). A non-ASCII domain after an ASCII local part is written with IDNA
    A-labels, so that the field stays 7-bit; a non-ASCII local part (RFC 6531) stays UTF-8.

    Not the same as ``courriel.mail.format_address``, which writes a parsed ``Address``
    record back as it was written (names undecoded, 8-bit kept).
    """
    spec = _addr_spec(address)
    if not name or not name.strip():
        return spec
    return f"{_phrase(name.strip())} <{spec}>"


def fold_value(field_name: str, parts: Sequence[str]) -> str:
    """A structured value folded at the boundaries between ``parts`` (joined by blanks).

    A part that cannot fit on a line of its own is folded at its own blanks. Used for the
    clauses of a Received field (RFC 5321 §4.4). The result can be given to
    :func:`header_lines` as it is.
    """
    stripped = []
    for written in parts:
        _reject_line_breaks(written)
        part = written.strip(" \t")
        if part:
            stripped.append(part)
    start = len(field_name) + 2
    if len(stripped) == 1:  # one part: one atom if it is short, else cut at its blanks
        part = stripped[0]
        return part if _width(part) < MAX_LINE else _fold_at_blanks(part, start)
    joined = " ".join(stripped)
    if _fits(joined, start):
        return joined
    atoms: list[tuple[str, str]] = []
    for part in stripped:
        separator = " " if atoms else ""
        if _width(part) < MAX_LINE:
            atoms.append((separator, part))
            continue
        pieces = _blank_atoms(part)
        atoms.append((separator, pieces[0][1]))
        atoms.extend(pieces[1:])
    return _fold(atoms, start)


def header_lines(fields: Sequence[tuple[str, str]]) -> bytes:
    """Header fields as bytes: ``Name: value`` CRLF each, folded at 78 columns.

    A value without line breaks is folded at its blanks (RFC 5322 §2.2.3: folding only
    inserts CRLF before existing whitespace, so any field can be folded this way); a value
    already folded by :func:`encode_header_value` or :func:`fold_value` is kept as it is,
    after checking that every line break is a fold. Non-ASCII values are written as UTF-8
    (RFC 6532 §3.2). Raises ``ValueError`` for a bad field name, a line break that is not a
    fold, or a line longer than 998 octets (RFC 5322 §2.1.1).
    """
    out: list[bytes] = []
    for name, value in fields:
        # RFC 5322 §3.6.8: field-name = 1*ftext.
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"invalid header field name: {name!r}")
        if "\r\n" in value:
            _check_folded(value)
            folded = value
        else:
            _reject_line_breaks(value)
            folded = _fold_at_blanks(value.strip(" \t"), len(name) + 2)
        field = f"{name}: {folded}" if folded else f"{name}:"
        encoded = field.encode("utf-8")
        for line in encoded.split(b"\r\n"):
            # RFC 5322 §2.1.1: each line MUST be no more than 998 characters.
            if len(line) > MAX_LINE_HARD:
                raise ValueError(f"header line longer than {MAX_LINE_HARD} octets: {name}")
        out.append(encoded + b"\r\n")
    return b"".join(out)


def header_end(raw: bytes) -> int:
    """Offset just past the last header line of ``raw`` (where the empty line starts).

    ``raw[:header_end(raw)]`` is the header block with its line endings: what
    text/rfc822-headers carries (RFC 6522 §4).
    """
    return find_header_end(raw)[0]


def has_header(raw: bytes, name: str) -> bool:
    """True when the header of ``raw`` has a field called ``name`` (any case, RFC 5322 §1.2.2)."""
    wanted = name.lower()
    return any(field.lname == wanted for field in split_header_fields(raw, 0, header_end(raw)))


def add_missing_headers(
    raw: bytes,
    *,
    domain: str,
    now: float,
    message_id_random: RandomBytes = os.urandom,
    tz_offset_minutes: int = 0,
) -> bytes:
    """``raw`` with ``Message-ID:`` and ``Date:`` prepended when its header lacks them.

    What a submission server does for clients that leave them out (RFC 6409 §8.3 adds a
    Message-ID, §8.2 a Date; RFC 5322 §3.6 requires the Date and recommends the
    Message-ID). Nothing else changes: the original bytes follow unchanged, and a message
    that has both fields is returned as it is. The new lines use the message's own line
    ending (bare LF if its first line ends so), so no message gets mixed endings. A message
    with no header at all gets an empty line after the new fields, so that its first line
    stays in the body.
    """
    end, body_start = find_header_end(raw)
    present = {field.lname for field in split_header_fields(raw, 0, end)}
    fields: list[tuple[str, str]] = []
    if "message-id" not in present:  # RFC 6409 §8.3
        fields.append(("Message-ID", make_message_id(domain, message_id_random)))
    if "date" not in present:  # RFC 6409 §8.2
        fields.append(("Date", format_date(now, tz_offset_minutes)))
    if not fields:
        return raw
    block = header_lines(fields)
    if end == 0 and body_start == 0 and raw:
        # RFC 5322 §2.1: the body follows an empty line; without one the first body line
        # would be read as the end of the header.
        block += b"\r\n"
    if _uses_bare_lf(raw):
        block = block.replace(b"\r\n", b"\n")
    return block + raw


# --- MIME bodies ---------------------------------------------------------------------------


def mime_boundary(
    content: bytes, random_bytes: RandomBytes = os.urandom, prefix: str = "=_"
) -> str:
    """A multipart boundary that does not occur in ``content`` (RFC 2046 §5.1.1).

    ``prefix`` should start with ``=_``, which cannot occur in base64 or quoted-printable
    text; the boundary must then be quoted in the Content-Type, since ``=`` is a tspecial
    (RFC 2045 §5.1). At most 70 characters (RFC 2046 §5.1.1) for short prefixes.
    """
    seed = binascii.hexlify(random_bytes(_BOUNDARY_BYTES)).decode("ascii")
    counter = 0
    while True:
        boundary = f"{prefix}{seed}" + (f"_{counter}" if counter else "")
        if b"--" + boundary.encode("ascii") not in content:
            return boundary
        counter += 1


def quoted_printable(text: str) -> bytes:
    """UTF-8 ``text`` (CRLF lines) as quoted-printable with CRLF soft breaks (RFC 2045 §6.7)."""
    lines = []
    for line in text.split("\r\n"):
        encoded = binascii.b2a_qp(line.encode("utf-8"), quotetabs=False, istext=False)
        # b2a_qp ends soft line breaks with a bare LF; the line itself has none.
        lines.append(encoded.replace(b"\n", b"\r\n"))
    return b"\r\n".join(lines)


# --- encoding ------------------------------------------------------------------------------


def _reject_line_breaks(value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"line break in a header value: {value[:60]!r}")


def _check_folded(value: str) -> None:
    """A folded value: every CRLF is followed by a blank and some text (RFC 5322 §2.2.3)."""
    lines = value.split("\r\n")
    for line in lines:
        _reject_line_breaks(line)
    for line in lines[1:]:
        # RFC 5322 §3.2.2: a fold is CRLF before whitespace, and no line is only blanks.
        if line[:1] not in (" ", "\t") or not line.strip(" \t"):
            raise ValueError(f"line break that is not a fold in a header value: {value[:60]!r}")


def _width(text: str) -> int:
    """Columns as octets: RFC 5322 §2.1.1 limits count characters, RFC 6532 octets."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _blank_atoms(value: str) -> list[tuple[str, str]]:
    """``(blanks before, word)`` pairs of ``value``, split at its blanks."""
    tokens = _BLANKS.split(value.strip(" \t"))
    if tokens == [""]:
        return []
    return [
        ("" if index == 0 else tokens[index - 1], tokens[index])
        for index in range(0, len(tokens), 2)
    ]


def _fits(text: str, start: int) -> bool:
    """True when ``text``, starting at column ``start``, needs no fold: :func:`_fold` would
    keep it on one line. The common case, decided without splitting the text into atoms."""
    limit = _MAX_ENCODED_LINE if _ENCODED_WORD_START in text else MAX_LINE
    return start + _width(text) <= limit


def _fold_at_blanks(text: str, start: int) -> str:
    """``_fold(_blank_atoms(text), start)``, by searching the text rather than cutting it
    into atoms when it is ASCII without encoded words (every Received-SPF, say).

    ``text`` has no blanks at either end. Each line ends after the last word that still
    fits within 78 columns (a word longer than the line stays whole), and the next line
    starts with the blanks that followed it: the greedy rule of :func:`_fold`.
    """
    if _fits(text, start):
        return text
    if not text.isascii() or _ENCODED_WORD_START in text:
        return _fold(_blank_atoms(text), start)
    lines: list[str] = []
    position = 0  # where the current line starts: at the text, then at the blanks of a fold
    room = MAX_LINE - start
    tabs = "\t" in text
    while len(text) - position > room:
        limit = position + room  # the line ends at or before this offset
        word = position  # the line's first word, after the blanks of the fold
        while text[word] in " \t":
            word += 1
        # The last blank within the limit after the line's first word: the line ends
        # where the run of blanks holding it begins.
        blank = -1
        if limit > word:  # (a negative bound would count from the end)
            blank = text.rfind(" ", word + 1, limit + 1)
            if tabs:
                blank = max(blank, text.rfind("\t", word + 1, limit + 1))
        if blank >= 0:
            end = blank
            while text[end - 1] in " \t":
                end -= 1
        else:  # the first word alone is too long: it stays whole on its line
            after = _BLANK.search(text, word)
            if after is None:
                break
            end = after.start()
        lines.append(text[position:end])
        position = end
        room = MAX_LINE
    lines.append(text[position:])
    return "\r\n".join(lines)


def _fold(atoms: Sequence[tuple[str, str]], start: int) -> str:
    """Join ``(separator, atom)`` pairs, breaking lines before separators where needed.

    ``start`` is the column the value starts at (after ``Name: ``). A line that holds an
    encoded word is kept within 76 columns (RFC 2047 §2), any other within 78 (RFC 5322
    §2.1.1). A fold is CRLF inserted before the separator, which unfolding removes again
    (RFC 5322 §2.2.3); an atom too long for any line stays whole on a line of its own.
    """
    lines: list[str] = []
    current = ""
    column = start
    holds_encoded = False
    for separator, atom in atoms:
        encoded = _ENCODED_WORD_START in atom
        limit = _MAX_ENCODED_LINE if holds_encoded or encoded else MAX_LINE
        # Separators are blanks (ASCII): their width is their length (as in _width).
        width = len(separator) + (len(atom) if atom.isascii() else len(atom.encode("utf-8")))
        if current and separator and column + width > limit:
            lines.append(current)
            current = separator + atom
            column = width
            holds_encoded = encoded
        else:
            current += separator + atom
            column += width
            holds_encoded = holds_encoded or encoded
    lines.append(current)
    return "\r\n".join(lines)


def _needs_encoding(word: str) -> bool:
    # RFC 2047 §5 (1): non-ASCII must be encoded, and so must ASCII that would otherwise be
    # taken for an encoded word; controls are not allowed in unstructured text (RFC 5322
    # §3.2.5 VCHAR).
    return not (word.isascii() and word.isprintable()) or _ENCODED_WORD_START in word


def _unstructured_atoms(text: str, start: int) -> list[tuple[str, str]]:
    """The words of unstructured ``text`` as atoms (RFC 2047 §5 (1)).

    ``start`` is the column the value starts at. A plain word too long for a line is
    encoded too, so that it can be cut.
    """
    first_word = max(_MIN_ENCODED_WORD, min(_MAX_ENCODED_WORD, _MAX_ENCODED_LINE - start))

    def literal(index: int, separator: str, word: str) -> bool:
        room = MAX_LINE - (start if index == 0 else 1)
        return not _needs_encoding(word) and _width(separator) + _width(word) <= room

    return _word_atoms(text, literal, first_word, _MAX_ENCODED_WORD)


def _word_atoms(
    text: str, literal: Callable[[int, str, str], bool], first_max: int, rest_max: int
) -> list[tuple[str, str]]:
    """The words of ``text``: those ``literal`` accepts as they are, runs of the others as
    encoded words.

    Adjacent words that need encoding are encoded together, blanks included, because blanks
    between two encoded words are not displayed (RFC 2047 §6.2); the first blank before a
    run stays literal, as the required separation from the text before (RFC 2047 §5).
    """
    pairs = _blank_atoms(text)
    plain = [literal(index, separator, word) for index, (separator, word) in enumerate(pairs)]
    atoms: list[tuple[str, str]] = []
    index = 0
    while index < len(pairs):
        separator, word = pairs[index]
        if plain[index]:
            atoms.append((separator, word))
            index += 1
            continue
        run = separator[1:] + word
        index += 1
        while index < len(pairs) and not plain[index]:
            run += pairs[index][0] + pairs[index][1]
            index += 1
        first = first_max if not atoms else rest_max
        for number, encoded in enumerate(_encoded_words(run, first, rest_max)):
            atoms.append((separator[:1] if number == 0 else " ", encoded))
    return atoms


def _phrase(name: str) -> str:
    """A display name as an RFC 5322 §3.2.5 phrase."""
    _reject_line_breaks(name)
    if name.isascii() and name.isprintable() and _ENCODED_WORD_START not in name:
        if _ATOM_PHRASE.fullmatch(name):
            return name
        # RFC 5322 §3.2.4 quoted-string: backslash and double quote are quoted-pairs.
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'

    # RFC 2047 §5 (3): an encoded word may stand for a word of a phrase. Words that are
    # atoms stay readable, as mailers write them; the others are encoded.
    def literal(_index: int, _separator: str, word: str) -> bool:
        return _ATOM.fullmatch(word) is not None and _ENCODED_WORD_START not in word

    atoms = _word_atoms(name, literal, _NAME_WORD, _NAME_WORD)
    return "".join(separator + atom for separator, atom in atoms)


def _addr_spec(address: str) -> str:
    _reject_line_breaks(address)
    if not address or "<" in address or ">" in address:
        raise ValueError(f"not an addr-spec: {address!r}")
    local, at, domain = address.rpartition("@")
    if at and local.isascii() and not domain.isascii():
        return f"{local}@{domain_to_ascii(domain)}"
    return address


def _ascii_domain(domain: str) -> str:
    host = domain_to_ascii(domain.strip().rstrip("."))
    # RFC 5322 §3.6.4 id-right = dot-atom-text (no-fold-literal is not needed here).
    if not host.isascii() or not _DOT_ATOM.fullmatch(host):
        raise ValueError(f"not a domain name: {domain!r}")
    return host


def _q_length(data: bytes) -> int:
    return sum(1 if byte in _Q_LITERAL or byte == 0x20 else 3 for byte in data)


def _b_length(size: int) -> int:
    return 4 * ((size + 2) // 3)


def _encode_word(data: bytes, encoding: str) -> str:
    if encoding == "b":
        payload = base64.b64encode(data).decode("ascii")
    else:
        # RFC 2047 §4.2: "_" stands for a space; anything not safe is "=XX".
        payload = "".join(
            chr(byte) if byte in _Q_LITERAL else "_" if byte == 0x20 else f"={byte:02X}"
            for byte in data
        )
    return f"=?utf-8?{encoding}?{payload}?="


def _clusters(text: str) -> list[str]:
    """``text`` cut before each character that does not continue the one before.

    Combining marks, variation selectors and zero-width joiners stay with their base, so
    an encoded word never ends in the middle of what the reader sees as one character.
    """
    clusters: list[str] = []
    for char in text:
        joins = (
            unicodedata.combining(char) != 0
            or unicodedata.category(char) in ("Mn", "Me", "Mc")
            or char == "\u200d"
            or (clusters != [] and clusters[-1].endswith("\u200d"))
        )
        if joins and clusters:
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _encoded_words(text: str, first_max: int, rest_max: int) -> list[str]:
    """``text`` as UTF-8 encoded words (RFC 2047 §2), cut at character boundaries.

    The first word is at most ``first_max`` characters, the others at most ``rest_max``.
    One encoding, Q or B, whichever is shorter for the whole text (RFC 2047 §4).
    """
    data = text.encode("utf-8")
    encoding = "q" if _q_length(data) <= _b_length(len(data)) else "b"

    def cost(size_or_data: bytes) -> int:
        if encoding == "q":
            return _q_length(size_or_data)
        return _b_length(len(size_or_data))

    units: list[bytes] = []
    largest = max(first_max, rest_max) - _WORD_OVERHEAD
    for cluster in _clusters(text):
        piece = cluster.encode("utf-8")
        if cost(piece) <= largest:
            units.append(piece)
        else:  # an absurdly long cluster: cut between its characters, never inside one
            units.extend(char.encode("utf-8") for char in cluster)

    words: list[str] = []
    current = b""
    for unit in units:
        room = (first_max if not words else rest_max) - _WORD_OVERHEAD
        if current and cost(current + unit) > room:
            words.append(_encode_word(current, encoding))
            current = unit
        else:
            current += unit
    if current:
        words.append(_encode_word(current, encoding))
    return words


def _uses_bare_lf(raw: bytes) -> bool:
    newline = raw.find(b"\n")
    return newline == 0 or (newline > 0 and raw[newline - 1] != 0x0D)
