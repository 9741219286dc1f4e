"""Realms: what one session's JavaScript changed of the built-in objects.

The built-in objects (`String.prototype`, `Math`, the constructors) are shared by
every session in the process and never change. A property a script assigns to
one of them (`String.prototype.trim = function () {...}`, `Math.clamp = ...`)
goes to the session's `Realm` instead: an overlay per built-in object, which
property reads consult before the built-in's own properties. Sessions therefore
never see each other's changes, however many run in one process.

`session` is the machine of the generated code: it keeps its realm in `_realm`,
None until the session first changes a built-in or names `Date`. A session that
changed nothing pays one test on the paths that reach built-in methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from .values import Property, JSError, JSObject, enumerable, undefined

__all__ = [
    "Intrinsic",
    "Realm",
    "changes",
    "define",
    "extend",
    "inherited",
    "inherited_keys",
    "inherits",
    "own_overlay",
    "realm_of",
    "retract",
]

MISSING: Final[object] = object()
"""Marks a property that is not there (`undefined` is a value a property can hold)."""


class Intrinsic:
    """A shared built-in object: a prototype (`Array.prototype`) or `Math`, `JSON`.

    `own` maps its built-in properties to their values; `parent` is the next
    object of its prototype chain (`Object.prototype` for most), None at the end.
    `converts` marks the prototypes whose `toString` and `valueOf` convert
    objects implicitly (`'' + obj`): a session may not replace those (below).
    """

    __slots__ = ("name", "own", "parent", "converts")

    def __init__(
        self,
        name: str,
        own: dict[str, Any],
        parent: Intrinsic | None,
        converts: bool = False,
    ) -> None:
        self.name = name
        self.own = own
        self.parent = parent
        self.converts = converts

    def chain(self) -> Iterator[Intrinsic]:
        """This object and the ones it inherits from, nearest first."""
        current: Intrinsic | None = self
        while current is not None:
            yield current
            current = current.parent

    def __str__(self) -> str:
        return f"[object {self.name}]"

    def __repr__(self) -> str:
        return self.name


class Realm:
    """One session's changes to the built-ins, and its `Date` constructor.

    `overlays` maps a shared built-in object (an `Intrinsic` or a built-in
    function) to the properties the session assigned to it.
    """

    __slots__ = ("overlays", "date")

    def __init__(self) -> None:
        self.overlays: dict[object, JSObject] = {}
        self.date: Any = None


def realm_of(session: Any) -> Realm:
    """The realm of `session` (a generated machine), created on first use.

    Raises a JavaScript TypeError for code that runs outside a session.
    """
    realm = getattr(session, "_realm", MISSING)
    if realm is MISSING:
        raise JSError("TypeError: built-in objects can be changed only in a session")
    if realm is None:
        realm = Realm()
        session._realm = realm
    assert isinstance(realm, Realm)
    return realm


def changes(session: Any) -> dict[object, JSObject] | None:
    """The overlays of `session`, or None when it changed no built-in (the cheap test)."""
    realm = getattr(session, "_realm", None)  # None: not a session, or no changes
    if realm is None or not realm.overlays:
        return None
    overlays: dict[object, JSObject] = realm.overlays
    return overlays


def changed(shared: object, name: str, session: Any) -> Any:
    """What `session` assigned to `shared[name]`, or MISSING."""
    overlays = changes(session)
    if overlays is None:
        return MISSING
    overlay = overlays.get(shared)
    if overlay is None:
        return MISSING
    value = overlay.get(name, MISSING)
    return value.value if type(value) is Property else value


def inherited(proto: Intrinsic | None, name: str, session: Any) -> Any:
    """Property `name` along the built-in chain from `proto` (undefined if none).

    On each object, what the session assigned comes before the built-in property
    of the same name, as assignment replaces it in JavaScript.
    """
    overlays = changes(session)
    while proto is not None:
        if overlays is not None:
            overlay = overlays.get(proto)
            if overlay is not None and name in overlay:
                found = dict.__getitem__(overlay, name)
                return found.value if type(found) is Property else found
        value = proto.own.get(name, MISSING)
        if value is not MISSING:
            return value
        proto = proto.parent
    return undefined


def inherits(proto: Intrinsic | None, name: str, session: Any) -> bool:
    """Whether `name` is a property somewhere along the built-in chain from `proto`."""
    overlays = changes(session)
    while proto is not None:
        if name in proto.own:
            return True
        if overlays is not None and name in overlays.get(proto, ()):
            return True
        proto = proto.parent
    return False


def inherited_keys(proto: Intrinsic | None, session: Any) -> list[str]:
    """The enumerable inherited properties: what the session assigned along the
    chain (built-in properties are not enumerable)."""
    overlays = changes(session)
    if overlays is None or proto is None:
        return []
    keys: list[str] = []
    for intrinsic in proto.chain():
        overlay: dict[str, Any] = overlays.get(intrinsic) or {}
        keys.extend(k for k, v in overlay.items() if enumerable(v))
    return keys


def own_overlay(shared: object, session: Any, create: bool = True) -> JSObject:
    """What `session` assigned to the built-in object `shared`: its overlay, made
    on first use (with `create` false, an empty object stands in for none)."""
    if not create:
        overlays = changes(session) or {}
        return overlays.get(shared) or JSObject()
    overlays = realm_of(session).overlays
    overlay = overlays.get(shared)
    if overlay is None:
        overlay = overlays[shared] = JSObject()
    return overlay


def _refuse_conversion(shared: object, name: str) -> None:
    """Replacing the `toString` or `valueOf` that converts objects implicitly is
    refused: conversions (`'' + obj`, `join`) run without the session, so they
    would go on calling the built-in one."""
    if name in ("toString", "valueOf") and getattr(shared, "converts", False):
        raise JSError(
            f"TypeError: replacing {getattr(shared, 'name', shared)}.{name} is not "
            "supported: implicit conversions would not call it (define "
            f"{name} on your own objects or prototypes instead)"
        )


def extend(shared: object, name: str, value: Any, session: Any) -> Any:
    """`shared[name] = value` on a built-in object: into the session's overlay
    (a read-only property defined there keeps its value)."""
    _refuse_conversion(shared, name)
    overlay = own_overlay(shared, session)
    current = overlay.get(name)
    if type(current) is Property:
        return current.write(None, value)
    overlay[name] = value
    return value


def define(shared: object, name: str, stored: Any, session: Any) -> None:
    """`Object.defineProperty` on a built-in object: `stored` (a value or a
    `Property`) into the session's overlay."""
    _refuse_conversion(shared, name)
    own_overlay(shared, session)[name] = stored


def retract(shared: object, name: str, session: Any) -> bool:
    """`delete shared[name]`: forget what the session assigned (built-ins stay);
    false for a property defined not configurable."""
    overlays = changes(session)
    if overlays is not None and shared in overlays:
        current = overlays[shared].get(name)
        if type(current) is Property and not current.configurable:
            return False
        overlays[shared].pop(name, None)
    return True
