"""bench/run.py measures each build of scxmlc in a process of its own.

The child processes, the combination of their rounds and the summary tables are
checked here on numbers made up for the purpose or on a one-chart quick run;
nothing is timed (performance is measured by bench/, never asserted).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import scxmlc.runtime

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT.parent / "shared" / "bench"

needs_charts = pytest.mark.skipif(
    not SHARED_BENCH.is_dir(), reason="../shared/bench not found"
)


def _bench(name: str) -> ModuleType:
    """``bench.<name>``, imported with the project root on sys.path."""
    sys.path.insert(0, str(ROOT))
    try:
        module = __import__(f"bench.{name}", fromlist=[name])
    finally:
        sys.path.remove(str(ROOT))
    assert isinstance(module, ModuleType)
    return module


def _result(impl: str, ratio: float | None, **fields: object) -> object:
    report = _bench("report")
    events = None if ratio is None else ratio * 1e6
    return report.Result(
        chart="A", impl=impl, ratio=ratio, events_per_s=events, **fields
    )


@needs_charts
def test_rounds_combine_into_the_median_and_the_range_of_the_ratio() -> None:
    processes = _bench("processes")
    rounds = [
        _result("scxmlc native", ratio, start_us=us, load_seconds=[load])
        for ratio, us, load in ((1.6, 0.3, 9.0), (1.2, 0.5, 0.1), (1.9, 0.2, 0.2))
    ]
    combined = processes.combine(rounds)
    assert (combined.ratio, combined.ratio_min, combined.ratio_max) == (1.6, 1.2, 1.9)
    assert (combined.start_us, combined.rounds) == (0.3, 3)
    assert combined.load_seconds == [9.0, 0.1, 0.2]  # the first round compiled


@needs_charts
def test_a_row_failed_in_any_round_is_failed() -> None:
    processes = _bench("processes")
    failed = _result("scxmlc pure", None)
    failed.fail("failed", "after 3 timed cycles: active atomic states {b}")
    combined = processes.combine([_result("scxmlc pure", 0.5), failed])
    assert (combined.status, combined.ratio) == ("failed", None)


@needs_charts
def test_the_summary_says_which_goal_is_met() -> None:
    summary = _bench("summary")
    results = [
        _result("scxmlc native", 1.8),
        _result("scxmlc native, ECMAScript", 1.0),
        _result("scxmlc pure", 0.5),
    ]
    table = summary.goals_table(results)
    assert table.rows == [
        ["A", "0.50x", "n/a", "n/a", "n/a", "1.80x", "1.00x", "met", "not met (1.80x)"]
    ]


def test_each_variant_runs_with_its_runtime_switch(tmp_path: Path) -> None:
    variants = _bench("variants")
    pure = variants.child_environment(variants.VARIANTS["pure"], tmp_path)
    native = variants.child_environment(variants.VARIANTS["native"], tmp_path)
    base = variants.child_environment(
        variants.VARIANTS["base"], tmp_path, python_path=tmp_path / "tree"
    )
    assert pure["SCXMLC_PURE"] == "1" and "SCXMLC_PURE" not in native
    assert native["SCXMLC_CACHE"] == str(tmp_path)
    assert base["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path / "tree")


def test_a_source_tree_is_staged_in_import_layout(tmp_path: Path) -> None:
    variants = _bench("variants")
    staged = variants.stage_tree(ROOT, tmp_path)
    completed = subprocess.run(
        [sys.executable, "-c", "import scxmlc.runtime; print(scxmlc.runtime.__file__)"],
        env={**os.environ, "PYTHONPATH": str(staged)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert (
        Path(completed.stdout.strip()) == staged / "scxmlc" / "runtime" / "__init__.py"
    )
    assert not (staged / "scxmlc" / "compiler" / "toplevel").exists()
    assert not list(staged.rglob("*.so"))


@needs_charts
def test_one_run_measures_every_build_in_a_process_of_its_own(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--charts", "A"]
        + ["--variants", "pure,native-runtime", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["impl"]: row for row in payload["results"]}
    assert [line.split(":")[0] for line in payload["run"]["processes"]] == [
        "pure",
        "native-runtime",
    ]
    for name in (
        "hand-written dict (baseline)",
        "scxmlc pure",
        "scxmlc pure, ECMAScript",
    ):
        assert rows[name]["status"] == "ok" and rows[name]["ratio"] > 0, name
    assert rows["hand-written dict (baseline)"]["ratio"] == 1.0
    assert rows["scxmlc pure"]["ratio_ifelif"] > 0
    native = [
        "scxmlc native runtime, pure module",
        "scxmlc native runtime, pure module, ECMAScript",
    ]
    # the child imports the compiled core wherever one is installed (whatever
    # SCXMLC_PURE says in this process): its rows run there, else say why not
    compiled = "compiled" in payload["run"]["processes"][1]
    for name in native:
        if compiled:
            assert rows[name]["status"] == "ok", rows[name]["reason"]
        else:
            assert rows[name]["status"] == "skipped"
            assert "not compiled" in rows[name]["reason"]
    assert "Builds side by side" in completed.stdout


@needs_charts
@pytest.mark.skipif(
    getattr(scxmlc.runtime, "NATIVE", False), reason="the runtime core is compiled"
)
def test_native_rows_are_skipped_with_a_reason_on_the_pure_runtime() -> None:
    peers = _bench("peers")
    subject = _bench("subject")
    build = peers.scxmlc_builder("python", native_runtime=True, native_module=True)
    with pytest.raises(subject.Unavailable, match="runtime core is not compiled"):
        build("A")
