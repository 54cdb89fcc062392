"""``SpamFilter``: the spam filter as one domain service, built once in ``runtime``.

It holds the ``SpamRepo`` port, the resolver, the ``[spam]`` settings and the DNS
blocklist cache, and offers what the rest of courriel calls:

- :meth:`SpamFilter.check` — the delivery pipeline's entry point: score a message for its
  recipient accounts (``verdict.score``) and count it in its sender's reputation (in
  memory; :meth:`SpamFilter.record_sightings` writes the counts, every second);
- :meth:`SpamFilter.train_from_feedback` — housekeeping: train on users' Junk moves;
- :meth:`SpamFilter.record_correspondent` — submission: the account wrote to someone;
- the allow and block list operations the CLI (and later the web UI) use.

Must not: decide where mail goes (the pipeline turns the verdict into a mailbox or a
refusal) or touch the mail store itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence

from courriel.core.clock import Clock, SystemClock
from courriel.dns.resolver import Resolver
from courriel.mailauth.results import MethodResult
from courriel.spam.analysis import Analysis
from courriel.spam.dnsbl import DnsblCache
from courriel.spam.lists import normalize_entry
from courriel.spam.reputation import sender_keys
from courriel.spam.training import FeedbackSource, TrainingSummary, train_from_feedback
from courriel.spam.verdict import ScoredMessage, SpamSettings, score
from courriel.storage.ports import SpamRepo
from courriel.storage.records import ALLOW, BLOCK, SpamListEntry


class SpamFilter:
    """See the module docstring."""

    def __init__(
        self,
        repo: SpamRepo,
        settings: SpamSettings,
        *,
        resolver: Resolver | None,
        clock: Clock | None = None,
    ) -> None:
        self.repo = repo
        self.settings = settings
        self.resolver = resolver
        self.clock = clock or SystemClock()
        self.dnsbl_cache = DnsblCache(self.clock)
        self._sightings: Counter[str] = Counter()
        """Messages scored per sender key since the last ``record_sightings``."""
        self._last_sighting = 0.0

    async def check(
        self,
        raw: bytes,
        *,
        account_ids: Sequence[int],
        auth_results: Sequence[MethodResult] | None,
        client_ip: str | None,
        mail_from: str = "",
        recipient_domains: Collection[str] = (),
        analysis: Analysis | None = None,
    ) -> ScoredMessage:
        """Score ``raw`` for ``account_ids`` (see ``verdict.score`` for the arguments) and
        count the message in its From sender's reputation. (The caller logs the verdicts,
        ``ScoredMessage.summary``, on the message's one log line.)"""
        scored = await score(
            raw,
            account_ids=account_ids,
            auth_results=auth_results,
            client_ip=client_ip,
            resolver=self.resolver,
            repo=self.repo,
            settings=self.settings,
            mail_from=mail_from,
            recipient_domains=recipient_domains,
            dnsbl_cache=self.dnsbl_cache,
            analysis=analysis,
        )
        if not self.settings.enabled:
            return scored
        keys = sender_keys(scored.from_address)
        if keys:
            self._sightings.update(set(keys))
            self._last_sighting = self.clock.now()
        return scored

    async def record_sightings(self) -> int:
        """Write the sender sightings counted since the last call into the reputation
        table, in one transaction; the number of senders written. Scoring only counts
        in memory so that a delivery never waits for this write: ``runtime`` calls this
        every second and at shutdown (a crash forgets at most that second's counts,
        which only nudge reputation). A failed write keeps the counts for the next call."""
        if not self._sightings:
            return 0
        sightings, self._sightings = self._sightings, Counter()
        try:
            await self.repo.record_senders(sightings, self._last_sighting)
        except Exception:
            self._sightings.update(sightings)
            raise
        return len(sightings)

    async def train_from_feedback(
        self, source: FeedbackSource, *, max_reports: int = 10_000
    ) -> TrainingSummary:
        """Train every owner's classifier on the pending Junk-move reports of ``source``
        (the ``MailStore``) and consume them."""
        return await train_from_feedback(
            source, self.repo, clock=self.clock, max_reports=max_reports
        )

    async def record_correspondent(self, account_id: int, address: str) -> None:
        """The account sent mail to ``address``: its mail to the account is trusted more."""
        await self.record_correspondents(account_id, [address])

    async def record_correspondents(self, account_id: int, addresses: Sequence[str]) -> None:
        """``record_correspondent`` for several recipients of one message at once."""
        normalized = [
            address.strip().lower() for address in addresses if "@" in address.strip()[1:]
        ]
        if normalized:
            await self.repo.record_correspondents(account_id, normalized, self.clock.now())

    # -- allow and block lists ------------------------------------------------------------

    async def allow(self, account_id: int, entry: str) -> SpamListEntry:
        """Put an address or ``@domain`` on the account's allow list (off its block list).
        Raises ``lists.InvalidEntry`` or ``NotFound`` (account)."""
        return await self.repo.set_list_entry(
            account_id, normalize_entry(entry), ALLOW, self.clock.now()
        )

    async def block(self, account_id: int, entry: str) -> SpamListEntry:
        """Put an address or ``@domain`` on the account's block list (off its allow list)."""
        return await self.repo.set_list_entry(
            account_id, normalize_entry(entry), BLOCK, self.clock.now()
        )

    async def unallow(self, account_id: int, entry: str) -> bool:
        """Take an entry off the allow list; False when it was not there."""
        return await self.repo.remove_list_entry(account_id, normalize_entry(entry), ALLOW)

    async def unblock(self, account_id: int, entry: str) -> bool:
        """Take an entry off the block list; False when it was not there."""
        return await self.repo.remove_list_entry(account_id, normalize_entry(entry), BLOCK)

    async def list_entries(self, account_id: int) -> list[SpamListEntry]:
        """The account's allow list, then its block list."""
        return await self.repo.list_entries(account_id)
