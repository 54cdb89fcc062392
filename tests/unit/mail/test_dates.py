"""Date header parsing (RFC 5322 §3.3 and the obsolete forms of §4.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.mail import parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 2 Jan 2024 10:00:00 +0100", 1704186000),
        ("2 Jan 2024 10:00 -0500", 1704207600),  # no day name, no seconds
        ("Tue,  2 Jan 24 10:00:00 EST", 1704207600),  # obs-year, obs-zone
        ("Tue 2 Jan 2024 10:00:00 GMT (comment)", 1704189600),
        ("Fri, 21 Nov 97 09:55:06 -0600 (MDT)", 880127706),
        ("Tue Jan  2 10:00:00 2024", 1704189600),  # asctime
        ("2024-01-02T10:00:00Z", 1704189600),  # ISO 8601
        ("Thu, 1 Jan 1970 00:00:00 +0000", 0),
        ("Tue, 2 January 2024 10:00:00 +0000", 1704189600),
        ("Tue, 2 Jan 2024 10:00:00 Q", 1704189600),  # military zone: -0000
        ("Tue, 2 Jan 2024 10:00:00 +9999", 1704189600),  # impossible zone: ignored
    ],
)
def test_parse(text: str, expected: int) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "garbage",
        "Sat, 29 Feb 2023 10:00:00 +0000",
        "32 Jan 2024 10:00:00 +0000",
        "1 Foo 2024 10:00:00 +0000",
        "1 Jan 2024 25:00:00 +0000",
        None,
    ],
)
def test_unparsable(text: str | None) -> None:
    assert parse_date(text) is None


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9998, 12, 31)),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)
def test_round_trip_with_stdlib_formatting(moment: datetime, offset: int) -> None:
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset)))
    assert parse_date(format_datetime(aware)) == int(aware.astimezone(UTC).timestamp())


@given(st.text(max_size=60))
def test_never_raises(text: str) -> None:
    parse_date(text)
