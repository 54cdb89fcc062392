"""Outbound authentication: DKIM signatures on what our users send, ARC seals on what we
forward (issue 7).

- :func:`sign_submission`: a message from submission is DKIM-signed (RFC 6376) with every
  active key of one of our domains, RSA-2048 and Ed25519 together (RFC 8463 §4), before it
  is stored for local recipients or queued for outside ones: both get the signed bytes.
  The signing domain ``d=`` (RFC 6376 §3.5) is the domain of the From address when it is
  ours and the logged-in account may send as that address, so the signature aligns with
  From for DMARC (RFC 7489 §3.1.1). Otherwise (a From the account does not own, or none)
  it is the domain of the envelope sender, which ``senders.py`` already checked is the
  account's: we vouch only for addresses we know the user holds, and the receiver still
  learns which of our domains handled the message; DMARC then fails for a foreign From,
  which is right. One log line says so.
- :func:`seal_forwarded`: a message from another server that we relay to an outside
  address (an alias pointing outside) gets our ARC Set (RFC 8617 §5.1): its
  ARC-Authentication-Results is the ``Authentication-Results`` we computed for the message,
  the seal uses the oldest active RSA key of the alias's domain (during a rotation the old
  selector is the one surely published).

Signing and sealing are CPU-bound (dkimpy's RSA is pure Python, about 8 ms a signature), so
they run in a thread (``asyncio.to_thread``), never on the event loop. Neither ever loses a
message: when a domain has no usable key, a key cannot be loaded, dkimpy cannot parse the
message, or the chain may not be sealed (``temperror``, a failed chain), the message goes
out unsigned or unsealed and one line is logged.

Must not: decide who may send (``senders.py`` does), write to the store, or touch the
network.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from cryptography.exceptions import UnsupportedAlgorithm

from courriel.delivery.model import Envelope
from courriel.delivery.senders import may_send_as
from courriel.directory.addresses import normalize_domain
from courriel.directory.errors import InvalidAddress
from courriel.directory.service import Directory
from courriel.mail.address import parse_address_list
from courriel.mail.headers import find_header_end, split_header_fields
from courriel.mailauth.arc import seal_arc
from courriel.mailauth.authresults import authentication_results_value
from courriel.mailauth.dkimkeys import DkimKey
from courriel.mailauth.dkimsign import DkimSigningError, sign_dkim, signing_keys
from courriel.mailauth.inbound import InboundVerdict
from courriel.storage.records import DkimKeyRecord

log = logging.getLogger("courriel.delivery")

_UNUSABLE_KEY = (ValueError, TypeError, UnsupportedAlgorithm)


async def sign_submission(directory: Directory, envelope: Envelope, raw: bytes) -> bytes:
    """``raw`` with our DKIM-Signature fields on top, or ``raw`` as it is (logged) when it
    cannot be signed."""
    session = envelope.session_id
    try:
        domain = await signing_domain(directory, envelope, raw)
        if domain is None:
            log.error(
                "[%s] no domain of ours in From or MAIL FROM <%s>: sent without DKIM signature",
                session,
                envelope.sender,
            )
            return raw
        keys = await usable_keys(directory, domain, session)
        if not keys:
            log.error(
                "[%s] %s has no usable DKIM key: sent without DKIM signature "
                "(`courriel dkim rotate %s` makes one)",
                session,
                domain,
                domain,
            )
            return raw
        signatures = await asyncio.to_thread(sign_dkim, raw, domain, keys)
    except DkimSigningError as error:
        log.error("[%s] %s: sent without DKIM signature", session, error)
        return raw
    except Exception:  # a bug here must not lose the message: it goes out unsigned
        log.exception("[%s] DKIM signing failed: sent without DKIM signature", session)
        return raw
    log.debug(
        "[%s] DKIM-signed for %s (%s)", session, domain, ", ".join(key.selector for key in keys)
    )
    return signatures + raw


async def signing_domain(directory: Directory, envelope: Envelope, raw: bytes) -> str | None:
    """The ``d=`` of our signatures (see the module docstring), or None when neither the
    From address nor the envelope sender is in one of our domains."""
    account = None
    if envelope.principal is not None:
        account = await directory.repo.get_account(envelope.principal.address)
    sender_domain = _our_form(envelope.sender.rpartition("@")[2])
    for address in from_addresses(raw):
        domain = _our_form(address.rpartition("@")[2])
        if domain is None or not await directory.is_local_domain(domain):
            continue
        if account is not None and await may_send_as(directory, account, address):
            return domain  # RFC 6376 §3.5 d=, aligned with From (RFC 7489 §3.1.1)
    if sender_domain is None or not await directory.is_local_domain(sender_domain):
        return None
    log.info(
        "[%s] From is not an address of %s: DKIM-signed for the sender's domain %s",
        envelope.session_id,
        envelope.principal.address if envelope.principal is not None else "the sender",
        sender_domain,
    )
    return sender_domain


def from_addresses(raw: bytes) -> list[str]:
    """The ``local@domain`` addresses of the From field(s) of ``raw``, in order
    (RFC 5322 §3.6.2: one field, one or more mailboxes)."""
    end, _ = find_header_end(raw)
    found = []
    for field in split_header_fields(raw, 0, end):
        if field.lname != "from":
            continue
        for address in parse_address_list(field.unfolded.decode("utf-8", "replace")):
            if address.is_mailbox and address.local and address.domain:
                found.append(f"{address.local}@{address.domain}")
    return found


async def usable_keys(directory: Directory, domain: str, session: str) -> list[DkimKey]:
    """The domain's active keys, oldest first; a key that cannot be loaded is left out
    (and logged), so the others still sign."""
    keys: list[DkimKey] = []
    for record in await directory.dkim_keys(domain):
        keys.extend(_loaded(record, session))
    return keys


def _loaded(record: DkimKeyRecord, session: str) -> Iterable[DkimKey]:
    try:
        return signing_keys([record])
    except _UNUSABLE_KEY as error:
        log.error(
            "[%s] DKIM key %s of %s cannot be used: %s",
            session,
            record.selector,
            record.domain,
            error,
        )
        return ()


async def seal_forwarded(
    directory: Directory,
    raw: bytes,
    domain: str,
    verdict: InboundVerdict,
    *,
    authserv_id: str,
    session: str,
) -> bytes:
    """``raw`` (the message as we forward it, our ``Authentication-Results`` included) with
    our ARC Set on top, sealed for ``domain``; ``raw`` as it is (logged) when no seal is
    due or possible."""
    chain = verdict.result("arc")
    if chain is None:
        log.warning("[%s] no ARC result for this message: forwarded without ARC seal", session)
        return raw
    try:
        keys = await usable_keys(directory, domain, session)
        rsa_key = next((key for key in keys if key.algorithm == "rsa"), None)
        if rsa_key is None:  # RFC 8617 seals with rsa-sha256 only (draft arc-multi adds more)
            log.error(
                "[%s] %s has no usable RSA DKIM key: forwarded without ARC seal", session, domain
            )
            return raw
        results = authentication_results_value(authserv_id, verdict.results)
        arc_set = await asyncio.to_thread(seal_arc, raw, domain, rsa_key, results, chain)
    except (DkimSigningError, ValueError) as error:
        log.error("[%s] %s: forwarded without ARC seal", session, error)
        return raw
    except Exception:  # a bug here must not lose the message: it goes out unsealed
        log.exception("[%s] ARC sealing failed: forwarded without ARC seal", session)
        return raw
    if not arc_set:
        # RFC 8617 §5.1: a chain that already failed (or that we could not check) is not
        # sealed again; the message still goes on.
        log.warning("[%s] ARC chain is %s: forwarded without our seal", session, chain.result)
        return raw
    log.debug("[%s] ARC-sealed for %s (%s)", session, domain, rsa_key.selector)
    return arc_set + raw


def _our_form(domain: str) -> str | None:
    """``domain`` as the directory stores it (lower-case A-labels), or None when invalid."""
    try:
        return normalize_domain(domain) if domain else None
    except InvalidAddress:
        return None
