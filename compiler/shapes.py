"""Members of the same shape are formatted by black once.

A large chart compiles to hundreds of methods that differ only in names,
numbers, strings and `file:LINE` comments: the `<onentry>` of every state of a
Composer block type, the condition of every transition of a kind. black's layout
of a line depends on the kinds of its tokens and on their widths, never on what a
name, a decimal number or a plain string says. So black formats one member of
each shape, and the others are derived from its output by putting their own
tokens in place:

- `shape_of` gives a member's shape (its text with every *variable* token replaced
  by a marker of the token's kind) and the variable tokens themselves;
- `derive` writes a member of the same shape from black's output for another,
  or returns None when that is not certain to be black's output: a statement
  black split over several lines whose variable tokens differ in width, or a
  one-line statement that becomes too long for one line. (A statement that fits
  on one line is always written on one line by black, whatever its tokens say;
  comments on lines of their own are never split.)

Variable tokens are names other than keywords, soft keywords and dunders,
decimal integers, plain strings (`layout.black_string`) that do not start a
statement, and comments on a line of their own that are not pragmas.
Everything else, whitespace included, is part of the shape.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from typing import NamedTuple

from .layout import DECIMAL, LINE_LENGTH, black_string

__all__ = ["Formatted", "Shape", "derive", "read_formatted", "shape_of"]

_PLAIN_COMMENT = re.compile(r"# [ -~]*[!-~]|#")
_PRAGMAS = ("type:", "fmt:", "noqa", "pylint:", "pragma", "yapf:")
_SPECIAL_NAMES = frozenset(
    [*keyword.kwlist, *keyword.softkwlist, "type", "print", "exec", "async", "await"]
)
_STATEMENT_START = (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT)


class Shape(NamedTuple):
    """A member's text with its variable tokens replaced by markers, and those
    tokens in order."""

    key: str
    values: list[str]


class _Variable(NamedTuple):
    start: int
    end: int
    kind: str
    text: str
    statement: int
    """The index of the logical line (statement) the token is part of; -1 for a
    comment on its own line."""
    row: int


def shape_of(member: str) -> Shape | None:
    """The shape of the source text `member`, or None when it cannot be read."""
    scanned = _scan(member)
    if scanned is None:
        return None
    variables = scanned[0]
    parts: list[str] = []
    at = 0
    for v in variables:
        parts += [member[at : v.start], f"\0{v.kind}\0"]
        at = v.end
    parts.append(member[at:])
    return Shape("".join(parts), [v.text for v in variables])


class Formatted(NamedTuple):
    """black's output for a model member, read once for all the members derived
    from it."""

    text: str
    variables: list[_Variable]
    multiline: set[int]


def read_formatted(text: str) -> Formatted | None:
    """`text`, black's output for a member, ready for `derive`; None when it
    cannot be read."""
    scanned = _scan(text)
    if scanned is None:
        return None
    return Formatted(text, *scanned)


def derive(formatted: Formatted, model: Shape, member: Shape) -> str | None:
    """black's output for `member`, written from `formatted` (black's output for
    `model`, of the same shape); None when it may differ from black's."""
    if len(formatted.variables) != len(member.values):
        return None
    source = formatted.text
    widened: set[int] = set()
    parts: list[str] = []
    at = 0
    for v, was, new in zip(formatted.variables, model.values, member.values):
        if _normalized(was, v.kind) != v.text:
            return None
        if len(new) != len(was) and v.statement >= 0:
            if v.statement in formatted.multiline:
                return None
            widened.add(v.row)
        parts += [source[at : v.start], _normalized(new, v.kind)]
        at = v.end
    parts.append(source[at:])
    text = "".join(parts)
    if widened:
        lines = text.splitlines()
        if any(len(lines[row - 1]) > LINE_LENGTH for row in widened):
            return None
    return text


def _normalized(text: str, kind: str) -> str:
    """A variable token as black writes it: plain strings in double quotes."""
    return (black_string(text) or text) if kind == "s" else text


def _scan(source: str) -> tuple[list[_Variable], set[int]] | None:
    """The variable tokens of `source`, and the statements written over several
    lines; None for text this module leaves to black (not ASCII, or not
    tokenizable)."""
    if not source.isascii():
        return None
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    variables: list[_Variable] = []
    multiline: set[int] = set()
    statement = 0
    first_row: int | None = None
    previous = tokenize.NEWLINE
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            kind = _kind(token, previous)
            if kind is not None:
                variables.append(
                    _Variable(
                        starts[token.start[0] - 1] + token.start[1],
                        starts[token.end[0] - 1] + token.end[1],
                        kind,
                        token.string,
                        -1 if kind == "c" else statement,
                        token.start[0],
                    )
                )
            if token.type not in _OUTSIDE_STATEMENTS:
                if first_row is None:
                    first_row = token.start[0]
                if token.end[0] != first_row:
                    multiline.add(statement)
            if token.type == tokenize.NEWLINE:
                statement += 1
                first_row = None
            if token.type not in (tokenize.COMMENT, tokenize.NL):
                previous = token.type
            elif token.type == tokenize.NL and previous == tokenize.NEWLINE:
                previous = tokenize.NEWLINE
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return variables, multiline


_OUTSIDE_STATEMENTS = (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT)


def _kind(token: tokenize.TokenInfo, previous: int) -> str | None:
    """The marker kind of a variable token, or None for a token of the shape."""
    text = token.string
    if token.type == tokenize.NAME:
        if text in _SPECIAL_NAMES or text.startswith("__"):
            return None
        return "n"
    if token.type == tokenize.NUMBER:
        return "d" if DECIMAL.fullmatch(text) else None
    if token.type == tokenize.STRING:
        if (
            previous in _STATEMENT_START
            or previous == tokenize.OP
            and _after_colon(token)
        ):
            return None
        return "s" if black_string(text) is not None else None
    if token.type == tokenize.COMMENT:
        alone = token.line[: token.start[1]].strip() == ""
        if (
            alone
            and _PLAIN_COMMENT.fullmatch(text)
            and not any(p in text for p in _PRAGMAS)
        ):
            return "c"
    return None


def _after_colon(token: tokenize.TokenInfo) -> bool:
    """Whether a string follows a colon (a docstring may follow a `def` line's)."""
    return token.line[: token.start[1]].rstrip().endswith(":")
