"""`ContactCenter`: the simulated contact center, the platform's default backend.

It implements every service Protocol of `scxmlc.runtime.ors.services` over the
configuration of `model`, with target selection in `routing`, statistics in
`stats`, and treatments and classification in `media`. The scenario's
timeline calls the arrival and agent methods here (`arrive`, `set_agent_state`,
`hang_up`, `consult`); everything else is driven by what the sessions ask.
Everything runs on the platform's clock, and random choices (weighted routing)
draw from one generator seeded by the scenario's `seed`, so a run on a
`VirtualClock` is deterministic.

Interactions: a call routed to an agent stays in its session until the
conversation ends (`talk` seconds), then the session gets `interaction.deleted`
(`resultof="deletion"`); the agent does `wrap` seconds of after-call work. A
customer whose `patience` runs out before routing hangs up (abandoned).
"""

from __future__ import annotations

import copy
import itertools
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..clock import Clock, wall_time
from ..ors.objects import Interaction, Party, Resource
from ..ors.platform import OrsSession, Platform
from ..ors.requests import Request
from ..ors.services import CallRequest, FetchRequest, MessageRequest, RedirectRequest
from .fetch import ScriptedWeb
from .media import Media
from .model import Agent, Config, Contact, Dn, ScriptedDialog
from .routing import Routing
from .stats import Statistics

if TYPE_CHECKING:
    from .scenario import Step

__all__ = ["ContactCenter"]


