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

Every inbound message pays for this, so the usual case is kept cheap (about 0.2 ms of CPU
for an unsigned message, ``bench/mailauth_inbound.py``): a message without DKIM-Signature
or ARC fields gets ``none`` from a glance at its header, without dkimpy, DNS or a task; the
other checks get tasks only once SPF actually waits for DNS; one timer bounds the first
checks together (they start together) and SPF then needs no budget of its own.

Must not: touch the SMTP session or the store, or decide replies (the delivery pipeline
turns ``action`` into a reply or a mailbox).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, NamedTuple, Protocol, TypeVar

from courriel.dns.resolver import Resolver
from courriel.mail.address import domain_to_ascii
from courriel.mail.compose import header_lines
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.mailauth.arc import NO_CHAIN, has_no_arc_fields, verify_arc
from courriel.mailauth.authresults import authentication_results_header
from courriel.mailauth.dkim import NOT_SIGNED, is_unsigned, verify_dkim
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
from courriel.mailauth.spf import (
    DEFAULT_LIMITS,
    SpfCheck,
    SpfLimits,
    SpfOutcome,
    SpfResult,
    evaluate_spf,
    received_spf_value,
)

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
        """``spf=pass dkim=none dmarc=fail ...``."""
        return " ".join(f"{found.method}={found.result}" for found in self.results)

    def note(self) -> str:
        """The summary, the action and why, for the message's log line."""
        return f"{self.summary()} -> {self.action} (DMARC: {self.dmarc.explanation})"


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
    spf, dkim, arc, iprev = await _first_checks(
        raw, client_ip, helo, mail_from, resolver, authserv_id, timeout
    )
    spf_result = spf.method_result()
    dmarc = await _bounded(
        "dmarc",
        lambda: evaluate_dmarc(raw, spf_result, dkim, resolver, sample=sample),
        timeout,
        _dmarc_temperror,
    )
    if arc.result == "pass":  # the only chain that can override (RFC 8617 §7.2.1)
        sealer = newest_arc_sealer(raw)
        dmarc = override_for_arc(dmarc, arc, sealer, settings.trusted_arc_sealers)
    results = (spf_result, *dkim, dmarc.result, arc, iprev)
    header = authentication_results_header(authserv_id, results) + header_lines(
        [("Received-SPF", received_spf_value(spf, receiver=authserv_id))]
    )
    return InboundVerdict(results, header, dmarc.decision, _action(dmarc.decision, settings))


class _FirstChecks(NamedTuple):
    spf: SpfCheck
    dkim: list[MethodResult]
    arc: MethodResult
    iprev: MethodResult


async def _first_checks(
    raw: bytes,
    client_ip: str,
    helo: str,
    mail_from: str,
    resolver: Resolver,
    authserv_id: str,
    timeout: float,
) -> _FirstChecks:
    """SPF, DKIM, ARC and iprev, concurrently, each within ``timeout`` from now.

    SPF runs in this task. The others start in tasks of their own as soon as SPF waits for
    DNS, so that their lookups overlap its own; when SPF never waits (the answers were at
    hand), they run here after it, without the cost of tasks. They all start now, give or
    take a loop iteration, so one deadline bounds each of them. Most mail carries no DKIM
    signature and no ARC set: their results are known from the header at once.
    """

    def spf_temperror(reason: str) -> SpfCheck:
        return _spf_temperror(client_ip, mail_from, helo, reason)

    def iprev_temperror(reason: str) -> MethodResult:
        return MethodResult("iprev", "temperror", reason, (("policy.iprev", client_ip),))

    iprev = _Beside("iprev", lambda: check_iprev(client_ip, resolver), iprev_temperror)
    dkim = arc = None
    if not is_unsigned(raw):
        dkim = _Beside("dkim", lambda: verify_dkim(raw, resolver), _dkim_temperror)
    if not has_no_arc_fields(raw):
        arc = _Beside("arc", lambda: verify_arc(raw, resolver), _arc_temperror)
    beside: list[_Beside[Any]] = [check for check in (iprev, dkim, arc) if check is not None]
    loop = asyncio.get_running_loop()
    # Runs at the next loop iteration, which comes only if SPF has to wait.
    start_beside = loop.call_soon(_start_tasks, beside, loop)
    limits = _spf_limits(timeout)

    def spf_check() -> Awaitable[SpfCheck]:
        return evaluate_spf(
            client_ip, mail_from, helo, resolver, receiver=authserv_id, limits=limits
        )

    spf = None
    try:
        async with asyncio.timeout(timeout):
            spf = await _guarded("spf", spf_check, spf_temperror)
            start_beside.cancel()
            for check in beside:
                await check.finish()
    except TimeoutError:
        pass  # each check without a result yet gives temperror below
    finally:  # after a timeout, or when we are cancelled: the checks still running stop
        start_beside.cancel()
        for check in beside:
            check.cancel()
    return _FirstChecks(
        _timed_out("spf", timeout, spf_temperror) if spf is None else spf,
        [NOT_SIGNED] if dkim is None else dkim.outcome(timeout),
        NO_CHAIN if arc is None else arc.outcome(timeout),
        iprev.outcome(timeout),
    )


