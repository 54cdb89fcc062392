"""An external spam scanner — Rspamd or SpamAssassin's spamd — as one more rule of our
filter (issue 7). Optional: off until ``[spam] external`` names one
(``"rspamd:127.0.0.1:11333"``, ``"spamd:127.0.0.1:783"`` or either with a socket path).

:class:`ExternalSpamCheck` sends a message from another server to the scanner
(``ExternalScannerClient``: rspamd over HTTP, spamd over SPAMC, by the ``PROTOCOLS``
table) and turns its :class:`ExternalReport` into one hit, ``RSPAMD`` or ``SPAMD``, that
is added to every recipient's verdict like our own rules, so ``X-Spam-Report`` shows it
with the scanner's score, action and rules.

The weight (:func:`external_weight`): the scanner's score scaled so that its threshold
lands on our threshold of the same meaning — spamd's (the ``5.0`` of ``Spam: True ; 7.2 /
5.0``, from which it calls mail spam) on our ``junk_score``; rspamd's ``required_score``
(from which it rejects, 15 by default) on our ``reject_score`` (``junk_score`` when we never
reject): ``weight = score × ours / theirs``. With the defaults rspamd's scale is ours
(15 → 15; its ``add header`` at 6 gives 6). A scanner that calls the message spam (spamd
``True``, rspamd ``add header``, ``rewrite subject`` or ``reject``) gives at least
``junk_score``, rspamd's ``reject`` at least ``reject_score``, so its verdict holds unless
our own evidence (an allow list, a known correspondent) pulls the score back down. GTUBE
weighs 1000 through spamd (1000 / 5 × 5) and 15 through rspamd (its pre-result
``reject``).

When the scan does not run (unreachable, timed out, a reply we cannot read) or the message
is larger than ``external_max_size``, the hit ``RSPAMD_NOT_RUN`` / ``SPAMD_NOT_RUN`` with
weight 0 says so in the report; ``external_on_unreachable = "tempfail"`` makes the pipeline
answer ``451 4.7.0`` instead (never for a message that is too large: retrying cannot help).

``ScoredMessage.with_shared_hits`` folds the hits into our own verdicts (the scan runs
while we score).

Must not: parse the protocols (``rspamd_protocol``, ``spamd_protocol``) or decide where the
message goes (the pipeline does, from the folded verdict).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from courriel.antivirus.daemon import ScannerError, exchange
from courriel.config.kinds import DaemonAddress
from courriel.config.schema import OnUnreachable
from courriel.spam import rspamd_protocol, spamd_protocol
from courriel.spam.external_wire import ExternalReport, reply_complete
from courriel.spam.rspamd_protocol import ScanContext
from courriel.spam.weights import Hit

log = logging.getLogger("courriel.spam")

# Characters of the hit's description taken by rule names (the report bounds it to 200).
_MAX_DESCRIPTION = 180


class ExternalScanner(Protocol):
    """A client of one external scanner."""

    @property
    def name(self) -> str: ...

    async def check(self, raw: bytes, context: ScanContext) -> ExternalReport: ...


@dataclass(frozen=True, slots=True)
class _Protocol:
    """How to ask one kind of scanner: its request, the longest reply, its reply parser."""

    request: Callable[[bytes, ScanContext], Iterable[bytes]]
    max_reply: int
    parse: Callable[[bytes], ExternalReport]


# The address prefix of ``spam.external`` names the protocol.
PROTOCOLS: dict[str, _Protocol] = {
    "rspamd": _Protocol(
        rspamd_protocol.checkv2_request,
        rspamd_protocol.MAX_REPLY,
        rspamd_protocol.parse_checkv2_reply,
    ),
    "spamd": _Protocol(
        lambda raw, context: spamd_protocol.symbols_request(raw, user=context.user),
        spamd_protocol.MAX_REPLY,
        spamd_protocol.parse_symbols_reply,
    ),
}


class ExternalScannerClient:
    """The scanner at ``address``, in the protocol its ``rspamd:`` or ``spamd:`` prefix
    names (rspamd: ``POST /checkv2``; spamd: ``SYMBOLS SPAMC/1.5``)."""

    def __init__(self, address: DaemonAddress, *, timeout: float) -> None:
        if address.protocol not in PROTOCOLS:
            raise ValueError(f"no external spam scanner speaks {address.protocol!r}")
        self.name = address.protocol
        self.address = address
        self.timeout = timeout
        self._protocol = PROTOCOLS[address.protocol]

    async def check(self, raw: bytes, context: ScanContext) -> ExternalReport:
        reply = await exchange(
            self.address,
            self._protocol.request(raw, context),
            timeout=self.timeout,
            max_reply=self._protocol.max_reply,
            complete=reply_complete,
        )
        return self._protocol.parse(reply)


@dataclass(frozen=True, slots=True)
class ExternalOpinion:
    """What the external scanner contributes to one message's verdict."""

    hits: tuple[Hit, ...]
    report: ExternalReport | None = None
    """None when the scan did not run."""
    tempfail: bool = False
    """Refuse for now (``451 4.7.0``): not run, with ``external_on_unreachable = "tempfail"``."""


