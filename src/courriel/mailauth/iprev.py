"""iprev: does the client's address have a name that points back to it? (RFC 8601 §3)

RFC 8601 §3: "If the client peer's IP address is I, the list of names to which I maps
(after a "PTR" query) is the set N, and the union of IP addresses to which each member of N
maps (after corresponding "A" and "AAAA" queries) is L, then this test is successful if I
is an element of L." Only the lookups of I's own family can contain I, so an IPv4 client
costs A queries and an IPv6 client AAAA queries. Results (RFC 8601 §2.7.3):

==========  ================================================================================
pass        a PTR name's forward lookup contains the address
fail        PTR names were found, but none of them maps back (their lookups gave other
            addresses, NXDOMAIN or no data)
permerror   no PTR data for the address (NXDOMAIN or no data): no name to check
temperror   the PTR lookup failed temporarily, or no name matched and one of the forward
            lookups failed temporarily (a retry could pass)
==========  ================================================================================

The result carries ``policy.iprev=<address>`` (RFC 8601 §2.7.3) and, on a pass, the
confirmed name as its comment. RFC 8601 §3 requires limiting the names checked "so as not
to be unduly taxing to the DNS infrastructure": at most :data:`MAX_NAMES`, looked up
concurrently, like the ``ptr`` mechanism of SPF (RFC 7208 §4.6.4).

Must not: refuse connections (the delivery pipeline decides what a result means), or raise
for anything DNS can answer.
"""

from __future__ import annotations

import asyncio
import ipaddress

from courriel.dns.resolver import DnsTemporaryError, NonExistentDomain, NoRecords, Resolver
from courriel.mailauth.results import MethodResult
from courriel.mailauth.spf_eval import IpAddress, client_address, client_address_text

MAX_NAMES = 10


async def check_iprev(ip: str, resolver: Resolver) -> MethodResult:
    """The ``iprev=`` result for a client at ``ip`` (RFC 8601 §3)."""
    try:
        address = client_address(ip)  # an IPv4-mapped IPv6 address is checked as IPv4
    except ValueError:
        return MethodResult("iprev", "permerror", "not an IP address")
    text = client_address_text(ip)
    properties = (("policy.iprev", text),)
    try:
        names = await resolver.ptr(text)
    except (NonExistentDomain, NoRecords):
        return MethodResult("iprev", "permerror", "no PTR record", properties)
    except DnsTemporaryError:
        return MethodResult("iprev", "temperror", "PTR lookup failed", properties)
    candidates = list(dict.fromkeys(name.lower().rstrip(".") for name in names if name))
    checks = await asyncio.gather(
        *(_maps_back(name, address, resolver) for name in candidates[:MAX_NAMES])
    )
    for name, outcome in zip(candidates, checks, strict=False):
        if outcome == "pass":
            return MethodResult("iprev", "pass", name, properties)
    if "temperror" in checks:
        return MethodResult("iprev", "temperror", "forward lookup failed", properties)
    return MethodResult("iprev", "fail", "no PTR name maps back to the address", properties)


async def _maps_back(name: str, address: IpAddress, resolver: Resolver) -> str:
    """``pass`` when ``name``'s A (or AAAA) records hold ``address``; ``temperror`` when
    the lookup failed temporarily; ``fail`` otherwise (other addresses, NXDOMAIN, NODATA)."""
    lookup = resolver.a if address.version == 4 else resolver.aaaa
    try:
        found = await lookup(name)
    except (NonExistentDomain, NoRecords):
        return "fail"
    except DnsTemporaryError:
        return "temperror"
    for text in found:
        try:
            if ipaddress.ip_address(text.strip()) == address:
                return "pass"
        except ValueError:
            continue
    return "fail"
