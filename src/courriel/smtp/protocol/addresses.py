"""SMTP envelope addresses: RFC 5321 §4.1.2 Path and Mailbox syntax, and the facts a server
needs to never be an open relay.

Owns: parsing ``<local@domain>`` paths (dot-string or quoted-string local parts, domain names
or address literals ``[192.0.2.1]`` / ``[IPv6:2001:db8::1]``, RFC 5321 §4.1.3), the null
reverse-path ``<>``, source routes (``<@a,@b:user@c>``: accepted and dropped; RFC 5321
Appendix C: servers MUST accept the syntax, §3.6.1: SHOULD ignore the route), the SMTPUTF8
extensions of the syntax (UTF-8 local parts and U-label domains, RFC 6531 §3.3, only where
SMTPUTF8 was given), the length limits of RFC 5321 §4.5.3.1 (local part 64 octets, domain
255, path 256), and the EHLO/HELO argument.

Relay safety. The local part is interpreted by the host of its domain alone (RFC 5321
§2.3.11), so a server must read ``user%other.example@ours`` as the local part
``user%other.example`` of ``ours`` and never relay it to ``other.example`` (the old "percent
hack"); relaying is a policy decision a server may decline with 550 (RFC 5321 §3.6.2). The
same holds for UUCP ``host!user@ours`` and for a quoted local part holding an ``@``
(``"user@other"@ours``). A source route ``<@ours:user@other>`` is addressed to ``other``:
the route is dropped (RFC 5321 §3.6.1: servers SHOULD send to the final destination) and
the relay decision is taken on ``other``. ``Address.relay_hazards`` and
``Path.relay_hazards`` name these shapes so the server can refuse or log them; the parser
only reports.

Must not: decide whether a domain is ours or a user exists, look anything up, or raise
anything but ``AddressSyntaxError`` on client input.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass

from courriel.mail.address import domain_to_ascii
from courriel.smtp.protocol.errors import AddressSyntaxError, NonAsciiAddressError
from courriel.smtp.protocol.replies import Reply

__all__ = [
    "MAX_DOMAIN_OCTETS",
    "MAX_LOCAL_PART_OCTETS",
    "MAX_PATH_OCTETS",
    "Address",
    "Path",
    "RelayHazard",
    "parse_ehlo_domain",
    "parse_mailbox",
    "parse_path",
    "scan_path",
]

MAX_LOCAL_PART_OCTETS = 64  # RFC 5321 §4.5.3.1.1
MAX_DOMAIN_OCTETS = 255  # RFC 5321 §4.5.3.1.2
MAX_PATH_OCTETS = 256  # RFC 5321 §4.5.3.1.3, punctuation included
_MAX_LABEL_OCTETS = 63  # RFC 1035 §2.3.4

_ADDRESS_SYNTAX = Reply(501, "5.5.4", "Syntax error in address")

# RFC 5322 §3.2.3 atext (imported by RFC 5321 §4.1.2), extended with UTF8-non-ascii by
# RFC 6531 §3.3; C1 controls are not letters of any address and stay out.
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u00a0-\U0010ffff"
_DOT_STRING = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*")
# RFC 5321 §4.1.2: qtextSMTP = %d32-33 / %d35-91 / %d93-126, quoted-pairSMTP = "\" %d32-126,
# qtextSMTP extended with UTF8-non-ascii (RFC 6531 §3.3).
_QUOTED_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e\u00a0-\U0010ffff]|\\[\x20-\x7e])*)"')
_QUOTED_PAIR = re.compile(r"\\(.)")
# A run of characters that can belong to a domain; its labels are checked one by one.
_DOMAIN_RUN = re.compile(r"[A-Za-z0-9_.\-\u00a0-\U0010ffff]+")
_LDH_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\Z")  # RFC 5321 §4.1.2
_LENIENT_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_\-]*[A-Za-z0-9_])?\Z")
# RFC 5321 §4.1.3: dcontent = %d33-90 / %d94-126, between "[" and "]".
_ADDRESS_LITERAL = re.compile(r"\[([\x21-\x5a\x5e-\x7e]*)\]")
_IPV4_LITERAL = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\Z")  # Snum 3("." Snum)
_IPV6_CHARS = re.compile(r"[0-9A-Fa-f:.]+\Z")  # no zone ids: "%" is not in IPv6-addr


class RelayHazard(enum.Enum):
    """Address shapes that have been used to make a server relay where it must not."""

    PERCENT_HACK = "percent-hack"  # user%other@ours (RFC 5321 §2.3.11)
    BANG_PATH = "bang-path"  # other!user@ours, UUCP routing (RFC 5321 §2.3.11)
    QUOTED_AT = "quoted-at"  # "user@other"@ours
    SOURCE_ROUTE = "source-route"  # <@ours:user@other> (RFC 5321 §3.6.1, Appendix C)


@dataclass(frozen=True, slots=True)
class Address:
    """A mailbox: ``local`` part (quotes and backslashes removed) at ``domain``.

    ``domain`` is as the client wrote it: LDH labels, U-labels (with SMTPUTF8) or an
    address literal with its brackets; it is ``""`` only for the bare ``<postmaster>``
    recipient (RFC 5321 §4.1.1.3). ``quoted`` records that the local part arrived as a
    quoted-string, so ``text`` reproduces what was sent when the message is relayed. The
    local part is case-sensitive on the wire (RFC 5321 §2.4); compare ``normalized()``.
    """

    local: str
    domain: str
    quoted: bool = False

    @property
    def local_text(self) -> str:
        """The local part in wire form: quoted when it was, or when it must be."""
        if not self.quoted and _DOT_STRING.fullmatch(self.local):
            return self.local
        return '"' + self.local.replace("\\", "\\\\").replace('"', '\\"') + '"'

    @property
    def text(self) -> str:
        """``local@domain`` in wire form, without angle brackets."""
        if not self.domain:
            return self.local_text
        return f"{self.local_text}@{self.domain}"

    @property
    def is_address_literal(self) -> bool:
        return self.domain.startswith("[")

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The address of an address-literal domain, else None."""
        if not self.is_address_literal:
            return None
        return _literal_ip(self.domain[1:-1])

    @property
    def needs_smtputf8(self) -> bool:
        """Whether the address has non-ASCII characters (RFC 6531 §3.3)."""
        return not (self.local.isascii() and self.domain.isascii())

    @property
    def relay_hazards(self) -> frozenset[RelayHazard]:
        """The shapes of this local part that a relay decision must not be fooled by."""
        hazards = set()
        if "%" in self.local:
            hazards.add(RelayHazard.PERCENT_HACK)
        if "!" in self.local:
            hazards.add(RelayHazard.BANG_PATH)
        if "@" in self.local:
            hazards.add(RelayHazard.QUOTED_AT)
        return frozenset(hazards)

    def normalized(self) -> Address:
        """The form to compare and look up: lower-case local part, lower-case A-label domain.

        The domain goes through ``courriel.mail.address.domain_to_ascii`` (Python's IDNA
        codec), the same mapping the directory stores domains with, so lookups agree.
        Address literals become their canonical text (``[IPv6:2001:db8::1]``).
        """
        ip = self.ip
        if isinstance(ip, ipaddress.IPv6Address):
            domain = f"[IPv6:{ip.compressed}]"
        elif ip is not None:
            domain = f"[{ip}]"
        else:
            domain = domain_to_ascii(self.domain).lower()
        return Address(self.local.lower(), domain, self.quoted)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Path:
    """A parsed ``<...>``: the mailbox (None for the null path ``<>``) and the source route
    the client gave, already dropped from routing (RFC 5321 Appendix C)."""

    mailbox: Address | None
    source_route: tuple[str, ...] = ()

    @property
    def relay_hazards(self) -> frozenset[RelayHazard]:
        hazards = self.mailbox.relay_hazards if self.mailbox is not None else frozenset()
        if self.source_route:
            hazards |= {RelayHazard.SOURCE_ROUTE}
        return hazards


