"""Scenario checks: everything wrong with a scenario, before anything is built.

Input: a scenario's plain value (mappings with text keys, lists, text, numbers,
booleans and null: what `scenario.py` makes of the YAML) and the directory its
application paths are relative to. Output: every `Problem` found, each naming
the entry it is about by its path (`("timeline", 2, "call")`) and, for an
unknown or misplaced key, the key; `scenario.py` turns paths into
`file:line:col`. Three passes, all of them run on every scenario:

1. `schema_problems`: the published JSON Schema (`scenario.schema.json` beside
   this module, the same file as `docs/scenario.schema.json`, draft 2020-12):
   unknown keys, types, required keys, enumerations, ranges and sizes. A YAML
   `.inf` or `.nan` is not a number here, as JSON has none.
2. `value_problems`: what a schema cannot judge: a `start` that is an ISO date
   and time, screening patterns that compile, fetch rules as `fetch.py` reads
   them.
3. `reference_problems`: names that must name something: agents in timeline
   entries, declared groups, the calls consults and hang-ups name, the routing
   points and interaction queues arrivals and applications name, application
   documents that exist; and names given twice.

Passes 2 and 3 read only what has the right shape, so one run reports all.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
import os
from pathlib import Path
from typing import Any

from .fetch import RuleError, parse_rules

__all__ = [
    "Problem",
    "did_you_mean",
    "problems",
    "render_path",
    "schema",
]

EntryPath = tuple[str | int, ...]
"""Where an entry is in a scenario: keys and list indices from the top."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: the entry at `path` (its key `key`,
    when the key itself is wrong), and what is wrong with it."""

    path: EntryPath
    message: str
    key: str | None = None
    position: tuple[int, int] | None = None
    """Line and column (from 1) when the reader knows them better than the path."""

    def text(self) -> str:
        """`timeline[2].call: missing 'to'`."""
        where = render_path(self.path)
        return f"{where}: {self.message}" if where else self.message


def render_path(path: EntryPath) -> str:
    """`timeline[2].call.udata`; keys that are not plain names in brackets
    (`statistics['Sales@Stat_Server.GA']`)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][\w-]*", part):
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """` (did you mean 'talk'?)`, or nothing when no known name is close."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def problems(value: Any, base: Path) -> list[Problem]:
    """Every problem of the scenario `value` whose applications are relative
    to the directory `base`."""
    found = schema_problems(value)
    if isinstance(value, dict):
        fetch_read = not any(p.path[:1] == ("fetch",) for p in found)
        found += value_problems(value, fetch=fetch_read)
        found += reference_problems(value, base)
    return found


# -- 1. the schema ----------------------------------------------------------------------


@cache
def schema() -> dict[str, Any]:
    """The scenario JSON Schema, as published in docs/scenario.schema.json."""
    text = resources.files(__package__).joinpath("scenario.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Any:
    """A draft 2020-12 validator of `schema()` whose numbers are finite."""
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine_many(
        {
            "number": lambda _, value: _finite(value),
            "integer": lambda _, value: _finite(value) and float(value).is_integer(),
        }
    )
    extend: Any = validators.extend  # its stubs leave it untyped
    validator_class = extend(Draft202012Validator, type_checker=checker)
    return validator_class(schema())


def _finite(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def schema_problems(value: Any) -> list[Problem]:
    """What the JSON Schema finds, in words: one problem per unknown key,
    missing key or wrong value; a value of the wrong type hides the other
    complaints about the same entry."""
    found: list[Problem] = []
    for error in _validator().iter_errors(value):
        found.extend(_explain(error))
    mistyped = {p.path for p in found if p.message.startswith("expected ")}
    return [
        p for p in found if p.message.startswith("expected ") or p.path not in mistyped
    ]


def _explain(error: Any) -> Iterator[Problem]:
    """The problems one jsonschema `ValidationError` stands for."""
    path: EntryPath = tuple(error.absolute_path)
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    title = _title(error)
    if keyword == "type":
        yield Problem(path, f"expected {title}, got {_shown(instance)}")
    elif keyword == "required":
        for name in expected:
            if name not in instance:
                yield Problem(path, f"missing {name!r}")
    elif keyword == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        for name in instance:
            if name not in known and not any(re.search(p, name) for p in patterns):
                hint = did_you_mean(name, known) or _one_of(sorted(known))
                yield Problem(path, f"unknown key {name!r}{hint}", key=name)
    elif keyword == "enum":
        names = [str(v) for v in expected]
        hint = did_you_mean(str(instance), names) or _one_of(names)
        yield Problem(path, f"unknown {title} {instance!r}{hint}")
    elif keyword in ("minimum", "maximum"):
        yield Problem(path, _out_of_range(error.schema, title, instance))
    elif keyword in ("maxItems", "maxProperties"):
        yield Problem(path, f"more than {expected} {_plural(title)} (the limit)")
    elif keyword == "maxLength":
        yield Problem(path, f"longer than {expected} characters (the limit)")
    elif keyword == "minLength":
        yield Problem(path, f"expected {title}, got {instance!r}")
    elif keyword == "pattern":
        key = instance if _is_key_error(error) else None
        yield Problem(path, f"not {title}: {instance!r}", key=key)
    elif keyword == "oneOf" and isinstance(instance, dict):
        yield Problem(path, _exactly_one(expected, instance))
    elif keyword == "dependentRequired":
        for name, needed in expected.items():
            if name in instance:
                others = " and ".join(repr(n) for n in needed)
                yield Problem(path, f"{name!r} goes with {others}", key=name)
    elif keyword != "oneOf":
        yield Problem(path, error.message)


def _title(error: Any) -> str:
    """The noun phrase of the schema that rejected a value (`a list of group
    names`): the title of the schema that names the value, the one a `$ref`
    leads to when the referring schema has none."""
    node: Any = schema()
    title = node.get("title")
    *parts, keyword = error.absolute_schema_path
    for part in [*parts, keyword]:
        while isinstance(node, dict) and part not in node and "$ref" in node:
            node = _resolve(node["$ref"])
            title = title or node.get("title")
        if part is keyword:
            break
        node = node[part]
        title = node.get("title") if isinstance(node, dict) else None
    return str(title or "a valid value")


def _resolve(reference: str) -> Any:
    """The schema a local `$ref` (`#/$defs/name`) names."""
    node: Any = schema()
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _is_key_error(error: Any) -> bool:
    return "propertyNames" in error.absolute_schema_path


def _shown(value: Any) -> str:
    """A rejected value in a message: scalars as written, containers by kind."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, (set, frozenset)):
        return "a set"
    return repr(value)


