"""Events: which a chart's transitions wait for, and which anything can send it.

Input: a `ChartAnalysis`. Output:

- `accepted_events(chart)`: the event names the chart accepts, which the
  generated module declares as a `Literal` so that `machine.send("dtfm")` is
  a type error: the descriptors of its transitions, and the names it knows are
  sent (by the platform, by its own `<raise>` and `<send>`) that those
  descriptors match (`queue.submit.done` under `queue`). None when a `*`
  descriptor accepts every name.
- `check_events(chart, diagnostics)`: a warning for each descriptor nothing
  can send. Only what is certain enough: names under the platform's own
  prefixes (`done.state.<id>` of no compound or parallel state,
  `done.invoke.<id>` of no invoke, `error.*` the platform never raises and, in
  ORS documents, `queue.*`, `interaction.*`, ... not in the extension tables,
  which the session server refuses from callers), and names a document's own
  `<raise>` or `<send>` nearly spells (`queue.submitted` raised,
  `queue.submited` awaited). Any other name may come from outside (`send()`,
  the REST API, another session), so it is not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from scxmlc.runtime.chart import COMPOUND, PARALLEL
from scxmlc.runtime.ors.reserved import RESERVED_EVENTS

from . import ir
from .analysis import ChartAnalysis
from .diagnostics import Diagnostics
from .ors.events import PLATFORM_PREFIXES, platform_events
from .suggestions import closest
from .walk import actions, blocks, expressions, scripts, states

__all__ = ["EventSources", "accepted_events", "check_events", "event_sources"]

SCXML_EVENTS: Final = ("error.execution", "error.communication")
"""The platform events of every SCXML document (besides `done.*`)."""
SCXML_RESERVED: Final = ("done", "error")
"""The prefixes of the events only an SCXML processor raises."""
NEAR: Final = 0.8
"""How like a name the document sends a descriptor must be to be reported as
its misspelling (difflib's ratio: `queue.submited` is 0.97 like `queue.submitted`)."""
_QUOTED = re.compile(r"""^\s*(['"])([^'"\\]*)\1\s*$""")
_RAISE_CALL = re.compile(r"""__Raise\s*\(\s*(?:(['"])([^'"\\]*)\1)?""")


@dataclass
class EventSources:
    """What can send a chart its events.

    `names` are exact names; `prefixes` descriptors below which any name may
    come (`error.badfetch`, `done.invoke` of an invoke without an id);
    `dynamic` says the document also sends names computed when it runs
    (`eventexpr`, a child document read from `src`); `reserved` are the
    prefixes only the platform sends under.
    """

    names: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    dynamic: bool = False
    reserved: tuple[str, ...] = SCXML_RESERVED
    sent: set[str] = field(default_factory=set)
    """The names the document's own `<raise>`, `<send>` and `__Raise` send."""

    def matched_by(self, descriptor: str) -> bool:
        """Whether `descriptor` matches a name something may send."""
        if descriptor == "*":
            return True
        if any(_matches(descriptor, name) for name in self.names):
            return True
        return any(
            _matches(descriptor, prefix) or _matches(prefix, descriptor)
            for prefix in self.prefixes
        )

    def reserved_for(self, descriptor: str) -> str | None:
        """The platform prefix `descriptor` falls under, if any."""
        for prefix in self.reserved:
            if _matches(prefix, descriptor):
                return prefix
        return None


def _matches(descriptor: str, name: str) -> bool:
    """SCXML's descriptor match (3.12.1): `a.b` matches `a.b` and `a.b.c`."""
    return name == descriptor or name.startswith(descriptor + ".")


def event_sources(chart: ChartAnalysis) -> EventSources:
    """Every event the platform and `chart`'s document can send it."""
    document = chart.document
    sources = EventSources(names=set(SCXML_EVENTS))
    if document.ors:
        sources.names |= platform_events()
        sources.prefixes |= set(PLATFORM_PREFIXES)
        sources.reserved = RESERVED_EVENTS
    for state in chart.states[1:]:
        if state.kind in (COMPOUND, PARALLEL) and state.id:
            sources.names.add(f"done.state.{state.id}")
    for node in states(document):
        for invoke in node.invokes:
            if invoke.id:
                sources.names.add(f"done.invoke.{invoke.id}")
            else:
                sources.prefixes.add("done.invoke")
            if invoke.child is None:
                sources.dynamic = True  # a child read from `src` may send anything
    for name in _sent(document, sources):
        sources.sent.add(name)
    sources.names |= sources.sent
    return sources


def _sent(document: ir.Document, sources: EventSources) -> Iterator[str]:
    """The names `document` (and the child documents it holds) raise and send;
    marks `sources` dynamic where a name is computed when the code runs."""
    for block in blocks(document):
        for action in actions(block):
            if isinstance(action, ir.Raise):
                yield action.event
            elif isinstance(action, ir.Send):
                if action.event is not None:
                    yield action.event
                elif action.eventexpr is not None:
                    literal = _QUOTED.match(action.eventexpr.text)
                    if literal is None:
                        sources.dynamic = True
                    else:
                        yield literal.group(2)
            elif isinstance(action, ir.Cancel) and action.answered:
                yield from ("cancel.successful", "error.notallowed")
    texts = [e.text for e in expressions(document)]
    texts += [s.source for s in scripts(document)]
    for text in texts:
        for call in _RAISE_CALL.finditer(text):
            if call.group(2) is None:
                sources.dynamic = True
            else:
                yield call.group(2)
    for node in states(document):
        for invoke in node.invokes:
            if invoke.child is not None:
                yield from _sent(invoke.child, sources)


def accepted_events(chart: ChartAnalysis) -> list[str] | None:
    """The names `chart` accepts (see the module docstring), sorted; None
    when it accepts any name (a `*` descriptor, or an autoforwarding invoke of
    a document read at run time)."""
    descriptors = set(_descriptors(chart))
    if "*" in descriptors:
        return None
    accepted = set(descriptors)
    sources = event_sources(chart)
    for name in sources.names | sources.prefixes:
        if any(_matches(d, name) for d in descriptors):
            accepted.add(name)
    for node in states(chart.document):
        for invoke in node.invokes:
            if not invoke.autoforward:
                continue
            if invoke.child is None:
                return None
            forwarded = accepted_events(chart.child(invoke.child))
            if forwarded is None:
                return None
            accepted.update(forwarded)
    return sorted(accepted)


def _descriptors(chart: ChartAnalysis) -> Iterator[str]:
    for transition in chart.transitions:
        yield from transition.events


def check_events(chart: ChartAnalysis, diagnostics: Diagnostics) -> None:
    """Warn of each descriptor of `chart` (and its child documents) nothing
    can send (see the module docstring)."""
    sources = event_sources(chart)
    known = sorted(sources.names | sources.prefixes)
    for transition in chart.transitions:
        node = transition.node
        if node is None or not node.events:
            continue
        where = node.events_loc or node.loc
        locs = chart.document.sources.words(where, len(node.events))
        for descriptor, loc in zip(node.events, locs):
            message = _problem(descriptor, sources, known)
            if message is not None:
                diagnostics.warning(loc, f"<transition event>: {message}")
    for child in chart.children.values():
        check_events(child, diagnostics)


def _problem(descriptor: str, sources: EventSources, known: list[str]) -> str | None:
    """What is wrong with waiting for `descriptor`, or None."""
    if sources.matched_by(descriptor):
        return None
    prefix = sources.reserved_for(descriptor)
    if prefix is not None:
        if prefix == "error" and sources.dynamic:
            return None
        near = closest(descriptor, known)
        hint = f" (did you mean '{near}'?)" if near else ""
        return (
            f"no event the platform or the document sends matches "
            f"'{descriptor}'{hint}: only the platform sends '{prefix}.*' events, "
            "so the transition never fires"
        )
    if sources.dynamic:
        return None
    near = closest(descriptor, sources.sent, NEAR)
    if near is None:
        return None
    return (
        f"nothing in the document raises or sends '{descriptor}' (did you mean "
        f"'{near}'?): the transition fires only on an event sent from outside"
    )