class _Beside(Generic[_T]):
    """A check that runs beside SPF: in a task of its own once SPF waits for DNS, else in
    the caller's task after SPF. Its outcome is its value, or its temperror when it raised
    or had no value by the deadline."""

    def __init__(
        self, method: str, check: Callable[[], Awaitable[_T]], temperror: Callable[[str], _T]
    ) -> None:
        self.method = method
        self._check = check
        self._temperror = temperror
        self._task: asyncio.Task[_T] | None = None
        self._value: _T | None = None

    def start_task(self, loop: asyncio.AbstractEventLoop) -> None:
        self._task = loop.create_task(self._guarded(), name=self.method)

    async def finish(self) -> None:
        """Wait for the task, or run the check here when no task was started."""
        self._value = await (self._guarded() if self._task is None else self._task)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def outcome(self, timeout: float) -> _T:
        if self._value is not None:
            return self._value
        task = self._task
        if task is not None and task.done() and not task.cancelled():
            return task.result()
        return _timed_out(self.method, timeout, self._temperror)

    def _guarded(self) -> Coroutine[Any, Any, _T]:
        return _guarded(self.method, self._check, self._temperror)


def _start_tasks(checks: Sequence[_Beside[Any]], loop: asyncio.AbstractEventLoop) -> None:
    for check in checks:
        check.start_task(loop)


# What each disposition (or the ``dmarc_reject`` setting) means for the message.
_ACTIONS: dict[Disposition, Action] = {"reject": "reject", "quarantine": "junk", "none": "deliver"}


def _action(decision: DmarcDecision, settings: InboundSettings) -> Action:
    if decision.disposition == "reject":
        # RFC 7489 §6.6.4: "SHOULD reject"; §6.7: the final disposition is local policy.
        return _ACTIONS[settings.dmarc_reject]
    # RFC 7489 §6.6.4: quarantine → "the Mail Receiver SHOULD quarantine the message".
    return _ACTIONS[decision.disposition]


async def _bounded(
    method: str, check: Callable[[], Awaitable[_T]], timeout: float, temperror: Callable[[str], _T]
) -> _T:
    """``check()``'s value, or ``temperror(reason)`` when it times out or raises."""
    try:
        # asyncio.timeout, not wait_for: the check runs in the caller's task, not a new one.
        async with asyncio.timeout(timeout):
            return await _guarded(method, check, temperror)
    except TimeoutError:
        return _timed_out(method, timeout, temperror)


async def _guarded(
    method: str, check: Callable[[], Awaitable[_T]], temperror: Callable[[str], _T]
) -> _T:
    """``check()``'s value, or ``temperror(reason)`` when it raises. The check is made
    here, so that a task cancelled before it starts leaves no coroutine behind."""
    try:
        return await check()
    except Exception:
        log.exception("%s check failed: temperror", method)
        return temperror("internal error")


def _timed_out(method: str, timeout: float, temperror: Callable[[str], _T]) -> _T:
    log.warning("%s check timed out after %.1f s: temperror", method, timeout)
    return temperror(f"timed out after {timeout:g} s")


# SPF within our own deadline: no time budget of its own (one timer less per identity).
_SPF_LIMITS_WITHIN_DEADLINE = SpfLimits(time_budget=None)


def _spf_limits(timeout: float) -> SpfLimits:
    """SPF's limits when ``timeout`` bounds the whole check. RFC 7208 §4.6.4 wants at least
    20 s per evaluation: a shorter ``timeout`` ends it first anyway, a longer one lets
    SPF's own budget end it."""
    if DEFAULT_LIMITS.time_budget is not None and timeout > DEFAULT_LIMITS.time_budget:
        return DEFAULT_LIMITS
    return _SPF_LIMITS_WITHIN_DEADLINE


def _dmarc_temperror(reason: str) -> DmarcVerdict:
    return DmarcVerdict(
        MethodResult("dmarc", "temperror", reason), DmarcDecision("none", explanation=reason)
    )


def _dkim_temperror(reason: str) -> list[MethodResult]:
    return [MethodResult("dkim", "temperror", reason)]


def _arc_temperror(reason: str) -> MethodResult:
    return MethodResult("arc", "temperror", reason)


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
