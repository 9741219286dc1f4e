"""ECMAScript dates: calendar fields and their setters (local and UTC), months
and days that overflow, `Date.UTC`, `Date.parse`, and the text methods.

Local time is the host's time zone; these tests set it (America/New_York, with
its daylight saving changes) and compare with what node gives there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from es_session import check, evaluate


@pytest.fixture(autouse=True)
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run each test with the host's time zone set to America/New_York."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_calendar_fields_overflow_as_in_javascript(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("new Date(2024, 0, 31).getDay()", 3),
            ("new Date(2024, 1, 0).getDate()", 31),
            (
                "new Date(2024, 12, 1).getFullYear() + '-' + new Date(2024, 12, 1).getMonth()",
                "2025-0",
            ),
            ("new Date(2024, -1, 15).getMonth()", 11),
            ("new Date(99, 0).getFullYear()", 1999),
            ("new Date(2024, 1, 29).getYear()", 124),
            (
                "new Date(2024, 2, 10, 2, 30).getHours()",
                3,
            ),  # skipped by daylight saving
            ("new Date(2024, 6, 1).getTimezoneOffset()", 240),
            ("new Date(0).getTimezoneOffset()", 300),
            ("isNaN(new Date(8.64e15 + 1).getTime())", True),
        ],
    )


def test_setters_keep_the_other_fields_and_overflow(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            (
                "(function () { var d = new Date(2024, 0, 31); d.setMonth(1); return d.getMonth() + '/' + d.getDate(); })()",
                "2/2",
            ),
            (
                "(function () { var d = new Date(2024, 0, 31); d.setDate(d.getDate() + 1); return d.getMonth() + '/' + d.getDate(); })()",
                "1/1",
            ),
            (
                "(function () { var d = new Date(2024, 0, 1, 10); d.setHours(25, 61); return d.getDate() + ' ' + d.getHours() + ':' + d.getMinutes(); })()",
                "2 2:1",
            ),
            (
                "(function () { var d = new Date(2024, 0, 1); d.setMinutes(90); return d.getHours() + ':' + d.getMinutes(); })()",
                "1:30",
            ),
            (
                "(function () { var d = new Date(2024, 0, 1); d.setSeconds(3600); d.setMilliseconds(1500); return d.getHours() + ':' + d.getSeconds() + '.' + d.getMilliseconds(); })()",
                "1:1.500",
            ),
            (
                "(function () { var d = new Date(2024, 0, 1); d.setFullYear(2025, 5, 15); return d.getFullYear() + '-' + d.getMonth() + '-' + d.getDate(); })()",
                "2025-5-15",
            ),
            (
                "(function () { var d = new Date(0); d.setUTCHours(36); return d.toISOString(); })()",
                "1970-01-02T12:00:00.000Z",
            ),
            (
                "(function () { var d = new Date(0); return d.setTime(86400000) + ':' + d.getUTCDate(); })()",
                "86400000:2",
            ),
            (
                "(function () { var d = new Date(NaN); d.setFullYear(2020); return d.getFullYear() + '/' + d.getMonth(); })()",
                "2020/0",
            ),
        ],
    )


def test_utc_and_parse(tmp_path: Path) -> None:
    at_noon = "new Date(Date.UTC(2024, 1, 29, 12))"
    check(
        tmp_path,
        [
            ("Date.UTC(2024, 1, 29, 12)", 1709208000000),
            ("Date.UTC(2024)", 1704067200000),
            (at_noon + ".toISOString()", "2024-02-29T12:00:00.000Z"),
            (at_noon + ".getUTCHours()", 12),
            ("new Date(Date.UTC(2024, 1, 29, 23, 30)).getUTCDay()", 4),
            ("Date.parse('2024-02-29')", 1709164800000),
            ("Date.parse('2024-02-29T10:00:00')", 1709218800000),
            ("Date.parse('2024-02-29T10:00:00Z')", 1709200800000),
            ("Date.parse('2024-02-29T10:00:00.5+02:00')", 1709193600500),
            ("Date.parse('Thu, 29 Feb 2024 10:00:00 GMT')", 1709200800000),
            ("Date.parse('Feb 29, 2024')", 1709182800000),
            ("Date.parse('February 29, 2024 10:30:00')", 1709220600000),
            ("Date.parse('2/29/2024 3:04 PM')", 1709237040000),
            ("Date.parse('2024/02/29 10:00')", 1709218800000),
            ("Date.parse(" + at_noon + ".toString())", 1709208000000),
            ("Date.parse(" + at_noon + ".toUTCString())", 1709208000000),
            ("isNaN(Date.parse('garbage')) && isNaN(Date.parse('2024-13-01'))", True),
            ("String(new Date('nope'))", "Invalid Date"),
        ],
    )


def test_dates_as_text(tmp_path: Path) -> None:
    moment = "new Date(2024, 1, 29, 15, 4, 5)"
    check(
        tmp_path,
        [
            (moment + ".toLocaleDateString()", "2/29/2024"),
            (moment + ".toLocaleTimeString()", "3:04:05 PM"),
            (
                "new Date(2024, 1, 29, 0, 4, 5).toLocaleString()",
                "2/29/2024, 12:04:05 AM",
            ),
            (moment + ".toDateString()", "Thu Feb 29 2024"),
            (moment + ".toString()", "Thu Feb 29 2024 15:04:05 GMT-0500 (EST)"),
            (
                "new Date(Date.UTC(2024, 1, 29, 15, 4, 5)).toUTCString()",
                "Thu, 29 Feb 2024 15:04:05 GMT",
            ),
            ("JSON.stringify({ d: new Date(0) })", '{"d":"1970-01-01T00:00:00.000Z"}'),
        ],
    )
    assert evaluate(tmp_path, "new Date(NaN).toISOString()") == [
        "error.execution: RangeError: invalid time value"
    ]
    assert evaluate(tmp_path, "new Date(0).toLocaleDateString('de-DE')") == [
        "error.execution: RangeError: Date.prototype.toLocaleDateString: only the "
        "en-US format without options is supported (got 'de-DE')"
    ]
