"""Snapshots of sessions of native modules (`scxmlc.load(path, native=True)`).

A native module's classes are compiled by mypyc: they have no `__slots__`
(their attributes are listed in `__mypyc_attrs__`), their methods are built-in
methods, and a function written inside another is an object of a class mypyc
made. A snapshot of such a session holds the same state as a pure one's, and
restores into a native or a pure class of the same document; what has no
faithful capture (a lambda of the python datamodel, an ECMAScript closure) is
refused when the snapshot is taken, naming it, never left out.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import scxmlc
import scxmlc.runtime
from scxmlc.compiler.loader import load
from scxmlc.runtime import Machine, VirtualClock, js
from scxmlc.runtime.capture import state_slots
from scxmlc.runtime.js.values import invoke
from scxmlc.runtime.ors import OrsMachine
from scxmlc.runtime.sim import Simulation, parse_scenario
from scxmlc.runtime.snapshot import SnapshotError, dumps_plain

from ors_harness import NAMESPACES
from test_ors_platform import COUNTING, ONE_CALL
from test_native_modules import is_extension, native_cache  # noqa: F401 (fixture)
from test_snapshot_ors import Reincarnating

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT.parent / "shared" / "bench"
CHARTS = {"A": "ping_pong", "B": "hierarchical", "C": "parallel"}

pytestmark = [
    pytest.mark.skipif(
        not scxmlc.runtime.NATIVE,
        reason="the runtime core is pure here (SCXMLC_PURE=1 or a pure build)",
    ),
    pytest.mark.usefixtures("native_cache"),
]
needs_shared_bench = pytest.mark.skipif(
    not (SHARED_BENCH / "spec.py").is_file(), reason="../shared/bench not found"
)


def native_class(path: Path) -> type[Machine]:
    """The class of document `path` from its native module (asserted native)."""
    cls = scxmlc.load(path, native=True)
    assert is_extension(cls)
    return cls


def written(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / f"{name}.scxml"
    path.write_text(text, encoding="utf-8")
    return path


def spec_cycles(chart: str) -> tuple[str, ...]:
    """The events of one cycle of benchmark chart `chart` (../shared/bench/spec.py)."""
    sys.path.insert(0, str(SHARED_BENCH))
    try:
        import spec
    finally:
        sys.path.remove(str(SHARED_BENCH))
    return tuple(spec.CYCLES[chart])


def fields(session: Machine) -> dict[str, Any]:
    """The datamodel object's fields of a python-datamodel session (`dm`)."""
    dm = getattr(session, "dm", None)
    return {name: getattr(dm, name) for name in ("count", "entries", "exits")}


@needs_shared_bench
@pytest.mark.parametrize("chart", list(CHARTS))
def test_a_native_session_goes_on_after_a_restore_as_it_would_have(
    chart: str,
) -> None:
    path = SHARED_BENCH / "machines" / f"{CHARTS[chart]}.scxml"
    cls, pure = native_class(path), load(path)
    events = spec_cycles(chart)
    running, restored = cls(), cls()
    running.start()
    for event in events[:2]:
        running.send(event)
    data = running.snapshot()
    restored = cls.restore(data)
    into_pure = pure.restore(data)
    for event in events[2:] + events:
        for session in (running, restored, into_pure):
            session.send(event)
        assert restored.configuration == running.configuration
        assert into_pure.configuration == running.configuration
    if chart == "B":  # the datamodel object went with the snapshot
        assert "dm" in state_slots(cls)
        assert fields(restored) == fields(running) == fields(into_pure)
        assert fields(running)["entries"] > 1


@needs_shared_bench
def test_a_pure_sessions_snapshot_restores_into_the_native_class() -> None:
    path = SHARED_BENCH / "machines" / "hierarchical.scxml"
    cls, pure = native_class(path), load(path)
    session = pure()
    session.start()
    for event in spec_cycles("B"):
        session.send(event)
    restored = cls.restore(session.snapshot())
    assert type(restored) is cls
    assert restored.configuration == session.configuration
    assert fields(restored) == fields(session)


SCRIPTED = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       datamodel="ecmascript" name="scripted" initial="idle">
  <datamodel><data id="last" expr="0"/></datamodel>
  <script>
    var total = 0;
    function add(n) { total += n; return total; }
    var alias = add;
    var tally = function (n) { return add(n) * 10; };
  </script>
  <state id="idle">
    <transition event="add" target="busy">
      <assign location="last" expr="add(_event.data.n)"/>
    </transition>
  </state>
  <state id="busy">
    <transition event="add" target="idle">
      <assign location="last" expr="tally(_event.data.n)"/>
    </transition>
  </state>
