"""DMARC for a receiver (RFC 7489): author domain, policy, alignment, and what to do.

:func:`evaluate_dmarc` takes the message as received and the SPF and DKIM results already
computed (``MethodResult`` values) and gives a :class:`DmarcVerdict`: the ``dmarc=`` result
for ``Authentication-Results:`` (with ``header.from``) and, separately, the
:class:`DmarcDecision` (disposition none / quarantine / reject, and why). Steps (§6.6.2):

1. the author domain from the one RFC 5322 From field (§6.6.1; see :func:`author_domains`
   for messages with no, several or multi-address From fields);
2. the policy record at ``_dmarc.<author domain>``, else at its organisational domain
   (§6.6.3; :func:`discover_policy`), parsed by :func:`parse_record` (§6.3, §6.4);
3. identifier alignment (§3.1) of the SPF MAIL FROM domain and each passing DKIM ``d=``,
   relaxed (same organisational domain, §3.2, from the Public Suffix List) or strict;
4. the result (RFC 7489 §11.2 names, RFC 8601 §2.7): ``pass`` when an aligned identifier
   passed, ``temperror`` when an aligned identifier or the policy lookup failed temporarily
   (§6.6.2: the policy cannot be applied then), ``none`` without a policy, ``permerror``
   for an unusable record or From field, else ``fail``;
5. for ``fail``: ``p=`` (or ``sp=`` when the record came from the organisational domain
   for a subdomain, §6.3), sampled by ``pct=`` (§6.6.4, with an injected random source).

:func:`override_for_arc` is the local policy of RFC 8617 §7.2.1: a failing message that
reached us through a trusted ARC sealer with a passing chain is delivered normally; the
``dmarc=fail`` result stays, the override is written in its comment.

Must not: look at the SMTP session, write header fields, or choose SMTP replies (the
delivery pipeline does, from the decision).
"""

from __future__ import annotations

import asyncio
import functools
import random
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from publicsuffixlist import PublicSuffixList

from courriel.dns.resolver import DnsTemporaryError, NonExistentDomain, NoRecords, Resolver
from courriel.mail.address import domain_to_ascii, parse_address_list
from courriel.mail.headers import find_header_end, unfold
from courriel.mailauth.results import MethodResult

Disposition = Literal["none", "quarantine", "reject"]
Alignment = Literal["r", "s"]
Sample = Callable[[], float]
"""A random source: a float in [0, 1) per call (``random.random``; tests pass a seeded one)."""

DISPOSITIONS: tuple[Disposition, ...] = ("none", "quarantine", "reject")
MAX_AUTHOR_DOMAINS = 10
"""Most distinct From domains evaluated; a message with more is not evaluated (see below)."""

_SEVERITY: dict[Disposition, int] = {"none": 0, "quarantine": 1, "reject": 2}
# RFC 7489 §6.6.4: a message not selected by pct= gets "the next policy lower in severity".
_LOWER: dict[Disposition, Disposition] = {
    "reject": "quarantine",
    "quarantine": "none",
    "none": "none",
}
# RFC 7489 §6.4: dmarc-version = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31 — the tag
# name is case-insensitive (an ABNF string), "DMARC1" is not (%x values).
_VERSION = re.compile(r"[ \t]*[vV][ \t]*=[ \t]*DMARC1[ \t]*(?:;|\Z)")
# RFC 7489 §6.4: dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ] (RFC 3986 scheme).
_REPORT_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s!,]+(?:![0-9]+[kKmMgGtT]?)?")
_PERCENT = re.compile(r"[0-9]{1,3}")
# RFC 1035 §2.3.4 sizes; underscores allowed as in DNS data (only the shape matters here).
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_MAX_NAME = 253 - len("_dmarc.")
# A From field (RFC 5322 §3.6.2) with its continuation lines, as mail.headers reads fields;
# the one after a line feed has a literal first character, which the scan skips ahead to.
_FROM_FIELD = rb"[Ff][Rr][Oo][Mm][ \t]*+:([^\n]*+(?:\n[ \t][^\n]*+)*+)"
_FROM_AT_START = re.compile(_FROM_FIELD)
_FROM_AFTER_NEWLINE = re.compile(rb"\n" + _FROM_FIELD)


