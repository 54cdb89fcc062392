"""Wiring of the sending side: the DNS resolver, the queue worker, and where bounces go.

A DSN (RFC 3464) goes to the original sender: straight into their INBOX when the address
is ours, otherwise into the queue with the null reverse-path (RFC 5321 §4.5.5: a DSN is
sent with MAIL FROM:<>, and nothing ever bounces to <>). Local recipients that fail after
DATA while others succeeded (a quota reached in between) get a failure DSN the same way.
"""

from __future__ import annotations

import logging

from courriel.config import Config
from courriel.delivery.model import Envelope, Refusal
from courriel.delivery.pipeline import FailureHandler
from courriel.directory.resolve import Status
from courriel.mail.dsn import RecipientStatus, build_dsn
from courriel.mail.received import return_path_header
from courriel.queue.route import Smarthost
from courriel.queue.worker import QueueWorker
from courriel.runtime.services import Services
from courriel.storage.records import DeliveryTarget, QueueRecipientInput

log = logging.getLogger("courriel.queue")

_REFUSAL_STATUS = {
    Refusal.OVER_QUOTA: ("5.2.2", "mailbox full"),
    Refusal.UNKNOWN: ("5.1.1", "no such user"),
    Refusal.DISABLED: ("5.2.1", "mailbox disabled"),
}


def make_smarthost(config: Config) -> Smarthost | None:
    settings = config.queue
    if not settings.smarthost:
        return None
    host, _, port = settings.smarthost.rpartition(":")
    password = None
    if settings.smarthost_username and settings.smarthost_password_file.exists():
        password = settings.smarthost_password_file.read_text(encoding="utf-8").strip()
    return Smarthost(
        host=host or settings.smarthost,
        port=int(port)
        if port.isdigit()
        else (465 if settings.smarthost_tls == "implicit" else 587),
        implicit_tls=settings.smarthost_tls == "implicit",
        username=settings.smarthost_username or None,
        password=password,
        require_tls=settings.smarthost_tls != "none",
    )


async def route_dsn(services: Services, dsn: bytes, recipient: str) -> None:
    """Hand a DSN to its recipient (the original sender)."""
    resolution = await services.directory.resolve(recipient)
    if resolution.status is Status.DELIVER and resolution.accounts:
        await services.mailstore.deliver(
            return_path_header("") + dsn,
            [DeliveryTarget(account.id) for account in resolution.accounts],
        )
        return
    if resolution.status is Status.NOT_OURS:
        body = "7BIT" if dsn.isascii() else "8BITMIME"  # headers of the original may be 8-bit
        await services.queue.enqueue("", [QueueRecipientInput(recipient)], dsn, body=body)
        return
    log.warning("DSN for <%s> dropped: the address does not receive mail here", recipient)


def make_worker(services: Services) -> QueueWorker:
    config = services.config

    async def on_dsn(dsn: bytes, recipient: str) -> None:
        await route_dsn(services, dsn, recipient)

    hostname = config.server.hostname
    return QueueWorker(
        services.queue,
        services.resolver,
        hostname=hostname,
        on_dsn=on_dsn,
        smarthost=make_smarthost(config),
        concurrency=config.queue.concurrency,
        clock=services.clock,
        port=config.queue.remote_port,
        postmaster=f"postmaster@{hostname}",
        delay_notice_after=config.queue.delay_notice or float("inf"),
    )


def local_failure_handler(services: Services) -> FailureHandler:
    """``DeliveryPipeline.on_failures``: a failure DSN for local recipients that failed at
    the end of DATA while others were accepted."""

    async def on_failures(envelope: Envelope, message: bytes, failed: dict[str, Refusal]) -> None:
        if not envelope.sender:
            return  # RFC 3461 §6.2: never a DSN about a message from the null sender
        now = services.clock.now()
        recipients = []
        for address, refusal in failed.items():
            status, reason = _REFUSAL_STATUS.get(refusal, ("5.0.0", "failed"))
            recipients.append(
                RecipientStatus(
                    final_recipient=address,
                    original_recipient=None,
                    action="failed",
                    status=status,
                    remote_mta=None,
                    diagnostic_code=f"smtp; 550 {reason}",
                    last_attempt=now,
                    will_retry_until=None,
                )
            )
        dsn = build_dsn(
            reporting_mta=services.config.server.hostname,
            original=message,
            original_envelope_id=envelope.envid,
            ret=envelope.ret,  # type: ignore[arg-type]
            recipients=recipients,
            sender_address=envelope.sender,
            postmaster_address=f"postmaster@{services.config.server.hostname}",  # as the worker's
            now=now,
            message_id_domain=services.config.server.hostname,
            arrival_date=now,
        )
        await route_dsn(services, dsn, envelope.sender)

    return on_failures
