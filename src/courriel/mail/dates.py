"""The Date header as a UTC timestamp (SORT DATE) and as the day it names (SENT* searches).

Owns: tolerant parsing of RFC 5322 §3.3 date-time, with the obsolete forms of §4.3 (two-
and three-digit years, alphabetic zones, missing seconds, comments, a missing day-of-week
comma) and two common non-standard forms (asctime ``Tue Jan  2 10:00:00 2024`` and ISO 8601
``2024-01-02T10:00:00Z``). Unknown or military zones count as ``-0000`` (RFC 5322 §4.3).
Two readings of one value: :func:`parse_date`, the instant in UTC (RFC 5256 §2.2 sorts by
it), and :func:`parse_date_day`, the calendar day as written in the header's own zone
(IMAP SENTBEFORE/SENTON/SENTSINCE compare it "disregarding time and timezone", RFC 9051
§6.4.4): ``Mon, 1 Jan 2024 23:30:00 -0500`` is 2 January in UTC but was sent on 1 January.

Must not: raise, read the clock, or consult the local time zone; an impossible date gives
None.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from courriel.mail.params import strip_comments

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MAX_DATE_TEXT = 256  # a date with comments fits easily; a 1 MB one is junk

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# RFC 5322 §4.3 obs-zone, plus a few unambiguous names that real mailers send.
_ZONES = {
    "ut": 0,
    "utc": 0,
    "gmt": 0,
    "z": 0,
    "est": -300,
    "edt": -240,
    "cst": -360,
    "cdt": -300,
    "mst": -420,
    "mdt": -360,
    "pst": -480,
    "pdt": -420,
    "wet": 0,
    "west": 60,
    "cet": 60,
    "cest": 120,
    "met": 60,
    "mest": 120,
    "eet": 120,
    "eest": 180,
    "jst": 540,
    "kst": 540,
}

# The canonical RFC 5322 §3.3 form, which nearly every message uses.
_CANONICAL = re.compile(
    r"(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d\d):(\d\d):(\d\d) ([+-]\d{4})\Z"
)
_RFC5322 = re.compile(
    r"""[ \t]*(?:[A-Za-z]+[ \t]*,?[ \t]*)?
    (\d{1,2})[ \t]*-?[ \t]*([A-Za-z]{3,9})\.?[ \t]*-?[ \t]*(\d{2,4})
    [ \t]+(\d{1,2})[ \t]*:[ \t]*(\d{1,2})(?:[ \t]*:[ \t]*(\d{1,2}))?(?:\.\d+)?
    [ \t]*([+-][ \t]*\d{1,2}:?\d{2}|[A-Za-z]{1,5})?""",
    re.X,
)
_ASCTIME = re.compile(
    r"""[ \t]*(?:[A-Za-z]+,?[ \t]+)?([A-Za-z]{3,9})[ \t]+(\d{1,2}),?[ \t]+
    (\d{1,2}):(\d{1,2})(?::(\d{1,2}))?[ \t]+(?:([+-]\d{4}|[A-Za-z]{1,5})[ \t]+)?(\d{4})""",
    re.X,
)
_ISO = re.compile(
    r"[ \t]*(\d{4})-(\d{1,2})-(\d{1,2})[T \t]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?"
    r"[ \t]*(Z|[+-]\d{2}:?\d{2}|[A-Za-z]{1,5})?"
)


def _zone_minutes(zone: str | None) -> int:
    if not zone:
        return 0
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "").replace(" ", "").replace("\t", "")
        if len(digits) < 3:
            return 0
        hours, minutes = int(digits[:-2]), int(digits[-2:])
        if hours > 23 or minutes > 59:
            return 0
        total = hours * 60 + minutes
        return -total if zone[0] == "-" else total
    return _ZONES.get(zone.lower(), 0)


class _Written(NamedTuple):
    """The fields of a date-time as the header writes them, not yet validated."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    zone: str | None


def _day_number(written: _Written) -> int | None:
    """Days from 1970-01-01 to the written date, or None when the date-time is impossible."""
    if written.hour > 23 or written.minute > 59 or written.second > 60:
        return None
    try:  # date() validates the day of the month, leap years included
        return date(written.year, written.month, written.day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        return None


def _epoch(written: _Written) -> int | None:
    days = _day_number(written)
    if days is None:
        return None
    second = min(written.second, 59)  # a leap second sorts with the second before it
    clock = written.hour * 3600 + written.minute * 60 + second
    return days * 86400 + clock - _zone_minutes(written.zone) * 60


def _full_year(digits: str) -> int:
    year = int(digits)
    if len(digits) == 2:  # RFC 5322 §4.3 obs-year
        return year + (2000 if year < 50 else 1900)
    if len(digits) == 3:
        return year + 1900
    return year


def _read(text: str | None) -> _Written | None:
    """The fields of the first form that matches, or None."""
    if not text:
        return None
    text = text[:_MAX_DATE_TEXT]
    match = _CANONICAL.match(text)
    if match is not None:
        day, month_name, year, hour, minute, second, zone = match.groups()
        month = _MONTHS.get(month_name.lower())
        if month is None:
            return None
        return _Written(int(year), month, int(day), int(hour), int(minute), int(second), zone)
    if "(" in text:
        text = strip_comments(text)
    match = _RFC5322.match(text)
    if match is not None:
        month = _MONTHS.get(match.group(2)[:3].lower())
        if month is None:
            return None
        return _Written(
            _full_year(match.group(3)),
            month,
            int(match.group(1)),
            int(match.group(4)),
            int(match.group(5)),
            int(match.group(6) or 0),
            match.group(7),
        )
    match = _ISO.match(text)
    if match is not None:
        return _Written(
            int(match.group(1)),
            int(match.group(2)),
            int(match.group(3)),
            int(match.group(4)),
            int(match.group(5)),
            int(match.group(6) or 0),
            match.group(7),
        )
    match = _ASCTIME.match(text)
    if match is not None:
        month = _MONTHS.get(match.group(1)[:3].lower())
        if month is None:
            return None
        return _Written(
            int(match.group(7)),
            month,
            int(match.group(2)),
            int(match.group(3)),
            int(match.group(4)),
            int(match.group(5) or 0),
            match.group(6),
        )
    return None


def parse_date(text: str | None) -> int | None:
    """Seconds since the epoch (UTC) for a Date header value, or None when unparsable."""
    written = _read(text)
    return None if written is None else _epoch(written)


def parse_date_day(text: str | None) -> int | None:
    """The calendar day a Date header value names in its own zone, as days since
    1970-01-01 (negative before), or None exactly when :func:`parse_date` gives None.

    The zone, known, unknown or absent, never moves the day: RFC 9051 §6.4.4 SENT* keys
    compare the date "disregarding time and timezone".
    """
    written = _read(text)
    return None if written is None else _day_number(written)
