"""The native runtime core: which core loads, the switches, the stamp, the build.

`scxmlc.runtime.NATIVE` must be what CI expects (`SCXMLC_EXPECT_NATIVE`), so
that a run meant to test the compiled core cannot test the pure one unseen.
Runtimes copied to a temporary folder show the choice made at import: the
stamp checked against the sources, `SCXMLC_PURE`, the warning for a stale
build. One test builds the package with a C compiler that fails (`CC=/bin/false`)
and finds it pure, with its one-line note.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scxmlc.runtime
from scxmlc.compiler import nativebuild
from scxmlc.runtime import native

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = Path(str(scxmlc.runtime.__file__)).parent

PROBE = """\
import sys
import scxmlc.runtime as runtime
from scxmlc.runtime import native
finder = any(type(entry).__name__ == "SourceFinder" for entry in sys.meta_path)
print(runtime.NATIVE, finder, native.describe(), sep="|")
print(runtime.machine.__spec__.origin)
"""


def probe(root: Path, **environ: str) -> tuple[str, str, str]:
    """Import the runtime found under `root` in a new interpreter: its report
    (NATIVE, whether a SourceFinder was installed, describe()), the origin of
    the machine module, and stderr."""
    env = {**os.environ, "PYTHONPATH": str(root), "PYTHONWARNINGS": "default"}
    env.pop("SCXMLC_PURE", None)
    env.update(environ)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        check=True,
    )
    report, origin = done.stdout.splitlines()
    return report, origin, done.stderr


def staged_runtime(root: Path, stamp: bool) -> Path:
    """The runtime's sources staged under `root` as the build stages them,
    with the stamp of a build of them if `stamp`; the staged runtime folder."""
    nativebuild.stage(root)
    runtime = root / "scxmlc" / "runtime"
    if stamp:
        nativebuild.write_stamp(runtime, root, root / "work")
    return runtime


def edit(source: Path) -> None:
    """Change a source the way an editor does: the code still runs."""
    with source.open("a", encoding="utf-8") as file:
        file.write("\n# edited after the build\n")


def test_native_is_what_ci_expects() -> None:
    expected = os.environ.get("SCXMLC_EXPECT_NATIVE")
    if expected is None:
        pytest.skip("SCXMLC_EXPECT_NATIVE is not set (.ci/run sets it)")
    assert scxmlc.runtime.NATIVE is (expected == "1"), native.describe()


def test_native_is_true_exactly_when_the_core_is_compiled() -> None:
    origins = [sys.modules[name].__spec__.origin for name in native.CORE_MODULES]
    compiled = [not str(origin).endswith(".py") for origin in origins]
    assert scxmlc.runtime.NATIVE is all(compiled), origins
    assert native.describe().startswith("native" if scxmlc.runtime.NATIVE else "pure")


def test_the_build_compiles_the_core_the_runtime_names() -> None:
    assert nativebuild.CORE_MODULES == native.CORE_MODULES
    assert nativebuild.CORE_LIBRARY == "scxmlc.runtime._core__mypyc"
    assert nativebuild.EXTENSION_NAMES == (
        "scxmlc.runtime._core__mypyc",
        *native.CORE_MODULES,
    )
    for module in native.CORE_MODULES:
        assert module.startswith("scxmlc.runtime.")
        assert Path(native.module_source(str(ROOT / "runtime"), module)).is_file()


def test_stage_lays_the_runtime_out_under_its_import_name(tmp_path: Path) -> None:
    (tmp_path / "scxmlc" / "left-over.txt").parent.mkdir(parents=True)
    (tmp_path / "scxmlc" / "left-over.txt").write_text("from an earlier stage")
    paths = nativebuild.stage(tmp_path)
    runtime = tmp_path / "scxmlc" / "runtime"
    assert paths == [
        runtime / "machine.py",
        runtime / "chart.py",
        runtime / "events.py",
        runtime / "steps.py",
        runtime / "budget.py",
        runtime / "clock.py",
        runtime / "ors" / "machine.py",
        runtime / "js" / "operators.py",
        runtime / "js" / "record.py",
    ]
    assert not (tmp_path / "scxmlc" / "left-over.txt").exists()
    assert (tmp_path / "scxmlc" / "__init__.py").is_file()
    staged = sorted(
        str(path.relative_to(runtime)) for path in runtime.rglob("*") if path.is_file()
    )
    sources = sorted(
        str(path.relative_to(ROOT / "runtime"))
        for path in (ROOT / "runtime").rglob("*")
        if path.is_file()
        and (path.suffix in (".py", ".pyi") or path.name == "py.typed")
    )
    assert staged == sources
    assert (runtime / "machine.py").read_bytes() == (
        ROOT / "runtime" / "machine.py"
    ).read_bytes()


def test_the_stamp_records_the_build(tmp_path: Path) -> None:
    runtime = staged_runtime(tmp_path, stamp=True)
    build = native.installed_build(str(runtime))
    assert build is not None
    assert build.modules == native.CORE_MODULES
    assert build.group == "scxmlc.runtime._core"
    assert build.python == sys.implementation.cache_tag
    assert build.mypyc == nativebuild.mypyc_version()
    assert build.sources == native.source_hash(str(runtime))
    assert build.mypy_args == ("--follow-imports=skip", "--ignore-missing-imports")
    assert build.opt_level == "3"
    assert build.header == "missing"  # compiled by no C compiler here
    stamp = (runtime / "native-build.txt").read_text(encoding="utf-8")
    assert stamp.splitlines()[0] == f"build_id={build.build_id}"
    assert native.parse_stamp(stamp) == build
    other = native.parse_stamp(stamp.replace("opt_level=3", "opt_level=2"))
    assert other is not None and other.build_id != build.build_id
    header = native.parse_stamp(stamp.replace("header=missing", "header=0f"))
    assert header is not None and header.build_id == build.build_id
    assert native.parse_stamp("mypyc=2.4.1\n") is None


def test_source_hash_follows_every_core_source(tmp_path: Path) -> None:
    runtime = staged_runtime(tmp_path, stamp=False)
    before = native.source_hash(str(runtime))
    edit(runtime / "steps.py")
    assert native.source_hash(str(runtime)) != before
    (runtime / "clock.py").unlink()
    assert native.source_hash(str(runtime)) == "missing"


def test_a_fresh_stamp_lets_compiled_modules_load(tmp_path: Path) -> None:
    staged_runtime(tmp_path, stamp=True)
    report, origin, stderr = probe(tmp_path)
    # no compiled modules here: nothing is redirected, the sources load
    assert report == "False|False|pure: compiled modules recorded but not loaded"
    assert origin.endswith("machine.py")
    assert stderr == ""


def test_a_stale_build_loads_the_sources_and_says_so_once(tmp_path: Path) -> None:
    runtime = staged_runtime(tmp_path, stamp=True)
    edit(runtime / "chart.py")
    report, origin, stderr = probe(tmp_path)
    assert report == "False|True|pure: the compiled core is stale"
    assert origin.endswith("machine.py")
    init = (runtime / "__init__.py").read_text(encoding="utf-8").splitlines()
    line = init.index("_native.select_core()") + 1
    warnings = [line for line in stderr.splitlines() if "RuntimeWarning" in line]
    assert warnings == [
        f"{runtime / '__init__.py'}:{line}: RuntimeWarning: scxmlc.runtime: the sources "
        f"in {runtime} changed since its native build; using the pure Python core "
        "(rebuild the package to compile it again, or set SCXMLC_PURE=1 to choose it)"
    ]


def test_scxmlc_pure_loads_the_sources_without_a_warning(tmp_path: Path) -> None:
    runtime = staged_runtime(tmp_path, stamp=True)
    edit(runtime / "chart.py")
    report, origin, stderr = probe(tmp_path, SCXMLC_PURE="1")
    assert report == "False|True|pure: SCXMLC_PURE=1"
    assert origin.endswith("machine.py")
    assert stderr == ""
    report, _, stderr = probe(tmp_path, SCXMLC_PURE="0")
    assert report == "False|True|pure: the compiled core is stale"


def test_pure_requested_reads_scxmlc_pure() -> None:
    assert native.pure_requested({"SCXMLC_PURE": "1"})
    assert native.pure_requested({"SCXMLC_PURE": "yes"})
    assert not native.pure_requested({"SCXMLC_PURE": "0"})
    assert not native.pure_requested({"SCXMLC_PURE": ""})
    assert not native.pure_requested({})


@pytest.mark.skipif(
    native.installed_build(str(RUNTIME)) is None, reason="the runtime was built pure"
)
def test_the_compiled_core_loads_unless_pure_or_stale(tmp_path: Path) -> None:
    runtime = tmp_path / "scxmlc" / "runtime"
    shutil.copytree(RUNTIME, runtime, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "scxmlc" / "__init__.py").write_text("")
    report, origin, stderr = probe(tmp_path)
    assert report.startswith("True|False|native: mypyc ")
    assert origin.endswith(".so") or origin.endswith(".pyd")
    assert stderr == ""
    report, origin, stderr = probe(tmp_path, SCXMLC_PURE="1")
    assert report == "False|True|pure: SCXMLC_PURE=1"
    assert origin.endswith("machine.py")
    edit(runtime / "events.py")
    report, origin, stderr = probe(tmp_path)
    assert report == "False|True|pure: the compiled core is stale"
    assert origin.endswith("machine.py")
    assert stderr.count("RuntimeWarning") == 1


def test_why_the_core_cannot_be_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    assert nativebuild.unavailable_reason({"SCXMLC_NATIVE": "0"}) == "SCXMLC_NATIVE=0"
    monkeypatch.setattr(nativebuild, "mypyc_version", lambda: None)
    assert nativebuild.unavailable_reason({}) == "mypyc (mypy) is not installed"
    monkeypatch.setattr(nativebuild, "mypyc_version", lambda: "2.3.1")
    assert nativebuild.unavailable_reason({}) == "mypyc 2.3.1 is older than 2.4"
    monkeypatch.setattr(nativebuild, "mypyc_version", lambda: "2.4.0")
    assert nativebuild.unavailable_reason({"CC": "/bin/false"}) == (
        "the C compiler cannot build extensions (/bin/false: exit status 1)"
    )
    assert nativebuild.unavailable_reason({"CC": "/nonexistent/cc"}) == (
        "no C compiler (/nonexistent/cc: No such file or directory)"
    )


def test_remove_native_core_removes_the_core_and_nothing_else(tmp_path: Path) -> None:
    names = [
        "machine.cpython-311-x86_64-linux-gnu.so",
        "_core__mypyc.cpython-311-x86_64-linux-gnu.so",
        "chart.pyd",
        "native-build.txt",
        "machine.py",
        "io.cpython-311-x86_64-linux-gnu.so",
    ]
    ors = ["machine.cpython-311-x86_64-linux-gnu.so", "machine.py", "platform.py"]
    (tmp_path / "ors").mkdir()
    for name in names:
        (tmp_path / name).write_text("")
    for name in ors:
        (tmp_path / "ors" / name).write_text("")
    removed = nativebuild.remove_native_core(tmp_path)
    assert sorted(path.name for path in removed) == sorted(names[:4] + ors[:1])
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        names[4:] + ["ors"]
    )
    assert sorted(path.name for path in (tmp_path / "ors").iterdir()) == ors[1:]


@pytest.mark.slow
def test_without_a_c_compiler_the_build_is_pure_with_one_note(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, project / name)
    for folder in ("compiler", "runtime", "templates"):
        shutil.copytree(
            ROOT / folder,
            project / folder,
            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "native-*"),
        )
    done = subprocess.run(
        [
            sys.executable,
            "setup.py",
            "-q",
            "build",
            "--build-base",
            str(tmp_path / "b"),
        ],
        cwd=project,
        env={**os.environ, "CC": "/bin/false", "SCXMLC_NATIVE": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    notes = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.startswith("scxmlc:")
    ]
    assert notes == [
        "scxmlc: building the pure Python runtime: the C compiler cannot build "
        "extensions (/bin/false: exit status 1)"
    ]
    (built,) = (tmp_path / "b").glob("lib*/scxmlc/runtime")
    assert (built / "machine.py").is_file()
    assert sorted(path.name for path in built.glob("*.so")) == []
    assert not (built / "native-build.txt").exists()
