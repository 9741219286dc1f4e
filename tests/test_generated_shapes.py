"""The shape of generated modules: what mypyc compiles to direct calls.

Handlers (executable content, conditions, values of invokes and donedata,
fused runs) are module-level functions that take the session as `self`; the
chart's tables name them, and a fused run calls them by name. A class body
holds only methods, assignments and its docstring once the module is built for
mypyc (`build_module(native=True)`), which refuses any other statement there.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import black
import pytest

from scxmlc.compiler import RUNTIME_VERSION, VERSION, analyze, check_events
from scxmlc.compiler import compile_path
from scxmlc.compiler.codegen import build_module
from scxmlc.compiler.diagnostics import Diagnostics
from scxmlc.compiler.options import Options
from scxmlc.compiler.parse import parse_file
from scxmlc.compiler.render import render_module
from scxmlc.compiler.typecheck import mypy_strict

from test_golden import COMPOSER_MAIN, EXAMPLES
from test_golden import DOCUMENTS as GOLDEN_DOCUMENTS

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [*GOLDEN_DOCUMENTS, *EXAMPLES, COMPOSER_MAIN]
"""Python, ECMAScript and ORS documents, with invokes, donedata, finalize,
foreach, scripts and fused runs among them."""


def in_folder(document: Path, native: bool) -> str:
    """The module for `document`, compiled from its folder (pure, or for mypyc)."""
    cwd = Path.cwd()
    os.chdir(document.parent)
    try:
        if not native:
            return compile_path(document.name).source
        diagnostics = Diagnostics(strict=False)
        parsed = parse_file(document.name, diagnostics)
        assert parsed is not None
        chart = analyze(parsed, diagnostics)
        check_events(chart, diagnostics)
        view = build_module(
            chart,
            diagnostics,
            version=VERSION,
            runtime_version=RUNTIME_VERSION,
            options=Options(),
            native=True,
        )
        diagnostics.check()
        return render_module(view)
    finally:
        os.chdir(cwd)


def machine_classes(tree: ast.Module) -> list[ast.ClassDef]:
    """The classes of a module that build a chart (`_chart = Chart(...)`)."""
    return [
        node
        for node in tree.body
        if isinstance(node, ast.ClassDef) and _chart_call(node) is not None
    ]


def _chart_call(cls: ast.ClassDef) -> ast.Call | None:
    for statement in cls.body:
        if (
            isinstance(statement, ast.Assign)
            and [ast.unparse(t) for t in statement.targets] == ["_chart"]
            and isinstance(statement.value, ast.Call)
        ):
            return statement.value
    return None


def module_names(tree: ast.Module) -> set[str]:
    """The names a module defines at its top level (imports included)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.stem for d in DOCUMENTS])
def test_the_chart_names_module_functions_not_class_members(document: Path) -> None:
    """Every name in a chart's tables is defined at the module's top level;
    none is a member of the class whose body builds the chart."""
    tree = ast.parse(in_folder(document, native=False))
    defined = module_names(tree)
    classes = machine_classes(tree)
    assert classes
    for cls in classes:
        members = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
        call = _chart_call(cls)
        assert call is not None
        used = {n.id for n in ast.walk(call) if isinstance(n, ast.Name)}
        assert not used & members, f"{cls.name} names its own members"
        assert used <= defined | {"True", "False", "None"}, used - defined


def test_a_fused_run_calls_its_handlers_by_name() -> None:
    """The fused functions of the golden traffic light call the module's
    handlers directly, `_onexit_x(self)`, each under its own `try`."""
    tree = ast.parse(in_folder(GOLDEN_DOCUMENTS[-1], native=False))
    handlers = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    fused = [
        n for n in tree.body if isinstance(n, ast.FunctionDef) and "_fused" in n.name
    ]
    assert fused
    for function in fused:
        assert [
            ast.unparse(a.annotation) for a in function.args.args if a.annotation
        ] == ["TrafficLight"]
        for block in function.body:
            assert isinstance(block, ast.Try)
            [statement] = block.body
            call = statement.value  # type: ignore[attr-defined]
            assert isinstance(call.func, ast.Name) and call.func.id in handlers
            assert [ast.unparse(a) for a in call.args] == ["self"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.stem for d in DOCUMENTS])
def test_a_module_for_mypyc_holds_only_what_it_compiles_in_a_class_body(
    document: Path,
) -> None:
    """Methods, single-name assignments and docstrings; no `if TYPE_CHECKING:`.
    The module is formatted as black formats it."""
    source = in_folder(document, native=True)
    assert black.format_str(source, mode=black.Mode()) == source
    for cls in (n for n in ast.parse(source).body if isinstance(n, ast.ClassDef)):
        for statement in cls.body:
            docstring = isinstance(statement, ast.Expr) and isinstance(
                statement.value, ast.Constant
            )
            assignment = isinstance(statement, (ast.Assign, ast.AnnAssign))
            method = isinstance(statement, ast.FunctionDef)
            assert docstring or assignment or method, ast.unparse(statement)


def test_modules_for_mypyc_pass_mypy_strict_and_keep_the_typed_send(
    tmp_path: Path,
) -> None:
    """The modules built for mypyc pass `mypy --strict`, and a misspelt event
    sent to one is still a type error (its `send` is a real override)."""
    paths = []
    for document in DOCUMENTS:
        target = tmp_path / f"{document.stem}.py"
        target.write_text(in_folder(document, native=True), encoding="utf-8")
        paths.append(target)
    status, report = mypy_strict(paths)
    assert status == 0, report
    user = tmp_path / "user.py"
    user.write_text(
        "from scxmlc.runtime import VirtualClock\n"
        "from ivr_menu import IvrMenu\n"
        "\n"
        "call = IvrMenu(VirtualClock())\n"
        'call.send("dtfm", "2")\n'
    )
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert mypy_strict(["user.py", "ivr_menu.py"]) == (
            1,
            'user.py:5:11: error: Argument 1 to "send" of "IvrMenu" has '
            "incompatible type \"Literal['dtfm']\"; expected "
            "\"Literal['call.hangup', 'call.incoming', 'dtmf', 'menu.timeout']\""
            "  [arg-type]\n",
        )
    finally:
        os.chdir(cwd)


CONDITIONS = """\
<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="python">
  <datamodel><data id="n" expr="0"/><data id="x"/></datamodel>
  <state id="s">
    <transition event="a" cond="n &lt; 3 and len(x) == 2" target="t"/>
    <transition event="b" cond="x == 1" target="t"/>
    <transition event="c" cond="_event.data['k'] == 'v' or n == 1" target="t"/>
  </state>
  <final id="t"/>
</scxml>
"""


def test_a_condition_comparing_untyped_values_is_made_a_bool(tmp_path: Path) -> None:
    """A python-datamodel comparison of typed operands returns as written;
    one with an operand typed `Any` goes through `bool()`, so that the
    module passes `mypy --strict` (and mypyc's check of the return type)."""
    document = tmp_path / "conditions.scxml"
    document.write_text(CONDITIONS, encoding="utf-8")
    source = in_folder(document, native=False)
    returns = [
        ast.unparse(node.body[-1])
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("_cond_")
    ]
    assert returns == [
        "return self.dm.n < 3 and len(self.dm.x) == 2",
        "return bool(self.dm.x == 1)",
        "return bool(self._event.data['k'] == 'v' or self.dm.n == 1)",
    ]
    (tmp_path / "conditions.py").write_text(source, encoding="utf-8")
    assert mypy_strict([tmp_path / "conditions.py"]) == (0, "")
