"""ECMAScript objects: conversions through a script's `toString` and `valueOf`,
`Object.defineProperty` and the other functions of `Object`, `freeze` and
`seal`, the `Error` kinds, and `JSON.stringify` with replacers and indentation.

Each expected value is what node gives for the same expression.
"""

from __future__ import annotations

from pathlib import Path

from es_session import check, evaluate

CONVERSIONS = """
function Money(n) { this.n = n; }
Money.prototype.toString = function () { return '$' + this.n; };
Money.prototype.valueOf = function () { return this.n; };
function Tag(t) { this.t = t; }
Tag.prototype.toString = function () { return '<' + this.t + '>'; };
var lit = { toString: function () { return 'lit'; } };
var val = { valueOf: function () { return 42; } };
var bad = { toString: function () { return {}; }, valueOf: function () { return {}; } };
var child = Object.create({ toString: function () { return 'from proto'; } });
"""


def test_conversions_call_a_scripts_to_string_and_value_of(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("'' + new Money(5)", "5"),
            ("new Money(5) + 1", 6),
            ("new Money(5) * 2", 10),
            ("String(new Money(5))", "$5"),
            ("[new Money(1), new Money(2)].join(' & ')", "$1 & $2"),
            ("new Tag('b') + '!'", "<b>!"),
            ("'x' + lit", "xlit"),
            ("val + 1", 43),
            ("val > 41", True),
            ("String(val)", "[object Object]"),
            ("'' + child", "from proto"),
            ("new Money(3) == 3", True),
            ("new Money(3) < new Money(4)", True),
            ("({a: 1}) + ''", "[object Object]"),
            (
                "(function () { var f = function () {}; f.toString = function () {"
                " return 'F'; }; return '' + f; })()",
                "F",
            ),
            ("({})[new Tag('k')] = 1", 1),
            (
                "(function () { var o = {}; o[new Tag('k')] = 1; return Object.keys(o)[0]; })()",
                "<k>",
            ),
        ],
        script=CONVERSIONS,
    )


def test_an_object_without_a_primitive_is_a_type_error(tmp_path: Path) -> None:
    assert evaluate(tmp_path, "'' + bad", script=CONVERSIONS) == [
        "error.execution: TypeError: cannot convert object to primitive value"
    ]


def test_dates_convert_to_text_for_plus_and_to_numbers_for_arithmetic(
    tmp_path: Path,
) -> None:
    check(
        tmp_path,
        [
            ("new Date(2024, 1, 29) - new Date(2024, 1, 28)", 86400000),
            ("+new Date(7)", 7),
            ("new Date(2024, 1, 29) > new Date(2024, 1, 28)", True),
            ("typeof (new Date(5) + 1)", "string"),
            ("(new Date(5) + 1).slice(-1)", "1"),
        ],
    )


def test_replacing_the_built_in_conversions_is_refused(tmp_path: Path) -> None:
    """Implicit conversions run without the session, so they could not call a
    `toString` a session assigned to Object.prototype: the assignment says so."""
    assert evaluate(
        tmp_path, "Array.prototype.toString = function () {}", "'not reached'"
    ) == [
        "error.execution: TypeError: replacing Array.prototype.toString is not "
        "supported: implicit conversions would not call it (define toString on "
        "your own objects or prototypes instead)"
    ]


DEFINED = """
var o = {};
Object.defineProperty(o, 'fixed', { value: 1, enumerable: true });
o.fixed = 2;
Object.defineProperty(o, 'hidden', { value: 'h', writable: true });
o.hidden = 'h2';
var seen = [];
for (var k in o) { seen.push(k); }
var temp = { c: 0 };
Object.defineProperty(temp, 'f', {
  get: function () { return this.c * 9 / 5 + 32; },
  set: function (v) { this.c = (v - 32) * 5 / 9; },
  enumerable: false, configurable: true
});
temp.f = 212;
function redefine() {
  try { Object.defineProperty(o, 'fixed', { value: 3 }); return 'redefined'; }
  catch (e) { return e.name; }
}
"""


