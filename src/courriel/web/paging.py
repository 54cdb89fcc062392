"""Paging for the admin lists: which page a request asks for, and the links to the others.

Owns: ``page_number`` (``?page=N``, 1-based; anything else is page 1, never an error),
``Pager``, what ``admin_pager.html`` draws (position, total, previous and next links that
keep the other query parameters, e.g. the filter), and ``PAGE_SIZE``. The lists are read
a page at a time from the store (SQL ``LIMIT``/``OFFSET`` in a stable order), never
sliced from a full list here. Must not: read the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from starlette.requests import Request

PAGE_SIZE = 50
MAX_PAGE = 1_000_000
"""Pages beyond this are page 1 (a typed number cannot make a giant OFFSET)."""


def page_number(request: Request) -> int:
    text = request.query_params.get("page", "")
    if not text.isdigit() or len(text) > 7:
        return 1
    return min(max(int(text), 1), MAX_PAGE)


@dataclass(frozen=True)
class Pager:
    """Page ``number`` of a list of ``total`` items shown ``size`` at a time; ``total``
    None for a list that is not counted (the security log file), where ``more`` says
    whether a next page exists."""

    path: str
    number: int
    total: int | None
    size: int = PAGE_SIZE
    more: bool = False
    keep: Mapping[str, str] = field(default_factory=dict)
    """Query parameters every link carries (the filter, a log's anchor); empty ones are
    left out."""

    @classmethod
    def of(cls, request: Request, total: int, keep: Mapping[str, str] | None = None) -> Pager:
        """The page ``request`` asks for, moved back to the last one when past it (the
        list shrank since the link was made)."""
        asked = cls(request.url.path, page_number(request), total, keep=dict(keep or {}))
        return replace(asked, number=min(asked.number, asked.pages))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        if self.total is None:
            return self.number + 1 if self.more else self.number
        return max(1, -(-self.total // self.size))

    @property
    def first_item(self) -> int:
        return self.offset + 1 if self.total is None else min(self.offset + 1, self.total)

    @property
    def last_item(self) -> int:
        end = self.offset + self.size
        return end if self.total is None else min(end, self.total)

    @property
    def previous_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.pages else None

    def url(self, number: int) -> str:
        query = {key: value for key, value in self.keep.items() if value}
        if number > 1:
            query["page"] = str(number)
        return f"{self.path}?{urlencode(query)}" if query else self.path
