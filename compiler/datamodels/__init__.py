"""The datamodel seam: how a document's expressions become Python source.

A datamodel receives SCXML's strings (`cond`, `expr`, `location`, `<script>`,
`<data>`) with their positions and returns Python source that generated methods of
the machine class run, with `self` bound to the machine. The code generator knows
nothing of any expression language; the parser, the analysis and the runtime know
nothing of datamodels. Adding one means adding a module here and a line to
`DATAMODELS`.

What a datamodel cannot translate (an expression that does not parse, a name
bound nowhere, an assignment to a system variable) is a warning at the
expression's position, and the code raises `error.execution` when it is
evaluated, as SCXML requires of a processor that meets an illegal expression
(B.2). A valid document always compiles; `Options(strict=True)` and `scxmlc
check` are where such warnings stop a build.
"""

from __future__ import annotations

import ast
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from .. import ir
from ..analysis import ChartAnalysis
from ..diagnostics import Diagnostics, Loc
from ..positions import LineIndex

__all__ = [
    "BUDGET_CHECK",
    "DATAMODELS",
    "SYSTEM_VARIABLES",
    "DataField",
    "DataRecord",
    "ExtraMethod",
    "Datamodel",
    "datamodel_for",
    "parse_python",
    "parse_python_noting",
]

SYSTEM_VARIABLES: Final[dict[str, str]] = {
    "_event": "self._event",
    "_sessionid": "self._sessionid",
    "_name": "self._name",
    "_ioprocessors": "self._ioprocessors",
    "_x": "self._x",
    "_genesys": "self._genesys",
}
"""The SCXML system variables and ORS's `_genesys`, and the machine attributes
that hold them."""
BUDGET_CHECK: Final = ("self._fuel -= 1", "if self._fuel < 0:", "    self._refuel()")
"""What every pass of a script's loops (and every call of an ECMAScript
function) runs first: it spends one unit of the session's fuel and, when the
fuel runs out, has the session read the clock, which raises `BudgetExceeded`
past the macrostep's deadline (`runtime/budget.py`)."""


def parse_python_noting(
    text: str, mode: str = "exec"
) -> tuple[Any, list[tuple[str, int]]]:
    """Document text parsed as Python in `mode` (`ast.parse`'s result), with
    the message and the line (from 1, in `text`) of each warning Python gives
    about it (`SyntaxWarning`, `DeprecationWarning`: an invalid escape,
    `1if`), which the python datamodel reports as the compiler's warnings at
    that line of the text, so no line of Python's reaches stderr;
    `SyntaxError` when it does not parse."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = ast.parse(text, mode=mode)
    return tree, [(str(warning.message), warning.lineno) for warning in caught]


def parse_python(text: str, mode: str = "exec") -> Any:
    """`parse_python_noting` without the warnings, where they are reported
    elsewhere or do not matter."""
    return parse_python_noting(text, mode)[0]


@dataclass(frozen=True, slots=True)
class DataField:
    """One typed field of the generated variables class: its Python name, its
    annotation, where and by what (`<data>`, `<script>`) it was declared, and the
    value it holds before anything assigns it (None: it is left unset)."""

    name: str
    annotation: str
    loc: Loc
    origin: str
    default: str | None = None
    layout: str | None = None
    """The pure module's annotation where a native module's is widened to
    `Any`: what the fingerprint reads, so snapshots move between the two."""


@dataclass(frozen=True, slots=True)
class DataRecord:
    """A class of typed slots a generated module declares: its name, its
    docstring, its fields (document order) and its base class, if any; a
    `js.Record` also lists the slots' names as `_ids`, for its item access."""

    name: str
    doc: str
    fields: list[DataField]
    base: str = ""


@dataclass(frozen=True, slots=True)
class ExtraMethod:
    """A method the datamodel adds to the machine class (an ECMAScript
    library's function): `name(self, this, *args) -> Any`, its body, and the
    comment naming what it implements."""

    name: str
    body: list[str]
    comment: str


