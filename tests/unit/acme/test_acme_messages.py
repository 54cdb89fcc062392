"""Reading ACME resources (RFC 8555 §7.1) and problem documents (§6.7): good answers give
typed values, bad ones a clear ``AcmeProtocolError`` naming what is missing."""

from __future__ import annotations

import json

import pytest

from courriel.acme.errors import AcmeProblem, AcmeProtocolError
from courriel.acme.messages import (
    Authorization,
    Directory,
    Order,
    finalize_payload,
    new_account_payload,
    new_order_payload,
    problem_from_response,
)

TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"


def as_json(value: object) -> bytes:
    return json.dumps(value).encode()


def test_directory_of_rfc8555_section_7_1_1() -> None:
    directory = Directory.parse(
        as_json(
            {
                "newNonce": "https://example.com/acme/new-nonce",
                "newAccount": "https://example.com/acme/new-account",
                "newOrder": "https://example.com/acme/new-order",
                "revokeCert": "https://example.com/acme/revoke-cert",
                "meta": {"termsOfService": "https://example.com/acme/terms/2017-5-30"},
            }
        )
    )
    assert directory.new_order == "https://example.com/acme/new-order"
    assert directory.terms_of_service.endswith("2017-5-30")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>", "not JSON"),
        (b"[]", "not a JSON object"),
        (as_json({"newNonce": "x", "newAccount": "y"}), "'newOrder'"),
    ],
)
def test_a_bad_directory_is_a_protocol_error(body: bytes, message: str) -> None:
    with pytest.raises(AcmeProtocolError, match=message):
        Directory.parse(body)


def test_order_with_an_error() -> None:
    order = Order.parse(
        "https://ca.test/order/1",
        as_json(
            {
                "status": "invalid",
                "authorizations": ["https://ca.test/authz/1"],
                "finalize": "https://ca.test/order/1/finalize",
                "error": {"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "no"},
            }
        ),
    )
    assert order.status == "invalid"
    assert order.error is not None and order.error.problem_type.endswith("rejectedIdentifier")
    with pytest.raises(AcmeProtocolError, match="'authorizations'"):
        Order.parse("u", as_json({"status": "pending", "finalize": "f"}))


def authorization(token: str = TOKEN, **challenge: object) -> bytes:
    return as_json(
        {
            "status": "pending",
            "identifier": {"type": "dns", "value": "mail.example.org"},
            "challenges": [
                {
                    "type": "dns-01",
                    "url": "https://ca.test/chall/dns",
                    "status": "pending",
                    "token": token,
                },
                {
                    "type": "http-01",
                    "url": "https://ca.test/chall/http",
                    "status": "pending",
                    "token": token,
                    **challenge,
                },
            ],
        }
    )


def test_authorization_offers_http01() -> None:
    parsed = Authorization.parse("https://ca.test/authz/1", authorization())
    challenge = parsed.challenge("http-01")
    assert parsed.name == "mail.example.org"
    assert challenge is not None and challenge.token == TOKEN
    assert parsed.challenge("tls-alpn-01") is None
    assert parsed.failure() is None


def test_failure_reason_of_an_invalid_challenge() -> None:
    parsed = Authorization.parse(
        "u",
        authorization(
            status="invalid",
            error={"type": "urn:ietf:params:acme:error:connection", "detail": "refused"},
        ),
    )
    failure = parsed.failure()
    assert failure is not None and str(failure) == "connection: refused"


@pytest.mark.parametrize("token", ["../../etc/passwd", "short", "a b c d e f g h i j k l", ""])
def test_a_token_that_is_not_base64url_is_refused(token: str) -> None:
    with pytest.raises(AcmeProtocolError, match="not base64url"):
        Authorization.parse("u", authorization(token=token))


def test_problem_document_and_other_error_bodies() -> None:
    problem = problem_from_response(
        400,
        "application/problem+json; charset=utf-8",
        as_json({"type": "urn:ietf:params:acme:error:badNonce", "detail": "stale"}),
    )
    assert problem.is_bad_nonce and problem.status == 400
    other = problem_from_response(502, "text/html", b"<h1>Bad gateway</h1>")
    assert isinstance(other, AcmeProblem) and not other.is_bad_nonce
    assert "HTTP 502" in str(other)


def test_payloads() -> None:
    assert new_account_payload("") == {"termsOfServiceAgreed": True}
    assert new_account_payload("ops@example.org")["contact"] == ["mailto:ops@example.org"]
    assert new_order_payload(["a.example", "b.example"]) == {
        "identifiers": [
            {"type": "dns", "value": "a.example"},
            {"type": "dns", "value": "b.example"},
        ]
    }
    assert finalize_payload(b"\x30\x82") == {"csr": "MII"}
