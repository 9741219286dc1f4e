"""Durable sessions: what persistence costs the session server.

Usage (from the project root)::

    python bench/durable.py [--sessions N] [--events K] [--idle N]
                            [--redis URL] [--stores NAMES] [--markdown]

1. *Throughput*: a `SessionServer` on loopback (aiohttp, one event loop)
   with persistence off, with SQLite (`synchronous=full`, the default, and
   `normal`) and with Redis (a private `redis-server` with `appendonly yes`,
   `appendfsync everysec`, as `bench/store.py` starts it; or `--redis URL`).
   A client with 32 connections starts `--sessions` sessions of a small
   python-datamodel document over REST (sessions started/s), then sends each
   `--events` events (events/s, each answered 204 once durable; each one a
   macrostep the server saves).
2. *Snapshot size*: `machine.snapshot()` of a session of every example
   application right after it started on the simulated contact center, and
   of the Composer main workflow of tests/cases/composer.
3. *Memory*: Python heap (tracemalloc) per session of that document in
   memory, and per passivated session (what stays: its id), over 2,000
   sessions; then `--idle` sessions (default 100,000) started, saved to
   SQLite and passivated in one process, with the process's peak RSS.

`--stores off,memory,redis` (any of off, memory, sqlite-full,
sqlite-normal, redis) measures the throughput of those only, each run
`--repeat` times (min/median/max, with the process's CPU seconds), and
skips the rest: what the
persistence section of docs/performance.md uses. The table goes to stdout,
progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

import scxmlc  # noqa: E402
from bench.store import private_redis  # noqa: E402
from scxmlc.runtime import Machine, VirtualClock  # noqa: E402
from scxmlc.runtime.ors import Platform  # noqa: E402
from scxmlc.runtime.ors.durable import Durability  # noqa: E402
from scxmlc.runtime.ors.server import SessionServer  # noqa: E402
from scxmlc.runtime.sim import load_scenario  # noqa: E402
from scxmlc.runtime.sim.center import ContactCenter  # noqa: E402
from scxmlc.runtime.sim.model import Config  # noqa: E402
from scxmlc.runtime.sim.serving import simulated_server  # noqa: E402
from scxmlc.runtime.store import SessionStore, open_store  # noqa: E402

DOCUMENT = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="bench" initial="run">
  <datamodel><data id="n" expr="0"/><data id="last" expr="''"/></datamodel>
  <state id="run">
    <transition event="e"><assign location="n" expr="n + 1"/>
      <assign location="last" expr="_event.data.get('x', '')"/></transition>
  </state>
</scxml>
"""

CONNECTIONS = 32


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def document(folder: Path) -> type[Machine]:
    path = folder / "bench.scxml"
    path.write_text(DOCUMENT, encoding="utf-8")
    cls: type[Machine] = scxmlc.load(path)
    return cls


async def throughput(
    cls: type[Machine], url: str | None, sessions: int, events: int
) -> tuple[float, float]:
    """(sessions started/s, events/s) over REST with persistence in `url`."""
    server = simulated_server(
        lambda uri, base: cls,
        max_sessions=sessions + 10,
        max_sessions_per_caller=sessions + 10,
    )
    store: SessionStore | None = None
    if url is not None:
        store = await open_store(url)
        server.attach_durability(Durability(server.platform, store, node="bench"))
    try:
        async with server:
            return await _drive(server, sessions, events)
    finally:
        if store is not None:
            await store.close()


async def _drive(
    server: SessionServer, sessions: int, events: int
) -> tuple[float, float]:
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as http:
        gate = asyncio.Semaphore(CONNECTIONS)

        async def start() -> str:
            async with (
                gate,
                http.post(
                    f"{server.url}/scxml/session/start", data={"src": "bench"}
                ) as answer,
            ):
                assert answer.status == 200, await answer.text()
                sid: str = (await answer.json())["sessionid"]
                return sid

        began = time.perf_counter()
        sids = await asyncio.gather(*(start() for _ in range(sessions)))
        started = sessions / (time.perf_counter() - began)

        async def send(sid: str) -> None:
            for i in range(events):
                async with (
                    gate,
                    http.post(
                        f"{server.url}/scxml/session/{sid}/event/e", json={"x": str(i)}
                    ) as answer,
                ):
                    assert answer.status == 204, await answer.text()

        began = time.perf_counter()
        await asyncio.gather(*(send(sid) for sid in sids))
        sent = sessions * events / (time.perf_counter() - began)
        return started, sent


