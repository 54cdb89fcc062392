"""Byte sizes and durations: the friendly text forms an operator may write."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from courriel.config.types import format_duration, format_size, parse_duration, parse_size

KIB = 1024
MIB = 1024**2
GIB = 1024**3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("4096", 4096),
        ("512 B", 512),
        ("50 MiB", 50 * MIB),
        ("50MiB", 50 * MIB),
        ("  50 mib  ", 50 * MIB),
        ("10M", 10 * MIB),
        ("10m", 10 * MIB),
        ("2K", 2 * KIB),
        ("1 GiB", GIB),
        ("1T", 1024**4),
        ("1.5 GB", 1_500_000_000),
        ("1.1 KB", 1100),
        ("10 MB", 10_000_000),
        ("0.5 KiB", 512),
        (".5 KiB", 512),
        ("1.50 MiB", 3 * MIB // 2),
    ],
)
def test_parse_size_accepts(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "must be a size"),
        ("fifty", "must be a size"),
        ("-5 MiB", "must be a size"),
        ("5 XB", "unknown size unit 'XB'"),
        ("5 MiB extra", "must be a size"),
        ("1.5 B", "not a whole number of bytes"),
        ("0.3 KiB", "not a whole number of bytes"),
    ],
)
def test_parse_size_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_size(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30", 30.0),
        ("30s", 30.0),
        ("15m", 900.0),
        ("4h", 14400.0),
        ("5d", 432000.0),
        ("1w", 604800.0),
        ("1h30m", 5400.0),
        ("1h 30m 15s", 5415.0),
        ("1.5s", 1.5),
        ("250ms", 0.25),
        ("2 minutes", 120.0),
        ("1 day", 86400.0),
        ("5D", 432000.0),
    ],
)
def test_parse_duration_accepts(text: str, expected: float) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "must be a duration"),
        ("soon", "must be a duration"),
        ("-5m", "must be a duration"),
        ("5 fortnights", "unknown duration unit 'fortnights'"),
        ("1h30", "must be a duration"),
        ("9" * 400 + "d", "too long"),
    ],
)
def test_parse_duration_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_duration(text)


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1536, "1536 B"), (2048, "2 KiB"), (50 * MIB, "50 MiB"), (3 * GIB, "3 GiB")],
)
def test_format_size_uses_the_largest_exact_unit(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0s"), (45.0, "45s"), (300.0, "5m"), (5400.0, "90m"), (7200.0, "2h"),
     (2592000.0, "30d"), (1.5, "1.5s")],
)  # fmt: skip
def test_format_duration_uses_the_largest_exact_unit(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.integers(min_value=0, max_value=2**62))
def test_sizes_round_trip_through_text(size: int) -> None:
    assert parse_size(format_size(size)) == size


@given(
    st.integers(min_value=0, max_value=10**12).map(float)
    | st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
)
def test_durations_round_trip_through_text(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
