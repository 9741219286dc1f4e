"""Behaviour of compiled machines through the public API.

Each test drives a document of tests/cases/golden/ and pins the exact
configurations, datamodel values and logs the SCXML semantics require.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import scxmlc
from scxmlc.runtime import AsyncioClock, Event, Machine, Observer, VirtualClock

from recording import Recorder

GOLDEN = Path(__file__).parent / "cases" / "golden"


def started(name: str) -> tuple[Any, VirtualClock, Recorder]:
    clock = VirtualClock()
    recorder = Recorder()
    machine = scxmlc.load(GOLDEN / f"{name}.scxml")(clock, observer=recorder)
    machine.start()
    return machine, clock, recorder


def test_traffic_light_runs_on_virtual_time() -> None:
    light, clock, recorder = started("traffic_light")
    assert light.configuration == {"operating", "red"}
    clock.advance(19.9)
    assert light.configuration == {"operating", "red"}
    clock.advance(0.1)
    assert light.configuration == {"operating", "green"}
    assert light.dm.cycles == 1
    light.send("pedestrian", "ann")
    assert recorder.logs == [("first request", "ann")]
    light.send("pedestrian", "bob")  # the second request raises hurry: yellow at once
    assert light.configuration == {"operating", "yellow"}
    clock.advance(3)
    assert light.configuration == {"operating", "red"}
    assert recorder.logs[1:] == [("served", "0: ann"), ("served", "1: bob")]
    assert light.dm.requests == []


def test_traffic_light_cancels_the_timer_of_the_state_it_leaves() -> None:
    light, clock, _ = started("traffic_light")
    light.send("fault")
    assert light.configuration == {"flashing"}
    clock.advance(30)  # the red tick was cancelled on exit
    assert light.configuration == {"flashing"}


def test_deep_history_resumes_where_the_fault_struck() -> None:
    light, clock, _ = started("traffic_light")
    clock.advance(20)
    assert light.configuration == {"operating", "green"}
    light.send("fault")
    light.send("repaired")
    assert light.configuration == {"operating", "green"}
    assert light.dm.cycles == 2  # green was entered again, its onentry ran again


def test_final_state_ends_the_session_with_donedata() -> None:
    light, clock, _ = started("traffic_light")
    clock.advance(20)
    light.send("fault")
    light.send("shutdown")
    assert light.finished
    assert light.configuration == {"off"}
    assert light.donedata == {"cycles": 1}
    light.send("repaired")  # ignored: the session is over
    assert light.configuration == {"off"}


def test_invoked_child_reports_to_its_parent() -> None:
    call, clock, _ = started("call_queue")
    assert call.configuration == {"waiting"}
    clock.advance(12)  # the child keeps looking; nothing reaches the parent
    call.send("agent.ready", {"agent": "agent-7"})  # autoforwarded to the child
    clock.run_until_idle()
    assert call.configuration == {"connected"}
    assert call.dm.agent == "agent-7"
    # <finalize> ran for agent.found; leaving `waiting` cancelled the invocation, so
    # it did not run for the child's done.invoke, queued behind agent.found.
    assert call.dm.attempts == 1
    clock.advance(120)  # the abandon timer was cancelled
    assert call.configuration == {"connected"}
    call.send("hangup")
    assert call.finished
    assert call.donedata == {"agent": "agent-7", "caller": "+15550100"}


def test_caller_abandons_when_nobody_answers() -> None:
    call, clock, _ = started("call_queue")
    clock.advance(60)
    assert call.finished and call.configuration == {"abandoned"}
    assert clock.next_due() is None  # the child was cancelled with its timers


def test_null_datamodel_guards_with_in() -> None:
    door, _, recorder = started("door")
    assert door.configuration == {"door", "position", "closed", "lock", "locked"}
    door.send("open")
    assert "closed" in door.configuration
    door.send("unlock")
    door.send("open")
    assert door.configuration == {"door", "position", "opened", "lock", "unlocked"}
    door.send("lock")  # guarded by In('closed')
    assert "unlocked" in door.configuration
    assert recorder.logs == [("lock", "unlocked")]


def test_events_sent_before_start_wait_for_it() -> None:
    light = scxmlc.load(GOLDEN / "traffic_light.scxml")()
    light.send("fault")
    assert light.configuration == frozenset()
    light.start()
    assert light.configuration == {"flashing"}


def test_an_error_in_executable_content_becomes_error_execution() -> None:
    light, clock, recorder = started("traffic_light")
    clock.advance(20)
    light.dm.requests = None  # len(None) raises in the pedestrian condition
    light.send("pedestrian", "x")
    assert [name for name, _ in recorder.errors] == ["error.execution"]
    assert recorder.events[-1] == "error.execution"
    assert light.configuration == {"operating", "green"}


def test_error_events_name_the_document_line() -> None:
    events: list[Event] = []

    class Errors(Observer):
        def on_error(
            self, machine: Machine, event: Event, error: BaseException | None
        ) -> None:
            events.append(event)

    clock = VirtualClock()
    light = scxmlc.load(GOLDEN / "traffic_light.scxml")(clock, observer=Errors())
    light.start()
    clock.advance(20)
    light.dm.requests = None
    light.send("pedestrian", "x")
    assert [(e.name, e.data["location"], e.data["type"]) for e in events] == [
        ("error.execution", "traffic_light.scxml:25", "TypeError")
    ]


def test_instances_do_not_share_state() -> None:
    cls = scxmlc.load(GOLDEN / "traffic_light.scxml")
    first, second = cls(), cls()
    first.start()
    second.start()
    first.send("fault")
    assert first.configuration == {"flashing"}
    assert second.configuration == {"operating", "red"}


def test_virtual_clock_runs_callbacks_in_time_order() -> None:
    clock = VirtualClock()
    seen: list[tuple[float, str]] = []
    clock.call_later(2, lambda: seen.append((clock.now(), "b")))
    clock.call_later(1, lambda: seen.append((clock.now(), "a")))
    cancelled = clock.call_later(1.5, lambda: seen.append((clock.now(), "x")))
    cancelled.cancel()
    clock.call_later(2, lambda: seen.append((clock.now(), "c")))
    clock.run_until_idle()
    assert seen == [(1, "a"), (2, "b"), (2, "c")]
    assert clock.now() == 2


def test_asyncio_clock_delivers_delayed_events_in_real_time() -> None:
    async def scenario() -> frozenset[str]:
        light = scxmlc.load(GOLDEN / "traffic_light.scxml")(AsyncioClock())
        light.start()
        light.dm.green_seconds = 0.01
        light.send("fault")
        light.send("repaired")  # history default: red, which waits 20 s
        return light.configuration

    assert asyncio.run(scenario()) == {"operating", "red"}


def test_the_runtime_imports_no_compiler_dependency() -> None:
    code = (
        "import sys, scxmlc.runtime\n"
        "heavy = {'lxml', 'jinja2', 'black', 'ruff', 'mypy', 'scxmlc.compiler'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_python_datamodel_chart_loads_only_the_core(tmp_path: Path) -> None:
    """Importing and running a compiled python-datamodel module loads neither the
    ECMAScript runtime, nor the ORS platform, nor aiohttp or PyYAML."""
    module = tmp_path / "traffic_light.py"
    module.write_text((GOLDEN / "traffic_light.py").read_text(), encoding="utf-8")
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "from traffic_light import TrafficLight\n"
        "light = TrafficLight()\n"
        "light.start()\n"
        "light.send('fault')\n"
        "loaded = {'scxmlc.runtime.js', 'scxmlc.runtime.ors', 'aiohttp', 'yaml'}\n"
        "assert not loaded & set(sys.modules), loaded & set(sys.modules)\n"
        "assert 'scxmlc.runtime' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("bad", ["ping", "x.y"])
def test_unknown_events_are_ignored(bad: str) -> None:
    light, _, recorder = started("traffic_light")
    light.send(bad)
    assert light.configuration == {"operating", "red"}
    assert recorder.errors == []


FUSED = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="python">
  <datamodel><data id="trail" expr="''"/></datamodel>
  <state id="a">
    <onexit><assign location="trail" expr="trail + 'x'"/><assign location="trail" expr="1 / 0"/></onexit>
    <onexit><assign location="trail" expr="trail + 'y'"/></onexit>
    <transition event="go" target="b"><assign location="trail" expr="trail + 't'"/></transition>
  </state>
  <state id="b">
    <onentry><assign location="trail" expr="trail + 'e'"/></onentry>
    <transition event="error.execution" target="c"/>
  </state>
  <state id="c"/>
</scxml>
"""


def test_a_fused_microstep_keeps_each_block_separate(tmp_path: Path) -> None:
    document = tmp_path / "fused.scxml"
    document.write_text(FUSED, encoding="utf-8")
    source = scxmlc.compile_file(document)
    # the four blocks run as one function
    assert "def _fused(self: Fused) -> None:" in source
    machine = scxmlc.load(document)()
    machine.start()
    machine.send("go")
    # The failing block stopped after 'x'; the blocks after it still ran, in order.
    assert machine.dm.trail == "xyte"
    assert machine.configuration == {"c"}
