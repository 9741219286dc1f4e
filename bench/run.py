"""Benchmark scxmlc, the hand-written reference and peer libraries on charts A, B, C.

Usage (from the project root)::

    python bench/run.py [--quick] [--markdown] [--json FILE] [--charts ABC]

Every implementation is first checked against ``../shared/bench/spec.py``; one that
fails is reported as ``FAILED CHECK`` and not timed. Throughput samples of all
implementations of a chart are interleaved, so that the ratio to the hand-written dict
variant compares numbers taken under the same machine load. Progress goes to stderr,
the tables to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (
    None,
    "",
):  # run as a script: import the harness as the `bench` package
    _project_root = str(Path(__file__).resolve().parent.parent)
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path[0] = _project_root  # never let bench/*.py shadow an installed module
    else:
        sys.path.insert(0, _project_root)

import argparse
import datetime
import os
import platform
import shlex
from collections.abc import Callable
from importlib import metadata

from bench.charts import CHARTS
from bench.checks import CheckFailed, check, check_after_timing
from bench.measure import (
    NORMAL,
    QUICK,
    Budget,
    Throughput,
    bytes_per_instance,
    memory_instances,
    prepare_throughput,
    start_microseconds,
    take_sample,
)
from bench.peers import implementations
from bench.report import Result, RunInfo, render_markdown, render_text, write_json
from bench.subject import Implementation, Subject, Unavailable, Unsupported

Log = Callable[[str], None]


def log_stderr(message: str) -> None:
    """Progress and notes, kept off stdout so the tables can be redirected."""
    print(message, file=sys.stderr, flush=True)


def build_and_check(
    impl: Implementation, chart: str, log: Log
) -> tuple[Result, Subject | None]:
    """Build ``impl`` for ``chart`` and check it; the subject is None if it cannot be timed."""
    result = Result(chart=chart, impl=impl.name)
    try:
        subject = impl.build(chart)
    except Unavailable as exc:
        result.fail("skipped", str(exc))
        log(f"  note: {impl.name} skipped on chart {chart}: {exc}")
        return result, None
    except Unsupported as exc:
        result.fail("unsupported", str(exc))
        return result, None
    except Exception as exc:  # a peer that cannot even build the chart has failed it
        result.fail("failed", f"building the chart raised {type(exc).__name__}: {exc}")
        return result, None
    result.note = subject.note
    try:
        check(subject)
    except CheckFailed as exc:
        result.fail("failed", str(exc))
        log(f"  {impl.name}: FAILED CHECK: {exc}")
        return result, None
    return result, subject


def sample_interleaved(
    runs: dict[str, tuple[Result, Throughput]], budget: Budget
) -> None:
    """Take budget.samples events/s samples of every run, round-robin.

    A run whose implementation raises while being timed is marked failed and dropped.
    """
    for _ in range(budget.samples):
        for name, (result, run) in list(runs.items()):
            try:
                take_sample(run)
            except Exception as exc:
                result.fail(
                    "failed", f"raised while timed: {type(exc).__name__}: {exc}"
                )
                del runs[name]


def finish(result: Result, run: Throughput, budget: Budget, log: Log) -> None:
    """Re-check the timed machine, then measure instantiation time and memory."""
    try:
        check_after_timing(run.subject, run.machine, run.cycles_sent)
    except CheckFailed as exc:
        result.fail("failed", str(exc))
        return
    result.samples = list(run.samples)
    result.events_per_s = run.median
    log(f"  {result.impl}: instantiate+start, memory")
    result.start_us = start_microseconds(run.subject.new, budget)
    result.memory_instances = memory_instances(result.start_us, budget)
    result.bytes_per_instance = bytes_per_instance(
        run.subject.new, result.memory_instances
    )


def set_ratios(results: list[Result], baseline_name: str) -> None:
    """ratio = events/s over the baseline's events/s (same chart, same run)."""
    base = next((r for r in results if r.impl == baseline_name), None)
    if base is None or base.events_per_s is None:
        return
    for result in results:
        if result.events_per_s is not None:
            result.ratio = result.events_per_s / base.events_per_s


def run_chart(chart: str, budget: Budget, log: Log) -> list[Result]:
    """Check, then time, every implementation on one chart."""
    log(f"chart {chart}: checking against spec.py")
    impls = implementations()
    results: list[Result] = []
    runs: dict[str, tuple[Result, Throughput]] = {}
    for impl in impls:
        result, subject = build_and_check(impl, chart, log)
        results.append(result)
        if subject is not None:
            log(f"  {impl.name}: calibrating")
            try:
                runs[impl.name] = (result, prepare_throughput(subject, budget))
            except Exception as exc:
                result.fail(
                    "failed", f"raised while timed: {type(exc).__name__}: {exc}"
                )
    log(f"chart {chart}: {budget.samples} interleaved throughput samples")
    sample_interleaved(runs, budget)
    for result, run in runs.values():
        finish(result, run, budget, log)
    baseline = next(impl.name for impl in impls if impl.baseline)
    set_ratios(results, baseline)
    return results


def peer_versions() -> dict[str, str]:
    """Installed version of every distribution the report names."""
    versions: dict[str, str] = {}
    for impl in implementations():
        if impl.distribution and impl.distribution not in versions:
            try:
                versions[impl.distribution] = metadata.version(impl.distribution)
            except metadata.PackageNotFoundError:
                versions[impl.distribution] = "(not installed)"
    return versions


def command_line(argv: list[str]) -> str:
    """The command as typed: ``python -m bench.run ...`` or ``python <script> ...``."""
    program = ["-m", "bench.run"] if __package__ else [sys.argv[0]]
    return " ".join(["python", *map(shlex.quote, [*program, *argv])])


def run_info(argv: list[str], budget: Budget) -> RunInfo:
    """Python, platform, versions and the exact command of this run."""
    return RunInfo(
        python=f"{platform.python_implementation()} {platform.python_version()}",
        platform=f"{platform.system()} {platform.machine()}",
        cpus=os.cpu_count(),
        versions=peer_versions(),
        command=command_line(argv),
        mode="quick" if budget is QUICK else "normal",
        sample_seconds=budget.sample_seconds,
        samples=budget.samples,
        started_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--quick", action="store_true", help="short run (~0.03 s per sample)"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print Markdown instead of plain text"
    )
    parser.add_argument(
        "--json", metavar="FILE", type=Path, help="also write all results as JSON"
    )
    parser.add_argument(
        "--charts",
        default="".join(CHARTS),
        help="charts to run, e.g. AB (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    unknown = set(args.charts) - set(CHARTS)
    if unknown or not args.charts:
        parser.error(f"--charts takes letters from {''.join(CHARTS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 if scxmlc or the reference failed its check."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    budget = QUICK if args.quick else NORMAL
    info = run_info(argv, budget)
    results: list[Result] = []
    for chart in CHARTS:
        if chart in args.charts:
            results += run_chart(chart, budget, log_stderr)
    render = render_markdown if args.markdown else render_text
    sys.stdout.write(render(results, info))
    if args.json:
        write_json(args.json, results, info)
        log_stderr(f"wrote {args.json}")
    must_pass = {impl.name for impl in implementations() if impl.must_pass}
    failed = {result.impl for result in results if result.status == "failed"}
    return 1 if failed & must_pass else 0


if __name__ == "__main__":
    sys.exit(main())
