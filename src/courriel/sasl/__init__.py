"""SASL mechanisms as pure state machines: PLAIN, LOGIN and SCRAM-SHA-256.

This package owns the SASL exchange (RFC 4422) for every protocol server: the mechanisms
PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login-00) and SCRAM-SHA-256 (RFC 5802,
RFC 7677), SASLprep (RFC 4013), and the base64 framing shared by SMTP AUTH (RFC 4954),
IMAP AUTHENTICATE (RFC 9051 §6.2.2, SASL-IR RFC 4959) and POP3 AUTH (RFC 5034). It also has
the client side our SMTP client uses for smarthost AUTH.

It must not do I/O, touch storage, know how passwords are stored, or import asyncio. A
mechanism asks its caller for what it cannot know (``NeedCredentialsCheck``,
``NeedScramKeys``) and the caller, which may await the directory's AuthService, answers.

Driving a server mechanism (SMTP shown; IMAP and POP3 differ only in the reply lines). It
returns the final reply for the session to write and the authenticated user, if any::

    from courriel import sasl

    async def authenticate(mechanism_name, initial_argument, read_line, write, directory):
        try:
            mechanism = sasl.server_mechanism(mechanism_name)
        except sasl.UnknownMechanism:
            return b"504 5.5.4 Unrecognized authentication type", None
        data = sasl.decode_initial_response(initial_argument)  # None, b"" for "=", bytes
        if isinstance(data, sasl.MalformedResponse):
            return b"501 5.5.2 Cannot decode response", None
        outcome = mechanism.step(data)
        while True:
            match outcome:
                case sasl.Challenge(challenge):
                    await write(b"334 " + sasl.encode_challenge(challenge))
                    match sasl.decode_response(await read_line()):
                        case sasl.Cancelled():
                            return b"501 5.0.0 Authentication cancelled", None
                        case sasl.MalformedResponse():
                            return b"501 5.5.2 Cannot decode response", None
                        case bytes() as response:
                            outcome = mechanism.step(response)
                case sasl.NeedCredentialsCheck(credentials):
                    ok = await directory.check_password(credentials)
                    outcome = mechanism.credentials_checked(ok)
                case sasl.NeedScramKeys(username):
                    keys = await directory.scram_keys(username)  # None if unknown
                    if keys is None:
                        keys = sasl.fake_scram_keys(username, directory.fake_key_secret)
                    outcome = mechanism.provide_keys(keys)
                case sasl.Success(authcid):
                    return b"235 2.7.0 Authentication successful", authcid
                case sasl.Failure(reason, detail):
                    logger.info("auth failed", extra={"reason": reason, "detail": detail})
                    return b"535 5.7.8 Authentication credentials invalid", None

Each call returns the next ``Outcome``, and the outcome says which call comes next; calling
anything else raises ``MechanismStateError``. SCRAM's server-final message arrives as one more
``Challenge`` (these three protocols cannot carry data with success, RFC 4422 §5), so the loop
needs no special case.

When a password is set, the directory stores ``new_scram_keys(password).to_text()`` (or
``derive_scram_keys(password, salt, iterations)``) beside its argon2 hash, and reads it back
with ``StoredScramKeys.from_text``.
"""

from courriel.sasl.errors import (
    MechanismStateError,
    SaslClientError,
    SaslError,
    SaslprepError,
    UnknownMechanism,
)
from courriel.sasl.framing import (
    MAX_MESSAGE_SIZE,
    decode_challenge,
    decode_initial_response,
    decode_response,
    encode_challenge,
    encode_initial_response,
    encode_response,
)
from courriel.sasl.login import LoginServer, login_client_responses
from courriel.sasl.mechanism import NonceSource, ServerMechanism, ServerOptions, random_nonce
from courriel.sasl.outcomes import (
    Cancelled,
    Challenge,
    Failure,
    FailureReason,
    MalformedResponse,
    NeedCredentialsCheck,
    NeedScramKeys,
    Outcome,
    PasswordCredentials,
    StoredScramKeys,
    Success,
)
from courriel.sasl.plain import PlainServer, plain_client_response
from courriel.sasl.registry import (
    MECHANISMS,
    PLAINTEXT_MECHANISMS,
    MechanismFactory,
    server_mechanism,
)
from courriel.sasl.saslprep import saslprep
from courriel.sasl.scram import (
    DEFAULT_ITERATIONS,
    MAX_CLIENT_ITERATIONS,
    MIN_ITERATIONS,
    SALT_LENGTH,
    ScramClient,
    ScramSha256Server,
    derive_scram_keys,
    fake_scram_keys,
    new_scram_keys,
)

__all__ = [
    "DEFAULT_ITERATIONS",
    "MAX_CLIENT_ITERATIONS",
    "MAX_MESSAGE_SIZE",
    "MECHANISMS",
    "MIN_ITERATIONS",
    "PLAINTEXT_MECHANISMS",
    "SALT_LENGTH",
    "Cancelled",
    "Challenge",
    "Failure",
    "FailureReason",
    "LoginServer",
    "MalformedResponse",
    "MechanismFactory",
    "MechanismStateError",
    "NeedCredentialsCheck",
    "NeedScramKeys",
    "NonceSource",
    "Outcome",
    "PasswordCredentials",
    "PlainServer",
    "SaslClientError",
    "SaslError",
    "SaslprepError",
    "ScramClient",
    "ScramSha256Server",
    "ServerMechanism",
    "ServerOptions",
    "StoredScramKeys",
    "Success",
    "UnknownMechanism",
    "decode_challenge",
    "decode_initial_response",
    "decode_response",
    "derive_scram_keys",
    "encode_challenge",
    "encode_initial_response",
    "encode_response",
    "fake_scram_keys",
    "login_client_responses",
    "new_scram_keys",
    "plain_client_response",
    "random_nonce",
    "saslprep",
    "server_mechanism",
]
