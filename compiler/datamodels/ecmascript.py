"""The ECMAScript datamodel: ES5 translated to Python at build time.

Expressions and scripts are parsed with esprima (ESTree, with positions) and
translated node by node into Python that calls `scxmlc.runtime.js` for what
JavaScript means by `+`, `==`, truthiness, property access, calls and `new`.

- **Variables.** `<data>` ids and the `var`s and functions declared at the top
  level of scripts are fields of the datamodel object (`self.dm.x`).
- **Functions.** Each JavaScript function becomes a Python `def` taking `this`;
  its parameters and `var`s are Python locals, which its nested functions close
  over (see `es_translate.local_name`).
- **The session.** Generated code hands `self`, the machine, to the runtime's
  property functions: the machine's `_realm` holds what the session's scripts
  assigned to built-in objects, and its clock is what `Date` reads.
- **Positions.** Each top-level statement of a script is preceded by a
  `# file:LINE` comment; statements from XIncluded files name those files.
- **Unsupported constructs.** A construct this translator does not support is a
  diagnostic at its position, never silently dropped.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import esprima  # type: ignore[import-untyped]

from .. import ir
from ..diagnostics import Loc
from ..walk import actions, all_data, blocks
from . import DataField, Datamodel, unwrapped
from .es_statements import Translator
from .es_translate import SYSTEM, Unsupported, hoisted, implicit_globals

__all__ = ["EcmascriptDatamodel"]


class EcmascriptDatamodel(Datamodel):
    name = "ecmascript"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.imports.add("js")
        self._fields: dict[str, DataField] = {}
        self._counter = itertools.count(1)
        self._programs: dict[str, Any] = {}
        self._collect()

    @property
    def has_datamodel_object(self) -> bool:
        return True

    def fields(self) -> list[DataField]:
        return list(self._fields.values())

    def field_default(self) -> str:
        return "js.undefined"

    def machine_slots(self) -> dict[str, str]:
        return {"_realm": "js.Realm | None"}

    def prologue(self) -> list[str]:
        return ["self._realm = None  # the session's changes to the built-ins"]

    # -- declarations ----------------------------------------------------------

    def _collect(self) -> None:
        document = self.chart.document
        for data in all_data(document):
            if data.id and data.id not in self._fields:
                self._declare(data.id, data.loc, "<data>")
        scripts = list(document.scripts)
        for block in blocks(document):
            scripts += [a for a in actions(block) if isinstance(a, ir.Script)]
        for script in scripts:
            try:
                program = self._program(script)
            except esprima.Error:
                continue
            for name in hoisted(program.body):
                self._declare(name, script.loc, "<script>")
            for name in implicit_globals(program):
                self._declare(name, script.loc, "<script>")
        for block in blocks(document):
            for action in actions(block):
                if isinstance(action, ir.Foreach):
                    for expr in (action.item, action.index):
                        if expr is not None and expr.text.strip().isidentifier():
                            self._declare(expr.text.strip(), expr.loc, "<foreach>")

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

    def _declare(self, name: str, loc: Loc, origin: str) -> None:
        if name in self._fields or name in SYSTEM:
            return
        if not name.replace("$", "_").isidentifier() or name == "self":
            self.diag.error(
                loc, f"{origin}: '{name}' is not a variable name scxmlc can declare"
            )
            return
        self._fields[name] = DataField(self.field_name(name), "js.JSValue", loc, origin)

    def field_name(self, name: str) -> str:
        """The Python field of JavaScript variable `name`.

        `$` is not legal in Python names, and a leading `__` would be mangled inside
        the machine class (Composer's `__Log`), so both are spelled out.
        """
        python = name.replace("$", "_S_")
        return "_js" + python if python.startswith("__") else python

    # -- the interface ---------------------------------------------------------

    def _translate(self, expr: ir.Expr, build: Any) -> str:
        text = expr.text.strip()
        if not text:
            return self.invalid(expr.loc, f"{expr.where}: empty expression")
        try:
            program = _parse_expression(text)
        except esprima.Error as error:
            return self.invalid(
                expr.loc,
                f"{expr.where}: invalid ECMAScript {text!r}: {_message(error)}",
            )
        statement = program.body[0] if len(program.body) == 1 else None
        if statement is None or statement.type != "ExpressionStatement":
            return self.invalid(
                expr.loc, f"{expr.where}: {text!r} is not an expression"
            )
        translator = Translator(self, expr.loc)
        try:
            result: str = build(translator, statement.expression)
        except Unsupported as error:
            return self.invalid(_at(expr.loc, error.node), f"{expr.where}: {error}")
        self.pending.extend(translator.prelude)
        if translator.uses_event:
            self.uses_event = True
        return result

    def cond(self, expr: ir.Expr) -> str:
        return self._translate(expr, lambda t, node: t.condition(node))

    def value(self, expr: ir.Expr) -> str:
        return self._translate(expr, lambda t, node: t.expression(node))

    def target(self, location: ir.Expr) -> str | None:
        raise NotImplementedError  # assign() is overridden: locations are not Python targets

    def assign(self, location: ir.Expr, value_source: str) -> list[str]:
        def store(t: Translator, node: Any) -> str:
            if node.type == "Identifier" and node.name not in self._fields:
                if node.name in SYSTEM:
                    raise Unsupported(
                        f"cannot assign to the system variable '{node.name}'", node
                    )
                raise Unsupported(
                    f"'{node.name}' is not declared (no <data id=\"{node.name}\">)",
                    node,
                )
            if node.type not in ("Identifier", "MemberExpression"):
                raise Unsupported(f"{location.text.strip()!r} is not a location", node)
            if node.type == "Identifier":  # a statement: no need for an expression form
                return (
                    f"self.dm.{self.field_name(node.name)} = {unwrapped(value_source)}"
                )
            alias = t.data_alias(node) if node.type == "MemberExpression" else None
            if alias is not None:
                return f"self.dm.{self.field_name(alias)} = {unwrapped(value_source)}"
            return t.store(node, value_source)

        source = self._translate(location, store)
        return [source]

    def script(self, script: ir.Script) -> list[str]:
        try:
            program = self._program(script)
        except esprima.Error as error:
            at = script.position(
                getattr(error, "lineNumber", 1), getattr(error, "column", 1)
            )
            message = re.sub(r"^Line \d+: ", "", _message(error))
            return [self.invalid(at, f"<script>: invalid ECMAScript: {message}")]
        translator = Translator(self, script.source_loc)
        try:
            lines = translator.program(program.body, script.position)
        except Unsupported as error:
            return [self.invalid(_in_script(script, error.node), f"<script>: {error}")]
        if translator.uses_event:
            self.uses_event = True
        return translator.prelude + lines

    def text_value(self, text: str) -> str:
        return _literal_content(text)

    def data_target(self, data: ir.Data) -> str:
        return f"self.dm.{self.field_name(data.id)}" if data.id in self._fields else "_"

    def foreach_target(self, expr: ir.Expr) -> str | None:
        name = expr.text.strip()
        if name not in self._fields:
            self.invalid(expr.loc, f"{expr.where}: {name!r} is not a variable name")
            return None
        return f"self.dm.{self.field_name(name)}"

    def new_name(self, base: str) -> str:
        return f"_{base}{next(self._counter)}"


def _parse_expression(text: str) -> Any:
    """An expression attribute as a program: `new F();` is accepted as written, and
    `{"a": 1}` is read as an object literal, not a block."""
    try:
        program = esprima.parseScript(text, {"loc": True})
    except esprima.Error:
        program = None
    if (
        program is not None
        and len(program.body) == 1
        and program.body[0].type == "ExpressionStatement"
    ):
        return program
    return esprima.parseScript(f"({text}\n)", {"loc": True})


def _message(error: Any) -> str:
    return str(getattr(error, "description", error))


def _in_script(script: ir.Script, node: Any) -> Loc:
    """Where `node` of a script's source was written (its file, line and column)."""
    position = getattr(node, "loc", None)
    if position is None:
        return script.source_loc
    return script.position(position.start.line, position.start.column + 1)


def _at(loc: Loc, node: Any) -> Loc:
    """Where `node` of an expression attribute at `loc` was written."""
    position = getattr(node, "loc", None)
    if position is None:
        return loc
    line = position.start.line
    return (
        Loc(loc.file, loc.line, loc.col + max(position.start.column - 1, 0))
        if line == 1
        else loc
    )


def _literal_content(text: str) -> str:
    """Content text: JSON if it is JSON, else the space-normalised string."""
    stripped = text.strip()
    try:
        json.loads(stripped)
    except ValueError:
        return repr(" ".join(stripped.split()))
    return f"js.from_json_text({stripped!r})"
