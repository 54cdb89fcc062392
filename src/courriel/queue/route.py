"""Where mail for a domain goes: the hosts to try, in order (RFC 5321 §5).

Owns: MX lookup and ordering (RFC 5321 §5.1: lowest preference first, equal preferences in
random order), the null MX (RFC 7505), the implicit MX when a domain has no MX (its own A and
AAAA records, RFC 5321 §5.1), address literals (``[192.0.2.1]``, RFC 5321 §4.1.3), the
addresses of each host, and the configured smarthost that replaces all of this (a
residential line usually cannot send on port 25). Failures come out as ``RouteError`` with
the reply and RFC 3463 status the queue records and reports.

Must not: connect anywhere, decide on retries (it only says temporary or permanent), or
read configuration (the runtime builds ``Smarthost``).
"""

from __future__ import annotations

import ipaddress
import random as random_module
from dataclasses import dataclass
from pathlib import Path

from courriel.core.errors import CourrielError
from courriel.dns.resolver import (
    DnsError,
    DnsTemporaryError,
    MxRecord,
    NonExistentDomain,
    Resolver,
)
from courriel.mail.address import domain_to_ascii
from courriel.smtp.protocol.replies import Reply

__all__ = ["SMTP_PORT", "Route", "RouteError", "RouteHost", "Smarthost", "route"]

SMTP_PORT = 25  # RFC 5321 §4.5.4.2 (the dev setup and tests use 2525)


@dataclass(frozen=True, slots=True)
class Smarthost:
    """A relay that takes all outbound mail (the ISP's or a mail provider's submission
    server), instead of the recipients' MX hosts.

    ``host`` is a name or an address, connected to as given (system name resolution, so
    ``/etc/hosts`` and container names work). ``implicit_tls`` is TLS from the first byte
    (RFC 8314 §3.3, port 465); otherwise STARTTLS (RFC 3207) is used when offered, and
    required when ``require_tls`` (the default whenever credentials are set: they must
    never travel in clear). ``verify_tls`` checks the certificate against ``host`` (or
    ``tls_name``), with ``ca_file`` or the system store.
    """

    host: str
    port: int = 587
    implicit_tls: bool = False
    username: str | None = None
    password: str | None = None
    require_tls: bool | None = None
    verify_tls: bool = True
    ca_file: Path | None = None
    tls_name: str | None = None

    @property
    def tls_required(self) -> bool:
        if self.require_tls is not None:
            return self.require_tls
        return self.username is not None


@dataclass(frozen=True, slots=True)
class RouteHost:
    """One host to try: its name (for TLS and DSN ``Remote-MTA``), its addresses in the
    order to try them, and the port."""

    name: str
    addresses: tuple[str, ...]
    port: int


@dataclass(frozen=True, slots=True)
class Route:
    """The hosts for one domain, in order. ``smarthost`` is set when mail goes through it."""

    domain: str
    hosts: tuple[RouteHost, ...]
    smarthost: Smarthost | None = None
    implicit_mx: bool = False


