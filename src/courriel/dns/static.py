"""``StaticResolver``: DNS answers from given zones, for tests and the ``--dev`` setup.

Zones map a name to its records by type::

    {"example.test": {"MX": ["10 mx.example.test"], "TXT": ["v=spf1 mx -all"]},
     "mx.example.test": {"A": ["127.0.0.2"]},
     "broken.test": {"TEMPFAIL": []}}

A name absent from the zones is NXDOMAIN; a name present without the asked type is NODATA;
a name with a ``TEMPFAIL`` entry fails temporarily (to test retries and temperror). PTR
answers come from ``PTR`` entries keyed by the address (``"127.0.0.2": {"PTR": [...]}``).
``load_zones`` reads the same structure from a TOML file (``[zones."example.test"]``).
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from courriel.dns.resolver import (
    DnsTemporaryError,
    MxRecord,
    NonExistentDomain,
    NoRecords,
)

Zones = Mapping[str, Mapping[str, Sequence[str]]]


def _key(name: str) -> str:
    return name.strip().rstrip(".").lower()


def load_zones(path: Path) -> dict[str, dict[str, list[str]]]:
    """Zones from a TOML file: one table per name under ``[zones]``."""
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    zones = document.get("zones", {})
    if not isinstance(zones, dict):
        raise ValueError(f"{path}: [zones] must be a table of names")
    result: dict[str, dict[str, list[str]]] = {}
    for name, records in zones.items():
        if not isinstance(records, dict):
            raise ValueError(f"{path}: zones.{name} must be a table of record types")
        result[_key(name)] = {
            str(kind).upper(): [str(value) for value in values] for kind, values in records.items()
        }
    return result


class StaticResolver:
    """The ``Resolver`` port over fixed zones."""

    def __init__(self, zones: Zones) -> None:
        self.zones = {
            _key(name): {k.upper(): list(v) for k, v in records.items()}
            for name, records in zones.items()
        }
        self.queries: list[tuple[str, str]] = []

    def _records(self, name: str, kind: str) -> list[str]:
        key = _key(name)
        self.queries.append((kind, key))
        records = self.zones.get(key)
        if records is None:
            raise NonExistentDomain(f"{key}: no such domain")
        if "TEMPFAIL" in records:
            raise DnsTemporaryError(f"{key}: lookup failed temporarily")
        values = records.get(kind)
        if not values:
            raise NoRecords(f"{key}: no {kind} record")
        return list(values)

    async def mx(self, domain: str) -> list[MxRecord]:
        records = []
        for value in self._records(domain, "MX"):
            preference, _, host = value.strip().partition(" ")
            records.append(MxRecord(int(preference), _key(host)))
        return sorted(records)

    async def a(self, host: str) -> list[str]:
        return self._records(host, "A")

    async def aaaa(self, host: str) -> list[str]:
        return self._records(host, "AAAA")

    async def txt(self, name: str) -> list[str]:
        return self._records(name, "TXT")

    async def ptr(self, ip: str) -> list[str]:
        return [_key(name) for name in self._records(str(ipaddress.ip_address(ip)), "PTR")]
