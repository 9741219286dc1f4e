"""Pictures of a statechart: Graphviz (SVG, PNG) and Mermaid `stateDiagram-v2`.

Input: an analysed chart (`analysis.ChartAnalysis`, built from the IR of
`parse`). `chart_picture` turns it into a `Picture`: the states as a tree
(compound and parallel states hold their children), the initial and history
markers, and every transition with its label, `event [condition] / actions`,
where the actions are the extension elements (`queue:submit`, `ixn:redirect`,
...) its content runs. `to_dot` writes the picture as Graphviz DOT text, with
compound and parallel states as clusters; `render_graphviz` has Graphviz's `dot`
make SVG or PNG of it; `to_mermaid` writes Mermaid text for Markdown.

Everything comes out in document order, so the same document always gives the
same bytes. In the SVG, the group of state `S` has the id `state:S` (a node, or
a cluster for compound and parallel states) and the group of transition `N`
(document order, as the runtime numbers them) the id `transition:N`:
`scxmlc run --html` finds them there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from scxmlc.runtime.chart import (
    COMPOUND,
    DEEP_HISTORY,
    FINAL,
    PARALLEL,
    ROOT,
    SHALLOW_HISTORY,
)

from . import ir
from .analysis import ChartAnalysis

__all__ = [
    "GraphvizMissing",
    "Picture",
    "PictureState",
    "PictureTransition",
    "chart_picture",
    "render_graphviz",
    "to_dot",
    "to_mermaid",
]

_PREFIXES = {"interaction": "ixn"}
"""Extension prefixes that are not the last part of their namespace URI."""

_MAX_LABEL = 60
"""Characters of a condition shown on an edge at most (longer ones are cut)."""


class GraphvizMissing(Exception):
    """Graphviz's `dot` program is not installed (or not on PATH)."""


@dataclass(frozen=True, slots=True)
class PictureState:
    """One state: `kind` is `state`, `compound`, `parallel`, `final`,
    `history` or `deep history`; `initial` the children a compound state
    (or the root) enters by default; `entry` the extension elements its
    `<onentry>` runs (`queue:submit`)."""

    index: int
    id: str
    kind: str
    children: tuple[PictureState, ...]
    initial: tuple[str, ...]
    entry: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PictureTransition:
    """One transition (document order `index`, as the runtime numbers them;
    a history state's default transition is one, the initial transitions
    of compound states are drawn as initial markers instead); `targets`
    empty for a targetless one."""

    index: int
    source: str
    targets: tuple[str, ...]
    label: str


@dataclass(frozen=True, slots=True)
class Picture:
    """What a picture of a chart shows: `root` (the `<scxml>` element, its
    children the top-level states) and the transitions, document order."""

    name: str
    root: PictureState
    transitions: tuple[PictureTransition, ...]

    def states(self) -> Iterator[PictureState]:
        """Every state but the root, document order."""
        pending = list(reversed(self.root.children))
        while pending:
            state = pending.pop()
            yield state
            pending.extend(reversed(state.children))


# -- the picture ----------------------------------------------------------------


def chart_picture(chart: ChartAnalysis) -> Picture:
    """The picture of `chart`: its states, markers and labelled transitions."""
    ids = [s.id for s in chart.states]

    def state(index: int) -> PictureState:
        node = chart.states[index]
        initial: tuple[str, ...] = ()
        if node.initial >= 0 and node.kind in (COMPOUND, ROOT):
            initial = tuple(ids[t] for t in chart.transitions[node.initial].targets)
        return PictureState(
            index,
            node.id,
            _kind(node.kind, bool(node.children)),
            tuple(state(child) for child in node.children),
            initial,
            _entry_actions(node.node),
        )

    transitions = tuple(
        PictureTransition(
            t.index,
            ids[t.source],
            tuple(ids[x] for x in t.targets),
            _label(t.node),
        )
        for t in chart.transitions
        if not t.initial
        or chart.states[t.source].kind in (SHALLOW_HISTORY, DEEP_HISTORY)
    )
    name = chart.document.name or "scxml"
    return Picture(name, state(0), transitions)


def _kind(kind: int, has_children: bool) -> str:
    if kind == PARALLEL:
        return "parallel"
    if kind == FINAL:
        return "final"
    if kind == SHALLOW_HISTORY:
        return "history"
    if kind == DEEP_HISTORY:
        return "deep history"
    return "compound" if has_children else "state"


