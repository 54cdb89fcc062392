"""The header, structure and authentication rules: pure functions of one message.

Each rule takes the message's :class:`~courriel.spam.features.MessageFeatures` and the
:class:`RuleContext` (the authentication results of the delivery, the recipients' domains)
and returns the :class:`~courriel.spam.weights.Hit` values it found, weights from the one
table in ``weights``. :data:`RULES` lists them in the order reports show them;
:func:`run_rules` runs them all.

Must not: look anything up (DNS blocklists, the classifier, reputation and the lists are
``dnsbl``, ``classifier``, ``reputation`` and ``lists``), or keep state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from courriel.mail.address import domain_to_ascii
from courriel.mailauth.results import MethodResult
from courriel.spam.domains import (
    has_known_suffix,
    imitated_brand,
    impersonated_brand,
    lookalike_of,
    mixed_script_label,
    same_organisation,
)
from courriel.spam.features import Attachment, MessageFeatures
from courriel.spam.links import is_ip_address, is_shortener, shown_domain, url_host
from courriel.spam.phrases import matching_sets
from courriel.spam.weights import Hit, hit

# The GTUBE, as Apache SpamAssassin documents it (its sample-spam.txt): a message carrying
# it is spam by definition, so anyone can test that filtering works.
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"

# Extensions Windows (and Java) run when the file is opened.
EXECUTABLE_EXTENSIONS = frozenset(
    {"exe", "scr", "js", "vbs", "bat", "cmd", "com", "pif", "jar", "msi", "ps1", "hta", "lnk"}
)
EXECUTABLE_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-dosexec",
        "application/x-executable",
        "application/vnd.microsoft.portable-executable",
        "application/x-ms-installer",
        "application/x-msi",
        "application/java-archive",
        "application/x-java-archive",
        "application/javascript",
        "application/x-javascript",
        "text/javascript",
        "application/x-vbscript",
        "text/vbscript",
        "application/hta",
        "application/x-bat",
        "application/x-ms-shortcut",
        "application/x-powershell",
    }
)
# Extensions a disguised program pretends to have in front of its real one.
_DECOY_EXTENSIONS = frozenset(
    {
        "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "rtf", "txt", "csv",
        "jpg", "jpeg", "png", "gif", "bmp", "zip", "rar", "htm", "html", "mp3", "mp4", "avi",
    }
)  # fmt: skip
# Office documents that carry macros: the macro-enabled Office Open XML formats (ECMA-376
# with a vbaProject part), by extension and by media type.
MACRO_EXTENSIONS = frozenset(
    {"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppsm", "sldm"}
)
_MACRO_PART = "vbaproject.bin"
# Containers that carry programs past filters that look at the attachment's own type: disk
# images Windows opens with a double click, and OneNote notebooks with embedded files.
CONTAINER_EXTENSIONS = frozenset({"iso", "img", "vhd", "vhdx", "one", "onepkg"})
# Attached web pages: a local page shows a login form no link checker sees ("HTML
# smuggling"); SVG images may carry scripts as well.
HTML_ATTACHMENT_EXTENSIONS = frozenset({"htm", "html", "shtml", "xhtml", "svg", "mht", "mhtml"})
HTML_ATTACHMENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml"})
# A Bitcoin address: Bech32 (BIP 173, "bc1" and 25-87 data characters of its alphabet) or
# Base58Check (version 1 or 3, 25-34 characters of the Base58 alphabet).
# No look-behind in front: a pattern that starts with its first characters lets the search
# skip to them (twice as fast on ordinary text); the character before is checked after.
_BITCOIN_ADDRESS = re.compile(
    r"(?:bc1[02-9ac-hj-np-z]{25,87}|[13][1-9A-HJ-NP-Za-km-z]{25,34})(?![\w])"
)
# Subject prefixes of a reply (RFC 5322 §3.6.5 "Re:", and the usual translations).
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|antw|réf|rép|r)\s*:", re.I)
# HTML_IMAGE_ONLY: fewer readable words than this beside at least one image.
_IMAGE_ONLY_WORDS = 15
_WORD = re.compile(r"\w{2,}")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@((?:[^\W_][\w-]*\.)+[^\W\d_]{2,})")
_DOMAIN_IN_TEXT = re.compile(r"(?<![\w@.-])((?:[^\W_][\w-]*\.)+[^\W\d_]{2,})(?![\w-])")
_BLANKS = re.compile(r"\s+")
# SUBJECT_ALL_CAPS: at least this many letters, so "RE: OK" or an acronym does not count.
_CAPS_LETTERS = 10


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What the rules know besides the message: the authentication results of this
    delivery (None when the message was not checked, e.g. from a logged-in user) and the
    domains of its local recipients (for lookalike detection)."""

    auth_results: Sequence[MethodResult] | None = None
    recipient_domains: tuple[str, ...] = ()

    def result(self, method: str) -> MethodResult | None:
        """The first result of ``method``, or None."""
        for found in self.auth_results or ():
            if found.method == method:
                return found
        return None

    def results(self, method: str) -> list[MethodResult]:
        return [found for found in self.auth_results or () if found.method == method]

    @property
    def dmarc_failed(self) -> bool:
        dmarc = self.result("dmarc")
        return dmarc is not None and dmarc.result == "fail"


