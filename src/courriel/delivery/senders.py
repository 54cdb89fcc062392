"""Whom an authenticated account may send as (submission, RFC 6409 §8.1).

An account may use its own address (with any ``+tag``) and every alias that delivers to it
directly; anything else is refused with 550 5.7.1 by the server, so a user cannot forge
another user's address. The null sender is refused on submission (bounces are the
server's business).
"""

from __future__ import annotations

from courriel.directory.addresses import normalize_address, split_address
from courriel.directory.errors import InvalidAddress
from courriel.directory.service import Directory
from courriel.storage.records import AccountRecord


async def may_send_as(directory: Directory, account: AccountRecord, sender: str) -> bool:
    try:
        address = normalize_address(sender)
    except InvalidAddress:
        return False
    if address == account.address:
        return True
    local, domain = split_address(address)
    base, plus, _ = local.partition("+")
    if plus and f"{base}@{domain}" == account.address:
        return True
    candidates = [address] if not plus else [address, f"{base}@{domain}"]
    for candidate in candidates:
        alias = await directory.repo.get_alias(candidate)
        if alias is not None and account.address in alias.targets:
            return True
    return False
