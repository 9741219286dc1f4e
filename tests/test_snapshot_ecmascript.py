"""Snapshots of the ECMAScript datamodel: every kind of JavaScript value is
saved and loaded into a fresh session through bytes, keeping its identity,
its cycles, its prototype and attributes; the document's functions and
closures keep what they captured and run against the restored session;
built-ins stay the shared built-ins; what cannot be captured is refused,
naming it."""

from __future__ import annotations

import html
import math
import sys
from pathlib import Path
from typing import Any

import pytest

import scxmlc
import scxmlc.runtime.capture  # noqa: F401 - the core's handlers (XML content)
import scxmlc.compiler
from scxmlc.runtime import Machine, VirtualClock, js
from scxmlc.runtime.js.capture import builtin_paths
from scxmlc.runtime.js.date import DateConstructor, JSDate
from scxmlc.runtime.js.errors import PROTOTYPES
from scxmlc.runtime.js.values import invoke
from scxmlc.runtime.js.regexp import JSRegExp
from scxmlc.runtime.js.standard import ARRAY_PROTOTYPE, GLOBALS
from scxmlc.runtime.snapshot import (
    LoadContext,
    SaveContext,
    SnapshotError,
    dumps,
    loads,
)

from recording import Recorder


def document(script: str, data: str = "", body: str = "") -> str:
    return f"""<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript" name="snap">
  <datamodel>{data}</datamodel>
  <script>{html.escape(script, quote=False)}</script>
  <state id="s">
    <onentry>{body}</onentry>
    <transition event="go" target="t"/>
  </state>
  <state id="t"/>
</scxml>
"""


def started(
    tmp_path: Path, script: str, data: str = "", body: str = ""
) -> tuple[Machine, Recorder]:
    path = tmp_path / "snap.scxml"
    path.write_text(document(script, data, body), encoding="utf-8")
    recorder = Recorder()
    machine = scxmlc.load(path)(VirtualClock(epoch=0), observer=recorder)
    machine.start()
    assert recorder.errors == []
    return machine, recorder


def datamodel(machine: Any) -> dict[str, Any]:
    """What a snapshot saves of an ECMAScript session's datamodel: `_data`
    (a dict, or the values of a record's slots), the globals, the realm."""
    variables = getattr(machine, "globals", None)
    names = type(variables).__slots__ if variables is not None else ()
    fields = {name: getattr(variables, name) for name in names}
    data = machine.dm if isinstance(machine.dm, dict) else dict(machine.dm.items())
    return {"dm": data, "globals": fields, "realm": machine._realm}


def round_trip(machine: Any) -> tuple[Any, dict[str, Any]]:
    """A fresh session of the same class, and the datamodel of `machine`
    loaded through bytes into it (installed as its own)."""
    data = dumps(datamodel(machine), SaveContext(machine))
    cls = type(machine)
    fresh: Any = cls(VirtualClock(epoch=0))
    module = sys.modules[cls.__module__]
    loaded = loads(data, LoadContext(cls, module, fresh.clock, machine=fresh))
    fresh._init_datamodel()
    if isinstance(fresh.dm, dict):
        fresh.dm = loaded["dm"]
    else:
        for name, value in loaded["dm"].items():
            fresh.dm[name] = value
    for name, value in loaded["globals"].items():
        setattr(fresh.globals, name, value)
    fresh._realm = loaded["realm"]
    return fresh, loaded["globals"]


def call(function: Any, *args: Any, this: Any = js.undefined) -> Any:
    return invoke(function, this, *args)


# -- values ------------------------------------------------------------------------


