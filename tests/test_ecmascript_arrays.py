"""ECMAScript arrays: the ES5 methods of Array.prototype, and arrays that carry
properties besides their elements.

Each expected value is what node gives for the same expression.
"""

from __future__ import annotations

from pathlib import Path

from es_session import check, evaluate


def test_sort_orders_as_strings_by_default_and_stably_with_a_comparator(
    tmp_path: Path,
) -> None:
    records = "[{k:1,v:'a'},{k:0,v:'b'},{k:1,v:'c'},{k:0,v:'d'}]"
    check(
        tmp_path,
        [
            ("[3, 1, 10, 2].sort()", [1, 10, 2, 3]),
            ("[0.5, -1, 10, 9].sort()", [-1, 0.5, 10, 9]),
            ("['x10', 'x9', 'x1'].sort()", ["x1", "x10", "x9"]),
            ("[3, 1, 10, 2].sort(function (a, b) { return a - b; })", [1, 2, 3, 10]),
            (
                records + ".sort(function (a, b) { return a.k - b.k; })"
                ".map(function (o) { return o.v; }).join('')",
                "bdac",
            ),
            ("['b', undefined, 'a'].sort().length", 3),
            ("typeof ['b', undefined, 'a'].sort()[2]", "undefined"),
            ("[5, 1, 4].sort(function (a, b) { return b > a; }).join()", "5,1,4"),
            ("(function () { var a = [2, 1]; return a.sort() === a; })()", True),
        ],
    )


def test_splice_unshift_and_last_index_of(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("[1, 2, 3, 4, 5].splice(1, 2)", [2, 3]),
            (
                "(function () { var a = [1, 2, 3, 4, 5]; a.splice(1, 2, 'x', 'y', 'z');"
                " return a; })()",
                [1, "x", "y", "z", 4, 5],
            ),
            ("(function () { var a = [1, 2, 3]; a.splice(1); return a; })()", [1]),
            ("(function () { var a = [1, 2, 3]; return a.splice(); })()", []),
            (
                "(function () { var a = [1, 2, 3]; a.splice(-1, 1); return a; })()",
                [1, 2],
            ),
            (
                "(function () { var a = [1, 2]; return a.unshift(0, 0.5) + ':' + a; })()",
                "4:0,0.5,1,2",
            ),
            ("[1, 2, 1, 2].lastIndexOf(2)", 3),
            ("[1, 2, 1, 2].lastIndexOf(2, 2)", 1),
            ("[1, 2, 1, 2].lastIndexOf(2, -3)", 1),
            ("[1, 2, 1, 2].indexOf(1, -2)", 2),
            ("[1, 2, 1, 2].indexOf(3)", -1),
        ],
    )


def test_callbacks_get_element_index_array_and_this(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            (
                "[1, 2, 3, 4].filter(function (x, i, a) { return x % 2 == 0 && a.length == 4; })",
                [2, 4],
            ),
            ("[1, 2, 3].map(function (x, i) { return x * 10 + i; })", [10, 21, 32]),
            (
                "(function () { var s = 0; [1, 2, 3].forEach(function (x) { s += x * this.m; },"
                " {m: 2}); return s; })()",
                12,
            ),
            ("[1, 2, 3].some(function (x) { return x > 2; })", True),
            ("[1, 2, 3].every(function (x) { return x > 2; })", False),
            ("[].every(function (x) { return false; })", True),
            ("[1, 2, 3].reduce(function (a, b) { return a + b; })", 6),
            ("[1, 2, 3].reduce(function (a, b, i) { return a + b * i; }, 10)", 18),
            ("['a', 'b', 'c'].reduceRight(function (a, b) { return a + b; })", "cba"),
            ("[].reduce(function (a, b) { return a + b; }, 'init')", "init"),
        ],
    )


def test_built_in_functions_are_callbacks_and_ignore_extra_arguments(
    tmp_path: Path,
) -> None:
    check(
        tmp_path,
        [
            ("JSON.stringify(['1', '2', '3'].map(parseInt))", "[1,null,null]"),
            ("[1, 2, 3].map(String)", ["1", "2", "3"]),
            ("['a', 'b'].map(Math.max).join()", "NaN,NaN"),
            (
                "[' a ', 'b '].map(Function.prototype.call, String.prototype.trim)",
                ["a", "b"],
            ),
        ],
    )


def test_callback_errors_are_type_errors(tmp_path: Path) -> None:
    assert evaluate(
        tmp_path, "[].reduce(function (a, b) { return a + b; })", "[1, 2].forEach(5)"
    ) == [
        "error.execution: TypeError: Array.prototype.reduce of an empty array with no "
        "initial value"
    ]
    assert evaluate(tmp_path, "[1, 2].forEach(5)") == [
        "error.execution: TypeError: Array.prototype.forEach: 5 is not a function"
    ]


def test_join_and_to_string_write_null_and_undefined_as_empty(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("[1, 'a', null, undefined].join('-')", "1-a--"),
            ("new Array(3).join('x')", "xx"),
            ("[1, [2, [3]]].join(';')", "1;2,3"),
            ("(function () { var a = [1]; a.push(a); return a.join(); })()", "1,"),
            ("[1234.5, 'a', 0].toLocaleString()", "1,234.5,a,0"),
            ("Array.isArray([]) + ',' + Array.isArray({length: 0})", "true,false"),
            ("[3, 2, 1].sort().concat([0], 9)", [1, 2, 3, 0, 9]),
        ],
    )


ARRAY_WITH_PROPERTIES = """
var list = [1, 2, 3];
list.name = 'list';
list.count = 7;
var keys = [];
for (var k in list) { keys.push(k); }
"""


def test_arrays_keep_properties_besides_their_elements(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("list.name + ':' + list.count + ':' + list.length", "list:7:3"),
            ("keys.join()", "0,1,2,name,count"),
            ("Object.keys(list).join()", "0,1,2,name,count"),
            ("JSON.stringify(list)", "[1,2,3]"),
            ("'name' in list", True),
            ("list.hasOwnProperty('name')", True),
            ("(function () { delete list.count; return 'count' in list; })()", False),
            ("typeof list.slice(1).name", "undefined"),
            ("list.push(4)", 4),
            ("list.name", "list"),
            ("(function () { var a = []; a['2'] = 'x'; return a.length; })()", 3),
            (
                "(function () { var a = [1, 2, 3]; a.length = 1; a.length = 3;"
                " return JSON.stringify(a); })()",
                "[1,null,null]",
            ),
            (
                "(function () { var a = []; a.run = function () { return this.length; };"
                " a.push(1); return a.run(); })()",
                1,
            ),
            (
                "(function () { var m = 'x1y'.match(/(\\d)/); return m.index + m.input; })()",
                "1x1y",
            ),
        ],
        script=ARRAY_WITH_PROPERTIES,
    )


def test_an_own_method_of_an_array_shadows_the_built_in_one(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            (
                "(function () { var a = [1]; a.push = function (x) { return 'mine ' + x; };"
                " return a.push(2) + ' ' + a.length; })()",
                "mine 2 1",
            ),
        ],
    )
