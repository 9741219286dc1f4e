"""Session stores: saves/s and appends/s of each store, with 4 KiB snapshots.

Usage (from the project root)::

    python bench/store.py [--seconds S] [--concurrency N] [--snapshot BYTES]
                          [--redis URL] [--markdown]

For each store (memory; SQLite with `synchronous=full` and `normal`, in a
temporary directory; Redis) it measures, each for about `--seconds`:

- *append*: `store.append(sid, 200 bytes)`, what the server awaits before it
  answers 204;
- *save+ack*: `store.save(record, acked=seq)` with a `--snapshot`-byte
  snapshot, consuming one queued event (appended beforehand, not timed; at
  most 50,000 a session, then it acknowledges nothing new), what
  the server does at the end of each macrostep;

once sequentially (one call awaited after the other: the latency) and once
with `--concurrency` tasks over as many sessions (the throughput of one
server's event loop). Without `--redis` the bench starts a private
`redis-server` on a free loopback port with `appendonly yes` and `appendfsync
everysec` (Redis's durable default) in a temporary directory, and a Redis
Cluster of three such nodes (`redis+cluster://`), and stops them; without a
redis-server binary the Redis rows are skipped. The table goes to
stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import ContextManager
from contextlib import contextmanager, nullcontext
from pathlib import Path

from scxmlc.runtime.store import SessionRecord, SessionStore, store_from_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from redis_processes import (
    find_redis_server,
    redis_version,
    running_cluster,
    stop_redis,
)
from redis_processes import start_redis as shared_start_redis

EVENT = b"e" * 200


def record(sid: str, token: int, snapshot: bytes) -> SessionRecord:
    now = time.time()
    return SessionRecord(sid, snapshot, "app.scxml", "f00d", "bench", token, now, now)


async def rate(
    seconds: float, tasks: int, op: Callable[[int, int], Awaitable[None]]
) -> float:
    """Operations per second of `op(task, i)` run by `tasks` tasks for about
    `seconds`."""
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker(task: int) -> None:
        nonlocal count
        i = 0
        while time.perf_counter() < deadline:
            await op(task, i)
            i += 1
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(t) for t in range(tasks)))
    return count / (time.perf_counter() - start)


async def measure(
    store: SessionStore, seconds: float, tasks: int, snapshot: bytes
) -> dict[str, float]:
    await store.connect()
    token = await store.acquire_lease("bench", 3600)
    sids = [f"bench-{i}" for i in range(tasks)]
    for sid in sids:
        await store.save(record(sid, token, snapshot), new=True)
    results = {}
    for label, n in (("sequential", 1), ("concurrent", tasks)):

        async def append(task: int, i: int) -> None:
            await store.append(sids[task], EVENT)

        results[f"append {label}"] = await rate(seconds, n, append)
        # queue one event per save to come, untimed
        queued: list[list[int]] = [[] for _ in sids]
        per_task = min(int(results[f"append {label}"] * seconds / n * 2) + 100, 50000)
        for task in range(n):
            for event in await store.pending(sids[task]):
                queued[task].append(event.seq)
            for _ in range(per_task):
                seq = await store.append(sids[task], EVENT)
                assert seq is not None
                queued[task].append(seq)
        records = [record(sid, token, snapshot) for sid in sids]

        async def save(task: int, i: int) -> None:
            await store.save(records[task], acked=queued[task][min(i, per_task - 1)])

        results[f"save+ack {label}"] = await rate(seconds, n, save)
    await store.close()
    return results


def start_redis(
    binary: str, folder: str, password: str, **options: str
) -> tuple[subprocess.Popen[bytes], int]:
    """A redis-server on a free loopback port with AOF (`everysec`) in
    `folder`, once it answers."""
    return shared_start_redis(
        binary,
        folder,
        password,
        10,
        appendonly="yes",
        appendfsync="everysec",
        **options,
    )


@contextmanager
def private_redis(nodes: int = 1) -> Iterator[str | None]:
    """The URL of a private Redis (`nodes` 1) or Redis Cluster (`nodes` 3
    primaries, made with redis-cli), or None without redis-server."""
    binary = find_redis_server()
    if binary is None:
        yield None
        return
    folder = tempfile.mkdtemp(prefix="scxmlc-bench-redis-")
    password = secrets.token_hex(16)
    processes = []
    try:
        if nodes == 1:
            process, port = start_redis(binary, folder, password)
            processes.append(process)
            yield f"redis://:{password}@127.0.0.1:{port}/0"
            return
        with running_cluster(
            binary,
            folder,
            password,
            nodes,
            10,
            appendonly="yes",
            appendfsync="everysec",
        ) as ports:
            yield f"redis+cluster://:{password}@127.0.0.1:{ports[0]}"
    finally:
        for process in processes:
            stop_redis(process)
        shutil.rmtree(folder, ignore_errors=True)


def version() -> str:
    """The version of the redis-server the bench starts, or `?`."""
    binary = find_redis_server()
    try:
        said = redis_version(binary) if binary is not None else ""
        return said.split()[2].removeprefix("v=")
    except (OSError, IndexError):
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--snapshot", type=int, default=4096)
    parser.add_argument("--redis", help="a Redis URL to use instead of a private one")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    snapshot = os.urandom(args.snapshot)
    columns = [
        "append sequential",
        "append concurrent",
        "save+ack sequential",
        "save+ack concurrent",
    ]
    rows: list[tuple[str, dict[str, float] | None]] = []
    with tempfile.TemporaryDirectory(prefix="scxmlc-bench-store-") as tmp:
        stores: list[tuple[str, Callable[[], ContextManager[str | None]], str]] = [
            ("memory", nullcontext, "memory:"),
            ("sqlite, synchronous=full", nullcontext, f"sqlite:{tmp}/full.db"),
            (
                "sqlite, synchronous=normal",
                nullcontext,
                f"sqlite:{tmp}/normal.db?synchronous=normal",
            ),
            (
                f"redis {version()}, appendfsync everysec",
                (lambda: _given(args.redis)) if args.redis else private_redis,
                "",
            ),
        ]
        if not args.redis:
            stores.append(
                (
                    f"redis {version()} cluster, 3 nodes, appendfsync everysec",
                    lambda: private_redis(3),
                    "",
                )
            )
        for name, server, url in stores:
            print(f"bench/store.py: {name} ...", file=sys.stderr)
            with server() as started:
                if not url and started is None:
                    rows.append((name, None))
                    continue
                store = store_from_url(url or str(started), cluster="bench")
                rows.append(
                    (
                        name,
                        asyncio.run(
                            measure(store, args.seconds, args.concurrency, snapshot)
                        ),
                    )
                )
    head = ["store", *(f"{c} (/s)" for c in columns)]
    table = [head]
    for name, result in rows:
        if result is None:
            table.append([name, *(["skipped (no redis-server)"] * len(columns))])
        else:
            table.append([name, *(f"{result[c]:,.0f}" for c in columns)])
    print(
        f"# {args.snapshot}-byte snapshots, {args.concurrency} concurrent tasks, "
        f"{args.seconds:g} s each; Python {platform.python_version()}, "
        f"{os.cpu_count()} cores"
    )
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + " --- |" * len(head))
        for line in table[1:]:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(r[i]) for r in table) for i in range(len(head))]
        for line in table:
            print("  ".join(cell.rjust(w) for cell, w in zip(line, widths)))
    return 0


@contextmanager
def _given(url: str) -> Iterator[str | None]:
    yield url


if __name__ == "__main__":
    sys.exit(main())