def test_shared_objects_and_cycles_keep_their_identity(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        var a = {n: 1};
        a.self = a;
        var b = {x: a, y: a, list: [a, a]};
        b.list.push(b.list);
        var same = a;
        """,
        data='<data id="d" expr="({items: [1, 2]})"/>',
    )
    _, values = round_trip(machine)
    a, b = values["a"], values["b"]
    assert type(a) is js.JSObject and a["n"] == 1
    assert a["self"] is a and b["x"] is a and b["y"] is a and values["same"] is a
    assert b["list"][0] is a and b["list"][2] is b["list"]
    assert type(b["list"]) is js.JSArray


def test_undefined_and_absent_are_the_singletons(tmp_path: Path) -> None:
    machine, _ = started(tmp_path, "var u; var o = {v: undefined};")
    fresh, values = round_trip(machine)
    assert values["u"] is js.undefined and values["o"]["v"] is js.undefined
    assert loads(
        dumps([js.absent], SaveContext(machine)),
        LoadContext(type(machine), None, machine=fresh),
    ) == [js.absent]


def test_prototypes_constructors_and_instanceof(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        function Point(x, y) { this.x = x; this.y = y; }
        Point.prototype.norm = function () { return this.x * this.x + this.y * this.y; };
        var p = new Point(3, 4);
        var q = Object.create(p);
        """,
    )
    fresh, values = round_trip(machine)
    point, p, q = values["Point"], values["p"], values["q"]
    assert p.proto is point.prototype and q.proto is p
    assert js.instanceof(p, point) and js.instanceof(q, point)
    assert js.call_method(q, "norm", fresh) == 25
    made = js.construct(point, 1, 2)
    assert made.proto is point.prototype and made["y"] == 2


def test_getters_and_setters_run_against_the_restored_session(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        var counter = 5;
        var obj = {get v() { return counter; }, set v(a) { counter = a * 2; }};
        """,
    )
    fresh, values = round_trip(machine)
    obj = values["obj"]
    assert type(obj) is js.AccessorObject
    assert js.get(obj, "v", fresh) == 5
    js.put(obj, "v", 21, fresh)
    assert fresh.globals.counter == 42 and machine.globals.counter == 5
    assert js.get(obj, "v", fresh) == 42


def test_attributes_and_closed_objects_and_arrays(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        var ro = {};
        Object.defineProperty(ro, 'k', {value: 1, writable: false, enumerable: false});
        var closed = Object.preventExtensions({a: 1});
        var sealed = Object.seal({b: 2});
        var frozen = Object.freeze({c: {deep: 3}});
        var list = Object.freeze([1, {e: 2}]);
        list.again = undefined;
        var named = [1, 2];
        named.label = 'x';
        var loop = Object.freeze([]);
        """,
    )
    fresh, values = round_trip(machine)
    ro = values["ro"]
    assert (
        js.get(ro, "k", fresh) == 1
        and js.call_method(GLOBALS["Object"], "keys", fresh, ro) == js.JSArray()
    )
    js.put(ro, "k", 2, fresh)
    assert js.get(ro, "k", fresh) == 1
    assert type(values["closed"]).__name__ == "NonExtensibleObject"
    assert type(values["sealed"]).__name__ == "SealedObject"
    frozen = values["frozen"]
    assert type(frozen).__name__ == "FrozenObject"
    js.put(frozen, "c", 0, fresh)
    assert js.get(js.get(frozen, "c", fresh), "deep", fresh) == 3
    frozen_list = values["list"]
    assert type(frozen_list) is js.FrozenArray and frozen_list[0] == 1
    with pytest.raises(js.JSError, match="frozen"):
        frozen_list.append(3)
    named = values["named"]
    assert type(named) is js.PropertyArray and named.props == {"label": "x"}
    assert list(named) == [1, 2]


def test_a_frozen_array_that_holds_itself(tmp_path: Path) -> None:
    machine, _ = started(tmp_path, "var box = [];")
    box = machine.globals.box
    box.append(box)
    js.call_method(GLOBALS["Object"], "freeze", machine, box)
    _, values = round_trip(machine)
    assert type(values["box"]) is js.FrozenArray and values["box"][0] is values["box"]


def test_dates_and_the_sessions_date(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        var d = new Date(2024, 1, 29, 10, 30);
        var invalid = new Date('nonsense');
        var D = Date;
        var now = Date.now;
        """,
    )
    fresh, values = round_trip(machine)
    d = values["d"]
    assert type(d) is JSDate and d.time == machine.globals.d.time
    assert js.call_method(d, "getMonth", fresh) == 1
    assert math.isnan(values["invalid"].time)
    date = values["D"]
    assert type(date) is DateConstructor and date is fresh._realm.date
    assert js.date_constructor(fresh) is date
    fresh.clock.advance(2)
    assert call(values["now"]) == 2000
    assert values["now"] is date.props["now"]


def test_what_scripts_assigned_to_the_sessions_date(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        Date.format = {pattern: 'iso'};
        Date.self = Date;
        var D = Date;
        """,
    )
    fresh, values = round_trip(machine)
    date = values["D"]
    assert date is fresh._realm.date and date.clock is fresh.clock
    assert js.get(date, "format", fresh) == {"pattern": "iso"}
    assert js.get(date, "self", fresh) is date
    assert call(js.get(date, "UTC", fresh), 1970, 0, 2) == 86400000


