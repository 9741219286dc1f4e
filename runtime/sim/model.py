"""The simulated contact center's configuration and live state.

Agents (with a place, a DN, skills with levels, group memberships and a state),
agent and place groups, DNs (routing points, extensions, ACD queues), virtual
queues and interaction queues, List objects, options, and the record the
simulator keeps of every interaction (`Contact`: who it is, what the scenario
scripted for it, what happened to it). Plain data; behaviour lives in
`center`, `routing`, `stats` and `media`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from ..ors.objects import Interaction
from .fetch import FetchRule

__all__ = [
    "AGENT_STATES",
    "Agent",
    "Config",
    "Contact",
    "Dn",
    "ScriptedDialog",
]

AGENT_STATES: Final = ("logged_out", "not_ready", "ready", "reserved", "busy", "acw")
"""`logged_out` and `not_ready` take no work; `ready` does; `reserved` is held for
one interaction (a submit with `route="false"`); `busy` handles one; `acw` is
after-call work, back to `ready` when it ends."""


@dataclass
class Agent:
    """One agent; `since` is when the current state began (platform clock)."""

    id: str
    place: str
    dn: str
    skills: dict[str, float] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    place_groups: list[str] = field(default_factory=list)
    state: str = "logged_out"
    since: float = 0.0
    handled: int = 0
    current: str | None = None
    wrap: float = 0.0
    """After-call work in seconds (0: straight back to ready)."""


@dataclass
class Dn:
    """A directory number: `type` is `RoutingPoint`, `Extension`, `ACDQueue`, ..."""

    number: str
    type: str = "Extension"
    switch: str = "SIP_Switch"
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class ScriptedDialog:
    """What a dialog application (`<dialog:start>`) returns for a contact."""

    result: dict[str, Any] = field(default_factory=dict)
    duration: float = 5.0


@dataclass
class Contact:
    """The simulator's record of one interaction and what the scenario scripted.

    `digits` are answers to collect treatments, in order (None: no input);
    `dialogs` what `<dialog:start>` applications return; `patience` how long the
    customer waits before hanging up (None: forever); `talk` how long the
    conversation lasts once an agent has it; `body` the message text.
    """

    interaction: Interaction
    arrived: float
    resource: str
    digits: list[str | None] = field(default_factory=list)
    dialogs: list[ScriptedDialog] = field(default_factory=list)
    patience: float | None = None
    talk: float = 120.0
    body: str = ""
    routed_to: str | None = None
    routed_at: float | None = None
    ended: float | None = None
    outcome: str = "waiting"
    agent: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def wait(self) -> float | None:
        """Seconds from arrival to routing (None if never routed)."""
        return None if self.routed_at is None else self.routed_at - self.arrived


@dataclass
class Config:
    """Everything the scenario configures, before the timeline runs."""

    switch: str = "SIP_Switch"
    statserver: str = "Stat_Server"
    tenant: str = "Environment"
    tenantid: str = "101"
    start: float = 1_764_583_200.0  # 2025-12-01T10:00:00Z
    agents: dict[str, Agent] = field(default_factory=dict)
    dns: dict[str, Dn] = field(default_factory=dict)
    virtual_queues: list[str] = field(default_factory=list)
    interaction_queues: list[str] = field(default_factory=list)
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    statistics: dict[str, dict[str, float]] = field(default_factory=dict)
    categories: list[dict[str, Any]] = field(default_factory=list)
    screening: list[dict[str, Any]] = field(default_factory=list)
    responses: dict[str, dict[str, str]] = field(default_factory=dict)
    fetch: list[FetchRule] = field(default_factory=list)
    """Scripted answers to `<session:fetch>` (see `fetch`), first match wins."""
    network: bool = False
    """Whether `<session:fetch>` makes real HTTP requests instead of answering
    from `fetch`: only `scxmlc serve` without a scenario sets it."""
    handle_time: float = 120.0
    reservation_timeout: float = 10.0
    seed: int = 0
    """Seeds the center's random choices (weighted `percentage` routing)."""

    def group_members(self, group: str) -> list[Agent]:
        return [a for a in self.agents.values() if group in a.groups]

    def agent_at_place(self, place: str) -> Agent | None:
        for agent in self.agents.values():
            if agent.place == place:
                return agent
        return None

    def agent_on_dn(self, number: str) -> Agent | None:
        for agent in self.agents.values():
            if agent.dn == number:
                return agent
        return None
