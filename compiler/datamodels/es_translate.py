"""ECMAScript -> Python: the expression half of the ECMAScript translator.

Input: ESTree nodes from esprima (with positions). Output: Python source that
calls `scxmlc.runtime.js`. Expressions become expressions; a function becomes a
Python `def` emitted into `prelude` (before the statement that needs it), with its
parameters and `var`s as Python locals (see `local_name`) that inner functions
close over, declaring them `nonlocal` where they assign them. Statements are translated in `es_statements`, whose `Translator` extends
this module's `ExpressionTranslator`. A construct neither translates raises
`Unsupported` with its node.

Generated code passes `self`, the machine, as the `session` argument of the
property functions (`js.get(obj, key, self)`): it names the session whose
changes to built-in objects apply, and whose clock `Date` reads.
"""

from __future__ import annotations

import builtins
import itertools
import keyword
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

from esprima.nodes import Node  # type: ignore[import-untyped]

from ... import runtime
from ...runtime.js import session as js_session
from ...runtime.js import standard as js_builtins
from ...runtime.js.values import SAFE_INTEGER
from ...runtime.ors.genesys import Genesys
from ..ors.model import HostObject, genesys_model
from ..diagnostics import Loc
from . import BUDGET_CHECK, SYSTEM_VARIABLES

if TYPE_CHECKING:
    from .ecmascript import EcmascriptDatamodel

__all__ = [
    "BUILTINS",
    "SYSTEM",
    "ExpressionTranslator",
    "Unsupported",
    "hoisted",
    "implicit_globals",
    "local_name",
    "python_locals",
    "walk_nodes",
]

SYSTEM: Final = {
    **SYSTEM_VARIABLES,
    "_genesys": "self._genesys",
    "_data": "self.dm",  # ORS: the object of the <data> values
    "_my_prefix": "",  # Composer: the resolveid of the element's XInclude (Loc.include)
    "_internal": "'_internal'",  # ORS: `target="_internal"` names the internal queue
}
"""Names the platform binds, which no document can declare or assign."""
SESSION_FUNCTIONS: Final = frozenset(js_session.SESSION_FUNCTIONS)
"""ORS's built-in functions (`__Log`, ...), bound to the session that calls them."""
GENESYS_MODULES: Final = frozenset(Genesys.js_properties)
"""The module objects of `_genesys` (`session`, `ixn`, ...): platform objects."""
BUILTINS: Final = frozenset(js_builtins.GLOBALS)
"""The global objects and functions the runtime provides (`js.GLOBALS[name]`)."""
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
    "in": "js.has({right}, {left}, self)",
    "instanceof": "js.instanceof({left}, {right})",
}
"""Binary operators other than arithmetic and bitwise ones, as source templates."""
_UNARY: Final = {
    "-": "js.negate({value})",
    "+": "js.to_number({value})",
    "~": "js.bitwise('^', {value}, -1)",
    "void": "(({value}), js.undefined)[1]",
}
_BOOLEAN_OPERATORS: Final = frozenset(
    {"<", "<=", ">", ">=", "==", "!=", "===", "!==", "in", "instanceof"}
)


def _is_boolean(node: Any) -> bool:
    """Whether the translation of `node` is always a Python bool, calls of `In`
    aside (see `ExpressionTranslator.is_boolean`)."""
    if node.type == "BinaryExpression":
        return bool(node.operator in _BOOLEAN_OPERATORS)
    if node.type == "UnaryExpression":
        return bool(node.operator == "!")
    if node.type == "Literal":
        return isinstance(node.value, bool)
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
    """Names a script assigns where no enclosing function declares them.

    In non-strict JavaScript such an assignment creates a global; Composer
    libraries rely on it (`for (i = 0; ...)` in a function declaring no `i`).
    They become script globals like declared ones.
    """
    assigned: list[str] = []
    top = frozenset(hoisted(program.body)) | set(SYSTEM) | BUILTINS
    pending: list[tuple[Any, frozenset[str]]] = [(program.body, top)]
    while pending:
        node, declared = pending.pop()
        if isinstance(node, list):
            pending.extend((child, declared) for child in node)
            continue
        if not isinstance(node, Node):
            continue
        kind = node.type
        if kind in _FUNCTIONS:
            names = {p.name for p in node.params if p.type == "Identifier"}
            names.update(hoisted(node.body.body))
            if node.id is not None:
                names.add(node.id.name)
            pending.append((node.body, declared | names))
            continue
        if kind == "CatchClause" and node.param is not None:
            pending.append((node.body, declared | {node.param.name}))
            continue
        target = None
        if kind == "AssignmentExpression":
            target = node.left
        elif kind == "UpdateExpression":
            target = node.argument
        if target is not None and target.type == "Identifier":
            if target.name not in declared:
                assigned.append(target.name)
        for value in vars(node).values():
            if isinstance(value, (list, Node)):
                pending.append((value, declared))
    return list(dict.fromkeys(assigned))