def snapshot_sizes() -> list[tuple[str, int | str]]:
    """(document, bytes of the snapshot of a session just started) of the
    examples and the Composer main workflow."""
    found: list[tuple[str, int | str]] = []
    paths = sorted((ROOT / "examples").glob("*.scxml"))
    composer = ROOT / "tests/cases/composer/src-gen/IPD_default_RoutingWorkflow.scxml"
    for path in [*paths, composer]:
        try:
            cls = scxmlc.load(path)
            clock = VirtualClock()
            scenario = path.with_suffix(".yaml")
            config = (
                load_scenario(str(scenario)).config
                if scenario.exists()
                else Config(start=0.0)
            )
            center = ContactCenter(config, clock)
            platform = Platform(center, clock)
            center.attach(platform)
            session = platform.start_session(cls)
            clock.advance(0.0)
            found.append((path.name, len(session.machine.snapshot())))
        except Exception as error:  # noqa: BLE001 - reported in the table
            found.append((path.name, f"{type(error).__name__}: {error}"[:80]))
    return found


async def memory(cls: type[Machine], folder: Path, count: int) -> tuple[float, float]:
    """Heap bytes per session in memory and per passivated session."""
    store = await open_store(f"sqlite:{folder / 'memory.db'}?synchronous=normal")
    clock_server = simulated_server(lambda uri, base: cls, max_sessions=count + 10)
    platform = clock_server.platform
    durability = Durability(platform, store, node="bench", passivate_after=3600)
    await durability.start()
    try:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(count):
            platform.start_session(cls)
        await _settle(durability)
        gc.collect()
        active = (tracemalloc.get_traced_memory()[0] - base) / count
        durability.passivate_idle(0.0)
        await _settle(durability)
        gc.collect()
        passive = (tracemalloc.get_traced_memory()[0] - base) / count
        tracemalloc.stop()
        assert not platform.sessions and len(durability.passive) == count
        return active, passive
    finally:
        await durability.close()
        await store.close()


async def _settle(durability: Durability) -> None:
    while durability._dirty or durability._flusher is not None:
        await asyncio.sleep(0.01)


async def idle(cls: type[Machine], folder: Path, count: int) -> tuple[float, float]:
    """(seconds, peak RSS MiB) to start, save and passivate `count` sessions
    in batches of 2,000 (the memory never holds more than a batch)."""
    store = await open_store(f"sqlite:{folder / 'idle.db'}?synchronous=normal")
    server = simulated_server(lambda uri, base: cls, max_sessions=count + 10)
    platform = server.platform
    durability = Durability(platform, store, node="bench", passivate_after=3600)
    await durability.start()
    began = time.perf_counter()
    try:
        left = count
        while left:
            batch = min(left, 2000)
            for _ in range(batch):
                platform.start_session(cls)
            await _settle(durability)
            durability.passivate_idle(0.0)
            await _settle(durability)
            platform.finished.clear()
            left -= batch
            log(f"  idle: {count - left:,} passivated")
        assert len(durability.passive) == count and not platform.sessions
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return time.perf_counter() - began, rss
    finally:
        await durability.close()
        await store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=5)
    parser.add_argument("--idle", type=int, default=100_000)
    parser.add_argument("--redis", metavar="URL")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--stores", metavar="NAMES")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if args.stores is not None:
        return _compare(args)
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="scxmlc-bench-durable-") as name:
        folder = Path(name)
        cls = document(folder)
        redis = private_redis() if args.redis is None else _given(args.redis)
        with redis as redis_url:
            stores: list[tuple[str, str | None]] = [
                (label, STORES[store](folder, redis_url))
                for label, store in (
                    ("off", "off"),
                    ("sqlite (full)", "sqlite-full"),
                    ("sqlite (normal)", "sqlite-normal"),
                )
            ]
            if redis_url is not None:
                stores.append(("redis", redis_url))
            base: tuple[float, float] | None = None
            for label, url in stores:
                log(f"throughput: {label}")
                result = asyncio.run(throughput(cls, url, args.sessions, args.events))
                base = base or result
                rows.append(
                    [
                        f"{label}",
                        f"{result[0]:,.0f} sessions/s ({result[0] / base[0]:.0%})",
                        f"{result[1]:,.0f} events/s ({result[1] / base[1]:.0%})",
                    ]
                )
        log("snapshot sizes")
        sizes = snapshot_sizes()
        log("memory")
        active, passive = asyncio.run(memory(cls, folder, 2000))
        log(f"idle: {args.idle:,} sessions")
        seconds, rss = asyncio.run(idle(cls, folder, args.idle))
    _table(["persistence", "sessions started", "events"], rows, args.markdown)
    print()
    _table(
        ["document", "snapshot bytes"],
        [
            [name, f"{size:,}" if isinstance(size, int) else size]
            for name, size in sizes
        ],
        args.markdown,
    )
    print()
    _table(
        ["memory", "bytes per session"],
        [
            ["in memory (active)", f"{active:,.0f}"],
            ["passivated", f"{passive:,.0f}"],
        ],
        args.markdown,
    )
    print()
    print(
        f"{args.idle:,} idle sessions started, saved and passivated in "
        f"{seconds:.1f} s; peak RSS {rss:,.0f} MiB"
    )
    return 0


