"""ECMAScript -> Python: the translator behind the ECMAScript datamodel.

Input: ESTree nodes from esprima (with positions). Output: Python source that
calls `scxmlc.runtime.js`. Expressions become expressions; a function becomes a
Python `def` emitted into `prelude` (before the statement that needs it), with its
parameters and `var`s in a scope object of its own that inner functions close
over. A construct it does not translate raises `Unsupported` with its node.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from ..diagnostics import Loc
from . import SYSTEM_VARIABLES

if TYPE_CHECKING:
    from .ecmascript import EcmascriptDatamodel

__all__ = [
    "BUILTINS",
    "SYSTEM",
    "Translator",
    "Unsupported",
    "hoisted",
    "implicit_globals",
]

SYSTEM: Final = {
    **SYSTEM_VARIABLES,
    "_genesys": "self._genesys",
    "_internal": "'_internal'",  # ORS: `target="_internal"` names the internal queue
}
BUILTINS: Final = frozenset(
    {
        "Array",
        "Object",
        "String",
        "Number",
        "Boolean",
        "NaN",
        "Infinity",
        "isNaN",
        "isFinite",
        "parseInt",
        "parseFloat",
        "Math",
        "JSON",
        "uneval",
        "Date",
        "RegExp",
        "eval",
    }
)
_ARITHMETIC: Final = frozenset({"-", "*", "/", "%", "**"})
_BITWISE: Final = frozenset({"|", "&", "^", "<<", ">>", ">>>"})
_BINARY: Final = {
    "+": "js.add({left}, {right})",
    "<": "js.lt({left}, {right})",
    "<=": "js.le({left}, {right})",
    ">": "js.gt({left}, {right})",
    ">=": "js.ge({left}, {right})",
    "==": "js.loose_eq({left}, {right})",
    "!=": "(not js.loose_eq({left}, {right}))",
    "===": "js.strict_eq({left}, {right})",
    "!==": "(not js.strict_eq({left}, {right}))",
    "in": "js.has({right}, {left})",
    "instanceof": "js.instanceof({left}, {right})",
}
"""Binary operators other than arithmetic and bitwise ones, as source templates."""
_UNARY: Final = {
    "!": "(not js.truthy({value}))",
    "-": "js.negate({value})",
    "+": "js.to_number({value})",
    "~": "js.bitwise('^', {value}, -1)",
    "void": "(({value}), js.undefined)[1]",
}
_BOOLEAN_OPERATORS: Final = frozenset(
    {"<", "<=", ">", ">=", "==", "!=", "===", "!==", "in", "instanceof"}
)


def _is_boolean(node: Any) -> bool:
    """Whether the translation of `node` is always a Python bool."""
    if node.type == "BinaryExpression":
        return bool(node.operator in _BOOLEAN_OPERATORS)
    if node.type == "UnaryExpression":
        return bool(node.operator == "!")
    if node.type == "Literal":
        return isinstance(node.value, bool)
    if node.type == "LogicalExpression":
        return _is_boolean(node.left) and _is_boolean(node.right)
    if node.type == "CallExpression":
        return bool(node.callee.type == "Identifier" and node.callee.name == "In")
    return False


class Unsupported(Exception):
    """A construct the translator does not handle; `node` locates it."""

    def __init__(self, message: str, node: Any) -> None:
        super().__init__(message)
        self.node = node


def hoisted(body: list[Any]) -> Iterator[str]:
    """Names declared by `var` and function declarations, not inside functions."""
    for node in body:
        yield from _declared(node)


def implicit_globals(program: Any) -> list[str]:
    """Names a script assigns without declaring them anywhere in the script.

    In non-strict JavaScript such an assignment creates a global; Composer
    libraries rely on it. They become datamodel variables like declared ones.
    Names that are parameters or `var`s of any function of the script are left
    to their functions.
    """
    local: set[str] = set()
    assigned: list[str] = []
    for node in _walk_nodes(program):
        kind = getattr(node, "type", None)
        if kind in ("FunctionDeclaration", "FunctionExpression"):
            local.update(p.name for p in node.params if p.type == "Identifier")
            local.update(hoisted(node.body.body))
        elif kind == "AssignmentExpression" and node.left.type == "Identifier":
            assigned.append(node.left.name)
        elif kind == "UpdateExpression" and node.argument.type == "Identifier":
            assigned.append(node.argument.name)
    declared = set(hoisted(program.body)) | local | set(SYSTEM) | BUILTINS
    return [name for name in dict.fromkeys(assigned) if name not in declared]


def _walk_nodes(node: Any) -> Iterator[Any]:
    """Every ESTree node under `node`, depth first."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, list):
            pending.extend(reversed(current))
            continue
        if not hasattr(current, "type"):
            continue
        yield current
        for value in vars(current).values():
            if isinstance(value, list) or hasattr(value, "type"):
                pending.append(value)


