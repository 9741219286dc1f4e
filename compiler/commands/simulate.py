"""`scxmlc run APP --scenario S.yaml`: an application against the simulated contact center.

Compiles the application (and every document the scenario provisions), runs the
scenario on a virtual clock with `scxmlc.runtime.sim`, and prints the trace
(events, states, routing decisions, treatments, logs, errors) and a summary (who
was routed where, waits, abandons). `--json` prints both as one JSON object.
Compile errors print as diagnostics; scenario errors as `file: entry: message`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scxmlc.runtime import Machine
from scxmlc.runtime.sim import (
    ScenarioError,
    Simulation,
    format_summary,
    format_trace,
    load_scenario,
)

from ..diagnostics import CompileError
from ..loader import load
from ..options import Options

__all__ = ["run_scenario"]


def run_scenario(
    application: str, scenario_path: str, options: Options, *, as_json: bool
) -> int:
    """Run and print; the exit status (1 for compile or scenario errors)."""
    try:
        scenario = load_scenario(scenario_path)
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return 1

    def compile_document(path: Path) -> type[Machine]:
        return load(path, options)

    try:
        main = compile_document(Path(application))
        simulation = Simulation(scenario, compile_document, default_application=main)
    except CompileError as error:
        for diagnostic in error.diagnostics:
            print(diagnostic, file=sys.stderr)
        return 1
    simulation.run()
    summary = simulation.summary()
    if as_json:
        trace = [entry.as_json() for entry in simulation.trace.entries]
        print(json.dumps({"trace": trace, "summary": summary}, indent=2, default=str))
    else:
        print(format_trace(simulation.trace.entries))
        print()
        print(format_summary(summary))
    return 0
