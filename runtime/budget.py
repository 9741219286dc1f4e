"""The budget of a macrostep: what one session may spend before it gives way.

Sessions share one thread (one asyncio loop in the session server): a session
whose document loops forever would stop all the others. Every macrostep (one
external event, or the start, and the eventless transitions and internal events
that follow) therefore has a `Budget`:

- `microsteps`: at most this many microsteps. An eventless transition that
  always fires, or a `<raise>` that feeds itself, exceeds it; the session is
  then terminated (`Machine._terminate`): it could never become stable.
- `seconds`: at most this much wall time. Generated code counts the passes
  of its loops and the calls of its functions (`Machine._fuel`); every
  `CHECK_EVERY` of them, and every `CHECK_EVERY` microsteps, the session reads
  the clock (`Machine._refuel`). Past the deadline, the executable content
  running raises `BudgetExceeded`, which ends its block with
  `error.execution` (SCXML 5.10), and the session is terminated before its
  next microstep.
- `queue`: at most this many events waiting in the internal queue. A
  `<raise>` (or `<send target="#_internal">`, ORS's `__Raise`) that would
  queue more raises `BudgetExceeded`: its block ends with `error.execution`.
  The events of the platform (`error.*`, `done.state.*`) are always queued.

Time is measured from the first check of the macrostep: from its start, give or
take `CHECK_EVERY` loop passes, calls or microsteps. `BudgetExceeded` is an
`ExecutionError`, which JavaScript's `catch` does not catch (the translated
`catch` lets it through): a script cannot outlive its budget by catching it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .errors import ExecutionError

__all__ = ["CHECK_EVERY", "DEFAULT_BUDGET", "Budget", "BudgetExceeded"]

CHECK_EVERY: Final = 256
"""Loop passes, function calls and microsteps between two reads of the clock.

Counting down from 256 stays among the small ints CPython caches: spending
fuel never allocates."""


@dataclass(frozen=True, slots=True)
class Budget:
    """What one macrostep of a session may spend (see the module docstring).

    The defaults stop a `<raise>` loop or an eventless loop in 0.05 to 0.2 s
    and a JavaScript `while (true) {}` in two seconds; no test of the W3C
    suite and no example comes near them.
    """

    microsteps: int = 100_000
    """Microsteps in one macrostep; more terminates the session."""
    seconds: float = 2.0
    """Wall time of one macrostep; more ends the running block and the session."""
    queue: int = 10_000
    """Events the internal queue may hold for `<raise>` to add one more."""

    def __post_init__(self) -> None:
        """Refuse a budget that would stop every session, or none."""
        if self.microsteps < 1 or self.queue < 1 or not self.seconds > 0:
            raise ValueError(f"every limit of a budget must be positive: {self}")


DEFAULT_BUDGET: Final = Budget()
"""The budget of sessions that were given none (`Machine.default_budget`)."""


class BudgetExceeded(ExecutionError):
    """A macrostep spent its budget: `error.execution` for the block that ran.

    JavaScript `catch` clauses let it through, so it ends the whole block.
    """
