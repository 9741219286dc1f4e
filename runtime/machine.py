"""`Machine`: the SCXML algorithm of Appendix D, written once over compiled tables.

A compiled document is a subclass of `Machine` whose class attribute `_chart` holds
its tables and whose methods hold its executable content. This module runs them:
event selection through the chart's memoised plans, microsteps (exit, transition
content, entry), the macrostep loop over eventless transitions and the internal
queue, the external queue, done events, error events, history, and the hooks for
`<send>`, `<cancel>`, `<invoke>` and `<log>` that generated code calls.

Procedure names follow the W3C pseudo-code (`microstep`, `exit_interpreter`, ...).
Configurations are ints: bit i is set while state i (document order) is active,
bit 0 (the `<scxml>` root) while the session runs.
"""

from __future__ import annotations

import linecache
import logging
import re
import time
import uuid
import weakref
from urllib.parse import urlparse
from urllib.request import url2pathname
from collections import deque
from collections.abc import Iterable
from types import FunctionType
from typing import TYPE_CHECKING, Any, ClassVar, Final, NoReturn, Self, cast

from . import io, invoke
from .budget import CHECK_EVERY, DEFAULT_BUDGET, Budget, BudgetExceeded
from .chart import PARALLEL, Chains, Chart, Plan, bits
from .clock import Clock, VirtualClock
from .errors import ExecutionError, ScxmlError
from .interpreted import Anchor, mypyc_attr
from .snapshot import RestoreError
from .events import INTERNAL, PLATFORM, AttrDict, Event
from .steps import MacroStep, MicroStep, StepRecorder

__all__ = ["MacroStep", "Machine", "MicroStep", "Observer", "SESSIONS", "SessionTable"]

logger = logging.getLogger("scxmlc")


_TURN: Final = 100
"""External events a session processes in a row before the clock runs other work."""

_SOURCE_COMMENT = re.compile(r"#\s+(\S+\.(?:scxml|js):\d+)")


def _compiled_here() -> bool:
    """Whether this module is compiled: a compiled module's functions are
    not Python functions."""
    return not isinstance(_compiled_here, FunctionType)


CORE_COMPILED: Final = _compiled_here()
"""Whether the core runs compiled (mypyc); `scxmlc.runtime.NATIVE` tells users."""


def source_location(error: BaseException) -> str | None:
    """`file.scxml:LINE` of the element whose generated code raised `error`.

    Walks the traceback to the innermost frame of a generated module and reads
    back to the `# file.scxml:LINE` comment that precedes the failing statement.
    """
    found = None
    frame_info = error.__traceback__
    while frame_info is not None:
        frame = frame_info.tb_frame
        if "SCXMLC_SOURCE" in frame.f_globals:
            filename, line = frame.f_code.co_filename, frame_info.tb_lineno
            for number in range(line, max(line - 200, 0), -1):
                match = _SOURCE_COMMENT.search(linecache.getline(filename, number))
                if match:
                    found = match.group(1)
                    break
        frame_info = frame_info.tb_next
    return found


@mypyc_attr(allow_interpreted_subclasses=True)
class Observer:
    """Receives what a session does; subclass and override what you need.

    `on_microstep` and `on_macrostep` report the steps of the SCXML algorithm
    (transitions taken, states exited and entered, in order; see
    runtime/steps.py and docs/guide.md, "Observing a run"). A session records
    steps only when its observer `takes_steps` (by default: when a subclass
    overrides one of the two), so an observer without them, or no observer,
    costs the per-event path nothing.
    """

    @property
    def takes_steps(self) -> bool:
        """Whether sessions should record their steps for this observer; read
        when the observer is attached to a session (created, restored, or
        assigned to `Machine.observer`)."""
        cls = type(self)
        return (
            cls.on_microstep is not Observer.on_microstep
            or cls.on_macrostep is not Observer.on_macrostep
        )

    def on_microstep(self, machine: Machine, step: MicroStep) -> None:
        """A microstep was taken: its handlers ran, `step.configuration` is
        current. Logs and errors of its handlers were reported before it."""

    def on_macrostep(self, machine: Machine, step: MacroStep) -> None:
        """A macrostep ended: the session is stable in `step.configuration`
        (or finished). Called before `on_stable`, once per external event."""

    def on_event(self, machine: Machine, event: Event) -> None:
        """An event is about to be processed (after selection starts)."""

    def on_log(self, machine: Machine, label: str | None, value: Any) -> None:
        """A `<log>` element ran."""

    def on_error(
        self, machine: Machine, event: Event, error: BaseException | None
    ) -> None:
        """An error event was queued; `error` is the exception behind it, if any."""

    def on_stable(self, machine: Machine) -> None:
        """The session finished a macrostep (after starting, or after an external
        event) and waits for the next event; `machine.configuration` is current."""

    def on_finished(self, machine: Machine) -> None:
        """The session stopped (top-level final state, or cancelled)."""


