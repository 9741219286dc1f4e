"""`scxmlc run` compiles each document at most once: the compilation whose
warnings it prints is the one the loader caches and imports, and on a warm
cache it prints the warnings the cache recorded and compiles nothing.

The compile entry point is counted by wrapping `scxmlc.compiler._finish`,
which every compilation (`compile_path`, `compile_text`) goes through, and the
cache is a fresh folder for each test (a cold cache)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import scxmlc.compiler
from scxmlc.compiler import compile_path
from scxmlc.compiler.commands.simulate import EXIT_INVALID, run_scenario
from scxmlc.compiler.loader import cached_warnings, load
from scxmlc.compiler.options import Options

DOCUMENT = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       profile="ecmascript" initial="wait" name="NAME">
  <state id="wait">
    <transition event="interaction.added" target="done">
      <log expr="noSuchName"/>
      <script src="common.js"/>
    </transition>
  </state>
  <final id="done"/>
</scxml>
"""

SCENARIO = """applications: {"5000": app.scxml, "5001": other.scxml}
dns:
  - {number: "5000", type: RoutingPoint}
  - {number: "5001", type: RoutingPoint}
timeline:
  - {at: 0, call: {id: c1, to: "5000"}}
  - {at: 1, call: {id: c2, to: "5001"}}
  - {at: 2, call: {id: c3, to: "5000"}}
"""


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Counter[str]:
    """How many times each document was compiled (by its file name), with a
    cache of its own, empty at first, and `tmp_path` the working directory."""
    monkeypatch.setenv("SCXMLC_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    counts: Counter[str] = Counter()
    finish = scxmlc.compiler._finish

    def counting(document: Any, *args: Any, **kwargs: Any) -> Any:
        counts[Path(document.path).name if document else "<malformed>"] += 1
        return finish(document, *args, **kwargs)

    monkeypatch.setattr(scxmlc.compiler, "_finish", counting)
    return counts


def write_documents(folder: Path, *names: str) -> None:
    """The documents `names` (each with a warning at line 5 and the script
    common.js), and common.js, in `folder`."""
    (folder / "common.js").write_text("var greeting = 'hi';\n", encoding="utf-8")
    for name in names:
        text = DOCUMENT.replace("NAME", name.removesuffix(".scxml"))
        (folder / name).write_text(text, encoding="utf-8")


def run(tmp_path: Path) -> int:
    """`scxmlc run app.scxml --scenario s.yaml` in `tmp_path`."""
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    return run_scenario("app.scxml", "s.yaml", Options(), as_json=False)


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": warning: " in line]


def test_run_compiles_each_document_once_on_a_cold_cache(
    compiles: Counter[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_documents(tmp_path, "app.scxml", "other.scxml")
    assert run(tmp_path) == 0
    assert compiles == {"app.scxml": 1, "other.scxml": 1}
    warnings = warnings_in(capsys.readouterr().err)
    assert [w.split(": warning: ")[0] for w in warnings] == [
        "app.scxml:5:18",
        "other.scxml:5:18",
    ]
    assert all("'noSuchName' is not defined" in w for w in warnings)


def test_a_warm_cache_prints_the_same_warnings_once(
    compiles: Counter[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_documents(tmp_path, "app.scxml", "other.scxml")
    assert run(tmp_path) == 0
    cold = capsys.readouterr().err
    compiles.clear()
    assert run(tmp_path) == 0
    assert compiles == {}  # the warnings are the cache's record of them
    assert warnings_in(capsys.readouterr().err) == warnings_in(cold)
    (tmp_path / "common.js").write_text("var greeting = 'hello';\n", encoding="utf-8")
    assert run(tmp_path) == 0  # a file they include changed: compiled again
    assert compiles == {"app.scxml": 1, "other.scxml": 1}
    assert warnings_in(capsys.readouterr().err) == warnings_in(cold)


def test_warnings_from_the_cache_name_the_path_as_given(
    compiles: Counter[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cache entry made for `app.scxml` does not print its warnings for
    the same file named `./app.scxml`: that run compiles, and names it so."""
    write_documents(tmp_path, "app.scxml")
    assert cached_warnings("app.scxml") is None
    load("app.scxml", compilation=compile_path("app.scxml"))
    (warning,) = cached_warnings("app.scxml") or [""]
    assert warning.startswith("app.scxml:5:18: warning: ")
    assert cached_warnings("./app.scxml") is None
    assert cached_warnings(tmp_path / "app.scxml") is None


def test_a_document_with_errors_is_reported_once_and_nothing_runs(
    compiles: Counter[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_documents(tmp_path, "app.scxml")
    (tmp_path / "other.scxml").write_text(
        DOCUMENT.replace('target="done"', 'target="nowhere"'), encoding="utf-8"
    )
    assert run(tmp_path) == EXIT_INVALID
    errors = [
        line for line in capsys.readouterr().err.splitlines() if ": error: " in line
    ]
    assert len(errors) == 1 and errors[0].startswith("other.scxml:4:")
    assert "nowhere" in errors[0]
    assert compiles == {"app.scxml": 1, "other.scxml": 1}


def test_a_compilation_of_a_relative_path_is_cached_by_absolute_paths(
    compiles: Counter[str], tmp_path: Path
) -> None:
    write_documents(tmp_path, "app.scxml")
    compilation = compile_path("app.scxml")
    assert compilation.files == ("app.scxml", "common.js")
    load("app.scxml", compilation=compilation)
    assert compiles == {"app.scxml": 1}
    (entry,) = (tmp_path / "cache").glob("scxmlc_entry_*.json")
    files = json.loads(entry.read_text(encoding="utf-8"))["files"]
    assert list(files) == [str(tmp_path / "common.js")]
    load(tmp_path / "app.scxml")  # from the cache, in any working directory
    assert compiles == {"app.scxml": 1}
    (tmp_path / "common.js").write_text("var greeting = 'hello';\n", encoding="utf-8")
    load(tmp_path / "app.scxml")  # the script changed: compiled again
    assert compiles == {"app.scxml": 2}


def test_a_compilation_of_another_document_is_refused(
    compiles: Counter[str], tmp_path: Path
) -> None:
    write_documents(tmp_path, "app.scxml", "other.scxml")
    with pytest.raises(ValueError, match="cannot stand in for"):
        load("app.scxml", compilation=compile_path("other.scxml"))
