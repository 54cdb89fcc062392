"""DKIM public-key lookups, done ahead of dkimpy through the async ``Resolver`` port.

dkimpy looks keys up synchronously through a ``dnsfunc(name, timeout=...)`` callable. Our DNS
is async, so DKIM and ARC verification first read the signatures' ``s=``/``d=`` pairs, then
``fetch_key_records`` asks the resolver for every ``<s>._domainkey.<d>`` TXT record at once,
each bounded by a timeout, and ``PrefetchedKeys`` hands dkimpy the answers from that map. A
name dkimpy asks for that was not fetched is a temporary failure (it is recorded, so the
caller reports ``temperror`` rather than a verification failure).

Owns: the key-record names (RFC 6376 §3.6.2.1), the outcome of each lookup (found, missing
— NXDOMAIN/NODATA, RFC 6376 §6.1.2 — or temporarily failed: timeout, SERVFAIL, RFC 6376
§6.1.2 "TEMPFAIL"), and the choice among several TXT records at one name (RFC 6376 §6.1.2
lets the verifier choose: the first one that is a DKIM key record).

Must not: verify signatures, decide a result, or block the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, ParamSpec, Protocol, TypeVar

from dkim.util import InvalidTagValueList, parse_tag_value

from courriel.dns.resolver import (
    DnsError,
    DnsTemporaryError,
    NonExistentDomain,
    NoRecords,
    Resolver,
)

KEY_LOOKUP_TIMEOUT = 5.0
"""Seconds one key lookup may take before it counts as a temporary failure."""

P = ParamSpec("P")
T = TypeVar("T")


class Offload(Protocol):
    """Runs CPU-bound work away from the event loop: ``asyncio.to_thread`` by default; the
    pipeline may pass one that uses a worker process (the work functions and their arguments
    pickle)."""

    def __call__(
        self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Awaitable[T]: ...


@dataclass(frozen=True, slots=True)
class KeyLookup:
    """What DNS said for one key-record name: ``records``, or why there are none."""

    name: str
    records: tuple[str, ...] = ()
    failure: Literal["missing", "temporary"] | None = None
    reason: str | None = None

    def key_record(self) -> str | None:
        """The record to verify with: the first one that is a DKIM key record, else None."""
        return next((record for record in self.records if is_key_record(record)), None)


def key_record_name(selector: str, domain: str) -> str:
    """``<selector>._domainkey.<domain>`` (RFC 6376 §3.6.2.1), lower case, no trailing dot.

    A U-label domain is asked in its A-label form, as the resolver port wants. Raises
    ``ValueError`` for a name that is no DNS name.
    """
    return _normal_name(f"{selector}._domainkey.{domain}")


def _normal_name(name: str) -> str:
    name = name.rstrip(".").lower()
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError(f"{name!r} is not a domain name: {error}") from None


def is_key_record(record: str) -> bool:
    """A tag list with a ``p=`` tag whose ``v=``, if any, is ``DKIM1`` (RFC 6376 §3.6.1)."""
    try:
        tags = parse_tag_value(record.encode("utf-8"))
    except (InvalidTagValueList, ValueError, IndexError):
        return False
    return b"p" in tags and tags.get(b"v", b"DKIM1") == b"DKIM1"


async def fetch_key_records(
    names: Iterable[str], resolver: Resolver, *, timeout: float = KEY_LOOKUP_TIMEOUT
) -> dict[str, KeyLookup]:
    """Look every name up concurrently; each lookup is bounded by ``timeout`` seconds.

    Never raises for a DNS problem: each one becomes a ``KeyLookup`` with a ``failure``.
    """
    unique = sorted(set(names))
    lookups = await asyncio.gather(*(_lookup(name, resolver, timeout) for name in unique))
    return {lookup.name: lookup for lookup in lookups}


async def _lookup(name: str, resolver: Resolver, timeout: float) -> KeyLookup:
    try:
        records = await asyncio.wait_for(resolver.txt(name), timeout)
    except TimeoutError:
        return KeyLookup(name, failure="temporary", reason=f"no answer for {name} in {timeout:g}s")
    except (NonExistentDomain, NoRecords):
        return KeyLookup(name, failure="missing", reason=f"no key record at {name}")
    except DnsTemporaryError as error:
        return KeyLookup(name, failure="temporary", reason=str(error))
    except DnsError as error:
        return KeyLookup(name, failure="temporary", reason=str(error))
    return KeyLookup(name, tuple(records))


class PrefetchedKeys:
    """A dkimpy ``dnsfunc`` answering only from fetched lookups.

    It returns the chosen key record of a name (or None when there is none, which dkimpy
    treats as a missing key), and remembers the names it was asked that were not fetched or
    that failed temporarily: ``temporary_failures`` tells the caller to report temperror.
    """

    def __init__(self, lookups: Mapping[str, KeyLookup]) -> None:
        self._lookups = lookups
        self.temporary_failures: list[str] = []

    def __call__(
        self,
        name: bytes,
        timeout: float = KEY_LOOKUP_TIMEOUT,  # noqa: ARG002 - dkimpy passes it; nothing waits here
    ) -> bytes | None:
        try:
            key = _normal_name(name.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        lookup = self._lookups.get(key)
        if lookup is None or lookup.failure == "temporary":
            self.temporary_failures.append(key)
            return None
        record = lookup.key_record()
        return record.encode("utf-8") if record is not None else None
