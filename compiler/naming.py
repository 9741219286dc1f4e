"""Python names for SCXML things: classes, state constants, generated methods.

Every rule that turns a document's ids into Python identifiers lives here. Ids may
hold characters Python does not allow (`a.b-c`, `$$_MY_PREFIX_$$state`); they are
mangled, and a name already taken gets a numeric suffix so that two ids never share
a method or constant.
"""

from __future__ import annotations

import keyword
import re

__all__ = [
    "NameTable",
    "class_name",
    "comment_text",
    "docstring_text",
    "identifier",
    "is_xml_name",
]

_ILLEGAL = re.compile(r"[^0-9A-Za-z_]")
_XML_NAME = re.compile(r"^[^\W\d][\w.\-\u00b7]*\Z")


def is_xml_name(text: str) -> bool:
    """Whether `text` is an XML name without a colon (NCName), what SCXML's
    ids, `<data>` ids and names are: a letter or `_`, then letters, digits,
    `.`, `-` and `_`."""
    return bool(_XML_NAME.match(text))


def comment_text(text: str) -> str:
    """Document-derived `text` made safe for a one-line `#` comment of a
    generated module: every character that is not printable (line breaks
    above all) is written as its escape, so the comment cannot end early."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def docstring_text(text: str) -> str:
    """Document-derived `text` made safe inside a `\"\"\"docstring\"\"\"`:
    one line (see `comment_text`), its backslashes and quotes escaped."""
    return comment_text(text).replace("\\", "\\\\").replace('"', '\\"')


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def identifier(text: str) -> str:
    """`text` made into a Python identifier (not checked for collisions)."""
    name = _ILLEGAL.sub("_", text) or "_"
    if name[0].isdigit():
        name = "_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


def class_name(text: str) -> str:
    """A CamelCase class name for a document named `text`."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", text) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Machine"
    if name[0].isdigit():
        name = "M" + name
    return name


class NameTable:
    """Hands out unique identifiers within one namespace (a class or a module)."""

    def __init__(self, reserved: set[str] | None = None) -> None:
        self.taken: set[str] = set(reserved or ())

    def new(self, base: str) -> str:
        name = identifier(base)
        candidate = name
        counter = 2
        while candidate in self.taken:
            candidate = f"{name}_{counter}"
            counter += 1
        self.taken.add(candidate)
        return candidate
