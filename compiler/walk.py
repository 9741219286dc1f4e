"""Walking the IR: every state, every block of executable content, every action.

Datamodels use it to learn, before translating anything, which names a document
declares (`<data>`, `<foreach item>`, globals bound by `<script>`).
"""

from __future__ import annotations

from collections.abc import Iterator

from . import ir

__all__ = ["actions", "all_data", "blocks", "states"]


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
