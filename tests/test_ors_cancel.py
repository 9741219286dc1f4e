"""`<cancel>` in ORS documents (COMPOSER.md §6).

- `sendid` is an expression, evaluated when the cancel runs
  (`sendid="App_UserData1['requestid']"`);
- the cancel is answered: `cancel.successful` when a pending delayed send was
  dropped, `error.notallowed` when nothing was pending; both carry `sendid`;
- a `sendid` that is a plain name the document does not declare is the literal
  send id, with a warning;
- W3C documents are unchanged: a literal `sendid`, no answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from scxmlc.compiler import compile_text
from scxmlc.compiler.typecheck import typecheck_module
from scxmlc.runtime import Machine, VirtualClock

from ors_harness import NAMESPACES, machine_class

COMPOSER_TIMER = """<scxml {ns} profile="ecmascript" initial="wait">
  <datamodel>
    <data id="App_UserData1" expr="new Object()"/>
    <data id="seen" expr="[]"/>
  </datamodel>
  <state id="wait">
    <onentry>
      <send event="'Block1.wait.timeout'" delay="'5s'"
            idlocation="App_UserData1['requestid']"/>
    </onentry>
    <transition event="stop" target="cancelling"/>
    <transition event="Block1.wait.timeout">
      <script>seen.push('timeout')</script>
    </transition>
  </state>
  <state id="cancelling">
    <onentry><cancel sendid="App_UserData1['requestid']"/></onentry>
    <transition event="cancel.successful" target="done">
      <script>seen.push('cancelled ' + (_event.data.sendid == App_UserData1['requestid']))</script>
    </transition>
    <transition event="error.notallowed" target="done">
      <script>seen.push('notallowed ' + (_event.data.sendid == App_UserData1['requestid']))</script>
    </transition>
  </state>
  <state id="done">
    <transition event="Block1.wait.timeout">
      <script>seen.push('timeout')</script>
    </transition>
  </state>
</scxml>"""


def _run(cls: type[Machine], stop_at: float, until: float = 20) -> Any:
    clock = VirtualClock()
    machine = cls(clock=clock)
    machine.start()
    clock.advance(stop_at)
    machine.send("stop")
    clock.advance(until - stop_at)
    assert machine.configuration == frozenset({"done"})
    return list(machine.dm["seen"])


def test_a_pending_send_is_cancelled_by_an_expression_and_answered() -> None:
    assert _run(machine_class(COMPOSER_TIMER), stop_at=2) == ["cancelled true"]


def test_nothing_pending_is_answered_with_error_notallowed() -> None:
    # the timer fired at 5 s; cancelling it at 8 s finds nothing
    assert _run(machine_class(COMPOSER_TIMER), stop_at=8) == [
        "timeout",
        "notallowed true",
    ]


def test_the_answer_comes_on_the_internal_queue_before_external_events() -> None:
    text = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="seen" expr="[]"/></datamodel>
  <state id="s">
    <onentry>
      <send event="'late'" delay="'1s'" id="t1"/>
      <cancel sendid="'t1'"/>
      <cancel sendid="'t1'"/>
    </onentry>
    <transition event="*"><script>seen.push(_event.name + ' ' + _event.data.sendid)</script></transition>
  </state>
</scxml>"""
    clock = VirtualClock()
    machine = machine_class(text)(clock=clock)
    machine.start()
    machine.send("outside", {"sendid": "-"})
    clock.advance(5)
    assert list(machine.dm["seen"]) == [
        "cancel.successful t1",
        "error.notallowed t1",
        "outside -",
    ]


UNDECLARED = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="timer" expr="'t2'"/><data id="seen" expr="[]"/></datamodel>
  <state id="s">
    <onentry>
      <send event="'a'" delay="'1s'" id="no_input"/>
      <send event="'b'" delay="'1s'" id="t2"/>
      <cancel sendid="no_input"/>
      <cancel sendid="timer"/>
    </onentry>
    <transition event="*"><script>seen.push(_event.name + ' ' + _event.data.sendid)</script></transition>
  </state>
</scxml>"""


def test_a_plain_name_the_document_does_not_declare_is_a_literal_with_a_warning() -> (
    None
):
    compilation = compile_text(UNDECLARED.replace("{ns}", NAMESPACES), "c.scxml")
    assert [str(w) for w in compilation.warnings] == [
        "c.scxml:7:15: warning: <cancel sendid>: 'no_input' names no variable of "
        "the document; read as the literal send id (write \"'no_input'\" to say so)"
    ]
    clock = VirtualClock()
    machine = machine_class(UNDECLARED)(clock=clock)
    machine.start()
    clock.advance(5)
    # `timer` is a <data> id: its value, 't2', names the send
    assert list(machine.dm["seen"]) == [
        "cancel.successful no_input",
        "cancel.successful t2",
    ]


def test_python_datamodel_ors_documents_answer_too() -> None:
    text = """<scxml {ns} datamodel="python" initial="s">
  <datamodel><data id="ids" expr="{'t': 't3'}"/><data id="seen" expr="[]"/></datamodel>
  <state id="s">
    <onentry>
      <send event="'x'" delay="'1s'" id="t3"/>
      <cancel sendid="ids['t']"/>
      <cancel sendid="ids['t']"/>
    </onentry>
    <transition event="*"><script>seen.append((_event.name, _event.data['sendid']))</script></transition>
  </state>
</scxml>"""
    clock = VirtualClock()
    machine = machine_class(text)(clock=clock)
    machine.start()
    clock.advance(5)
    assert machine.dm.seen == [  # type: ignore[attr-defined]
        ("cancel.successful", "t3"),
        ("error.notallowed", "t3"),
    ]


@pytest.mark.parametrize("sendid", ["timer", "'timer'"])
def test_w3c_documents_keep_a_literal_sendid_and_no_answer(sendid: str) -> None:
    text = f"""<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="ecmascript" initial="s">
  <datamodel><data id="seen" expr="[]"/></datamodel>
  <state id="s">
    <onentry>
      <send event="late" delay="1s" id="{sendid}"/>
      <cancel sendid="{sendid}"/>
    </onentry>
    <transition event="*"><script>seen.push(_event.name)</script></transition>
  </state>
</scxml>"""
    compilation = compile_text(text, "w3c.scxml")
    assert compilation.warnings == []
    clock = VirtualClock()
    machine = machine_class(text)(clock=clock)
    machine.start()
    clock.advance(5)
    assert list(machine.dm["seen"]) == []


def test_generated_cancels_type_check() -> None:
    text = """<scxml {ns} datamodel="python" initial="s">
  <datamodel><data id="ids" expr="{'t': 't3'}"/></datamodel>
  <state id="s">
    <onentry><cancel sendid="ids['t']"/><cancel sendid="no_input"/></onentry>
  </state>
</scxml>""".replace(
        "{ns}", NAMESPACES
    )
    source = compile_text(text, "typed.scxml").source
    assert typecheck_module(source, "typed.scxml") == []
