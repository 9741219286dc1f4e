"""`Date` for code compiled from ECMAScript: each session's dates read its clock.

A session's `Date` constructor (`date_constructor(session)`, kept in its realm)
reads the time from the session's clock: `new Date()` and `Date.now()` are the
clock's `wall_time()` in milliseconds since 1970-01-01 UTC. On a `VirtualClock`
that is its `epoch` plus the virtual time passed, so dates move with
`clock.advance()` and never with the host's clock. A clock without `wall_time`
gives the host's time. Calendar fields (`getHours()`, ...) are read in the host's
local time zone, as a JavaScript engine on that host would.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Callable
from typing import Any, Final

from .js import JSError, JSFunction, to_number, to_string, undefined
from .js_builtins import OBJECT_PROTOTYPE, BuiltinFunction, methods
from .js_realm import Intrinsic, realm_of

__all__ = [
    "DATE_PROTOTYPE",
    "HOST_DATE",
    "DateConstructor",
    "JSDate",
    "date_constructor",
    "now_ms",
]


class JSDate:
    """A `Date`: milliseconds since 1970-01-01 UTC (NaN for an invalid date)."""

    __slots__ = ("time",)
    js_class: Final = "Date"

    def __init__(self, time: float) -> None:
        self.time = time

    def local(self) -> datetime.datetime:
        """The moment in the host's local time zone."""
        return datetime.datetime.fromtimestamp(self.time / 1000.0)

    def js_json(self) -> Any:
        """What `JSON.stringify` writes: the ISO text (null for an invalid date)."""
        return None if math.isnan(self.time) else _iso(self.time)

    def __repr__(self) -> str:
        return f"Date({_iso(self.time)})"


def _integral(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _iso(time_ms: float) -> str:
    moment = datetime.datetime.fromtimestamp(time_ms / 1000.0, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _text(date: JSDate) -> str:
    return date.local().strftime("%a %b %d %Y %H:%M:%S")


def _field(read: Callable[[datetime.datetime], int]) -> Callable[[JSDate], Any]:
    def getter(date: JSDate) -> Any:
        if math.isnan(date.time):
            return math.nan
        return read(date.local())

    return getter


def _textual(write: Callable[[JSDate], str]) -> Callable[[JSDate], str]:
    def getter(date: JSDate) -> str:
        return "Invalid Date" if math.isnan(date.time) else write(date)

    return getter


def _timezone_offset(date: JSDate) -> int | float:
    offset = date.local().astimezone().utcoffset()
    return -int(offset.total_seconds() // 60) if offset is not None else 0


DATE_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "getTime": lambda d: _integral(d.time),
    "valueOf": lambda d: _integral(d.time),
    "getFullYear": _field(lambda t: t.year),
    "getMonth": _field(lambda t: t.month - 1),
    "getDate": _field(lambda t: t.day),
    "getDay": _field(lambda t: (t.weekday() + 1) % 7),
    "getHours": _field(lambda t: t.hour),
    "getMinutes": _field(lambda t: t.minute),
    "getSeconds": _field(lambda t: t.second),
    "getMilliseconds": _field(lambda t: t.microsecond // 1000),
    "getTimezoneOffset": _timezone_offset,
    "toISOString": _textual(lambda d: _iso(d.time)),
    "toJSON": lambda d: d.js_json(),
    "toString": _textual(_text),
}
"""Date.prototype's methods, date first."""


def _this_date(this: Any, name: str) -> JSDate:
    if not isinstance(this, JSDate):
        raise JSError(
            f"TypeError: Date.prototype.{name} called on {to_string(this)}, "
            "which is not a date"
        )
    return this


DATE_PROTOTYPE: Final[Intrinsic] = Intrinsic(
    "Date.prototype", methods(DATE_METHODS, _this_date), OBJECT_PROTOTYPE
)


def now_ms(clock: Any) -> int:
    """The clock's wall-clock time in whole milliseconds since 1970-01-01 UTC.

    `clock.wall_time()` if the clock has it, else the host's time.
    """
    wall_time = getattr(clock, "wall_time", None)
    seconds = wall_time() if wall_time is not None else time.time()
    return math.floor(seconds * 1000)


def new_date(clock: Any, *args: Any) -> JSDate:
    """`new Date(...)`: now on `clock`, from milliseconds, ISO text, or fields."""
    if not args:
        return JSDate(float(now_ms(clock)))
    if len(args) == 1:
        value = args[0]
        if isinstance(value, str):
            return JSDate(_parse(value))
        if isinstance(value, JSDate):
            return JSDate(value.time)
        return JSDate(float(to_number(value)))
    parts = [int(to_number(a)) for a in args] + [0] * (7 - len(args))
    year, month, day = parts[0], parts[1] + 1, parts[2] or 1
    moment = datetime.datetime(year, 1, 1) + datetime.timedelta(
        days=day - 1,
        hours=parts[3],
        minutes=parts[4],
        seconds=parts[5],
        milliseconds=parts[6],
    )
    moment = moment.replace(month=month) if 1 <= month <= 12 else moment
    return JSDate(moment.timestamp() * 1000.0)


def _parse(text: str) -> float:
    """Milliseconds of ISO text (`Date.parse`), NaN if it is not ISO."""
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return math.nan
    return parsed.timestamp() * 1000.0


class DateConstructor(JSFunction):
    """The `Date` of one session: `new Date()`, `Date()` and `Date.now()` read `clock`.

    Its `prototype` is the shared `Date.prototype`; `Date.now`, `Date.parse` are
    its own properties.
    """

    __slots__ = ("clock",)

    def __init__(self, clock: Any) -> None:
        def as_function(this: Any, *args: Any) -> str:  # `Date()`: now, as text
            return _text(new_date(clock))

        super().__init__(as_function, "Date")
        self.clock = clock
        self.prototype = DATE_PROTOTYPE
        self.props = {
            "now": BuiltinFunction(lambda this: now_ms(clock), "now"),
            "parse": BuiltinFunction(
                lambda this, text=undefined: _integral(_parse(to_string(text))), "parse"
            ),
        }


HOST_DATE: Final[DateConstructor] = DateConstructor(None)
"""`Date` outside a session: the host's time."""


def date_constructor(session: Any) -> DateConstructor:
    """The `Date` of `session` (a generated machine), made on first use from its clock."""
    realm = realm_of(session)
    date = realm.date
    if date is None:
        date = realm.date = DateConstructor(session.clock)
    assert isinstance(date, DateConstructor)
    return date
