"""The ECMAScript datamodel: ES5 translated to Python at build time.

Expressions and scripts are parsed with esprima (ESTree, with positions) and
translated node by node into Python that calls `scxmlc.runtime.js` for what
JavaScript means by `+`, `==`, truthiness, property access, calls and `new`.

- **Names.** A name outside a function's own variables resolves as in ORS, in
  this order: a *script global* (a top-level `var` or function of a
  `<script>`, or a name some code assigns without declaring it: non-strict
  JavaScript makes it a global), a field of the machine's `globals` object;
  a `<data>` id, a property of `_data`, the machine's `dm` (`self.dm["x"]`);
  a system variable; an ORS or JavaScript built-in. `_data` is an ordinary
  object: scripts read `_data.x`, add properties and stringify it. A script
  `var x` is a different variable from `<data id="x">`: until a script
  declaring it runs, `x` still reads the `<data>` (`js.shadowed`). A name bound
  nowhere is looked up when the code runs (a property scripts gave `_data`,
  else a ReferenceError, which is error.execution), with a warning.
- **Functions.** Each JavaScript function becomes a Python `def` taking `this`;
  its parameters and `var`s are Python locals, which its nested functions close
  over (see `es_translate.local_name`).
- **The session.** Generated code hands `self`, the machine, to the runtime's
  property functions: the machine's `_realm` holds what the session's scripts
  assigned to built-in objects, and its clock is what `Date` reads.
- **Composer.** `_my_prefix` reads the `resolveid` of the XInclude its element
  came through (see `Loc.include`); `args_`, the inputs Composer's subroutine
  blocks read, is an empty object unless the document declares it; an
  attribute `label: expr` (a labelled statement) is the expression after its
  label.
- **Positions.** Each top-level statement of a script is preceded by a
  `# file:LINE` comment; statements from XIncluded files name those files.
- **What cannot be translated** (a construct this translator does not support,
  an expression that does not parse) is a warning at its position, and the
  code raises error.execution when it is evaluated.
"""

from __future__ import annotations

import itertools
import json
import keyword
import re
from collections.abc import Callable
from typing import Any, Final

import esprima  # type: ignore[import-untyped]

from ...runtime.js import record as js_record
from ...runtime.js import session as js_session
from .. import ir
from ..diagnostics import Loc
from ..ors.model import HostObject, genesys_model
from ..positions import LineIndex
from ..suggestions import closest, did_you_mean
from ..walk import actions, all_data, blocks, locations, mentions, scripts
from . import DataField, DataRecord, Datamodel, ExtraMethod
from .es_statements import Translator
from .es_translate import SYSTEM, Unsupported, hoisted, implicit_globals

__all__ = ["EcmascriptDatamodel"]

_IDENTIFIER: Final = re.compile(r"^[A-Za-z_$][\w$]*$")
_RECORD_DOC: Final = "The <data> values of {machine}, a slot each: no code names _data."
_ARGUMENTS: Final = "args_"
"""The object of named inputs Composer's subroutine blocks read (`args_.vQueue`)."""


