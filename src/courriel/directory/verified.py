"""Passwords recently verified, so the same correct password is not hashed again and again.

argon2id at RFC 9106 settings costs ~0.2 s of CPU per login on purpose. Mail apps log in
often (a POP3 client every few minutes, an IMAP client with several connections, every
device reconnecting after a server restart), so without a cache two cores verify about ten
logins per second. Dovecot's ``auth_cache`` answers the same need.

Only *successful* verifications are remembered: a wrong password is always checked with
argon2, so guessing gains nothing. An entry is keyed by the account and its stored hash (a
changed password misses, even when changed by another process), holds a keyed BLAKE2b
digest of the password under a random per-process key (never the password; gone on
restart), and expires after ``ttl`` seconds.
Must not: decide whether a login succeeds (``AuthService`` does), or persist anything.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from courriel.core.clock import Clock


class VerifiedPasswords:
    """At most ``capacity`` recently verified (account, stored hash, password) triples."""

    def __init__(self, clock: Clock, ttl: float, capacity: int = 10_000) -> None:
        self.clock = clock
        self.ttl = ttl
        self.capacity = capacity
        self._key = secrets.token_bytes(32)
        self._entries: dict[tuple[int, str], tuple[bytes, float]] = {}

    def _digest(self, password: str) -> bytes:
        data = password.encode("utf-8", "surrogatepass")
        return hashlib.blake2b(data, key=self._key, digest_size=32).digest()

    def matches(self, account_id: int, stored_hash: str, password: str) -> bool:
        """True when this password was verified against this hash less than ``ttl`` ago."""
        entry = self._entries.get((account_id, stored_hash))
        if entry is None:
            return False
        digest, expires = entry
        if self.clock.now() >= expires:
            del self._entries[(account_id, stored_hash)]
            return False
        return hmac.compare_digest(digest, self._digest(password))

    def remember(self, account_id: int, stored_hash: str, password: str) -> None:
        """Record a successful verification (no-op when the cache is off)."""
        if self.ttl <= 0:
            return
        key = (account_id, stored_hash)
        self._entries.pop(key, None)
        if len(self._entries) >= self.capacity:  # drop the oldest entry (insertion order)
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (self._digest(password), self.clock.now() + self.ttl)
