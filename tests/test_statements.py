"""`statements` formats members statement by statement exactly as black would.

A member whose short statements are written without black, whose long ones
black formats in batches, and whose blank lines follow black's rules, must come
out as black formats it whole. The tests compare the two on every member of the
corpus and of the W3C suite, on random members built of the constructs
generated code holds (nested functions with and without leading comments, block
openers, long and short statements at many depths, spacing black fixes), and
check what `plan` must decline.
"""

from __future__ import annotations

import random
from pathlib import Path

import black
from black.parsing import InvalidInput
import pytest

from scxmlc.compiler import compile_path, render
from scxmlc.compiler.statements import assemble, batches, fill, plan

from raw_modules import CORPUS, ROOT
from test_pieces import STATEMENTS as PIECES_STATEMENTS
from test_pieces import library_document
from test_shapes import raw_members

W3C = sorted((ROOT.parent / "shared" / "w3c-scxml" / "ecmascript").glob("*.scxml"))


def by_statements(member: str) -> str | None:
    """`member` formatted by `statements`, black formatting its batches; None
    when `plan` declines it."""
    member_plan = plan(member)
    if member_plan is None:
        return None
    for batch in batches([member_plan], statements_per_batch=7):
        assert fill(
            batch, render._black(batch.text)
        ), "black's output did not split back"
    return assemble(member_plan)


def test_members_of_the_corpus_come_out_as_black_writes_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = [m for d in [*CORPUS, *W3C[::3]] for m in raw_members(d, monkeypatch)]
    planned = 0
    for member in members:
        result = by_statements(member)
        if result is not None:
            planned += 1
            assert result == render._black_in_class(member), member
    assert planned >= 0.95 * len(members) and planned > 400


STATEMENTS = [
    *PIECES_STATEMENTS,
    "x{n}: js.JSValue = args[0] if len(args) > 0 else js.undefined",
    "return (js.gt(x{n}, 0) if js.truthy(_t{n} := js.lt(y, 1)) else _t{n})",
    "x = (a{n} if b else c)",
    "y = js.JSArray([(a{n} if b else c)])",
    "z = f(a={n}, b=-{n}, c=not x, d=[1, 2], e={{'k': -1.5, 'l': 1e-07}})",
    "t = (a, b{n})",
    "u = a{n},",
    "v = x[-1] + x[{n}] - ~y * (z % 2) // 3",
    "w = x[1:{n}]",
    "f(*args, key=lambda v: v)",
    "nonlocal a, b{n}",
    "assert x{n}, (y)",
    "del (a{n})",
    "(w{n} := 1)",
    "s = 'single' + \"double\" + 'it\\'s' + ''",
    "self.dm.x = x if x is not None and x not in (1, 2) else None  # a comment",
    "self._event = None  #tight comment",
    "raise js.JSThrow(js.GLOBALS['TypeError'])",
    "break",
    "if (not js.truthy(x{n})):\n    y = {n}",
    "while js.lt(i, js.get(input_, 'length', self)) and js.lt(i, js.get(options, 'limit', self)):\n    i = js.add(i, 1)",
    "try:\n    z = f({n})\nexcept Exception as _error{n}:\n    self._fail(_error{n})\nfinally:\n    pass",
    "# before a function\ndef _function{n}(this: Any, *args: Any) -> Any:\n    # inside\n    return js.undefined",
    "def _function{n}(this: Any, *args: Any) -> Any:\n    def _inner{n}(this: Any, *args: Any) -> Any:\n        return this\n    return js.JSFunction(_inner{n}, 'inner')",
    "# one\n# two\ndef _function{n}(this: Any, *args: Any) -> Any:\n    pass",
    "for _key{n} in js.iterate_keys(x, self):\n    k = _key{n}",
]


def member(rng: random.Random, statements: int) -> str:
    """A method of random statements at random depths."""
    lines = ["    # a member", "    def _run(self) -> None:"]
    depth = 2
    for n in range(statements):
        text = rng.choice(STATEMENTS).format(n=n)
        if rng.random() < 0.2:
            lines.append(" " * (4 * depth) + "if js.truthy(c):")
            depth += 1
            lines.append(" " * (4 * depth) + "c = js.add(c, 1)")
        elif depth > 2 and rng.random() < 0.2:
            depth -= 1
        lines += [" " * (4 * depth) + line for line in text.split("\n")]
    lines.append(" " * (4 * depth) + "pass")
    return "\n".join(lines)


def test_random_members_come_out_as_black_writes_them() -> None:
    planned = 0
    for seed in range(16):
        rng = random.Random(seed)
        text = member(rng, rng.randrange(20, 60))
        result = by_statements(text)
        if result is not None:  # declined: a comment before a dedent
            planned += 1
            assert result == render._black_in_class(text), seed
    assert planned >= 10


def same_as_black(text: str) -> bool:
    """Assert `statements` formats the member `text` as black does; False when
    it declines it."""
    result = by_statements(text)
    if result is None:
        return False
    assert result == render._black_in_class(text), text
    return True


@pytest.mark.parametrize(
    "body",
    [
        "return *a, b",
        "x = [*a, *b]",
        "for x in *a, b:\n            pass",
        "y = 1 [x] + 1.5 (x)",
    ],
    ids=[
        "unpacking after return",
        "unpacking in a list",
        "unpacking after in",
        "number",
    ],
)
def test_statements_written_here_as_black_writes_them(body: str) -> None:
    assert same_as_black("    # a\n    def f(self) -> None:\n        " + body)