@mypyc_attr(allow_interpreted_subclasses=True)
class Machine:
    """Base class of compiled state machines: one instance is one SCXML session.

    `Machine(clock=...)` creates a session; `start()` enters the initial
    configuration; `send(name, data)` queues an external event and processes it to
    the end of its macrostep before returning. `configuration` holds the ids of the
    active states, `finished` tells whether a top-level final state was reached.
    """

    __slots__ = (
        "_config",
        "_idle",
        "_announce",
        "_recorder",
        "_started",
        "_running",
        "_scheduled",
        "_internal",
        "_external",
        "_event",
        "_history",
        "_clock",
        "_parent",
        "_invokeid",
        "_sid",
        "_timers",
        "_invocations",
        "_to_invoke",
        "_data_done",
        "_initial_data",
        "_donedata",
        "_io",
        "_observer",
        "_budget",
        "_fuel",
        "_deadline",
        "_anchor",
        "_tables",
        "__weakref__",
    )

    _chart: ClassVar[Chart]
    _data_ids: ClassVar[frozenset[str]] = frozenset()
    _document_location: ClassVar[str | None] = None
    """The URL a host loaded this document from (`scxmlc.load` sets its file URL)."""
    _eventful: ClassVar[bool] = True
    default_budget: ClassVar[Budget] = DEFAULT_BUDGET
    """The budget of sessions created without one (see `budget`)."""
    _fingerprint: ClassVar[str] = ""
    """The compiled fingerprint of the document's layout (generated): what a
    snapshot's meaning depends on. A snapshot names it; `restore` accepts a
    snapshot of another fingerprint only through `migrate`."""
    _persist: ClassVar[bool] = True
    """False for a document marked `<scxml _persist="false">` (ORS): a server
    never persists its sessions."""
    _transient_slots: ClassVar[tuple[str, ...]] = ()
    """Instance slots of a subclass that a snapshot leaves out (host objects a
    host attaches again); every other slot a subclass declares is captured."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Hoist what the per-event path reads from the chart into the class.

        A chart's own dispatch is used where it is faster than the memo: both
        interpreted, or both compiled. On a compiled core, an interpreted
        `_dispatch` (a pure module) would turn an event the core handles in C
        into an interpreted call, so that chart takes the memo path alone."""
        super().__init_subclass__(**kwargs)
        chart = vars(cls).get("_chart")
        if chart is not None:
            cls._eventful = chart.uses_event
            own = vars(cls).get("_dispatch")
            if CORE_COMPILED and isinstance(own, FunctionType):
                chart.dispatches = False

    _event: Event

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        observer: Observer | None = None,
        parent: Machine | None = None,
        invokeid: str | None = None,
        data: dict[str, Any] | None = None,
        budget: Budget | None = None,
    ) -> None:
        self._config = 0
        self._idle = False  # started, running and not processing: send() may run now
        self._started = False
        self._running = False
        self._scheduled = False
        self._internal: deque[Event] | None = None
        self._external: deque[Event] | None = None
        self._history: dict[int, int] | None = None
        self._clock = clock
        self._parent = parent
        self._invokeid = invokeid
        self._sid: str | None = None
        self._timers: dict[str, io.Delayed] | None = None
        self._invocations: dict[str, invoke.Invocation] | None = None
        self._to_invoke = 0
        self._data_done = 0
        self._initial_data = data
        self._donedata: Any = None
        self._io: AttrDict | None = None
        self._observer = observer
        # whether processing an event binds `_event` and tells the observer
        self._announce = observer is not None or self._eventful
        self._recorder = self._recording(observer) if observer is not None else None
        self._budget = budget if budget is not None else self.default_budget
        self._fuel = CHECK_EVERY
        self._deadline = 0.0
        self._anchor: Anchor | None = None
        self._tables = self._chart  # the class's chart, as the algorithm reads it

    # -- public API ---------------------------------------------------------

    @property
    def observer(self) -> Observer | None:
        """What is told of this session's events, logs and errors."""
        return self._observer

    @observer.setter
    def observer(self, observer: Observer | None) -> None:
        self._observer = observer
        self._announce = observer is not None or self._eventful
        self._recorder = self._recording(observer)

    def _recording(self, observer: Observer | None) -> StepRecorder | None:
        """What `_recorder` holds: for an observer that takes steps, the
        `StepRecorder` of this session (`send` checks for one first and takes
        the general path with it); else None."""
        if observer is not None and observer.takes_steps:
            return StepRecorder()
        return None

    @property
    def budget(self) -> Budget:
        """What one macrostep of this session may spend (`scxmlc.runtime.Budget`):
        microsteps, wall time, internal events waiting. A session over it is
        stopped as `runtime/budget.py` describes; assigning applies from the
        next macrostep."""
        return self._budget

    @budget.setter
    def budget(self, budget: Budget) -> None:
        self._budget = budget

    @property
    def configuration(self) -> frozenset[str]:
        """The ids of all active states (atomic and compound, in no order).

        Once the session has finished, the states it was in when it finished.
        """
        return self._chart.active_ids(self._config)

    def active_states(self) -> list[str]:
        """The ids of all active states, in document order."""
        ids = self._chart.ids
        return [ids[i] for i in bits(self._config & ~1)]

    @property
    def document_url(self) -> str:
        """Where the running document was loaded from: the URL its host gave the
        class (`_document_location`), else the name of the file it was
        compiled from."""
        return type(self)._document_location or self._chart.source

    @property
    def document_path(self) -> str:
        """The file the running document was loaded from, where documents it
        names by a relative URI are (its file name alone when no host said)."""
        location = type(self)._document_location
        if location is not None and location.startswith("file:"):
            return url2pathname(urlparse(location).path)
        return self._chart.source

    @property
    def finished(self) -> bool:
        """True once the session has stopped (top-level final state, or cancelled)."""
        return self._started and not self._running

    @property
    def clock(self) -> Clock:
        """The clock that runs this session's timers (a `VirtualClock` by default)."""
        if self._clock is None:
            self._clock = VirtualClock()
        return self._clock

    @property
    def donedata(self) -> Any:
        """The `<donedata>` of the top-level final state that ended the session."""
        return self._donedata

    def start(self) -> None:
        """Initialise the datamodel, enter the initial configuration, run to idle."""
        if self._started:
            raise RuntimeError(f"session {self._chart.name!r} already started")
        self._started = self._running = True
        self._deadline = 0.0
        try:
            self._initialize()
            self._config = 1
            recorder = self._recorder
            if recorder is not None:
                recorder.begin(self, None)
                recorder.microstep(self, self._chart.initial_plan(), None)
                self._macrostep()
                recorder.end(self)
            else:
                self._microstep(self._chart.initial_plan())
                self._macrostep()
            self._drain_external()
        finally:
            self._idle = self._running
        if self._observer is not None:
            self._observer.on_stable(self)
        self._run_clock()

    def send(self, name: str, data: Any = None) -> None:
        """Queue external event `name` and process it before returning.

        Called from executable content of this session (or while it has not
        started), the event waits its turn in the external queue instead.
        """
        if not self._idle:
            if not self._started or self._running:
                self._enqueue_external(Event(name, data))
            return
        if self._recorder is not None:
            self._send_recorded(Event(name, data))
            return
        self._idle = False
        self._deadline = 0.0  # a new macrostep: its clock starts at its first check
        try:
            # The body of _process_external, inlined: this is the per-event hot path.
            if data is not None or self._announce:
                self._take_external(Event(name, data))
            tables = self._tables
            if tables.dispatches and self._dispatch(name):
                plan = None
            else:
                memo = tables.memo.get(name)
                found = memo.get(self._config) if memo is not None else None
                if found is None:
                    found = tables.select(name, self._config)
                plan = found if isinstance(found, Plan) else self._resolve(found)
            if plan is not None:
                calls = plan.calls
                if calls:
                    for handler in calls:
                        try:
                            handler(self)
                        except Exception as error:  # noqa: BLE001 - becomes an event
                            self._fail(error)
                    self._config = plan.config_after
                elif calls is None:
                    self._microstep(plan)
                else:
                    self._config = plan.config_after
                if plan.settle or self._internal:
                    self._macrostep()
            elif self._internal:
                self._macrostep()
            if self._external:
                self._drain_external()
        finally:
            self._idle = self._running
        if self._observer is not None:
            self._observer.on_stable(self)
        clock = self._clock
        if clock is not None and clock.has_ready:
            clock.run_ready()

    def _send_recorded(self, event: Event) -> None:
        """`send` for a session that records its steps: the general path."""
        self._idle = False
        try:
            self._process_external(event)
            if self._external:
                self._drain_external()
        finally:
            self._idle = self._running
        if self._observer is not None:
            self._observer.on_stable(self)
        self._run_clock()

    def send_event(self, event: Event) -> None:
        """Queue a fully specified external event and process it (see `send`)."""
        self._deliver(event)
        self._run_clock()

    # -- snapshots (runtime/capture.py) ----------------------------------------

    def snapshot(self) -> bytes:
        """The session as bytes, between macrosteps: configuration, history,
        datamodel, queues, delayed sends (with their due times), invoked
        children (recursively), and the document's fingerprint.

        `SnapshotError` names what cannot be captured (a `<data>` id, a queued
        event, a delayed send); nothing is left out silently."""
        from . import capture

        return capture.snapshot(self)

    @classmethod
    def restore(
        cls,
        data: bytes,
        clock: Clock | None = None,
        *,
        observer: Observer | None = None,
        budget: Budget | None = None,
        parent: Machine | None = None,
    ) -> Self:
        """A new session in the state `data` (from `snapshot()`) holds, on
        `clock`: it keeps its session id, its delayed sends fall due at the
        same wall-clock time (at once if that has passed), its children are
        restored with it, and events waiting in its queues are processed on
        the clock's next turn.

        A snapshot of another version of the document (another fingerprint)
        goes through `migrate`; `RestoreError` if it does not fit."""
        from . import capture

        restored = capture.restore(
            cls, data, clock, observer=observer, budget=budget, parent=parent
        )
        return cast(Self, restored)

    @classmethod
    def migrate(cls, state: dict[str, Any], fingerprint: str) -> dict[str, Any]:
        """Turn the decoded `state` of a snapshot taken by the document version
        `fingerprint` into one of this version, or raise `RestoreError` (what
        this default does). Override it in a subclass, or assign it to the
        generated class, to accept older snapshots; `docs/guide.md`
        ("Snapshots") describes the state."""
        raise RestoreError(
            f"{cls._chart.name}: the snapshot is of document version "
            f"{fingerprint!r}, but this is version {cls._fingerprint!r}; "
            "no migration accepts it"
        )

    def dispose(self) -> None:
        """Forget this session without ending it (it lives on in a snapshot,
        restored elsewhere): its delayed sends are cancelled, its children
        disposed, its session id unregistered; no onexit runs, no done event
        is sent, and the observer is not told. The session does nothing
        afterwards (and reads as `finished`)."""
        self._idle = self._running = False
        self._started = True
        self._internal = self._external = None
        if self._timers:
            for timer in self._timers.values():
                timer.cancel()
            self._timers = None
        if self._invocations:
            for invocation in self._invocations.values():
                if invocation.child is not None:
                    invocation.child.dispose()
            self._invocations = None
        if self._sid is not None and SESSIONS.get(self._sid) is self:
            SESSIONS.pop(self._sid)

    def _snapshot_extra(self) -> Any:
        """What a subclass adds to a snapshot (platform state): plain data,
        passed back to `_restore_extra` of the restored session."""
        return None

    def _restore_extra(self, extra: Any) -> None:
        """Take back what `_snapshot_extra` saved (after the datamodel, before
        the children and the timers)."""

    def In(self, state_id: str) -> bool:
        """Whether the state `state_id` is active (the SCXML `In()` predicate)."""
        index = self._tables.index.get(state_id)
        return index is not None and bool(self._config >> index & 1)

    # -- system variables ---------------------------------------------------

    @property
    def _sessionid(self) -> str:
        sid = self._sid
        if sid is None:
            sid = self._sid = uuid.uuid4().hex
            SESSIONS[sid] = self
        return sid

    @property
    def _name(self) -> str:
        return self._chart.name

    @property
    def _ioprocessors(self) -> AttrDict:
        processors = self._io
        if processors is None:
            location = AttrDict(location="#_scxml_" + self._sessionid)
            processors = self._io = AttrDict(
                {io.SCXML_TYPE: location, "scxml": location}
            )
        return processors

    @property
    def _x(self) -> AttrDict:
        return AttrDict()

    def _anchored(self) -> Anchor:
        """What the runtime's weak tables hold for this session (made on first use)."""
        anchor = self._anchor
        if anchor is None:
            anchor = self._anchor = Anchor(self)
        return anchor

    # -- the algorithm ------------------------------------------------------

    def _initialize(self) -> None:
        """Create the datamodel, apply values passed by an invoking parent."""
        self._init_datamodel()
        data = self._initial_data
        if data:
            for key, value in data.items():
                if key in self._data_ids:
                    self._set_data(key, value)
        self._run_global_scripts()

    def _init_datamodel(self) -> None:
        """Generated: evaluate the `<data>` elements bound at start."""

    def _run_global_scripts(self) -> None:
        """Generated: run the `<script>` children of `<scxml>`."""

    def _dispatch(self, name: str) -> bool:
        """Generated where `Chart.dispatches`: take external event `name` (its
        microstep, and the macrostep if eventless transitions may follow) by the
        chart's own dispatch, planned at build time for the configurations the
        compiler could name (compiler/dispatch.py). False, before anything ran:
        this name in this configuration takes the general path."""
        return False

    def _process_external(self, event: Event) -> None:
        """Take one external event: finalize, autoforward, select, microstep."""
        self._deadline = 0.0
        recorder = self._recorder
        if recorder is not None:
            recorder.begin(self, event)
        self._take_external(event)
        if recorder is None and self._tables.dispatches and self._dispatch(event.name):
            plan = None
        else:
            plan = self._select(event.name)
        if plan is not None:
            if recorder is not None:
                recorder.microstep(self, plan, event)
            else:
                self._microstep(plan)
            if plan.settle or self._internal:
                self._macrostep()
        elif self._internal:
            self._macrostep()
        if recorder is not None:
            recorder.end(self)

    def _take_external(self, event: Event) -> None:
        """Bind `_event`; tell the observer; finalize and autoforward for invokes."""
        self._event = event
        if self._observer is not None:
            self._observer.on_event(self, event)
        if self._invocations:
            invoke.before_external_event(self, event)

    def _drain_external(self) -> None:
        """Process the external queue; after `_TURN` events, let the clock run
        other work first (a session that keeps sending itself events must not
        keep the others waiting)."""
        queue = self._external
        turn = _TURN
        while queue and self._running:
            if not turn:
                self._schedule_wake()
                return
            turn -= 1
            self._process_external(queue.popleft())

    def _select(self, name: str | None) -> Plan | None:
        found = self._tables.select(name, self._config)
        if isinstance(found, Plan):
            return found
        return self._resolve(found)

    def _resolve(self, chains: Chains) -> Plan | None:
        """Evaluate the conditions of `chains`; the plan for the winners, if any."""
        mask = 0
        winners: list[int] = []
        for chain in chains.chains:
            for transition, cond in chain:
                if cond is not None:
                    try:
                        if not cond(self):
                            continue
                    except (
                        Exception
                    ) as error:  # noqa: BLE001 - false, and error.execution
                        self._fail(error)
                        continue
                if not mask >> transition & 1:
                    mask |= 1 << transition
                    winners.append(transition)
                break
        if not winners:
            return None
        plan = chains.plans.get(mask)
        if plan is None:
            plan = self._tables.plan(self._config, winners, self._history or {})
            if plan.cacheable:
                chains.plans[mask] = plan
        return plan

    def _test(self, cond: Any) -> bool:
        """Evaluate a condition; an error makes it false and raises error.execution."""
        try:
            return bool(cond(self))
        except Exception as error:  # noqa: BLE001 - every fault becomes an event
            self._fail(error)
            return False

    def _microstep(self, plan: Plan) -> None:
        """Run a plan's handlers, each seeing its configuration; end in `config_after`."""
        for config, handler in plan.ops:
            self._config = config
            try:
                handler(self)
            except Exception as error:  # noqa: BLE001 - every fault becomes an event
                self._fail(error)
        self._config = plan.config_after

    # -- the special steps of a plan (see Chart._build_plan) ------------------

    def _record_history(self, records: tuple[tuple[int, int], ...]) -> None:
        history = self._history
        if history is None:
            history = self._history = {}
        for state, value in records:
            history[state] = value

    def _cancel_invokes(self, state: int) -> None:
        invoke.cancel_state_invocations(self, state)

    def _forget_invokes(self, exited: int) -> None:
        self._to_invoke &= ~exited

    def _mark_invokes(self, states: int) -> None:
        self._to_invoke |= states

    def _bind_late(self, state: int, datamodel: Any) -> None:
        if not self._data_done >> state & 1:
            self._data_done |= 1 << state
            datamodel(self)

    def _entered_final(self, state: int) -> None:
        """Done events for entering final state `state` (Appendix D, enterStates)."""
        chart = self._tables
        parent = chart.states[state].parent
        if parent == 0:
            self._running = False
            self._donedata = self._evaluate_donedata(state)
            return
        data = self._evaluate_donedata(state)
        self._queue_internal(Event("done.state." + chart.ids[parent], data, PLATFORM))
        grandparent = chart.states[parent].parent
        if grandparent > 0 and chart.structure.kinds[grandparent] == PARALLEL:
            if chart.in_final_state(grandparent, self._config):
                self._queue_internal(
                    Event("done.state." + chart.ids[grandparent], None, PLATFORM)
                )

    def _evaluate_donedata(self, state: int) -> Any:
        donedata = self._tables.states[state].donedata
        if donedata is None:
            return None
        try:
            return donedata(self)
        except Exception as error:  # noqa: BLE001
            self._fail(error)
            return None

    def _macrostep(self) -> None:
        """Run eventless transitions and internal events until the session is
        stable; terminate the session if the macrostep exceeds its budget."""
        chart = self._tables
        limit = self._budget.microsteps
        steps = 0
        while True:
            while self._running:
                self._fuel -= 1
                if self._fuel < 0 and self._out_of_time():
                    return
                plan = self._select(None) if chart.has_eventless else None
                eventless = plan
                if plan is None:
                    queue = self._internal
                    if not queue:
                        break
                    event = queue.popleft()
                    self._event = event
                    if self._observer is not None:
                        self._observer.on_event(self, event)
                    plan = self._select(event.name)
                    if plan is None:
                        continue
                steps += 1
                if steps > limit:
                    self._terminate(f"more than {limit:,} microsteps in one macrostep")
                    return
                recorder = self._recorder
                if recorder is not None:
                    cause = self._event if plan is not eventless else None
                    recorder.microstep(self, plan, cause)
                else:
                    self._microstep(plan)
            if not self._running:
                self._exit_interpreter()
                return
            if self._to_invoke:
                invoke.start_invocations(self)
            if not self._internal:
                return

    # -- the budget (runtime/budget.py) ----------------------------------------

    def _refuel(self) -> None:
        """Generated code calls this when `_fuel` runs out: read the clock.

        The first call of a macrostep sets its deadline; a call past it raises
        `BudgetExceeded`, and leaves no fuel, so that every later loop pass,
        call or microstep of the macrostep raises too."""
        now = time.monotonic()
        deadline = self._deadline
        if not deadline:
            self._deadline = now + self._budget.seconds
        elif now > deadline:
            self._fuel = 0
            raise BudgetExceeded(
                f"the macrostep ran longer than its budget of {self._budget.seconds:g} s"
            )
        self._fuel = CHECK_EVERY

    def _out_of_time(self) -> bool:
        """Between microsteps, out of fuel: True, with the session terminated,
        if the macrostep is past its deadline."""
        try:
            self._refuel()
        except BudgetExceeded as error:
            self._terminate(str(error))
            return True
        return False

    def _terminate(self, reason: str) -> None:
        """End a session that exceeded its budget: no onexit handlers run (the
        document already ran too long); timers and children are cancelled, the
        observer hears an `error.execution` and `on_finished`, the `scxmlc`
        logger a warning, and an invoking parent an `error.execution` whose
        `invokeid` names the child."""
        error = BudgetExceeded(f"session terminated: {reason}")
        data = AttrDict(message=str(error), type=type(error).__name__)
        event = Event("error.execution", data, PLATFORM)
        logger.warning("%s: %s", self._chart.name, error)
        if self._observer is not None:
            self._observer.on_error(self, event, error)
        self._stop()
        parent = self._parent
        if parent is not None and self._invokeid is not None:
            notice = Event("error.execution", AttrDict(data), invokeid=self._invokeid)
            parent._deliver(notice)

    def _exit_interpreter(self) -> None:
        """Leave every active state, cancel timers and children, notify the parent.

        The configuration keeps the states the session ended in, so a finished
        session still tells which final state it reached.
        """
        chart = self._tables
        final_config = self._config
        for state in sorted(bits(final_config & ~1), reverse=True):
            spec = chart.states[state]
            for handler in spec.onexit:
                try:
                    handler(self)
                except Exception as error:  # noqa: BLE001
                    self._fail(error)
            if spec.invokes:
                invoke.cancel_state_invocations(self, state)
        self._config = final_config & ~1
        self._stop()
        parent = self._parent
        if parent is not None and self._invokeid is not None:
            parent._deliver(
                Event(
                    "done.invoke." + self._invokeid,
                    self._donedata,
                    invokeid=self._invokeid,
                )
            )

    def _stop(self) -> None:
        """Stop for good: no more events, timers or children."""
        self._running = False
        self._idle = False
        self._internal = None
        self._external = None
        if self._timers:
            for timer in self._timers.values():
                timer.cancel()
            self._timers = None
        if self._invocations:
            for invocation in list(self._invocations.values()):
                invoke.cancel_invocation(self, invocation)
        if self._sid is not None:
            SESSIONS.pop(self._sid)
        if self._observer is not None:
            self._observer.on_finished(self)

    def cancel(self) -> None:
        """End the session without running onexit handlers (an invoke was cancelled)."""
        if self._running:
            self._stop()
        self._started = True

    # -- queues -------------------------------------------------------------

    def _queue_internal(self, event: Event) -> None:
        """Append `event` to the internal queue; a `<raise>`d one only while the
        queue holds fewer events than the budget allows, else `BudgetExceeded`."""
        queue = self._internal
        if queue is None:
            queue = self._internal = deque()
        elif len(queue) >= self._budget.queue and event.type != PLATFORM:
            raise BudgetExceeded(
                f"the internal queue already holds {len(queue):,} events"
            )
        queue.append(event)

    def _enqueue_external(self, event: Event) -> None:
        queue = self._external
        if queue is None:
            queue = self._external = deque()
        queue.append(event)

    def _deliver(self, event: Event) -> None:
        """Put `event` on the external queue; process it soon if the session is idle.

        While the session runs a macrostep, the event comes from its own
        executable content: past the budget's `queue` events waiting, that
        `<send>` raises `BudgetExceeded` (error.execution) instead."""
        if self._started and not self._running:
            return
        if self._idle:
            self._enqueue_external(event)
            self._schedule_wake()
            return
        queue = self._external
        if self._running and queue and len(queue) >= self._budget.queue:
            raise BudgetExceeded(
                f"the external queue already holds {len(queue):,} events"
            )
        self._enqueue_external(event)

    def _schedule_wake(self) -> None:
        """Have the clock run `_wake` soon (once, however often this is called)."""
        if not self._scheduled:
            self._scheduled = True
            self.clock.call_later(0.0, self._wake)

    def _wake(self) -> None:
        """Process what is waiting in the queues, if the session is idle."""
        self._scheduled = False
        if not self._idle:
            return
        self._idle = False
        self._deadline = 0.0
        try:
            if self._internal:
                recorder = self._recorder
                if recorder is not None:
                    recorder.begin(self, None)
                    self._macrostep()
                    recorder.end(self)
                else:
                    self._macrostep()
            self._drain_external()
        finally:
            self._idle = self._running
        if self._observer is not None:
            self._observer.on_stable(self)

    def _run_clock(self) -> None:
        clock = self._clock
        if clock is not None and clock.has_ready:
            clock.run_ready()

    # -- errors -------------------------------------------------------------

    def _fail(self, error: BaseException, sendid: str | None = None) -> None:
        """Turn an exception from executable content into an error event."""
        name = error.event if isinstance(error, ScxmlError) else "error.execution"
        if sendid is None and isinstance(error, ScxmlError):
            sendid = error.sendid
        data = AttrDict(
            message=str(error) or type(error).__name__, type=type(error).__name__
        )
        location = source_location(error)
        if location is not None:
            data["location"] = location
        event = Event(name, data, PLATFORM, sendid=sendid)
        logger.debug("%s: %s: %s", self._chart.name, name, data["message"])
        self._queue_internal(event)
        if self._observer is not None:
            self._observer.on_error(self, event, error)

    def _data_failed(self, name: str, error: BaseException, empty: Any = None) -> None:
        """A `<data>` value failed: the variable exists, `empty`, and error.execution."""
        self._set_data(name, empty)
        self._fail(error)

    def _set_data(self, name: str, value: Any) -> None:
        """Store `value` into `<data>` variable `name`: a field of the datamodel
        object, or an item where the datamodel is a mapping (ECMAScript's
        `_data`). A machine without a datamodel object ignores it."""
        dm = getattr(self, "dm", None)
        if isinstance(dm, dict):
            dm[name] = value
        elif dm is not None:
            setattr(dm, name, value)

    def _xml(self, source: str) -> Any:
        """XML content as a value: an ElementTree element (a list of them if several)."""
        import xml.etree.ElementTree as ElementTree

        if source.startswith("<?xml"):
            source = source[source.index("?>") + 2 :]
        wrapper = ElementTree.fromstring(f"<content>{source}</content>")
        children = list(wrapper)
        return children[0] if len(children) == 1 else children

    def _invalid(self, message: str) -> NoReturn:
        """Generated code calls this where the document holds an invalid expression."""
        raise ExecutionError(message)

    # -- executable content -------------------------------------------------

    def _raise(self, name: str, data: Any = None) -> None:
        """`<raise>`: an internal event."""
        self._queue_internal(Event(name, data, INTERNAL))

    def _log(self, label: str | None, value: Any = None) -> None:
        """`<log>`: to the observer, or to the `scxmlc.log` logger."""
        if self._observer is not None:
            self._observer.on_log(self, label, value)
        else:
            logging.getLogger("scxmlc.log").info("%s: %s", label or "", value)

    def _send(
        self,
        event: str | None,
        *,
        target: str | None = None,
        type: str | None = None,
        delay: float | str | None = None,
        id: str | None = None,
        data: Any = None,
    ) -> str:
        """`<send>`: dispatch through the event I/O processor named by `type`."""
        return io.send(
            self, event, target=target, type=type, delay=delay, sendid=id, data=data
        )

    def _cancel(self, sendid: Any) -> bool:
        """`<cancel>`: drop a delayed event of this session that has not fired.

        True if one was pending under `sendid`."""
        delayed = io.take(self, str(sendid)) if self._timers else None
        if delayed is None:
            return False
        delayed.cancel()
        return True

    def _cancel_answered(self, sendid: Any) -> None:
        """ORS `<cancel>`: `_cancel`, answered on the internal queue with
        `cancel.successful` (a delayed event was dropped) or `error.notallowed`
        (nothing was pending under `sendid`); both carry `sendid` in their data."""
        key = str(sendid)
        if self._cancel(key):
            data = AttrDict(sendid=key)
            self._queue_internal(Event("cancel.successful", data, PLATFORM))
            return
        data = AttrDict(
            sendid=key,
            error="notallowed",
            description=f"no delayed event with send id {key!r} to cancel",
        )
        self._queue_internal(Event("error.notallowed", data, PLATFORM, sendid=key))

    def _new_sendid(self) -> str:
        return "send." + uuid.uuid4().hex[:12]

    def _iterate(self, collection: Any) -> Iterable[Any]:
        """`<foreach array>`: a shallow copy of a legal collection, else error.execution."""
        if isinstance(collection, (str, bytes)) or not hasattr(collection, "__iter__"):
            raise ExecutionError(
                f"foreach: {type(collection).__name__} is not a collection"
            )
        if isinstance(collection, dict):
            return list(collection.values())
        return list(collection)

    def __repr__(self) -> str:
        state = "finished" if self.finished else "running" if self._started else "new"
        return f"<{type(self).__name__} {state} {sorted(self.configuration)}>"


