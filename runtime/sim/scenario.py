"""Scenario files: a contact center and a timeline, in YAML.

docs/scenario.md documents the format, key by key, with a complete example;
docs/scenario.schema.json (the same file as `scenario.schema.json` here) is its
JSON Schema. In short:

```yaml
start: "2026-12-01T10:00:00+00:00"     # wall-clock time at t=0
applications: {"5000": route.scxml}     # point -> document (relative to this file)
dns: [{number: "5000", type: RoutingPoint}]
groups: [Sales]                         # optional: then agents' groups must be listed
agents: [{id: anna, dn: "7001", groups: [Sales], state: ready}]
timeline:
  - {at: 0, call: {id: c1, to: "5000", talk: 180}}
  - {at: 30, hangup: c1}
```

`load_scenario(path)` reads and checks a file into a `Scenario`. Everything
wrong with it is reported in one `ScenarioError`, a line each, as
`file:line:col: error: entry: message` (`s.yaml:9:38: error:
timeline[0].call: unknown key 'tlk' (did you mean 'talk'?)`): what the schema
rejects (unknown keys, wrong types, missing keys, values out of range), what it
cannot judge (dates, patterns, fetch rules) and names that name nothing (an
agent, a group, a call, a routing point, a document): see `checks.py`.
`parse_scenario(value, path)` does the same for a value already read (its
problems have no line).

Scenario files are untrusted input, read within limits before anything
else looks at them:

- a regular file (not a FIFO, device or directory: opened without blocking,
  then checked) of at most `MAX_SCENARIO_BYTES` of UTF-8;
- YAML's safe loader (no Python objects); mappings and lists nested at most
  `MAX_NESTING` levels, counted while the file is parsed; at most
  `MAX_SCENARIO_VALUES` values once YAML aliases (`*name`) are expanded,
  counted on the parsed nodes before any value is built (a "billion laughs"
  file is refused in microseconds), and no alias inside its own anchor;
- then the schema's limits (list lengths, text lengths, ranges) and the
  `fetch` rules' bounds (`fetch.py`).

A refusal of the whole file (too big, not UTF-8, too deep, too many values)
is one line `file: error: message`.
"""

from __future__ import annotations

import dataclasses
import math
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ors.enums import MediaType
from ..ors.objects import (
    ChatProperties,
    Interaction,
    MessageProperties,
    VoiceProperties,
)
from .checks import ARRIVALS, EntryPath, Problem, parse_start, problems
from .fetch import parse_rules
from .model import Agent, Config, Contact, Dn, ScriptedDialog

__all__ = [
    "Arrival",
    "Scenario",
    "ScenarioError",
    "Step",
    "load_scenario",
    "parse_scenario",
]


MESSAGE_MEDIA = frozenset(
    getattr(MediaType, member) for member in MediaType.names()
) - {"voice", "voip", "chat", "any"}
"""Media a `message:` arrival may have: every `_genesys.ixn.mediaType` but voice
and chat (`email`, `sms`, `workitem`, `webform`, `fax`, `openmedia`, ...)."""


MAX_SCENARIO_BYTES = 1 << 20
"""A scenario file is at most 1 MiB."""
MAX_NESTING = 64
"""Mappings and lists nest at most this deep in a scenario file."""
MAX_SCENARIO_VALUES = 1_000_000
"""A scenario holds at most this many values (mappings, lists and scalars)
once its aliases are expanded."""


class ScenarioError(ValueError):
    """A scenario that cannot be read. `diagnostics` holds one line per
    problem (`file:line:col: error: entry: message`); the message is all of
    them, a line each."""

    def __init__(self, message: str, diagnostics: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics) or [message]


@dataclass(frozen=True)
class Arrival:
    """A timeline arrival: the contact to create, its media, and for consult
    calls the agent and parent call."""

    contact: Contact
    consult_agent: str | None = None
    consult_parent: str | None = None
    kind: str = "call"
    """Its key in the timeline: call, consult, email, chat or message."""


@dataclass(frozen=True)
class Step:
    """One timeline entry at `at` seconds: an arrival, an agent state, or a hang-up."""

    at: float
    arrival: Arrival | None = None
    agent: str | None = None
    state: str | None = None
    hangup: str | None = None
    entry: int | None = None
    """Its index in the scenario's `timeline` as written (for messages)."""


