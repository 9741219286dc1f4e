"""Clocks: where delayed `<send>`s, session starts and cross-session deliveries run.

A machine never blocks. Anything that must happen later (a delayed event, an event
for another session, a child session's start) is handed to the machine's clock as a
callback. `VirtualClock` keeps virtual time that tests advance by hand; `AsyncioClock`
runs callbacks on an asyncio event loop in real time.

Clocks also tell the wall-clock time (`wall_time()`, seconds since 1970-01-01 UTC)
that the ECMAScript `Date` of a session reads: a `VirtualClock`'s wall clock starts
at its `epoch` and moves only with virtual time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol

from .interpreted import mypyc_attr

__all__ = ["AsyncioClock", "Clock", "Timer", "VirtualClock", "wall_time"]


class Timer(Protocol):
    """A scheduled callback that can still be cancelled."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """What a machine needs of time: the current time and deferred callbacks."""

    has_ready: bool
    """True when callbacks are due that only `run_ready()` will run."""

    def now(self) -> float:
        """Seconds since an arbitrary epoch."""
        ...

    # Optional: `wall_time() -> float`, seconds since 1970-01-01 UTC, for `Date`.
    # A clock without it gives sessions the host's time.

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run `callback` after `delay` seconds (0: as soon as the caller returns)."""
        ...

    def run_ready(self) -> None:
        """Run the callbacks that are due now (a no-op for clocks with their own loop)."""
        ...


def wall_time(clock: object) -> float:
    """Seconds since 1970-01-01 UTC by `clock`: its `wall_time()` if it has
    one, else the host's time."""
    read = getattr(clock, "wall_time", None)
    return float(read()) if read is not None else time.time()


class _VirtualTimer:
    __slots__ = ("when", "seq", "callback", "cancelled")

    def __init__(self, when: float, seq: int, callback: Callable[[], None]) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: _VirtualTimer) -> bool:
        return (self.when, self.seq) < (other.when, other.seq)


@mypyc_attr(allow_interpreted_subclasses=True)
class VirtualClock:
    """Virtual time, advanced only by `advance()` and `run_until_idle()`.

    Callbacks run in time order, callbacks due at the same time in the order they were
    scheduled. Time never moves while a callback runs.

    `epoch` is the wall-clock time (seconds since 1970-01-01 UTC) the clock reads
    when created; by default the host's time at that moment. `wall_time()` is
    `epoch` plus the virtual seconds passed since: `VirtualClock(epoch=0)` makes
    a session's `new Date()` start at 1970-01-01T00:00:00.000Z, reproducibly.
    """

    def __init__(self, start: float = 0.0, *, epoch: float | None = None) -> None:
        self._now = start
        self._start = start
        self.epoch = time.time() if epoch is None else epoch
        self._queue: list[_VirtualTimer] = []
        self._seq = itertools.count()
        self._running = False
        self.has_ready = False

    def now(self) -> float:
        return self._now

    def wall_time(self) -> float:
        """Seconds since 1970-01-01 UTC: `epoch` plus the virtual time passed."""
        return self.epoch + (self._now - self._start)

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        timer = _VirtualTimer(self._now + max(delay, 0.0), next(self._seq), callback)
        heapq.heappush(self._queue, timer)
        if delay <= 0.0:
            self.has_ready = True
        return timer

    @property
    def pending(self) -> int:
        """How many callbacks are scheduled and not cancelled."""
        return sum(1 for timer in self._queue if not timer.cancelled)

    def next_due(self) -> float | None:
        """When the next live callback is due, or None when nothing is scheduled."""
        self._drop_cancelled()
        return self._queue[0].when if self._queue else None

    def run_ready(self) -> None:
        """Run every callback due at the current time, including ones they schedule."""
        self._run_through(self._now)

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`, running every callback that falls due."""
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        target = self._now + seconds
        self._run_through(target)
        self._now = target

    def run_until_idle(self, limit: float = 3600.0) -> None:
        """Run callbacks in time order until none is left or `limit` seconds pass."""
        self._run_through(self._now + limit)

    def _drop_cancelled(self) -> None:
        while self._queue and self._queue[0].cancelled:
            heapq.heappop(self._queue)

    def _run_through(self, target: float) -> None:
        if self._running:  # a callback advanced the clock: the outer loop goes on
            return
        self._running = True
        try:
            while True:
                self._drop_cancelled()
                if not self._queue or self._queue[0].when > target:
                    self.has_ready = (
                        bool(self._queue) and self._queue[0].when <= self._now
                    )
                    return
                timer = heapq.heappop(self._queue)
                self._now = max(self._now, timer.when)
                timer.callback()
        finally:
            self._running = False


@mypyc_attr(allow_interpreted_subclasses=True)
class AsyncioClock:
    """Real time on an asyncio event loop (the running loop unless one is given)."""

    has_ready = False

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def now(self) -> float:
        return self.loop.time()

    def wall_time(self) -> float:
        """Seconds since 1970-01-01 UTC: the host's time."""
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        if delay <= 0:
            return self.loop.call_soon(callback)
        return self.loop.call_later(delay, callback)

    def run_ready(self) -> None:
        """Nothing to do: the event loop runs due callbacks itself."""