def test_regular_expressions_keep_flags_and_last_index(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        var re = /a(b)?/gi;
        var first = re.exec('xAbyab');
        var lit = /\\d+$/m;
        """,
    )
    fresh, values = round_trip(machine)
    re, first = values["re"], values["first"]
    assert type(re) is JSRegExp and re.flags == "gi" and re.last_index == 3
    assert list(first) == ["Ab", "b"] and first.props["index"] == 1
    found = js.call_method(re, "exec", fresh, "xAbyab")
    assert list(found) == ["ab", "b"] and re.last_index == 6
    assert js.call_method(values["lit"], "test", fresh, "x\n12") is True


def test_errors_keep_their_kind(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        var e = new TypeError('bad');
        var caught;
        try { null.x; } catch (ex) { caught = ex; }
        """,
    )
    fresh, values = round_trip(machine)
    assert values["e"].proto is PROTOTYPES["TypeError"]
    assert js.instanceof(values["e"], GLOBALS["Error"])
    assert js.to_string(values["e"]) == "TypeError: bad"
    assert js.get(values["caught"], "name", fresh) == "TypeError"


# -- functions ---------------------------------------------------------------------


def test_closures_keep_their_state_and_share_it(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        function makeCounter(start) {
          var n = start;
          function inc(by) { n += by; return n; }
          function get() { return n; }
          return {inc: inc, get: get};
        }
        var c = makeCounter(10);
        c.inc(1);
        function fact(k) { function f(i) { return i <= 1 ? 1 : i * f(i - 1); } return f(k); }
        var later = (function () { var hidden = 'kept'; return function () { return hidden; }; })();
        """,
    )
    fresh, values = round_trip(machine)
    counter = values["c"]
    assert call(counter["inc"], 5) == 16
    assert call(counter["get"]) == 16
    assert call(machine.globals.c["get"]) == 11  # the original is untouched
    assert call(values["fact"], 5) == 120
    assert call(values["later"]) == "kept"


def test_functions_bind_to_the_restored_session(tmp_path: Path) -> None:
    machine, recorder = started(
        tmp_path,
        """
        var total = 0;
        function add(n) { total += n; __Log('total ' + total); return total; }
        var alias = add;
        var log = __Log;
        var inState = In;
        """,
    )
    fresh, values = round_trip(machine)
    fresh_recorder = Recorder()
    fresh._observer = fresh_recorder
    assert values["alias"] is values["add"]
    assert call(values["add"], 3) == 3 and fresh.globals.total == 3
    call(values["log"], "hello")
    assert fresh_recorder.values == ["total 3", "hello"] and recorder.values == []
    assert values["inState"].__self__ is fresh


def test_function_properties_and_bound_functions(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        function f(a, b) { return this.base + a + b; }
        f.cache = {hits: 2};
        var o = {base: 100};
        var g = f.bind(o, 10);
        var method = {m: function () { return 7; }};
        """,
    )
    fresh, values = round_trip(machine)
    f, g = values["f"], values["g"]
    assert f.props == {"cache": {"hits": 2}}
    assert g.target is f and g.bound_this is values["o"]
    assert call(g, 1) == 111
    assert call(values["method"]["m"]) == 7


def test_functions_written_in_with_and_catch_keep_their_objects(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        var scope = {hidden: 'from with'};
        var fromWith, fromCatch;
        with (scope) { fromWith = function () { return hidden; }; }
        try { throw 'thrown'; } catch (e) { fromCatch = function () { return e; }; }
        """,
    )
    _, values = round_trip(machine)
    assert call(values["fromWith"]) == "from with"
    assert call(values["fromCatch"]) == "thrown"


def test_builtins_stay_the_shared_builtins(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        var max = Math.max, push = Array.prototype.push, keys = Object.keys;
        var define = Object.defineProperty, stringify = JSON.stringify;
        var proto = Array.prototype, math = Math, err = TypeError;
        var bare = Object.create(null);
        """,
    )
    _, values = round_trip(machine)
    paths = builtin_paths()
    assert values["max"] is paths["Math.max"] is js.get(GLOBALS["Math"], "max")
    assert values["push"] is ARRAY_PROTOTYPE.own["push"]
    assert values["keys"] is paths["Object.keys"]
    assert values["define"] is paths["Object.defineProperty"]
    assert values["stringify"] is paths["JSON.stringify"]
    assert values["proto"] is ARRAY_PROTOTYPE and values["math"] is GLOBALS["Math"]
    assert values["err"] is GLOBALS["TypeError"]
    assert values["bare"].proto is machine.globals.bare.proto
    assert call(values["max"], 1, 3) == 3


