"""ECMAScript in a document sees the documented object model and nothing else.

Scripts reach the platform's Python objects only through the runtime's
property access, which reads them deny by default (`runtime/js/host.py`):

- a walk over everything reachable from `_genesys`, `_event` (a platform
  event with data, a REST event with nested data, `error.execution`), the
  other system variables and the global built-ins, by the access path compiled
  code uses, meets JavaScript values and declared host objects only, never a
  Python object, method, type, module, the platform or its clock;
- named attacks from a document (`_genesys.context`, `_event.copy`,
  `__class__`, `constructor.constructor`, `Function`, `eval`, computed names,
  `with`, writes and deletes) give undefined or a JavaScript error, never a
  Python object, and leave the platform as it was;
- the python datamodel, whose author is trusted, reads the same objects as
  Python.
"""

from __future__ import annotations

import html
import json
import types
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scxmlc.runtime import js
from scxmlc.runtime.events import AttrDict, Event
from scxmlc.runtime.js.date import JSDate
from scxmlc.runtime.js.host import host_model
from scxmlc.runtime.js.realm import Intrinsic
from scxmlc.runtime.js.regexp import JSRegExp
from scxmlc.runtime.js.session import SESSION_FUNCTIONS
from scxmlc.runtime.js.values import is_object
from scxmlc.runtime.ors import enums, interaction_api, objects, routing_api
from scxmlc.runtime.ors import session_api
from scxmlc.runtime.ors.genesys import Genesys
from scxmlc.runtime.ors.objects import Interactions
from scxmlc.runtime.ors.platform import OrsSession
from scxmlc.runtime.sim import Simulation

from ors_harness import machine_class, simulate

REST_ORIGIN_TYPE = "urn:scxmlc:ors:rest"

SCENARIO = """
dns: [{number: "5000", type: RoutingPoint}]
agents: [{id: anna, dn: "7001", groups: [Sales], state: ready}]
lists: {Routing: {Sales: {vq: VQ_Sales, since: 2024-01-01, tags: [a, b]}}}
timeline:
  - {at: 0, call: {id: c1, to: "5000", ani: "+15550100", talk: 30,
     udata: {Segment: gold, nested: {list: [1, {deep: [true, null]}], when: 2024-02-03},
             tags: [x, y], pairs: [[a, 1], [b, 2]]}}}
until: 50
"""
"""One call whose attached data holds what a scenario can hold: nested mappings
and lists, a date (read as its text). Sets and ordered pairs (`!!set`,
`!!omap`) are not plain data, and a scenario holding them is refused."""

GLOBAL_NAMES = sorted(js.GLOBALS) + sorted(set(SESSION_FUNCTIONS) - set(js.GLOBALS))

WALKED = f"""<scxml {{ns}} profile="ecmascript" initial="s">
  <datamodel><data id="roots" expr="({{}})"/></datamodel>
  <state id="s">
    <transition event="interaction.present" target="t">
      <script>
        roots.genesys = _genesys;
        roots.present = _event;
        roots.system = {{ioprocessors: _ioprocessors, x: _x, sessionid: _sessionid,
                        name: _name, data: _data}};
        roots.globals = {{{", ".join(f"{n!s}: {n!s}" for n in GLOBAL_NAMES)}}};
        roots.globals.Date = Date;
        roots.udata = _genesys.ixn.interactions[0].udata;
        roots.item = _genesys.session.getListItemValue('Routing', 'Sales', '');
        roots.functions = [_genesys.ixn.setuData, _genesys.statistic.sData,
                           _genesys.session.timeInZone];
      </script>
    </transition>
  </state>
  <state id="t">
    <transition event="rest.update" target="u"><script>roots.rest = _event;</script></transition>
  </state>
  <state id="u">
    <onentry><log expr="undefined.x"/></onentry>
    <transition event="error.execution" target="v"><script>roots.error = _event;</script></transition>
  </state>
  <state id="v"/>
</scxml>"""

REST_DATA = {
    "customer": {"id": 7, "segments": ["gold", {"since": "2020"}], "vip": True},
    "items": [[1, 2], {"a": None}],
    "__class__": "not a Python attribute",
}
"""Nested JSON, as the session server hands it to a session."""


