"""Email addresses: RFC 5322 §3.4 address lists, parsed tolerantly, and IDNA helpers.

Owns: turning an address header value (From, To, Cc, ...) into :class:`Address` records
shaped like the IMAP ENVELOPE address structure (RFC 9051 §7.5.2 and §9 ``address``):
display name, obsolete source route (RFC 5322 §4.4 obs-route), local part, domain. Groups
(RFC 5322 §3.4 ``group``) become a start marker (local part = group name, domain None) and
an end marker (all None), as IMAP requires. Also formats addresses back to text and maps
domains between Unicode and ASCII (RFC 5890 A-labels) without raising.

Tolerated: display names with encoded words (kept raw here; decode with
``decode_encoded_words``), quoted local parts, nested comments (a comment is used as the
name when there is no phrase, ``bob@x (Bob)``), obsolete routes ``<@a,@b:x@y>``, missing
domains (domain ``""``, never None, so it cannot look like a group marker), unbalanced
quotes and brackets, stray specials.

Must not: decode RFC 2047 words into the record (IMAP sends names undecoded), or raise.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# A header with 100,000 addresses must not cost seconds at ingest: at most this many
# addresses, read from at most this many characters.
MAX_ADDRESSES = 1_000
MAX_ADDRESS_TEXT = 64 * 1024

_TOKENS = re.compile(
    r"""[ \t\r\n]*(?:
      "((?:[^"\\]|\\.)*)"?            # 1 quoted-string content (unterminated tolerated)
    | (\[(?:[^\[\]\\]|\\.)*\]?)       # 2 domain-literal
    | ([,:;@<>])                      # 3 specials with structure
    | ([^\s"(),:;@<>\[\]\\]+)         # 4 atom or dot-atom (obs-phrase dots included)
    | (\()                            # 5 comment start, scanned by hand (nesting)
    | ([\\)\]])                       # 6 stray character, ignored
    )""",
    re.S | re.X,
)
_QUOTED_PAIR = re.compile(r"\\(.)", re.S)
# The common shapes — ``Name <a@b>``, ``"Name" <a@b>``, ``a@b`` — one regex match each;
# anything else (groups, comments, routes, escapes, odd specials) takes the tokenizer.
_ADDR_CHARS = r'[^\s<>@",:;()\[\]\\]+'
_SIMPLE_ADDRESS = re.compile(
    r'[ \t]*(?:(?:"([^"\\]*)"|([^\s",:;<>@()\[\]\\][^",:;<>@()\[\]\\]*?))?[ \t]*'
    rf"<({_ADDR_CHARS})@({_ADDR_CHARS})>|({_ADDR_CHARS})@({_ADDR_CHARS}))[ \t]*(?:,|\Z)"
)
_DOT_ATOM = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\x80-\U0010ffff]+"
    r"(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\x80-\U0010ffff]+)*"
)
_PHRASE_SAFE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\x80-\U0010ffff. \t]*")

# Token kinds.
_WORD = 0  # atom or quoted string
_QUOTED = 1
_LITERAL = 2
_SPECIAL = 3
_COMMENT = 4


class Address(NamedTuple):
    """One IMAP ENVELOPE address (RFC 9051 §7.5.2).

    ``name`` is the display name as written (encoded words not decoded), ``route`` the
    obsolete source route (``"@a,@b"``), ``local`` the unquoted local part, ``domain`` the
    domain as written (``""`` when missing). A group start has ``local`` = group name and
    ``domain`` None; a group end has every field None. A NamedTuple: immutable, five times
    cheaper to build than a frozen dataclass, in the field order of the IMAP structure.
    """

    name: str | None
    route: str | None
    local: str | None
    domain: str | None

    @property
    def is_group_start(self) -> bool:
        return self.domain is None and self.local is not None

    @property
    def is_group_end(self) -> bool:
        return self.domain is None and self.local is None

    @property
    def is_mailbox(self) -> bool:
        return self.domain is not None

    @property
    def addr_spec(self) -> str:
        """``local@domain`` with the local part quoted when needed (RFC 5322 §3.4.1)."""
        local = _quote_local(self.local or "")
        return f"{local}@{self.domain}" if self.domain else local


def _quote_local(local: str) -> str:
    if _DOT_ATOM.fullmatch(local):
        return local
    escaped = local.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _read_comment(text: str, pos: int) -> tuple[str, int]:
    """Read a (possibly nested) comment whose "(" is at ``pos - 1``; return text, new pos."""
    depth = 1
    out: list[str] = []
    length = len(text)
    while pos < length:
        char = text[pos]
        pos += 1
        if char == "\\" and pos < length:
            out.append(text[pos])
            pos += 1
        elif char == "(":
            depth += 1
            out.append(char)
        elif char == ")":
            depth -= 1
            if depth == 0:
                break
            out.append(char)
        else:
            out.append(char)
    return "".join(out), pos


def _tokenize(text: str) -> list[tuple[int, str]]:
    tokens: list[tuple[int, str]] = []
    pos = 0
    length = len(text)
    match_at = _TOKENS.match
    while pos < length:
        match = match_at(text, pos)
        if match is None or match.end() == pos:
            break
        pos = match.end()
        group = match.lastindex
        if group == 1:
            value = match.group(1)
            if "\\" in value:
                value = _QUOTED_PAIR.sub(r"\1", value)
            tokens.append((_QUOTED, value))
        elif group == 2:
            tokens.append((_LITERAL, match.group(2)))
        elif group == 3:
            tokens.append((_SPECIAL, match.group(3)))
        elif group == 4:
            tokens.append((_WORD, match.group(4)))
        elif group == 5:
            comment, pos = _read_comment(text, pos)
            tokens.append((_COMMENT, comment))
    return tokens


def _phrase(tokens: list[tuple[int, str]]) -> str | None:
    words = [value for kind, value in tokens if kind in (_WORD, _QUOTED, _LITERAL)]
    if not words:
        return None
    name = " ".join(words).strip()
    return name or None


def _joined(tokens: list[tuple[int, str]]) -> str:
    return "".join(value for kind, value in tokens if kind != _COMMENT)


def _mailbox(tokens: list[tuple[int, str]]) -> Address | None:
    """One mailbox from its tokens: name-addr, addr-spec, or whatever is there."""
    comment = None
    for kind, value in tokens:
        if kind == _COMMENT and value.strip():
            comment = " ".join(value.split())
    open_at = next((i for i, (k, v) in enumerate(tokens) if k == _SPECIAL and v == "<"), -1)
    route: str | None = None
    if open_at >= 0:
        name = _phrase(tokens[:open_at])
        close_at = next(
            (
                i
                for i in range(open_at + 1, len(tokens))
                if tokens[i][0] == _SPECIAL and tokens[i][1] == ">"
            ),
            len(tokens),
        )
        inner = tokens[open_at + 1 : close_at]
        # RFC 5322 §4.4 obs-angle-addr: [obs-route] addr-spec, obs-route = obs-domain-list ":"
        if inner and inner[0] == (_SPECIAL, "@"):
            colon = next((i for i, t in enumerate(inner) if t == (_SPECIAL, ":")), -1)
            if colon >= 0:
                route = _joined(inner[:colon]) or None
                inner = inner[colon + 1 :]
        spec = inner
    else:
        name = None
        spec = tokens
    at = next((i for i, t in enumerate(spec) if t == (_SPECIAL, "@")), -1)
    if at >= 0:
        local = _joined([t for t in spec[:at] if t[0] != _SPECIAL])
        domain = _joined([t for t in spec[at + 1 :] if t[0] != _SPECIAL or t[1] == "@"])
    elif open_at >= 0:
        local = _joined([t for t in spec if t[0] != _SPECIAL])
        domain = ""
    else:
        words = [value for kind, value in spec if kind in (_WORD, _QUOTED, _LITERAL)]
        local = " ".join(words)
        domain = ""
    if name is None and comment is not None:
        name = comment
    if not local and not domain and name is None:
        return None
    return Address(name, route, local, domain)


def _parse_simple(text: str, max_addresses: int) -> tuple[Address, ...] | None:
    """The fast path: the list parsed by one regex per address, or None to fall back."""
    out: list[Address] = []
    pos = 0
    length = len(text)
    match_at = _SIMPLE_ADDRESS.match
    while pos < length and len(out) < max_addresses:
        match = match_at(text, pos)
        if match is None:
            return None
        quoted, phrase, local, domain, bare_local, bare_domain = match.groups()
        if local is not None:
            if quoted is not None:
                name = quoted.strip()
            elif phrase is not None:
                name = " ".join(phrase.split())
            else:
                name = None
            out.append(Address(name or None, None, local, domain))
        else:
            out.append(Address(None, None, bare_local, bare_domain))
        pos = match.end()
    return tuple(out)


def parse_address_list(text: str, *, max_addresses: int = MAX_ADDRESSES) -> tuple[Address, ...]:
    """Parse an RFC 5322 §3.4 address-list (groups allowed anywhere, RFC 6854)."""
    if not text or text.isspace():
        return ()
    text = text[:MAX_ADDRESS_TEXT]
    simple = _parse_simple(text, max_addresses)
    if simple is not None:
        return simple
    return parse_address_list_slow(text, max_addresses=max_addresses)


def parse_address_list_slow(
    text: str, *, max_addresses: int = MAX_ADDRESSES
) -> tuple[Address, ...]:
    """The general tokenizing parser behind :func:`parse_address_list` (exposed for tests)."""
    tokens = _tokenize(text)
    out: list[Address] = []
    current: list[tuple[int, str]] = []
    in_group = False
    depth = 0  # inside <...>
    for token in tokens:
        if len(out) >= max_addresses:
            break
        kind, value = token
        if kind == _SPECIAL:
            if value == "<":
                depth += 1
            elif value == ">":
                depth = max(0, depth - 1)
            elif depth == 0 and value == ",":
                mailbox = _mailbox(current)
                if mailbox is not None:
                    out.append(mailbox)
                current = []
                continue
            elif depth == 0 and value == ":" and not in_group:
                group_name = _phrase(current) or ""
                out.append(Address(None, None, group_name, None))
                in_group = True
                current = []
                continue
            elif depth == 0 and value == ";":
                mailbox = _mailbox(current)
                if mailbox is not None:
                    out.append(mailbox)
                current = []
                if in_group:
                    out.append(Address(None, None, None, None))
                    in_group = False
                continue
        current.append(token)
    if len(out) < max_addresses:
        mailbox = _mailbox(current)
        if mailbox is not None:
            out.append(mailbox)
    if in_group:
        out.append(Address(None, None, None, None))
    return tuple(out)


def _quote_phrase(name: str) -> str:
    if _PHRASE_SAFE.fullmatch(name) and not name.startswith(".") and ".." not in name:
        return name
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def format_address(address: Address) -> str:
    """One address as RFC 5322 text: ``Name <local@domain>``, ``local@domain``, or a group
    marker (``Name:`` / ``;``)."""
    if address.is_group_end:
        return ";"
    if address.is_group_start:
        return f"{_quote_phrase(address.local or '')}:"
    spec = address.addr_spec
    if address.route:
        spec = f"{address.route}:{spec}"
    if address.name:
        return f"{_quote_phrase(address.name)} <{spec}>"
    return f"<{spec}>" if address.route else spec


def format_address_list(addresses: tuple[Address, ...] | list[Address]) -> str:
    """An address list as RFC 5322 text, groups included: ``G: a@x, b@y;, c@z``."""
    parts: list[str] = []
    members: list[str] | None = None
    for address in addresses:
        if address.is_group_start:
            members = []
            parts.append(format_address(address))
        elif address.is_group_end:
            if members is not None:
                parts[-1] = f"{parts[-1]} {', '.join(members)};" if members else f"{parts[-1]};"
            members = None
        elif members is not None:
            members.append(format_address(address))
        else:
            parts.append(format_address(address))
    if members is not None and parts:
        parts[-1] = f"{parts[-1]} {', '.join(members)};" if members else f"{parts[-1]};"
    return ", ".join(parts)


def domain_to_ascii(domain: str) -> str:
    """A domain in ASCII (IDNA A-labels, RFC 5891); labels that cannot convert stay as-is."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        pass
    labels = []
    for label in domain.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except (UnicodeError, ValueError):
            try:
                labels.append("xn--" + label.lower().encode("punycode").decode("ascii"))
            except (UnicodeError, ValueError):  # pragma: no cover - punycode encodes any str
                labels.append(label)
    return ".".join(labels)


def domain_to_unicode(domain: str) -> str:
    """A domain with its ``xn--`` labels decoded to Unicode; bad labels stay as-is."""
    if "xn--" not in domain.lower():
        return domain
    labels = []
    for label in domain.split("."):
        if label[:4].lower() == "xn--":
            try:
                labels.append(label[4:].encode("ascii").decode("punycode"))
                continue
            except (UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)
