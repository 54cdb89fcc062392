"""Every check of an incoming message, run together: SPF, DKIM, ARC, iprev, then DMARC.

:func:`authenticate` runs SPF (RFC 7208, ``spf``), DKIM (RFC 6376, ``dkim``), ARC (RFC 8617,
``arc``) and iprev (RFC 8601 §3, ``iprev``) concurrently, each within ``settings.timeout``,
then DMARC (RFC 7489, ``dmarc``) from the SPF and DKIM results, with the ARC override of
``dmarc.override_for_arc``. It returns an :class:`InboundVerdict`: every result, the header
fields to prepend (``Authentication-Results:``, RFC 8601, and ``Received-SPF:``, RFC 7208
§9.1) and what to do with the message (deliver, junk, reject).

A check that raises or runs out of time gives that method's ``temperror`` and one log line;
nothing propagates, so a DNS outage or a bug in a check delays no message and loses none
(issue 7). The message is checked as received: DKIM and ARC signatures cover the bytes the
sender sent, so forged ``Authentication-Results`` fields are removed only afterwards.

Must not: touch the SMTP session or the store, or decide replies (the delivery pipeline
turns ``action`` into a reply or a mailbox).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from courriel.dns.resolver import Resolver
from courriel.mail.address import domain_to_ascii
from courriel.mail.compose import header_lines
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.mailauth.arc import verify_arc
from courriel.mailauth.authresults import authentication_results_header
from courriel.mailauth.dkim import verify_dkim
from courriel.mailauth.dmarc import (
    Disposition,
    DmarcDecision,
    DmarcVerdict,
    Sample,
    evaluate_dmarc,
    override_for_arc,
)
from courriel.mailauth.iprev import check_iprev
from courriel.mailauth.results import MethodResult
from courriel.mailauth.spf import SpfCheck, SpfOutcome, SpfResult, evaluate_spf, received_spf_value

log = logging.getLogger("courriel.mailauth")

Action = Literal["deliver", "junk", "reject"]
_T = TypeVar("_T")


class InboundSettings(Protocol):
    """What :func:`authenticate` reads from the ``[mailauth]`` settings."""

    @property
    def timeout(self) -> float:
        """Seconds each check may take."""
        ...

    @property
    def dmarc_reject(self) -> Disposition:
        """What a DMARC ``p=reject`` failure becomes."""
        ...

    @property
    def trusted_arc_sealers(self) -> Collection[str]:
        """ARC-Seal ``d=`` domains whose passing chain overrides a DMARC failure."""
        ...


@dataclass(frozen=True, slots=True)
class InboundVerdict:
    """What the checks found about one message, and what to do with it.

    ``results`` are in ``Authentication-Results`` order (spf, dkim..., dmarc, arc, iprev);
    ``header`` is the CRLF-terminated ``Authentication-Results:`` and ``Received-SPF:``
    fields to prepend; ``action``: ``deliver`` normally, ``junk`` (into the recipient's
    Junk mailbox), or ``reject`` (refuse at the end of DATA).
    """

    results: tuple[MethodResult, ...]
    header: bytes
    dmarc: DmarcDecision
    action: Action

    def result(self, method: str) -> MethodResult | None:
        """The first result of ``method`` (``"spf"``, ``"dmarc"``...), or None."""
        return next((found for found in self.results if found.method == method), None)

    def summary(self) -> str:
        """``spf=pass dkim=none dmarc=fail ...`` for one log line."""
        return " ".join(f"{found.method}={found.result}" for found in self.results)


async def authenticate(
    raw: bytes,
    *,
    client_ip: str,
    helo: str,
    mail_from: str,
    resolver: Resolver,
    authserv_id: str,
    settings: InboundSettings,
    sample: Sample = random.random,
) -> InboundVerdict:
    """Check ``raw`` (the message as received) from ``client_ip`` that said ``helo`` and
    ``MAIL FROM:<mail_from>`` (``""`` for the null reverse-path). ``authserv_id`` is this
    server's host name: the RFC 8601 authserv-id and SPF's receiver (``%{r}``)."""
    timeout = settings.timeout
    spf, dkim, arc, iprev = await asyncio.gather(
        _bounded(
            "spf",
            evaluate_spf(client_ip, mail_from, helo, resolver, receiver=authserv_id),
            timeout,
            lambda reason: _spf_temperror(client_ip, mail_from, helo, reason),
        ),
        _bounded(
            "dkim",
            verify_dkim(raw, resolver),
            timeout,
            lambda reason: [MethodResult("dkim", "temperror", reason)],
        ),
        _bounded(
            "arc", verify_arc(raw, resolver), timeout, lambda r: MethodResult("arc", "temperror", r)
        ),
        _bounded(
            "iprev",
            check_iprev(client_ip, resolver),
            timeout,
            lambda reason: MethodResult(
                "iprev", "temperror", reason, (("policy.iprev", client_ip),)
            ),
        ),
    )
    spf_result = spf.method_result()
    dmarc = await _bounded(
        "dmarc",
        evaluate_dmarc(raw, spf_result, dkim, resolver, sample=sample),
        timeout,
        lambda reason: DmarcVerdict(
            MethodResult("dmarc", "temperror", reason), DmarcDecision("none", explanation=reason)
        ),
    )
    dmarc = override_for_arc(dmarc, arc, newest_arc_sealer(raw), settings.trusted_arc_sealers)
    results = (spf_result, *dkim, dmarc.result, arc, iprev)
    header = authentication_results_header(authserv_id, results) + header_lines(
        [("Received-SPF", received_spf_value(spf, receiver=authserv_id))]
    )
    return InboundVerdict(results, header, dmarc.decision, _action(dmarc.decision, settings))


# What each disposition (or the ``dmarc_reject`` setting) means for the message.
_ACTIONS: dict[Disposition, Action] = {"reject": "reject", "quarantine": "junk", "none": "deliver"}


def _action(decision: DmarcDecision, settings: InboundSettings) -> Action:
    if decision.disposition == "reject":
        # RFC 7489 §6.6.4: "SHOULD reject"; §6.7: the final disposition is local policy.
        return _ACTIONS[settings.dmarc_reject]
    # RFC 7489 §6.6.4: quarantine → "the Mail Receiver SHOULD quarantine the message".
    return _ACTIONS[decision.disposition]


async def _bounded(
    method: str, check: Awaitable[_T], timeout: float, temperror: Callable[[str], _T]
) -> _T:
    """``check``'s value, or ``temperror(reason)`` when it times out or raises."""
    try:
        return await asyncio.wait_for(check, timeout)
    except TimeoutError:
        log.warning("%s check timed out after %.1f s: temperror", method, timeout)
        return temperror(f"timed out after {timeout:g} s")
    except Exception:
        log.exception("%s check failed: temperror", method)
        return temperror("internal error")


