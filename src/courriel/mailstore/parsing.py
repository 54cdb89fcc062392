"""Parse at ingest on the other CPU core: ``prepare_content`` as a worker job.

``ParsePool`` hands raw messages to the ``core.workers.WorkerPool`` the runtime built
(shared with delivery's reading job, ``delivery.reading``) and reads the results back:
the raw bytes in, a ``marshal``-ed tuple out (both ends run the same interpreter, so
marshal's format always matches). An answer that cannot be read, or a worker that dies,
makes the pool parse in-process: ingest never fails because of it. Must not: touch the
store (the caller does).
"""

from __future__ import annotations

import marshal
import struct
from dataclasses import fields
from operator import attrgetter
from typing import Any

from courriel.core.workers import WorkerPool
from courriel.mailstore.ingest import prepare_content
from courriel.storage.records import IngestedMessage, MessageSummary

_LIMIT = struct.Struct("!Q")
# A summary's fields in declaration order, as a tuple (``MessageSummary(*values)`` reads it
# back; ``dataclasses.astuple`` would deep-copy every value first).
_SUMMARY_FIELDS = attrgetter(*(field.name for field in fields(MessageSummary)))


ContentFields = tuple[str, int, bool, bytes, tuple[Any, ...], str, int, bytes]
"""An ``IngestedMessage`` as ``marshal`` carries it: without the raw bytes."""


def content_fields(content: IngestedMessage) -> ContentFields:
    """``content`` without the raw bytes (the caller still has them)."""
    return (
        content.sha256,
        content.size,
        content.data is not None,
        content.parsed,
        _SUMMARY_FIELDS(content.summary),  # every field in declaration order
        content.body_text,
        content.wire_size,
        content.forms,
    )


def content_from_fields(fields: ContentFields, raw: bytes) -> IngestedMessage:
    """The ``IngestedMessage`` of ``raw`` that :func:`content_fields` gave."""
    sha256, size, inline, parsed, summary, body_text, wire_size, forms = fields
    return IngestedMessage(
        sha256=sha256,
        size=size,
        data=raw if inline else None,
        parsed=parsed,
        summary=MessageSummary(*summary),
        body_text=body_text,
        wire_size=wire_size,
        forms=forms,
    )


def prepare_wire(request: bytes) -> bytes:
    """The worker job: ``_LIMIT`` (the inline limit) then the raw message in, the
    prepared content out (:func:`content_fields`)."""
    (inline_limit,) = _LIMIT.unpack_from(request)
    return marshal.dumps(content_fields(prepare_content(request[_LIMIT.size :], inline_limit)))


PREPARE_JOB = "courriel.mailstore.parsing:prepare_wire"


class ParsePool:
    """``prepare_content`` on a :class:`WorkerPool` (its job ``job``, the pool shared
    with other work, see ``runtime``), or in-process when ``pool`` is None."""

    def __init__(self, inline_limit: int, pool: WorkerPool | None = None, job: int = 0) -> None:
        self.inline_limit = inline_limit
        self.pool = pool
        self.job = job

    async def prepare(self, raw: bytes, *, alone: bool = False) -> IngestedMessage:
        """``prepare_content(raw)``, by a worker process when there is one. ``alone`` says
        the caller has no other ingest in progress: a lone message is parsed here, which
        saves the pipe round trip when nothing else competes for this process's core."""
        if alone or self.pool is None:
            return prepare_content(raw, self.inline_limit)
        return await self.pool.run(
            self.job,
            _LIMIT.pack(self.inline_limit) + raw,
            lambda payload: content_from_fields(marshal.loads(payload), raw),  # noqa: S302 - our own worker
        )

    async def start(self) -> None:
        """Start the workers now rather than on the first concurrent message."""
        if self.pool is not None:
            await self.pool.start()

    async def close(self) -> None:
        """Stop the workers (pending requests are answered first)."""
        if self.pool is not None:
            await self.pool.close()