class SessionTable:
    """Sessions by session id, held weakly: a session that nothing else holds
    leaves the table once the garbage collector has run.

    The table holds each session's `Anchor` (see runtime/interpreted.py), so
    it works the same for compiled sessions, which take no weak references.
    """

    __slots__ = ("_anchors",)

    def __init__(self) -> None:
        self._anchors: weakref.WeakValueDictionary[str, Anchor] = (
            weakref.WeakValueDictionary()
        )

    def get(self, sessionid: str) -> Machine | None:
        """The session `sessionid`, or None if the table holds none by that id."""
        anchor = self._anchors.get(sessionid)
        return None if anchor is None else anchor.machine

    def __getitem__(self, sessionid: str) -> Machine:
        return self._anchors[sessionid].machine

    def __setitem__(self, sessionid: str, machine: Machine) -> None:
        self._anchors[sessionid] = machine._anchored()

    def __delitem__(self, sessionid: str) -> None:
        del self._anchors[sessionid]

    def pop(self, sessionid: str) -> Machine | None:
        """Forget session `sessionid`; the session it held, if any."""
        anchor = self._anchors.pop(sessionid, None)
        return None if anchor is None else anchor.machine

    def __contains__(self, sessionid: object) -> bool:
        return sessionid in self._anchors

    def __len__(self) -> int:
        return len(self._anchors)


SESSIONS: Final = SessionTable()
"""Live sessions by session id, for `#_scxml_<sessionid>` targets."""
