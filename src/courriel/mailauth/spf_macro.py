"""SPF macro strings: their grammar, their expansion, and the names they produce.

Owns RFC 7208 §7: parsing a ``macro-string`` / ``domain-spec`` / ``explain-string`` into
literal text and macros (§7.1), expanding them from the values of one evaluation (§7.2, §7.3:
transformers, delimiters, URL escaping of upper-case letters, dotted nibbles for IPv6), the
253-character truncation of expanded names (§7.3), and the validity of a name before it is
looked up (§4.3: labels of 1 to 63 octets, at most 253 in all, trailing dot ignored).

Every function is pure: the values of the letters (the validated name ``p``, the time ``t``)
are given by the evaluator in ``spf_eval``, which knows which ones a string uses
(:meth:`MacroString.uses`) and only then does the DNS work they need.

Must not: look anything up, read the clock, or decide an SPF result.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass

#: RFC 7208 §7.2: letters allowed in every macro-string ...
DOMAIN_LETTERS = frozenset("slodiphv")
#: ... and those allowed only in explanation text (§7.2: c, r, t).
EXPLANATION_LETTERS = DOMAIN_LETTERS | frozenset("crt")

# RFC 7208 §7.1: macro-expand = "%{" macro-letter transformers *delimiter "}".
_MACRO_BODY = re.compile(r"\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}")
# RFC 7208 §7.1 toplabel: LDH, not all-numeric, no hyphen at either end.
_TOPLABEL = r"(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9-]*[A-Za-z0-9])"
# RFC 7208 §7.1 domain-end = ( "." toplabel [ "." ] ) / macro-expand.
_DOMAIN_END = re.compile(rf"\.{_TOPLABEL}\.?\Z")
# RFC 7208 §7.3: the characters an upper-case macro leaves unescaped (RFC 3986 unreserved).
_UNRESERVED = "-._~"
#: RFC 7208 §7.3: an expanded name used in a query is cut to 253 characters on the left.
MAX_NAME_LENGTH = 253
_MAX_LABEL_LENGTH = 63  # RFC 1035 §2.3.4
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}  # RFC 7208 §7.1: "%%", "%_", "%-"


class MacroSyntaxError(ValueError):
    """A macro-string that does not follow RFC 7208 §7.1 (an SPF permerror)."""


@dataclass(frozen=True, slots=True)
class Macro:
    """One ``%{...}``: letter (lower case), how many right-hand parts, reversal, delimiters."""

    letter: str
    keep: int | None
    reverse: bool
    delimiters: str
    url_escape: bool


@dataclass(frozen=True, slots=True)
class MacroString:
    """A parsed macro-string: literal text and macros, in order."""

    parts: tuple[str | Macro, ...]

    def uses(self, letter: str) -> bool:
        """Whether the macro ``letter`` (``"p"``, ``"t"``...) appears in the string."""
        return any(isinstance(part, Macro) and part.letter == letter for part in self.parts)


@dataclass(frozen=True, slots=True)
class MacroValues:
    """What the letters stand for in one evaluation (RFC 7208 §7.2).

    ``sender`` is the <sender> with "postmaster" for a missing local part (§4.3), ``domain``
    the current <domain>, ``validated_name`` the ``p`` value (None when the string does not
    use it), ``receiver`` the ``r`` name and ``timestamp`` the ``t`` seconds.
    """

    sender: str
    domain: str
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    helo: str
    receiver: str = "unknown"
    validated_name: str | None = None
    timestamp: int = 0

    @property
    def local_part(self) -> str:
        return self.sender.rpartition("@")[0]

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2]


def parse_macro_string(text: str, *, explanation: bool = False) -> MacroString:
    """``macro-string`` (or ``explain-string`` when ``explanation``: spaces and c, r, t).

    RFC 7208 §7.1: literals are visible ASCII but "%"; a "%" must start "%{", "%%", "%_" or
    "%-" (§7.1: anything else is a syntax error); §7.2 limits c, r, t to explanations.
    """
    return _parse(text, explanation=explanation)[0]


def parse_domain_spec(text: str) -> MacroString:
    """``domain-spec = macro-string domain-end`` (RFC 7208 §7.1).

    The string must end in a macro or in "." and a top label (letters, digits and inner
    hyphens, not all digits), with an optional final dot: ``a:museum`` and ``a:1.2.3.4`` are
    syntax errors, ``a:%{d}`` and ``a:_spf.example.com.`` are not.
    """
    spec, literal_tail = _parse(text, explanation=False)
    if not text:
        raise MacroSyntaxError("empty domain-spec")
    # The text after the last macro-expand ("%{...}", "%%", "%_", "%-") is the domain-end
    # candidate: empty when a macro ends the string, else "." toplabel [ "." ].
    if literal_tail and not _DOMAIN_END.search(literal_tail):
        raise MacroSyntaxError(f"domain-spec {text!r} does not end in a top label or macro")
    return spec


def expand(spec: MacroString, values: MacroValues) -> str:
    """The text of ``spec`` with every macro replaced (RFC 7208 §7.3)."""
    out: list[str] = []
    for part in spec.parts:
        out.append(part if isinstance(part, str) else _expand_macro(part, values))
    return "".join(out)


def fit_domain_name(name: str) -> str:
    """An expanded name as queried: final dot removed, cut on the left to 253 characters.

    RFC 7208 §7.3: "if the expanded domain name exceeds 253 characters, the left side is
    truncated to fit, by removing successive domain labels (and their following dots)".
    """
    name = name.removesuffix(".")
    while len(name) > MAX_NAME_LENGTH and "." in name:
        name = name.split(".", 1)[1]
    return name


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a DNS query name, or None (RFC 7208 §4.3, RFC 1035 §2.3.4).

    A final dot is allowed; a name needs at least two labels, each 1 to 63 octets, and at
    most 253 characters in all.
    """
    name = name.removesuffix(".")
    if not name:
        return "empty domain name"
    if len(name.encode("utf-8")) > MAX_NAME_LENGTH:
        return f"domain name longer than {MAX_NAME_LENGTH} characters"
    labels = name.split(".")
    if len(labels) < 2:
        return f"{name!r} is not a multi-label domain name"
    for label in labels:
        if not label:
            return f"empty label in {name!r}"
        if len(label.encode("utf-8")) > _MAX_LABEL_LENGTH:
            return f"label longer than {_MAX_LABEL_LENGTH} octets in {name!r}"
    return None


