"""Run a SASL exchange (RFC 4422) for a protocol server against the ``AuthService``.

SMTP AUTH (RFC 4954), IMAP AUTHENTICATE (RFC 9051 §6.2.2, SASL-IR RFC 4959) and POP3 AUTH
(RFC 5034) differ only in how a challenge is framed on the wire, so each server passes an
``exchange`` coroutine that sends one challenge and returns the client's decoded reply; the
loop, the credential checks and the outcome are shared here. Must not: write to a socket.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from courriel import sasl
from courriel.directory.auth import AuthResult, AuthService

Exchange = Callable[[bytes], Awaitable[bytes | sasl.Cancelled | sasl.MalformedResponse]]
"""Send a challenge (raw bytes; the server base64-encodes it) and return the client's reply."""


@dataclass(frozen=True)
class SaslRefused:
    """The exchange ended without a credential check.

    ``reason``: ``unknown-mechanism``, ``encryption-required`` (RFC 4954 §6: 538),
    ``cancelled`` (the client sent ``*``) or ``malformed`` (bad base64 or syntax).
    """

    reason: str


SaslOutcome = AuthResult | SaslRefused


def offered_mechanisms(auth: AuthService, peer_ip: str, secure: bool) -> tuple[str, ...]:
    """The mechanisms to advertise on this connection: none until passwords may be sent."""
    if not auth.plaintext_allowed(peer_ip, secure):
        return ()
    return tuple(sasl.MECHANISMS)


async def authenticate(
    auth: AuthService,
    *,
    protocol: str,
    peer_ip: str,
    secure: bool,
    mechanism: str,
    initial_response: str | bytes | None,
    exchange: Exchange,
) -> SaslOutcome:
    """Drive one SASL exchange to its end."""
    try:
        machine = sasl.server_mechanism(mechanism)
    except sasl.UnknownMechanism:
        return SaslRefused("unknown-mechanism")
    if not auth.plaintext_allowed(peer_ip, secure):
        return SaslRefused("encryption-required")
    data = sasl.decode_initial_response(initial_response)
    if isinstance(data, sasl.MalformedResponse):
        return SaslRefused("malformed")
    outcome = machine.step(data)
    scram_user: str | None = None
    while True:
        match outcome:
            case sasl.Challenge(challenge):
                reply = await exchange(challenge)
                if isinstance(reply, sasl.Cancelled):
                    return SaslRefused("cancelled")
                if isinstance(reply, sasl.MalformedResponse):
                    return SaslRefused("malformed")
                outcome = machine.step(reply)
            case sasl.NeedCredentialsCheck(credentials):
                result = await auth.login(
                    protocol, peer_ip, credentials.authcid, credentials.password
                )
                if not result.ok:
                    return result
                outcome = machine.credentials_checked(True)
                if isinstance(outcome, sasl.Success):
                    return result
            case sasl.NeedScramKeys(username):
                scram_user = username
                if await auth.ban_of(peer_ip) is not None:
                    return await auth.scram_finished(protocol, peer_ip, username, False)
                outcome = machine.provide_keys(await auth.scram_keys(username))
            case sasl.Success(authcid):
                return await auth.scram_finished(protocol, peer_ip, authcid, True)
            case sasl.Failure(reason, _detail):
                if scram_user is not None:
                    return await auth.scram_finished(protocol, peer_ip, scram_user, False)
                if reason is sasl.FailureReason.INVALID_CREDENTIALS:
                    return await auth.scram_finished(protocol, peer_ip, "", False)
                return SaslRefused("malformed")
