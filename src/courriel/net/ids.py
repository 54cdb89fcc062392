"""Connection ids: short, unique within one source, easy to grep in logs.

An id is a random prefix drawn once per source (so ids of two runs rarely collide in a log
aggregator) followed by a counter, both in lowercase Crockford base32 (no i, l, o, u).
There is no module-level counter: ``runtime`` creates one source and shares it between its
listeners; a listener without one makes its own.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_PREFIX_LENGTH = 4
_MIN_COUNTER_LENGTH = 3


def _base32(number: int) -> str:
    digits: list[str] = []
    while True:
        number, remainder = divmod(number, 32)
        digits.append(_ALPHABET[remainder])
        if number == 0:
            return "".join(reversed(digits))


class ConnectionIdSource:
    """Hands out ids like ``k3f9001``, ``k3f9002``... (prefix + counter)."""

    def __init__(self, random_bytes: Callable[[int], bytes] = os.urandom) -> None:
        seed = int.from_bytes(random_bytes(4), "big") % (32**_PREFIX_LENGTH)
        self.prefix = _base32(seed).rjust(_PREFIX_LENGTH, "0")
        self._counter = itertools.count(1)

    def next_id(self) -> str:
        return self.prefix + _base32(next(self._counter)).rjust(_MIN_COUNTER_LENGTH, "0")
