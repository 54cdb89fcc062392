"""``check_host()``: SPF evaluation over the ``Resolver`` port (RFC 7208 §4, §5, §6).

Owns the evaluation of one identity: initial checks of the <domain> (§4.3), fetching and
selecting the record (§4.4, §4.5), the mechanisms in order with their qualifiers (§4.6.2,
§5), ``include`` and ``redirect`` recursion (§5.2, §6.1), the explanation of a "fail"
(§6.2), and the processing limits (§4.6.4): 10 DNS-querying terms, 2 void lookups, 10 MX
names per ``mx``, 10 PTR names per ``ptr`` or ``%{p}``, and a time budget for the whole
evaluation. A DNS failure or an exhausted budget is ``temperror``, a broken record
``permerror``: the caller always gets an :class:`SpfOutcome`, never a DNS exception.

The client address is taken as IPv4 when it is an IPv4-mapped IPv6 address (§5: it "MUST
still be considered an IPv4 address").

Where the RFC leaves a choice: a <target-name> that cannot be queried (an empty or too long
label, §4.8 leaves it undefined) makes a, mx, ptr and exists not match, and include or
redirect a permerror (their check_host() would be "none"); the terms counted as void
lookups are a, mx, exists and ptr whose own query found no name or no record; the PTR
lookup of ``%{p}`` and the exp= lookup count against no limit (§4.6.4).

Must not: know SMTP (``spf.check_spf`` maps HELO and MAIL FROM to check_host), parse record
text (``spf_record``) or macro text (``spf_macro``), or import dnspython.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import ipaddress
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from courriel.core.clock import Clock, SystemClock
from courriel.dns.resolver import DnsError, NonExistentDomain, NoRecords, Resolver
from courriel.mailauth.spf_macro import (
    MacroString,
    MacroSyntaxError,
    MacroValues,
    expand,
    fit_domain_name,
    name_problem,
    parse_macro_string,
)
from courriel.mailauth.spf_record import (
    Mechanism,
    SpfRecord,
    SpfSyntaxError,
    is_spf_record,
    parse_record,
)

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_T = TypeVar("_T")

# RFC 5321 §2.3.5 domain labels (letters, digits, hyphens), with "_" that real names use.
_IDENTITY_LABEL = re.compile(r"[A-Za-z0-9_-]+")

#: Used when the record has no usable ``exp=`` (RFC 7208 §6.2: "either a default
#: explanation string or an empty explanation string MUST be returned"). A macro-string.
DEFAULT_EXPLANATION = "%{c} is not allowed to send mail from %{o}"


class SpfResult(enum.StrEnum):
    """The seven results of check_host() (RFC 7208 §2.6)."""

    NONE = "none"
    NEUTRAL = "neutral"
    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    TEMPERROR = "temperror"
    PERMERROR = "permerror"


@dataclass(frozen=True, slots=True)
class SpfLimits:
    """Processing limits (RFC 7208 §4.6.4); the defaults are the RFC's numbers."""

    dns_terms: int = 10
    """include, a, mx, ptr, exists and redirect evaluated, all records together."""
    void_lookups: int = 2
    """Terms whose lookup found no name or no record ("SHOULD limit ... to two")."""
    mx_names: int = 10
    """MX names one ``mx`` may look at; more is a permerror."""
    ptr_names: int = 10
    """PTR names one ``ptr`` or ``%{p}`` looks at; the rest are ignored."""
    time_budget: float | None = 20.0
    """Seconds for the whole evaluation ("SHOULD allow at least 20 seconds"); None when
    the caller bounds the time itself (the inbound checks, by ``mailauth.timeout``)."""


DEFAULT_LIMITS = SpfLimits()


@dataclass(frozen=True, slots=True)
class SpfOutcome:
    """What check_host() found for one identity.

    ``domain`` is the <domain> evaluated; ``mechanism`` the directive that matched as
    written (``"-all"``, ``"include:_spf.example.com"``), None when none did;
    ``explanation`` is set for ``fail`` only (RFC 7208 §6.2: the ``exp=`` text, else the
    default); ``problem`` says why for ``none``, ``permerror`` and ``temperror``.
    """

    result: SpfResult
    domain: str
    mechanism: str | None = None
    explanation: str | None = None
    problem: str | None = None