def _one_of(names: list[str]) -> str:
    """` (one of a, b, c)` for a short list of names; nothing for a long one."""
    return f" (one of {', '.join(names)})" if 0 < len(names) <= 12 else ""


def _plural(title: str) -> str:
    """What a list or mapping titled `a list of rules` holds: `rules`."""
    for lead in ("a list of ", "a mapping of "):
        if title.startswith(lead):
            return title[len(lead) :].split(" to ")[0]
    return "entries"


def _number(value: Any) -> str:
    return f"{int(value)}" if float(value).is_integer() else f"{value:g}"


def _out_of_range(rules: Mapping[str, Any], title: str, value: Any) -> str:
    """`expected 0 to 86400 seconds, got -1`; `expected an HTTP status from
    100 to 599, got 700`."""
    low, high = rules.get("minimum"), rules.get("maximum")
    if low is not None and high is not None:
        span = f"{_number(low)} to {_number(high)}"
    elif low is not None:
        span = f"{_number(low)} or more"
    else:
        span = f"{_number(high)} or less"
    if title.startswith("a number of "):
        return f"expected {span} {title.removeprefix('a number of ')}, got {value!r}"
    return f"expected {title} from {span}, got {value!r}"


def _exactly_one(choices: list[dict[str, Any]], instance: dict[str, Any]) -> str:
    """`needs exactly one of 'url' and 'prefix'` for a `oneOf` of `required`s."""
    names = [name for choice in choices for name in choice.get("required", [])]
    quoted = [repr(n) for n in names]
    listed = (
        " and ".join(quoted)
        if len(quoted) == 2
        else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    )
    present = [name for name in names if name in instance]
    has = f" (it has {' and '.join(present)})" if len(present) > 1 else ""
    return f"needs exactly one of {listed}{has}"


# -- 2. values --------------------------------------------------------------------------


def value_problems(value: dict[str, Any], *, fetch: bool = True) -> list[Problem]:
    """Dates, patterns and (with `fetch`) fetch rules, where their shape is right."""
    found: list[Problem] = []
    start = value.get("start")
    if isinstance(start, str) and parse_start(start) is None:
        found.append(Problem(("start",), f"not an ISO date and time: {start!r}"))
    for index, rule in _entries(value, "screening"):
        pattern = rule.get("pattern")
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error as error:
                found.append(
                    Problem(
                        ("screening", index, "pattern"),
                        f"not a regular expression: {error}",
                    )
                )
    if fetch:
        try:
            parse_rules(value.get("fetch"))
        except RuleError as error:
            found.append(Problem(parse_path(error.where), error.message))
    return found


