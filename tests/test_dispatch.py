"""The chart's own dispatch (compiler/dispatch.py): what it plans, and that it
does what the runtime's general path does.

A generated `_dispatch` takes an external event in the configurations the
compiler planned and returns False everywhere else. The property that matters
is that it never differs from the general path: every document here runs the
same random sequences of events twice, once as generated and once through a
subclass whose `_dispatch` always declines, and the two sessions must hold the
same configuration, queues, datamodel, errors and logs after every event.
With the compiled core, the pure modules take the memo path alone (an
interpreted dispatch would be slower there), and native modules, whose
dispatch is compiled, are compared with them instead.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path
from types import FunctionType
from typing import Any

import pytest

import scxmlc
import scxmlc.runtime
from scxmlc.compiler import compile_path
from scxmlc.compiler.dispatch import MAX_COMPARES, MAX_NAMES
from scxmlc.runtime import Machine, Observer

ROOT = Path(__file__).resolve().parent.parent
BENCH = (ROOT / ".." / "shared" / "bench" / "machines").resolve()
GOLDEN = ROOT / "tests" / "cases" / "golden"

SCXML = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"'

# Documents that take each path of the planner: conditions that fail and that
# raise, eventless transitions after a step, <raise> in a step, history,
# In() in executable content, parallel regions with conditions, final states,
# wildcard and prefix descriptors, targetless transitions.
SYNTHETIC = {
    "conditions": f"""{SCXML} datamodel="python" initial="a">
  <datamodel><data id="n" expr="0"/><data id="log" expr="[]"/></datamodel>
  <state id="a">
    <onexit><assign location="log" expr="log + ['exit a']"/></onexit>
    <transition event="go" cond="n % 3 == 0" target="b"/>
    <transition event="go" cond="1 / (n % 3 - 1) > 0" target="c"/>
    <transition event="go" target="a"><assign location="n" expr="n + 1"/></transition>
    <transition event="bump"><assign location="n" expr="n + 1"/></transition>
    <transition event="boom"><assign location="n" expr="n / 0"/></transition>
  </state>
  <state id="b">
    <onentry><raise event="entered.b"/></onentry>
    <transition event="entered.b"><assign location="log" expr="log + ['raised']"/></transition>
    <transition event="go" target="a"><assign location="n" expr="n + 1"/></transition>
    <transition event="e.*" target="c"/>
  </state>
  <state id="c">
    <transition event="*" cond="n > 5" target="a"/>
    <transition event="go" target="a"><assign location="n" expr="n + 2"/></transition>
  </state>
</scxml>""",
    "eventless": f"""{SCXML} datamodel="python" initial="idle">
  <datamodel><data id="k" expr="0"/></datamodel>
  <state id="idle">
    <transition event="go" target="busy"><assign location="k" expr="k + 1"/></transition>
  </state>
  <state id="busy">
    <transition cond="k % 2 == 0" target="idle"/>
    <transition event="go" target="done_here"/>
  </state>
  <state id="done_here">
    <transition event="go" target="idle"/>
  </state>
</scxml>""",
    "history": f"""{SCXML} datamodel="python" initial="work">
  <datamodel><data id="trail" expr="''"/></datamodel>
  <state id="work" initial="w1">
    <history id="h" type="deep"><transition target="w1"/></history>
    <onentry><assign location="trail" expr="trail + 'W'"/></onentry>
    <state id="w1" initial="w11">
      <state id="w11"><transition event="next" target="w12"/></state>
      <state id="w12"><transition event="next" target="w2"/></state>
    </state>
    <state id="w2"><transition event="next" target="w1"/></state>
    <transition event="pause" target="paused"/>
  </state>
  <state id="paused">
    <transition event="resume" target="h"/>
    <transition event="next" target="work"/>
  </state>
</scxml>""",
    "reads_configuration": f"""{SCXML} datamodel="python" initial="p">
  <datamodel><data id="seen" expr="[]"/></datamodel>
  <state id="p" initial="p1">
    <state id="p1">
      <onexit><assign location="seen" expr="seen + [In('p1')]"/></onexit>
      <transition event="t" target="p2"/>
    </state>
    <state id="p2"><transition event="t" target="p1"/></state>
  </state>