STORES = {
    "off": lambda folder, redis: None,
    "memory": lambda folder, redis: "memory:",
    "sqlite-full": lambda folder, redis: f"sqlite:{folder / 'full.db'}",
    "sqlite-normal": lambda folder, redis: (
        f"sqlite:{folder / 'normal.db'}?synchronous=normal"
    ),
    "redis": lambda folder, redis: redis,
}


def _compare(args: argparse.Namespace) -> int:
    """Events/s of each store of `--stores`, `--repeat` rounds of one run
    each (the stores interleaved); min/median/max, each round's share of
    the first store's rate, and the median CPU seconds of this process (the
    server and the client) for a whole run, starts included."""
    names = args.stores.split(",")
    unknown = [name for name in names if name not in STORES]
    if unknown:
        raise SystemExit(f"--stores: no such store {', '.join(unknown)}")
    rates: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    """CPU seconds of this process (server and client) per run."""
    with tempfile.TemporaryDirectory(prefix="scxmlc-bench-durable-") as name:
        folder = Path(name)
        cls = document(folder)
        redis = private_redis() if args.redis is None else _given(args.redis)
        with redis as redis_url:
            for round in range(args.repeat):
                for store in names:
                    url = STORES[store](folder, redis_url)
                    if store == "redis" and url is None:
                        raise SystemExit("--stores redis: no redis-server found")
                    for old in folder.glob("*.db*"):
                        old.unlink()
                    log(f"round {round + 1}: {store}")
                    cpu = time.process_time()
                    result = asyncio.run(
                        throughput(cls, url, args.sessions, args.events)
                    )
                    cpus[store].append(time.process_time() - cpu)
                    rates[store].append(result[1])
    first = rates[names[0]]
    rows = []
    for store in names:
        shares = [rate / base for rate, base in zip(rates[store], first)]
        rows.append(
            [
                store,
                " / ".join(
                    f"{value:,.0f}"
                    for value in (
                        min(rates[store]),
                        statistics.median(rates[store]),
                        max(rates[store]),
                    )
                ),
                f"{min(shares):.0%} / {statistics.median(shares):.0%} / "
                f"{max(shares):.0%}",
                f"{statistics.median(cpus[store]):.2f} s",
            ]
        )
    _table(
        [
            "persistence",
            "events/s (min / median / max)",
            f"share of {names[0]}",
            "CPU (median)",
        ],
        rows,
        args.markdown,
    )
    return 0


def _table(head: list[str], rows: list[list[str]], markdown: bool) -> None:
    table = [head, *rows]
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join(" --- " for _ in head) + "|")
        for line in rows:
            print("| " + " | ".join(line) + " |")
        return
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)))


class _given:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: Any) -> None:
        return None


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