STARRED_CALL = (
    "        print(" + ", ".join(f"argument_{n:02}" for n in range(8)) + ", *args)"
)


@pytest.mark.parametrize(
    "text",
    [
        "    # a\n    def f(self, *args: Any) -> None:\n        if (n := len(args)) > 1:\n"
        + STARRED_CALL.replace("        ", "            ", 1),
        "    # a\n    def f(self, *args: Any) -> None:\n        x = f'{args}'\n"
        + STARRED_CALL,
        "    # a\n    def f(self) -> None:\n        y = x[*a]\n        with open("
        + ", ".join(f"argument_{n:02}" for n in range(8))
        + ") as f, g as h:\n            pass",
    ],
    ids=["walrus", "f-string", "with after a variadic generic"],
)
def test_statements_black_splits_by_the_versions_it_infers(text: str) -> None:
    """black adds a trailing comma after `*args` when it explodes a call, and
    splits a long `with` in parentheses, only for the Python versions it infers
    from the text it formats: batches are formatted for the module's versions
    (`render._UNIT_MODE`), so they come out as in the member, whatever other
    statements a batch holds."""
    for per_batch in (1, 7):
        member_plan = plan(text)
        assert member_plan is not None
        for batch in batches([member_plan], statements_per_batch=per_batch):
            fill(batch, render._black(batch.text))
        assert assemble(member_plan) == render._black_in_class(text)


def test_modules_with_starred_calls_and_with_statements_are_black_stable(
    tmp_path: Path,
) -> None:
    """The module is the reference: black leaves it as it is, with an exploded
    call ending in `*args` in a long member and a `with` in another module."""
    call = "print(" + ", ".join(f"'argument {n:02}'" for n in range(12)) + ", *[1])"
    script = "\n".join(["x = 0"] * 400 + [call])
    states = "".join(
        f'<state id="s{i}"><transition event="e" target="s{i + 1}"/></state>'
        for i in range(60)
    )
    for extra in ("", "\nwith open('x') as f:\n    pass"):
        document = tmp_path / f"starred{len(extra)}.scxml"
        document.write_text(
            '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"'
            f' datamodel="python"><script>{script}{extra}</script>{states}'
            '<final id="s60"/></scxml>',
            encoding="utf-8",
        )
        source = compile_path(document).source
        assert "        *[1],\n" in source
        assert black.format_str(source, mode=black.Mode()) == source


@pytest.mark.parametrize(
    "text",
    [
        "    # a\n    def f(self) -> None:\n        x = 1\n\n        y = 2",
        "    # a\n    @property\n    def f(self) -> int:\n        return 1",
        "    # a\n    def f(self) -> None:\n        class C:\n            pass",
        "    # a\n    def f(self) -> None:\n        import os",
        '    # a\n    def f(self) -> None:\n        """Doc."""',
        "    # a\n    def f(self) -> None:\n        x = 1\n            # deeper\n        y = 2",
        "    # a\n    def f(self) -> None:\n        if x:\n            pass\n        "
        + "else:  # a comment that makes this clause longer than the line length black keeps",
        "    # a\n    def f(self) -> None:\n        x = '''two\nlines'''",
        "    # a\n    def f(self) -> None:\n        ...",
        "    # a\n    def f(self) -> None:\n        def g() -> None:\n            ...\n"
        + "        def h() -> None:\n            ...",
        "    # a\n    def f(self) -> None:\n        x = 1\n        # c\n"
        + "        def g():  # fmt: skip\n            pass",
        "    # a\n    def f(self) -> None:\n        try:\n            pass\n"
        + "        except* E:\n            pass",
    ],
    ids=[
        "blank line",
        "decorator",
        "class",
        "import",
        "docstring",
        "comment indentation",
        "long clause",
        "multi-line string",
        "stub",
        "nested stubs",
        "fmt: skip",
        "except star",
    ],
)
def test_what_plan_declines(text: str) -> None:
    assert plan(text) is None


def test_a_long_global_script_is_formatted_statement_by_statement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "library.scxml"
    document.write_text(library_document(40), encoding="utf-8")
    planned: list[int] = []
    original = render.assemble

    def spy(member_plan: render.Plan) -> str | None:
        planned.append(sum(line.settled is None for line in member_plan.lines))
        return original(member_plan)

    monkeypatch.setattr(render, "assemble", spy)
    monkeypatch.setenv("SCXMLC_FORMAT_CACHE", "off")
    source = compile_path(document).source
    assert len(planned) == 1 and planned[0] > 10  # one long member, in batches
    assert black.format_str(source, mode=black.Mode()) == source


def _black_refusing_batches(text: str) -> str:
    if "# _scxmlc_statement_" in text:
        raise InvalidInput("a batch")
    return _BLACK(text)


_BLACK = render._black


def test_members_of_a_batch_black_cannot_read_go_to_black_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "library.scxml"
    document.write_text(library_document(40), encoding="utf-8")
    monkeypatch.setenv("SCXMLC_FORMAT_CACHE", "off")
    monkeypatch.setattr(render, "_black", _black_refusing_batches)
    assembled: list[str | None] = []
    original = render.assemble

    def spy(member_plan: render.Plan) -> str | None:
        assembled.append(original(member_plan))
        return assembled[-1]

    monkeypatch.setattr(render, "assemble", spy)
    source = compile_path(document).source
    assert assembled == [None]  # the long member, its batches refused
    assert black.format_str(source, mode=black.Mode()) == source
