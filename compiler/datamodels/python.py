"""The Python datamodel: expressions are Python, data ids are typed fields.

Names in an expression resolve, in this order, to: names bound inside the
expression itself (lambda parameters, comprehension variables); the datamodel's
fields (`<data>` ids, names bound at the top level of `<script>`s, `<foreach>`
variables), which become `self.dm.<name>`; the system variables (`_event`,
`_sessionid`, `_name`, `_ioprocessors`, `_x`), which the machine provides; `In`;
Python's builtins. Any other name is a warning at its first use, and reading it
raises error.execution when run. `In('id')` with a literal id compiles to a bit
test on the configuration.

Field types come from an explicit `scxmlc:type` annotation, else from the literal
in `expr` (`0` is `int`, `[1, 2]` is `list[int]`), else `Any`.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import textwrap
import unicodedata
from collections.abc import Callable
from typing import Any, Final

from .. import ir
from ..diagnostics import Loc
from ..positions import LineIndex
from ..walk import actions, all_data, blocks
from . import (
    BUDGET_CHECK,
    SYSTEM_VARIABLES,
    DataField,
    Datamodel,
    parse_python,
    parse_python_noting,
)

__all__ = ["PythonDatamodel"]

SYSTEM: Final = SYSTEM_VARIABLES
BUILTINS: Final = frozenset(dir(builtins)) - {"__import__"}
_BOOLEAN_NODES: Final = (ast.Compare, ast.BoolOp)
_TYPED_BUILTINS: Final = frozenset({"bool", "float", "int", "len", "repr", "str"})
"""Built-ins whose result has one type, whatever they are given."""


class PythonDatamodel(Datamodel):
    name = "python"

    @property
    def has_datamodel_object(self) -> bool:
        return True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._fields: dict[str, DataField] = {}
        self._refused: set[str] = set()
        """Names reported as no legal variable: not reported again."""
        self._warned: set[str] = set()
        self._collect()

    # -- declarations -------------------------------------------------------

    def _collect(self) -> None:
        document = self.chart.document
        for data in all_data(document):
            self._declare_data(data)
        scripts = list(document.scripts)
        foreach: list[ir.Foreach] = []
        for action in (a for block in blocks(document) for a in actions(block)):
            if isinstance(action, ir.Script):
                scripts.append(action)
            elif isinstance(action, ir.Foreach):
                foreach.append(action)
        for script in scripts:
            for name in _script_globals(script.source):
                self._declare(name, "Any", script.loc, "<script>")
        for loop in foreach:
            for expr in (loop.item, loop.index):
                if expr is not None and expr.text.strip().isidentifier():
                    self._declare(expr.text.strip(), "Any", expr.loc, "<foreach>")

    def _declare_data(self, data: ir.Data) -> None:
        if not data.id:  # the parser reported the missing id
            return
        previous = self._fields.get(data.id)
        if previous is not None and previous.origin == "<data>":
            return  # a duplicate data id, which the analysis reports
        if unicodedata.normalize("NFKC", data.id) != data.id:
            self.diag.error(
                data.loc,
                f'<data id="{data.id}">: not a legal Python variable name (Python '
                f"reads it as '{unicodedata.normalize('NFKC', data.id)}')",
            )
            return
        if (
            not data.id.isidentifier()
            or keyword.iskeyword(data.id)
            or data.id in SYSTEM
            or data.id == "self"
            or data.id.startswith("__")
        ):
            self.diag.error(
                data.loc, f'<data id="{data.id}">: not a legal Python variable name'
            )
            return
        annotation = data.type
        if annotation is not None:
            try:
                parse_python(annotation, mode="eval")
            except SyntaxError:
                self.diag.error(
                    data.loc,
                    f"<data id=\"{data.id}\">: scxmlc:type '{annotation}' is not a Python type",
                )
                annotation = None
        layout = None
        if annotation is None:
            # The type of the initial value is what mypy checks the document's
            # expressions against; compiled by mypyc, an annotation is also
            # checked when it runs, and a value typed Any (event data) may
            # not fit it: a native module types such a variable Any, as the
            # pure module behaves, and only a declared scxmlc:type is enforced.
            annotation = _infer_type(data)
            if self.native:
                annotation, layout = "Any", annotation
        self._fields[data.id] = DataField(
            data.id, annotation, data.loc, "<data>", layout=layout
        )

    def _declare(self, name: str, annotation: str, loc: Loc, origin: str) -> None:
        """A field for `name`, unless it has one or is a system variable; a
        keyword gets none (the expression naming it is reported), a name
        starting with `__` is an error."""
        name = unicodedata.normalize("NFKC", name)  # as Python reads it
        if keyword.iskeyword(name):
            return
        if name.startswith("__"):
            self._refused.add(name)
            self.diag.error(
                loc,
                f"{origin}: '{name}' cannot be a variable of the python datamodel "
                "(a name starting with '__' would be mangled in the generated class)",
            )
            return
        if name not in self._fields and name not in SYSTEM and name != "self":
            self._fields[name] = DataField(name, annotation, loc, origin)

    def fields(self) -> list[DataField]:
        return list(self._fields.values())

    # -- expressions --------------------------------------------------------

    def _parse(self, expr: ir.Expr, mode: str = "eval") -> ast.AST | None:
        text = expr.text.strip()
        if not text:
            self.invalid(expr.loc, f"{expr.where}: empty expression")
            return None
        try:
            tree, warnings = parse_python_noting(text, mode)
        except SyntaxError as error:
            self.invalid(
                self._syntax_error_loc(expr, error),
                f"{expr.where}: invalid Python expression {text!r}: {error.msg}",
            )
            return None
        position = self._expression_position(expr)
        for warning, line in warnings:
            self.diag.warning(position(line), f"{expr.where}: {warning}")
        parsed: ast.AST = tree
        return parsed

    def _syntax_error_loc(self, expr: ir.Expr, error: SyntaxError) -> Loc:
        """Where the token Python stopped at in `expr` was written (a column
        past its line's end is the line's end)."""
        position = self._expression_position(expr, within_line=True)
        return position(error.lineno or 1, error.offset or 1)

    def _expression_position(
        self, expr: ir.Expr, *, within_line: bool = False
    ) -> Callable[..., Loc]:
        """`position(line, column=1)` of the stripped text an expression is
        parsed from -> where it was written (see `LineIndex.offset` for
        `within_line`)."""
        lead = len(expr.text) - len(expr.text.lstrip())
        lines = LineIndex(expr.text.strip())

        def position(line: int, column: int = 1) -> Loc:
            offset = lines.offset(line, column, within_line=within_line)
            return self.expr_loc(expr, lead + offset)

        return position

    def _dedented_position(self, script: ir.Script) -> Callable[..., Loc]:
        """`position(line, column=1)` of the dedented, stripped source the
        script is parsed from (`textwrap.dedent(source).strip("\n")`)."""
        written = self.script_position(script)
        original = LineIndex(script.source)
        dedented = LineIndex(textwrap.dedent(script.source))
        skipped = len(dedented.text) - len(dedented.text.lstrip("\n"))

        def position(line: int, column: int = 1) -> Loc:
            line = original.line(line + skipped)
            indent = original.length(line) - dedented.length(line)
            return written(line, column + indent)

        return position

    def undefined_name(self, name: str, loc: Loc, where: str) -> str:
        """The source reading `name`, bound nowhere: it raises error.execution
        when run; a warning at the first use in the document."""
        message = f"name '{name}' is not defined"
        if name not in self._warned:
            self._warned.add(name)
            self.diag.warning(
                loc,
                f"{where}: {message} (not a <data> id, a script global, a system "
                "variable or a builtin): evaluating it raises error.execution",
            )
        return f"self._invalid({message!r})"

    def _rewrite(self, expr: ir.Expr, node: ast.expr) -> str:
        rewriter = _Rewriter(
            self, expr.loc, expr.where, self._expression_position(expr)
        )
        result = rewriter.visit(node)
        if rewriter.problems:
            return self.invalid(expr.loc, f"{expr.where}: {rewriter.problems[0]}")
        if rewriter.uses_event:
            self.uses_event = True
        return ast.unparse(result)

    def cond(self, expr: ir.Expr) -> str:
        tree = self._parse(expr)
        if not isinstance(tree, ast.Expression):
            return "self._invalid('invalid condition')" if tree is None else ""
        typed = self._typed_comparison(tree.body)  # before names are rewritten
        source = self._rewrite(expr, tree.body)
        if source.startswith("self._invalid("):
            return source
        if isinstance(tree.body, _BOOLEAN_NODES) or _is_in_call(tree.body):
            if isinstance(tree.body, ast.BoolOp) and not all(
                isinstance(v, _BOOLEAN_NODES) for v in tree.body.values
            ):
                return f"bool({source})"
            if not typed:
                return f"bool({source})"
            return source
        if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, bool):
            return source
        return f"bool({source})"

    def _typed_comparison(self, node: ast.expr) -> bool:
        """Whether comparison `node` (or `In()`, or an `and`/`or` of them) is
        known to be a bool: each operand is a literal or a variable typed
        without `Any`. Comparing a value typed `Any` (`_event.data`, a variable
        of a script) gives `Any` to a type checker, which a condition cannot
        return under `mypy --strict` (nor under mypyc, which checks it)."""
        if isinstance(node, ast.BoolOp):
            return all(self._typed_comparison(v) for v in node.values)
        if isinstance(node, ast.Compare):
            return all(self._typed_operand(o) for o in (node.left, *node.comparators))
        return _is_in_call(node)

    def _typed_operand(self, node: ast.expr) -> bool:
        """Whether operand `node` has a type without `Any`: a literal, a
        variable whose field is typed so, a call of a built-in conversion
        (`len`, `int`, ...), or arithmetic on them."""
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            return name in _TYPED_BUILTINS and name not in self._fields
        if isinstance(node, ast.Name):
            field = self._fields.get(node.id)
            return field is not None and "Any" not in field.annotation
        if isinstance(node, ast.UnaryOp):
            return self._typed_operand(node.operand)
        if isinstance(node, ast.BinOp):
            return self._typed_operand(node.left) and self._typed_operand(node.right)
        return False

    def value(self, expr: ir.Expr) -> str:
        tree = self._parse(expr)
        if not isinstance(tree, ast.Expression):
            return "self._invalid('invalid expression')"
        return self._rewrite(expr, tree.body)

    def target(self, location: ir.Expr) -> str | None:
        tree = self._parse(location)
        if not isinstance(tree, ast.Expression):
            return None
        node = tree.body
        root = node
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        if not isinstance(
            node, (ast.Name, ast.Attribute, ast.Subscript)
        ) or not isinstance(root, ast.Name):
            self.invalid(
                location.loc,
                f"{location.where}: {location.text.strip()!r} is not a location",
            )
            return None
        if root.id in SYSTEM:
            self.invalid(
                location.loc,
                f"{location.where}: cannot assign to the system variable '{root.id}'",
            )
            return None
        if root.id in self._refused:
            return None
        if root.id not in self._fields:
            self.invalid(
                location.loc,
                f"{location.where}: '{root.id}' is not declared (no <data id=\"{root.id}\">)",
                certain=False,
            )
            return None
        return self._rewrite(location, node)

    def script(self, script: ir.Script) -> list[str]:
        source = textwrap.dedent(script.source).strip("\n")
        if not source.strip():
            return []
        loc = script.source_loc
        try:
            module, warnings = parse_python_noting(source, "exec")
        except SyntaxError as error:
            at = self._dedented_position(script)(error.lineno or 1, error.offset or 1)
            return [self.invalid(at, f"<script>: invalid Python: {error.msg}")]
        position = self._dedented_position(script)
        for warning, line in warnings:
            self.diag.warning(position(line), f"<script>: {warning}")
        if self.chart.document.persist:
            dedented = textwrap.dedent(script.source)
            skipped = len(dedented) - len(dedented.lstrip("\n"))  # the lines stripped
            self._warn_uncapturable(module, Loc(loc.file, loc.line + skipped, 1))
        rewriter = _Rewriter(self, loc, "<script>", self._dedented_position(script))
        body: list[ast.stmt] = []
        for statement in module.body:
            if isinstance(statement, ast.Global):
                continue
            body.append(rewriter.visit(statement))
            for name in _defined_names(statement):
                body.append(ast.parse(f"self.dm.{name} = {name}").body[0])
        if rewriter.problems:
            return [self.invalid(loc, f"<script>: {rewriter.problems[0]}")]
        if rewriter.uses_event:
            self.uses_event = True
        return ast.unparse(ast.Module(body=body, type_ignores=[])).splitlines()

    def _warn_uncapturable(self, module: ast.Module, loc: Loc) -> None:
        """What a script keeps in the datamodel that no snapshot can capture:
        modules it imports and classes it defines at its top level (each is
        kept under its name, so `snapshot()` of every session fails)."""
        for statement in module.body:
            at = Loc(loc.file, loc.line + statement.lineno - 1, 1)
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                for name in _defined_names(statement):
                    self.diag.warning(
                        at,
                        f"<script>: the module '{name}' is kept in the datamodel, "
                        "which a snapshot cannot capture: snapshot() of the "
                        "document's sessions raises SnapshotError (import it "
                        "inside the function that uses it)",
                    )
            elif isinstance(statement, ast.ClassDef):
                self.diag.warning(
                    at,
                    f"<script>: the class '{statement.name}' is kept in the "
                    "datamodel, and a class a script defines cannot be captured "
                    "by a snapshot, nor its instances: snapshot() of the "
                    "document's sessions raises SnapshotError",
                )

    def text_value(self, text: str) -> str:
        return _literal_source(text)

    def data_target(self, data: ir.Data) -> str:
        if data.id not in self._fields:  # an illegal id, reported when declared
            return "_"
        return f"self.dm.{data.id}"


def _is_in_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "In"
    )


def _literal_source(text: str) -> str:
    """Literal text as a value: a Python literal if it is one, else the string."""
    stripped = text.strip()
    try:
        tree = parse_python(stripped, mode="eval")
        ast.literal_eval(tree)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return repr(" ".join(stripped.split()))
    return ast.unparse(tree.body)


def _infer_type(data: ir.Data) -> str:
    text = None
    if data.expr is not None:
        text = data.expr.text
    elif data.content is not None and data.content.text is not None:
        text = data.content.text
    elif data.src_text is not None:
        text = data.src_text
    if text is None:
        return "Any"
    try:
        node = parse_python(text.strip(), mode="eval").body
    except SyntaxError:
        return "Any"
    return _literal_type(node)


def _literal_type(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        if (
            node.value is None
            or isinstance(node.value, (bytes, complex))
            or node.value is Ellipsis
        ):
            return "Any"
        return type(node.value).__name__
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _literal_type(node.operand)
        return inner if inner in ("int", "float") else "Any"
    if isinstance(node, (ast.List, ast.Set)):
        container = "list" if isinstance(node, ast.List) else "set"
        return f"{container}[{_common_type(node.elts)}]"
    if isinstance(node, ast.Tuple):
        return f"tuple[{_common_type(node.elts)}, ...]"
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            return "dict[Any, Any]"
        keys = [k for k in node.keys if k is not None]
        return f"dict[{_common_type(keys)}, {_common_type(node.values)}]"
    return "Any"


def _common_type(nodes: list[ast.expr]) -> str:
    types = {_literal_type(n) for n in nodes}
    if len(types) == 1:
        return types.pop()
    if types == {"int", "float"}:
        return "float"
    return "Any"


def _script_globals(source: str) -> list[str]:
    """Names a script binds at its top level (and names its functions declare global)."""
    try:
        module = parse_python(textwrap.dedent(source).strip("\n"), mode="exec")
    except SyntaxError:
        return []
    names: list[str] = []
    for statement in module.body:
        names.extend(_bound_names(statement))
    for node in ast.walk(module):
        if isinstance(node, ast.Global):
            names.extend(node.names)
    return list(dict.fromkeys(names))


def _defined_names(statement: ast.stmt) -> list[str]:
    """Names a top-level statement binds as a local that must be copied to the datamodel."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
    return []


