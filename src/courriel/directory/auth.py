"""``AuthService``: the one way into a mailbox, for every protocol.

SMTP submission, IMAP, POP3, the web login and later DAV and ActiveSync all call it, so a
rule enforced here is enforced everywhere:

- **Bans first.** A banned address (IPv4, or the /64 of an IPv6 address) is refused before
  any password work. Failures are counted per address and per account within
  ``auth.failure_window``; ``auth.max_failures_per_ip`` failures ban the address for
  ``auth.ban_time``, doubled at each repeat up to ``auth.max_ban_time``. Accounts are never
  locked (anyone could lock a user out); their failures only slow further attempts down.
  Every failure is answered after a delay that doubles with the address's failures.
  ``auth.trusted_networks`` are never delayed or banned. Counters and bans are in the store:
  they survive restarts.
- **Unknown accounts look like wrong passwords.** Same answer, same counters (per address
  typed), and the same argon2 work (``PasswordHasher.dummy_verify``), so neither the reply
  nor its timing tells an attacker whether an account exists.
- **App passwords** (generated, looked up by SHA-256 digest) open only the protocols they
  were made for. **Once 2FA is on**, the account password no longer opens IMAP, POP3, SMTP,
  DAV or ActiveSync: the answer says an app password is required — only when the password
  was right, so it reveals nothing to a guesser. The web login asks for the second factor.
- **Plaintext credentials** are acceptable only over TLS, or from loopback when
  ``auth.plaintext_on_loopback`` is on (``plaintext_allowed``); protocols check this before
  offering or accepting a password.
- **Everything is logged** in the security log (``securitylog.py``).

Must not: speak a protocol (``saslbridge.py`` runs SASL exchanges for the servers).
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from courriel.config import AuthSettings
from courriel.core.clock import Clock, SystemClock
from courriel.directory.addresses import normalize_address
from courriel.directory.app_passwords import (
    PROTOCOLS,
    app_password_digest,
    new_app_password,
    parse_protocols,
)
from courriel.directory.errors import DirectoryError, InvalidAddress
from courriel.directory.passwords import PasswordHasher
from courriel.directory.policy import normalize_password
from courriel.directory.securitylog import SecurityLog
from courriel.directory.totp import (
    match_recovery_code,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    recovery_code_digest,
    verify,
)
from courriel.directory.verified import VerifiedPasswords
from courriel.sasl import StoredScramKeys, fake_scram_keys
from courriel.storage.errors import NotFound
from courriel.storage.ports import DirectoryRepo, SecurityRepo
from courriel.storage.records import AccountRecord, AppPasswordRecord, BanRecord, TotpRecord

log = logging.getLogger("courriel.auth")

APP_PASSWORD_PROTOCOLS = PROTOCOLS
"""Protocols where, once 2FA is on, only app passwords are accepted."""
FAKE_SCRAM_SECRET = "scram-fake-keys"


class Outcome(enum.Enum):
    OK = "ok"
    INVALID = "invalid"
    APP_PASSWORD_REQUIRED = "app-password-required"
    SECOND_FACTOR_REQUIRED = "second-factor-required"
    DISABLED = "disabled"
    BANNED = "banned"


MESSAGES = {
    Outcome.OK: "authenticated",
    Outcome.INVALID: "invalid credentials",
    Outcome.APP_PASSWORD_REQUIRED: (
        "app password required: this account uses two-factor authentication; "
        "create an app password for this application in the webmail settings"
    ),
    Outcome.SECOND_FACTOR_REQUIRED: "a second factor is required",
    Outcome.DISABLED: "account disabled",
    Outcome.BANNED: "too many failed logins from your address; try again later",
}


@dataclass(frozen=True)
class Principal:
    """Who logged in, with what, for which protocol."""

    account_id: int
    address: str
    protocol: str
    method: str
    """``password``, ``app-password`` or ``scram``."""
    app_password: str | None = None


@dataclass(frozen=True)
class AuthResult:
    outcome: Outcome
    principal: Principal | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def message(self) -> str:
        """The text to show the client: never more than it may know."""
        return MESSAGES[self.outcome]


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str


def ip_scope(ip: str) -> str:
    """The brute-force scope of an address: itself for IPv4, its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return f"ip:{ip}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"ip:{address}"