</scxml>""",
    "regions": f"""{SCXML} datamodel="python" initial="both">
  <datamodel><data id="x" expr="0"/></datamodel>
  <parallel id="both">
    <state id="r1" initial="r1a">
      <state id="r1a"><transition event="t" cond="x % 2 == 0" target="r1b"/></state>
      <state id="r1b"><transition event="t" target="r1a"/></state>
    </state>
    <state id="r2" initial="r2a">
      <state id="r2a"><transition event="t" target="r2b"><assign location="x" expr="x + 1"/></transition></state>
      <state id="r2b">
        <transition event="t" target="r2a"/>
        <transition event="u" target="r2a"/>
      </state>
    </state>
    <transition event="reset" target="both"/>
    <transition event="stop" target="end"/>
  </parallel>
  <final id="end"/>
</scxml>""",
    "nested_final": f"""{SCXML} datamodel="ecmascript" initial="job">
  <datamodel><data id="runs" expr="0"/></datamodel>
  <state id="job" initial="step1">
    <state id="step1"><transition event="ok" target="step2"/></state>
    <state id="step2"><transition event="ok" target="over"/></state>
    <final id="over"/>
    <transition event="done.state.job" target="job"><assign location="runs" expr="runs + 1"/></transition>
    <transition event="fail" cond="runs &gt; 1" target="job"/>
  </state>
</scxml>""",
}


def _ring(states: int) -> str:
    """A ring of `states` states, each taking `next` to the following one
    under a condition and `back` to the first: more configurations handle
    `next` than one name is planned for."""
    body = "".join(
        f'<state id="s{i}"><onentry><assign location="n" expr="n + 1"/></onentry>'
        f'<transition event="next" cond="n % 7 != 3" target="s{(i + 1) % states}"/>'
        f'<transition event="back" target="s0"/></state>'
        for i in range(states)
    )
    return (
        f'{SCXML} datamodel="python" initial="s0">'
        f'<datamodel><data id="n" expr="0"/></datamodel>{body}</scxml>'
    )


SYNTHETIC["ring"] = _ring(40)
SYNTHETIC["many_names"] = (
    f'{SCXML} datamodel="python" initial="a"><datamodel><data id="n" expr="0"/>'
    "</datamodel>"
    '<state id="a"><transition event="both" target="b"/>'
    + "".join(
        f'<transition event="e{i}"><assign location="n" expr="n + {i}"/></transition>'
        for i in range(12)
    )
    + '</state><state id="b"><transition event="both" target="a"/></state></scxml>'
)


def _documents() -> list[tuple[str, Path | str]]:
    documents: list[tuple[str, Path | str]] = [
        (path.stem, path) for path in sorted(BENCH.glob("*.scxml"))
    ]
    documents += [
        (
            f"{path.stem}-ecmascript",
            path.read_text().replace('"python"', '"ecmascript"'),
        )
        for path in sorted(BENCH.glob("*.scxml"))
    ]
    documents += [(path.stem, path) for path in sorted(GOLDEN.glob("*.scxml"))]
    documents += list(SYNTHETIC.items())
    return documents


DOCUMENTS = _documents()


class Recording(Observer):
    """Keeps the logs and errors a session reports."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def on_log(self, machine: Machine, label: str | None, value: Any) -> None:
        self.seen.append(("log", label, repr(value)))

    def on_error(self, machine: Machine, *args: Any, **kwargs: Any) -> None:
        self.seen.append(("error", repr(args[:1])))


def _load(tmp_path: Path, name: str, document: Path | str) -> type[Machine]:
    path = tmp_path / f"{name.replace('-', '_')}.scxml"
    if isinstance(document, Path):
        shutil.copy(document, path)
    else:
        path.write_text(document)
    return scxmlc.load(path)


