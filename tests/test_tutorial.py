"""docs/tutorial.md stays true: its commands run, in order, from an empty folder,
and print what it shows.

The tutorial's ```sh blocks are run one after the other by bash (`set -e`) in
a new empty folder, each starting in the folder the one before ended in. A
```text block right after an ```sh block is what that block prints (stdout and
stderr): each of its lines must be a line of the output, in the same order;
a `...` line stands for any lines. A ```python block is quoted from the
project the tutorial builds and must appear there as it is. Only the commands a
user has been told about are allowed: `scxmlc new`, `check`, `run`, `graph`,
`python -m pytest`, and `cd`. The chart the tutorial shows is the one its
`scxmlc graph` command draws (the same states).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
TUTORIAL = DOCS / "tutorial.md"
PICTURE = re.compile(r"!\[[^\]]*\]\(([^)]+)\)")
STATE_ID = re.compile(r'id="state:([^"]+)"')
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
ALLOWED = (
    ("scxmlc", "new"),
    ("scxmlc", "check"),
    ("scxmlc", "run"),
    ("scxmlc", "graph"),
    ("python", "-m", "pytest"),
    ("cd",),
)


@dataclass
class Step:
    """An ```sh block of the tutorial and what it is shown to print."""

    commands: str
    shown: list[str] | None = None


def tutorial_blocks() -> list[tuple[str, str]]:
    """The fenced blocks of the tutorial: (language, text), in order."""
    return FENCE.findall(TUTORIAL.read_text(encoding="utf-8"))


def steps() -> list[Step]:
    """The tutorial's ```sh blocks, each with the ```text block after it."""
    found: list[Step] = []
    previous = ""
    for language, text in tutorial_blocks():
        if language == "sh":
            found.append(Step(text))
        elif language == "text" and previous == "sh":
            found[-1].shown = text.splitlines()
        previous = language
    return found


def shows(output: list[str], shown: list[str]) -> str | None:
    """None if every line of `shown` but `...` is a line of `output`, in
    order; else the first line that is not."""
    lines = iter(line.rstrip() for line in output)
    for expected in shown:
        if expected == "...":
            continue
        if not any(line == expected.rstrip() for line in lines):
            return expected
    return None


def test_the_tutorial_uses_only_commands_it_introduces() -> None:
    commands = [
        shlex.split(line)
        for step in steps()
        for line in step.commands.splitlines()
        if line.strip()
    ]
    assert commands
    for words in commands:
        assert any(tuple(words[: len(a)]) == a for a in ALLOWED), words
    used = {tuple(words[:2]) for words in commands}
    for command in ("new", "check", "run", "graph"):
        assert ("scxmlc", command) in used
    assert ("python", "-m") in used


def test_the_tutorial_runs_from_an_empty_folder(tmp_path: Path) -> None:
    environment = dict(os.environ)
    # `scxmlc` and `python` are the ones of the interpreter running the tests
    environment["PATH"] = (
        f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    )
    environment.pop("NO_COLOR", None)
    folder = tmp_path
    where = tmp_path.parent / f"{tmp_path.name}-cwd"
    for step in steps():
        script = f"set -e\n{step.commands}\npwd > {shlex.quote(str(where))}\n"
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=folder,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{step.commands}\n{done.stdout}"
        if step.shown is not None:
            missing = shows(done.stdout.splitlines(), step.shown)
            assert missing is None, (
                f"{step.commands}\ndoes not print, in this order:\n{missing!r}\n"
                f"it printed:\n{done.stdout}"
            )
        folder = Path(where.read_text(encoding="utf-8").strip())
    # the picture shown is the chart the tutorial's command draws
    [picture] = PICTURE.findall(TUTORIAL.read_text(encoding="utf-8"))
    shown = STATE_ID.findall((DOCS / picture).read_text(encoding="utf-8"))
    drawn = STATE_ID.findall((folder / "routing.svg").read_text(encoding="utf-8"))
    assert shown and sorted(shown) == sorted(drawn)
    assert (folder / "run.html").read_text(encoding="utf-8").startswith("<!")
    quoted = [text for language, text in tutorial_blocks() if language == "python"]
    project = "\n".join(
        line.strip()
        for path in sorted(folder.rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
    )
    for text in quoted:
        snippet = "\n".join(line.strip() for line in text.splitlines())
        assert snippet in project, snippet


@pytest.mark.parametrize(
    ("output", "shown", "missing"),
    [
        (["a", "b", "c"], ["a", "...", "c"], None),
        (["a", "b", "c"], ["c", "a"], "a"),
        (["a", "b"], ["a", "x"], "x"),
        (["a  "], ["a"], None),
    ],
)
def test_shown_lines_are_found_in_order(
    output: list[str], shown: list[str], missing: str | None
) -> None:
    assert shows(output, shown) == missing
