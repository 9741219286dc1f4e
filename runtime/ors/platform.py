"""The platform: many ORS sessions on one clock, their interactions, one backend.

`Platform` is the session host of an orchestration server. It provisions
applications per resource (a routing point's DN, an interaction queue), starts a
session when an interaction arrives there, when `<session:start>` asks, or when
a caller does (`start_session`), and keeps the seed's interaction rules
(EXTENSIONS.md §1.4, SEED-IXN):

- a session starts with an empty `_genesys.ixn.interactions`;
- association writes `OP-Session-ID` into the interaction's attached data and
  delivers `interaction.added` then `interaction.present`;
- an interaction belongs to at most one session, a session may own many;
  moving one (`<ixn:associate>`) delivers `interaction.deleted` then
  `interaction.notcontrolled` to the old owner;
- deleting an interaction does not end its session.

`OrsSession` is the platform's side of one session: the machine, its
interactions, its `_genesys` object and the label traces use (`S1`, `S2`, ...).

A host (the session server) hears of every new session through `listeners`,
and can wait for a session's `<session:response>` to a request it delivered
(`expect_response`; the session answers through `respond`). It may cap the
sessions the platform runs at once (`max_sessions`): a start over the cap
raises `SessionLimit`, `<session:start>` gets `error.session.start`, and an
interaction arriving then starts no session (traced). `OrsSession.last_event`
tells when a session last took an event, for a host that ends idle sessions.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..budget import Budget
from ..clock import Clock
from ..events import AttrDict, Event, EXTERNAL
from ..machine import SESSIONS, Machine, Observer
from ..steps import MacroStep
from .machine import OrsMachine
from .handover import interaction_from, resume_request
from .objects import SESSION_ID_KEY, Interaction, Interactions
from .plain import plain
from .requests import Request, RequestIds, request_number
from .services import Backend
from .trace import Trace, datamodel_data, step_data

if TYPE_CHECKING:
    from .genesys import Genesys

__all__ = ["OrsSession", "Platform", "ORIGIN_TYPE", "SessionLimit"]

ORIGIN_TYPE = "http://www.genesyslab.com/modules"
"""`_event.origintype` of events the platform delivers."""


class SessionLimit(RuntimeError):
    """A session start refused: the platform runs `max_sessions` already."""


ApplicationResolver = Callable[[str, str], type[Machine]]
"""(uri, base) -> compiled class: how `<session:start src>` finds a document."""

SessionListener = Callable[["OrsSession"], None]
"""Told of each new session before it starts."""


class _Waiting:
    """A request delivered to a session that waits for its `<session:response>`."""

    __slots__ = ("session", "reply", "ended")

    def __init__(
        self,
        session: OrsSession,
        reply: Callable[[Any], None],
        ended: Callable[[], None],
    ) -> None:
        self.session = session
        self.reply = reply
        self.ended = ended


class OrsSession:
    """One session on the platform: the machine and what ORS keeps beside it."""

    __slots__ = (
        "platform",
        "machine",
        "label",
        "interactions",
        "firstixnid",
        "genesys",
        "started",
        "ended",
        "traced_config",
        "invoker",
        "last_event",
        "requests",
        "__weakref__",
    )

    def __init__(self, platform: Platform, machine: Machine, label: str) -> None:
        from .genesys import Genesys  # genesys imports this module

        self.platform = platform
        self.machine = machine
        self.label = label
        self.interactions = Interactions()
        self.firstixnid: str | None = None
        self.genesys: Genesys = Genesys(self)
        self.started = platform.clock.now()
        self.ended: float | None = None
        self.traced_config = -1
        self.invoker: OrsSession | None = None
        """The session whose `<invoke>` started this one, if any."""
        self.last_event = self.started
        """When the session last took an event (platform clock), or was created."""
        self.requests: dict[str, Request] = {}
        """The requests the session made that have not completed, by id."""

    @property
    def sessionid(self) -> str:
        return self.machine._sessionid

    @property
    def running(self) -> bool:
        return not self.machine.finished

    def deliver(
        self, name: str, data: dict[str, Any], origintype: str = ORIGIN_TYPE
    ) -> None:
        """Queue external event `name` for this session (dropped once it ended);
        `origintype` says who sends it, the platform by default."""
        event = Event(name, data, EXTERNAL, origintype=origintype)
        self.machine._deliver(event)

    def __repr__(self) -> str:
        return f"<OrsSession {self.label} {type(self.machine).__name__}>"


class Platform:
    """Sessions, provisioning and interaction ownership over one `Backend`.

    `backend` performs the actions; `clock` runs every session and the backend
    (a `VirtualClock` for simulations, an `AsyncioClock` for a server);
    `resolver` compiles documents that `<session:start src>` names; `trace`
    records what happens (pass `keep=False` traces for load runs).

    With `count_events`, `events_taken` counts the events the sessions take
    (external and internal, as the trace's `event` entries would list them) and
    `error_events` the error events their executable content raises; without
    it both stay 0 and cost nothing.
    """

    def __init__(
        self,
        backend: Backend,
        clock: Clock,
        *,
        resolver: ApplicationResolver | None = None,
        trace: Trace | None = None,
        server_name: str = "ORS_Server",
        cluster: str = "ORS_Cluster",
        count_events: bool = False,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.resolver = resolver
        self.trace = trace if trace is not None else Trace(clock.now, keep=False)
        self.server_name = server_name
        self.cluster = cluster
        self.requestids = RequestIds()
        self.applications: dict[str, type[Machine]] = {}
        self.sessions: dict[str, OrsSession] = {}
        self.finished: list[OrsSession] = []
        self.owners: dict[str, OrsSession] = {}
        self.interactions: dict[str, Interaction] = {}
        self.listeners: list[SessionListener] = []
        self.step_listeners: list[Callable[[Machine], None]] = []
        """Told when a session (or a session it invoked) ends a macrostep, and
        when a session ends: what persists sessions saves them then."""
        self._waiting: dict[str, _Waiting] = {}
        self.in_flight: dict[tuple[str, str], Request] = {}
        """Every session's requests that have not completed, by (session id,
        request id): a session restored here after it left memory finds its
        requests again."""
        self._labels = itertools.count(1)
        self.max_sessions: int | None = None
        """At most this many sessions at once (None: no limit); see `SessionLimit`."""
        self.budget: Budget | None = None
        """The budget of each macrostep of the sessions started here (and of the
        sessions they invoke); None: each class's `default_budget`."""
        self.new_sessionid: Callable[[], str] | None = None
        """Mints the id of each session `start_session` creates (a cluster's
        ids carry the node, `store.new_session_id`); None: the machine's own."""
        self.events_taken = 0
        self.error_events = 0
        self._observer = (_CountingObserver if count_events else _SessionObserver)(self)

    # -- provisioning and sessions ------------------------------------------

    def provision(self, resource: str, application: type[Machine]) -> None:
        """Run `application` for interactions arriving at `resource` (a DN or a queue)."""
        self.applications[resource] = application

    def start_session(
        self,
        application: type[Machine],
        params: dict[str, Any] | None = None,
        *,
        started_by: str = "request",
        delay: float = 0.0,
    ) -> OrsSession:
        """Create and start a session of `application`; `params` set its
        `<data _type="parameter">` variables (any data id, in practice). With a
        `delay` (seconds), the session exists at once and starts that much later;
        events sent to it meanwhile wait in its queue. `SessionLimit` when
        `max_sessions` run already."""
        limit = self.max_sessions
        if limit is not None and len(self.sessions) >= limit:
            raise SessionLimit(
                f"{len(self.sessions)} sessions run, the limit (max_sessions) is {limit}"
            )
        machine = application(
            self.clock, observer=self._observer, data=params, budget=self.budget
        )
        if self.new_sessionid is not None and machine._sid is None:
            sid = machine._sid = self.new_sessionid()
            SESSIONS[sid] = machine
        session = OrsSession(self, machine, f"S{next(self._labels)}")
        if isinstance(machine, OrsMachine):
            machine.attach(session.genesys)
        self.sessions[machine._sessionid] = session
        for listener in self.listeners:
            listener(session)

        def start() -> None:
            if machine._started:  # terminated before it was due
                return
            session.started = self.clock.now()
            if self.trace.active:
                self.trace.add(
                    "session",
                    f"started {machine._chart.name or type(machine).__name__} ({started_by})",
                    session.label,
                    sessionid=machine._sessionid,
                )
            machine.start()

        if delay > 0.0:
            self.clock.call_later(delay, start)
        else:
            start()
        return session

    def terminate(self, session: OrsSession, why: str = "terminated") -> bool:
        """End `session` at once, without running its onexit handlers; False
        when it had already ended. A session some other session invoked is
        still awaited there: its parent gets `error.execution` with its
        `invokeid`, and the message says `why`."""
        if session.ended is not None:
            return False
        machine = session.machine
        machine.cancel()
        if session.ended is None:  # not started yet: no observer call
            self._ended(session)
        parent, invokeid = machine._parent, machine._invokeid
        if parent is not None and invokeid is not None and not parent.finished:
            message = f"the invoked session {session.sessionid} was {why}"
            data = AttrDict(message=message, type="SessionTerminated")
            parent._deliver(Event("error.execution", data, invokeid=invokeid))
        return True

    def restore_session(self, application: type[Machine], data: bytes) -> OrsSession:
        """Host the session `data` holds (`Machine.snapshot()` of a session of
        `application`, and its invoked children), restored on this platform's
        clock, observer and budget.

        A session this platform still hosts (snapshotted and disposed here)
        goes on in its place: its interactions, the requests it made and
        those waiting for its `<session:response>` reach the restored one.
        A session from another platform (a restart, an adoption) owns its
        interactions again: those this platform does not know are rebuilt
        from the snapshot and handed to the backend
        (`InteractionService.take_over`); the requests it made that this
        platform does not know are issued again or failed (`handover`).
        Those that waited for its `<session:response>` on the old platform
        are gone with it."""
        machine = application.restore(
            data, self.clock, observer=self._observer, budget=self.budget
        )
        self._rehost(machine)
        session = self.sessions.get(machine._sessionid)
        if session is None:  # a session that had not joined a platform
            session = OrsSession(self, machine, f"S{next(self._labels)}")
            if isinstance(machine, OrsMachine):
                machine.attach(session.genesys)
            self.sessions[machine._sessionid] = session
        return session

    def _rehost(self, machine: Machine) -> None:
        """Attach `machine` (restored) and its children to their places."""
        state = machine._ors_restored if isinstance(machine, OrsMachine) else None
        if isinstance(machine, OrsMachine) and state is not None:
            machine._ors_restored = None
            session = self.sessions.get(machine._sessionid)
            if session is not None:
                session.machine = machine
                machine.attach(session.genesys)
            elif not machine.finished:
                session = OrsSession(self, machine, str(state["label"]))
                self.sessions[machine._sessionid] = session
                session.firstixnid = state["firstixnid"]
                if machine._parent is not None:
                    session.invoker = self.session_of(machine._parent)
                machine.attach(session.genesys)
                self._own_again(session, state.get("interactions", ()))
                self._settle_requests(session, state.get("requests", ()))
        for invocation in (machine._invocations or {}).values():
            if invocation.child is not None:
                self._rehost(invocation.child)

    def _own_again(self, session: OrsSession, records: Any) -> None:
        """A restored session owns its interactions again (`records`: what
        `OrsMachine._snapshot_extra` kept, or bare ids from older snapshots);
        those this platform does not know become the backend's."""
        taken: list[tuple[Interaction, Any]] = []
        for record in records:
            g_uid = record if isinstance(record, str) else str(record["g_uid"])
            interaction = self.interactions.get(g_uid)
            if interaction is None and not isinstance(record, str):
                interaction = interaction_from(record)
                self.interactions[g_uid] = interaction
                taken.append((interaction, record.get("backend")))
            if interaction is not None and g_uid not in self.owners:
                self.owners[g_uid] = session
                session.interactions._add(interaction)
        for interaction, carried in taken:
            if self.trace.active:
                self.trace.add(
                    "interaction", f"{interaction.g_uid} taken over", session.label
                )
            self.backend.interactions.take_over(interaction, carried or {})

    def _settle_requests(self, session: OrsSession, records: Any) -> None:
        """The requests a restored session still waits for, in the order it
        made them: those this platform still serves reach it; the others are
        issued again or failed (`handover.resume_request`)."""
        sid = session.sessionid
        for record in sorted(records, key=_request_order):
            requestid = str(record["requestid"])
            known = self.in_flight.pop((sid, requestid), None)
            if known is not None and not known.completed:
                known.sink = session
                self.track(session, known)
            else:
                resume_request(self, session, record)

    def track(self, session: OrsSession, request: Request) -> None:
        """List `request`, made by `session`, until it completes."""
        session.requests[request.requestid] = request
        self.in_flight[(session.sessionid, request.requestid)] = request
        request.pending = session.requests
        request.settled = self._settled

    def _settled(self, request: Request) -> None:
        """`request` completed: its event is on its way to its session."""
        self.in_flight.pop((request.sink.sessionid, request.requestid), None)

    def waiting_for(self, session: OrsSession) -> list[str]:
        """The ids of the requests that wait for `session`'s `<session:response>`."""
        return [
            requestid
            for requestid, waiting in self._waiting.items()
            if waiting.session is session
        ]

    def session(self, sessionid: str) -> OrsSession | None:
        return self.sessions.get(sessionid)

    def session_of(self, machine: Machine) -> OrsSession | None:
        """The running session `machine` is, if the platform hosts it."""
        return self.sessions.get(machine._sessionid)

    def adopt(self, machine: Machine) -> OrsSession:
        """Give an invoked child session its own place on the platform."""
        session = OrsSession(self, machine, f"S{next(self._labels)}")
        parent = machine._parent
        if parent is not None:
            session.invoker = self.session_of(parent)
        if isinstance(machine, OrsMachine):
            machine.attach(session.genesys)
        self.sessions[machine._sessionid] = session
        by = f" by {session.invoker.label}" if session.invoker is not None else ""
        for listener in self.listeners:
            listener(session)
        self.trace.add(
            "session", f"started {machine._chart.name} (invoked{by})", session.label
        )
        return session

    def load(self, uri: str, base: str) -> type[Machine]:
        """The compiled class of the document `uri` (relative to `base`): what
        the platform's `resolver` gives, else the runtime's document resolver."""
        if self.resolver is not None:
            return self.resolver(uri, base)
        from ..invoke import resolve_document

        return resolve_document(uri, base)

    # -- requests that wait for <session:response> ----------------------------

    def expect_response(
        self,
        session: OrsSession,
        requestid: str,
        reply: Callable[[Any], None],
        ended: Callable[[], None],
    ) -> None:
        """Wait for `session` to answer request `requestid`: `reply(value)` gets
        its `<session:response>`, `ended()` is called if it ends first."""
        self._waiting[requestid] = _Waiting(session, reply, ended)

    def forget_response(self, requestid: str) -> None:
        """Stop waiting for the answer to `requestid` (the caller gave up)."""
        self._waiting.pop(requestid, None)

    def respond(self, session: OrsSession, requestid: str, value: Any) -> bool:
        """`session` answers request `requestid` with `value`; False when no
        request of that session by that id is waiting."""
        waiting = self._waiting.get(requestid)
        if waiting is None or waiting.session is not session:
            return False
        del self._waiting[requestid]
        waiting.reply(value)
        return True

    # -- interactions -----------------------------------------------------------

    def arrive(
        self, interaction: Interaction, resource: str, **event_data: Any
    ) -> OrsSession | None:
        """An interaction arrives at `resource`: start the application provisioned
        there and give it the interaction. None when nothing is provisioned."""
        self.interactions[interaction.g_uid] = interaction
        application = self.applications.get(resource)
        if application is None:
            return None
        try:
            session = self.start_session(
                application, started_by=f"{interaction.g_uid} at {resource}"
            )
        except SessionLimit as refused:
            self.trace.add("session", f"not started for {interaction.g_uid}: {refused}")
            return None
        self.associate(interaction, session, focusdeviceid=resource, **event_data)
        return session

    def associate(
        self, interaction: Interaction, session: OrsSession, **event_data: Any
    ) -> None:
        """Make `session` own `interaction` (moving it from its owner, if any)."""
        previous = self.owners.get(interaction.g_uid)
        if previous is session:
            return
        if previous is not None:
            self._disown(interaction, previous, "association")
        self.interactions[interaction.g_uid] = interaction
        self.owners[interaction.g_uid] = session
        session.interactions._add(interaction)
        if session.firstixnid is None:
            session.firstixnid = interaction.g_uid
        interaction.udata[SESSION_ID_KEY] = session.sessionid
        data = AttrDict(interactionid=interaction.g_uid, **event_data)
        session.deliver("interaction.added", data)
        session.deliver(
            "interaction.present", AttrDict(interactionid=interaction.g_uid)
        )
        if self.trace.active:
            self.trace.add(
                "interaction", f"{interaction.g_uid} associated", session.label
            )

    def release(self, interaction: Interaction, resultof: str = "deletion") -> None:
        """The interaction is gone (ended, or detached): its owner hears of it."""
        owner = self.owners.get(interaction.g_uid)
        if owner is not None:
            self._disown(interaction, owner, resultof)
        if resultof == "deletion":
            self.interactions.pop(interaction.g_uid, None)

    def _disown(
        self, interaction: Interaction, session: OrsSession, resultof: str
    ) -> None:
        del self.owners[interaction.g_uid]
        session.interactions._remove(interaction.g_uid)
        if interaction.udata.get(SESSION_ID_KEY) == session.sessionid:
            del interaction.udata[SESSION_ID_KEY]
        session.deliver(
            "interaction.deleted",
            AttrDict(interactionid=interaction.g_uid, resultof=resultof),
        )
        if resultof != "deletion":
            session.deliver(
                "interaction.notcontrolled", AttrDict(interactionid=interaction.g_uid)
            )

    # -- session end ----------------------------------------------------------------

    def _ended(self, session: OrsSession) -> None:
        session.ended = self.clock.now()
        for listener in self.step_listeners:
            listener(session.machine)
        self.sessions.pop(session.sessionid, None)
        self.finished.append(session)
        for g_uid in list(session.interactions.ids()):
            self.owners.pop(g_uid, None)
        for requestid in session.requests:
            self.in_flight.pop((session.sessionid, requestid), None)
        for requestid, waiting in list(self._waiting.items()):
            if waiting.session is session:
                del self._waiting[requestid]
                waiting.ended()
        if self.trace.active:
            outcome = sorted(session.machine.configuration)
            self.trace.add("session", f"ended in {', '.join(outcome)}", session.label)