class InvalidRecord(ValueError):
    """A DMARC record that cannot be used (RFC 7489 §6.6.3 step 6.2)."""


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    """The tags of a policy record that a receiver acts on (RFC 7489 §6.3).

    ``subdomain_policy`` is None when ``sp=`` is absent (then ``p=`` applies to subdomains).
    ``note`` says when the record was repaired (an invalid ``p=`` read as ``none``).
    Reporting tags (``rua``, ``ruf``, ``fo``, ``rf``, ``ri``) are read only to decide that.
    """

    policy: Disposition
    subdomain_policy: Disposition | None = None
    percent: int = 100
    dkim_alignment: Alignment = "r"
    spf_alignment: Alignment = "r"
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyLookup:
    """What policy discovery found for one author domain (RFC 7489 §6.6.3).

    Exactly one of: ``record`` (with ``domain``, where it was published), ``problem``
    (``temporary`` tells a DNS failure from a broken publication), or neither (no policy).
    """

    record: DmarcRecord | None = None
    domain: str | None = None
    problem: str | None = None
    temporary: bool = False


@dataclass(frozen=True, slots=True)
class DmarcDecision:
    """What the receiver should do with the message, and why.

    ``disposition``: what to do after ``pct=`` sampling and local overrides. ``requested``:
    the policy the domain asked for (``p=`` or ``sp=``), None when no policy applies.
    ``domain``: the author domain the decision is about. ``override``: the local policy that
    changed the disposition, if any (RFC 8617 §7.2.1).
    """

    disposition: Disposition
    requested: Disposition | None = None
    domain: str | None = None
    explanation: str = ""
    override: str | None = None


@dataclass(frozen=True, slots=True)
class DmarcVerdict:
    """The ``dmarc=`` result for Authentication-Results and the decision beside it."""

    result: MethodResult
    decision: DmarcDecision


@dataclass(frozen=True, slots=True)
class AuthorDomains:
    """The RFC5322.From domains of a message (RFC 7489 §6.6.1), in A-label form.

    ``problem`` is set when there is nothing to evaluate (no From field, no domain in it).
    ``fields`` is the number of From fields (RFC 5322 §3.6 allows exactly one).
    """

    domains: tuple[str, ...] = ()
    fields: int = 0
    problem: str | None = None


# -- the organisational domain (RFC 7489 §3.2) -------------------------------------------------


@functools.cache
def public_suffixes() -> PublicSuffixList:
    """The Public Suffix List, read once from the copy the publicsuffixlist package ships
    (~0.2 s) and shared by every user (DMARC here, the spam rules' domain checks)."""
    return PublicSuffixList()


@functools.lru_cache(maxsize=4096)
def organizational_domain(domain: str) -> str:
    """The organisational domain of ``domain`` (RFC 7489 §3.2), lower case.

    The public suffix that matches the most labels, plus one label (``mail.example.co.uk``
    → ``example.co.uk``). A domain that is itself a public suffix is its own organisational
    domain. Labels the list does not know form a suffix of one label (the list's ``*``
    rule), so ``a.example.test`` → ``example.test``. Remembered for the last 4,096 names:
    discovery and each alignment check ask again for the same few domains.
    """
    name = domain.strip().rstrip(".").lower()
    return public_suffixes().privatesuffix(name) or name


def aligned(identifier: str, author: str, mode: Alignment) -> bool:
    """Identifier alignment (RFC 7489 §3.1.1, §3.1.2): strict = the same domain, relaxed =
    the same organisational domain."""
    identifier = _normal_domain(identifier)
    author = _normal_domain(author)
    if mode == "s":
        return identifier == author
    return organizational_domain(identifier) == organizational_domain(author)


# -- the policy record (RFC 7489 §6.3, §6.4) ---------------------------------------------------


def is_dmarc_record(text: str) -> bool:
    """True when the TXT record starts with ``v=DMARC1`` (RFC 7489 §6.6.3 step 2)."""
    return _VERSION.match(text) is not None


@functools.lru_cache(maxsize=1024)
def parse_record(text: str) -> DmarcRecord:
    """The policy of a ``v=DMARC1`` record, or ``InvalidRecord``.

    RFC 7489 §6.3: unknown tags are ignored, and syntax errors in tags other than ``v`` and
    ``p`` fall back to the defaults (``pct=100``, ``adkim=r``, ``aspf=r``). The first
    occurrence of a tag counts. A missing or invalid ``p=``, or an invalid ``sp=``, makes
    the record unusable, unless ``rua=`` holds a valid URI: then it reads as ``p=none``
    (§6.6.3 step 6). ``p=`` is accepted anywhere after ``v=``. Remembered for the last
    1,024 texts (a record is immutable).
    """
    if not is_dmarc_record(text):
        raise InvalidRecord("not a DMARC1 record")
    tags: dict[str, str] = {}
    for part in text.split(";")[1:]:
        name, equals, value = part.partition("=")
        if equals:
            tags.setdefault(name.strip(" \t").lower(), value.strip(" \t"))
    policy = _disposition(tags.get("p"))
    subdomain = _disposition(tags.get("sp"))
    if policy is None or ("sp" in tags and subdomain is None):
        problem = "no valid p= tag" if policy is None else "invalid sp= tag"
        if not _has_report_uri(tags.get("rua", "")):
            raise InvalidRecord(problem)
        # RFC 7489 §6.6.3 step 6.1: "act as if a record containing ... p=none was retrieved".
        return DmarcRecord("none", note=f"{problem}, read as p=none (rua= present)")
    percent = tags.get("pct", "100")
    return DmarcRecord(
        policy,
        subdomain,
        int(percent) if _PERCENT.fullmatch(percent) and int(percent) <= 100 else 100,
        _alignment(tags.get("adkim")),
        _alignment(tags.get("aspf")),
    )