Rule = Callable[[MessageFeatures, RuleContext], list[Hit]]


def gtube(features: MessageFeatures, _context: RuleContext) -> list[Hit]:
    """The GTUBE test string anywhere in the readable text."""
    return [hit("GTUBE")] if GTUBE in features.text else []


def authentication(_features: MessageFeatures, context: RuleContext) -> list[Hit]:
    """SPF (RFC 7208 §2.6), DKIM (RFC 6376 §6.1), DMARC (RFC 7489 §6.6.2) and iprev
    (RFC 8601 §3) results of this delivery."""
    if context.auth_results is None:
        return []
    hits = []
    spf = context.result("spf")
    spf_result = spf.result if spf is not None else "none"
    if spf_result == "fail":
        hits.append(hit("SPF_FAIL", _identity(spf, "smtp.mailfrom")))
    elif spf_result == "softfail":
        hits.append(hit("SPF_SOFTFAIL", _identity(spf, "smtp.mailfrom")))
    dkim = context.results("dkim")
    dkim_passed = any(result.result == "pass" for result in dkim)
    failed = [result for result in dkim if result.result == "fail"]
    if failed and not dkim_passed:  # one good signature is enough (lists add broken ones)
        hits.append(hit("DKIM_FAIL", _identity(failed[0], "header.d")))
    dmarc = context.result("dmarc")
    if dmarc is not None and dmarc.result == "fail":
        hits.append(hit("DMARC_FAIL", _identity(dmarc, "header.from")))
    elif dmarc is not None and dmarc.result == "pass":
        hits.append(hit("DMARC_PASS", _identity(dmarc, "header.from")))
    transient = any(result.result == "temperror" for result in context.auth_results)
    if spf_result not in ("pass", "fail", "softfail") and not dkim_passed and not transient:
        hits.append(hit("NO_AUTHENTICATION"))
    iprev = context.result("iprev")
    if iprev is not None and iprev.result in ("fail", "permerror"):
        hits.append(hit("IPREV_FAIL", _identity(iprev, "policy.iprev")))
    return hits


def _identity(result: MethodResult | None, name: str) -> str:
    value = result.property(name) if result is not None else None
    return value or ""


def from_display_name(features: MessageFeatures, _context: RuleContext) -> list[Hit]:
    """A From display name that names a brand phishing imitates (``domains.BRANDS``) from
    another organisation's domain (``"PayPal" <x@elsewhere.example>``), or shows an
    address or a domain of another organisation than the address it is sent from
    (``"service@bank.example" <x@elsewhere.example>``)."""
    sender = features.from_address
    if sender is None or not sender.name or not sender.domain:
        return []
    name = sender.name
    shown = _name_shows_other_domain(name, sender.addr_spec, sender.domain)
    if shown:  # the address or domain shown is the stronger evidence; one hit is enough
        return shown
    brand = impersonated_brand(name, domain_to_ascii(sender.domain))
    if brand is not None:
        return [hit("FROM_NAME_BRAND", f'"{name}" names {brand}, sent from {sender.addr_spec}')]
    return []


def _name_shows_other_domain(name: str, addr_spec: str, sender_domain: str) -> list[Hit]:
    for match in _EMAIL_IN_TEXT.finditer(name):
        shown = domain_to_ascii(match.group(1)).lower()
        if not same_organisation(shown, sender_domain):
            return [hit("FROM_NAME_HAS_ADDRESS", f'"{name}" sent from {addr_spec}')]
    if "@" in name:
        return []
    for match in _DOMAIN_IN_TEXT.finditer(name):
        shown = domain_to_ascii(match.group(1)).lower()
        if has_known_suffix(shown) and not same_organisation(shown, sender_domain):
            return [hit("FROM_NAME_HAS_DOMAIN", f'"{name}" sent from {addr_spec}')]
    return []


