"""Source positions of elements, attributes and the text inside them, which
lxml does not give.

lxml reports the line on which a start tag *ends* and no column. This module scans
the raw text once for start tags (skipping comments, CDATA, processing instructions
and the DOCTYPE) and records, for each in document order, the line and column of its
`<` and of each attribute name. The n-th start tag found is the n-th element lxml
yields from `iter()`, so the two can be zipped.

It also records where each attribute value and each element's content begin, as
`TextSpan`s: a span maps an offset into the text as lxml gives it (entities
decoded, CDATA markers gone, a line end one character) back to the line and
column where that character was written, so a problem found inside an
expression or a script (an ECMAScript token, a mypy error) is reported at its
token. `SourceMap` finds the span of an attribute or an element by its `Loc`.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .diagnostics import Loc

__all__ = [
    "LineIndex",
    "SourceMap",
    "SourceText",
    "TagPosition",
    "TextSpan",
    "scan_tags",
]

_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<\?.*?\?>"
    r"|<!DOCTYPE(?:[^>\[]|\[.*?\])*>"
    r"|<(?P<close>/?)(?P<name>[^\s/>!?]+)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.S,
)
_ATTRIBUTE = re.compile(r"([^\s=/]+)\s*=\s*(\"[^\"]*\"|'[^']*')", re.S)
_CDATA_START = "<![CDATA["
_CDATA_END = "]]>"


class LineIndex:
    """Where the lines of a text start: a line and column (from 1, as parsers
    and diagnostics count them) to an offset (from 0), and back.

    Only "\n" ends a line, as in `text.split("\n")`: the "\r" of a CRLF is
    the last character of its line (the text lxml gives has none).
    """

    __slots__ = ("text", "starts")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __len__(self) -> int:
        """How many lines the text has: one more than its "\n"s."""
        return len(self.starts)

    def line(self, line: int) -> int:
        """`line` (from 1) clamped to the text's lines: the first below it,
        the last past it."""
        return min(max(line, 1), len(self.starts))

    def start(self, line: int) -> int:
        """The offset where `line` (from 1, clamped) begins."""
        return self.starts[self.line(line) - 1]

    def length(self, line: int) -> int:
        """How many characters `line` (from 1, clamped) has, its "\n" aside."""
        line = self.line(line)
        end = self.starts[line] - 1 if line < len(self.starts) else len(self.text)
        return end - self.starts[line - 1]

    def line_text(self, line: int) -> str:
        """The text of `line` (from 1, clamped), without its "\n"."""
        start = self.start(line)
        return self.text[start : start + self.length(line)]

    def offset(self, line: int, column: int = 1, *, within_line: bool = False) -> int:
        """The offset of `column` of `line` (both from 1). The line is clamped
        to the text's lines and a column below 1 is 1; a column past the
        line's end runs on into the next lines, unless `within_line`, which
        stops it at the line's end (its "\n", or the end of the text)."""
        column = max(column, 1) - 1
        if within_line:
            column = min(column, self.length(line))
        return self.start(line) + column

    def line_column(self, offset: int) -> tuple[int, int]:
        """The line and column (from 1) of character `offset` (from 0)."""
        line = bisect.bisect_right(self.starts, offset) - 1
        return line + 1, offset - self.starts[line] + 1


class SourceText:
    """The text of one file and where its lines start: offsets to `Loc`s."""

    __slots__ = ("text", "file", "include", "lines", "_walks")

    def __init__(self, text: str, file: str, include: str = "") -> None:
        self.text = text
        self.file = file
        self.include = include
        self.lines = LineIndex(text)
        self._walks: dict[tuple[int, bool], _Walk] = {}

    def parsed_offset(self, start: int, attribute: bool, offset: int) -> int:
        """Where character `offset` of the text parsed from `start` (an
        attribute value, or an element's content) was written: an offset of
        this text. A span's walk is kept, so a document's many look-ups in
        one long script cost one pass over it, not one each."""
        walk = self._walks.get((start, attribute))
        if walk is None:
            walk = self._walks[start, attribute] = _Walk(start, attribute)
        return walk.offset(self.text, offset)

    def loc(self, offset: int) -> Loc:
        """The line and column (from 1) of character `offset` (from 0)."""
        line, column = self.lines.line_column(offset)
        return Loc(self.file, line, column, self.include)


