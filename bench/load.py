"""Load: thousands of concurrent ORS sessions in one process, each routing a call.

Usage (from the project root)::

    python bench/load.py [--sessions N] [--clock virtual|asyncio|both]
                         [--datamodel ecmascript|python|both] [--markdown]
                         [--json FILE] [--no-tracemalloc] [--gc-freeze] [--profile]
                         [--native]

Every call arrives at routing point 5000, where the platform starts a session of
``examples/agent_group_routing.scxml`` (ECMAScript) or of
``bench/load_routing_python.scxml`` (the same document with the python datamodel).
The session submits the call to the Sales agent group (``<queue:submit
route="false">``), the simulator selects and reserves an agent, the session
redirects the call to that agent (``<ixn:redirect>``), the conversation runs, the
call ends, the session hears ``interaction.deleted`` and reaches its final state.

There is one agent per call, so every call is routed as it arrives, and every
conversation outlasts the arrivals, so all N sessions are alive at once:

- virtual clock (``Simulation(..., keep_trace=False)``): the calls arrive evenly
  over 100 virtual seconds and talk for 300, so at t=200 all N sessions are
  alive and in conversation;
- asyncio clock (``AsyncioClock``, the same contact center and platform assembled
  as ``Simulation`` does, on real time): all N calls arrive at once; once every
  one is in conversation the bench hangs them all up (the timeline's ``hangup:``),
  so the loop is never idle between the two phases.

Numbers: *sessions started/s* is N over the wall time from the first arrival until
every session has started and its call is in conversation (arrival, session start,
submit, agent selection, redirect); *events/s* counts the events the sessions took
(``Platform(count_events=True)``) over the wall time of both phases (routing, and
the conversations' ends through the sessions' final states); memory is measured at
the peak, as the RSS growth since before the first arrival and, in a second run,
as tracemalloc's traced bytes, both divided by N; *CPU s (GC s)* is the
process's CPU time over both phases and, in parentheses, the wall time the
cyclic garbage collector took in them (``--gc-freeze`` moves the scenario, the
simulator's agents and calls, out of its reach first). The run fails loudly (exit
status 1) unless all N sessions were alive at once, every call went to an agent,
every session ended in its final state ``done``, and no session raised an error
event. Progress goes to stderr, the table to stdout.

The *build* column says what ran: ``pure``, ``native runtime`` (the runtime core
compiled by mypyc, ``scxmlc.runtime.NATIVE``; the application's module pure) or
``native`` (``--native``: the application loaded with ``scxmlc.load(path,
native=True)`` as well). ``SCXMLC_PURE=1`` in the environment runs the pure core
where the compiled one is installed, so two runs compare the builds.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import the harness as `bench`
    _project_root = str(Path(__file__).resolve().parent.parent)
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path[0] = _project_root  # never let bench/*.py shadow an installed module
    else:
        sys.path.insert(0, _project_root)

import argparse
import asyncio
import cProfile
import datetime
import gc
import importlib.machinery
import json
import os
import platform
import pstats
import shlex
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import scxmlc
import scxmlc.runtime
from scxmlc.runtime import AsyncioClock, Machine
from scxmlc.runtime.ors import Platform, Trace
from scxmlc.runtime.sim import Agent, ContactCenter, Simulation, parse_scenario
from scxmlc.runtime.sim.model import Contact
from scxmlc.runtime.sim.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
APPLICATIONS: dict[str, Path] = {
    "ecmascript": ROOT / "examples" / "agent_group_routing.scxml",
    "python": ROOT / "bench" / "load_routing_python.scxml",
}
CLOCKS = ("virtual", "asyncio")
ROUTING_POINT = "5000"
VIRTUAL_RAMP = 100.0
"""Virtual seconds over which the calls arrive."""
VIRTUAL_TALK = 300.0
"""Virtual seconds each conversation lasts (longer than the ramp: all overlap)."""
ASYNCIO_TALK = 24 * 3600.0
"""Never reached: on the asyncio clock the bench hangs the calls up itself."""
FINAL_STATES = frozenset({"done"})

Log = Callable[[str], None]


class LoadFailed(Exception):
    """The run did not do what the benchmark claims: the numbers are void."""


@dataclass
class LoadResult:
    """One run: an application on one clock."""

    datamodel: str
    clock: str
    sessions: int
    peak: int
    events: int
    start_seconds: float
    """Wall seconds from the first arrival until every call was in conversation."""
    end_seconds: float
    """Wall seconds from the first conversation's end until the last session ended."""
    cpu_seconds: float
    rss_bytes: int | None
    """RSS growth at the peak (None where /proc/self/statm is missing)."""
    gc_seconds: float = 0.0
    """Wall seconds of the run the cyclic garbage collector took."""
    gc_frozen: bool = False
    """Whether the scenario was moved out of the collector's reach first."""
    build: str = "pure"
    """What ran: ``pure``, ``native runtime`` (the compiled runtime core, the
    application's module pure) or ``native`` (both compiled, ``--native``)."""
    traced_bytes: int | None = None
    """tracemalloc's traced bytes at the peak, from a second run (None if skipped)."""

    @property
    def started_per_s(self) -> float:
        return self.sessions / self.start_seconds

    @property
    def events_per_s(self) -> float:
        return self.events / (self.start_seconds + self.end_seconds)


