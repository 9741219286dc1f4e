"""One session cannot hurt another: a document that loops forever is stopped.

Every macrostep has a budget (`scxmlc.runtime.Budget`): microsteps, wall time,
events in the internal queue. A JavaScript loop or recursion that outlives
the wall time ends its block with error.execution and the session; an
eventless or `<raise>` loop ends the session after its microsteps; `<raise>`
beyond the queue's limit is error.execution. Other sessions keep running.

Each test runs under an alarm: code without the budget hangs instead, and the
alarm turns that into a failure.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp
import pytest

import scxmlc
from scxmlc.runtime import (
    AsyncioClock,
    Budget,
    BudgetExceeded,
    Event,
    Machine,
    Observer,
    VirtualClock,
)

SCXML = 'xmlns="http://www.w3.org/2005/07/scxml" version="1.0"'
QUICK = Budget(microsteps=5_000, seconds=0.2, queue=500)
"""A budget that stops every runaway of these tests in a fraction of a second."""


class Hung(BaseException):
    """The alarm rang: the code under test did not stop by itself."""


@contextmanager
def alarm(seconds: float) -> Iterator[None]:
    """Raise `Hung` in the main thread if the block runs longer than `seconds`."""

    def ring(signum: int, frame: FrameType | None) -> None:
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Recorder(Observer):
    """Errors, events and the longest internal queue a session had."""

    def __init__(self) -> None:
        self.errors: list[Event] = []
        self.longest_queue = 0
        self.finished = False

    def on_event(self, machine: Machine, event: Event) -> None:
        self.longest_queue = max(self.longest_queue, len(machine._internal or ()))

    def on_error(
        self, machine: Machine, event: Event, error: BaseException | None
    ) -> None:
        self.errors.append(event)

    def on_finished(self, machine: Machine) -> None:
        self.finished = True

    def types(self) -> list[str]:
        """The `type` of each error event's data, in order."""
        return [event.data["type"] for event in self.errors]


def load(tmp_path: Path, body: str, datamodel: str = "ecmascript") -> Any:
    """The machine class of a document `body` (states, scripts) in `datamodel`."""
    path = tmp_path / "runaway.scxml"
    path.write_text(
        f'<scxml {SCXML} datamodel="{datamodel}" name="runaway">{body}</scxml>',
        encoding="utf-8",
    )
    return scxmlc.load(path)


def on_go(script: str) -> str:
    """A document that runs `script` when it takes event `go`."""
    return f"""
    <state id="idle">
      <transition event="go" target="busy"><script>{script}</script></transition>
    </state>
    <state id="busy"/>"""


LOOPS = {
    "while": "while (true) {}",
    "for": "for (;;) {}",
    "do-while": "do {} while (true)",
    "for-in": "var o = {a: 1}; while (true) { for (var k in o) { o[k] = 2; } }",
    "function": "function spin() { for (var i = 0; ; i++) {} } spin()",
    "caught": "while (true) { try { for (;;) {} } catch (e) {} finally {} }",
    "recursion in catch": (
        "function f() { try { return f(); } catch (e) { return f(); } } f()"
    ),
    "deep recursion": "function f() { return f(); } f()",
}


@pytest.mark.parametrize("kind", LOOPS)
def test_a_runaway_script_ends_with_error_execution(tmp_path: Path, kind: str) -> None:
    script = LOOPS[kind]
    cls = load(tmp_path, on_go(script.replace("<", "&lt;")))
    recorder = Recorder()
    machine = cls(VirtualClock(), observer=recorder, budget=QUICK)
    machine.start()
    started = time.monotonic()
    with alarm(10):
        machine.send("go")
    elapsed = time.monotonic() - started
    assert recorder.errors, "the script ran away without an error"
    assert recorder.errors[0].name == "error.execution"
    assert elapsed < QUICK.seconds + 1.0
    if kind == "deep recursion":  # RecursionError: the block ends, the session goes on
        assert recorder.types() == ["RecursionError"]
        assert machine.configuration == {"busy"}
        return
    assert recorder.types()[0] == "BudgetExceeded"
    assert machine.finished and recorder.finished


