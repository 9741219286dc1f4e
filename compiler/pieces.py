"""Long members cut into pieces that black formats independently.

A Composer document includes its JavaScript libraries into one `<script>`, which
compiles to one method of thousands of lines: formatted whole, it would keep one
core busy while the others wait. Such a member is formatted statement by
statement (see `statements`); this module handles the long members that
`statements` declines. black formats each statement on its own; what
joins statements is the blank lines it puts between them, decided from the
previous line. So a method is cut between two statements of the same block when
the first is a plain statement (an expression or assignment, never `return`,
`pass`, a `def` or the end of a block), and each piece is formatted in a
placeholder that gives it the same surroundings:

    class _Chunk:
        def _run_global_scripts(self) -> None:   # the blocks the piece is in,
            try:                                  # as they open in the member
                _scxmlc_previous = 0              # a plain statement before it
                ...the piece...
                _scxmlc_next = 0                  # a plain statement after it
            finally:                              # what closes a `try` left open
                pass

The lines between the two marker statements are black's lines for the piece.
Only `def`, `class`, `try`, `if`, `for`, `while` and `with` blocks may enclose a
cut (an `else:` or `except:` cannot open a placeholder on its own).
"""

from __future__ import annotations

import io
import keyword
import tokenize
from typing import NamedTuple

__all__ = ["Piece", "cut", "extract"]

PREVIOUS = "_scxmlc_previous = 0"
NEXT = "_scxmlc_next = 0"
_OPENERS = frozenset(["def", "class", "try", "if", "for", "while", "with"])
_NOT_PLAIN = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)


class Piece(NamedTuple):
    """A placeholder module for black, and the indentation of the markers in it
    (None where the piece starts the member or ends it)."""

    text: str
    previous: int | None
    next: int | None


class _Block(NamedTuple):
    keyword: str
    indent: int
    opener: str
    """The opener's source lines."""


def cut(member: str, lines_per_piece: int) -> list[Piece] | None:
    """`member` (the source of one method at class indentation) cut into pieces of
    about `lines_per_piece` lines, or None when it has no place to cut."""
    lines = member.splitlines(keepends=True)
    cuts = _cuts(member, lines, lines_per_piece)
    if not cuts:
        return None
    pieces: list[Piece] = []
    bounds: list[_Cut | None] = [None, *cuts, None]
    for at, until in zip(bounds, bounds[1:]):
        text = "class _Chunk:\n"
        if at is not None:
            text += "".join(b.opener for b in at.blocks)
            text += " " * at.indent + PREVIOUS + "\n"
        text += "".join(lines[at.row if at else 0 : until.row if until else len(lines)])
        if until is not None:
            text += " " * until.indent + NEXT + "\n"
            for block in reversed(until.blocks):
                if block.keyword == "try":
                    text += " " * block.indent + "finally:\n"
                    text += " " * (block.indent + 4) + "pass\n"
        pieces.append(
            Piece(text, at.indent if at else None, until.indent if until else None)
        )
    return pieces


def extract(piece: Piece, formatted: str) -> str | None:
    """black's lines for the piece itself, from black's output for its
    placeholder (without the trailing newline); None if the markers are lost."""
    lines = formatted.split("\n")
    start = 1
    if piece.previous is not None:
        marker = " " * piece.previous + PREVIOUS
        if lines.count(marker) != 1:
            return None
        start = lines.index(marker) + 1
    end = len(lines)
    if piece.next is not None:
        marker = " " * piece.next + NEXT
        if lines.count(marker) != 1:
            return None
        end = lines.index(marker)
    return "\n".join(lines[start:end]).rstrip("\n")


class _Cut(NamedTuple):
    row: int
    """The index of the piece's first line."""
    indent: int
    """The indentation of the statements on both sides of the cut."""
    blocks: list[_Block]
    """The blocks open at the cut, outermost first."""


def _cuts(member: str, lines: list[str], every: int) -> list[_Cut]:
    """Where to cut `member`, about `every` lines apart: after a plain statement
    followed by a statement of the same block, inside blocks a placeholder can
    open."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(member).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    cuts: list[_Cut] = []
    blocks: list[_Block] = []
    statement: list[tokenize.TokenInfo] = []
    last: _Block | None = None
    after_plain: tuple[int, int] | None = None
    """(the row after a plain statement, its indentation) until the next token
    shows whether a statement of the same block follows."""
    for token in tokens:
        if token.type in (tokenize.INDENT, tokenize.DEDENT):
            if token.type == tokenize.INDENT and last is not None:
                blocks.append(last)
            elif token.type == tokenize.DEDENT and blocks:
                blocks.pop()
            after_plain = None
        elif token.type == tokenize.NEWLINE:
            first = statement[0]
            last = _Block(
                first.string,
                first.start[1],
                "".join(lines[first.start[0] - 1 : token.end[0]]),
            )
            plain = first.type == tokenize.NAME and first.string not in _NOT_PLAIN
            after_plain = (token.end[0], first.start[1]) if plain else None
            statement = []
        elif token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.ENDMARKER):
            if not statement and after_plain is not None:
                row, indent = after_plain
                since = cuts[-1].row if cuts else 0
                if (
                    token.start[1] == indent
                    and row - since >= every
                    and all(b.keyword in _OPENERS for b in blocks)
                ):
                    cuts.append(_Cut(row, indent, list(blocks)))
                after_plain = None
            statement.append(token)
    return cuts
