"""Snapshots of sessions (`Machine.snapshot()`, `Machine.restore()`): what is
captured, delayed sends on the restored clock, invoked children, fingerprints
and migrations, and what cannot be captured."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import scxmlc
from scxmlc.runtime import Machine, Observer, VirtualClock, invoke
from scxmlc.runtime.machine import SESSIONS
from scxmlc.runtime.snapshot import (
    RestoreError,
    SaveContext,
    SnapshotError,
    dumps,
)

from recording import Recorder
from test_invoke_pending import CHILD as PENDING_CHILD
from test_invoke_pending import PARENT as PENDING_PARENT
from test_invoke_pending import SlowResolver

HEAD = '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"'

CALL = f"""{HEAD} datamodel="python" name="call" initial="idle">
  <datamodel>
    <data id="tries" expr="0"/>
    <data id="caller" expr="{{'ani': '555', 'tags': ['vip']}}"/>
  </datamodel>
  <state id="idle">
    <transition event="ring" target="talking">
      <assign location="tries" expr="tries + 1"/>
      <assign location="caller['seen']" expr="caller['tags']"/>
    </transition>
  </state>
  <state id="talking" initial="greeting">
    <history id="where" type="deep"><transition target="greeting"/></history>
    <state id="greeting">
      <transition event="next" target="menu"/>
    </state>
    <state id="menu">
      <onentry><send id="timeout" event="timeout" delay="5s"/></onentry>
      <transition event="timeout" target="timedout"/>
      <transition event="stop">
        <cancel sendid="timeout"/>
      </transition>
    </state>
    <transition event="hold" target="held"/>
  </state>
  <state id="held">
    <transition event="resume" target="where"/>
  </state>
  <final id="timedout"/>
</scxml>
"""

PARENT = f"""{HEAD} datamodel="python" name="parent" initial="session">
  <state id="session" initial="waiting">
    <invoke id="agent" type="scxml">
      <content>
        <scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
               datamodel="python" name="agent" initial="ready">
          <datamodel><data id="count" expr="0"/></datamodel>
          <state id="ready">
            <transition event="ping">
              <assign location="count" expr="count + 1"/>
              <send event="pong" target="#_parent">
                <param name="count" expr="count"/>
              </send>
            </transition>
            <transition event="bye" target="done"/>
          </state>
          <final id="done"/>
        </scxml>
      </content>
    </invoke>
    <transition event="done.invoke.agent" target="over"/>
    <state id="waiting">
      <transition event="ask"><send event="ping" target="#_agent"/></transition>
      <transition event="pong" cond="_event.data['count'] == 2" target="two"/>
    </state>
    <state id="two">
      <onentry><send event="bye" target="#_agent"/></onentry>
    </state>
  </state>
  <final id="over"/>
