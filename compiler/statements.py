"""Members formatted statement by statement, black running on the long ones only.

black formats each statement (logical line) on its own: what it writes for one
depends on its tokens and its depth only, and what joins statements is the blank
lines it puts between them (`black.lines.EmptyLineTracker`). Most statements of
generated code are short, and black only respaces them, at about half a
millisecond a line. So `plan` sorts the statements of a member:

- a statement that fits on its line and is made of tokens whose spacing black
  sets by simple rules (names, decimal numbers, plain strings, the operators
  generated code uses, plain comments) is written here as black writes it;
- so is a long call statement (a call, `return` or assignment of a call,
  `if call:`), laid out by `layout.lay_out_statement`;
- every other statement goes to black, in batches: each after a marker comment,
  at its own depth under `if _:` openers, a block opener followed by `pass`.

`assemble` puts black's output for the batches back in place and adds the
blank lines black's EmptyLineTracker would (ported below for what members
hold: comments, statements, nested `def`s).

`plan` declines (returns None) a member with blank lines, decorators, classes,
imports, docstrings, multi-line strings, comments not at the indentation of what
follows them, `fmt:` comments, a `def` whose body starts with `...` (a stub
black joins to its header), or a long `else:`/`except:` clause. A statement
with `with`, `lambda`, `**`, a slice, or parentheses black might remove
(`x = (a if b else c)`) is never settled: black formats it. Anything this
module does not know goes to black, never the other way round. black must
format batches for the Python versions it would infer from the whole module
(`render._UNIT_MODE`): a batch is not the member.
`tests/test_statements.py` compares the result with black on the corpus.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable
from typing import NamedTuple

from .layout import DECIMAL, LINE_LENGTH, NotLaidOut, black_string, lay_out_statement

__all__ = ["Batch", "Plan", "assemble", "batches", "fill", "format_members", "plan"]

_INDENT = 4
_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")
_KEYWORDS = frozenset(keyword.kwlist) - {"True", "False", "None"}
_DECLINED_NAMES = frozenset(
    {"lambda", "await", "async", "yield", "import", "class", "with"}
)
"""Names of constructs black lays out by rules of their own."""
_MEMBER_DECLINED = frozenset({"class", "import", "from", "async", "@"})
"""What starts a statement black puts blank lines around by rules not ported
here."""
_CLAUSES = frozenset({"else", "elif", "except", "finally"})
"""Block openers that cannot start a batch's statement (they need the block
before them)."""
_SOFT_STATEMENTS = frozenset({"match", "case", "type"})
_DECLINED_OPERATORS = frozenset({"**", "**=", "@", "@=", ";", "...", "\\", "!", "`"})
_UNARY = frozenset({"-", "+", "~"})
_COMPOUND = frozenset(
    {"if", "elif", "else", "while", "for", "try", "except", "finally", "def"}
)
_PARENTHESES_AFTER = frozenset(
    {"=", "+=", "-=", "*=", "/=", "//=", "%=", "&=", "|=", "^=", ">>=", "<<="}
    | {"return", "if", "elif", "while", "for", "in", "del", "assert", "except"}
    | {":", "->", "else", "raise"}
)
"""Tokens after which black may drop a pair of parentheses that encloses the
rest of the statement (its "invisible parentheses")."""
_ENDS_PARENTHESES = frozenset({":", ",", "=", "in", ""})
_NEVER_SETTLED = frozenset({"assert", "del"})
"""Statements where black also drops parentheses after a comma."""
_FLOAT = re.compile(r"[0-9]+\.[0-9]+(?:e[-+]?[0-9]+)?|[0-9]+e[-+]?[0-9]+")
_PLAIN_COMMENT = re.compile(r"# [ -~]*[!-~]|#")
_PRAGMAS = ("type:", "fmt:")
"""Comments that change what black does (to a line that fits, only these)."""
_FMT_PRAGMA = re.compile(r"fmt\s*:")
"""What black reads as `# fmt: off`, `# fmt: skip`...: the lines it keeps as
they are are neither statements nor `def`s to its blank-line rules."""
_MARKER = "# _scxmlc_statement_{}"
_OPENER = "if _:"


class _Declined(Exception):
    """The member is outside what this module formats."""


@dataclass
class _Line:
    """A logical line of a member: a statement or a comment on its own line."""

    depth: int
    source: str
    """Its lines as codegen wrote them."""
    settled: str | None
    """Its lines as black writes them, or None when black must format it."""
    is_comment: bool = False
    is_def: bool = False
    opens_block: bool = False
    formatted: list[str] = field(default_factory=list)


class Plan(NamedTuple):
    """A member's logical lines, each settled or left for black."""

    lines: list[_Line]


