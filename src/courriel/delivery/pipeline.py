"""``DeliveryPipeline``: from an accepted SMTP transaction to stored and queued mail.

1. Submission only: ``Message-ID`` and ``Date`` are added when missing (RFC 6409 §8.2-8.3).
2. A ``Received:`` line is prepended (RFC 5321 §4.4), naming the recipient only when there
   is one (never reveal Bcc recipients, RFC 5321 §7.2), with the TLS version and cipher.
3. Local recipients: ``Return-Path:`` is added (the final delivery, RFC 5321 §4.4) and the
   message is stored **once** for all of them (``MailStore.deliver``), durably, before the
   server answers.
4. Outside recipients (submission to the world, aliases forwarding outside) go to the
   outbound queue, durably, in one queued message.

Recipients that fail at this point (a quota reached between RCPT and the end of DATA) are
reported, so the server can answer for the whole transaction or send a DSN for some.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from courriel.core.clock import Clock, SystemClock
from courriel.delivery.model import DeliveryReport, Envelope, Recipient, Refusal, Role
from courriel.delivery.recipients import check_recipient
from courriel.delivery.senders import may_send_as
from courriel.directory.service import Directory
from courriel.mail.compose import add_missing_headers
from courriel.mail.received import received_header, received_protocol, return_path_header
from courriel.mailstore.service import MailStore
from courriel.queue.service import OutboundQueue
from courriel.storage.records import DeliveryRefused, DeliveryTarget, QueueRecipientInput

_OUTCOME_REFUSALS = {"quota": Refusal.OVER_QUOTA, "no-account": Refusal.UNKNOWN}

FailureHandler = Callable[[Envelope, bytes, dict[str, Refusal]], Awaitable[None]]


class DeliveryPipeline:
    """Where SMTP (and later the webmail's send button) hand messages over."""

    def __init__(
        self,
        directory: Directory,
        mailstore: MailStore,
        queue: OutboundQueue,
        *,
        hostname: str,
        clock: Clock | None = None,
        on_failures: FailureHandler | None = None,
    ) -> None:
        self.directory = directory
        self.mailstore = mailstore
        self.queue = queue
        self.hostname = hostname
        self.clock = clock or SystemClock()
        self.on_failures = on_failures

    async def check_recipient(
        self,
        address: str,
        *,
        role: Role,
        authenticated: bool,
        notify: str | None = None,
        orcpt: str | None = None,
    ) -> Recipient | Refusal:
        return await check_recipient(
            self.directory,
            address,
            role=role,
            authenticated=authenticated,
            notify=notify,
            orcpt=orcpt,
        )

    async def check_sender(self, envelope_principal_address: str, sender: str) -> Refusal | None:
        """For submission: whether the logged-in account may use ``sender``."""
        account = await self.directory.repo.get_account(envelope_principal_address)
        if account is None or not sender or not await may_send_as(self.directory, account, sender):
            return Refusal.NOT_YOUR_ADDRESS
        return None

    async def deliver(self, envelope: Envelope, raw: bytes) -> DeliveryReport:
        """Store and queue; durable for everything reported as stored or queued."""
        now = self.clock.now()
        if envelope.role is Role.SUBMISSION:
            domain = envelope.sender.rpartition("@")[2] or self.hostname
            raw = add_missing_headers(raw, domain=domain, now=now)
        single = envelope.recipients[0].address if len(envelope.recipients) == 1 else None
        trace = received_header(
            from_helo=envelope.helo or "unknown",
            from_ip=envelope.peer_ip,
            from_rdns=envelope.peer_name,
            by_host=self.hostname,
            protocol=received_protocol(
                tls=envelope.tls is not None,
                authenticated=envelope.principal is not None,
                utf8=envelope.smtputf8,
            ),
            tls=envelope.tls,
            queue_id=envelope.session_id or "local",
            for_recipient=single,
            now=now,
        )
        traced = trace + raw
        local: dict[int, list[str]] = {}
        external: dict[str, Recipient] = {}
        for recipient in envelope.recipients:
            for account in recipient.accounts:
                local.setdefault(account.id, []).append(recipient.address)
            for address in recipient.external:
                external.setdefault(address, recipient)
        stored: list[str] = []
        failed: dict[str, Refusal] = {}
        if local:
            outcomes = await self.mailstore.deliver(
                return_path_header(envelope.sender) + traced,
                [DeliveryTarget(account_id) for account_id in local],
                internal_date=now,
            )
            for outcome in outcomes:
                addresses = local[outcome.account_id]
                if isinstance(outcome, DeliveryRefused):
                    for address in addresses:
                        failed[address] = _OUTCOME_REFUSALS.get(outcome.reason, Refusal.TEMPORARY)
                else:
                    stored.extend(addresses)
        queue_id = None
        if external:
            queue_id = await self.queue.enqueue(
                envelope.sender,
                [
                    QueueRecipientInput(address, recipient.notify, recipient.orcpt)
                    for address, recipient in external.items()
                ],
                traced,
                envid=envelope.envid,
                ret=envelope.ret,
                smtputf8=envelope.smtputf8,
                body=envelope.body,
                account=None if envelope.principal is None else envelope.principal.address,
            )
        report = DeliveryReport(
            stored=tuple(dict.fromkeys(stored)),
            queued=tuple(external),
            failed=failed,
            queue_id=queue_id,
        )
        if failed and (stored or external) and self.on_failures is not None:
            await self.on_failures(envelope, traced, failed)
        return report