</scxml>
"""


def load(tmp_path: Path, text: str, name: str = "doc") -> Any:
    path = tmp_path / f"{name}.scxml"
    path.write_text(text, encoding="utf-8")
    return scxmlc.load(path)


def started(tmp_path: Path, text: str) -> tuple[Any, VirtualClock]:
    clock = VirtualClock(epoch=1_000_000.0)
    machine = load(tmp_path, text)(clock)
    machine.start()
    return machine, clock


def moved(machine: Machine, clock: VirtualClock | None = None) -> Any:
    """`machine` snapshotted, disposed and restored (on `clock`, else its own)."""
    data = machine.snapshot()
    assert isinstance(data, bytes)
    machine.dispose()
    return type(machine).restore(data, clock or machine.clock)


def test_configuration_datamodel_and_history_survive(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    machine.send("ring")
    machine.send("next")
    machine.send("hold")
    restored = moved(machine)
    assert restored is not machine
    assert restored.configuration == {"held"}
    assert restored.dm.tries == 1
    assert restored.dm.caller["seen"] is restored.dm.caller["tags"]  # shared
    restored.send("resume")  # deep history: back to the menu
    assert restored.configuration == {"talking", "menu"}
    assert machine.configuration == {"held"}  # the disposed one does nothing
    machine.send("resume")
    assert machine.configuration == {"held"}


def test_the_session_keeps_its_id_and_is_found_by_it(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    sid = machine._sessionid
    restored = moved(machine)
    assert restored._sessionid == sid
    assert SESSIONS[sid] is restored
    assert restored._ioprocessors["scxml"]["location"] == "#_scxml_" + sid


def test_queued_events_are_processed_after_restore(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    machine.cancel()  # a stand-in that holds events without processing them
    fresh = type(machine)(clock)
    fresh.send("ring")  # not started: it waits in the external queue
    fresh.send("next")
    data = fresh.snapshot()
    restored = type(fresh).restore(data, clock)
    restored.start()
    assert restored.configuration == {
        "talking",
        "greeting",
    } or restored.configuration == {
        "talking",
        "menu",
    }
    assert restored.configuration == {"talking", "menu"}


def test_a_delayed_send_fires_at_its_time_on_the_restored_clock(
    tmp_path: Path,
) -> None:
    machine, clock = started(tmp_path, CALL)
    machine.send("ring")
    machine.send("next")  # the timeout is due in 5 s
    clock.advance(2)
    later = VirtualClock(epoch=clock.wall_time())  # a new process, same time
    restored = moved(machine, later)
    later.advance(2.9)
    assert restored.configuration == {"talking", "menu"}
    later.advance(0.2)
    assert restored.configuration == {"timedout"}
    clock.run_until_idle()  # the old clock holds nothing that still fires
    assert restored.finished


def test_an_overdue_delayed_send_fires_at_once(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    machine.send("ring")
    machine.send("next")
    later = VirtualClock(epoch=clock.wall_time() + 60)  # restored a minute late
    restored = moved(machine, later)
    later.run_ready()
    assert restored.configuration == {"timedout"}


def test_cancel_after_restore(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    machine.send("ring")
    machine.send("next")
    restored = moved(machine)
    assert list(restored._timers) == ["timeout"]
    restored.send("stop")
    clock.run_until_idle()
    assert restored.configuration == {"talking", "menu"}
    assert not restored._timers


def test_invoked_children_are_restored_with_their_parent(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, PARENT)
    clock.run_until_idle()  # the child starts
    machine.send("ask")
    clock.run_until_idle()
    child = machine._invocations["agent"].child
    assert child.dm.count == 1
    restored = moved(machine)
    assert child.finished  # disposed with its parent
    new_child = restored._invocations["agent"].child
    assert new_child is not child and new_child._parent is restored
    assert new_child.dm.count == 1
    assert new_child._sessionid == child._sessionid
    restored.send("ask")
    clock.run_until_idle()
    assert restored.configuration == {"over"}


def test_a_child_not_started_yet_starts_after_restore(tmp_path: Path) -> None:
    found: list[Any] = []

    class Grab(Observer):
        def on_stable(self, machine: Machine) -> None:
            if not found:  # the end of the parent's first macrostep
                child = machine._invocations["agent"].child  # type: ignore[index]
                assert not child._started  # it starts on the clock's next turn
                data = machine.snapshot()
                machine.dispose()
                found.extend([child, type(machine).restore(data, machine.clock)])

    clock = VirtualClock()
    load(tmp_path, PARENT)(clock, observer=Grab()).start()
    clock.run_until_idle()
    child, restored = found
    new_child = restored._invocations["agent"].child
    assert new_child._started and not child.configuration
    assert new_child.configuration == {"ready"}


def test_every_macrostep_round_trips_through_bytes(tmp_path: Path) -> None:
    cls = load(tmp_path, PARENT)

    class Restorer(Observer):
        root: Any = None

        def on_stable(self, machine: Machine) -> None:
            if machine is self.root:
                data = machine.snapshot()
                machine.dispose()
                self.root = type(machine).restore(data, machine.clock, observer=self)

    clock = VirtualClock()
    observer = Restorer()
    observer.root = cls(clock, observer=observer)
    observer.root.start()
    clock.run_until_idle()
    observer.root.send("ask")
    clock.run_until_idle()
    observer.root.send("ask")
    clock.run_until_idle()
    assert observer.root.configuration == {"over"}


def test_the_fingerprint_names_the_layout(tmp_path: Path) -> None:
    first = load(tmp_path, CALL, "v1")
    again = load(tmp_path, CALL.replace('expr="tries + 1"', 'expr="tries + 2"'), "v2")
    other = load(
        tmp_path,
        CALL.replace('<final id="timedout"/>', '<final id="timedout"/><final id="x"/>'),
    )
    assert len(first._fingerprint) == 64
    assert again._fingerprint == first._fingerprint  # only an expression changed
    assert other._fingerprint != first._fingerprint


def test_another_version_is_refused_naming_both(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    changed = CALL.replace(
        '<final id="timedout"/>', '<final id="timedout"/><final id="x"/>'
    )
    newer = load(tmp_path, changed, "newer")
    with pytest.raises(RestoreError) as caught:
        newer.restore(machine.snapshot(), clock)
    assert machine._fingerprint in str(caught.value)
    assert newer._fingerprint in str(caught.value)


def test_a_migration_accepts_an_older_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    machine, clock = started(tmp_path, CALL)
    machine.send("ring")
    renamed = CALL.replace('id="held"', 'id="paused"').replace(
        'target="held"', 'target="paused"'
    )
    newer = load(tmp_path, renamed, "newer")
    seen: list[str] = []

    def migrate(cls: Any, state: dict[str, Any], fingerprint: str) -> dict[str, Any]:
        seen.append(fingerprint)
        state["objects"]["dm"][1]["tries"] += 10
        return state

    monkeypatch.setattr(newer, "migrate", classmethod(migrate))
    restored = newer.restore(machine.snapshot(), clock)
    assert seen == [machine._fingerprint]
    assert restored.dm.tries == 11
    restored.send("hold")
    assert restored.configuration == {"paused"}


def test_what_cannot_be_captured_is_named(tmp_path: Path) -> None:
    text = CALL.replace(
        '<data id="tries" expr="0"/>',
        '<data id="tries" expr="0"/><data id="handle" expr="open"/>',
    )
    machine, clock = started(tmp_path, text)
    with pytest.raises(SnapshotError, match=r"cannot capture <data id='handle'>"):
        machine.snapshot()


def test_a_delayed_send_that_cannot_be_captured_is_named(tmp_path: Path) -> None:
    text = CALL.replace(
        '<send id="timeout" event="timeout" delay="5s"/>',
        '<send id="timeout" event="timeout" delay="5s">'
        '<param name="f" expr="print"/></send>',
    )
    machine, clock = started(tmp_path, text)
    machine.send("ring")
    machine.send("next")
    with pytest.raises(SnapshotError, match=r"the delayed send 'timeout'"):
        machine.snapshot()


def test_a_session_is_captured_between_macrosteps_only(tmp_path: Path) -> None:
    errors: list[BaseException] = []

    class Grabber(Observer):
        def on_event(self, machine: Machine, event: Any) -> None:
            try:
                machine.snapshot()
            except SnapshotError as error:
                errors.append(error)

    machine = load(tmp_path, CALL)(VirtualClock(), observer=Grabber())
    machine.start()
    machine.send("ring")
    assert [str(error) for error in errors] == [
        "call: a session is captured between macrosteps, not while it processes"
        " an event"
    ]


def test_a_finished_session_restores_finished(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    machine.send("ring")
    machine.send("next")
    clock.run_until_idle()
    restored = moved(machine)
    assert restored.finished and restored.configuration == {"timedout"}


def test_bytes_that_are_not_a_snapshot_are_refused(tmp_path: Path) -> None:
    cls = load(tmp_path, CALL)
    with pytest.raises(SnapshotError):
        cls.restore(b"nonsense")


def test_persist_false_is_a_class_attribute(tmp_path: Path) -> None:
    assert load(tmp_path, CALL)._persist is True
    ors = (
        f'{HEAD} xmlns:ixn="http://www.genesyslab.com/modules/interaction" '
        'datamodel="ecmascript" _persist="false"><final id="f"/></scxml>'
    )
    assert load(tmp_path, ors, "transient")._persist is False


def test_the_recorder_sees_the_restored_session(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    recorder = Recorder()
    data = machine.snapshot()
    machine.dispose()
    restored = type(machine).restore(data, clock, observer=recorder)
    restored.send("ring")
    assert restored.observer is recorder


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[tuple[type[Machine], SlowResolver]]:
    (tmp_path / "parent.scxml").write_text(PENDING_PARENT, encoding="utf-8")
    (tmp_path / "child.scxml").write_text(PENDING_CHILD, encoding="utf-8")
    resolver = SlowResolver(scxmlc.load(tmp_path / "child.scxml"))
    invoke.set_document_resolver(resolver)
    yield scxmlc.load(tmp_path / "parent.scxml"), resolver
    invoke.set_document_resolver(None)


def with_child(
    slow: tuple[type[Machine], SlowResolver],
) -> tuple[Machine, VirtualClock]:
    """The parent started with its child's document resolved at once, run
    until its child is invoked, and its clock."""
    cls, resolver = slow
    resolver.finish()
    clock = VirtualClock()
    parent = cls(clock)
    parent.start()
    clock.run_until_idle()
    return parent, clock


def test_an_invoke_waiting_for_its_document_waits_again_after_restore(
    slow: tuple[type[Machine], SlowResolver],
) -> None:
    cls, resolver = slow
    clock = VirtualClock()
    parent = cls(clock)
    parent.start()
    parent.send("greet")  # waits with the invoke for the child's document
    restored = moved(parent)
    resolver.finish()
    clock.run_until_idle()
    assert restored.configuration == {"answered"}


def test_a_child_named_by_srcexpr_is_found_again_by_its_uri(
    slow: tuple[type[Machine], SlowResolver],
) -> None:
    parent, clock = with_child(slow)
    child = parent._invocations["child"].child  # type: ignore[index]
    restored = moved(parent)
    new_child = restored._invocations["child"].child
    assert type(new_child) is type(child) and new_child is not child
    restored.send("greet")
    clock.run_until_idle()
    assert restored.configuration == {"answered"}


SCRIPTED = f"""{HEAD} datamodel="python" name="scripted">
  <script>
