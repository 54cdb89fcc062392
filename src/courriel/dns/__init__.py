"""DNS as an injected port.

``resolver.Resolver`` is what mail routing and authentication checks ask (MX, A/AAAA, TXT,
PTR); ``system.SystemResolver`` answers from the network with dnspython; ``static.
StaticResolver`` answers from zones given in a file or a dict — tests, and the ``--dev``
setup, where nothing must reach the internet. Nothing else in courriel imports dnspython.
"""

from courriel.dns.resolver import (
    DnsError,
    DnsTemporaryError,
    MxRecord,
    NonExistentDomain,
    NoRecords,
    Resolver,
)
from courriel.dns.static import StaticResolver, load_zones

__all__ = [
    "DnsError",
    "DnsTemporaryError",
    "MxRecord",
    "NoRecords",
    "NonExistentDomain",
    "Resolver",
    "StaticResolver",
    "load_zones",
]
