"""DKIM key rotation: which keys of a domain sign, which wait, which are done.

Keys come in pairs made together (RSA-2048 and Ed25519, RFC 8463 §4), named
``<base>-rsa`` and ``<base>-ed25519``. A pair is in one of three states, read from the
store's ``active`` flag and the order keys were added in (no extra column):

- ``active``: it signs outgoing mail (``delivery/signing.py`` uses active keys only);
- ``pending``: added by a rotation after the newest active pair and not signing yet, so
  its DNS record (RFC 6376 §3.6.2.1) can be published before the first signature
  relies on it;
- ``retired``: superseded by a newer active pair; it no longer signs, but its record
  should stay in DNS a few days, for mail still in transit, before the key is removed.

Activating a pair (``Directory.activate_dkim_keys``) makes it the only signing pair in one
transaction: the previous pair is retired at the same moment, so no message is signed by
neither. Must not: touch the store (``Directory`` does) or generate keys
(``mailauth.dkimkeys`` does).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from courriel.storage.records import DkimKeyRecord

_ALGORITHM_SUFFIXES = ("-rsa", "-ed25519")


class KeyState(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class DkimKeyPair:
    """The keys a rotation made together (usually RSA and Ed25519), oldest key first."""

    base: str
    keys: tuple[DkimKeyRecord, ...]
    state: KeyState

    @property
    def selectors(self) -> tuple[str, ...]:
        return tuple(key.selector for key in self.keys)

    @property
    def created(self) -> float:
        return min(key.created for key in self.keys)


def selector_base(selector: str) -> str:
    """``c202611`` for ``c202611-rsa`` or ``c202611-ed25519``; other selectors (made
    elsewhere, imported) are a pair of their own."""
    for suffix in _ALGORITHM_SUFFIXES:
        if selector.endswith(suffix):
            return selector.removesuffix(suffix)
    return selector


def key_pairs(records: Sequence[DkimKeyRecord]) -> list[DkimKeyPair]:
    """The domain's keys grouped by pair, oldest pair first, each with its state.

    ``records`` come from the store in the order they were added (``id`` order breaks
    ties of ``created``). An inactive pair added after the newest active key is pending;
    one added before it is retired; with no active key at all, every pair is pending."""
    ordered = sorted(records, key=lambda record: record.id)
    newest_active = max((record.id for record in ordered if record.active), default=0)
    grouped: dict[str, list[DkimKeyRecord]] = {}
    for record in ordered:
        grouped.setdefault(selector_base(record.selector), []).append(record)
    pairs = []
    for base, keys in grouped.items():
        if any(key.active for key in keys):
            state = KeyState.ACTIVE
        elif max(key.id for key in keys) > newest_active:
            state = KeyState.PENDING
        else:
            state = KeyState.RETIRED
        pairs.append(DkimKeyPair(base, tuple(keys), state))
    return pairs


def find_pair(pairs: Sequence[DkimKeyPair], name: str) -> DkimKeyPair | None:
    """The pair ``name`` designates: its base or one of its selectors."""
    name = name.strip().lower()
    return next((pair for pair in pairs if name == pair.base or name in pair.selectors), None)


def last_active_of_an_algorithm(
    records: Sequence[DkimKeyRecord], removed: Sequence[DkimKeyRecord]
) -> DkimKeyRecord | None:
    """A key among ``removed`` that is the domain's last active key of its algorithm (so
    removing it would leave that algorithm unsigned), or None."""
    removed_ids = {record.id for record in removed}
    for record in removed:
        if record.active and not any(
            other.active and other.algorithm == record.algorithm and other.id not in removed_ids
            for other in records
        ):
            return record
    return None
