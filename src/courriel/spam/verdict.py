"""The spam score of one incoming message for each recipient account, the action it leads
to, and the header fields that explain it.

:func:`score` reads the message once (``analysis``: its features, the header, structure,
content and authentication rules, the classifier's tokens; possibly in a worker process),
checks the DNS blocklists (``dnsbl``) once, looks up the From sender's reputation
(``reputation``), then for each recipient account adds what is personal: its classifier
(``classifier``), whether it wrote to the sender, and its allow and block lists
(``lists``). The sum of the weights is the score; the thresholds of ``[spam]``
turn it into an action:

- ``reject``: score >= ``reject_score`` (when not 0): refuse at the end of DATA, ``550
  5.7.1``;
- ``junk``: score >= ``junk_score``: deliver into the Junk mailbox;
- ``headers``: deliver normally, with the explanation;
- ``none``: the filter is off; nothing to add.

Every scored message carries ``X-Spam-Score``, ``X-Spam-Status`` (``Yes, score=7.3,
required=5.0`` — the form mail clients already filter on) and ``X-Spam-Report``, one folded
line per rule that fired with its weight and what it found. A message for several accounts
may get several verdicts; :class:`ScoredMessage` groups the accounts whose header fields
are the same (the content is stored once per group) and refuses the transaction only when
every account's verdict is ``reject`` (the others' reject becomes junk).

Must not: store the message, answer SMTP, or write to the store (``service.SpamFilter``
records what scoring saw).
"""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from courriel.dns.resolver import Resolver
from courriel.mail.compose import header_lines
from courriel.mail.headers import without_named_fields
from courriel.mailauth.results import MethodResult
from courriel.spam.analysis import Analysis, analyze
from courriel.spam.classifier import bayes_hit, classify
from courriel.spam.dnsbl import DnsblCache, DnsblZone, check_dnsbl
from courriel.spam.lists import candidate_entries, list_hits
from courriel.spam.reputation import correspondent_hits, reputation_hits, sender_keys
from courriel.spam.rules import RuleContext
from courriel.spam.weights import Hit
from courriel.storage.ports import SpamRepo
from courriel.storage.records import AccountScoringInputs, AccountScoringQuery

Action = Literal["none", "headers", "junk", "reject"]
SCORE_FIELD = "X-Spam-Score"
STATUS_FIELD = "X-Spam-Status"
REPORT_FIELD = "X-Spam-Report"
#: The fields this filter writes; copies a sender wrote are removed before delivery.
SPAM_FIELDS = (SCORE_FIELD, STATUS_FIELD, REPORT_FIELD)
SPAM_FIELD_NAMES = frozenset(name.lower() for name in SPAM_FIELDS)
# Characters of one rule's description in the report (details come from the message).
_MAX_DESCRIPTION = 200
# Report lines are wrapped to this width (plus the tab that folds them).
_WRAP = 76
_CONTINUATION = "\r\n\t    "


class SpamSettings(Protocol):
    """What :func:`score` reads from the ``[spam]`` settings."""

    @property
    def enabled(self) -> bool: ...

    @property
    def junk_score(self) -> float: ...

    @property
    def reject_score(self) -> float: ...

    @property
    def dnsbl_zones(self) -> Sequence[tuple[str, float]]: ...

    @property
    def dnsbl_timeout(self) -> float: ...


@dataclass(frozen=True, slots=True)
class SpamVerdict:
    """One account's verdict: the score, the thresholds, the action and every hit."""

    account_id: int
    score: float
    junk_score: float
    reject_score: float
    action: Action
    hits: tuple[Hit, ...]

    @property
    def is_spam(self) -> bool:
        """At or above the junk threshold (``X-Spam-Status: Yes``)."""
        return self.action in ("junk", "reject")

    def header_fields(self) -> list[tuple[str, str]]:
        """``X-Spam-Score``, ``X-Spam-Status`` and the folded ``X-Spam-Report``; none when
        the filter is off."""
        if self.action == "none":
            return []
        score = f"{self.score:.1f}"
        status = f"{'Yes' if self.is_spam else 'No'}, score={score}, required={self.junk_score:.1f}"
        ordered = sorted(self.hits, key=lambda found: -found.weight)
        count = f"{len(ordered)} rule{'s' if len(ordered) != 1 else ''}" if ordered else "no rule"
        lines = [f"score={score}, required={self.junk_score:.1f}, {count} fired"]
        for found in ordered:
            line = f"* {_weight(found.weight):>5} {found.name} {_printable(found.description)}"
            # RFC 5322 §2.1.1: lines SHOULD stay within 78 characters; a long description
            # continues on lines indented under the rule's name.
            if len(line) > _WRAP:
                line = _CONTINUATION.join(textwrap.wrap(line, _WRAP, break_long_words=False))
            lines.append(line)
        # RFC 5322 §2.2.3: a fold is CRLF followed by whitespace; one rule per line.
        return [
            (SCORE_FIELD, score),
            (STATUS_FIELD, status),
            (REPORT_FIELD, "\r\n\t".join(lines)),
        ]

    def headers(self) -> bytes:
        """The header fields as bytes to prepend to the message (``b""`` when off)."""
        return header_lines(self.header_fields())