def _error(reason: str) -> AddressSyntaxError:
    return AddressSyntaxError(
        _ADDRESS_SYNTAX.with_text(f"Syntax error in address: {reason}"), reason
    )


def _literal_ip(content: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP of an address literal's content (between the brackets), None if invalid."""
    match = _IPV4_LITERAL.match(content)
    if match is not None:
        octets = [int(group) for group in match.groups()]
        if all(octet <= 255 for octet in octets):  # RFC 5321 §4.1.3 Snum
            return ipaddress.IPv4Address(bytes(octets))
        return None
    # RFC 5321 §4.1.3: "IPv6:" IPv6-addr. ABNF strings are case-insensitive (RFC 5234 §2.3).
    if content[:5].lower() == "ipv6:" and _IPV6_CHARS.match(content, 5):
        try:
            return ipaddress.IPv6Address(content[5:])
        except ValueError:
            return None
    # A General-address-literal needs a tag registered by a standards-track RFC
    # (RFC 5321 §4.1.3); IPv6 is the only one, so anything else is refused.
    return None


def _check_domain(domain: str, *, lenient: bool = False) -> None:
    """Raise unless ``domain`` is an RFC 5321 Domain (with U-labels, RFC 6531 §3.3)."""
    ascii_labels = []
    for label in domain.split("."):
        if label.isascii():
            pattern = _LENIENT_LABEL if lenient else _LDH_LABEL
            if not pattern.match(label):
                raise _error(f"invalid domain name {domain!r}")
            ascii_labels.append(label)
            continue
        try:
            a_label = label.encode("idna").decode("ascii")
        except UnicodeError:
            raise _error(f"invalid internationalised domain name {domain!r}") from None
        # The IDNA codec treats U+3002 and friends as dots: a label must stay one label.
        if "." in a_label or not _LDH_LABEL.match(a_label):
            raise _error(f"invalid internationalised domain name {domain!r}")
        ascii_labels.append(a_label)
    if any(len(label) > _MAX_LABEL_OCTETS for label in ascii_labels):
        raise _error("a domain label is longer than 63 octets")  # RFC 1035 §2.3.4
    if len(".".join(ascii_labels)) > MAX_DOMAIN_OCTETS or len(domain.encode()) > MAX_DOMAIN_OCTETS:
        raise _error("the domain is longer than 255 octets")  # RFC 5321 §4.5.3.1.2


def _scan_domain(text: str, pos: int) -> tuple[str, int]:
    """A Domain starting at ``pos`` (RFC 5321 §4.1.2) and the position after it."""
    match = _DOMAIN_RUN.match(text, pos)
    if match is None:
        raise _error("a domain name is missing")
    domain = match.group()
    _check_domain(domain)
    return domain, match.end()


def _scan_domain_or_literal(text: str, pos: int) -> tuple[str, int]:
    if text.startswith("[", pos):
        match = _ADDRESS_LITERAL.match(text, pos)
        if match is None or _literal_ip(match.group(1)) is None:
            raise _error("invalid address literal")  # RFC 5321 §4.1.3
        return match.group(), match.end()
    return _scan_domain(text, pos)


def _scan_mailbox(text: str, pos: int) -> tuple[Address, int]:
    """RFC 5321 §4.1.2: Mailbox = Local-part "@" ( Domain / address-literal )."""
    start = pos
    if text.startswith('"', pos):
        quoted = _QUOTED_STRING.match(text, pos)
        if quoted is None:
            raise _error("invalid quoted local part")
        local = _QUOTED_PAIR.sub(r"\1", quoted.group(1))
        pos = quoted.end()
        is_quoted = True
    else:
        dot_string = _DOT_STRING.match(text, pos)
        if dot_string is None:
            raise _error("invalid local part")
        local = dot_string.group()
        pos = dot_string.end()
        is_quoted = False
    if len(text[start:pos].encode("utf-8")) > MAX_LOCAL_PART_OCTETS:
        raise _error("the local part is longer than 64 octets")  # RFC 5321 §4.5.3.1.1
    if not text.startswith("@", pos):
        raise _error("expected @domain after the local part")
    domain, pos = _scan_domain_or_literal(text, pos + 1)
    return Address(local, domain, is_quoted), pos


def scan_path(text: str, pos: int = 0, *, smtputf8: bool, null_allowed: bool) -> tuple[Path, int]:
    """Parse the ``<...>`` path starting at ``pos``; return it and the position after ``>``.

    RFC 5321 §4.1.2: Path = "<" [ A-d-l ":" ] Mailbox ">"; Reverse-path = Path / "<>"
    (``null_allowed``). With ``smtputf8`` false, a non-ASCII path raises
    ``NonAsciiAddressError`` (RFC 6531 §3.3 extends the syntax only under SMTPUTF8).
    """
    start = pos
    if not text.startswith("<", pos):
        raise _error("the address must be enclosed in <>")
    pos += 1
    if text.startswith(">", pos):
        if not null_allowed:
            raise _error("the null path <> is not allowed here")
        return Path(None), pos + 1
    route: list[str] = []
    if text.startswith("@", pos):
        # RFC 5321 §4.1.2 A-d-l = At-domain *( "," At-domain ); accepted (Appendix C) and
        # ignored (§3.6.1).
        while True:
            domain, pos = _scan_domain(text, pos + 1)
            route.append(domain)
            if text.startswith(",@", pos):
                pos += 1
                continue
            if text.startswith(":", pos):
                pos += 1
                break
            raise _error("invalid source route")
    mailbox, pos = _scan_mailbox(text, pos)
    if not text.startswith(">", pos):
        raise _error("expected > after the address")
    pos += 1
    path_text = text[start:pos]
    if len(path_text.encode("utf-8")) > MAX_PATH_OCTETS:
        raise _error("the path is longer than 256 octets")  # RFC 5321 §4.5.3.1.3
    if not smtputf8 and not path_text.isascii():
        raise NonAsciiAddressError(  # RFC 6531 §3.3, §3.5
            _ADDRESS_SYNTAX.with_text("Non-ASCII address requires SMTPUTF8"),
            "a non-ASCII address requires SMTPUTF8",
        )
    return Path(mailbox, tuple(route)), pos


def parse_path(text: str, *, smtputf8: bool, null_allowed: bool = False) -> Path:
    """Parse a whole string as one path (``<user@example.org>``)."""
    path, end = scan_path(text, 0, smtputf8=smtputf8, null_allowed=null_allowed)
    if end != len(text):
        raise _error("unexpected text after the address")
    return path


def parse_mailbox(text: str, *, smtputf8: bool) -> Address:
    """Parse a bare ``local@domain`` (no brackets), as in the AUTH= parameter (RFC 4954 §5)."""
    mailbox, end = _scan_mailbox(text, 0)
    if end != len(text):
        raise _error("unexpected text after the address")
    if len(text.encode("utf-8")) + 2 > MAX_PATH_OCTETS:
        raise _error("the address is longer than 254 octets")  # RFC 5321 §4.5.3.1.3
    if not smtputf8 and not text.isascii():
        raise NonAsciiAddressError(
            _ADDRESS_SYNTAX.with_text("Non-ASCII address requires SMTPUTF8"),
            "a non-ASCII address requires SMTPUTF8",
        )
    return mailbox


def parse_ehlo_domain(text: str) -> str:
    """Check the argument of EHLO/HELO and return it as sent.

    RFC 5321 §4.1.1.1: ``Domain / address-literal``; RFC 6531 §3.7.1: ASCII only (A-labels),
    since the client cannot know yet whether SMTPUTF8 is offered. Two leniencies, because
    refusing them would only lose mail from real clients and nothing trusts this name:
    underscores in labels (Windows machine names) and one trailing dot.
    """
    if not text.isascii():
        raise _error("the EHLO domain must be ASCII (use A-labels)")
    if text.startswith("["):
        match = _ADDRESS_LITERAL.fullmatch(text)
        if match is None or _literal_ip(match.group(1)) is None:
            raise _error("invalid address literal")
        return text
    domain = text[:-1] if text.endswith(".") else text
    if not domain:
        raise _error("a domain name is missing")
    _check_domain(domain, lenient=True)
    return text
