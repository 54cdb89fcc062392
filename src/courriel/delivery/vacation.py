"""Vacation auto-replies (RFC 3834): whether a delivered message gets one, and the reply.

``decide`` is pure: given the envelope sender, the message's header fields, the addresses
the account is known by and its settings, it says why no reply is due (a ``Skip``) or that
one is. The rules, in order:

- vacation off, or ``now`` outside its optional dates;
- the null reverse-path: no one to answer (RFC 3834 §2, RFC 5321 §4.5.5);
- ``Auto-Submitted`` other than ``no``: never answer an automatic message (RFC 3834 §2,
  §5);
- mailing lists and bulk mail: ``List-Id`` or any ``List-*`` field (RFC 2369, RFC 2919),
  ``Precedence: bulk``, ``list`` or ``junk`` (RFC 3834 §2: "SHOULD NOT" answer list mail);
- senders that are programs: ``MAILER-DAEMON``, ``postmaster``, ``noreply``/``no-reply``,
  ``owner-*`` and ``*-request`` local parts (RFC 3834 §2);
- the account's own address as the sender (never answer oneself);
- the account is not named in ``To``/``Cc``/``Resent-To``/``Resent-Cc`` (RFC 3834 §2: a
  personal responder "SHOULD NOT" answer mail that was not explicitly addressed to it,
  e.g. a Bcc or a list).

The once-per-sender-per-N-days rule (RFC 3834 §2) is the storage's atomic
``claim_vacation_reply``; ``build_reply`` makes the message: ``Auto-Submitted:
auto-replied`` (RFC 3834 §5), ``In-Reply-To``/``References`` (RFC 5322 §3.6.4), the
subject "Auto: <original>" unless one is configured, From the account's address, to the
envelope sender (RFC 3834 §3.2: the reply goes to the return path). It is sent with the
null reverse-path (RFC 3834 §3.3), so it can never itself be answered or bounced.
"""

from __future__ import annotations

import email.utils
import enum
import logging
import re
from collections.abc import Collection
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import TYPE_CHECKING

from courriel.delivery.model import Envelope, Refusal, Role
from courriel.storage.records import MailSettingsRecord

if TYPE_CHECKING:
    from courriel.delivery.mail_settings import MailSettings
    from courriel.delivery.pipeline import DeliveryPipeline

log = logging.getLogger("courriel.delivery.vacation")

DAY = 86400.0

ROBOT_LOCALS = frozenset({"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"})
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})


class Skip(enum.Enum):
    """Why no auto-reply is sent."""

    OFF = "off"
    NULL_SENDER = "null-sender"
    AUTOMATIC = "auto-submitted"
    LIST = "list"
    ROBOT = "robot-sender"
    NOT_ADDRESSED = "not-addressed"
    SELF = "self"


class Headers:
    """The header fields of a message, names case-insensitive (``compat32``: as sent)."""

    def __init__(self, raw: bytes) -> None:
        end = raw.find(b"\r\n\r\n")
        head = raw if end < 0 else raw[: end + 2]
        self.message = BytesHeaderParser(policy=compat32).parsebytes(head)

    def get(self, name: str) -> str:
        value = self.message.get(name)
        return "" if value is None else " ".join(str(value).split())

    def all(self, name: str) -> list[str]:
        return [str(value) for value in self.message.get_all(name) or []]

    def names(self) -> list[str]:
        return [name.lower() for name in self.message]


def is_robot(address: str) -> bool:
    local = address.rpartition("@")[0].lower()
    return (
        local in ROBOT_LOCALS
        or local.startswith("owner-")
        or local.endswith("-request")
        or local.endswith("-owner")
    )


def active(settings: MailSettingsRecord, now: float) -> bool:
    """The vacation is on and ``now`` within its optional dates (0: no limit)."""
    if not settings.vacation_enabled:
        return False
    if settings.vacation_start and now < settings.vacation_start:
        return False
    return not (settings.vacation_end and now >= settings.vacation_end)


