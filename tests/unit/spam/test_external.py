"""``spam.external``: how an external scanner's opinion weighs in our score, what the
report says, and what happens when the scanner does not answer."""

from __future__ import annotations

import pytest

from courriel.config.schema import SpamSettings
from courriel.spam.external import (
    ExternalScannerClient,
    ExternalSpamCheck,
    external_hit,
    external_weight,
)
from courriel.spam.external_wire import ExternalReport
from courriel.spam.rspamd_protocol import ScanContext
from courriel.spam.verdict import ScoredMessage, SpamVerdict
from courriel.spam.weights import Hit
from support.scripted_daemon import closed_port_address, scripted_daemon

SETTINGS = SpamSettings()  # junk 5, reject 15
MESSAGE = b"From: a@example.org\r\nSubject: hi\r\n\r\nHello\r\n"
SPAMD_SPAM = b"SPAMD/1.1 0 EX_OK\r\nContent-length: 5\r\nSpam: True ; 7.5 / 5.0\r\n\r\nGTUBE"


def spamd(score: float, threshold: float = 5.0, *, spam: bool | None = None) -> ExternalReport:
    is_spam = score >= threshold if spam is None else spam
    return ExternalReport(
        "spamd", score, threshold, "junk", "spam" if is_spam else "no action", is_spam, False, ()
    )


def rspamd(score: float, action: str, required: float = 15.0) -> ExternalReport:
    return ExternalReport(
        "rspamd",
        score,
        required,
        "reject",
        action,
        action in ("add header", "rewrite subject", "reject"),
        action == "reject",
        (),
    )


@pytest.mark.parametrize(
    ("report", "junk", "reject", "weight"),
    [
        (spamd(5.0), 5.0, 15.0, 5.0),  # their threshold is our junk threshold
        (spamd(2.5), 5.0, 15.0, 2.5),
        (spamd(2.5, threshold=10.0), 5.0, 15.0, 1.25),  # scaled
        (spamd(-2.0), 5.0, 15.0, -2.0),  # ham evidence counts too
        (spamd(1000.0), 5.0, 15.0, 1000.0),  # GTUBE
        (spamd(1.0, spam=True), 5.0, 15.0, 5.0),  # a user preference said spam: at least junk
        (spamd(1.0, threshold=0.0, spam=False), 5.0, 15.0, 1.0),  # no threshold: unscaled
        (rspamd(3.5, "no action"), 5.0, 15.0, 3.5),  # rspamd's scale is ours by default
        (rspamd(6.0, "add header"), 5.0, 15.0, 6.0),
        (rspamd(3.0, "add header"), 5.0, 15.0, 5.0),  # its verdict floors ours
        (rspamd(15.0, "reject"), 5.0, 15.0, 15.0),  # GTUBE through rspamd
        (rspamd(3.0, "reject", 30.0), 5.0, 15.0, 15.0),
        (rspamd(15.0, "reject"), 5.0, 0.0, 5.0),  # we never reject: their reject is our junk
        (rspamd(4.0, "greylist"), 5.0, 15.0, 4.0),  # greylisting is not a spam verdict
    ],
)
def test_weights(report: ExternalReport, junk: float, reject: float, weight: float) -> None:
    assert external_weight(report, junk_score=junk, reject_score=reject) == weight


def test_hit_lists_the_strongest_rules_within_bounds() -> None:
    symbols = tuple((f"SYMBOL_NUMBER_{index}", index / 10) for index in range(40))
    report = ExternalReport("rspamd", 12.0, 15.0, "reject", "add header", True, False, symbols)
    found = external_hit(report, junk_score=5.0, reject_score=15.0)
    assert found.name == "RSPAMD" and found.weight == 12.0
    assert found.description.startswith(
        "rspamd score 12 (reject from 15), add header: SYMBOL_NUMBER_39(3.9) SYMBOL_NUMBER_38"
    )
    assert found.description.endswith(" more") and len(found.description) <= 200
    empty = external_hit(spamd(0.0), junk_score=5.0, reject_score=15.0)
    assert empty.description == "spamd score 0 (spam from 5), no action: no rules"


