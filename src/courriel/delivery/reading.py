"""Read a message once for everything delivery needs from its bytes: what the spam filter
reads (``spam.analysis``) and what the store keeps (``mailstore.ingest``), from one parse.

Mail from another server is parsed when it is scored and again when it is stored, after
the fields delivery puts before it (``Return-Path``, the spam fields, the checks' results,
``Received``). Those fields are known only after scoring, but they are whole header
fields put before the message: ``mailstore.ingest.with_prefix`` moves the stored content
of the message as received to the message as stored, without a second parse. So
:func:`read` parses once and answers both, and :class:`MessageReader` runs it as one job
of the worker processes (``core.workers``; the job ``READ_JOB``): one trip through the
pipe instead of two. A lone delivery is read in-process, like a lone message at ingest:
with nothing else competing for this core the round trip would only add latency.

Must not: touch the store, the network or the clock.
"""

from __future__ import annotations

import marshal
from collections.abc import Callable
from dataclasses import dataclass

from courriel.core.workers import WorkerPool
from courriel.mail import parse_message
from courriel.mailstore.ingest import prepare_content
from courriel.mailstore.parsing import content_fields, content_from_fields
from courriel.spam.analysis import (
    Analysis,
    analysis_fields,
    analysis_from_fields,
    analyze,
    context_fields,
    context_from_fields,
)
from courriel.spam.rules import RuleContext
from courriel.storage.records import IngestedMessage

READ_JOB = "courriel.delivery.reading:read_wire"


@dataclass(frozen=True, slots=True)
class Reading:
    """A message as received, read: its content for the store (``with_prefix`` gives the
    content as stored) and, when asked, the spam filter's analysis."""

    content: IngestedMessage
    analysis: Analysis | None


def read(raw: bytes, inline_limit: int, context: RuleContext | None) -> Reading:
    """The :class:`Reading` of ``raw``, analysed for the spam filter under ``context``
    (None: not analysed)."""
    parsed = parse_message(raw)
    return Reading(
        prepare_content(raw, inline_limit, parsed),
        None if context is None else analyze(raw, context, parsed),
    )


def read_wire(request: bytes) -> bytes:
    """The worker job: the message, the inline limit and the context in (``marshal``),
    the reading out, without the message's bytes."""
    raw, inline_limit, context = marshal.loads(request)  # noqa: S302 - our own server's bytes
    found = read(raw, inline_limit, None if context is None else context_from_fields(context))
    analysis = None if found.analysis is None else analysis_fields(found.analysis)
    return marshal.dumps((content_fields(found.content), analysis))


class MessageReader:
    """:func:`read` on a :class:`WorkerPool` (its job ``job``), or in-process when there
    is no pool or ``busy()`` says this is the only delivery under way."""

    def __init__(
        self,
        inline_limit: int,
        pool: WorkerPool | None = None,
        job: int = 0,
        busy: Callable[[], bool] = lambda: True,
    ) -> None:
        self.inline_limit = inline_limit
        self.pool = pool
        self.job = job
        self.busy = busy

    async def read(self, raw: bytes, context: RuleContext | None) -> Reading:
        if self.pool is None or not self.busy():
            return read(raw, self.inline_limit, context)
        request = marshal.dumps(
            (raw, self.inline_limit, None if context is None else context_fields(context))
        )

        def decode(payload: bytes) -> Reading:
            content, analysis = marshal.loads(payload)  # noqa: S302 - our own worker
            return Reading(
                content_from_fields(content, raw),
                None if analysis is None else analysis_from_fields(analysis),
            )

        return await self.pool.run(self.job, request, decode)
