"""``Directory``: the one place that creates and changes domains, accounts and aliases.

It normalises names, hashes passwords, provisions the default mailboxes of a new account
through ``MailStore``, makes a domain's DKIM keys when the domain is added, and answers
recipient resolution. The CLI, the admin UI and tests all go through it. Must not: run SQL
(the ``DirectoryRepo`` port does) or speak a protocol.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TypedDict

from courriel.directory.addresses import (
    normalize_address,
    normalize_alias_source,
    normalize_domain,
)
from courriel.directory.dkim_rotation import (
    DkimKeyPair,
    find_pair,
    key_pairs,
    last_active_of_an_algorithm,
)
from courriel.directory.errors import DirectoryError, InvalidAddress, WeakPassword
from courriel.directory.passwords import PasswordHasher
from courriel.directory.policy import check_password, normalize_password
from courriel.directory.resolve import Resolution, resolve_recipient
from courriel.directory.securitylog import SecurityLog
from courriel.mailauth.dkimkeys import generate_dkim_keys, unused_selector_base
from courriel.mailstore.service import MailStore
from courriel.sasl import new_scram_keys
from courriel.storage.errors import NotFound
from courriel.storage.listing import DomainUsage
from courriel.storage.ports import DirectoryRepo
from courriel.storage.records import AccountRecord, AliasRecord, DkimKeyRecord, DomainRecord

MAX_ALIAS_TARGETS = 1000
RESOLUTION_TTL = 5.0
RESOLUTION_CACHE_SIZE = 10_000


def dkim_selector_base(now: float) -> str:
    """Selectors named after the month they were made (``c202611``), so a rotation makes a
    new one and the DNS shows which is current."""
    return time.strftime("c%Y%m", time.gmtime(now))


class ListingFilter(TypedDict):
    prefix: str
    domain: str | None


def _listing_filter(prefix: str, domain: str | None) -> ListingFilter:
    """A paged listing's filter as the store holds addresses and domains."""
    return {
        "prefix": prefix.strip().lower(),
        "domain": None if domain is None else normalize_domain(domain),
    }