</scxml>
"""


def test_an_ecmascript_sessions_script_functions_survive_a_restore(
    tmp_path: Path,
) -> None:
    path = written(tmp_path, SCRIPTED, "scripted")
    cls, pure = native_class(path), load(path)
    session = cls(VirtualClock())
    session.start()
    session.send("add", {"n": 2})
    data = session.snapshot()
    for restored in (cls.restore(data, VirtualClock()), pure.restore(data)):
        variables: Any = getattr(restored, "globals")
        assert variables.alias is variables.add  # one function, one object
        assert variables.add.impl.__self__ is restored  # bound to the new session
        assert invoke(variables.add, js.undefined, 3) == 5
        restored.send("add", {"n": 1})  # tally: an anonymous function
        assert restored.configuration == {"idle"}
        assert getattr(restored, "dm")["last"] == 60
        assert variables.total == 6
    assert getattr(session, "globals").total == 2  # the snapshot's own is untouched


def test_an_ecmascript_snapshot_of_a_pure_session_restores_natively(
    tmp_path: Path,
) -> None:
    path = written(tmp_path, SCRIPTED, "scripted_pure")
    cls, pure = native_class(path), load(path)
    session = pure(VirtualClock())
    session.start()
    session.send("add", {"n": 4})
    restored = cls.restore(session.snapshot(), VirtualClock())
    restored.send("add", {"n": 1})
    assert getattr(restored, "dm")["last"] == 50
    assert getattr(restored, "globals").total == 5


CLOSURE = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       datamodel="ecmascript" name="closure">
  <script>
    function counter() { var c = 0; return function () { c += 1; return c; }; }
    var next = counter();
  </script>
  <state id="s"/>
</scxml>
"""

LAMBDA = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       datamodel="python" name="lambdas">
  <datamodel><data id="inc" expr="lambda x: x + 1"/></datamodel>
  <state id="s"/>
</scxml>
"""


def test_an_ecmascript_closure_of_a_native_module_is_refused_by_name(
    tmp_path: Path,
) -> None:
    session = native_class(written(tmp_path, CLOSURE, "closure"))()
    session.start()
    with pytest.raises(SnapshotError) as refused:
        session.snapshot()
    message = str(refused.value)
    assert message.startswith("closure: cannot capture the variable 'next': ")
    assert "compiled natively" in message and "without native=True" in message


def test_a_python_lambda_of_a_native_module_is_refused_by_name(
    tmp_path: Path,
) -> None:
    path = written(tmp_path, LAMBDA, "lambdas")
    session = native_class(path)()
    session.start()
    with pytest.raises(SnapshotError) as refused:
        session.snapshot()
    message = str(refused.value)
    assert message.startswith("lambdas: cannot capture <data id='inc'>: ")
    assert "compiled natively" in message and "without native=True" in message
    pure = load(path)()
    pure.start()
    assert pure.snapshot()  # the pure module's lambda is captured


def test_a_snapshot_naming_other_code_is_refused_by_a_native_class(
    tmp_path: Path,
) -> None:
    path = SHARED_BENCH / "machines" / "ping_pong.scxml"
    if not path.is_file():
        path = written(tmp_path, LAMBDA.replace("lambda x: x + 1", "1"), "plain")
    cls = native_class(path)
    session = cls()
    session.start()
    header = pickle.loads(session.snapshot())
    header["body"] = pickle.dumps({"sessionid": os.system}, protocol=5)
    with pytest.raises(SnapshotError, match=r"may not name (posix|nt)\.system"):
        cls.restore(dumps_plain(header))


def test_an_ors_session_restored_after_every_macrostep_runs_natively(
    tmp_path: Path,
) -> None:
    application = native_class(
        written(tmp_path, COUNTING.replace("{ns}", NAMESPACES), "counting")
    )
    assert issubclass(application, OrsMachine)
    raw: Any = yaml.safe_load(ONE_CALL)
    parsed = parse_scenario(raw, tmp_path / "scenario.yaml")
    simulation = Simulation(
        parsed, lambda path: load(path), default_application=application
    )
    platform = simulation.platform
    observer = Reincarnating(platform, platform._observer)
    platform._observer = observer  # type: ignore[assignment]
    simulation.run()
    assert observer.restores > 0
    session = next(iter(platform.sessions.values()), None)
    if session is None:
        (session,) = platform.finished
    assert type(session.machine) is application
    dm: Any = getattr(session.machine, "dm")
    assert (dm["before"], dm["after"]) == (0, 1)
    assert (dm["byindex"], dm["byid"], dm["owner"]) == ("c1", "+15550100", True)
    assert session.machine.configuration == {"gone"}


def test_functions_named_by_order_are_checked_across_versions_natively(
    tmp_path: Path,
) -> None:
    def version(script: str, native: bool = True) -> Any:
        path = tmp_path / "order.scxml"
        path.write_text(
            SCRIPTED.replace("var total = 0;", script + " var total = 0;"),
            encoding="utf-8",
        )
        return native_class(path) if native else load(path)

    kept = "var keep = [function () { return 'kept'; }];"
    first = version(kept)
    session = first(VirtualClock())
    session.start()
    data = session.snapshot()
    # the same document, native or pure: the anonymous function is the one kept
    for same in (first, version(kept, native=False)):
        restored: Any = same.restore(data, VirtualClock())
        assert invoke(restored.globals.keep[0], js.undefined) == "kept"
    # another anonymous function first: the kept one is compiled under
    # another name, and the name it had is now another function's
    shifted = version("(function () { return 0; })();" + kept)
    assert shifted._fingerprint == first._fingerprint
    with pytest.raises(SnapshotError, match="_js_anonymous is not the one"):
        shifted.restore(data, VirtualClock())


def test_another_native_sessions_function_is_refused_by_name(tmp_path: Path) -> None:
    cls = native_class(written(tmp_path, SCRIPTED, "scripted_other"))
    mine, other = cls(), cls()
    mine.start()
    other.start()
    getattr(mine, "dm")["last"] = getattr(other, "globals").add
    with pytest.raises(SnapshotError, match="the method '_js_add' of Scripted"):
        mine.snapshot()
