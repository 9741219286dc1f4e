"""Dates as text for compiled ECMAScript: time values to calendar fields and
back, the `toString` family, and what `Date.parse` reads.

A time value is milliseconds since 1970-01-01 UTC as a float (NaN for an
invalid date). Local fields are in the host's time zone. `Date.parse` reads the
ISO format (a date alone is UTC, a date and time without an offset is local,
as in ES2015 and later engines), the formats `toString` and `toUTCString`
write, RFC 2822 dates, `Month D, YYYY [time]`, `MM/DD/YYYY [time]` and
`YYYY/MM/DD [time]`; anything else is NaN, as engines give for text they
cannot read.
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Final

__all__ = [
    "fields",
    "iso_text",
    "locale_text",
    "make_time",
    "parse_date",
    "text",
]

_EPOCH: Final = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_EPOCH_DAY: Final = datetime.date(1970, 1, 1).toordinal()
_DAY_MS: Final = 86_400_000
MAX_TIME: Final = 8.64e15
_DAYS: Final = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def moment(time: float, local: bool) -> datetime.datetime:
    """The moment of a valid time value, in the host's zone or in UTC."""
    utc = _EPOCH + datetime.timedelta(milliseconds=time)
    return utc.astimezone() if local else utc


def fields(time: float, local: bool) -> list[int]:
    """[year, month (0-11), day, hours, minutes, seconds, ms] of a valid time."""
    at = moment(time, local)
    return [
        at.year,
        at.month - 1,
        at.day,
        at.hour,
        at.minute,
        at.second,
        at.microsecond // 1000,
    ]


def make_time(parts: list[float], local: bool) -> float:
    """ECMAScript's MakeDate(MakeDay, MakeTime) of [year, month, day, hours,
    minutes, seconds, ms], months and days overflowing into the next (day 0 is
    the last of the month before); local fields are converted to UTC. NaN if a
    part is not finite or the date is out of range."""
    if not all(math.isfinite(p) for p in parts):
        return math.nan
    year, month, day, hours, minutes, seconds, ms = (int(p) for p in parts)
    year, month = year + month // 12, month % 12
    if not 1 <= year <= 9999:
        return math.nan
    days = datetime.date(year, month + 1, 1).toordinal() - _EPOCH_DAY + day - 1
    time = float(days * _DAY_MS + ((hours * 60 + minutes) * 60 + seconds) * 1000 + ms)
    if local:
        time = _local_to_utc(time)
    return time if abs(time) <= MAX_TIME else math.nan


def _local_to_utc(time: float) -> float:
    """A local time value (as if the local fields were UTC) as a UTC one."""
    try:
        naive = datetime.datetime(1970, 1, 1) + datetime.timedelta(milliseconds=time)
    except OverflowError:
        return math.nan
    offset = naive.astimezone().utcoffset() or datetime.timedelta()
    return time - offset.total_seconds() * 1000


