"""Function variables are Python locals: closures, `nonlocal`, spelling; and
the conditions and loops written with them.

A function's parameters and `var`s compile to Python locals that inner functions
close over (see `es_translate.local_name`). The expected values are what node
gives for the same script.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from es_session import document, run
from generated import unparsed

from scxmlc.compiler import compile_path
from scxmlc.compiler.typecheck import mypy_strict

SCRIPT = """
function counter() {
  var n = 0;
  return function () { return function () { n += 1; return n; }; };
}
var c = counter(); var f = c(); f(); f();
var shared = c()();
function shadow() {
  var x = 'outer';
  function inner() { var x = 'inner'; x += '!'; return x; }
  return inner() + ',' + x;
}
function reserved(len, self, args) {
  var js = 'j', str = 's', print = 'p', None = 'n', def = 'd', pass = 'p2', is = 'i', lambda = 'l', nonlocal = 'nl', this_ = 't';
  return [len, self, args, js, str, print, None, def, pass, is, lambda, nonlocal, this_, arguments.length].join('');
}
function dollars() {
  var a$ = 1, a_S_ = 2, $ = 3, _ = 4, _t1 = 5, ﬁx_ = 6, fix_ = 7, ﬁx = 8, fix = 9;
  function inner() { var a_S__1 = 10; a$ += 100; return a_S__1 + a$ + a_S_; }
  return [inner(), a$, a_S_, $, _, _t1, ﬁx_, fix_, ﬁx, fix].join(',');
}
var named = function self(n) { return n &gt; 0 ? self(n - 1) + 1 : 0; };
var shadowedByParam = function p(p) { return p; };
var shadowedByVar = function v() { var v; return typeof v; };
function twice(a, a) { return a; }
function withLocals() {
  var x = 1, o = {y: 2};
  with (o) { x = y + 1; y = 5; }
  function later() { with (o) { x = y * 10; } }
  later();
  return x + ',' + o.y;
}
function loopClosure() {
  var fs = [], k;
  for (k in {a: 1, b: 2}) { fs.push(function () { return k; }); }
  function setK() { for (k in {z: 1}) {} }
  setK();
  return fs[0]() + fs[1]();
}
function argumentsParam(arguments) { return arguments; }
function early(flag) { if (flag) { return 'yes'; } }
var results = [shared, shadow(), reserved(1, 2, 3), dollars(), named(3), shadowedByParam(7), shadowedByVar(),
  twice(1, 2), withLocals(), loopClosure(), argumentsParam('a'), early(true), typeof early(false)];
