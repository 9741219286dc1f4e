"""black's layout of chart table entries and of call statements, without black.

The tables of a chart (`states=(...)`, `transitions=(...)`, `fused={...}`) hold
one entry per state, transition or fused run: a large document has thousands of
them, and formatting them is most of black's time. They are data of a small
shape, calls of names with literal, name, attribute, tuple, list and dict
arguments, so their layout follows black's right-hand split:

- an entry that fits on its line stays on it;
- otherwise the line breaks after its last opening bracket (a dict entry's
  value, else its key); the contents go on
  one line of their own if they fit (a call's arguments only) or else one
  item a line, each with a trailing comma (a single item gets none);
- items that still do not fit are laid out in the same way; atoms are never split.

Generated methods are full of statements of the same shape: a call, `return`
of a call, a call assigned to a name, `if call:`. black splits them the same
way after their head (`return `, `x = `, `if `), having dropped the
parentheses it would put around the value, since a call holds no delimiter
outside its brackets. `lay_out_statement` lays those out.

`lay_out_entry` computes the layout of one entry, or raises `NotLaidOut` for
anything outside that shape (an operator, a comment, a magic trailing comma, a
string that black would requote, a subscript that does not fit, a line whose
head does not fit): the caller then has black format it. `tests/test_layout.py`
compares the two on every chart entry of the test corpus and on random entries
and statements; `tests/test_statements.py` on the statements of the corpus.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

__all__ = [
    "DECIMAL",
    "LINE_LENGTH",
    "NotLaidOut",
    "black_string",
    "lay_out_entry",
    "lay_out_statement",
]

LINE_LENGTH = 88
"""black's default line length, the one compiled modules are formatted with."""

_PLAIN_STRING = re.compile(r"""'[^'"\\]*'|"[^"\\]*\"""")
DECIMAL = re.compile(r"0|[1-9][0-9]*")
"""A decimal integer literal, which black leaves as it is."""
_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
_CLOSERS = {")", "]", "}"}


class NotLaidOut(Exception):
    """The entry is outside the shape this module lays out; black must do it."""


def lay_out_entry(text: str, indent: int, *, in_dict: bool = False) -> list[str]:
    """The lines black writes for the table entry `text` at `indent` spaces inside
    an exploded table, followed by a comma. The entry is one Python expression,
    or with `in_dict` one `key: value` pair."""
    if not text.isascii():
        raise NotLaidOut("not ASCII: black measures wide characters")
    source = "{" + text + "}" if in_dict else text
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as error:
        raise NotLaidOut(str(error)) from error
    if not in_dict:
        _check_tokens(source, tree)
        return _lines(tree, source, "", indent, ",")
    if not isinstance(tree, ast.Dict) or len(tree.keys) != 1:
        raise NotLaidOut("not one dict entry")
    _check_tokens(source, tree)
    key = tree.keys[0]
    if key is None:
        raise NotLaidOut("dict unpacking")
    return _item_lines((key, tree.values[0]), source, indent, ",")


def lay_out_statement(text: str, indent: int) -> list[str]:
    """The lines black writes for the one-line statement `text` at `indent`
    spaces, when it is a call, `return` of a call, an assignment of a call to a
    name or attribute, or the opener `if call:` or `while call:`; black splits
    those as it splits a table entry, after the head. Raises `NotLaidOut`
    otherwise."""
    if not text.isascii():
        raise NotLaidOut("not ASCII: black measures wide characters")
    opener = text.startswith(("if ", "while ")) and text.endswith(":")
    try:
        tree = ast.parse(text + " pass" if opener else text)
    except SyntaxError as error:
        raise NotLaidOut(str(error)) from error
    if len(tree.body) != 1:
        raise NotLaidOut("not one statement")
    statement = tree.body[0]
    prefix, trailer = "", ""
    if isinstance(statement, ast.Expr):
        node = statement.value
    elif isinstance(statement, ast.Return) and statement.value is not None:
        node, prefix = statement.value, "return "
    elif isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        node, prefix = statement.value, _dotted(statement.targets[0]) + " = "
    elif opener and isinstance(statement, (ast.If, ast.While)):
        node, trailer = statement.test, ":"
        prefix = "if " if isinstance(statement, ast.If) else "while "
    else:
        raise NotLaidOut("not a statement of the shapes laid out")
    if not isinstance(node, ast.Call):
        raise NotLaidOut("not a call")
    _check_tokens(text, node)
    return _lines(node, text, prefix, indent, trailer)


def _check_tokens(text: str, tree: ast.AST) -> None:
    """Refuse what the syntax tree does not show: comments, redundant brackets
    and magic trailing commas (a comma before a closing bracket that is not the
    comma of a one-element tuple)."""
    tokens = [
        t.string
        for t in tokenize.generate_tokens(io.StringIO(text).readline)
        if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
    ]
    if any(t.startswith("#") for t in tokens):
        raise NotLaidOut("comment")
    brackets = sum(t in ("(", "[", "{") for t in tokens)
    nodes = list(ast.walk(tree))
    expected = sum(
        isinstance(n, (ast.Call, ast.Tuple, ast.List, ast.Dict, ast.Subscript))
        for n in nodes
    )
    if brackets != expected:
        raise NotLaidOut("brackets the syntax tree does not show")
    commas = sum(a == "," and b in _CLOSERS for a, b in zip(tokens, tokens[1:]))
    one_tuples = sum(isinstance(n, ast.Tuple) and len(n.elts) == 1 for n in nodes)
    if commas != one_tuples:
        raise NotLaidOut("magic trailing comma")