class Batch(NamedTuple):
    """A placeholder module for black, and the statements it holds in order."""

    text: str
    statements: list[_Line]


def plan(member: str) -> Plan | None:
    """How to format `member` (one member of a class body, without trailing
    blank lines), or None when it is outside what this module handles."""
    try:
        lines = _logical_lines(member.rstrip("\n"))
        _check_comments(lines)
        _check_stubs(lines)
    except (_Declined, tokenize.TokenError, IndentationError, SyntaxError):
        return None
    if any(line.settled is None and _is_clause(line) for line in lines):
        return None
    return Plan(lines)


def _is_clause(line: _Line) -> bool:
    """Whether `line` opens an `else`, `elif`, `except` (`except*`) or
    `finally` clause."""
    word = re.match(r"\w*", line.source.lstrip())
    return word is not None and word.group() in _CLAUSES


def batches(plans: Iterable[Plan], statements_per_batch: int = 60) -> list[Batch]:
    """The batches black formats for the statements of `plans` not settled."""
    pending = [line for p in plans for line in p.lines if line.settled is None]
    groups = [
        pending[start : start + statements_per_batch]
        for start in range(0, len(pending), statements_per_batch)
    ]
    return [Batch(_batch(group), group) for group in groups]


def fill(batch: Batch, output: str) -> bool:
    """Give the statements of `batch` their lines from black's `output` for
    it; False when the output does not split back as the batch was built."""
    return _extract(batch.statements, output)


def assemble(plan: Plan) -> str | None:
    """The member formatted, once its batches are filled (None if one is not)."""
    out: list[str] = []
    for line, blank in zip(plan.lines, _blank_lines(plan.lines)):
        out += [""] * blank
        if line.settled is not None:
            out.append(line.settled)
        elif line.formatted:
            out += line.formatted
        else:
            return None
    return "\n".join(out)


def format_members(members: list[str], black: Callable[[str], str]) -> list[str | None]:
    """Each of `members` formatted, with `black` formatting their batches
    together; None for a member `plan` declines or whose batch does not split
    back."""
    plans = [plan(member) for member in members]
    planned = [p for p in plans if p is not None]
    for batch in batches(planned):
        fill(batch, black(batch.text))
    return [None if p is None else assemble(p) for p in plans]


# -- statements -------------------------------------------------------------------


def _logical_lines(member: str) -> list[_Line]:
    """The logical lines of `member`, each settled when it can be."""
    physical = member.split("\n")
    lines: list[_Line] = []
    tokens: list[tokenize.TokenInfo] = []
    for token in tokenize.generate_tokens(io.StringIO(member).readline):
        kind = token.type
        if kind in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            continue
        if kind == tokenize.NL and not tokens:
            if not token.line.strip().startswith("#"):
                raise _Declined("a blank line")
            continue
        if kind == tokenize.COMMENT and not tokens:
            lines.append(_comment(token))
            continue
        if kind == tokenize.NL:
            continue
        if kind == tokenize.NEWLINE:
            lines.append(_statement(tokens, physical))
            tokens = []
            continue
        if kind == tokenize.ERRORTOKEN:
            raise _Declined("an error token")
        if kind == tokenize.COMMENT and _FMT_PRAGMA.search(token.string):
            raise _Declined("a `fmt:` comment (black then keeps lines as they are)")
        tokens.append(token)
    if tokens:
        lines.append(_statement(tokens, physical))
    return lines


def _depth(column: int) -> int:
    if column % _INDENT or column == 0:
        raise _Declined("indentation")
    return column // _INDENT


def _comment(token: tokenize.TokenInfo) -> _Line:
    text = token.string
    if not _PLAIN_COMMENT.fullmatch(text) or any(p in text for p in _PRAGMAS):
        raise _Declined("a comment black may rewrite")
    if text.startswith("# _scxmlc_statement_"):
        raise _Declined("a comment like the markers")
    column = token.start[1]
    return _Line(_depth(column), token.line.rstrip("\n"), " " * column + text, True)