def test_every_builtin_is_saved_by_reference(tmp_path: Path) -> None:
    machine, _ = started(tmp_path, "var x;")
    builtins = list(builtin_paths().values())
    assert len(builtins) > 150
    context = LoadContext(type(machine), None, machine=machine)
    loaded = loads(dumps(builtins, SaveContext(machine)), context)
    assert all(a is b for a, b in zip(loaded, builtins, strict=True))


def test_what_a_session_changed_of_the_builtins(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        """
        String.prototype.shout = function () { return this.toUpperCase() + '!'; };
        Math.clamp = function (x) { return Math.min(Math.max(x, 0), 1); };
        Object.defineProperty(Array.prototype, 'last', {value: function () { return this[this.length - 1]; }, enumerable: false});
        """,
    )
    fresh, _ = round_trip(machine)
    assert js.call_method("hi", "shout", fresh) == "HI!"
    assert js.call_method(GLOBALS["Math"], "clamp", fresh, 5) == 1
    assert js.call_method(js.JSArray([1, 2]), "last", fresh) == 2


# -- what is refused ---------------------------------------------------------------


def test_a_python_function_is_refused(tmp_path: Path) -> None:
    machine, _ = started(tmp_path, "var x;")
    machine.globals.x = js.JSFunction(lambda this: 1, "sneaky")
    with pytest.raises(SnapshotError, match="function sneaky"):
        dumps(datamodel(machine), SaveContext(machine))


def test_another_sessions_function_is_refused(tmp_path: Path) -> None:
    machine, _ = started(tmp_path, "function own() { return 1; } var log = __Log;")
    other, _ = started(tmp_path, "var x;")
    other.globals.x = machine.globals.own
    with pytest.raises(SnapshotError, match="_js_own"):
        dumps(datamodel(other), SaveContext(other))
    other.globals.x = machine.globals.log
    with pytest.raises(SnapshotError, match="__Log.*another session"):
        dumps(datamodel(other), SaveContext(other))


def test_dom_functions_of_xml_content_are_refused(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        "var get = _data.book.getAttribute;",
        data='<data id="book"><book title="x"/></data>',
    )
    with pytest.raises(SnapshotError, match="function getAttribute"):
        dumps(datamodel(machine), SaveContext(machine))
    machine.globals.get = js.undefined
    fresh, _ = round_trip(machine)
    tag = js.get(machine.dm["book"], "tagName", machine)
    assert tag.endswith("book") and js.get(fresh.dm["book"], "tagName", fresh) == tag


def test_platform_objects_are_refused(tmp_path: Path) -> None:
    class Platform:
        js_functions = ("ping",)

        def ping(self) -> str:
            return "pong"

    machine, _ = started(tmp_path, "var x;")
    machine.globals.x = js.get(Platform(), "ping", machine)
    with pytest.raises(SnapshotError, match="function 'ping' of a platform object"):
        dumps(datamodel(machine), SaveContext(machine))
    machine.globals.x = Platform()
    with pytest.raises(SnapshotError, match="Platform"):
        dumps(datamodel(machine), SaveContext(machine))


def test_a_snapshot_cannot_build_functions_of_other_code(tmp_path: Path) -> None:
    from scxmlc.runtime.js import capture

    machine, _ = started(tmp_path, "var x;")
    with pytest.raises(SnapshotError, match="the document's"):
        capture._nested_function(capture._code_of, "x", (), None, None, "x")
    with pytest.raises(SnapshotError, match="may not name the method"):
        capture._session_method(machine, "_fail")
    with pytest.raises(SnapshotError, match="must be a session"):
        capture._date_of(js.JSObject())
    with pytest.raises(SnapshotError, match="must be a session"):
        capture._session_builtin(js.JSObject(), "__Log")