def account_scope(address: str) -> str:
    return f"account:{address.strip().lower()}"


class AuthService:
    """Authentication, second factors, app passwords and bans for every protocol."""

    def __init__(
        self,
        directory: DirectoryRepo,
        security: SecurityRepo,
        hasher: PasswordHasher,
        settings: AuthSettings,
        security_log: SecurityLog,
        *,
        totp_issuer: str,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.directory = directory
        self.security = security
        self.hasher = hasher
        self.settings = settings
        self.log = security_log
        self.totp_issuer = totp_issuer
        self.clock = clock or SystemClock()
        self.sleep = sleep
        self._trusted = [ipaddress.ip_network(n) for n in settings.trusted_networks]
        self.verified = VerifiedPasswords(self.clock, settings.password_cache_ttl)

    # -- policy --------------------------------------------------------------------------------

    def plaintext_allowed(self, peer_ip: str, secure: bool) -> bool:
        """Whether a password may be sent on this connection (RFC 8314 §4, RFC 3207 §4.1)."""
        if secure:
            return True
        return self.settings.plaintext_on_loopback and _is_loopback(peer_ip)

    def is_trusted(self, peer_ip: str) -> bool:
        try:
            address = ipaddress.ip_address(peer_ip.split("%", 1)[0])
        except ValueError:
            return False
        return any(address in network for network in self._trusted)

    async def ban_of(self, peer_ip: str) -> BanRecord | None:
        """The ban in force for this address, if any (servers may refuse at connect)."""
        if self.is_trusted(peer_ip):
            return None
        return await self.security.active_ban([ip_scope(peer_ip)], self.clock.now())

    # -- logging in ----------------------------------------------------------------------------

    async def login(self, protocol: str, peer_ip: str, username: str, password: str) -> AuthResult:
        """Check a user name and password (or app password) for ``protocol``."""
        if await self.ban_of(peer_ip) is not None:
            self.log.write(
                "login", protocol=protocol, ip=peer_ip, account=username, result="banned"
            )
            return AuthResult(Outcome.BANNED)
        password = normalize_password(password)
        account = await self._find_account(username)
        if account is None:
            await asyncio.to_thread(self.hasher.dummy_verify, password)
            return await self._fail(protocol, peer_ip, username, "unknown account")
        app_password = await self.security.find_app_password(
            account.id, app_password_digest(password)
        )
        if app_password is not None:
            return await self._app_password_login(protocol, peer_ip, account, app_password)
        if account.password_hash is None:
            await asyncio.to_thread(self.hasher.dummy_verify, password)
            return await self._fail(protocol, peer_ip, account.address, "no password set")
        # A cache hit does not renew the entry: argon2id runs again ``ttl`` after the last
        # full check, however often the client logs in meanwhile.
        if self.verified.matches(account.id, account.password_hash, password):
            matches, needs_rehash = True, False
        else:
            matches, needs_rehash = await asyncio.to_thread(
                self.hasher.verify, account.password_hash, password
            )
            if matches and not needs_rehash:
                self.verified.remember(account.id, account.password_hash, password)
        if not matches:
            return await self._fail(protocol, peer_ip, account.address, "wrong password")
        if account.disabled:
            return self._refuse(protocol, peer_ip, account.address, Outcome.DISABLED)
        if needs_rehash:
            await self.directory.update_account(
                account.address, password_hash=await asyncio.to_thread(self.hasher.hash, password)
            )
        totp = await self.security.get_totp(account.id)
        if totp is not None and totp.enabled:
            if protocol == "web":
                return AuthResult(
                    Outcome.SECOND_FACTOR_REQUIRED,
                    Principal(account.id, account.address, protocol, "password"),
                )
            return self._refuse(protocol, peer_ip, account.address, Outcome.APP_PASSWORD_REQUIRED)
        return await self._succeed(
            Principal(account.id, account.address, protocol, "password"), peer_ip
        )

    async def _app_password_login(
        self, protocol: str, peer_ip: str, account: AccountRecord, app: AppPasswordRecord
    ) -> AuthResult:
        if protocol not in app.protocols:
            return await self._fail(
                protocol,
                peer_ip,
                account.address,
                f"app password {app.name!r} is not valid for {protocol}",
            )
        if account.disabled:
            return self._refuse(protocol, peer_ip, account.address, Outcome.DISABLED)
        await self.security.touch_app_password(app.id, self.clock.now(), peer_ip)
        principal = Principal(account.id, account.address, protocol, "app-password", app.name)
        return await self._succeed(principal, peer_ip)

    async def scram_keys(self, username: str) -> StoredScramKeys:
        """The SCRAM-SHA-256 keys to verify ``username`` with: the account's own, or
        deterministic fake ones (unknown user, no keys, 2FA on, disabled) that make the
        exchange fail exactly like a wrong password (RFC 5802 §5.1)."""
        account = await self._find_account(username)
        if account is not None and account.scram_keys and not account.disabled:
            totp = await self.security.get_totp(account.id)
            if totp is None or not totp.enabled:
                return StoredScramKeys.from_text(account.scram_keys)
        secret = await self.security.secret(FAKE_SCRAM_SECRET, secrets.token_bytes(32))
        key = account.address if account is not None else username.strip().lower()
        return fake_scram_keys(key, secret)

    async def scram_finished(
        self, protocol: str, peer_ip: str, username: str, success: bool
    ) -> AuthResult:
        """Record the end of a SCRAM exchange that ``scram_keys`` fed."""
        if await self.ban_of(peer_ip) is not None:
            return AuthResult(Outcome.BANNED)
        account = await self._find_account(username)
        if not success or account is None:
            return await self._fail(protocol, peer_ip, username, "SCRAM proof did not match")
        return await self._succeed(
            Principal(account.id, account.address, protocol, "scram"), peer_ip
        )

    async def verify_second_factor(
        self, principal: Principal, code: str, peer_ip: str
    ) -> AuthResult:
        """The web login's second step: a TOTP code or a one-time recovery code."""
        if await self.ban_of(peer_ip) is not None:
            return AuthResult(Outcome.BANNED)
        totp = await self.security.get_totp(principal.account_id)
        if totp is None or not totp.enabled:
            return await self._succeed(principal, peer_ip)
        used = await self._use_code(totp, principal.address, code, peer_ip)
        if used is not None:
            return await self._succeed(principal, peer_ip, detail=used)
        return await self._fail(
            principal.protocol, peer_ip, principal.address, "wrong second factor"
        )

    async def _use_code(
        self, totp: TotpRecord, address: str, code: str, peer_ip: str
    ) -> str | None:
        """Spend a TOTP code (its step, never again) or a recovery code (once); which kind,
        or None when ``code`` is neither."""
        account_id = totp.account_id
        step = verify(totp.secret, code, now=self.clock.now(), last_used_step=totp.last_step)
        if step is not None and await self.security.use_totp_step(account_id, step):
            return "totp"
        digests = await self.security.unused_recovery_codes(account_id)
        matched = match_recovery_code(code, digests)
        if matched is not None and await self.security.use_recovery_code(
            account_id, matched, self.clock.now()
        ):
            self.log.write(
                "recovery-code-used", account=address, ip=peer_ip, detail=f"{len(digests) - 1} left"
            )
            return "recovery code"
        return None

    async def _find_account(self, username: str) -> AccountRecord | None:
        try:
            address = normalize_address(username)
        except InvalidAddress:
            return None
        return await self.directory.get_account(address)

    async def _succeed(
        self, principal: Principal, peer_ip: str, detail: str | None = None
    ) -> AuthResult:
        await self.security.clear_failures(account_scope(principal.address))
        self.log.write(
            "login",
            protocol=principal.protocol,
            ip=peer_ip,
            account=principal.address,
            result="ok",
            reason=principal.method,
            detail=detail or principal.app_password,
        )
        return AuthResult(Outcome.OK, principal)

    def _refuse(self, protocol: str, peer_ip: str, address: str, outcome: Outcome) -> AuthResult:
        """A right password that may not be used here: logged, not counted as a guess."""
        self.log.write(
            "login", protocol=protocol, ip=peer_ip, account=address, result=outcome.value
        )
        return AuthResult(outcome)

    async def _fail(self, protocol: str, peer_ip: str, username: str, reason: str) -> AuthResult:
        now = self.clock.now()
        settings = self.settings
        self.log.write(
            "login", protocol=protocol, ip=peer_ip, account=username, result="failed", reason=reason
        )
        account_failures = await self.security.record_failure(
            account_scope(username), now, settings.failure_window
        )
        delay = 0.0
        if account_failures > settings.max_failures_per_account:
            delay = settings.max_failure_delay
        if not self.is_trusted(peer_ip):
            scope = ip_scope(peer_ip)
            failures = await self.security.record_failure(scope, now, settings.failure_window)
            delay = max(
                delay, min(settings.failure_delay * 2 ** (failures - 1), settings.max_failure_delay)
            )
            if failures >= settings.max_failures_per_ip:
                ban = await self.security.ban(
                    scope,
                    settings.ban_time,
                    settings.max_ban_time,
                    f"{failures} failed logins",
                    now,
                )
                self.log.write(
                    "ban",
                    ip=peer_ip,
                    reason=ban.reason,
                    detail=f"until {ban.until:.0f} (ban number {ban.count})",
                )
                log.warning(
                    "banned %s until %.0f after %d failed logins", scope, ban.until, failures
                )
        await self.sleep(delay)
        return AuthResult(Outcome.INVALID)

    # -- second factor ---------------------------------------------------------------------------

    async def begin_totp(self, address: str) -> TotpEnrolment:
        """Start enrolment: a new secret, not yet in force until ``confirm_totp``."""
        account = await self._account(address)
        totp = await self.security.get_totp(account.id)
        if totp is not None and totp.enabled:
            raise DirectoryError(f"two-factor authentication is already on for {account.address}")
        secret = new_secret()
        await self.security.set_totp(account.id, secret, enabled=False)
        return TotpEnrolment(secret, provisioning_uri(secret, account.address, self.totp_issuer))

    async def confirm_totp(self, address: str, code: str) -> list[str]:
        """Check the first code and turn 2FA on; returns fresh one-time recovery codes."""
        account = await self._account(address)
        totp = await self.security.get_totp(account.id)
        if totp is None:
            raise DirectoryError("start with `courriel account 2fa enable` first")
        step = verify(totp.secret, code, now=self.clock.now(), last_used_step=totp.last_step)
        if step is None:
            raise DirectoryError("that code is not valid; check the device's clock and try again")
        await self.security.enable_totp(account.id, step)
        codes = new_recovery_codes()
        await self.security.set_recovery_codes(account.id, [recovery_code_digest(c) for c in codes])
        self.log.write("2fa-enabled", account=account.address)
        return codes

    async def regenerate_recovery_codes(self, address: str) -> list[str]:
        """A fresh set of one-time recovery codes, replacing every earlier one (used or
        not) in one write; returned once, the store keeps their digests. Raises
        ``DirectoryError`` when two-factor authentication is not on."""
        account = await self._account(address)
        totp = await self.security.get_totp(account.id)
        if totp is None or not totp.enabled:
            raise DirectoryError(f"two-factor authentication is not on for {account.address}")
        codes = new_recovery_codes()
        await self.security.set_recovery_codes(account.id, [recovery_code_digest(c) for c in codes])
        self.log.write("recovery-codes-regenerated", account=account.address)
        return codes

    async def disable_totp(self, address: str) -> None:
        account = await self._account(address)
        await self.security.delete_totp(account.id)
        self.log.write("2fa-disabled", account=account.address)

    async def pending_totp(self, address: str) -> TotpEnrolment | None:
        """The enrolment ``begin_totp`` started and no code confirmed yet, or None (so a
        settings page can show the same QR code again after a reload)."""
        account = await self._account(address)
        totp = await self.security.get_totp(account.id)
        if totp is None or totp.enabled:
            return None
        uri = provisioning_uri(totp.secret, account.address, self.totp_issuer)
        return TotpEnrolment(totp.secret, uri)

    async def confirm_identity(
        self, address: str, peer_ip: str, password: str, code: str | None = None
    ) -> AuthResult:
        """Before a sensitive change in a logged-in web session (new password, 2FA off, a
        new app password): the account password again and, when ``code`` is given, a TOTP
        code or a recovery code. App passwords are not accepted here. A wrong answer counts
        like a failed login (bans and delays), so a stolen session cannot guess the
        password; nothing is logged on success (the change itself is)."""
        if await self.ban_of(peer_ip) is not None:
            return AuthResult(Outcome.BANNED)
        password = normalize_password(password)
        account = await self._find_account(address)
        if account is None or account.password_hash is None:
            await asyncio.to_thread(self.hasher.dummy_verify, password)
            return await self._fail("web", peer_ip, address, "identity not confirmed")
        matches, _ = await asyncio.to_thread(self.hasher.verify, account.password_hash, password)
        if not matches:
            return await self._fail("web", peer_ip, account.address, "wrong password (confirm)")
        principal = Principal(account.id, account.address, "web", "password")
        if code is None:
            return AuthResult(Outcome.OK, principal)
        totp = await self.security.get_totp(account.id)
        if (
            totp is not None
            and totp.enabled
            and await self._use_code(totp, account.address, code, peer_ip)
        ):
            return AuthResult(Outcome.OK, principal)
        return await self._fail("web", peer_ip, account.address, "wrong code (confirm)")

    async def totp_status(self, address: str) -> tuple[bool, int]:
        """(2FA on, recovery codes left)."""
        account = await self._account(address)
        totp = await self.security.get_totp(account.id)
        enabled = totp is not None and totp.enabled
        left = len(await self.security.unused_recovery_codes(account.id)) if enabled else 0
        return enabled, left

    # -- app passwords ---------------------------------------------------------------------------

    async def add_app_password(
        self, address: str, name: str, protocols: tuple[str, ...]
    ) -> tuple[AppPasswordRecord, str]:
        """Make an app password; the clear password is returned once and never stored."""
        account = await self._account(address)
        if not name.strip():
            raise DirectoryError('an app password needs a name, e.g. "Thunderbird laptop"')
        try:
            protocols = parse_protocols(",".join(protocols))
        except ValueError as error:
            raise DirectoryError(str(error)) from None
        password = new_app_password()
        record = await self.security.add_app_password(
            account.id, name.strip(), app_password_digest(password), protocols
        )
        self.log.write(
            "app-password-added",
            account=account.address,
            detail=record.name,
            reason=",".join(protocols),
        )
        return record, password

    async def list_app_passwords(self, address: str) -> list[AppPasswordRecord]:
        return await self.security.list_app_passwords((await self._account(address)).id)

    async def revoke_app_password(self, address: str, name: str) -> None:
        account = await self._account(address)
        await self.security.revoke_app_password(account.id, name)
        self.log.write("app-password-revoked", account=account.address, detail=name)

    # -- bans ----------------------------------------------------------------------------------

    async def list_bans(self) -> list[BanRecord]:
        return await self.security.list_bans(self.clock.now())

    async def unban(self, ip_or_scope: str) -> bool:
        scope = (
            ip_or_scope if ip_or_scope.startswith(("ip:", "account:")) else ip_scope(ip_or_scope)
        )
        lifted = await self.security.unban(scope)
        if lifted:
            self.log.write("unban", ip=scope.removeprefix("ip:"))
        return lifted

    async def _account(self, address: str) -> AccountRecord:
        account = await self.directory.get_account(normalize_address(address))
        if account is None:
            raise NotFound(f"account {address} does not exist")
        return account


def _is_loopback(peer_ip: str) -> bool:
    try:
        return ipaddress.ip_address(peer_ip.split("%", 1)[0]).is_loopback
    except ValueError:
        return False