def _label(transition: ir.Transition | None) -> str:
    """`event [condition] / actions` of a transition (parts it lacks left out)."""
    if transition is None:
        return ""
    parts = []
    if transition.events:
        parts.append(" ".join(transition.events))
    if transition.cond is not None:
        cond = " ".join(transition.cond.text.split())
        if len(cond) > _MAX_LABEL:
            cond = cond[: _MAX_LABEL - 1] + "…"
        parts.append(f"[{cond}]")
    actions = list(dict.fromkeys(_actions(transition.body)))
    if actions:
        parts.append("/ " + ", ".join(actions))
    return " ".join(parts)


def _entry_actions(state: ir.State | None) -> tuple[str, ...]:
    """The extension elements the `<onentry>` blocks of `state` run."""
    if state is None:
        return ()
    found = (a for block in state.onentry for a in _actions(block))
    return tuple(dict.fromkeys(found))


def _actions(body: tuple[ir.Action, ...]) -> Iterator[str]:
    """The extension elements `body` runs (`queue:submit`), nested ones too."""
    for action in body:
        if isinstance(action, ir.Custom):
            yield f"{_prefix(action.namespace)}:{action.name}"
        elif isinstance(action, ir.If):
            for _, branch in action.branches:
                yield from _actions(branch)
        elif isinstance(action, ir.Foreach):
            yield from _actions(action.body)


def _prefix(namespace: str) -> str:
    last = namespace.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return _PREFIXES.get(last, last)


# -- Graphviz -------------------------------------------------------------------


def to_dot(picture: Picture) -> str:
    """The picture as Graphviz DOT text (clusters for compound and parallel
    states; `id` attributes as the module's docstring says)."""
    lines = [
        f"digraph {_quote(picture.name)} {{",
        '  graph [compound=true, rankdir=TB, fontname="Helvetica", fontsize=11,'
        " nodesep=0.3, ranksep=0.35];",
        '  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled",'
        ' fillcolor="#ffffff", color="#4a5568", height=0.3];',
        '  edge [fontname="Helvetica", fontsize=9, color="#4a5568", arrowsize=0.7];',
    ]
    lines += _dot_initial(picture.root, "root", "  ")
    for child in picture.root.children:
        lines += _dot_state(child, "  ")
    lines += [_dot_edge(picture, t) for t in picture.transitions]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node(state: PictureState) -> str:
    """The DOT node a state is drawn as (for a cluster: its anchor)."""
    return f"s{state.index}"


def _dot_state(state: PictureState, indent: str) -> list[str]:
    name = _node(state)
    ident = _quote("state:" + state.id)
    if state.kind in ("compound", "parallel"):
        style = "dashed" if state.kind == "parallel" else "rounded"
        label = state.id + (" ∥" if state.kind == "parallel" else "")
        label += _entry_text(state)
        lines = [
            f"{indent}subgraph cluster_{name} {{",
            f"{indent}  graph [id={ident}, label={_quote(label)}, style={style},"
            ' color="#4a5568", labeljust=l];',
            f'{indent}  {name} [shape=point, style=invis, width=0.01, id="anchor:{name}"];',
        ]
        lines += _dot_initial(state, name, indent + "  ")
        for child in state.children:
            lines += _dot_state(child, indent + "  ")
        lines.append(f"{indent}}}")
        return lines
    if state.kind == "final":
        shape = f"label={_quote(state.id + _entry_text(state))}, peripheries=2"
    elif state.kind in ("history", "deep history"):
        mark = "H*" if state.kind == "deep history" else "H"
        shape = (
            f"label={_quote(mark)}, shape=circle, width=0.35, fixedsize=true, "
            f"tooltip={_quote(state.id)}"
        )
    else:
        shape = f"label={_quote(state.id + _entry_text(state))}"
    return [f"{indent}{name} [id={ident}, {shape}];"]


def _entry_text(state: PictureState) -> str:
    """What a state's label says of its entry actions (a second line,
    `entry / queue:submit`), or nothing."""
    return f"\nentry / {', '.join(state.entry)}" if state.entry else ""


def _dot_initial(state: PictureState, owner: str, indent: str) -> list[str]:
    """The initial marker of a compound state (or the root) and its arrows."""
    if not state.initial:
        return []
    marker = f"initial_{owner}"
    lines = [
        f'{indent}{marker} [shape=point, width=0.12, label="", fillcolor="#1a202c", id="initial:{state.id or owner}"];'
    ]
    targets = {child.id: child for child in _descendants(state)}
    for target in state.initial:
        found = targets.get(target)
        if found is not None:
            lines.append(f"{indent}{marker} -> {_endpoint(found, 'lhead')};")
    return lines


