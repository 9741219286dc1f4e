"""ECMAScript constructs beyond the basics: accessors in object literals, labelled
statements that are not loops, jumps out of switches and blocks, and `with`.

The expected values are what a JavaScript engine gives for the same code.
"""

from __future__ import annotations

from pathlib import Path

from es_session import logs, run


def test_getters_and_setters_in_object_literals(tmp_path: Path) -> None:
    script = """
var o = {
  raw: 1,
  get scaled() { return this.raw * 10; },
  set scaled(v) { this.raw = v / 10; },
  get fixed() { return 'f'; }
};
o.scaled = 50;
o.fixed = 'ignored';
var writeOnly = {set x(v) { this.seen = v; }};
writeOnly.x = 3;
function Temperature(c) { this.c = c; }
Temperature.prototype = { get f() { return this.c * 9 / 5 + 32; } };
var t = new Temperature(100);
"""
    assert run(
        tmp_path,
        logs(
            "o.scaled",
            "o.raw",
            "o.fixed",
            "typeof writeOnly.x",
            "writeOnly.seen",
            "t.f",
            "JSON.stringify(o)",
            "Object.keys(o).join()",
            "'scaled' in o",
        ),
        script=script,
    ) == [
        50,
        5,
        "f",
        "undefined",
        3,
        212,
        '{"raw":5,"scaled":50,"fixed":"f"}',
        "raw,scaled,fixed",
        True,
    ]


def test_labelled_blocks_and_statements(tmp_path: Path) -> None:
    script = """
function steps(stop) {
  var out = [];
  block: {
    out.push('a');
    if (stop) { break block; }
    out.push('b');
  }
  check: if (out.length &gt; 0) { out.push('c'); if (stop) { break check; } out.push('d'); }
  out.push('end');
  return out.join('');
}
function skipInBlock() {
  var out = [];
  for (var i = 0; i &lt; 4; i++) {
    inner: {
      if (i == 1) { continue; }
      if (i == 3) { break; }
      if (i == 2) { break inner; }
      out.push('x' + i);
    }
    out.push(i);
  }
  return out.join();
}
"""
    assert run(
        tmp_path,
        logs("steps(false)", "steps(true)", "skipInBlock()"),
        script=script,
    ) == ["abcdend", "acend", "x0,0,2"]


def test_continue_and_labelled_break_leave_a_switch(tmp_path: Path) -> None:
    script = """
function odd(list) {
  var out = [];
  for (var i = 0; i &lt; list.length; i++) {
    switch (list[i] % 2) {
      case 0: continue;
      default: out.push(list[i]);
    }
  }
  return out.join();
}
function until(list) {
  var seen = 0;
  scan: for (var i = 0; i &lt; list.length; i++) {
    switch (list[i]) {
      case 'stop': break scan;
      default: seen++;
    }
  }
  return seen;
}
"""
    assert run(
        tmp_path,
        logs("odd([1, 2, 3, 4, 5])", "until(['a', 'b', 'stop', 'c'])"),
        script=script,
    ) == ["1,3,5", 2]


def test_with_looks_names_up_in_its_object_first(tmp_path: Path) -> None:
    script = """
var config = {host: 'a', port: 1, describe: function () { return this.host + ':' + this.port; }};
var port = 99, host = 'outer', text = '', last = '';
with (config) {
  port = port + 1;
  text = describe();
  last = (function () { return host; })();
  fresh = 'made';
}
var size = 0;
with ('abc') { size = length; }
"""
    assert run(
        tmp_path,
        logs(
            "config.port",
            "port",
            "text",
            "last",
            "fresh",
            "typeof config.fresh",
            "size",
        ),
        script=script,
    ) == [2, 99, "a:2", "a", "made", "undefined", 3]


def test_with_errors_are_javascripts(tmp_path: Path) -> None:
    script = """
function missing() { with ({}) { return nowhere; } }
function nothing() { with (null) { } }
"""
    assert run(tmp_path, logs("missing()"), script=script) == [
        "error.execution: ReferenceError: nowhere is not defined"
    ]
    assert run(tmp_path, logs("nothing()"), script=script) == [
        "error.execution: TypeError: cannot use null in 'with'"
    ]