class _SessionObserver(Observer):
    """Tells the platform's trace what every session does."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._steps: dict[int, list[dict[str, Any]]] = {}
        """The macrosteps of each session (by `id`) since its last `state` entry."""

    def _session(self, machine: Machine) -> OrsSession:
        """The platform's session of `machine`; an invoked child joins here."""
        session = self.platform.session_of(machine)
        return session if session is not None else self.platform.adopt(machine)

    def _label(self, machine: Machine) -> str | None:
        return self._session(machine).label

    def on_event(self, machine: Machine, event: Event) -> None:
        session = self.platform.sessions.get(machine._sessionid)
        if session is not None:
            session.last_event = self.platform.clock.now()
        trace = self.platform.trace
        if trace.active:
            trace.add("event", event.name, self._label(machine), data=plain(event.data))

    def on_log(self, machine: Machine, label: str | None, value: Any) -> None:
        text = _log_text(value)
        self.platform.trace.add(
            "log", f"{label}: {text}" if label else text, self._label(machine)
        )

    def on_error(
        self, machine: Machine, event: Event, error: BaseException | None
    ) -> None:
        data = event.data if isinstance(event.data, dict) else {}
        where = f" at {data['location']}" if data.get("location") else ""
        self.platform.trace.add(
            "error",
            f"{event.name}: {data.get('message', '')}{where}",
            self._label(machine),
        )

    @property
    def takes_steps(self) -> bool:
        return self.platform.trace.active

    def on_macrostep(self, machine: Machine, step: MacroStep) -> None:
        """Keep the step for the session's next `state` entry (`on_stable`)."""
        if self.platform.trace.active and step.steps:
            self._steps.setdefault(id(machine), []).append(step_data(step))

    def on_stable(self, machine: Machine) -> None:
        for listener in self.platform.step_listeners:
            listener(machine)
        trace = self.platform.trace
        if not trace.active or not machine._running:
            return
        session = self._session(machine)  # an invoked child joins when it starts
        if machine._config != session.traced_config:
            session.traced_config = machine._config
            steps = self._steps.pop(id(machine), [])
            states = machine._chart.active_atomic_ids(machine._config)
            data: dict[str, Any] = {"macrosteps": steps} if steps else {}
            if trace.datamodels:
                data["datamodel"] = datamodel_data(machine)
            trace.add("state", ", ".join(states), session.label, **data)

    def on_finished(self, machine: Machine) -> None:
        self._steps.pop(id(machine), None)
        session = self.platform.session_of(machine)
        if session is not None:
            self.platform._ended(session)


def _request_order(record: Any) -> tuple[int, str]:
    """Requests in the order their session made them (`queue-9` before
    `queue-10`)."""
    requestid = str(record["requestid"])
    return (request_number(requestid) or 0, requestid)


def _log_text(value: Any) -> str:
    """A logged value for the trace: strings as they are, objects and arrays as
    JSON, other values as JavaScript prints them (`1`, not `1.0`)."""
    if isinstance(value, str):
        return value
    import json

    from .. import js

    if isinstance(value, (dict, list, tuple)):
        return json.dumps(plain(value))
    return js.to_string(value)


class _CountingObserver(_SessionObserver):
    """A `_SessionObserver` that also counts events and error events."""

    def on_event(self, machine: Machine, event: Event) -> None:
        self.platform.events_taken += 1
        super().on_event(machine, event)

    def on_error(
        self, machine: Machine, event: Event, error: BaseException | None
    ) -> None:
        self.platform.error_events += 1
        super().on_error(machine, event, error)