def ip_letter(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The ``i`` value: dotted quad, or 32 dot-separated nibbles for IPv6 (RFC 7208 §7.3)."""
    if ip.version == 4:
        return str(ip)
    # RFC 7208 §7.4 example: "%{ir}" of 2001:db8::cb01 is "1.0.b.c.0...8.b.d.0.1.0.0.2".
    return ".".join(ip.exploded.replace(":", ""))


def _parse(text: str, *, explanation: bool) -> tuple[MacroString, str]:
    """The parsed string, and the literal text after its last macro-expand."""
    letters = EXPLANATION_LETTERS if explanation else DOMAIN_LETTERS
    parts: list[str | Macro] = []
    literal: list[str] = []
    tail_start = 0
    position = 0
    while position < len(text):
        char = text[position]
        if char != "%":
            if not _is_literal(char, explanation=explanation):
                raise MacroSyntaxError(f"character {char!r} not allowed in {text!r}")
            literal.append(char)
            position += 1
            continue
        following = text[position + 1 : position + 2]
        if following in _ESCAPES:
            literal.append(_ESCAPES[following])
            position += 2
            tail_start = position
            continue
        match = _MACRO_BODY.match(text, position + 1)
        if following != "{" or match is None:
            raise MacroSyntaxError(f"'%' not followed by {{, %, _ or - in {text!r}")
        macro = _macro(match, letters, text)
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(macro)
        position = tail_start = match.end()
    if literal:
        parts.append("".join(literal))
    return MacroString(tuple(parts)), text[tail_start:]


def _macro(match: re.Match[str], letters: frozenset[str], text: str) -> Macro:
    letter, digits, reverse, delimiters = match.groups()
    if letter.lower() not in letters:
        raise MacroSyntaxError(f"macro letter {letter!r} not allowed in {text!r}")
    keep = int(digits) if digits else None
    if keep == 0:
        # RFC 7208 §7.3: "If a DIGIT is specified, the value MUST be nonzero."
        raise MacroSyntaxError(f"zero parts asked for in {text!r}")
    return Macro(letter.lower(), keep, bool(reverse), delimiters, letter.isupper())


def _is_literal(char: str, *, explanation: bool) -> bool:
    # RFC 7208 §7.1 macro-literal = %x21-24 / %x26-7E; explain-string adds SP.
    code = ord(char)
    return 0x21 <= code <= 0x7E or (explanation and code == 0x20)


def _letter_value(letter: str, values: MacroValues) -> str:
    ip = values.ip
    table = {
        "s": values.sender,
        "l": values.local_part,
        "o": values.sender_domain,
        "d": values.domain,
        "i": ip_letter(ip),
        "p": values.validated_name or "unknown",
        "v": "in-addr" if ip.version == 4 else "ip6",
        "h": values.helo,
        "c": str(ip),
        "r": values.receiver,
        "t": str(values.timestamp),
    }
    return table[letter]


def _expand_macro(macro: Macro, values: MacroValues) -> str:
    value = _letter_value(macro.letter, values)
    # RFC 7208 §7.3: split on the delimiters ("." by default), reverse if asked, keep the
    # right-hand parts, and join again with "." whatever the delimiters were.
    delimiters = macro.delimiters or "."
    parts = re.split("[" + re.escape(delimiters) + "]", value)
    if macro.reverse:
        parts.reverse()
    if macro.keep is not None and macro.keep < len(parts):
        parts = parts[-macro.keep :]
    result = ".".join(parts)
    if macro.url_escape:
        # RFC 7208 §7.3: upper-case macros are URL-escaped (RFC 3986 unreserved kept).
        result = urllib.parse.quote(result, safe=_UNRESERVED)
    return result