def _weight(weight: float) -> str:
    """One decimal, or two when the weight has them (a configured ``3.25``)."""
    return f"{weight:.1f}" if round(weight, 1) == weight else f"{weight:.2f}"


def _printable(text: str) -> str:
    """A description safe inside a header line: ASCII (other characters escaped, so a
    Unicode domain shows its code points), no control characters, bounded."""
    ascii_text = text.encode("ascii", "backslashreplace").decode("ascii")
    cleaned = "".join(character if " " <= character < "\x7f" else " " for character in ascii_text)
    if len(cleaned) > _MAX_DESCRIPTION:
        cleaned = cleaned[: _MAX_DESCRIPTION - 3] + "..."
    return cleaned


@dataclass(frozen=True, slots=True)
class ScoredMessage:
    """The verdicts of one message, by account id in the order asked, and what the
    delivery does with them."""

    verdicts: dict[int, SpamVerdict]
    from_address: str | None
    """The From address the reputation was looked up for (``SpamFilter`` records it)."""

    @property
    def rejected(self) -> bool:
        """Refuse the whole transaction: every account's verdict is ``reject``."""
        return bool(self.verdicts) and all(
            verdict.action == "reject" for verdict in self.verdicts.values()
        )

    def action_for(self, account_id: int) -> Action:
        """The account's action once the transaction is accepted: a ``reject`` verdict
        becomes ``junk`` when another account takes the message."""
        action = self.verdicts[account_id].action
        if action == "reject" and not self.rejected:
            return "junk"
        return action

    def groups(self) -> list[tuple[bytes, list[int]]]:
        """The header fields to prepend and the accounts that get them, one entry per
        distinct set of fields, in the order of the accounts."""
        grouped: dict[bytes, list[int]] = {}
        for account_id, verdict in self.verdicts.items():
            grouped.setdefault(verdict.headers(), []).append(account_id)
        return list(grouped.items())

    def with_shared_hits(self, hits: Sequence[Hit], settings: SpamSettings) -> ScoredMessage:
        """These verdicts with ``hits`` added to every account's (an external scanner's
        opinion): new totals, actions under the same thresholds; a filter that is off
        stays off."""
        if not hits:
            return self
        verdicts = {
            account_id: verdict
            if verdict.action == "none"
            else _verdict(account_id, (*verdict.hits, *hits), settings)
            for account_id, verdict in self.verdicts.items()
        }
        return ScoredMessage(verdicts, self.from_address)

    def summary(self) -> str:
        """Each account's score, action and rules, for the message's log line."""
        return "; ".join(
            f"spam score {verdict.score:.1f} for account {account_id}: "
            f"{self.action_for(account_id)} "
            f"({' '.join(f'{found.name}={found.weight:g}' for found in verdict.hits) or '-'})"
            for account_id, verdict in self.verdicts.items()
        )

    def explanation(self) -> str:
        """The reply text for a refused message: the score and the strongest rules."""
        verdict = max(self.verdicts.values(), key=lambda found: found.score)
        strongest = sorted(verdict.hits, key=lambda found: -found.weight)[:3]
        names = ", ".join(found.name for found in strongest if found.weight > 0)
        return f"Message refused as spam (score {verdict.score:.1f}: {names})"


def remove_spam_fields(raw: bytes) -> bytes:
    """``raw`` without the ``X-Spam-*`` fields of :data:`SPAM_FIELDS` in its top-level
    header: only this server may tell a user what its filter thought."""
    return without_named_fields(raw, SPAM_FIELD_NAMES)


