"""Date header parsing (RFC 5322 §3.3 and the obsolete forms of §4.3): the UTC instant
(``parse_date``) and the calendar day as written (``parse_date_day``, RFC 9051 §6.4.4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.mail import parse_date, parse_date_day


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
        "1 Jan 2024 25:00:00 -0500",  # an impossible time voids the day too
        "1 Jan 2024 23:61:00 -0500",
        "2024-13-01T10:00:00Z",
        None,
    ],
)
def test_unparsable(text: str | None) -> None:
    assert parse_date(text) is None
    assert parse_date_day(text) is None


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


def day(year: int, month: int, day_of_month: int) -> int:
    return (date(year, month, day_of_month) - date(1970, 1, 1)).days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The zone never moves the day (RFC 9051 §6.4.4 "disregarding time and timezone"),
        # although it moves the UTC instant to another day.
        ("Mon, 1 Jan 2024 23:30:00 -0500", day(2024, 1, 1)),
        ("Mon, 1 Jan 2024 23:59:59 -1200", day(2024, 1, 1)),
        ("Mon, 1 Jan 2024 00:00:00 +1400", day(2024, 1, 1)),
        ("Mon, 1 Jan 2024 22:00:00 -0000", day(2024, 1, 1)),
        ("Mon, 1 Jan 2024 23:30:00", day(2024, 1, 1)),  # no zone
        ("Mon, 1 Jan 2024 23:30:00 EST", day(2024, 1, 1)),  # RFC 5322 §4.3 obs-zone
        ("Mon, 1 Jan 2024 23:30:00 PDT", day(2024, 1, 1)),
        ("Mon, 1 Jan 2024 23:30:00 Z", day(2024, 1, 1)),  # military zones: -0000
        ("Mon, 1 Jan 2024 23:30:00 A", day(2024, 1, 1)),
        ("Mon, 1 Jan 2024 01:30:00 Y", day(2024, 1, 1)),
        ("Mon, 1 Jan 2024 23:30:00 +9999", day(2024, 1, 1)),  # impossible zone
        ("Mon, 1 Jan 2024 23:30:00 -0500 (EST)", day(2024, 1, 1)),
        ("1 Jan 24 23:30 -0500", day(2024, 1, 1)),  # obs-year, no seconds
        ("Mon, 31 Dec 2023 23:59:60 -0800", day(2023, 12, 31)),  # leap second
        ("Mon Jan  1 23:30:00 2024", day(2024, 1, 1)),  # asctime
        ("2024-01-01T23:30:00-05:00", day(2024, 1, 1)),  # ISO 8601
        ("Thu, 1 Jan 1970 00:00:00 +0000", 0),
        ("Wed, 31 Dec 1969 23:00:00 -0500", -1),
        ("Tue, 1 Jan 1901 10:00:00 +0000", day(1901, 1, 1)),
    ],
)
def test_day_as_written(text: str, expected: int) -> None:
    assert parse_date_day(text) == expected


def test_the_instant_and_the_day_can_disagree() -> None:
    text = "Mon, 1 Jan 2024 23:30:00 -0500"
    assert parse_date(text) == 1704169800  # 2024-01-02T04:30:00Z
    assert parse_date_day(text) == day(2024, 1, 1)


@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9998, 12, 31)),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)
def test_day_is_the_date_in_the_written_zone(moment: datetime, offset: int) -> None:
    aware = moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=offset)))
    assert parse_date_day(format_datetime(aware)) == (moment.date() - date(1970, 1, 1)).days


@given(st.text(max_size=60))
def test_a_day_exactly_when_an_instant(text: str) -> None:
    assert (parse_date_day(text) is None) == (parse_date(text) is None)