def run_walked() -> tuple[Simulation, Any]:
    """The walked document, run past its three events; its session's machine."""
    simulation = simulate(machine_class(WALKED), SCENARIO)
    (session,) = simulation.platform.sessions.values()
    session.deliver("rest.update", json.loads(json.dumps(REST_DATA)), REST_ORIGIN_TYPE)
    simulation.clock.run_until_idle(limit=60.0)
    machine = session.machine
    assert machine.configuration == {"v"}, machine.configuration
    return simulation, machine


# -- what a script may meet ----------------------------------------------------------

HOST_CLASSES: frozenset[type] = frozenset(
    {
        Event,
        Genesys,
        session_api.SessionModule,
        session_api._Server,
        interaction_api.InteractionModule,
        interaction_api.VoiceModule,
        routing_api.QueueModule,
        routing_api.DialogModule,
        routing_api.StatisticModule,
        routing_api.ClassificationModule,
        routing_api.ResourceModule,
        routing_api.ElasticModule,
        routing_api.WebModule,
        objects.Interaction,
        objects.VoiceProperties,
        objects.MessageProperties,
        objects.ChatProperties,
        objects.Party,
        *(getattr(enums, name) for name in enums.__all__ if name[0].islower()),
        *(type(getattr(enums, name)) for name in enums.__all__ if name.isupper()),
    }
)
"""The classes of the `_genesys` object model and `_event`."""

MAPPINGS: frozenset[type] = frozenset({dict, AttrDict, Interactions})
"""Python mappings scripts read as objects: the session's `_data`,
`_ioprocessors` and `_x`, and `_genesys.ixn.interactions`."""

JS_KINDS = (js.JSObject, js.JSArray, js.JSFunction, JSDate, JSRegExp, Intrinsic)


def is_js_value(value: Any) -> bool:
    """Whether `value` is one a script may hold: a JavaScript value, a host
    object of the declared model, or one of the session's own mappings."""
    if value is None or value is js.undefined or type(value) in (bool, int, float, str):
        return True
    if isinstance(value, JS_KINDS):
        return True
    if type(value) in HOST_CLASSES:
        return host_model(type(value)) is not None
    return type(value) in MAPPINGS


PROBES = (
    "__proto__",
    "prototype",
    "constructor",
    "__class__",
    "__dict__",
    "__globals__",
    "__self__",
    "__func__",
    "__code__",
    "__closure__",
    "__builtins__",
    "__subclasses__",
    "__mro__",
    "__bases__",
    "__init__",
    "__getattribute__",
    "__reduce_ex__",
    "__module__",
    "__slots__",
    "context",
    "platform",
    "machine",
    "session",
    "sessions",
    "copy",
    "fields",
    "impl",
    "props",
    "own",
    "parent",
    "clock",
    "loop",
    "backend",
    "_session",
    "_backend",
    "_js_data",
    "_ors",
    "_realm",
    "dm",
    "globals",
    "f_globals",
    "gi_frame",
    "tb_frame",
    "mro",
    "js_properties",
    "js_functions",
    "js_property",
    "keys",
    "items",
    "values",
    "get",
    "pop",
    "update",
    "describe",
    "ids",
    "names",
    "unsupported",
    "fetch",
    "start",
    "terminate",
    "submit",
    "redirect",
    "response",
    "action",
    "perform",
)
"""Names tried on every object besides the ones it lists: Python's ways out,
the platform's internals, and the Python methods of the model's classes."""

OBJECT_FUNCTIONS = ("keys", "getOwnPropertyNames", "getPrototypeOf")


def names_of(value: Any, machine: Any) -> list[Any]:
    """Every name a walk tries on `value`: what `for`-`in`, `Object.keys` and
    `Object.getOwnPropertyNames` list, `PROBES`, and every attribute the Python
    object behind it has (`dir`)."""
    found: list[Any] = list(js.iterate_keys(value, machine))
    for function in ("keys", "getOwnPropertyNames"):
        found.extend(js.call_method(js.GLOBALS["Object"], function, machine, value))
    found.extend(PROBES)
    if not isinstance(value, (js.JSObject, js.JSArray)):
        found.extend(dir(value))
    return list(dict.fromkeys(str(name) for name in found))