def _verdict(account_id: int, hits: tuple[Hit, ...], settings: SpamSettings) -> SpamVerdict:
    """The verdict the sum of ``hits`` gives under the thresholds of ``settings``."""
    total = round(sum(found.weight for found in hits), 1) + 0.0  # no "-0.0"
    return SpamVerdict(
        account_id,
        total,
        settings.junk_score,
        settings.reject_score,
        _action(total, settings),
        hits,
    )


def _action(total: float, settings: SpamSettings) -> Action:
    if settings.reject_score > 0 and total >= settings.reject_score:
        return "reject"
    if total >= settings.junk_score:
        return "junk"
    return "headers"


def _account_hits(
    inputs: AccountScoringInputs,
    tokens: Sequence[str],
    from_address: str | None,
    context: RuleContext,
) -> list[Hit]:
    """What is personal to one account: its classifier, whether it wrote to the sender,
    its allow and block lists."""
    hits = []
    classification = classify(tokens, inputs.counts)
    if classification is not None:
        hits.append(bayes_hit(classification))
    hits.extend(
        correspondent_hits(
            inputs.known_correspondents, from_address, dmarc_failed=context.dmarc_failed
        )
    )
    hits.extend(list_hits(inputs.list_matches, dmarc_failed=context.dmarc_failed))
    return hits


async def score(
    raw: bytes,
    *,
    account_ids: Sequence[int],
    auth_results: Sequence[MethodResult] | None,
    client_ip: str | None,
    resolver: Resolver | None,
    repo: SpamRepo,
    settings: SpamSettings,
    mail_from: str = "",
    recipient_domains: Collection[str] = (),
    dnsbl_cache: DnsblCache | None = None,
    analysis: Analysis | None = None,
) -> ScoredMessage:
    """Score ``raw`` (the message as received) for each of ``account_ids``.

    ``auth_results``: what ``mailauth.inbound.authenticate`` found (None when the message
    was not checked); ``client_ip``: the sending server, looked up in the DNS blocklists
    through ``resolver`` (None skips them); ``mail_from``: the envelope sender, matched
    against the allow and block lists with the From address; ``recipient_domains``: the
    local recipients' domains, which lookalike senders imitate; ``analysis``: the
    message as ``analysis.analyze`` read it for ``RuleContext(auth_results,
    tuple(recipient_domains))`` (delivery reads it in a worker process), read here when
    None. Never raises for a malformed message; DNS trouble only skips the blocklists."""
    if not settings.enabled:
        return ScoredMessage(
            {
                account_id: SpamVerdict(
                    account_id, 0.0, settings.junk_score, settings.reject_score, "none", ()
                )
                for account_id in account_ids
            },
            None,
        )
    context = RuleContext(auth_results, tuple(recipient_domains))
    if analysis is None:
        analysis = analyze(raw, context)
    shared = list(analysis.hits)
    tokens = analysis.tokens
    from_address = analysis.from_address
    keys = sender_keys(from_address)
    candidates = candidate_entries([address for address in (from_address, mail_from) if address])
    queries = [
        AccountScoringQuery(account_id, tokens, [from_address] if from_address else [], candidates)
        for account_id in account_ids
    ]
    stored = repo.scoring_inputs(keys, queries)
    zones = [DnsblZone(name, weight) for name, weight in settings.dnsbl_zones]
    if client_ip and zones and resolver is not None:
        # The blocklists' DNS and the one read of the store, side by side.
        dnsbl_hits, inputs = await asyncio.gather(
            check_dnsbl(
                client_ip,
                zones,
                resolver,
                dnsbl_cache if dnsbl_cache is not None else DnsblCache(),
                timeout=settings.dnsbl_timeout,
            ),
            stored,
        )
    else:
        dnsbl_hits, inputs = [], await stored
    reputations = inputs.reputations
    personal = [
        _account_hits(inputs.accounts[account_id], tokens, from_address, context)
        for account_id in account_ids
    ]
    dmarc = context.result("dmarc")
    authenticated = dmarc is not None and dmarc.result == "pass"
    shared.extend(dnsbl_hits)
    shared.extend(reputation_hits(reputations, keys, authenticated=authenticated))
    verdicts = {
        account_id: _verdict(account_id, (*shared, *own), settings)
        for account_id, own in zip(account_ids, personal, strict=True)
    }
    return ScoredMessage(verdicts, from_address)