@dataclass
class Scenario:
    """A parsed scenario: the configuration, applications and timeline.
    `where(path)` tells where an entry was written, for messages about it."""

    path: Path
    config: Config
    applications: dict[str, Path] = field(default_factory=dict)
    timeline: list[Step] = field(default_factory=list)
    until: float | None = None
    locator: _Locator | None = field(default=None, repr=False, compare=False)

    def where(self, path: EntryPath, key: str | None = None) -> str:
        """`file:line:col` of the entry at `path` (of its key `key`), or the
        file alone when the scenario was not read from a file."""
        return _position(self.path, self.locator, Problem(path, "", key))

    def check_served(self) -> None:
        """Raise a `ScenarioError` naming every arrival at a routing point or
        interaction queue that `applications` maps no document to (a run
        without a default document would leave it where it is, unserved)."""
        lines = [
            f"{self.where(('timeline', step.entry, kind, 'to'))}: error: "
            f"timeline[{step.entry}].{kind}.to: {self.points()[resource]} "
            f"{resource!r} has no application (map it to a document in "
            "applications)"
            for step in self.timeline
            if step.arrival is not None and step.entry is not None
            for resource in [step.arrival.contact.resource]
            for kind in [step.arrival.kind]
            if resource not in self.applications
        ]
        if lines:
            raise ScenarioError("\n".join(lines), lines)

    def points(self) -> dict[str, str]:
        """The routing points and interaction queues arrivals may go to:
        name -> `routing point` or `interaction queue`, in the scenario's order."""
        found = {
            dn.number: "routing point"
            for dn in self.config.dns.values()
            if dn.type == "RoutingPoint"
        }
        for name in self.config.interaction_queues:
            found.setdefault(name, "interaction queue")
        for step in self.timeline:  # read by parse_scenario without checks
            if step.arrival is not None:
                found.setdefault(step.arrival.contact.resource, "routing point")
        return found


def load_scenario(path: str | Path) -> Scenario:
    """Read the scenario file at `path`; a `ScenarioError` names the file and
    the limit it fails, or every problem of its content."""
    where = Path(path)
    try:
        text = _read(where).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{where}: error: not UTF-8 text: {error.reason}") from None
    value, locator, found = _yaml(text, where)
    if not isinstance(value, dict):
        found.append(Problem((), "a scenario is a mapping of settings"))
    else:
        found += problems(value, where.parent)
    if found:
        raise _error(where, locator, found)
    return _build(value, where, locator)


def parse_scenario(raw: Any, path: Path) -> Scenario:
    """A scenario from its value (as `yaml.safe_load` reads it); `path` names
    it in errors and anchors relative application paths."""
    value = _plain(raw)
    found = (
        problems(value, path.parent)
        if isinstance(value, dict)
        else [Problem((), "a scenario is a mapping of settings")]
    )
    if found:
        raise _error(path, None, found)
    return _build(value, path, None)


def _error(
    where: Path, locator: _Locator | None, found: list[Problem]
) -> ScenarioError:
    """One error holding every problem, in the order of the file."""
    located = sorted((_place(locator, problem), problem.text()) for problem in found)
    lines = []
    for position, text in located:
        prefix = f"{where}:{position[0]}:{position[1]}" if position else f"{where}"
        line = f"{prefix}: error: {text}"
        if line not in lines:
            lines.append(line)
    return ScenarioError("\n".join(lines), lines)


def _place(locator: _Locator | None, problem: Problem) -> tuple[int, int] | None:
    if problem.position is not None:
        return problem.position
    return locator.find(problem.path, problem.key) if locator is not None else None


def _position(where: Path, locator: _Locator | None, problem: Problem) -> str:
    position = _place(locator, problem)
    return f"{where}:{position[0]}:{position[1]}" if position else str(where)


# -- reading a file -----------------------------------------------------------------