def reachable(
    roots: dict[str, Any], machine: Any, depth: int = 6, limit: int = 3000
) -> Iterator[tuple[str, Any]]:
    """(path, value) for every value reachable from `roots`, breadth first,
    read as compiled code reads them: `js.get` of each name of `names_of`,
    and `Object.getPrototypeOf`."""
    seen: set[int] = set()
    pending = deque((path, value, 0) for path, value in roots.items())
    while pending:
        path, value, level = pending.popleft()
        yield path, value
        if not is_object(value) and not isinstance(value, Intrinsic):
            if type(value) not in HOST_CLASSES:
                continue
        if id(value) in seen or level >= depth or len(seen) >= limit:
            continue
        seen.add(id(value))
        for name in names_of(value, machine):
            try:
                child = js.get(value, name, machine)
            except js.JSError:
                continue
            pending.append((f"{path}.{name}", child, level + 1))
        proto = js.call_method(js.GLOBALS["Object"], "getPrototypeOf", machine, value)
        pending.append((f"Object.getPrototypeOf({path})", proto, level + 1))


def walk_roots(machine: Any) -> dict[str, Any]:
    roots = machine.dm["roots"]
    return {name: js.get(roots, name, machine) for name in js.iterate_keys(roots)}


def test_the_walk_meets_javascript_values_and_the_declared_model_only() -> None:
    _, machine = run_walked()
    roots = walk_roots(machine)
    assert set(roots) >= {"genesys", "present", "rest", "error", "globals", "system"}
    reached = list(reachable(roots, machine))
    assert len(reached) > 1000  # the walk went somewhere
    leaks = [
        (path, repr(value)[:80]) for path, value in reached if not is_js_value(value)
    ]
    assert not leaks, leaks[:20]
    kinds = {type(value) for _, value in reached}
    forbidden = (
        types.MethodType,
        types.FunctionType,
        types.BuiltinFunctionType,
        types.ModuleType,
        type,
        OrsSession,
        tuple,
        set,
        frozenset,
        bytes,
    )
    assert not [k for k in kinds if issubclass(k, forbidden)]
    assert {Genesys, Event, objects.Interaction, objects.Party} <= kinds


def test_host_objects_show_their_declared_names_and_nothing_else() -> None:
    """On every host object reached, a name it does not declare reads as it
    does on a plain object (`Object.prototype`'s, or undefined)."""
    _, machine = run_walked()
    plain = js.JSObject()
    for path, value in reachable(walk_roots(machine), machine):
        model = host_model(type(value))
        if model is None or isinstance(value, dict):
            continue
        for name in names_of(value, machine):
            if name in model.properties or name in model.functions:
                continue
            found = js.get(value, name, machine)
            assert found is js.get(plain, name, machine), (path, name, found)
            assert not js.has(value, name, machine) or js.has(plain, name, machine)


def test_events_show_their_fields_and_data_as_javascript_values() -> None:
    _, machine = run_walked()
    roots = walk_roots(machine)
    rest, error, present = roots["rest"], roots["error"], roots["present"]
    keys = ["name", "type", "sendid", "origin", "origintype", "invokeid", "data", "raw"]
    assert list(js.iterate_keys(rest, machine)) == keys
    data = js.get(rest, "data", machine)
    assert type(data) is js.JSObject and js.get(rest, "data", machine) is data
    assert js.get(data, "__class__", machine) == "not a Python attribute"
    customer = js.get(data, "customer", machine)
    assert type(js.get(customer, "segments", machine)) is js.JSArray
    assert js.get(rest, "origintype", machine) == REST_ORIGIN_TYPE
    assert js.get(error, "name", machine) == "error.execution"
    assert type(js.get(error, "data", machine)) is js.JSObject
    assert js.get(present, "sendid", machine) is js.undefined
    udata = roots["udata"]
    assert type(udata) is js.JSObject
    nested = js.get(udata, "nested", machine)
    assert js.get(nested, "when", machine) == "2024-02-03"
    assert list(js.get(udata, "tags", machine)) in (["x", "y"], ["y", "x"])
    assert type(js.get(udata, "pairs", machine)) is js.JSArray