# -- the scenario ---------------------------------------------------------------------


def scenario_data(sessions: int, *, ramp: float, talk: float) -> dict[str, Any]:
    """The contact center and timeline: one Sales agent per call, `sessions` calls
    arriving evenly over `ramp` seconds, each talking `talk` seconds."""
    agents = [
        {
            "id": f"agent{i:05d}",
            "place": f"Place{i:05d}",
            "dn": str(100_000 + i),
            "groups": ["Sales"],
            "state": "ready",
        }
        for i in range(sessions)
    ]
    timeline = [
        {
            "at": ramp * i / sessions,
            "call": {
                "id": f"call-{i:05d}",
                "to": ROUTING_POINT,
                "ani": f"+1555{i:07d}",
                "talk": talk,
            },
        }
        for i in range(sessions)
    ]
    return {
        "start": "2026-12-01T10:00:00+00:00",
        "dns": [
            {"number": ROUTING_POINT, "type": "RoutingPoint"},
            {"number": "8000", "type": "ACDQueue"},
        ],
        "agents": agents,
        "virtual_queues": ["VQ_Sales"],
        "timeline": timeline,
    }


def build_scenario(sessions: int, *, ramp: float, talk: float) -> Scenario:
    return parse_scenario(
        scenario_data(sessions, ramp=ramp, talk=talk), ROOT / "bench" / "load.yaml"
    )


def _no_documents(path: Path) -> type[Machine]:
    raise LoadFailed(f"the load scenario names no documents, yet {path} was asked for")


# -- measuring ---------------------------------------------------------------------------


