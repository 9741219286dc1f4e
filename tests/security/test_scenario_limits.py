"""Scenario files are untrusted: reading one is bounded in bytes and work.

- only a regular file is read (a FIFO, `/dev/zero` or a directory is refused
  at once, never waited on or read without end), of at most 1 MiB;
- YAML aliases cannot unfold a small file into a huge value ("billion
  laughs"): expanded values are counted on the parsed nodes, before any value
  is built; an alias inside its own anchor is refused;
- nesting is bounded, also where aliases stack one subtree inside another;
- every refusal is a `ScenarioError` that names the file and the limit.

No test measures time: the `work` fixture counts what reading a file does (the
flags it is opened with, the bytes read, the YAML nodes composed, the nodes
the alias count walks, the values built), and each test bounds that work.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Self

import pytest

from scxmlc.compiler.commands.cli import main
from scxmlc.runtime.sim import ScenarioError, load_scenario
from scxmlc.runtime.sim import scenario as reading
from scxmlc.runtime.sim.scenario import (
    MAX_NESTING,
    MAX_SCENARIO_BYTES,
    MAX_SCENARIO_VALUES,
)


RUNAWAY = 1_000_000
"""Nodes composed, walked or built past which reading has run away: `Work`
stops it there with a failure (a test of a limit that no longer holds fails
instead of running for hours)."""


@dataclass
class Work:
    """What reading scenario files did: files opened for reading as bytes,
    bytes read from them, the YAML loaders made (each keeps how far into the
    text it scanned: `pointer`), nodes composed, node visits of the alias
    count, and values built from nodes."""

    files: int = 0
    bytes_read: int = 0
    loaders: list[Any] = field(default_factory=list)
    composed: int = 0
    walked: int = 0
    built: int = 0

    def step(self, counter: str) -> None:
        """Add one to `counter`; fail past `RUNAWAY`."""
        count = getattr(self, counter) + 1
        assert count <= RUNAWAY, f"reading ran away: {count} nodes {counter}"
        setattr(self, counter, count)


class _CountedFile:
    """A binary file whose reads add to `work.bytes_read`."""

    def __init__(self, file: IO[bytes], work: Work) -> None:
        self.file = file
        self.work = work

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.work.bytes_read += len(data)
        return data


class _WatchedOs:
    """The `os` module as the scenario reader sees it: an open that could
    block (without `O_NONBLOCK`, a FIFO with no writer waits forever) fails
    the test at once instead of hanging it, and files read are counted."""

    def __init__(self, work: Work) -> None:
        self.work = work

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def open(self, path: Any, flags: int, mode: int = 0o777) -> int:
        nonblocking = getattr(os, "O_NONBLOCK", 0)
        assert flags & nonblocking == nonblocking, f"{path} opened to block"
        return os.open(path, flags, mode)

    def fdopen(self, descriptor: int, mode: str = "r") -> _CountedFile:
        self.work.files += 1
        return _CountedFile(os.fdopen(descriptor, mode), self.work)


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    """Count the work of `load_scenario` (see `Work`) while a test runs."""
    counted = Work()
    loader = reading._loader_class()

    class CountingLoader(loader):  # type: ignore[misc, valid-type]
        def __init__(self, text: str) -> None:
            super().__init__(text)
            counted.loaders.append(self)

        def compose_node(self, parent: Any, index: Any) -> Any:
            counted.step("composed")
            return super().compose_node(parent, index)

    children = reading._children
    build = reading._NodeReader.value

    def walk(node: Any) -> list[Any]:
        counted.step("walked")
        found: list[Any] = children(node)
        return found

    def value(self: Any, node: Any, path: Any) -> Any:
        counted.step("built")
        return build(self, node, path)

    monkeypatch.setattr(reading, "os", _WatchedOs(counted))
    monkeypatch.setattr(reading, "_loader_class", lambda: CountingLoader)
    monkeypatch.setattr(reading, "_children", walk)
    monkeypatch.setattr(reading._NodeReader, "value", value)
    yield counted


def refused(path: Path | str) -> str:
    """The message of the `ScenarioError` reading `path` raises; it names
    the file."""
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    message = str(error.value)
    assert message.startswith(f"{path}: error: "), message
    return message


def bomb(levels: int = 9, width: int = 10) -> str:
    """A billion-laughs document: each anchor holds `width` aliases of the one
    before, so `levels` short lines stand for width**levels values."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    return "options:\n" + "".join(f"  {line}\n" for line in lines)


def test_an_alias_bomb_is_refused_before_it_unfolds(tmp_path: Path, work: Work) -> None:
    """Nine short lines stand for 10**9 values: the count visits each node
    composed a few times (a node, its closing, an alias met again), never an
    expanded value, and no value is built."""
    path = tmp_path / "laughs.yaml"
    path.write_text(bomb(), encoding="utf-8")
    assert path.stat().st_size < 1000
    assert refused(path) == (
        f"{path}: error: more than {MAX_SCENARIO_VALUES} values once its aliases "
        "are expanded (the limit of a scenario)"
    )
    assert 0 < work.composed < 200
    assert work.walked <= 3 * work.composed
    assert work.built == 0


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path, work: Work) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("options: &loop {self: *loop}\n", encoding="utf-8")
    assert refused(path) == f"{path}: error: an alias refers to its own anchor"
    assert work.walked <= 3 * work.composed
    assert work.built == 0


