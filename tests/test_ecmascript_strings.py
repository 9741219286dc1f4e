"""ECMAScript strings, numbers and regular expressions: the ES5 methods of
String.prototype and Number.prototype, RegExp with the `g` flag, the URI
functions, and number formatting.

Each expected value is what node gives for the same expression.
"""

from __future__ import annotations

from pathlib import Path

from es_session import check, evaluate


def test_string_methods_with_start_positions_and_limits(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("String.fromCharCode(72, 105, 33)", "Hi!"),
            ("String.fromCharCode(0xD83D, 0xDE00)", "\U0001f600"),
            ("'Straße'.toLocaleUpperCase()", "STRASSE"),
            ("'ÉCOLE'.toLocaleLowerCase()", "école"),
            ("'a-b-a-b'.lastIndexOf('a', 1)", 0),
            ("'a-b-a-b'.lastIndexOf('a')", 4),
            ("'a-b-a-b'.lastIndexOf('a', -5)", 0),
            ("'hello'.indexOf('l', 3)", 3),
            ("'hello'.indexOf('l', -5)", 2),
            ("'hello'.indexOf('', 10)", 5),
            ("'hello'.substring(3, 1)", "el"),
            ("'hello'.substring(-2, 2)", "he"),
            ("'hello'.substr(-3, 2)", "ll"),
            ("'hello'.slice(-3, -1)", "ll"),
            ("'hello'.charAt(NaN)", "h"),
            ("'a,b,c,d'.split(',', 2)", ["a", "b"]),
            ("'abc'.split('')", ["a", "b", "c"]),
            ("''.split(',')", [""]),
            ("'a b c'.split(' ', 0)", []),
            ("'x'.concat(1, null)", "x1null"),
        ],
    )


def test_split_by_a_regular_expression(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("'a1b22c'.split(/\\d+/)", ["a", "b", "c"]),
            ("'a1b2c'.split(/(\\d)/)", ["a", "1", "b", "2", "c"]),
            ("'abc'.split(/(?:)/)", ["a", "b", "c"]),
            ("''.split(/,/)", [""]),
            ("'a, b ,c'.split(/\\s*,\\s*/)", ["a", "b", "c"]),
        ],
    )


def test_replace_with_dollar_patterns_and_functions(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("'John Smith'.replace(/(\\w+)\\s(\\w+)/, '$2, $1')", "Smith, John"),
            ("'price: 10'.replace(/\\d+/, '[$&]')", "price: [10]"),
            ("'aaa'.replace('a', '$&$&')", "aaaa"),
            ("'x-y'.replace('-', \"$'$`\")", "xyxy"),
            ("'abc'.replace(/b/, '$$')", "a$c"),
            ("'abc'.replace(/(b)/, '$2$1$01')", "a$2bbc"),
            (
                "'a1b2'.replace(/\\d/g, function (d, offset, s) {"
                " return '<' + (d * 2) + '@' + offset + s.length + '>'; })",
                "a<2@14>b<4@34>",
            ),
            (
                "'abc'.replace(/(z)?b/, function (m, g) { return typeof g; })",
                "aundefinedc",
            ),
            ("'hello world'.replace(/o/g, '0')", "hell0 w0rld"),
            ("'a.b.c'.replace('.', '!')", "a!b.c"),
        ],
    )


def test_the_g_flag_is_a_property_of_each_expression(tmp_path: Path) -> None:
    """`/a/g` and `/a/` are different objects: one global, one not."""
    check(
        tmp_path,
        [
            ("'aaa'.replace(/a/g, 'b') + ' ' + 'aaa'.replace(/a/, 'b')", "bbb baa"),
            ("'2 apples, 3 pears'.match(/\\d+/g)", ["2", "3"]),
            ("'abc'.match(/z/g)", None),
            ("'a1'.match(/\\d*/g)", ["", "1", ""]),
            ("'x2 apples'.match(/(\\d+) (\\w+)/)[2]", "apples"),
            ("'test'.match('e.')[0]", "es"),
            ("/a/g.global + ',' + /a/.global", "true,false"),
            (
                "(function () { var r = /o/g, m, out = [];"
                " while ((m = r.exec('foo boo')) != null) { out.push(m.index + ':' + r.lastIndex); }"
                " return out.join(' '); })()",
                "1:2 2:3 5:6 6:7",
            ),
            (
                "(function () { var r = /a/g; r.test('aa'); var first = r.lastIndex;"
                " r.lastIndex = 0; return first + ',' + r.lastIndex; })()",
                "1,0",
            ),
            ("new RegExp('a+', 'i').test('AAA')", True),
            ("String(/x/gi) + /\\d/.source", "/x/gi\\d"),
        ],
    )