import math
class Point:
    pass
def double(x):
    return 2 * x
  </script>
  <state id="s"/>
</scxml>
"""


def test_what_a_script_keeps_that_no_snapshot_captures_is_a_warning() -> None:
    compiled = scxmlc.compiler.compile_text(SCRIPTED, "scripted.scxml")
    found = [(w.loc.line, w.loc.col, w.message) for w in compiled.warnings]
    assert found == [
        (
            3,
            1,
            "<script>: the module 'math' is kept in the datamodel, which a snapshot"
            " cannot capture: snapshot() of the document's sessions raises"
            " SnapshotError (import it inside the function that uses it)",
        ),
        (
            4,
            1,
            "<script>: the class 'Point' is kept in the datamodel, and a class a"
            " script defines cannot be captured by a snapshot, nor its instances:"
            " snapshot() of the document's sessions raises SnapshotError",
        ),
    ]


def test_a_script_that_keeps_a_module_cannot_be_captured(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, SCRIPTED)
    assert machine.dm.double(2) == 4
    with pytest.raises(SnapshotError, match="cannot capture the variable 'math'"):
        machine.snapshot()


def test_what_a_child_holds_that_cannot_be_captured_names_the_invoke(
    tmp_path: Path,
) -> None:
    text = PARENT.replace(
        '<data id="count" expr="0"/>',
        '<data id="count" expr="0"/><data id="out" expr="open"/>',
    )
    machine, clock = started(tmp_path, text)
    with pytest.raises(SnapshotError) as caught:
        machine.snapshot()
    assert str(caught.value).startswith(
        "parent: invoke 'agent': agent: cannot capture <data id='out'>"
    )


def test_a_snapshot_of_another_format_is_refused(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    header = {"format": 99, "fingerprint": machine._fingerprint, "body": b""}
    with pytest.raises(RestoreError, match="snapshot format 99, but this runtime"):
        type(machine).restore(dumps(header, SaveContext(machine)), clock)


def test_a_child_whose_document_compiles_again_is_restored_once_compiled(
    slow: tuple[type[Machine], SlowResolver],
) -> None:
    cls, resolver = slow
    parent, clock = with_child(slow)
    data = parent.snapshot()
    parent.dispose()
    again = SlowResolver(resolver.cls)  # a new process: the document compiles again
    invoke.set_document_resolver(again)
    restored = cls.restore(data, clock)
    assert restored._invocations["child"].child is None  # type: ignore[index]
    restored.send("greet")  # waits for the child with its invoke
    between = restored.snapshot()  # and a snapshot meanwhile keeps the child's
    again.finish()
    clock.run_until_idle()
    assert restored.configuration == {"answered"}
    restored.dispose()
    later = cls.restore(between, clock)  # the resolver answers at once now
    clock.run_until_idle()
    assert later.configuration == {"answered"}


LAMBDAS = f"""{HEAD} datamodel="python" name="lambdas">
  <datamodel>
    <data id="inc" expr="lambda x: x + 1"/>
    <data id="dec" expr="lambda x: x - 1"/>
    <data id="step" expr="10"/>
  </datamodel>
  <script>