def decide(
    sender: str,
    headers: Headers,
    addresses: Collection[str],
    settings: MailSettingsRecord,
    now: float,
) -> Skip | None:
    """None when an auto-reply is due (before the once-per-interval rule), else why not."""
    if not active(settings, now):
        return Skip.OFF
    if not sender:
        return Skip.NULL_SENDER
    auto = re.split(r"[\s;(]", headers.get("auto-submitted").lower(), maxsplit=1)[0]
    if auto and auto != "no":
        return Skip.AUTOMATIC
    if any(name.startswith("list-") for name in headers.names()):
        return Skip.LIST
    if headers.get("precedence").lower() in BULK_PRECEDENCE:
        return Skip.LIST
    if is_robot(sender):
        return Skip.ROBOT
    own = {address.lower() for address in addresses}
    if sender.lower() in own:
        return Skip.SELF
    named = {
        address.lower()
        for _name, address in email.utils.getaddresses(
            headers.all("to")
            + headers.all("cc")
            + headers.all("resent-to")
            + headers.all("resent-cc")
        )
    }
    if not named & own:
        return Skip.NOT_ADDRESSED
    return None


def build_reply(
    account_address: str,
    sender: str,
    headers: Headers,
    settings: MailSettingsRecord,
    *,
    now: float,
    domain: str,
) -> bytes:
    """The auto-reply to ``sender`` (RFC 3834 §3), as CRLF bytes."""
    original = headers.get("subject")
    subject = settings.vacation_subject or f"Auto: {original}".rstrip()
    reply = EmailMessage()
    reply["From"] = account_address
    reply["To"] = sender
    reply["Subject"] = subject
    reply["Date"] = email.utils.formatdate(now, localtime=False)
    reply["Message-ID"] = email.utils.make_msgid(domain=domain)
    message_id = headers.get("message-id")
    if message_id:
        reply["In-Reply-To"] = message_id
        references = headers.get("references")
        reply["References"] = f"{references} {message_id}".strip()
    reply["Auto-Submitted"] = "auto-replied"
    reply.set_content(settings.vacation_body or subject)
    return reply.as_bytes(policy=reply.policy.clone(linesep="\r\n"))


async def send_replies(
    pipeline: DeliveryPipeline,
    settings: MailSettings,
    envelope: Envelope,
    raw: bytes,
    inbox: dict[int, list[str]],
) -> None:
    """For each account that got the message in its INBOX (``inbox``: account id → the
    addresses it was reached by), the auto-reply when one is due, sent as a submission
    with the null reverse-path (RFC 3834 §3.3) through the pipeline's own paths (local
    delivery or the outbound queue, DKIM-signed for the account's domain). Failures are
    logged: the message itself is already delivered."""
    headers = Headers(raw)
    now = pipeline.clock.now()
    for account_id, reached in inbox.items():
        try:
            await _reply(pipeline, settings, envelope, headers, account_id, reached, now)
        except Exception:
            log.exception(
                "[%s] vacation reply of account %d failed", envelope.session_id, account_id
            )


async def _reply(
    pipeline: DeliveryPipeline,
    settings: MailSettings,
    envelope: Envelope,
    headers: Headers,
    account_id: int,
    reached: list[str],
    now: float,
) -> None:
    record = await settings.get(account_id)
    if not record.vacation_enabled:
        return
    account = await pipeline.directory.repo.get_account_by_id(account_id)
    if account is None:
        return
    skip = decide(envelope.sender, headers, [account.address, *reached], record, now)
    if skip is not None:
        log.info(
            "[%s] no vacation reply from %s: %s", envelope.session_id, account.address, skip.value
        )
        return
    interval = max(1, record.vacation_interval_days) * DAY
    if not await settings.repo.claim_vacation_reply(
        account_id, envelope.sender.lower(), now, interval
    ):
        log.info(  # RFC 3834 §2: once per sender per interval
            "[%s] no vacation reply from %s: <%s> already answered",
            envelope.session_id,
            account.address,
            envelope.sender,
        )
        return
    recipient = await pipeline.check_recipient(
        envelope.sender, role=Role.SUBMISSION, authenticated=True
    )
    if isinstance(recipient, Refusal):
        log.info(
            "[%s] vacation reply to <%s> refused: %s",
            envelope.session_id,
            envelope.sender,
            recipient,
        )
        return
    domain = account.address.rpartition("@")[2]
    reply = build_reply(account.address, envelope.sender, headers, record, now=now, domain=domain)
    reply_envelope = Envelope(
        Role.SUBMISSION,
        "",  # RFC 3834 §3.3: the null reverse-path
        (recipient,),
        helo=pipeline.hostname,
        peer_ip="127.0.0.1",
        session_id=f"{envelope.session_id}-vacation",
    )
    report = await pipeline.deliver(reply_envelope, reply)
    log.info(
        "[%s] vacation reply from %s to <%s>: stored %s, queued %s",
        envelope.session_id,
        account.address,
        envelope.sender,
        report.stored,
        report.queued,
    )