def _descendants(state: PictureState) -> Iterator[PictureState]:
    for child in state.children:
        yield child
        yield from _descendants(child)


def _endpoint(state: PictureState, clip: str) -> str:
    """A node to draw an arrow to or from `state`, clipped at its cluster."""
    if state.kind in ("compound", "parallel"):
        return f"{_node(state)} [{clip}=cluster_{_node(state)}]"
    return _node(state)


def _dot_edge(picture: Picture, transition: PictureTransition) -> str:
    states = {s.id: s for s in picture.states()}
    source = states[transition.source]
    attributes = [
        f'id="transition:{transition.index}"',
        f"label={_quote(transition.label)}" if transition.label else 'label=""',
    ]
    if source.kind in ("compound", "parallel"):
        attributes.append(f"ltail=cluster_{_node(source)}")
    targets = transition.targets or (transition.source,)
    if not transition.targets:
        attributes.append("style=dashed")
    ends = []
    for target_id in targets:
        target = states[target_id]
        edge = list(attributes)
        if target.kind in ("compound", "parallel") and target is not source:
            edge.append(f"lhead=cluster_{_node(target)}")
        ends.append(f"  {_node(source)} -> {_node(target)} [{', '.join(edge)}];")
    return "\n".join(ends)


def _quote(text: str) -> str:
    """A DOT string: double-quoted, `"` and `\\` escaped, `\\n` between the
    lines of `text` (whitespace within a line collapsed)."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    escaped = (line.replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return '"' + "\\n".join(escaped) + '"'


def render_graphviz(dot: str, fmt: str) -> bytes:
    """`dot` laid out by Graphviz's `dot` program as `fmt` (`svg`, `png`);
    `GraphvizMissing` when the program is not installed."""
    import graphviz  # type: ignore[import-untyped]

    try:
        picture: bytes = graphviz.Source(dot).pipe(format=fmt)
        return picture
    except graphviz.ExecutableNotFound as error:
        raise GraphvizMissing(str(error)) from None


# -- Mermaid --------------------------------------------------------------------


_SIMPLE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MERMAID_CODES = {
    "#": "#35;",
    "<": "#lt;",
    ">": "#gt;",
    '"': "#quot;",
    ";": "#59;",
    "{": "#123;",
    "}": "#125;",
}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_CODES)) + "]")
_MERMAID_KEYWORDS = frozenset({"state", "note", "end", "direction", "class", "click"})


def to_mermaid(picture: Picture) -> str:
    """The picture as Mermaid `stateDiagram-v2` text (a history state is a
    plain state labelled `H` or `H*`; a parallel state's regions are
    separated by `--`)."""
    names = {s.id: _mermaid_name(s) for s in picture.states()}
    lines = ["stateDiagram-v2"]
    lines += _mermaid_body(picture.root, names, "    ")
    for t in picture.transitions:
        label = f" : {_mermaid_text(t.label)}" if t.label else ""
        for target in t.targets or (t.source,):
            lines.append(f"    {names[t.source]} --> {names[target]}{label}")
    return "\n".join(lines) + "\n"


def _mermaid_name(state: PictureState) -> str:
    if _SIMPLE_ID.match(state.id) and state.id.lower() not in _MERMAID_KEYWORDS:
        return state.id
    return f"s{state.index}"


def _mermaid_body(state: PictureState, names: dict[str, str], indent: str) -> list[str]:
    lines = [f"{indent}[*] --> {names[target]}" for target in state.initial]
    for index, child in enumerate(state.children):
        if state.kind == "parallel" and index:
            lines.append(f"{indent}--")
        name = names[child.id]
        label = child.id
        if child.kind in ("history", "deep history"):
            label = "H*" if child.kind == "deep history" else "H"
        if label != name:
            lines.append(f'{indent}state "{_mermaid_text(label)}" as {name}')
        else:
            lines.append(f"{indent}{name}")
        if child.kind == "final":
            lines.append(f"{indent}{name} --> [*]")
        if child.children:
            lines.append(f"{indent}state {name} {{")
            lines += _mermaid_body(child, names, indent + "    ")
            lines.append(f"{indent}}}")
    return lines


def _mermaid_text(text: str) -> str:
    """Text Mermaid shows as written: entity codes for what it would read."""
    return _MERMAID_SPECIAL.sub(
        lambda match: _MERMAID_CODES[match.group()], " ".join(text.split())
    )