def _general(cls: type[Machine]) -> type[Machine]:
    """`cls` with its own dispatch declined: every event takes the general path."""

    def _dispatch(self: Machine, name: str) -> bool:
        return False

    return type(cls.__name__, (cls,), {"__slots__": (), "_dispatch": _dispatch})


def _event_names(cls: type[Machine]) -> list[str]:
    """The names the chart's descriptors spell, a name under each, and one
    that nothing handles."""
    names: set[str] = {"nothing.handles.this"}
    for transition in cls._chart.transitions:
        for descriptor in transition.events:
            if descriptor != "*":
                names.update((descriptor, descriptor + ".sub"))
    return sorted(names)


def _state(machine: Machine) -> tuple[Any, ...]:
    """What the two sessions must agree on: configuration, whether running,
    the events queued, and the datamodel's variables."""
    return (
        sorted(machine.configuration),
        machine.finished,
        [event.name for event in machine._internal or ()],
        [event.name for event in machine._external or ()],
        _variables(machine),
    )


def _variables(machine: Machine) -> str:
    variables = getattr(machine, "dm", None)
    if isinstance(variables, dict):  # ECMAScript: a dict of JavaScript values
        return repr(sorted(variables.items()))
    kind = type(variables)  # a native module's data class lists __mypyc_attrs__
    names = getattr(kind, "__slots__", None) or getattr(kind, "__mypyc_attrs__", ())
    return repr({name: getattr(variables, name, None) for name in names})


def _run_side_by_side(
    name: str, cls: type[Machine], general: type[Machine], rounds: int = 4
) -> None:
    """Random sequences of events to a session of `cls` and one of `general`,
    which must agree after every event."""
    names = _event_names(cls)
    generator = random.Random(f"scxmlc dispatch {name}")
    for _ in range(rounds):
        seen, reference = Recording(), Recording()
        planned, checked = cls(observer=seen), general(observer=reference)
        planned.start()
        checked.start()
        assert _state(planned) == _state(checked)
        for step in range(60):
            event = generator.choice(names)
            data = {"step": step} if generator.random() < 0.2 else None
            planned.send(event, data)
            checked.send(event, data)
            assert _state(planned) == _state(checked), (event, step)
            assert seen.seen == reference.seen, (event, step)
            if planned.finished:
                break


@pytest.mark.parametrize(
    "name, document", DOCUMENTS, ids=[name for name, _ in DOCUMENTS]
)
def test_dispatch_does_what_the_general_path_does(
    tmp_path: Path, name: str, document: Path | str
) -> None:
    cls = _load(tmp_path, name, document)
    _run_side_by_side(name, cls, _general(cls))


NATIVE_DOCUMENTS = (
    "hierarchical",
    "hierarchical-ecmascript",
    "conditions",
    "regions",
    "eventless",
)


@pytest.mark.skipif(not scxmlc.runtime.NATIVE, reason="the runtime core is pure here")
@pytest.mark.parametrize("name", NATIVE_DOCUMENTS)
def test_a_native_module_dispatches_as_the_pure_module_takes_the_memo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("SCXMLC_CACHE", str(tmp_path / "cache"))
    document = dict(DOCUMENTS)[name]
    native = tmp_path / "native"
    native.mkdir()
    path = native / f"{name.replace('-', '_')}.scxml"
    path.write_text(document.read_text() if isinstance(document, Path) else document)
    compiled = scxmlc.load(path, native=True)
    assert compiled._chart.dispatches and not isinstance(
        vars(compiled)["_dispatch"], FunctionType
    )
    pure = _load(tmp_path, name, document)
    assert not pure._chart.dispatches  # an interpreted dispatch: the memo
    _run_side_by_side(name, compiled, pure, rounds=2)


def test_a_pure_module_dispatches_where_the_core_is_pure_too(tmp_path: Path) -> None:
    cls = _load(tmp_path, "hierarchical", BENCH / "hierarchical.scxml")
    assert cls._chart.dispatches is not scxmlc.runtime.NATIVE


