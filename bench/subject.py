"""What the harness needs to know about one implementation of one chart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: An instance of whatever class an implementation uses (opaque to the harness).
Machine = Any
#: Processes one external event to completion.
SendFn = Callable[[str], object]
#: (count, entries, exits): the datamodel of chart B.
BData = tuple[int, int, int]


class Unavailable(Exception):
    """The implementation cannot run here (library or scxmlc not importable/loadable)."""


class Unsupported(Exception):
    """The library cannot express this chart faithfully."""


@dataclass(frozen=True)
class Subject:
    """One implementation of one chart, ready to be checked and measured.

    ``new`` must return an instance that is already started (initial configuration
    entered, its entry actions run); the harness times it as "instantiate + start".
    """

    chart: str
    new: Callable[[], Machine]
    sender: Callable[[Machine], SendFn]
    leaves: Callable[[Machine], frozenset[str]]
    b_data: Callable[[Machine], BData] | None = None
    set_count: Callable[[Machine, int], None] | None = None
    note: str = ""
    load_seconds: float | None = None
    """Seconds ``build`` spent loading the chart (scxmlc: compiling it, or taking it
    from the cache), None where nothing is compiled."""


@dataclass(frozen=True)
class Implementation:
    """A row of the report: how to build a :class:`Subject` for each chart.

    ``build`` raises :class:`Unavailable` or :class:`Unsupported` when it cannot.
    ``distribution`` names the installed package whose version is reported.
    ``must_pass``: a failed check makes the run exit with status 1 (scxmlc and the
    reference); a peer's failure is a finding to report, not an error of this project.
    """

    name: str
    build: Callable[[str], Subject]
    distribution: str | None = None
    baseline: bool = False
    must_pass: bool = False
