"""spam.analysis: the CPU part of scoring gives the same answer in a worker process as
in-process, whatever the message and the authentication results; and a spam filter whose
messages are read by a worker scores exactly like one that reads them itself."""

from __future__ import annotations

from pathlib import Path

from courriel.core.workers import WorkerPool
from courriel.mailauth.results import MethodResult
from courriel.runtime.services import WORKER_JOBS, worker_analyzer
from courriel.spam.analysis import (
    ANALYZE_JOB,
    analyze,
    analyze_wire,
    decode_analysis,
    encode_request,
)
from courriel.spam.rules import RuleContext
from courriel.spam.service import SpamFilter
from courriel.spam.verdict import ScoredMessage
from support.services import temporary_services

CORPUS = Path(__file__).parents[2] / "data" / "spam-corpus"
MESSAGES = [path.read_bytes() for path in sorted(CORPUS.glob("*/*.eml"))]
CONTEXTS = [
    RuleContext(None, ()),
    RuleContext(
        (
            MethodResult("spf", "fail", None, (("smtp.mailfrom", "x@example.org"),)),
            MethodResult("dmarc", "fail", "p=reject", (("header.from", "example.org"),)),
        ),
        ("example.test", "exemple.fr"),
    ),
]


def test_the_wire_round_trip_is_the_in_process_analysis() -> None:
    assert len(MESSAGES) > 100
    for raw in [*MESSAGES, b"", b"\xff\xfe not a message"]:
        for context in CONTEXTS:
            remote = decode_analysis(analyze_wire(encode_request(raw, context)))
            assert remote == analyze(raw, context)


async def test_a_worker_process_answers_like_this_one() -> None:
    pool = WorkerPool([ANALYZE_JOB], 1)
    await pool.start()
    try:
        for raw in MESSAGES[:40]:
            found = await pool.run(0, encode_request(raw, CONTEXTS[1]), decode_analysis)
            assert found == analyze(raw, CONTEXTS[1])
        assert pool.running == 1
    finally:
        await pool.close()


async def score(spam: SpamFilter, raw: bytes, account_id: int) -> ScoredMessage:
    return await spam.check(
        raw,
        account_ids=[account_id],
        auth_results=CONTEXTS[1].auth_results,
        client_ip="192.0.2.1",
        recipient_domains=["example.test"],
    )


async def test_scoring_with_a_worker_equals_scoring_here(tmp_path: Path) -> None:
    async with temporary_services(tmp_path) as services:
        await services.directory.add_domain("example.test", dkim=False)
        bob = (await services.directory.add_account("bob@example.test", None)).id
        pool = WorkerPool(WORKER_JOBS, 1)
        try:
            for raw in MESSAGES[::7]:
                services.spam.analyzer = None
                here = await score(services.spam, raw, bob)
                services.spam.analyzer = worker_analyzer(pool, lambda: True)
                assert await score(services.spam, raw, bob) == here
            assert pool.running == 1
        finally:
            await pool.close()
