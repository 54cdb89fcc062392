"""Where mail for an address goes: accounts, aliases, subaddresses and catch-alls.

Order, for ``local+tag@domain`` (RFC 5233 subaddressing):

1. the domain must be ours, else ``NOT_OURS`` (SMTP relay rules decide what follows);
2. an account with the exact address; a disabled one gives ``DISABLED``;
3. an alias with the exact address, expanded recursively (targets may be accounts,
   other aliases or outside addresses);
4. the same two lookups for ``local@domain`` without the ``+tag``;
5. the domain's catch-all alias ``@domain``;
6. else ``UNKNOWN``.

Expansion stops at ``MAX_ALIAS_DEPTH`` levels and drops duplicates and loops.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from courriel.directory.addresses import normalize_address, split_address
from courriel.directory.errors import InvalidAddress
from courriel.storage.ports import DirectoryRepo
from courriel.storage.records import AccountRecord

MAX_ALIAS_DEPTH = 8
SUBADDRESS_SEPARATOR = "+"


class Status(enum.Enum):
    DELIVER = "deliver"
    UNKNOWN = "unknown"
    DISABLED = "disabled"
    NOT_OURS = "not-ours"
    INVALID = "invalid"


@dataclass(frozen=True)
class Resolution:
    """``accounts``: local mailboxes to deliver to; ``external``: outside addresses an alias
    forwards to (handed to the outbound queue)."""

    status: Status
    accounts: tuple[AccountRecord, ...] = field(default=())
    external: tuple[str, ...] = field(default=())


async def resolve_recipient(repo: DirectoryRepo, address: str) -> Resolution:
    try:
        normalized = normalize_address(address)
    except InvalidAddress:
        return Resolution(Status.INVALID)
    local, domain = split_address(normalized)
    if await repo.get_domain(domain) is None:
        return Resolution(Status.NOT_OURS)
    candidates = [normalized]
    base, separator, _tag = local.partition(SUBADDRESS_SEPARATOR)
    if separator and base:
        candidates.append(f"{base}@{domain}")
    for candidate in candidates:
        account = await repo.get_account(candidate)
        if account is not None:
            if account.disabled:
                return Resolution(Status.DISABLED)
            return Resolution(Status.DELIVER, (account,))
        if await repo.get_alias(candidate) is not None:
            return await _expand(repo, candidate)
    if await repo.get_alias("@" + domain) is not None:
        return await _expand(repo, "@" + domain)
    return Resolution(Status.UNKNOWN)


async def _expand(repo: DirectoryRepo, alias_address: str) -> Resolution:
    accounts: dict[int, AccountRecord] = {}
    external: dict[str, None] = {}
    seen: set[str] = set()
    pending = [(alias_address, 0)]
    while pending:
        address, depth = pending.pop(0)
        if address in seen or depth > MAX_ALIAS_DEPTH:
            continue
        seen.add(address)
        alias = await repo.get_alias(address)
        if alias is not None:
            pending.extend((target, depth + 1) for target in alias.targets)
            continue
        account = await repo.get_account(address)
        if account is not None:
            if not account.disabled:
                accounts.setdefault(account.id, account)
        elif await repo.get_domain(split_address(address)[1]) is None:
            external.setdefault(address)
    if not accounts and not external:
        return Resolution(Status.UNKNOWN)
    return Resolution(Status.DELIVER, tuple(accounts.values()), tuple(external))
