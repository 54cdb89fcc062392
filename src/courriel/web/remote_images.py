"""Remote images allowed per sender: "Always show images from <address>".

The rule (docs/webmail.md): a message's sender counts as verified only when our own
``Authentication-Results`` field (RFC 8601 §5: the authserv-id is our host name; delivery
removes copies a sender forged, ``delivery.pipeline`` step 2) says ``dmarc=pass`` with
``header.from`` equal to the domain of the message's single From address (RFC 7489 §3.1:
DMARC is what ties the From domain to the sender). Only such a message offers to trust its
sender, and only such a message shows remote images by itself once the sender is trusted: a
forged From (DMARC failed, none, or no result of ours) never unlocks images, whatever the
list says; its reader still has "Show images" for that one message.

Owns: ``verified_sender`` (pure, over the header bytes) and ``RemoteImages``, the per-account
list over the ``ImageSenderRepo`` port.

Must not: render anything or speak HTTP.
"""

from __future__ import annotations

from courriel.core.clock import Clock
from courriel.mailstore.service import MailStore
from courriel.storage.ports import ImageSenderRepo
from courriel.storage.records import MessageRecord
from courriel.web.headers_analysis import analyze_headers
from courriel.web.messages import OpenedMessage

MAX_HEADER = 256 * 1024
"""Bytes of a message's header read to find its authentication results."""
MAX_IMAGE_SENDERS = 1000
"""Trusted senders per account."""
MAX_ADDRESS = 320


class TooManySenders(Exception):
    """The account's list holds ``MAX_IMAGE_SENDERS`` already."""


def verified_sender(header: bytes, own_host: str) -> str | None:
    """The lower-cased From address when our own results say DMARC passed for its domain;
    None otherwise (no own host name, several or no From addresses, no result of ours)."""
    if not own_host:
        return None
    analysis = analyze_headers(header, own_host)
    if len(analysis.from_addresses) != 1 or len(analysis.from_domains) != 1:
        return None
    dmarc = analysis.result("dmarc")
    if dmarc is None or dmarc.result != "pass":
        return None
    checked_domain = (dmarc.property("header.from") or "").rstrip(".").lower()
    if checked_domain != analysis.from_domains[0]:
        return None
    address = analysis.from_addresses[0].lower()
    return address if len(address) <= MAX_ADDRESS else None


class RemoteImages:
    """The per-account list of trusted image senders and the verification of a message's
    sender; ``own_host`` is our authserv-id (``server.hostname``)."""

    def __init__(self, repo: ImageSenderRepo, own_host: str, clock: Clock) -> None:
        self.repo = repo
        self.own_host = own_host
        self.clock = clock

    async def sender_of(self, mailstore: MailStore, opened: OpenedMessage) -> str | None:
        """The message's verified sender (``verified_sender``), reading its header only."""
        record: MessageRecord = opened.record
        length = min(opened.parsed.root.body_start, MAX_HEADER, record.size)
        return verified_sender(await mailstore.read_message(record, 0, length), self.own_host)

    async def trusted(self, account_id: int, sender: str | None) -> bool:
        return sender is not None and await self.repo.has_image_sender(account_id, sender)

    async def trust(self, account_id: int, sender: str) -> None:
        """Add ``sender`` (already verified); ``TooManySenders`` when the list is full."""
        if await self.repo.has_image_sender(account_id, sender):
            return
        if len(await self.repo.list_image_senders(account_id)) >= MAX_IMAGE_SENDERS:
            raise TooManySenders(sender)
        await self.repo.add_image_sender(account_id, sender, self.clock.now())

    async def forget(self, account_id: int, address: str) -> bool:
        return await self.repo.remove_image_sender(account_id, address.strip().lower())

    async def senders(self, account_id: int) -> list[str]:
        return await self.repo.list_image_senders(account_id)