class ExternalSpamCheck:
    """Consults ``scanner`` under the ``[spam] external_*`` policy."""

    def __init__(
        self, scanner: ExternalScanner, *, max_size: int, on_unreachable: OnUnreachable
    ) -> None:
        self.scanner = scanner
        self.max_size = max_size
        self.on_unreachable = on_unreachable

    async def consult(
        self,
        raw: bytes,
        context: ScanContext,
        *,
        junk_score: float,
        reject_score: float,
        session_id: str = "",
    ) -> ExternalOpinion:
        """The scanner's hit for ``raw``; never raises for a scanner problem."""
        name = self.scanner.name
        if len(raw) > self.max_size:
            return ExternalOpinion((_not_run(name, "message larger than external_max_size"),))
        try:
            report = await self.scanner.check(raw, context)
        except ScannerError as error:
            return self._not_run(f"{name} unreachable: {error}", session_id)
        except Exception as error:  # a bug here must not cost a message; logged in full
            log.exception("[%s] %s scan failed", session_id or "-", name)
            return self._not_run(f"{name} failed: {type(error).__name__}", session_id)
        found = external_hit(report, junk_score=junk_score, reject_score=reject_score)
        log.info(
            "[%s] %s: score %g (threshold %g), %s -> weight %g",
            session_id or "-",
            name,
            report.score,
            report.threshold,
            report.action,
            found.weight,
        )
        return ExternalOpinion((found,), report)

    def _not_run(self, reason: str, session_id: str) -> ExternalOpinion:
        tempfail = self.on_unreachable == "tempfail"
        log.warning(
            "[%s] external spam scan did not run (%s); %s",
            session_id or "-",
            reason,
            "temporary failure" if tempfail else "scored without it",
        )
        return ExternalOpinion((_not_run(self.scanner.name, reason),), tempfail=tempfail)


def _not_run(scanner: str, reason: str) -> Hit:
    return Hit(f"{scanner.upper()}_NOT_RUN", 0.0, f"the {scanner} scan did not run: {reason}")


def external_weight(report: ExternalReport, *, junk_score: float, reject_score: float) -> float:
    """The weight of the scanner's opinion in our score (see the module docstring)."""
    ours = reject_score if report.threshold_means == "reject" and reject_score > 0 else junk_score
    weight = report.score * ours / report.threshold if report.threshold > 0 else report.score
    if report.is_spam:
        weight = max(weight, junk_score)
    if report.rejects:
        weight = max(weight, reject_score if reject_score > 0 else junk_score)
    return round(weight, 2) + 0.0  # no "-0.0"


def external_hit(report: ExternalReport, *, junk_score: float, reject_score: float) -> Hit:
    """The ``RSPAMD`` / ``SPAMD`` hit: the weight, and the scanner's own view in the
    description (score, threshold, action, strongest rules first)."""
    weight = external_weight(report, junk_score=junk_score, reject_score=reject_score)
    ordered = sorted(
        report.symbols, key=lambda symbol: -abs(symbol[1]) if symbol[1] is not None else 0.0
    )
    threshold = "spam" if report.threshold_means == "junk" else "reject"
    description = (
        f"{report.scanner} score {report.score:g} ({threshold} from {report.threshold:g}), "
        f"{report.action}{', stopped early' if report.skipped else ''}:"
    )
    if not ordered:
        description += " no rules"
    for index, (name, symbol_score) in enumerate(ordered):
        shown = f" {name}" if symbol_score is None else f" {name}({symbol_score:g})"
        if len(description) + len(shown) > _MAX_DESCRIPTION:
            description += f" +{len(ordered) - index} more"
            break
        description += shown
    return Hit(report.scanner.upper(), weight, description)
