"""ECMAScript -> Python: the statement half of the ECMAScript translator.

`Translator` extends `ExpressionTranslator` (`es_translate`) with statements:
`var`, `if`, the loops, `switch`, `try`, `throw`, `return`, `with`, labelled
statements, and `break`/`continue` to any enclosing loop, switch or label.

Python has no labelled jumps. Every statement a jump can leave becomes a Python
loop (a `switch` or a labelled block runs its body in a one-pass `while True`).
A jump to the innermost one is Python's own `break`/`continue`; a jump further
out sets a flag and breaks, and after each inner loop the flags of jumps aimed
beyond it are tested, to break further or to continue the target loop.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

from ..diagnostics import Loc
from . import BUDGET_CHECK
from .es_translate import ExpressionTranslator, Scope, Unsupported, walk_nodes

if TYPE_CHECKING:
    from .ecmascript import EcmascriptDatamodel

__all__ = ["Translator"]

_LOOPS: Final = frozenset(
    {"ForStatement", "ForInStatement", "WhileStatement", "DoWhileStatement"}
)


class _Target:
    """A statement `break` (and for loops `continue`) can leave.

    `kind` is "loop", "switch" or "block" (a labelled statement that is neither).
    `escapes` lists the jumps, made inside it, to targets further out:
    (target, "break" or "continue"), tested after it ends. `continued` tells
    whether a `continue` goes to it.
    """

    def __init__(self, kind: str, labels: set[str], number: int) -> None:
        self.kind = kind
        self.labels = labels
        self.flag = f"_jump{number}"
        self.flags: set[str] = set()
        self.escapes: list[tuple[_Target, str]] = []
        self.continued = False

    def flag_for(self, jump: str) -> str:
        """The flag of a `jump` ("break" or "continue") to this target from afar."""
        self.flags.add(jump)
        return f"{self.flag}_{jump}"


class Translator(ExpressionTranslator):
    """Translates one expression or script; functions are emitted into `prelude`."""

    def __init__(
        self,
        datamodel: EcmascriptDatamodel,
        loc: Loc,
        *,
        where: str = "expression",
        include: str = "",
        token_position: Callable[..., Loc] | None = None,
    ) -> None:
        super().__init__(
            datamodel,
            loc,
            where=where,
            include=include,
            token_position=token_position,
        )
        self.jumps: list[_Target] = []
        self.labels: set[str] = set()
        """Labels of the loop or switch about to be translated."""
        self.numbers = itertools.count(1)

    # -- statement lists ------------------------------------------------------------

    def program(
        self, body: list[Any], position: Callable[..., Loc] | None = None
    ) -> list[str]:
        """A script's statements; with `position` (script line -> where it was
        written), each is preceded by a `# file:LINE` comment."""
        self.position = position
        try:
            return self.statements(body)
        finally:
            self.position = None

    def statements(self, body: list[Any]) -> list[str]:
        """A statement list; in a script with positions, each statement (in
        function bodies too) is preceded by a `# file:LINE` comment, so run-time
        errors name the line they happened on."""
        lines: list[str] = []
        last = ""
        for node in _hoisting_order(body):
            translated = self.top_statement(node)
            if self.position is not None and translated:
                comment = f"# {self.position(node.loc.start.line).short()}"
                if comment != last:
                    lines.append(comment)
                    last = comment
            lines += translated
        return lines

    def top_statement(self, node: Any) -> list[str]:
        """A statement of a list: function declarations are defined first."""
        if node.type == "FunctionDeclaration":
            return self.function_declaration(node)
        return self.statement(node)

    def function_declaration(self, node: Any) -> list[str]:
        saved = self.prelude
        self.prelude = []
        source = self.function(node, node.id.name)
        lines = self.prelude + [self.store_statement(node.id, source)]
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
        """The Python statements of a block or single statement (`pass` if none)."""
        return self.statements_of(node) or ["pass"]

    def statements_of(self, node: Any) -> list[str]:
        """The Python statements of a block or single statement, maybe none."""
        if node is None:
            return []
        if node.type == "BlockStatement":
            return self.statements(node.body)
        return self.statement(node)

    def loop_body(self, node: Any) -> list[str]:
        """The body of a loop, after the check of the session's budget that
        every pass makes (see `BUDGET_CHECK`)."""
        return [*BUDGET_CHECK, *self.statements_of(node)]

    # -- simple statements ------------------------------------------------------------

    def s_ExpressionStatement(self, node: Any) -> list[str]:
        return [self.effect(node.expression)]

    def s_EmptyStatement(self, node: Any) -> list[str]:
        return []

    def s_BlockStatement(self, node: Any) -> list[str]:
        return self.statements(node.body)

    def s_FunctionDeclaration(self, node: Any) -> list[str]:
        return self.function_declaration(node)

    def s_VariableDeclaration(self, node: Any) -> list[str]:
        lines = []
        for declaration in node.declarations:
            if declaration.id.type != "Identifier":
                raise Unsupported("destructuring is not supported", declaration)
            if declaration.init is not None:
                self.name_function(declaration.init, declaration.id)
                self.check_kept(declaration.init, declaration.id)
                value = self.expression(declaration.init)
                lines.append(self.store_statement(declaration.id, value))
        return lines

    def s_IfStatement(self, node: Any) -> list[str]:
        lines = [
            f"if {self.condition(node.test)}:",
            *_indent(self.block(node.consequent)),
        ]
        if node.alternate is not None:
            lines += ["else:", *_indent(self.block(node.alternate))]
        return lines

    def s_ReturnStatement(self, node: Any) -> list[str]:
        if not any(scope.kind == "function" for scope in self.scopes):
            raise Unsupported("'return' outside a function", node)
        value = (
            "js.undefined" if node.argument is None else self.expression(node.argument)
        )
        return [f"return {value}"]

    def s_ThrowStatement(self, node: Any) -> list[str]:
        return [f"raise js.JSThrow({self.expression(node.argument)})"]

    def s_TryStatement(self, node: Any) -> list[str]:
        lines = ["try:", *_indent(self.block(node.block))]
        if node.handler is not None:
            error = f"_error{next(self.temps)}"
            self.dm.imports.add("BudgetExceeded")
            lines += ["except BudgetExceeded:", "    raise"]
            lines.append(f"except Exception as {error}:")
            lines += _indent(self.catch_clause(node.handler, error))
        if node.finalizer is not None:
            lines += ["finally:", *_indent(self.block(node.finalizer))]
        return lines

    def catch_clause(self, handler: Any, error: str) -> list[str]:
        """The body of `catch (e)`, with `e` bound in a scope of its own."""
        parameter = handler.param
        if parameter is None or parameter.type != "Identifier":
            return self.block(handler.body)
        scope = Scope(self.dm.new_name("catch"), {parameter.name}, "catch")
        self.scopes.append(scope)
        try:
            return [
                f"{scope.variable} = js.JSObject({{{parameter.name!r}: js.thrown({error})}})",
                *self.block(handler.body),
            ]
        finally:
            self.scopes.pop()

    def s_WithStatement(self, node: Any) -> list[str]:
        """`with (obj) body`: names in `body` are looked up in `obj` first, at run time."""
        variable = f"_with{next(self.temps)}"
        lines = [f"{variable} = js.with_object({self.expression(node.object)})"]
        self.scopes.append(Scope(variable, set(), "with"))
        try:
            return lines + self.block(node.body)
        finally:
            self.scopes.pop()

    # -- loops --------------------------------------------------------------------------

    def s_WhileStatement(self, node: Any) -> list[str]:
        return self.enclose(node, "loop", self._while)

    def _while(self, node: Any) -> list[str]:
        test = self.condition(node.test)
        return [f"while {test}:", *_indent(self.loop_body(node.body))]

    def s_DoWhileStatement(self, node: Any) -> list[str]:
        return self.enclose(node, "loop", self._do_while)

    def _do_while(self, node: Any) -> list[str]:
        flag = f"_first{next(self.temps)}"
        return [
            f"{flag} = True",
            f"while {flag} or {self.condition(node.test)}:",
            f"    {flag} = False",
            *_indent(self.loop_body(node.body)),
        ]

    def s_ForStatement(self, node: Any) -> list[str]:
        return self.enclose(node, "loop", self._for)

    def _for(self, node: Any) -> list[str]:
        """`for (init; test; update) body`: a `while` loop that runs `update`
        after `body`, or, when a `continue` may skip the end of `body`, before
        every pass but the first."""
        lines: list[str] = []
        if node.init is not None:
            if node.init.type == "VariableDeclaration":
                lines += self.s_VariableDeclaration(node.init)
            else:
                lines.append(self.effect(node.init))
        test = "True" if node.test is None else self.condition(node.test)
        body = self.loop_body(node.body)
        update = [] if node.update is None else [self.effect(node.update)]
        if not self.jumps[-1].continued:
            return lines + [f"while {test}:", *_indent(body + update)]
        flag = f"_first{next(self.temps)}"
        lines += [f"{flag} = True", "while True:"]
        loop = [f"if not {flag}:", *_indent(update or ["pass"]), f"{flag} = False"]
        if node.test is not None:
            loop += [f"if not {test}:", "    break"]
        return lines + _indent(loop + body)

    def s_ForInStatement(self, node: Any) -> list[str]:
        return self.enclose(node, "loop", self._for_in)

    def _for_in(self, node: Any) -> list[str]:
        target = node.left
        if target.type == "VariableDeclaration":
            target = target.declarations[0].id
        key = f"_key{next(self.temps)}"
        return [
            f"for {key} in js.iterate_keys({self.expression(node.right)}, self):",
            *_indent(
                [
                    *BUDGET_CHECK,
                    self.store_statement(target, key),
                    *self.statements_of(node.body),
                ]
            ),
        ]

    def s_SwitchStatement(self, node: Any) -> list[str]:
        """`switch`: find the first matching case (`===`), then fall through.

        The cases run inside a one-pass `while`, so that `break` leaves the switch.
        """
        labels, self.labels = self.labels, set()
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

        return lines + self.enclose(node, "switch", cases, labels)

    # -- labels and jumps ---------------------------------------------------------------

    def s_LabeledStatement(self, node: Any) -> list[str]:
        """A label on a loop or switch names it; on any other statement, `break
        label` leaves that statement (which then runs in a one-pass loop)."""
        self.labels.add(node.label.name)
        body = node.body
        if body.type in _LOOPS or body.type in ("SwitchStatement", "LabeledStatement"):
            return self.statement(body)
        labels, self.labels = self.labels, set()
        if not any(_breaks_to(body, label) for label in labels):
            return self.statement(body)
        self.labels = labels
        return self.enclose(
            body,
            "block",
            lambda n: ["while True:", *_indent([*self.block(n), "break"])],
        )

    def enclose(
        self, node: Any, kind: str, translate: Any, labels: set[str] | None = None
    ) -> list[str]:
        """A loop, switch or labelled block, with the flag tests for jumps made
        inside it to targets further out; `labels` default to the pending ones."""
        if labels is None:
            labels, self.labels = self.labels, set()
        target = _Target(kind, labels, next(self.numbers))
        self.jumps.append(target)
        try:
            lines: list[str] = translate(node)
        finally:
            self.jumps.pop()
        prefix = [f"{target.flag}_{jump} = False" for jump in sorted(target.flags)]
        return prefix + lines + self.carry(target)

    def carry(self, inner: _Target) -> list[str]:
        """After `inner` ends: act on the jumps from it to targets further out."""
        lines: list[str] = []
        parent = self.jumps[-1] if self.jumps else None
        for target, jump in dict.fromkeys(inner.escapes):
            flag = f"{target.flag}_{jump}"
            if target is parent and jump == "continue":
                lines += [f"if {flag}:", f"    {flag} = False", "    continue"]
            else:
                lines += [f"if {flag}:", "    break"]
                if target is not parent and parent is not None:
                    parent.escapes.append((target, jump))
        return lines

    def s_BreakStatement(self, node: Any) -> list[str]:
        return self.jump(node, "break")

    def s_ContinueStatement(self, node: Any) -> list[str]:
        return self.jump(node, "continue")

    def jump(self, node: Any, kind: str) -> list[str]:
        target = self.jump_target(node, kind)
        target.continued = target.continued or kind == "continue"
        innermost = self.jumps[-1]
        if target is innermost:
            return [kind]
        innermost.escapes.append((target, kind))
        return [f"{target.flag_for(kind)} = True", "break"]

    def jump_target(self, node: Any, kind: str) -> _Target:
        """The statement a `break`/`continue` leaves (or continues)."""
        for target in reversed(self.jumps):
            if node.label is not None:
                if node.label.name not in target.labels:
                    continue
                if kind == "continue" and target.kind != "loop":
                    raise Unsupported(
                        f"'{node.label.name}' does not label a loop", node
                    )
                return target
            if target.kind == "loop" or kind == "break" and target.kind == "switch":
                return target
        if node.label is not None:
            raise Unsupported(
                f"no enclosing statement is labelled '{node.label.name}'", node
            )
        raise Unsupported(f"'{kind}' outside a loop", node)


def _hoisting_order(body: list[Any]) -> Iterator[Any]:
    """Function declarations first (they are hoisted), then the other statements."""
    yield from (node for node in body if node.type == "FunctionDeclaration")
    yield from (node for node in body if node.type != "FunctionDeclaration")


def _breaks_to(node: Any, label: str) -> bool:
    """Whether a `break label` occurs in `node`, outside nested functions."""
    return any(
        inner.type == "BreakStatement"
        and inner.label is not None
        and inner.label.name == label
        for inner in walk_nodes(node, into_functions=False)
    )


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]
