"""SPF for an SMTP receiver: which identity to check, and how to report it (RFC 7208).

The public face of SPF in courriel:

* :func:`check_host` (from ``spf_eval``): RFC 7208 §4 for one identity.
* :func:`evaluate_spf`: the SMTP-level check of §2.3 and §2.4. The HELO identity is checked
  first when it is a domain name (§2.3: "RECOMMENDED"); a "fail" there is conclusive. Then
  the MAIL FROM identity (§2.4: "MUST" unless HELO gave a definitive result), or, for a null
  reverse-path, ``postmaster@<HELO>``, which is the HELO check itself. A HELO "pass" does
  not stand in for MAIL FROM: DMARC (RFC 7489 §4.1) needs the MAIL FROM domain's result.
* :func:`check_spf`: the same as an RFC 8601 :class:`MethodResult` (``smtp.mailfrom`` or
  ``smtp.helo``).
* :func:`received_spf_value`: the ``Received-SPF:`` field value (RFC 7208 §9.1).

Domains are checked in A-label form (RFC 7208 §4.3, RFC 5890). An unexpected error inside
the check is logged and reported as ``temperror``: SPF trouble never loses a message.

Must not: decide what to do with a result (the delivery pipeline's policy does), write
``Authentication-Results:`` (``results`` data is rendered elsewhere), or import dnspython.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from courriel.core.clock import Clock
from courriel.dns.resolver import Resolver
from courriel.mail.address import domain_to_ascii
from courriel.mailauth.fieldtext import comment_text, without_controls
from courriel.mailauth.results import MethodResult
from courriel.mailauth.spf_eval import (
    DEFAULT_EXPLANATION,
    DEFAULT_LIMITS,
    SpfLimits,
    SpfOutcome,
    SpfResult,
    check_host,
    client_address,
    client_address_text,
    identity_problem,
)

__all__ = [
    "DEFAULT_EXPLANATION",
    "DEFAULT_LIMITS",
    "SpfCheck",
    "SpfLimits",
    "SpfOutcome",
    "SpfResult",
    "check_host",
    "check_spf",
    "evaluate_spf",
    "received_spf_value",
]

_log = logging.getLogger("courriel.mailauth.spf")

Identity = Literal["mailfrom", "helo"]

# RFC 5322 §3.2.3 atext and dot-atom: values that need no quoting in Received-SPF.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*")


@dataclass(frozen=True, slots=True)
class SpfCheck:
    """The SPF verdict of one SMTP transaction: which identity decided, and what it gave.

    ``sender`` is the <sender> evaluated (the MAIL FROM address, or ``postmaster@<HELO>``);
    ``mail_from`` is the reverse-path as given, ``""`` when null.
    """

    identity: Identity
    sender: str
    outcome: SpfOutcome
    client_ip: str
    helo: str
    mail_from: str

    @property
    def result(self) -> SpfResult:
        return self.outcome.result

    def method_result(self) -> MethodResult:
        """RFC 8601 §2.7.2: ``spf=<result> smtp.mailfrom=<address>`` or ``smtp.helo=<name>``."""
        if self.identity == "mailfrom":
            identity_property = ("smtp.mailfrom", self.mail_from)
        else:
            identity_property = ("smtp.helo", self.helo)
        return MethodResult("spf", str(self.result), _comment(self), (identity_property,))


async def evaluate_spf(
    ip: str,
    mail_from: str,
    helo: str,
    resolver: Resolver,
    *,
    receiver: str,
    limits: SpfLimits = DEFAULT_LIMITS,
    clock: Clock | None = None,
    default_explanation: str = DEFAULT_EXPLANATION,
) -> SpfCheck:
    """SPF for a transaction from ``ip`` that said ``HELO helo`` and ``MAIL FROM:<mail_from>``.

    ``mail_from`` is the reverse-path without or with its angle brackets; ``""`` or ``"<>"``
    is the null reverse-path. ``receiver`` is this server's host name (the ``%{r}`` macro).
    Raises ``ValueError`` only when ``ip`` is not an IP address.
    """
    client_address(ip)
    reverse_path = mail_from.strip()
    if reverse_path.startswith("<") and reverse_path.endswith(">"):
        reverse_path = reverse_path[1:-1]
    helo = helo.strip()
    try:
        return await _evaluate(
            ip, reverse_path, helo, resolver, receiver, limits, clock, default_explanation
        )
    except Exception:
        _log.exception("SPF check of %s from %s failed", reverse_path or helo, ip)
        identity: Identity = "mailfrom" if reverse_path else "helo"
        domain = (reverse_path or helo).rpartition("@")[2]
        outcome = SpfOutcome(SpfResult.TEMPERROR, domain, problem="internal error")
        sender = reverse_path or f"postmaster@{helo}"
        return SpfCheck(identity, sender, outcome, ip, helo, reverse_path)


async def check_spf(
    ip: str,
    mail_from: str,
    helo: str,
    resolver: Resolver,
    *,
    receiver: str,
    limits: SpfLimits = DEFAULT_LIMITS,
    clock: Clock | None = None,
) -> MethodResult:
    """:func:`evaluate_spf` as the ``spf`` entry of ``Authentication-Results:``."""
    check = await evaluate_spf(
        ip, mail_from, helo, resolver, receiver=receiver, limits=limits, clock=clock
    )
    return check.method_result()


async def _evaluate(
    ip: str,
    reverse_path: str,
    helo: str,
    resolver: Resolver,
    receiver: str,
    limits: SpfLimits,
    clock: Clock | None,
    default_explanation: str,
) -> SpfCheck:
    async def run(domain: str, sender: str) -> SpfOutcome:
        return await check_host(
            ip,
            domain,
            sender,
            helo=helo,
            resolver=resolver,
            receiver=receiver,
            limits=limits,
            clock=clock,
            default_explanation=default_explanation,
        )

    helo_domain = domain_to_ascii(helo).removesuffix(".")
    helo_sender = f"postmaster@{helo_domain}"
    # RFC 7208 §2.3: the HELO identity, when it is a domain name (not an address literal).
    if identity_problem(helo_domain) is None or not reverse_path:
        # RFC 7208 §2.4: a null reverse-path is checked as postmaster@<HELO>: the same check.
        helo_outcome = await run(helo_domain, helo_sender)
        if not reverse_path or helo_outcome.result is SpfResult.FAIL:
            return SpfCheck("helo", helo_sender, helo_outcome, ip, helo, reverse_path)
    local_part, _, domain = reverse_path.rpartition("@")
    ascii_domain = domain_to_ascii(domain).removesuffix(".")
    outcome = await run(ascii_domain, f"{local_part}@{ascii_domain}")
    return SpfCheck("mailfrom", reverse_path, outcome, ip, helo, reverse_path)


def received_spf_value(check: SpfCheck, *, receiver: str) -> str:
    """The value of a ``Received-SPF:`` field for ``check`` (RFC 7208 §9.1), on one line.

    ``result (receiver: comment) receiver=...; client-ip=...; envelope-from=...; helo=...;
    identity=...; mechanism=...`` (``problem=...`` for errors and "none"). Text that came
    from the network is quoted and stripped of control characters; give the value to
    ``mail.compose.header_lines``, which folds it.
    """
    outcome = check.outcome
    pairs = [
        ("receiver", receiver),
        ("client-ip", client_address_text(check.client_ip)),
    ]
    if check.mail_from:
        pairs.append(("envelope-from", check.mail_from))
    pairs.append(("helo", check.helo))
    pairs.append(("identity", check.identity))
    if outcome.result in (SpfResult.NONE, SpfResult.TEMPERROR, SpfResult.PERMERROR):
        if outcome.problem:
            pairs.append(("problem", outcome.problem))
    else:
        # RFC 7208 §9.1: "if no mechanisms matched, substitute the word 'default'".
        pairs.append(("mechanism", outcome.mechanism or "default"))
    comment = comment_text(f"{receiver}: {_comment(check)}")
    key_values = "; ".join(f"{key}={_value(value)}" for key, value in pairs)
    return f"{outcome.result} ({comment}) {key_values};"


def _comment(check: SpfCheck) -> str:
    """The human sentence of RFC 7208 §9.1's examples for the result."""
    ip = client_address_text(check.client_ip)
    problem = check.outcome.problem or "unknown problem"
    return _SENTENCES[check.result].format(sender=check.sender, ip=ip, problem=problem)


_SENTENCES = {
    SpfResult.PASS: "domain of {sender} designates {ip} as permitted sender",
    SpfResult.FAIL: "domain of {sender} does not designate {ip} as permitted sender",
    SpfResult.SOFTFAIL: (
        "domain of transitioning {sender} does not designate {ip} as permitted sender"
    ),
    SpfResult.NEUTRAL: "{ip} is neither permitted nor denied by domain of {sender}",
    SpfResult.NONE: "domain of {sender} does not designate permitted sender hosts",
    SpfResult.PERMERROR: "permanent error in processing domain of {sender}: {problem}",
    SpfResult.TEMPERROR: "error in processing during lookup of {sender}: {problem}",
}


def _value(text: str) -> str:
    # RFC 7208 §9.1 key-value-pair = key [CFWS] "=" ( dot-atom / quoted-string ).
    text = without_controls(text)
    if _DOT_ATOM.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