# -- attacks from a document ----------------------------------------------------------

ATTACKS: list[tuple[str, Any]] = [
    ("_genesys.context", "undefined"),
    ("_genesys['con' + 'text']", "undefined"),
    ("_genesys.context.platform.sessions", "TypeError"),
    ("_genesys.context.platform.clock", "TypeError"),
    ("_event.copy", "undefined"),
    ("_event.copy()", "TypeError"),
    ("_event.fields", "undefined"),
    ("_event.__class__", "undefined"),
    ("_event['__cla' + 'ss__']", "undefined"),
    ("_event._js_data", "undefined"),
    ("_event.data.__class__", "undefined"),
    ("_genesys.ixn.__dict__", "undefined"),
    ("_genesys.__class__", "undefined"),
    ("_genesys.__proto__", "undefined"),
    ("_genesys.session._session", "undefined"),
    ("_genesys.session._backend", "undefined"),
    ("_genesys.unsupported", "undefined"),
    ("_genesys.queue.submit", "undefined"),
    ("_genesys.session.start", "undefined"),
    ("_genesys.session.fetch", "undefined"),
    ("_genesys.session.response", "undefined"),
    ("_genesys.ixn.interactions.get", "undefined"),
    ("_genesys.ixn.interactions.ids", "undefined"),
    ("_genesys.ixn.interactions._add", "undefined"),
    ("_genesys.ixn.interactions[0].fields", "undefined"),
    ("_genesys.ixn.interactions[0].__slots__", "undefined"),
    ("_genesys.queue.rType.names", "undefined"),
    ("_genesys.session.server.__init__", "undefined"),
    ("_genesys.ixn.setuData.impl", "undefined"),
    ("_genesys.ixn.setuData.__self__", "undefined"),
    ("_ioprocessors.__class__", "undefined"),
    ("In.__self__", "undefined"),
    ("In.__func__", "undefined"),
    ("_genesys.session.constructor", "undefined"),
    ("_genesys.session.constructor.constructor('return 1')", "TypeError"),
    ("[].constructor.constructor('return 1')()", "TypeError"),
    ("Array.constructor('return 1')()", "TypeError"),
    ("Function.prototype.constructor('return 1')()", "TypeError"),
    ("Function('return _genesys.context')()", "EvalError"),
    ("new Function('return 1')", "EvalError"),
    ("eval('_genesys.context')", "ReferenceError"),
    ("eval('1; _genesys')", "EvalError"),
    ("Object.getPrototypeOf(_genesys) === Object.prototype", True),
    ("Object.getPrototypeOf(_event) === Object.prototype", True),
    ("'context' in _genesys", False),
    ("'copy' in _event", False),
    ("_genesys.hasOwnProperty('context')", False),
    ("(function () { with (_genesys) { return typeof context; } })()", "'undefined'"),
    (
        "Object.keys(_genesys).join()",
        "session,ixn,voice,queue,dialog,statistic,"
        "classification,resource,elasticconnector,ws",
    ),
    (
        "Object.getOwnPropertyNames(_genesys.ixn).join()",
        "interactions,firstixnid,mediaType",
    ),
    (
        "(function () { var r = []; for (var k in _event) r.push(k); return r.join(); })()",
        "name,type,sendid,origin,origintype,invokeid,data,raw",
    ),
    ("String(_genesys)", "[object Object]"),
    ("String(_event)", "[object Object]"),
    ("uneval(_genesys.session.server)", '({name:"ORS_Server", cluster:"ORS_Cluster"})'),
    ("typeof _genesys.ixn.setuData", "function"),
    ("typeof _genesys.session", "object"),
    ("_genesys.context = 1", "TypeError"),
    ("_event.name = 'forged'", "TypeError"),
    ("_genesys.ixn.interactions.c2 = {}", "TypeError"),
    ("delete _genesys.ixn.interactions.c1", False),
    ("Object.defineProperty(_genesys, 'context', {value: 1})", "TypeError"),
    ("Object.defineProperty(_genesys.ixn.interactions, 'c3', {value: 1})", "TypeError"),
    ("(_genesys.ixn.interactions[0].udata.Segment = 'forged')", "forged"),
    ("_genesys.ixn.interactions[0].udata.Segment", "gold"),
    ("_genesys.session.getListItemValue('Routing', 'Sales', '').vq", "VQ_Sales"),
    ("(_genesys.session.getListItemValue('Routing', 'Sales', '').vq = 'x')", "x"),
    ("_genesys.session.getListItemValue('Routing', 'Sales', 'vq')", "VQ_Sales"),
    (
        "(function () { var o = {n: 1, f: function () { return 1; }};"
        " _genesys.ixn.setuData({obj: o}); var back = _genesys.ixn.getuData('obj');"
        " return [back !== o, typeof back.f, back.n].join(); })()",
        "true,undefined,1",
    ),
    ("typeof _genesys.ixn.interactions[0].udata.obj.f", "'undefined'"),
]
"""(JavaScript expression, what it gives: a value, or the kind of error it throws)."""

