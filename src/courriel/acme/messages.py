"""The ACME resources as typed values, read from the server's JSON, and the request payloads.

Pure: no I/O. Covers the directory (RFC 8555 §7.1.1), orders (§7.1.3), authorizations
(§7.1.4), challenges (§7.1.5, http-01 §8.3) and problem documents (§6.7, RFC 7807). A field
that RFC 8555 requires and the answer lacks raises ``AcmeProtocolError`` naming it; fields
this client does not use are ignored.

Must not: sign or send anything (``jws`` and ``client`` do).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from courriel.acme.errors import ERROR_NAMESPACE, AcmeProblem, AcmeProtocolError
from courriel.acme.jws import b64url

HTTP_01 = "http-01"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,256}")
"""RFC 8555 §8.3: a token is base64url, at least 128 bits of entropy (22 characters)."""


def parse_json(body: bytes, what: str) -> dict[str, Any]:
    """A JSON object, or ``AcmeProtocolError`` saying which answer was wrong."""
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise AcmeProtocolError(f"the {what} is not JSON: {body[:200]!r}") from None
    if not isinstance(value, dict):
        raise AcmeProtocolError(f"the {what} is not a JSON object")
    return value


def _text(document: dict[str, Any], name: str, what: str) -> str:
    value = document.get(name)
    if not isinstance(value, str) or not value:
        raise AcmeProtocolError(f"the {what} has no {name!r}")
    return value


def _texts(document: dict[str, Any], name: str, what: str) -> tuple[str, ...]:
    value = document.get(name)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise AcmeProtocolError(f"the {what} has no list {name!r}")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Directory:
    """RFC 8555 §7.1.1: where each resource lives."""

    new_nonce: str
    new_account: str
    new_order: str
    terms_of_service: str = ""

    @classmethod
    def parse(cls, body: bytes) -> Directory:
        document = parse_json(body, "ACME directory")
        meta = document.get("meta")
        terms = meta.get("termsOfService", "") if isinstance(meta, dict) else ""
        return cls(
            new_nonce=_text(document, "newNonce", "ACME directory"),
            new_account=_text(document, "newAccount", "ACME directory"),
            new_order=_text(document, "newOrder", "ACME directory"),
            terms_of_service=terms if isinstance(terms, str) else "",
        )


@dataclass(frozen=True, slots=True)
class Order:
    """RFC 8555 §7.1.3. ``status``: pending, ready, processing, valid or invalid."""

    url: str
    status: str
    authorizations: tuple[str, ...]
    finalize: str
    certificate: str = ""
    error: AcmeProblem | None = None

    @classmethod
    def parse(cls, url: str, body: bytes) -> Order:
        document = parse_json(body, "order")
        certificate = document.get("certificate", "")
        return cls(
            url=url,
            status=_text(document, "status", "order"),
            authorizations=_texts(document, "authorizations", "order"),
            finalize=_text(document, "finalize", "order"),
            certificate=certificate if isinstance(certificate, str) else "",
            error=_embedded_problem(document),
        )


@dataclass(frozen=True, slots=True)
class Challenge:
    """RFC 8555 §7.1.5; ``token`` is set for http-01 (§8.3) and checked to be base64url."""

    type: str
    url: str
    status: str
    token: str = ""
    error: AcmeProblem | None = None

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Challenge:
        token = document.get("token", "")
        if not isinstance(token, str):
            token = ""
        challenge_type = _text(document, "type", "challenge")
        if challenge_type == HTTP_01 and not TOKEN_PATTERN.fullmatch(token):
            # The token becomes a file name and a URL path: refuse anything else.
            raise AcmeProtocolError(f"the http-01 challenge token {token[:80]!r} is not base64url")
        return cls(
            type=challenge_type,
            url=_text(document, "url", "challenge"),
            status=_text(document, "status", "challenge"),
            token=token,
            error=_embedded_problem(document),
        )


@dataclass(frozen=True, slots=True)
class Authorization:
    """RFC 8555 §7.1.4: one identifier and the ways to prove control of it."""

    url: str
    name: str
    status: str
    challenges: tuple[Challenge, ...]

    @classmethod
    def parse(cls, url: str, body: bytes) -> Authorization:
        document = parse_json(body, "authorization")
        identifier = document.get("identifier")
        if not isinstance(identifier, dict):
            raise AcmeProtocolError("the authorization has no 'identifier'")
        challenges = document.get("challenges")
        if not isinstance(challenges, list):
            raise AcmeProtocolError("the authorization has no list 'challenges'")
        return cls(
            url=url,
            name=_text(identifier, "value", "authorization identifier"),
            status=_text(document, "status", "authorization"),
            challenges=tuple(
                Challenge.from_document(item) for item in challenges if isinstance(item, dict)
            ),
        )

    def challenge(self, challenge_type: str) -> Challenge | None:
        """The challenge of ``challenge_type`` this authorization offers, if any."""
        return next((item for item in self.challenges if item.type == challenge_type), None)

    def failure(self) -> AcmeProblem | None:
        """The reason a challenge of an invalid authorization gave (RFC 8555 §7.5.1)."""
        return next((item.error for item in self.challenges if item.error is not None), None)


def problem_from_document(document: dict[str, Any], status: int = 0) -> AcmeProblem:
    """An ``AcmeProblem`` from a problem document (RFC 7807 §3.1, RFC 8555 §6.7)."""
    problem_type = document.get("type")
    detail = document.get("detail")
    return AcmeProblem(
        problem_type if isinstance(problem_type, str) else ERROR_NAMESPACE + "serverInternal",
        detail if isinstance(detail, str) else "",
        status,
    )


def _embedded_problem(document: dict[str, Any]) -> AcmeProblem | None:
    """The ``error`` field of an order or challenge (RFC 8555 §7.1.3, §7.1.5), if any."""
    error = document.get("error")
    return problem_from_document(error) if isinstance(error, dict) else None


def problem_from_response(status: int, content_type: str, body: bytes) -> AcmeProblem:
    """The error of a failed response: its problem document, or a summary of what came."""
    if content_type.split(";", 1)[0].strip().lower() == "application/problem+json":
        try:
            return problem_from_document(parse_json(body, "problem document"), status)
        except AcmeProtocolError:
            pass
    excerpt = body[:200].decode("utf-8", "replace")
    return AcmeProblem(ERROR_NAMESPACE + "serverInternal", f"HTTP {status}: {excerpt}", status)


# --------------------------------------------------------------------------- payloads


def new_account_payload(contact_email: str) -> dict[str, Any]:
    """RFC 8555 §7.3: agree to the CA's terms, with an optional mailto: contact."""
    payload: dict[str, Any] = {"termsOfServiceAgreed": True}
    if contact_email:
        payload["contact"] = [f"mailto:{contact_email}"]
    return payload


def new_order_payload(names: Sequence[str]) -> dict[str, Any]:
    """RFC 8555 §7.4: one "dns" identifier per name."""
    return {"identifiers": [{"type": "dns", "value": name} for name in names]}


def finalize_payload(csr_der: bytes) -> dict[str, Any]:
    """RFC 8555 §7.4: the CSR, DER in base64url."""
    return {"csr": b64url(csr_der)}
