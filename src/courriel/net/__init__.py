"""The network layer under every protocol server: TCP listeners, connections, TLS.

- ``server``      ``Listener``: binds IPv4/IPv6, accepts, per-IP limits, graceful stop
- ``connection``  ``Connection``: limited line reads, timeouts, STARTTLS in place, facts
- ``tls``         certificates (self-signed, info) and reloadable server/client contexts
- ``limits``      connection counting per IP (IPv6 /64) and per key (account)
- ``ratelimit``   command pacing: a token bucket per connection
- ``ids``         short connection ids
- ``errors``      the ``NetError`` hierarchy

Protocols (SMTP, IMAP, POP3, HTTPS) stand on this package; it knows none of them. It must not
read configuration (``runtime`` passes plain values) or hold module-level mutable state.
"""

from courriel.net.connection import Connection, ConnectionInfo, TlsInfo
from courriel.net.errors import (
    BindError,
    ConnectionClosed,
    LineTooLong,
    NetError,
    ReadTimeout,
    TlsConfigError,
    TlsError,
    TlsHandshakeError,
)
from courriel.net.ids import ConnectionIdSource
from courriel.net.limits import ConnectionCounter
from courriel.net.ratelimit import CommandRate, TokenBucket
from courriel.net.server import Listener, SessionHandler
from courriel.net.tls import (
    CertificateInfo,
    TlsContextProvider,
    certificate_info,
    make_client_context,
    make_self_signed,
)

__all__ = [
    "BindError",
    "CertificateInfo",
    "CommandRate",
    "Connection",
    "ConnectionClosed",
    "ConnectionCounter",
    "ConnectionIdSource",
    "ConnectionInfo",
    "LineTooLong",
    "Listener",
    "NetError",
    "ReadTimeout",
    "SessionHandler",
    "TlsConfigError",
    "TlsContextProvider",
    "TlsError",
    "TlsHandshakeError",
    "TlsInfo",
    "TokenBucket",
    "certificate_info",
    "make_client_context",
    "make_self_signed",
]
