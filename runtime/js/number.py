"""How JavaScript writes numbers: `String(n)`, `toFixed`, `toPrecision`,
`toExponential`, `toString(radix)` and the en-US `toLocaleString`.

Pure functions of Python numbers (int or float) to text, with no JavaScript
values involved, so that `js.to_string` can use them without an import cycle.
Rounding follows the specification: digits come from the exact binary value of
the double, and a tie rounds up (away from zero), as `(2.5).toFixed(0)` is "3".
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

__all__ = [
    "exponential",
    "fixed",
    "locale_number",
    "number_text",
    "precision",
    "radix_text",
]

_DIGITS: Final = "0123456789abcdefghijklmnopqrstuvwxyz"


def _special(number: float) -> str | None:
    """The text of NaN and the infinities, None for a finite number."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return None


def number_text(number: float) -> str:
    """ToString of a float: the shortest digits that read back as `number`,
    in fixed notation from 1e-7 up to 1e21 and exponential outside (`1e-7`)."""
    special = _special(number)
    if special is not None:
        return special
    if number == 0:
        return "0"
    if 1e-4 <= abs(number) < 1e16:  # where Python's repr already agrees
        text = repr(number)
        return text[:-2] if text.endswith(".0") else text
    digits, point = _shortest(number)
    return ("-" if number < 0 else "") + _place(digits, point)


def _shortest(number: float) -> tuple[str, int]:
    """The shortest digits of |number| that read back as it (no trailing zeros),
    and how many of them come before the decimal point (may be <= 0 or > len)."""
    _, digits, exponent = Decimal(repr(abs(number))).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    return text, len(text) + exponent


def _place(digits: str, point: int) -> str:
    """Digits `d1 d2 ...` with the decimal point after `point` of them
    (ECMAScript's Number::toString, steps 6 to 10)."""
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    exponent = point - 1
    shown = digits[0] + ("." + digits[1:] if count > 1 else "")
    return f"{shown}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def fixed(number: float, digits: int) -> str:
    """`toFixed(digits)`: `digits` decimals; 1e21 and above as ToString."""
    special = _special(number)
    if special is not None:
        return special
    if abs(number) >= 1e21:
        return number_text(float(number))
    exact = Decimal(number).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return ("-" if number < 0 else "") + f"{abs(exact):f}"


def _significant(number: float, count: int) -> tuple[str, int]:
    """`count` significant digits of |number| (rounded half up) and the decimal
    exponent of the first: 1234.5 with 3 gives ("123", 3)."""
    if number == 0:
        return "0" * count, 0
    exact = abs(Decimal(number))
    exponent = exact.adjusted()
    scaled = exact.scaleb(count - 1 - exponent).quantize(Decimal(1), ROUND_HALF_UP)
    if scaled >= Decimal(10) ** count:  # 9.99 to 2 digits is 10
        scaled /= 10
        exponent += 1
    return str(int(scaled)), exponent


def _exponent_text(digits: str, exponent: int) -> str:
    shown = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{shown}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"


def precision(number: float, count: int) -> str:
    """`toPrecision(count)`: `count` significant digits, exponential when the
    exponent is below -6 or not below `count`."""
    special = _special(number)
    if special is not None:
        return special
    sign = "-" if number < 0 else ""
    digits, exponent = _significant(number, count)
    if exponent < -6 or exponent >= count:
        return sign + _exponent_text(digits, exponent)
    if exponent >= 0:
        whole = digits[: exponent + 1]
        rest = digits[exponent + 1 :]
        return sign + whole + ("." + rest if rest else "")
    return sign + "0." + "0" * (-exponent - 1) + digits


def exponential(number: float, decimals: int | None) -> str:
    """`toExponential(decimals)`: one digit, `decimals` more after the point
    (None: as many as it takes to read back as `number`), then `e±n`."""
    special = _special(number)
    if special is not None:
        return special
    sign = "-" if number < 0 else ""
    if decimals is None:
        if number == 0:
            return "0e+0"
        digits, point = _shortest(number)
        return sign + _exponent_text(digits, point - 1)
    digits, exponent = _significant(number, decimals + 1)
    return sign + _exponent_text(digits, exponent)


def radix_text(number: float, radix: int) -> str:
    """`toString(radix)` for radix 2 to 36: the integer part exactly, the fraction
    with as many digits as tell the double apart from its neighbours (V8's way)."""
    special = _special(number)
    if special is not None:
        return special
    sign = "-" if number < 0 else ""
    value = abs(number)
    integer = math.floor(value)
    fraction = value - integer
    digits: list[str] = []
    if fraction > 0:
        delta = max(0.5 * (math.nextafter(value, math.inf) - value), 5e-324)
        digits, carry = _fraction_digits(fraction, delta, radix)
        integer += carry
    whole = _integer_digits(float(integer), radix)
    return sign + whole + ("." + "".join(digits) if digits else "")


def _integer_digits(value: float, radix: int) -> str:
    """The digits of a whole float; past 2**53, where the double cannot hold
    every digit, the low ones are zeros (as V8 writes them)."""
    zeros = 0
    while value / radix >= 2.0**53:
        value /= radix
        zeros += 1
    out = ""
    while True:
        remainder = math.fmod(value, radix)
        out = _DIGITS[int(remainder)] + out
        value = (value - remainder) / radix
        if value <= 0:
            return out + "0" * zeros


def _fraction_digits(
    fraction: float, delta: float, radix: int
) -> tuple[list[str], int]:
    """The digits of `fraction` (0 < fraction < 1) until they are within `delta`;
    the carry into the integer part when rounding runs over."""
    digits: list[int] = []
    while True:
        fraction *= radix
        delta *= radix
        digit = int(fraction)
        digits.append(digit)
        fraction -= digit
        if fraction > 0.5 or (fraction == 0.5 and digit & 1):
            if fraction + delta > 1:
                return _round_up(digits, radix)
        if fraction < delta:
            return [_DIGITS[d] for d in digits], 0


def _round_up(digits: list[int], radix: int) -> tuple[list[str], int]:
    """Add one to the last digit, carrying leftwards; digits that carry drop off."""
    while digits:
        last = digits.pop() + 1
        if last < radix:
            digits.append(last)
            return [_DIGITS[d] for d in digits], 0
    return [], 1


def locale_number(number: float) -> str:
    """`toLocaleString()` in en-US: groups of three, at most three decimals."""
    special = _special(number)
    if special is not None:
        return "∞" if special == "Infinity" else "-∞" if special[0] == "-" else special
    text = fixed(number, 3).rstrip("0").rstrip(".")
    sign = "-" if text.startswith("-") else ""
    whole, _, decimals = text.lstrip("-").partition(".")
    grouped = f"{int(whole):,}"
    return sign + grouped + ("." + decimals if decimals else "")
