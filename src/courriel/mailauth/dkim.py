"""DKIM verification (RFC 6376; Ed25519 per RFC 8463), around dkimpy, with async DNS.

``verify_dkim(message, resolver)`` takes the raw message as received and gives one RFC 8601
``dkim=`` result per DKIM-Signature (at most ``MAX_SIGNATURES``, topmost first; RFC 6376 §6.1
lets a verifier limit them), or one ``dkim=none`` when the message is not signed. Steps:

1. read the header (not the body) and check each signature's syntax and our policy;
2. fetch the key records of the well-formed ones concurrently through the ``Resolver`` port,
   each lookup bounded by a timeout (``dkimdns``);
3. check each key record (RFC 6376 §6.1.2), then let dkimpy verify body hash and signature,
   answering its DNS questions from the fetched records only.

Results (RFC 8601 §2.7.1):

==========  ==========================================================================
pass        the signature verifies
fail        body hash or signature mismatch (RFC 6376 §6.1.3)
neutral     the signature is malformed: bad tag list, missing or invalid tag, unknown
            algorithm or canonicalization, From not signed (RFC 6376 §6.1.1)
policy      well formed but refused: rsa-sha1 (RFC 8301 §3.1), RSA key under 1024 bits
            (RFC 8301 §3.2), expired (x=) or dated in the future (t=, RFC 6376 §3.5)
permerror   no usable key: NXDOMAIN/NODATA, revoked (empty p=), key type or hash not the
            signature's, key not for email, t=s mismatch (RFC 6376 §6.1.2, §3.6.1)
temperror   the key lookup failed temporarily or timed out (RFC 6376 §6.1.2)
none        no DKIM-Signature at all
==========  ==========================================================================

Each result carries ``header.d``, ``header.i`` (the AUID, ``@d`` by default, RFC 6376 §3.5),
``header.s``, ``header.a`` and ``header.b`` (the first 8 characters of ``b=``, RFC 6008 /
RFC 8601 §2.7.1), when the signature has them.

Cost, measured with dkimpy on this project's 2-core machine (an RSA-2048 and an Ed25519
signature, base64 body; whitespace-heavy text is up to 4 times slower): 6 ms for a 4 KB
message, 120 ms for 1 MB, 1.5 s for 10 MB. Parsing, canonicalising and hashing the body
dominate, once per signature; RSA-2048 verification itself is well under a millisecond. So
step 3 does not run on the event loop: ``offload`` (``asyncio.to_thread`` by default) runs
it, and the loop then stalls only while one of dkimpy's long C calls holds the GIL — 3 ms
at 4 KB, 25 ms at 1 MB, 400 ms at 10 MB (whole-message regular expressions). For large
messages the caller can pass an ``offload`` that uses a worker process. dkimpy reads the
clock itself (``t=``, ``x=``), so no clock is injected.

Must not: look DNS up synchronously, decide what to do with the message (DMARC and the
delivery pipeline do), or raise for anything a message or DNS can cause.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import dkim
from dkim.canonicalization import CanonicalizationPolicy, InvalidCanonicalizationPolicyError
from dkim.util import InvalidTagValueList, parse_tag_value

from courriel.dns.resolver import Resolver
from courriel.mailauth.dkimdns import (
    KEY_LOOKUP_TIMEOUT,
    KeyLookup,
    Offload,
    PrefetchedKeys,
    fetch_key_records,
    key_record_name,
)
from courriel.mailauth.results import MethodResult

MAX_SIGNATURES = 5
"""Most DKIM-Signature fields evaluated per message; the rest are ignored (RFC 6376 §6.1)."""

MIN_RSA_BITS = 1024  # RFC 8301 §3.2
FUTURE_TIMESTAMP_SLACK = 36_000  # seconds; the same leeway dkimpy gives clocks that are ahead
_KEY_TYPE_OF_ALGORITHM = {b"rsa-sha256": b"rsa", b"ed25519-sha256": b"ed25519"}
# A property value that could break out of an Authentication-Results field (RFC 8601 §2.2:
# white space, comments, quotes, ";") is left out rather than reported.
_PROPERTY_VALUE = re.compile(r'[^\s\x00-\x1f\x7f"();\\]+')
_EMPTY_LINE = re.compile(rb"\n\r?\n")
# Header lines that dkimpy's rfc822_parse reads as fields (RFC 5322 §3.6.8 ftext name, the
# colon right after it) or continuations (RFC 5322 §2.2.3), then the end of the header: an
# empty line, the end of the message, or both.
_PLAIN_HEADER = re.compile(rb"[!-9;-~]++:[^\n]*+(?:\n(?:[!-9;-~]++:|[ \t])[^\n]*+)*+\n?(?:\r?\n)?")

NOT_SIGNED = MethodResult("dkim", "none", "message not signed")
"""The result of a message without DKIM-Signature (RFC 8601 §2.7.1 ``none``)."""


@dataclass(frozen=True, slots=True)
class DkimSignature:
    """One well-formed DKIM-Signature, waiting for its key."""

    index: int
    """Position among the message's DKIM-Signature fields, topmost first (dkimpy's idx)."""
    tags: Mapping[bytes, bytes]
    properties: tuple[tuple[str, str], ...]
    key_name: str

    @property
    def algorithm(self) -> bytes:
        return self.tags[b"a"]

    @property
    def domain(self) -> str:
        return self.tags[b"d"].decode("utf-8", "replace")

    @property
    def identity_domain(self) -> str:
        identity = self.tags.get(b"i", b"@" + self.tags[b"d"])
        return identity.rpartition(b"@")[2].decode("utf-8", "replace").lower()

    def result(self, result: str, reason: str | None = None) -> MethodResult:
        return MethodResult("dkim", result, reason, self.properties)


async def verify_dkim(
    message: bytes,
    resolver: Resolver,
    *,
    timeout: float = KEY_LOOKUP_TIMEOUT,
    max_signatures: int = MAX_SIGNATURES,
    offload: Offload = asyncio.to_thread,
) -> list[MethodResult]:
    """One ``dkim=`` result per DKIM-Signature of ``message`` (raw bytes as received)."""
    if is_unsigned(message):
        return [NOT_SIGNED]
    try:
        fields = header_fields(message)
    except dkim.MessageFormatError as error:
        return [MethodResult("dkim", "permerror", f"unparsable header: {_text(error)}")]
    values = [value for name, value in fields if name.lower() == b"dkim-signature"]
    if not values:
        return [NOT_SIGNED]
    now = time.time()
    checked = [
        check_signature(index, value, now) for index, value in enumerate(values[:max_signatures])
    ]
    names = {item.key_name for item in checked if isinstance(item, DkimSignature)}
    lookups = await fetch_key_records(names, resolver, timeout=timeout)
    return await offload(evaluate_signatures, message, checked, lookups)


def is_unsigned(message: bytes) -> bool:
    """True when ``message`` certainly has no DKIM-Signature field (its result is
    :data:`NOT_SIGNED`), decided in a few µs without dkimpy; False means "parse and see".

    See :func:`header_lacks`.
    """
    return header_lacks(message, (b"dkim-signature",))


def header_lacks(message: bytes, names: Collection[bytes]) -> bool:
    """True when :func:`header_fields` would read ``message`` without error and find no
    field called one of ``names`` (lower case); False when it might, or might fail.

    The usual message has no signature at all, and parsing its header with dkimpy costs
    more than the rest of its checks. A field name is the text before the colon at the
    start of a line, so a name that occurs nowhere in the header, in any case, names no
    field; and a header whose every line is ``name:`` (printable ASCII, no blank before
    the colon) or a continuation after the first line is one dkimpy reads without error.
    Anything else (an mbox ``From`` line, a blank before a colon) is left to dkimpy.
    """
    head = _dkimpy_header(message)
    lowered = head.lower()
    for name in names:
        if name in lowered:
            return False
    return _PLAIN_HEADER.fullmatch(head) is not None


def header_fields(message: bytes) -> list[tuple[bytes, bytes]]:
    """The header fields of ``message`` as (name, raw value), without reading the body.

    Raises ``dkim.MessageFormatError`` for a line that is no header field.
    """
    try:
        headers, _ = dkim.rfc822_parse(_dkimpy_header(message))
    except IndexError:  # dkimpy's way of saying a continuation line continues no field
        raise dkim.MessageFormatError("continuation line before the first field") from None
    return [(bytes(name), bytes(value)) for name, value in headers]


def _dkimpy_header(message: bytes) -> bytes:
    """The part of ``message`` that dkimpy reads as its header: up to and including the
    first empty line (``\\n`` or ``\\r\\n``), or all of it when there is none."""
    if message[:1] == b"\n":
        return message[:1]
    if message[:2] == b"\r\n":
        return message[:2]
    end = _EMPTY_LINE.search(message)
    return message if end is None else message[: end.end()]


def check_signature(index: int, value: bytes, now: float) -> DkimSignature | MethodResult:
    """The signature ready for its key lookup, or its result when its form already decides.

    RFC 6376 §6.1.1: syntax, version, algorithm, From in ``h=``, dates; RFC 8301: SHA-1.
    """
    try:
        tags = parse_tag_value(value)
    except InvalidTagValueList as error:
        return MethodResult("dkim", "neutral", f"malformed tag list: {_text(error)}")
    properties = signature_properties(tags)

    def verdict(result: str, reason: str) -> MethodResult:
        return MethodResult("dkim", result, reason, properties)

    try:
        # Dates are judged below, as policy rather than syntax.
        dkim.validate_signature_fields({k: v for k, v in tags.items() if k not in (b"t", b"x")})
    except dkim.ValidationError as error:
        return verdict("neutral", f"malformed signature: {_text(error)}")
    except IndexError:  # dkimpy's i= check indexes past an i= that is bare d= (no "@")
        return verdict("neutral", "malformed signature: i= has no @")
    try:
        CanonicalizationPolicy.from_c_value(tags.get(b"c", b"simple/simple"))
    except InvalidCanonicalizationPolicyError:
        return verdict("neutral", f"malformed signature: unknown c={_text(tags[b'c'])}")
    signed = [name.strip().lower() for name in tags[b"h"].split(b":")]
    if b"from" not in signed:
        return verdict("neutral", "From is not signed")  # RFC 6376 §5.4
    if tags[b"a"] not in _KEY_TYPE_OF_ALGORITHM:
        return verdict("policy", f"{_text(tags[b'a'])} is not accepted (RFC 8301 §3.1)")
    for tag in (b"t", b"x"):
        if tag in tags and not tags[tag].isdigit():
            return verdict("neutral", f"malformed signature: {tag.decode()}= is not a number")
    if b"x" in tags and int(tags[b"x"]) < now:
        return verdict("policy", "signature expired")
    if b"t" in tags and int(tags[b"t"]) > now + FUTURE_TIMESTAMP_SLACK:
        return verdict("policy", "signature dated in the future")
    try:
        key_name = key_record_name(_text(tags[b"s"]), _text(tags[b"d"]))
    except ValueError:
        return verdict("neutral", "malformed signature: s= or d= is not a domain name")
    return DkimSignature(index, tags, properties, key_name)


def evaluate_signatures(
    message: bytes,
    checked: Sequence[DkimSignature | MethodResult],
    lookups: Mapping[str, KeyLookup],
) -> list[MethodResult]:
    """Finish each signature with its key (CPU-bound: run it off the event loop)."""
    try:
        verifier = dkim.DKIM(message, minkey=MIN_RSA_BITS)
    except dkim.DKIMException as error:  # the header parsed before; the body never fails
        return [MethodResult("dkim", "permerror", f"unparsable message: {_text(error)}")]
    results = []
    for item in checked:
        if isinstance(item, MethodResult):
            results.append(item)
            continue
        lookup = lookups.get(item.key_name, KeyLookup(item.key_name, failure="temporary"))
        results.append(check_key(item, lookup) or verify_signature(verifier, item, lookups))
    return results


def check_key(signature: DkimSignature, lookup: KeyLookup) -> MethodResult | None:
    """The result when the key record decides it (RFC 6376 §6.1.2, §3.6.1), else None."""
    if lookup.failure == "temporary":
        return signature.result("temperror", lookup.reason or "key lookup failed")
    record = lookup.key_record()
    if record is None:
        return signature.result("permerror", "no key for signature")
    tags = parse_tag_value(record.encode("utf-8"))
    if not re.sub(rb"\s", b"", tags[b"p"]):
        return signature.result("permerror", "key revoked")
    if tags.get(b"k", b"rsa") != _KEY_TYPE_OF_ALGORITHM[signature.algorithm]:
        return signature.result("permerror", "inappropriate key algorithm")
    if b"h" in tags and b"sha256" not in _colon_list(tags[b"h"]):
        return signature.result("permerror", "inappropriate hash algorithm")
    if b"s" in tags and not {b"*", b"email"} & _colon_list(tags[b"s"]):
        return signature.result("permerror", "key is not for email")
    if b"s" in _colon_list(tags.get(b"t", b"")) and signature.identity_domain != (
        signature.domain.lower()
    ):
        return signature.result("permerror", "key requires i= in the d= domain itself (t=s)")
    try:
        _, bits, key_type, _ = dkim.evaluate_pk(lookup.name.encode(), record.encode("utf-8"))
    except Exception as error:  # dkimpy raises KeyFormatError, binascii.Error, ValueError...
        return signature.result("permerror", f"unusable key: {_text(error)}")
    if key_type == b"rsa" and bits < MIN_RSA_BITS:
        return signature.result("policy", f"RSA key of {bits} bits (RFC 8301 §3.2)")
    return None


def verify_signature(
    verifier: dkim.DKIM, signature: DkimSignature, lookups: Mapping[str, KeyLookup]
) -> MethodResult:
    """Body hash and signature, by dkimpy, with DNS answered from ``lookups``."""
    dns = PrefetchedKeys(lookups)
    try:
        valid = verifier.verify(signature.index, dnsfunc=dns)
    except dkim.ValidationError as error:
        reason = "body hash mismatch" if "body hash" in str(error) else _text(error)
        return signature.result("fail", reason)
    except dkim.KeyFormatError as error:
        return signature.result("permerror", f"unusable key: {_text(error)}")
    except dkim.MessageFormatError as error:
        return signature.result("neutral", f"malformed signature: {_text(error)}")
    except Exception as error:  # a message must never crash delivery, even via a dkimpy bug
        return signature.result("permerror", f"could not verify: {_text(error)}")
    if dns.temporary_failures:
        return signature.result("temperror", "key lookup failed")
    return signature.result("pass") if valid else signature.result("fail", "signature mismatch")


def signature_properties(tags: Mapping[bytes, bytes]) -> tuple[tuple[str, str], ...]:
    """``header.d/i/s/a/b`` of a signature (RFC 8601 §2.7.1), those it has."""
    values = {
        "header.d": tags.get(b"d"),
        "header.i": tags.get(b"i", b"@" + tags[b"d"] if b"d" in tags else None),
        "header.s": tags.get(b"s"),
        "header.a": tags.get(b"a"),
        "header.b": re.sub(rb"\s", b"", tags[b"b"])[:8] if b"b" in tags else None,
    }
    return tuple(
        (name, text)
        for name, value in values.items()
        if value is not None and _PROPERTY_VALUE.fullmatch(text := _text(value))
    )


def _colon_list(value: bytes) -> set[bytes]:
    return {item.strip() for item in value.split(b":")}


def _text(value: object) -> str:
    """Text for a reason: bytes decoded, and dkimpy's ``b'...'`` reprs unwrapped."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return re.sub(r"\bb'([^']*)'", r"\1", str(value))
