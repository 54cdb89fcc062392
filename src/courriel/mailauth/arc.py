"""ARC (RFC 8617): validating a message's chain, and sealing mail we forward, around dkimpy.

``verify_arc(message, resolver)`` gives one ``arc=`` result (RFC 8617 §10.2: ``pass``,
``fail``, ``none``): the key records of every ARC-Seal and ARC-Message-Signature are fetched
first, concurrently and each within a timeout, through the ``Resolver`` port (``dkimdns``),
then dkimpy validates the chain (RFC 8617 §5.2) with those answers, off the event loop
(``offload``, as in ``dkim``). A passing chain reports ``header.oldest-pass`` (RFC 8617
§10.1): the instance of the oldest ARC-Message-Signature that still verifies, 0 when all do.
A lookup that fails temporarily gives ``temperror``: RFC 8617 registers no such result, but
issue 7's rule is that our own DNS trouble never turns into a verdict on the message (and
``seal_arc`` does not seal then). Chains with more than ``MAX_KEYS`` distinct signing keys
fail without being looked up, so a message cannot make us send unbounded DNS queries.

``seal_arc(message, domain, key, authentication_results, chain)`` adds our ARC Set
(ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results; RFC 8617 §5.1) when we forward
a message, e.g. an alias to an outside address. ARC signs with RSA only (RFC 8617 defines
rsa-sha256 alone), relaxed/relaxed, over the same header fields as our DKIM
signatures.

Must not: decide what a chain result means for delivery (DMARC and local policy do), or
look DNS up synchronously.
"""

from __future__ import annotations

import asyncio
import re

import authres  # type: ignore[import-untyped]
import dkim
from dkim.util import InvalidTagValueList, parse_tag_value

from courriel.dns.resolver import Resolver
from courriel.mailauth.dkim import header_fields, header_lacks
from courriel.mailauth.dkimdns import (
    KEY_LOOKUP_TIMEOUT,
    KeyLookup,
    Offload,
    PrefetchedKeys,
    fetch_key_records,
    key_record_name,
)
from courriel.mailauth.dkimkeys import DkimKey
from courriel.mailauth.dkimsign import DkimSigningError, header_list
from courriel.mailauth.results import MethodResult

MAX_INSTANCE = 50  # RFC 8617 §4.2.1
MAX_KEYS = 10
"""Most distinct key records one chain may need; a longer list fails unverified."""

_ARC_FIELDS = (b"arc-seal", b"arc-message-signature", b"arc-authentication-results")
_CHAIN_VALIDATION = {dkim.CV_Pass: "pass", dkim.CV_Fail: "fail", dkim.CV_None: "none"}

NO_CHAIN = MethodResult("arc", "none")
"""The result of a message without ARC header fields (RFC 8617 §10.2 ``none``)."""


async def verify_arc(
    message: bytes,
    resolver: Resolver,
    *,
    timeout: float = KEY_LOOKUP_TIMEOUT,
    offload: Offload = asyncio.to_thread,
) -> MethodResult:
    """The ``arc=`` result of ``message`` (raw bytes as received)."""
    if has_no_arc_fields(message):
        return NO_CHAIN
    try:
        fields = header_fields(message)
    except dkim.MessageFormatError as error:
        return MethodResult("arc", "fail", f"unparsable header: {error}")
    arc_fields = [(name.lower(), value) for name, value in fields if name.lower() in _ARC_FIELDS]
    if not arc_fields:
        return NO_CHAIN
    names: set[str] = set()
    for name, value in arc_fields:
        if name == b"arc-authentication-results":
            continue
        try:
            tags = parse_tag_value(value)
            names.add(key_record_name(tags[b"s"].decode(), tags[b"d"].decode()))
        except (InvalidTagValueList, KeyError, UnicodeDecodeError, ValueError):
            return MethodResult("arc", "fail", "malformed ARC header field")
    if len(names) > MAX_KEYS:
        return MethodResult("arc", "fail", f"more than {MAX_KEYS} signing keys")
    lookups = await fetch_key_records(names, resolver, timeout=timeout)
    temporary = [lookup for lookup in lookups.values() if lookup.failure == "temporary"]
    if temporary:
        return MethodResult("arc", "temperror", temporary[0].reason or "key lookup failed")
    return await offload(validate_chain, message, lookups)


def has_no_arc_fields(message: bytes) -> bool:
    """True when ``message`` certainly has no ARC header field (its result is
    :data:`NO_CHAIN`), decided in a few µs without dkimpy; False means "parse and see"
    (``dkim.header_lacks``)."""
    return header_lacks(message, _ARC_FIELDS)


