"""How ORS action elements are declared and compiled: one table entry per element.

Each namespace module lists its elements as `ActionEntry`s: the element declaration
the parser validates against (attributes with their kind: value expression,
location, literal NMTOKEN; required ones; defaults; allowed children), and the
`_genesys` method it compiles to. `compile_element` turns one validated element
into Python statements:

    # app.scxml:30 <submit>
    requestid = self._genesys.queue.submit(
        queue="VQ_Sales", targets=[ors.TargetSpec("agentgroup", "Sales", "")]
    )
    self.dm["reqid"] = requestid

Children compile by their `ChildKind`: `<queue:targets>` into `ors.TargetSpec`s,
`<dialog:runtreatments>` and dialog children into `ors.Treatment`s, `<param>` into a
`params` dict, `<content>` into `content`. Unknown elements of a Genesys
namespace compile to `self._genesys.unsupported(...)`, which raises
`error.unsupported.element` when it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..extensions import (
    ActionCompiler,
    AttributeDecl,
    ElementDecl,
    Extension,
    lookup,
)
from ..ir import Custom

__all__ = [
    "ActionEntry",
    "ChildKind",
    "define",
    "element",
    "expr",
    "literal",
    "location",
    "requestid",
]

ChildKind = Literal["targets", "treatments", "params", "content", "children"]
"""How an element's children compile (see the module docstring)."""

ArgumentStyle = Literal["keywords", "attributes"]
"""Attributes as keyword arguments, or collected into one `attributes={...}` dict."""

PYTHON_KEYWORDS = {"from": "from_"}
"""Attribute names that are Python keywords, and the keyword argument they become."""


def expr(
    name: str, *, required: bool = False, default: str | None = None
) -> AttributeDecl:
    """A value expression attribute (evaluated when the element runs)."""
    return AttributeDecl(name, "expr", required, default)


def location(name: str, *, required: bool = False) -> AttributeDecl:
    """A location expression attribute (assigned to)."""
    return AttributeDecl(name, "location", required)


def literal(
    name: str, *, required: bool = False, default: str | None = None
) -> AttributeDecl:
    """A literal (NMTOKEN) attribute, not evaluated."""
    return AttributeDecl(name, "literal", required, default)


def requestid() -> AttributeDecl:
    """The `requestid` location every asynchronous action writes its id to."""
    return location("requestid")


@dataclass(frozen=True)
class ActionEntry:
    """One element of an ORS namespace and what it compiles to.

    `method` is the `_genesys` path of the call (`queue.submit`); `leading` are
    Python literals passed first (`dialog.action("start", ...)`); `style` says how
    attributes are passed; `children` maps child element names to how they compile;
    `unused` names attributes accepted for compatibility that the platform does not
    use (not evaluated). `method=None` marks a child-only element.
    """

    decl: ElementDecl
    method: str | None
    leading: tuple[str, ...] = ()
    style: ArgumentStyle = "keywords"
    children: dict[str, ChildKind] = field(default_factory=dict)
    unused: frozenset[str] = frozenset()

    @property
    def writes_requestid(self) -> bool:
        found = self.decl.attribute("requestid")
        return found is not None and found.kind == "location"


def element(
    name: str,
    method: str | None,
    *attributes: AttributeDecl,
    children: dict[str, ChildKind] | None = None,
    parents: tuple[str, ...] = (),
    leading: tuple[str, ...] = (),
    style: ArgumentStyle = "keywords",
    unused: tuple[str, ...] = (),
) -> ActionEntry:
    """Declare one element (see `ActionEntry`)."""
    kinds = dict(children or {})
    decl = ElementDecl(name, tuple(attributes), tuple(kinds), parents)
    return ActionEntry(decl, method, leading, style, kinds, frozenset(unused))


def define(
    name: str, namespace: str, prefix: str, actions: list[ActionEntry]
) -> Extension:
    """The `Extension` of one Genesys namespace, from its element table.

    The namespace matches with or without `http://` (the extension seam does that);
    `prefix` names the module in messages (`<queue:submit>`).
    """
    table = {action.decl.name: action for action in actions}

    def compile_node(node: Custom, compiler: ActionCompiler) -> list[str]:
        action = table.get(node.name)
        if action is None or action.method is None:
            return [f"self._genesys.unsupported({prefix!r}, {node.name!r})"]
        return compile_element(action, node, compiler)

    return Extension(
        name=name,
        namespaces=(namespace,),
        elements={action.decl.name: action.decl for action in actions},
        compile=compile_node,
        lenient=True,
    )


def compile_element(
    action: ActionEntry, node: Custom, compiler: ActionCompiler
) -> list[str]:
    """Statements for one action element: the call, then the requestid assignment."""
    arguments = list(action.leading)
    values = _attribute_values(action, node, compiler)
    if action.style == "attributes":
        interaction = values.pop("interactionid", None)
        if interaction is not None:
            arguments.append(f"interactionid={interaction}")
        arguments.append(
            "attributes={" + ", ".join(f"{k!r}: {v}" for k, v in values.items()) + "}"
        )
    else:
        arguments.extend(f"{PYTHON_KEYWORDS.get(k, k)}={v}" for k, v in values.items())
    arguments.extend(_children(action, node, compiler))
    assert action.method is not None
    call = f"self._genesys.{action.method}({', '.join(arguments)})"
    if action.writes_requestid and _has(node, "requestid"):
        return [f"requestid = {call}", *compiler.assign(node, "requestid", "requestid")]
    return [call]


