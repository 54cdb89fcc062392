"""DKIM verification (RFC 6376, RFC 8463): sign with our keys, verify through a StaticResolver
serving the very TXT records ``dkimkeys`` tells the operator to publish."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import functools
import multiprocessing
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from courriel.dns.resolver import MxRecord
from courriel.dns.static import StaticResolver
from courriel.mailauth.arc import seal_arc, verify_arc
from courriel.mailauth.dkim import MAX_SIGNATURES, verify_dkim
from courriel.mailauth.dkimkeys import DkimKey, DkimKeySet, generate_dkim_keys
from courriel.mailauth.dkimsign import sign_dkim
from courriel.mailauth.results import MethodResult

P = ParamSpec("P")
T = TypeVar("T")
DOMAIN = "example.test"
MESSAGE = (
    b"Received: from client.example.test by mail.example.test; Sat, 22 Nov 2025 10:00:01 +0000\r\n"
    b"From: Alice <alice@example.test>\r\n"
    b"To: Bob <bob@example.org>\r\n"
    b"Subject: Lunch\r\n"
    b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n"
    b"Message-ID: <lunch@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Shall we meet at noon?\r\n"
    b"  -- Alice\r\n"
)


@pytest.fixture(scope="module")
def keys() -> DkimKeySet:
    return generate_dkim_keys("c202511")


def published(*keys: DkimKey, domain: str = DOMAIN) -> dict[str, dict[str, list[str]]]:
    """Zones holding each key's record as published: its TXT strings, joined by the resolver
    the way receivers join them (RFC 6376 §3.6.2.2)."""
    return {key.record_name(domain): {"TXT": ["".join(key.txt_strings())]} for key in keys}


def verify(message: bytes, zones: dict[str, dict[str, list[str]]]) -> list[MethodResult]:
    return asyncio.run(verify_dkim(message, StaticResolver(zones)))


def results(found: list[MethodResult]) -> list[str]:
    return [result.result for result in found]


def test_rsa_and_ed25519_signatures_both_verify(keys: DkimKeySet) -> None:
    signatures = sign_dkim(MESSAGE, DOMAIN, list(keys))
    found = verify(signatures + MESSAGE, published(*keys))
    assert results(found) == ["pass", "pass"]
    rsa, ed25519 = found
    assert rsa.property("header.s") == "c202511-rsa"
    assert rsa.property("header.a") == "rsa-sha256"
    assert ed25519.property("header.s") == "c202511-ed25519"
    assert ed25519.property("header.a") == "ed25519-sha256"
    for result in found:
        assert result.method == "dkim"
        assert result.property("header.d") == DOMAIN
        assert result.property("header.i") == "@example.test"
    # header.b: the first 8 characters of each b= (RFC 6008 §4)
    b_values = [
        value.replace(b"\r\n", b"").replace(b" ", b"").split(b";")[0]
        for value in signatures.split(b" b=")[1:]
    ]
    assert [result.property("header.b") for result in found] == [
        value[:8].decode() for value in b_values
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ((b"noon?", b"one?"), "body hash mismatch"),
        ((b"Subject: Lunch", b"Subject: Dinner"), "signature mismatch"),
        ((b"To: Bob <bob@example.org>", b"To: Eve <eve@example.org>"), "signature mismatch"),
    ],
)
def test_changed_body_or_signed_header_fails(
    keys: DkimKeySet, change: tuple[bytes, bytes], reason: str
) -> None:
    signed = sign_dkim(MESSAGE, DOMAIN, list(keys)) + MESSAGE.replace(*change)
    found = verify(signed, published(*keys))
    assert results(found) == ["fail", "fail"]
    assert {result.reason for result in found} == {reason}


def test_relaxed_canonicalisation_survives_refolding_and_new_unsigned_fields(
    keys: DkimKeySet,
) -> None:
    signed = sign_dkim(MESSAGE, DOMAIN, list(keys)) + MESSAGE
    relayed = (
        b"Received: from mail.example.test by mx.example.org; Sat, 22 Nov 2025 10:00:02 +0000\r\n"
        + signed.replace(b"Subject: Lunch", b"Subject:   Lunch\r\n\t")
        .replace(b"noon?\r\n", b"noon?   \r\n")
        .replace(b"MIME-Version: 1.0\r\n", b"MIME-Version: 1.0\r\nX-Spam-Score: 0.1\r\n")
    )
    assert results(verify(relayed, published(*keys))) == ["pass", "pass"]


def test_from_is_over_signed(keys: DkimKeySet) -> None:
    # A second From above the first would be shown by many clients: it must break the
    # signature (RFC 6376 §8.15).
    signed = sign_dkim(MESSAGE, DOMAIN, list(keys)) + MESSAGE
    forged = signed.replace(b"From: Alice", b"From: Mallory <ceo@example.test>\r\nFrom: Alice")
    assert results(verify(forged, published(*keys))) == ["fail", "fail"]


def test_missing_key_record_is_permerror(keys: DkimKeySet) -> None:
    signed = sign_dkim(MESSAGE, DOMAIN, list(keys)) + MESSAGE
    found = verify(signed, published(keys.rsa))
    assert results(found) == ["pass", "permerror"]
    assert found[1].reason == "no key for signature"
    assert found[1].property("header.s") == "c202511-ed25519"
    # NODATA (the name exists without TXT) is the same as NXDOMAIN (RFC 6376 §6.1.2)
    zones = published(keys.rsa) | {keys.ed25519.record_name(DOMAIN): {"A": ["192.0.2.1"]}}
    assert results(verify(signed, zones)) == ["pass", "permerror"]


def test_temporary_dns_failure_is_temperror(keys: DkimKeySet) -> None:
    signed = sign_dkim(MESSAGE, DOMAIN, list(keys)) + MESSAGE
    zones = published(keys.ed25519) | {keys.rsa.record_name(DOMAIN): {"TEMPFAIL": []}}
    found = verify(signed, zones)
    assert results(found) == ["temperror", "pass"]
    assert "temporarily" in (found[0].reason or "")


class SilentResolver(StaticResolver):
    """A resolver whose TXT lookups never answer."""

    def __init__(self) -> None:
        super().__init__({})

    async def txt(self, name: str) -> list[str]:
        await asyncio.sleep(3600)
        return []

    async def mx(self, domain: str) -> list[MxRecord]:
        raise AssertionError("DKIM asks for TXT records only")


def test_a_resolver_that_never_answers_gives_temperror_within_the_timeout(
    keys: DkimKeySet,
) -> None:
    signed = sign_dkim(MESSAGE, DOMAIN, list(keys)) + MESSAGE
    started = time.monotonic()
    found = asyncio.run(verify_dkim(signed, SilentResolver(), timeout=0.3))
    elapsed = time.monotonic() - started
    assert results(found) == ["temperror", "temperror"]
    assert "no answer" in (found[0].reason or "")
    assert elapsed < 2.0  # both lookups ran at once, each bounded by the timeout


def test_lookups_are_concurrent_and_deduplicated(keys: DkimKeySet) -> None:
    class SlowResolver(StaticResolver):
        async def txt(self, name: str) -> list[str]:
            await asyncio.sleep(0.4)
            return await super().txt(name)

    resolver = SlowResolver(published(*keys))
    # the RSA key signs twice: one lookup for its name
    signed = sign_dkim(MESSAGE, DOMAIN, [keys.rsa, keys.ed25519, keys.rsa]) + MESSAGE
    started = time.monotonic()
    found = asyncio.run(verify_dkim(signed, resolver))
    assert results(found) == ["pass", "pass", "pass"]
    assert time.monotonic() - started < 1.2
    assert sorted(resolver.queries) == sorted(
        ("TXT", key.record_name(DOMAIN)) for key in (keys.rsa, keys.ed25519)
    )


def test_unsigned_message_is_none() -> None:
    found = verify(MESSAGE, {})
    assert found == [MethodResult("dkim", "none", "message not signed")]


def test_at_most_max_signatures_are_evaluated(keys: DkimKeySet) -> None:
    signed = sign_dkim(MESSAGE, DOMAIN, [keys.ed25519] * (MAX_SIGNATURES + 3)) + MESSAGE
    assert results(verify(signed, published(keys.ed25519))) == ["pass"] * MAX_SIGNATURES


def test_unparsable_header_is_permerror() -> None:
    found = verify(b"DKIM-Signature: v=1\r\nthis is no header\r\n\r\nbody\r\n", {})
    assert results(found) == ["permerror"]


# --- signatures judged by their form (RFC 6376 §6.1.1, RFC 8301) ------------------------------


def signed_by_dkimpy(key: DkimKey, **options: object) -> bytes:
    return bytes(
        dkim.sign(
            MESSAGE,
            key.selector.encode(),
            DOMAIN.encode(),
            key.dkimpy_private_key(),
            signature_algorithm=key.signature_algorithm.encode(),
            **options,
        )
        + MESSAGE
    )


def test_malformed_signatures_are_neutral(keys: DkimKeySet) -> None:
    good = sign_dkim(MESSAGE, DOMAIN, [keys.ed25519]) + MESSAGE
    cases = {
        "no bh=": good.replace(b" bh=", b" xh="),
        "version 2": good.replace(b"v=1;", b"v=2;"),
        "no tag list": b"DKIM-Signature: garbage\r\n" + MESSAGE,
        "unknown algorithm": good.replace(b"a=ed25519-sha256", b"a=ed448-sha256"),
        "unknown canonicalisation": good.replace(b"c=relaxed/relaxed", b"c=relaxed/loose"),
        "i= outside d=": good.replace(b"i=@example.test", b"i=@example.org"),
        "i= without @": good.replace(b"i=@example.test", b"i=example.test"),
        "From not signed": signed_by_dkimpy(keys.ed25519, include_headers=[b"from"]).replace(
            b"h=from", b"h=subject"
        ),
        "t= not a number": good.replace(b"; t=", b"; t=soon"),
    }
    for name, message in cases.items():
        resolver = StaticResolver(published(keys.ed25519))
        found = asyncio.run(verify_dkim(message, resolver))
        assert results(found) == ["neutral"], (name, found)
        assert resolver.queries == [], name  # judged before any key lookup (RFC 6376 §6.1.1)
    assert verify(cases["From not signed"], published(keys.ed25519))[0].reason == (
        "From is not signed"
    )


def test_rsa_sha1_expired_and_future_signatures_are_policy(keys: DkimKeySet) -> None:
    sha1 = dkim.sign(
        MESSAGE,
        keys.rsa.selector.encode(),
        DOMAIN.encode(),
        keys.rsa.private_key_pem,
        signature_algorithm=b"rsa-sha1",
    )
    found = verify(sha1 + MESSAGE, published(keys.rsa))
    assert results(found) == ["policy"]
    assert "RFC 8301" in (found[0].reason or "")

    now = int(time.time())
    good = sign_dkim(MESSAGE, DOMAIN, [keys.ed25519]) + MESSAGE
    expired = good.replace(b"; t=", f"; x={now - 60}; t=".encode())
    future = good.replace(b"; t=", f"; t={now + 86_400}; z=".encode())  # z: an unknown tag
    assert [verify(m, published(keys.ed25519))[0].reason for m in (expired, future)] == [
        "signature expired",
        "signature dated in the future",
    ]


# --- key records (RFC 6376 §6.1.2, §3.6.1) ----------------------------------------------------


def with_record(key: DkimKey, record: str) -> dict[str, dict[str, list[str]]]:
    return {key.record_name(DOMAIN): {"TXT": [record]}}


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ("v=DKIM1; k=ed25519; p=", "key revoked"),
        ("v=DKIM1; k=rsa; p={rsa}", "inappropriate key algorithm"),
        ("v=DKIM1; k=ed25519; h=sha1; p={ed25519}", "inappropriate hash algorithm"),
        ("v=DKIM1; k=ed25519; s=tlsrpt; p={ed25519}", "key is not for email"),
        ("v=DKIM1; k=ed25519; p=bm90IGEga2V5", "unusable key"),
        ("v=spf1 -all", "no key for signature"),
    ],
)
def test_unusable_key_records_are_permerror(keys: DkimKeySet, record: str, reason: str) -> None:
    signed = sign_dkim(MESSAGE, DOMAIN, [keys.ed25519]) + MESSAGE
    text = record.format(rsa=keys.rsa.public_key_base64, ed25519=keys.ed25519.public_key_base64)
    found = verify(signed, with_record(keys.ed25519, text))
    assert results(found) == ["permerror"]
    assert (found[0].reason or "").startswith(reason)


def test_key_record_options_that_allow_the_signature(keys: DkimKeySet) -> None:
    signed = sign_dkim(MESSAGE, DOMAIN, [keys.ed25519]) + MESSAGE
    key = keys.ed25519.public_key_base64
    for record in (
        f"v=DKIM1; k=ed25519; h=sha1:sha256; s=email; t=y; p={key}",
        f"k=ed25519; s=*; p={key}",  # v= is optional
    ):
        assert results(verify(signed, with_record(keys.ed25519, record))) == ["pass"], record
    # Among several TXT records at the name, the DKIM key record is the one used.
    zones = {
        keys.ed25519.record_name(DOMAIN): {"TXT": ["v=spf1 -all", f"v=DKIM1; k=ed25519; p={key}"]}
    }
    assert results(verify(signed, zones)) == ["pass"]


def test_strict_key_flag_requires_the_identity_in_d(keys: DkimKeySet) -> None:
    record = f"v=DKIM1; k=ed25519; t=s; p={keys.ed25519.public_key_base64}"
    own = signed_by_dkimpy(keys.ed25519)
    sub = signed_by_dkimpy(keys.ed25519, identity=b"alice@news.example.test")
    zones = with_record(keys.ed25519, record)
    assert results(verify(own, zones)) == ["pass"]
    found = verify(sub, zones)
    assert results(found) == ["permerror"]
    assert found[0].property("header.i") == "alice@news.example.test"


def test_small_rsa_keys_are_refused_by_policy(keys: DkimKeySet) -> None:
    # The key size decides before any signature check, so any 512-bit modulus will do.
    modulus = (1 << 511) | 0xF00D
    public_key = rsa.RSAPublicNumbers(65537, modulus).public_key()
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signed = sign_dkim(MESSAGE, DOMAIN, [keys.rsa]) + MESSAGE
    found = verify(signed, with_record(keys.rsa, f"p={base64.b64encode(der).decode()}"))
    assert results(found) == ["policy"]
    assert "512 bits" in (found[0].reason or "")


def test_hostile_property_values_are_left_out(keys: DkimKeySet) -> None:
    good = sign_dkim(MESSAGE, DOMAIN, [keys.ed25519]) + MESSAGE
    hostile = good.replace(b"s=c202511-ed25519", b's=x"; dkim=pass (')
    found = verify(hostile, {})
    assert found[0].property("header.s") is None
    assert found[0].property("header.d") == DOMAIN


def test_the_cpu_work_can_run_in_a_worker_process(keys: DkimKeySet) -> None:
    # What ``offload`` hands over (functions, signatures, lookups, results) must pickle, so
    # the pipeline can verify large messages in a worker process.
    calls: list[str] = []

    async def run() -> tuple[list[MethodResult], MethodResult]:
        loop = asyncio.get_running_loop()
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        ) as pool:

            def in_worker(
                function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
            ) -> Awaitable[T]:
                calls.append(function.__name__)
                return loop.run_in_executor(pool, functools.partial(function, *args, **kwargs))

            signed = sign_dkim(MESSAGE, DOMAIN, list(keys)) + MESSAGE
            none = MethodResult("arc", "none")
            sealed = seal_arc(signed, DOMAIN, keys.rsa, f"{DOMAIN}; dkim=pass", none) + signed
            resolver = StaticResolver(published(*keys))
            dkim_results = await verify_dkim(sealed, resolver, offload=in_worker)
            arc_result = await verify_arc(sealed, resolver, offload=in_worker)
            return dkim_results, arc_result

    dkim_results, arc_result = asyncio.run(run())
    assert results(dkim_results) == ["pass", "pass"]
    assert arc_result.result == "pass"
    assert calls == ["evaluate_signatures", "validate_chain"]
