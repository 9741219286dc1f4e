"""Scenario files are untrusted: reading one is bounded in bytes, time and memory.

- only a regular file is read (a FIFO, `/dev/zero` or a directory is refused
  at once, never waited on or read without end), of at most 1 MiB;
- YAML aliases cannot unfold a small file into a huge value ("billion
  laughs"): expanded values are counted on the parsed nodes, before any value
  is built; an alias inside its own anchor is refused;
- nesting is bounded, also where aliases stack one subtree inside another;
- every refusal is a `ScenarioError` that names the file and the limit.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from scxmlc.compiler.commands.cli import main
from scxmlc.runtime.sim import ScenarioError, load_scenario
from scxmlc.runtime.sim.scenario import (
    MAX_NESTING,
    MAX_SCENARIO_BYTES,
    MAX_SCENARIO_VALUES,
)

FAST = 2.0
"""Seconds a refusal may take at most (they take milliseconds)."""


def refused(path: Path | str) -> str:
    """The message of the `ScenarioError` reading `path` raises, within `FAST`
    seconds (a reader that blocks fails the test instead of hanging it)."""
    outcome: dict[str, Any] = {}

    def read() -> None:
        try:
            load_scenario(path)
        except ScenarioError as error:
            outcome["message"] = str(error)
        except BaseException as error:  # noqa: BLE001 - reported below
            outcome["other"] = error

    started = time.monotonic()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(FAST)
    assert not reader.is_alive(), f"reading {path} did not return in {FAST} s"
    assert "other" not in outcome, outcome.get("other")
    assert "message" in outcome, f"{path} was read without error"
    assert time.monotonic() - started < FAST
    message: str = outcome["message"]
    assert message.startswith(f"{path}: error: "), message
    return message


def bomb(levels: int = 9, width: int = 10) -> str:
    """A billion-laughs document: each anchor holds `width` aliases of the one
    before, so `levels` short lines stand for width**levels values."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    return "options:\n" + "".join(f"  {line}\n" for line in lines)


def test_an_alias_bomb_is_refused_before_it_unfolds(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(bomb(), encoding="utf-8")
    assert path.stat().st_size < 1000
    assert refused(path) == (
        f"{path}: error: more than {MAX_SCENARIO_VALUES} values once its aliases "
        "are expanded (the limit of a scenario)"
    )


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("options: &loop {self: *loop}\n", encoding="utf-8")
    assert refused(path) == f"{path}: error: an alias refers to its own anchor"


def test_aliases_cannot_stack_past_the_nesting_limit(tmp_path: Path) -> None:
    """Each anchor nests the one before 40 levels deeper: no line of the file
    is nested too deeply, the expanded value is."""
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


def test_deep_nesting_is_refused_while_parsing(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("options: " + "[" * 50_000 + "]" * 50_000, encoding="utf-8")
    assert refused(path) == (
        f"{path}: error: nested too deeply (over {MAX_NESTING} levels)"
    )


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("options: {a: '" + "x" * MAX_SCENARIO_BYTES + "'}\n")
    assert refused(path) == (
        f"{path}: error: larger than {MAX_SCENARIO_BYTES} bytes (the limit of a "
        "scenario)"
    )
    assert MAX_SCENARIO_BYTES == 1 << 20


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    assert refused(path) == f"{path}: error: not a regular file"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_without_reading_it() -> None:
    assert refused("/dev/zero") == "/dev/zero: error: not a regular file"


def test_a_directory_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path) == f"{tmp_path}: error: not a regular file"
    missing = tmp_path / "missing.yaml"
    assert refused(missing) == f"{missing}: error: no such file"


def test_scenarios_within_the_limits_still_load(tmp_path: Path) -> None:
    """Anchors and aliases that reuse a little are fine, as is a long timeline."""
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


def test_the_run_command_reports_a_refused_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "app.scxml"
    app.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><final id="f"/></scxml>',
        encoding="utf-8",
    )
    scenario = tmp_path / "laughs.yaml"
    scenario.write_text(bomb(), encoding="utf-8")
    started = time.monotonic()
    status = main(["run", str(app), "--scenario", str(scenario)])
    assert status == 1 and time.monotonic() - started < FAST
    assert (
        f"{scenario}: error: more than {MAX_SCENARIO_VALUES} values"
        in capsys.readouterr().err
    )
