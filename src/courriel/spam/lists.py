"""Per-account allow and block lists: what an entry is, and which entries a message matches.

An entry is an address (``bob@example.org``) or a domain written with its ``@``
(``@example.org``), which also covers the domain's subdomains (``@mail.example.org``).
Entries are stored lower-case, domains in A-label form. A message matches through its From
address and its envelope sender (MAIL FROM). When entries of both lists match, the most
specific one decides: an address before a domain, a longer domain before a shorter one
(allow ``boss@example.org`` while blocking ``@example.org``).

An allow-list match counts only when the From domain does not fail DMARC: anyone can write
a friend's address in From, and the allow list must not let them through.

Must not: store anything (the ``SpamRepo`` port does) or parse messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from courriel.mail.address import domain_to_ascii
from courriel.spam.weights import Hit, hit
from courriel.storage.records import ALLOW, SpamListEntry

_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


class InvalidEntry(ValueError):
    """Not an address nor an ``@domain``; ``str()`` says what is expected."""


def _domain(text: str) -> str:
    domain = domain_to_ascii(text.strip().rstrip(".")).lower()
    labels = domain.split(".")
    if len(domain) > 253 or len(labels) < 2 or not all(map(_LABEL.fullmatch, labels)):
        raise InvalidEntry(f"{text!r} is not a domain name")
    return domain


def normalize_entry(text: str) -> str:
    """The stored form of a list entry; raises ``InvalidEntry``."""
    entry = text.strip()
    if entry.startswith("@"):
        return "@" + _domain(entry[1:])
    local, at, domain = entry.rpartition("@")
    if not at or not local or any(character.isspace() for character in local):
        raise InvalidEntry(
            f"{text!r}: write an address (bob@example.org) or a domain with its @ (@example.org)"
        )
    return f"{local.lower()}@{_domain(domain)}"


def candidate_entries(addresses: Iterable[str]) -> list[str]:
    """Every entry that would match one of ``addresses``: the address itself, then its
    domain and each parent domain of two labels or more, as ``@domain``."""
    candidates: list[str] = []
    for address in addresses:
        local, at, domain = address.strip().rpartition("@")
        if not at or not local or not domain:
            continue
        try:
            normalized = _domain(domain)
        except InvalidEntry:
            continue
        candidates.append(f"{local.lower()}@{normalized}")
        labels = normalized.split(".")
        candidates.extend("@" + ".".join(labels[index:]) for index in range(len(labels) - 1))
    return list(dict.fromkeys(candidates))


def _specificity(entry: SpamListEntry) -> tuple[int, int]:
    return (0 if entry.entry.startswith("@") else 1, entry.entry.count("."))


def list_hits(matches: Sequence[SpamListEntry], *, dmarc_failed: bool) -> list[Hit]:
    """The ``USER_ALLOWLIST`` or ``USER_BLOCKLIST`` hit of the most specific matching entry
    (an allow entry is ignored when the From domain fails DMARC)."""
    usable = [entry for entry in matches if not (entry.kind == ALLOW and dmarc_failed)]
    if not usable:
        return []
    decisive = max(usable, key=_specificity)
    if decisive.kind == ALLOW:
        return [hit("USER_ALLOWLIST", decisive.entry)]
    return [hit("USER_BLOCKLIST", decisive.entry)]