@dataclass(frozen=True, slots=True)
class TextSpan:
    """Where an attribute value (`attribute`) or an element's content begins.

    `loc_at(offset)` is where character `offset` of the text as parsed was
    written: an entity or character reference is one character, a CDATA
    section's markers none (in content), a line end one.
    """

    source: SourceText
    start: int
    attribute: bool

    @property
    def loc(self) -> Loc:
        """Where the text's first character stands."""
        return self.loc_at(0)

    def words(self) -> list[Loc]:
        """Where each whitespace-separated word of an attribute value stands
        (the ids of `target`, the descriptors of `event`)."""
        text = self.source.text
        end = text.find(text[self.start - 1], self.start)  # the closing quote
        return [
            self.source.loc(self.start + m.start())
            for m in re.finditer(r"\S+", text[self.start : end])
        ]

    def loc_at(self, offset: int) -> Loc:
        source = self.source
        return source.loc(source.parsed_offset(self.start, self.attribute, offset))


class _Walk:
    """The written offsets of the characters of one attribute value or
    element content as parsed, found as far as asked: `raw[k]` is where
    character k was written. An entity or character reference is one
    character, a CDATA section's markers none (in content), a line end one."""

    __slots__ = ("raw", "next", "cdata", "attribute")

    def __init__(self, start: int, attribute: bool) -> None:
        self.raw: list[int] = []
        self.next = start
        self.cdata = False
        self.attribute = attribute

    def offset(self, text: str, offset: int) -> int:
        """Where character `offset` was written; past the end of `text`, its end."""
        raw = self.raw
        while len(raw) <= offset:
            i = self._skip_markers(text, self.next)
            if i >= len(text):
                self.next = i
                return i
            raw.append(i)
            end = text.find(";", i) if not self.cdata and text[i] == "&" else -1
            if end > i:  # an entity or character reference
                self.next = end + 1
            else:
                self.next = i + (2 if text.startswith("\r\n", i) else 1)
        return raw[offset]

    def _skip_markers(self, text: str, i: int) -> int:
        """`i` past the CDATA markers that begin there (which are no characters)."""
        while True:
            if self.cdata and text.startswith(_CDATA_END, i):
                i, self.cdata = i + len(_CDATA_END), False
            elif (
                not self.cdata
                and not self.attribute
                and text.startswith(_CDATA_START, i)
            ):
                i, self.cdata = i + len(_CDATA_START), True
            else:
                return i


@dataclass(frozen=True, slots=True)
class TagPosition:
    """Where a start tag and its attributes stand; `values` are the spans of
    the attribute values, `content` the span of what follows the tag."""

    loc: Loc
    attributes: dict[str, Loc]
    values: dict[str, TextSpan] = field(default_factory=dict)
    content: TextSpan | None = None


def scan_tags(text: str, file: str, include: str = "") -> list[TagPosition]:
    """Positions of all start tags of `text`, in document order; `include` is
    the resolveid the text was included under (see `Loc`)."""
    source = SourceText(text, file, include)
    found: list[TagPosition] = []
    for match in _TOKEN.finditer(text):
        name = match.group("name")
        if name is None or match.group("close"):
            continue
        attrs_start = match.start("attrs")
        attributes: dict[str, Loc] = {}
        values: dict[str, TextSpan] = {}
        for m in _ATTRIBUTE.finditer(match.group("attrs")):
            attributes[m.group(1)] = source.loc(attrs_start + m.start(1))
            values[m.group(1)] = TextSpan(source, attrs_start + m.start(2) + 1, True)
        content = TextSpan(source, match.end(), False)
        found.append(
            TagPosition(source.loc(match.start()), attributes, values, content)
        )
    return found


class SourceMap:
    """The spans of a document's attribute values and element contents (its
    own and those of the files it includes), found by the `Loc` of the
    attribute's name or of the element."""

    def __init__(self, tags: Iterable[TagPosition]) -> None:
        self._tags = tags
        self._values: dict[Loc, TextSpan] | None = None
        self._contents: dict[Loc, TextSpan] = {}

    def _index(self) -> dict[Loc, TextSpan]:
        if self._values is None:
            self._values = {}
            for tag in self._tags:
                if tag.content is not None:
                    self._contents[tag.loc] = tag.content
                for name, loc in tag.attributes.items():
                    self._values[loc] = tag.values[name]
        return self._values

    def value(self, loc: Loc) -> TextSpan | None:
        """The value of the attribute whose name stands at `loc`."""
        return self._index().get(loc)

    def content(self, loc: Loc) -> TextSpan | None:
        """The content of the element whose start tag stands at `loc`."""
        self._index()
        return self._contents.get(loc)

    def words(self, loc: Loc, count: int) -> list[Loc]:
        """Where each of the `count` whitespace-separated words of the value
        of the attribute at `loc` stands (the ids of `target`, the
        descriptors of `event`); `loc` for each when they cannot be told
        apart."""
        span = self.value(loc)
        words = span.words() if span is not None else []
        return words if len(words) == count else [loc] * count

    def at(self, loc: Loc, offset: int) -> Loc:
        """Where character `offset` of the value of the attribute at `loc` was
        written (`loc` itself when its value is not known)."""
        span = self.value(loc)
        return loc if span is None else span.loc_at(offset)
