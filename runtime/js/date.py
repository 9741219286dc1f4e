"""`Date` for code compiled from ECMAScript: each session's dates read its clock.

A session's `Date` constructor (`date_constructor(session)`, kept in its realm)
reads the time from the session's clock: `new Date()` and `Date.now()` are the
clock's `wall_time()` in milliseconds since 1970-01-01 UTC. On a `VirtualClock`
that is its `epoch` plus the virtual time passed, so dates move with
`clock.advance()` and never with the host's clock. A clock without `wall_time`
gives the host's time. Calendar fields (`getHours()`, ...) are read in the host's
local time zone, as a JavaScript engine on that host would; the `getUTC...` and
`setUTC...` methods in UTC. Text and parsing are in `js_date_text`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final

from ..clock import wall_time
from .values import (
    JSBuiltinObject,
    JSError,
    JSFunction,
    to_number,
    to_string,
    undefined,
)
from .standard import OBJECT_PROTOTYPE, BuiltinFunction, methods
from .date_text import (
    MAX_TIME,
    fields,
    iso_text,
    locale_text,
    make_time,
    moment,
    offset_minutes,
    parse_date,
    text,
    utc_text,
)
from .realm import Intrinsic, realm_of
from .strings import check_locale

__all__ = [
    "DATE_PROTOTYPE",
    "HOST_DATE",
    "DateConstructor",
    "JSDate",
    "date_constructor",
    "now_ms",
]


class JSDate(JSBuiltinObject):
    """A `Date`: milliseconds since 1970-01-01 UTC (NaN for an invalid date)."""

    __slots__ = ("time",)
    js_class: Final = "Date"

    def __init__(self, time: float) -> None:
        self.time = time

    def js_json(self) -> Any:
        """What `JSON.stringify` writes: the ISO text (null for an invalid date)."""
        return None if math.isnan(self.time) else iso_text(self.time)

    def js_source(self) -> str:
        """What `uneval` writes: `(new Date(ms))`."""
        return f"(new Date({to_string(_integral(self.time))}))"

    def __repr__(self) -> str:
        return (
            "Invalid Date" if math.isnan(self.time) else f"Date({iso_text(self.time)})"
        )


def _integral(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _clip(value: float) -> float:
    """TimeClip: NaN beyond 8.64e15 ms either side of 1970, else whole ms."""
    if not math.isfinite(value) or abs(value) > MAX_TIME:
        return math.nan
    return float(int(value))


# -- reading ---------------------------------------------------------------------------


def _field(index: int, local: bool) -> Callable[..., Any]:
    """A getter of one calendar field (NaN for an invalid date)."""

    def getter(date: JSDate, *_: Any) -> Any:
        if math.isnan(date.time):
            return math.nan
        return fields(date.time, local)[index]

    return getter


def _weekday(local: bool) -> Callable[..., Any]:
    def getter(date: JSDate, *_: Any) -> Any:
        if math.isnan(date.time):
            return math.nan
        return (moment(date.time, local).weekday() + 1) % 7

    return getter


def _textual(write: Callable[[float], str], method: str = "") -> Callable[..., str]:
    """A method giving text; an invalid date is "Invalid Date" (a RangeError
    for `toISOString`). `toLocale...` methods check their locale argument."""

    def getter(date: JSDate, *args: Any) -> str:
        if method.startswith("toLocale"):
            check_locale(f"Date.prototype.{method}", *args[:2])
        if math.isnan(date.time):
            if method == "toISOString":
                raise JSError("RangeError: invalid time value")
            return "Invalid Date"
        return write(date.time)

    return getter


def _timezone_offset(date: JSDate, *_: Any) -> int | float:
    return math.nan if math.isnan(date.time) else offset_minutes(date.time)


# -- writing ---------------------------------------------------------------------------


def _setter(first: int, count: int, local: bool) -> Callable[..., Any]:
    """A setter of up to `count` fields from field `first` (0 year ... 6 ms):
    the others are kept; the new time value, NaN when a field is not a number."""

    def setter(date: JSDate, *args: Any) -> Any:
        values = [float(to_number(a)) for a in args[:count]] or [math.nan]
        if math.isnan(date.time):
            if first != 0:  # only setFullYear revives an invalid date
                return math.nan
            parts: list[float] = [math.nan, 0, 1, 0, 0, 0, 0]
        else:
            parts = [float(f) for f in fields(date.time, local)]
        parts[first : first + len(values)] = values
        date.time = _clip(make_time(parts, local))
        return _integral(date.time)

    return setter


def _set_time(date: JSDate, value: Any = undefined, *_: Any) -> Any:
    date.time = _clip(float(to_number(value)))
    return _integral(date.time)


def _accessors() -> dict[str, Callable[..., Any]]:
    """The getters and setters of calendar fields, local and UTC."""
    names = ("FullYear", "Month", "Date", "Hours", "Minutes", "Seconds", "Milliseconds")
    counts = (3, 2, 1, 4, 3, 2, 1)
    table: dict[str, Callable[..., Any]] = {}
    for index, (name, count) in enumerate(zip(names, counts)):
        for zone, local in (("", True), ("UTC", False)):
            table[f"get{zone}{name}"] = _field(index, local)
            table[f"set{zone}{name}"] = _setter(index, count, local)
    table["getDay"], table["getUTCDay"] = _weekday(True), _weekday(False)
    return table


DATE_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "getTime": lambda d, *_: _integral(d.time),
    "valueOf": lambda d, *_: _integral(d.time),
    "setTime": _set_time,
    **_accessors(),
    "getYear": lambda d, *_: _field(0, True)(d) - 1900,
    "getTimezoneOffset": _timezone_offset,
    "toISOString": _textual(iso_text, "toISOString"),
    "toJSON": lambda d, *_: d.js_json(),
    "toString": _textual(text),
    "toDateString": _textual(lambda t: text(t, "date")),
    "toTimeString": _textual(lambda t: text(t, "time")),
    "toUTCString": _textual(utc_text),
    "toGMTString": _textual(utc_text),
    "toLocaleString": _textual(locale_text, "toLocaleString"),
    "toLocaleDateString": _textual(
        lambda t: locale_text(t, "date"), "toLocaleDateString"
    ),
    "toLocaleTimeString": _textual(
        lambda t: locale_text(t, "time"), "toLocaleTimeString"
    ),
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
    "Date.prototype", methods(DATE_METHODS, _this_date), OBJECT_PROTOTYPE, True
)


# -- the constructor ---------------------------------------------------------------------


def now_ms(clock: Any) -> int:
    """The clock's wall-clock time in whole milliseconds since 1970-01-01 UTC.

    `clock.wall_time()` if the clock has it, else the host's time.
    """
    return math.floor(wall_time(clock) * 1000)


def _fields_of(args: tuple[Any, ...]) -> list[float]:
    """The calendar fields `new Date(y, m, ...)` and `Date.UTC` take: a year
    0-99 is 1900-1999, a missing day 1, missing times 0."""
    parts = [float(to_number(a)) for a in args[:7]]
    parts += [math.nan, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0][len(parts) :]
    year = parts[0]
    if math.isfinite(year) and 0 <= int(year) <= 99:
        parts[0] = 1900.0 + int(year)
    return parts[:7]


def new_date(clock: Any, *args: Any) -> JSDate:
    """`new Date(...)`: now on `clock`, from milliseconds, a date, text, or fields."""
    if not args:
        return JSDate(float(now_ms(clock)))
    if len(args) == 1:
        value = args[0]
        if isinstance(value, JSDate):
            return JSDate(value.time)
        from .access import to_primitive  # conversions build on the built-ins

        value = to_primitive(value)
        if isinstance(value, str):
            return JSDate(_clip(parse_date(value)))
        return JSDate(_clip(float(to_number(value))))
    return JSDate(_clip(make_time(_fields_of(args), True)))


def _utc(this: Any, *args: Any) -> int | float:
    """`Date.UTC(year, month, ...)`: the time value of UTC fields."""
    return _integral(_clip(make_time(_fields_of(args or (math.nan,)), False)))


class DateConstructor(JSFunction):
    """The `Date` of one session: `new Date()`, `Date()` and `Date.now()` read `clock`.

    Its `prototype` is the shared `Date.prototype`; `Date.now`, `Date.parse`,
    `Date.UTC` are its own properties.
    """

    __slots__ = ("clock",)

    def __init__(self, clock: Any) -> None:
        def as_function(this: Any, *args: Any) -> str:  # `Date()`: now, as text
            return text(new_date(clock).time)

        super().__init__(as_function, "Date")
        self.clock = clock
        self.prototype = DATE_PROTOTYPE
        self.props = {
            "now": BuiltinFunction(lambda this: now_ms(clock), "now"),
            "parse": BuiltinFunction(
                lambda this, value=undefined: _integral(
                    _clip(parse_date(to_string(value)))
                ),
                "parse",
            ),
            "UTC": BuiltinFunction(_utc, "UTC"),
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
