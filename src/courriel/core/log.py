"""Logging setup: one line per event, text for people or JSON for machines.

Modules log through ``logging.getLogger("courriel.<area>")``; this module only configures the
root handler once, from ``courriel serve`` or the CLI.

The server logs in the background (:func:`background_logging`): a record is queued by the
thread that logs it and formatted and written by a thread of its own. Writing to stderr
is a system call that gives up the GIL, and taking it back can cost the event loop up to
the interpreter's switch interval while other threads run: measured as 15 % of the event
loop's time at 50 SMTP clients when every record was written in place.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import queue
import sys
from collections.abc import Iterator
from typing import Any

_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, extra fields included."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES:
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure_logging(level: str = "info", fmt: str = "text") -> None:
    """Install one stderr handler on the ``courriel`` logger tree."""
    root = logging.getLogger("courriel")
    root.handlers[:] = [_stderr_handler(fmt)]
    root.setLevel(level.upper())
    root.propagate = False


@contextlib.contextmanager
def background_logging(level: str = "info", fmt: str = "text") -> Iterator[None]:
    """:func:`configure_logging`, with records formatted and written by a thread of
    their own until the block ends (then every queued record is written)."""
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, _stderr_handler(fmt))
    root = logging.getLogger("courriel")
    root.handlers[:] = [_InProcessQueueHandler(records)]
    root.setLevel(level.upper())
    root.propagate = False
    listener.start()
    try:
        yield
    finally:
        listener.stop()  # writes what is queued, then ends the thread
        configure_logging(level, fmt)


class _InProcessQueueHandler(logging.handlers.QueueHandler):
    """Queues the record as it is: the queue never leaves the process, so nothing needs
    pickling, and formatting is left to the writing thread (the stock handler formats
    in the caller). The message is merged with its arguments here, though, so that the
    line says what was true when it was logged."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        return record


def _stderr_handler(fmt: str) -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    return handler