def test_the_default_budget_stops_a_script(tmp_path: Path) -> None:
    cls = load(tmp_path, on_go("while (true) {}"))
    cls.default_budget = Budget(seconds=0.2)
    try:
        recorder = Recorder()
        machine = cls(VirtualClock(), observer=recorder)
        machine.start()
        with alarm(10):
            machine.send("go")
    finally:
        del cls.default_budget
    assert machine.budget == Budget(seconds=0.2)
    assert recorder.types() == ["BudgetExceeded", "BudgetExceeded"]
    assert "terminated" in recorder.errors[-1].data["message"]


def test_a_python_script_loop_is_stopped_too(tmp_path: Path) -> None:
    body = """
    <state id="idle">
      <transition event="go" target="busy"><script>
n = 0
while True:
    n += 1
      </script></transition>
    </state>
    <state id="busy"/>"""
    cls = load(tmp_path, body, datamodel="python")
    recorder = Recorder()
    machine = cls(VirtualClock(), observer=recorder, budget=QUICK)
    machine.start()
    with alarm(10):
        machine.send("go")
    assert recorder.types()[0] == "BudgetExceeded"
    assert machine.finished


EVENTLESS = '<state id="s"><transition target="s"/></state>'
RAISING = """
<state id="s">
  <onentry><raise event="again"/></onentry>
  <transition event="again" target="s"/>
</state>"""


@pytest.mark.parametrize("body", [EVENTLESS, RAISING], ids=["eventless", "raise"])
def test_an_endless_macrostep_terminates_the_session(tmp_path: Path, body: str) -> None:
    """With the default budget, in well under a second."""
    cls = load(tmp_path, body)
    recorder = Recorder()
    machine = cls(VirtualClock(), observer=recorder)
    started = time.monotonic()
    with alarm(10):
        machine.start()
    elapsed = time.monotonic() - started
    assert machine.finished and recorder.finished
    assert recorder.types() == ["BudgetExceeded"]
    assert "100,000 microsteps" in recorder.errors[0].data["message"]
    assert elapsed < 3.0  # about 0.3 s on the 2-CPU machine


def test_a_raise_loop_cannot_fill_the_memory(tmp_path: Path) -> None:
    """Two events raised for each one taken: the queue stays within its limit."""
    body = """
    <state id="s">
      <onentry><raise event="again"/><raise event="again"/></onentry>
      <transition event="again" target="s"/>
    </state>"""
    cls = load(tmp_path, body)
    recorder = Recorder()
    machine = cls(VirtualClock(), observer=recorder, budget=QUICK)
    with alarm(10):
        machine.start()
    # `<raise>` fails once the queue is full, which ends the loop
    assert QUICK.queue <= recorder.longest_queue <= QUICK.queue + 2
    assert set(recorder.types()) == {"BudgetExceeded"}


def test_a_script_cannot_flood_the_internal_queue(tmp_path: Path) -> None:
    script = "while (true) { __Raise('flood', {}); }"
    cls = load(tmp_path, on_go(script))
    recorder = Recorder()
    machine = cls(VirtualClock(), observer=recorder, budget=QUICK)
    machine.start()
    with alarm(10):
        machine.send("go")
    error = recorder.errors[0]
    assert error.data["type"] == "BudgetExceeded"
    assert "internal queue" in error.data["message"]
    assert recorder.longest_queue <= QUICK.queue + 1


def test_an_invoked_runaway_tells_its_parent(tmp_path: Path) -> None:
    body = f"""
    <state id="parent">
      <invoke id="child"><content>
        <scxml {SCXML} datamodel="ecmascript" name="child">
          <state id="c"><transition target="c"/></state>
        </scxml>
      </content></invoke>
      <transition event="error.execution" target="told">
        <assign location="who" expr="_event.invokeid"/>
      </transition>
    </state>
    <state id="told"/>
    <datamodel><data id="who"/></datamodel>"""
    cls = load(tmp_path, body)
    machine = cls(VirtualClock(), budget=QUICK)  # the child has the same budget
    with alarm(10):
        machine.start()
        machine.clock.run_ready()  # type: ignore[attr-defined]
    assert machine.configuration == {"told"}
    assert machine.dm["who"] == "child"