class Datamodel(ABC):
    """Translates one document's expressions; one instance per compiled document."""

    name: ClassVar[str]

    def __init__(
        self,
        chart: ChartAnalysis,
        diagnostics: Diagnostics,
        state_constants: dict[str, str] | None = None,
        *,
        native: bool = False,
        machine_class: str = "Machine",
    ) -> None:
        self.chart = chart
        self.diag = diagnostics
        self.state_constants = state_constants or {}
        self.machine_class = machine_class
        """The name of the generated machine class (its other classes' prefix)."""
        self.native = native
        """The module is to be compiled with mypyc, which checks every
        annotation when it runs: an annotation must hold for every value."""
        self.uses_event = False
        self.configuration_reads = 0
        """How many translations so far read the configuration (`In()`)."""
        self.imports: set[str] = set()
        self.pending: list[str] = []

    # -- reporting ----------------------------------------------------------

    def invalid(self, loc: Loc, message: str, *, certain: bool = True) -> str:
        """Report what cannot be translated as a warning; the source that raises
        error.execution in its place when it is evaluated. `certain`: it can
        never succeed (it does not parse, for instance), which `scxmlc check`
        reports as an error."""
        self.diag.warning(
            loc, f"{message} (evaluating it raises error.execution)", certain=certain
        )
        return f"self._invalid({message!r})"

    # -- positions ----------------------------------------------------------

    def expr_loc(self, expr: ir.Expr, offset: int) -> Loc:
        """Where character `offset` of `expr.text` was written (the attribute
        when its value's place is not known)."""
        return self.chart.document.sources.at(expr.loc, offset)

    def script_position(self, script: ir.Script) -> Callable[..., Loc]:
        """`position(line, column=1)`: where line `line` and column `column`
        (from 1) of `script.source` were written. Inline source maps through
        the element's content (a first line after the start tag, entities,
        CDATA); a file's source starts at its first line and column."""
        span = self.chart.document.sources.content(script.loc)
        inline = not script.parts and script.source_loc.file == script.loc.file
        if span is None or not inline:
            return script.position
        lines = LineIndex(script.source)

        def position(line: int, column: int = 1) -> Loc:
            return span.loc_at(lines.offset(line, column))

        return position

    def declares(self, name: str) -> bool:
        """Whether the document declares a variable `name` (a `<data>` id, a
        script global, a `<foreach>` variable)."""
        return any(f.name == self.field_name(name) for f in self.fields())

    def state_test(self, state: str, loc: Loc, where: str) -> str:
        """The Python test of `In('state')` with a literal id: a bit test of the
        configuration. A history state, or an id no state has, is never active:
        `False`, with a warning."""
        constant = self.state_constants.get(state)
        if constant is not None:
            self.configuration_reads += 1
            return f"(self._config & {constant} != 0)"
        history = any(s.is_history and s.id == state for s in self.chart.states)
        reason = "is a history state, never active" if history else "names no state"
        self.diag.warning(
            loc, f"{where}: In('{state}'): '{state}' {reason}, so In() is always false"
        )
        return "False"

    def field_name(self, name: str) -> str:
        """The Python name of the datamodel field for variable `name`."""
        return name

    def drain_methods(self) -> list[ExtraMethod]:
        """Methods to add to the machine class, made since the last drain."""
        return []

    def drain(self) -> list[str]:
        """Statements that must run before the expressions translated since the last
        drain (function definitions of the ECMAScript datamodel, for instance)."""
        lines, self.pending = self.pending, []
        return lines

    def field_default(self) -> str | None:
        """The value a `<data>` variable holds before its value is evaluated, if any."""
        return None

    # -- the interface ------------------------------------------------------

    variables_attribute: ClassVar[str] = "dm"
    """The machine attribute holding the object of typed fields (`fields`)."""
    variables_suffix: ClassVar[str] = "Data"
    """The name of that object's class: the machine class's name and this."""
    variables_doc: ClassVar[str] = (
        "The datamodel of {machine}: one typed field per variable."
    )

    @property
    def has_datamodel_object(self) -> bool:
        """Whether generated machines carry an object of typed fields (`fields`)."""
        return False

    def fields(self) -> list[DataField]:
        """The typed fields of the variables class (document order)."""
        return []

    def machine_slots(self) -> dict[str, str]:
        """Attributes generated machines carry besides the variables object:
        name -> annotation."""
        return {}

    def records(self) -> list[DataRecord]:
        """Classes of typed slots the module declares besides the variables
        class, for the values of `machine_slots` (ECMAScript's `<data>`)."""
        return []

    def prologue(self) -> list[str]:
        """Statements `_init_datamodel` runs before it creates the datamodel object."""
        return []

    @abstractmethod
    def cond(self, expr: ir.Expr) -> str:
        """A Python expression of type bool."""

    @abstractmethod
    def value(self, expr: ir.Expr) -> str:
        """A Python value expression."""

    @abstractmethod
    def target(self, location: ir.Expr) -> str | None:
        """An assignment target for `location`; None (reported) if it is not one."""

    def assign(self, location: ir.Expr, value_source: str) -> list[str]:
        """Statements storing `value_source` into `location`."""
        target = self.target(location)
        if target is None:
            return [f"self._invalid({f'cannot assign to {location.text!r}'!r})"]
        return [f"{target} = {value_source}"]

    @abstractmethod
    def script(self, script: ir.Script) -> list[str]:
        """Statements running a `<script>`."""

    @abstractmethod
    def text_value(self, text: str) -> str:
        """A value expression for literal text in `<content>`, `<data>` or a data file."""

    def content(self, content: ir.Content) -> str:
        """A value expression for `<content>` (expr, literal text or XML)."""
        if content.expr is not None:
            return self.value(content.expr)
        if content.xml is not None:
            return f"self._xml({content.xml!r})"
        return self.text_value(content.text or "")

    def data_value(self, data: ir.Data) -> str | None:
        """The initial value of a `<data>` (None: no value, the field stays empty)."""
        if data.expr is not None:
            return self.value(data.expr)
        if data.content is not None:
            return self.content(data.content)
        if data.src_text is not None:
            if data.src_text.lstrip().startswith("<"):
                return f"self._xml({data.src_text.strip()!r})"
            return self.text_value(data.src_text)
        return None

    def data_target(self, data: ir.Data) -> str:
        """Where a `<data>` value is stored."""
        return self.target(ir.Expr(data.id, data.loc, "id", "data")) or "_"

    def foreach_target(self, expr: ir.Expr) -> str | None:
        """An assignment target for `<foreach item|index>` (None: reported)."""
        return self.target(expr)


def datamodel_for(name: str) -> type[Datamodel] | None:
    return DATAMODELS.get(name)


from .ecmascript import EcmascriptDatamodel  # noqa: E402
from .null import NullDatamodel  # noqa: E402
from .python import PythonDatamodel  # noqa: E402

DATAMODELS: dict[str, type[Datamodel]] = {
    "ecmascript": EcmascriptDatamodel,
    "null": NullDatamodel,
    "python": PythonDatamodel,
}
