"""bench/load.py on a small load: every call is routed and every session ends.

The benchmark checks its own outcome (`bench.load.check`) and raises `LoadFailed`
when a session did not start, route its call, or end in its final state; here it
runs with 50 sessions on both clocks and both datamodels. Nothing is timed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

import scxmlc
import scxmlc.runtime

ROOT = Path(__file__).resolve().parents[1]


def _load_bench() -> ModuleType:
    sys.path.insert(0, str(ROOT))
    try:
        from bench import load
    finally:
        sys.path.remove(str(ROOT))
    return load


@pytest.mark.parametrize("clock", ["virtual", "asyncio"])
@pytest.mark.parametrize("datamodel", ["ecmascript", "python"])
def test_every_call_is_routed_and_every_session_ends(
    datamodel: str, clock: str
) -> None:
    load = _load_bench()
    result = load.measure(datamodel, clock, 50, tracemalloc_run=clock == "virtual")
    assert (result.sessions, result.peak) == (50, 50)
    assert result.events == 6 * 50  # added, present, requestid, done, redirect, deleted
    assert result.traced_bytes is None or result.traced_bytes > 0
    native_runtime = getattr(scxmlc.runtime, "NATIVE", False)
    assert result.build == ("native runtime" if native_runtime else "pure")


def test_the_check_fails_loudly_when_a_call_is_not_routed() -> None:
    load = _load_bench()
    application = scxmlc.load(str(load.APPLICATIONS["python"]))
    outcome = load.run_virtual(application, 5, load._Window(traced=False))
    load.check(outcome, 5)
    next(iter(outcome.center.contacts.values())).routed_to = "DN 8000"
    with pytest.raises(load.LoadFailed, match="1 calls not routed to an agent"):
        load.check(outcome, 5)
    with pytest.raises(load.LoadFailed, match="5 of 6 sessions alive at the peak"):
        load.check(outcome, 6)


@pytest.mark.skipif(
    getattr(scxmlc.runtime, "NATIVE", False), reason="the runtime core is compiled"
)
def test_native_modules_on_the_pure_runtime_run_pure() -> None:
    load = _load_bench()
    result = load.measure("python", "virtual", 20, tracemalloc_run=False, native=True)
    assert (result.sessions, result.build) == (20, "pure")