class ContactCenter:
    """Agents, DNs, queues, statistics and treatments, on one clock.

    Create it with its `Config` and clock, then hand it to a `Platform` (which
    calls `attach`). `contacts` records every interaction and what became of it;
    `outbox` every message the applications created.
    """

    def __init__(self, config: Config, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.platform: Platform | None = None
        self.contacts: dict[str, Contact] = {}
        self.outbox: list[dict[str, Any]] = []
        self.documents: dict[str, dict[str, dict[str, Any]]] = {}
        self.random = random.Random(config.seed)
        """Every random choice of the center, so a run is repeatable."""
        self.routing = Routing(self)
        self.stats = Statistics(self)
        self.media = Media(self)
        self.web = ScriptedWeb(self)
        self._ids = itertools.count(1)
        # the agents each interaction was delivered to, freed when it ends
        self._handlers: dict[str, list[Agent]] = {}
        # the Backend protocol: one service per module
        self.queue = self.routing
        self.dialog = self.media
        self.classification = self.media
        self.statistic = self.stats
        self.interactions = self
        self.session = self
        self.elastic = self

    def attach(self, platform: Platform) -> None:
        self.platform = platform

    @property
    def _platform(self) -> Platform:
        if self.platform is None:
            raise RuntimeError("the contact center is not attached to a platform")
        return self.platform

    # -- helpers ------------------------------------------------------------------

    def later(self, callback: Callable[[], None], delay: float = 0.0) -> None:
        self.clock.call_later(delay, callback)

    def trace(
        self, kind: str, text: str, session: str | None = None, **data: Any
    ) -> None:
        if self.platform is not None:
            self.platform.trace.add(kind, text, session, **data)

    @property
    def tracing(self) -> bool:
        """Whether the trace is read, so that its text is worth building."""
        return self.platform is not None and self.platform.trace.active

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    def contact(self, interaction: Interaction) -> Contact:
        """The simulator's record of `interaction` (created for ones it did not see arrive)."""
        found = self.contacts.get(interaction.g_uid)
        if found is None:
            found = Contact(interaction, self.clock.now(), "")
            self.contacts[interaction.g_uid] = found
        return found

    # -- arrivals and the timeline -------------------------------------------------

    def arrive(self, contact: Contact) -> OrsSession | None:
        """An interaction arrives at `contact.resource` (a routing point or queue)."""
        interaction = contact.interaction
        self.contacts[interaction.g_uid] = contact
        self.stats.entered[contact.resource] += 1
        interaction.parties.append(
            Party(contact.resource, _device_type(self.config.dns.get(contact.resource)))
        )
        if self.tracing:
            self.trace(
                "arrival",
                f"{interaction.category} {interaction.g_uid} at {contact.resource}"
                + (f" from {interaction.ani}" if interaction.ani else ""),
            )
        if contact.patience is not None:
            self.later(lambda: self._patience_over(contact), contact.patience)
        session = self._platform.arrive(interaction, contact.resource)
        if session is None:
            self.trace(
                "arrival",
                f"no application at {contact.resource}: {interaction.g_uid} waits",
            )
        return session

    def _patience_over(self, contact: Contact) -> None:
        if contact.ended is None and contact.routed_at is None:
            self.trace(
                "arrival",
                f"{contact.interaction.g_uid} abandoned after {contact.patience:g}s",
            )
            self.end_interaction(contact, "abandoned")

    def schedule(self, timeline: list[Step]) -> None:
        """Play a scenario's timeline on this center's clock, each step at its
        `at` seconds from now."""
        for step in timeline:
            self.clock.call_later(step.at, lambda step=step: self.play(step))  # type: ignore[misc]

    def play(self, step: Step) -> None:
        """One timeline step: an arrival (a consult call too), an agent's state,
        or a hang-up."""
        if step.arrival is not None:
            arrival = step.arrival
            arrival.contact.arrived = self.clock.now()
            if arrival.consult_agent is not None and arrival.consult_parent is not None:
                agent = self.config.agents[arrival.consult_agent]
                self.consult(
                    agent,
                    arrival.consult_parent,
                    arrival.contact.resource,
                    arrival.contact,
                )
            else:
                self.arrive(arrival.contact)
        elif step.agent is not None and step.state is not None:
            self.set_agent_state(self.config.agents[step.agent], step.state)
        elif step.hangup is not None:
            self.hang_up(step.hangup)

    def hang_up(self, g_uid: str) -> None:
        """The customer ends the interaction (timeline `hangup:`)."""
        contact = self.contacts.get(g_uid)
        if contact is None or contact.ended is not None:
            return
        outcome = "completed" if contact.routed_at is not None else "abandoned"
        self.trace("arrival", f"{g_uid} hung up ({outcome})")
        self.end_interaction(contact, outcome)

    def set_agent_state(self, agent: Agent, state: str) -> None:
        """Change an agent's state; a ready agent may take waiting work at once."""
        if agent.state == state:
            return
        previous, agent.state = agent.state, state
        agent.since = self.clock.now()
        self.routing.ready.changed(agent, previous)
        if self.tracing:
            self.trace("agent", f"{agent.id} {state.replace('_', ' ')}")
        self.stats.changed()
        if state == "ready":
            self.later(self.routing.dispatch)

    def consult(
        self, agent: Agent, parent_id: str, resource: str, contact: Contact
    ) -> None:
        """An agent on call `parent_id` makes a consult call to `resource`."""
        parent = self.contacts.get(parent_id)
        interaction = contact.interaction
        interaction.parentid = parent_id
        if interaction.voice is not None:
            interaction.voice.type = "consult"
            if parent is not None and parent.interaction.voice is not None:
                interaction.voice.ani = agent.dn
        self.trace("arrival", f"{agent.id} consults {resource} about {parent_id}")
        self.arrive(contact)

    # -- delivery -------------------------------------------------------------------

    def deliver_to_agent(self, contact: Contact, agent: Agent) -> None:
        """The interaction reaches `agent`, who handles it for `talk` seconds."""
        interaction = contact.interaction
        contact.routed_to = agent.id
        contact.agent = agent.id
        contact.routed_at = self.clock.now()
        contact.outcome = "routed"
        interaction.state = "routed"
        interaction.parties.append(Party(agent.dn, "agent"))
        agent.current = interaction.g_uid
        self._handlers.setdefault(interaction.g_uid, []).append(agent)
        agent.handled += 1
        self.media.interaction_routed(contact, f"agent {agent.id}")
        self.set_agent_state(agent, "busy")
        self.stats.answered[agent.id] += 1
        self.later(lambda: self._talk_over(contact, agent), contact.talk)

    def deliver_to_dn(self, contact: Contact, resource: Resource) -> None:
        """The interaction leaves for a DN, queue or routing point."""
        number = str(resource.get("dn") or resource.get("id") or "")
        dn = self.config.dns.get(number)
        self.media.interaction_routed(contact, f"DN {number}")
        if (
            dn is not None
            and dn.type == "RoutingPoint"
            and number in self._platform.applications
        ):
            self.trace(
                "route", f"{contact.interaction.g_uid} -> routing point {number}"
            )
            self._platform.release(contact.interaction, "redirect")
            contact.resource = number
            self.later(lambda: self._arrive_again(contact, number))
            return
        contact.routed_to = f"DN {number}"
        contact.routed_at = self.clock.now()
        contact.outcome = "routed"
        contact.interaction.state = "routed"
        contact.interaction.parties.append(Party(number, _device_type(dn)))
        self.later(lambda: self.end_interaction(contact, "completed"), contact.talk)

    def _arrive_again(self, contact: Contact, number: str) -> None:
        self._platform.arrive(contact.interaction, number)

    def _talk_over(self, contact: Contact, agent: Agent) -> None:
        if agent.current == contact.interaction.g_uid:
            self.end_interaction(contact, "completed")

    def end_interaction(self, contact: Contact, outcome: str) -> None:
        """The interaction is over: agents free, requests fail, its session hears."""
        if contact.ended is not None:
            return
        contact.ended = self.clock.now()
        if self.tracing:
            self.trace("interaction", f"{contact.interaction.g_uid} ended ({outcome})")
        if contact.outcome in ("waiting", "routed", "treated"):
            contact.outcome = outcome if contact.outcome != "routed" else "completed"
        if outcome == "abandoned":
            contact.outcome = "abandoned"
            self.stats.abandoned[contact.resource] += 1
        self.routing.interaction_gone(contact)
        self.media.interaction_gone(contact)
        g_uid = contact.interaction.g_uid
        handlers = self._handlers.pop(g_uid, [])
        if len(handlers) > 1:  # handed on: free them in the configuration's order
            handlers = list(self.config.agents.values())
        for agent in handlers:
            if agent.current == g_uid:
                agent.current = None
                self._wrap_up(agent)
        self.stats.completed[contact.resource] += 1
        self._platform.release(contact.interaction, "deletion")
        self.stats.changed()

    def _wrap_up(self, agent: Agent) -> None:
        if agent.wrap > 0:
            self.set_agent_state(agent, "acw")
            self.later(lambda: self._wrapped(agent), agent.wrap)
        else:
            self.set_agent_state(agent, "ready")

    def _wrapped(self, agent: Agent) -> None:
        if agent.state == "acw":
            self.set_agent_state(agent, "ready")

    # -- InteractionService ----------------------------------------------------------

    def redirect(self, request: Request, redirect: RedirectRequest) -> None:
        def redirect_now() -> None:
            contact = self.contact(redirect.interaction)
            if contact.ended is not None:
                request.fail("invalidstate.deleted", "the interaction has ended")
                return
            agent = self._agent_for(redirect.to)
            if agent is not None:
                if not self.routing.claim(agent, contact.interaction.g_uid):
                    request.fail(
                        "invaliddestination",
                        f"agent {agent.id} is {agent.state.replace('_', ' ')}",
                    )
                    return
                request.done(interactionid=contact.interaction.g_uid)
                if self.tracing:
                    self.trace(
                        "route",
                        f"{contact.interaction.g_uid} redirected to agent {agent.id}",
                    )
                self.deliver_to_agent(contact, agent)
            elif redirect.to.get("dn") or redirect.to.get("type") in ("IQ", "Q", "RP"):
                request.done(interactionid=contact.interaction.g_uid)
                self.trace(
                    "route",
                    f"{contact.interaction.g_uid} redirected to {redirect.to.describe()}",
                )
                self.deliver_to_dn(contact, redirect.to)
            else:
                request.fail(
                    "invaliddestination", f"cannot route to {redirect.to.describe()}"
                )
                return
            if redirect.detach:
                self._platform.release(contact.interaction, "detach")

        self.later(redirect_now)

    def _agent_for(self, resource: Resource) -> Agent | None:
        config = self.config
        if resource.get("agent"):
            return config.agents.get(str(resource["agent"]))
        if resource.get("place"):
            return config.agent_at_place(str(resource["place"]))
        if resource.get("dn"):
            return config.agent_on_dn(str(resource["dn"]))
        return None

    def terminate(
        self, request: Request, interaction: Interaction, reason: str
    ) -> None:
        def terminate() -> None:
            contact = self.contact(interaction)
            if contact.ended is not None:
                request.fail("invalidstate.deleted", "the interaction has ended")
                return
            request.done(interactionid=interaction.g_uid)
            self.trace(
                "interaction",
                f"{interaction.g_uid} terminated" + (f": {reason}" if reason else ""),
            )
            if contact.outcome == "waiting":
                contact.outcome = "terminated"
            self.end_interaction(contact, "terminated")

        self.later(terminate)

    def accept(
        self, request: Request, interaction: Interaction, resource: Resource | None
    ) -> None:
        self._state_change(request, interaction, "", "accepted")

    def hold(self, request: Request, interaction: Interaction) -> None:
        self._state_change(request, interaction, "hold", "on hold")

    def retrieve(self, request: Request, interaction: Interaction) -> None:
        self._state_change(request, interaction, "", "retrieved")

    def _state_change(
        self, request: Request, interaction: Interaction, state: str, text: str
    ) -> None:
        def change() -> None:
            if self.contact(interaction).ended is not None:
                request.fail("invalidstate.deleted", "the interaction has ended")
                return
            interaction.state = state
            self.trace("interaction", f"{interaction.g_uid} {text}")
            request.done(interactionid=interaction.g_uid)

        self.later(change)

    def createcall(
        self, request: Request, session: OrsSession, call: CallRequest
    ) -> None:
        from ..ors.objects import VoiceProperties

        g_uid = self.new_id("call-out")
        interaction = Interaction(
            g_uid,
            voice=VoiceProperties(
                callid=g_uid,
                connid=g_uid,
                ani=str(call.source.get("dn", "")),
                dnis=str(call.to.get("dn", "")),
                type="outbound",
            ),
            udata=call.udata,
        )
        contact = Contact(interaction, self.clock.now(), str(call.source.get("dn", "")))

        def create() -> None:
            self.contacts[g_uid] = contact
            self.trace(
                "interaction",
                f"call {g_uid} from {call.source.describe()} to {call.to.describe()}",
            )
            request.done(interactionid=g_uid)
            self._platform.associate(interaction, session)

        self.later(create)

    def createmessage(
        self, request: Request, session: OrsSession, message: MessageRequest
    ) -> None:
        from ..ors.objects import MessageProperties

        g_uid = self.new_id("msg-out")
        srid = message.srid
        body = message.body
        subject = message.subject
        if srid and srid in self.config.responses:
            standard = self.config.responses[srid]
            body = body or standard.get("body", "")
            subject = subject or standard.get("subject", "")
        parent = message.parent
        if parent is not None and not subject:
            subject = "Re: " + str(parent.udata.get("Subject", ""))
        interaction = Interaction(
            g_uid,
            category=message.media,
            media=message.media,
            parentid=parent.g_uid if parent is not None else None,
            msgbased=MessageProperties(
                type=message.type, media=message.media, queue=message.queue
            ),
            udata={"Subject": subject, "To": ", ".join(message.to)},
        )
        record = {
            "interactionid": g_uid,
            "type": message.type,
            "to": list(message.to),
            "subject": subject,
            "body": body,
            "srid": srid,
            "parent": parent.g_uid if parent is not None else None,
            "sent": message.send,
            "session": session.label,
        }

        def create() -> None:
            self.contacts[g_uid] = Contact(
                interaction, self.clock.now(), message.queue, body=body
            )
            self._platform.interactions[g_uid] = interaction
            self.outbox.append(record)
            if parent is not None:
                self.contact(parent).messages.append(record)
            self.trace(
                "message",
                f"{message.type} {g_uid} to {', '.join(message.to)}: {subject!r}"
                + (" (sent)" if message.send else ""),
                session.label,
            )
            request.done(interactionid=g_uid, srid=srid)

        self.later(create)

    def sendmessage(self, request: Request, interaction: Interaction) -> None:
        def send() -> None:
            for record in self.outbox:
                if record["interactionid"] == interaction.g_uid:
                    record["sent"] = True
                    self.trace("message", f"{interaction.g_uid} sent")
                    request.done(interactionid=interaction.g_uid)
                    return
            request.fail(
                "Request Invalid", f"{interaction.g_uid} is not an outgoing message"
            )

        self.later(send)

    def getcontent(self, request: Request, interaction: Interaction) -> None:
        self.later(lambda: request.done(interactionid=interaction.g_uid))

    def udata_changed(self, interaction: Interaction, changed: dict[str, Any]) -> None:
        if changed:
            shown = ", ".join(f"{k}={v}" for k, v in changed.items())
            self.trace("interaction", f"{interaction.g_uid} udata {shown}")

    def carry(self, interaction: Interaction) -> dict[str, Any]:
        """The contact's record, times as the clock's wall-clock seconds (the
        host's time in a server, so another process reads them): where it waits,
        what the scenario still scripts for it, and where and when it was
        routed."""
        contact = self.contacts.get(interaction.g_uid)
        if contact is None:
            return {}
        epoch = wall_time(self.clock) - self.clock.now()
        return {
            "resource": contact.resource,
            "arrived": epoch + contact.arrived,
            "digits": list(contact.digits),
            "dialogs": [
                {"result": dialog.result, "duration": dialog.duration}
                for dialog in contact.dialogs
            ],
            "patience": contact.patience,
            "talk": contact.talk,
            "body": contact.body,
            "routed_to": contact.routed_to,
            "routed_at": (
                None if contact.routed_at is None else epoch + contact.routed_at
            ),
            "outcome": contact.outcome,
            "agent": contact.agent,
        }

    def take_over(self, interaction: Interaction, carried: dict[str, Any]) -> None:
        """A contact of the center of a platform that stopped, now this one's,
        at its resource. One that had reached an agent or a DN stays there for
        what is left of its `talk` time, then ends (`interaction.deleted`):
        the agent was one of the stopped center's, so it takes none of this
        center's agents (each center has its own agents). One that waited
        waits here: a submit its session issues again queues it for this
        center's agents, and the customer hangs up when what is left of their
        `patience` runs out."""
        now = self.clock.now()
        epoch = wall_time(self.clock) - now
        contact = Contact(
            interaction,
            float(carried.get("arrived", epoch + now)) - epoch,
            str(carried.get("resource", "")),
            digits=list(carried.get("digits", [])),
            dialogs=[
                ScriptedDialog(dict(d.get("result", {})), float(d.get("duration", 5)))
                for d in carried.get("dialogs", [])
            ],
            patience=carried.get("patience"),
            talk=float(carried.get("talk", self.config.handle_time)),
            body=str(carried.get("body", "")),
        )
        contact.routed_to = carried.get("routed_to")
        contact.agent = carried.get("agent")
        contact.outcome = str(carried.get("outcome", "waiting"))
        routed_at = carried.get("routed_at")
        if routed_at is not None:
            contact.routed_at = float(routed_at) - epoch
        self.contacts[interaction.g_uid] = contact
        if self.tracing:
            self.trace(
                "arrival",
                f"{interaction.category} {interaction.g_uid} taken over at "
                f"{contact.resource or 'no resource'} ({contact.outcome})",
            )
        if contact.routed_at is not None:
            left = contact.routed_at + contact.talk - now
            self.later(
                lambda: self.end_interaction(contact, "completed"), max(0.0, left)
            )
        elif contact.patience is not None:
            left = contact.arrived + contact.patience - now
            self.later(lambda: self._patience_over(contact), max(0.0, left))

    # -- SessionService ----------------------------------------------------------------

    def now(self) -> float:
        """Wall-clock time: the clock's own when it keeps one (a simulation's
        `VirtualClock` starts at the scenario's `start`), else `start` plus the
        clock's seconds."""
        wall_time = getattr(self.clock, "wall_time", None)
        if wall_time is not None:
            return float(wall_time())
        return self.config.start + self.clock.now()

    def list_item(self, list_name: str, item: str, key: str | None) -> Any:
        """A key of an item of a scenario list; the whole item (an object of its
        keys) when `key` is None or empty, the whole list when `item` is empty.
        Wholes are copies, so a session cannot change the scenario's lists."""
        found = self.config.lists.get(list_name)
        if found is None:
            raise LookupError(f"no list {list_name!r}")
        if not item:
            return copy.deepcopy(found)
        value = found.get(item)
        if value is None:
            raise LookupError(f"no item {item!r} in list {list_name!r}")
        if not key:
            return copy.deepcopy(value)
        if not isinstance(value, dict) or key not in value:
            raise LookupError(f"no key {key!r} in {list_name}/{item}")
        return value[key]

    def config_option(
        self, interaction: Interaction | None, key: str, lookup: int
    ) -> str:
        if interaction is not None:
            for party in interaction.parties:
                dn = self.config.dns.get(party.device)
                if dn is not None and key in dn.options:
                    return dn.options[key]
        return self.config.options.get(key, "")

    def tenant(self) -> tuple[str, str]:
        return self.config.tenant, self.config.tenantid

    def fetch(self, request: Request, fetch: FetchRequest) -> None:
        """`<session:fetch>`: answered by the scenario's rules (`ScriptedWeb`),
        or over real HTTP when the configuration allows the `network`."""
        if self.config.network:
            from ..ors.http import fetch_now

            fetch_now(request, fetch, self.clock)
            return
        self.web.fetch(request, fetch)

    # -- ElasticService --------------------------------------------------------------------

    def perform(self, request: Request, action: str, arguments: dict[str, Any]) -> None:
        index = str(arguments.get("index", ""))
        documents = self.documents.setdefault(index, {})
        doc_id = str(arguments.get("id") or self.new_id("doc"))

        def perform() -> None:
            if action == "createindextemplate":
                self.documents.setdefault("_templates", {})[
                    str(arguments.get("name"))
                ] = dict(arguments)
                request.done()
            elif action == "createdoc":
                documents[doc_id] = dict(arguments.get("body") or {})
                request.done(id=doc_id)
            elif action == "updatedoc":
                if doc_id not in documents:
                    request.fail("notfound", f"no document {doc_id} in {index}")
                    return
                documents[doc_id].update(dict(arguments.get("body") or {}))
                request.done(id=doc_id)
            elif action == "deletedoc":
                if documents.pop(doc_id, None) is None:
                    request.fail("notfound", f"no document {doc_id} in {index}")
                    return
                request.done(id=doc_id)
            else:
                request.fail("Request Invalid", f"unknown action {action}")

        self.later(perform)


def _device_type(dn: Dn | None) -> str:
    if dn is None:
        return "unknown"
    return {
        "RoutingPoint": "routepoint",
        "ACDQueue": "queue",
        "Extension": "agent",
    }.get(dn.type, "unknown")
