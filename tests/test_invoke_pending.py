"""`<invoke>` of a document the resolver is still compiling (in a worker
thread, as `scxmlc serve` does): the invoke waits, events sent to the child
meanwhile wait with it, and leaving the state cancels it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import scxmlc
from scxmlc.runtime import Machine, VirtualClock, invoke
from scxmlc.runtime.invoke import DocumentPending

SCXML = 'xmlns="http://www.w3.org/2005/07/scxml" version="1.0"'

PARENT = f"""<scxml {SCXML} datamodel="ecmascript" name="parent" initial="calling">
  <datamodel><data id="error" expr="''"/></datamodel>
  <state id="calling">
    <invoke id="child" srcexpr="'child.scxml'"/>
    <transition event="greet"><send target="#_child" event="hello"/></transition>
    <transition event="answer" target="answered"/>
    <transition event="leave" target="left"/>
    <transition event="error.execution" target="failed">
      <assign location="error" expr="_event.data.message"/>
    </transition>
  </state>
  <state id="answered"/>
  <state id="left"/>
  <state id="failed"/>
</scxml>
"""

CHILD = f"""<scxml {SCXML} datamodel="ecmascript" name="child">
  <state id="waiting">
    <transition event="hello" target="done">
      <send target="#_parent" event="answer"/>
    </transition>
  </state>
  <final id="done"/>
</scxml>
"""


class Compiling(DocumentPending):
    """The resolver's answer while the document compiles."""

    def __init__(self, resolver: SlowResolver) -> None:
        super().__init__("compiling")
        self.resolver = resolver

    def when_ready(self, callback: Callable[[], object]) -> None:
        self.resolver.waiting.append(callback)


class SlowResolver:
    """Answers `Compiling` until `finish` is called, then the class (or the
    error `finish` was given)."""

    def __init__(self, cls: type[Machine]) -> None:
        self.cls = cls
        self.ready = False
        self.failure: Exception | None = None
        self.waiting: list[Callable[[], object]] = []
        self.asked = 0

    def load(self, uri: str, base: str) -> type[Machine]:
        self.asked += 1
        if not self.ready:
            raise Compiling(self)
        if self.failure is not None:
            raise self.failure
        return self.cls

    def compile_text(self, text: str, base: str) -> type[Machine]:
        raise AssertionError("not used")

    def finish(self, failure: Exception | None = None) -> None:
        self.ready, self.failure = True, failure
        for callback in self.waiting:
            callback()


@pytest.fixture
def documents(tmp_path: Path) -> tuple[type[Machine], type[Machine]]:
    (tmp_path / "parent.scxml").write_text(PARENT, encoding="utf-8")
    (tmp_path / "child.scxml").write_text(CHILD, encoding="utf-8")
    parent = scxmlc.load(tmp_path / "parent.scxml")
    child = scxmlc.load(tmp_path / "child.scxml")
    return parent, child


@pytest.fixture
def slow(
    documents: tuple[type[Machine], type[Machine]],
) -> SlowResolver:
    resolver = SlowResolver(documents[1])
    invoke.set_document_resolver(resolver)
    yield resolver
    invoke.set_document_resolver(None)


def test_the_invoke_waits_and_the_child_gets_what_was_sent_meanwhile(
    documents: tuple[type[Machine], type[Machine]], slow: SlowResolver
) -> None:
    parent = documents[0](VirtualClock())
    parent.start()
    parent.clock.run_ready()  # type: ignore[attr-defined]
    assert parent.configuration == {"calling"} and slow.waiting
    parent.send("greet")  # the child does not exist yet: "hello" waits for it
    assert parent.configuration == {"calling"}
    slow.finish()
    parent.clock.run_ready()  # type: ignore[attr-defined]
    assert parent.configuration == {"answered"}


def test_leaving_the_state_cancels_the_waiting_invoke(
    documents: tuple[type[Machine], type[Machine]], slow: SlowResolver
) -> None:
    parent = documents[0](VirtualClock())
    parent.start()
    parent.clock.run_ready()  # type: ignore[attr-defined]
    parent.send("leave")
    asked = slow.asked
    slow.finish()
    parent.clock.run_ready()  # type: ignore[attr-defined]
    assert parent.configuration == {"left"}
    assert slow.asked == asked  # not resolved again: nobody waits for it
    assert not parent._invocations


def test_a_document_that_fails_to_compile_is_error_execution(
    documents: tuple[type[Machine], type[Machine]], slow: SlowResolver
) -> None:
    parent = documents[0](VirtualClock())
    parent.start()
    parent.clock.run_ready()  # type: ignore[attr-defined]
    slow.finish(invoke.ExecutionError("src 'child.scxml' does not compile (1 error)"))
    parent.clock.run_ready()  # type: ignore[attr-defined]
    assert parent.configuration == {"failed"}
    assert parent.dm["error"] == "src 'child.scxml' does not compile (1 error)"
