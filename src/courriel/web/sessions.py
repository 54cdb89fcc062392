"""Webmail sessions: opening, finding, renewing and ending them.

Owns: the session token (256 random bits in the browser's cookie; only its SHA-256 is
stored, so reading the database opens no session), the per-session CSRF token, the two
stages of a login (``second-factor`` for at most ``SECOND_FACTOR_TIME`` and
``MAX_CODE_ATTEMPTS`` wrong codes, then ``active``; the token changes between them, so a
token seen before the second factor never opens the mailbox), the idle timeout and the
absolute lifetime (``[web]``), and "log out my other sessions".

Must not: check passwords or codes (``directory.AuthService`` does), or speak HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from courriel.core.clock import Clock
from courriel.storage.ports import DirectoryRepo, WebSessionRepo
from courriel.storage.records import AccountRecord, WebSessionRecord

SECOND_FACTOR = "second-factor"
ACTIVE = "active"
SECOND_FACTOR_TIME = 300.0
"""Seconds between a right password and the second factor before the login starts over."""
MAX_CODE_ATTEMPTS = 5
"""Wrong codes one pending login may try before it ends (the AuthService also counts them
per address and account, towards bans)."""
TOUCH_INTERVAL = 60.0
"""A session's use is written at most this often (a write per page view is not needed)."""


def token_digest(token: str) -> str:
    """What the store keeps of a session token."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def same_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token with what a form sent."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape"))


@dataclass(frozen=True)
class OpenSession:
    """A session found from its cookie, with its account (enabled, still existing)."""

    record: WebSessionRecord
    account: AccountRecord

    @property
    def csrf(self) -> str:
        return self.record.csrf


@dataclass(frozen=True)
class NewSession:
    """A session just opened: ``token`` goes into the cookie, nowhere else."""

    token: str
    record: WebSessionRecord


class WebSessions:
    """Sessions of one webmail, over the ``WebSessionRepo`` port."""

    def __init__(
        self,
        repo: WebSessionRepo,
        accounts: DirectoryRepo,
        clock: Clock,
        *,
        idle_timeout: float,
        lifetime: float,
    ) -> None:
        self.repo = repo
        self.accounts = accounts
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.lifetime = lifetime

    async def open(self, account_id: int, stage: str, *, ip: str, user_agent: str) -> NewSession:
        """A new session for the account, ``second-factor`` or ``active``."""
        now = self.clock.now()
        token = secrets.token_urlsafe(32)
        expires = now + (SECOND_FACTOR_TIME if stage == SECOND_FACTOR else self.idle_timeout)
        record = WebSessionRecord(
            digest=token_digest(token),
            account_id=account_id,
            stage=stage,
            csrf=secrets.token_urlsafe(32),
            created=now,
            last_seen=now,
            expires=min(expires, now + self.lifetime),
            attempts=0,
            ip=ip,
            user_agent=user_agent[:200],
        )
        await self.repo.create_web_session(record)
        return NewSession(token, record)

    async def find(self, token: str | None, stage: str = ACTIVE) -> OpenSession | None:
        """The session of this cookie value in ``stage``, renewed; None when there is none,
        it expired, it outlived ``lifetime``, or its account is gone or disabled."""
        if not token or len(token) > 100:
            return None
        now = self.clock.now()
        record = await self.repo.get_web_session(token_digest(token), now)
        if record is None or record.stage != stage:
            return None
        if now >= record.created + self.lifetime:
            await self.repo.delete_web_session(record.digest)
            return None
        account = await self.accounts.get_account_by_id(record.account_id)
        if account is None or account.disabled:
            await self.repo.delete_web_session(record.digest)
            return None
        if stage == ACTIVE and now - record.last_seen >= TOUCH_INTERVAL:
            expires = min(now + self.idle_timeout, record.created + self.lifetime)
            await self.repo.touch_web_session(record.digest, now, expires)
        return OpenSession(record, account)

    async def wrong_code(self, session: OpenSession) -> bool:
        """Count a wrong second-factor code; True when the pending login must end (it is
        ended here)."""
        attempts = await self.repo.count_web_session_attempt(session.record.digest)
        if attempts >= MAX_CODE_ATTEMPTS:
            await self.repo.delete_web_session(session.record.digest)
            return True
        return False

    async def close(self, session: OpenSession) -> None:
        await self.repo.delete_web_session(session.record.digest)

    async def close_others(self, session: OpenSession) -> int:
        """End every other session of the account; how many ended."""
        return await self.repo.delete_web_sessions(
            session.record.account_id, keep=session.record.digest
        )

    async def close_all(self, account_id: int) -> int:
        """End every session of the account (its password was reset); how many ended."""
        return await self.repo.delete_web_sessions(account_id)

    async def list(self, session: OpenSession) -> list[WebSessionRecord]:
        return await self.repo.list_web_sessions(session.record.account_id, self.clock.now())

    async def purge(self) -> int:
        """Delete expired sessions (housekeeping)."""
        return await self.repo.purge_web_sessions(self.clock.now())