def _disposition(value: str | None) -> Disposition | None:
    # RFC 7489 §6.4: "none" / "quarantine" / "reject", ABNF strings: case-insensitive.
    lowered = (value or "").lower()
    for disposition in DISPOSITIONS:
        if lowered == disposition:
            return disposition
    return None


def _alignment(value: str | None) -> Alignment:
    return "s" if (value or "").lower() == "s" else "r"  # RFC 7489 §6.3: default "r"


def _has_report_uri(value: str) -> bool:
    return any(_REPORT_URI.fullmatch(uri.strip()) for uri in value.split(","))


async def discover_policy(author_domain: str, resolver: Resolver) -> PolicyLookup:
    """RFC 7489 §6.6.3: the record at ``_dmarc.<author domain>``, else at the organisational
    domain (if different). Several DMARC records at one name, or an unusable one, are a
    problem (no policy applies, step 5-6); a temporary DNS failure is one too, marked
    ``temporary``."""
    organizational = organizational_domain(author_domain)
    for candidate in dict.fromkeys((author_domain, organizational)):
        name = f"_dmarc.{candidate}"
        try:
            texts = await resolver.txt(name)
        except (NonExistentDomain, NoRecords):
            texts = []
        except DnsTemporaryError as error:
            return PolicyLookup(problem=f"policy lookup failed: {error}", temporary=True)
        # RFC 7489 §6.6.3 steps 2 and 4: records that are not DMARC1 are discarded.
        records = [text for text in texts if is_dmarc_record(text)]
        if len(records) > 1:
            return PolicyLookup(problem=f"{len(records)} DMARC records at {name}")  # step 5
        if records:
            try:
                return PolicyLookup(parse_record(records[0]), candidate)
            except InvalidRecord as error:
                return PolicyLookup(problem=f"unusable DMARC record at {name}: {error}")
    return PolicyLookup()


# -- the author domain (RFC 7489 §6.6.1) -------------------------------------------------------


def author_domains(message: bytes) -> AuthorDomains:
    """The distinct domains of the From field(s) of ``message``, in order.

    RFC 7489 §6.6.1 expects exactly one From field with one domain and leaves the rest to
    the receiver, except for a From field with several addresses: each domain is evaluated
    and the strictest failing policy applies. We apply that same rule to a message with
    several From fields (which RFC 5322 §3.6 forbids, and which a reader's program may show
    either of), so that neither form can hide a failing domain. Addresses without a domain
    claim no domain and are skipped; a message whose From fields hold no domain at all, or
    have none, has ``problem`` set.
    """
    fields = from_field_values(message)
    if not fields:
        return AuthorDomains(problem="no From field")
    domains: list[str] = []
    for value in fields:
        text = unfold(value).decode("utf-8", "replace")
        for address in parse_address_list(text):
            if address.is_mailbox and address.domain:
                domains.append(_normal_domain(address.domain))
    if not domains:
        return AuthorDomains(fields=len(fields), problem="no domain in the From field")
    return AuthorDomains(tuple(dict.fromkeys(domains)), len(fields))


def from_field_values(message: bytes) -> list[bytes]:
    """The raw values of the From fields of ``message``'s header, in order.

    The fields ``mail.headers.split_header_fields`` reads (name, optional blanks, colon,
    continuation lines; RFC 5322 §2.2, §4.5.3), found without splitting every other field
    (nor stopping after its first 10,000): a field starts at the beginning of a line that
    is not a continuation, and a continuation starts with a blank, so every header line
    that starts with ``From`` (any case), optional blanks and a colon is a From field.
    """
    end, _ = find_header_end(message)
    values = []
    first = _FROM_AT_START.match(message, 0, end)
    if first is not None:
        values.append(first.group(1))
    values.extend(match.group(1) for match in _FROM_AFTER_NEWLINE.finditer(message, 0, end))
    return [value.removesuffix(b"\r") for value in values]