def _incremented(node: Any, current: str, *, convert: bool = True) -> str:
    """The value `++`/`--` update `node` stores, from the source `current` of
    the old value (already a number when not `convert`)."""
    delta = "1" if node.operator == "++" else "-1"
    old = f"js.to_number({current})" if convert else current
    return f"js.add({old}, {delta})"


def _uses_arguments(function: Any) -> bool:
    """Whether the body of `function` may read its `arguments` object: a name
    `arguments` anywhere in it outside nested functions (which have their own),
    or a call of `eval`."""
    return any(
        node.type == "Identifier" and node.name in ("arguments", "eval")
        for node in walk_nodes(function.body, into_functions=False)
    )


def walk_nodes(node: Any, *, into_functions: bool = True) -> Iterator[Any]:
    """Every ESTree node under `node`, depth first; without `into_functions`,
    nested functions are left out, bodies and all. (Positions are not nodes.)"""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, list):
            pending.extend(reversed(current))
            continue
        if not isinstance(current, Node):
            continue
        if not into_functions and current.type in _FUNCTIONS:
            continue
        yield current
        for value in vars(current).values():
            if isinstance(value, (list, Node)):
                pending.append(value)


_FUNCTIONS = ("FunctionDeclaration", "FunctionExpression")


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
    elif kind in ("LabeledStatement", "WithStatement"):
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


class Scope:
    """A scope the code being translated is inside.

    `kind` is "function" (its `names` are the Python locals `locals` maps them
    to), "catch" (its `names` live in the Python scope object `variable`), or
    "with" (`variable` holds the `with` statement's object, whose properties are
    looked up at run time before any enclosing binding). `nonlocals` collects the
    locals of enclosing functions a function assigns. `own_name` is the name of
    a named function expression bound in its own scope, which assignments
    leave unchanged.
    """

    def __init__(
        self,
        variable: str,
        names: set[str],
        kind: str = "function",
        locals: dict[str, str] | None = None,
    ) -> None:
        self.variable = variable
        self.names = names
        self.kind = kind
        self.locals = locals or {}
        self.nonlocals: set[str] = set()
        self.own_name = ""


_RESERVED: Final = frozenset(
    {
        *keyword.kwlist,
        *dir(builtins),
        *(name for name in vars(runtime) if not name.startswith("_")),
        "this",
        "args",
        "self",
    }
)
"""Names a generated function may read besides its JavaScript variables."""


def local_name(name: str) -> str:
    """The Python local JavaScript variable `name` is spelled as, if free.

    An ASCII name that starts with a lowercase letter, has no `$` and no trailing
    `_`, and is not a Python keyword, a built-in or a name generated code uses,
    is kept as it is. Any other gets a trailing `_`, after `$` is spelled `_S_`
    and characters Python does not allow in names `_uXXXX_`. Generated
    temporaries start with `_` and never end with one, and a kept name never
    ends with `_`, so a temporary meets no variable.
    """
    if (
        name.isascii()
        and name[:1].islower()
        and not name.endswith("_")
        and "$" not in name
        and name not in _RESERVED
    ):
        return name
    spelled = "".join(
        "_S_" if c == "$" else c if f"a{c}".isidentifier() else f"_u{ord(c):04x}_"
        for c in name
    )
    return unicodedata.normalize("NFKC", spelled) + "_"


def python_locals(names: set[str], enclosing: list[Scope]) -> dict[str, str]:
    """The Python local of each variable `names` of a function nested in the
    functions `enclosing`.

    A local never takes the Python name of an enclosing function's variable it
    does not shadow (the two JavaScript names may spell alike, as `a$` and
    `a_S_` do): it is numbered instead, `a_S__1_`.
    """
    taken = {
        python
        for scope in enclosing
        for variable, python in scope.locals.items()
        if variable not in names
    }
    result: dict[str, str] = {}
    for name in sorted(names):
        python = spelled = local_name(name)
        number = 1
        while python in taken:
            python = f"{spelled}{number}_"
            number += 1
        taken.add(python)
        result[name] = python
    return result


