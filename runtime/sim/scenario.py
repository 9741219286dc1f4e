"""Scenario files: a contact center and a timeline, in YAML.

```yaml
start: "2026-12-01T10:00:00+00:00"     # wall-clock time at t=0 (time functions)
switch: SIP_Switch
statserver: Stat_Server
handle_time: 120                        # expected handle time, for wait estimates
seed: 7                                 # seeds random choices (percentage routing); 0
applications: {"5000": route.scxml}     # resource -> document (relative to this file)
dns:
  - {number: "5000", type: RoutingPoint, options: {greeting: short}}
agents:
  - {id: anna, place: P7001, dn: "7001", skills: {English: 8}, groups: [Sales],
     state: ready, wrap: 10}
virtual_queues: [VQ_Sales]
lists: {BusinessHours: {Weekdays: {open: "08:00", close: "18:00"}}}
options: {key: value}
statistics: {"Sales@Stat_Server.GA": {ServiceLevel: 80}}
classification: [{name: Billing, id: c1, keywords: [invoice, bill]}]
screening: [{name: Urgent, pattern: "urgent|asap", category: Priority}]
responses: {SR_ACK: {subject: "We got your mail", body: "..."}}
fetch:                                  # scripted web services (see fetch.py)
  - {url: "http://crm/api/customer*", method: get, status: 200,
     body: {segment: gold}, headers: {X-Trace: abc}, delay: 0.5}
  - {prefix: "http://crm/", status: 503, body: "down"}
timeline:
  - {at: 0, call: {id: c1, to: "5000", ani: "+15550100", udata: {}, digits: ["2"],
     dialogs: [{result: {intent: billing}, duration: 20}], patience: 60, talk: 180}}
  - {at: 0, email: {id: m1, to: Inbound_Email, from: a@b.com, subject: Hi, body: text}}
  - {at: 0, chat: {id: ch1, to: Chat_In, from: Ann, text: hello}}
  - {at: 0, message: {id: w1, to: Work_In, media: workitem, udata: {Case: 42}}}
  - {at: 900, email: {id: m2, to: Inbound_Email, from: a@b.com, reply_to: msg-out-1,
     subject: "Re: Hi", body: "thanks"}}              # a customer's reply
  - {at: 5, agent: anna, state: ready}          # ready | not_ready | logged_out
  - {at: 30, hangup: c1}
  - {at: 40, consult: {id: c2, agent: anna, call: c1, to: "5001"}}
```

`load_scenario(path)` reads and checks a file into a `Scenario`; every problem is
a `ScenarioError` naming the file and the entry (`timeline[2].call: missing 'to'`).
Scenario files are untrusted input, read within limits before anything
else looks at them:

- a regular file (not a FIFO, device or directory: opened without blocking,
  then checked) of at most `MAX_SCENARIO_BYTES` of UTF-8;
- YAML's safe loader (no Python objects); mappings and lists nested at most
  `MAX_NESTING` levels, counted while the file is parsed; at most
  `MAX_SCENARIO_VALUES` values once YAML aliases (`*name`) are expanded,
  counted on the parsed nodes before any value is built (a "billion laughs"
  file is refused in microseconds), and no alias inside its own anchor;
- every value checked for its type (times and durations finite numbers from 0
  up, screening patterns that compile), and the `fetch` rules checked and
  bounded as `fetch.py` says.
"""

from __future__ import annotations

import builtins
import datetime
import math
import os
import re
import stat
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
from .fetch import RuleError, parse_rules
from .model import AGENT_STATES, Agent, Config, Contact, Dn, ScriptedDialog

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
    """A scenario that cannot be read: the message names the file and the entry."""


@dataclass(frozen=True)
class Arrival:
    """A timeline arrival: the contact to create, its media, and for consult
    calls the agent and parent call."""

    contact: Contact
    consult_agent: str | None = None
    consult_parent: str | None = None


