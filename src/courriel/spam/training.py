"""Training from users' Junk moves: consume the pending ``spam_feedback`` reports and train
each owner's classifier and the senders' reputation.

``MailStore`` records a report in the same transaction as a copy or move into Junk
("spam") or out of it ("ham"), whatever the front end (IMAP MOVE/COPY, webmail buttons).
:func:`train_from_feedback` reads the pending reports oldest first, tokenizes each message
the way scoring does, trains the account through the ``SpamRepo`` port, and consumes the
reports it handled. Training the same content twice with the same verdict changes nothing,
and the opposite verdict retrains it, so a crash between training and consuming, or a
message moved into Junk and back out, never counts twice. A report whose message is gone
(deleted and collected) or whose account was removed is consumed without training.

Runs as housekeeping (the runtime schedules it); it yields to the event loop between
messages.

Must not: decide which moves are reports (``mailstore.junk`` does). A store error other
than a missing account propagates, and the batch stays pending for the next run.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from courriel.core.clock import Clock, SystemClock
from courriel.spam.features import read_features
from courriel.spam.reputation import sender_keys
from courriel.spam.tokens import tokenize
from courriel.storage.errors import NotFound
from courriel.storage.ports import SpamRepo
from courriel.storage.records import SpamFeedback

log = logging.getLogger("courriel.spam")

#: Reports read per batch; each batch is consumed before the next is read.
BATCH = 200


class FeedbackSource(Protocol):
    """Where reports come from: ``MailStore``'s spam-feedback methods."""

    async def pending_spam_feedback(self, limit: int = 500) -> list[SpamFeedback]: ...

    async def consume_spam_feedback(self, reports: Sequence[SpamFeedback]) -> int: ...

    async def read_feedback_content(self, report: SpamFeedback) -> bytes | None: ...


@dataclass(frozen=True, slots=True)
class TrainingSummary:
    """What one run did: messages newly trained, retrained with the other verdict,
    already trained as reported, and reports whose message or account was gone."""

    trained: int = 0
    retrained: int = 0
    unchanged: int = 0
    missing: int = 0

    @property
    def reports(self) -> int:
        return self.trained + self.retrained + self.unchanged + self.missing


async def train_report(report: SpamFeedback, content: bytes, repo: SpamRepo, now: float) -> str:
    """Train the report's account on ``content``; ``trained``, ``retrained``,
    ``unchanged`` (see ``SpamRepo.train``). Raises ``NotFound`` for a removed account."""
    features = read_features(content)
    sender = features.from_address
    senders = sender_keys(sender.addr_spec if sender is not None and sender.domain else None)
    return await repo.train(
        report.account_id, report.sha256, report.verdict, tokenize(features), senders, now
    )


async def train_from_feedback(
    source: FeedbackSource,
    repo: SpamRepo,
    *,
    clock: Clock | None = None,
    max_reports: int = 10_000,
) -> TrainingSummary:
    """Train on the pending reports, at most ``max_reports`` in one run (the rest wait
    for the next run), and consume them."""
    clock = clock or SystemClock()
    counts = {"trained": 0, "retrained": 0, "unchanged": 0, "missing": 0}
    handled = 0
    while handled < max_reports:
        reports = await source.pending_spam_feedback(min(BATCH, max_reports - handled))
        if not reports:
            break
        for report in reports:
            content = await source.read_feedback_content(report)
            outcome = "missing"
            if content is not None:
                with contextlib.suppress(NotFound):  # the account was removed meanwhile
                    outcome = await train_report(report, content, repo, clock.now())
            counts[outcome] += 1
        await source.consume_spam_feedback(reports)
        handled += len(reports)
    summary = TrainingSummary(**counts)
    if summary.reports:
        log.info(
            "spam training: %d reports (%d trained, %d retrained, %d already, %d gone)",
            summary.reports,
            summary.trained,
            summary.retrained,
            summary.unchanged,
            summary.missing,
        )
    return summary
