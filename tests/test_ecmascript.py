"""The ECMAScript datamodel: JavaScript semantics, compiled to Python.

Each test runs a small document whose `<log>`s record values; the values are
compared with what a JavaScript engine gives for the same code.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import pytest

import scxmlc
from scxmlc.compiler import CompileError, Options, compile_path, compile_text
from scxmlc.compiler.loader import _import
from scxmlc.runtime import VirtualClock

from es_session import logs, run
from generated import functions, methods
from recording import Recorder


def test_operators_follow_javascript(tmp_path: Path) -> None:
    assert run(
        tmp_path,
        logs(
            "'a' + 1 + 2",
            "1 + 2 + 'a'",
            "7 / 2",
            "6 / 3 + ''",
            "-7 % 3",
            "'5' * '2'",
            "'5' == 5",
            "'5' === 5",
            "null == undefined",
            "null === undefined",
            "[1, 2] + ''",
            "1 / 0",
            "typeof null",
            "typeof undefined",
            "typeof nothingDeclared",
            "typeof (function () {})",
            "!!''",
            "'x' || 'y'",
            "0 &amp;&amp; 'y'",
            "5 | 2",
        ),
    ) == [
        "a12",
        "3a",
        3.5,
        "2",
        -1,
        10,
        True,
        False,
        True,
        False,
        "1,2",
        float("inf"),
        "object",
        "undefined",
        "undefined",
        "function",
        False,
        "x",
        0,
        7,
    ]


def test_functions_closures_and_prototypes(tmp_path: Path) -> None:
    script = """
function Counter(start) { this.value = start; }
Counter.prototype.next = function () { this.value += 1; return this.value; };
function makeAdder(n) { return function (x) { return x + n; }; }
var add5 = makeAdder(5);
var c = new Counter(10);
"""
    assert run(
        tmp_path,
        logs(
            "add5(1)",
            "c.next()",
            "c.next()",
            "c instanceof Counter",
            "[] instanceof Array",
        ),
        script=script,
    ) == [6, 11, 12, True, True]


def test_statement_stores_into_function_variables(tmp_path: Path) -> None:
    """Assignments and updates whose value is unused store straight into the
    function's scope; a `with` object that has the name still takes the store."""
    script = """
function counts(n) {
    var total = 0, i, s = '';
    for (i = 0; i &lt; n; i++) { total += i; s += i; }
    total++; --total; total -= 1; total *= 2;
    var kept = total;
    var o = { kept: 'with' };
    with (o) { kept = 'stored in o'; var inner = kept; }
    return [total, s, kept, o.kept, inner, i];
}
function closure() {
    var x = 1;
    function bump() { x += 10; x++; }
    bump();
    return x;
}
"""
    assert run(tmp_path, logs("counts(4).join('|')", "closure()"), script=script) == [
        "10|0123|10|stored in o|stored in o|4",
        12,
    ]


def test_arguments_object_where_a_function_reads_it(tmp_path: Path) -> None:
    script = """
function count() { return arguments.length; }
function second(a) { return arguments[1]; }
function outer(a, b) {
    function inner() { return arguments.length; }
    return [arguments.length, inner(1, 2, 3, 4)].join(',');
}
function none(a) { return typeof a; }
"""
    assert run(
        tmp_path,
        logs("count(1, 2, 3)", "second('x', 'y')", "outer(1)", "none()"),
        script=script,
    ) == [3, "y", "1,4", "undefined"]


def test_statements_switch_loops_and_exceptions(tmp_path: Path) -> None:
    script = """
function kind(x) {
  switch (typeof x) {
    case 'number': if (x &gt; 9) { return 'big'; } return 'small';
    case 'string':
    case 'boolean': return 'scalar';
    default: return 'other';
  }
}
function total(list) { var t = 0; for (var i = 0; i &lt; list.length; i++) { if (i == 1) continue; t += list[i]; } return t; }
function keys(o) { var out = []; for (var k in o) { out.push(k); } return out.join(','); }
function risky() { try { throw 'boom'; } catch (e) { return 'caught ' + e; } finally { } }
var n = 0; do { n++; } while (n &lt; 3);
"""
    assert run(
        tmp_path,
        logs(
            "kind(12)",
            "kind(2)",
            "kind('a')",
            "kind(null)",
            "total([1, 100, 2])",
            "keys({a: 1, b: 2})",
            "risky()",
            "n",
        ),
        script=script,
    ) == ["big", "small", "scalar", "other", 3, "a,b", "caught boom", 3]


