"""The intermediate representation: an SCXML document as frozen dataclasses.

`parse` builds it from XML, checking every element and attribute against the
language; `analysis` turns it into a `ChartAnalysis`. Every node carries the `Loc` of its
element, every expression the `Loc` of its attribute, so any later phase can report
a problem at the right place. Expressions stay strings here: what they mean is the
datamodel's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from .diagnostics import Loc
from .positions import SourceMap

__all__ = [
    "Action",
    "Assign",
    "Cancel",
    "Content",
    "Custom",
    "Data",
    "Document",
    "DoneData",
    "Expr",
    "Foreach",
    "If",
    "Invoke",
    "Log",
    "Param",
    "Raise",
    "Script",
    "Send",
    "State",
    "StateKind",
    "Transition",
]


@dataclass(frozen=True, slots=True)
class Expr:
    """An expression of the datamodel's language, as written, with its position."""

    text: str
    loc: Loc
    attribute: str = ""
    element: str = ""

    @property
    def where(self) -> str:
        """`<transition cond>`: the element and attribute, for messages."""
        if self.element:
            return (
                f"<{self.element} {self.attribute}>"
                if self.attribute
                else f"<{self.element}>"
            )
        return self.attribute or "expression"


@dataclass(frozen=True, slots=True)
class Content:
    """`<content>`: an expression, or literal text, or XML (`xml` is its source)."""

    loc: Loc
    expr: Expr | None = None
    text: str | None = None
    xml: str | None = None


@dataclass(frozen=True, slots=True)
class Param:
    """`<param name expr|location>`."""

    loc: Loc
    name: str
    expr: Expr | None = None
    location: Expr | None = None


@dataclass(frozen=True, slots=True)
class Raise:
    """`<raise event>`; ORS documents may attach `<param>`s as event data."""

    loc: Loc
    event: str
    params: tuple[Param, ...] = ()


@dataclass(frozen=True, slots=True)
class Log:
    loc: Loc
    label: str | None
    expr: Expr | None


@dataclass(frozen=True, slots=True)
class Assign:
    loc: Loc
    location: Expr
    expr: Expr | None
    content: Content | None


@dataclass(frozen=True, slots=True)
class Script:
    """`<script>`: source text (inline, or read from `src` at compile time).

    `source_loc` is where the first line of `source` was written. Source joined
    from several XIncluded files also has `parts`: (line of `source` where a file
    begins, where that line was written), in order.
    """

    loc: Loc
    source: str
    source_loc: Loc
    parts: tuple[tuple[int, Loc], ...] = ()

    def position(self, line: int, column: int = 1) -> Loc:
        """Where line `line` (from 1) and `column` of `source` were written."""
        start, origin = 1, self.source_loc
        for first, where in self.parts:
            if first > line:
                break
            start, origin = first, where
        return Loc(origin.file, origin.line + line - start, column)


@dataclass(frozen=True, slots=True)
class Send:
    """`<send>`; each field holds either the literal or the `...expr` form."""

    loc: Loc
    event: str | None = None
    eventexpr: Expr | None = None
    target: str | None = None
    targetexpr: Expr | None = None
    type: str | None = None
    typeexpr: Expr | None = None
    id: str | None = None
    idlocation: Expr | None = None
    delay: str | None = None
    delayexpr: Expr | None = None
    namelist: tuple[Expr, ...] = ()
    params: tuple[Param, ...] = ()
    content: Content | None = None


@dataclass(frozen=True, slots=True)
class Cancel:
    """`<cancel sendid|sendidexpr>`.

    In ORS documents `answered` is set: the `sendid` attribute is read as an
    expression (`sendidexpr`, attribute `sendid`), and the cancel is answered with
    `cancel.successful` or `error.notallowed`.
    """

    loc: Loc
    sendid: str | None = None
    sendidexpr: Expr | None = None
    answered: bool = False


