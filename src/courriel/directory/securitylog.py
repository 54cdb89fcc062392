"""The security log: one JSON object per line for every login, failure, ban and change to
passwords, second factors and app passwords.

Fields: ``time`` (ISO 8601 UTC), ``event``, and when known ``protocol``, ``ip``, ``account``,
``result``, ``reason``, ``detail``. Lines are appended and flushed one by one, so a crash
loses nothing already logged. ``read`` filters by account and time for
``courriel security log``; ``recent`` reads only the end of the file, and ``page`` one page
of it at a time, newest first (the admin page).
SIGHUP reopens the file (log rotation). Must not: log passwords,
codes or any secret.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from courriel.core.clock import Clock, SystemClock

_BLOCK = 64 * 1024


@dataclass(frozen=True)
class LogPage:
    """Events newest first; ``end``: the file length they were read at (the next page's
    anchor); ``more``: older lines remain."""

    events: list[dict[str, Any]]
    end: int
    more: bool


def _iso(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


class SecurityLog:
    """Appends events to ``path`` (created with mode 0600 in a 0700 directory)."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        self.path = path
        self.clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._file: TextIO | None = None

    def _open(self) -> TextIO:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._file = os.fdopen(descriptor, "a", encoding="utf-8")
        return self._file

    def write(self, event: str, **fields: Any) -> None:
        record = {"time": _iso(self.clock.now()), "event": event}
        record.update({key: value for key, value in fields.items() if value is not None})
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            handle = self._open()
            handle.write(line + "\n")
            handle.flush()

    def reopen(self) -> None:
        """Close the file so the next event opens it again (after rotation)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def close(self) -> None:
        self.reopen()

    def read(
        self, *, account: str | None = None, since: float | None = None
    ) -> Iterator[dict[str, Any]]:
        """Events in file order, those of ``account`` and at or after ``since`` only."""
        if not self.path.exists():
            return
        threshold = None if since is None else _iso(since)
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                record = _event(line)
                if record is None:
                    continue
                if account is not None and record.get("account") != account:
                    continue
                if threshold is not None and str(record.get("time", "")) < threshold:
                    continue
                yield record

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` events, newest first, read backwards from the end of the file
        in blocks (a long log costs no more than its tail)."""
        return self.page(limit=limit).events

    def page(self, *, end: int | None = None, skip: int = 0, limit: int = 100) -> LogPage:
        """``limit`` events, newest first, after skipping the ``skip`` newest events of the
        file as it was ``end`` bytes long (None: as it is now).

        ``end`` keeps pages stable while events are appended: page 2 shows what followed
        page 1 when page 1 was read. A file shorter than ``end`` (rotated since) is read
        from its end. Only the tail holding those events is read, backwards in blocks;
        lines that are not JSON objects are passed over."""
        if limit <= 0 or not self.path.exists():
            return LogPage([], 0, False)
        events: list[dict[str, Any]] = []
        with self.path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            end = size if end is None or not 0 <= end <= size else end
            for line in _lines_backwards(handle, end):
                record = _event(line)
                if record is None:
                    continue
                if skip > 0:
                    skip -= 1
                    continue
                if len(events) == limit:
                    return LogPage(events, end, True)
                events.append(record)
        return LogPage(events, end, False)


def _lines_backwards(handle: BinaryIO, end: int) -> Iterator[bytes]:
    """The lines of ``handle`` before byte ``end``, last first, read in blocks."""
    position, pending = end, b""
    while position > 0:
        step = min(_BLOCK, position)
        position -= step
        handle.seek(position)
        pending = handle.read(step) + pending
        lines = pending.split(b"\n")
        pending = lines[0]  # may be cut by the block boundary: completed by the next block
        for line in reversed(lines[1:]):
            if line:
                yield line
    if pending:
        yield pending


def _event(line: str | bytes) -> dict[str, Any] | None:
    """The event a line holds, or None for a line that is not a JSON object."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
