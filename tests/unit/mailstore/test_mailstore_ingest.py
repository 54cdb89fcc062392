"""Ingest keeps the Date: header twice: its UTC instant (SORT DATE, RFC 5256 §2.2) and the
calendar day it names in its own zone (SENTBEFORE/SENTON/SENTSINCE, RFC 9051 §6.4.4)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from courriel.mailstore.ingest import prepare_content

JAN_1_2024 = (date(2024, 1, 1) - date(1970, 1, 1)).days


def message(date_value: str | None) -> bytes:
    header = b"" if date_value is None else b"Date: " + date_value.encode() + b"\r\n"
    return header + b"From: a@example.test\r\nSubject: when\r\n\r\nbody\r\n"


def instant(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("date_value", "sent_date"),
    [
        ("Mon, 1 Jan 2024 23:30:00 -0500", instant("2024-01-02T04:30:00")),
        ("Mon, 1 Jan 2024 00:30:00 +1400", instant("2023-12-31T10:30:00")),
        ("Mon, 1 Jan 2024 23:59:00 -1200", instant("2024-01-02T11:59:00")),
        ("Mon, 1 Jan 2024 23:30:00", instant("2024-01-01T23:30:00")),  # no zone: -0000
        ("Mon, 1 Jan 2024 21:00:00 EST", instant("2024-01-02T02:00:00")),  # obs-zone
        ("Mon, 1 Jan 2024 23:30:00 CDT", instant("2024-01-02T04:30:00")),
        ("Mon, 1 Jan 2024 23:30:00 N", instant("2024-01-01T23:30:00")),  # military: -0000
        ("Mon, 1 Jan 2024 01:30:00 Y", instant("2024-01-01T01:30:00")),
        ("Mon,\r\n 1 Jan 2024 23:30:00\r\n -0500 (EST)", instant("2024-01-02T04:30:00")),
    ],
)
def test_the_day_is_the_one_written_in_the_header(date_value: str, sent_date: float) -> None:
    summary = prepare_content(message(date_value), 1 << 20).summary
    assert summary.sent_day == JAN_1_2024
    assert summary.sent_date == sent_date


@pytest.mark.parametrize(
    "date_value",
    [None, "", "tomorrow", "Mon, 30 Feb 2024 10:00:00 +0000", "1 Jan 2024 24:10:00 -0500"],
)
def test_no_day_without_a_parsable_date(date_value: str | None) -> None:
    summary = prepare_content(message(date_value), 1 << 20).summary
    assert summary.sent_day is None
    assert summary.sent_date is None