def from_domain(features: MessageFeatures, context: RuleContext) -> list[Hit]:
    """A From domain mixing scripts in a label (IDN homograph), or imitating one of the
    recipients' own domains or a brand phishing imitates with lookalike characters."""
    sender = features.from_address
    if sender is None or not sender.domain:
        return []
    domain = sender.domain.lower()
    hits = []
    label = mixed_script_label(domain)
    if label is not None:
        hits.append(hit("FROM_DOMAIN_MIXED_SCRIPT", f"{label} in {domain_to_ascii(domain)}"))
    imitated = lookalike_of(domain_to_ascii(domain), context.recipient_domains)
    if imitated is not None:
        hits.append(hit("FROM_LOOKALIKE_DOMAIN", f"{domain_to_ascii(domain)} for {imitated}"))
    brand = imitated_brand(domain_to_ascii(domain))
    if brand is not None:
        hits.append(hit("FROM_DOMAIN_IMITATES_BRAND", f"{domain_to_ascii(domain)} for {brand}"))
    return hits


def reply_to(features: MessageFeatures, _context: RuleContext) -> list[Hit]:
    """Replies diverted to another organisation than the sender's. Mailing-list posts
    (with ``List-Id``, RFC 2919) are left alone: lists set Reply-To to themselves."""
    sender = features.from_address
    if sender is None or not sender.domain or features.has_field("List-Id"):
        return []
    for address in features.reply_to:
        if address.domain and not same_organisation(address.domain, sender.domain):
            return [hit("REPLY_TO_OTHER_DOMAIN", f"{address.addr_spec} for {sender.addr_spec}")]
    return []


def header_fields(features: MessageFeatures, _context: RuleContext) -> list[Hit]:
    """Fields every sender's software writes (RFC 5322 §3.6: From and Date are required,
    Message-ID SHOULD be present), the subject (in capitals; "Re:" without the fields of a
    reply), and a bulk mailing hidden in Bcc (no To, or ``undisclosed-recipients:;``)."""
    hits = []
    if features.from_address is None:
        hits.append(hit("MISSING_FROM"))
    if not features.has_field("Date"):
        hits.append(hit("MISSING_DATE"))
    if not features.has_field("Message-ID"):
        hits.append(hit("MISSING_MESSAGE_ID"))
    subject = features.subject.strip()
    if not subject:
        hits.append(hit("MISSING_SUBJECT"))
    letters = [character for character in subject if character.isalpha()]
    if len(letters) >= _CAPS_LETTERS and all(character.isupper() for character in letters):
        hits.append(hit("SUBJECT_ALL_CAPS"))
    # RFC 5322 §3.6.4: a reply carries In-Reply-To and References naming its parent.
    if (
        _REPLY_PREFIX.match(subject)
        and not features.has_field("In-Reply-To")
        and not features.has_field("References")
    ):
        hits.append(hit("FAKE_REPLY", subject[:60]))
    to = features.field_value("To")
    if to is None or to.strip().lower().startswith("undisclosed-recipients"):
        hits.append(hit("UNDISCLOSED_RECIPIENTS"))
    return hits


def links(features: MessageFeatures, context: RuleContext) -> list[Hit]:
    """Links whose visible text names another organisation's domain than the one they go
    to, links to bare IP addresses, to URL shorteners (which hide the destination) and to
    hosts mixing scripts in a label (IDN homographs). A text naming the sender's own domain
    is taken as a tracking redirect unless the sender's DMARC failed."""
    hits = []
    sender = features.from_address
    sender_domain = sender.domain if sender is not None and sender.domain else None
    mismatches = []
    for link in features.links:
        target = url_host(link.href)
        shown = shown_domain(link.text)
        if target is None or shown is None or shown == target:
            continue
        if not is_ip_address(shown) and not has_known_suffix(shown):
            continue
        if is_ip_address(target) or not same_organisation(shown, target):
            trusted_redirect = (
                sender_domain is not None
                and not context.dmarc_failed
                and same_organisation(shown, sender_domain)
            )
            if not trusted_redirect:
                mismatches.append((shown, target))
    if mismatches:
        shown, target = mismatches[0]
        more = f" (and {len(mismatches) - 1} more)" if len(mismatches) > 1 else ""
        hits.append(hit("LINK_TEXT_MISMATCH", f"shows {shown}, goes to {target}{more}"))
    hosts = [host for host in map(url_host, features.urls) if host is not None]
    address = next((host for host in hosts if is_ip_address(host)), None)
    if address is not None:
        hits.append(hit("LINK_TO_IP_ADDRESS", address))
    shortened = next((host for host in hosts if is_shortener(host)), None)
    if shortened is not None:
        hits.append(hit("LINK_SHORTENER", shortened))
    for host in hosts:
        label = None if is_ip_address(host) else mixed_script_label(host)
        if label is not None:
            hits.append(hit("LINK_MIXED_SCRIPT", f"{label} in {host}"))
            break
    return hits


def executable_extension(filename: str) -> tuple[str, str | None] | None:
    """For a file name Windows would run: its extension and the decoy extension in front
    of it (``invoice.pdf.exe`` → ``("exe", "pdf")``), else None. Blanks and trailing dots,
    which Windows ignores, are dropped first."""
    name = _BLANKS.sub("", filename).rstrip(".").lower()
    pieces = name.split(".")
    if len(pieces) < 2 or pieces[-1] not in EXECUTABLE_EXTENSIONS:
        return None
    decoy = pieces[-2] if len(pieces) >= 3 and pieces[-2] in _DECOY_EXTENSIONS else None
    return pieces[-1], decoy


