"""PLAIN (RFC 4616): server state machine and client encoder.

One message, ``[authzid] NUL authcid NUL passwd`` in UTF-8 (RFC 4616 §2). The server does
not verify the password: it hands ``PasswordCredentials`` to the caller, which asks the
directory, and reports the verdict with ``credentials_checked(ok)``.

Proxy authentication is not offered: an authzid other than the authcid is refused.

PLAIN sends the password itself; protocol servers offer it only under TLS (RFC 4616 §6,
RFC 4954 §4). Pure; no I/O.
"""

from __future__ import annotations

from courriel.sasl.mechanism import MechanismBase, ServerOptions
from courriel.sasl.outcomes import (
    Challenge,
    Failure,
    FailureReason,
    NeedCredentialsCheck,
    Outcome,
    PasswordCredentials,
    Success,
)

__all__ = ["PlainServer", "plain_client_response"]

_NUL = b"\x00"


class PlainServer(MechanismBase):
    """Server side of PLAIN: message → credentials check → ``Success`` or ``Failure``."""

    mechanism_name = "PLAIN"

    def __init__(self, options: ServerOptions | None = None) -> None:
        super().__init__(options)
        self._credentials: PasswordCredentials | None = None

    def _on_client_data(self, client_data: bytes | None) -> Outcome:
        if client_data is None:
            # RFC 4422 §5: without an initial response the server sends an empty challenge.
            return Challenge(b"")
        parts = client_data.split(_NUL)
        if len(parts) != 3:
            # RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
            return Failure(FailureReason.MALFORMED_MESSAGE, "PLAIN message needs exactly two NULs")
        try:
            authzid, authcid, password = (part.decode("utf-8") for part in parts)
        except UnicodeDecodeError:
            # RFC 4616 §4: the server verifies the message is valid UTF-8.
            return Failure(FailureReason.INVALID_ENCODING, "PLAIN message is not valid UTF-8")
        if not authcid or not password:
            # RFC 4616 §2: authcid and passwd are 1*SAFE.
            return Failure(FailureReason.MALFORMED_MESSAGE, "empty authcid or password")
        if authzid and authzid != authcid:
            # RFC 4616 §2 lets the client ask to act as authzid; we do not offer that (yet).
            return Failure(
                FailureReason.AUTHZID_NOT_PERMITTED,
                "authorization identity differs from authentication identity; "
                "proxy authentication is not supported",
            )
        self._credentials = PasswordCredentials(authzid or None, authcid, password)
        return NeedCredentialsCheck(self._credentials)

    def _on_credentials_checked(self, ok: bool) -> Outcome:
        credentials = self._credentials
        assert credentials is not None  # only reachable after NeedCredentialsCheck
        self._credentials = None  # do not keep the password longer than needed
        if not ok:
            return Failure(FailureReason.INVALID_CREDENTIALS, "credentials rejected")
        return Success(credentials.authcid, credentials.authzid)


def plain_client_response(authcid: str, password: str, authzid: str = "") -> bytes:
    """The PLAIN message a client sends (raw; base64 it with ``encode_initial_response``).

    Raises ``ValueError`` for a NUL inside a field or an empty authcid or password, which
    RFC 4616 §2 does not allow.
    """
    fields = (authzid, authcid, password)
    if any("\x00" in field for field in fields):
        raise ValueError("PLAIN fields cannot contain NUL")
    if not authcid or not password:
        raise ValueError("PLAIN needs a non-empty authcid and password")
    return _NUL.join(field.encode("utf-8") for field in fields)
