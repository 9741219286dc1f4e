"""Child processes of ``bench/run.py``: one per variant and round, then the rounds combined.

The parent starts ``python bench/run.py --child VARIANT ...`` with the variant's
environment (bench/variants.py); the child checks and times its rows on every chart
and writes them as JSON to a file the parent names. Rounds are interleaved: round
``r`` starts the variants rotated by ``r``, so that no build is always the first
(or the last) under a changing machine load.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.charts import CHARTS
from bench.report import Result
from bench.subject import Implementation
from bench.variants import (
    PURE_SWITCH,
    REFERENCE_VARIANT,
    Variant,
    child_environment,
    stage_tree,
    tree_label,
)

RUN_SCRIPT: Path = Path(__file__).resolve().parent / "run.py"

Log = Callable[[str], None]

#: One round of one variant: its rows, and the line saying what the process imported.
ChildRun = tuple[list[Result], str]


@dataclass(frozen=True)
class RunPlan:
    """The variants of a run, where each caches its modules, and a staged tree."""

    variants: tuple[Variant, ...]
    caches: dict[str, Path]
    python_path: Path | None
    label: str
    peers: bool = True

    @classmethod
    def create(
        cls,
        variants: list[Variant],
        scratch: Path,
        pure_tree: Path | None,
        peers: bool = True,
    ) -> RunPlan:
        """A plan whose caches (and staged ``--pure-tree``) live under ``scratch``."""
        python_path = label = None
        if pure_tree is not None:
            python_path = stage_tree(pure_tree.resolve(), scratch / "tree")
            label = tree_label(pure_tree)
        return cls(
            tuple(variants),
            {variant.name: scratch / f"cache-{variant.name}" for variant in variants},
            python_path,
            label or "",
            peers,
        )

    def implementations(self) -> list[Implementation]:
        """Every row of every variant (the references once)."""
        seen: dict[str, Implementation] = {}
        for variant in self.variants:
            for impl in variant.implementations(self.label, self.peers):
                seen.setdefault(impl.name, impl)
        return list(seen.values())

    def reporting(self) -> str:
        """The variant whose hand-written rows are reported (the others only compare)."""
        names = [variant.name for variant in self.variants]
        return REFERENCE_VARIANT if REFERENCE_VARIANT in names else names[0]


# ---------------------------------------------------------------- child side
def describe_process(variant: Variant) -> str:
    """What this process imported: where scxmlc came from, which runtime core."""
    try:
        scxmlc = importlib.import_module("scxmlc")
        from bench.peers import runtime_is_native

        native = runtime_is_native()
    except Exception as exc:  # reported, not raised: the rows say skipped
        return f"{variant.name}: scxmlc not importable ({type(exc).__name__}: {exc})"
    where = Path(scxmlc.__file__ or "?").parent
    core = "compiled (mypyc)" if native else "pure Python"
    switch = f", {PURE_SWITCH}=1" if variant.pure else ""
    return f"{variant.name}: scxmlc from {where}, runtime core {core}{switch}"


def write_child_results(path: Path, results: list[Result], process: str) -> None:
    """The child's answer to the parent: its rows and its process line, as JSON."""
    payload = {
        "process": process,
        "results": [dataclasses.asdict(result) for result in results],
    }
    path.write_text(json.dumps(payload), encoding="utf-8")


# --------------------------------------------------------------- parent side
def _child_command(
    plan: RunPlan, variant: Variant, charts: str, quick: bool, out: Path
) -> list[str]:
    """The command line of a child process."""
    command = [sys.executable, str(RUN_SCRIPT), "--child", variant.name]
    command += ["--charts", charts, "--child-out", str(out), "--label", plan.label]
    return (
        command
        + (["--quick"] if quick else [])
        + ([] if plan.peers else ["--no-peers"])
    )


def _failed_rows(
    plan: RunPlan, variant: Variant, charts: str, reason: str
) -> list[Result]:
    """Every row of ``variant`` marked failed with ``reason`` (the process died)."""
    rows = []
    for chart in CHARTS:
        if chart in charts:
            for impl in variant.implementations(plan.label, plan.peers):
                result = Result(chart=chart, impl=impl.name, variant=variant.name)
                result.fail("failed", reason)
                rows.append(result)
    return rows