def _declared(node: Any) -> Iterator[str]:
    if node is None:
        return
    kind = node.type
    if kind == "VariableDeclaration":
        for declaration in node.declarations:
            if declaration.id.type == "Identifier":
                yield declaration.id.name
    elif kind == "FunctionDeclaration":
        yield node.id.name
    elif kind in ("BlockStatement",):
        for child in node.body:
            yield from _declared(child)
    elif kind == "IfStatement":
        yield from _declared(node.consequent)
        yield from _declared(node.alternate)
    elif kind in (
        "ForStatement",
        "ForInStatement",
        "WhileStatement",
        "DoWhileStatement",
    ):
        yield from _declared(getattr(node, "init", None) or getattr(node, "left", None))
        yield from _declared(node.body)
    elif kind == "LabeledStatement":
        yield from _declared(node.body)
    elif kind == "SwitchStatement":
        for case in node.cases:
            for statement in case.consequent:
                yield from _declared(statement)
    elif kind == "TryStatement":
        yield from _declared(node.block)
        if node.handler is not None:
            yield from _declared(node.handler.body)
        yield from _declared(node.finalizer)


class _Scope:
    """A JavaScript function's scope: its Python scope-object name and its names."""

    def __init__(self, variable: str, names: set[str]) -> None:
        self.variable = variable
        self.names = names