def _read(where: Path) -> bytes:
    """The bytes of a regular file of at most `MAX_SCENARIO_BYTES`. It is
    opened without blocking (a FIFO with no writer would wait forever) and
    checked once open, so what is read is what was checked."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(where, flags)
    except FileNotFoundError:
        raise ScenarioError(f"{where}: error: no such file") from None
    except OSError as error:
        problem = (error.strerror or str(error)).lower()
        raise ScenarioError(f"{where}: error: {problem}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ScenarioError(f"{where}: error: not a regular file")
    with os.fdopen(descriptor, "rb") as file:
        if os.fstat(descriptor).st_size > MAX_SCENARIO_BYTES:
            raise ScenarioError(_too_big(where))
        try:
            data = file.read(MAX_SCENARIO_BYTES + 1)
        except OSError as error:
            raise ScenarioError(
                f"{where}: error: cannot read: {error.strerror}"
            ) from None
    if len(data) > MAX_SCENARIO_BYTES:  # it grew since
        raise ScenarioError(_too_big(where))
    return data


def _too_big(where: Path) -> str:
    return f"{where}: error: larger than {MAX_SCENARIO_BYTES} bytes (the limit of a scenario)"


class _TooDeep(Exception):
    """Nodes nested beyond `MAX_NESTING` while parsing."""


class _Recursive(Exception):
    """An alias inside the node its anchor names."""


_LOADER: Any = None


def _loader_class() -> Any:
    """YAML's safe loader, counting how deep the node it composes lies and
    stopping past `MAX_NESTING` (before Python's recursion limit)."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class ScenarioLoader(yaml.SafeLoader):
            depth = 0

            def compose_node(self, parent: Any, index: Any) -> Any:
                if self.depth > MAX_NESTING:
                    raise _TooDeep()
                self.depth += 1
                try:
                    return super().compose_node(parent, index)
                finally:
                    self.depth -= 1

        _LOADER = ScenarioLoader
    return _LOADER


def _expanded(root: Any) -> tuple[int, int]:
    """(values, depth) of a composed YAML document once its aliases are
    expanded: an aliased node is one node object met again, so both are
    counted per distinct node (iteratively, capped), never by expanding.
    Raises `_Recursive` for an alias inside its own anchor."""
    cap = MAX_SCENARIO_VALUES + 1
    done: dict[int, tuple[int, int]] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        children = _children(node)
        if closing:
            values = 1 + sum(done[id(child)][0] for child in children)
            depth = max((done[id(child)][1] + 1 for child in children), default=0)
            done[key] = (min(values, cap), min(depth, cap))
            open_nodes.discard(key)
        elif key in open_nodes:
            raise _Recursive()
        elif key not in done:
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in done)
    return done[id(root)]


def _children(node: Any) -> list[Any]:
    """The nodes a mapping or sequence node holds (keys and values)."""
    value = node.value
    if not isinstance(value, list):
        return []
    if value and isinstance(value[0], tuple):
        return [part for pair in value for part in pair]
    return value


def _yaml(text: str, where: Path) -> tuple[Any, _Locator | None, list[Problem]]:
    """The plain value of the YAML `text` (within `MAX_NESTING` and
    `MAX_SCENARIO_VALUES`), a locator of its entries, and the problems met
    reading it (a key given twice, a key that is not text)."""
    import yaml

    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, []
        values, depth = _expanded(node)
        if depth > MAX_NESTING:
            raise ScenarioError(
                f"{where}: error: nested too deeply (over {MAX_NESTING} levels) once its "
                "aliases are expanded"
            )
        if values > MAX_SCENARIO_VALUES:
            raise ScenarioError(
                f"{where}: error: more than {MAX_SCENARIO_VALUES} values once its aliases "
                "are expanded (the limit of a scenario)"
            )
        reader = _NodeReader(loader)
        return reader.value(node, ()), _Locator(node), reader.problems
    except _TooDeep:
        raise ScenarioError(
            f"{where}: error: nested too deeply (over {MAX_NESTING} levels)"
        ) from None
    except _Recursive:
        raise ScenarioError(
            f"{where}: error: an alias refers to its own anchor"
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = " ".join(p for p in (error.context, error.problem) if p)
        message = f"{where}{at}: error: not valid YAML: {problem}"
        raise ScenarioError(message) from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{where}: error: not valid YAML: {error}") from None
    finally:
        loader.dispose()


_TAG = "tag:yaml.org,2002:"


class _NodeReader:
    """Plain values from composed YAML nodes: mapping keys as written (so
    `5000:` is the key "5000"), dates and times as the text written (`start:
    2026-12-01T10:00:00Z`), merge keys (`<<: *base`) applied. An aliased node
    is read once and shared."""

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.problems: list[Problem] = []
        self.read: dict[int, Any] = {}

    def value(self, node: Any, path: EntryPath) -> Any:
        import yaml

        known = self.read.get(id(node), self)
        if known is not self:
            return known
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _TAG + "timestamp":
                result: Any = node.value
            else:
                result = self.loader.construct_object(node)
        elif isinstance(node, yaml.SequenceNode) and node.tag == _TAG + "seq":
            result = []
            self.read[id(node)] = result
            result.extend(
                self.value(child, (*path, index))
                for index, child in enumerate(node.value)
            )
        elif isinstance(node, yaml.MappingNode) and node.tag == _TAG + "map":
            result = {}
            self.read[id(node)] = result
            self._mapping(node, path, result)
        else:  # !!set, !!omap, !!binary...: what they are, for the checks to refuse
            result = self.loader.construct_object(node, deep=True)
        self.read[id(node)] = result
        return result

    def _mapping(self, node: Any, path: EntryPath, result: dict[str, Any]) -> None:
        import yaml

        written: dict[str, Any] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self._problem(path, "a key is not text", key)
            elif key.tag != _TAG + "merge":
                if key.value in written:
                    self._problem(path, f"key {key.value!r} is given twice", key)
                written[key.value] = key
        self.loader.flatten_mapping(node)
        for key, child in node.value:
            if isinstance(key, yaml.ScalarNode):
                result[key.value] = self.value(child, (*path, key.value))

    def _problem(self, path: EntryPath, message: str, node: Any) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(path, message, position=(mark.line + 1, mark.column + 1))
        )