def _rss() -> int | None:
    """The resident set size in bytes (Linux), None elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


class _Window:
    """The measured part of a run: memory at the peak relative to its start (RSS,
    or tracemalloc's bytes when `traced`), and the seconds the cyclic garbage
    collector ran in it. With `freeze`, what exists when it starts (the
    scenario: agents, calls, the compiled application) is moved out of the
    collector's reach (`gc.freeze()`)."""

    def __init__(self, traced: bool, freeze: bool = False) -> None:
        self.traced = traced
        self.freeze = freeze
        self.before = 0
        self.gc_seconds = 0.0
        self._collecting = 0.0

    def _collector(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._collecting = time.perf_counter()
        else:
            self.gc_seconds += time.perf_counter() - self._collecting

    def start(self) -> None:
        gc.collect()
        if self.freeze:
            gc.freeze()
        if self.traced:
            tracemalloc.start()
            self.before = tracemalloc.get_traced_memory()[0]
        else:
            self.before = _rss() or 0
        gc.callbacks.append(self._collector)

    def at_peak(self) -> int | None:
        if self.traced:
            return tracemalloc.get_traced_memory()[0] - self.before
        rss = _rss()
        return None if rss is None else rss - self.before

    def stop(self) -> None:
        gc.callbacks.remove(self._collector)
        if self.traced:
            tracemalloc.stop()
        if self.freeze:
            gc.unfreeze()


@dataclass
class _Peak:
    """What the probe saw when all sessions should be alive."""

    sessions: int = 0
    in_conversation: int = 0
    memory: int | None = None


def _probe(platform: Platform, window: _Window) -> _Peak:
    return _Peak(
        sessions=len(platform.sessions),
        in_conversation=sum(
            1
            for session in platform.sessions.values()
            if session.machine.configuration == {"routed"}
        ),
        memory=window.at_peak(),
    )


@dataclass
class _Outcome:
    """A finished run: what checks read, and its timings."""

    center: ContactCenter
    platform: Platform
    peak: _Peak
    start_seconds: float
    end_seconds: float
    cpu_seconds: float


def run_virtual(application: type[Machine], sessions: int, window: _Window) -> _Outcome:
    """The scenario on a `VirtualClock`, through `Simulation` with the trace off."""
    scenario = build_scenario(sessions, ramp=VIRTUAL_RAMP, talk=VIRTUAL_TALK)
    simulation = Simulation(
        scenario,
        _no_documents,
        default_application=application,
        keep_trace=False,
        count_events=True,
    )
    peaks: list[_Peak] = []
    marks: list[float] = []

    def at_peak() -> None:  # all arrived and routed, no conversation over yet
        marks.append(time.perf_counter())
        peaks.append(_probe(simulation.platform, window))
        marks.append(time.perf_counter())

    simulation.clock.call_later((VIRTUAL_RAMP + VIRTUAL_TALK) / 2, at_peak)
    window.start()
    cpu = time.process_time()
    begin = time.perf_counter()
    simulation.run()
    end = time.perf_counter()
    cpu = time.process_time() - cpu
    window.stop()
    if not peaks:
        raise LoadFailed("the run ended before the peak")
    probing = marks[1] - marks[0]
    return _Outcome(
        simulation.center,
        simulation.platform,
        peaks[0],
        marks[0] - begin,
        end - marks[1],
        cpu - probing,
    )


class _LoadCenter(ContactCenter):
    """The contact center, telling the bench when the last call reached its agent."""

    def __init__(self, scenario: Scenario, clock: AsyncioClock, expected: int) -> None:
        super().__init__(scenario.config, clock)
        self.expected = expected
        self.in_conversation = 0
        self.all_in_conversation: asyncio.Future[None] | None = None

    def deliver_to_agent(self, contact: Contact, agent: Agent) -> None:
        super().deliver_to_agent(contact, agent)
        self.in_conversation += 1
        waiter = self.all_in_conversation
        if self.in_conversation == self.expected and waiter is not None:
            waiter.set_result(None)


async def _asyncio_run(
    application: type[Machine], scenario: Scenario, sessions: int, window: _Window
) -> _Outcome:
    clock = AsyncioClock()
    center = _LoadCenter(scenario, clock, sessions)
    platform = Platform(
        center, clock, trace=Trace(clock.now, keep=False), count_events=True
    )
    center.attach(platform)
    platform.provision(ROUTING_POINT, application)
    center.all_in_conversation = asyncio.get_running_loop().create_future()
    contacts = [step.arrival.contact for step in scenario.timeline if step.arrival]

    def arrive(contact: Contact) -> None:  # what Simulation does for an arrival
        contact.arrived = clock.now()
        center.arrive(contact)

    window.start()
    cpu = time.process_time()
    begin = time.perf_counter()
    for contact in contacts:
        clock.call_later(0.0, partial(arrive, contact))
    await center.all_in_conversation
    routed = time.perf_counter()
    cpu = time.process_time() - cpu
    peak = _probe(platform, window)
    resume = time.perf_counter()
    cpu_resume = time.process_time()
    for contact in contacts:  # the customers hang up (the timeline's `hangup:`)
        clock.call_later(0.0, partial(center.hang_up, contact.interaction.g_uid))
    while platform.sessions:
        await asyncio.sleep(0.001)
    end = time.perf_counter()
    cpu += time.process_time() - cpu_resume
    window.stop()
    return _Outcome(center, platform, peak, routed - begin, end - resume, cpu)


def run_asyncio(application: type[Machine], sessions: int, window: _Window) -> _Outcome:
    """The same contact center and platform on an asyncio loop, in real time."""
    scenario = build_scenario(sessions, ramp=0.0, talk=ASYNCIO_TALK)
    return asyncio.run(_asyncio_run(application, scenario, sessions, window))


# -- checking ------------------------------------------------------------------------


def check(outcome: _Outcome, sessions: int) -> None:
    """Raise `LoadFailed` unless all sessions were alive at once, every call was
    routed to an agent and completed, and every session ended in `done`."""
    center, platform, peak = outcome.center, outcome.platform, outcome.peak
    problems: list[str] = []
    if peak.sessions != sessions:
        problems.append(f"{peak.sessions} of {sessions} sessions alive at the peak")
    if peak.in_conversation != sessions:
        problems.append(
            f"{peak.in_conversation} of {sessions} sessions in state routed at the peak"
        )
    if platform.sessions:
        problems.append(f"{len(platform.sessions)} sessions still running")
    if len(platform.finished) != sessions:
        problems.append(f"{len(platform.finished)} of {sessions} sessions ended")
    unfinished = [
        s for s in platform.finished if s.machine.configuration != FINAL_STATES
    ]
    if unfinished:
        problems.append(
            f"{len(unfinished)} sessions ended outside {sorted(FINAL_STATES)}, e.g. "
            f"{unfinished[0].label} in {sorted(unfinished[0].machine.configuration)}"
        )
    agents = center.config.agents
    contacts = list(center.contacts.values())
    if len(contacts) != sessions:
        problems.append(f"{len(contacts)} interactions for {sessions} calls")
    unrouted = [
        c
        for c in contacts
        if c.routed_to not in agents or c.outcome != "completed" or c.ended is None
    ]
    if unrouted:
        first = unrouted[0]
        problems.append(
            f"{len(unrouted)} calls not routed to an agent and completed, e.g. "
            f"{first.interaction.g_uid}: routed to {first.routed_to}, {first.outcome}"
        )
    handled = sorted({agent.handled for agent in agents.values()})
    if handled != [1]:
        problems.append(f"agents handled {handled} calls each, not one")
    if platform.error_events:
        problems.append(f"sessions raised {platform.error_events} error events")
    if problems:
        raise LoadFailed("; ".join(problems))


# -- one measurement -----------------------------------------------------------------

Runner = Callable[[type[Machine], int, _Window], _Outcome]
RUNNERS: dict[str, Runner] = {"virtual": run_virtual, "asyncio": run_asyncio}


def measure(
    datamodel: str,
    clock: str,
    sessions: int,
    *,
    tracemalloc_run: bool = True,
    gc_freeze: bool = False,
    profile: bool = False,
    native: bool = False,
    log: Log | None = None,
) -> LoadResult:
    """Run `sessions` calls through the `datamodel` application on `clock`, check
    the outcome (raising `LoadFailed`), and return the numbers. With
    `tracemalloc_run`, a second run measures the traced bytes at the peak; with
    `gc_freeze`, both runs start with `gc.freeze()`; with `native`, the
    application is loaded as a native module (`scxmlc.load(path, native=True)`)."""
    say = log or (lambda message: None)
    options = {"native": True} if native else {}
    application = scxmlc.load(str(APPLICATIONS[datamodel]), **options)
    runner = RUNNERS[clock]
    say(f"{datamodel}, {clock} clock: {sessions} sessions")
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    window = _Window(traced=False, freeze=gc_freeze)
    outcome = runner(application, sessions, window)
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    check(outcome, sessions)
    result = LoadResult(
        datamodel=datamodel,
        clock=clock,
        sessions=sessions,
        peak=outcome.peak.sessions,
        events=outcome.platform.events_taken,
        start_seconds=outcome.start_seconds,
        end_seconds=outcome.end_seconds,
        cpu_seconds=outcome.cpu_seconds,
        rss_bytes=outcome.peak.memory,
        gc_seconds=window.gc_seconds,
        gc_frozen=gc_freeze,
        build=build_name(application),
    )
    del outcome
    gc.collect()
    if tracemalloc_run:
        say(f"{datamodel}, {clock} clock: again, under tracemalloc")
        traced = runner(application, sessions, _Window(traced=True, freeze=gc_freeze))
        check(traced, sessions)
        result.traced_bytes = traced.peak.memory
        del traced
        gc.collect()
    return result


def build_name(application: type[Machine]) -> str:
    """``pure``, ``native runtime`` or ``native``: what runs ``application``.

    A native module is one loaded from an extension module (where
    ``scxmlc.load(path, native=True)`` cannot build one it gives the pure module).
    """
    module = sys.modules[application.__module__]
    native_module = str(getattr(module, "__file__", "")).endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES)
    )
    if not getattr(scxmlc.runtime, "NATIVE", False):
        return "pure"
    return "native" if native_module else "native runtime"