ERROR_KINDS = ("TypeError", "EvalError", "ReferenceError", "RangeError", "SyntaxError")


def attacked(expressions: list[str]) -> tuple[Simulation, list[Any]]:
    """Run each expression in a document, each in its own `try`: what it gave
    (`['value', v]`) or threw (`['thrown', name]`)."""
    lines = "".join(
        f"try {{ results.push(['value', {e}]); }} "
        f"catch (e) {{ results.push(['thrown', e && e.name]); }}\n"
        for e in expressions
    )
    document = f"""<scxml {{ns}} profile="ecmascript" initial="s">
  <datamodel><data id="results" expr="[]"/></datamodel>
  <state id="s"><transition event="interaction.present" target="t"/></state>
  <state id="t">
    <onentry><script>{html.escape(lines, quote=False)}</script></onentry>
  </state>
</scxml>"""
    simulation = simulate(machine_class(document), SCENARIO)
    (session,) = simulation.platform.sessions.values()
    return simulation, list(session.machine.dm["results"])


def test_attacks_give_undefined_or_a_javascript_error() -> None:
    simulation, results = attacked([expression for expression, _ in ATTACKS])
    assert len(results) == len(ATTACKS)
    wrong = []
    for (expression, expected), (kind, value) in zip(ATTACKS, results):
        assert is_js_value(value), (expression, value)
        if expected in ERROR_KINDS:
            outcome = value if kind == "thrown" else ("value", value)
        else:
            outcome = value if kind == "value" else ("thrown", value)
            if expected == "undefined":
                expected = js.undefined
            elif expected == "'undefined'":
                expected = "undefined"
        if outcome != expected and outcome is not expected:
            wrong.append((expression, expected, outcome))
    assert not wrong, wrong
    (session,) = simulation.platform.sessions.values()
    interaction = session.interactions["c1"]
    assert list(session.interactions) == ["c1"]
    assert interaction.udata["Segment"] == "gold"
    item = simulation.center.config.lists["Routing"]["Sales"]
    assert item["vq"] == "VQ_Sales"


UNCAUGHT = [
    "_genesys.context.platform",
    "_event.copy()",
    "_genesys.ixn.interactions.c9 = 1",
]


@pytest.mark.parametrize("expression", UNCAUGHT)
def test_an_uncaught_attack_is_error_execution(expression: str) -> None:
    document = f"""<scxml {{ns}} profile="ecmascript" initial="s">
  <datamodel><data id="outcome" expr="''"/></datamodel>
  <state id="s">
    <transition event="interaction.present" target="t">
      <log expr="{html.escape(expression)}"/>
    </transition>
  </state>
  <state id="t">
    <transition event="error.execution" target="failed">
      <assign location="outcome" expr="_event.data.message"/>
    </transition>
  </state>
  <state id="failed"/>
</scxml>"""
    simulation = simulate(machine_class(document), SCENARIO)
    (session,) = simulation.platform.sessions.values()
    assert session.machine.configuration == {"failed"}
    assert session.machine.dm["outcome"].startswith("TypeError")


