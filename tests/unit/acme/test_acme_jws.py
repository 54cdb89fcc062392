"""JWS signing of ACME requests (RFC 8555 §6.2, RFC 7515, RFC 7518 §3.4) and the JWK
thumbprint (RFC 7638), checked against the RFCs' own example and by verifying signatures."""

from __future__ import annotations

import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from courriel.acme.jws import (
    b64url,
    b64url_decode,
    generate_account_key,
    jwk_thumbprint,
    key_authorization,
    public_jwk,
    sign_request,
)

# RFC 7638 §3.1: the example RSA key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0"
        "_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWh"
        "AI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}


def test_thumbprint_of_the_rfc7638_example() -> None:
    assert jwk_thumbprint(RFC7638_JWK) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_thumbprint_refuses_an_unknown_key_type() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        jwk_thumbprint({"kty": "oct", "k": "secret"})


def test_base64url_has_no_padding_and_round_trips() -> None:
    assert b64url(b"\xfb\xff") == "-_8"
    assert b64url_decode("-_8") == b"\xfb\xff"
    with pytest.raises(ValueError, match="base64url"):
        b64url_decode("a+b/")


def test_public_jwk_of_a_p256_key_and_the_key_authorization() -> None:
    key = generate_account_key()
    jwk = public_jwk(key)
    assert sorted(jwk) == ["crv", "kty", "x", "y"]
    assert len(b64url_decode(jwk["x"])) == len(b64url_decode(jwk["y"])) == 32
    # RFC 8555 §8.1: token "." thumbprint.
    assert key_authorization("tok-en_1", key) == f"tok-en_1.{jwk_thumbprint(jwk)}"
    with pytest.raises(ValueError, match="P-256"):
        public_jwk(ec.generate_private_key(ec.SECP384R1()))


def _verify(body: bytes, key: ec.EllipticCurvePrivateKey) -> tuple[dict[str, object], bytes]:
    jws = json.loads(body)
    assert sorted(jws) == ["payload", "protected", "signature"]  # flattened, RFC 7515 §7.2.2
    raw = b64url_decode(jws["signature"])
    assert len(raw) == 64  # R || S, RFC 7518 §3.4
    signature = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    key.public_key().verify(
        signature,
        f"{jws['protected']}.{jws['payload']}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )  # raises InvalidSignature when wrong
    payload = b64url_decode(jws["payload"]) if jws["payload"] else b""
    return json.loads(b64url_decode(jws["protected"])), payload


def test_new_account_request_carries_the_jwk_and_verifies() -> None:
    key = generate_account_key()
    body = sign_request(
        key, url="https://ca.test/new-acct", nonce="n0nce", payload={"termsOfServiceAgreed": True}
    )
    protected, payload = _verify(body, key)
    assert protected == {
        "alg": "ES256",
        "nonce": "n0nce",
        "url": "https://ca.test/new-acct",
        "jwk": public_jwk(key),
    }
    assert json.loads(payload) == {"termsOfServiceAgreed": True}


def test_post_as_get_has_an_empty_payload_and_the_account_kid() -> None:
    key = generate_account_key()
    body = sign_request(
        key,
        url="https://ca.test/order/1",
        nonce="n1",
        payload=None,
        account_url="https://ca.test/acct/7",
    )
    protected, payload = _verify(body, key)
    assert payload == b""  # RFC 8555 §6.3
    assert protected["kid"] == "https://ca.test/acct/7"
    assert "jwk" not in protected


def test_a_signature_from_another_key_does_not_verify() -> None:
    body = sign_request(generate_account_key(), url="https://ca.test/x", nonce="n", payload={})
    with pytest.raises(InvalidSignature):
        _verify(body, generate_account_key())
