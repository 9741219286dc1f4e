"""Target selection: the simulator's `QueueService` (what URS does for ORS).

`<queue:submit>` becomes a `Waiting` request in its virtual queue. A request is
served as soon as one of its targets has a ready agent that matches (skill
expression, threshold) — at once, or later as agents become ready. Waiting
requests are served in priority order, then in arrival order. Among the
candidates of one request, `ordertype`/`orderstat` choose: `max` or `min` of the
statistic (for each agent), `percentage` a target at random in proportion to
the target weights (from the center's seeded generator), and `any` (the
default) the agent longest in the ready state. DN, queue and routing-point
targets are always available.

With `route` (the default) the interaction goes to the agent at once; with
`route="false"` the agent is reserved for it until `<ixn:redirect>` or the
reservation timeout. A `timeout` ends the wait with `error.queue.submit`
(`error="timeout"`), and with `clearontimeout="false"` the request keeps waiting.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..clock import Timer
from ..ors.objects import Resource
from ..ors.requests import Request
from ..ors.services import SubmitRequest, Treatment
from .model import Agent, Contact
from .ready import ReadyAgents
from .targets import Target, TargetError, parse_targets

if TYPE_CHECKING:
    from .center import ContactCenter

__all__ = ["Routing", "Waiting"]

_DIRECT_KINDS = frozenset({"Q", "DN", "RP", "DL"})


@dataclass(eq=False)
class Waiting:
    """One submitted request waiting for a target."""

    request: Request
    submit: SubmitRequest
    contact: Contact
    targets: list[Target]
    submitted: float
    sequence: int
    priority: int
    timer: Timer | None = None
    timed_out: bool = False

    @property
    def order(self) -> tuple[int, float, int]:
        return (-self.priority, self.submitted, self.sequence)


@dataclass(frozen=True)
class _Choice:
    target: Target
    agent: Agent | None


class Routing:
    """Waiting requests and the choice of targets for them."""

    def __init__(self, center: ContactCenter) -> None:
        self.center = center
        self.waiting: list[Waiting] = []
        self.reservations: dict[str, tuple[str, Timer]] = {}
        self.ready = ReadyAgents(center.config)
        self._sequence = itertools.count()

    # -- the QueueService protocol ------------------------------------------------

    def submit(self, request: Request, submit: SubmitRequest) -> None:
        center = self.center
        contact = center.contact(submit.interaction)
        try:
            targets = [t for spec in submit.targets for t in parse_targets(spec)]
        except TargetError as error:
            reason = str(error)
            center.later(lambda: request.fail("invalidparameter", reason))
            return
        if not targets:
            center.later(lambda: request.fail("invalidparameter", "no targets"))
            return
        waiting = Waiting(
            request,
            submit,
            contact,
            targets,
            center.clock.now(),
            next(self._sequence),
            submit.priority,
        )
        center.stats.entered[submit.queue] += 1
        if center.tracing:
            center.trace(
                "route",
                f"{contact.interaction.g_uid} queued in {submit.queue} for "
                + ", ".join(t.object_name for t in targets)
                + f" (priority {submit.priority})",
            )

        def start() -> None:
            request.notify("requestid")
            self.waiting.append(waiting)
            if submit.timeout is not None and submit.timeout > 0:
                waiting.timer = center.clock.call_later(
                    submit.timeout, lambda: self._timeout(waiting)
                )
            if submit.treatments:
                center.media.busy_treatments(contact, submit.treatments)
            self.dispatch()

        center.later(start)

    def cancel(
        self, request: Request, target: str | None, interaction: Any, queue: str | None
    ) -> None:
        def cancel() -> None:
            found = [
                w
                for w in self.waiting
                if (target is not None and _names(request, w, target))
                or (
                    target is None
                    and interaction is not None
                    and w.contact.interaction is interaction
                    and (queue is None or w.submit.queue == queue)
                )
            ]
            if not found:
                request.fail("invalidparameter", "no such queued request")
                return
            for waiting in found:
                self._remove(waiting)
                self.center.trace(
                    "route",
                    f"{waiting.contact.interaction.g_uid} cancelled in {waiting.submit.queue}",
                )
            request.done()

        self.center.later(cancel)

    def query(self, request: Request, target: str) -> None:
        def query() -> None:
            for waiting in self.waiting:
                if _names(request, waiting, target):
                    ahead = [
                        w
                        for w in self.waiting
                        if w.submit.queue == waiting.submit.queue
                        and w.order < waiting.order
                    ]
                    request.done(
                        priority=waiting.priority,
                        positioninqueue=len(ahead) + 1,
                        invqwaittime=self.center.clock.now() - waiting.submitted,
                    )
                    return
            request.fail("invalidparameter", f"no queued request {target}")

        self.center.later(query)

    def update(
        self,
        request: Request,
        target: str,
        priority: int | None,
        treatments: tuple[Treatment, ...],
    ) -> None:
        def update() -> None:
            for waiting in self.waiting:
                if _names(request, waiting, target):
                    if priority is not None:
                        waiting.priority = priority
                    if treatments:
                        self.center.media.busy_treatments(waiting.contact, treatments)
                    request.done()
                    self.dispatch()
                    return
            request.fail("invalidparameter", f"no queued request {target}")

        self.center.later(update)

    # -- serving ------------------------------------------------------------------

    def dispatch(self) -> None:
        """Serve waiting requests, best first, while targets are available."""
        for waiting in sorted(self.waiting, key=lambda w: w.order):
            if waiting not in self.waiting:
                continue
            choice = self._choose(waiting)
            if choice is not None:
                self._serve(waiting, choice)

    def _choose(self, waiting: Waiting) -> _Choice | None:
        submit = waiting.submit
        if submit.ordertype == "percentage" or (
            submit.ordertype in ("max", "min") and submit.orderstat not in ("", "none")
        ):
            return self._choose_among(waiting)
        # The default order, in one pass and without a candidate list: what
        # `_best` picks, the first agent longest in the ready state, else the
        # first DN, queue or routing point target. Group and skill targets ask
        # the ready-agent index rather than looking at every agent.
        stats = self.center.stats
        now = self.center.clock.now()
        best: Agent | None = None
        best_target = direct = None
        longest = 0.0
        for target in waiting.targets:
            if target.threshold is not None and not stats.condition(
                target.threshold, target
            ):
                continue
            if target.kind in _DIRECT_KINDS:
                if direct is None:
                    direct = target
                continue
            if target.kind == "GA" and (target.name or target.skill is not None):
                found = self.ready.longest(_member_test(target), now)
                if found is not None and (best is None or found[1] > longest):
                    best, best_target, longest = found[0], target, found[1]
                continue
            for agent in self._available(target):
                ready = now - agent.since
                if best is None or ready > longest:
                    best, best_target, longest = agent, target, ready
        if best_target is not None:
            return _Choice(best_target, best)
        return None if direct is None else _Choice(direct, None)

    def _choose_among(self, waiting: Waiting) -> _Choice | None:
        """Every candidate (target, ready agent) of `waiting`, then `_best`."""
        stats = self.center.stats
        candidates: list[tuple[int, _Choice]] = []
        for index, target in enumerate(waiting.targets):
            if target.threshold is not None and not stats.condition(
                target.threshold, target
            ):
                continue
            if target.kind in _DIRECT_KINDS:
                candidates.append((index, _Choice(target, None)))
                continue
            for agent in self._available(target):
                candidates.append((index, _Choice(target, agent)))
        if not candidates:
            return None
        return self._best(waiting, candidates)

    def members(self, target: Target) -> list[Agent] | None:
        """The agents `target` stands for, whatever their state (its skill
        expression applied); None when it is not an agent target."""
        try:
            agents = self.center.stats.agents_of(target.name, target.kind)
        except LookupError:
            return []
        if target.kind == "GA" and not target.name and target.skill is not None:
            agents = list(self.center.config.agents.values())
        if agents is None:
            return None
        skill = target.skill
        if skill is None:
            return agents
        return [a for a in agents if skill.evaluate(a.skills.get)]

    def _available(self, target: Target) -> list[Agent]:
        return [a for a in self.members(target) or [] if a.state == "ready"]

    def _best(
        self, waiting: Waiting, candidates: list[tuple[int, _Choice]]
    ) -> _Choice | None:
        submit = waiting.submit
        now = self.center.clock.now()
        if submit.ordertype == "percentage":
            return self._weighted(waiting, candidates)
        if submit.ordertype in ("max", "min") and submit.orderstat not in ("", "none"):
            sign = 1.0 if submit.ordertype == "max" else -1.0

            def score(item: tuple[int, _Choice]) -> float:
                agent = item[1].agent
                if agent is None:
                    return float("-inf")
                try:
                    return sign * self.center.stats.value(
                        f"{agent.id}@.A", submit.orderstat
                    )
                except LookupError:
                    return float("-inf")

            return max(candidates, key=score)[1]
        agents = [c for _, c in candidates if c.agent is not None]
        if agents:
            return max(agents, key=lambda c: now - c.agent.since if c.agent else 0.0)
        return candidates[0][1]

    def _weighted(
        self, waiting: Waiting, candidates: list[tuple[int, _Choice]]
    ) -> _Choice | None:
        """`ordertype="percentage"`: one of the targets that have a candidate,
        drawn at random in proportion to their weights (targets of weight 0 are
        never drawn; None if every one weighs 0), then that target's agent longest
        in the ready state."""
        indexes = sorted({index for index, _ in candidates})
        weights = [waiting.targets[index].weight for index in indexes]
        if not any(weight > 0 for weight in weights):
            return None
        drawn = self.center.random.choices(indexes, weights)[0]
        now = self.center.clock.now()
        in_target = [choice for index, choice in candidates if index == drawn]
        return max(
            in_target,
            key=lambda c: now - c.agent.since if c.agent is not None else 0.0,
        )

    def _serve(self, waiting: Waiting, choice: _Choice) -> None:
        center = self.center
        self._remove(waiting)
        contact = waiting.contact
        submit = waiting.submit
        center.stats.answered[submit.queue] += 1
        data = self._selected(choice, submit.queue)
        resource = data["resource"]
        if center.tracing:
            center.trace(
                "route",
                f"{contact.interaction.g_uid} -> {resource.describe()} from {submit.queue} "
                f"after {center.clock.now() - contact.arrived:.0f}s"
                + ("" if submit.route else " (reserved; the application redirects)"),
            )
        if choice.agent is not None:
            if submit.route:
                center.deliver_to_agent(contact, choice.agent)
            else:
                self._reserve(choice.agent, contact)
        elif submit.route:
            center.deliver_to_dn(contact, resource)
        waiting.request.done(interactionid=contact.interaction.g_uid, **data)

    def _selected(self, choice: _Choice, queue: str) -> dict[str, Any]:
        """`queue.submit.done` data: targetselected, ..., resource (§4.5)."""
        config = self.center.config
        target = choice.target
        agent = choice.agent
        if agent is not None:
            resource = Resource(
                type="A",
                agent=agent.id,
                place=agent.place,
                dn=agent.dn,
                switch=config.switch,
            )
            component = f"{agent.id}@{target.statserver}.A"
            selected = f"{agent.dn}@{config.switch}.DN"
        else:
            resource = Resource(type=target.kind, dn=target.name, switch=config.switch)
            component = target.object_name
            selected = f"{target.name}@{config.switch}.{target.kind}"
        return {
            "targetselected": selected,
            "vqselected": queue,
            "targetcomponentselected": component,
            "targetobjectselected": target.object_name,
            "resource": resource,
        }

    def _reserve(self, agent: Agent, contact: Contact) -> None:
        center = self.center
        center.set_agent_state(agent, "reserved")
        g_uid = contact.interaction.g_uid

        def expire() -> None:
            held = self.reservations.get(agent.id)
            if held is not None and held[0] == g_uid and agent.state == "reserved":
                del self.reservations[agent.id]
                center.trace("agent", f"{agent.id} reservation for {g_uid} expired")
                center.set_agent_state(agent, "ready")

        timer = center.clock.call_later(center.config.reservation_timeout, expire)
        self.reservations[agent.id] = (g_uid, timer)

    def claim(self, agent: Agent, g_uid: str) -> bool:
        """Whether `agent` may take interaction `g_uid` now (ready, or reserved for it)."""
        held = self.reservations.get(agent.id)
        if agent.state == "reserved" and held is not None and held[0] == g_uid:
            held[1].cancel()
            del self.reservations[agent.id]
            return True
        return agent.state == "ready"

    def _timeout(self, waiting: Waiting) -> None:
        if waiting not in self.waiting or waiting.timed_out:
            return
        waiting.timed_out = True
        contact = waiting.contact
        self.center.trace(
            "route", f"{contact.interaction.g_uid} timed out in {waiting.submit.queue}"
        )
        if waiting.submit.clearontimeout:
            self._remove(waiting)
            waiting.request.fail(
                "timeout",
                f"no target within {waiting.submit.timeout:g}s",
                interactionid=contact.interaction.g_uid,
            )
        else:
            waiting.request.report(
                "timeout",
                "still queued (clearontimeout is false)",
                interactionid=contact.interaction.g_uid,
            )

    def _remove(self, waiting: Waiting) -> None:
        if waiting in self.waiting:
            self.waiting.remove(waiting)
        if waiting.timer is not None:
            waiting.timer.cancel()
        self.center.media.stop_busy_treatments(waiting.contact)

    def interaction_gone(self, contact: Contact) -> None:
        """The interaction ended while it waited: its requests fail."""
        for waiting in [w for w in self.waiting if w.contact is contact]:
            self._remove(waiting)
            self.center.stats.abandoned[waiting.submit.queue] += 1
            waiting.request.fail(
                "interactiondeleted",
                "the interaction ended while it waited",
                interactionid=contact.interaction.g_uid,
            )

    # -- what statistics read ---------------------------------------------------

    def waiting_in(self, queue: str) -> int:
        return sum(1 for w in self.waiting if w.submit.queue == queue)

    def waiting_for(self, agents: list[Agent]) -> int:
        """Requests waiting with a target that stands for one of `agents` (by
        name and kind: skill expressions are not applied)."""
        ids = {a.id for a in agents}
        members: dict[tuple[str, str], set[str]] = {}
        count = 0
        for waiting in self.waiting:
            for target in waiting.targets:
                key = (target.name, target.kind)
                found = members.get(key)
                if found is None:
                    found = members[key] = self._member_ids(*key)
                if not ids.isdisjoint(found):
                    count += 1
                    break
        return count

    def _member_ids(self, name: str, kind: str) -> set[str]:
        try:
            return {a.id for a in self.center.stats.agents_of(name, kind) or []}
        except LookupError:
            return set()

    def agents_serving(self, queue: str) -> list[Agent]:
        """Agents in the targets of the requests waiting in (or last seen for) `queue`."""
        found: dict[str, Agent] = {}
        seen: set[tuple[str, str]] = set()
        for waiting in self.waiting:
            if waiting.submit.queue != queue:
                continue
            for target in waiting.targets:
                key = (target.name, target.kind)
                if key in seen:
                    continue
                seen.add(key)
                try:
                    agents = self.center.stats.agents_of(*key) or []
                except LookupError:
                    continue
                for agent in agents:
                    found[agent.id] = agent
        return list(found.values())


def _names(request: Request, waiting: Waiting, target: str) -> bool:
    """Whether request id `target`, given by the session that made `request`,
    names `waiting`: a request of that session, or of a session that invoked
    it. Request ids of sessions that came from other platforms may be the
    same as ones minted here."""
    if waiting.request.requestid != target:
        return False
    made_by = waiting.request.sink.sessionid
    session: Any = request.sink
    while session is not None:
        if session.sessionid == made_by:
            return True
        session = getattr(session, "invoker", None)
    return False


def _member_test(target: Target) -> Callable[[Agent], bool]:
    """Whether an agent is one `members(target)` lists, for a group or skill target."""
    name, skill = target.name, target.skill
    if skill is None:
        return lambda agent: name in agent.groups
    if not name:
        return lambda agent: skill.evaluate(agent.skills.get)
    return lambda agent: name in agent.groups and skill.evaluate(agent.skills.get)
