"""Check an implementation against ``spec.py`` before it is timed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from bench.charts import spec
from bench.subject import BData, Machine, Subject

#: Full event cycles run by the check (the datamodel is checked after each).
CHECK_CYCLES = 3

T = TypeVar("T")


class CheckFailed(Exception):
    """The implementation does not behave as ``spec.py`` says."""


@contextmanager
def _step(where: str) -> Iterator[None]:
    """Turn any exception raised by the implementation into a located CheckFailed."""
    try:
        yield
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(f"{where}: raised {type(exc).__name__}: {exc}") from exc


def _read(reader: Callable[[Machine], T], machine: Machine, where: str) -> T:
    """``reader(machine)``, any exception reported as a CheckFailed at ``where``."""
    with _step(where):
        return reader(machine)


def _show(states: Iterable[str]) -> str:
    """A state set as sorted ``{a, b}`` for messages."""
    return "{" + ", ".join(sorted(states)) + "}"


def _expect_leaves(
    subject: Subject, machine: Machine, expected: set[str], where: str
) -> None:
    """Raise :class:`CheckFailed` unless the active atomic states are ``expected``."""
    got = _read(subject.leaves, machine, where)
    if got != expected:
        raise CheckFailed(
            f"{where}: active atomic states {_show(got)}, expected {_show(expected)}"
        )


def _expect_b_data(
    subject: Subject, machine: Machine, expected: BData, where: str
) -> None:
    """Raise :class:`CheckFailed` unless chart B's (count, entries, exits) are ``expected``."""
    if subject.b_data is None:
        raise CheckFailed(f"{where}: no datamodel accessor for chart {subject.chart}")
    got = tuple(
        _read(subject.b_data, machine, f"{where}, reading (count, entries, exits)")
    )
    if got != expected:
        raise CheckFailed(
            f"{where}: (count, entries, exits) = {got}, expected {expected}"
        )


def _send(subject: Subject, machine: Machine, event: str, where: str) -> None:
    """Send ``event``; an exception is a CheckFailed naming the event."""
    with _step(f"{where}, sending {event!r}"):
        subject.sender(machine)(event)


def _new(subject: Subject, which: str) -> Machine:
    """Create and start an instance; an exception is a CheckFailed."""
    with _step(f"{which}: instantiate + start"):
        return subject.new()


def _check_cycles(subject: Subject, machine: Machine, which: str) -> None:
    """Leaves after start and after every event of CHECK_CYCLES cycles; B's data per cycle."""
    cycle: tuple[str, ...] = spec.CYCLES[subject.chart]
    expected: list[set[str]] = spec.LEAVES[subject.chart]
    _expect_leaves(subject, machine, expected[0], f"{which}, after start")
    for k in range(CHECK_CYCLES):
        if subject.b_data is not None:
            _expect_b_data(
                subject,
                machine,
                spec.expected_b_data(k),
                f"{which}, after {k} cycle(s)",
            )
        for i, event in enumerate(cycle):
            where = f"{which}, cycle {k + 1}"
            _send(subject, machine, event, where)
            _expect_leaves(
                subject, machine, expected[i + 1], f"{where}, after {event!r}"
            )
    if subject.b_data is not None:
        _expect_b_data(
            subject,
            machine,
            spec.expected_b_data(CHECK_CYCLES),
            f"{which}, after {CHECK_CYCLES} cycles",
        )


def _check_guard_fallback(subject: Subject) -> None:
    """Chart B with count == GUARD_N: e3 must take the unguarded fallback to s3.

    Not part of spec.py's cycle, but the chart's guard/fallback pair is what B measures,
    so an implementation that cannot fall back is not running chart B.
    From start: e1 (count 1), set count = GUARD_N, e3 exits s11 and enters s3 > s31 > s311
    (no counted entry), e5 enters s1 > s11 > s111 (one counted entry).
    """
    if subject.set_count is None or subject.b_data is None:
        return
    which = "guard fallback (count = GUARD_N)"
    machine = _new(subject, which)
    _send(subject, machine, "e1", which)
    with _step(f"{which}, setting count"):
        subject.set_count(machine, spec.GUARD_N)
    _send(subject, machine, "e3", which)
    _expect_leaves(subject, machine, {"s311"}, f"{which}, after 'e3'")
    _send(subject, machine, "e5", which)
    _expect_leaves(subject, machine, {"s111"}, f"{which}, after 'e5'")
    _expect_b_data(subject, machine, (spec.GUARD_N, 2, 1), f"{which}, after 'e5'")


def check(subject: Subject) -> None:
    """Raise :class:`CheckFailed` with a located reason if ``subject`` breaks spec.py.

    Two instances are created up front and checked one after the other, so that state
    shared between instances (or initialised only once per class) is caught: every
    timed and memory-measured instance is a later one.
    """
    first = _new(subject, "1st instance")
    second = _new(subject, "2nd instance")
    _check_cycles(subject, first, "1st instance")
    _check_cycles(subject, second, "2nd instance")
    _check_guard_fallback(subject)


def check_after_timing(subject: Subject, machine: Machine, cycles: int) -> None:
    """After ``cycles`` timed cycles the machine must be back at its start configuration.

    For B the datamodel must also account for every cycle, which catches an
    implementation that silently stopped processing events while it was being timed.
    """
    expected: list[set[str]] = spec.LEAVES[subject.chart]
    where = f"after {cycles} timed cycles"
    _expect_leaves(subject, machine, expected[0], where)
    if subject.b_data is not None:
        _expect_b_data(subject, machine, spec.expected_b_data(cycles), where)
