"""The security log: one JSON object per line for every login, failure, ban and change to
passwords, second factors and app passwords.

Fields: ``time`` (ISO 8601 UTC), ``event``, and when known ``protocol``, ``ip``, ``account``,
``result``, ``reason``, ``detail``. Lines are appended and flushed one by one, so a crash
loses nothing already logged. ``read`` filters by account and time for
``courriel security log``; ``recent`` reads only the end of the file (the admin page).
SIGHUP reopens the file (log rotation). Must not: log passwords,
codes or any secret.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from courriel.core.clock import Clock, SystemClock


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
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(record, dict):
                    continue
                if account is not None and record.get("account") != account:
                    continue
                if threshold is not None and str(record.get("time", "")) < threshold:
                    continue
                yield record

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The last ``limit`` events, newest first, read backwards from the end of the file
        in blocks (a long log costs no more than its tail)."""
        if limit <= 0 or not self.path.exists():
            return []
        block = 64 * 1024
        with self.path.open("rb") as handle:
            position = handle.seek(0, os.SEEK_END)
            tail = b""
            while position > 0 and tail.count(b"\n") <= limit:
                step = min(block, position)
                position -= step
                handle.seek(position)
                tail = handle.read(step) + tail
        lines = tail.splitlines()
        if position > 0:
            lines = lines[1:]  # the first line may be cut
        events: list[dict[str, Any]] = []
        for line in reversed(lines):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                events.append(record)
                if len(events) == limit:
                    break
        return events
