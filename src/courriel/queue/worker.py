"""``QueueWorker``: takes due recipients from the queue and delivers them over SMTP.

Owns the delivery loop (research/scale-out.md §2.11): claim due recipients with a lease
(``QueueRepo.claim``: a crashed attempt comes back only after the lease, never in a hot
loop), deliver each job (one message, one domain: one SMTP transaction for all its
recipients, RFC 5321 §3.3) with bounded concurrency, record the outcomes, send the DSNs, and
remove messages that have nothing left to try. ``run()`` loops until cancelled and wakes up
on ``OutboundQueue.wakeup``; ``run_once()`` delivers what is due now (tests, ``queue flush``).

One attempt for one job:

1. route: the smarthost, or the MX hosts (``route``); a DNS answer that the domain cannot
   receive mail fails the recipients, a DNS failure retries them;
2. for each host and address in order: connect, EHLO, STARTTLS when offered (opportunistic
   for MX hosts, RFC 3207 and RFC 7435: no certificate check and, after a failed handshake,
   one more try in clear text; required and verified for a smarthost by default), AUTH for
   a smarthost, then the transaction. A connection, TLS or session failure (greeting, EHLO,
   AUTH) moves on to the next address; once a transaction ran, its replies decide;
3. each recipient: 2yz delivered, 5yz failed, 4yz retried later (``schedule``); retried
   recipients of an expired message fail instead (RFC 5321 §4.5.4.1);
4. the failure DSN goes out *before* the outcomes are recorded (a crash in between repeats
   the DSN rather than losing it); the delay DSN once, after 4 hours (``bounce``,
   ``schedule``); finished messages are removed (with their spool file).

Not done yet: success reports. A server that offers DSN gets NOTIFY passed on and reports
success itself; to one that does not, RFC 3461 §5.2.2 asks for a "relayed" DSN when NOTIFY
contains SUCCESS, which courriel does not send. Connections are not reused across jobs.

Must not: parse SMTP (``smtp.client``), build DSN messages (``bounce``), decide how a DSN
travels (``on_dsn``), or read configuration (the runtime passes values in).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random as random_module
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from courriel.core.clock import Clock
from courriel.dns.resolver import Resolver
from courriel.mail.compose import RandomBytes
from courriel.net.tls import make_client_context
from courriel.queue.bounce import Bouncer, DsnSink, RecipientReport
from courriel.queue.route import SMTP_PORT, Route, RouteError, RouteHost, Smarthost, route
from courriel.queue.schedule import (
    DELAY_NOTICE_AFTER,
    is_expired,
    next_attempt,
    should_send_delay_notice,
)
from courriel.queue.service import OutboundQueue
from courriel.smtp.client import (
    Recipient,
    SmtpClient,
    SmtpClientError,
    SmtpNotPossible,
    SmtpReplyError,
    SmtpTlsError,
    Timeouts,
    address_is_valid,
)
from courriel.smtp.protocol.replies import Reply
from courriel.storage.errors import NotFound
from courriel.storage.records import AttemptResult, DeliveryJob, QueuedMessage, QueuedRecipient

__all__ = ["DEFAULT_LEASE", "DeliveryReport", "QueueWorker", "TlsPolicy"]

log = logging.getLogger("courriel.queue")

DEFAULT_LEASE = 15 * 60.0
"""How long claimed recipients stay ours; an attempt is cut off well before it ends."""

_Kind = Literal["delivered", "failed", "retry"]


@dataclass(frozen=True, slots=True)
class TlsPolicy:
    """TLS towards MX hosts.

    ``opportunistic``: STARTTLS whenever offered (RFC 3207), without checking the
    certificate unless ``verify`` (RFC 7435: encryption without authentication beats clear
    text; verifying MX certificates needs DANE or MTA-STS to know the right name).
    ``plaintext_fallback``: after a failed handshake, try the same host once in clear text
    (RFC 7435 §3, as the mail being sent in clear is what the sender would get without TLS
    anyway).
    """

    opportunistic: bool = True
    verify: bool = False
    ca_file: Path | None = None
    plaintext_fallback: bool = True


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one job came to: for logs, ``courriel queue flush`` and tests."""

    message_id: int
    domain: str
    results: tuple[AttemptResult, ...]


@dataclass(frozen=True, slots=True)
class _Outcome:
    """One recipient's result in an attempt. ``host`` is the host tried; ``remote`` says
    whether ``diagnostic`` is that host's answer (DSN Remote-MTA, RFC 3464 §2.3.5)."""

    kind: _Kind
    status: str
    diagnostic: str
    host: str | None = None
    remote: bool = False


def _status(reply: Reply) -> str:
    """The RFC 3463 status of a reply: its enhanced code, or one made from its class; an
    unexpected 1yz-3yz reply is a temporary problem."""
    if reply.code >= 400:
        return reply.enhanced or f"{reply.code // 100}.0.0"
    if reply.positive:
        return reply.enhanced or "2.0.0"
    return "4.0.0"


