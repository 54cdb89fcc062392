"""ARC (RFC 8617): seal as a forwarder would, then validate the chain, through a StaticResolver."""

from __future__ import annotations

import asyncio
import re

import pytest

from courriel.dns.static import StaticResolver
from courriel.mailauth.arc import MAX_KEYS, seal_arc, verify_arc
from courriel.mailauth.dkim import verify_dkim
from courriel.mailauth.dkimkeys import DkimKeySet, generate_dkim_keys
from courriel.mailauth.dkimsign import sign_dkim
from courriel.mailauth.results import MethodResult

AUTHOR, LIST, FORWARDER = "example.test", "lists.example.org", "forward.example.net"
MESSAGE = (
    b"From: Alice <alice@example.test>\r\n"
    b"To: team@lists.example.org\r\n"
    b"Subject: Release\r\n"
    b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n"
    b"Message-ID: <release@example.test>\r\n"
    b"\r\n"
    b"Version 1.0 is out.\r\n"
)


@pytest.fixture(scope="module")
def keys() -> dict[str, DkimKeySet]:
    return {domain: generate_dkim_keys("arc") for domain in (AUTHOR, LIST, FORWARDER)}


@pytest.fixture(scope="module")
def resolver(keys: dict[str, DkimKeySet]) -> StaticResolver:
    return StaticResolver(
        {
            key.record_name(domain): {"TXT": ["".join(key.txt_strings())]}
            for domain, pair in keys.items()
            for key in pair
        }
    )


def check(message: bytes, resolver: StaticResolver) -> MethodResult:
    return asyncio.run(verify_arc(message, resolver))


def through_list(keys: dict[str, DkimKeySet], resolver: StaticResolver) -> bytes:
    """Alice's signed message, as the list sends it on: subject tag, footer, ARC Set i=1."""
    original = sign_dkim(MESSAGE, AUTHOR, list(keys[AUTHOR])) + MESSAGE
    dkim_results = asyncio.run(verify_dkim(original, resolver))
    assert [result.result for result in dkim_results] == ["pass", "pass"]
    chain = check(original, resolver)
    assert chain == MethodResult("arc", "none")
    modified = original.replace(b"Subject: Release", b"Subject: [team] Release") + (
        b"-- \r\nteam mailing list\r\n"
    )
    arc_set = seal_arc(
        modified,
        LIST,
        keys[LIST].rsa,
        f"{LIST}; dkim=pass header.d={AUTHOR} header.s=arc-rsa; spf=pass smtp.mailfrom={AUTHOR}",
        chain,
    )
    return arc_set + modified


def forward(
    message: bytes, keys: dict[str, DkimKeySet], resolver: StaticResolver
) -> tuple[bytes, MethodResult]:
    chain = check(message, resolver)
    sealed = seal_arc(message, FORWARDER, keys[FORWARDER].rsa, f"{FORWARDER}; dkim=none", chain)
    return sealed + message, chain


def test_one_hop_chain_passes_where_dkim_fails(
    keys: dict[str, DkimKeySet], resolver: StaticResolver
) -> None:
    relayed = through_list(keys, resolver)
    assert relayed.startswith(b"ARC-Seal: i=1; cv=none; a=rsa-sha256; d=lists.example.org;")
    assert b"\r\nARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed;" in relayed
    aar = re.search(rb"ARC-Authentication-Results: (.*?)\r\n(?!\s)", relayed, re.DOTALL)
    assert aar is not None
    assert aar.group(1).startswith(b"i=1; lists.example.org;")
    assert b"dkim=pass header.d=example.test" in aar.group(1)
    assert b"arc=none" in aar.group(1)
    # The list changed the subject and body: Alice's DKIM signatures break, ARC vouches.
    dkim_results = asyncio.run(verify_dkim(relayed, resolver))
    assert {result.result for result in dkim_results} == {"fail"}
    assert check(relayed, resolver) == MethodResult(
        "arc", "pass", None, (("header.oldest-pass", "0"),)
    )


def test_two_hop_chain_passes(keys: dict[str, DkimKeySet], resolver: StaticResolver) -> None:
    twice, chain = forward(through_list(keys, resolver), keys, resolver)
    assert chain.result == "pass"
    assert twice.startswith(b"ARC-Seal: i=2; cv=pass; a=rsa-sha256; d=forward.example.net;")
    assert check(twice, resolver) == MethodResult(
        "arc", "pass", None, (("header.oldest-pass", "0"),)
    )


def test_oldest_pass_names_the_oldest_signature_still_valid(
    keys: dict[str, DkimKeySet], resolver: StaticResolver
) -> None:
    # The forwarder validates the chain, then tags the subject and seals: AMS i=1 no longer
    # verifies, AMS i=2 and both seals do.
    relayed = through_list(keys, resolver)
    chain = check(relayed, resolver)
    assert chain.result == "pass"
    tagged = relayed.replace(b"[team] Release", b"[ext] [team] Release")
    sealed = seal_arc(tagged, FORWARDER, keys[FORWARDER].rsa, f"{FORWARDER}; none", chain)
    assert check(sealed + tagged, resolver) == MethodResult(
        "arc", "pass", None, (("header.oldest-pass", "2"),)
    )