# -- reporting -------------------------------------------------------------------------

LABELS = {"ecmascript": "ECMAScript example", "python": "python-datamodel variant"}
CLOCK_LABELS = {"virtual": "VirtualClock", "asyncio": "AsyncioClock"}
HEADERS = (
    "application",
    "build",
    "clock",
    "sessions",
    "peak concurrent",
    "sessions started/s",
    "events/s",
    "events/session",
    "wall s (routing + ends)",
    "CPU s (GC s)",
    "bytes/session (tracemalloc)",
    "bytes/session (RSS)",
)


def _number(value: float | None, decimals: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{decimals}f}"


def _cells(result: LoadResult) -> list[str]:
    per = result.sessions
    return [
        LABELS[result.datamodel],
        result.build,
        CLOCK_LABELS[result.clock],
        f"{result.sessions:,}",
        f"{result.peak:,}",
        _number(result.started_per_s),
        _number(result.events_per_s),
        _number(result.events / per, 1),
        f"{result.start_seconds:.2f} + {result.end_seconds:.2f}",
        f"{result.cpu_seconds:.2f} ({result.gc_seconds:.2f})",
        _number(None if result.traced_bytes is None else result.traced_bytes / per),
        _number(None if result.rss_bytes is None else result.rss_bytes / per),
    ]