def _source(name: str, document: Path | str, tmp_path: Path) -> str:
    path = tmp_path / f"{name}.scxml"
    if isinstance(document, Path):
        shutil.copy(document, path)
    else:
        path.write_text(document)
    return compile_path(path).source


def test_chart_b_dispatches_every_event_of_its_cycle(tmp_path: Path) -> None:
    source = _source("hierarchical", BENCH / "hierarchical.scxml", tmp_path)
    body = source[
        source.index("    def _dispatch") : source.index("    _chart = Chart(")
    ]
    for event in ("e1", "e2", "e3", "e4", "e5"):
        assert f'name == "{event}"' in body
    # the guarded e3 tries its condition, then the fallback, as SCXML orders them
    assert body.index("holds = _cond_3(self)") < body.index("# transition 4: s1 -> s3")
    assert "_fused_3(self)" in body and "dispatches=True" in source


def test_dispatch_counts_on_the_configuration_it_planned(tmp_path: Path) -> None:
    cls = _load(tmp_path, "hierarchical", BENCH / "hierarchical.scxml")
    machine = cls()
    machine.start()
    assert machine._dispatch("e1")
    assert machine.configuration == {"top", "s1", "s11", "s112"}
    assert machine.dm.count == 1  # the transition's <assign> ran
    # an event the chart does not take here: declined, nothing ran
    assert not machine._dispatch("e4")
    assert machine.configuration == {"top", "s1", "s11", "s112"}
    assert (machine.dm.count, machine.dm.entries, machine.dm.exits) == (1, 1, 0)


def test_a_chart_whose_handlers_read_the_configuration_has_no_dispatch(
    tmp_path: Path,
) -> None:
    source = _source("reads", SYNTHETIC["reads_configuration"], tmp_path)
    assert "def _dispatch" not in source and "dispatches=True" not in source


def test_history_and_final_states_take_the_general_path(tmp_path: Path) -> None:
    history = _source("history", SYNTHETIC["history"], tmp_path)
    body = history[history.index("    def _dispatch") :]
    assert 'name == "resume"' not in body  # entering by history: decided at run time
    final = _source("final", SYNTHETIC["nested_final"], tmp_path)
    body = final[final.index("    def _dispatch") :]
    # from step1 the chart's own dispatch; from step2 (entering a final state) not
    assert re.search(r"# step1\n +if config", body)
    assert not re.search(r"# step2\n +if config", body)


def test_eventless_transitions_after_a_step_run_in_its_macrostep(
    tmp_path: Path,
) -> None:
    source = _source("eventless", SYNTHETIC["eventless"], tmp_path)
    assert "self._macrostep()" in source
    cls = _load(tmp_path, "eventless", SYNTHETIC["eventless"])
    machine = cls()
    machine.start()
    machine.send("go")  # k = 1: stays in busy
    assert machine.configuration == {"busy"}
    machine.send("go")
    machine.send("go")  # k = 2: the eventless transition goes back to idle
    assert machine.configuration == {"idle"}


def test_one_name_is_planned_for_a_bounded_number_of_configurations(
    tmp_path: Path,
) -> None:
    source = _source("ring", SYNTHETIC["ring"], tmp_path)
    body = source[
        source.index("    def _dispatch") : source.index("    _chart = Chart(")
    ]
    start = body.index('name == "next"')
    end = body.find("elif name ==", start)
    planned = body[start:] if end < 0 else body[start:end]
    assert planned.count("config == ") == MAX_COMPARES
    # the rest of the ring takes the general path, as the side-by-side run checks


def test_a_dispatch_takes_the_names_planned_in_the_most_configurations(
    tmp_path: Path,
) -> None:
    source = _source("many", SYNTHETIC["many_names"], tmp_path)
    body = source[
        source.index("    def _dispatch") : source.index("    _chart = Chart(")
    ]
    names = re.findall(r'name == "([^"]+)"', body)
    assert len(names) == MAX_NAMES and names[0] == "both"  # in a and in b
    assert set(names[1:]) < {f"e{i}" for i in range(12)}  # one configuration each
