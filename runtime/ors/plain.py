"""Session values as plain JSON data, for what leaves a session over HTTP.

`plain(value)` turns what either datamodel holds into values `json.dumps`
writes: dicts with string keys, lists, strings, finite numbers, booleans and
None. It follows `JSON.stringify` where JavaScript values are concerned:
`undefined` and functions are left out of objects and become null elsewhere,
NaN and the infinities become null. Platform records (interactions, parties)
give their `fields()`; XML elements their text; anything else its `str()`.
Cycles become null rather than recursing forever.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Any

from ..js import undefined

__all__ = ["plain"]


def plain(value: Any) -> Any:
    """`value` as plain JSON data (see the module docstring)."""
    return _plain(value, set())


def _plain(value: Any, seen: set[int]) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if _omitted(value):
        return None
    if id(value) in seen:
        return None
    seen.add(id(value))
    try:
        return _container(value, seen)
    finally:
        seen.discard(id(value))


def _container(value: Any, seen: set[int]) -> Any:
    if isinstance(value, Mapping):
        return {
            str(key): _plain(item, seen)
            for key, item in value.items()
            if not _omitted(item)
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_plain(item, seen) for item in items]
    if isinstance(value, ElementTree.Element):
        return ElementTree.tostring(value, encoding="unicode")
    fields = getattr(value, "fields", None)
    if callable(fields):
        return _plain(fields(), seen)
    return str(value)


def _omitted(value: Any) -> bool:
    """What `JSON.stringify` leaves out of objects: undefined and functions."""
    return value is undefined or callable(value)
