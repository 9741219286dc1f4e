"""The extension seam: elements of other namespaces in executable content.

An extension owns one or more namespace URIs. It declares its action elements
(attributes with their kind and whether they are required, allowed children) so the
parser validates them with positions, and it compiles each element into Python
statements, normally one call on the typed runtime API it ships. Namespace URIs
match with or without their `http://` or `https://` scheme.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .ir import Custom

__all__ = [
    "AttributeDecl",
    "ElementDecl",
    "Extension",
    "lookup",
    "register",
    "unregister",
]

AttributeKind = Literal["expr", "location", "literal"]


@dataclass(frozen=True, slots=True)
class AttributeDecl:
    """One attribute: a value expression, a location, or a literal string."""

    name: str
    kind: AttributeKind = "expr"
    required: bool = False
    default: str | None = None


@dataclass(frozen=True, slots=True)
class ElementDecl:
    """One element: its attributes and the local names of allowed children.

    `parents` is empty for an action element (allowed wherever executable content
    is); a child-only element (`<queue:target>`) names the elements it may appear in.
    Children in the SCXML namespace (`<param>`, `<content>`) are named as they are.
    """

    name: str
    attributes: tuple[AttributeDecl, ...] = ()
    children: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()

    def attribute(self, name: str) -> AttributeDecl | None:
        for decl in self.attributes:
            if decl.name == name:
                return decl
        return None


CompileAction = Callable[[Custom, "ActionCompiler"], list[str]]


class ActionCompiler:
    """What an extension may ask of the code generator while compiling an element.

    `value(node, attribute)` is the Python source of an expression attribute,
    `assign(node, attribute, value_source)` the statements storing into a
    location attribute, `literal(node, attribute)` the attribute's text (or its default).
    """

    def value(self, node: Custom, attribute: str) -> str:
        raise NotImplementedError

    def assign(self, node: Custom, attribute: str, value_source: str) -> list[str]:
        raise NotImplementedError

    def literal(self, node: Custom, attribute: str) -> str | None:
        raise NotImplementedError

    def require(self, runtime_name: str) -> None:
        """Import `runtime_name` from `scxmlc.runtime` into the generated module."""
        raise NotImplementedError


@dataclass(frozen=True)
class Extension:
    """A namespace of action elements and how each compiles.

    A `lenient` extension (the Genesys namespaces, whose published attribute
    tables are incomplete) reports unknown attributes and elements as warnings;
    `compile` then receives the unknown element and decides what it does at run
    time. Otherwise both are errors.
    """

    name: str
    namespaces: tuple[str, ...]
    elements: dict[str, ElementDecl]
    compile: CompileAction
    lenient: bool = False


_registry: dict[str, Extension] = {}


def _key(namespace: str) -> str:
    for scheme in ("http://", "https://"):
        if namespace.startswith(scheme):
            return namespace[len(scheme) :].rstrip("/")
    return namespace.rstrip("/")


def register(extension: Extension) -> None:
    """Make `extension` handle its namespaces in every document compiled after."""
    for namespace in extension.namespaces:
        _registry[_key(namespace)] = extension


def unregister(extension: Extension) -> None:
    for namespace in extension.namespaces:
        _registry.pop(_key(namespace), None)


def lookup(namespace: str) -> Extension | None:
    """The extension owning `namespace`, if any."""
    return _registry.get(_key(namespace))
