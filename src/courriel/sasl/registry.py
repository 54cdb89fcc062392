"""The table of server mechanisms: name → factory, strongest first.

Protocol servers advertise ``MECHANISMS`` (minus ``PLAINTEXT_MECHANISMS`` before TLS, as
RFC 4954 §4 and RFC 9051 §6.2.2 ask) and build one mechanism per AUTH / AUTHENTICATE command
with ``server_mechanism``. Reading this table shows every mechanism courriel offers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeAlias

from courriel.sasl.errors import UnknownMechanism
from courriel.sasl.login import LoginServer
from courriel.sasl.mechanism import ServerMechanism, ServerOptions
from courriel.sasl.plain import PlainServer
from courriel.sasl.scram import ScramSha256Server

__all__ = ["MECHANISMS", "PLAINTEXT_MECHANISMS", "MechanismFactory", "server_mechanism"]

MechanismFactory: TypeAlias = Callable[[ServerOptions], ServerMechanism]

MECHANISMS: Mapping[str, MechanismFactory] = MappingProxyType(
    {
        "SCRAM-SHA-256": ScramSha256Server,  # RFC 5802, RFC 7677
        "PLAIN": PlainServer,  # RFC 4616
        "LOGIN": LoginServer,  # draft-murchison-sasl-login-00
    }
)

# Mechanisms that send the password itself: offer them only on TLS connections.
PLAINTEXT_MECHANISMS = frozenset({"PLAIN", "LOGIN"})


def server_mechanism(name: str, options: ServerOptions | None = None) -> ServerMechanism:
    """A fresh server mechanism for ``name``, matched without regard to ASCII case.

    Raises ``UnknownMechanism`` for a name not in ``MECHANISMS``.
    """
    # SMTP and IMAP compare mechanism names case-insensitively; upper-casing only ASCII keeps
    # "ſcram-sha-256" (long s) from turning into a registered name.
    key = name.upper() if name.isascii() else name
    factory = MECHANISMS.get(key)
    if factory is None:
        raise UnknownMechanism(name)
    return factory(options if options is not None else ServerOptions())
