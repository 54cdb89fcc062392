"""Values exchanged between protocol servers and the delivery pipeline."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from courriel.directory.auth import Principal
from courriel.storage.records import AccountRecord


class Role(enum.Enum):
    """MX receives for our domains from anyone; SUBMISSION takes mail from our users
    (RFC 6409) and may relay it to the world."""

    MX = "mx"
    SUBMISSION = "submission"


class Refusal(enum.Enum):
    """Why a recipient or sender is refused; each protocol maps these to its replies."""

    INVALID = "invalid"
    UNKNOWN = "unknown"
    DISABLED = "disabled"
    OVER_QUOTA = "over-quota"
    RELAY_DENIED = "relay-denied"
    NOT_YOUR_ADDRESS = "not-your-address"
    TEMPORARY = "temporary"
    POLICY_REJECTED = "policy-rejected"
    """The whole message: the sender domain's DMARC policy says reject (RFC 7489 §6.6.4)."""
    VIRUS = "virus"
    """The whole message: the virus scanner found a signature in it (``antivirus``)."""
    SCAN_UNAVAILABLE = "scan-unavailable"
    """The whole message, for now: a configured scanner did not answer and its
    ``on_unreachable`` setting says "tempfail"."""


@dataclass(frozen=True)
class Recipient:
    """An accepted recipient and where its mail goes."""

    address: str
    accounts: tuple[AccountRecord, ...] = ()
    external: tuple[str, ...] = ()
    notify: str | None = None
    orcpt: str | None = None


@dataclass(frozen=True)
class Envelope:
    """The SMTP transaction around a message."""

    role: Role
    sender: str
    """Reverse-path; ``""`` is the null sender."""
    recipients: tuple[Recipient, ...]
    helo: str
    peer_ip: str
    peer_name: str | None = None
    tls: tuple[str, str] | None = None
    """(version, cipher) when the session was encrypted."""
    principal: Principal | None = None
    smtputf8: bool = False
    body: str = "7BIT"
    envid: str | None = None
    ret: str | None = None
    session_id: str = ""


@dataclass(frozen=True)
class DeliveryReport:
    """What became of each recipient: stored locally, queued for outside, or failed
    (``failed`` maps an address to its refusal; a DSN is sent for them).

    ``refused`` is set when the message as a whole was refused by policy before anything
    was stored or queued; ``explanation`` is then a sentence for the client.
    """

    stored: tuple[str, ...] = ()
    queued: tuple[str, ...] = ()
    failed: dict[str, Refusal] = field(default_factory=dict)
    queue_id: int | None = None
    refused: Refusal | None = None
    explanation: str = ""
    notes: tuple[str, ...] = ()
    """What the inbound checks and the spam filter found, for the message's one log line
    (the server that received it writes it)."""