@dataclass(frozen=True, slots=True)
class If:
    """`<if>`/`<elseif>`/`<else>`: (cond, body) branches; cond None is `<else>`."""

    loc: Loc
    branches: tuple[tuple[Expr | None, tuple[Action, ...]], ...]


@dataclass(frozen=True, slots=True)
class Foreach:
    loc: Loc
    array: Expr
    item: Expr
    index: Expr | None
    body: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class Custom:
    """An element of an extension namespace, validated by its extension."""

    loc: Loc
    namespace: str
    name: str
    attributes: tuple[tuple[str, str, Loc], ...]
    children: tuple[Custom, ...] = ()
    text: str = ""


Action: TypeAlias = (
    Raise | Log | Assign | Script | Send | Cancel | If | Foreach | Custom
)
"""One element of executable content."""


@dataclass(frozen=True, slots=True)
class Data:
    """`<data id expr|src|content>`; `type` is the scxmlc:type annotation, if any."""

    loc: Loc
    id: str
    expr: Expr | None = None
    content: Content | None = None
    src_text: str | None = None
    type: str | None = None


@dataclass(frozen=True, slots=True)
class DoneData:
    loc: Loc
    content: Content | None = None
    params: tuple[Param, ...] = ()


@dataclass(frozen=True, slots=True)
class Transition:
    """A transition; `initial` marks the default transition of `<initial>`/history."""

    loc: Loc
    events: tuple[str, ...] = ()
    cond: Expr | None = None
    targets: tuple[str, ...] = ()
    internal: bool = False
    body: tuple[Action, ...] = ()
    targets_loc: Loc | None = None
    events_loc: Loc | None = None


@dataclass(frozen=True, slots=True)
class Invoke:
    loc: Loc
    type: str | None = None
    typeexpr: Expr | None = None
    src: str | None = None
    srcexpr: Expr | None = None
    id: str | None = None
    idlocation: Expr | None = None
    namelist: tuple[Expr, ...] = ()
    autoforward: bool = False
    params: tuple[Param, ...] = ()
    content: Content | None = None
    child: Document | None = None
    finalize: tuple[Action, ...] = ()


StateKind = Literal["state", "parallel", "final", "history"]


@dataclass(frozen=True, slots=True)
class State:
    """`<state>`, `<parallel>`, `<final>` or `<history>`.

    `initial` holds the ids of the `initial` attribute; `initial_transition` the
    transition of an `<initial>` child (or of a history state's default).
    """

    loc: Loc
    kind: StateKind
    id: str
    children: tuple[State, ...] = ()
    transitions: tuple[Transition, ...] = ()
    onentry: tuple[tuple[Action, ...], ...] = ()
    onexit: tuple[tuple[Action, ...], ...] = ()
    data: tuple[Data, ...] = ()
    invokes: tuple[Invoke, ...] = ()
    initial: tuple[str, ...] = ()
    initial_loc: Loc | None = None
    initial_transition: Transition | None = None
    deep: bool = False
    donedata: DoneData | None = None
    generated_id: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    """A whole `<scxml>` document."""

    loc: Loc
    path: str
    name: str | None
    datamodel: str | None
    binding: Literal["early", "late"]
    initial: tuple[str, ...]
    initial_loc: Loc | None
    children: tuple[State, ...]
    data: tuple[Data, ...]
    scripts: tuple[Script, ...]
    options: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    ors: bool = False
    """Written for ORS: a Genesys namespace or a `profile` on `<scxml>`."""
    persist: bool = True
    """False for `<scxml _persist="false">` (ORS): sessions never persisted."""
    files: tuple[str, ...] = field(default=(), compare=False)
    """Every file read to build the document, itself first: XIncludes, `<script
    src>`, `<data src>`, child documents (what a compile cache must watch)."""
    sources: SourceMap = field(
        default_factory=lambda: SourceMap(()), compare=False, hash=False
    )
    """Where the characters of its attribute values and element contents were
    written (see `positions`): problems inside an expression or a script are
    reported at their token."""