def test_patterns_mean_what_they_mean_in_javascript(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("/^\\d+$/.test('123\\n')", False),
            ("/\\w+/.exec('héllo')[0]", "h"),
            ("/\\d/.test('\u0663')", False),
            ("/[^]/.test('\\n')", True),
            ("'Hello'.search(/l+/)", 2),
        ],
    )


def test_unsupported_flags_are_syntax_errors(tmp_path: Path) -> None:
    assert evaluate(tmp_path, "new RegExp('a', 'y')") == [
        "error.execution: SyntaxError: invalid regular expression flags 'y' "
        "(the flags g, i and m are supported)"
    ]


def test_number_formatting(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("(1234.5678).toPrecision(6)", "1234.57"),
            ("(0.000123).toPrecision(2)", "0.00012"),
            ("(123456).toPrecision(2)", "1.2e+5"),
            ("(1.45).toFixed(1)", "1.4"),
            ("(2.5).toFixed(0) + (-2.5).toFixed(0)", "3-3"),
            ("(12345.6789).toExponential(2)", "1.23e+4"),
            ("(123.456).toExponential()", "1.23456e+2"),
            ("(0.5).toString(2)", "0.1"),
            ("(255).toString(16)", "ff"),
            ("(1234567.891).toLocaleString()", "1,234,567.891"),
            ("1e21 + ''", "1e+21"),
            ("0.000001 + ''", "0.000001"),
            ("1.5e-7 + ''", "1.5e-7"),
            ("Number('0x1F') + Number(' 12 ') + Number('')", 43),
            ("isNaN(Number('1_000')) && isNaN(Number('inf'))", True),
            ("parseInt('0x1F') + parseInt('08') + parseInt('12px', 10)", 51),
            ("parseInt('z', 36)", 35),
            ("parseFloat('3.14abc') + parseFloat('.5')", 3.64),
        ],
    )


def test_number_formatting_checks_its_arguments(tmp_path: Path) -> None:
    assert evaluate(tmp_path, "(1).toFixed(101)") == [
        "error.execution: RangeError: toFixed() argument must be between 0 and 100"
    ]
    assert evaluate(tmp_path, "(1).toLocaleString('de-DE')") == [
        "error.execution: RangeError: Number.prototype.toLocaleString: only the "
        "en-US format without options is supported (got 'de-DE')"
    ]


def test_locale_compare_orders_letters_before_case(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("'a'.localeCompare('B')", -1),
            ("'b'.localeCompare('a')", 1),
            ("'a'.localeCompare('A')", -1),
            (
                "['b', 'A', 'a', 'B'].sort(function (x, y) { return x.localeCompare(y); })",
                ["a", "A", "b", "B"],
            ),
        ],
    )


def test_uri_functions(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("encodeURIComponent('a b&c/d?é')", "a%20b%26c%2Fd%3F%C3%A9"),
            (
                "encodeURI('http://x.com/a b?q=é&r=1#f')",
                "http://x.com/a%20b?q=%C3%A9&r=1#f",
            ),
            ("decodeURIComponent('a%20b%26%C3%A9')", "a b&é"),
            ("decodeURI('a%20b%26')", "a b%26"),
            ("escape('a b+é€')", "a%20b+%E9%u20AC"),
            ("unescape('a%20b%u20AC')", "a b€"),
        ],
    )
    assert evaluate(tmp_path, "decodeURIComponent('%E0%A4%A')") == [
        "error.execution: URIError: URI malformed"
    ]