def test_define_property_honours_its_attributes(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("o.fixed", 1),
            ("o.hidden", "h2"),
            ("seen.join()", "fixed"),
            ("Object.keys(o).join()", "fixed"),
            ("JSON.stringify(o)", '{"fixed":1}'),
            ("o.propertyIsEnumerable('hidden')", False),
            ("Object.getOwnPropertyNames(o).join()", "fixed,hidden"),
            ("temp.c", 100),
            ("temp.f", 212),
            ("Object.keys(temp).join()", "c"),
            (
                "JSON.stringify(Object.getOwnPropertyDescriptor(o, 'fixed'))",
                '{"value":1,"writable":false,"enumerable":true,"configurable":false}',
            ),
            (
                "JSON.stringify(Object.getOwnPropertyDescriptor({z: 1}, 'z'))",
                '{"value":1,"writable":true,"enumerable":true,"configurable":true}',
            ),
            ("redefine()", "TypeError"),
            ("(function () { delete o.fixed; return o.fixed; })()", 1),
            ("Object.create({}, { x: { value: 1, enumerable: true } }).x", 1),
        ],
        script=DEFINED,
    )


def test_polyfills_define_non_enumerable_methods_on_built_in_prototypes(
    tmp_path: Path,
) -> None:
    script = """
if (!Array.prototype.firstItem) {
  Object.defineProperty(Array.prototype, 'firstItem', {
    value: function () { return this[0]; }, enumerable: false, writable: true, configurable: true
  });
}
var keys = [];
for (var k in [5]) { keys.push(k); }
"""
    check(tmp_path, [("[7, 8].firstItem()", 7), ("keys.join()", "0")], script=script)


def test_what_attributes_cannot_hold_is_an_error(tmp_path: Path) -> None:
    assert evaluate(
        tmp_path, "Object.defineProperty([1], '0', { value: 2, writable: false })"
    ) == [
        "error.execution: TypeError: Object.defineProperty: attributes of an "
        "array's elements are not supported (assign the element instead)"
    ]
    assert evaluate(tmp_path, "Object.freeze(function () {})") == [
        "error.execution: TypeError: Object.freeze of a function is not supported "
        "(plain objects can be; arrays can be frozen)"
    ]


CLOSED = """
var frozen = Object.freeze({ a: 1, nested: { b: 2 } });
frozen.a = 5; frozen.z = 1; delete frozen.a; frozen.nested.b = 3;
var farr = Object.freeze([1, 2]);
farr[0] = 9;
var sealed = Object.seal({ s: 1 });
sealed.s = 2; sealed.t = 3; delete sealed.s;
function push() { try { farr.push(3); return 'pushed'; } catch (e) { return e.name; } }
"""


def test_freeze_and_seal(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("frozen.a + ',' + frozen.z + ',' + frozen.nested.b", "1,undefined,3"),
            (
                "Object.isFrozen(frozen) + ',' + Object.isFrozen({}) + ','"
                " + Object.isFrozen(Object.preventExtensions({}))",
                "true,false,true",
            ),
            ("farr[0]", 1),
            ("push()", "TypeError"),
            (
                "sealed.s + ',' + sealed.t + ',' + Object.isSealed(sealed)"
                " + ',' + Object.isExtensible(sealed)",
                "2,undefined,true,false",
            ),
        ],
        script=CLOSED,
    )


def test_prototypes_and_names(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("Object.getPrototypeOf(new Money(1)) === Money.prototype", True),
            ("Object.getPrototypeOf([]) === Array.prototype", True),
            ("Object.getPrototypeOf({}) === Object.prototype", True),
            ("Object.getPrototypeOf(Object.create(null))", None),
            ("Object.getPrototypeOf(Object.prototype)", None),
            ("Object.getOwnPropertyNames([1]).join()", "0,length"),
            ("Object.prototype.toString.call(/x/)", "[object RegExp]"),
            ("Object.prototype.toString.call(new Date(0))", "[object Date]"),
            ("typeof /x/", "object"),
        ],
        script=CONVERSIONS,
    )