def _statement(tokens: list[tokenize.TokenInfo], physical: list[str]) -> _Line:
    """One statement: settled if it fits on its line as black writes it."""
    first, last = tokens[0], tokens[-1]
    depth = _depth(first.start[1])
    source = "\n".join(physical[first.start[0] - 1 : last.end[0]])
    comment = last.string if last.type == tokenize.COMMENT else None
    code = tokens[:-1] if comment is not None else tokens
    if any(t.type == tokenize.STRING and t.start[0] != t.end[0] for t in code):
        raise _Declined("a multi-line string")
    if code[0].type == tokenize.STRING:
        raise _Declined("a docstring or bare string")
    _check_statement(code)
    line = _Line(
        depth,
        source,
        None,
        is_def=code[0].string == "def",
        opens_block=code[-1].string == ":",
    )
    if first.start[0] == last.end[0] and source.isascii():
        rendered = _render(code)
        if rendered is not None and comment is not None:
            rendered = _inline_comment(rendered, comment)
        if rendered is not None:
            text = " " * (depth * _INDENT) + rendered
            if len(text) <= LINE_LENGTH:
                line.settled = text
        if line.settled is None and comment is None:
            line.settled = _laid_out(source.strip(), depth * _INDENT)
    return line


def _laid_out(text: str, indent: int) -> str | None:
    """A long call statement laid out as black would (see `layout`), or None."""
    try:
        return "\n".join(lay_out_statement(text, indent))
    except NotLaidOut:
        return None


def _check_statement(code: list[tokenize.TokenInfo]) -> None:
    """Decline the statements whose layout or neighbours black treats apart."""
    start = code[0].string
    if start in _MEMBER_DECLINED:
        raise _Declined(f"a statement starting with {start!r}")
    if start in _SOFT_STATEMENTS and len(code) > 1 and code[1].type == tokenize.NAME:
        raise _Declined("a soft-keyword statement")
    if start == "def" and [t.string for t in code[-4:]] == [":", ".", ".", "."]:
        raise _Declined("a stub def")


def _inline_comment(rendered: str, comment: str) -> str | None:
    if not _PLAIN_COMMENT.fullmatch(comment) or any(p in comment for p in _PRAGMAS):
        return None
    return f"{rendered}  {comment}"


def _render(tokens: list[tokenize.TokenInfo]) -> str | None:
    """The statement `tokens` spaced as black spaces it, or None when a token
    or a construct is outside the rules below (black then formats it)."""
    out: list[str] = []
    brackets: list[str] = []
    annotated: list[bool] = []
    """For each open `(`: whether the current parameter has an annotation."""
    compound = tokens[0].string in _COMPOUND
    if tokens[0].string in _NEVER_SETTLED:
        return None
    previous: tokenize.TokenInfo | None = None
    unary = False
    for index, token in enumerate(tokens):
        text = _token_text(token)
        if text is None:
            return None
        space = _space(previous, token, brackets, annotated, unary)
        if space is None:
            return None
        if token.string == ":" and not brackets:
            if compound and index != len(tokens) - 1:
                return None  # a compound statement on one line
        if token.string == "(" and _drops_parentheses(tokens, index, brackets):
            return None
        if token.string == ",":
            after = tokens[index + 1].string if index + 1 < len(tokens) else ""
            if after in _CLOSING or (not brackets and after in ("", ":", "=")):
                return None  # a magic trailing comma, or a tuple black parenthesizes
        out.append(space + text)
        unary = _is_unary(previous, token)
        _track(token, brackets, annotated)
        previous = token
    if brackets:
        return None
    return "".join(out)


def _token_text(token: tokenize.TokenInfo) -> str | None:
    """How black writes `token`, or None when it is outside these rules."""
    kind, text = token.type, token.string
    if kind == tokenize.NAME:
        if text in _DECLINED_NAMES:
            return None
        return text
    if kind == tokenize.NUMBER:
        return text if DECIMAL.fullmatch(text) or _FLOAT.fullmatch(text) else None
    if kind == tokenize.STRING:
        return black_string(text)
    if kind == tokenize.OP:
        return None if text in _DECLINED_OPERATORS else text
    return None


