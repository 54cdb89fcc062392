"""DKIM key generation: records in the RFC 6376 / RFC 8463 formats, verified by dkimpy."""

from __future__ import annotations

import base64
import re

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from courriel.mailauth.dkimkeys import (
    DkimKey,
    DkimKeySet,
    generate_dkim_keys,
    selectors_for,
    unused_selector_base,
)

DOMAIN = "example.test"
MESSAGE = (
    b"From: Alice <alice@example.test>\r\n"
    b"To: Bob <bob@example.org>\r\n"
    b"Subject: DKIM round trip\r\n"
    b"Date: Sat, 22 Nov 2025 10:00:00 +0000\r\n"
    b"Message-ID: <dkim-test@example.test>\r\n"
    b"\r\n"
    b"Hello Bob,\r\n"
    b"this message is signed.\r\n"
)


@pytest.fixture(scope="module")
def keys() -> DkimKeySet:
    return generate_dkim_keys("c2025")


def test_selectors_name_their_algorithm(keys: DkimKeySet) -> None:
    assert keys.rsa.selector == "c2025-rsa"
    assert keys.ed25519.selector == "c2025-ed25519"
    assert keys.rsa.record_name("Example.Test.") == "c2025-rsa._domainkey.example.test"
    assert keys.rsa.signature_algorithm == "rsa-sha256"
    assert keys.ed25519.signature_algorithm == "ed25519-sha256"


@pytest.mark.parametrize("base", ["", "-x", "bad_selector", "UPPER", "a" * 60, "a..b"])
def test_invalid_selector_bases_are_refused(base: str) -> None:
    with pytest.raises(ValueError, match="invalid DKIM selector"):
        selectors_for(base)


def test_rsa_record_holds_subject_public_key_info(keys: DkimKeySet) -> None:
    record = keys.rsa.dns_record()
    match = re.fullmatch(r"v=DKIM1; k=rsa; p=([A-Za-z0-9+/=]+)", record)
    assert match is not None
    public_key = serialization.load_der_public_key(base64.b64decode(match.group(1)))
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert public_key.key_size == 2048
    assert keys.rsa.private_key_pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")  # PKCS#8


def test_ed25519_record_holds_the_raw_key(keys: DkimKeySet) -> None:
    # RFC 8463 §4.2: p= is the base64 of the bare 32-byte public key.
    record = keys.ed25519.dns_record()
    match = re.fullmatch(r"v=DKIM1; k=ed25519; p=([A-Za-z0-9+/=]+)", record)
    assert match is not None
    raw = base64.b64decode(match.group(1))
    assert len(raw) == 32
    private_key = serialization.load_pem_private_key(keys.ed25519.private_key_pem, None)
    assert isinstance(private_key, ed25519.Ed25519PrivateKey)
    signature = private_key.sign(b"data")
    ed25519.Ed25519PublicKey.from_public_bytes(raw).verify(signature, b"data")


def test_zone_file_lines_split_long_records(keys: DkimKeySet) -> None:
    line = keys.rsa.zone_file_line(DOMAIN, ttl=3600)
    assert line.startswith('c2025-rsa._domainkey.example.test. 3600 IN TXT "v=DKIM1; k=rsa; p=')
    strings = re.findall(r'"([^"]*)"', line)
    assert len(strings) == 2
    assert all(len(chunk.encode()) <= 255 for chunk in strings)
    assert "".join(strings) == keys.rsa.dns_record()
    assert keys.ed25519.txt_strings() == (keys.ed25519.dns_record(),)
    assert keys.zone_file_lines(DOMAIN).count("\n") == 2


def test_keys_reload_from_their_pem(keys: DkimKeySet) -> None:
    for key in keys:
        assert DkimKey.from_private_key_pem(key.selector, key.private_key_pem) == key


def dns_answering(key: DkimKey) -> object:
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        if name.decode().rstrip(".") == key.record_name(DOMAIN):
            return "".join(key.txt_strings()).encode()
        return None

    return lookup


def sign_and_verify(key: DkimKey) -> tuple[bytes, bool]:
    signature = dkim.sign(
        MESSAGE,
        key.selector.encode(),
        DOMAIN.encode(),
        key.dkimpy_private_key(),
        signature_algorithm=key.signature_algorithm.encode(),
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )
    return signature, dkim.verify(signature + MESSAGE, dnsfunc=dns_answering(key))


def test_rsa_key_signs_and_verifies_with_dkimpy(keys: DkimKeySet) -> None:
    signature, valid = sign_and_verify(keys.rsa)
    assert b"a=rsa-sha256" in signature
    assert b"s=c2025-rsa" in signature
    assert valid
    tampered = signature + MESSAGE.replace(b"signed", b"forged")
    assert not dkim.verify(tampered, dnsfunc=dns_answering(keys.rsa))


def test_ed25519_key_signs_and_verifies_with_dkimpy(keys: DkimKeySet) -> None:
    pytest.importorskip("nacl", reason="dkimpy needs PyNaCl (dkimpy[ed25519]) for Ed25519")
    signature, valid = sign_and_verify(keys.ed25519)
    assert b"a=ed25519-sha256" in signature
    assert valid
    tampered = signature + MESSAGE.replace(b"signed", b"forged")
    assert not dkim.verify(tampered, dnsfunc=dns_answering(keys.ed25519))


def test_unused_selector_base_never_reuses_a_selector() -> None:
    assert unused_selector_base("c202511", set()) == "c202511"
    assert unused_selector_base("c202511", {"c202510-rsa"}) == "c202511"
    taken = {"c202511-rsa", "c202511-ed25519", "c202511-2-ed25519"}
    assert unused_selector_base("c202511", taken) == "c202511-3"
