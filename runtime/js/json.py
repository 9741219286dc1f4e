"""JSON and source text for compiled ECMAScript: `JSON.stringify`, `JSON.parse`,
`eval` of JSON text, and SpiderMonkey's `uneval` / `toSource`.

`JSON.stringify` follows ES5 15.12.3: `toJSON`, a replacer function or list of
names, indentation by a count or a string, undefined and functions left out of
objects and null in arrays, NaN and the infinities as null, and a TypeError
for a cycle. Host objects (`_event`, interactions) are written as the
properties their class declares (`host.py`), other Python values as `{}`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .host import host_items, host_model
from .values import (
    AccessorObject,
    JSBuiltinObject,
    JSError,
    JSFunction,
    JSObject,
    _is_number,
    enumerable,
    from_json_text,
    invoke,
    is_callable,
    stored_value,
    to_integer,
    to_string,
    undefined,
)
from .realm import Intrinsic

__all__ = ["json_eval", "json_parse", "json_stringify", "own_items", "uneval"]


def own_items(value: dict[str, Any]) -> list[tuple[str, Any]]:
    """The own enumerable properties of an object as (key, value), getters called."""
    if isinstance(value, AccessorObject):
        return [
            (k, stored_value(v, value)) for k, v in dict.items(value) if enumerable(v)
        ]
    return list(value.items())


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


# -- uneval ----------------------------------------------------------------------------


def uneval(value: Any) -> str:
    """SpiderMonkey's `uneval(x)` / `x.toSource()`: the value as source text."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(uneval(v) for v in value) + "]"
    if isinstance(value, JSFunction):
        return repr(value)
    if isinstance(value, dict):
        items = [f"{_property_name(k)}:{uneval(v)}" for k, v in own_items(value)]
        return "({" + ", ".join(items) + "})"
    if value is None or value is undefined or isinstance(value, (bool, int, float)):
        return to_string(value)
    if isinstance(value, Intrinsic):
        return "({})"
    if isinstance(value, JSBuiltinObject):
        source = getattr(type(value), "js_source", None)
        return source(value) if source is not None else "({})"
    return uneval(JSObject(host_items(value)))


def _property_name(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_$][\w$]*", key) else json.dumps(key)


# -- JSON.stringify ---------------------------------------------------------------------


class _Writer:
    """One `JSON.stringify` call: the replacer, the indentation, the open objects."""

    def __init__(self, replacer: Any, indent: Any) -> None:
        self.function = replacer if isinstance(replacer, JSFunction) else None
        self.names: list[str] | None = None
        if isinstance(replacer, list):
            self.names = list(dict.fromkeys(_name(n) for n in replacer if _name(n)))
        self.gap = _gap(indent)
        self.stack: list[int] = []

    def property(self, holder: Any, key: str, value: Any, indent: str) -> str | None:
        """The text of `holder[key]`, or None where it is left out."""
        from .access import get  # property access builds on the built-ins

        if isinstance(value, (dict, list, JSBuiltinObject)):
            to_json = get(value, "toJSON")
            if isinstance(to_json, JSFunction):
                value = invoke(to_json, value, key)
        if self.function is not None:
            value = invoke(self.function, holder, key, value)
        return self.value(value, indent)

    def value(self, value: Any, indent: str) -> str | None:
        if value is None or value is True or value is False:
            return to_string(value)
        if isinstance(value, str):
            return _quote(value)
        if _is_number(value):
            return to_string(value) if math.isfinite(value) else "null"
        if value is undefined or is_callable(value):
            return None
        if isinstance(value, (list, dict)) or host_model(type(value)) is not None:
            return self.container(value, indent)
        return "{}"  # a built-in object, or a Python value of no declared model

    def container(self, value: Any, indent: str) -> str:
        if id(value) in self.stack:
            raise JSError("TypeError: JSON.stringify: converting a circular structure")
        self.stack.append(id(value))
        try:
            inner = indent + self.gap
            if isinstance(value, list):
                parts = [
                    self.property(value, str(i), v, inner) or "null"
                    for i, v in enumerate(value)
                ]
                return self.wrap("[", parts, "]", indent)
            items = _items(value)
            if self.names is not None:
                found = dict(items)
                items = [(k, found[k]) for k in self.names if k in found]
            colon = ": " if self.gap else ":"
            members = []
            for key, item in items:
                text = self.property(value, key, item, inner)
                if text is not None:
                    members.append(_quote(key) + colon + text)
            return self.wrap("{", members, "}", indent)
        finally:
            self.stack.pop()

    def wrap(self, opening: str, parts: list[str], closing: str, indent: str) -> str:
        if not parts:
            return opening + closing
        if not self.gap:
            return opening + ",".join(parts) + closing
        inner = indent + self.gap
        return (
            f"{opening}\n{inner}" + f",\n{inner}".join(parts) + f"\n{indent}{closing}"
        )


def _items(value: Any) -> list[tuple[str, Any]]:
    """The members an object writes: own enumerable properties, or a platform
    value's `fields()`."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in own_items(value)]
    return host_items(value)


def _name(item: Any) -> str:
    """An entry of a replacer list: strings and numbers name properties."""
    return to_string(item) if isinstance(item, (str, int, float)) else ""


def _gap(indent: Any) -> str:
    """The indentation of one level: up to ten spaces or the first ten characters."""
    if _is_number(indent):
        return " " * min(max(to_integer(indent), 0), 10)
    if isinstance(indent, str):
        return indent[:10]
    return ""


def json_stringify(
    value: Any = undefined, replacer: Any = undefined, indent: Any = undefined, *_: Any
) -> Any:
    """`JSON.stringify(value, replacer, space)`: the JSON text, or undefined."""
    writer = _Writer(replacer, indent)
    return writer.property(JSObject({"": value}), "", value, "") or undefined


# -- JSON.parse and eval ------------------------------------------------------------------


def json_parse(text: Any = undefined, reviver: Any = undefined, *_: Any) -> Any:
    """`JSON.parse(text, reviver)`: JavaScript values; SyntaxError for bad text."""
    try:
        value = from_json_text(to_string(text))
    except ValueError as error:
        raise JSError(f"SyntaxError: JSON.parse: {error}") from None
    if not isinstance(reviver, JSFunction):
        return value
    return _revive(JSObject({"": value}), "", reviver)


def _revive(holder: Any, key: str, reviver: JSFunction) -> Any:
    """The reviver's walk: children first, then the value itself."""
    value = holder[int(key)] if isinstance(holder, list) else holder[key]
    if isinstance(value, list):
        for index in range(len(value)):
            value[index] = _revive(value, str(index), reviver)
    elif isinstance(value, dict):
        for name in list(value):
            revived = _revive(value, name, reviver)
            if revived is undefined:
                del value[name]
            else:
                value[name] = revived
    return invoke(reviver, holder, key, value)


def json_eval(code: Any = undefined, *_: Any) -> Any:
    """`eval`: JSON text (what Composer evaluates), optionally in parentheses.

    Evaluating other code would need a JavaScript parser and interpreter at run
    time, which the runtime does not have: it is an error.execution that says so.
    """
    if not isinstance(code, str):
        return code
    text = code.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    try:
        return from_json_text(text)
    except ValueError:
        shown = code if len(code) <= 40 else code[:37] + "..."
        raise JSError(
            "EvalError: eval evaluates only JSON text, optionally in parentheses "
            "(such as eval('(' + json + ')')), or a variable and its properties "
            f"(such as eval('App_' + name + '.requestid')), and returns other "
            f"values unchanged; {shown!r} is neither"
        ) from None