def test_a_chain_broken_before_us_is_sealed_as_failed(
    keys: dict[str, DkimKeySet], resolver: StaticResolver
) -> None:
    # Changed in transit before the forwarder: the newest AMS (i=1) no longer verifies there.
    relayed = through_list(keys, resolver).replace(b"[team] Release", b"[ext] [team] Release")
    twice, chain = forward(relayed, keys, resolver)
    assert chain.result == "fail"
    assert twice.startswith(b"ARC-Seal: i=2; cv=fail;")
    assert check(twice, resolver).result == "fail"  # cv=fail ends the chain (RFC 8617 §5.2)


def test_changes_after_the_last_seal_fail(
    keys: dict[str, DkimKeySet], resolver: StaticResolver
) -> None:
    twice, _ = forward(through_list(keys, resolver), keys, resolver)
    for tampered in (
        twice.replace(b"Version 1.0", b"Version 6.6"),  # body: the newest AMS breaks
        twice.replace(b"Subject: [team] Release", b"Subject: [team] Urgent"),  # signed field
        twice.replace(b"dkim=pass header.d=example.test", b"dkim=fail header.d=example.test"),
    ):
        result = check(tampered, resolver)
        assert result.result == "fail", result
        assert result.properties == ()


def test_broken_chain_structure_fails(
    keys: dict[str, DkimKeySet], resolver: StaticResolver
) -> None:
    twice, _ = forward(through_list(keys, resolver), keys, resolver)
    without_first_seal = re.sub(rb"ARC-Seal: i=1;.*?\r\n(?=\S)", b"", twice, flags=re.DOTALL)
    assert without_first_seal != twice
    assert check(without_first_seal, resolver).result == "fail"
    renumbered = twice.replace(b"i=2;", b"i=3;")
    assert check(renumbered, resolver).result == "fail"


def test_a_missing_key_fails_and_a_dns_failure_is_temperror(
    keys: dict[str, DkimKeySet],
) -> None:
    relayed = through_list(keys, StaticResolver(_zones(keys, AUTHOR, LIST)))
    assert check(relayed, StaticResolver(_zones(keys, AUTHOR))).result == "fail"
    busy = _zones(keys, AUTHOR) | {keys[LIST].rsa.record_name(LIST): {"TEMPFAIL": []}}
    chain = check(relayed, StaticResolver(busy))
    assert chain.result == "temperror"
    # In doubt we do not seal: the next hop judges the chain as it was.
    assert seal_arc(relayed, FORWARDER, keys[FORWARDER].rsa, f"{FORWARDER}; none", chain) == b""


def test_chains_needing_too_many_keys_fail_without_lookups() -> None:
    seals = b"".join(
        f"ARC-Seal: i={n}; cv=pass; a=rsa-sha256; d=hop{n}.example; s=s; b=AAAA\r\n".encode()
        for n in range(1, MAX_KEYS + 2)
    )
    resolver = StaticResolver({})
    result = check(seals + MESSAGE, resolver)
    assert (result.result, resolver.queries) == ("fail", [])


def test_no_seal_over_a_chain_already_failed(
    keys: dict[str, DkimKeySet], resolver: StaticResolver
) -> None:
    relayed = through_list(keys, resolver).replace(b"[team] Release", b"[ext] [team] Release")
    failed, _ = forward(relayed, keys, resolver)
    chain = check(failed, resolver)
    assert chain.result == "fail"
    assert seal_arc(failed, "third.example", keys[FORWARDER].rsa, "third.example; none", chain) == (
        b""
    )


def test_upstream_results_claiming_our_name_are_not_sealed(
    keys: dict[str, DkimKeySet], resolver: StaticResolver
) -> None:
    spoofed = b"Authentication-Results: lists.example.org; dmarc=pass header.from=bank.example\r\n"
    arc_set = seal_arc(
        spoofed + MESSAGE,
        LIST,
        keys[LIST].rsa,
        f"{LIST}; spf=none",
        MethodResult("arc", "none"),
    )
    assert b"spf=none" in arc_set
    assert b"dmarc" not in arc_set and b"bank.example" not in arc_set
    assert check(arc_set + spoofed + MESSAGE, resolver).result == "pass"


def test_seal_arguments_are_checked(keys: dict[str, DkimKeySet]) -> None:
    none = MethodResult("arc", "none")
    with pytest.raises(ValueError, match="RSA"):
        seal_arc(MESSAGE, LIST, keys[LIST].ed25519, f"{LIST}; spf=pass", none)
    with pytest.raises(ValueError, match="arc="):
        seal_arc(MESSAGE, LIST, keys[LIST].rsa, f"{LIST}; arc=pass", none)
    with pytest.raises(ValueError, match="Authentication-Results"):
        seal_arc(MESSAGE, LIST, keys[LIST].rsa, ";;; =", none)
    agreeing = seal_arc(MESSAGE, LIST, keys[LIST].rsa, f"{LIST}; arc=none", none)
    assert agreeing.count(b"arc=none") == 1


def test_unsealed_message_is_none(resolver: StaticResolver) -> None:
    assert check(MESSAGE, resolver) == MethodResult("arc", "none")


def _zones(keys: dict[str, DkimKeySet], *domains: str) -> dict[str, dict[str, list[str]]]:
    return {
        key.record_name(domain): {"TXT": ["".join(key.txt_strings())]}
        for domain in domains
        for key in keys[domain]
    }
