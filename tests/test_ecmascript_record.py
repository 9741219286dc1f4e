"""ECMAScript `<data>` values in a record of slots, where no code names `_data`.

A document whose expressions and scripts never name `_data` keeps its `<data>`
values in a generated class of one slot per id (`self.dm.count`); one that
names it keeps the `_data` dict scripts can add to. Both read and write alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scxmlc
from scxmlc.compiler import compile_text
from scxmlc.runtime import VirtualClock, js
from scxmlc.runtime.snapshot import RestoreError

from es_session import start
from recording import Recorder

COUNTER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript" name="counter">
  <datamodel>
    <data id="count" expr="0"/>
    <data id="label" expr="'calls'"/>
  </datamodel>
  <state id="s">
    <transition event="bump" cond="count &lt; 2">
      <assign location="count" expr="count + 1"/>
      <log expr="label + ':' + count"/>
    </transition>
    <transition event="bump" target="done"/>
  </state>
  <final id="done"/>
</scxml>
"""


def test_a_document_that_never_names_data_keeps_its_values_in_slots() -> None:
    source = compile_text(COUNTER, "counter.scxml").source
    assert "class CounterRecord(js.Record):" in source
    assert 'self.dm["' not in source
    assert "self.dm.count = js.add(self.dm.count, 1)" in source
    assert "dm: CounterRecord" in source


def test_the_record_runs_as_the_dict_does(tmp_path: Path) -> None:
    path = tmp_path / "counter.scxml"
    path.write_text(COUNTER, encoding="utf-8")
    recorder = Recorder()
    machine: Any = scxmlc.load(path)(VirtualClock(), observer=recorder)
    machine.start()
    for _ in range(3):
        machine.send("bump")
    assert recorder.values == ["calls:1", "calls:2"]
    assert machine.finished
    assert isinstance(machine.dm, js.Record)


def test_the_record_reads_like_a_mapping_of_its_ids_and_nothing_else(
    tmp_path: Path,
) -> None:
    machine, _ = start(tmp_path, "", data='<data id="a" expr="1"/><data id="b"/>')
    dm = machine.dm
    assert isinstance(dm, js.Record)
    assert dm["a"] == 1 and dm["b"] is js.undefined
    assert list(dm) == ["a", "b"] and len(dm) == 2 and "a" in dm
    assert dict(dm.items()) == {"a": 1, "b": js.undefined}
    dm["b"] = "set"
    assert dm.get("b") == "set" and dm.get("c", 0) == 0
    for name in ("c", "__class__", "items", "_ids"):
        assert name not in dm
        with pytest.raises(KeyError):
            dm[name]
        with pytest.raises(KeyError):
            dm[name] = 1


def test_a_document_that_names_data_keeps_the_dict_scripts_add_to(
    tmp_path: Path,
) -> None:
    machine, recorder = start(
        tmp_path,
        '<script>_data.extra = count + 1;</script><log expr="extra"/>',
        data='<data id="count" expr="1"/>',
    )
    assert isinstance(machine.dm, dict)
    assert recorder.values == [2]


@pytest.mark.parametrize("name", ["__n", "class", "my.id", "items", "get"])
def test_ids_that_are_no_python_attribute_or_the_records_own_keep_the_dict(
    name: str,
) -> None:
    document = f"""<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript" name="odd">
  <datamodel><data id="{name}" expr="1"/><data id="n" expr="2"/></datamodel>
  <state id="s"><transition event="go" cond="n == 2" target="s"/></state>
</scxml>
"""
    source = compile_text(document, "odd.scxml").source
    assert "Record" not in source
    assert "self.dm[" in source


def test_names_resolve_alike_with_a_record(tmp_path: Path) -> None:
    """A script global of a `<data>` id's name reads the `<data>` until it is
    declared; `eval` and `typeof` reach the ids; a name bound nowhere is a
    ReferenceError, error.execution."""
    machine, recorder = start(
        tmp_path,
        '<log expr="x"/><script>var x = 5;</script><log expr="x"/>'
        '<log expr="eval(\'y\')"/><log expr="typeof y"/><log expr="typeof nowhere"/>'
        '<log expr="nowhere"/>',
        data='<data id="x" expr="1"/><data id="y" expr="[3]"/>',
    )
    assert isinstance(machine.dm, js.Record)
    assert recorder.values == [1, 5, [3], "object", "undefined"]
    assert recorder.errors == [
        ("error.execution", "ReferenceError: nowhere is not defined")
    ]
    assert machine.dm["x"] == 1  # the script's x is another variable


def test_a_session_with_a_record_snapshots_and_restores(tmp_path: Path) -> None:
    path = tmp_path / "counter.scxml"
    path.write_text(COUNTER, encoding="utf-8")
    cls = scxmlc.load(path)
    clock = VirtualClock()
    machine: Any = cls(clock)
    machine.start()
    machine.send("bump")
    restored: Any = cls.restore(machine.snapshot(), clock)
    assert isinstance(restored.dm, js.Record)
    assert dict(restored.dm.items()) == {"count": 1, "label": "calls"}
    restored.send("bump")
    assert restored.dm["count"] == 2


def test_invoke_params_and_initial_data_land_in_the_record(tmp_path: Path) -> None:
    path = tmp_path / "counter.scxml"
    path.write_text(COUNTER, encoding="utf-8")
    machine: Any = scxmlc.load(path)(VirtualClock(), data={"count": 1, "other": 9})
    machine.start()
    assert dict(machine.dm.items()) == {"count": 1, "label": "calls"}


def test_a_snapshot_of_the_dict_migrates_into_the_record(tmp_path: Path) -> None:
    """A document edited so that it no longer names `_data` gets a record: its
    layout changed, and `migrate` moves the values of `_data` into it."""
    before = tmp_path / "v1" / "counter.scxml"
    before.parent.mkdir()
    before.write_text(
        COUNTER.replace("<state id=", "<script>var note = '_data';</script><state id="),
        encoding="utf-8",
    )
    after = tmp_path / "v2" / "counter.scxml"
    after.parent.mkdir()
    after.write_text(
        COUNTER.replace("<state id=", "<script>var note = 'data';</script><state id="),
        encoding="utf-8",
    )
    old: Any = scxmlc.load(before)
    new: Any = scxmlc.load(after)
    clock = VirtualClock()
    machine = old(clock)
    machine.start()
    machine.send("bump")
    assert isinstance(machine.dm, dict)
    snapshot = machine.snapshot()
    with pytest.raises(RestoreError):
        new.restore(snapshot, clock)

    def migrate(cls: Any, state: dict[str, Any], fingerprint: str) -> dict[str, Any]:
        assert fingerprint == old._fingerprint
        data = state["variables"].pop("dm")
        state["objects"]["dm"] = ("CounterRecord", dict(data))
        return state

    new.migrate = classmethod(migrate)
    restored: Any = new.restore(snapshot, clock)
    assert dict(restored.dm.items()) == {"count": 1, "label": "calls"}
    restored.send("bump")
    assert restored.dm["count"] == 2


def test_the_reserved_names_are_the_records_own_attributes() -> None:
    from scxmlc.runtime.js.record import RESERVED

    own = {name for name in vars(js.Record) if not name.startswith("__")}
    assert own == RESERVED


def test_a_document_without_data_keeps_the_empty_dict() -> None:
    document = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript" name="bare"><state id="s"/></scxml>
"""
    source = compile_text(document, "bare.scxml").source
    assert "Record" not in source and "self.dm = {}" in source
