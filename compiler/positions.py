"""Source positions of elements and attributes, which lxml does not give.

lxml reports the line on which a start tag *ends* and no column. This module scans
the raw text once for start tags (skipping comments, CDATA, processing instructions
and the DOCTYPE) and records, for each in document order, the line and column of its
`<` and of each attribute name. The n-th start tag found is the n-th element lxml
yields from `iter()`, so the two can be zipped.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .diagnostics import Loc

__all__ = ["TagPosition", "scan_tags"]

_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<\?.*?\?>"
    r"|<!DOCTYPE(?:[^>\[]|\[.*?\])*>"
    r"|<(?P<close>/?)(?P<name>[^\s/>!?]+)(?P<attrs>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.S,
)
_ATTRIBUTE = re.compile(r"([^\s=/]+)\s*=\s*(?:\"[^\"]*\"|'[^']*')", re.S)


@dataclass(frozen=True, slots=True)
class TagPosition:
    """Where a start tag and its attributes stand."""

    loc: Loc
    attributes: dict[str, Loc]


def scan_tags(text: str, file: str, include: str = "") -> list[TagPosition]:
    """Positions of all start tags of `text`, in document order; `include` is
    the resolveid the text was included under (see `Loc`)."""
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def loc_at(offset: int) -> Loc:
        line = bisect.bisect_right(line_starts, offset) - 1
        return Loc(file, line + 1, offset - line_starts[line] + 1, include)

    found: list[TagPosition] = []
    for match in _TOKEN.finditer(text):
        name = match.group("name")
        if name is None or match.group("close"):
            continue
        attrs_start = match.start("attrs")
        attributes = {
            m.group(1): loc_at(attrs_start + m.start(1))
            for m in _ATTRIBUTE.finditer(match.group("attrs"))
        }
        found.append(TagPosition(loc_at(match.start()), attributes))
    return found
