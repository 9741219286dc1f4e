"""The W3C SCXML 1.0 IRP tests, compiled and run.

A test passes when its session ends in the top-level final state `pass`. Tests run
on a virtual clock, except those of the Basic HTTP Event I/O Processor, which run
in real time on an asyncio loop with an `HttpEventProcessor`. Every expected
failure is listed with its reason in `w3c.EXPECTED_FAILURES`, and a listed test
that passes fails the run.
"""

from __future__ import annotations

import asyncio
import os

import pytest

import scxmlc
from scxmlc.runtime import AsyncioClock, Machine, VirtualClock
from scxmlc.runtime.basichttp import HttpEventProcessor

from realtime import until_finished
from w3c import EXPECTED_FAILURES, SUITE, Case, cases

if not SUITE.is_dir() and os.environ.get("CI"):
    raise RuntimeError(f"the W3C suite must be at {SUITE} in CI")
pytestmark = pytest.mark.skipif(
    not SUITE.is_dir(), reason=f"W3C suite not found at {SUITE}"
)

CASES = (
    [*cases("python"), *cases("ecmascript"), *cases("null")] if SUITE.is_dir() else []
)


HTTP_LIMIT = 60.0
"""Real seconds an HTTP test may run (its own timeouts are at most 30 s)."""


def outcome(case: Case) -> str:
    """The top-level final state the test's session ended in, or a description."""
    machine_class = scxmlc.load(case.path, default_datamodel=case.datamodel)
    if case.http:
        return asyncio.run(http_outcome(machine_class))
    clock = VirtualClock()
    machine = machine_class(clock)
    machine.start()
    clock.run_until_idle(limit=300.0)
    return final_state(machine)


async def http_outcome(machine_class: type[Machine]) -> str:
    """Run a session registered with a Basic HTTP processor until it finishes."""
    async with HttpEventProcessor() as http:
        machine = machine_class(AsyncioClock())
        http.register(machine)
        machine.start()
        await until_finished(machine, HTTP_LIMIT)
    return final_state(machine)


def final_state(machine: Machine) -> str:
    """`pass`, `fail`, or how the session ended otherwise."""
    if not machine.finished:
        return f"still running in {sorted(machine.configuration)}"
    for state in ("pass", "fail"):
        if state in machine.configuration:
            return state
    return f"finished in {sorted(machine.configuration)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_w3c(case: Case) -> None:
    expected_failure = EXPECTED_FAILURES[case.datamodel].get(case.name)
    try:
        result = outcome(case)
    except scxmlc.compiler.CompileError as error:
        result = f"rejected: {error.diagnostics[0]}"
    if expected_failure is not None:
        if result == "pass":
            pytest.fail(f"listed as an expected failure but passes: {expected_failure}")
        pytest.xfail(expected_failure)
    assert result == "pass", result


def test_expected_failures_name_real_tests() -> None:
    names = {c.name for c in CASES}
    for datamodel, failures in EXPECTED_FAILURES.items():
        assert (
            set(failures) <= names
        ), f"{datamodel}: unknown tests {set(failures) - names}"
