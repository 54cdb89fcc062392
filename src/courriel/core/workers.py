"""Pure CPU work on the other core: worker processes behind asyncio pipes.

Parsing a message at ingest and reading it for the spam filter are pure Python and hold
the GIL; in the server process they compete with the store's writer thread and every
protocol session (ingest capped near 2,400 messages/s on the 2-core reference machine
with a whole core idle, and spam scoring took a millisecond of the event loop per
message). A :class:`WorkerPool` runs such jobs in worker processes (``python -m
courriel.core.workers JOB...``). A job is a module-level function ``bytes -> bytes``,
named ``"package.module:function"``: the pool and the worker import the same function,
so a job runs the same anywhere. Requests are framed ``!IB`` (length, job number) then
the bytes; answers ``!I`` then the bytes, which the caller's ``decode`` turns into its
result as they arrive. Requests are pipelined and answered in order per worker; the
workers are used in turn. No thread is added to the server process.

If a worker dies or answers garbage (an answer ``decode`` rejects), its pending requests
run in-process instead and a new worker is started on the next request: a job never fails
because of the pool. A job that raises fails its caller, in-process or not (the worker
dies with it, and is replaced).

Must not: know what the jobs do (their modules encode and decode their own bytes), or
hold state beyond the pipes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import struct
import sys
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger("courriel.workers")

Job = Callable[[bytes], bytes]
T = TypeVar("T")

_REQUEST = struct.Struct("!IB")
_ANSWER = struct.Struct("!I")
MAX_FRAME = 1 << 30


def load_job(name: str) -> Job:
    """The function ``"package.module:function"`` names."""
    module_name, _, function_name = name.partition(":")
    function: Job = getattr(importlib.import_module(module_name), function_name)
    return function


@dataclass(frozen=True, slots=True)
class _Request(Generic[T]):
    """A request sent to a worker, how to read its answer, and who waits for it."""

    job: int
    request: bytes
    decode: Callable[[bytes], T]
    future: asyncio.Future[T]


class _Worker:
    """One worker process and the requests it has not answered yet."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.waiting: deque[_Request[Any]] = deque()
        self.reader: asyncio.Task[None] | None = None


class WorkerPool:
    """``workers`` processes running ``jobs`` (job number = position); in-process when
    ``workers`` is 0."""

    def __init__(self, jobs: Sequence[str], workers: int = 1) -> None:
        if len(jobs) > 255:
            raise ValueError("at most 255 jobs")
        self.job_names = tuple(jobs)
        self.jobs = tuple(load_job(name) for name in jobs)
        self.size = workers
        self._workers: list[_Worker] = []
        self._next = 0
        self._starting: asyncio.Lock | None = None
        self._closed = False

    @property
    def running(self) -> int:
        """Worker processes running now."""
        return len(self._workers)

    async def run(
        self, job: int, request: bytes, decode: Callable[[bytes], T], *, here: bool = False
    ) -> T:
        """``decode(jobs[job](request))``, by a worker process when there is one. ``here``
        runs it in this process (the caller knows nothing competes for this core: it
        saves the pipe round trip)."""
        if here or self.size == 0 or self._closed:
            return decode(self.jobs[job](request))
        worker = await self._pick()
        if worker is None:
            return decode(self.jobs[job](request))
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        worker.waiting.append(_Request(job, request, decode, future))
        stdin = worker.process.stdin
        assert stdin is not None
        stdin.write(_REQUEST.pack(len(request), job) + request)
        return await future

    async def start(self) -> None:
        """Start the workers now rather than on the first request."""
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
                "courriel.core.workers",
                *self.job_names,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        except OSError:
            log.exception("cannot start a worker process; working in-process")
            self.size = 0
            return None
        worker = _Worker(process)
        worker.reader = asyncio.create_task(self._read_answers(worker))
        return worker

    async def _read_answers(self, worker: _Worker) -> None:
        stdout = worker.process.stdout
        assert stdout is not None
        try:
            while True:
                (length,) = _ANSWER.unpack(await stdout.readexactly(_ANSWER.size))
                if length > MAX_FRAME:
                    raise ValueError(f"answer of {length} bytes")
                payload = await stdout.readexactly(length)
                pending = worker.waiting[0]
                result = pending.decode(payload)  # garbage raises: the request stays queued
                worker.waiting.popleft()
                if not pending.future.done():
                    pending.future.set_result(result)
        except (asyncio.IncompleteReadError, ConnectionError):
            if not self._closed:
                log.warning(
                    "worker %s stopped; running its requests in-process", worker.process.pid
                )
        except Exception:  # an unanswered frame, garbage: never lose a request
            log.exception(
                "worker %s answered garbage; running its requests in-process",
                worker.process.pid,
            )
        finally:
            self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        with contextlib.suppress(ValueError):
            self._workers.remove(worker)
        while worker.waiting:
            pending = worker.waiting.popleft()
            if pending.future.done():
                continue
            try:
                pending.future.set_result(pending.decode(self.jobs[pending.job](pending.request)))
            except Exception as error:  # a bug in the job: that caller fails, others go on
                pending.future.set_exception(error)
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


def _serve(jobs: Sequence[Job]) -> None:
    """The worker's loop: requests in on stdin, answers out on stdout, in order."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = source.read(_REQUEST.size)
        if len(header) < _REQUEST.size:
            return
        length, job = _REQUEST.unpack(header)
        if length > MAX_FRAME or job >= len(jobs):
            return
        answer = jobs[job](source.read(length))
        sink.write(_ANSWER.pack(len(answer)) + answer)
        sink.flush()


if __name__ == "__main__":
    _serve([load_job(name) for name in sys.argv[1:]])