def test_aliases_cannot_stack_past_the_nesting_limit(
    tmp_path: Path, work: Work
) -> None:
    """Each anchor nests the one before 40 levels deeper: no line of the file
    is nested too deeply, the expanded value is; it is refused on the nodes,
    before any value is built."""
    deep = 40
    lines = ["a0: &a0 " + "[" * deep + "x" + "]" * deep]
    for level in range(1, 4):
        lines.append(
            f"a{level}: &a{level} " + "[" * deep + f"*a{level - 1}" + "]" * deep
        )
    path = tmp_path / "stacked.yaml"
    path.write_text("options:\n" + "".join(f"  {l}\n" for l in lines), encoding="utf-8")
    assert refused(path) == (
        f"{path}: error: nested too deeply (over {MAX_NESTING} levels) once its "
        "aliases are expanded"
    )
    assert work.walked <= 3 * work.composed
    assert work.built == 0


def test_deep_nesting_is_refused_while_parsing(tmp_path: Path, work: Work) -> None:
    """Parsing stops at the limit: no node is composed past the first one too
    deep (the mapping, its key, 64 lists and the one refused), and the scanner
    stops a look-ahead (PyYAML's is at most 1024 characters) past it, near the
    start of a text of 100,009 characters."""
    path = tmp_path / "deep.yaml"
    path.write_text("options: " + "[" * 50_000 + "]" * 50_000, encoding="utf-8")
    assert refused(path) == (
        f"{path}: error: nested too deeply (over {MAX_NESTING} levels)"
    )
    assert work.composed <= MAX_NESTING + 3
    [loader] = work.loaders
    assert loader.pointer < 4096
    assert work.built == 0


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, work: Work) -> None:
    """Refused on its size once open: not a byte is read, nothing parsed."""
    path = tmp_path / "big.yaml"
    path.write_text("options: {a: '" + "x" * MAX_SCENARIO_BYTES + "'}\n")
    assert refused(path) == (
        f"{path}: error: larger than {MAX_SCENARIO_BYTES} bytes (the limit of a "
        "scenario)"
    )
    assert MAX_SCENARIO_BYTES == 1 << 20
    assert work.bytes_read == 0
    assert work.loaders == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_waiting_for_a_writer(
    tmp_path: Path, work: Work
) -> None:
    """Opened without blocking (`work` fails an open that would wait for a
    writer) and refused before any read."""
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    assert refused(path) == f"{path}: error: not a regular file"
    assert work.files == 0 and work.bytes_read == 0


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_without_reading_it(work: Work) -> None:
    assert refused("/dev/zero") == "/dev/zero: error: not a regular file"
    assert work.files == 0 and work.bytes_read == 0


def test_a_directory_or_a_missing_file_is_refused(tmp_path: Path, work: Work) -> None:
    assert refused(tmp_path) == f"{tmp_path}: error: not a regular file"
    missing = tmp_path / "missing.yaml"
    assert refused(missing) == f"{missing}: error: no such file"
    assert work.files == 0 and work.bytes_read == 0


def test_scenarios_within_the_limits_still_load(tmp_path: Path, work: Work) -> None:
    """Anchors and aliases that reuse a little are fine, as is a long timeline
    (and `work` counts what loading a file does, or its bounds above would
    prove nothing)."""
    calls = "".join(
        f"  - {{at: {i}, call: {{id: c{i}, to: '5000', udata: *udata}}}}\n"
        for i in range(2000)
    )
    path = tmp_path / "fine.yaml"
    path.write_text(
        "dns: [{number: '5000', type: RoutingPoint}]\n"
        "x-skills: &skills {English: 8, French: 5}\n"
        "x-udata: &udata {Segment: gold, tags: [a, b]}\n"
        "agents:\n"
        "  - {id: anna, dn: '7001', skills: *skills, state: ready}\n"
        "  - {id: ben, dn: '7002', skills: *skills, state: ready}\n"
        "timeline:\n" + calls,
        encoding="utf-8",
    )
    scenario = load_scenario(path)
    assert len(scenario.timeline) == 2000
    assert scenario.config.agents["ben"].skills == {"English": 8, "French": 5}
    assert work.files == 1 and work.bytes_read == path.stat().st_size
    assert work.composed > 2000 and work.walked > 2000 and work.built > 2000


def test_the_run_command_reports_a_refused_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], work: Work
) -> None:
    app = tmp_path / "app.scxml"
    app.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><final id="f"/></scxml>',
        encoding="utf-8",
    )
    scenario = tmp_path / "laughs.yaml"
    scenario.write_text(bomb(), encoding="utf-8")
    status = main(["run", str(app), "--scenario", str(scenario)])
    assert status == 1
    assert 0 < work.composed and work.walked <= 3 * work.composed
    assert work.built == 0
    assert (
        f"{scenario}: error: more than {MAX_SCENARIO_VALUES} values"
        in capsys.readouterr().err
    )