def _bound_names(statement: ast.stmt) -> list[str]:
    """Names bound by one statement (not looking into function bodies)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(alias.asname or alias.name).split(".")[0] for alias in statement.names]
    names: list[str] = []
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AugAssign, ast.AnnAssign)):
        targets = [statement.target]
    elif isinstance(statement, (ast.For, ast.AsyncFor)):
        targets = [statement.target]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        targets = [
            item.optional_vars
            for item in statement.items
            if item.optional_vars is not None
        ]
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.append(node.id)
    if isinstance(
        statement,
        (ast.If, ast.For, ast.While, ast.Try, ast.With, ast.AsyncFor, ast.AsyncWith),
    ):
        for child in ast.iter_child_nodes(statement):
            if isinstance(child, ast.stmt):
                names.extend(_bound_names(child))
            elif isinstance(child, ast.ExceptHandler):
                for inner in child.body:
                    names.extend(_bound_names(inner))
    return names


def _function_locals(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda,
) -> set[str]:
    args = node.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    if isinstance(node, ast.Lambda):
        return names
    declared_global: set[str] = set()
    for statement in ast.walk(node):
        if isinstance(statement, ast.Global):
            declared_global.update(statement.names)
    for statement in node.body:
        names.update(_bound_names(statement))
    return names - declared_global


class _Rewriter(ast.NodeTransformer):
    """Rewrites the names of an expression or script for generated methods."""

    def __init__(
        self,
        datamodel: PythonDatamodel,
        loc: Loc,
        where: str,
        position: Callable[..., Loc] | None = None,
    ) -> None:
        self.dm = datamodel
        self.loc = loc
        self.position = position
        """Line and column (from 1) of the parsed text -> where they were written."""
        self.where = where
        self.scopes: list[set[str]] = []
        self.problems: list[str] = []
        self.uses_event = False

    def locate(self, node: ast.AST) -> Loc:
        """Where `node` of the parsed text was written."""
        line = getattr(node, "lineno", None)
        if self.position is None or line is None:
            return self.loc
        return self.position(line, getattr(node, "col_offset", 0) + 1)

    def _local(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def visit_Name(self, node: ast.Name) -> ast.expr:
        name = node.id
        if self._local(name) or name in self.dm._refused:
            return node
        if name in self.dm._fields:
            dm = ast.Attribute(ast.Name("self", ast.Load()), "dm", ast.Load())
            return ast.copy_location(ast.Attribute(dm, name, node.ctx), node)
        if name in SYSTEM:
            if not isinstance(node.ctx, ast.Load):
                self.problems.append(f"cannot assign to the system variable '{name}'")
                return node
            if name == "_event":
                self.uses_event = True
            return ast.copy_location(ast.parse(SYSTEM[name], mode="eval").body, node)
        if name == "In":
            self.dm.configuration_reads += 1
            return ast.copy_location(ast.parse("self.In", mode="eval").body, node)
        if name in BUILTINS and isinstance(node.ctx, ast.Load):
            return node
        if not isinstance(node.ctx, ast.Load):
            self.problems.append(f"cannot assign to the built-in '{name}'")
            return node
        source = self.dm.undefined_name(name, self.locate(node), self.where)
        return ast.copy_location(ast.parse(source, mode="eval").body, node)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        if (
            _is_in_call(node)
            and not self._local("In")
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            source = self.dm.state_test(
                node.args[0].value, self.locate(node), self.where
            )
            test = ast.parse(source, mode="eval").body
            return ast.copy_location(test, node)
        self.generic_visit(node)
        return node

    def _scoped(self, node: ast.AST, names: set[str]) -> ast.AST:
        self.scopes.append(names)
        try:
            self.generic_visit(node)
        finally:
            self.scopes.pop()
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        return self._scoped(node, _function_locals(node))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.body = [s for s in node.body if not isinstance(s, ast.Global)] or [
            ast.Pass()
        ]
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        self.scopes.append(_function_locals(node) | {node.name})
        try:
            node.body = [self.visit(s) for s in node.body]
        finally:
            self.scopes.pop()
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        self.generic_visit(node)
        return self._budgeted(node)

    def visit_For(self, node: ast.For) -> ast.AST:
        self.generic_visit(node)
        return self._budgeted(node)

    def _budgeted(self, loop: ast.While | ast.For) -> ast.AST:
        """`loop`, whose every pass first checks the session's budget (the
        check of `runtime/budget.py`), unless `self` is not the machine there
        (a method of a class the script defines, a parameter named `self`)."""
        if not self._local("self"):
            check = ast.parse("\n".join(BUDGET_CHECK)).body
            loop.body = [*check, *loop.body]
        return loop

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        names = {n for s in node.body for n in _bound_names(s)} | {node.name}
        return self._scoped(node, names)

    def _comprehension(self, node: ast.AST) -> ast.AST:
        names: set[str] = set()
        for generator in getattr(node, "generators", []):
            for target in ast.walk(generator.target):
                if isinstance(target, ast.Name):
                    names.add(target.id)
        return self._scoped(node, names)

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_DictComp = _comprehension
    visit_GeneratorExp = _comprehension
