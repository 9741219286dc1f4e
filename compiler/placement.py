"""Placing a problem found in a generated module at the document's token.

mypy reports errors at a line and column of the generated module. Executable
content sits under `# file.scxml:LINE <element>` comments, which name the
element's line; this module finds, in that element's expression attributes
and script text, the expression the flagged generated expression was
translated from, and returns where it was written.

The python datamodel keeps an expression's shape: it only rewrites names
(`count` becomes `self.dm.count`, `_event` becomes `self._event`). So the
generated expression, with those names written back, is compared node for
node (`ast.dump`, positions aside) with the expressions of the element's
attributes and scripts; the first that matches gives the place. When none
does (code the compiler wrote around the expression), the element's line is
the place, at column 1.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .datamodels import SYSTEM_VARIABLES
from .diagnostics import Loc
from .positions import LineIndex, TagPosition, TextSpan, scan_tags

__all__ = ["Placer"]

_SOURCE_COMMENT = re.compile(r"#\s+(?P<file>\S+\.scxml):(?P<line>\d+)")
_SYSTEM_NAMES = {source: name for name, source in SYSTEM_VARIABLES.items()}


@dataclass(frozen=True)
class _Text:
    """Source text of one attribute value or element content, and its span."""

    text: str
    span: TextSpan
    script: bool


class Placer:
    """Places positions of one generated module in the document it came from."""

    def __init__(self, source: str, document: str) -> None:
        self.lines = source.splitlines()
        self.document = document
        self.starts: dict[tuple[int, int], list[ast.expr]] = {}
        try:
            tree = ast.parse(source)
        except SyntaxError:
            tree = ast.Module(body=[], type_ignores=[])
        for node in ast.walk(tree):
            if isinstance(node, ast.expr):
                key = (node.lineno, node.col_offset)
                self.starts.setdefault(key, []).append(node)
        self._texts: dict[int, list[_Text]] | None = None

    def place(self, line: int, column: int) -> Loc:
        """Where the expression at `line` and `column` (from 1) of the
        generated module was written in the document."""
        element_line = self._element_line(line)
        for node in self.starts.get((line, column - 1), []):
            found = self._find(_written_back(node), element_line)
            if found is not None:
                return found
        return Loc(self.document, element_line, 1)

    def _element_line(self, generated: int) -> int:
        """The document line the nearest source comment above names."""
        name = self.document.rsplit("/", 1)[-1]
        for number in range(min(generated, len(self.lines)), 0, -1):
            match = _SOURCE_COMMENT.search(self.lines[number - 1])
            if match:
                same = match.group("file") == name
                return int(match.group("line")) if same else 1
        return 1

    def _find(self, wanted: str, line: int) -> Loc | None:
        for text in self._texts_at(line):
            for node, offset in _expressions(text):
                if ast.dump(node) == wanted:
                    return text.span.loc_at(offset)
        return None

    def _texts_at(self, line: int) -> list[_Text]:
        if self._texts is None:
            self._texts = _document_texts(self.document)
        return self._texts.get(line, [])


def _written_back(node: ast.expr) -> str:
    """`ast.dump` of a generated expression with the datamodel's names written
    as the document wrote them."""
    return ast.dump(_WriteBack().visit(_copy(node)))


def _copy(node: ast.expr) -> ast.expr:
    copied = ast.parse(ast.unparse(node), mode="eval").body
    return copied


class _WriteBack(ast.NodeTransformer):
    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        if (
            isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "self"
            and node.value.attr == "dm"
        ):
            return ast.Name(node.attr, node.ctx)
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            name = _SYSTEM_NAMES.get(f"self.{node.attr}")
            if name is not None or node.attr == "In":
                return ast.Name(name or "In", node.ctx)
        self.generic_visit(node)
        return node


def _expressions(text: _Text) -> Iterator[tuple[ast.expr, int]]:
    """The expressions of an attribute value or a script, with the offset in
    the text where each starts."""
    if text.script:  # as the python datamodel reads it: dedented
        source = textwrap.dedent(text.text)
        mode, lead = "exec", 0
    else:
        source = text.text.strip()
        mode, lead = "eval", len(text.text) - len(text.text.lstrip())
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return
    parsed = LineIndex(source)
    written = LineIndex(text.text) if text.script else parsed
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            line = node.lineno
            indent = written.length(line) - parsed.length(line)
            prefix = parsed.line_text(line).encode()[: node.col_offset]
            column = len(prefix.decode(errors="replace"))
            yield node, lead + written.start(line) + indent + column


def _document_texts(document: str) -> dict[int, list[_Text]]:
    """The attribute values and element texts of `document`, by the line of
    their element's start tag."""
    try:
        raw = Path(document).read_bytes()
        root = etree.fromstring(
            raw,
            etree.XMLParser(
                remove_comments=True,
                remove_pis=True,
                resolve_entities=False,
                no_network=True,
                load_dtd=False,
            ),
        )
    except (OSError, etree.XMLSyntaxError):
        return {}
    text = raw.decode("utf-8-sig", errors="replace")
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    found: dict[int, list[_Text]] = {}
    for element, position in zip(elements, scan_tags(text, document)):
        found.setdefault(position.loc.line, []).extend(_texts(element, position))
    return found


def _texts(element: etree._Element, position: TagPosition) -> Iterator[_Text]:
    for name, value in element.attrib.items():
        span = position.values.get(str(name))
        if span is not None:
            yield _Text(str(value), span, False)
    if element.text and position.content is not None:
        yield _Text(element.text, position.content, True)