class EcmascriptDatamodel(Datamodel):
    name = "ecmascript"
    variables_attribute = "globals"
    variables_suffix = "Globals"
    variables_doc = (
        "The script globals of {machine}: the top-level variables and functions of "
        "its scripts, and the names its code assigns without declaring them."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.imports.add("js")
        self.data_ids: dict[str, Loc] = {}
        """The `<data>` ids: properties of `_data`, in document order."""
        self.globals: dict[str, DataField] = {}
        """The script globals, by JavaScript name."""
        self._counter = itertools.count(1)
        self._programs: dict[str, Any] = {}
        self._warned: set[str] = set()
        self._reported: set[Loc] = set()
        self._function_names: dict[str, int] = {}
        self._methods: list[ExtraMethod] = []
        self._collect()
        self.data_record = self._closed_data()
        """Whether `dm` is a record of slots (see `records`), not a dict."""
        self.record_class = f"{self.machine_class}Record"

    @property
    def has_datamodel_object(self) -> bool:
        return bool(self.globals)

    def fields(self) -> list[DataField]:
        return list(self.globals.values())

    def field_default(self) -> str:
        return "js.undefined"

    def machine_slots(self) -> dict[str, str]:
        data = self.record_class if self.data_record else "dict[str, js.JSValue]"
        return {"dm": data, "_realm": "js.Realm | None"}

    def prologue(self) -> list[str]:
        realm = "self._realm = None  # the session's changes to the built-ins"
        if self.data_record:
            fields = [f"self.dm.{name} = js.undefined" for name in self.data_ids]
            return [realm, f"self.dm = {self.record_class}()", *fields]
        data = ", ".join(f"{name!r}: js.undefined" for name in self.data_ids)
        return [realm, f"self.dm = {{{data}}}  # _data"]

    def records(self) -> list[DataRecord]:
        """The `<data>` ids as a class of typed slots, where `data_record`."""
        if not self.data_record:
            return []
        fields = [
            DataField(name, "js.JSValue", loc, "<data>")
            for name, loc in self.data_ids.items()
        ]
        doc = _RECORD_DOC.format(machine=self.machine_class)
        return [DataRecord(self.record_class, doc, fields, base="js.Record")]

    def data_source(self, name: str) -> str:
        """The source reading `<data>` id `name`: a slot of the record, else
        an item of the `_data` dict."""
        return f"self.dm.{name}" if self.data_record else f"self.dm[{name!r}]"

    def _closed_data(self) -> bool:
        """Whether the `<data>` ids can live in slots of a record class: the
        document declares some, no code of it names `_data` (the only way to
        reach the object as a whole, or add to it), and every id is a Python
        attribute name that no attribute of `js.Record` has."""
        if not self.data_ids or mentions(self.chart.document, "_data"):
            return False
        return all(_is_attribute(name) for name in self.data_ids)

    # -- declarations ----------------------------------------------------------

    def _collect(self) -> None:
        """Learn every name the document binds, before translating anything:
        the `<data>` ids, then the script globals."""
        document = self.chart.document
        for data in all_data(document):
            if data.id:
                self.data_ids.setdefault(data.id, data.loc)
        assigned: list[tuple[str, Loc]] = []
        for script in scripts(document):
            try:
                program = self._program(script)
            except esprima.Error:
                continue
            for name in hoisted(program.body):
                self._declare(name, script.loc, "<script>")
            assigned += [(n, script.loc) for n in implicit_globals(program)]
        for block in blocks(document):
            for action in actions(block):
                if isinstance(action, ir.Foreach):
                    for expr in (action.item, action.index):
                        if expr is not None:
                            assigned.append((expr.text.strip(), expr.loc))
        assigned += [(e.text.strip(), e.loc) for e in locations(document)]
        for name, loc in assigned:
            if _IDENTIFIER.match(name) and name not in self.data_ids:
                self._declare(name, loc, "assigned")
        if _ARGUMENTS not in self.globals and _ARGUMENTS not in self.data_ids:
            if mentions(document, _ARGUMENTS):
                self._declare(_ARGUMENTS, document.loc, "Composer", "js.JSObject()")

    def _program(self, script: ir.Script) -> Any:
        """The ESTree program of `script`, with positions, parsed once for the
        declarations and the translation; raises `esprima.Error`."""
        program = self._programs.get(script.source)
        if program is None:
            try:
                program = esprima.parseScript(script.source, {"loc": True})
            except esprima.Error as error:
                program = error
            self._programs[script.source] = program
        if isinstance(program, esprima.Error):
            raise program
        return program

    def _declare(
        self, name: str, loc: Loc, origin: str, default: str = "js.undefined"
    ) -> None:
        """Make `name` a script global. One that is also a `<data>` id starts
        `absent`: it reads the `<data>` until a script declares it."""
        if name in self.globals or name in SYSTEM:
            return
        if not name.replace("$", "_").isidentifier() or name == "self":
            self.diag.error(
                loc, f"{origin}: '{name}' is not a variable name scxmlc can declare"
            )
            return
        if name == _ARGUMENTS:
            default = "js.JSObject()"  # until a caller's block assigns it
        if name in self.data_ids:
            default = "js.absent"
        field = DataField(self.field_name(name), "js.JSValue", loc, origin, default)
        self.globals[name] = field

    def field_name(self, name: str) -> str:
        """The Python field of script global `name` (`js_session.global_field`)."""
        return js_session.global_field(name)

    def declares(self, name: str) -> bool:
        return name in self.globals or name in self.data_ids

    def shadowing(self, name: str) -> bool:
        """Whether `name` is both a script global and a `<data>` id."""
        return name in self.globals and name in self.data_ids

    def undefined_name(self, name: str, loc: Loc, where: str) -> None:
        """Warn, once per document, of a name bound nowhere that code reads."""
        if name in self._warned:
            return
        self._warned.add(name)
        self.diag.warning(
            loc,
            f"{where}: '{name}' is not defined (not a <data> id, a script "
            "variable or a built-in): reading it raises ReferenceError "
            "(error.execution) when run, unless a script adds it to _data first",
        )

    def unknown_member(
        self, owner: HostObject, name: str, loc: Loc, where: str
    ) -> None:
        """Warn, once per place, of member `name` that platform object `owner`
        does not have, with the closest of its members (or else of the whole
        object model: `setUData` of an interaction is `_genesys.ixn.setuData`)."""
        if loc in self._reported:
            return
        self._reported.add(loc)
        hint = did_you_mean(name, owner.members)
        if not hint:
            paths = genesys_model().paths()
            found = closest(name, paths.values())
            near = [path for path, member in paths.items() if member == found]
            hint = f" (did you mean '{near[0]}'?)" if near else ""
        self.diag.warning(
            loc,
            f"{where}: {owner.name} has no member '{name}'{hint}: it reads as "
            "undefined, and calling it raises TypeError (error.execution)",
        )

    # -- the interface ---------------------------------------------------------

    def _translate(self, expr: ir.Expr, build: Any) -> str:
        text = expr.text.strip()
        if not text:
            return self.invalid(expr.loc, f"{expr.where}: empty expression")
        lead = len(expr.text) - len(expr.text.lstrip())
        try:
            program, parsed = _parse_expression(text)
        except _SyntaxProblem as problem:
            return self.invalid(
                self.expr_loc(expr, lead + problem.offset),
                f"{expr.where}: invalid ECMAScript {text!r}: {problem.message}",
            )
        position = self._expression_position(expr, lead, parsed)
        statement = program.body[0] if len(program.body) == 1 else None
        labels = []
        while statement is not None and statement.type == "LabeledStatement":
            labels.append(statement.label.name)
            statement = statement.body
        if statement is None or statement.type != "ExpressionStatement":
            return self.invalid(
                self.expr_loc(expr, lead),
                f"{expr.where}: {text!r} is not an expression",
            )
        if labels:
            self.diag.warning(
                self.expr_loc(expr, lead),
                f"{expr.where}: the label '{labels[0]}:' before the expression "
                "is ignored; the expression after it is evaluated",
            )
        translator = Translator(
            self, expr.loc, where=expr.where, token_position=position
        )
        try:
            result: str = build(translator, statement.expression)
        except Unsupported as error:
            return self.invalid(translator.locate(error.node), f"{expr.where}: {error}")
        self.pending.extend(translator.prelude)
        if translator.uses_event:
            self.uses_event = True
        return result

    def _expression_position(
        self, expr: ir.Expr, lead: int, parsed: str
    ) -> Callable[..., Loc]:
        """Line and column (from 1) of `parsed`, the text esprima read for
        `expr` (its stripped text, or that text in parentheses), -> where they
        were written; `lead` is the whitespace stripped before it."""
        shift = 0 if parsed == expr.text.strip() else 1  # the "(" of a wrapped one
        lines = LineIndex(parsed)

        def position(line: int, column: int = 1) -> Loc:
            offset = lines.offset(line, column) - shift
            return self.expr_loc(expr, lead + max(offset, 0))

        return position

    def cond(self, expr: ir.Expr) -> str:
        return self._translate(expr, lambda t, node: t.condition(node))

    def value(self, expr: ir.Expr) -> str:
        return self._translate(expr, lambda t, node: t.expression(node))

    def target(self, location: ir.Expr) -> str | None:
        raise NotImplementedError  # assign() is overridden: locations are not Python targets

    def assign(self, location: ir.Expr, value_source: str) -> list[str]:
        def store(t: Translator, node: Any) -> str:
            if node.type not in ("Identifier", "MemberExpression"):
                raise Unsupported(f"{location.text.strip()!r} is not a location", node)
            return t.store_statement(node, value_source)

        return [self._translate(location, store)]

    def script(self, script: ir.Script) -> list[str]:
        try:
            program = self._program(script)
        except esprima.Error as error:
            at = self.script_position(script)(
                getattr(error, "lineNumber", 1), getattr(error, "column", 1)
            )
            return [
                self.invalid(at, f"<script>: invalid ECMAScript: {_message(error)}")
            ]
        translator = Translator(
            self, script.source_loc, where="<script>", include=script.loc.include
        )
        position = self.script_position(script)
        try:
            lines = translator.program(program.body, position)
        except Unsupported as error:
            return [
                self.invalid(
                    _at(position, error.node, script.source_loc), f"<script>: {error}"
                )
            ]
        if translator.uses_event:
            self.uses_event = True
        declared = [
            f"js.declare(self.globals, {self.field_name(name)!r})"
            for name in dict.fromkeys(hoisted(program.body))
            if self.shadowing(name)
        ]
        return declared + translator.prelude + lines

    def text_value(self, text: str) -> str:
        return _literal_content(text)

    def data_target(self, data: ir.Data) -> str:
        return self.data_source(data.id)

    def foreach_target(self, expr: ir.Expr) -> str | None:
        name = expr.text.strip()
        if name in self.data_ids:
            return self.data_source(name)
        if name not in self.globals:
            self.invalid(expr.loc, f"{expr.where}: {name!r} is not a variable name")
            return None
        return f"self.globals.{self.field_name(name)}"

    def new_name(self, base: str) -> str:
        return f"_{base}{next(self._counter)}"

    def function_name(self, name: str) -> str:
        """The Python name of a JavaScript function named `name` ('' for an
        anonymous one): `_js_<name>`, numbered when the document has several
        of that name."""
        base = "_js_" + (_spelled(name) if name else "anonymous")
        count = self._function_names.get(base, 0) + 1
        self._function_names[base] = count
        return base if count == 1 else f"{base}_{count}"

    def add_method(self, name: str, body: list[str], comment: str) -> None:
        """A JavaScript function written outside any other: a method of the
        machine class, `name(self, this, *args)`."""
        self._methods.append(ExtraMethod(name, body, comment))

    def drain_methods(self) -> list[ExtraMethod]:
        methods, self._methods = self._methods, []
        return methods


def _is_attribute(name: str) -> bool:
    """Whether `<data>` id `name` can be a slot spelled `self.dm.name`: a
    Python identifier, not a keyword, not mangled in a class (`__x`), not
    the name of one of `js.Record`'s own attributes (`items`)."""
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("__")
        and name not in js_record.RESERVED
    )