def _property_name(key: Any) -> str:
    """The property an object-literal key names: `a`, `'a'` and `1` give strings."""
    if key.type == "Identifier":
        return str(key.name)
    value = key.value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else repr(value)


class ExpressionTranslator:
    """Translates expressions and functions; functions are emitted into `prelude`.

    `es_statements.Translator` adds the statements and is what datamodels use.
    """

    def __init__(
        self,
        datamodel: EcmascriptDatamodel,
        loc: Loc,
        *,
        where: str = "expression",
        include: str = "",
        token_position: Callable[..., Loc] | None = None,
    ) -> None:
        self.dm = datamodel
        self.loc = loc
        self.token_position = token_position
        """Line and column of an expression's text -> where they were written."""
        self.where = where
        """The element and attribute translated (`<transition cond>`), for messages."""
        self.include = include or loc.include
        """The resolveid of the Composer XInclude the code came through."""
        self.position: Callable[..., Loc] | None = None
        """Script line (and column) -> where it was written, while a script is
        translated."""
        self.scopes: list[Scope] = []
        self.prelude: list[str] = []
        self.uses_event = False
        self.temps = itertools.count(1)
        self.hint = ""
        """What the function expression translated next is assigned to, to name
        its Python function after (`String.prototype.trim = function ...`)."""
        self.jumps: list[Any] = []
        """The statements `break` and `continue` can leave, innermost last."""

    def statements(self, body: list[Any]) -> list[str]:
        """Python statements for ESTree statements (`es_statements` implements it)."""
        raise NotImplementedError

    # -- names -----------------------------------------------------------------

    def lookup(self, name: str) -> tuple[list[str], tuple[str, str] | None]:
        """How `name` resolves here: the `with` objects to search first (innermost
        first), and its static binding: ("local", Python local of a function),
        ("scope", scope object of a `catch`), ("global", field of the script
        globals), ("data", `<data>` id) or ("shadowed", a name that is both)."""
        withs: list[str] = []
        for scope in reversed(self.scopes):
            if scope.kind == "with":
                withs.append(scope.variable)
            elif name in scope.names:
                if scope.kind == "function":
                    return withs, ("local", scope.locals[name])
                return withs, ("scope", scope.variable)
        field = self.dm.globals.get(name)
        if field is not None:
            kind = "shadowed" if name in self.dm.data_ids else "global"
            return withs, (kind, field.name)
        if name in self.dm.data_ids:
            return withs, ("data", name)
        return withs, None

    def locate(self, node: Any) -> Loc:
        """Where `node` was written."""
        position = getattr(node, "loc", None)
        if position is None:
            return self.loc
        line, column = position.start.line, position.start.column
        if self.position is not None:
            return self.position(line, column + 1)
        if self.token_position is not None:
            return self.token_position(line, column + 1)
        if line != 1:
            return self.loc
        loc = self.loc
        return Loc(loc.file, loc.line, loc.col + max(column - 1, 0), loc.include)

    def resolve(self, node: Any) -> tuple[str, str] | None:
        """The static binding of an identifier (ignoring `with` objects), if any."""
        return self.lookup(node.name)[1]

    def identifier(self, node: Any) -> str:
        """The source reading identifier `node`."""
        withs, found = self.lookup(node.name)
        source = self.static_identifier(node, found, dynamic=bool(withs))
        return _through_withs(withs, node.name, source)

    def static_identifier(
        self, node: Any, found: tuple[str, str] | None, dynamic: bool = False
    ) -> str:
        """An identifier read from its binding, a system variable or a built-in.

        A name bound nowhere is looked up when the code runs (`js.free_name`:
        a property scripts gave `_data`, else a ReferenceError), with a warning
        unless a `with` object may hold it (`dynamic`).
        """
        name = node.name
        if found is not None:
            return self.binding_source(name, found)
        builtin = self.builtin(name)
        if builtin is not None:
            return builtin
        if not dynamic:
            self.dm.undefined_name(name, self.locate(node), self.where)
        return f"js.free_name(self, {name!r})"

    def builtin(self, name: str) -> str | None:
        """The source of a name the platform binds (a system variable, an ORS
        or JavaScript built-in), or None."""
        if name == "undefined":
            return "js.undefined"
        if name == "_my_prefix":
            return repr(self.include)
        if name in SYSTEM:
            if name == "_event":
                self.uses_event = True
            if name == "_data" and self.dm.data_record:  # `mentions` missed it
                raise AssertionError("_data read where <data> is a record")
            return SYSTEM[name]
        if name == "Date":
            return "js.date_constructor(self)"
        if name in SESSION_FUNCTIONS:
            return f"js.session_function(self, {name!r})"
        if name in BUILTINS:
            return f"js.GLOBALS[{name!r}]"
        if name == "In":
            self.dm.configuration_reads += 1
            return "self.In"
        return None

    # -- expressions -------------------------------------------------------------

    def condition(self, node: Any) -> str:
        """A Python bool: whether the value of `node` is truthy. Only truthiness
        matters here, so `&&`, `||` and `!` become Python's `and`, `or`, `not`."""
        if node.type == "LogicalExpression":
            operator = "and" if node.operator == "&&" else "or"
            left, right = self.condition(node.left), self.condition(node.right)
            return f"({left} {operator} {right})"
        source = self.expression(node)
        if self.is_boolean(node):
            return source
        return f"js.truthy({source})"

    def is_boolean(self, node: Any) -> bool:
        """Whether the translation of `node` is always a Python bool: a
        comparison, a `!`, a boolean literal, `&&` or `||` of those, or a call
        of the SCXML `In` (not of a variable or `with` property named `In`)."""
        if node.type == "LogicalExpression":
            return self.is_boolean(node.left) and self.is_boolean(node.right)
        if node.type == "CallExpression":
            callee = node.callee
            if callee.type != "Identifier" or callee.name != "In":
                return False
            return self.is_state_test(node) or self.lookup("In") == ([], None)
        return _is_boolean(node)

    def is_state_test(self, node: Any) -> bool:
        """Whether call `node` is `In('state')` of the SCXML `In`, unshadowed."""
        callee = node.callee
        return bool(
            callee.type == "Identifier"
            and callee.name == "In"
            and self.resolve(callee) is None
            and len(node.arguments) == 1
            and node.arguments[0].type == "Literal"
            and isinstance(node.arguments[0].value, str)
        )

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
        if isinstance(value, float) and math.isinf(value):  # 1e400
            return 'float("inf")'
        if (
            isinstance(value, int) and abs(value) > SAFE_INTEGER
        ):  # the double it reads as
            return repr(float(value))
        if (
            isinstance(value, float)
            and value.is_integer()
            and abs(value) <= SAFE_INTEGER  # the runtime's ints (js.whole_number)
            and not any(c in node.raw for c in ".eE")
        ):
            return repr(int(value))
        return repr(value)

    def x_Identifier(self, node: Any) -> str:
        return self.identifier(node)

    def x_ThisExpression(self, node: Any) -> str:
        if any(scope.kind == "function" for scope in self.scopes):
            return "this"
        return "js.undefined"

    def x_ArrayExpression(self, node: Any) -> str:
        items = ", ".join(
            "js.undefined" if e is None else self.expression(e) for e in node.elements
        )
        return f"js.JSArray([{items}])"

    def x_ObjectExpression(self, node: Any) -> str:
        """An object literal; with getters or setters, an `AccessorObject`."""
        entries: dict[str, str | list[str]] = {}
        for prop in node.properties:
            if prop.computed:
                raise Unsupported("computed property names are not supported", prop)
            key = _property_name(prop.key)
            if prop.kind == "init":
                self.name_function(prop.value, prop.key)
                entries[key] = self.expression(prop.value)
                continue
            pair = entries.get(key)
            if not isinstance(pair, list):
                pair = entries[key] = ["None", "None"]
            self.hint = f"{prop.kind}_{key}"  # `_js_get_total`: a stable name
            pair[0 if prop.kind == "get" else 1] = self.function(prop.value, "")
        if not any(isinstance(v, list) for v in entries.values()):
            return (
                "js.JSObject({"
                + ", ".join(f"{k!r}: {v}" for k, v in entries.items())
                + "})"
            )
        items = [
            (
                f"{k!r}: js.Accessor({v[0]}, {v[1]})"
                if isinstance(v, list)
                else f"{k!r}: {v}"
            )
            for k, v in entries.items()
        ]
        return "js.AccessorObject({" + ", ".join(items) + "})"

    def member_key(self, node: Any) -> str:
        if node.computed:
            return self.expression(node.property)
        return repr(node.property.name)

    def check_platform_member(self, node: Any) -> None:
        """Warn, at its token, of a member of `_genesys` (or of an object read
        from it) that the ORS object model does not have, with the closest one."""
        chain: list[Any] = []
        target = node
        while target.type == "MemberExpression":
            chain.append(target)
            target = target.object
        if target.type != "Identifier" or target.name != "_genesys":
            return
        if self.lookup("_genesys")[1] is not None:  # a variable of the document's
            return
        current: HostObject | None = genesys_model()
        for step in reversed(chain):
            if current is None:
                return
            if step.computed:
                current = current.items
                continue
            name = step.property.name
            if current.items is not None:  # a collection by id
                current = None if name in current.members else current.items
                continue
            if not current.has(name):
                self.dm.unknown_member(
                    current, name, self.locate(step.property), self.where
                )
                return
            current = current.member(name)

    def x_MemberExpression(self, node: Any) -> str:
        """`a.b` is `js.get(a, 'b', self)`; a chain `a.b[c].d` is one flat
        `js.path(a, self, 'b', c, 'd')`."""
        self.check_platform_member(node)
        keys = [self.member_key(node)]
        target = node.object
        while target.type == "MemberExpression":
            keys.append(self.member_key(target))
            target = target.object
        base = self.expression(target)
        if len(keys) == 1:
            return f"js.get({base}, {keys[0]}, self)"
        return f"js.path({base}, self, {', '.join(reversed(keys))})"

    def x_CallExpression(self, node: Any) -> str:
        callee = node.callee
        if self.is_state_test(node):
            state = node.arguments[0].value
            return self.dm.state_test(state, self.locate(node), self.where)
        arguments = [self.expression(a) for a in node.arguments]
        if callee.type == "MemberExpression":
            self.check_platform_member(callee)
            target = [self.expression(callee.object), self.member_key(callee), "self"]
            return f"js.call_method({', '.join([*target, *arguments])})"
        if callee.type == "Identifier":
            withs, found = self.lookup(callee.name)
            function = self.static_identifier(callee, found, dynamic=bool(withs))
            plain = f"js.call({', '.join([function, 'js.undefined', *arguments])})"
            return _calls_through_withs(withs, callee.name, arguments, plain)
        return f"js.call({', '.join([self.expression(callee), 'js.undefined', *arguments])})"

    def x_NewExpression(self, node: Any) -> str:
        arguments = [self.expression(a) for a in node.arguments]
        return f"js.construct({', '.join([self.expression(node.callee), *arguments])})"

    def x_BinaryExpression(self, node: Any) -> str:
        """`a op b`; a chain `a + b + c` is one flat `js.add_all(a, b, c)`."""
        if node.operator == "+" and _is_addition(node.left):
            operands = [node.right]
            left = node.left
            while _is_addition(left):
                operands.append(left.right)
                left = left.left
            operands.append(left)
            sources = [self.expression(n) for n in reversed(operands)]
            return f"js.add_all({', '.join(sources)})"
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
        """`a && b` is `b` if `a` is truthy, else `a`; `a || b` the converse.
        With two bools, that is Python's `and` and `or`."""
        if self.is_boolean(node):
            return self.condition(node)
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
            if argument.type == "Identifier":
                return f"js.typeof({self.typeof_operand(argument)})"
            return f"js.typeof({self.expression(argument)})"
        if operator == "!":
            return f"(not {self.condition(argument)})"
        if operator == "delete":
            if argument.type != "MemberExpression":
                return self.deleted_name(argument)
            value = self.expression(argument.object)
            return f"js.delete({value}, {self.member_key(argument)}, self)"
        template = _UNARY.get(operator)
        if template is None:
            raise Unsupported(f"operator {operator!r} is not supported", node)
        return template.format(value=self.expression(argument))

    def deleted_name(self, node: Any) -> str:
        """`delete` of an operand other than a property: false for a variable
        of a function or a `catch` (such bindings cannot be deleted), else
        true (the operand is evaluated, then discarded)."""
        if self.binding_of(node) is not None:
            return "False"
        if node.type == "Identifier":
            return "True"
        return f"(({self.expression(node)}), True)[1]"

    def typeof_operand(self, node: Any) -> str:
        """An identifier under `typeof`: a name bound nowhere reads as undefined."""
        withs, found = self.lookup(node.name)
        if found is not None:
            source = self.binding_source(node.name, found)
        else:
            source = self.builtin(node.name) or f"js.free_type(self, {node.name!r})"
        return _through_withs(withs, node.name, source)

    def x_AssignmentExpression(self, node: Any) -> str:
        return self.store(node.left, self.assigned_value(node))

    def effect(self, node: Any) -> str:
        """A statement evaluating expression `node` for its effect only: an
        assignment or update of a variable becomes a store statement (see
        `store_statement`), and `i++` there needs no temporary for the old
        value."""
        if node.type == "AssignmentExpression":
            return self.store_statement(node.left, self.assigned_value(node))
        if node.type == "UpdateExpression" and self.binding_of(node.argument):
            current = self.expression(node.argument)
            return self.store_statement(node.argument, _incremented(node, current))
        return self.expression(node)

    def store_statement(self, target: Any, value: str) -> str:
        """A statement storing `value` into `target`. A function's variable,
        outside any `with`, is a Python assignment; a `catch` variable an item
        assignment to its scope object, which has no prototype, so nothing can
        intercept it."""
        if self.is_data_property(target):
            return f"self.dm[{target.property.name!r}] = {value}"
        binding = self.binding_of(target)
        if binding is None:
            return self.store(target, value)
        value = value
        kind, container = binding
        if kind == "local" and self.is_own_name(target.name):
            return value
        if kind == "local":
            return f"{self.assigned_local(target.name, container)} = {value}"
        return f"{self.binding_source(target.name, binding)} = {value}"

    def binding_source(self, name: str, found: tuple[str, str]) -> str:
        """The source reading `name` from its static binding (see `lookup`)."""
        kind, container = found
        if kind == "local":
            return container
        if kind == "scope":
            return f"{container}[{name!r}]"
        if kind == "global":
            return f"self.globals.{container}"
        if kind == "data":
            return self.dm.data_source(name)
        return f"js.shadowed(self.globals.{container}, self.dm, {name!r})"

    def is_data_property(self, target: Any) -> bool:
        """Whether `target` is `_data.name` (ORS's object of `<data>` values,
        unshadowed), which a store writes into directly."""
        return bool(
            target.type == "MemberExpression"
            and not target.computed
            and target.object.type == "Identifier"
            and target.object.name == "_data"
            and self.lookup("_data") == ([], None)
        )

    def binding_of(self, target: Any) -> tuple[str, str] | None:
        """The binding ("local", "scope", "global" or "data", see `lookup`) of
        identifier `target`, when a store into it goes straight there (no `with`
        object may have the name first)."""
        if target.type != "Identifier":
            return None
        withs, found = self.lookup(target.name)
        if withs or found is None or found[0] == "shadowed":
            return None
        return found

    def is_own_name(self, name: str) -> bool:
        """Whether variable `name` here is the name of the named function
        expression it is in: an immutable binding (non-strict code assigning
        it has no effect beyond evaluating the value)."""
        for scope in reversed(self.scopes):
            if scope.kind != "with" and name in scope.names:
                return scope.own_name == name
        return False

    def assigned_local(self, name: str, python: str) -> str:
        """`python`, the local of variable `name`, about to be assigned: in a
        function nested in the one that declares it, it is declared `nonlocal`."""
        innermost = next(s for s in reversed(self.scopes) if s.kind == "function")
        if name not in innermost.names:
            innermost.nonlocals.add(python)
        return python

    def assigned_value(self, node: Any) -> str:
        """The value assignment `node` stores (`a op= b` stores `a op b`)."""
        self.name_function(node.right, node.left)
        if node.operator == "=":
            self.check_kept(node.right, node.left)
        value = self.expression(node.right)
        if node.operator != "=":
            value = self.binary(
                node.operator[:-1], self.expression(node.left), value, node
            )
        return value

    def x_UpdateExpression(self, node: Any) -> str:
        current = self.expression(node.argument)
        if node.prefix:
            return self.store(node.argument, _incremented(node, current))
        temp = f"_t{next(self.temps)}"
        stored = self.store(node.argument, _incremented(node, temp, convert=False))
        return f"(({temp} := js.to_number({current})), {stored})[0]"

    def x_TemplateLiteral(self, node: Any) -> str:
        """`` `a${x}b` ``: the text with each substitution converted by ToString."""
        parts: list[str] = []
        for index, quasi in enumerate(node.quasis):
            text = quasi.value.cooked
            if text is None:
                raise Unsupported("an invalid escape in a template literal", quasi)
            if text:
                parts.append(repr(text))
            if index < len(node.expressions):
                parts.append(
                    f"js.to_string({self.expression(node.expressions[index])})"
                )
        if not parts:
            return "''"
        return parts[0] if len(parts) == 1 else f"({' + '.join(parts)})"

    def x_SequenceExpression(self, node: Any) -> str:
        parts = [self.expression(e) for e in node.expressions]
        return f"({', '.join(parts)})[-1]"

    def check_kept(self, value: Any, target: Any) -> None:
        """Warn where a script keeps a platform object (`_genesys`, one of its
        module objects) in a script global or `<data>`, where it outlives the
        script: no snapshot can capture it (unless the document is never
        persisted). A function's variables are left alone: they end with it."""
        platform = _platform_object(value)
        if platform is None or not self.dm.chart.document.persist:
            return
        if self.is_data_property(target):
            kept = f"_data.{target.property.name}"
        elif target.type == "Identifier":
            found = self.lookup(target.name)[1]
            if found is None or found[0] in ("local", "scope"):
                return
            kept = target.name
        else:
            return
        self.dm.diag.warning(
            self.locate(value),
            f"{self.where}: {platform} is kept in '{kept}', which a snapshot "
            "cannot capture (a platform object): snapshot() of the document's "
            f"sessions raises SnapshotError (read {platform} where it is needed)",
        )

    def name_function(self, value: Any, target: Any) -> None:
        """When `value` is a function expression, name its Python function
        after `target`, the variable or property it is assigned to."""
        if value.type != "FunctionExpression":
            return
        if target.type == "Identifier":
            self.hint = target.name
        elif target.type == "MemberExpression" and not target.computed:
            self.hint = target.property.name
        elif target.type in ("Literal",) and isinstance(target.value, str):
            self.hint = target.value

    def x_FunctionExpression(self, node: Any) -> str:
        return self.function(node, node.id.name if node.id else "")

    def store(self, target: Any, value: str) -> str:
        """An expression that stores `value` into `target` and yields it."""
        if target.type == "Identifier":
            withs, found = self.lookup(target.name)
            return _stores_through_withs(
                withs, target.name, value, self.static_store(target, found, value)
            )
        if target.type == "MemberExpression":
            obj = self.expression(target.object)
            return f"js.put({obj}, {self.member_key(target)}, {value}, self)"
        raise Unsupported(f"cannot assign to {target.type}", target)

    def static_store(
        self, target: Any, found: tuple[str, str] | None, value: str
    ) -> str:
        """A store into the binding of identifier `target`. The platform's
        names cannot be assigned; every other name a document assigns is
        declared (a script global, at least)."""
        name = target.name
        if found is None:
            if name in SYSTEM:
                raise Unsupported(
                    f"cannot assign to the system variable '{name}'", target
                )
            raise Unsupported(f"cannot assign to the built-in '{name}'", target)
        kind, container = found
        if kind == "local" and self.is_own_name(name):
            return value
        if kind == "local":
            return f"({self.assigned_local(name, container)} := {value})"
        if kind == "scope":
            return f"js.put({container}, {name!r}, {value})"
        if kind == "global":
            return f"js.set_field(self.globals, {container!r}, {value})"
        if kind == "data" and self.dm.data_record:
            return f"js.set_field(self.dm, {name!r}, {value})"
        if kind == "data":
            return f"js.store_item(self.dm, {name!r}, {value})"
        return f"js.store_shadowed(self.globals, {container!r}, self.dm, {name!r}, {value})"

    # -- functions -----------------------------------------------------------------

    def function(self, node: Any, name: str) -> str:
        """A Python function for JavaScript function `node`, named after it
        (`_js_getBaseURL`; an anonymous one after what it is assigned to); the
        source of its function object.

        A function written outside any other function (a library's) becomes a
        method of the machine class, with `self`; one written inside another,
        or inside a `with` or `catch`, a `def` in the prelude, closing over
        the variables around it.
        """
        if node.generator or node.isAsync:
            raise Unsupported("generators and async functions are not supported", node)
        hint, self.hint = self.hint, ""
        python_name = self.dm.function_name(name or hint)
        own_name = name if node.type == "FunctionExpression" else ""
        method = not self.scopes and not own_name
        parameters = [p.name for p in node.params if p.type == "Identifier"]
        if len(parameters) != len(node.params):
            raise Unsupported("only plain parameters are supported", node)
        names = {*parameters, *hoisted(node.body.body)}
        if _uses_arguments(node):
            names.add("arguments")
        if own_name in names:
            own_name = ""  # a parameter or `var` of that name shadows it
        if own_name:
            names.add(own_name)
        functions = [s for s in self.scopes if s.kind == "function"]
        scope = Scope("", names, locals=python_locals(names, functions))
        scope.own_name = own_name
        outer = self.prelude, self.jumps
        self.prelude, self.jumps = [], []
        self.scopes.append(scope)
        try:
            statements = self.statements(node.body.body)
            body = _function_prologue(scope, parameters, own_name, python_name)
            body += [*BUDGET_CHECK, *self.prelude, *statements]
            if not statements or not statements[-1].startswith(("return ", "raise ")):
                body.append("return js.undefined")
        finally:
            self.scopes.pop()
            self.prelude, self.jumps = outer
        if method:
            where = self.locate(node).short()
            described = f"function {name or hint or '(anonymous)'}"
            self.dm.add_method(python_name, body, f"{described} {where}")
            return f"js.JSFunction(self.{python_name}, {name!r})"
        captured = "".join(
            f", {variable}: Any = {variable}" for variable in self.captured(body)
        )
        self.prelude.append(
            f"def {python_name}(this: Any, *args: Any{captured}) -> Any:"
        )
        self.prelude.extend("    " + line for line in body)
        self.prelude.append(
            f"{python_name}_object = js.JSFunction({python_name}, {name!r})"
        )
        return f"{python_name}_object"

    def captured(self, body: list[str]) -> list[str]:
        """The objects of the `catch` clauses and `with` statements around a
        function (inside the function around it) that its `body` reads. The
        function keeps the ones current when it is created, as keyword-only
        parameters: a later pass of a loop rebinds their Python variables to
        the objects of its own `catch` or `with`."""
        scopes: list[Scope] = []
        for scope in reversed(self.scopes):
            if scope.kind == "function":
                break
            scopes.append(scope)
        text = "\n".join(body)
        return [
            scope.variable
            for scope in reversed(scopes)
            if re.search(rf"\b{scope.variable}\b", text)
        ]