# -- ORS applications --------------------------------------------------------------

EXAMPLES = Path(__file__).parent.parent / "examples"
COMPOSER_SCENARIOS = sorted(
    (Path(__file__).parent / "cases" / "composer" / "scenarios").glob("*.yaml")
) + [
    path
    for path in sorted(EXAMPLES.glob("*.yaml"))
    if 'datamodel="python"' not in path.with_suffix(".scxml").read_text("utf-8")
]
"""The Composer project's scenarios, and those of the ECMAScript examples."""


@pytest.mark.parametrize(
    "scenario", COMPOSER_SCENARIOS, ids=[p.stem for p in COMPOSER_SCENARIOS]
)
def test_the_datamodels_of_ors_applications_are_captured(scenario: Path) -> None:
    """The Composer project and the ECMAScript examples, run on the simulated
    contact center: after every macrostep of every session, its datamodel
    loads into a fresh session through bytes and reads as the original does."""
    from scxmlc.compiler.loader import load
    from scxmlc.runtime.sim import Simulation, load_scenario

    simulation = Simulation(load_scenario(scenario), load)
    observer: Any = simulation.platform._observer
    on_stable = observer.on_stable
    uneval = GLOBALS["uneval"]
    captured = []

    def capture_each_macrostep(machine: Any) -> None:
        on_stable(machine)
        if not hasattr(machine, "_realm"):
            return  # a document of the Python datamodel
        fresh, _ = round_trip(machine)
        for name in ("dm", "globals"):
            before = datamodel(machine)[name]
            after = datamodel(fresh)[name]
            assert call(uneval, before) == call(uneval, after)
        captured.append(machine)

    observer.on_stable = capture_each_macrostep
    simulation.run()
    assert captured


# -- whole sessions: Machine.snapshot() and restore() --------------------------------

COMPUTATION = """
function Account(owner) { this.owner = owner; this.entries = []; }
Account.prototype.add = function (amount) {
  this.entries.push({amount: amount, at: new Date()});
  return this.total();
};
Account.prototype.total = function () {
  var sum = 0;
  for (var i = 0; i < this.entries.length; i++) sum += this.entries[i].amount;
  return sum;
};
function sequence(step) { var n = 0; return function () { n += step; return n; }; }
var account = new Account('ada');
var next = sequence(3);
var words = /\\w+/g;
var text = 'one two three four five six';
String.prototype.tag = function () { return '<' + this + '>'; };
var stamp = Date.now;
"""

TICK = """
<transition event="tick" cond="_event.data.n &lt; 6">
  <script>
    var found = words.exec(text);
    var total = account.add(next());
    _data.history.push(found[0].tag() + '=' + total + '@' + (stamp() - _data.started));
  </script>
  <log expr="_data.history[_data.history.length - 1]"/>
  <send event="tick" delay="1s"><param name="n" expr="_event.data.n + 1"/></send>
</transition>
"""


def computation(tmp_path: Path) -> Any:
    path = tmp_path / "computation.scxml"
    path.write_text(
        f"""<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript" name="computation">
  <datamodel>
    <data id="history" expr="[]"/>
    <data id="started" expr="Date.now()"/>
  </datamodel>
  <script>{html.escape(COMPUTATION, quote=False)}</script>
  <state id="run">
    <onentry><send event="tick"><param name="n" expr="0"/></send></onentry>
    {TICK}
  </state>
</scxml>
""",
        encoding="utf-8",
    )
    return scxmlc.load(path)


def test_a_restored_session_continues_the_computation_exactly(tmp_path: Path) -> None:
    cls = computation(tmp_path)

    def run(restore_each_step: bool) -> list[Any]:
        clock = VirtualClock(epoch=1000)
        recorder = Recorder()
        machine: Any = cls(clock, observer=recorder)
        machine.start()
        for _ in range(20):
            if restore_each_step:
                data = machine.snapshot()
                machine.dispose()
                machine = cls.restore(data, clock, observer=recorder)
            clock.advance(1)
        assert recorder.errors == []
        return recorder.values

    expected = run(False)
    assert expected == [
        "<one>=3@0",
        "<two>=9@1000",
        "<three>=18@2000",
        "<four>=30@3000",
        "<five>=45@4000",
        "<six>=63@5000",
    ]
    assert run(True) == expected


