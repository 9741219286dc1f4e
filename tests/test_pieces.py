"""`pieces` cuts long members where black formats both sides independently.

Formatted piece by piece, a member must come out as black formats it whole:
the tests cut members of many constructs at every place `pieces` allows and
compare, and compile a document whose JavaScript library makes one long method.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

import black
import pytest

from scxmlc.compiler import compile_path, render
from scxmlc.compiler.pieces import cut, extract

STATEMENTS = [
    "x{n} = js.add(x{n}, {n})",
    "js.put(_scope, 'key{n}', js.call(self.dm.helper, js.undefined, {n}, 'a string of some length'), self)",
    "# a comment {n}",
    "if js.truthy(x{n}):\n    y = {n}\nelse:\n    y = -{n}",
    "try:\n    z = f({n})\nexcept Exception as error:\n    self._fail(error)",
    "# before a function\ndef _function{n}(this: Any, *args: Any) -> Any:\n    return js.undefined",
    "for _ in range({n}):\n    continue",
    "return x{n}",
    "pass",
    "with context({n}):\n    w = {n}",
    "while True:\n    break",
    "self._log(None, js.add('state s{n}: ' + 'and a long text to make black split this call', self.dm.counter, self.dm.other))",
]


def member(rng: random.Random, statements: int) -> str:
    """A method of random statements, some inside a `try` as global scripts are."""
    lines = ["    # a member", "    def _run(self) -> None:"]
    for n in range(statements):
        depth = 8 if n % 17 < 9 else 12
        if depth == 12 and n % 17 == 9:
            lines.append("        try:")
        text = rng.choice(STATEMENTS).format(n=n)
        lines += [" " * depth + line for line in text.split("\n")]
        if depth == 12 and n % 17 == 16:
            lines += [
                "        except Exception as error:",
                "            self._fail(error)",
            ]
    if statements % 17 > 9:
        lines += ["        except Exception as error:", "            self._fail(error)"]
    return "\n".join(lines) + "\n"


def formatted_in_pieces(text: str, every: int) -> str | None:
    pieces = cut(text, every)
    if pieces is None:
        return None
    outputs = [extract(p, render._black(p.text)) for p in pieces]
    assert all(o is not None for o in outputs)
    return "\n".join(o for o in outputs if o is not None)


def test_members_formatted_in_pieces_are_formatted_as_black_formats_them() -> None:
    rng = random.Random(12)
    cut_members = 0
    for size in (20, 40, 80, 120):
        for every in (1, 3, 10):
            text = member(rng, size)
            result = formatted_in_pieces(text, every)
            if result is None:
                continue
            cut_members += 1
            assert result == render._format_member(text)
    assert cut_members >= 10


def test_blocks_a_placeholder_cannot_open_are_not_cut_inside() -> None:
    inside_else = (
        "    def _run(self) -> None:\n"
        "        if a:\n            b = 1\n"
        "        else:\n" + "".join(f"            c{n} = {n}\n" for n in range(10))
    )
    assert cut(inside_else, 1) is None
    text = inside_else + "".join(f"        d{n} = {n}\n" for n in range(5))
    pieces = cut(text, 1)
    assert pieces is not None and len(pieces) == 5
    assert all("else:" not in p.text.split("_scxmlc_previous")[0] for p in pieces[1:])
    outputs = [extract(p, render._black(p.text)) for p in pieces]
    assert "\n".join(o or "" for o in outputs) == render._format_member(text)


def library_document(functions: int) -> str:
    """An ECMAScript document whose global script is a library of functions."""
    rng = random.Random(3)
    library = "".join(
        f"""function f{i}(input, options) {{
    var result = [];
    if (!options) {{ options = {{ limit: {rng.randrange(100)}, label: 'label {i}' }}; }}
    for (var i = 0; i &lt; input.length; i++) {{
        try {{ result.push(options.label + input[i].toUpperCase()); }}
        catch (e) {{ result.push(String(e)); }}
    }}
    switch (result.length) {{ case 0: return null; default: return result.join(', '); }}
}}
"""
        for i in range(functions)
    )
    return (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">'
        f"<script>{library}</script><final id='done'/></scxml>"
    )


def _no_plan(member: str) -> None:
    return None


def test_a_long_global_script_is_formatted_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / "library.scxml"
    document.write_text(library_document(40), encoding="utf-8")
    raw: list[int] = []
    original = render._cut_long_members

    def spy(
        long: list[int], cuts: Iterable[list[render.Piece] | None]
    ) -> dict[int, list[render.Piece]]:
        cut_up = original(long, cuts)
        raw.extend(len(p) for p in cut_up.values())
        return cut_up

    monkeypatch.setattr(render, "_cut_long_members", spy)
    monkeypatch.setattr(render, "_plan_member", _no_plan)  # what statements declines
    source = compile_path(document).source
    assert len(raw) == 1 and raw[0] > 4  # one member, cut into pieces
    assert black.format_str(source, mode=black.Mode()) == source