def _normal_domain(domain: str) -> str:
    # RFC 7489 §6.6.1: "If the domain is a U-label, the domain name MUST be converted to an
    # A-label ... for further processing."
    return domain_to_ascii(domain.strip().rstrip(".")).lower()


def _valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    return 0 < len(domain) <= _MAX_NAME and all(_LABEL.fullmatch(label) for label in labels)


# -- evaluation (RFC 7489 §6.6.2) --------------------------------------------------------------


async def evaluate_dmarc(
    message: bytes,
    spf: MethodResult,
    dkim: Sequence[MethodResult],
    resolver: Resolver,
    *,
    sample: Sample = random.random,
) -> DmarcVerdict:
    """DMARC for ``message`` (raw bytes as received), given its ``spf=`` result (the MAIL
    FROM identity, or HELO for a null reverse-path, RFC 7208 §2.4) and its ``dkim=``
    results. DNS errors give ``temperror``; nothing here raises for what a message or
    DNS can cause."""
    authors = author_domains(message)
    if authors.problem is not None:
        return _verdict("permerror", None, authors.problem, DmarcDecision("none"))
    if len(authors.domains) > MAX_AUTHOR_DOMAINS:
        # Each domain costs two DNS queries: a message may not make us send hundreds. No
        # honest message has this many authors; quarantine rather than let it hide one.
        reason = f"more than {MAX_AUTHOR_DOMAINS} From domains"
        decision = DmarcDecision("quarantine", None, authors.domains[0], reason)
        return _verdict("permerror", authors.domains[0], reason, decision)
    if len(authors.domains) == 1:  # nearly always: then no task is needed
        verdict = await _evaluate_domain(authors.domains[0], spf, dkim, resolver, sample)
    else:
        verdicts = await asyncio.gather(
            *(_evaluate_domain(domain, spf, dkim, resolver, sample) for domain in authors.domains)
        )
        verdict = max(verdicts, key=_weight)
    if len(authors.domains) > 1 or authors.fields > 1:
        note = f"{len(authors.domains)} From domains in {authors.fields} From field(s)"
        verdict = _with_note(verdict, note)
    return verdict


async def _evaluate_domain(
    author: str,
    spf: MethodResult,
    dkim: Sequence[MethodResult],
    resolver: Resolver,
    sample: Sample,
) -> DmarcVerdict:
    if not _valid_domain(author):
        reason = "From domain is not a domain name"
        return _verdict("permerror", author, reason, _no_disposition(author, reason))
    lookup = await discover_policy(author, resolver)
    if lookup.problem is not None:
        result = "temperror" if lookup.temporary else "permerror"
        decision = _no_disposition(author, lookup.problem)
        return _verdict(result, author, lookup.problem, decision)
    record = lookup.record
    if record is None:
        reason = "no DMARC policy"
        return _verdict("none", author, reason, _no_disposition(author, reason))
    # RFC 7489 §6.3 sp=: the policy for subdomains, read from the organisational domain's
    # record ("sp" on a subdomain's own record never applies to that subdomain itself).
    subdomain = lookup.domain != author
    requested = (record.subdomain_policy or record.policy) if subdomain else record.policy
    policy_text = f"p={record.policy} sp={record.subdomain_policy or record.policy}"
    if record.note:
        policy_text += f" ({record.note})"
    spf_status = _spf_alignment(spf, author, record.spf_alignment)
    dkim_status = _dkim_alignment(dkim, author, record.dkim_alignment)
    # RFC 7489 §4.2: pass when one aligned identifier passed.
    if "pass" in (spf_status, dkim_status):
        which = "SPF" if spf_status == "pass" else "DKIM"
        reason = f"{policy_text} dis=none; aligned {which} passed"
        return _verdict("pass", author, reason, DmarcDecision("none", requested, author, reason))
    # RFC 7489 §6.6.2: "If neither passes and one or both of them fail due to a temporary
    # error, the Receiver ... cannot apply the advertised DMARC policy."
    if "temperror" in (spf_status, dkim_status):
        reason = f"{policy_text} dis=none; an aligned identifier could not be checked"
        decision = DmarcDecision("none", requested, author, reason)
        return _verdict("temperror", author, reason, decision)
    disposition, sampled_out = _sampled(requested, record.percent, sample)
    reason = f"{policy_text} pct={record.percent} dis={disposition}; no aligned identifier passed"
    if sampled_out:
        reason += f" (not selected by pct={record.percent}, RFC 7489 §6.6.4)"
    decision = DmarcDecision(disposition, requested, author, reason)
    return _verdict("fail", author, reason, decision)