def test_a_session_refuses_naming_the_variable(tmp_path: Path) -> None:
    machine, _ = started(
        tmp_path,
        "var get = _data.book.getAttribute;",
        data='<data id="book"><book title="x"/></data>',
    )
    with pytest.raises(
        SnapshotError, match="cannot capture the variable 'get': .*getAttribute"
    ):
        machine.snapshot()
    machine.dm["book"] = machine.globals.get
    machine.globals.get = js.undefined
    with pytest.raises(SnapshotError, match="cannot capture <data id='book'>"):
        machine.snapshot()


def test_a_closure_restored_into_another_version_must_close_over_the_same(
    tmp_path: Path,
) -> None:
    def version(variable: str, value: str) -> Any:
        path = tmp_path / "v.scxml"
        script = f"""
        function make() {{ var {variable} = {value}; return function () {{ return {variable}; }}; }}
        var f = make();
        """
        path.write_text(document(script), encoding="utf-8")
        return scxmlc.load(path)

    first = version("a", "1")
    machine: Any = first(VirtualClock(epoch=0))
    machine.start()
    data = machine.snapshot()
    edited = version("a", "2")  # the same variables: the new code runs
    assert edited._fingerprint == first._fingerprint
    restored: Any = edited.restore(data, VirtualClock(epoch=0))
    assert call(restored.globals.f) == 1
    renamed = version("b", "1")
    assert renamed._fingerprint == first._fingerprint
    with pytest.raises(SnapshotError, match="closing over the snapshot's variables"):
        renamed.restore(data, VirtualClock(epoch=0))


def test_functions_named_by_order_are_checked_across_versions(tmp_path: Path) -> None:
    def version(script: str) -> Any:
        path = tmp_path / "order.scxml"
        path.write_text(document(script), encoding="utf-8")
        return scxmlc.load(path)

    kept = "var keep = [function () { return 'kept'; }];"
    named = "function greet() { return 'hello'; } var g = greet;"
    first = version(kept + named)
    machine: Any = first(VirtualClock(epoch=0))
    machine.start()
    data = machine.snapshot()
    # the same anonymous function, the named one edited: the new code runs
    edited = version(kept + named.replace("hello", "hi"))
    restored: Any = edited.restore(data, VirtualClock(epoch=0))
    assert call(restored.globals.keep[0]) == "kept"
    assert call(restored.globals.g) == "hi"
    # another anonymous function first: the kept one is compiled under
    # another name, and the name it had is now another function's
    shifted = version("(function () { return 0; })();" + kept + named)
    assert shifted._fingerprint == first._fingerprint
    with pytest.raises(SnapshotError, match="_js_anonymous is not the one"):
        shifted.restore(data, VirtualClock(epoch=0))


def test_system_variables_a_script_kept(tmp_path: Path) -> None:
    """`_event` and `_ioprocessors` kept in variables are captured with the
    session (by value, as the session's own are); `In` is the new session's."""
    path = tmp_path / "kept.scxml"
    path.write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript" name="kept">
  <datamodel><data id="last"/><data id="io"/><data id="test"/></datamodel>
  <state id="s">
    <onentry><script>io = _ioprocessors; test = In;</script></onentry>
    <transition event="go" target="t">
      <script>last = _event;</script>
    </transition>
  </state>
  <state id="t">
    <transition event="check" cond="last.name == 'go' &amp;&amp; last.data.n == 7
        &amp;&amp; io.scxml.location == _ioprocessors.scxml.location
        &amp;&amp; test('t')" target="pass"/>
    <transition event="check" target="fail"/>
  </state>
  <final id="pass"/>
  <final id="fail"/>
