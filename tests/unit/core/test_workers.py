"""core.workers: jobs run in worker processes answer like the same functions here, in
order, for several jobs in one pool; a job that raises fails only its caller, and the
pool goes on with a new worker. (Real worker processes; the jobs are standard-library
functions from bytes to bytes, which any process can import.)"""

from __future__ import annotations

import asyncio
import base64
import zlib

import pytest

from courriel.core.workers import WorkerPool, load_job

JOBS = ("zlib:compress", "base64:b64encode", "zlib:decompress")
COMPRESS, ENCODE, DECOMPRESS = range(3)


def same(payload: bytes) -> bytes:
    return payload


def test_jobs_are_named_functions() -> None:
    assert load_job("base64:b64encode") is base64.b64encode


async def test_several_jobs_pipelined_in_worker_processes() -> None:
    pool = WorkerPool(JOBS, workers=2)
    try:
        requests = [bytes([index % 251]) * index for index in range(300)]
        answers = await asyncio.gather(
            *(
                pool.run(COMPRESS if index % 2 else ENCODE, request, same)
                for index, request in enumerate(requests)
            )
        )
        assert pool.running == 2
        for index, (request, answer) in enumerate(zip(requests, answers, strict=True)):
            expected = zlib.compress(request) if index % 2 else base64.b64encode(request)
            assert answer == expected
        # ``decode`` reads each answer; ``here`` runs the job in this process.
        assert await pool.run(DECOMPRESS, zlib.compress(b"x" * 100), len) == 100
        assert await pool.run(DECOMPRESS, zlib.compress(b"abc"), bytes.upper, here=True) == b"ABC"
    finally:
        await pool.close()
    assert pool.running == 0


async def test_a_failing_job_fails_its_caller_only() -> None:
    pool = WorkerPool(JOBS, workers=1)
    try:
        good = [zlib.compress(bytes([index]) * 50) for index in range(20)]
        results = await asyncio.gather(
            *(pool.run(DECOMPRESS, request, same) for request in good[:10]),
            pool.run(DECOMPRESS, b"not zlib data", same),
            *(pool.run(DECOMPRESS, request, same) for request in good[10:]),
            return_exceptions=True,
        )
        assert isinstance(results[10], zlib.error)
        assert results[:10] + results[11:] == [zlib.decompress(request) for request in good]
        # The worker died with the failing job; the next request gets a new one.
        assert await pool.run(ENCODE, b"again", same) == b"YWdhaW4="
        assert pool.running == 1
    finally:
        await pool.close()


async def test_without_workers_everything_runs_here() -> None:
    pool = WorkerPool(JOBS, workers=0)
    assert await pool.run(ENCODE, b"here", same) == b"aGVyZQ=="
    assert pool.running == 0
    with pytest.raises(zlib.error):
        await pool.run(DECOMPRESS, b"nope", same)
    await pool.close()
