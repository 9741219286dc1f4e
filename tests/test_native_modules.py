"""Native modules: `scxmlc.load(path, native=True)` and `scxmlc compile --native`.

With the native runtime core imported (a package built with mypyc), the three
benchmark charts, an ECMAScript chart and an ORS application are built as C
extensions against it and behave as their pure modules do; a second process
takes them from the cache. Without it (`SCXMLC_PURE=1`, a pure build), or
without a C compiler, the pure module is used after a one-line note. Build
times are measured by bench/, never asserted here.
"""

from __future__ import annotations

import gc
import importlib.machinery
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

import scxmlc
import scxmlc.runtime
from scxmlc.compiler import Options, native
from scxmlc.compiler.commands.cli import main as cli_main
from scxmlc.compiler.loader import load
from scxmlc.runtime import Machine
from scxmlc.runtime.machine import SESSIONS, SessionTable
from scxmlc.runtime.ors import OrsMachine
from scxmlc.runtime.ors.server import _datamodel
from scxmlc.runtime.sim import Simulation, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT.parent / "shared" / "bench"
CHARTS = {"A": "ping_pong", "B": "hierarchical", "C": "parallel"}
NOTE = "scxmlc: no native module ("

needs_native_core = pytest.mark.skipif(
    not scxmlc.runtime.NATIVE,
    reason="the runtime core is pure here (SCXMLC_PURE=1 or a pure build)",
)
needs_shared_bench = pytest.mark.skipif(
    not (SHARED_BENCH / "spec.py").is_file(), reason="../shared/bench not found"
)


@pytest.fixture(scope="module")
def native_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache directory for the module's tests: the first native build
    prepares the runtime's workspace there, the others reuse it."""
    directory = tmp_path_factory.mktemp("native-cache")
    previous = os.environ.get("SCXMLC_CACHE")
    os.environ["SCXMLC_CACHE"] = str(directory)
    yield directory
    if previous is None:
        del os.environ["SCXMLC_CACHE"]
    else:
        os.environ["SCXMLC_CACHE"] = previous


def is_extension(cls: type[Any]) -> bool:
    """Whether `cls` comes from a module compiled to a C extension."""
    origin = sys.modules[cls.__module__].__file__ or ""
    return origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


def started_native(directory: Path, name: str, document: str) -> Any:
    """A started session of `document`, written to `directory`/`name`.scxml
    and loaded as a native module (asserted native)."""
    path = directory / f"{name}.scxml"
    path.write_text(document, encoding="utf-8")
    cls = scxmlc.load(path, native=True)
    assert is_extension(cls)
    session = cls()
    session.start()
    return session


def spec_module() -> Any:
    """../shared/bench/spec.py: the benchmark charts' expected behaviour."""
    sys.path.insert(0, str(SHARED_BENCH))
    try:
        import spec
    finally:
        sys.path.remove(str(SHARED_BENCH))
    return spec


def check_spec(chart: str, cls: type[Machine]) -> None:
    """Run `cls` through three cycles of `chart` and compare the active atomic
    states after every event (and chart B's datamodel) with the spec."""
    spec = spec_module()
    atomic = set().union(*spec.LEAVES[chart])
    session = cls()
    session.start()
    for cycle in range(3):
        leaves = [set(session.configuration) & atomic]
        for event in spec.CYCLES[chart]:
            session.send(event)
            leaves.append(set(session.configuration) & atomic)
        assert leaves == spec.LEAVES[chart], f"cycle {cycle + 1}"
    if chart == "B":
        dm: Any = getattr(session, "dm")
        assert (dm.count, dm.entries, dm.exits) == spec.expected_b_data(3)


