"""LOGIN (draft-murchison-sasl-login-00): server state machine and client encoder.

The obsolete two-step mechanism that Outlook and many devices still use for SMTP AUTH::

    S: "Username:"   C: user name
    S: "Password:"   C: password

The challenge texts are the ones deployed servers send; the draft notes that some clients
depend on exactly these strings. A client that sends an initial response sends the
user name, and the exchange skips the first challenge (deployed practice in Cyrus SASL and
Dovecot).

Like PLAIN, the result is ``PasswordCredentials`` for the directory to check; LOGIN has no
authzid. Offered only under TLS, as the draft requires. Pure; no I/O.
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

__all__ = [
    "LOGIN_PASSWORD_CHALLENGE",
    "LOGIN_USERNAME_CHALLENGE",
    "LoginServer",
    "login_client_responses",
]

LOGIN_USERNAME_CHALLENGE = b"Username:"  # draft-murchison-sasl-login-00
LOGIN_PASSWORD_CHALLENGE = b"Password:"  # draft-murchison-sasl-login-00


def _decode_field(data: bytes, what: str) -> str | Failure:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Failure(FailureReason.INVALID_ENCODING, f"LOGIN {what} is not valid UTF-8")
    if not text:
        return Failure(FailureReason.MALFORMED_MESSAGE, f"empty LOGIN {what}")
    if "\x00" in text:
        # A NUL would let "user\0other" reach the directory as a different string than the
        # one logged; PLAIN forbids it by construction, LOGIN by this check.
        return Failure(FailureReason.MALFORMED_MESSAGE, f"NUL in LOGIN {what}")
    return text


class LoginServer(MechanismBase):
    """Server side of LOGIN: user name, password, credentials check, verdict."""

    mechanism_name = "LOGIN"

    def __init__(self, options: ServerOptions | None = None) -> None:
        super().__init__(options)
        self._username: str | None = None
        self._credentials: PasswordCredentials | None = None

    def _on_client_data(self, client_data: bytes | None) -> Outcome:
        if client_data is None:
            return Challenge(LOGIN_USERNAME_CHALLENGE)
        if self._username is None:
            username = _decode_field(client_data, "user name")
            if isinstance(username, Failure):
                return username
            self._username = username
            return Challenge(LOGIN_PASSWORD_CHALLENGE)
        password = _decode_field(client_data, "password")
        if isinstance(password, Failure):
            return password
        self._credentials = PasswordCredentials(None, self._username, password)
        return NeedCredentialsCheck(self._credentials)

    def _on_credentials_checked(self, ok: bool) -> Outcome:
        credentials = self._credentials
        assert credentials is not None  # only reachable after NeedCredentialsCheck
        self._credentials = None
        if not ok:
            return Failure(FailureReason.INVALID_CREDENTIALS, "credentials rejected")
        return Success(credentials.authcid, None)


def login_client_responses(username: str, password: str) -> tuple[bytes, bytes]:
    """The two LOGIN responses a client sends, in order (the challenge texts are ignored)."""
    if not username or not password:
        raise ValueError("LOGIN needs a non-empty user name and password")
    if "\x00" in username or "\x00" in password:
        raise ValueError("LOGIN fields cannot contain NUL")
    return username.encode("utf-8"), password.encode("utf-8")