def _platform_object(node: Any) -> str | None:
    """`_genesys` or `_genesys.<module>` when `node` reads one, else None."""
    if node.type == "Identifier" and node.name == "_genesys":
        return "_genesys"
    if (
        node.type == "MemberExpression"
        and not node.computed
        and node.object.type == "Identifier"
        and node.object.name == "_genesys"
        and node.property.name in GENESYS_MODULES
    ):
        return f"_genesys.{node.property.name}"
    return None


def _is_addition(node: Any) -> bool:
    return bool(node.type == "BinaryExpression" and node.operator == "+")


def _function_prologue(
    scope: Scope, parameters: list[str], own_name: str, python_name: str
) -> list[str]:
    """The first lines of a function's body: its `nonlocal` declaration, then
    its locals, each typed `js.JSValue` where it is first bound: `arguments`,
    the parameters (a repeated one takes the later argument), the `var`s and
    function declarations (undefined until their statement runs), and the
    name of a named function expression."""
    lines = []
    if scope.nonlocals:
        lines.append(f"nonlocal {', '.join(sorted(scope.nonlocals))}")
    bound: set[str] = set()

    def bind(variable: str, value: str) -> None:
        python = scope.locals[variable]
        annotation = "" if variable in bound else ": js.JSValue"
        bound.add(variable)
        lines.append(f"{python}{annotation} = {value}")

    if "arguments" in scope.names and "arguments" not in parameters:
        bind("arguments", "js.JSArray(args)")
    for index, parameter in enumerate(parameters):
        bind(parameter, f"args[{index}] if len(args) > {index} else js.undefined")
    for variable in sorted(scope.names - {*parameters, "arguments", own_name}):
        bind(variable, "js.undefined")
    if own_name:
        bind(own_name, f"{python_name}_object")
    return lines


def _through_withs(withs: list[str], name: str, source: str) -> str:
    """Read `name` from the innermost `with` object that has it, else `source`."""
    for variable in reversed(withs):
        source = (
            f"(js.get({variable}, {name!r}, self) "
            f"if js.in_scope({variable}, {name!r}, self) else {source})"
        )
    return source


def _calls_through_withs(
    withs: list[str], name: str, arguments: list[str], source: str
) -> str:
    """Call `name` as a method of the innermost `with` object that has it (it is
    `this`), else evaluate `source`."""
    for variable in reversed(withs):
        call = ", ".join([variable, repr(name), "self", *arguments])
        source = (
            f"(js.call_method({call}) "
            f"if js.in_scope({variable}, {name!r}, self) else {source})"
        )
    return source


def _stores_through_withs(withs: list[str], name: str, value: str, source: str) -> str:
    """Store into the innermost `with` object that has `name`, else `source`."""
    for variable in reversed(withs):
        source = (
            f"(js.put({variable}, {name!r}, {value}, self) "
            f"if js.in_scope({variable}, {name!r}, self) else {source})"
        )
    return source