def test_builtins_json_math_and_spidermonkey_source(tmp_path: Path) -> None:
    assert run(
        tmp_path,
        logs(
            "JSON.stringify({a: [1, 'x', null]})",
            "JSON.parse('{&quot;k&quot;: [1, 2]}').k.length",
            "Math.max(1, 5, 3)",
            "Math.floor(2.7)",
            "uneval({name: 'x', list: [1, 2]})",
            "({a: 1}).toSource()",
            "parseInt('42px')",
            "'Hello'.toUpperCase().slice(1, 3)",
        ),
    ) == [
        '{"a":[1,"x",null]}',
        2,
        5,
        2,
        '({name:"x", list:[1, 2]})',
        "({a:1})",
        42,
        "EL",
    ]


def test_ors_data_alias_and_undefined_until_assigned(tmp_path: Path) -> None:
    data = '<data id="count" expr="1"/><data id="later"/>'
    body = '<assign location="_data.count" expr="_data.count + 1"/>' + logs(
        "count", "typeof later"
    )
    assert run(tmp_path, body, data=data) == [2, "undefined"]


def test_runtime_errors_become_error_execution(tmp_path: Path) -> None:
    result = run(tmp_path, logs("'before'", "undefined.x", "'not reached'"))
    assert result == [
        "before",
        "error.execution: TypeError: cannot read property 'x' of undefined",
    ]


def test_what_cannot_be_translated_is_a_warning_and_error_execution_when_run(
    tmp_path: Path,
) -> None:
    """A valid document always compiles: an unsupported construct or an
    expression that does not parse can never succeed (`certain`, which `scxmlc
    check` reports as an error), a name bound nowhere might (it is looked up
    when it runs); each raises error.execution when evaluated. `strict` makes
    every warning an error."""
    document = tmp_path / "bad.scxml"
    document.write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
  <state id="s">
    <onentry><script>
var x = 1;
var [a] = [x];
      </script></onentry>
    <onentry><log expr="x +"/></onentry>
    <onentry><log expr="missing + 1"/></onentry>
    <onentry><log expr="'after'"/></onentry>
  </state>
