"""SPF records: which TXT record is the SPF record, and what it says.

Owns RFC 7208 §4.5 (a record starts with "v=spf1" followed by a space or its end, in any
case) and the record grammar of §4.6.1, §5 and §6: terms separated by spaces; directives
(an optional qualifier and one of the eight mechanisms, with their domain-specs and CIDR
lengths); the ``redirect`` and ``exp`` modifiers (each at most once, §6); unknown modifiers,
whose value must still be a valid macro-string (§6, Appendix A). Any error anywhere in the
record raises :class:`SpfSyntaxError`: the whole record is a permerror (§4.6), whatever
mechanism would have matched first.

The parser is pure: text in, :class:`SpfRecord` or an error out. Mechanism and modifier
names are case-insensitive (§4.6.1, RFC 5234 §2.3).

Must not: look anything up, expand macros (``spf_macro`` does), or evaluate mechanisms
(``spf_eval`` does).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from courriel.mailauth.spf_macro import (
    MacroString,
    MacroSyntaxError,
    parse_domain_spec,
    parse_macro_string,
)

MechanismKind = Literal["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"]
Qualifier = Literal["+", "-", "~", "?"]

# RFC 7208 §4.5: version = "v=spf1", ended by SP or the end of the record.
_VERSION = "v=spf1"
# RFC 7208 §4.6.1: directive = [ qualifier ] mechanism; a mechanism name runs up to ":",
# "/" or the end; name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) for modifiers.
_DIRECTIVE = re.compile(r"([+\-~?]?)([A-Za-z][A-Za-z0-9_.\-]*)(.*)", re.DOTALL)
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)", re.DOTALL)
# RFC 7208 §5.6: ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT), ip6: up to 3 digits.
_CIDR_DIGITS = r"(?:0|[1-9][0-9]*)"
# RFC 7208 §5.3 dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ].
_DUAL_CIDR = re.compile(rf"(?:/({_CIDR_DIGITS}))?(?://({_CIDR_DIGITS}))?\Z")
_DUAL_CIDR_ANY = re.compile(r"(?:/([0-9]+))?(?://([0-9]+))?\Z")
# RFC 7208 §5.6 ip4-network = qnum "." qnum "." qnum "." qnum (no leading zeros).
_QNUM = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_IP4 = re.compile(rf"{_QNUM}(?:\.{_QNUM}){{3}}")
_IP4_ARGUMENT = re.compile(r":([^/]*)(?:/([0-9]+))?\Z")
_IP6_ARGUMENT = re.compile(r":([0-9A-Fa-f:.]+)(?:/([0-9]+))?\Z")

# RFC 7208 §4.6.2: the qualifier is optional and defaults to "+".
_QUALIFIERS: dict[str, Qualifier] = {"": "+", "+": "+", "-": "-", "~": "~", "?": "?"}
#: RFC 7208 §6: modifiers that may appear at most once.
_SINGLE_MODIFIERS = ("redirect", "exp")


class SpfSyntaxError(ValueError):
    """A record that does not follow RFC 7208's grammar (an SPF permerror, §4.6)."""


@dataclass(frozen=True, slots=True)
class Mechanism:
    """One mechanism (RFC 7208 §5): its kind and arguments.

    ``domain_spec`` is None when the mechanism takes the current <domain> (a, mx, ptr
    without ":"). ``network`` is set for ip4 and ip6 only. ``cidr4``/``cidr6`` are the
    prefix lengths of a and mx (§5.3: /32 and /128 when not written).
    """

    kind: MechanismKind
    domain_spec: MacroString | None = None
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    cidr4: int = 32
    cidr6: int = 128


@dataclass(frozen=True, slots=True)
class Directive:
    """``[qualifier] mechanism`` (RFC 7208 §4.6.2), with the text as written."""

    qualifier: Qualifier
    mechanism: Mechanism
    text: str


