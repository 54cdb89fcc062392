"""The DNS records a domain served here needs, for an operator to publish.

Owns: the list of records of one domain — MX to this server's host name (RFC 5321 §5.1),
SPF allowing only the MX (RFC 7208 §5.4, ``-all`` §5.1), each DKIM key's TXT record at
``selector._domainkey`` (RFC 6376 §3.6.2.1, the value ``courriel dkim show`` prints), and a
DMARC policy at ``_dmarc`` (RFC 7489 §6.1) with aggregate reports to the postmaster.

Must not: query DNS or store anything (the caller passes the domain's keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from courriel.storage.records import DkimKeyRecord


@dataclass(frozen=True, slots=True)
class DnsRecord:
    """One record: ``name`` is fully qualified without the final dot."""

    name: str
    type: str
    value: str
    purpose: str
    """``mx``, ``spf``, ``dkim`` or ``dmarc``."""


def domain_records(
    domain: str, hostname: str, dkim_keys: Sequence[DkimKeyRecord]
) -> list[DnsRecord]:
    """MX, SPF, every DKIM key, DMARC for ``domain`` whose mail server is ``hostname``."""
    records = [
        DnsRecord(domain, "MX", f"10 {hostname}.", "mx"),  # RFC 5321 §5.1
        DnsRecord(domain, "TXT", "v=spf1 mx -all", "spf"),  # RFC 7208 §5.4, §5.1
    ]
    records.extend(
        # RFC 6376 §3.6.2.1: the key record lives at selector._domainkey.domain.
        DnsRecord(f"{key.selector}._domainkey.{domain}", "TXT", key.dns_record, "dkim")
        for key in dkim_keys
    )
    records.append(
        DnsRecord(
            f"_dmarc.{domain}",
            "TXT",
            f"v=DMARC1; p=quarantine; rua=mailto:postmaster@{domain}",  # RFC 7489 §6.3
            "dmarc",
        )
    )
    return records
