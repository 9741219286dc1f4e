"""The null datamodel (SCXML B.1): no data, conditions are `In('state')` only.

String literals are accepted where a value is needed (`<log expr="'pass'"/>`), so
documents written for the null datamodel can still say something.
"""

from __future__ import annotations

import ast

from .. import ir
from . import Datamodel, parse_python

__all__ = ["NullDatamodel"]


class NullDatamodel(Datamodel):
    name = "null"

    def cond(self, expr: ir.Expr) -> str:
        try:
            tree = parse_python(expr.text.strip(), mode="eval").body
        except SyntaxError:
            return self.invalid(
                expr.loc, f"{expr.where}: the null datamodel accepts only In('state')"
            )
        return self._condition(expr, tree)

    def _condition(self, expr: ir.Expr, node: ast.expr) -> str:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"not {self._condition(expr, node.operand)}"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "In"
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            return self.state_test(node.args[0].value, expr.loc, expr.where)
        return self.invalid(
            expr.loc, f"{expr.where}: the null datamodel accepts only In('state')"
        )

    def value(self, expr: ir.Expr) -> str:
        text = expr.text.strip()
        try:
            node = parse_python(text, mode="eval").body
        except SyntaxError:
            node = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return repr(node.value)
        return self.invalid(
            expr.loc,
            f"{expr.where}: the null datamodel has no expressions (only string literals)",
        )

    def target(self, location: ir.Expr) -> str | None:
        self.invalid(location.loc, "the null datamodel has no locations to assign to")
        return None

    def script(self, script: ir.Script) -> list[str]:
        return [
            self.invalid(script.loc, "<script>: the null datamodel has no scripting")
        ]

    def text_value(self, text: str) -> str:
        return repr(" ".join(text.split()))

    def data_target(self, data: ir.Data) -> str:
        return "_"

    def data_value(self, data: ir.Data) -> str | None:
        self.invalid(data.loc, "<data>: the null datamodel has no data")
        return None