def _spf_alignment(spf: MethodResult, author: str, mode: Alignment) -> str:
    """The SPF result when its domain aligns with ``author``, else ``"unaligned"``."""
    # RFC 7489 §4.1: DMARC uses the SPF result of the MAIL FROM identity; for a null
    # reverse-path that identity is postmaster@<HELO> (RFC 7208 §2.4), reported as smtp.helo.
    mail_from = spf.property("smtp.mailfrom")
    domain = mail_from.rpartition("@")[2] if mail_from else spf.property("smtp.helo")
    if spf.method != "spf" or not domain or not aligned(domain, author, mode):
        return "unaligned"
    return spf.result


def _dkim_alignment(dkim: Sequence[MethodResult], author: str, mode: Alignment) -> str:
    """``pass`` if an aligned signature passed, else ``temperror`` if one could not be
    checked for now, else ``"unaligned"`` (RFC 7489 §3.1.1: the ``d=`` domain aligns)."""
    results = {
        signature.result
        for signature in dkim
        if signature.method == "dkim"
        and (domain := signature.property("header.d"))
        and aligned(domain, author, mode)
    }
    for result in ("pass", "temperror"):
        if result in results:
            return result
    return "unaligned"


def _sampled(requested: Disposition, percent: int, sample: Sample) -> tuple[Disposition, bool]:
    """RFC 7489 §6.6.4: the policy applies to ``percent`` % of failing messages; the others
    get the next lower one ("reject" → "quarantine" → "none")."""
    if requested == "none" or percent >= 100 or sample() * 100 < percent:
        return requested, False
    return _LOWER[requested], True


# -- the local override (RFC 8617 §7.2.1) ------------------------------------------------------


def override_for_arc(
    verdict: DmarcVerdict,
    arc: MethodResult,
    sealer: str | None,
    trusted_sealers: Collection[str],
) -> DmarcVerdict:
    """Deliver normally a DMARC failure that came through a trusted ARC sealer.

    RFC 8617 §7.2.1: handling a DMARC failure is the receiver's local policy, which may
    rely on a passing ARC chain (RFC 7489 §6.7: "Final disposition of a message is always a
    matter of local policy"). Ours is explicit: the chain passed (``arc=pass``) and its
    newest ARC-Seal (the intermediary that handed the message to us) was made by a domain
    in ``trusted_sealers`` (``mailauth.trusted_arc_sealers``; exact names, any case). The
    result stays ``fail``; the disposition becomes ``none`` and the comment says why.
    """
    if verdict.result.result != "fail" or verdict.decision.disposition == "none":
        return verdict
    trusted = {_normal_domain(domain) for domain in trusted_sealers}
    if arc.result != "pass" or sealer is None or _normal_domain(sealer) not in trusted:
        return verdict
    override = f"arc=pass sealed by trusted {_normal_domain(sealer)}"
    note = f"local policy override: {override}, dis=none (RFC 8617 §7.2.1)"
    decision = replace(
        verdict.decision,
        disposition="none",
        override=override,
        explanation=f"{verdict.decision.explanation}; {note}",
    )
    return DmarcVerdict(_note_result(verdict.result, note), decision)


# -- helpers -----------------------------------------------------------------------------------


def _no_disposition(author: str, explanation: str) -> DmarcDecision:
    return DmarcDecision("none", domain=author, explanation=explanation)


def _verdict(result: str, domain: str | None, reason: str, decision: DmarcDecision) -> DmarcVerdict:
    properties = (("header.from", domain),) if domain else ()
    if not decision.explanation:
        decision = replace(decision, explanation=reason)
    return DmarcVerdict(MethodResult("dmarc", result, reason, properties), decision)


# Which verdict speaks for a message with several From domains: a failure (strictest
# disposition first), then a temporary error, a permanent one, no policy, and pass last —
# the message passes only when every domain does.
_RESULT_WEIGHT = {"fail": 4, "temperror": 3, "permerror": 2, "none": 1, "pass": 0}


def _weight(verdict: DmarcVerdict) -> tuple[int, int]:
    return (
        _RESULT_WEIGHT.get(verdict.result.result, 2),
        _SEVERITY[verdict.decision.disposition],
    )


def _note_result(result: MethodResult, note: str) -> MethodResult:
    reason = f"{result.reason}; {note}" if result.reason else note
    return replace(result, reason=reason)


def _with_note(verdict: DmarcVerdict, note: str) -> DmarcVerdict:
    decision = replace(verdict.decision, explanation=f"{verdict.decision.explanation}; {note}")
    return DmarcVerdict(_note_result(verdict.result, note), decision)
