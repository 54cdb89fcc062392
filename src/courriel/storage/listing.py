"""Values for listing the directory a page at a time (the admin pages, issue 8).

Owns: ``DomainUsage``, the per-domain totals one aggregate query answers (so a page about
10,000 accounts never loads them), and ``prefix_upper_bound``, the exclusive end of the
address range that starts with a prefix (an indexed range scan instead of ``LIKE``).
Must not: run queries (the backends do).
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX_END = "\U0010ffff"
"""The greatest code point: ``prefix + PREFIX_END`` sorts after every string starting with
``prefix`` (UTF-8 and code-point order agree, so this holds for SQLite's BINARY collation)."""


@dataclass(frozen=True, slots=True)
class DomainUsage:
    """How much of the directory one domain holds."""

    accounts: int
    aliases: int
    used_bytes: int
    message_count: int


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string after every string that starts with ``prefix``."""
    return prefix + PREFIX_END