class _PermError(Exception):
    """Stops the evaluation with permerror (the message says why)."""


class _TempError(Exception):
    """Stops the evaluation with temperror (the message says why)."""


@dataclass(frozen=True, slots=True)
class _Verdict:
    """The result of one record, with what its explanation needs."""

    result: SpfResult
    domain: str
    mechanism: str | None = None
    explanation: MacroString | None = None
    problem: str | None = None


# RFC 7208 §4.6.2: what each qualifier makes of a match.
_QUALIFIER_RESULTS = {
    "+": SpfResult.PASS,
    "-": SpfResult.FAIL,
    "~": SpfResult.SOFTFAIL,
    "?": SpfResult.NEUTRAL,
}


@functools.lru_cache(maxsize=1024)
def client_address(ip: str) -> IpAddress:
    """The <ip> as evaluated: IPv4-mapped IPv6 addresses become IPv4 (RFC 7208 §5).

    Raises ``ValueError`` for text that is not an IP address. Remembered for the last 1,024
    addresses: one message asks for its client's several times (SPF for HELO and MAIL
    FROM, iprev, the header fields), and ``ipaddress`` takes microseconds per parse.
    """
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=1024)
def client_address_text(ip: str) -> str:
    """:func:`client_address` as text (``ipaddress`` formats it anew on every ``str()``)."""
    return str(client_address(ip))