def _spelled(name: str) -> str:
    """JavaScript name `name` spelled as a Python name: `$` is `_S_`, and a
    character Python does not allow in names `_uXXXX_`."""
    return "".join(
        "_S_" if c == "$" else c if f"a{c}".isidentifier() else f"_u{ord(c):04x}_"
        for c in name
    )


class _SyntaxProblem(Exception):
    """An expression esprima cannot parse: what, and at which character."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


def _parse_expression(text: str) -> tuple[Any, str]:
    """An expression attribute as a program, and the text esprima parsed: `new
    F();` is accepted as written, and `{"a": 1}` is read as an object literal
    (in parentheses), not a block. Raises `_SyntaxProblem` with the offset in
    `text` of the token esprima stopped at (its end for a missing one)."""
    try:
        program = esprima.parseScript(text, {"loc": True})
    except esprima.Error:
        program = None
    statement = program.body[0] if program and len(program.body) == 1 else None
    while statement is not None and statement.type == "LabeledStatement":
        statement = statement.body
    if statement is not None and statement.type == "ExpressionStatement":
        return program, text
    wrapped = f"({text}\n)"
    try:
        return esprima.parseScript(wrapped, {"loc": True}), wrapped
    except esprima.Error as error:
        offset = getattr(error, "index", 1) - 1  # the "(" esprima read first
        if offset >= len(text):  # at the parenthesis closing it: text ended early
            raise _SyntaxProblem(len(text), "Unexpected end of input") from None
        raise _SyntaxProblem(max(offset, 0), _message(error)) from None


def _message(error: Any) -> str:
    """esprima's message without its `Line N:` (a line of the text it read)."""
    return re.sub(r"^Line \d+: ", "", str(getattr(error, "description", error)))


def _at(position: Callable[..., Loc], node: Any, fallback: Loc) -> Loc:
    """Where ESTree `node` was written, by `position` (line and column -> Loc)."""
    where = getattr(node, "loc", None)
    if where is None:
        return fallback
    return position(where.start.line, where.start.column + 1)


def _literal_content(text: str) -> str:
    """Content text: JSON if it is JSON, else the space-normalised string."""
    stripped = text.strip()
    try:
        json.loads(stripped)
    except ValueError:
        return repr(" ".join(stripped.split()))
    return f"js.from_json_text({stripped!r})"
