"""Sender reputation and correspondents: what past mail says about this sender.

Reputation is server-wide and kept per From address and per From organisational domain
(``@example.org``): how many messages were scored from it, and how many of them users
reported as spam (moved into Junk) or as not spam (moved out of it). With at least
``MIN_REPORTS`` reports, the share of spam (smoothed: ``(spam + 1) / (reports + 2)``) gives
``SENDER_BAD_REPUTATION`` from 3/4 up, or ``SENDER_GOOD_REPUTATION`` from 1/4 down. The
address speaks first; its domain only when the address has too few reports. A good
reputation needs the From domain authenticated (DMARC pass): a forger must not borrow it.

Correspondents are per account: the addresses the account wrote to (fed by submission).
Mail from one of them is ``KNOWN_CORRESPONDENT``, unless its From domain fails DMARC.

Must not: store anything (the ``SpamRepo`` port does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from courriel.mailauth.dmarc import organizational_domain
from courriel.spam.weights import Hit, hit
from courriel.storage.records import SenderReputation

#: Reports needed before a sender's reputation counts.
MIN_REPORTS = 2
_BAD_SHARE = 0.75
_GOOD_SHARE = 0.25


def sender_keys(address: str | None) -> list[str]:
    """The reputation keys of a From address: itself, then ``@`` its organisational
    domain; none for a missing or domain-less address."""
    if not address:
        return []
    local, at, domain = address.strip().lower().rpartition("@")
    if not at or not local or not domain:
        return []
    return [f"{local}@{domain}", "@" + organizational_domain(domain)]


def spam_share(reputation: SenderReputation) -> float:
    """The smoothed share of spam among a sender's reports."""
    return (reputation.spam + 1) / (reputation.spam + reputation.ham + 2)


def reputation_hits(
    reputations: Mapping[str, SenderReputation], keys: Sequence[str], *, authenticated: bool
) -> list[Hit]:
    """The reputation hit of the first of ``keys`` with enough reports, if any."""
    for key in keys:
        reputation = reputations.get(key)
        if reputation is None or reputation.spam + reputation.ham < MIN_REPORTS:
            continue
        share = spam_share(reputation)
        detail = f"{key}: {reputation.spam} spam, {reputation.ham} not spam"
        if share >= _BAD_SHARE:
            return [hit("SENDER_BAD_REPUTATION", detail)]
        if share <= _GOOD_SHARE and authenticated:
            return [hit("SENDER_GOOD_REPUTATION", detail)]
        return []
    return []


def correspondent_hits(
    known: set[str], from_address: str | None, *, dmarc_failed: bool
) -> list[Hit]:
    """``KNOWN_CORRESPONDENT`` when the account wrote to the From address."""
    if not from_address or dmarc_failed:
        return []
    address = from_address.strip().lower()
    return [hit("KNOWN_CORRESPONDENT", address)] if address in known else []