@functools.lru_cache(maxsize=1024)
def identity_problem(domain: str) -> str | None:
    """Why ``domain`` cannot be checked as an identity, or None (RFC 7208 §4.3).

    Besides the DNS limits (labels of 1 to 63 octets, 253 in all, at least two labels), an
    identity is a fully qualified domain of letters, digits and hyphens in A-labels
    (RFC 5321 §2.3.5, RFC 5890): an address literal or a bare IP address is not one.
    Remembered for the last 1,024 names (asked twice per HELO check).
    """
    problem = name_problem(domain)
    if problem is not None:
        return problem
    labels = domain.removesuffix(".").split(".")
    if not all(_IDENTITY_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return f"{domain!r} is not a domain name"
    return None


async def check_host(
    ip: str,
    domain: str,
    sender: str,
    *,
    helo: str,
    resolver: Resolver,
    receiver: str = "unknown",
    limits: SpfLimits = DEFAULT_LIMITS,
    clock: Clock | None = None,
    default_explanation: str = DEFAULT_EXPLANATION,
) -> SpfOutcome:
    """RFC 7208 §4: is ``ip`` allowed to send mail for ``domain``?

    ``sender`` is the identity being checked (``user@domain``, or ``postmaster@helo``); a
    missing local part becomes "postmaster" (§4.3). ``helo`` is the ``%{h}`` value,
    ``receiver`` the ``%{r}`` one. ``default_explanation`` is a macro-string used for a
    "fail" without a usable ``exp=``. Raises ``ValueError`` only when ``ip`` is not an IP
    address; every DNS problem is a result.
    """
    address = client_address(ip)
    domain = domain.removesuffix(".")
    local_part, at, sender_domain = sender.rpartition("@")
    # RFC 7208 §4.3: "If the <sender> has no local-part, substitute the string postmaster".
    full_sender = f"{local_part or 'postmaster'}@{sender_domain if at else domain}"
    # RFC 7208 §4.3: a malformed or single-label <domain> gives "none" at once.
    problem = identity_problem(domain)
    if problem is not None:
        return SpfOutcome(SpfResult.NONE, domain, problem=problem)
    clock = clock or SystemClock()
    evaluation = _Evaluation(
        ip=address,
        sender=full_sender,
        helo=helo,
        receiver=receiver,
        resolver=resolver,
        limits=limits,
        timestamp=int(clock.now()),
    )
    deadline = None
    try:
        if limits.time_budget is None:  # the caller bounds the time: no timer of our own
            verdict = await evaluation.check_host(domain)
        else:
            # RFC 7208 §4.6.4: a limit on the elapsed time; exceeding it "SHOULD be
            # temperror".
            deadline = asyncio.get_running_loop().time() + limits.time_budget
            async with asyncio.timeout_at(deadline):
                verdict = await evaluation.check_host(domain)
    except TimeoutError:
        if limits.time_budget is None:  # not our timer
            raise
        problem = f"SPF evaluation took more than {limits.time_budget:g} s"
        return SpfOutcome(SpfResult.TEMPERROR, domain, problem=problem)
    except _TempError as error:
        return SpfOutcome(SpfResult.TEMPERROR, domain, problem=str(error))
    except _PermError as error:
        return SpfOutcome(SpfResult.PERMERROR, domain, problem=str(error))
    explanation = None
    if verdict.result is SpfResult.FAIL:
        explanation = await evaluation.explain(verdict, default_explanation, deadline)
    return SpfOutcome(
        verdict.result, domain, verdict.mechanism, explanation=explanation, problem=verdict.problem
    )


class _Evaluation:
    """The state of one check_host() call shared by its include/redirect recursion."""

    def __init__(
        self,
        *,
        ip: IpAddress,
        sender: str,
        helo: str,
        receiver: str,
        resolver: Resolver,
        limits: SpfLimits,
        timestamp: int,
    ) -> None:
        self.ip = ip
        self.sender = sender
        self.helo = helo
        self.receiver = receiver
        self.resolver = resolver
        self.limits = limits
        self.timestamp = timestamp
        self.dns_terms = 0
        self.void_lookups = 0

    # -- records -------------------------------------------------------------------------

    async def check_host(self, domain: str) -> _Verdict:
        record = await self._record(domain)
        if record is None:
            return _Verdict(SpfResult.NONE, domain, problem=f"no SPF record for {domain}")
        # RFC 7208 §4.6.2: mechanisms left to right; the first match decides.
        for directive in record.directives:
            if await _MATCHERS[directive.mechanism.kind](self, directive.mechanism, domain):
                result = _QUALIFIER_RESULTS[directive.qualifier]
                return _Verdict(result, domain, directive.text, record.explanation)
        # RFC 7208 §6.1: redirect is "ignored if there is an all mechanism": with one, a
        # mechanism always matched before this point.
        if record.redirect is not None:
            return await self._redirect(record.redirect, domain)
        # RFC 7208 §4.7: no match and no redirect: "neutral", as if "?all" ended the record.
        return _Verdict(SpfResult.NEUTRAL, domain)

    async def _record(self, domain: str) -> SpfRecord | None:
        """The one SPF record of ``domain`` (RFC 7208 §4.4, §4.5), or None."""
        # RFC 7208 §4.4: TXT only; NXDOMAIN or no records is "none", other errors temperror.
        texts = await self._lookup(self.resolver.txt, domain)
        records = [text for text in texts if is_spf_record(text)]
        if not records:
            return None
        if len(records) > 1:
            # RFC 7208 §4.5: more than one record is a permerror, even identical ones.
            raise _PermError(f"{domain} publishes {len(records)} SPF records")
        try:
            return parse_record(records[0])
        except SpfSyntaxError as error:
            raise _PermError(f"{domain}: {error}") from None

    async def _redirect(self, spec: MacroString, domain: str) -> _Verdict:
        # RFC 7208 §6.1: evaluated after all mechanisms; counts as a DNS-querying term.
        self._count_dns_term()
        target = await self._target(spec, domain)
        problem = name_problem(target)
        if problem is not None:
            raise _PermError(f"redirect={target}: {problem}")
        verdict = await self.check_host(target)
        if verdict.result is SpfResult.NONE:
            # RFC 7208 §6.1: no record at the target is "permerror" rather than "none".
            raise _PermError(f"redirect={target}: no SPF record")
        # RFC 7208 §6.2: the target's exp= applies, not the redirecting record's.
        return verdict

    # -- mechanisms (RFC 7208 §5) ----------------------------------------------------------

    async def _all(self, _mechanism: Mechanism, _domain: str) -> bool:
        return True  # RFC 7208 §5.1

    async def _include(self, mechanism: Mechanism, domain: str) -> bool:
        self._count_dns_term()
        target = await self._target(mechanism.domain_spec, domain)
        problem = name_problem(target)
        if problem is not None:
            raise _PermError(f"include:{target}: {problem}")
        verdict = await self.check_host(target)
        # RFC 7208 §5.2 table: pass matches; fail, softfail, neutral do not; none is a
        # permerror; temperror and permerror stop everything (raised from the recursion).
        if verdict.result is SpfResult.NONE:
            raise _PermError(f"include:{target}: no SPF record")
        return verdict.result is SpfResult.PASS

    async def _a(self, mechanism: Mechanism, domain: str) -> bool:
        self._count_dns_term()
        target = await self._target(mechanism.domain_spec, domain)
        if name_problem(target) is not None:
            return False  # a name that cannot be queried does not exist (RFC 7208 §4.3)
        # RFC 7208 §5.3: A or AAAA as the connection is IPv4 or IPv6.
        addresses = await self._lookup(self._address_query, target)
        if not addresses:
            self._count_void(target)
            return False
        return self._any_in_network(addresses, mechanism)

    async def _mx(self, mechanism: Mechanism, domain: str) -> bool:
        self._count_dns_term()
        target = await self._target(mechanism.domain_spec, domain)
        if name_problem(target) is not None:
            return False
        records = await self._lookup(self.resolver.mx, target)
        if not records:
            # RFC 7208 §5.4: no implicit MX: a name without MX records does not match.
            self._count_void(target)
            return False
        if len(records) > self.limits.mx_names:
            # RFC 7208 §4.6.4: more than 10 MX names "MUST produce a permerror".
            raise _PermError(f"mx:{target} has more than {self.limits.mx_names} MX records")
        for record in records:
            if not record.host:
                continue  # RFC 7505 null MX: no host to compare with
            addresses = await self._lookup(self._address_query, record.host)
            if self._any_in_network(addresses, mechanism):
                return True
        return False

    async def _ptr(self, mechanism: Mechanism, domain: str) -> bool:
        self._count_dns_term()
        target = (await self._target(mechanism.domain_spec, domain)).lower()
        names = await self._reverse_names(count_void=True)
        # RFC 7208 §5.5: a validated name equal to the target or below it matches; only
        # such names need validating.
        candidates = [name for name in names if name == target or name.endswith("." + target)]
        return await self._first_validated(candidates) is not None

    async def _ip(self, mechanism: Mechanism, _domain: str) -> bool:
        # RFC 7208 §5.6: ip4 never matches an IPv6 client, nor ip6 an IPv4 one.
        network = mechanism.network
        return network is not None and network.version == self.ip.version and self.ip in network

    async def _exists(self, mechanism: Mechanism, domain: str) -> bool:
        self._count_dns_term()
        target = await self._target(mechanism.domain_spec, domain)
        if name_problem(target) is not None:
            return False
        # RFC 7208 §5.7: an A lookup, even for an IPv6 client; any answer matches.
        addresses = await self._lookup(self.resolver.a, target)
        if not addresses:
            self._count_void(target)
            return False
        return True

    # -- explanation (RFC 7208 §6.2) -------------------------------------------------------

    async def explain(self, verdict: _Verdict, default: str, deadline: float | None) -> str:
        """The explanation of a "fail": the exp= text when usable, else ``default``."""
        if verdict.explanation is not None:
            try:
                async with asyncio.timeout_at(deadline):
                    text = await self._explanation_text(verdict.explanation, verdict.domain)
            except TimeoutError:
                text = None
            if text is not None:
                return text
        return expand(parse_macro_string(default, explanation=True), self._values(verdict.domain))

    async def _explanation_text(self, spec: MacroString, domain: str) -> str | None:
        # RFC 7208 §6.2: errors, no record, several records or a syntax error in the text:
        # "proceed as if no exp modifier was given". Not counted in the limits (§4.6.4).
        name = fit_domain_name(await self._expand(spec, domain))
        if name_problem(name) is not None:
            return None
        try:
            texts = await self.resolver.txt(name)
        except DnsError:
            return None
        if len(texts) != 1:
            return None
        try:
            text = parse_macro_string(texts[0], explanation=True)
        except MacroSyntaxError:
            return None
        return await self._expand(text, domain)

    # -- helpers ---------------------------------------------------------------------------

    def _count_dns_term(self) -> None:
        # RFC 7208 §4.6.4: at most 10 DNS-querying terms per evaluation, else permerror.
        self.dns_terms += 1
        if self.dns_terms > self.limits.dns_terms:
            raise _PermError(f"more than {self.limits.dns_terms} DNS-querying terms")

    def _count_void(self, name: str) -> None:
        # RFC 7208 §4.6.4: lookups answering NXDOMAIN or no records are "void lookups".
        self.void_lookups += 1
        if self.void_lookups > self.limits.void_lookups:
            raise _PermError(f"more than {self.limits.void_lookups} void lookups ({name})")

    async def _lookup(self, query: Callable[[str], Awaitable[Sequence[_T]]], name: str) -> list[_T]:
        """``query(name)``; no name or no record is an empty list (RFC 7208 §5: RCODE 3 is
        "as if ... zero answer records"), other DNS errors a temperror."""
        try:
            return list(await query(name))
        except (NonExistentDomain, NoRecords):
            return []
        except DnsError as error:
            raise _TempError(f"DNS lookup of {name} failed: {error}") from None

    def _address_query(self, name: str) -> Awaitable[list[str]]:
        if self.ip.version == 4:
            return self.resolver.a(name)
        return self.resolver.aaaa(name)

    def _any_in_network(self, addresses: Sequence[str], mechanism: Mechanism) -> bool:
        prefix = mechanism.cidr4 if self.ip.version == 4 else mechanism.cidr6
        for text in addresses:
            try:
                network = ipaddress.ip_network((text, prefix), strict=False)
            except ValueError:
                continue  # an answer that is not an address cannot match
            if network.version == self.ip.version and self.ip in network:
                return True
        return False

    async def _target(self, spec: MacroString | None, domain: str) -> str:
        """The <target-name>: the expanded domain-spec, or <domain> (RFC 7208 §4.8)."""
        if spec is None:
            return domain
        return fit_domain_name(await self._expand(spec, domain))

    async def _expand(self, spec: MacroString, domain: str) -> str:
        validated = await self._validated_name(domain) if spec.uses("p") else None
        return expand(spec, self._values(domain, validated))

    def _values(self, domain: str, validated_name: str | None = None) -> MacroValues:
        return MacroValues(
            sender=self.sender,
            domain=domain,
            ip=self.ip,
            helo=self.helo,
            receiver=self.receiver,
            validated_name=validated_name,
            timestamp=self.timestamp,
        )

    async def _reverse_names(self, *, count_void: bool) -> list[str]:
        """The first PTR names of <ip>, lower case (RFC 7208 §5.5, §4.6.4: 10 at most)."""
        try:
            names = await self.resolver.ptr(str(self.ip))
        except (NonExistentDomain, NoRecords):
            if count_void:
                self._count_void(str(self.ip))
            return []
        except DnsError:
            return []  # RFC 7208 §5.5: a DNS error on the PTR lookup: no match
        return [name.removesuffix(".").lower() for name in names[: self.limits.ptr_names]]

    async def _first_validated(self, names: Sequence[str]) -> str | None:
        """The first of ``names`` whose addresses include <ip> (RFC 7208 §5.5)."""
        for name in names:
            if name_problem(name) is not None:
                continue
            try:
                addresses = await self._address_query(name)
            except DnsError:
                continue  # RFC 7208 §5.5: "that domain name is skipped"
            if any(_same_address(text, self.ip) for text in addresses):
                return name
        return None

    async def _validated_name(self, domain: str) -> str | None:
        """The ``%{p}`` name (RFC 7208 §7.3): <domain> itself if validated, else one of its
        subdomains, else any validated name; None ("unknown") if there is none."""
        names = await self._reverse_names(count_void=False)
        domain = domain.lower()
        exact = [name for name in names if name == domain]
        below = [name for name in names if name.endswith("." + domain)]
        others = [name for name in names if name not in exact and name not in below]
        return await self._first_validated([*exact, *below, *others])


def _same_address(text: str, ip: IpAddress) -> bool:
    try:
        return ipaddress.ip_address(text) == ip
    except ValueError:
        return False


#: RFC 7208 §5: how each mechanism is evaluated.
_MATCHERS: dict[str, Callable[[_Evaluation, Mechanism, str], Awaitable[bool]]] = {
    "all": _Evaluation._all,
    "include": _Evaluation._include,
    "a": _Evaluation._a,
    "mx": _Evaluation._mx,
    "ptr": _Evaluation._ptr,
    "ip4": _Evaluation._ip,
    "ip6": _Evaluation._ip,
    "exists": _Evaluation._exists,
}
