"""JavaScript numbers are doubles: past 2**53 an integer result is the double
nearest it, never an exact big integer.

The runtime keeps integral numbers within +-2**53 as Python ints (where every
integer is a double) and every other number as a float. The expected texts
are what a JavaScript engine prints; where a test checks a computation, its
oracle is the same computation in Python floats, which are IEEE doubles too.
"""

from __future__ import annotations

import math
from pathlib import Path

from scxmlc.compiler import compile_text
from scxmlc.runtime import js
from scxmlc.runtime.js.values import arithmetic, power, whole_number

from es_session import check, evaluate


def test_integers_past_2_to_the_53_print_as_javascript_prints_them(
    tmp_path: Path,
) -> None:
    check(
        tmp_path,
        [
            ("String(9007199254740992 + 1)", "9007199254740992"),
            ("String(9007199254740993)", "9007199254740992"),
            ("String(12345678901234567890)", "12345678901234567000"),
            ("String(Math.pow(2, 64))", "18446744073709552000"),
            ("String(Math.pow(2, 40) * Math.pow(2, 40))", "1.2089258196146292e+24"),
            ("String(1099511627776 * 1099511627776)", "1.2089258196146292e+24"),
            ("String(-9007199254740992 - 2)", "-9007199254740994"),
            ("String(Number('12345678901234567890'))", "12345678901234567000"),
            ("String(parseInt('12345678901234567890'))", "12345678901234567000"),
            ("String(JSON.parse('[12345678901234567890]')[0])", "12345678901234567000"),
            ("String(Number('0x1fffffffffffffff'))", "2305843009213694000"),
            ("String(Math.floor(1e300))", "1e+300"),
            ("String(1e400)", "Infinity"),
            ("String(Math.pow(10, 400))", "Infinity"),
            ("String(Math.pow(-10, 401))", "-Infinity"),
            ("String(Math.pow(0, -1))", "Infinity"),
            ("String(Math.pow(-8, 1 / 3))", "NaN"),
            ("String(Math.pow(1, Infinity))", "NaN"),
            ("Math.pow(2, 10)", 1024),
            ("String(parseInt(new Array(2000).join('9')))", "Infinity"),
            ("parseInt('0000000000000000000000000000000000000042')", 42),
        ],
    )


def test_a_hash_loop_overflows_into_doubles_as_in_javascript(tmp_path: Path) -> None:
    expected = 0.0
    for character in "the quick brown fox jumps over the lazy dog":
        expected = expected * 31 + ord(character)
    (value,) = evaluate(
        tmp_path,
        "hash('the quick brown fox jumps over the lazy dog')",
        script="""
        function hash(text) {
          var h = 0;
          for (var i = 0; i < text.length; i++) h = h * 31 + text.charCodeAt(i);
          return h;
        }
        """,
    )
    assert isinstance(value, float) and value == expected
    assert evaluate(
        tmp_path,
        "String(hash('the quick brown fox') | 0)",
        script="function hash(t) { var h = 0; for (var i = 0; i < t.length; i++)"
        " h = h * 31 + t.charCodeAt(i); return h; }",
    ) == [str(_int32(_float_hash("the quick brown fox")))]


def _float_hash(text: str) -> float:
    h = 0.0
    for character in text:
        h = h * 31 + ord(character)
    return h


def _int32(number: float) -> int:
    """ToInt32, as the oracle of `| 0`."""
    whole = int(math.fmod(math.trunc(number), 2**32)) % 2**32
    return whole - 2**32 if whole >= 2**31 else whole


def test_a_huge_power_is_computed_in_doubles_not_digits() -> None:
    """`**` of a caller's exponent cannot make the session compute millions of
    digits: it is a double operation, as in JavaScript (computed exactly,
    10 ** 10**9 would take minutes and gigabytes)."""
    assert arithmetic("**", 10, 10**9) == math.inf
    assert power(10, 3_000_000) == math.inf
    assert power(-2, 3) == -8 and type(power(-2, 3)) is int


def test_whole_number_is_the_double_nearest() -> None:
    assert whole_number(2**53) == 2**53 and type(whole_number(2**53)) is int
    assert whole_number(2**53 + 1) == 2.0**53
    assert whole_number(-(10**400)) == -math.inf
    assert js.add(2**52, 2**52) == 2**53 and type(js.add(2**52, 2**52)) is int
    assert js.add(2**53, 0.5) == 2.0**53  # an int and a double add as doubles


def test_literals_past_2_to_the_53_compile_to_floats() -> None:
    document = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript"><datamodel><data id="big" expr="12345678901234567890"/>
    <data id="huge" expr="1e400"/><data id="small" expr="42"/></datamodel>
    <state id="s"/></scxml>
"""
    source = compile_text(document, "big.scxml").source
    assert "self.dm.big = 1.2345678901234567e19" in source
    assert 'self.dm.huge = float("inf")' in source  # (under a try: not a literal)
    assert "self.dm.small = 42" in source
