"""``VirusScreen``: the verdict for a message under ``[antivirus]``, and the
``X-Virus-Scan`` field."""

from __future__ import annotations

import pytest

from courriel.antivirus import FIELD, ClamdClient, VirusScreen, remove_virus_fields
from courriel.antivirus.clamd_protocol import ScanReply
from support.scripted_daemon import closed_port_address, scripted_daemon

MESSAGE = b"From: a@example.org\r\nSubject: hi\r\n\r\nHello\r\n"


class Broken:
    name = "clamd"

    async def scan(self, data: bytes) -> ScanReply:
        raise RuntimeError("bug")


async def test_clean_gets_a_short_field() -> None:
    async with scripted_daemon(b"stream: OK\0") as address:
        screen = VirusScreen(
            ClamdClient(address, timeout=5), max_size=1000, on_unreachable="tempfail"
        )
        screening = await screen.screen(MESSAGE)
    assert screening.outcome == "clean" and not screening.infected and not screening.tempfail
    assert screening.header() == b"X-Virus-Scan: clean (clamd)\r\n"


async def test_infected_is_refused_without_a_field() -> None:
    async with scripted_daemon(b"stream: Eicar-Test-Signature FOUND\0") as address:
        screen = VirusScreen(
            ClamdClient(address, timeout=5), max_size=1000, on_unreachable="accept"
        )
        screening = await screen.screen(MESSAGE)
    assert screening.infected and screening.signature == "Eicar-Test-Signature"
    assert screening.header() == b""
    assert screening.explanation() == "Message refused: it contains a virus (Eicar-Test-Signature)"


@pytest.mark.parametrize(
    ("policy", "tempfail", "header"),
    [
        ("accept", False, b"X-Virus-Scan: not run (clamd unreachable)\r\n"),
        ("tempfail", True, b""),
    ],
)
async def test_unreachable_follows_the_policy(policy: str, tempfail: bool, header: bytes) -> None:
    screen = VirusScreen(
        ClamdClient(closed_port_address(), timeout=5),
        max_size=1000,
        on_unreachable=policy,  # type: ignore[arg-type]
    )
    screening = await screen.screen(MESSAGE)
    assert screening.outcome == "not-run" and screening.tempfail is tempfail
    assert screening.header() == header


async def test_a_clamd_error_or_a_bug_is_not_run() -> None:
    async with scripted_daemon(b"stream: Can't allocate memory ERROR\0") as address:
        screen = VirusScreen(
            ClamdClient(address, timeout=5), max_size=1000, on_unreachable="accept"
        )
        screening = await screen.screen(MESSAGE)
    assert screening.header() == b"X-Virus-Scan: not run (clamd error)\r\n"
    broken = VirusScreen(Broken(), max_size=1000, on_unreachable="tempfail")
    assert (await broken.screen(MESSAGE)).tempfail


async def test_too_large_is_accepted_unscanned_whatever_the_policy() -> None:
    screen = VirusScreen(Broken(), max_size=10, on_unreachable="tempfail")
    screening = await screen.screen(MESSAGE)
    assert screening.outcome == "too-large" and not screening.tempfail
    assert screening.header() == b"X-Virus-Scan: not run (message too large)\r\n"
    async with scripted_daemon(b"INSTREAM size limit exceeded. ERROR\0") as address:
        over_clamd = VirusScreen(
            ClamdClient(address, timeout=5), max_size=1000, on_unreachable="tempfail"
        )
        assert (await over_clamd.screen(MESSAGE)).outcome == "too-large"


def test_forged_fields_are_removed_from_the_header_only() -> None:
    raw = (
        b"X-Virus-Scan: clean (clamd)\r\nFrom: a@example.org\r\nx-virus-scan: clean\r\n"
        b" folded\r\nSubject: hi\r\n\r\nX-Virus-Scan: in the body stays\r\n"
    )
    assert remove_virus_fields(raw) == (
        b"From: a@example.org\r\nSubject: hi\r\n\r\nX-Virus-Scan: in the body stays\r\n"
    )
    assert FIELD == "X-Virus-Scan"
    assert remove_virus_fields(MESSAGE) == MESSAGE
