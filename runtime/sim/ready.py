"""The ready agents, longest ready first: what the default target selection reads.

`<queue:submit>`'s default order serves the agent longest in the ready state:
among the ready agents a target stands for, in configuration order, the first
with the largest `now - since`. Scanning every agent for that costs the number
of agents per request. `ReadyAgents` keeps the ready agents in groups of equal
`since`, the groups oldest first and each group in configuration order, so
`longest` usually looks at a handful of agents and still answers exactly what
that scan answers.

The index follows the agents' states through `changed`, which
`ContactCenter.set_agent_state` calls (the only place states change); it is
rebuilt from the configuration when agents are added or removed.
"""

from __future__ import annotations

from collections.abc import Callable

from .model import Agent, Config

__all__ = ["ReadyAgents"]


class ReadyAgents:
    """The ready agents of a configuration, by the time they became ready."""

    __slots__ = ("_config", "_agents", "_size", "_position", "_groups", "_since")

    def __init__(self, config: Config) -> None:
        self._config = config
        self._agents: dict[str, Agent] | None = None  # the mapping indexed
        self._size = 0
        self._position: dict[str, int] = {}  # agent id -> configuration order
        self._groups: dict[float, dict[str, Agent]] = {}  # since -> its agents
        self._since: dict[str, float] = {}  # ready agent id -> its group

    def _current(self) -> None:
        """Rebuild the index if the configuration's agents changed."""
        agents = self._config.agents
        if agents is self._agents and len(agents) == self._size:
            return
        self._agents, self._size = agents, len(agents)
        self._position = {agent_id: i for i, agent_id in enumerate(agents)}
        self._groups, self._since = {}, {}
        ready = [a for a in agents.values() if a.state == "ready"]
        ready.sort(key=lambda a: (a.since, self._position[a.id]))
        for agent in ready:
            self._groups.setdefault(agent.since, {})[agent.id] = agent
            self._since[agent.id] = agent.since

    def changed(self, agent: Agent, previous: str) -> None:
        """`agent` went from state `previous` to `agent.state`, at `agent.since`."""
        if self._agents is None:
            return  # not built yet: it will read the states as they are then
        agents = self._config.agents
        if (
            agents is not self._agents
            or len(agents) != self._size
            or agents.get(agent.id) is not agent
            or agent.id not in self._position
        ):
            self._agents = None  # another configuration: rebuild when next read
            return
        if previous == "ready":
            since = self._since.pop(agent.id, None)
            if since is not None:
                group = self._groups[since]
                del group[agent.id]
                if not group:
                    del self._groups[since]
        if agent.state == "ready":
            self._add(agent)

    def _add(self, agent: Agent) -> None:
        groups = self._groups
        since = agent.since
        if groups:
            newest = next(reversed(groups))
            if since < newest:  # an older time than the newest group: rebuild
                self._agents = None
                return
            if since == newest:
                group = groups[newest]
                position = self._position
                behind = position[next(reversed(group))] > position[agent.id]
                group[agent.id] = agent
                self._since[agent.id] = since
                if behind:  # keep the group in configuration order
                    agents = sorted(group.values(), key=lambda a: position[a.id])
                    group.clear()
                    group.update((a.id, a) for a in agents)
                return
        groups[since] = {agent.id: agent}
        self._since[agent.id] = since

    def longest(
        self, accept: Callable[[Agent], bool], now: float
    ) -> tuple[Agent, float] | None:
        """The first agent, in configuration order, among the ready ones that
        `accept` takes with the largest `now - since`, and that value; None when
        `accept` takes no ready agent."""
        self._current()
        position = self._position
        best: Agent | None = None
        longest = 0.0
        for since, group in self._groups.items():
            ready = now - since
            if best is not None and ready < longest:
                break  # later groups became ready later: never longer
            for agent in group.values():
                if accept(agent):
                    if best is None or position[agent.id] < position[best.id]:
                        best, longest = agent, ready
                    break  # the group is in configuration order
        return None if best is None else (best, longest)
