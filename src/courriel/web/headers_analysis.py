"""What the header of one message says about where it came from ("Show original").

:func:`analyze_headers` takes the raw message bytes and the server's own host name (the
authserv-id of the ``Authentication-Results`` fields it writes) and returns a
:class:`HeaderAnalysis`: pure, no I/O.

- the ``Received:`` path hop by hop, oldest first (RFC 5321 §4.4: each MTA *prepends* its
  stamp, so the last field is the first hop): from which host/IP, by which host, the
  protocol, the TLS version and cipher when the line records them (RFC 8314 §7, the comment
  ``mail.received`` writes, Postfix's ``using TLSv1.3 with cipher``, Gmail's
  ``version=TLS1_3 cipher=...``), the date and the delay since the previous hop;
- the results of our own ``Authentication-Results`` fields only (RFC 8601 §5: a field
  with another authserv-id is somebody else's claim and proves nothing; they are counted,
  not shown as results);
- the spam score and every rule that fired (``X-Spam-Score``, ``X-Spam-Status``,
  ``X-Spam-Report`` as ``spam.verdict`` writes them: the filter removes copies a sender
  wrote, so the ones present are ours), and ``X-Virus-Scan``;
- warnings when the visible sender (From) is not the real one: envelope sender
  (``Return-Path``, RFC 5321 §4.4) in another domain, or DMARC (RFC 7489) not passing for
  the From domain.

Only the hops below our own are the sender's word: a sender can write any ``Received:``
field before handing the message over; the page says so.

Must not: read the store, speak HTTP or render anything.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace

from courriel.mail.address import parse_address_list
from courriel.mail.dates import parse_date
from courriel.mail.headers import HeaderField, find_header_end, split_header_fields, unfold
from courriel.mailauth.authresults import read_authserv_id
from courriel.mailauth.results import MethodResult

MAX_HOPS = 50
"""``Received:`` fields analysed (a loop makes many more; the raw source shows them all)."""

_TLS_VERSION = re.compile(
    r"\b(TLS\s?v?1(?:[._]\d)?|TLS1_\d|SSLv[23]|version=(TLS1_\d|TLSv?1\.\d))\b", re.I
)
_CIPHER = re.compile(
    r"\b(TLS_[A-Z0-9_]+|(?:ECDHE|DHE|AES|CHACHA20|ECDH|RSA)[A-Z0-9-]*-[A-Z0-9-]+)\b"
)
_KEYWORDS = frozenset({"from", "by", "via", "with", "id", "for"})
_RULE = re.compile(r"^\*\s+(-?\d+(?:\.\d+)?)\s+(\S+)\s*(.*)$")
_STATUS_NUMBER = re.compile(r"\b(score|required)=(-?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Hop:
    """One ``Received:`` field."""

    from_helo: str | None
    """The name the client gave in HELO/EHLO (its own claim, RFC 5321 §3.7.2)."""
    from_host: str | None
    """The reverse DNS name the receiving server recorded, when it did."""
    from_ip: str | None
    by_host: str | None
    protocol: str | None
    tls_version: str | None
    tls_cipher: str | None
    encrypted: bool
    """TLS recorded: a version, a cipher, or an ``S`` protocol (RFC 3848 §2)."""
    queue_id: str | None
    date: int | None
    """Seconds since the epoch, None when the date is missing or unreadable."""
    delay: int | None
    """Seconds since the previous (older) hop; None for the first or without dates."""
    ours: bool
    """Added by this server (``by`` our host name)."""
    text: str
    """The whole field, unfolded."""

    @property
    def shown_helo(self) -> str | None:
        """The HELO name, unless it only repeats the IP address (``[192.0.2.1]``)."""
        if self.from_helo and self.from_ip and _ip_in(self.from_helo) == self.from_ip:
            return None
        return self.from_helo


@dataclass(frozen=True)
class SpamRule:
    weight: float
    name: str
    description: str


@dataclass(frozen=True)
class SenderWarning:
    """A reason to doubt the visible sender: a message key of ``i18n`` and its values."""

    key: str
    values: dict[str, str]


@dataclass(frozen=True)
class HeaderAnalysis:
    hops: list[Hop]
    """Oldest first."""
    authserv_id: str
    auth_results: list[MethodResult]
    """From our own ``Authentication-Results`` fields, in their order."""
    checked: bool
    """One of our ``Authentication-Results`` fields was found."""
    foreign_results: int
    """``Authentication-Results`` fields of other authserv-ids, ignored."""
    spam_score: float | None
    spam_required: float | None
    is_spam: bool | None
    spam_rules: list[SpamRule]
    virus_scan: str | None
    from_addresses: list[str]
    from_domains: list[str]
    return_path: str | None
    """The envelope sender without its angle brackets; ``""`` for the null sender."""
    warnings: list[SenderWarning] = field(default_factory=list)

    def result(self, method: str) -> MethodResult | None:
        return next((r for r in self.auth_results if r.method == method), None)


# -- Received (RFC 5321 §4.4) -------------------------------------------------------------


def _words(text: str) -> list[str]:
    """Words and whole comments (``(...)``, nested) of a stamp, in order."""
    out: list[str] = []
    position = 0
    while position < len(text):
        character = text[position]
        if character.isspace():
            position += 1
        elif character == "(":
            depth, start = 0, position
            while position < len(text):
                if text[position] == "\\":
                    position += 2
                    continue
                if text[position] == "(":
                    depth += 1
                elif text[position] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                position += 1
            out.append(text[start : position + 1])
            position += 1
        else:
            start = position
            while position < len(text) and not text[position].isspace() and text[position] != "(":
                position += 1
            out.append(text[start:position])
    return out


def _clauses(stamp: str) -> dict[str, list[str]]:
    """The stamp's clauses by keyword, each its words and comments (first one wins)."""
    clauses: dict[str, list[str]] = {}
    current: list[str] | None = None
    for word in _words(stamp):
        keyword = word.lower()
        if keyword in _KEYWORDS and keyword not in clauses:
            current = clauses[keyword] = []
        elif current is not None:
            current.append(word)
    return clauses