def scaled(x):
    return x * step
  </script>
  <state id="s"/>
</scxml>
"""


def test_functions_the_document_wrote_are_captured(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, LAMBDAS)
    first = moved(machine)
    assert (first.dm.inc(1), first.dm.dec(1), first.dm.scaled(2)) == (2, 0, 20)
    twin = load(tmp_path, LAMBDAS, "twin")  # the same text in another module
    second = twin(VirtualClock())
    second.start()
    again = moved(second)
    assert (again.dm.inc(1), again.dm.dec(1)) == (2, 0)
    assert again.dm.inc.__code__ is second.dm.inc.__code__


def test_xml_content_keeps_shared_references(tmp_path: Path) -> None:
    text = f"""{HEAD} datamodel="python" name="xml">
  <datamodel>
    <data id="doc"><order id="7"><item>tea</item></order></data>
    <data id="same" expr="doc"/>
  </datamodel>
  <state id="s"/>
</scxml>
"""
    machine, clock = started(tmp_path, text)
    restored = moved(machine)
    assert restored.dm.doc is restored.dm.same
    assert restored.dm.doc.find("{*}item").text == "tea"


RESTORE_ELSEWHERE = """
import sys
from pathlib import Path

import scxmlc
from scxmlc.runtime import VirtualClock