@dataclass(frozen=True, slots=True)
class SpfRecord:
    """A parsed SPF record: the directives in order and the two known modifiers."""

    directives: tuple[Directive, ...]
    redirect: MacroString | None = None
    explanation: MacroString | None = None


def is_spf_record(text: str) -> bool:
    """Whether a TXT record is an SPF version 1 record (RFC 7208 §4.5).

    "v=spf1" in any case (RFC 5234 §2.3), then a space or the end: "v=spf10" is not one.
    """
    version, separator = text[: len(_VERSION)], text[len(_VERSION) : len(_VERSION) + 1]
    return version.lower() == _VERSION and separator in ("", " ")


@functools.lru_cache(maxsize=1024)
def parse_record(text: str) -> SpfRecord:
    """The record in ``text``, which :func:`is_spf_record` accepted.

    RFC 7208 §4.6.1: terms = *( 1*SP ( directive / modifier ) ); record = version terms *SP.
    Only spaces separate terms: a tab or line break inside a term makes it invalid.
    Remembered for the last 1,024 texts (a record is immutable): most mail brings the same
    few records, the large senders' and those they include.
    """
    if not is_spf_record(text):
        raise SpfSyntaxError("not an SPF version 1 record")
    directives: list[Directive] = []
    modifiers: dict[str, MacroString] = {}
    for term in text[len(_VERSION) :].split(" "):
        if not term:
            continue
        if not term.isascii() or not term.isprintable():
            # RFC 7208 §3.1, §4.6.1: records are 7-bit text, terms are visible characters.
            raise SpfSyntaxError(f"term {term!a} holds characters that are not visible ASCII")
        modifier = _MODIFIER.fullmatch(term)
        try:
            if modifier is not None:
                _add_modifier(modifiers, modifier.group(1).lower(), modifier.group(2))
            else:
                directives.append(_directive(term))
        except MacroSyntaxError as error:
            raise SpfSyntaxError(f"{term}: {error}") from None
    return SpfRecord(tuple(directives), modifiers.get("redirect"), modifiers.get("exp"))


def _add_modifier(modifiers: dict[str, MacroString], name: str, value: str) -> None:
    if name in _SINGLE_MODIFIERS:
        if name in modifiers:
            # RFC 7208 §6: redirect and exp "MUST NOT appear in a record more than once".
            raise SpfSyntaxError(f"{name}= given twice")
        # RFC 7208 §6.1 redirect = "redirect" "=" domain-spec; §6.2 explanation likewise.
        modifiers[name] = parse_domain_spec(value)
        return
    # RFC 7208 §6: unknown modifiers are ignored, but their value must be a macro-string
    # (Appendix A unknown-modifier = name "=" macro-string).
    parse_macro_string(value, explanation=True)


def _directive(term: str) -> Directive:
    match = _DIRECTIVE.fullmatch(term)
    if match is None:
        raise SpfSyntaxError(f"unknown term {term!r}")
    qualifier_text, name, argument = match.groups()
    parser = _MECHANISM_PARSERS.get(name.lower())
    if parser is None:
        raise SpfSyntaxError(f"unknown mechanism {name!r}")
    return Directive(_QUALIFIERS[qualifier_text], parser(argument, term), term)


def _all(argument: str, term: str) -> Mechanism:
    # RFC 7208 §5.1: all = "all" — nothing may follow.
    if argument:
        raise SpfSyntaxError(f"{term}: 'all' takes no argument")
    return Mechanism("all")


def _domain_only(kind: MechanismKind) -> Callable[[str, str], Mechanism]:
    """include and exists: ":" domain-spec, required (RFC 7208 §5.2, §5.7)."""

    def parse(argument: str, term: str) -> Mechanism:
        if not argument.startswith(":"):
            raise SpfSyntaxError(f"{term}: {kind} needs ':' and a domain")
        return Mechanism(kind, parse_domain_spec(argument[1:]))

    return parse