@needs_native_core
@needs_shared_bench
@pytest.mark.parametrize("chart", list(CHARTS))
def test_benchmark_charts_run_natively_as_the_spec_says(
    chart: str, native_cache: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = SHARED_BENCH / "machines" / f"{CHARTS[chart]}.scxml"
    cls = scxmlc.load(path, native=True)
    assert NOTE not in capfd.readouterr().err
    assert is_extension(cls)
    assert issubclass(cls, Machine) and not is_extension(load(path))
    check_spec(chart, cls)


@needs_native_core
def test_an_ecmascript_chart_runs_natively(
    native_cache: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    cls = scxmlc.load(ROOT / "tests/cases/golden/agent_pick.scxml", native=True)
    assert NOTE not in capfd.readouterr().err
    assert is_extension(cls)
    session = cls()
    session.start()
    assert session.configuration == {"done"}
    dm: Any = getattr(session, "dm")
    assert dm["chosen"] == "bo"


FAILING = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       datamodel="python" initial="start">
  <datamodel>
    <data id="zero" expr="0"/>
    <data id="where" expr="''"/>
  </datamodel>
  <state id="start">
    <onentry>
      <assign location="zero" expr="1 // zero"/>
    </onentry>
    <transition event="error.execution" target="done">
      <assign location="where" expr="_event.data['location']"/>
    </transition>
  </state>
  <final id="done"/>
</scxml>
"""


@needs_native_core
def test_an_error_in_a_native_module_names_the_line_of_the_document(
    native_cache: Path, tmp_path: Path
) -> None:
    session = started_native(tmp_path, "failing", FAILING)
    assert session.configuration == {"done"}
    assert getattr(session, "dm").where == "failing.scxml:9"


@needs_native_core
def test_an_ors_application_routes_as_documented_with_native_modules(
    native_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(native, "_noted", set())
    loaded: list[type[Machine]] = []

    def load_native(path: Path) -> type[Machine]:
        loaded.append(load(path, Options(native=True)))
        return loaded[-1]

    scenario = load_scenario(ROOT / "examples/business_hours.yaml")
    simulation = Simulation(scenario, load_native)
    simulation.run()
    interactions = simulation.summary()["interactions"]
    assert [(c["id"], c["routed_to"]) for c in interactions] == [
        ("early", None),
        ("open", "fanny"),
        ("xmas", None),
    ]
    assert [c["outcome"] for c in interactions] == [
        "terminated",
        "completed",
        "terminated",
    ]
    assert loaded and all(is_extension(cls) for cls in loaded)
    assert all(issubclass(cls, OrsMachine) for cls in loaded)
    assert is_extension(OrsMachine)  # compiled in the core: native charts' base
    assert NOTE not in capfd.readouterr().err


ORS_COUNTER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       xmlns:genesys="http://www.genesyslab.com/modules/interaction"
       datamodel="ecmascript" profile="ecmascript" name="ors_counter" initial="s">
  <datamodel><data id="n" expr="0"/></datamodel>
  <state id="s">
    <transition event="tick"><assign location="n" expr="n + 1"/></transition>
  </state>
</scxml>
"""


@needs_native_core
def test_a_native_ors_session_is_held_weakly_by_the_session_tables(
    native_cache: Path, tmp_path: Path
) -> None:
    session = started_native(tmp_path, "ors_counter", ORS_COUNTER)
    assert isinstance(session, OrsMachine)
    session.send("tick")
    sid = session._sessionid
    assert SESSIONS.get(sid) is session
    table = SessionTable()
    table["one"] = session
    del session
    gc.collect()
    assert SESSIONS.get(sid) is None and table.get("one") is None


@needs_native_core
@needs_shared_bench
def test_another_process_takes_the_native_module_from_the_cache(
    native_cache: Path,
) -> None:
    path = SHARED_BENCH / "machines" / "ping_pong.scxml"
    first = scxmlc.load(path, native=True)
    program = (
        "import sys, scxmlc\n"
        f"cls = scxmlc.load({str(path)!r}, native=True)\n"
        "print(sys.modules[cls.__module__].__file__)\n"
    )
    # without a C compiler: only a cached module can be native
    environment = {**os.environ, "CC": "/nonexistent/cc"}
    done = subprocess.run(
        [sys.executable, "-c", program],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    assert done.stdout.strip() == sys.modules[first.__module__].__file__


@needs_native_core
def test_processes_that_load_the_same_chart_at_once_get_the_same_module(
    native_cache: Path,
) -> None:
    path = ROOT / "tests/cases/golden/call_queue.scxml"
    program = (
        "import sys, scxmlc\n"
        f"cls = scxmlc.load({str(path)!r}, native=True)\n"
        "cls().start()\n"
        "print(sys.modules[cls.__module__].__file__)\n"
    )
    command = [sys.executable, "-c", program]
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    results = [process.communicate() for process in running]
    assert [process.returncode for process in running] == [0, 0]
    assert [err for _, err in results] == [b"", b""]
    files = {out.decode().strip() for out, _ in results}
    assert len(files) == 1 and files.pop().endswith(".so")


@needs_native_core
def test_a_build_that_does_not_match_the_installed_core_is_refused(
    native_cache: Path,
) -> None:
    cls = scxmlc.load(ROOT / "tests/cases/golden/door.scxml", native=True)
    assert is_extension(cls)
    build = native.runtime_build()
    workspace = native_cache / "native" / build.identity()
    native._check_header(build, workspace)  # the installed core's: accepted
    other = native.RuntimeBuild(
        build.group, build.modules, "0" * 64, build.package, build.stamp
    )
    with pytest.raises(native.NativeUnavailable, match="differs from the installed"):
        native._check_header(other, workspace)


@needs_native_core
def test_a_core_compiled_by_another_mypyc_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scxmlc.compiler import nativebuild

    monkeypatch.setattr(nativebuild, "mypyc_version", lambda: "0.1")
    with pytest.raises(native.NativeUnavailable, match=r"by mypyc .+, mypyc 0\.1 here"):
        native.runtime_build()


@needs_native_core
def test_a_failed_build_is_remembered_and_not_tried_again(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SCXMLC_CACHE", str(tmp_path))
    monkeypatch.setattr(native, "_noted", set())
    runs: list[Path] = []

    def fail(source: Path, output: Path, workspace: Path, portable: bool) -> None:
        runs.append(source)
        raise native.BuildFailed("the build failed: mypyc says no")

    monkeypatch.setattr(native, "_run_child", fail)
    path = tmp_path / "door.scxml"  # a document no other test loaded
    path.write_bytes((ROOT / "tests/cases/golden/door.scxml").read_bytes())
    for _ in range(2):
        cls = scxmlc.load(path, native=True)
        assert not is_extension(cls)
        sys.modules.pop(cls.__module__)  # the next load imports anew
        native._noted.clear()
    assert len(runs) == 1
    note = f"{NOTE}the build failed: mypyc says no); the pure module is used\n"
    assert capfd.readouterr().err == note * 2


def test_without_a_c_compiler_the_pure_module_is_used_with_a_note(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SCXMLC_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", "/nonexistent/cc")
    monkeypatch.setattr(native, "_noted", set())
    cls = scxmlc.load(ROOT / "tests/cases/golden/traffic_light.scxml", native=True)
    assert not is_extension(cls)
    session = cls()
    session.start()
    assert session.configuration
    err = capfd.readouterr().err
    if scxmlc.runtime.NATIVE:
        assert (
            err == f"{NOTE}no C compiler (/nonexistent/cc)); the pure module is used\n"
        )
    else:
        assert err.startswith(f"{NOTE}the runtime core is pure: ")
        assert err.count("\n") == 1


@needs_native_core
def test_compile_native_writes_the_extension_beside_the_module(
    native_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = ROOT / "tests/cases/golden/door.scxml"
    assert cli_main(["compile", "--native", str(source), "-o", str(tmp_path)]) == 0
    library, module = native.extension_files("door", tmp_path)
    assert capsys.readouterr().out.splitlines() == [
        f"{source} -> {tmp_path / 'door.py'} (class Door)",
        f"{source} -> {module} + {library.name} (native)",
    ]
    program = "import door; print(door.__file__, door.Door.__mro__[1].__name__)"
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == [str(module), "Machine"]


@needs_native_core
def test_a_compiled_module_that_moved_still_names_the_line_of_an_error(
    native_cache: Path, tmp_path: Path
) -> None:
    source = tmp_path / "failing.scxml"
    source.write_text(FAILING, encoding="utf-8")
    built = tmp_path / "built"
    assert cli_main(["compile", "--native", str(source), "-o", str(built)]) == 0
    shipped = built.rename(tmp_path / "shipped")
    program = (
        "import failing\n"
        "session = failing.Failing()\n"
        "session.start()\n"
        "print(failing.__file__, session.dm.where)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=shipped,
        capture_output=True,
        text=True,
        check=True,
    )
    module = native.extension_files("failing", shipped)[1]
    assert done.stdout.split() == [str(module), "failing.scxml:9"]


def test_compile_native_without_a_native_core_writes_the_pure_module_with_a_note(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SCXMLC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CC", "/nonexistent/cc")
    monkeypatch.setattr(native, "_noted", set())
    source = ROOT / "tests/cases/golden/door.scxml"
    output = tmp_path / "out"
    assert cli_main(["compile", "--native", str(source), "-o", str(output)]) == 0
    captured = capfd.readouterr()
    assert captured.out == f"{source} -> {output / 'door.py'} (class Door)\n"
    assert captured.err.startswith(NOTE) and captured.err.count("\n") == 1
    assert [p.name for p in output.iterdir()] == ["door.py"]


ORDERED_DATAMODEL = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       datamodel="python" name="ordered" initial="s">
  <datamodel>
    <data id="zone" expr="'west'"/>
    <data id="attempts" expr="2"/>
  </datamodel>
  <state id="s"/>
</scxml>
"""


@needs_native_core
def test_the_session_server_lists_a_native_datamodel_in_document_order(
    native_cache: Path, tmp_path: Path
) -> None:
    session = started_native(tmp_path, "ordered", ORDERED_DATAMODEL)
    described = _datamodel(cast(Any, SimpleNamespace(machine=session)))
    assert list(described.items()) == [("zone", "west"), ("attempts", 2)]


@needs_native_core
@needs_shared_bench
def test_a_native_module_in_a_package_folder_is_named_by_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """mypy must name the chart by its file alone, the module its extension
    defines, also in a folder of a package (pkg/cache/x.py is otherwise the
    module pkg.cache.x, whose extension the build then looks for in vain)."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    monkeypatch.setenv("SCXMLC_CACHE", str(tmp_path / "pkg" / "cache"))
    cls = scxmlc.load(SHARED_BENCH / "machines" / "ping_pong.scxml", native=True)
    assert NOTE not in capfd.readouterr().err
    assert is_extension(cls)


RETYPED = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       datamodel="python" name="retyped" initial="s">
  <datamodel>
    <data id="destination" expr="''"/>
    <data id="errors" expr="0"/>
  </datamodel>
  <state id="s">
    <transition event="route">
      <assign location="destination" expr="_event.data['to']"/>
    </transition>
    <transition event="error.execution">
      <assign location="errors" expr="errors + 1"/>
    </transition>
  </state>
</scxml>
"""


@needs_native_core
def test_a_native_variable_takes_a_value_of_another_type_as_a_pure_one_does(
    native_cache: Path, tmp_path: Path
) -> None:
    """A variable's type comes from its initial value ('' for a str); event
    data of another type assigned to it is no error in a pure module, so it
    must be none natively either (mypyc checks every annotation it compiles)."""
    session = started_native(tmp_path, "retyped", RETYPED)
    session.send("route", {"to": 42})
    dm: Any = getattr(session, "dm")
    assert (dm.destination, dm.errors) == (42, 0)