def run_child(
    plan: RunPlan, variant: Variant, charts: str, quick: bool, log: Log
) -> ChildRun:
    """Run one child process of ``variant``; its rows (all failed if it died)."""
    cache = plan.caches[variant.name]
    out = cache.with_name(f"{cache.name}.json")
    out.unlink(missing_ok=True)
    python_path = plan.python_path if variant.name == "base" else None
    completed = subprocess.run(
        _child_command(plan, variant, charts, quick, out),
        env=child_environment(variant, cache, python_path),
        stdout=subprocess.DEVNULL,
    )
    if completed.returncode != 0 or not out.is_file():
        reason = f"the {variant.name} process exited with status {completed.returncode}"
        log(f"  {reason}")
        return (
            _failed_rows(plan, variant, charts, reason),
            f"{variant.name}: {reason}",
        )
    payload = json.loads(out.read_text(encoding="utf-8"))
    results = [Result(**row) for row in payload["results"]]
    for result in results:
        result.variant = variant.name
    return results, payload["process"]


def run_rounds(
    plan: RunPlan, rounds: int, charts: str, quick: bool, log: Log
) -> list[dict[str, ChildRun]]:
    """``rounds`` rounds of a child per variant, the order rotated every round."""
    done: list[dict[str, ChildRun]] = []
    for number in range(rounds):
        shift = number % len(plan.variants)
        order = plan.variants[shift:] + plan.variants[:shift]
        this_round: dict[str, ChildRun] = {}
        for variant in order:
            log(f"round {number + 1}/{rounds}: {variant.name} ({variant.description})")
            this_round[variant.name] = run_child(plan, variant, charts, quick, log)
        done.append(this_round)
    return done


def combine(rows: list[Result]) -> Result:
    """One row out of the same row of every round.

    A row failed in any round is failed; a row measured in some rounds gets the
    median of their numbers, and its ratio the lowest and highest besides; the
    load times stay one per round (the first compiled into an empty cache).
    """
    failed = [row for row in rows if row.status == "failed"]
    if failed:
        return failed[0]
    measured = [row for row in rows if row.status == "ok"]
    if not measured:
        return rows[0]
    combined = dataclasses.replace(measured[0], rounds=len(measured))

    def median(values: list[float | None]) -> float | None:
        present = [value for value in values if value is not None]
        return statistics.median(present) if present else None

    combined.events_per_s = median([row.events_per_s for row in measured])
    combined.ratio = median([row.ratio for row in measured])
    ratios = [row.ratio for row in measured if row.ratio is not None]
    combined.ratio_min = min(ratios, default=None)
    combined.ratio_max = max(ratios, default=None)
    combined.ratio_ifelif = median([row.ratio_ifelif for row in measured])
    combined.start_us = median([row.start_us for row in measured])
    combined.bytes_per_instance = median([row.bytes_per_instance for row in measured])
    combined.samples = [sample for row in measured for sample in row.samples]
    combined.load_seconds = [
        seconds for row in rows for seconds in row.load_seconds[:1]
    ]
    return combined


def _row_group(impl: str) -> int:
    """Order of the report: hand-written rows, scxmlc's, then the peers'."""
    if impl.startswith("hand-written"):
        return 0
    return 1 if impl.startswith("scxmlc") else 2


def combine_rounds(
    rounds: list[dict[str, ChildRun]], plan: RunPlan
) -> tuple[list[Result], list[str]]:
    """The report's rows (every round combined) and a process line per variant.

    The hand-written rows are those of the reporting variant (bench/variants.py's
    ``pure``); every other variant's references were measured only for its ratios.
    """
    reporting = plan.reporting()
    by_key: dict[tuple[int, int, str, str], list[Result]] = {}
    order = {variant.name: index for index, variant in enumerate(plan.variants)}
    processes: dict[str, str] = {}
    for this_round in rounds:
        for name, (results, process) in this_round.items():
            processes.setdefault(name, process)
            for result in results:
                group = _row_group(result.impl)
                if group == 0 and name != reporting:
                    continue
                key = (group, order[name], result.chart, result.impl)
                by_key.setdefault(key, []).append(result)
    # stable: within a group and variant, rows keep the order the process gave them
    ordered = sorted(by_key.items(), key=lambda item: item[0][:2])
    rows = [combine(rows) for _, rows in ordered]
    lines = [
        processes[variant.name]
        for variant in plan.variants
        if variant.name in processes
    ]
    return rows, lines