def test_other_sessions_keep_running(tmp_path: Path) -> None:
    """A runaway session blocks the loop for its budget at most; a session on
    the same loop ticking on a timer goes on ticking afterwards."""
    runaway = load(tmp_path, on_go("while (true) {}"))
    ticker_path = tmp_path / "ticker.scxml"
    ticker_path.write_text(
        f"""<scxml {SCXML} datamodel="ecmascript" name="ticker">
        <datamodel><data id="ticks" expr="0"/></datamodel>
        <state id="t">
          <onentry><send event="tick" delay="10ms"/></onentry>
          <transition event="tick" target="t">
            <assign location="ticks" expr="ticks + 1"/>
          </transition>
        </state></scxml>""",
        encoding="utf-8",
    )
    ticker_class = scxmlc.load(ticker_path)

    async def scenario() -> tuple[Recorder, Machine, int, int, float]:
        recorder = Recorder()
        stuck = runaway(AsyncioClock(), observer=recorder, budget=QUICK)
        ticker = ticker_class(AsyncioClock())
        stuck.start()
        ticker.start()
        await asyncio.sleep(0.1)
        before = ticker.dm["ticks"]
        started = time.monotonic()
        asyncio.get_running_loop().call_soon(stuck.send, "go")
        await asyncio.sleep(0.05)
        blocked = time.monotonic() - started
        after = ticker.dm["ticks"]
        await asyncio.sleep(0.2)
        return recorder, stuck, before, ticker.dm["ticks"] - after, blocked

    with alarm(20):
        recorder, stuck, before, later, blocked = asyncio.run(scenario())
    assert before > 0
    assert QUICK.seconds <= blocked < QUICK.seconds + 1.0
    assert stuck.finished and recorder.types()[0] == "BudgetExceeded"
    assert later >= 5  # ticks every 10 ms for 0.2 s after the runaway ended


def test_a_session_sending_itself_events_shares_the_loop(tmp_path: Path) -> None:
    """Each external event is a macrostep of its own: a session that sends
    itself two for each it takes never exceeds a macrostep's budget, but it
    lets the loop run other work between turns, and its `<send>` fails once
    its external queue is full."""
    sender = load(
        tmp_path,
        """
        <state id="s">
          <onentry><send event="again"/><send event="again"/></onentry>
          <transition event="again" target="s"/>
        </state>""",
    )

    async def scenario() -> tuple[Recorder, int, int]:
        recorder = Recorder()
        flooding = sender(AsyncioClock(), observer=recorder, budget=QUICK)
        flooding.start()
        waited = 0
        longest = 0
        for _ in range(20):
            await asyncio.sleep(0.01)  # returns: the loop is not held
            waited += 1
            longest = max(longest, len(flooding._external or ()))
        flooding.cancel()
        return recorder, waited, longest

    with alarm(20):
        recorder, waited, longest = asyncio.run(scenario())
    assert waited == 20
    assert longest <= QUICK.queue
    assert recorder.errors[0].data["type"] == "BudgetExceeded"
    assert "external queue" in recorder.errors[0].data["message"]


def test_budget_api() -> None:
    assert Machine.default_budget == Budget()
    assert Budget().microsteps == 100_000 and Budget().seconds == 2.0
    assert issubclass(BudgetExceeded, Exception)
    with pytest.raises(ValueError):
        Budget(seconds=0)
    with pytest.raises(ValueError):
        Budget(microsteps=0)


def serve_runaway(
    directory: Path, *arguments: str
) -> tuple[subprocess.Popen[str], str]:
    """`scxmlc serve` of a document that loops forever on event `go`, on a free
    loopback port; the process and its URL."""
    (directory / "runaway.scxml").write_text(
        f'<scxml {SCXML} datamodel="ecmascript" name="runaway">'
        f"{on_go('while (true) {}')}</scxml>",
        encoding="utf-8",
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "scxmlc.compiler.commands.cli", "serve"]
        + ["runaway.scxml", "--port", "0", *arguments],
        cwd=directory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, server.stdout.readline().split()[4]