def verdict(account_id: int, total: float, action: str = "headers") -> SpamVerdict:
    return SpamVerdict(account_id, total, 5.0, 15.0, action, (Hit("MISSING_DATE", total, "x"),))  # type: ignore[arg-type]


def test_fold_adds_the_hit_and_recomputes_each_action() -> None:
    scored = ScoredMessage({1: verdict(1, 1.0), 2: verdict(2, -3.0)}, "a@example.org")
    folded = scored.with_shared_hits((Hit("SPAMD", 6.0, "spamd ..."),), SETTINGS)
    assert folded.verdicts[1].score == 7.0 and folded.verdicts[1].action == "junk"
    assert folded.verdicts[2].score == 3.0 and folded.verdicts[2].action == "headers"
    assert folded.verdicts[1].hits[-1].name == "SPAMD"
    assert b"SPAMD" in folded.verdicts[1].headers()
    rejected = scored.with_shared_hits((Hit("RSPAMD", 15.0, "r"),), SETTINGS)
    assert rejected.verdicts[1].action == "reject" and not rejected.rejected  # 2 outvotes
    assert scored.with_shared_hits((), SETTINGS) is scored
    off = ScoredMessage({1: SpamVerdict(1, 0.0, 5.0, 15.0, "none", ())}, None)
    assert off.with_shared_hits((Hit("SPAMD", 9.0, "s"),), SETTINGS) == off


def test_scanner_from_address() -> None:
    assert ExternalScannerClient(closed_port_address("rspamd"), timeout=1).name == "rspamd"
    assert ExternalScannerClient(closed_port_address("spamd"), timeout=1).name == "spamd"
    with pytest.raises(ValueError, match="no external spam scanner"):
        ExternalScannerClient(closed_port_address(""), timeout=1)


async def consult(check: ExternalSpamCheck) -> tuple[tuple[Hit, ...], bool]:
    opinion = await check.consult(MESSAGE, ScanContext(), junk_score=5.0, reject_score=15.0)
    return opinion.hits, opinion.tempfail


async def test_consult_spamd_over_a_socket() -> None:
    async with scripted_daemon(SPAMD_SPAM, protocol="spamd") as address:
        check = ExternalSpamCheck(
            ExternalScannerClient(address, timeout=5), max_size=10_000, on_unreachable="tempfail"
        )
        hits, tempfail = await consult(check)
    assert not tempfail
    assert hits == (Hit("SPAMD", 7.5, "spamd score 7.5 (spam from 5), spam: GTUBE"),)


@pytest.mark.parametrize("policy", ["accept", "tempfail"])
async def test_unreachable_follows_the_policy(policy: str) -> None:
    check = ExternalSpamCheck(
        ExternalScannerClient(closed_port_address("rspamd"), timeout=5),
        max_size=10_000,
        on_unreachable=policy,  # type: ignore[arg-type]
    )
    [hit], tempfail = await consult(check)
    assert tempfail is (policy == "tempfail")
    assert hit.name == "RSPAMD_NOT_RUN" and hit.weight == 0.0
    assert hit.description.startswith("the rspamd scan did not run: rspamd unreachable: cannot")


async def test_garbage_and_oversize() -> None:
    async with scripted_daemon(b"HTTP/1.1 200 OK\r\n\r\nnonsense", protocol="rspamd") as address:
        check = ExternalSpamCheck(
            ExternalScannerClient(address, timeout=5), max_size=10_000, on_unreachable="accept"
        )
        [hit], tempfail = await consult(check)
    assert hit.name == "RSPAMD_NOT_RUN" and "not JSON" in hit.description and not tempfail
    too_small = ExternalSpamCheck(
        ExternalScannerClient(closed_port_address("rspamd"), timeout=5),
        max_size=10,
        on_unreachable="tempfail",
    )
    [hit], tempfail = await consult(too_small)
    assert not tempfail  # retrying would not make it smaller
    assert hit.description == "the rspamd scan did not run: message larger than external_max_size"