def _space(
    previous: tokenize.TokenInfo | None,
    token: tokenize.TokenInfo,
    brackets: list[str],
    annotated: list[bool],
    after_unary: bool,
) -> str | None:
    """The space black puts before `token`, or None when unsure."""
    if previous is None:
        return ""
    text, before = token.string, previous.string
    inside = brackets[-1] if brackets else ""
    if after_unary:
        return ""
    if text == "*" and before == "except":
        return None  # `except*`, which black writes against its keyword
    if text in _CLOSING or text == ",":
        return ""
    if text == ":":
        if inside == "[":
            return None  # a slice
        return ""
    if before in _OPENING or before == ".":
        return ""
    if text == ".":
        if previous.type == tokenize.NUMBER or before in _KEYWORDS:
            return None
        return ""
    if text == "=":
        if not inside:
            return " "
        if inside != "(":
            return None
        return " " if annotated[-1] else ""
    if before == "=" and inside == "(":
        return " " if annotated[-1] else ""
    if text in ("(", "["):
        if _is_trailer_start(previous):
            return ""
        return " "
    if text == ":=" and inside == "[":
        return None
    return " "


def _is_trailer_start(previous: tokenize.TokenInfo) -> bool:
    """Whether a bracket after `previous` calls or subscripts it."""
    if previous.string in _CLOSING:
        return True
    if previous.type in (tokenize.STRING, tokenize.NUMBER):
        return True
    return previous.type == tokenize.NAME and previous.string not in _KEYWORDS


def _is_unary(previous: tokenize.TokenInfo | None, token: tokenize.TokenInfo) -> bool:
    """Whether operator `token` is unary (black writes its operand against it):
    a sign, or a `*` that unpacks (`f(*a)`, `[*a]`, `return *a, b`)."""
    if token.string not in _UNARY and token.string != "*":
        return False
    if previous is None:
        return True
    if previous.type == tokenize.OP:
        return previous.string not in _CLOSING
    return previous.type == tokenize.NAME and previous.string in _KEYWORDS


def _track(
    token: tokenize.TokenInfo, brackets: list[str], annotated: list[bool]
) -> None:
    text = token.string
    if text in _OPENING:
        brackets.append(text)
        annotated.append(False)
    elif text in _CLOSING:
        if brackets:
            brackets.pop()
            annotated.pop()
    elif text == "," and brackets == ["("]:
        annotated[-1] = False
    elif text == ":" and brackets and brackets[-1] == "(":
        annotated[-1] = True


def _drops_parentheses(
    tokens: list[tokenize.TokenInfo], index: int, brackets: list[str]
) -> bool:
    """Whether black may remove the parentheses opening at `index`: they start
    the statement, or follow `=`, `return`, `if`... at its top level and
    enclose everything up to its end, a `:`, a `,`, a `=` or an `in`, or they
    are the one item of a list or set."""
    if index == 0:
        return True
    previous = tokens[index - 1].string
    if brackets and previous in ("[", "{"):
        return _after_group(tokens, index) in _CLOSING
    if not brackets and previous in _PARENTHESES_AFTER:
        return _after_group(tokens, index) in _ENDS_PARENTHESES
    return False


def _after_group(tokens: list[tokenize.TokenInfo], index: int) -> str:
    """The token after the bracket group opening at `index` ("" at the end)."""
    depth = 0
    for position in range(index, len(tokens)):
        text = tokens[position].string
        if text in _OPENING:
            depth += 1
        elif text in _CLOSING:
            depth -= 1
            if depth == 0:
                return tokens[position + 1].string if position + 1 < len(tokens) else ""
    return ""


def _check_comments(lines: list[_Line]) -> None:
    """A comment on its own line must be at the indentation of the statement
    after it (black indents a comment as the line it comes before)."""
    following: _Line | None = None
    for line in reversed(lines):
        if line.is_comment and (following is None or following.depth != line.depth):
            raise _Declined("a comment at another indentation than what follows")
        if not line.is_comment:
            following = line
        elif following is None:
            raise _Declined("a comment ending the member")


def _check_stubs(lines: list[_Line]) -> None:
    """A `def` whose body starts with `...` may be a stub: black joins a stub
    to its header and puts no blank line between stubs."""
    for line, following in zip(lines, lines[1:]):
        if line.is_def and following.source.lstrip().startswith("..."):
            raise _Declined("a stub def")


# -- batches for black --------------------------------------------------------------


