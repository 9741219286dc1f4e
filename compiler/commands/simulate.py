"""`scxmlc run APP --scenario S.yaml`: an application against the simulated contact center.

Reads and checks the scenario (every problem, `file:line:col: error: ...`),
decides which document serves each of its routing points and interaction
queues, compiles those documents (printing their warnings, as `compile`
does), runs the scenario on a virtual clock with `scxmlc.runtime.sim`, and
prints the trace (events, states, routing decisions, treatments, logs,
errors) and a summary (who was routed where, waits, abandons). `--json`
prints both as one JSON object.

Which document serves which point (one line per point on stderr):

- APP, the document named on the command line, serves every point the
  scenario's `applications:` maps to APP and every point it maps to nothing;
- a point the scenario maps to another document keeps it when the scenario
  maps APP somewhere too (a scenario of several applications: APP is one);
- when the scenario maps APP nowhere, APP serves every point, also those the
  scenario maps to another document, with a note at that entry: the command
  line says what to run (a scenario written for one version of an
  application runs the next), and the note says what was replaced.

Exit statuses: 0 when the run went through; 1 when the scenario or a document
has errors (nothing ran); 2 for a usage error; 3 when the run failed: it
stopped on an error of the runtime, or, with `--fail-on-error`, its trace
holds error events (`error.*`, but those `--allow-error` names) or it ended
abnormally (a session still waiting when nothing is left that could wake it,
or timers still set when the run reached its time limit).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scxmlc.runtime import Machine
from scxmlc.runtime.ors.trace import TraceEntry
from scxmlc.runtime.sim import (
    Scenario,
    ScenarioError,
    Simulation,
    format_summary,
    format_trace,
    load_scenario,
)

from .. import compile_path
from ..diagnostics import CompileError
from ..loader import cached_warnings, load
from ..options import Options

__all__ = [
    "EXIT_FAILED",
    "EXIT_INVALID",
    "Serving",
    "compile_reporting",
    "error_allowed",
    "run_scenario",
    "serving_plan",
]

EXIT_INVALID = 1
"""The scenario or a document has errors: nothing ran."""
EXIT_FAILED = 3
"""The run failed (see the module's docstring)."""


@dataclass(frozen=True)
class Serving:
    """The document that serves one point, and the one the scenario had
    mapped there when the document run replaces it."""

    point: str
    kind: str
    document: Path
    replaced: Path | None = None


def serving_plan(scenario: Scenario, application: Path) -> list[Serving]:
    """Which document serves each routing point and interaction queue of
    `scenario` when `application` is run (the rules of the module's docstring)."""
    document = application.resolve()
    mapped = scenario.applications
    named = document in mapped.values()
    plan = []
    for point, kind in scenario.points().items():
        written = mapped.get(point)
        if written is None or written == document:
            plan.append(Serving(point, kind, document))
        elif named:
            plan.append(Serving(point, kind, written))
        else:
            plan.append(Serving(point, kind, document, replaced=written))
    return plan


def compile_reporting(
    path: Path, options: Options, compiled: dict[Path, type[Machine]] | None = None
) -> type[Machine]:
    """The machine class of the document at `path`, its warnings printed to
    stderr; a `CompileError` holds its errors. `compiled` remembers the
    documents already compiled (so their warnings print once).

    The document is compiled at most once: on a cache hit its warnings are
    those the cache recorded and nothing compiles; otherwise the compilation
    whose warnings print is the one `load` caches and imports."""
    resolved = path.resolve()
    if compiled is not None and resolved in compiled:
        return compiled[resolved]
    compilation = None
    warnings = cached_warnings(path, options)
    if warnings is None:
        compilation = compile_path(path, options)
        warnings = [str(warning) for warning in compilation.warnings]
    for warning in warnings:
        print(warning, file=sys.stderr)
    machine_class = load(path, options, compilation=compilation)
    if compiled is not None:
        compiled[resolved] = machine_class
    return machine_class


def run_scenario(
    application: str,
    scenario_path: str,
    options: Options,
    *,
    as_json: bool,
    fail_on_error: bool = False,
    allowed_errors: Sequence[str] = (),
    html: str | None = None,
) -> int:
    """Run and print; the exit status (module docstring). With `html`, also
    write the run as a page there (compiler/commands/html.py)."""
    try:
        scenario = load_scenario(scenario_path)
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    plan = serving_plan(scenario, Path(application))
    compiled: dict[Path, type[Machine]] = {}
    if not _compile_all(
        [Path(application), *(s.document for s in plan)], options, compiled
    ):
        return EXIT_INVALID
    _print_plan(scenario, plan, Path(application))
    served = dataclasses.replace(
        scenario, applications={s.point: s.document for s in plan}
    )
    simulation = Simulation(
        served, lambda path: compile_reporting(path, options, compiled)
    )
    simulation.trace.datamodels = html is not None
    stopped = _play(simulation)
    if stopped is None:
        return EXIT_INVALID
    _print_results(simulation, plan, as_json)
    if html is not None:
        from .html import steps_from_platform, write_page

        if write_page(application, steps_from_platform(simulation.trace.entries), html):
            return EXIT_FAILED
    failures = [stopped] if stopped else []
    if fail_on_error:
        failures += _error_events(simulation.trace.entries, allowed_errors)
        failures += _abnormal_end(simulation)
    for failure in failures:
        print(f"scxmlc run: {failure}", file=sys.stderr)
    return EXIT_FAILED if failures else 0


def _compile_all(
    documents: list[Path], options: Options, compiled: dict[Path, type[Machine]]
) -> bool:
    """Compile every document (each once), printing all their diagnostics;
    whether all compiled."""
    ok = True
    for document in dict.fromkeys(Path(_shown(d.resolve())) for d in documents):
        try:
            compile_reporting(document, options, compiled)
        except CompileError as error:
            for diagnostic in error.diagnostics:
                print(diagnostic, file=sys.stderr)
            ok = False
    return ok


def _print_plan(scenario: Scenario, plan: list[Serving], application: Path) -> None:
    """One line per point on stderr: which document serves it."""
    if not plan:
        print(
            f"{scenario.path}: no routing point or interaction queue: "
            f"{_shown(application)} serves nothing",
            file=sys.stderr,
        )
    for serving in plan:
        if serving.replaced is not None:
            where = scenario.where(("applications",), serving.point)
            print(
                f"{where}: note: applications maps {serving.point} to "
                f"{_shown(serving.replaced)}; {_shown(serving.document)}, the "
                "document run, serves it instead",
                file=sys.stderr,
            )
        print(
            f"{scenario.path}: {serving.kind} {serving.point} is served by "
            f"{_shown(serving.document)}",
            file=sys.stderr,
        )


def _shown(path: Path) -> str:
    """A document's path for people: relative to the working directory when
    it lies below it."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def _play(simulation: Simulation) -> str | None:
    """Run the simulation: "" when it went through, what stopped it when
    the runtime failed, None when a document it invoked did not compile
    (reported)."""
    try:
        simulation.run()
    except CompileError as error:
        for diagnostic in error.diagnostics:
            print(diagnostic, file=sys.stderr)
        return None
    except Exception as error:  # noqa: BLE001 - reported, and the run fails
        at = f"{simulation.clock.now():g}"
        return f"the run stopped at {at}s: {type(error).__name__}: {error}"
    return ""


def _print_results(simulation: Simulation, plan: list[Serving], as_json: bool) -> None:
    summary = simulation.summary()
    if as_json:
        trace = [entry.as_json() for entry in simulation.trace.entries]
        serving = {s.point: str(s.document) for s in plan}
        result = {"serving": serving, "trace": trace, "summary": summary}
        print(json.dumps(result, indent=2, default=str))
    else:
        print(format_trace(simulation.trace.entries))
        print()
        print(format_summary(summary))


def _error_events(entries: list[TraceEntry], allowed: Sequence[str]) -> list[str]:
    """The trace's error events (`error.*`, and errors the sessions raised)
    that no descriptor of `allowed` matches, as failures; an error a session
    raised and then took as its event is one failure."""
    found = []
    raised = set()
    for entry in entries:
        name = entry.text.split(":", 1)[0]
        if entry.kind == "error":
            raised.add((entry.time, entry.session, name))
        elif not (entry.kind == "event" and name.startswith("error.")):
            continue
        elif (entry.time, entry.session, name) in raised:
            continue
        if not error_allowed(name, allowed):
            session = entry.session or "--"
            found.append(f"error event at {entry.time:g}s in {session}: {entry.text}")
    return found


def error_allowed(name: str, allowed: Sequence[str]) -> bool:
    """Whether an `--allow-error` descriptor matches the event `name`, as
    SCXML matches events: `error.queue` (or `error.queue.*`) matches
    `error.queue` and `error.queue.submit`; `*` matches every event."""
    for descriptor in allowed:
        prefix = descriptor.removesuffix("*").removesuffix(".")
        if not prefix or name == prefix or name.startswith(prefix + "."):
            return True
    return False


def _abnormal_end(simulation: Simulation) -> list[str]:
    """How the run ended abnormally: timers still set at the time limit, or
    sessions waiting when nothing is left that could wake them (a scenario
    with `until` may stop anything anywhere)."""
    if simulation.scenario.until is not None:
        return []
    if simulation.clock.pending:
        return [
            f"the run reached its time limit at {simulation.clock.now():g}s "
            f"with {simulation.clock.pending} timer(s) still set"
        ]
    return [
        f"session {session.label} ({session.machine._chart.name}) still runs "
        f"in {', '.join(sorted(session.machine.configuration))} with nothing "
        "left that could end it"
        for session in simulation.platform.sessions.values()
    ]
