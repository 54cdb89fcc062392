"""JSON Web Signatures of ACME requests: the account key, its JWK and thumbprint.

Pure: no I/O. RFC 8555 §6.2 requires every POST body to be a flattened JWS (RFC 7515 §7.2.2)
whose protected header carries ``alg``, ``nonce``, ``url`` and either ``jwk`` (newAccount) or
``kid`` (the account URL, every other request). The account key is ECDSA P-256 signing with
ES256 (RFC 7518 §3.4), which every ACME CA accepts.

Must not: send requests or read files (``client`` and ``account`` do).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ALGORITHM = "ES256"
_P256_COORDINATE_BYTES = 32


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2, RFC 8555 §6.1)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The inverse of ``b64url``; raises ``ValueError`` on anything else."""
    if not text or any(character not in _B64URL_ALPHABET for character in text):
        raise ValueError(f"not base64url: {text!r}")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_B64URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8")


def generate_account_key() -> ec.EllipticCurvePrivateKey:
    """A new ECDSA P-256 account key."""
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    """The public JWK of a P-256 key (RFC 7518 §6.2.1)."""
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"the ACME account key must be P-256, not {key.curve.name}")
    numbers = key.public_key().public_numbers()
    return {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(_P256_COORDINATE_BYTES, "big")),
        "y": b64url(numbers.y.to_bytes(_P256_COORDINATE_BYTES, "big")),
    }


# RFC 7638 §3.2: only the required members, in lexicographic order.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}


def jwk_thumbprint(jwk: Mapping[str, str]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url-encoded."""
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty", ""))
    if members is None:
        raise ValueError(f"unsupported JWK key type {jwk.get('kty')!r}")
    required = {name: jwk[name] for name in members}
    return b64url(hashlib.sha256(_json_bytes(required)).digest())


def key_authorization(token: str, key: ec.EllipticCurvePrivateKey) -> str:
    """RFC 8555 §8.1: ``token || '.' || base64url(Thumbprint(accountKey))``."""
    return f"{token}.{jwk_thumbprint(public_jwk(key))}"


def sign_request(
    key: ec.EllipticCurvePrivateKey,
    *,
    url: str,
    nonce: str,
    payload: Mapping[str, Any] | None,
    account_url: str | None = None,
) -> bytes:
    """The flattened JWS body of a POST to ``url`` (RFC 8555 §6.2).

    ``payload=None`` makes a POST-as-GET (RFC 8555 §6.3: the payload is the empty string).
    Without ``account_url`` the header carries the public ``jwk`` (newAccount, §7.3);
    with it, ``kid`` (every other request).
    """
    protected: dict[str, Any] = {"alg": ALGORITHM, "nonce": nonce, "url": url}
    if account_url is None:
        protected["jwk"] = public_jwk(key)
    else:
        protected["kid"] = account_url
    protected_text = b64url(_json_bytes(protected))
    payload_text = "" if payload is None else b64url(_json_bytes(dict(payload)))
    signing_input = f"{protected_text}.{payload_text}".encode("ascii")
    der = key.sign(signing_input, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    # RFC 7518 §3.4: the signature is R || S, each as 32 big-endian bytes, not DER.
    raw = r.to_bytes(_P256_COORDINATE_BYTES, "big") + s.to_bytes(_P256_COORDINATE_BYTES, "big")
    return _json_bytes(
        {"protected": protected_text, "payload": payload_text, "signature": b64url(raw)}
    )
