"""Run applications against a scenario on a virtual clock: the trace and a summary.

`Simulation(scenario, load)` builds the contact center, the platform and a
`VirtualClock`, provisions each application the scenario names (compiled
through `load`, which the CLI and tests pass in: the runtime never compiles),
schedules the timeline, and `run()` plays it until nothing is left to do or
`until` seconds have passed. `summary()` says who was routed where, how long
each customer waited, who abandoned, what every agent handled and how each
session ended; `format_trace` and `format_summary` print them for people.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..clock import VirtualClock
from ..machine import Machine
from ..ors.platform import Platform
from ..ors.trace import Trace, TraceEntry
from .center import ContactCenter
from .scenario import Scenario

__all__ = ["Simulation", "format_summary", "format_trace", "provision_default"]

DEFAULT_LIMIT = 4 * 3600.0
"""How long a run may go on after the last timeline entry when the scenario sets
no `until` (virtual seconds)."""

Loader = Callable[[Path], type[Machine]]


def provision_default(
    platform: Platform, scenario: Scenario, application: type[Machine]
) -> None:
    """`application` at the resources of `scenario` that have none yet: its
    routing points, its interaction queues and where its interactions arrive."""
    for resource in scenario.points():
        platform.applications.setdefault(resource, application)


class Simulation:
    """One scenario run; `default_application` serves routing points the
    scenario names no application for. Without one, an arrival at a point
    the scenario names no application for is a `ScenarioError`."""

    def __init__(
        self,
        scenario: Scenario,
        load: Loader,
        *,
        default_application: type[Machine] | None = None,
        keep_trace: bool = True,
        count_events: bool = False,
    ) -> None:
        if default_application is None:
            scenario.check_served()
        self.scenario = scenario
        self.clock = VirtualClock(epoch=scenario.config.start)
        self.center = ContactCenter(scenario.config, self.clock)
        self.trace = Trace(self.clock.now, keep=keep_trace)
        self.platform = Platform(
            self.center,
            self.clock,
            trace=self.trace,
            resolver=lambda uri, base: load(Path(base).parent / uri),
            count_events=count_events,
        )
        self.center.attach(self.platform)
        for resource, document in scenario.applications.items():
            self.platform.provision(resource, load(document))
        if default_application is not None:
            provision_default(self.platform, scenario, default_application)

    def run(self) -> None:
        """Play the timeline and everything it sets off."""
        self.center.schedule(self.scenario.timeline)
        limit = self.scenario.until
        if limit is None:
            last = max((step.at for step in self.scenario.timeline), default=0.0)
            limit = last + DEFAULT_LIMIT
        self.clock.run_until_idle(limit=limit)

    # -- results --------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Who was routed where, waits, abandons, agents' work, sessions' ends."""
        contacts: list[dict[str, Any]] = []
        for contact in self.center.contacts.values():
            if contact.interaction.g_uid.startswith(("msg-out", "call-out")):
                continue
            contacts.append(
                {
                    "id": contact.interaction.g_uid,
                    "media": contact.interaction.category,
                    "arrived": round(contact.arrived, 3),
                    "at": contact.resource,
                    "outcome": contact.outcome,
                    "routed_to": contact.routed_to,
                    "wait": None if contact.wait is None else round(contact.wait, 3),
                    "ended": None if contact.ended is None else round(contact.ended, 3),
                    "messages": [m["interactionid"] for m in contact.messages],
                }
            )
        waits: list[float] = [c["wait"] for c in contacts if c["wait"] is not None]
        sessions = [
            {
                "session": s.label,
                "application": s.machine._chart.name,
                "started": round(s.started, 3),
                "ended": None if s.ended is None else round(s.ended, 3),
                "states": sorted(s.machine.configuration),
            }
            for s in [*self.platform.finished, *self.platform.sessions.values()]
        ]
        return {
            "interactions": contacts,
            "routed": sum(1 for c in contacts if c["routed_to"]),
            "abandoned": sum(1 for c in contacts if c["outcome"] == "abandoned"),
            "average_wait": round(sum(waits) / len(waits), 3) if waits else None,
            "longest_wait": max(waits) if waits else None,
            "agents": {
                a.id: {"handled": a.handled, "state": a.state}
                for a in self.center.config.agents.values()
            },
            "messages": list(self.center.outbox),
            "sessions": sorted(sessions, key=lambda s: int(str(s["session"])[1:])),
            "errors": sum(1 for e in self.trace.entries if e.kind == "error"),
            "time": round(self.clock.now(), 3),
        }


def format_trace(entries: list[TraceEntry]) -> str:
    """One line an entry: `   12.000  S1  event      queue.submit.done`."""
    lines = []
    for entry in entries:
        session = entry.session or "--"
        lines.append(f"{entry.time:9.3f}  {session:<4} {entry.kind:<14} {entry.text}")
    return "\n".join(lines)


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as a few readable paragraphs."""
    lines = [f"Summary after {_s(summary['time'])}s of virtual time"]
    for contact in summary["interactions"]:
        where = (
            f"routed to {contact['routed_to']}"
            if contact["routed_to"]
            else contact["outcome"]
        )
        wait = f" after {_s(contact['wait'])}s" if contact["wait"] is not None else ""
        messages = (
            f", replied with {', '.join(contact['messages'])}"
            if contact["messages"]
            else ""
        )
        lines.append(
            f"  {contact['id']:<10} {contact['media']:<6} at {contact['at']:<14} {where}{wait}{messages}"
        )
    average = summary["average_wait"]
    lines.append(
        f"  routed {summary['routed']}, abandoned {summary['abandoned']}"
        + (
            f", average wait {_s(average)}s, longest {_s(summary['longest_wait'])}s"
            if average is not None
            else ""
        )
    )
    agents = ", ".join(
        f"{name} {info['handled']}" for name, info in summary["agents"].items()
    )
    if agents:
        lines.append(f"  agents handled: {agents}")
    for message in summary["messages"]:
        lines.append(
            f"  message {message['interactionid']} ({message['type']}) to {', '.join(message['to'])}: {message['subject']!r}"
        )
    for session in summary["sessions"]:
        end = (
            "still running"
            if session["ended"] is None
            else f"ended at {_s(session['ended'])}s"
        )
        lines.append(
            f"  {session['session']} {session['application']}: {end} in {', '.join(session['states'])}"
        )
    if summary["errors"]:
        lines.append(f"  {summary['errors']} error event(s) in the trace")
    return "\n".join(lines)


def _s(seconds: float) -> str:
    """Seconds for people: `12`, `2.5`, `2080808`."""
    return f"{seconds:.3f}".rstrip("0").rstrip(".")
