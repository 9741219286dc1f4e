"""`shapes` derives members exactly as black would format them.

A member derived from another member's black output must be what black writes
for it. The tests take the raw members of the corpus, rewrite their variable
tokens (names, numbers, plain strings, comments) at random widths, and compare
every derivation `shapes.derive` accepts with black; they also check that the
fast path is taken, and that large modules come out as black writes them.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import black
import pytest

from scxmlc.compiler import compile_path, render
from scxmlc.compiler.shapes import derive, read_formatted, shape_of

from raw_modules import CORPUS, ROOT, raw_modules

sys.path.insert(0, str(ROOT / "bench"))
W3C = sorted((ROOT.parent / "shared" / "w3c-scxml" / "ecmascript").glob("*.scxml"))


def raw_members(document: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The members of the machine classes of `document` before formatting."""
    members: list[str] = []
    for text in raw_modules(document, monkeypatch):
        body = text.split(render._CHART)[0] + "\n\n"
        members += render._MEMBER.split(body)[1:]
    return members


def rewritten(member: str, rng: random.Random, spread: int) -> str:
    """`member` with its variable tokens replaced by others, each up to `spread`
    characters narrower or wider."""
    shape = shape_of(member)
    assert shape is not None

    def width(value: str, least: int) -> int:
        return max(least, len(value) + rng.randrange(-spread, spread + 1))

    values = []
    for value in shape.values:
        if value.startswith("#"):
            values.append("# " + "c" * (width(value, 3) - 2))
        elif value[0] in "'\"":
            values.append(repr("v" * (width(value, 2) - 2)))
        elif value.isdigit():
            values.append("1" * width(value, 1))
        else:
            values.append("n" * width(value, 1))
    parts = shape.key.split("\0")
    out = parts[0]
    for value, rest in zip(values, parts[2::2]):
        out += value + rest
    return out


def formatted(member: str) -> str:
    return render._format_member(member)


def test_rewritten_members_are_derived_as_black_formats_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(1201)
    members = [m for d in [*CORPUS, *W3C[::4]] for m in raw_members(d, monkeypatch)]
    assert len(members) > 300
    derived = refused = 0
    for member in rng.sample(members, 150):
        model = shape_of(member)
        assert model is not None
        read = read_formatted(formatted(member))
        assert read is not None
        for spread in (0, 2, 5, 40):
            other = rewritten(member, rng, spread)
            shape = shape_of(other)
            assert shape is not None and shape.key == model.key
            result = derive(read, model, shape)
            if result is None:
                refused += 1
                continue
            derived += 1
            assert result == formatted(other), other
    assert derived > 300
    assert refused > 20


def test_members_of_one_kind_share_a_shape() -> None:
    one = "    # <onentry> of 's1'\n    def _onentry_s1(self) -> None:\n        self._raise('a.1')\n"
    other = one.replace("s1", "s22").replace("a.1", "b.long")
    first, second = shape_of(one), shape_of(other)
    assert first is not None and second is not None
    assert first.key == second.key
    assert first.values[:2] == ["# <onentry> of 's1'", "_onentry_s1"]


@pytest.mark.parametrize(
    "one, other",
    [
        ("x = a\n", "x = await\n"),  # a keyword is part of the shape
        ("f(match)\n", "f(other)\n"),  # so is a soft keyword
        ("f(__x__)\n", "f(__y__)\n"),  # and a dunder
        ("x = 'a'\n", "x = r'a'\n"),  # a string prefix
        ("x = 0x1\n", "x = 0x2\n"),  # a hex literal
        ("'doc'\n", "'cod'\n"),  # a string that starts a statement
        ("# type: int\n", "# type: str\n"),  # a pragma comment
        ("x = 1  # a\n", "x = 1  # b\n"),  # a comment after code
    ],
)
def test_what_black_reads_is_part_of_the_shape(one: str, other: str) -> None:
    first, second = shape_of(one), shape_of(other)
    assert first is not None and second is not None
    assert first.key != second.key


def test_a_split_statement_whose_widths_change_is_not_derived() -> None:
    member = (
        "    def f(self) -> None:\n"
        "        self.call(aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbb, cccccccccccccccccccccccc, d)\n"
    )
    read = read_formatted(formatted(member))
    model = shape_of(member)
    other = shape_of(member.replace("d)", "ddd)"))
    assert read is not None and model is not None and other is not None
    assert "\n" in read.text.strip().split("\n", 1)[1]  # black split the call
    assert derive(read, model, other) is None
    same_width = shape_of(member.replace("d)", "e)"))
    assert same_width is not None
    assert derive(read, model, same_width) == formatted(member.replace("d)", "e)"))


def test_a_line_that_outgrows_its_width_is_not_derived() -> None:
    member = "    def f(self) -> None:\n        self.call(" + "a" * 60 + ", b)\n"
    read, model = read_formatted(formatted(member)), shape_of(member)
    longer = shape_of(member.replace(", b)", ", " + "b" * 20 + ")"))
    assert read is not None and model is not None and longer is not None
    assert derive(read, model, longer) is None


def python_document(states: int) -> str:
    """A large python-datamodel document with ids of every width."""
    body = "".join(
        f'<state id="{"s" * (1 + i % 7)}{i}"><onentry>'
        f'<assign location="n" expr="n + {i * 37 % 1000}"/>'
        f'<log label="entered" expr="f\'state {i}: {{n}}\'"/>'
        f'<send event="tick.{i}" delay="{i % 9 + 1}s"/></onentry>'
        f'<transition event="go" cond="n &gt; {i} and n &lt; 10 ** {i % 12 + 1} or n == {i}"'
        f' target="{"s" * (1 + (i + 1) % 7)}{i + 1}"/>'
        f'<transition event="tick.{i}" target="{"s" * (1 + (i + 1) % 7)}{i + 1}">'
        f'<raise event="timeout.{i}"/></transition></state>'
        for i in range(states)
    )
    return (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="python">'
        f'<datamodel><data id="n" expr="0"/></datamodel>{body}'
        f'<final id="{"s" * (1 + states % 7)}{states}"/></scxml>'
    )


@pytest.mark.parametrize("datamodel", ["ecmascript", "python"])
def test_large_documents_are_formatted_as_black_formats_them(
    tmp_path: Path, datamodel: str
) -> None:
    import compile_time

    text = (
        compile_time.document(60) if datamodel == "ecmascript" else python_document(300)
    )
    document = tmp_path / "big.scxml"
    document.write_text(text, encoding="utf-8")
    source = compile_path(document).source
    assert source.count("\n") > 4000
    assert black.format_str(source, mode=black.Mode()) == source