def _batch(statements: list[_Line]) -> str:
    """A placeholder module holding `statements`, each at its depth after its
    marker; a block opener gets `pass` as its body."""
    out: list[str] = []
    open_depth = 0
    for number, line in enumerate(statements):
        for depth in range(open_depth, line.depth):
            out.append(" " * (depth * _INDENT) + _OPENER)
        indent = " " * (line.depth * _INDENT)
        out.append(indent + _MARKER.format(number))
        out.append(line.source)
        open_depth = _open_depth(line)
        if line.opens_block:
            out.append(indent + " " * _INDENT + "pass")
    return "\n".join(out) + "\n"


def _extract(statements: list[_Line], output: str) -> bool:
    """Set the formatted lines of `statements` from black's `output` for their
    batch; False when it does not split back as it was built."""
    markers = {_MARKER.format(n): n for n in range(len(statements))}
    segments: list[list[str]] = []
    for text in output.split("\n"):
        if not text.strip():
            continue
        number = markers.get(text.strip())
        if number is not None:
            if number != len(segments):
                return False
            segments.append([])
        elif segments:
            segments[-1].append(text)
    if len(segments) != len(statements):
        return False
    for number, (line, segment) in enumerate(zip(statements, segments)):
        if number + 1 < len(statements):
            openers = [
                " " * (depth * _INDENT) + _OPENER
                for depth in range(_open_depth(line), statements[number + 1].depth)
            ]
            if openers:
                if segment[-len(openers) :] != openers:
                    return False
                segment = segment[: -len(openers)]
        if line.opens_block:
            if not segment or segment[-1].strip() != "pass":
                return False
            segment = segment[:-1]
        indent = " " * (line.depth * _INDENT)
        if not segment or not segment[0].startswith(indent):
            return False
        if segment[0][len(indent) : len(indent) + 1] in ("", " "):
            return False
        line.formatted = segment
    return True


def _open_depth(line: _Line) -> int:
    """The depth of the innermost block open after `line` in its batch."""
    return line.depth + 1 if line.opens_block else line.depth


# -- blank lines ----------------------------------------------------------------------


@dataclass
class _Block:
    """black's `LinesBlock`: a line and the blank lines before it."""

    line: _Line
    before: int
    previous: _Block | None


_CLASS_LINE = _Line(0, "class _:", "class _:", opens_block=True)


def _blank_lines(lines: list[_Line]) -> list[int]:
    """The blank lines black puts before each of `lines`, the body of a class
    whose first line they follow (black's `EmptyLineTracker`, for lines that
    had no blank line before them and are not decorators, classes, imports
    or docstrings)."""
    previous_line = _CLASS_LINE
    previous_block = _Block(_CLASS_LINE, 0, None)
    previous_defs = [_CLASS_LINE]
    leading_comment: _Block | None = None
    blocks: list[_Block] = []
    for line in lines:
        before = 0
        previous_def = None
        while previous_defs and previous_defs[-1].depth >= line.depth:
            previous_def = previous_defs.pop()
        if line.is_def:
            previous_defs.append(line)
        if previous_def is not None:
            before = 1 if line.depth else 2
        block = _Block(line, before, previous_block)
        if line.is_def:
            block.before = _before_def(line, before, previous_line, leading_comment)
        if line.is_comment:
            if (not previous_line.is_comment or block.before) and (
                leading_comment is None or block.before
            ):
                leading_comment = block
        else:
            leading_comment = None
        previous_line, previous_block = line, block
        blocks.append(block)
    return [block.before for block in blocks]


def _before_def(
    line: _Line, before: int, previous: _Line, leading_comment: _Block | None
) -> int:
    """black's `_maybe_empty_lines_for_class_or_def` for a `def` line; it may
    move the blank line before the comments that lead to it."""
    if previous.depth < line.depth and previous.is_def:
        return 0
    if previous is _CLASS_LINE:
        return 0
    moved_to: _Block | None = None
    if previous.is_comment and previous.depth == line.depth and before == 0:
        slc = leading_comment
        if (
            slc is not None
            and slc.previous is not None
            and slc.previous.line is not _CLASS_LINE
            and not slc.previous.line.opens_block
            and slc.before <= 1
        ):
            moved_to = slc
        else:
            return 0
    newlines = 1 if line.depth else 2
    if moved_to is not None:
        moved_to.before = max(moved_to.before, newlines)
        return 0
    return newlines