class _Locator:
    """Where the entries of a composed YAML document were written."""

    def __init__(self, root: Any) -> None:
        self.root = root

    def find(self, path: EntryPath, key: str | None = None) -> tuple[int, int]:
        """Line and column (from 1) of the entry at `path` (of its key `key`);
        of the nearest enclosing entry found when the path goes further."""
        node = self.root
        for part in path:
            child = _child(node, part)
            if child is None:
                break
            node = child
        else:
            if key is not None:
                node = _key_node(node, key) or node
        mark = node.start_mark
        return mark.line + 1, mark.column + 1


def _child(node: Any, part: str | int) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        found = [value for key, value in node.value if _written(key) == part]
        return found[-1] if found else None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    return None


def _key_node(node: Any, key: str) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for written, _ in node.value:
            if _written(written) == key:
                return written
    return None


def _written(node: Any) -> str | None:
    import yaml

    return node.value if isinstance(node, yaml.ScalarNode) else None


# -- a value already read -----------------------------------------------------------


def _plain(raw: Any) -> Any:
    """`raw` as `load_scenario` reads a file: mapping keys as text, dates and
    times as ISO text."""
    import datetime

    if isinstance(raw, dict):
        return {_key_text(key): _plain(value) for key, value in raw.items()}
    if isinstance(raw, list):
        return [_plain(value) for value in raw]
    if isinstance(raw, (datetime.date, datetime.time)):
        return raw.isoformat()
    return raw


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return str(key).lower()
    return str(key)


# -- building a checked scenario ----------------------------------------------------


def _build(value: dict[str, Any], path: Path, locator: _Locator | None) -> Scenario:
    """The `Scenario` of a value the checks found nothing wrong with."""
    config = _config(value)
    applications = {
        resource: (path.parent / document).resolve()
        for resource, document in value.get("applications", {}).items()
    }
    timeline = [
        dataclasses.replace(_step(entry, config), entry=index)
        for index, entry in enumerate(value.get("timeline", []))
    ]
    timeline.sort(key=lambda step: step.at)
    until = value.get("until")
    return Scenario(
        path,
        config,
        applications,
        timeline,
        None if until is None else float(until),
        locator,
    )