def attachments(features: MessageFeatures, _context: RuleContext) -> list[Hit]:
    """Attached programs and scripts, by name (extension) or by media type, programs
    disguised with a second extension (``invoice.pdf.exe``) or inside a ZIP archive,
    macro-enabled Office documents, disk images and OneNote notebooks, and web pages."""
    executable: Attachment | None = None
    disguised: Attachment | None = None
    archived: tuple[Attachment, str] | None = None
    found_kinds: dict[str, Attachment] = {}
    for attachment in features.attachments:
        found = executable_extension(attachment.filename) if attachment.filename else None
        if found is not None or attachment.content_type in EXECUTABLE_TYPES:
            executable = executable or attachment
        if found is not None and found[1] is not None:
            disguised = disguised or attachment
        member = next((name for name in attachment.members if executable_extension(name)), None)
        if member is not None and archived is None:
            archived = (attachment, member)
        kind = _risky_kind(attachment)
        if kind is not None:
            found_kinds.setdefault(kind, attachment)
    hits = []
    if executable is not None:
        hits.append(hit("EXECUTABLE_ATTACHMENT", _attachment_text(executable)))
    if disguised is not None:
        hits.append(hit("EXECUTABLE_DOUBLE_EXTENSION", _attachment_text(disguised)))
    if archived is not None:
        hits.append(hit("ARCHIVE_WITH_EXECUTABLE", f"{archived[1]} in {archived[0].filename}"))
    hits.extend(hit(kind, _attachment_text(found)) for kind, found in found_kinds.items())
    return hits


def _risky_kind(attachment: Attachment) -> str | None:
    """The rule for an attachment that is a macro document, a container or a web page."""
    extension = _BLANKS.sub("", attachment.filename).rstrip(".").lower().rpartition(".")[2]
    if (
        extension in MACRO_EXTENSIONS
        or "macroenabled" in attachment.content_type
        or any(name.lower().endswith(_MACRO_PART) for name in attachment.members)
    ):
        return "MACRO_ATTACHMENT"
    if extension in CONTAINER_EXTENSIONS:
        return "CONTAINER_ATTACHMENT"
    if extension in HTML_ATTACHMENT_EXTENSIONS or (
        attachment.filename and attachment.content_type in HTML_ATTACHMENT_TYPES
    ):
        return "HTML_ATTACHMENT"
    return None


def _attachment_text(attachment: Attachment) -> str:
    name = attachment.filename or "(no name)"
    return f"{name} ({attachment.content_type})"


def html_only(features: MessageFeatures, _context: RuleContext) -> list[Hit]:
    """HTML with no plain-text alternative (RFC 2046 §5.1.4 multipart/alternative), and
    HTML that shows images with next to no text (the words are in the picture, where no
    filter reads them)."""
    hits = [hit("HTML_ONLY")] if features.html_only else []
    if features.html_images and len(_WORD.findall(features.text[:2000])) < _IMAGE_ONLY_WORDS:
        hits.append(hit("HTML_IMAGE_ONLY", f"{features.html_images} image(s)"))
    return hits


def content_phrases(features: MessageFeatures, _context: RuleContext) -> list[Hit]:
    """The stock phrases of a kind of fraud (``phrases.PHRASE_SETS``), at least two of the
    same kind in the subject and text."""
    return [
        hit(phrase_set.rule, ", ".join(f'"{phrase}"' for phrase in found[:4]))
        for phrase_set, found in matching_sets(features.subject, features.text)
    ]


def bitcoin_address(features: MessageFeatures, _context: RuleContext) -> list[Hit]:
    """A Bitcoin address in the text: where extortion and fake giveaways want the money."""
    text = features.text
    for match in _BITCOIN_ADDRESS.finditer(text):
        start = match.start()
        if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
            continue  # inside a word: the address must stand alone
        address = match.group(0)
        # Base58 addresses mix cases; a run of digits and capitals is some other code.
        if address.startswith("bc1") or (address.lower() != address != address.upper()):
            return [hit("BITCOIN_ADDRESS", address)]
    return []


RULES: tuple[Rule, ...] = (
    gtube,
    authentication,
    from_display_name,
    from_domain,
    reply_to,
    header_fields,
    links,
    attachments,
    html_only,
    content_phrases,
    bitcoin_address,
)


def run_rules(features: MessageFeatures, context: RuleContext) -> list[Hit]:
    """Every rule's hits, in the order of :data:`RULES`."""
    return [found for rule in RULES for found in rule(features, context)]