class Directory:
    """Domains, accounts and aliases, with their rules."""

    def __init__(
        self,
        repo: DirectoryRepo,
        mailstore: MailStore,
        hasher: PasswordHasher,
        *,
        default_quota: int = 0,
        min_password_length: int = 12,
        security_log: SecurityLog | None = None,
    ) -> None:
        self.repo = repo
        self.mailstore = mailstore
        self.hasher = hasher
        self.default_quota = default_quota
        self.min_password_length = min_password_length
        self.security_log = security_log
        self._resolutions: dict[str, tuple[float, Resolution]] = {}

    # -- domains -----------------------------------------------------------------------------

    async def add_domain(self, name: str, *, dkim: bool = True) -> DomainRecord:
        """Add a domain and, unless told not to, its DKIM keys (RSA-2048 and Ed25519)."""
        self.forget_resolutions()
        domain = await self.repo.add_domain(normalize_domain(name))
        if dkim:
            await self.add_dkim_keys(domain.name, dkim_selector_base(time.time()))
        return domain

    async def add_dkim_keys(
        self, domain: str, selector_base: str, *, active: bool = True
    ) -> list[DkimKeyRecord]:
        keys = generate_dkim_keys(selector_base)
        return [
            await self.repo.add_dkim_key(
                domain,
                key.selector,
                key.algorithm,
                key.private_key_pem.decode("ascii"),
                key.dns_record(),
                active=active,
            )
            for key in (keys.rsa, keys.ed25519)
        ]

    # -- DKIM rotation (issue 8; the states are explained in dkim_rotation.py) ---------------

    async def dkim_key_pairs(self, domain: str) -> list[DkimKeyPair]:
        """The domain's keys by pair, oldest first, each active, pending or retired."""
        return key_pairs(await self.dkim_keys(domain))

    async def rotate_dkim_keys(self, domain: str) -> DkimKeyPair:
        """A new RSA and Ed25519 pair under fresh selectors (never a name used before).
        While the domain has an active key, the new pair waits (pending) and the old one
        keeps signing until ``activate_dkim_keys``; a domain with no active key signs with
        the new pair at once (there is nothing to keep)."""
        name = normalize_domain(domain)
        records = await self.dkim_keys(name)
        taken = {record.selector for record in records}
        base = unused_selector_base(dkim_selector_base(time.time()), taken)
        await self.add_dkim_keys(name, base, active=not any(r.active for r in records))
        pair = find_pair(await self.dkim_key_pairs(name), base)
        assert pair is not None  # just added
        return pair

    async def activate_dkim_keys(self, domain: str, name: str) -> DkimKeyPair:
        """Sign with the pair ``name`` (its base or one of its selectors) from now on; every
        other key stops signing in the same transaction (the previous pair is retired).
        Raises ``NotFound``."""
        normalized = normalize_domain(domain)
        pair = find_pair(await self.dkim_key_pairs(normalized), name)
        if pair is None:
            raise NotFound(f"{normalized} has no DKIM key {name.strip().lower()}")
        await self.repo.activate_dkim_keys(normalized, pair.selectors)
        if self.security_log is not None:
            self.security_log.write("dkim-activated", detail=f"{normalized} {pair.base}")
        return pair

    async def remove_dkim_keys(self, domain: str, name: str) -> list[DkimKeyRecord]:
        """Forget the pair ``name`` designates (its base), or one key (a selector): a
        pending pair never published, or a retired one whose DNS record can go. Refuses
        (``DirectoryError``) to remove the last active key of an algorithm. Raises
        ``NotFound``."""
        normalized = normalize_domain(domain)
        records = await self.dkim_keys(normalized)
        wanted = name.strip().lower()
        pair = find_pair(key_pairs(records), wanted)
        if pair is None:
            raise NotFound(f"{normalized} has no DKIM selector {wanted}")
        removed = [key for key in pair.keys if wanted in (pair.base, key.selector)]
        last = last_active_of_an_algorithm(records, removed)
        if last is not None:
            raise DirectoryError(
                f"{last.selector} is the last active {last.algorithm} key of {normalized}: "
                f"make a new pair and activate it first (`courriel dkim rotate {normalized}`)"
            )
        for key in removed:
            await self.repo.remove_dkim_key(normalized, key.selector)
        return removed

    async def dkim_keys(self, domain: str) -> list[DkimKeyRecord]:
        return await self.repo.list_dkim_keys(normalize_domain(domain))

    async def remove_dkim_key(self, domain: str, selector: str) -> None:
        """Forget one key without the checks of ``remove_dkim_keys``."""
        await self.repo.remove_dkim_key(normalize_domain(domain), selector.strip().lower())

    async def list_domains(self) -> list[DomainRecord]:
        return await self.repo.list_domains()

    async def remove_domain(self, name: str) -> None:
        """Remove a domain with its DKIM keys. Raises ``NotFound``, or ``Conflict`` naming
        how many accounts and aliases it still has."""
        self.forget_resolutions()
        await self.repo.remove_domain(normalize_domain(name))

    async def domain_usage(self) -> dict[str, DomainUsage]:
        """Accounts, aliases, bytes and messages of every domain, by name (one query)."""
        return await self.repo.domain_usage()

    # -- accounts ----------------------------------------------------------------------------

    def check_password(self, address: str, password: str) -> None:
        """Raise ``WeakPassword`` with every reason the policy refuses ``password``."""
        reasons = check_password(password, account=address, min_length=self.min_password_length)
        if reasons:
            raise WeakPassword("the password " + "; it ".join(reasons))

    async def add_account(
        self,
        address: str,
        password: str | None,
        *,
        display_name: str = "",
        quota_bytes: int | None = None,
        admin: bool = False,
    ) -> AccountRecord:
        """Create an account with its default mailboxes. ``password`` None makes an account
        that cannot log in until one is set."""
        self.forget_resolutions()
        normalized = normalize_address(address)
        password_hash = scram_keys = None
        if password is not None:
            self.check_password(normalized, password)
            password_hash, scram_keys = await self._credentials(password)
        account = await self.repo.add_account(
            normalized,
            password_hash=password_hash,
            scram_keys=scram_keys,
            display_name=display_name,
            quota_bytes=self.default_quota if quota_bytes is None else quota_bytes,
            admin=admin,
        )
        await self.mailstore.provision_account(account.id)
        return account

    async def get_account(self, address: str) -> AccountRecord:
        account = await self.repo.get_account(normalize_address(address))
        if account is None:
            raise NotFound(f"account {address} does not exist")
        return account

    async def list_accounts(self, domain: str | None = None) -> list[AccountRecord]:
        return await self.repo.list_accounts(None if domain is None else normalize_domain(domain))

    async def list_accounts_page(
        self, *, prefix: str = "", domain: str | None = None, offset: int = 0, limit: int
    ) -> list[AccountRecord]:
        """One page of accounts by address; ``prefix`` is matched lower-cased, as stored."""
        return await self.repo.list_accounts_page(
            **_listing_filter(prefix, domain), offset=offset, limit=limit
        )

    async def count_accounts(self, *, prefix: str = "", domain: str | None = None) -> int:
        return await self.repo.count_accounts(**_listing_filter(prefix, domain))

    async def _credentials(self, password: str) -> tuple[str, str]:
        """The argon2id hash and the SCRAM-SHA-256 keys (RFC 5802 §3) of a password."""
        password = normalize_password(password)
        password_hash = await asyncio.to_thread(self.hasher.hash, password)
        scram = await asyncio.to_thread(new_scram_keys, password)
        return password_hash, scram.to_text()

    async def set_password(self, address: str, password: str) -> AccountRecord:
        self.forget_resolutions()
        normalized = normalize_address(address)
        self.check_password(normalized, password)
        password_hash, scram_keys = await self._credentials(password)
        account = await self.repo.update_account(
            normalized, password_hash=password_hash, scram_keys=scram_keys
        )
        if self.security_log is not None:
            self.security_log.write("password-changed", account=normalized)
        return account

    async def set_quota(self, address: str, quota_bytes: int) -> AccountRecord:
        self.forget_resolutions()
        if quota_bytes < 0:
            raise ValueError("a quota cannot be negative (0 means unlimited)")
        return await self.repo.update_account(normalize_address(address), quota_bytes=quota_bytes)

    async def set_disabled(self, address: str, disabled: bool) -> AccountRecord:
        self.forget_resolutions()
        return await self.repo.update_account(normalize_address(address), disabled=disabled)

    async def set_admin(self, address: str, admin: bool) -> AccountRecord:
        self.forget_resolutions()
        return await self.repo.update_account(normalize_address(address), admin=admin)

    async def set_display_name(self, address: str, display_name: str) -> AccountRecord:
        self.forget_resolutions()
        return await self.repo.update_account(normalize_address(address), display_name=display_name)

    async def remove_account(self, address: str) -> None:
        self.forget_resolutions()
        await self.repo.remove_account(normalize_address(address))

    # -- aliases -----------------------------------------------------------------------------

    async def add_alias(self, address: str, targets: Sequence[str]) -> AliasRecord:
        """An alias delivers to every target: accounts, other aliases or outside addresses.
        ``@domain`` is the domain's catch-all."""
        self.forget_resolutions()
        if not targets:
            raise InvalidAddress("an alias needs at least one target")
        if len(targets) > MAX_ALIAS_TARGETS:
            raise InvalidAddress(f"an alias has at most {MAX_ALIAS_TARGETS} targets")
        source = normalize_alias_source(address)
        normalized_targets = list(dict.fromkeys(normalize_address(t) for t in targets))
        if source in normalized_targets:
            raise InvalidAddress(f"{source} cannot be its own target")
        return await self.repo.add_alias(source, normalized_targets)

    async def list_aliases(self, domain: str | None = None) -> list[AliasRecord]:
        return await self.repo.list_aliases(None if domain is None else normalize_domain(domain))

    async def list_aliases_page(
        self, *, prefix: str = "", domain: str | None = None, offset: int = 0, limit: int
    ) -> list[AliasRecord]:
        """One page of aliases by address; ``prefix`` is matched lower-cased, as stored."""
        return await self.repo.list_aliases_page(
            **_listing_filter(prefix, domain), offset=offset, limit=limit
        )

    async def count_aliases(self, *, prefix: str = "", domain: str | None = None) -> int:
        return await self.repo.count_aliases(**_listing_filter(prefix, domain))

    async def remove_alias(self, address: str) -> None:
        self.forget_resolutions()
        await self.repo.remove_alias(normalize_alias_source(address))

    # -- routing -----------------------------------------------------------------------------

    async def resolve(self, address: str) -> Resolution:
        """Where mail for ``address`` goes (see ``resolve.py`` for the order of rules).

        Answers are kept ``RESOLUTION_TTL`` seconds: every RCPT of a busy MX would otherwise
        cost several store reads. Changes made through this ``Directory`` clear the cache at
        once; changes made by another process (the CLI beside a running server) are seen
        within the TTL."""
        key = address.strip().lower()
        now = time.monotonic()
        cached = self._resolutions.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        resolution = await resolve_recipient(self.repo, address)
        if len(self._resolutions) >= RESOLUTION_CACHE_SIZE:
            self._resolutions.clear()
        self._resolutions[key] = (now + RESOLUTION_TTL, resolution)
        return resolution

    def forget_resolutions(self) -> None:
        self._resolutions.clear()

    async def is_local_domain(self, domain: str) -> bool:
        return await self.get_domain(domain) is not None

    async def get_domain(self, domain: str) -> DomainRecord | None:
        """The domain served here by that name, or None (also for a name that is not a
        valid domain)."""
        try:
            return await self.repo.get_domain(normalize_domain(domain))
        except InvalidAddress:
            return None