class RouteError(CourrielError):
    """No host can be tried now. ``reply`` is the SMTP-style answer for logs and DSNs
    (RFC 3464 §2.3.6), ``temporary`` whether to retry later."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(str(reply))
        self.reply = reply

    @property
    def temporary(self) -> bool:
        return self.reply.temporary

    @property
    def status(self) -> str:
        return self.reply.enhanced or f"{self.reply.code // 100}.0.0"


def _temporary(domain: str, what: str) -> RouteError:
    # RFC 3463 X.4.3: directory server failure (DNS): try again later.
    return RouteError(Reply(451, "4.4.3", f"DNS lookup of {what} for {domain} failed, will retry"))


async def route(
    domain: str,
    resolver: Resolver,
    *,
    smarthost: Smarthost | None = None,
    port: int = SMTP_PORT,
    random: random_module.Random | None = None,
) -> Route:
    """The hosts to try for mail to ``domain``, or ``RouteError``.

    ``port`` is the SMTP port of MX hosts (25; 2525 in the dev setup). ``random`` orders
    hosts of equal preference (RFC 5321 §5.1); pass a seeded one for tests.
    """
    if smarthost is not None:
        # Mail submission to a relay: the relay routes; RFC 6409 §3 / RFC 8314 §3.3.
        return Route(
            domain,
            (RouteHost(smarthost.tls_name or smarthost.host, (smarthost.host,), smarthost.port),),
            smarthost=smarthost,
        )
    if domain.startswith("[") and domain.endswith("]"):
        return Route(domain, (RouteHost(domain, (_literal_address(domain),), port),))
    name = domain_to_ascii(domain).rstrip(".").lower()
    try:
        records = await resolver.mx(name)
    except NonExistentDomain:
        # RFC 5321 §5.1 / RFC 3463 X.1.2: the domain does not exist; nothing will change.
        raise RouteError(Reply(550, "5.1.2", f"domain {name} does not exist")) from None
    except DnsTemporaryError:
        raise _temporary(name, "MX") from None
    except DnsError:  # NoRecords (NODATA): no MX, so the implicit MX (RFC 5321 §5.1)
        records = []
    if records and all(record.host == "" for record in records):
        # RFC 7505 §4.2 (and RFC 7504 §3): a null MX says the domain takes no mail.
        raise RouteError(Reply(556, "5.1.10", f"domain {name} does not accept mail (null MX)"))
    if not records:
        addresses, temporary = await _addresses(name, resolver)
        if addresses:
            return Route(name, (RouteHost(name, addresses, port),), implicit_mx=True)
        if temporary:
            raise _temporary(name, "A/AAAA")
        # RFC 5321 §5.1: no MX and no address: the domain cannot receive mail.
        raise RouteError(Reply(550, "5.1.2", f"domain {name} has no MX and no address"))
    hosts: list[RouteHost] = []
    any_temporary = False
    for record in _ordered(records, random or random_module.Random()):
        addresses, temporary = await _addresses(record.host, resolver)
        any_temporary = any_temporary or temporary
        if addresses:  # a host name that resolves to nothing is skipped (RFC 5321 §5.1)
            hosts.append(RouteHost(record.host, addresses, port))
    if hosts:
        return Route(name, tuple(hosts))
    if any_temporary:
        raise _temporary(name, "the MX hosts")
    # RFC 5321 §5.1: MX records present but none usable is an error; RFC 3463 X.4.4.
    raise RouteError(Reply(550, "5.4.4", f"no MX host of {name} has an address"))


def _ordered(records: list[MxRecord], random: random_module.Random) -> list[MxRecord]:
    """By preference, equal preferences shuffled (RFC 5321 §5.1); null MX entries dropped
    (RFC 7505 §3 forbids mixing them with real ones; the real ones are still tried)."""
    by_preference: dict[int, list[MxRecord]] = {}
    for record in records:
        if record.host:
            by_preference.setdefault(record.preference, []).append(record)
    ordered: list[MxRecord] = []
    for preference in sorted(by_preference):
        group = sorted(by_preference[preference])  # a stable start, then the shuffle
        random.shuffle(group)
        ordered.extend(group)
    return ordered


async def _addresses(host: str, resolver: Resolver) -> tuple[tuple[str, ...], bool]:
    """The IPv4 then IPv6 addresses of ``host``, and whether a lookup failed temporarily.

    IPv4 first: many home and small-office lines have no working IPv6 route, and a failed
    IPv6 connection costs a timeout before the IPv4 one.
    """
    addresses: list[str] = []
    temporary = False
    for lookup in (resolver.a, resolver.aaaa):
        try:
            addresses.extend(await lookup(host))
        except DnsTemporaryError:
            temporary = True
        except DnsError:
            pass
    return tuple(dict.fromkeys(addresses)), temporary


def _literal_address(domain: str) -> str:
    """The address in ``[192.0.2.1]`` or ``[IPv6:2001:db8::1]`` (RFC 5321 §4.1.3)."""
    content = domain[1:-1]
    if content[:5].lower() == "ipv6:":
        content = content[5:]
    try:
        return str(ipaddress.ip_address(content))
    except ValueError:
        raise RouteError(Reply(550, "5.1.2", f"invalid address literal {domain}")) from None
