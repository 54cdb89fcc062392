"""Errors of the ACME client.

::

    CourrielError
     └── AcmeError                 anything that stopped an issuance or renewal
          ├── AcmeProtocolError    the ACME server's answer is not what RFC 8555 describes
          └── AcmeProblem          the ACME server refused, with a problem document (RFC 7807)
               └── ValidationFailed   an authorization became "invalid" (RFC 8555 §7.1.6)

The renewal task catches ``AcmeError`` (and network errors), logs it and tries again later;
the ``courriel cert renew`` command prints it as one line.
"""

from __future__ import annotations

from courriel.core.errors import CourrielError

ERROR_NAMESPACE = "urn:ietf:params:acme:error:"


class AcmeError(CourrielError):
    """Base class of every error the ACME client raises on purpose."""


class AcmeProtocolError(AcmeError):
    """The ACME server answered something RFC 8555 does not allow (bad JSON, missing field)."""


class AcmeProblem(AcmeError):
    """An error response of the ACME server: its problem document (RFC 8555 §6.7)."""

    def __init__(self, problem_type: str, detail: str, status: int = 0) -> None:
        self.problem_type = problem_type
        self.detail = detail
        self.status = status
        short = problem_type.removeprefix(ERROR_NAMESPACE)
        super().__init__(f"{short}: {detail}" if detail else short)

    @property
    def is_bad_nonce(self) -> bool:
        """RFC 8555 §6.5: a rejected nonce; the request is retried with a fresh one."""
        return self.problem_type == ERROR_NAMESPACE + "badNonce"


class ValidationFailed(AcmeProblem):
    """The CA could not validate a name (RFC 8555 §7.1.6 "invalid"), with the CA's reason."""

    def __init__(self, name: str, problem_type: str, detail: str) -> None:
        self.name = name
        super().__init__(problem_type, f"validation of {name} failed: {detail}")