def _ip_in(text: str) -> str | None:
    """The first IP address in ``text``: ``[192.0.2.1]``, ``[IPv6:2001:db8::1]``, or bare."""
    for word in re.split(r"[\s()\[\],;=]+", text):
        candidate = word[5:] if word.lower().startswith("ipv6:") else word
        if not candidate or not any(c in candidate for c in ".:"):
            continue
        try:
            address = ipaddress.ip_address(candidate.rstrip("."))
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(address)
    return None


def _from_host(comments: list[str]) -> str | None:
    """The reverse DNS name in ``(name [ip])``: a word of the comment that is a host name."""
    for comment in comments:
        for written in comment.strip("()").split():
            word = written.rstrip(".")
            if word.startswith("[") or "=" in word or _ip_in(word):
                continue
            if "." in word and re.fullmatch(r"[A-Za-z0-9._-]+", word):
                return word
    return None


def _tls(text: str) -> tuple[str | None, str | None]:
    version_match = _TLS_VERSION.search(text)
    version = None
    if version_match is not None:
        version = version_match.group(2) or version_match.group(1)
        version = version.replace("TLS1_", "TLSv1.").replace(" ", "")
        if version.upper().startswith("TLS") and not version.startswith("TLSv"):
            version = "TLSv" + version[3:].lstrip("v")
    cipher_match = _CIPHER.search(text)
    return version, cipher_match.group(1) if cipher_match else None