class Translator:
    """Translates one expression or script; functions are emitted into `prelude`."""

    def __init__(self, datamodel: EcmascriptDatamodel, loc: Loc) -> None:
        self.dm = datamodel
        self.loc = loc
        self.scopes: list[_Scope] = []
        self.prelude: list[str] = []
        self.uses_event = False
        self.temps = itertools.count(1)
        self.loops: list[str | None] = []
        """The enclosing loops (and switches), innermost last, with their labels."""
        self.label_for_next_loop: str | None = None

    # -- names -----------------------------------------------------------------

    def resolve(self, node: Any) -> tuple[str, str] | None:
        """(container kind, source) for an identifier: ("scope", s1) or ("dm", ...)."""
        name = node.name
        for scope in reversed(self.scopes):
            if name in scope.names:
                return "scope", scope.variable
        if name in self.dm._fields:
            return "dm", "self.dm"
        return None

    def identifier(self, node: Any) -> str:
        name = node.name
        found = self.resolve(node)
        if found is not None:
            kind, container = found
            return (
                f"{container}[{name!r}]"
                if kind == "scope"
                else f"self.dm.{self.dm.field_name(name)}"
            )
        if name == "undefined":
            return "js.undefined"
        if name in SYSTEM:
            if name == "_event":
                self.uses_event = True
            return SYSTEM[name]
        if name in BUILTINS:
            return f"js.GLOBALS[{name!r}]"
        if name == "In":
            return "self.In"
        raise Unsupported(
            f"'{name}' is not defined (not a <data> id, a script variable or a built-in)",
            node,
        )

    # -- expressions -------------------------------------------------------------

    def condition(self, node: Any) -> str:
        source = self.expression(node)
        if _is_boolean(node):
            return source
        return f"js.truthy({source})"

    def expression(self, node: Any) -> str:
        method = getattr(self, f"x_{node.type}", None)
        if method is None:
            raise Unsupported(f"{node.type} is not supported", node)
        result: str = method(node)
        return result

    def x_Literal(self, node: Any) -> str:
        if getattr(node, "regex", None) is not None:
            return f"js.regex({node.regex.pattern!r}, {node.regex.flags!r})"
        value = node.value
        if value is None:
            return "None"
        if isinstance(value, bool):
            return repr(value)
        if (
            isinstance(value, float)
            and value.is_integer()
            and not any(c in node.raw for c in ".eE")
        ):
            return repr(int(value))
        return repr(value)

    def x_Identifier(self, node: Any) -> str:
        return self.identifier(node)

    def x_ThisExpression(self, node: Any) -> str:
        if not self.scopes:
            return "js.undefined"
        return "this"

    def x_ArrayExpression(self, node: Any) -> str:
        items = ", ".join(
            "js.undefined" if e is None else self.expression(e) for e in node.elements
        )
        return f"js.JSArray([{items}])"

    def x_ObjectExpression(self, node: Any) -> str:
        items = []
        for prop in node.properties:
            if prop.kind != "init" or prop.computed:
                raise Unsupported(
                    "only plain 'key: value' properties are supported in object literals",
                    prop,
                )
            key = (
                prop.key.name if prop.key.type == "Identifier" else str(prop.key.value)
            )
            items.append(f"{key!r}: {self.expression(prop.value)}")
        return "js.JSObject({" + ", ".join(items) + "})"

    def member_key(self, node: Any) -> str:
        if node.computed:
            return self.expression(node.property)
        return repr(node.property.name)

    def data_alias(self, node: Any) -> str | None:
        """`_data.x` (ORS): the datamodel variable `x`, when `_data` is not shadowed."""
        target = node.object
        if (
            target.type != "Identifier"
            or target.name != "_data"
            or self.resolve(target) is not None
        ):
            return None
        if node.computed or node.property.name not in self.dm._fields:
            raise Unsupported("_data.<id> must name a declared <data> id", node)
        return str(node.property.name)

    def x_MemberExpression(self, node: Any) -> str:
        alias = self.data_alias(node)
        if alias is not None:
            return f"self.dm.{self.dm.field_name(alias)}"
        return f"js.get({self.expression(node.object)}, {self.member_key(node)})"

    def x_CallExpression(self, node: Any) -> str:
        callee = node.callee
        arguments = [self.expression(a) for a in node.arguments]
        if (
            callee.type == "Identifier"
            and callee.name == "In"
            and self.resolve(callee) is None
            and len(node.arguments) == 1
            and node.arguments[0].type == "Literal"
            and isinstance(node.arguments[0].value, str)
        ):
            state = node.arguments[0].value
            constant = self.dm.state_constants.get(state)
            if constant is None:
                raise Unsupported(f"In('{state}'): unknown state '{state}'", node)
            return f"(self._config & {constant} != 0)"
        if callee.type == "MemberExpression":
            return f"js.call_method({', '.join([self.expression(callee.object), self.member_key(callee), *arguments])})"
        return f"js.call({', '.join([self.expression(callee), 'js.undefined', *arguments])})"

    def x_NewExpression(self, node: Any) -> str:
        arguments = [self.expression(a) for a in node.arguments]
        return f"js.construct({', '.join([self.expression(node.callee), *arguments])})"

    def x_BinaryExpression(self, node: Any) -> str:
        left, right = self.expression(node.left), self.expression(node.right)
        return self.binary(node.operator, left, right, node)

    def binary(self, operator: str, left: str, right: str, node: Any) -> str:
        """The source of `left <operator> right` (also for `+=` and the like)."""
        if operator in _ARITHMETIC:
            return f"js.arithmetic({operator!r}, {left}, {right})"
        if operator in _BITWISE:
            return f"js.bitwise({operator!r}, {left}, {right})"
        template = _BINARY.get(operator)
        if template is None:
            raise Unsupported(f"operator {operator!r} is not supported", node)
        return template.format(left=left, right=right)

    def x_LogicalExpression(self, node: Any) -> str:
        temp = f"_t{next(self.temps)}"
        left, right = self.expression(node.left), self.expression(node.right)
        if node.operator == "&&":
            return f"({right} if js.truthy({temp} := {left}) else {temp})"
        return f"({temp} if js.truthy({temp} := {left}) else {right})"

    def x_ConditionalExpression(self, node: Any) -> str:
        return (
            f"({self.expression(node.consequent)} if {self.condition(node.test)} "
            f"else {self.expression(node.alternate)})"
        )

    def x_UnaryExpression(self, node: Any) -> str:
        operator = node.operator
        argument = node.argument
        if operator == "typeof":
            if argument.type == "Identifier" and self.resolve(argument) is None:
                try:
                    return f"js.typeof({self.identifier(argument)})"
                except Unsupported:
                    return "'undefined'"
            return f"js.typeof({self.expression(argument)})"
        if operator == "delete":
            if argument.type != "MemberExpression":
                return "True"
            return f"js.delete({self.expression(argument.object)}, {self.member_key(argument)})"
        template = _UNARY.get(operator)
        if template is None:
            raise Unsupported(f"operator {operator!r} is not supported", node)
        return template.format(value=self.expression(argument))

    def x_AssignmentExpression(self, node: Any) -> str:
        value = self.expression(node.right)
        if node.operator != "=":
            value = self.binary(
                node.operator[:-1], self.expression(node.left), value, node
            )
        return self.store(node.left, value)

    def x_UpdateExpression(self, node: Any) -> str:
        delta = "1" if node.operator == "++" else "-1"
        current = self.expression(node.argument)
        if node.prefix:
            return self.store(
                node.argument, f"js.add(js.to_number({current}), {delta})"
            )
        temp = f"_t{next(self.temps)}"
        stored = self.store(node.argument, f"js.add({temp}, {delta})")
        return f"(({temp} := js.to_number({current})), {stored})[0]"

    def x_SequenceExpression(self, node: Any) -> str:
        parts = [self.expression(e) for e in node.expressions]
        return f"({', '.join(parts)})[-1]"

    def x_FunctionExpression(self, node: Any) -> str:
        return self.function(node, node.id.name if node.id else "")

    def store(self, target: Any, value: str) -> str:
        """An expression that stores `value` into `target` and yields it."""
        if target.type == "Identifier":
            found = self.resolve(target)
            if found is None:
                raise Unsupported(
                    f"assignment to undeclared variable '{target.name}'", target
                )
            kind, container = found
            if kind == "scope":
                return f"js.put({container}, {target.name!r}, {value})"
            return (
                f"js.set_field(self.dm, {self.dm.field_name(target.name)!r}, {value})"
            )
        if target.type == "MemberExpression":
            alias = self.data_alias(target)
            if alias is not None:
                return f"js.set_field(self.dm, {self.dm.field_name(alias)!r}, {value})"
            return f"js.put({self.expression(target.object)}, {self.member_key(target)}, {value})"
        raise Unsupported(f"cannot assign to {target.type}", target)

    # -- functions -----------------------------------------------------------------

    def function(self, node: Any, name: str) -> str:
        """Emit a def for function `node` into the prelude; the JSFunction's source."""
        if node.generator or node.isAsync:
            raise Unsupported("generators and async functions are not supported", node)
        python_name = self.dm.new_name("function")
        scope = _Scope(self.dm.new_name("scope"), set())
        parameters = [p.name for p in node.params if p.type == "Identifier"]
        if len(parameters) != len(node.params):
            raise Unsupported("only plain parameters are supported", node)
        scope.names = {*parameters, *hoisted(node.body.body), "arguments"}
        if name and node.type == "FunctionExpression":
            scope.names.add(name)
        outer_prelude = self.prelude
        self.prelude = []
        self.scopes.append(scope)
        try:
            body = [f"{scope.variable} = js.JSObject()"]
            body.append(f"{scope.variable}['arguments'] = js.JSArray(args)")
            for index, parameter in enumerate(parameters):
                body.append(
                    f"{scope.variable}[{parameter!r}] = args[{index}] if len(args) > {index} else js.undefined"
                )
            for variable in sorted(scope.names - {*parameters, "arguments"}):
                body.append(f"{scope.variable}[{variable!r}] = js.undefined")
            if name and node.type == "FunctionExpression":
                body.append(f"{scope.variable}[{name!r}] = {python_name}_object")
            statements = self.statements(node.body.body)
            body += self.prelude + statements + ["return js.undefined"]
        finally:
            self.scopes.pop()
            self.prelude = outer_prelude
        self.prelude.append(f"def {python_name}(this: Any, *args: Any) -> Any:")
        self.prelude.extend("    " + line for line in body)
        self.prelude.append(
            f"{python_name}_object = js.JSFunction({python_name}, {name!r})"
        )
        return f"{python_name}_object"

    # -- statements ------------------------------------------------------------------

    def program(self, body: list[Any]) -> list[str]:
        return self.statements(body)

    def statements(self, body: list[Any]) -> list[str]:
        lines: list[str] = []
        for node in body:
            if node.type == "FunctionDeclaration":
                lines += self.function_declaration(node)
        for node in body:
            if node.type != "FunctionDeclaration":
                lines += self.statement(node)
        return lines

    def function_declaration(self, node: Any) -> list[str]:
        saved = self.prelude
        self.prelude = []
        source = self.function(node, node.id.name)
        lines = self.prelude + [self.store(node.id, source)]
        self.prelude = saved
        return lines

    def statement(self, node: Any) -> list[str]:
        method = getattr(self, f"s_{node.type}", None)
        if method is None:
            raise Unsupported(f"{node.type} is not supported", node)
        saved = self.prelude
        self.prelude = []
        lines: list[str] = method(node)
        lines = self.prelude + lines
        self.prelude = saved
        return lines

    def block(self, node: Any) -> list[str]:
        if node is None:
            return []
        lines = (
            self.statements(node.body)
            if node.type == "BlockStatement"
            else self.statement(node)
        )
        return lines or ["pass"]

    def s_ExpressionStatement(self, node: Any) -> list[str]:
        return [self.expression(node.expression)]

    def s_EmptyStatement(self, node: Any) -> list[str]:
        return []

    def s_BlockStatement(self, node: Any) -> list[str]:
        return self.statements(node.body)

    def s_VariableDeclaration(self, node: Any) -> list[str]:
        lines = []
        for declaration in node.declarations:
            if declaration.id.type != "Identifier":
                raise Unsupported("destructuring is not supported", declaration)
            if declaration.init is not None:
                lines.append(
                    self.store(declaration.id, self.expression(declaration.init))
                )
        return lines

    def s_IfStatement(self, node: Any) -> list[str]:
        lines = [
            f"if {self.condition(node.test)}:",
            *_indent(self.block(node.consequent)),
        ]
        if node.alternate is not None:
            lines += ["else:", *_indent(self.block(node.alternate))]
        return lines

    def s_WhileStatement(self, node: Any) -> list[str]:
        return self.loop(node, self._WhileStatement)

    def _WhileStatement(self, node: Any) -> list[str]:
        return [f"while {self.condition(node.test)}:", *_indent(self.block(node.body))]

    def s_DoWhileStatement(self, node: Any) -> list[str]:
        return self.loop(node, self._DoWhileStatement)

    def _DoWhileStatement(self, node: Any) -> list[str]:
        flag = f"_first{next(self.temps)}"
        return [
            f"{flag} = True",
            f"while {flag} or {self.condition(node.test)}:",
            f"    {flag} = False",
            *_indent(self.block(node.body)),
        ]

    def s_ForStatement(self, node: Any) -> list[str]:
        return self.loop(node, self._ForStatement)

    def _ForStatement(self, node: Any) -> list[str]:
        lines: list[str] = []
        if node.init is not None:
            if node.init.type == "VariableDeclaration":
                lines += self.s_VariableDeclaration(node.init)
            else:
                lines.append(self.expression(node.init))
        flag = f"_first{next(self.temps)}"
        lines += [f"{flag} = True", "while True:"]
        loop = [f"if not {flag}:"]
        loop += _indent(
            [self.expression(node.update)] if node.update is not None else ["pass"]
        )
        loop.append(f"{flag} = False")
        if node.test is not None:
            loop += [f"if not {self.condition(node.test)}:", "    break"]
        loop += self.block(node.body)
        return lines + _indent(loop)

    def s_ForInStatement(self, node: Any) -> list[str]:
        return self.loop(node, self._ForInStatement)

    def _ForInStatement(self, node: Any) -> list[str]:
        target = node.left
        if target.type == "VariableDeclaration":
            target = target.declarations[0].id
        key = f"_key{next(self.temps)}"
        return [
            f"for {key} in js.iterate_keys({self.expression(node.right)}):",
            *_indent([self.store(target, key), *self.block(node.body)]),
        ]

    def s_ReturnStatement(self, node: Any) -> list[str]:
        if not self.scopes:
            raise Unsupported("'return' outside a function", node)
        value = (
            "js.undefined" if node.argument is None else self.expression(node.argument)
        )
        return [f"return {value}"]

    def loop(self, node: Any, translate: Any) -> list[str]:
        """A loop (or switch), with the checks that carry labelled jumps outwards.

        Python has no labelled `break`/`continue`: a jump to an outer label sets a
        flag and breaks; after each inner loop, the flags of the labels around it
        are tested to break further or to continue the labelled loop.
        """
        label, self.label_for_next_loop = self.label_for_next_loop, None
        self.loops.append(label)
        try:
            lines: list[str] = translate(node)
        finally:
            self.loops.pop()
        if label is not None:
            lines = [f"_break_{label} = False", f"_continue_{label} = False", *lines]
        if self.loops:
            outer = self.loops[-1]
            for enclosing in (x for x in self.loops if x is not None):
                if enclosing == outer:
                    lines += [
                        f"if _break_{enclosing}:",
                        "    break",
                        f"if _continue_{enclosing}:",
                        f"    _continue_{enclosing} = False",
                        "    continue",
                    ]
                else:
                    lines += [
                        f"if _break_{enclosing} or _continue_{enclosing}:",
                        "    break",
                    ]
        return lines

    def s_LabeledStatement(self, node: Any) -> list[str]:
        if node.body.type not in (
            "ForStatement",
            "ForInStatement",
            "WhileStatement",
            "DoWhileStatement",
        ):
            raise Unsupported("only loops can be labelled", node)
        self.label_for_next_loop = _label(node.label.name)
        return self.statement(node.body)

    def s_BreakStatement(self, node: Any) -> list[str]:
        return self.jump(node, "break")

    def s_ContinueStatement(self, node: Any) -> list[str]:
        return self.jump(node, "continue")

    def jump(self, node: Any, kind: str) -> list[str]:
        if (
            node.label is None
            or self.loops
            and self.loops[-1] == _label(node.label.name)
        ):
            return [kind]
        label = _label(node.label.name)
        if label not in self.loops:
            raise Unsupported(
                f"no enclosing loop is labelled '{node.label.name}'", node
            )
        return [f"_{kind}_{label} = True", "break"]

    def s_ThrowStatement(self, node: Any) -> list[str]:
        return [f"raise js.JSError({self.expression(node.argument)})"]

    def s_TryStatement(self, node: Any) -> list[str]:
        lines = ["try:", *_indent(self.block(node.block))]
        if node.handler is not None:
            error = f"_error{next(self.temps)}"
            lines.append(f"except Exception as {error}:")
            parameter = node.handler.param
            if parameter is None or parameter.type != "Identifier":
                body = self.block(node.handler.body)
            else:
                scope = _Scope(self.dm.new_name("catch"), {parameter.name})
                self.scopes.append(scope)
                try:
                    body = [
                        f"{scope.variable} = js.JSObject({{{parameter.name!r}: js.thrown({error})}})",
                        *self.block(node.handler.body),
                    ]
                finally:
                    self.scopes.pop()
            lines += _indent(body)
        if node.finalizer is not None:
            lines += ["finally:", *_indent(self.block(node.finalizer))]
        return lines

    def s_FunctionDeclaration(self, node: Any) -> list[str]:
        return self.function_declaration(node)

    def s_SwitchStatement(self, node: Any) -> list[str]:
        """`switch`: find the first matching case (`===`), then fall through.

        The cases run inside a one-pass `while` so that `break` leaves the switch;
        a `continue` for an enclosing loop would be caught by it, so it is refused.
        """
        for case in node.cases:
            for statement in case.consequent:
                _refuse_continue(statement)
        value = f"_switch{next(self.temps)}"
        index = f"_case{next(self.temps)}"
        default = next((i for i, c in enumerate(node.cases) if c.test is None), -1)
        choice = str(default)
        for number in reversed(range(len(node.cases))):
            test = node.cases[number].test
            if test is not None:
                choice = f"({number} if js.strict_eq({value}, {self.expression(test)}) else {choice})"
        lines = [
            f"{value} = {self.expression(node.discriminant)}",
            f"{index} = {choice}",
        ]

        def cases(node: Any) -> list[str]:
            body: list[str] = []
            for number, case in enumerate(node.cases):
                statements = self.statements(case.consequent)
                if statements:
                    body += [f"if 0 <= {index} <= {number}:", *_indent(statements)]
            body.append("break")
            return ["while True:", *_indent(body)]

        return lines + self.loop(node, cases)


def _label(name: str) -> str:
    """A label as part of a Python name."""
    return name.replace("$", "_S_")


def _refuse_continue(node: Any) -> None:
    """Raise Unsupported for a `continue` that is not inside a loop of its own."""
    if node is None or not hasattr(node, "type"):
        return
    if node.type == "ContinueStatement":
        raise Unsupported("'continue' inside 'switch' is not supported", node)
    if node.type in (
        "ForStatement",
        "ForInStatement",
        "WhileStatement",
        "DoWhileStatement",
    ):
        return
    if node.type in ("FunctionDeclaration", "FunctionExpression"):
        return
    for key in ("body", "consequent", "alternate", "block", "handler", "finalizer"):
        child = getattr(node, key, None)
        if isinstance(child, list):
            for item in child:
                _refuse_continue(item)
        else:
            _refuse_continue(child)


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]
