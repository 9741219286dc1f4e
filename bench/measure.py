"""Timing and memory measurements (no checks in here: see checks.py)."""

from __future__ import annotations

import gc
import math
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.charts import spec
from bench.subject import Machine, SendFn, Subject

#: Events per pre-built block: a whole number of cycles of every chart (A 2, B 5, C 3).
BLOCK_EVENTS = 30


@dataclass(frozen=True)
class Budget:
    """How long to measure: the normal run or ``--quick``."""

    sample_seconds: float  # per throughput sample
    samples: int  # throughput samples (the median is reported)
    start_batch_seconds: float  # per instantiate+start batch
    start_batches: int  # batches (the median is reported)
    memory_seconds: float  # rough time allowed to create the instances kept alive
    memory_min: int  # instances kept alive, at least ...
    memory_max: int  # ... and at most


NORMAL = Budget(0.3, 5, 0.02, 15, 0.5, 50, 1000)
QUICK = Budget(0.03, 5, 0.004, 7, 0.05, 20, 200)


def event_block(chart: str) -> list[str]:
    """The chart's cycle repeated to BLOCK_EVENTS events (returns to the start config)."""
    cycle: tuple[str, ...] = spec.CYCLES[chart]
    if BLOCK_EVENTS % len(cycle):
        raise ValueError(
            f"BLOCK_EVENTS must be a multiple of the cycle length of {chart}"
        )
    return list(cycle) * (BLOCK_EVENTS // len(cycle))


def _time_blocks(send: SendFn, block: list[str], repeats: int) -> float:
    """Seconds to send ``block`` ``repeats`` times (the timed loop itself)."""
    perf_counter = time.perf_counter
    start = perf_counter()
    for _ in range(repeats):
        for event in block:
            send(event)
    return perf_counter() - start


@dataclass
class Throughput:
    """A machine being timed, and the events/s samples taken so far."""

    subject: Subject
    machine: Machine
    send: SendFn
    block: list[str]
    repeats: int = 1
    events_sent: int = 0
    samples: list[float] = field(default_factory=list)

    @property
    def cycles_sent(self) -> int:
        """Full cycles sent to ``machine`` so far (blocks are whole cycles)."""
        return self.events_sent // len(spec.CYCLES[self.subject.chart])

    @property
    def median(self) -> float:
        """Median events/s over the samples taken."""
        if not self.samples:
            raise ValueError("no samples taken")
        return statistics.median(self.samples)


def prepare_throughput(subject: Subject, budget: Budget) -> Throughput:
    """Create a started machine and calibrate the repeats for ~budget.sample_seconds."""
    machine = subject.new()
    run = Throughput(
        subject, machine, subject.sender(machine), event_block(subject.chart)
    )
    repeats = 1
    while True:
        elapsed = _time_blocks(run.send, run.block, repeats)
        run.events_sent += repeats * len(run.block)
        if elapsed >= budget.sample_seconds / 10 or repeats >= 1 << 24:
            break
        repeats *= 4
    run.repeats = max(
        1, math.ceil(repeats * budget.sample_seconds / max(elapsed, 1e-9))
    )
    return run


def take_sample(run: Throughput) -> None:
    """Take one events/s sample of ``run`` (after a gc.collect())."""
    gc.collect()
    elapsed = _time_blocks(run.send, run.block, run.repeats)
    events = run.repeats * len(run.block)
    run.events_sent += events
    run.samples.append(events / elapsed)


def start_microseconds(new: Callable[[], Machine], budget: Budget) -> float:
    """Median µs to create and start one instance (batches, the instance dropped after)."""
    perf_counter = time.perf_counter
    batch = 1
    while True:  # calibrate the batch size
        start = perf_counter()
        for _ in range(batch):
            new()
        elapsed = perf_counter() - start
        if elapsed >= budget.start_batch_seconds / 4 or batch >= 1 << 20:
            break
        batch *= 4
    batch = max(1, math.ceil(batch * budget.start_batch_seconds / max(elapsed, 1e-9)))
    per_instance: list[float] = []
    for _ in range(budget.start_batches):
        gc.collect()
        start = perf_counter()
        for _ in range(batch):
            new()
        per_instance.append((perf_counter() - start) / batch)
    return statistics.median(per_instance) * 1e6


def memory_instances(start_us: float, budget: Budget) -> int:
    """How many live instances to measure, from the time one takes to create."""
    affordable = int(budget.memory_seconds / max(start_us * 1e-6, 1e-9))
    return max(budget.memory_min, min(budget.memory_max, affordable))


def bytes_per_instance(new: Callable[[], Machine], count: int) -> float:
    """tracemalloc-traced bytes per started instance, with ``count`` kept alive.

    Classes, modules and loaded charts exist before tracing starts, and the list that
    keeps the instances alive is allocated before too, so only the instances count.
    """
    alive: list[Machine] = [None] * count
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            alive[i] = new()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del alive
    return (after - before) / count