def _spf_temperror(client_ip: str, mail_from: str, helo: str, reason: str) -> SpfCheck:
    reverse_path = mail_from.strip().removeprefix("<").removesuffix(">")
    domain = domain_to_ascii((reverse_path or helo).rpartition("@")[2])
    outcome = SpfOutcome(SpfResult.TEMPERROR, domain, problem=reason)
    identity: Literal["mailfrom", "helo"] = "mailfrom" if reverse_path else "helo"
    sender = reverse_path or f"postmaster@{helo}"
    return SpfCheck(identity, sender, outcome, client_ip, helo, reverse_path)


def newest_arc_sealer(raw: bytes) -> str | None:
    """The ``d=`` of the ARC-Seal with the highest instance ``i=`` (RFC 8617 §4.1.3): the
    intermediary that handed the message to us. None without a readable ARC-Seal."""
    end, _ = find_header_end(raw)
    newest: tuple[int, str] | None = None
    for field in split_header_fields(raw, 0, end):
        if field.lname != "arc-seal":
            continue
        tags = _tag_list(field.unfolded.decode("ascii", "replace"))
        instance, domain = tags.get("i", ""), tags.get("d", "")
        if instance.isdigit() and domain and (newest is None or int(instance) > newest[0]):
            newest = (int(instance), domain)
    return None if newest is None else newest[1]


def _tag_list(text: str) -> dict[str, str]:
    """RFC 6376 §3.2 tag=value pairs (the ARC header fields use them, RFC 8617 §4.1)."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        name, equals, value = part.partition("=")
        if equals:
            tags.setdefault(name.strip(), "".join(value.split()))
    return tags