def run_line(argv: list[str]) -> str:
    """Python, platform and the exact command."""
    program = ["-m", "bench.load"] if __package__ else [sys.argv[0]]
    command = " ".join(["python", *map(shlex.quote, [*program, *argv])])
    from importlib import metadata

    return (
        f"Measured with `{command}` on {platform.python_implementation()} "
        f"{platform.python_version()} ({platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs), scxmlc {metadata.version('scxmlc')}, "
        f"{datetime.date.today().isoformat()}."
    )


def render_markdown(results: list[LoadResult], argv: list[str]) -> str:
    lines = [
        run_line(argv),
        "",
        "| " + " | ".join(HEADERS) + " |",
        "| --- | --- | --- |" + " ---: |" * (len(HEADERS) - 3),
    ]
    lines += ["| " + " | ".join(_cells(result)) + " |" for result in results]
    return "\n".join(lines) + "\n"


def render_text(results: list[LoadResult], argv: list[str]) -> str:
    rows = [list(HEADERS)] + [_cells(result) for result in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = [run_line(argv), ""]
    for row in rows:
        lines.append(
            "  ".join(
                cell.ljust(width) if i < 3 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths))
            )
        )
    return "\n".join(lines) + "\n"


def write_json(path: Path, results: list[LoadResult], argv: list[str]) -> None:
    payload = {
        "run": run_line(argv),
        "results": [
            asdict(r)
            | {"started_per_s": r.started_per_s, "events_per_s": r.events_per_s}
            for r in results
        ],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


# -- command line ----------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--sessions", type=int, default=10_000, help="calls (default: %(default)s)"
    )
    parser.add_argument(
        "--clock", choices=[*CLOCKS, "both"], default="both", help="default: both"
    )
    parser.add_argument(
        "--datamodel",
        choices=[*APPLICATIONS, "both"],
        default="both",
        help="default: both",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print Markdown instead of plain text"
    )
    parser.add_argument(
        "--json", metavar="FILE", type=Path, help="also write the results as JSON"
    )
    parser.add_argument(
        "--no-tracemalloc",
        action="store_true",
        help="skip the second, tracemalloc run of each configuration",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() once the scenario is built, so that the collector's full "
        "passes skip the agents and calls the simulator holds",
    )
    parser.add_argument(
        "--native",
        action="store_true",
        help="load the applications as native modules (scxmlc.load(path, native=True)); "
        "the runtime core is compiled or not as installed (SCXMLC_PURE=1: not)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run under cProfile and print the top functions to stderr "
        "(the numbers then include the profiler's overhead)",
    )
    args = parser.parse_args(argv)
    if args.sessions < 1:
        parser.error("--sessions takes a positive number")
    return args


def log_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run, check, print; exit status 1 if any run failed its checks."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    datamodels = list(APPLICATIONS) if args.datamodel == "both" else [args.datamodel]
    clocks = list(CLOCKS) if args.clock == "both" else [args.clock]
    results: list[LoadResult] = []
    failed = False
    for clock in clocks:
        for datamodel in datamodels:
            try:
                results.append(
                    measure(
                        datamodel,
                        clock,
                        args.sessions,
                        tracemalloc_run=not (args.no_tracemalloc or args.profile),
                        gc_freeze=args.gc_freeze,
                        profile=args.profile,
                        native=args.native,
                        log=log_stderr,
                    )
                )
            except LoadFailed as error:
                failed = True
                log_stderr(f"FAILED: {datamodel}, {clock} clock: {error}")
    render = render_markdown if args.markdown else render_text
    sys.stdout.write(render(results, argv))
    if args.json:
        write_json(args.json, results, argv)
        log_stderr(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
