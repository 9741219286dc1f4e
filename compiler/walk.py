"""Walking the IR: every state, every block of executable content, every action.

Datamodels use it to learn, before translating anything, which names a document
declares (`<data>`, `<foreach item>`, globals bound by `<script>`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from . import extensions, ir

__all__ = [
    "actions",
    "all_data",
    "blocks",
    "expressions",
    "locations",
    "mentions",
    "scripts",
    "states",
]


def states(document: ir.Document) -> Iterator[ir.State]:
    """All states of `document` in document order (not those of child documents)."""
    pending = list(reversed(document.children))
    while pending:
        state = pending.pop()
        yield state
        pending.extend(reversed(state.children))


def blocks(document: ir.Document) -> Iterator[tuple[ir.Action, ...]]:
    """Every block of executable content of `document`, in document order."""
    for state in states(document):
        yield from state.onentry
        if state.initial_transition is not None:
            yield state.initial_transition.body
        for transition in state.transitions:
            yield transition.body
        yield from state.onexit
        for invoke in state.invokes:
            yield invoke.finalize


def actions(block: tuple[ir.Action, ...]) -> Iterator[ir.Action]:
    """The actions of `block` and of the blocks nested in `<if>` and `<foreach>`."""
    for action in block:
        yield action
        if isinstance(action, ir.If):
            for _, body in action.branches:
                yield from actions(body)
        elif isinstance(action, ir.Foreach):
            yield from actions(action.body)


def all_data(document: ir.Document) -> Iterator[ir.Data]:
    """Every `<data>` of `document`: the top-level datamodel, then the states'."""
    yield from document.data
    for state in states(document):
        yield from state.data


def expressions(document: ir.Document) -> Iterator[ir.Expr]:
    """Every expression attribute of `document` and of the extension elements
    in it (each attribute as written), in no particular order; not those of
    child documents."""
    pending: list[object] = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, ir.Expr):
            yield node
        elif isinstance(node, ir.Custom):
            for name, value, loc in node.attributes:
                yield ir.Expr(value, loc, name, node.name)
            pending.extend(node.children)
        elif isinstance(node, (tuple, list)):
            pending.extend(node)
        elif dataclasses.is_dataclass(node):  # an invoke's `child` is another document
            pending.extend(
                getattr(node, f.name)
                for f in dataclasses.fields(node)
                if f.name != "child"
            )


def locations(document: ir.Document) -> Iterator[ir.Expr]:
    """Every location `document`'s executable content assigns: `<assign
    location>`, `idlocation`, and the location attributes of extension elements
    (ORS's `requestid`)."""
    for block in blocks(document):
        for action in actions(block):
            if isinstance(action, ir.Assign):
                yield action.location
            elif isinstance(action, ir.Send) and action.idlocation is not None:
                yield action.idlocation
            elif isinstance(action, ir.Custom):
                yield from _custom_locations(action)
    for state in states(document):
        for invoke in state.invokes:
            if invoke.idlocation is not None:
                yield invoke.idlocation


def _custom_locations(node: ir.Custom) -> Iterator[ir.Expr]:
    extension = extensions.lookup(node.namespace)
    element = extension.elements.get(node.name) if extension else None
    for name, value, loc in node.attributes:
        decl = element.attribute(name) if element else None
        if decl is not None and decl.kind == "location":
            yield ir.Expr(value, loc, name, node.name)
    for child in node.children:
        yield from _custom_locations(child)


def scripts(document: ir.Document) -> list[ir.Script]:
    """Every `<script>` of `document`: the global ones, then those of its
    executable content, in document order."""
    found = list(document.scripts)
    for block in blocks(document):
        found += [a for a in actions(block) if isinstance(a, ir.Script)]
    return found


def mentions(document: ir.Document, text: str) -> bool:
    """Whether `text` occurs in an expression or a script of `document`."""
    return any(text in e.text for e in expressions(document)) or any(
        text in s.source for s in scripts(document)
    )
