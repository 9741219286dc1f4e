"""`layout` writes chart table entries exactly as black would.

The entries of large charts are laid out by `scxmlc.compiler.layout` instead of
black. Every entry it accepts must come out as black writes it in the same place;
these tests compare the two on the chart entries of the test corpus (golden
documents, examples, the Composer project, the W3C suite) and on random entries
that exercise every split.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from scxmlc.compiler import render
from scxmlc.compiler.layout import NotLaidOut, lay_out_entry, lay_out_statement

from raw_modules import CORPUS, ROOT, raw_modules

SUITE = ROOT.parent / "shared" / "w3c-scxml" / "ecmascript"


def black_entry(opening: str, entry: str) -> str:
    """black's lines for `entry` at the place of a chart table's entries."""
    return render._format_job((opening, f"{render._ITEM}{entry},"))


def check(entry: str, *, in_dict: bool = False) -> bool:
    """Assert layout agrees with black on `entry`; False when layout declines."""
    try:
        lines = lay_out_entry(entry, len(render._ITEM), in_dict=in_dict)
    except NotLaidOut:
        return False
    opening = "        fused={" if in_dict else "        states=("
    assert "\n".join(lines) == black_entry(opening, entry), entry
    return True


def raw_chart_entries(
    document: Path, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, str]]:
    """(table opening, entry) for every entry of the chart tables of `document`,
    as codegen writes them before formatting."""
    entries = []
    for text in raw_modules(document, monkeypatch):
        if render._CHART not in text:
            continue
        chart = text[text.index(render._CHART) + 2 :]
        for _, tables in [render._chart_parts(chart)]:
            for opening, groups in tables:
                entries += [
                    (opening, line.strip()[:-1]) for group in groups for line in group
                ]
    return entries


@pytest.mark.parametrize("document", CORPUS, ids=[d.stem for d in CORPUS])
def test_corpus_entries_are_laid_out_as_black_would(
    document: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = raw_chart_entries(document, monkeypatch)
    assert entries
    for opening, entry in entries:
        assert check(entry, in_dict=opening.endswith("{")), f"declined: {entry}"


@pytest.mark.skipif(not SUITE.is_dir(), reason="W3C suite not present")
def test_w3c_entries_are_laid_out_as_black_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    laid_out = declined = 0
    for document in sorted(SUITE.glob("*.scxml")):
        for opening, entry in raw_chart_entries(document, monkeypatch):
            if check(entry, in_dict=opening.endswith("{")):
                laid_out += 1
            else:
                declined += 1
    assert laid_out > 1000
    assert declined <= laid_out // 50


def random_atom(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return rng.choice(
            ["ATOMIC", "None", "True", "_onentry_" + "s" * rng.randrange(1, 40)]
        )
    if kind == 1:
        return str(rng.randrange(10 ** rng.randrange(1, 12)))
    if kind == 2:
        return hex(rng.randrange(1, 2 ** rng.randrange(1, 200)))
    if kind == 3:
        return repr("e" * rng.randrange(0, 50) + rng.choice(["", ".x", " y", "*"]))
    if kind == 4:
        return '"' + "q" * rng.randrange(0, 30) + '"'
    if kind == 5:
        return rng.choice(
            [
                "self.dm." + "v" * rng.randrange(1, 30),
                "js.undefined",
                "js.GLOBALS['" + "G" * rng.randrange(1, 40) + "']",
                "args[" + str(rng.randrange(12)) + "]",
            ]
        )
    return "-" + str(rng.randrange(1, 1000))


def random_value(rng: random.Random, depth: int) -> str:
    if depth > 1 or rng.random() < 0.6:
        return random_atom(rng)
    items = [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    kind = rng.randrange(7)
    if kind in (0, 4):
        return (
            "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"
        )
    if kind == 1:
        return "[" + ", ".join(items) + "]"
    if kind in (2, 5):
        return random_call(rng, depth + 1)
    keys = [random_atom(rng) for _ in items]
    return "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, items)) + "}"


def random_call(rng: random.Random, depth: int) -> str:
    name = rng.choice(
        ["StateSpec", "TransitionSpec", "F", "js.call_method", "self._genesys.ixn.f"]
    )
    positional = [random_value(rng, depth) for _ in range(rng.randrange(0, 3))]
    keywords = [
        f"{'k' * rng.randrange(1, 12)}={random_value(rng, depth)}"
        for _ in range(rng.randrange(0, 5))
    ]
    return f"{name}({', '.join(positional + keywords)})"


def test_random_entries_are_laid_out_as_black_would() -> None:
    rng = random.Random(20261201)
    laid_out = split = 0
    for _ in range(600):
        entry = random_call(rng, 0)
        if check(entry):
            laid_out += 1
            split += len(lay_out_entry(entry, len(render._ITEM))) > 1
    assert laid_out > 550
    assert split > 300


def test_random_dict_entries_are_laid_out_as_black_would() -> None:
    rng = random.Random(7)
    laid_out = 0
    for _ in range(300):
        run = [
            f"_transition_{rng.randrange(10 ** rng.randrange(1, 9))}"
            for _ in range(rng.randrange(1, 8))
        ]
        key = f"({run[0]},)" if len(run) == 1 else f"({', '.join(run)})"
        value = rng.choice(["_fused", "_fused_12", "F(" + ", ".join(run) + ")"])
        laid_out += check(f"{key}: {value}", in_dict=True)
    assert laid_out > 250


@pytest.mark.parametrize(
    "entry",
    [
        "F(a, b,)",  # a magic trailing comma
        "F(a + b)",  # an operator
        "F('it\"s')",  # a string black would requote
        "F(r'raw')",  # a string prefix
        "F(1.5)",
        "F('é')",
        "f(x)[0]",  # a subscript of a call
        "F(x.y(1).z)",  # an attribute of a call
        "F(*args)",
        "F(((1, 2)))",  # brackets the tree does not show
    ],
)
def test_entries_outside_the_shape_are_declined(entry: str) -> None:
    with pytest.raises(NotLaidOut):
        lay_out_entry(entry, 12)


def black_statement(statement: str, depth: int) -> str:
    """black's lines for the one-line `statement` at `depth` in a block."""
    openers = [" " * (4 * d) + "if _:" for d in range(depth)]
    body = [" " * (4 * depth) + statement]
    if statement.endswith(":"):
        body.append(" " * (4 * depth + 4) + "pass")
    lines = render._black("\n".join([*openers, *body]) + "\n").splitlines()
    return "\n".join(lines[depth : len(lines) - (len(body) - 1)])


def test_random_statements_are_laid_out_as_black_would() -> None:
    rng = random.Random(12)
    laid_out = split = 0
    for _ in range(400):
        call = random_call(rng, 0)
        statement = rng.choice(
            [call, f"return {call}", f"x = {call}", f"self.dm.y = {call}"]
            + [f"if {call}:", f"while {call}:"]
        )
        depth = rng.randrange(1, 7)
        try:
            lines = lay_out_statement(statement, 4 * depth)
        except NotLaidOut:
            continue
        laid_out += 1
        split += len(lines) > 1
        assert "\n".join(lines) == black_statement(statement, depth), statement
    assert laid_out > 300
    assert split > 150


@pytest.mark.parametrize(
    "statement",
    [
        "x = a + f(1)",  # not a call
        "x: int = f(1)",  # an annotation
        "x[0] = f(1)",  # a target with brackets
        "a = b = f(1)",  # chained
        "return",
        "if f(1) and g(2):",
        "f(1)  # a comment",
        "for x in f(1):",
    ],
)
def test_statements_outside_the_shape_are_declined(statement: str) -> None:
    with pytest.raises(NotLaidOut):
        lay_out_statement(statement, 8)
