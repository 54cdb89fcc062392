"""Parse at ingest on the other CPU core: a parse worker process behind an asyncio pipe.

Parsing is pure Python and holds the GIL; in the server process it competes with the store's
writer thread and the protocol sessions, which capped ingest near 2,400 messages/s on the
2-core reference machine with a whole core idle. ``ParsePool`` hands raw messages to worker
processes (``python -m courriel.mailstore.parsing``) over their stdin and reads the results
from their stdout: length-prefixed frames, raw bytes in, a ``marshal``-ed tuple out (both
ends run the same interpreter, so marshal's format always matches). No thread is added to
the server process. Requests are pipelined and answered in order per worker.

If a worker dies or answers garbage, its in-flight requests are parsed in-process instead
and a new worker is started; ingest never fails because of the pool. Must not: touch the
store (the caller does), or hold state beyond the pipes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import marshal
import struct
import sys
from collections import deque
from dataclasses import astuple

from courriel.mailstore.ingest import prepare_content
from courriel.storage.records import IngestedMessage, MessageSummary

log = logging.getLogger("courriel.mailstore")

_HEADER = struct.Struct("!I")
MAX_FRAME = 1 << 30


def _to_wire(content: IngestedMessage) -> bytes:
    """The result without the raw bytes (the caller still has them)."""
    return marshal.dumps(
        (
            content.sha256,
            content.size,
            content.data is not None,
            content.parsed,
            astuple(content.summary),  # every field in declaration order; marshal keeps tuples
            content.body_text,
            content.wire_size,
            content.forms,
        )
    )


def _from_wire(payload: bytes, raw: bytes) -> IngestedMessage:
    sha256, size, inline, parsed, summary, body_text, wire_size, forms = marshal.loads(payload)  # noqa: S302 - our own worker
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


class _Worker:
    """One worker process and the requests it has not answered yet."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.waiting: deque[tuple[bytes, asyncio.Future[IngestedMessage]]] = deque()
        self.reader: asyncio.Task[None] | None = None


class ParsePool:
    """Worker processes that run ``prepare_content``; in-process when ``workers`` is 0."""

    def __init__(self, inline_limit: int, workers: int = 1) -> None:
        self.inline_limit = inline_limit
        self.size = workers
        self._workers: list[_Worker] = []
        self._next = 0
        self._starting: asyncio.Lock | None = None
        self._closed = False

    async def prepare(self, raw: bytes, *, alone: bool = False) -> IngestedMessage:
        """``prepare_content(raw)``, by a worker process when there is one. ``alone`` says
        the caller has no other ingest in progress: a lone message is parsed here, which
        saves the pipe round trip when nothing else competes for this process's core."""
        if alone or self.size == 0 or self._closed:
            return prepare_content(raw, self.inline_limit)
        return await self._prepare_remotely(raw)

    async def _prepare_remotely(self, raw: bytes) -> IngestedMessage:
        worker = await self._pick()
        if worker is None:
            return prepare_content(raw, self.inline_limit)
        future: asyncio.Future[IngestedMessage] = asyncio.get_running_loop().create_future()
        worker.waiting.append((raw, future))
        stdin = worker.process.stdin
        assert stdin is not None
        stdin.write(_HEADER.pack(len(raw)) + raw)
        return await future

    async def start(self) -> None:
        """Start the workers now rather than on the first concurrent message."""
        if self.size and not self._closed:
            await self._pick()

    async def _pick(self) -> _Worker | None:
        if len(self._workers) < self.size:
            if self._starting is None:
                self._starting = asyncio.Lock()
            async with self._starting:
                while len(self._workers) < self.size and not self._closed:
                    worker = await self._start_worker()
                    if worker is None:
                        return None
                    self._workers.append(worker)
        if not self._workers:
            return None
        self._next = (self._next + 1) % len(self._workers)
        return self._workers[self._next]

    async def _start_worker(self) -> _Worker | None:
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "courriel.mailstore.parsing",
                str(self.inline_limit),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError:
            log.exception("cannot start a parse worker; parsing in-process")
            self.size = 0
            return None
        worker = _Worker(process)
        worker.reader = asyncio.create_task(self._read_results(worker))
        return worker

    async def _read_results(self, worker: _Worker) -> None:
        stdout = worker.process.stdout
        assert stdout is not None
        try:
            while True:
                (length,) = _HEADER.unpack(await stdout.readexactly(_HEADER.size))
                payload = await stdout.readexactly(length)
                raw, future = worker.waiting[0]
                result = _from_wire(payload, raw)  # garbage raises: the request stays queued
                worker.waiting.popleft()
                if not future.done():
                    future.set_result(result)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not self._closed:
                log.warning(
                    "parse worker %s stopped; parsing its requests in-process", worker.process.pid
                )
        except Exception:  # a garbled answer, an unanswered frame: never lose a request
            log.exception(
                "parse worker %s answered garbage; parsing its requests in-process",
                worker.process.pid,
            )
        finally:
            self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        with contextlib.suppress(ValueError):
            self._workers.remove(worker)
        while worker.waiting:
            raw, future = worker.waiting.popleft()
            if future.done():
                continue
            try:
                future.set_result(prepare_content(raw, self.inline_limit))
            except Exception as error:  # a parser bug: that caller fails, the others go on
                future.set_exception(error)
        if worker.process.returncode is None:
            worker.process.kill()

    async def close(self) -> None:
        """Stop the workers (pending requests are answered first)."""
        self._closed = True
        for worker in list(self._workers):
            if worker.process.stdin is not None:
                worker.process.stdin.close()
            with contextlib.suppress(asyncio.TimeoutError, ProcessLookupError):
                await asyncio.wait_for(worker.process.wait(), 5)
            if worker.reader is not None:
                worker.reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker.reader
            self._retire(worker)


def _serve(inline_limit: int) -> None:
    """The worker's loop: frames of raw messages in on stdin, results out on stdout."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = source.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        (length,) = _HEADER.unpack(header)
        if length > MAX_FRAME:
            return
        raw = source.read(length)
        payload = _to_wire(prepare_content(raw, inline_limit))
        sink.write(_HEADER.pack(len(payload)) + payload)
        sink.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
