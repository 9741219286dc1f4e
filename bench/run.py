"""Benchmark scxmlc, the hand-written reference and peer libraries on charts A, B, C.

Usage (from the project root)::

    python bench/run.py [--quick] [--markdown] [--json FILE] [--charts ABC]
                        [--variants pure,native-runtime,native] [--rounds N]
                        [--pure-tree DIR] [--no-peers]

A process imports ``scxmlc.runtime`` once, pure or compiled, so each build of scxmlc
is measured in child processes of its own (bench/variants.py): the pure build
(``SCXMLC_PURE=1``), pure modules on the compiled runtime, native modules
(``scxmlc.load(path, native=True)``) on it, and with ``--pure-tree`` the pure build
of another source tree. Every child also measures the hand-written dict and if/elif
dispatchers, so a ratio compares numbers of one process; rounds are interleaved (a
child per build each round) and a row reports the median of the rounds.

Every implementation is first checked against ``../shared/bench/spec.py``; one that
fails is reported as ``FAILED CHECK`` and not timed. Within a process, throughput
samples of all implementations of a chart are interleaved. Progress goes to stderr,
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
import tempfile
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
from bench.peers import BASELINE, IF_ELIF
from bench.processes import (
    RunPlan,
    combine_rounds,
    describe_process,
    run_rounds,
    write_child_results,
)
from bench.report import Result, RunInfo, render_markdown, render_text, write_json
from bench.subject import Implementation, Subject, Unavailable, Unsupported
from bench.summary import summary_tables
from bench.variants import DEFAULT_VARIANTS, VARIANTS

#: Rows measured in every process only to compare the others with.
REFERENCES: frozenset[str] = frozenset({BASELINE, IF_ELIF})

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


def set_ratios(results: list[Result]) -> None:
    """ratio: events/s over the hand-written dict's; ratio_ifelif over the if/elif's.

    Both are measured in this process, on the same chart, interleaved with the row.
    """
    speeds = {result.impl: result.events_per_s for result in results}
    base, ifelif = speeds.get(BASELINE), speeds.get(IF_ELIF)
    for result in results:
        if result.events_per_s is None:
            continue
        if base is not None:
            result.ratio = result.events_per_s / base
        if ifelif is not None:
            result.ratio_ifelif = result.events_per_s / ifelif


def run_chart(
    chart: str, impls: tuple[Implementation, ...], budget: Budget, log: Log
) -> list[Result]:
    """Check, then time, every implementation of ``impls`` on one chart.

    When every row besides the hand-written references is skipped or failed, the
    references are not timed either: they are only there to compare with.
    """
    log(f"chart {chart}: checking against spec.py")
    results: list[Result] = []
    runs: dict[str, tuple[Result, Throughput]] = {}
    for impl in impls:
        result, subject = build_and_check(impl, chart, log)
        results.append(result)
        if subject is not None:
            result.load_seconds = (
                [] if subject.load_seconds is None else [subject.load_seconds]
            )
            log(f"  {impl.name}: calibrating")
            try:
                runs[impl.name] = (result, prepare_throughput(subject, budget))
            except Exception as exc:
                result.fail(
                    "failed", f"raised while timed: {type(exc).__name__}: {exc}"
                )
    if not set(runs) - REFERENCES:
        for name in REFERENCES & set(runs):
            runs[name][0].fail(
                "skipped", "no other row of this process to compare with"
            )
        return results
    log(f"chart {chart}: {budget.samples} interleaved throughput samples")
    sample_interleaved(runs, budget)
    for result, run in runs.values():
        finish(result, run, budget, log)
    set_ratios(results)
    return results


def peer_versions(impls: list[Implementation]) -> dict[str, str]:
    """Installed version of every distribution the report names."""
    versions: dict[str, str] = {}
    for impl in impls:
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


def run_info(
    argv: list[str], budget: Budget, impls: list[Implementation], rounds: int
) -> RunInfo:
    """Python, platform, versions and the exact command of this run."""
    return RunInfo(
        python=f"{platform.python_implementation()} {platform.python_version()}",
        platform=f"{platform.system()} {platform.machine()}",
        cpus=os.cpu_count(),
        versions=peer_versions(impls),
        command=command_line(argv),
        mode="quick" if budget is QUICK else "normal",
        sample_seconds=budget.sample_seconds,
        samples=budget.samples,
        started_utc=datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        rounds=rounds,
    )


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options (see the module docstring)."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--quick", action="store_true", help="short run (~0.03 s per sample, 1 round)"
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
    parser.add_argument(
        "--variants",
        default=",".join(DEFAULT_VARIANTS),
        help="builds to measure, comma-separated, from "
        f"{', '.join(name for name in VARIANTS if name != 'base')} "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="interleaved rounds, a process per build each (default: 3, 1 with --quick)",
    )
    parser.add_argument(
        "--pure-tree",
        metavar="DIR",
        type=Path,
        help="also measure the pure build of another source tree, e.g. a "
        "`git worktree` of an earlier commit",
    )
    parser.add_argument(
        "--no-peers",
        dest="peers",
        action="store_false",
        help="leave the peer libraries out (their rows take a third of a run)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--label", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.charts) - set(CHARTS)
    if unknown or not args.charts:
        parser.error(f"--charts takes letters from {''.join(CHARTS)}")
    args.variants = [name for name in args.variants.split(",") if name]
    if not args.variants or set(args.variants) - set(VARIANTS) - {"base"}:
        parser.error(f"--variants takes names from {', '.join(VARIANTS)}")
    if args.pure_tree is not None and "base" not in args.variants:
        args.variants.append("base")
    if "base" in args.variants and args.pure_tree is None and args.child is None:
        parser.error("the base variant needs --pure-tree DIR")
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def child_main(args: argparse.Namespace) -> int:
    """A child process: measure one variant's rows, write them to ``--child-out``."""
    budget = QUICK if args.quick else NORMAL
    variant = VARIANTS[args.child]
    impls = variant.implementations(args.label, args.peers)
    results: list[Result] = []
    for chart in CHARTS:
        if chart in args.charts:
            results += run_chart(chart, impls, budget, log_stderr)
    write_child_results(args.child_out, results, describe_process(variant))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 if scxmlc or the reference failed its check."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.child is not None:
        return child_main(args)
    budget = QUICK if args.quick else NORMAL
    variants = [VARIANTS[name] for name in args.variants]
    with tempfile.TemporaryDirectory(prefix="scxmlc-bench-run-") as scratch:
        plan = RunPlan.create(variants, Path(scratch), args.pure_tree, args.peers)
        impls = plan.implementations()
        info = run_info(argv, budget, impls, args.rounds)
        rounds = run_rounds(plan, args.rounds, args.charts, args.quick, log_stderr)
    results, info.processes = combine_rounds(rounds, plan)
    render = render_markdown if args.markdown else render_text
    sys.stdout.write(render(results, info, summary_tables(results)))
    if args.json:
        write_json(args.json, results, info)
        log_stderr(f"wrote {args.json}")
    must_pass = {impl.name for impl in impls if impl.must_pass}
    failed = {result.impl for result in results if result.status == "failed"}
    return 1 if failed & must_pass else 0


if __name__ == "__main__":
    sys.exit(main())