def parse_received(text: str, own_host: str) -> Hop:
    """One unfolded ``Received:`` value (RFC 5321 §4.4 Stamp: clauses ``;`` date-time)."""
    clauses_text, separator, date_text = text.rpartition(";")
    if not separator:
        clauses_text, date_text = text, ""
    clauses = _clauses(clauses_text)
    from_words = clauses.get("from", [])
    helo = next((w for w in from_words if not w.startswith("(")), None)
    comments = [w for w in from_words if w.startswith("(")]
    from_ip = _ip_in(" ".join(comments)) or (_ip_in(helo) if helo else None)
    by_words = clauses.get("by", [])
    by_host = next((w for w in by_words if not w.startswith("(")), None)
    with_words = clauses.get("with", [])
    protocol = next((w for w in with_words if not w.startswith("(")), None)
    id_words = clauses.get("id", [])
    queue_id = next((w for w in id_words if not w.startswith("(")), None)
    version, cipher = _tls(clauses_text)
    encrypted = bool(version or cipher or (protocol and protocol.upper().rstrip("A").endswith("S")))
    ours = bool(by_host) and _same_host(by_host or "", own_host)
    return Hop(
        from_helo=helo,
        from_host=_from_host(comments),
        from_ip=from_ip,
        by_host=by_host,
        protocol=protocol,
        tls_version=version,
        tls_cipher=cipher,
        encrypted=encrypted,
        queue_id=queue_id.rstrip(";") if queue_id else None,
        date=parse_date(date_text.strip()) if date_text.strip() else None,
        delay=None,
        ours=ours,
        text=text,
    )


def _same_host(a: str, b: str) -> bool:
    return bool(b) and a.strip().rstrip(".").lower() == b.strip().rstrip(".").lower()


def received_path(fields: list[HeaderField], own_host: str) -> list[Hop]:
    """The hops, oldest first, each with its delay after the previous dated one."""
    stamps = [f for f in fields if f.lname == "received"][:MAX_HOPS]
    hops: list[Hop] = []
    previous: int | None = None
    for stamp in reversed(stamps):
        hop = parse_received(_text(stamp), own_host)
        if hop.date is not None and previous is not None:
            hop = replace(hop, delay=hop.date - previous)
        if hop.date is not None:
            previous = hop.date
        hops.append(hop)
    return hops


# -- Authentication-Results (RFC 8601 §2.2) ------------------------------------------------