def _lines(
    node: ast.expr, text: str, prefix: str, indent: int, trailer: str
) -> list[str]:
    """The lines of `prefix`, `node` and `trailer` at `indent` spaces."""
    flat = prefix + _flat(node, text) + trailer
    if indent + len(flat) <= LINE_LENGTH:
        return [" " * indent + flat]
    items = _items(node, text)
    if items is None:
        if isinstance(node, ast.Subscript):
            raise NotLaidOut("a subscript black would split")
        return [" " * indent + flat]  # an atom: black leaves it long
    opener, closer = _BRACKETS[type(node)]
    head = prefix + (_dotted(node.func) if isinstance(node, ast.Call) else "") + opener
    if not items or indent + len(head) > LINE_LENGTH:
        raise NotLaidOut("a split black would try another way")
    inner = indent + 4
    one_tuple = isinstance(node, ast.Tuple) and len(items) == 1
    explode = isinstance(node, (ast.Tuple, ast.List, ast.Dict)) and len(items) > 1
    if not explode:
        body = ", ".join(_flat_item(item, text) for item in items) + (
            "," if one_tuple else ""
        )
        if inner + len(body) <= LINE_LENGTH:
            return [
                " " * indent + head,
                " " * inner + body,
                " " * indent + closer + trailer,
            ]
    if len(items) == 1:
        lines = _item_lines(items[0], text, inner, "," if one_tuple else "")
    else:
        lines = [line for item in items for line in _item_lines(item, text, inner, ",")]
    return [" " * indent + head, *lines, " " * indent + closer + trailer]


_BRACKETS: dict[type, tuple[str, str]] = {
    ast.Call: ("(", ")"),
    ast.Tuple: ("(", ")"),
    ast.List: ("[", "]"),
    ast.Dict: ("{", "}"),
}

_Item = ast.expr | ast.keyword | tuple[ast.expr, ast.expr]


def _items(node: ast.expr, text: str) -> list[_Item] | None:
    """The items inside `node`'s brackets, or None for an atom."""
    if isinstance(node, ast.Call):
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            raise NotLaidOut("unpacking in a call")
        return [*node.args, *node.keywords]
    if isinstance(node, (ast.Tuple, ast.List)):
        return list(node.elts)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise NotLaidOut("dict unpacking")
        return [(k, v) for k, v in zip(node.keys, node.values) if k is not None]
    return None


def _item_lines(item: _Item, text: str, indent: int, trailer: str) -> list[str]:
    if isinstance(item, ast.keyword):
        return _lines(item.value, text, f"{item.arg}=", indent, trailer)
    if isinstance(item, tuple):
        key, value = item
        if _items(value, text) is not None or isinstance(value, ast.Subscript):
            # the last bracket is the value's
            return _lines(value, text, f"{_flat(key, text)}: ", indent, trailer)
        return _lines(key, text, "", indent, f": {_flat(value, text)}{trailer}")
    return _lines(item, text, "", indent, trailer)


def _flat_item(item: _Item, text: str) -> str:
    if isinstance(item, ast.keyword):
        return f"{item.arg}={_flat(item.value, text)}"
    if isinstance(item, tuple):
        return f"{_flat(item[0], text)}: {_flat(item[1], text)}"
    return _flat(item, text)


def _flat(node: ast.expr, text: str) -> str:
    """`node` on one line, as black writes it."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        return _dotted(node)
    if isinstance(node, ast.Subscript):
        index = node.slice
        if not isinstance(index, (ast.Constant, ast.Name)):
            raise NotLaidOut("a subscript of another kind")
        return f"{_dotted(node.value)}[{_flat(index, text)}]"
    if isinstance(node, ast.Constant):
        return _constant(node, text)
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) is int
    ):
        return "-" + _constant(node.operand, text)
    items = _items(node, text)
    if items is None:
        raise NotLaidOut(f"{type(node).__name__} is outside the entries' shape")
    if isinstance(node, ast.Call):
        opener = _dotted(node.func) + "("
    else:
        opener = _BRACKETS[type(node)][0]
    body = ", ".join(_flat_item(item, text) for item in items)
    if isinstance(node, ast.Tuple) and len(items) == 1:
        body += ","
    return opener + body + _BRACKETS[type(node)][1]


def _dotted(node: ast.expr) -> str:
    """A name or an attribute of one (`js.call_method`, `self.dm.x`): black
    does not split at a dot after a name."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    raise NotLaidOut(f"{type(node).__name__} where a name is expected")


def _constant(node: ast.Constant, text: str) -> str:
    """A literal as black normalizes it: double quotes, upper-case hex digits."""
    source = ast.get_source_segment(text, node)
    value = node.value
    if source is None:
        raise NotLaidOut("a literal without its source")
    if value is None or isinstance(value, bool):
        return source
    if type(value) is int:
        if DECIMAL.fullmatch(source):
            return source
        if _HEX.fullmatch(source):
            return "0x" + source[2:].upper()
        raise NotLaidOut(f"integer literal {source}")
    written = black_string(source) if isinstance(value, str) else None
    if written is None:
        raise NotLaidOut(f"literal {source}")
    return written


def black_string(source: str) -> str | None:
    """How black writes the string literal `source` when it is plain (no prefix,
    no backslash, no quote that would need escaping): in double quotes. None for
    any other literal."""
    if _PLAIN_STRING.fullmatch(source):
        return '"' + source[1:-1] + '"'
    return None