@dataclass(frozen=True)
class Step:
    """One timeline entry at `at` seconds: an arrival, an agent state, or a hang-up."""

    at: float
    arrival: Arrival | None = None
    agent: str | None = None
    state: str | None = None
    hangup: str | None = None


@dataclass
class Scenario:
    """A parsed scenario: the configuration, applications and timeline."""

    path: Path
    config: Config
    applications: dict[str, Path] = field(default_factory=dict)
    timeline: list[Step] = field(default_factory=list)
    until: float | None = None


def load_scenario(path: str | Path) -> Scenario:
    """Read the scenario file at `path`; a `ScenarioError` names the file and
    the limit or entry it fails."""
    where = Path(path)
    try:
        text = _read(where).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{where}: not UTF-8 text: {error.reason}") from None
    return parse_scenario(_yaml(text, where), where)


def _read(where: Path) -> bytes:
    """The bytes of a regular file of at most `MAX_SCENARIO_BYTES`. It is
    opened without blocking (a FIFO with no writer would wait forever) and
    checked once open, so what is read is what was checked."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(where, flags)
    except OSError as error:
        raise ScenarioError(f"{where}: cannot read: {error.strerror}") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise ScenarioError(f"{where}: not a regular file")
    with os.fdopen(descriptor, "rb") as file:
        if os.fstat(descriptor).st_size > MAX_SCENARIO_BYTES:
            raise ScenarioError(_too_big(where))
        try:
            data = file.read(MAX_SCENARIO_BYTES + 1)
        except OSError as error:
            raise ScenarioError(f"{where}: cannot read: {error.strerror}") from None
    if len(data) > MAX_SCENARIO_BYTES:  # it grew since
        raise ScenarioError(_too_big(where))
    return data


def _too_big(where: Path) -> str:
    return f"{where}: larger than {MAX_SCENARIO_BYTES} bytes (the limit of a scenario)"


def _yaml(text: str, where: Path) -> Any:
    """The YAML value of `text`, within `MAX_NESTING` and `MAX_SCENARIO_VALUES`."""
    import yaml

    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        values, depth = _expanded(node)
        if depth > MAX_NESTING:
            raise ScenarioError(
                f"{where}: nested too deeply (over {MAX_NESTING} levels) once its "
                "aliases are expanded"
            )
        if values > MAX_SCENARIO_VALUES:
            raise ScenarioError(
                f"{where}: more than {MAX_SCENARIO_VALUES} values once its aliases "
                "are expanded (the limit of a scenario)"
            )
        return loader.construct_document(node)
    except _TooDeep:
        raise ScenarioError(
            f"{where}: nested too deeply (over {MAX_NESTING} levels)"
        ) from None
    except _Recursive:
        raise ScenarioError(f"{where}: an alias refers to its own anchor") from None
    except yaml.YAMLError as error:
        raise ScenarioError(f"{where}: not valid YAML: {error}") from None
    finally:
        loader.dispose()


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


def parse_scenario(raw: Any, path: Path) -> Scenario:
    """A scenario from its YAML value; `path` names it in errors and anchors
    relative application paths."""
    reader = _ScenarioReader(path)
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping of settings")
    config = reader.config(raw)
    applications = {
        str(resource): (path.parent / str(document)).resolve()
        for resource, document in reader.mapping(raw, "applications").items()
    }
    timeline = [
        reader.step(entry, i, config)
        for i, entry in enumerate(reader.list(raw, "timeline"))
    ]
    timeline.sort(key=lambda step: step.at)
    until = raw.get("until")
    return Scenario(
        path,
        config,
        applications,
        timeline,
        reader.number(until, "until") if until is not None else None,
    )


class _ScenarioReader:
    """Reads one scenario, naming entries in its errors."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.path}: {where}: {message}")

    def mapping(self, raw: dict[str, Any], key: str, where: str = "") -> dict[str, Any]:
        value = raw.get(key, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where + key, "expected a mapping")
        return value

    def list(self, raw: dict[str, Any], key: str) -> list[Any]:
        value = raw.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "expected a list")
        return value

    def config(self, raw: dict[str, Any]) -> Config:
        config = Config()
        for key in ("switch", "statserver", "tenant"):
            if key in raw:
                setattr(config, key, str(raw[key]))
        if "tenantid" in raw:
            config.tenantid = str(raw["tenantid"])
        if "start" in raw:
            config.start = self.start(raw["start"])
        for key in ("handle_time", "reservation_timeout"):
            if key in raw:
                setattr(config, key, self.number(raw[key], key))
        if "seed" in raw:
            seed = raw["seed"]
            if isinstance(seed, bool) or not isinstance(seed, int):
                raise self.fail("seed", f"expected an integer, got {seed!r}")
            config.seed = seed
        for index, entry in enumerate(self.list(raw, "dns")):
            dn = self.dn(entry, f"dns[{index}]", config.switch)
            config.dns[dn.number] = dn
        for index, entry in enumerate(self.list(raw, "agents")):
            agent = self.agent(entry, f"agents[{index}]")
            if agent.id in config.agents:
                raise self.fail(
                    f"agents[{index}]", f"agent {agent.id!r} is defined twice"
                )
            config.agents[agent.id] = agent
            config.dns.setdefault(agent.dn, Dn(agent.dn, "Extension", config.switch))
        config.virtual_queues = [str(q) for q in self.list(raw, "virtual_queues")]
        config.interaction_queues = [
            str(q) for q in self.list(raw, "interaction_queues")
        ]
        config.lists = {str(k): v for k, v in self.mapping(raw, "lists").items()}
        config.options = {
            str(k): str(v) for k, v in self.mapping(raw, "options").items()
        }
        config.statistics = {
            str(k): {
                str(s): self.value(v, f"statistics.{k}.{s}")
                for s, v in self.table(values, f"statistics.{k}").items()
            }
            for k, values in self.mapping(raw, "statistics").items()
        }
        config.categories = [
            self.category(e, f"classification[{i}]")
            for i, e in enumerate(self.list(raw, "classification"))
        ]
        config.screening = [
            self.screening_rule(e, f"screening[{i}]")
            for i, e in enumerate(self.list(raw, "screening"))
        ]
        config.responses = {
            str(k): {str(f): str(v) for f, v in self.table(r, f"responses.{k}").items()}
            for k, r in self.mapping(raw, "responses").items()
        }
        try:
            config.fetch = parse_rules(raw.get("fetch"))
        except RuleError as error:
            raise self.fail(error.where, error.message) from None
        return config

    def start(self, value: Any) -> float:
        if isinstance(value, datetime.datetime):
            moment = value
        else:
            try:
                moment = datetime.datetime.fromisoformat(str(value))
            except ValueError:
                raise self.fail(
                    "start", f"not an ISO date and time: {value!r}"
                ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return moment.timestamp()

    def number(self, value: Any, where: str) -> float:
        """Seconds: a finite number from 0 up."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"expected a number of seconds, got {value!r}")
        if not 0 <= value < math.inf:
            raise self.fail(where, f"expected 0 seconds or more, got {value!r}")
        return float(value)

    def value(self, value: Any, where: str) -> float:
        """A finite number (a statistic, a skill level)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"expected a number, got {value!r}")
        if not math.isfinite(value):
            raise self.fail(where, f"expected a finite number, got {value!r}")
        return float(value)

    def table(self, value: Any, where: str) -> dict[str, Any]:
        """A mapping (empty when absent)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, "expected a mapping")
        return value

    def names(self, value: Any, where: str) -> builtins.list[str]:
        """A list of names (one name alone is a list of one)."""
        if value is None:
            return []
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return [str(value)]
        if not isinstance(value, list) or not all(
            isinstance(v, (str, int)) and not isinstance(v, bool) for v in value
        ):
            raise self.fail(where, "expected a list of names")
        return [str(v) for v in value]

    def named(self, entry: Any, where: str) -> dict[str, Any]:
        if not isinstance(entry, dict) or "name" not in entry:
            raise self.fail(where, "expected a mapping with a 'name'")
        return dict(entry)

    def category(self, entry: Any, where: str) -> dict[str, Any]:
        """A classification category: a name and its keywords."""
        category = self.named(entry, where)
        category["keywords"] = self.names(category.get("keywords"), where + ".keywords")
        return category

    def screening_rule(self, entry: Any, where: str) -> dict[str, Any]:
        """A screening rule: a name and a regular expression that compiles."""
        rule = self.named(entry, where)
        pattern = rule.get("pattern", "")
        if not isinstance(pattern, str):
            raise self.fail(where + ".pattern", "expected a regular expression")
        try:
            re.compile(pattern)
        except re.error as error:
            raise self.fail(
                where + ".pattern", f"not a regular expression: {error}"
            ) from None
        return rule

    def dn(self, entry: Any, where: str, switch: str) -> Dn:
        if not isinstance(entry, dict) or "number" not in entry:
            raise self.fail(where, "expected a mapping with a 'number'")
        kind = str(entry.get("type", "Extension"))
        if kind not in (
            "RoutingPoint",
            "Extension",
            "ACDQueue",
            "VirtualQueue",
            "InteractionQueue",
        ):
            raise self.fail(where, f"unknown DN type {kind!r}")
        options = {
            str(k): str(v)
            for k, v in self.table(entry.get("options"), where + ".options").items()
        }
        return Dn(str(entry["number"]), kind, str(entry.get("switch", switch)), options)

    def agent(self, entry: Any, where: str) -> Agent:
        if not isinstance(entry, dict) or "id" not in entry:
            raise self.fail(where, "expected a mapping with an 'id'")
        agent_id = str(entry["id"])
        state = str(entry.get("state", "ready"))
        if state not in AGENT_STATES:
            raise self.fail(
                where, f"unknown state {state!r} (one of {', '.join(AGENT_STATES)})"
            )
        skills = entry.get("skills") or {}
        if not isinstance(skills, dict):
            raise self.fail(where + ".skills", "expected a mapping of skill: level")
        return Agent(
            agent_id,
            place=str(entry.get("place", f"Place_{agent_id}")),
            dn=str(entry.get("dn", agent_id)),
            skills={
                str(k): self.value(v, f"{where}.skills.{k}") for k, v in skills.items()
            },
            groups=self.names(entry.get("groups"), where + ".groups"),
            place_groups=self.names(entry.get("place_groups"), where + ".place_groups"),
            state=state,
            wrap=self.number(entry.get("wrap", 0), where + ".wrap"),
        )

    def step(self, entry: Any, index: int, config: Config) -> Step:
        where = f"timeline[{index}]"
        if not isinstance(entry, dict) or "at" not in entry:
            raise self.fail(where, "expected a mapping with 'at' (seconds)")
        at = self.number(entry["at"], where + ".at")
        kinds = [
            k
            for k in ("call", "email", "chat", "message", "agent", "hangup", "consult")
            if k in entry
        ]
        if len(kinds) != 1:
            raise self.fail(
                where,
                "needs exactly one of call, email, chat, message, agent, hangup, consult",
            )
        kind = kinds[0]
        if kind == "agent":
            agent = str(entry["agent"])
            if agent not in config.agents:
                raise self.fail(where, f"no agent {agent!r}")
            state = str(entry.get("state", "ready"))
            if state not in ("ready", "not_ready", "logged_out"):
                raise self.fail(
                    where,
                    f"an agent can become ready, not_ready or logged_out, not {state!r}",
                )
            return Step(at, agent=agent, state=state)
        if kind == "hangup":
            return Step(at, hangup=str(entry["hangup"]))
        body = entry[kind]
        if not isinstance(body, dict):
            raise self.fail(f"{where}.{kind}", "expected a mapping")
        return Step(at, arrival=self.arrival(kind, body, f"{where}.{kind}", at, config))

    def items(self, value: Any, where: str) -> builtins.list[Any]:
        """A list (empty when absent)."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(where, "expected a list")
        return value

    def dialog(self, entry: Any, where: str) -> ScriptedDialog:
        """What one `<dialog:start>` returns: its `result` and `duration`."""
        entry = self.table(entry, where)
        return ScriptedDialog(
            dict(self.table(entry.get("result"), where + ".result")),
            self.number(entry.get("duration", 5), where + ".duration"),
        )

    def arrival(
        self, kind: str, body: dict[str, Any], where: str, at: float, config: Config
    ) -> Arrival:
        for required in (
            ("id", "to") if kind != "consult" else ("id", "agent", "call", "to")
        ):
            if required not in body:
                raise self.fail(where, f"missing {required!r}")
        g_uid, resource = str(body["id"]), str(body["to"])
        udata = dict(self.table(body.get("udata"), where + ".udata"))
        if kind in ("call", "consult"):
            interaction = Interaction(
                g_uid,
                ani=str(body.get("ani", "")),
                contactedaddr=resource,
                udata=udata,
                voice=VoiceProperties(
                    callid=g_uid,
                    connid=str(body.get("connid", g_uid)),
                    ani=str(body.get("ani", "")),
                    dnis=str(body.get("dnis", resource)),
                ),
            )
        elif kind == "email":
            udata.setdefault("FromAddress", str(body.get("from", "")))
            udata.setdefault("Subject", str(body.get("subject", "")))
            udata.setdefault("To", str(body.get("address", "")))
            interaction = Interaction(
                g_uid,
                category="email",
                media="email",
                udata=udata,
                msgbased=MessageProperties(
                    type="Inbound", media="email", queue=resource
                ),
            )
        elif kind == "chat":
            udata.setdefault("FirstName", str(body.get("from", "")))
            interaction = Interaction(
                g_uid, category="chat", media="chat", udata=udata, chat=ChatProperties()
            )
        else:
            media = str(body.get("media", "workitem"))
            if media not in MESSAGE_MEDIA:
                raise self.fail(
                    where + ".media",
                    f"unknown media {media!r} (one of {', '.join(sorted(MESSAGE_MEDIA))})",
                )
            udata.setdefault("FromAddress", str(body.get("from", "")))
            interaction = Interaction(
                g_uid,
                category=media,
                media=media,
                udata=udata,
                msgbased=MessageProperties(type="Inbound", media=media, queue=resource),
            )
        digits = body.get("digits") or []
        if not isinstance(digits, list):
            digits = [digits]
        dialogs = [
            self.dialog(d, f"{where}.dialogs[{i}]")
            for i, d in enumerate(self.items(body.get("dialogs"), where + ".dialogs"))
        ]
        reply_to = body.get("reply_to")
        if reply_to is not None and kind in ("email", "chat", "message"):
            interaction.parentid = str(reply_to)
            if interaction.msgbased is not None:
                interaction.msgbased.type = "InboundReply"
        patience = body.get("patience")
        contact = Contact(
            interaction,
            at,
            resource,
            digits=[None if d is None else str(d) for d in digits],
            dialogs=dialogs,
            patience=(
                None if patience is None else self.number(patience, where + ".patience")
            ),
            talk=self.number(body.get("talk", config.handle_time), where + ".talk"),
            body=str(body.get("body", body.get("text", ""))),
        )
        if kind == "consult":
            if str(body["agent"]) not in config.agents:
                raise self.fail(where, f"no agent {body['agent']!r}")
            return Arrival(contact, str(body["agent"]), str(body["call"]))
        return Arrival(contact)