path, data_file, epoch = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
clock = VirtualClock(epoch=epoch)
session = scxmlc.load(path).restore(data_file.read_bytes(), clock)
print(sorted(session.configuration), session.dm.tries, session.dm.caller["seen"])
clock.advance(2.5)
print(sorted(session.configuration))
clock.advance(1)
print(sorted(session.configuration))
"""


def test_a_session_is_restored_in_another_process(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, CALL)
    machine.send("ring")
    machine.send("next")  # the timeout falls due in 5 s
    clock.advance(2)
    (tmp_path / "session.bin").write_bytes(machine.snapshot())
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            RESTORE_ELSEWHERE,
            str(tmp_path / "doc.scxml"),
            str(tmp_path / "session.bin"),
            repr(clock.wall_time()),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.splitlines() == [
        "['menu', 'talking'] 1 ['vip']",
        "['menu', 'talking']",
        "['timedout']",
    ]


TWICE = f"""{HEAD} datamodel="python" name="twice" initial="s">
  <datamodel><data id="got" expr="[]"/></datamodel>
  <state id="s">
    <transition event="go"><send id="x" event="tick" delay="5s"/></transition>
    <transition event="stop"><cancel sendid="x"/></transition>
    <transition event="tick"><assign location="got" expr="got + [1]"/></transition>
  </state>
</scxml>
"""


def test_sends_pending_under_one_send_id_are_all_captured(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, TWICE)
    machine.send("go")
    clock.advance(1)
    machine.send("go")  # a second send under the same id, due a second later
    restored = moved(machine)
    clock.advance(4)
    assert restored.dm.got == [1]
    clock.advance(1)
    assert restored.dm.got == [1, 1]


def test_cancel_drops_the_latest_send_under_its_id(tmp_path: Path) -> None:
    machine, clock = started(tmp_path, TWICE)
    machine.send("go")
    clock.advance(1)
    machine.send("go")
    machine.send("stop")  # the second one
    restored = moved(machine)
    clock.run_until_idle()
    assert restored.dm.got == [1]
    restored.send("go")
    restored.send("stop")
    clock.run_until_idle()
    assert restored.dm.got == [1] and not restored._timers