ERRORS = """
function MyErr(m) { this.message = m; }
MyErr.prototype = new Error();
MyErr.prototype.name = 'MyErr';
function risky(kind) {
  try {
    if (kind == 1) { null.x; }
    if (kind == 2) { throw new RangeError('too big'); }
    if (kind == 3) { throw 'plain'; }
    if (kind == 4) { throw new MyErr('mine'); }
  } catch (e) {
    return (typeof e) + '|' + e.name + '|' + (e instanceof Error) + '|'
      + (e instanceof TypeError) + '|' + String(e).slice(0, 12);
  }
}
"""


def test_errors_have_kinds_names_and_messages(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            ("risky(1)", "object|TypeError|true|true|TypeError: c"),
            ("risky(2)", "object|RangeError|true|false|RangeError: "),
            ("risky(3)", "string|undefined|false|false|plain"),
            ("risky(4)", "object|MyErr|true|false|MyErr: mine"),
            ("new Error('boom').message + '/' + new Error('boom')", "boom/Error: boom"),
            ("Error('x') instanceof Error", True),
            ("String(new TypeError())", "TypeError"),
        ],
        script=ERRORS,
    )
    assert evaluate(
        tmp_path, "'a'", "(function () { throw new TypeError('no'); })()"
    ) == [
        "a",
        "error.execution: TypeError: no",
    ]


def test_json_stringify_with_replacers_and_indentation(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            (
                "JSON.stringify({ a: 1, b: [1, 2], c: 'x' }, null, 2)",
                '{\n  "a": 1,\n  "b": [\n    1,\n    2\n  ],\n  "c": "x"\n}',
            ),
            ("JSON.stringify({ a: 1, b: 2, c: 3 }, ['a', 'c'])", '{"a":1,"c":3}'),
            (
                "JSON.stringify({ a: 1, b: 'x' }, function (k, v) {"
                " return typeof v === 'number' ? v * 10 : v; })",
                '{"a":10,"b":"x"}',
            ),
            (
                "JSON.stringify({ d: new Date(0), u: undefined, f: function () {}, n: NaN },"
                " null, '--')",
                '{\n--"d": "1970-01-01T00:00:00.000Z",\n--"n": null\n}',
            ),
            ("JSON.stringify([undefined, function () {}])", "[null,null]"),
            ("JSON.stringify('he said \"hi\"\\n')", '"he said \\"hi\\"\\n"'),
            (
                "JSON.stringify({ toJSON: function () { return 'custom'; } })",
                '"custom"',
            ),
            (
                'JSON.parse(\'{"a": [1, {"b": 2}]}\', function (k, v) {'
                " return typeof v === 'number' ? v + 1 : v; }).a[1].b",
                3,
            ),
            (
                "(function () { var c = {}; c.self = c; try { JSON.stringify(c); }"
                " catch (e) { return e.name; } })()",
                "TypeError",
            ),
        ],
    )


def test_built_in_methods_read_as_writable_hidden_properties(tmp_path: Path) -> None:
    check(
        tmp_path,
        [
            (
                "JSON.stringify(Object.getOwnPropertyDescriptor(Array.prototype, 'push'))",
                '{"writable":true,"enumerable":false,"configurable":true}',
            ),
            (
                "JSON.stringify(Object.getOwnPropertyDescriptor([1, 2], 'length'))",
                '{"value":2,"writable":true,"enumerable":false,"configurable":false}',
            ),
            (
                "(function () { Object.defineProperty(Array.prototype, 'push',"
                " { value: function () { return 'pushed'; } }); var ks = [];"
                " for (var k in []) { ks.push(k); } return [].push(1) + ks.length; })()",
                "pushed0",
            ),
            ("JSON.stringify([new Date(0), /x/g])", '["1970-01-01T00:00:00.000Z",{}]'),
            ("uneval([new Date(5), /x/g])", "[(new Date(5)), /x/g]"),
            (
                "(function () { try { throw { code: 7 }; } catch (e) { return e.code; } })()",
                7,
            ),
            ("(function () { var r = /a/; return RegExp(r) === r; })()", True),
        ],
    )
