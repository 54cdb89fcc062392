"""Delivery status notifications about queued messages: who gets one, and its content.

Owns the queue's side of RFC 3461/RFC 3464: which recipients a DSN reports (the NOTIFY
each recipient was given, RFC 3461 §4.1; nothing ever to the null reverse-path, RFC 3461
§6.2 and RFC 5321 §4.5.5), one DSN per message and event with all its recipients, the
original's header only unless the sender asked ``RET=FULL`` (RFC 3461 §4.3), the original
ENVID and ORCPT carried back (RFC 3461 §4.2, §4.4), and no delay notice about a message
that is itself automatic (RFC 3834 §2). The message is built by ``courriel.mail.dsn``.

The finished DSN goes to ``on_dsn(dsn_bytes, sender_address)``. Must not: decide how it
travels (the runtime delivers it locally when the sender is ours, else queues it with the
null sender, RFC 3461 §6.2), read the clock, or touch the queue's storage.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from courriel.mail.compose import RandomBytes
from courriel.mail.dsn import RecipientStatus, build_dsn, is_bounce_loop_risk
from courriel.smtp.client.plan import parse_notify, parse_original_recipient
from courriel.smtp.protocol.parameters import DsnNotify
from courriel.storage.records import QueuedMessage, QueuedRecipient

__all__ = ["Bouncer", "DsnSink", "RecipientReport", "notify_allows"]

log = logging.getLogger("courriel.queue.bounce")

DsnSink = Callable[[bytes, str], Awaitable[None]]
"""Where a DSN goes: ``(message bytes, the address it is for)``."""

Event = Literal["SUCCESS", "FAILURE", "DELAY"]


def notify_allows(notify: str | None, event: Event) -> bool:
    """Whether a recipient's NOTIFY asks for a DSN on ``event`` (RFC 3461 §4.1).

    Without NOTIFY the MTA acts as for ``NOTIFY=FAILURE`` or ``NOTIFY=FAILURE,DELAY``, its
    choice: courriel reports failures and delays. ``NEVER`` asks for nothing.
    """
    values = parse_notify(notify)
    if values is None:
        return event in ("FAILURE", "DELAY")
    return DsnNotify(event) in values


@dataclass(frozen=True, slots=True)
class RecipientReport:
    """What to say about one recipient: its RFC 3463 ``status``, the ``diagnostic`` text
    (``"smtp; 550 5.1.1 No such user"``, RFC 3464 §2.3.6), the host that gave it and when
    it was last tried."""

    recipient: QueuedRecipient
    status: str
    diagnostic: str | None = None
    remote_mta: str | None = None
    last_attempt: float | None = None


class Bouncer:
    """Builds DSNs for the queue worker and hands them to ``on_dsn``."""

    def __init__(
        self,
        *,
        reporting_mta: str,
        postmaster: str,
        on_dsn: DsnSink,
        random_bytes: RandomBytes = os.urandom,
    ) -> None:
        self.reporting_mta = reporting_mta
        self.postmaster = postmaster
        self.on_dsn = on_dsn
        self.random_bytes = random_bytes

    async def failed(
        self,
        message: QueuedMessage,
        original: bytes,
        reports: Sequence[RecipientReport],
        *,
        now: float,
    ) -> list[int]:
        """One failure DSN for the ``reports`` whose NOTIFY allows it; returns the ids of the
        recipients it reported (empty when none was sent)."""
        wanted = [r for r in reports if notify_allows(r.recipient.notify, "FAILURE")]
        return await self._send(message, original, wanted, "failed", now=now)

    async def delayed(
        self,
        message: QueuedMessage,
        original: bytes,
        reports: Sequence[RecipientReport],
        *,
        now: float,
    ) -> list[int]:
        """One delay DSN for ``reports`` (the caller chose them with
        ``schedule.should_send_delay_notice``); none about an automatic message (RFC 3834
        §2: a report about a report can loop)."""
        wanted = [r for r in reports if notify_allows(r.recipient.notify, "DELAY")]
        if wanted and is_bounce_loop_risk(original):
            log.info("no delay notice for queued message %d: it is automatic", message.id)
            return []
        return await self._send(message, original, wanted, "delayed", now=now)

    async def _send(
        self,
        message: QueuedMessage,
        original: bytes,
        reports: Sequence[RecipientReport],
        action: Literal["failed", "delayed"],
        *,
        now: float,
    ) -> list[int]:
        if not reports:
            return []
        if message.sender == "":
            # RFC 3461 §6.2, RFC 5321 §4.5.5: never a DSN to the null reverse-path.
            return []
        statuses = [
            RecipientStatus(
                final_recipient=report.recipient.address,
                original_recipient=_original_recipient(report.recipient.orcpt),
                action=action,
                status=_status_for(action, report.status),
                remote_mta=report.remote_mta,
                diagnostic_code=report.diagnostic,
                last_attempt=report.last_attempt,
                will_retry_until=message.expires if action == "delayed" else None,
            )
            for report in reports
        ]
        dsn = build_dsn(
            reporting_mta=self.reporting_mta,
            original=original,
            original_envelope_id=message.envid,
            # RFC 3461 §4.3: the whole message only when the sender asked for it.
            ret="FULL" if (message.ret or "").upper() == "FULL" else "HDRS",
            recipients=statuses,
            sender_address=message.sender,
            postmaster_address=self.postmaster,
            now=now,
            message_id_domain=self.reporting_mta,
            arrival_date=message.created,
            random_bytes=self.random_bytes,
        )
        try:
            await self.on_dsn(dsn, message.sender)
        except Exception:
            # The DSN is lost, not the queue: the recipients' state is recorded anyway.
            log.exception(
                "could not hand over the %s DSN for queued message %d", action, message.id
            )
            return []
        return [report.recipient.id for report in reports]


def _original_recipient(orcpt: str | None) -> str | None:
    """``type;address`` decoded, for RFC 3464 §2.3.1 Original-Recipient."""
    original = parse_original_recipient(orcpt)
    if original is None:
        return None
    return f"{original.address_type};{original.address}"


def _status_for(action: Literal["failed", "delayed"], status: str) -> str:
    """A status whose class fits the action (RFC 3464 §2.3.4): 4.x.x for a delay; 4.x.x or
    5.x.x for a failure (4 when a temporary problem outlived the message)."""
    if action == "delayed":
        return status if status.startswith("4.") else "4" + status[1:]
    return status if status[:2] in ("4.", "5.") else "5.0.0"
