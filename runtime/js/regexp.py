"""Regular expressions for code compiled from ECMAScript, on Python's `re`.

A `JSRegExp` keeps the JavaScript source and flags, the compiled Python pattern
and `lastIndex`, which `exec` and `test` advance for a `g` expression (so that
`while ((m = re.exec(s)) != null)` walks the matches). The source is rewritten
where the two dialects differ: `\\d` and `\\w` match ASCII only, `$` only at the
very end (without `m`), `[^]` any character, `[]` nothing, and an escaped letter
JavaScript does not know is that letter. The flags `g`, `i` and `m` are
supported; ES2015's `u` and `y` are a SyntaxError that says so.

The string methods that take a regular expression (`match`, `replace`, `split`,
`search`) are here too, with JavaScript's rules for `$1`, `$&`, `` $` ``, `$'`
and `$$` in replacements, replacement functions, and empty matches.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

from .values import (
    JSArray,
    JSBuiltinObject,
    JSError,
    PropertyArray,
    invoke,
    is_callable,
    to_integer,
    to_string,
    undefined,
)

__all__ = [
    "REGEXP_METHODS",
    "JSRegExp",
    "new_regexp",
    "regex",
    "regexp_property",
    "string_match",
    "string_replace",
    "string_search",
    "string_split",
]


class JSRegExp(JSBuiltinObject):
    """A regular expression: `source` and `flags` as JavaScript wrote them,
    `compiled` (Python's), and `last_index`, where a `g` expression goes on."""

    __slots__ = ("source", "flags", "compiled", "last_index")
    js_class: Final = "RegExp"

    def __init__(self, source: str, flags: str) -> None:
        self.source = source
        self.flags = flags
        self.compiled = _compile(source, flags)
        self.last_index = 0

    @property
    def is_global(self) -> bool:
        """Whether the expression has the `g` flag."""
        return "g" in self.flags

    def js_source(self) -> str:
        """What `uneval` writes: the literal."""
        return f"/{self.source}/{self.flags}"

    def __repr__(self) -> str:
        return f"/{self.source}/{self.flags}"


def regex(source: str, flags: str) -> JSRegExp:
    """A regular expression literal `/source/flags` (a new object each time, as
    ES5 evaluates a literal)."""
    return JSRegExp(source, flags)


def new_regexp(pattern: Any = undefined, flags: Any = undefined) -> JSRegExp:
    """`new RegExp(pattern, flags)`: from text, or a copy of another expression."""
    if isinstance(pattern, JSRegExp):
        return JSRegExp(
            pattern.source, pattern.flags if flags is undefined else to_string(flags)
        )
    source = "(?:)" if pattern is undefined else to_string(pattern)
    return JSRegExp(source, "" if flags is undefined else to_string(flags))


@functools.lru_cache(maxsize=1024)
def _compile(source: str, flags: str) -> re.Pattern[str]:
    """The Python pattern for a JavaScript source and flags (cached)."""
    unknown = set(flags) - set("gim")
    if unknown or len(set(flags)) != len(flags):
        raise JSError(
            f"SyntaxError: invalid regular expression flags {flags!r} "
            "(the flags g, i and m are supported)"
        )
    options = (re.IGNORECASE if "i" in flags else 0) | (
        re.MULTILINE if "m" in flags else 0
    )
    try:
        return re.compile(_python_source(source, "m" in flags), options)
    except re.error as error:
        raise JSError(
            f"SyntaxError: invalid regular expression /{source}/: {error}"
        ) from None


_OUTSIDE: Final = {
    "d": "[0-9]",
    "D": "[^0-9]",
    "w": "[A-Za-z0-9_]",
    "W": "[^A-Za-z0-9_]",
    "/": "/",
}
_INSIDE: Final = {"d": "0-9", "w": "A-Za-z0-9_", "/": "/"}
_KNOWN_ESCAPES: Final = frozenset("bBdDwWsSfnrtvcxu0123456789")


def _python_source(source: str, multiline: bool) -> str:
    """Rewrite a JavaScript pattern where Python's `re` reads it differently."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            out.append(_escape(source, index, in_class))
            index += 3 if _control(source, index) else 2
            continue
        if in_class:
            in_class = char != "]"
            out.append("\\[" if char == "[" else char)
        elif char == "[" and source.startswith("[^]", index):
            out.append("[\\s\\S]")
            index += 2
        elif char == "[" and source.startswith("[]", index):
            out.append("(?!)")
            index += 1
        elif char == "[":
            in_class = True
            out.append(char)
        else:
            out.append("\\Z" if char == "$" and not multiline else char)
        index += 1
    return "".join(out)


def _control(source: str, index: int) -> bool:
    """Whether `source[index:]` is a control escape `\\cX`."""
    return source[index + 1] == "c" and source[index + 2 : index + 3].isalpha()


def _escape(source: str, index: int, in_class: bool) -> str:
    """The Python for the escape at `source[index]` (a backslash)."""
    letter = source[index + 1]
    if _control(source, index):
        return f"\\x{ord(source[index + 2]) % 32:02x}"
    table = _INSIDE if in_class else _OUTSIDE
    if letter in table:
        return table[letter]
    if letter.isascii() and letter.isalpha() and letter not in _KNOWN_ESCAPES:
        return letter  # JavaScript's identity escape: `\A` is `A`
    return "\\" + letter


# -- exec and test ---------------------------------------------------------------


def _result(found: re.Match[str], text: str) -> PropertyArray:
    """What `exec` and `match` give: the match and its groups (undefined for
    one that took no part), with `index` and `input`."""
    groups = (found.group(0), *found.groups())
    result = JSArray(undefined if g is None else g for g in groups)
    result.__class__ = PropertyArray
    assert isinstance(result, PropertyArray)
    result.props = {"index": found.start(), "input": text}
    return result


def _exec(pattern: JSRegExp, text: Any = undefined) -> Any:
    """`re.exec(text)`: the next match (from `lastIndex` for a `g` expression,
    which then moves past it), or null."""
    subject = to_string(text)
    if not pattern.is_global:
        found = pattern.compiled.search(subject)
        return None if found is None else _result(found, subject)
    start = pattern.last_index
    found = pattern.compiled.search(subject, start) if start <= len(subject) else None
    if found is None:
        pattern.last_index = 0
        return None
    pattern.last_index = found.end()
    return _result(found, subject)


def regexp_property(pattern: JSRegExp, name: str) -> Any:
    """The own properties of a regular expression (`source`, `lastIndex`, ...)."""
    if name == "source":
        return pattern.source
    if name == "global":
        return pattern.is_global
    if name == "ignoreCase":
        return "i" in pattern.flags
    if name == "multiline":
        return "m" in pattern.flags
    if name == "lastIndex":
        return pattern.last_index
    if name == "flags":
        return "".join(f for f in "gim" if f in pattern.flags)
    return undefined


def set_last_index(pattern: JSRegExp, name: str, value: Any) -> Any:
    """Assigning a property of a regular expression: only `lastIndex` can be."""
    if name != "lastIndex":
        raise JSError(
            f"TypeError: cannot set property '{name}' of a regular expression "
            "(only lastIndex can be assigned)"
        )
    pattern.last_index = max(to_integer(value), 0)
    return value


REGEXP_METHODS: Final[dict[str, Callable[..., Any]]] = {
    "test": lambda p, text=undefined, *_: _exec(p, text) is not None,
    "exec": _exec,
    "toString": lambda p, *_: f"/{p.source}/{p.flags}",
}
"""RegExp.prototype's methods, the expression first."""


# -- the string methods that take a regular expression --------------------------------


def _as_regexp(pattern: Any) -> JSRegExp:
    """`pattern`, or a regular expression made from its text (`'a.'.match('.')`)."""
    return pattern if isinstance(pattern, JSRegExp) else new_regexp(pattern)


def _matches(pattern: JSRegExp, text: str) -> list[re.Match[str]]:
    """Every match a `g` expression finds in `text`, as JavaScript steps over
    them: after an empty match the search goes on one character further."""
    found: list[re.Match[str]] = []
    position = 0
    while position <= len(text):
        match = pattern.compiled.search(text, position)
        if match is None:
            break
        found.append(match)
        position = match.end() + (1 if match.end() == match.start() else 0)
    return found


def string_search(text: str, pattern: Any = undefined, *_: Any) -> int:
    """`s.search(pattern)`: the index of the first match, or -1."""
    found = _as_regexp(pattern).compiled.search(text)
    return found.start() if found else -1


def string_match(text: str, pattern: Any = undefined, *_: Any) -> Any:
    """`s.match(pattern)`: like `exec`; with `g`, every match's text (or null)."""
    regexp = _as_regexp(pattern)
    if not regexp.is_global:
        return _exec(regexp, text)
    regexp.last_index = 0
    found = [m.group(0) for m in _matches(regexp, text)]
    return JSArray(found) if found else None


def string_replace(
    text: str, pattern: Any = undefined, replacement: Any = undefined, *_: Any
) -> str:
    """`s.replace(pattern, replacement)`: the first match of a string or of a
    regular expression (every match with `g`), replaced by the text (with `$`
    patterns) or by what the function returns for the match."""
    if isinstance(pattern, JSRegExp):
        if pattern.is_global:
            pattern.last_index = 0
            found = _matches(pattern, text)
        else:
            first = pattern.compiled.search(text)
            found = [first] if first is not None else []
    else:
        first = re.compile(re.escape(to_string(pattern))).search(text)
        found = [first] if first is not None else []
    if not is_callable(replacement):
        replacement = to_string(replacement)
    out, last = [], 0
    for match in found:
        out.append(text[last : match.start()])
        out.append(_replacement(match, text, replacement))
        last = match.end()
    return "".join(out) + text[last:]


def _replacement(match: re.Match[str], text: str, replacement: Any) -> str:
    """What replaces one match: the function's result, or the expanded text."""
    groups = [undefined if g is None else g for g in match.groups()]
    if not isinstance(replacement, str):
        result = invoke(
            replacement, undefined, match.group(0), *groups, match.start(), text
        )
        return to_string(result)
    if "$" not in replacement:
        return replacement
    return _DOLLAR.sub(lambda d: _dollar(d.group(0), match, text), replacement)


_DOLLAR: Final = re.compile(r"\$(\$|&|`|'|\d\d?)")


def _dollar(pattern: str, match: re.Match[str], text: str) -> str:
    """One `$` pattern of a replacement: `$$`, `$&`, `` $` ``, `$'`, `$n`, `$nn`."""
    kind = pattern[1:]
    if kind == "$":
        return "$"
    if kind == "&":
        return match.group(0)
    if kind == "`":
        return text[: match.start()]
    if kind == "'":
        return text[match.end() :]
    count = len(match.groups())
    if len(kind) == 2 and 1 <= int(kind) <= count:
        return match.group(int(kind)) or ""
    if 1 <= int(kind[0]) <= count:
        return (match.group(int(kind[0])) or "") + kind[1:]
    return pattern


def string_split(
    text: str, separator: Any = undefined, limit: Any = undefined, *_: Any
) -> JSArray:
    """`s.split(separator, limit)`: by a string (each character for ""), or by
    a regular expression, whose groups are spliced into the result."""
    count = 2**32 - 1 if limit is undefined else to_integer(limit) % 2**32
    if count == 0:
        return JSArray()
    if separator is undefined:
        return JSArray([text])
    if isinstance(separator, JSRegExp):
        return JSArray(_split_regexp(text, separator.compiled)[:count])
    needle = to_string(separator)
    parts = list(text) if needle == "" else text.split(needle)
    return JSArray(parts[:count])


def _split_regexp(text: str, pattern: re.Pattern[str]) -> list[Any]:
    """ECMAScript's split by a regular expression: an empty match at the start
    of a piece does not split it, and the groups of each match are kept."""
    if not text:
        return [] if pattern.match(text) else [text]
    parts: list[Any] = []
    start = position = 0
    while position < len(text):
        found = pattern.search(text, position)
        if found is None or found.start() >= len(text):
            break
        if found.end() == start:  # an empty match where the piece begins
            position = found.start() + 1
            continue
        parts.append(text[start : found.start()])
        parts.extend(undefined if g is None else g for g in found.groups())
        start = position = found.end()
    parts.append(text[start:])
    return parts