def _has(node: Custom, name: str) -> bool:
    return any(key == name for key, _, _ in node.attributes)


def _attribute_values(
    action: ActionEntry, node: Custom, compiler: ActionCompiler
) -> dict[str, str]:
    """Python source of each attribute the call takes, in declaration order."""
    values: dict[str, str] = {}
    for attribute in action.decl.attributes:
        if attribute.name in action.unused:
            continue
        if attribute.kind == "location":
            continue
        if attribute.kind == "literal":
            text = compiler.literal(node, attribute.name)
            if text is not None:
                values[attribute.name] = repr(text)
        elif _has(node, attribute.name):
            values[attribute.name] = compiler.value(node, attribute.name)
        elif attribute.default is not None:
            values[attribute.name] = repr(attribute.default)
    return values


def _children(action: ActionEntry, node: Custom, compiler: ActionCompiler) -> list[str]:
    """Keyword arguments built from the element's children."""
    targets: list[str] = []
    treatments: list[str] = []
    params: list[str] = []
    content: str | None = None
    for child in node.children:
        kind = action.children.get(child.name)
        if kind == "targets":
            targets.extend(_targets(child, compiler))
        elif kind == "treatments":
            treatments.extend(_treatment(c, compiler) for c in child.children)
        elif kind == "children":
            treatments.append(_treatment(child, compiler))
        elif kind == "params":
            params.append(_param(child, compiler))
        elif kind == "content":
            content = _content(child, compiler)
    found: list[str] = []
    if targets:
        compiler.require("ors")
        found.append(f"targets=[{', '.join(targets)}]")
    if treatments:
        compiler.require("ors")
        keyword = "children" if "children" in action.children.values() else "treatments"
        found.append(f"{keyword}=[{', '.join(treatments)}]")
    if params:
        found.append("params={" + ", ".join(params) + "}")
    if content is not None:
        found.append(f"content={content}")
    return found


def _targets(targets: Custom, compiler: ActionCompiler) -> list[str]:
    """`ors.TargetSpec(...)` sources for the children of one `<queue:targets>`."""
    default_type = compiler.literal(targets, "type") or "agent"
    default_server = _value_or(targets, "statserver", compiler, '""')
    found: list[str] = []
    for child in targets.children:
        if child.name == "targetid":
            found.append(f'ors.TargetSpec("targetid", {compiler.value(child, "expr")})')
            continue
        kind = compiler.literal(child, "type") or default_type
        name = compiler.value(child, "name")
        server = _value_or(child, "statserver", compiler, default_server)
        weight = (
            f", weight={compiler.value(child, 'weight')}"
            if _has(child, "weight")
            else ""
        )
        found.append(f"ors.TargetSpec({kind!r}, {name}, {server}{weight})")
    return found


def _treatment(node: Custom, compiler: ActionCompiler) -> str:
    """`ors.Treatment(kind, {attributes}, children=[...])` for one dialog element."""
    attributes = [
        f"{key!r}: {_attribute_source(node, key, compiler)}"
        for key, _, _ in node.attributes
        if key != "requestid"
    ]
    params = [
        _param(child, compiler) for child in node.children if child.name == "param"
    ]
    if params:
        attributes.append("'params': {" + ", ".join(params) + "}")
    nested = [
        _treatment(child, compiler) for child in node.children if child.name != "param"
    ]
    source = f"ors.Treatment({node.name!r}, {{{', '.join(attributes)}}}"
    if nested:
        source += f", children=({', '.join(nested)},)"
    return source + ")"


def _attribute_source(node: Custom, name: str, compiler: ActionCompiler) -> str:
    """The Python source of attribute `name` of `node`: its text for a literal
    attribute, else its value expression."""
    extension = lookup(node.namespace)
    element = extension.elements.get(node.name) if extension is not None else None
    declared = element.attribute(name) if element is not None else None
    if declared is not None and declared.kind == "literal":
        return repr(compiler.literal(node, name))
    return compiler.value(node, name)


def _param(param: Custom, compiler: ActionCompiler) -> str:
    """`'name': value` for one `<param name expr|location>`."""
    name = compiler.literal(param, "name") or ""
    for attribute in ("expr", "location"):
        if _has(param, attribute):
            return f"{name!r}: {compiler.value(param, attribute)}"
    return f"{name!r}: None"


def _content(content: Custom, compiler: ActionCompiler) -> str:
    """The body of `<content _expr|expr>` or its literal text."""
    for attribute in ("_expr", "expr"):
        if _has(content, attribute):
            return compiler.value(content, attribute)
    return repr(content.text)


def _value_or(node: Custom, name: str, compiler: ActionCompiler, default: str) -> str:
    return compiler.value(node, name) if _has(node, name) else default