</scxml>
""",
        encoding="utf-8",
    )
    warnings = compile_path(document).warnings
    assert [
        (f"{d.loc.line}:{d.loc.col}", d.severity, d.certain, d.message)
        for d in warnings
    ] == [
        (
            "5:5",
            "warning",
            True,
            "<script>: destructuring is not supported (evaluating it raises "
            "error.execution)",
        ),
        (
            "7:28",
            "warning",
            True,
            "<log expr>: invalid ECMAScript 'x +': Unexpected end of input "
            "(evaluating it raises error.execution)",
        ),
        (
            "8:25",
            "warning",
            False,
            "<log expr>: 'missing' is not defined (not a <data> id, a script "
            "variable or a built-in): reading it raises ReferenceError "
            "(error.execution) when run, unless a script adds it to _data first",
        ),
    ]
    with pytest.raises(CompileError) as raised:
        compile_path(document, Options(strict=True))
    assert [(d.severity, d.message) for d in raised.value.diagnostics] == [
        ("error", d.message) for d in warnings
    ]
    recorder = Recorder()
    machine = scxmlc.load(document)(VirtualClock(), observer=recorder)
    machine.start()
    assert recorder.values == ["after"]
    assert [name for name, _ in recorder.errors] == ["error.execution"] * 3
    assert "ReferenceError: missing is not defined" in recorder.errors[2][1]


def test_regexp_date_eval_and_object_helpers(tmp_path: Path) -> None:
    assert run(
        tmp_path,
        logs(
            "'a-b-c'.replace(/-/g, '+')",
            "'a-b-c'.replace('-', '+')",
            "/^\\d+$/.test('123')",
            "'x12y'.match(/\\d+/)[0]",
            "new Date(2026, 10, 22, 9, 30).getHours()",
            "new Date(0).getTime()",
            "typeof Date.now()",
            "eval('(' + '{&quot;a&quot;: [1, 2]}' + ')').a[1]",
            "Object.keys({x: 1, y: 2}).join()",
            "Array.isArray([1])",
            "(3.14159).toFixed(2)",
            "({a: 1}).hasOwnProperty('a')",
        ),
    ) == ["a+b+c", "a+b-c", True, "12", 9, 0, "number", 2, "x,y", True, "3.14", True]


def test_eval_of_code_is_refused_at_run_time_saying_what_eval_does(
    tmp_path: Path,
) -> None:
    assert run(tmp_path, logs("eval(7)", "eval('[1, 2]').length", "eval('1 + 1')")) == [
        7,
        2,
        "error.execution: EvalError: eval evaluates only JSON text, optionally in "
        "parentheses (such as eval('(' + json + ')')), or a variable and its "
        "properties (such as eval('App_' + name + '.requestid')), and returns "
        "other values unchanged; '1 + 1' is neither",
    ]


def test_eval_reads_a_variable_and_its_properties_as_composer_subroutines_do(
    tmp_path: Path,
) -> None:
    """`eval('App_' + name + '.requestid')` reads the script global, then
    `_data`, then the built-ins, as the document's own code would."""
    document = tmp_path / "eval.scxml"
    document.write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
  <datamodel><data id="queues" expr="{vq: ['VQ_Sales', 'VQ_Gold']}"/></datamodel>
  <script>var App_Target1 = {requestid: 'req-7', 'odd key': {n: 3}};</script>
  <state id="s">
    <onentry>
      <log expr="eval('App_' + 'Target1' + '.requestid')"/>
      <log expr="eval(&quot;App_Target1['odd key'].n&quot;)"/>
      <log expr="eval('queues.vq[1]')"/>
      <log expr="eval('Math.PI') > 3"/>
      <log expr="eval('App_Missing.requestid')"/>
    </onentry>
  </state>
</scxml>""",
        encoding="utf-8",
    )
    recorder = Recorder()
    machine = scxmlc.load(document)(VirtualClock(), observer=recorder)
    machine.start()
    assert recorder.values == ["req-7", 3, "VQ_Gold", True]
    assert recorder.errors == [
        ("error.execution", "ReferenceError: App_Missing is not defined")
    ]


def test_labelled_break_and_continue(tmp_path: Path) -> None:
    script = """
function firstPair(grid, target) {
  var found = 'none';
  outer: for (var i = 0; i &lt; grid.length; i++) {
    for (var j = 0; j &lt; grid[i].length; j++) {
      if (grid[i][j] == target) { found = i + ':' + j; break outer; }
    }
  }
  return found;
}
function skipRows(grid) {
  var seen = [];
  rows: for (var i = 0; i &lt; grid.length; i++) {
    for (var j = 0; j &lt; grid[i].length; j++) {
      if (grid[i][j] &lt; 0) { continue rows; }
      seen.push(grid[i][j]);
    }
  }
  return seen.join(',');
}
"""
    assert run(
        tmp_path,
        logs(
            "firstPair([[1, 2], [3, 4]], 3)",
            "firstPair([[1]], 9)",
            "skipRows([[1, -1, 5], [2, 3]])",
        ),
        script=script,
    ) == ["1:0", "none", "1,2,3"]


def test_scripts_may_create_globals_by_assignment(tmp_path: Path) -> None:
    script = "function start() { started = true; count = (count || 0) + 1; } start(); start();"
    assert run(tmp_path, logs("started", "count"), script=script) == [True, 2]


def test_event_data_keeps_null_apart_from_missing_fields(tmp_path: Path) -> None:
    document = tmp_path / "data.scxml"
    document.write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
  <state id="s">
    <transition event="go" target="s">
      <log expr="typeof _event.data.present"/>
      <log expr="_event.data.present === null"/>
      <log expr="typeof _event.data.absent"/>
      <log expr="typeof _event.sendid"/>
    </transition>
  </state>
</scxml>
""",
        encoding="utf-8",
    )
    recorder = Recorder()
    machine = scxmlc.load(document)(VirtualClock(), observer=recorder)
    machine.start()
    machine.send("go", {"present": None})
    assert recorder.values == ["object", True, "undefined", "undefined"]


