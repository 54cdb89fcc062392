"""RCPT-time decisions: may this address receive mail through this session?

- Our domain, a known and enabled account or alias, not over quota → accepted (RFC 5321
  §4.1.1.3; a full mailbox is a temporary 452 4.2.2, RFC 3463 §3.3).
- Not our domain → accepted only from an authenticated submission session; otherwise
  relaying is denied. The address is judged as the protocol layer parsed it: a source route
  was already dropped (RFC 5321 Appendix C), and ``user%other@ours`` or a quoted local part
  holding ``@`` stay local parts of *our* domain (RFC 5321 §3.6.2), so they can only match
  one of our accounts or be unknown — never an open relay.
"""

from __future__ import annotations

from courriel.delivery.model import Recipient, Refusal, Role
from courriel.directory.resolve import Status
from courriel.directory.service import Directory

_STATUS_REFUSALS = {
    Status.INVALID: Refusal.INVALID,
    Status.UNKNOWN: Refusal.UNKNOWN,
    Status.DISABLED: Refusal.DISABLED,
}


async def check_recipient(
    directory: Directory,
    address: str,
    *,
    role: Role,
    authenticated: bool,
    notify: str | None = None,
    orcpt: str | None = None,
) -> Recipient | Refusal:
    resolution = await directory.resolve(address)
    if resolution.status is Status.NOT_OURS:
        if role is Role.SUBMISSION and authenticated:
            return Recipient(address, external=(address,), notify=notify, orcpt=orcpt)
        return Refusal.RELAY_DENIED
    refusal = _STATUS_REFUSALS.get(resolution.status)
    if refusal is not None:
        return refusal
    if len(resolution.accounts) == 1 and not resolution.external:
        # The account row of the (briefly cached) resolution is enough for this early
        # answer; the delivery transaction enforces the quota exactly (RFC 9208 STORAGE).
        account = resolution.accounts[0]
        if account.quota_bytes and account.used_bytes >= account.quota_bytes:
            return Refusal.OVER_QUOTA
    return Recipient(address, resolution.accounts, resolution.external, notify=notify, orcpt=orcpt)