def parse_start(text: str) -> float | None:
    """The POSIX time of an ISO 8601 date and time (UTC without a zone), or None."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def parse_path(where: str) -> EntryPath:
    """The path `render_path` rendered as `where` (`fetch[0].headers.X-A`,
    `fetch['http://a/']`)."""
    import ast

    path: list[str | int] = []
    for name, index, quoted in re.findall(
        r"(?:^|\.)([A-Za-z_][\w-]*)|\[(\d+)\]|\[('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\]",
        where,
    ):
        if name:
            path.append(name)
        elif index:
            path.append(int(index))
        else:
            path.append(str(ast.literal_eval(quoted)))
    return tuple(path)


# -- 3. references ----------------------------------------------------------------------


ROUTING_POINT = "RoutingPoint"
ARRIVALS = ("call", "consult", "email", "chat", "message")


def points(value: Mapping[str, Any]) -> dict[str, str]:
    """The scenario's routing points and interaction queues: name -> what it is."""
    found: dict[str, str] = {}
    for _, dn in _entries(value, "dns"):
        if dn.get("type") == ROUTING_POINT and isinstance(dn.get("number"), str):
            found[dn["number"]] = "routing point"
    for name in _names(value.get("interaction_queues")):
        found.setdefault(name, "interaction queue")
    return found


def reference_problems(value: dict[str, Any], base: Path) -> list[Problem]:
    """Names that name nothing, and names given twice."""
    return [
        *_agent_problems(value),
        *_dn_problems(value),
        *_queue_problems(value),
        *_application_problems(value, base),
        *_timeline_problems(value),
    ]