def test_in_read_as_a_value_still_tests_a_state() -> None:
    _, results = attacked(["(function () { var f = In; return f('t'); })()"])
    assert results == [["value", True]]


# -- the declarations ---------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(HOST_CLASSES, key=lambda k: k.__name__))
def test_declared_names_are_public_and_exist(kind: type) -> None:
    model = host_model(kind)
    assert model is not None
    declared = [*getattr(kind, "js_properties", ()), *getattr(kind, "js_functions", ())]
    assert not [name for name in declared if name.startswith("_")]
    slots = {s for k in kind.__mro__ for s in getattr(k, "__slots__", ())}
    for name in declared:
        assert hasattr(kind, name) or name in slots, (kind, name)
    for name in getattr(kind, "js_functions", ()):
        assert callable(getattr(kind, name)), (kind, name)


def test_action_methods_are_not_functions_of_the_object_model() -> None:
    """Actions are elements (`<queue:submit>`), compiled to Python calls:
    scripts cannot call them, or any other Python method of a module."""
    for kind in HOST_CLASSES:
        functions = set(getattr(kind, "js_functions", ()))
        public = {n for n, v in vars(kind).items() if callable(v) and n[0] != "_"}
        undeclared = public - functions
        assert not functions & {"submit", "redirect", "fetch", "start", "terminate"}
        for name in undeclared:
            model = host_model(kind)
            assert model is not None and name not in model.functions


# -- the python datamodel is trusted ----------------------------------------------------

PYTHON = """<scxml {ns} datamodel="python" initial="s">
  <datamodel><data id="seen" expr="None"/></datamodel>
  <state id="s">
    <transition event="interaction.present" target="t">
      <assign location="seen" expr="(
        _genesys.context.label,
        type(_event.data).__name__,
        _genesys.ixn.interactions[0].udata['Segment'],
        _event.copy().name,
      )"/>
    </transition>
  </state>
  <state id="t"/>
</scxml>"""


def test_the_python_datamodel_reads_the_objects_as_python() -> None:
    simulation = simulate(machine_class(PYTHON), SCENARIO)
    (session,) = simulation.platform.sessions.values()
    label, data_type, segment, name = session.machine.dm.seen
    assert (label, segment, name) == (session.label, "gold", "interaction.present")
    assert data_type in ("AttrDict", "dict")


# -- sessions share no object through events ----------------------------------------------

SENDER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript" initial="s">
  <datamodel>
    <data id="shared" expr="({n: 1, inner: {m: 2}, list: [1, {k: 3}],
                              f: function () { return 'sender'; }})"/>
  </datamodel>
  <state id="s">
    <onentry><send event="e"><content expr="shared"/></send></onentry>
    <transition event="e" target="t">
      <log label="copy" expr="_event.data !== shared &amp;&amp; _event.data === _event.data"/>
      <log label="inner" expr="_event.data.inner !== shared.inner"/>
      <log label="values" expr="JSON.stringify(_event.data)"/>
      <log label="function" expr="typeof _event.data.f"/>
      <script>_event.data.inner.m = 99;</script>
      <log label="untouched" expr="shared.inner.m"/>
    </transition>
  </state>
  <state id="t"/>
</scxml>"""


def test_event_data_is_a_copy_that_carries_no_function(tmp_path: Path) -> None:
    import scxmlc
    from scxmlc.runtime import VirtualClock

    from recording import Recorder

    path = tmp_path / "sender.scxml"
    path.write_text(SENDER, encoding="utf-8")
    recorder = Recorder()
    scxmlc.load(path)(VirtualClock(), observer=recorder).start()
    assert not recorder.errors
    assert dict(recorder.logs) == {
        "copy": True,
        "inner": True,
        "values": '{"n":1,"inner":{"m":2},"list":[1,{"k":3}]}',
        "function": "undefined",
        "untouched": 2,
    }