def offset_minutes(time: float) -> int:
    """`getTimezoneOffset()`: minutes from local time to UTC (UTC minus local)."""
    offset = moment(time, True).utcoffset() or datetime.timedelta()
    return -int(offset.total_seconds() // 60)


def _zone(at: datetime.datetime) -> str:
    offset = at.utcoffset() or datetime.timedelta()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"GMT{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d} ({at.tzname()})"


def text(time: float, part: str = "both") -> str:
    """`toString()` ("Tue Nov 14 2023 22:13:20 GMT+0000 (UTC)"), or its date
    or time half (`toDateString`, `toTimeString`)."""
    at = moment(time, True)
    day = f"{_DAYS[(at.weekday() + 1) % 7]} {_MONTHS[at.month - 1]} {at.day:02d} {at.year:04d}"
    clock = f"{at.hour:02d}:{at.minute:02d}:{at.second:02d} {_zone(at)}"
    return {"date": day, "time": clock}.get(part, f"{day} {clock}")


def utc_text(time: float) -> str:
    """`toUTCString()`: "Tue, 14 Nov 2023 22:13:20 GMT"."""
    at = moment(time, False)
    return (
        f"{_DAYS[(at.weekday() + 1) % 7]}, {at.day:02d} {_MONTHS[at.month - 1]} "
        f"{at.year:04d} {at.hour:02d}:{at.minute:02d}:{at.second:02d} GMT"
    )


def iso_text(time: float) -> str:
    """`toISOString()`: "2023-11-14T22:13:20.000Z"."""
    at = moment(time, False)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def locale_text(time: float, part: str = "both") -> str:
    """`toLocaleString()` in en-US ("11/14/2023, 10:13:20 PM"), or its date or
    time half (`toLocaleDateString`, `toLocaleTimeString`)."""
    at = moment(time, True)
    day = f"{at.month}/{at.day}/{at.year}"
    hour = at.hour % 12 or 12
    clock = f"{hour}:{at.minute:02d}:{at.second:02d} {'AM' if at.hour < 12 else 'PM'}"
    return {"date": day, "time": clock}.get(part, f"{day}, {clock}")


# -- parsing ---------------------------------------------------------------------------

_ISO: Final = re.compile(
    r"([+-]\d{6}|\d{4})(?:-(\d\d)(?:-(\d\d))?)?"
    r"(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?)?"
    r"(Z|[+-]\d\d:?\d\d)?",
    re.IGNORECASE,
)


def parse_date(value: str) -> float:
    """`Date.parse(text)`: the time value, NaN if the text is no date it reads."""
    value = value.strip()
    found = _ISO.fullmatch(value)
    if found is not None:
        return _from_iso(found)
    return _from_words(value)


def _from_iso(found: re.Match[str]) -> float:
    year, month, day, hours, minutes, seconds, fraction, zone = found.groups()
    ms = int((fraction or "0")[:3].ljust(3, "0"))
    parts = [
        float(int(year)),
        float(int(month or 1) - 1),
        float(int(day or 1)),
        float(int(hours or 0)),
        float(int(minutes or 0)),
        float(int(seconds or 0)),
        float(ms),
    ]
    if not _valid(parts):
        return math.nan
    local = zone is None and hours is not None
    time = make_time(parts, local)
    return time - _offset_ms(zone) if zone else time


def _valid(parts: list[float]) -> bool:
    """Whether month, day, hours, minutes and seconds are in their ranges
    (hour 24 only as 24:00:00)."""
    _, month, day, hours, minutes, seconds, ms = parts
    if hours == 24 and (minutes or seconds or ms):
        return False
    return (
        0 <= month <= 11
        and 1 <= day <= 31
        and hours <= 24
        and minutes < 60
        and seconds < 60
    )


def _offset_ms(zone: str) -> float:
    """The milliseconds of an offset `Z`, `+hh:mm`, `-hhmm`."""
    if zone.upper() in ("Z", "UTC", "GMT", "UT"):
        return 0.0
    digits = zone[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return (minutes if zone[0] == "+" else -minutes) * 60_000.0


_MONTH: Final = r"(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_TIME: Final = (
    r"(?:[ ,T]+(?P<hours>\d{1,2}):(?P<minutes>\d\d)(?::(?P<seconds>\d\d))?"
    r"(?:\s*(?P<half>am|pm))?)?"
)
_ZONE: Final = (
    r"(?:\s*(?P<zone>z|utc|gmt|ut)?\s*(?P<offset>[+-]\d\d:?\d\d)?)?(?:\s*\([^)]*\))?"
)
_DAY_NAME: Final = r"(?:(?:sun|mon|tue|wed|thu|fri|sat)[a-z]*\.?,?\s+)?"
_WORDS: Final = [
    re.compile(
        _DAY_NAME + _MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})" + _TIME + _ZONE,
        re.I,
    ),
    re.compile(
        _DAY_NAME
        + r"(?P<day>\d{1,2})\s+"
        + _MONTH
        + r",?\s+(?P<year>\d{4})"
        + _TIME
        + _ZONE,
        re.I,
    ),
    re.compile(
        r"(?P<mon>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})" + _TIME + _ZONE, re.I
    ),
    re.compile(
        r"(?P<year>\d{4})/(?P<mon>\d{1,2})/(?P<day>\d{1,2})" + _TIME + _ZONE, re.I
    ),
]


def _from_words(value: str) -> float:
    """The other formats (see the module docstring), local unless they name a zone."""
    for pattern in _WORDS:
        found = pattern.fullmatch(value)
        if found is not None:
            return _from_parts(found.groupdict())
    return math.nan


def _from_parts(groups: dict[str, str | None]) -> float:
    if groups.get("month"):
        month = [m.lower() for m in _MONTHS].index(str(groups["month"]).lower()[:3])
    else:
        month = int(groups["mon"] or 1) - 1
    hours = int(groups["hours"] or 0)
    half = (groups["half"] or "").lower()
    if half:
        if not 1 <= hours <= 12:
            return math.nan
        hours = hours % 12 + (12 if half == "pm" else 0)
    parts = [
        float(int(groups["year"] or 0)),
        float(month),
        float(int(groups["day"] or 1)),
        float(hours),
        float(int(groups["minutes"] or 0)),
        float(int(groups["seconds"] or 0)),
        0.0,
    ]
    if not _valid(parts):
        return math.nan
    zone, offset = groups.get("zone"), groups.get("offset")
    if not zone and not offset:
        return make_time(parts, True)
    return make_time(parts, False) - (_offset_ms(offset) if offset else 0.0)