def _config(value: dict[str, Any]) -> Config:
    config = Config()
    for key in ("switch", "statserver", "tenant"):
        if key in value:
            setattr(config, key, value[key])
    if "tenantid" in value:
        config.tenantid = str(value["tenantid"])
    if "start" in value:
        start = parse_start(value["start"])
        assert start is not None
        config.start = start
    for key in ("handle_time", "reservation_timeout"):
        if key in value:
            setattr(config, key, float(value[key]))
    config.seed = int(value.get("seed", 0))
    for entry in value.get("dns", []):
        dn = Dn(
            entry["number"],
            entry.get("type", "Extension"),
            entry.get("switch", config.switch),
            _texts(entry.get("options", {})),
        )
        config.dns[dn.number] = dn
    for entry in value.get("agents", []):
        agent = _agent(entry)
        config.agents[agent.id] = agent
        config.dns.setdefault(agent.dn, Dn(agent.dn, "Extension", config.switch))
    config.virtual_queues = list(value.get("virtual_queues", []))
    config.interaction_queues = list(value.get("interaction_queues", []))
    config.lists = dict(value.get("lists", {}))
    config.options = _texts(value.get("options", {}))
    config.statistics = {
        target: {name: float(number) for name, number in statistics.items()}
        for target, statistics in value.get("statistics", {}).items()
    }
    config.categories = [
        {**entry, "keywords": list(entry.get("keywords", []))}
        for entry in value.get("classification", [])
    ]
    config.screening = [dict(entry) for entry in value.get("screening", [])]
    config.responses = {
        srid: dict(fields) for srid, fields in value.get("responses", {}).items()
    }
    config.fetch = parse_rules(value.get("fetch"))
    return config


def _texts(values: dict[str, Any]) -> dict[str, str]:
    """Option values as text (`true`, `30`)."""
    return {
        name: str(v).lower() if isinstance(v, bool) else _number_text(v)
        for name, v in values.items()
    }


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _agent(entry: dict[str, Any]) -> Agent:
    agent_id: str = entry["id"]
    return Agent(
        agent_id,
        place=entry.get("place", f"Place_{agent_id}"),
        dn=entry.get("dn", agent_id),
        skills={name: float(level) for name, level in entry.get("skills", {}).items()},
        groups=list(entry.get("groups", [])),
        place_groups=list(entry.get("place_groups", [])),
        state=entry.get("state", "ready"),
        wrap=float(entry.get("wrap", 0)),
    )


def _step(entry: dict[str, Any], config: Config) -> Step:
    at = float(entry["at"])
    if "agent" in entry:
        return Step(at, agent=entry["agent"], state=entry.get("state", "ready"))
    if "hangup" in entry:
        return Step(at, hangup=entry["hangup"])
    kind = next(kind for kind in ARRIVALS if kind in entry)
    return Step(at, arrival=_arrival(kind, entry[kind], at, config))


def _arrival(kind: str, body: dict[str, Any], at: float, config: Config) -> Arrival:
    g_uid, resource = body["id"], body["to"]
    interaction = _interaction(kind, body, g_uid, resource)
    reply_to = body.get("reply_to")
    if reply_to is not None and kind in ("email", "chat", "message"):
        interaction.parentid = reply_to
        if interaction.msgbased is not None:
            interaction.msgbased.type = "InboundReply"
    patience = body.get("patience")
    contact = Contact(
        interaction,
        at,
        resource,
        digits=list(body.get("digits", [])),
        dialogs=[
            ScriptedDialog(
                dict(dialog.get("result", {})), float(dialog.get("duration", 5))
            )
            for dialog in body.get("dialogs", [])
        ],
        patience=None if patience is None else float(patience),
        talk=float(body.get("talk", config.handle_time)),
        body=body.get("body", body.get("text", "")),
    )
    if kind == "consult":
        return Arrival(contact, body["agent"], body["call"], kind)
    return Arrival(contact, kind=kind)


def _interaction(
    kind: str, body: dict[str, Any], g_uid: str, resource: str
) -> Interaction:
    """The interaction of an arrival of `kind` (call, consult, email, chat, message)."""
    udata = dict(body.get("udata", {}))
    if kind in ("call", "consult"):
        return Interaction(
            g_uid,
            ani=body.get("ani", ""),
            contactedaddr=resource,
            udata=udata,
            voice=VoiceProperties(
                callid=g_uid,
                connid=body.get("connid", g_uid),
                ani=body.get("ani", ""),
                dnis=body.get("dnis", resource),
            ),
        )
    if kind == "chat":
        udata.setdefault("FirstName", body.get("from", ""))
        return Interaction(
            g_uid, category="chat", media="chat", udata=udata, chat=ChatProperties()
        )
    media = "email" if kind == "email" else body.get("media", "workitem")
    udata.setdefault("FromAddress", body.get("from", ""))
    if kind == "email":
        udata.setdefault("Subject", body.get("subject", ""))
        udata.setdefault("To", body.get("address", ""))
    return Interaction(
        g_uid,
        category=media,
        media=media,
        udata=udata,
        msgbased=MessageProperties(type="Inbound", media=media, queue=resource),
    )