"""

EXPECTED = [
    3,
    "inner!,outer",
    "123jspndp2ilnlt3",
    "113,101,2,3,4,5,6,7,8,9",
    3,
    7,
    "undefined",
    2,
    "50,5",
    "zz",
    "a",
    "yes",
    "undefined",
]
"""node: closures two levels deep, shadowing, names Python reserves, `$` and
names that spell alike, named function expressions shadowed by a parameter or a
`var`, a repeated parameter, `with` storing into locals, a `for-in` variable
shared with closures, a parameter named `arguments`, a function ending without
`return`."""


def test_function_variables_behave_as_in_javascript(tmp_path: Path) -> None:
    assert run(tmp_path, '<log expr="JSON.stringify(results)"/>', script=SCRIPT) == [
        json.dumps(EXPECTED, separators=(",", ":"))
    ]


def test_function_variables_are_typed_python_locals(tmp_path: Path) -> None:
    path = tmp_path / "locals.scxml"
    path.write_text(document("", script=SCRIPT), encoding="utf-8")
    source = compile_path(path).source
    module = tmp_path / "locals.py"
    module.write_text(source, encoding="utf-8")
    status, report = mypy_strict([module])
    assert status == 0, report
    assert not re.search(r"\b_scope\d", source)
    assert re.search(r"^ +nonlocal n$", source, re.MULTILINE)
    for spelled in ("len_", "self_", "args_", "js_", "None_", "lambda_", "_S__"):
        assert f" {spelled}: js.JSValue = " in source
    # `a$` and `a_S_` spell alike; so do `\ufb01x_` and `fix_` once normalized
    assert " a_S__1_: js.JSValue = " in source
    assert " fix__1_: js.JSValue = " in source


LOOPS = """
function loops() {
  var out = [];
  for (var i = 0; i &lt; 5; i++) { if (i == 3) break; out.push(i); }
  for (var j = 0, k = 10; j &lt; 6 &amp;&amp; k &gt; 0 || j == 100; j += 2, k--) { if (j == 2) continue; out.push(j + ':' + k); }
  outer: for (var a = 0; a &lt; 3; a++) { for (var b = 0; b &lt; 3; b++) { if (b == 1) continue outer; if (a == 2) break outer; out.push(a + '' + b); } }
  var n = 0; for (;;) { n++; if (n &gt; 4) break; }
  out.push(n);
  var flags = [!0, !'', !!'x', 0 || 'd', '' &amp;&amp; 'x', (1 &amp;&amp; 2) || 3, !(n &gt; 1 &amp;&amp; n &lt; 3)];
  return out.join(',') + '|' + JSON.stringify(flags);
}
var result = loops();
"""


def test_for_loops_and_conditions_behave_as_in_javascript(tmp_path: Path) -> None:
    """`for` without `continue` runs its update after the body; with one, before
    every pass but the first. `&&`, `||` and `!` in conditions are Python's."""
    assert run(tmp_path, '<log expr="result"/>', script=LOOPS) == [
        '0,1,2,0:10,4:8,00,10,5|[true,true,true,"d","",2,true]'  # node
    ]
    path = tmp_path / "loops.scxml"
    path.write_text(document("", script=LOOPS), encoding="utf-8")
    code = unparsed(compile_path(path).source)
    assert "while js.lt(i, 5):" in code
    assert "if not (js.lt(j, 6) and js.gt(k, 0) or js.loose_eq(j, 100)):" in code
    assert code.count("_first") == 6  # the two loops a `continue` goes to


EDGES = """
function shadowedIn() {
  var In = function (v) { return v; };
  var r = [];
  if (In(NaN)) r.push('nan');
  if (In({}) &amp;&amp; 1) r.push('obj');
  if (!In([])) r.push('notarr');
  if (In(0) || In('')) r.push('zero');
  return r.concat([!In([]), !!In(NaN), In({}) &amp;&amp; 1]);
}
function deleted(p) {
  var x = 1, n = 0, caught;
  try { throw 2; } catch (e) { caught = delete e; }
  return [delete x, delete p, delete arguments, caught, delete (n++, n), n, x, p];
}
function caughtInLoop() {
  var fs = [];
  for (var i = 0; i &lt; 3; i++) {
    try { throw i; } catch (e) { fs.push(function () { return e; }); }
    with ({v: i * 10}) { fs.push(function () { return v; }); }
  }
  return fs.map(function (f) { return f(); }).join(',');
}
var ownName = function me() {
  var r = (me = 5);
  me++;
  (function () { me = 1; })();
  for (me in {a: 1}) {}
  return [typeof me, r, delete me];
};
var result = [shadowedIn(), deleted(3), caughtInLoop(), ownName()];
"""


def test_in_delete_catch_and_own_names_behave_as_in_javascript(
    tmp_path: Path,
) -> None:
    """node: a variable named `In` is no state test (its value is no Python
    bool); `delete` of a variable is false; closures made in a loop keep the
    `catch` variable and `with` object of their pass; a named function
    expression's own name ignores assignments."""
    assert run(tmp_path, '<log expr="JSON.stringify(result)"/>', script=EDGES) == [
        '[["obj",false,false,1],[false,false,false,false,true,1,1,3],'
        '"0,0,1,10,2,20",["function",5,false]]'
    ]
    path = tmp_path / "edges.scxml"
    path.write_text(document("", script=EDGES), encoding="utf-8")
    source = compile_path(path).source
    assert re.search(r"\*args: Any, (_catch\d+): Any = \1\b", source)
    assert re.search(r"\*args: Any, (_with\d+): Any = \1\b", source)
    module = tmp_path / "edges.py"
    module.write_text(source, encoding="utf-8")
    status, report = mypy_strict([module])
    assert status == 0, report