def _split_outside(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside quoted strings and comments."""
    pieces: list[str] = []
    current: list[str] = []
    depth, quoted, escaped = 0, False, False
    for character in text:
        if escaped:
            escaped = False
        elif character == "\\":
            escaped = True
        elif quoted:
            quoted = character != '"'
        elif character == '"':
            quoted = True
        elif character == "(":
            depth += 1
        elif character == ")" and depth:
            depth -= 1
        elif character == separator and not depth:
            pieces.append("".join(current))
            current = []
            continue
        current.append(character)
    pieces.append("".join(current))
    return pieces


def _comments_and_rest(text: str) -> tuple[list[str], str]:
    comments: list[str] = []
    rest: list[str] = []
    for word in _words(text):
        if word.startswith("("):
            comments.append(" ".join(word[1:-1].split()))
        else:
            rest.append(word)
    return comments, " ".join(rest)


def parse_resinfo(text: str) -> MethodResult | None:
    """``method[/version]=result [(comment)] [reason=...] ptype.property=value ...``."""
    comments, rest = _comments_and_rest(text)
    pairs = re.findall(r'([A-Za-z0-9._/-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)', rest)
    if not pairs:
        return None
    method, result = pairs[0]
    reason = comments[0] if comments else None
    properties: list[tuple[str, str]] = []
    for key, written in pairs[1:]:
        value = written[1:-1].replace('\\"', '"') if written.startswith('"') else written
        if key.lower() == "reason":
            reason = value
        elif "." in key:
            properties.append((key.lower(), value))
    return MethodResult(
        method.split("/")[0].lower(), result.lower(), reason or None, tuple(properties)
    )


def parse_authentication_results(value: str) -> tuple[str | None, list[MethodResult]]:
    """(authserv-id, results) of one unfolded field value; ``none`` gives no results."""
    authserv_id = read_authserv_id(value.encode("utf-8", "replace"))
    pieces = _split_outside(value, ";")
    results = [parse_resinfo(piece) for piece in pieces[1:] if piece.strip()]
    return authserv_id, [r for r in results if r is not None]


# -- spam (spam.verdict) ---------------------------------------------------------------------


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def spam_rules(report: bytes) -> list[SpamRule]:
    """The rules of a folded ``X-Spam-Report`` value: ``* weight NAME description`` lines,
    continuations indented under them."""
    rules: list[SpamRule] = []
    for written in report.decode("utf-8", "replace").splitlines():
        line = written.strip()
        match = _RULE.match(line)
        if match is not None:
            rules.append(SpamRule(float(match.group(1)), match.group(2), match.group(3)))
        elif rules and line and not _STATUS_NUMBER.search(line):
            last = rules[-1]
            rules[-1] = SpamRule(last.weight, last.name, f"{last.description} {line}".strip())
    return rules


# -- the whole analysis ----------------------------------------------------------------------


def _text(header: HeaderField) -> str:
    return " ".join(unfold(header.value).decode("utf-8", "replace").split())


def _first(fields: list[HeaderField], name: str) -> HeaderField | None:
    return next((f for f in fields if f.lname == name), None)


def _domain_of(address: str) -> str:
    return address.rpartition("@")[2].rstrip(".").lower()


def _related(a: str, b: str) -> bool:
    """The same domain, or one under the other (``bounces.example.org`` for ``example.org``)."""
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def analyze_headers(raw: bytes, own_host: str) -> HeaderAnalysis:
    """Everything the page shows about the header of ``raw``."""
    end, _ = find_header_end(raw)
    fields = split_header_fields(raw, 0, end)

    ours: list[MethodResult] = []
    checked = False
    foreign = 0
    for header in fields:
        if header.lname != "authentication-results":
            continue
        authserv_id, results = parse_authentication_results(_text(header))
        if authserv_id is not None and _same_host(authserv_id, own_host):
            checked = True
            ours.extend(results)
        else:
            foreign += 1

    status = _first(fields, "x-spam-status")
    status_text = _text(status) if status is not None else ""
    numbers = dict(_STATUS_NUMBER.findall(status_text))
    score_field = _first(fields, "x-spam-score")
    score = _number(_text(score_field)) if score_field is not None else None
    if score is None:
        score = _number(numbers.get("score"))
    report = _first(fields, "x-spam-report")
    virus = _first(fields, "x-virus-scan")

    from_addresses: list[str] = []
    for header in fields:
        if header.lname == "from":
            from_addresses += [
                a.addr_spec for a in parse_address_list(_text(header)) if a.is_mailbox
            ]
    from_domains = list(dict.fromkeys(_domain_of(a) for a in from_addresses if "@" in a))
    return_field = _first(fields, "return-path")
    return_path = None
    if return_field is not None:
        return_path = _text(return_field).strip().lstrip("<").rstrip(">").strip()

    analysis = HeaderAnalysis(
        hops=received_path(fields, own_host),
        authserv_id=own_host,
        auth_results=ours,
        checked=checked,
        foreign_results=foreign,
        spam_score=score,
        spam_required=_number(numbers.get("required")),
        is_spam=status_text.lower().startswith("yes") if status is not None else None,
        spam_rules=spam_rules(report.value) if report is not None else [],
        virus_scan=_text(virus) if virus is not None else None,
        from_addresses=from_addresses,
        from_domains=from_domains,
        return_path=return_path,
    )
    analysis.warnings.extend(sender_warnings(analysis))
    return analysis


def sender_warnings(analysis: HeaderAnalysis) -> list[SenderWarning]:
    """Why the visible sender may not be the real one."""
    warnings: list[SenderWarning] = []
    shown = ", ".join(analysis.from_addresses)
    if not analysis.from_addresses:
        warnings.append(SenderWarning("original.warn_no_from", {}))
    if len(analysis.from_domains) > 1:
        warnings.append(SenderWarning("original.warn_many_from", {"from": shown}))
    envelope = analysis.return_path
    if envelope and "@" in envelope and analysis.from_domains:
        envelope_domain = _domain_of(envelope)
        if not any(_related(envelope_domain, d) for d in analysis.from_domains):
            warnings.append(
                SenderWarning("original.warn_envelope", {"from": shown, "envelope": envelope})
            )
    dmarc = analysis.result("dmarc")
    if dmarc is not None and dmarc.result != "pass":
        domain = dmarc.property("header.from") or ", ".join(analysis.from_domains)
        warnings.append(
            SenderWarning("original.warn_dmarc", {"domain": domain, "result": dmarc.result})
        )
    return warnings