def _from_reply(reply: Reply, host: str) -> _Outcome:
    kind: _Kind = "delivered" if reply.positive else "failed" if reply.permanent else "retry"
    return _Outcome(kind, _status(reply), f"smtp; {reply}", host, remote=True)


def _from_error(error: SmtpClientError, host: str | None) -> _Outcome:
    kind: _Kind = "retry" if error.temporary else "failed"
    if error.reply is not None:
        return _Outcome(kind, error.status, f"smtp; {error.reply}", host, remote=True)
    return _Outcome(kind, error.status, f"X-Courriel; {error}", host)


class QueueWorker:
    """Delivers the outbound queue. One per process; several processes (scale-out) share
    the queue through leases."""

    def __init__(
        self,
        queue: OutboundQueue,
        resolver: Resolver,
        *,
        hostname: str,
        on_dsn: DsnSink,
        smarthost: Smarthost | None = None,
        tls: TlsPolicy | None = None,
        concurrency: int = 8,
        clock: Clock | None = None,
        random: random_module.Random | None = None,
        port: int = SMTP_PORT,
        timeouts: Timeouts | None = None,
        lease: float = DEFAULT_LEASE,
        claim_batch: int = 100,
        postmaster: str | None = None,
        delay_notice_after: float = DELAY_NOTICE_AFTER,
        max_addresses: int = 10,
        poll_interval: float = 60.0,
        random_bytes: RandomBytes = os.urandom,
    ) -> None:
        if concurrency < 1 or claim_batch < 1 or max_addresses < 1:
            raise ValueError("concurrency, claim_batch and max_addresses must be positive")
        self.queue = queue
        self.resolver = resolver
        self.hostname = hostname
        self.smarthost = smarthost
        self.tls = tls or TlsPolicy()
        self.concurrency = concurrency
        self.clock: Clock = clock or queue.clock
        self.random = random or random_module.Random()
        self.port = port
        self.timeouts = timeouts or Timeouts()
        self.lease = lease
        self.claim_batch = claim_batch
        self.delay_notice_after = delay_notice_after
        self.max_addresses = max_addresses
        self.poll_interval = poll_interval
        self.bouncer = Bouncer(
            reporting_mta=hostname,
            postmaster=postmaster or f"postmaster@{hostname}",
            on_dsn=on_dsn,
            random_bytes=random_bytes,
        )
        self._mx_tls = make_client_context(verify=self.tls.verify, ca_file=self.tls.ca_file)
        self._smarthost_tls = (
            make_client_context(verify=smarthost.verify_tls, ca_file=smarthost.ca_file)
            if smarthost is not None
            else None
        )
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[int] = set()
        self._next_due: float | None = None

    # ------------------------------------------------------------------ the loop

    async def run(self) -> None:
        """Deliver until cancelled. Sleeps until the next known due time (at most
        ``poll_interval``) or until something is queued; on cancellation, attempts in
        progress are cut off and their recipients come back after their lease."""
        running: set[asyncio.Task[DeliveryReport | None]] = set()
        wakeup = self.queue.wakeup
        try:
            while True:
                wakeup.clear()
                claimed_all = False
                if len(running) < self.concurrency:
                    try:
                        jobs, claimed_all = await self._claim()
                    except Exception:
                        # The store is unavailable: log it and try again after a pause.
                        log.exception("claiming due queue recipients failed")
                        jobs = []
                    running.update(asyncio.create_task(self._run_job(job)) for job in jobs)
                if claimed_all and len(running) < self.concurrency:
                    continue  # more may be due right now
                waiter = asyncio.create_task(wakeup.wait())
                try:
                    done, _ = await asyncio.wait(
                        {waiter, *running},
                        timeout=self._sleep_time(),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    waiter.cancel()
                running.difference_update(done)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    async def run_once(self) -> list[DeliveryReport]:
        """Deliver everything due now, and wait for it."""
        reports: list[DeliveryReport] = []
        while True:
            jobs, _ = await self._claim()
            if not jobs:
                return reports
            done = await asyncio.gather(*(self._run_job(job) for job in jobs))
            reports.extend(report for report in done if report is not None)

    def _sleep_time(self) -> float:
        if self._next_due is None:
            return self.poll_interval
        return min(self.poll_interval, max(0.0, self._next_due - self.clock.now()))

    async def _claim(self) -> tuple[list[DeliveryJob], bool]:
        """Lease due recipients; returns the jobs and whether the batch was full."""
        now = self.clock.now()
        if self._next_due is not None and self._next_due <= now:
            self._next_due = None
        jobs = await self.queue.repo.claim(now, self.lease, self.claim_batch)
        full = sum(len(job.recipients) for job in jobs) >= self.claim_batch
        fresh = []
        for job in jobs:
            # A lease that ran out while this process still works on the recipient (a very
            # long backlog) must not start a second, concurrent delivery of it here.
            recipients = tuple(r for r in job.recipients if r.id not in self._in_flight)
            if recipients:
                fresh.append(replace(job, recipients=recipients))
                self._in_flight.update(r.id for r in recipients)
        return fresh, full

    async def _run_job(self, job: DeliveryJob) -> DeliveryReport | None:
        try:
            async with self._slots:
                async with asyncio.timeout(self.lease * 0.8):
                    return await self.deliver(job)
        except TimeoutError:
            log.error(
                "delivery of queued message %d to %s outlived its lease; it will be retried",
                job.message.id,
                job.domain,
            )
        except Exception:
            # A bug or a storage failure: the recipients stay leased and come back after
            # the lease, at the lease's pace (no hot loop).
            log.exception("delivery of queued message %d to %s failed", job.message.id, job.domain)
        finally:
            self._in_flight.difference_update(r.id for r in job.recipients)
        return None

    # ------------------------------------------------------------------ one job

    async def deliver(self, job: DeliveryJob) -> DeliveryReport:
        """One attempt for the recipients of ``job`` (already leased), with everything
        that follows it: records, DSNs, clean-up."""
        message = job.message
        try:
            original = await self.queue.body(message)
        except (NotFound, OSError) as error:
            # Nothing will bring the content back (RFC 3463 X.3.0: mail system problem).
            log.error("queued message %d has no content: %s", message.id, error)
            lost = _Outcome("failed", "5.3.0", "X-Courriel; the queued message was lost")
            return await self._finish(job, b"\r\n", {r.id: lost for r in job.recipients})
        outcomes = await self._attempt(job, original)
        return await self._finish(job, original, outcomes)

    async def _attempt(self, job: DeliveryJob, original: bytes) -> dict[int, _Outcome]:
        outcomes: dict[int, _Outcome] = {}
        if not address_is_valid(job.message.sender, sender=True):
            # RFC 3463 X.1.7: no server will take this reverse-path; nothing will change.
            bad = _Outcome("failed", "5.1.7", "X-Courriel; invalid sender address")
            return {r.id: bad for r in job.recipients}
        recipients = []
        for recipient in job.recipients:
            if address_is_valid(recipient.address):
                recipients.append(recipient)
            else:  # RFC 3463 X.1.3: bad destination mailbox address syntax
                outcomes[recipient.id] = _Outcome(
                    "failed", "5.1.3", "X-Courriel; invalid recipient address"
                )
        if not recipients:
            return outcomes
        outcomes.update(await self._attempt_hosts(job, recipients, original))
        return outcomes

    async def _attempt_hosts(
        self, job: DeliveryJob, recipients: list[QueuedRecipient], original: bytes
    ) -> dict[int, _Outcome]:
        try:
            destination = await route(
                job.domain,
                self.resolver,
                smarthost=self.smarthost,
                port=self.port,
                random=self.random,
            )
        except RouteError as error:
            kind: _Kind = "retry" if error.temporary else "failed"
            text = " ".join(error.reply.lines)
            outcome = _Outcome(kind, error.status, f"X-Courriel; {text}")
            return {r.id: outcome for r in recipients}
        last: _Outcome | None = None
        tried = 0
        for host in destination.hosts:
            for address in host.addresses:
                if tried >= self.max_addresses:
                    break
                tried += 1
                try:
                    replies = await self._try_address(
                        destination, host, address, job.message, recipients, original
                    )
                except SmtpNotPossible as error:
                    # The message itself cannot go (SMTPUTF8, 8BITMIME, SIZE): final.
                    outcome = _from_error(error, host.name)
                    return {r.id: outcome for r in recipients}
                except SmtpClientError as error:
                    log.info(
                        "queued message %d: %s[%s]: %s", job.message.id, host.name, address, error
                    )
                    last = _from_error(error, host.name)
                    continue
                pairs = zip(recipients, replies, strict=True)
                return {r.id: _from_reply(reply, host.name) for r, reply in pairs}
        # Every host failed before a transaction: try again later, whatever they said.
        if last is None:
            last = _Outcome("retry", "4.4.4", "X-Courriel; no host to try")
        elif last.kind != "retry":
            last = replace(last, kind="retry", status="4" + last.status[1:])
        return dict.fromkeys((r.id for r in recipients), last)

    async def _try_address(
        self,
        destination: Route,
        host: RouteHost,
        address: str,
        message: QueuedMessage,
        recipients: list[QueuedRecipient],
        original: bytes,
    ) -> tuple[Reply, ...]:
        session = (destination, host, address, message, recipients, original)
        try:
            return await self._session(*session, starttls=True)
        except SmtpTlsError as error:
            if destination.smarthost is not None or not self.tls.plaintext_fallback:
                raise
            # RFC 7435 §3: opportunistic TLS falls back to clear text rather than not at all.
            log.info("%s[%s]: %s; trying again without TLS", host.name, address, error)
            return await self._session(*session, starttls=False)

    async def _session(
        self,
        destination: Route,
        host: RouteHost,
        address: str,
        message: QueuedMessage,
        recipients: list[QueuedRecipient],
        original: bytes,
        *,
        starttls: bool,
    ) -> tuple[Reply, ...]:
        smarthost = destination.smarthost
        context = self._smarthost_tls if smarthost is not None else self._mx_tls
        client = await SmtpClient.connect(
            address,
            host.port,
            local_hostname=self.hostname,
            timeout=self.timeouts,
            tls_context=context,
            implicit_tls=smarthost is not None and smarthost.implicit_tls,
            server_hostname=host.name,
        )
        try:
            use_tls = smarthost is not None or (starttls and self.tls.opportunistic)
            if not client.tls_active and use_tls and client.offers("STARTTLS"):
                try:
                    await client.starttls()
                except SmtpReplyError:
                    # RFC 3207 §4.1: the server cannot do TLS now; the session goes on.
                    if smarthost is not None and smarthost.tls_required:
                        raise
            if smarthost is not None and smarthost.tls_required and not client.tls_active:
                raise SmtpTlsError("the smarthost offers no TLS, which is required")
            if smarthost is not None and smarthost.username:
                await client.auth(
                    smarthost.username,
                    smarthost.password or "",
                    allow_plaintext_without_tls=not smarthost.tls_required,
                )
            result = await client.send(
                message.sender,
                [Recipient(r.address, r.notify, r.orcpt) for r in recipients],
                original,
                body=message.body,
                smtputf8=message.smtputf8,
                envid=message.envid,
                ret=message.ret,
            )
        except BaseException:
            client.abort()
            raise
        await client.quit()
        return result.outcomes

    # ------------------------------------------------------------------ afterwards

    async def _finish(
        self, job: DeliveryJob, original: bytes, outcomes: dict[int, _Outcome]
    ) -> DeliveryReport:
        message = job.message
        now = self.clock.now()
        expired = is_expired(message, now)
        results: list[AttemptResult] = []
        failures: list[RecipientReport] = []
        delays: list[RecipientReport] = []
        # One retry time for the whole job, so its recipients stay one transaction.
        attempts = max(recipient.attempts for recipient in job.recipients) + 1
        when = next_attempt(attempts, now, self.random, expires=message.expires)
        for recipient in job.recipients:
            outcome = outcomes.get(recipient.id) or _Outcome(
                "retry", "4.0.0", "X-Courriel; not attempted"
            )
            if outcome.kind == "retry" and expired:
                # RFC 5321 §4.5.4.1: the give-up time passed; a temporary problem is final.
                status = outcome.status if not outcome.status.endswith(".0.0") else "4.4.7"
                outcome = replace(outcome, kind="failed", status=status)
            _log_outcome(message, recipient, outcome, expired=expired)
            report = RecipientReport(
                recipient,
                outcome.status,
                outcome.diagnostic,
                outcome.host if outcome.remote else None,
                now,
            )
            if outcome.kind == "retry":
                self._next_due = when if self._next_due is None else min(self._next_due, when)
                results.append(
                    AttemptResult(recipient.id, "retry", outcome.diagnostic, outcome.host, when)
                )
                if should_send_delay_notice(message, recipient, now, after=self.delay_notice_after):
                    delays.append(report)
            else:
                results.append(
                    AttemptResult(recipient.id, outcome.kind, outcome.diagnostic, outcome.host)
                )
                if outcome.kind == "failed":
                    failures.append(report)
        if failures:
            # Before recording: a crash in between sends the DSN twice, never not at all.
            await self.bouncer.failed(message, original, failures, now=now)
        await self.queue.repo.record(results, now)
        if delays:
            await self.bouncer.delayed(message, original, delays, now=now)
            await self.queue.repo.mark_delay_notified([r.recipient.id for r in delays])
        if any(result.outcome != "retry" for result in results):
            for removed in await self.queue.remove_finished():
                log.info("queued message %d finished and removed", removed.id)
        return DeliveryReport(message.id, job.domain, tuple(results))


def _log_outcome(
    message: QueuedMessage, recipient: QueuedRecipient, outcome: _Outcome, *, expired: bool
) -> None:
    state = {"delivered": "delivered", "failed": "bounced", "retry": "deferred"}[outcome.kind]
    log.info(
        "queued message %d to <%s> via %s: %s%s (%s)",
        message.id,
        recipient.address,
        outcome.host or "-",
        state,
        ", expired" if expired and outcome.kind == "failed" else "",
        outcome.diagnostic,
    )
