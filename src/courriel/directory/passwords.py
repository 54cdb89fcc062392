"""Password hashing: argon2id (RFC 9106) with parameters from the config.

``verify`` answers whether the password matches and whether the stored hash should be
re-computed with the current parameters (re-hash on login). ``dummy_verify`` spends the
same work for unknown accounts so a login's timing does not reveal whether they exist.
Must not: store anything or know about accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass(frozen=True)
class HashParameters:
    """argon2id cost. The defaults are RFC 9106 §4's second recommended option
    (64 MiB, 3 passes, 4 lanes)."""

    time_cost: int = 3
    memory_kib: int = 64 * 1024
    parallelism: int = 4


class PasswordHasher:
    """Hash and verify passwords with one set of parameters."""

    def __init__(self, parameters: HashParameters | None = None) -> None:
        parameters = parameters or HashParameters()
        self._hasher = argon2.PasswordHasher(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_kib,
            parallelism=parameters.parallelism,
            type=argon2.Type.ID,
        )
        self._dummy_hash = self._hasher.hash("courriel dummy password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> tuple[bool, bool]:
        """(matches, needs_rehash)."""
        try:
            self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, False
        return True, self._hasher.check_needs_rehash(stored_hash)

    def dummy_verify(self, password: str) -> None:
        """Spend the work of one verification (unknown account)."""
        self.verify(self._dummy_hash, password)


FAST_TEST_PARAMETERS = HashParameters(time_cost=1, memory_kib=1024, parallelism=1)
"""Cheap parameters for tests only."""
