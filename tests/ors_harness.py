"""Helpers for ORS tests: compile a document from text and run it against a scenario."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from scxmlc.compiler import compile_text
from scxmlc.compiler.loader import _import, load
from scxmlc.runtime import Machine
from scxmlc.runtime.sim import Simulation, parse_scenario

NAMESPACES = (
    'xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
    'xmlns:queue="http://www.genesyslab.com/modules/queue" '
    'xmlns:ixn="www.genesyslab.com/modules/interaction" '
    'xmlns:dialog="http://www.genesyslab.com/modules/dialog" '
    'xmlns:session="http://www.genesyslab.com/modules/session" '
    'xmlns:statistic="http://www.genesyslab.com/modules/statistic" '
    'xmlns:classification="http://www.genesyslab.com/modules/classification" '
    'xmlns:ws="http://www.genesyslab.com/modules/ws"'
)

_counter = iter(range(1_000_000))


def machine_class(text: str, name: str = "ors_test.scxml") -> type[Machine]:
    """Compile SCXML `text` (with `{ns}` standing for the Genesys namespaces)."""
    compilation = compile_text(text.replace("{ns}", NAMESPACES), name)
    module = _import(compilation.source, f"ors_test_{next(_counter)}")
    cls: type[Machine] = getattr(module, compilation.class_name)
    return cls


def simulate(
    application: type[Machine], scenario: str, base: Path | None = None
) -> Simulation:
    """Run `application` at every routing point of the YAML `scenario`."""
    raw: Any = yaml.safe_load(scenario)
    parsed = parse_scenario(raw, (base or Path.cwd()) / "scenario.yaml")
    simulation = Simulation(
        parsed, lambda path: load(path), default_application=application
    )
    simulation.run()
    return simulation


def texts(simulation: Simulation, *kinds: str) -> list[str]:
    """The trace lines of the given kinds, as `time kind [session] text`."""
    return [
        f"{entry.time:g} {entry.kind} {entry.session or '-'} {entry.text}"
        for entry in simulation.trace.of_kind(*kinds)
    ]


def events(simulation: Simulation, session: str = "S1") -> list[str]:
    """The names of the events one session took, in order."""
    return [
        e.text
        for e in simulation.trace.entries
        if e.kind == "event" and e.session == session
    ]
