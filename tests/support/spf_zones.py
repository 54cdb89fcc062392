"""A ``Resolver`` over the ``zonedata`` of the SPF project's YAML test suites.

The suite (``rfc7208-tests.yml``) writes each name's records as a list::

    e1.example.com:
      - SPF: v=spf1 -all              # one record; a list of strings is one TXT record
      - MX: [0, mail.example.com]
      - TIMEOUT                       # lookups of other types time out
      - TXT: NONE                     # "this name has no TXT records"

and states the conventions its drivers follow:

* Records are written ``SPF`` for history; RFC 7208 §3.1 looks at TXT only, so a name's
  ``SPF`` entries are served as TXT records when it lists no ``TXT`` entry (not even
  ``TXT: NONE``), and never otherwise (the "Selecting records" scenario checks that type SPF
  is ignored).
* ``TIMEOUT`` fails a lookup temporarily unless records of the asked type come before it.
* A list of strings is one TXT record, its strings joined without separator (RFC 7208 §3.3).
* ``CNAME`` entries are followed, as a recursive resolver would (a loop is a temporary
  failure).

Names are case-insensitive; a name that is absent is NXDOMAIN, a name without the asked type
is NODATA, as the ``Resolver`` port defines them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from courriel.dns.resolver import DnsTemporaryError, MxRecord, NonExistentDomain, NoRecords

_TIMEOUT = "TIMEOUT"
_MAX_CNAME_CHAIN = 8

Record = tuple[str, Any]


def _key(name: str) -> str:
    return name.removesuffix(".").lower()


def _text(value: Any) -> str:
    # RFC 7208 §3.3: the strings of one TXT record are joined with no separator.
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return str(value)


def zone_records(entries: Sequence[Any]) -> list[Record]:
    """One name's entries as ``(type, value)`` pairs, with the suite's SPF→TXT convention."""
    records: list[Record] = []
    spf_texts: list[str] = []
    lists_txt = False
    for entry in entries:
        if entry == _TIMEOUT:
            records.append((_TIMEOUT, None))
            continue
        ((kind, value),) = entry.items()
        if kind == "SPF":
            spf_texts.append(_text(value))
        elif kind == "TXT":
            lists_txt = True
            if value != "NONE":
                records.append(("TXT", _text(value)))
        else:
            records.append((kind, value))
    if not lists_txt:
        records.extend(("TXT", text) for text in spf_texts)
    return records


class SuiteResolver:
    """The ``Resolver`` port over one scenario's ``zonedata``."""

    def __init__(self, zonedata: Mapping[str, Sequence[Any]]) -> None:
        self.zones = {_key(name): zone_records(entries) for name, entries in zonedata.items()}
        self.queries: list[tuple[str, str]] = []

    def _answers(self, name: str, kind: str, chain: int = 0) -> list[Any]:
        key = _key(name)
        self.queries.append((kind, key))
        records = self.zones.get(key)
        if records is None:
            raise NonExistentDomain(f"{key}: no such domain (test data)")
        found: list[Any] = []
        for record_kind, value in records:
            if record_kind == _TIMEOUT:
                if found:
                    break
                raise DnsTemporaryError(f"{key} {kind}: timeout (test data)")
            if record_kind == "CNAME" and kind != "CNAME":
                if chain >= _MAX_CNAME_CHAIN:
                    raise DnsTemporaryError(f"{key}: CNAME chain too long")
                return self._answers(str(value), kind, chain + 1)
            if record_kind == kind:
                found.append(value)
        if not found:
            raise NoRecords(f"{key}: no {kind} record (test data)")
        return found

    async def mx(self, domain: str) -> list[MxRecord]:
        answers = self._answers(domain, "MX")
        return sorted(MxRecord(int(preference), _key(str(host))) for preference, host in answers)

    async def a(self, host: str) -> list[str]:
        return [str(value) for value in self._answers(host, "A")]

    async def aaaa(self, host: str) -> list[str]:
        return [str(value) for value in self._answers(host, "AAAA")]

    async def txt(self, name: str) -> list[str]:
        return [str(value) for value in self._answers(name, "TXT")]

    async def ptr(self, ip: str) -> list[str]:
        reverse = ipaddress.ip_address(ip).reverse_pointer
        return [_key(str(value)) for value in self._answers(reverse, "PTR")]