def _agent_problems(value: dict[str, Any]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    extensions: dict[str, str] = {}
    declared = {
        key: set(_names(value[key])) if isinstance(value.get(key), list) else None
        for key in ("groups", "place_groups")
    }
    others = {
        dn["number"]: (index, dn["type"])
        for index, dn in _entries(value, "dns")
        if dn.get("type", "Extension") != "Extension"
        and isinstance(dn.get("number"), str)
    }
    for index, agent in _entries(value, "agents"):
        name = agent.get("id")
        if not isinstance(name, str):
            continue
        if name in seen:
            yield Problem(
                ("agents", index, "id"),
                f"agent {name!r} is defined twice (first at agents[{seen[name]}])",
            )
        seen.setdefault(name, index)
        dn = agent.get("dn", name)
        if isinstance(dn, str):
            if dn in extensions and extensions[dn] != name:
                yield Problem(
                    ("agents", index, "dn"),
                    f"agent {extensions[dn]!r} has DN {dn!r} too",
                )
            extensions.setdefault(dn, name)
            if dn in others:
                at, kind = others[dn]
                yield Problem(
                    ("agents", index, "dn" if "dn" in agent else "id"),
                    f"DN {dn!r} is a {kind} (dns[{at}]); an agent's DN is an "
                    "Extension",
                )
        for key, known in declared.items():
            if known is None or not isinstance(agent.get(key), list):
                continue
            for position, group in enumerate(agent[key]):
                if isinstance(group, str) and group not in known:
                    yield Problem(
                        ("agents", index, key, position),
                        f"no group {group!r} in the scenario's {key}"
                        + did_you_mean(group, known),
                    )


def _dn_problems(value: dict[str, Any]) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, dn in _entries(value, "dns"):
        number = dn.get("number")
        if isinstance(number, str):
            if number in seen:
                yield Problem(
                    ("dns", index, "number"),
                    f"DN {number!r} is defined twice (first at dns[{seen[number]}])",
                )
            seen.setdefault(number, index)


NAME_LISTS = ("groups", "place_groups", "virtual_queues", "interaction_queues")
"""The scenario's lists of names, each name given once."""


def _queue_problems(value: dict[str, Any]) -> Iterator[Problem]:
    """Names given twice in a list of names, and interaction queues named
    like a routing point (an arrival there would go to both)."""
    routing_points = {
        dn["number"]: index
        for index, dn in _entries(value, "dns")
        if dn.get("type") == ROUTING_POINT and isinstance(dn.get("number"), str)
    }
    for key in NAME_LISTS:
        names = value.get(key)
        seen: dict[str, int] = {}
        for index, name in enumerate(names if isinstance(names, list) else []):
            if not isinstance(name, str):
                continue
            if name in seen:
                yield Problem(
                    (key, index),
                    f"{name!r} is listed twice (first at {key}[{seen[name]}])",
                )
            elif key == "interaction_queues" and name in routing_points:
                yield Problem(
                    (key, index),
                    f"{name!r} is a routing point too (dns[{routing_points[name]}]); "
                    "an interaction queue needs a name of its own",
                )
            seen.setdefault(name, index)


def _application_problems(value: dict[str, Any], base: Path) -> Iterator[Problem]:
    applications = value.get("applications")
    if not isinstance(applications, dict):
        return
    known = points(value)
    for resource, document in applications.items():
        if resource not in known:
            yield Problem(
                ("applications",),
                f"{resource!r} is not a routing point or interaction queue of the "
                f"scenario{did_you_mean(resource, known)}; declare it in dns with "
                "type RoutingPoint, or in interaction_queues",
                key=resource,
            )
        if isinstance(document, str) and document:
            located = base / document
            refusal = _outside_project(document, located, base)
            if refusal is not None:
                yield Problem(("applications", resource), refusal)
            elif not located.is_file():
                yield Problem(
                    ("applications", resource),
                    f"no document {document!r} (looked for {located})",
                )


def _outside_project(document: str, located: Path, base: Path) -> str | None:
    """Why a scenario may not name `document` (at `located`, the scenario's
    folder being `base`) as an application, or None. A scenario is untrusted:
    it names SCXML documents (`.scxml`) under its own folder or the current
    directory, checked as text before the file system is asked, then by the
    real path (a link may not lead out)."""
    if not document.endswith(".scxml"):
        return f"{document!r} is not an SCXML document (a name ending in .scxml)"
    folders = [os.path.abspath(base), os.getcwd()]
    written = os.path.normpath(os.path.abspath(located))
    real = os.path.realpath(located)
    if not any(_within(written, folder) for folder in folders) or not any(
        _within(real, os.path.realpath(folder)) for folder in folders
    ):
        return (
            f"{document!r} is outside the scenario's folder and the current "
            "directory; a scenario names documents under them"
        )
    return None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _timeline_problems(value: dict[str, Any]) -> Iterator[Problem]:
    agents = {agent["id"] for _, agent in _entries(value, "agents") if "id" in agent}
    known = points(value)
    arrivals: dict[str, tuple[int, float]] = {}
    steps = list(_entries(value, "timeline"))
    for index, step in steps:
        for kind in ARRIVALS:
            body = step.get(kind)
            if isinstance(body, dict) and isinstance(body.get("id"), str):
                name = body["id"]
                if name in arrivals:
                    yield Problem(
                        ("timeline", index, kind, "id"),
                        f"{name!r} arrives twice (first at timeline[{arrivals[name][0]}])",
                    )
                at = step.get("at")
                arrivals.setdefault(
                    name, (index, at if isinstance(at, (int, float)) else 0.0)
                )
    for index, step in steps:
        yield from _step_problems(index, step, agents, known, arrivals)


def _step_problems(
    index: int,
    step: dict[str, Any],
    agents: set[str],
    known: dict[str, str],
    arrivals: dict[str, tuple[int, float]],
) -> Iterator[Problem]:
    where: EntryPath = ("timeline", index)
    agent = step.get("agent")
    if isinstance(agent, str) and agent not in agents:
        yield Problem(
            (*where, "agent"), f"no agent {agent!r}{did_you_mean(agent, agents)}"
        )
    hangup = step.get("hangup")
    if isinstance(hangup, str):
        yield from _arrived(
            (*where, "hangup"), hangup, step.get("at"), arrivals, "to hang up"
        )
    for kind in ARRIVALS:
        body = step.get(kind)
        if not isinstance(body, dict):
            continue
        target = body.get("to")
        if isinstance(target, str) and target not in known:
            yield Problem(
                (*where, kind, "to"),
                f"no routing point or interaction queue {target!r} in the scenario"
                + did_you_mean(target, known),
            )
        if kind != "consult":
            continue
        consultant = body.get("agent")
        if isinstance(consultant, str) and consultant not in agents:
            yield Problem(
                (*where, kind, "agent"),
                f"no agent {consultant!r}{did_you_mean(consultant, agents)}",
            )
        call = body.get("call")
        if isinstance(call, str):
            yield from _arrived(
                (*where, kind, "call"), call, step.get("at"), arrivals, "to consult on"
            )


def _arrived(
    where: EntryPath,
    name: str,
    at: Any,
    arrivals: dict[str, tuple[int, float]],
    purpose: str,
) -> Iterator[Problem]:
    """A problem unless `name` is an arrival of the timeline that comes no
    later than `at`."""
    if name not in arrivals:
        hint = did_you_mean(name, arrivals)
        yield Problem(where, f"no call or other arrival {name!r} {purpose}{hint}")
    elif isinstance(at, (int, float)) and arrivals[name][1] > at:
        yield Problem(
            where,
            f"{name!r} arrives only at {_number(arrivals[name][1])}s "
            f"(timeline[{arrivals[name][0]}]), after this entry",
        )


def _entries(
    value: Mapping[str, Any], key: str
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The mappings of the list `value[key]` with their indices."""
    entries = value.get(key)
    if isinstance(entries, list):
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                yield index, entry


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
