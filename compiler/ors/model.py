"""The `_genesys` object model as ECMAScript sees it, for checks at compile time.

The runtime declares what scripts may read of each platform object: a class's
`js_properties` (its object model) and `js_functions` (its functions), read deny
by default (`runtime/js/host.py`). This module reads those declarations, and
the types the runtime annotates its properties with, into a tree of
`HostObject`s rooted at `_genesys`, so that the ECMAScript translator can warn,
at its token, of a member the platform does not have
(`_genesys.ixn.setUData`, `_genesys.ixn.interactions[id].setuData`), with the
closest member that exists. Members holding JavaScript copies of platform data
(`udata`, `parties`) are not followed: anything may be in them.
"""

from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from scxmlc.runtime.ors.genesys import Genesys
from scxmlc.runtime.ors.objects import Interaction, Interactions

__all__ = ["OBJECT_MEMBERS", "HostObject", "genesys_model"]

OBJECT_MEMBERS: Final = frozenset(
    {
        "constructor",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "toSource",
        "toString",
        "valueOf",
    }
)
"""What every JavaScript object answers (`Object.prototype`), platform ones too."""


@dataclass(frozen=True)
class HostObject:
    """A platform object: how messages name it, its members, the objects its
    members lead to (when known), and what its items are (`interactions[id]`,
    whose keys are ids, so any key is accepted)."""

    name: str
    members: tuple[str, ...]
    children: dict[str, HostObject] = field(default_factory=dict)
    items: HostObject | None = None

    def member(self, name: str) -> HostObject | None:
        """The object member `name` leads to, if known."""
        return self.children.get(name)

    def paths(self) -> dict[str, str]:
        """Every member of this object and of the objects below it, by its
        path (`_genesys.ixn.setuData`: `setuData`)."""
        found = {f"{self.name}.{member}": member for member in self.members}
        for child in (*self.children.values(), *([self.items] if self.items else [])):
            found.update(child.paths())
        return found

    def has(self, name: str) -> bool:
        """Whether `name` is a member (any name is, of a collection by id)."""
        return self.items is not None or name in self.members or name in OBJECT_MEMBERS


@cache
def genesys_model() -> HostObject:
    """The model of `_genesys`, read from the runtime's declarations."""
    return _describe(Genesys, "_genesys")


def _describe(cls: type, name: str) -> HostObject:
    members = (*_properties(cls), *getattr(cls, "js_functions", ()))
    hints = _hints(cls)
    children: dict[str, HostObject] = {}
    for member in _properties(cls):
        kind = _kind(cls, member, hints)
        if kind is Interactions:
            children[member] = HostObject(
                f"{name}.{member}",
                ("length",),
                items=_describe(Interaction, f"{name}.{member}[...]"),
            )
        elif kind is not None and _properties(kind):
            children[member] = _describe(kind, f"{name}.{member}")
    return HostObject(name, tuple(members), children)


def _properties(cls: type) -> tuple[str, ...]:
    """The `js_properties` a class declares (none if it declares none)."""
    return tuple(getattr(cls, "js_properties", ()))


def _hints(cls: type) -> dict[str, Any]:
    """The annotations of `cls` and of its constructor's parameters (which
    name the attributes they set), as far as they resolve."""
    found: dict[str, Any] = {}
    for source in (getattr(cls, "__init__"), cls):
        try:
            found.update(typing.get_type_hints(source))
        except (NameError, TypeError):  # a name only imported for type checking
            continue
    return found


def _kind(cls: type, member: str, hints: dict[str, Any]) -> type | None:
    """The class of what `cls.member` holds: a property's return type, the
    class of a constant (an enumeration), or the annotation; None if unknown."""
    static = inspect.getattr_static(cls, member, None)
    if isinstance(static, property) and static.fget is not None:
        try:
            return _class_of(typing.get_type_hints(static.fget).get("return"))
        except (NameError, TypeError):
            return None
    if static is not None and _properties(type(static)):
        return type(static)
    return _class_of(hints.get(member))


def _class_of(annotation: Any) -> type | None:
    """The one class an annotation names (`X | None` is `X`), else None."""
    if isinstance(annotation, type):
        return annotation
    options = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(options) == 1 and isinstance(options[0], type):
        return options[0]
    return None
