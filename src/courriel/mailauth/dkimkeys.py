"""DKIM signing keys: generation, loading, and the DNS records that publish them.

Owns: making one RSA-2048 key (RFC 6376, RFC 8301: at least 1024, 2048 recommended) and one
Ed25519 key (RFC 8463) per domain, their public key records
``v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>`` (RFC 6376 §3.6.1) and
``v=DKIM1; k=ed25519; p=<base64 raw 32-byte key>`` (RFC 8463 §4.2), the record name
``<selector>._domainkey.<domain>`` (RFC 6376 §3.6.2.1) and zone-file lines whose TXT value is
split into strings of at most 255 bytes (RFC 1035 §3.3.14).

Signing with both keys is RFC 8463 §4's advice: receivers that know Ed25519 use it, the others
use RSA. Private keys are PKCS#8 PEM, the format the store keeps.

Must not: sign or verify messages (the DKIM signer does, with dkimpy), look up DNS, or store
keys anywhere.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

KeyAlgorithm = Literal["rsa", "ed25519"]

RSA_KEY_BITS = 2048
_TXT_STRING_MAX = 255
# Selectors are DNS labels, possibly several (RFC 6376 §3.1): letters, digits, inner hyphens.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SELECTOR = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


@dataclass(frozen=True, slots=True)
class DkimKey:
    """One DKIM key with its selector: the private half for signing, the public half for DNS."""

    selector: str
    algorithm: KeyAlgorithm
    private_key_pem: bytes
    public_key_base64: str

    @classmethod
    def from_private_key_pem(cls, selector: str, private_key_pem: bytes) -> DkimKey:
        """Rebuild a key from the PKCS#8 PEM the store keeps; the algorithm is detected."""
        _check_selector(selector)
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if isinstance(key, rsa.RSAPrivateKey):
            if key.key_size < 1024:
                raise ValueError("RSA DKIM keys must have at least 1024 bits (RFC 8301 §3.2)")
            return cls(selector, "rsa", private_key_pem, _rsa_public_base64(key))
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return cls(selector, "ed25519", private_key_pem, _ed25519_public_base64(key))
        raise ValueError(f"unsupported DKIM key type {type(key).__name__}")

    @property
    def signature_algorithm(self) -> str:
        """The DKIM-Signature ``a=`` value this key signs with."""
        return "rsa-sha256" if self.algorithm == "rsa" else "ed25519-sha256"

    def record_name(self, domain: str) -> str:
        """``<selector>._domainkey.<domain>`` (RFC 6376 §3.6.2.1), without a trailing dot."""
        return f"{self.selector}._domainkey.{domain.rstrip('.').lower()}"

    def dns_record(self) -> str:
        """The TXT record value publishing the public key (RFC 6376 §3.6.1, RFC 8463 §4.2)."""
        return f"v=DKIM1; k={self.algorithm}; p={self.public_key_base64}"

    def txt_strings(self) -> tuple[str, ...]:
        """The record value cut into character-strings of at most 255 bytes (RFC 1035 §3.3)."""
        record = self.dns_record()
        return tuple(
            record[start : start + _TXT_STRING_MAX]
            for start in range(0, len(record), _TXT_STRING_MAX)
        )

    def zone_file_line(self, domain: str, *, ttl: int | None = None) -> str:
        """A master-file line, e.g. ``s._domainkey.example.com. 3600 IN TXT "v=DKIM1; ..." "..."``.

        Receivers concatenate the strings without separators (RFC 6376 §3.6.2.2).
        """
        strings = " ".join(f'"{chunk}"' for chunk in self.txt_strings())
        ttl_field = f" {ttl}" if ttl is not None else ""
        return f"{self.record_name(domain)}.{ttl_field} IN TXT {strings}"

    def dkimpy_private_key(self) -> bytes:
        """The private key as ``dkim.sign`` takes it: PEM for RSA, base64 seed for Ed25519."""
        if self.algorithm == "rsa":
            return self.private_key_pem
        key = serialization.load_pem_private_key(self.private_key_pem, password=None)
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        seed = key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return base64.b64encode(seed)


@dataclass(frozen=True, slots=True)
class DkimKeySet:
    """The pair of keys a domain signs with: RSA for everyone, Ed25519 for modern receivers."""

    rsa: DkimKey
    ed25519: DkimKey

    def __iter__(self) -> Iterator[DkimKey]:
        return iter((self.rsa, self.ed25519))

    def zone_file_lines(self, domain: str, *, ttl: int | None = None) -> str:
        return "\n".join(key.zone_file_line(domain, ttl=ttl) for key in self) + "\n"


def selectors_for(selector_base: str) -> tuple[str, str]:
    """The RSA and Ed25519 selectors derived from a base: ``<base>-rsa``, ``<base>-ed25519``.

    Spelling the algorithm out lets an operator reading DNS or a DKIM-Signature header see
    which key is which.
    """
    rsa_selector, ed25519_selector = f"{selector_base}-rsa", f"{selector_base}-ed25519"
    _check_selector(rsa_selector)
    _check_selector(ed25519_selector)
    return rsa_selector, ed25519_selector


def unused_selector_base(selector_base: str, taken: Collection[str]) -> str:
    """``selector_base``, or ``<base>-2``, ``<base>-3``... whose selectors are not ``taken``.

    A second rotation in the same month then gets new selectors: a record name is never
    reused for a different key, so caches holding the old key cannot break new signatures.
    """
    candidate, number = selector_base, 1
    while any(selector in taken for selector in selectors_for(candidate)):
        number += 1
        candidate = f"{selector_base}-{number}"
    return candidate


def generate_dkim_keys(selector_base: str) -> DkimKeySet:
    """Make a fresh RSA-2048 and Ed25519 key pair, with selectors from ``selectors_for``."""
    rsa_selector, ed25519_selector = selectors_for(selector_base)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    ed25519_key = ed25519.Ed25519PrivateKey.generate()
    return DkimKeySet(
        rsa=DkimKey(rsa_selector, "rsa", _pkcs8_pem(rsa_key), _rsa_public_base64(rsa_key)),
        ed25519=DkimKey(
            ed25519_selector,
            "ed25519",
            _pkcs8_pem(ed25519_key),
            _ed25519_public_base64(ed25519_key),
        ),
    )


def _check_selector(selector: str) -> None:
    if not _SELECTOR.fullmatch(selector):
        raise ValueError(
            f"invalid DKIM selector {selector!r}: use lowercase letters, digits, inner hyphens"
        )


def _pkcs8_pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _rsa_public_base64(key: rsa.RSAPrivateKey) -> str:
    # RFC 6376 §3.6.1 says "RSAPublicKey", but every signer and verifier (OpenDKIM, dkimpy,
    # Google) uses the SubjectPublicKeyInfo wrapping, as in the RFC's own example.
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def _ed25519_public_base64(key: ed25519.Ed25519PrivateKey) -> str:
    # RFC 8463 §4.2: the bare 32-byte public key, not an ASN.1 structure.
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")