async def start_and_go(http: aiohttp.ClientSession, url: str) -> str:
    """Start a runaway session and send it `go`; its session id."""
    start = f"{url}/scxml/session/start"
    async with http.post(start, data={"src": "runaway"}) as answer:
        session: str = (await answer.json())["sessionid"]
    async with http.post(f"{url}/scxml/session/{session}/event/go"):
        pass
    return session


def test_scxmlc_serve_applies_its_budget_and_keeps_serving(tmp_path: Path) -> None:
    """`scxmlc serve --budget-seconds`: a runaway session of a served
    application is terminated after that long; the server answers the next
    requests and stops on SIGTERM."""
    server, url = serve_runaway(tmp_path, "--budget-seconds", "0.3")
    try:

        async def requests() -> tuple[float, Any, int]:
            async with aiohttp.ClientSession() as http:
                began = time.monotonic()
                session = await start_and_go(http, url)
                start = f"{url}/scxml/session/start"
                async with http.post(start, data={"src": "runaway"}) as answer:
                    second = answer.status
                took = time.monotonic() - began
                async with http.get(f"{url}/scxml/session/{session}/query") as answer:
                    query = await answer.json()
                return took, query, second

        with alarm(20):
            took, query, second = asyncio.run(requests())
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert 0.3 <= took < 2.0  # not the default budget of 2 s
    assert second == 200
    assert query["running"] is False and query["ended"] is not None
    assert server.returncode == 0, errors


def test_sigterm_stops_a_server_whose_session_runs_away(tmp_path: Path) -> None:
    """SIGTERM while a session loops: the loop ends at the budget (2 s by
    default), then the server stops gracefully."""
    server, url = serve_runaway(tmp_path)
    try:

        async def go() -> None:
            async with aiohttp.ClientSession() as http:
                await start_and_go(http, url)

        asyncio.run(go())
        time.sleep(0.2)  # the session is looping now
        signalled = time.monotonic()
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=15)
        took = time.monotonic() - signalled
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, errors
    assert took < 2.0 + 1.0 + 1.0  # the budget, the grace, some slack
    assert errors.strip().endswith("scxmlc serve: stopped")


def test_a_session_cannot_flood_another(tmp_path: Path) -> None:
    """Events a session sends another (`#_scxml_<id>`, `#_<invokeid>`) wait
    in its queue up to its budget's `queue`; more are error.communication for
    the sender."""
    target_path = tmp_path / "target.scxml"
    target_path.write_text(
        f"""<scxml {SCXML} datamodel="ecmascript" name="target">
        <datamodel><data id="taken" expr="0"/></datamodel>
        <state id="t">
          <transition event="spam"><assign location="taken" expr="taken + 1"/></transition>
        </state></scxml>""",
        encoding="utf-8",
    )
    target_class = scxmlc.load(target_path)
    flooder = load(
        tmp_path,
        """
        <datamodel><data id="target"/><data id="items" expr="[]"/></datamodel>
        <state id="s">
          <transition event="go">
            <script>for (var i = 0; i &lt; 2000; i++) { items.push(i); }</script>
            <foreach array="items" item="x">
              <send event="spam" targetexpr="'#_scxml_' + target"/>
            </foreach>
          </transition>
          <transition event="error.communication" target="refused"/>
        </state>
        <state id="refused"/>""",
    )
    clock = VirtualClock()
    target = target_class(clock, budget=QUICK)
    target.start()
    recorder = Recorder()
    sender = flooder(
        clock, observer=recorder, budget=QUICK, data={"target": target._sessionid}
    )
    sender.start()
    with alarm(20):
        sender.send("go")
    assert sender.configuration == {"refused"}, recorder.types()
    clock.run_ready()
    assert target.dm["taken"] == QUICK.queue
    assert "external queue already holds 500 events" in (
        recorder.errors[0].data["message"]
    )
