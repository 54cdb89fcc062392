"""``MailSettings``: an account's signature, vacation auto-reply and forwarding.

Owns: checking and saving the settings the webmail's settings pages edit (``Invalid`` names
the field that is wrong), and forwarding (``forward``): the recipients of a message whose
accounts forward their mail get the forwarding target added (an outside address goes to the
outbound queue like an alias's, ARC-sealed by the pipeline with the account domain's key;
one of our addresses gets the message stored), and lose the account itself unless it keeps
a copy. Every forwarded message carries ``Delivered-To: <account>`` (the trace Postfix and
others use the same way), and a message that already carries it for an account is not
forwarded by that account again: a loop between two forwarding accounts, here or through
another server, ends at the second pass with a local copy.

Must not: decide whether an auto-reply is due (``vacation.py``) or reach storage other than
through the ``MailSettingsRepo`` and ``Directory``.
"""

from __future__ import annotations

import dataclasses
import logging

from courriel.core.clock import Clock
from courriel.delivery.model import Envelope, Recipient
from courriel.delivery.vacation import Headers
from courriel.directory.addresses import normalize_address
from courriel.directory.errors import InvalidAddress
from courriel.directory.resolve import Status
from courriel.directory.service import Directory
from courriel.storage.ports import MailSettingsRepo
from courriel.storage.records import AccountRecord, MailSettingsRecord

log = logging.getLogger("courriel.delivery")

MAX_SIGNATURE = 4000
MAX_SUBJECT = 200
MAX_BODY = 10000
MAX_INTERVAL_DAYS = 365


_KNOWN_ACCOUNTS = 100_000
"""Accounts whose settings are kept in memory at most (then forgotten, and read again)."""


class Invalid(ValueError):
    """A setting that cannot be saved; ``field`` names it."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class MailSettings:
    """The settings of every account, over the ``MailSettingsRepo`` port.

    Every delivery asks for its accounts' settings (forwarding before storing, vacation
    after), so they are kept in memory once read: a store read per account and message
    was a trip to a reader thread on the SMTP path. Only :meth:`save` changes them, in
    this process (several server processes sharing a store would need the ChangeBus to
    say when another one saved)."""

    def __init__(self, repo: MailSettingsRepo, directory: Directory, clock: Clock) -> None:
        self.repo = repo
        self.directory = directory
        self.clock = clock
        self._known: dict[int, MailSettingsRecord] = {}

    async def get(self, account_id: int) -> MailSettingsRecord:
        known = self._known.get(account_id)
        if known is None:
            known = await self.repo.get_mail_settings(account_id)
            if len(self._known) >= _KNOWN_ACCOUNTS:
                self._known.clear()
            self._known[account_id] = known
        return known

    async def save(self, account: AccountRecord, settings: MailSettingsRecord) -> None:
        """Check and store ``settings`` (raises ``Invalid``). Turning the vacation on
        forgets whom the last one answered, so everyone gets one reply again."""
        checked = await self.check(account, settings)
        before = await self.repo.get_mail_settings(account.id)
        self._known.pop(account.id, None)
        await self.repo.put_mail_settings(checked)
        self._known.pop(account.id, None)  # read again, as stored, by the next delivery
        if checked.vacation_enabled and not before.vacation_enabled:
            await self.repo.forget_vacation_replies(account.id)

    async def check(
        self, account: AccountRecord, settings: MailSettingsRecord
    ) -> MailSettingsRecord:
        if len(settings.signature) > MAX_SIGNATURE:
            raise Invalid("signature")
        subject = settings.vacation_subject.strip()
        if len(subject) > MAX_SUBJECT or "\r" in subject or "\n" in subject:
            raise Invalid("vacation_subject")
        if len(settings.vacation_body) > MAX_BODY:
            raise Invalid("vacation_body")
        if not 1 <= settings.vacation_interval_days <= MAX_INTERVAL_DAYS:
            raise Invalid("vacation_interval_days")
        if (
            settings.vacation_start
            and settings.vacation_end <= settings.vacation_start
            and settings.vacation_end
        ):
            raise Invalid("vacation_end")
        target = settings.forward_to.strip()
        if target:
            try:
                target = normalize_address(target)
            except InvalidAddress:
                raise Invalid("forward_to") from None
            if target == account.address.lower():
                raise Invalid("forward_to")
            resolution = await self.directory.resolve(target)
            if resolution.status not in (Status.NOT_OURS, Status.DELIVER):
                raise Invalid("forward_to")
        return dataclasses.replace(
            settings, account_id=account.id, vacation_subject=subject, forward_to=target
        )

    async def forward(self, envelope: Envelope, raw: bytes) -> tuple[Envelope, bytes]:
        """The envelope with forwarding applied, and the message with a ``Delivered-To``
        field per forwarding account above it; unchanged when no account forwards."""
        traced: set[str] | None = None
        forwarding: list[str] = []
        recipients: list[Recipient] = []
        for recipient in envelope.recipients:
            accounts: list[AccountRecord] = []
            external = list(recipient.external)
            for account in recipient.accounts:
                settings = await self.get(account.id)
                if not settings.forward_to:
                    accounts.append(account)
                    continue
                if traced is None:
                    traced = {value.strip().lower() for value in Headers(raw).all("delivered-to")}
                if account.address.lower() in traced:
                    log.info(
                        "[%s] not forwarding for %s again: a loop",
                        envelope.session_id,
                        account.address,
                    )
                    accounts.append(account)
                    continue
                if settings.forward_keep_copy:
                    accounts.append(account)
                resolution = await self.directory.resolve(settings.forward_to)
                if resolution.status is Status.NOT_OURS:
                    external.append(settings.forward_to)
                else:
                    accounts.extend(resolution.accounts)
                    external.extend(resolution.external)
                if account.address not in forwarding:
                    forwarding.append(account.address)
            recipients.append(
                dataclasses.replace(
                    recipient,
                    accounts=tuple({a.id: a for a in accounts}.values()),
                    external=tuple(dict.fromkeys(external)),
                )
            )
        if not forwarding:
            return envelope, raw
        fields = b"".join(f"Delivered-To: {address}\r\n".encode() for address in forwarding)
        return dataclasses.replace(envelope, recipients=tuple(recipients)), fields + raw
