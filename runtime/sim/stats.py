"""The statistics engine: what `_genesys.statistic.sData` and thresholds read.

Values are computed from the live state of the simulation when asked, for the
objects of the target format (§4.1): agents (`A`), places (`AP`), agent and
place groups (`GA`, `GP`, and skill targets), virtual queues (`Q`) and routing
points (`RP`). Statistics a scenario fixes (`statistics:`) override computed
ones. Subscriptions (`<statistic:subscribe>`) deliver `statistic.update` every
`interval` seconds while their session runs, and at once whenever the value
changes when `interval` is 0.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ..events import AttrDict
from ..ors.platform import OrsSession
from ..ors.requests import Request
from .model import Agent
from .targets import Condition, Target, TargetError

if TYPE_CHECKING:
    from .center import ContactCenter

__all__ = ["Statistics"]

_WORKING: Final = frozenset({"ready", "reserved", "busy", "acw", "not_ready"})


@dataclass
class _Subscription:
    session: OrsSession
    target: str
    statistic: str
    interval: float
    last: float | None = None


class Statistics:
    """Statistic values of the simulation, and subscriptions to them."""

    def __init__(self, center: ContactCenter) -> None:
        self.center = center
        self.entered: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.completed: Counter[str] = Counter()
        self.abandoned: Counter[str] = Counter()
        self.subscriptions: list[_Subscription] = []

    # -- values ---------------------------------------------------------------

    def value(self, target: str, statistic: str) -> float:
        """The value of `statistic` for `target`; `LookupError` when unknown."""
        name, kind = _split(target)
        fixed = self._fixed(name, kind, statistic)
        if fixed is not None:
            return fixed
        agents = self.agents_of(name, kind)
        if agents is not None:
            return self._agent_statistic(agents, statistic, name, kind)
        if kind in ("Q", "RP", "DN", ""):
            return self._queue_statistic(name, statistic)
        raise LookupError(f"unknown object {target!r}")

    def condition(self, condition: Condition, target: Target) -> bool:
        """A threshold evaluated for `target` (unknown statistics compare false)."""

        def lookup(statistic: str) -> float | None:
            try:
                return self.target_value(target, statistic)
            except LookupError:
                return None

        try:
            return condition.evaluate(lookup)
        except TargetError:
            return False

    def target_value(self, target: Target, statistic: str) -> float:
        """`statistic` of a submitted target: for agent targets over the agents it
        stands for (skill targets included), else of the named object."""
        fixed = self._fixed(target.name, target.kind, statistic)
        if fixed is not None:
            return fixed
        agents = self.center.routing.members(target)
        if agents is None:
            return self.value(target.object_name, statistic)
        return self._agent_statistic(agents, statistic, target.name, target.kind)

    def agents_of(self, name: str, kind: str) -> list[Agent] | None:
        """The agents a target stands for, or None if it is not an agent object."""
        config = self.center.config
        if kind == "A" or (kind == "" and name in config.agents):
            agent = config.agents.get(name)
            if agent is None:
                raise LookupError(f"no agent {name!r}")
            return [agent]
        if kind == "AP":
            found = config.agent_at_place(name)
            return [found] if found is not None else []
        if kind == "GA" or (kind == "" and config.group_members(name)):
            return config.group_members(name)
        if kind == "GP":
            return [a for a in config.agents.values() if name in a.place_groups]
        return None

    def _fixed(self, name: str, kind: str, statistic: str) -> float | None:
        statistics = self.center.config.statistics
        for key in (f"{name}@.{kind}", name, f"{name}.{kind}"):
            values = statistics.get(key)
            if values is not None and statistic in values:
                return float(values[statistic])
        for key, values in statistics.items():
            if key.split("@")[0] == name and statistic in values:
                return float(values[statistic])
        return None

    def _agent_statistic(
        self, agents: list[Agent], statistic: str, name: str, kind: str
    ) -> float:
        now = self.center.clock.now()
        ready = [a for a in agents if a.state == "ready"]
        logged = [a for a in agents if a.state in _WORKING]
        busy = [a for a in agents if a.state in ("busy", "reserved", "acw")]
        match statistic:
            case "StatAgentsAvailable" | "StatAgentsInQueueReady":
                return float(len(ready))
            case "StatAgentsTotal" | "StatAgentsInQueueLogin":
                return float(len(logged))
            case "StatAgentsBusy":
                return float(len(busy))
            case "StatTimeInReadyState":
                return max((now - a.since for a in ready), default=0.0)
            case "StatLoadBalance" | "StatAgentLoading" | "StatAgentOccupancy":
                return len(busy) / len(logged) if logged else 1.0
            case "StatCallsAnswered" | "CallsAnswered":
                return float(sum(a.handled for a in agents))
            case "StatExpectedWaitingTime" | "ExpectedWaitTime":
                waiting = self.center.routing.waiting_for(agents)
                return self._expected_wait(waiting, len(ready), len(logged))
            case "StatCallsInQueue" | "CallsWaiting" | "StatCallsWaiting":
                return float(self.center.routing.waiting_for(agents))
        raise LookupError(f"statistic {statistic!r} is not known for {name}.{kind}")

    def _queue_statistic(self, name: str, statistic: str) -> float:
        routing = self.center.routing
        match statistic:
            case "StatCallsInQueue" | "CallsWaiting" | "StatCallsWaiting":
                return float(routing.waiting_in(name))
            case "CallsEntered" | "StatCallsEntered" | "TotalNumberInboundEnteredQueue":
                return float(self.entered[name])
            case "StatCallsAnswered" | "CallsAnswered" | "CallsDistributed":
                return float(self.answered[name])
            case "StatCallsCompleted" | "CallsCompleted":
                return float(self.completed[name])
            case "CallsAbandoned" | "StatCallsAbandoned":
                return float(self.abandoned[name])
            case "StatExpectedWaitingTime" | "ExpectedWaitTime":
                agents = routing.agents_serving(name)
                logged = sum(1 for a in agents if a.state in _WORKING)
                ready = sum(1 for a in agents if a.state == "ready")
                return self._expected_wait(routing.waiting_in(name), ready, logged)
            case "StatAgentsAvailable" | "StatAgentsTotal" | "StatAgentsBusy":
                agents = routing.agents_serving(name)
                return self._agent_statistic(agents, statistic, name, "Q")
        raise LookupError(f"statistic {statistic!r} is not known for {name}")

    def _expected_wait(self, waiting: int, ready: int, logged: int) -> float:
        """0 while a ready agent is left for the next interaction; else the
        interactions ahead that no ready agent takes, plus one, times the handle
        time, shared by the logged-in agents (a day when none is logged in)."""
        if ready > waiting:
            return 0.0
        if not logged:
            return 24 * 3600.0
        return (waiting - ready + 1) * self.center.config.handle_time / logged

    # -- subscriptions ----------------------------------------------------------------

    def subscribe(
        self,
        request: Request,
        session: OrsSession,
        target: str,
        statistic: str,
        interval: float,
    ) -> None:
        def subscribe() -> None:
            for existing in self.subscriptions:
                if (existing.session, existing.target, existing.statistic) == (
                    session,
                    target,
                    statistic,
                ):
                    request.fail(
                        "Subscription Already Active", f"{statistic} of {target}"
                    )
                    return
            try:
                self.value(target, statistic)
            except LookupError as error:
                request.fail("Request Invalid", str(error))
                return
            subscription = _Subscription(session, target, statistic, interval)
            self.subscriptions.append(subscription)
            request.done()
            self._update(subscription)
            if interval > 0:
                self._every(subscription)

        self.center.clock.call_later(0.0, subscribe)

    def unsubscribe(
        self, request: Request, session: OrsSession, target: str, statistic: str
    ) -> None:
        def unsubscribe() -> None:
            for existing in list(self.subscriptions):
                if (existing.session, existing.target, existing.statistic) == (
                    session,
                    target,
                    statistic,
                ):
                    self.subscriptions.remove(existing)
                    request.done()
                    return
            request.fail(
                "Request Invalid", f"no subscription to {statistic} of {target}"
            )

        self.center.clock.call_later(0.0, unsubscribe)

    def changed(self) -> None:
        """The simulation's state changed: on-change subscriptions may report."""
        for subscription in list(self.subscriptions):
            if subscription.interval <= 0:
                value = self._current(subscription)
                if value is not None and value != subscription.last:
                    self._update(subscription, value)

    def _every(self, subscription: _Subscription) -> None:
        def tick() -> None:
            if subscription not in self.subscriptions:
                return
            if not subscription.session.running:
                self.subscriptions.remove(subscription)
                return
            self._update(subscription)
            self._every(subscription)

        self.center.clock.call_later(subscription.interval, tick)

    def _current(self, subscription: _Subscription) -> float | None:
        try:
            return self.value(subscription.target, subscription.statistic)
        except LookupError:
            return None

    def _update(self, subscription: _Subscription, value: float | None = None) -> None:
        if value is None:
            value = self._current(subscription)
        if value is None:
            return
        subscription.last = value
        subscription.session.deliver(
            "statistic.update",
            AttrDict(
                object=subscription.target,
                statistic=subscription.statistic,
                value=value,
            ),
        )


def _split(target: str) -> tuple[str, str]:
    """`name@statserver.TYPE` -> (name, TYPE); a bare name has no type."""
    text = target.strip()
    if "@" not in text:
        if "." in text and text.rsplit(".", 1)[1] in (
            "A",
            "AP",
            "GA",
            "GP",
            "Q",
            "RP",
            "DN",
        ):
            name, kind = text.rsplit(".", 1)
            return name, kind
        return text, ""
    name, _, rest = text.rpartition("@")
    _, _, kind = rest.rpartition(".")
    return name, {"AG": "GA", "PG": "GP"}.get(kind.upper(), kind.upper())