def test_a_failing_global_script_is_error_execution_and_the_next_one_runs() -> None:
    compilation = compile_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript" initial="s">
  <datamodel><data id="where" expr="''"/></datamodel>
  <script>var broken = undefined.y;</script>
  <script>var after = 'ran';</script>
  <state id="s">
    <transition event="error.execution" cond="after == 'ran'" target="f">
      <assign location="where" expr="_event.data.location"/>
    </transition>
  </state>
  <final id="f"/>
</scxml>""",
        "globals.scxml",
    )
    machine = getattr(
        _import(compilation.source, "global_scripts"), compilation.class_name
    )(VirtualClock())
    machine.start()
    assert machine.finished and machine.dm["where"] == "globals.scxml:4"


def test_idioms_of_real_composer_libraries(tmp_path: Path) -> None:
    """A loop counter no enclosing function declares is a global, even where
    another function declares a variable of that name; template literals and
    `let`/`const` (function-scoped here) of newer libraries."""
    assert (
        run(
            tmp_path,
            logs(
                "countOpen('OPEN|CLOSED|OPEN')",
                "i",
                "own()",
                "label('x', 2)",
                "`${[1, 2]}|${{}}|${null}`",
            ),
            script="""
          function own() { var i = 'mine'; return i; }
          function countOpen(text) {
            const parts = text.split('|');
            let count = 0;
            for (i = 0; parts.length > i; i++) { if (parts[i] == 'OPEN') count++; }
            return count;
          }
          function label(name, n) { return `${name}-${n * 2}!`; }
        """,
        )
        == [2, 3, "mine", "x-4!", "1,2|[object Object]|null"]
    )


def test_each_javascript_function_is_a_python_function_named_after_it(
    tmp_path: Path,
) -> None:
    """A library's function is a method of the machine class named after it
    (an anonymous one after what it is assigned to; two of a name are
    numbered); a run-time error's traceback names it."""
    document = tmp_path / "named.scxml"
    document.write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
  <script>
    function broken(x) { return x.missing.value; }
    var helpers = {twice: function (n) { return n * 2; }};
    String.prototype.shout = function () { return this.toUpperCase() + '!'; };
    function outer() { function inner() { return broken({}); } return inner(); }
  </script>
  <state id="s">
    <onentry><log expr="helpers.twice(21) + ' ' + 'hey'.shout()"/></onentry>
    <onentry><log expr="outer()"/></onentry>
  </state>
</scxml>""",
        encoding="utf-8",
    )
    source = compile_path(document).source
    assert {"_js_broken", "_js_twice", "_js_shout", "_js_outer"} <= set(
        methods(source, "Named")
    )
    assert functions(source)["_js_outer"] == ["_js_inner"]

    errors: list[BaseException] = []

    class Keep(Recorder):
        def on_error(self, machine: Any, event: Any, error: Any) -> None:
            super().on_error(machine, event, error)
            errors.append(error)

    recorder = Keep()
    machine = scxmlc.load(document)(VirtualClock(), observer=recorder)
    machine.start()
    assert recorder.values == ["42 HEY!"]
    frames = [f.name for f in traceback.extract_tb(errors[0].__traceback__)]
    named = [name for name in frames if name.startswith("_js_")]
    assert named == ["_js_outer", "_js_inner", "_js_broken"]
