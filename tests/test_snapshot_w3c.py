"""The W3C SCXML 1.0 IRP tests again, with every session snapshotted and restored.

After every macrostep of any session of a test (the observer's `on_stable`),
the root session is captured to bytes (its children with it), disposed, and
restored into a fresh instance on the same clock, which runs on. A test passes
as it does in `test_w3c.py`: the restored session ends in `pass`. The expected
failures are those of `test_w3c.py`, with the same reasons.

Tests of the Basic HTTP processor run in real time on an asyncio loop, as in
`test_w3c.py`; each restored session is registered with the processor again.
"""

from __future__ import annotations

import asyncio
import os

import pytest

import scxmlc
from scxmlc.runtime import AsyncioClock, Machine, Observer, VirtualClock
from scxmlc.runtime.basichttp import HttpEventProcessor
from scxmlc.runtime.snapshot import SnapshotError

from test_w3c import HTTP_LIMIT, final_state
from w3c import EXPECTED_FAILURES, SUITE, Case, cases

if not SUITE.is_dir() and os.environ.get("CI"):
    raise RuntimeError(f"the W3C suite must be at {SUITE} in CI")
pytestmark = pytest.mark.skipif(
    not SUITE.is_dir(), reason=f"W3C suite not found at {SUITE}"
)

DATAMODELS = ("python", "null", "ecmascript")
"""The datamodels whose sessions run here (drop one to run the others alone)."""

NOT_CAPTURABLE: dict[str, str] = {
    "python/test452": "its <script> defines a Python class: an instance of a class "
    "local to a script has no name a restored session could find",
}
"""Tests whose sessions hold a value a snapshot refuses, and why: each must fail
with a `SnapshotError` naming the `<data>` that holds it (so the list cannot go
stale), never with a partial snapshot."""

CASES = [c for d in DATAMODELS for c in cases(d)] if SUITE.is_dir() else []


class Reincarnation(Observer):
    """After each macrostep of any session, replaces the root session by a
    restored copy of its snapshot (its children by restored copies too)."""

    def __init__(self, root: Machine, http: HttpEventProcessor | None = None) -> None:
        self.root = root
        self.http = http
        self.restores = 0

    def on_stable(self, machine: Machine) -> None:
        root = machine
        while root._parent is not None:
            root = root._parent
        if root is not self.root:
            return  # a session this one replaced: it does nothing any more
        data = root.snapshot()
        root.dispose()
        self.root = type(root).restore(data, root.clock, observer=self)
        if self.http is not None:
            self.http.register(self.root)
        self.restores += 1


def outcome(case: Case) -> tuple[str, int]:
    """How the test's session ended, and how often it was restored."""
    machine_class = scxmlc.load(case.path, default_datamodel=case.datamodel)
    if case.http:
        return asyncio.run(http_outcome(machine_class))
    clock = VirtualClock()
    machine = machine_class(clock)
    observer = Reincarnation(machine)
    machine.observer = observer
    machine.start()
    clock.run_until_idle(limit=300.0)
    return final_state(observer.root), observer.restores


async def http_outcome(machine_class: type[Machine]) -> tuple[str, int]:
    """Run a session registered with a Basic HTTP processor until it finishes."""
    async with HttpEventProcessor() as http:
        machine = machine_class(AsyncioClock())
        observer = Reincarnation(machine, http)
        machine.observer = observer
        http.register(machine)
        machine.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HTTP_LIMIT
        while not observer.root.finished and loop.time() < deadline:
            await asyncio.sleep(0.01)
    return final_state(observer.root), observer.restores


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_w3c_restored_after_every_macrostep(case: Case) -> None:
    refused = NOT_CAPTURABLE.get(case.id)
    if refused is not None:
        with pytest.raises(SnapshotError, match=r"cannot capture <data id="):
            outcome(case)
        return
    expected_failure = EXPECTED_FAILURES[case.datamodel].get(case.name)
    try:
        result, restores = outcome(case)
    except scxmlc.compiler.CompileError as error:
        result, restores = f"rejected: {error.diagnostics[0]}", 0
    if expected_failure is not None:
        if result == "pass":
            pytest.fail(f"listed as an expected failure but passes: {expected_failure}")
        pytest.xfail(expected_failure)
    assert result == "pass", result
    assert restores > 0