</scxml>
""",
        encoding="utf-8",
    )
    cls = scxmlc.load(path)
    clock = VirtualClock(epoch=0)
    machine: Any = cls(clock)
    machine.start()
    machine.send("go", {"n": 7})
    restored: Any = cls.restore(machine.snapshot(), clock)
    machine.dispose()
    restored.send("check")
    assert restored.configuration == frozenset({"pass"})


@pytest.mark.parametrize(
    "scenario", COMPOSER_SCENARIOS, ids=[p.stem for p in COMPOSER_SCENARIOS]
)
def test_ors_applications_restored_after_every_macrostep_do_what_they_did(
    scenario: Path,
) -> None:
    """The Composer project and the ECMAScript examples on the simulated
    contact center, every session snapshotted and restored onto its platform
    after each of its macrosteps: the same routing, the same trace (session
    ids aside, which are new in every run)."""
    import re

    from scxmlc.compiler.loader import load
    from scxmlc.runtime.sim import Simulation, load_scenario

    from test_snapshot_ors import Reincarnating

    def run(restore: bool) -> tuple[Any, list[tuple[str, Any, str]]]:
        simulation = Simulation(load_scenario(scenario), load)
        platform = simulation.platform
        observer = Reincarnating(platform, platform._observer)
        if restore:
            platform._observer = observer  # type: ignore[assignment]
        simulation.run()
        assert observer.restores > 0 or not restore
        session_ids = re.compile("[0-9a-f]{32}")
        trace = [
            (e.kind, e.session, session_ids.sub("<session>", e.text))
            for e in simulation.trace.entries
        ]
        return simulation.summary(), trace

    assert run(restore=True) == run(restore=False)


KEEPS_PLATFORM_OBJECTS = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    profile="ecmascript" name="keeps"{persist}>
  <datamodel><data id="d"/></datamodel>
  <script>
    var g = _genesys;
    var id = _genesys.session.id;
    function f() {{
      var local = _genesys.ixn;
      later = _genesys.queue;
      _data.d = _genesys.session;
      return local;
    }}
  </script>
  <state id="s"/>
</scxml>
"""


def test_keeping_a_platform_object_is_a_warning() -> None:
    """Storing `_genesys` or one of its module objects in a script global or a
    `<data>` is a warning at compile time (a function's variables are not);
    not for a document that is never persisted."""
    compiled = scxmlc.compiler.compile_text(
        KEEPS_PLATFORM_OBJECTS.format(persist=""), "keeps.scxml"
    )
    found = [(w.loc.line, w.message) for w in compiled.warnings]
    assert [line for line, _ in found] == [5, 9, 10]
    assert "_genesys is kept in 'g', which a snapshot cannot capture" in found[0][1]
    assert "_genesys.queue is kept in 'later'" in found[1][1]
    assert "_genesys.session is kept in '_data.d'" in found[2][1]
    never_persisted = scxmlc.compiler.compile_text(
        KEEPS_PLATFORM_OBJECTS.format(persist=' _persist="false"'), "keeps.scxml"
    )
    assert never_persisted.warnings == []


def test_a_session_restored_in_another_process(tmp_path: Path) -> None:
    """Nothing of the process that took a snapshot is in it: another Python
    process compiles the document, restores the session and finishes the
    computation as the first process does."""
    import subprocess

    cls = computation(tmp_path)
    clock = VirtualClock(epoch=1000)
    recorder = Recorder()
    machine: Any = cls(clock, observer=recorder)
    machine.start()
    clock.advance(2.5)
    (tmp_path / "session.bin").write_bytes(machine.snapshot())
    clock.advance(10)
    program = f"""
import sys
import scxmlc
from scxmlc.runtime import VirtualClock
sys.path.insert(0, {str(Path(__file__).parent)!r})
from recording import Recorder

cls = scxmlc.load({str(tmp_path / "computation.scxml")!r})
clock = VirtualClock(epoch=1002.5)
recorder = Recorder()
data = open({str(tmp_path / "session.bin")!r}, "rb").read()
restored = cls.restore(data, clock, observer=recorder)
clock.advance(10)
print(recorder.values, recorder.errors)
"""
    output = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == f"{recorder.values[3:]} []"


def test_the_same_document_loaded_twice_in_a_process(tmp_path: Path) -> None:
    """Two modules compiled from the same text have equal code objects, but a
    session's closures are found in its own module."""
    script = "function make() { var n = 1; return function () { return n; }; } var f = make();"
    sessions = []
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "twice.scxml"
        path.write_text(document(script), encoding="utf-8")
        machine: Any = scxmlc.load(path)(VirtualClock(epoch=0))
        machine.start()
        sessions.append(machine)
    assert type(sessions[0]).__module__ != type(sessions[1]).__module__
    for machine in sessions + sessions[::-1]:
        restored: Any = type(machine).restore(machine.snapshot(), VirtualClock())
        assert call(restored.globals.f) == 1