def validate_chain(message: bytes, lookups: dict[str, KeyLookup]) -> MethodResult:
    """RFC 8617 §5.2 by dkimpy, with DNS answered from ``lookups`` (CPU-bound)."""
    dns = PrefetchedKeys(lookups)
    try:
        validator = dkim.ARC(message, minkey=1024)
        newest, _ = validator.sorted_arc_headers()
        if newest > MAX_INSTANCE:
            return MethodResult("arc", "fail", f"instance above {MAX_INSTANCE}")
        status, instances, reason = validator.verify(dnsfunc=dns)
    except Exception as error:  # a message must never crash delivery, even via a dkimpy bug
        return MethodResult("arc", "fail", f"could not validate: {error}")
    if dns.temporary_failures:
        return MethodResult("arc", "temperror", "key lookup failed")
    # dkimpy's None: the newest ARC-Seal says cv=fail, so the chain failed (RFC 8617 §5.2).
    result = _CHAIN_VALIDATION.get(status, "fail")
    if result != "pass":
        return MethodResult("arc", result, None if result == "none" else str(reason))
    return MethodResult("arc", "pass", None, (("header.oldest-pass", str(oldest_pass(instances))),))


def oldest_pass(instances: list[dict[str, object]]) -> int:
    """The oldest instance from which every AMS up to the newest verifies; 0 when all do.

    ``instances`` is dkimpy's result list, newest first.
    """
    oldest = 0
    for instance in instances:
        if not instance.get("ams-valid"):
            return oldest
        oldest = int(str(instance["instance"]))
    return 0


def seal_arc(
    message: bytes,
    domain: str,
    key: DkimKey,
    authentication_results: str,
    chain: MethodResult,
) -> bytes:
    """Our ARC Set (header fields, CRLF-terminated, to prepend), or ``b""`` when none is due.

    ``authentication_results`` is the value of the Authentication-Results field we wrote for
    this message (``authserv-id; spf=...; dkim=...``); it becomes the
    ARC-Authentication-Results. ``chain`` is ``verify_arc``'s result for the message as
    received; its ``arc=`` result is added to the field when missing and must agree with it
    when present. Nothing is sealed when the chain is in doubt (``temperror``), when the
    newest seal already says ``cv=fail`` (RFC 8617 §5.1: the chain is over), or when the
    next instance would pass 50.
    """
    if key.algorithm != "rsa":
        raise ValueError("ARC seals with an RSA key (RFC 8617 defines rsa-sha256 only)")
    if chain.method != "arc" or chain.result not in _CHAIN_VALIDATION.values():
        return b""
    try:
        fields = header_fields(message)
    except dkim.MessageFormatError as error:
        raise DkimSigningError(f"cannot ARC-seal: {error}") from error
    if _newest_seal_failed(fields):
        return b""
    authserv_id, results = _with_chain_result(authentication_results, chain.result)
    try:
        sealer = dkim.ARC(message)
        if sealer.sorted_arc_headers()[0] >= MAX_INSTANCE:
            return b""
        # dkimpy reads the results to seal from Authentication-Results fields: give it ours
        # alone (fields claiming our authserv-id from upstream must not be carried over).
        # Authentication-Results is never signed, so the signatures are not affected.
        sealer.headers = [
            [b"Authentication-Results", f" {results}\r\n".encode()],
            *(field for field in sealer.headers if field[0].lower() != b"authentication-results"),
        ]
        names = header_list(name.decode("ascii", "replace") for name, _ in sealer.headers)
        arc_set = sealer.sign(
            key.selector.encode("ascii"),
            domain.rstrip(".").lower().encode("ascii"),
            key.dkimpy_private_key(),
            authserv_id.encode(),
            include_headers=[name.encode("ascii") for name in names],
        )
    except (dkim.DKIMException, UnicodeEncodeError, ValueError) as error:
        raise DkimSigningError(f"cannot ARC-seal for {domain}: {error}") from error
    if not arc_set:  # dkimpy found no results to seal, or a chain contradicting ``chain``
        raise DkimSigningError(f"cannot ARC-seal for {domain}: results and chain disagree")
    return b"".join(bytes(field) for field in arc_set)


def _newest_seal_failed(fields: list[tuple[bytes, bytes]]) -> bool:
    newest, cv = 0, b""
    for name, value in fields:
        if name.lower() != b"arc-seal":
            continue
        try:
            tags = parse_tag_value(value)
            instance = int(tags[b"i"])
        except (InvalidTagValueList, KeyError, ValueError):
            continue
        if instance > newest:
            newest, cv = instance, bytes(tags.get(b"cv", b""))
    return cv.lower() == bytes(dkim.CV_Fail)


def _with_chain_result(authentication_results: str, chain_result: str) -> tuple[str, str]:
    """(authserv-id, the field value with ``arc=<chain_result>``), checked with authres."""
    value = re.sub(r"\s+", " ", authentication_results).strip().rstrip(";")
    try:
        parsed = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {value}")
    except authres.core.SyntaxError as error:
        raise ValueError(f"not an Authentication-Results value: {error}") from None
    arc_results = {str(found.result).lower() for found in parsed.results if found.method == "arc"}
    if not parsed.results:  # "authserv-id; none" (RFC 8601 §2.2): nothing but ours to say
        value = f"{parsed.authserv_id}; arc={chain_result}"
    elif not arc_results:
        value = f"{value}; arc={chain_result}"
    elif arc_results != {chain_result}:
        raise ValueError(f"Authentication-Results says arc={arc_results}, the chain {chain_result}")
    return str(parsed.authserv_id), value