def _ptr(argument: str, term: str) -> Mechanism:
    # RFC 7208 §5.5: PTR = "ptr" [ ":" domain-spec ] — no CIDR length.
    if not argument:
        return Mechanism("ptr")
    if not argument.startswith(":"):
        raise SpfSyntaxError(f"{term}: ptr takes only ':' and a domain")
    return Mechanism("ptr", parse_domain_spec(argument[1:]))


def _address_mechanism(kind: MechanismKind) -> Callable[[str, str], Mechanism]:
    """a and mx: [ ":" domain-spec ] [ dual-cidr-length ] (RFC 7208 §5.3, §5.4)."""

    def parse(argument: str, term: str) -> Mechanism:
        spec: MacroString | None = None
        cidr_text = argument
        if argument.startswith(":"):
            # The shortest domain-spec after which the rest is a dual-cidr-length: "/" is a
            # legal character of a domain-spec (§7.1 macro-literal), so "a:x/y.example.com"
            # is a name, and "a:example.com/24" a name and a length.
            cidr = _DUAL_CIDR_ANY.search(argument)
            assert cidr is not None  # the pattern matches the empty string at the end
            spec = parse_domain_spec(argument[1 : cidr.start()])
            cidr_text = argument[cidr.start() :]
        if not _DUAL_CIDR.fullmatch(cidr_text):
            raise SpfSyntaxError(f"{term}: invalid CIDR length")
        match = _DUAL_CIDR.fullmatch(cidr_text)
        assert match is not None
        cidr4 = _cidr(match.group(1), 32, term)
        cidr6 = _cidr(match.group(2), 128, term)
        return Mechanism(kind, spec, cidr4=cidr4, cidr6=cidr6)

    return parse


def _ip4(argument: str, term: str) -> Mechanism:
    # RFC 7208 §5.6: IP4 = "ip4" ":" ip4-network [ ip4-cidr-length ]; no short forms (§5.6).
    match = _IP4_ARGUMENT.fullmatch(argument)
    if match is None or not _IP4.fullmatch(match.group(1)):
        raise SpfSyntaxError(f"{term}: invalid IPv4 network")
    length = _cidr(match.group(2), 32, term)
    return Mechanism("ip4", network=ipaddress.IPv4Network((match.group(1), length), strict=False))


def _ip6(argument: str, term: str) -> Mechanism:
    # RFC 7208 §5.6: IP6 = "ip6" ":" ip6-network [ ip6-cidr-length ] (RFC 4291 §2.2 text).
    match = _IP6_ARGUMENT.fullmatch(argument)
    if match is None:
        raise SpfSyntaxError(f"{term}: invalid IPv6 network")
    try:
        address = ipaddress.IPv6Address(match.group(1))
    except ValueError:
        raise SpfSyntaxError(f"{term}: invalid IPv6 network") from None
    length = _cidr(match.group(2), 128, term)
    return Mechanism("ip6", network=ipaddress.IPv6Network((address, length), strict=False))


def _cidr(digits: str | None, maximum: int, term: str) -> int:
    if digits is None:
        return maximum
    # RFC 7208 §5.6: no leading zeros, and at most 32 (IPv4) or 128 (IPv6).
    if not re.fullmatch(_CIDR_DIGITS, digits) or int(digits) > maximum:
        raise SpfSyntaxError(f"{term}: invalid CIDR length /{digits}")
    return int(digits)


#: RFC 7208 §5: the eight mechanisms, each with the parser of what follows its name.
_MECHANISM_PARSERS: dict[str, Callable[[str, str], Mechanism]] = {
    "all": _all,
    "include": _domain_only("include"),
    "a": _address_mechanism("a"),
    "mx": _address_mechanism("mx"),
    "ptr": _ptr,
    "ip4": _ip4,
    "ip6": _ip6,
    "exists": _domain_only("exists"),
}
