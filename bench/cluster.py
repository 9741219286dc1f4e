"""A cluster on Redis: two `scxmlc serve` nodes against one, and failover.

Usage (from the project root)::

    python bench/cluster.py [--sessions N] [--events K] [--lease-ttl S]
                            [--redis URL] [--markdown]

Each node is a real `scxmlc serve --store redis://... --node NAME` process on
loopback, sharing a Redis (a private `redis-server` with `appendonly yes`,
`appendfsync everysec`, as `bench/store.py` starts it; or `--redis URL`).
A client in this process, with 32 connections, starts `--sessions` sessions
of a small python-datamodel document over REST (each start goes to the
nodes in turn) and sends each session `--events` events, each answered 204
once Redis holds it:

1. *one node*: every call to the one node;
2. *two nodes, to the owner*: each call to the node that runs the session
   (the node named in its id), as a client or balancer that reads ids does;
3. *two nodes, round robin*: calls to the nodes in turn, so half of them are
   forwarded to the other node;
4. *failover*: with `--sessions` sessions on each of two nodes, one node is
   killed (SIGKILL); the time until every session of the dead node answers
   a `/query` through the survivor (the lease TTL, `--lease-ttl`, plus the
   adoption and restore).

The client, the nodes and Redis share the machine's cores. The table goes
to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402

from bench.store import private_redis  # noqa: E402
from scxmlc.runtime.store import node_of  # noqa: E402

TOKEN = "bench-cluster-token-0123456789abcdef"
CONNECTIONS = 32

DOCUMENT = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       datamodel="python" name="tally" initial="open">
  <datamodel>
    <data id="count" expr="0"/>
  </datamodel>
  <state id="open">
    <transition event="add">
      <assign location="count" expr="count + 1"/>
    </transition>
    <transition event="close" target="closed"/>
  </state>
  <final id="closed"/>
</scxml>
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextmanager
def nodes(
    directory: Path, store: str, names: list[str], lease_ttl: float
) -> Iterator[list[tuple[subprocess.Popen[str], str]]]:
    """`scxmlc serve` processes, one per name, and their URLs."""
    started: list[tuple[subprocess.Popen[str], str]] = []
    try:
        for name in names:
            process = subprocess.Popen(
                [sys.executable, "-m", "scxmlc.compiler.commands.cli", "serve"]
                + ["tally.scxml", "--port", "0", "--store", store, "--node", name]
                + ["--lease-ttl", str(lease_ttl), "--cluster", "bench"],
                cwd=directory,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "SCXMLC_SERVE_TOKEN": TOKEN},
            )
            assert process.stdout is not None
            line = process.stdout.readline()
            if "listening on" not in line:
                process.kill()
                raise SystemExit(f"node {name} did not start: {line!r}")
            started.append((process, line.split()[4]))
        yield started
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.kill()
            process.wait()


class Client:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http

    async def post(self, url: str, path: str) -> tuple[int, str]:
        async with self.http.post(url + path) as answer:
            return answer.status, await answer.text()


async def run_phase(
    urls: list[str], sessions: int, events: int, route: str
) -> tuple[float, float, int]:
    """(starts/s, events/s, forwarded calls) of one phase."""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:
        client = Client(http)
        owners: dict[str, str] = {}
        gate = asyncio.Semaphore(CONNECTIONS)

        async def start(index: int) -> str:
            async with gate:
                url = urls[index % len(urls)]
                status, body = await client.post(url, "/scxml/session/start?src=tally")
                assert status == 200, body
                sid = str(json.loads(body)["sessionid"])
                owners[sid] = url
                return sid

        began = time.perf_counter()
        sids = await asyncio.gather(*(start(i) for i in range(sessions)))
        starts = sessions / (time.perf_counter() - began)
        forwarded = 0

        async def send(index: int, sid: str) -> None:
            nonlocal forwarded
            for n in range(events):
                if route == "owner":
                    url = owners[sid]
                else:
                    url = urls[(index + n) % len(urls)]
                    forwarded += url != owners[sid]
                async with gate:
                    status, body = await client.post(
                        url, f"/scxml/session/{sid}/event/add"
                    )
                assert status == 204, body

        began = time.perf_counter()
        await asyncio.gather(*(send(i, sid) for i, sid in enumerate(sids)))
        rate = sessions * events / (time.perf_counter() - began)
        await asyncio.gather(
            *(
                client.post(owners[sid], f"/scxml/session/{sid}/event/close")
                for sid in sids
            )
        )
        return starts, rate, forwarded


async def failover(urls: list[str], kill: Any, sessions: int) -> tuple[float, int]:
    """Seconds from the kill of the first node until each of its sessions
    answers through the second; how many sessions it had."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:
        client = Client(http)
        gate = asyncio.Semaphore(CONNECTIONS)

        async def start(url: str) -> str:
            async with gate:
                status, body = await client.post(url, "/scxml/session/start?src=tally")
                assert status == 200, body
                return str(json.loads(body)["sessionid"])

        sids = await asyncio.gather(*(start(urls[i % 2]) for i in range(2 * sessions)))
        doomed = [sid for sid in sids if node_of(sid) == "east"]
        kill()
        began = time.perf_counter()

        async def back(sid: str) -> None:
            while True:
                async with gate:
                    async with http.get(
                        f"{urls[1]}/scxml/session/{sid}/query"
                    ) as answer:
                        if answer.status == 200:
                            return
                await asyncio.sleep(0.05)

        await asyncio.gather(*(back(sid) for sid in doomed))
        return time.perf_counter() - began, len(doomed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--lease-ttl", type=float, default=3.0)
    parser.add_argument("--redis", metavar="URL")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as scratch, _redis(args.redis) as url:
        if url is None:
            raise SystemExit("no redis-server binary and no --redis URL")
        directory = Path(scratch)
        (directory / "tally.scxml").write_text(DOCUMENT, encoding="utf-8")
        for label, names, route in (
            ("one node", ["east"], "owner"),
            ("two nodes, to the owner", ["east", "west"], "owner"),
            ("two nodes, round robin", ["east", "west"], "round"),
        ):
            say(f"{label} ...")
            with nodes(directory, url, names, args.lease_ttl) as running:
                urls = [u for _, u in running]
                starts, rate, forwarded = asyncio.run(
                    run_phase(urls, args.sessions, args.events, route)
                )
            share = forwarded / (args.sessions * args.events)
            rows.append((label, f"{starts:,.0f}", f"{rate:,.0f}", f"{share:.0%}"))
        say("failover ...")
        with nodes(directory, url, ["east", "west"], args.lease_ttl) as running:
            urls = [u for _, u in running]
            seconds, moved = asyncio.run(
                failover(urls, running[0][0].kill, args.sessions)
            )
    print(
        f"{args.sessions} sessions x {args.events} events, {CONNECTIONS} connections; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print()
    print("| nodes | starts/s | events/s | forwarded |")
    print("| --- | ---: | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    print(
        f"Failover: {moved} sessions of the killed node all answered through the "
        f"survivor {seconds:.1f} s after the kill (lease TTL {args.lease_ttl:g} s)."
    )
    return 0


@contextmanager
def _redis(given: str | None) -> Iterator[str | None]:
    if given is not None:
        yield given
        return
    with private_redis() as url:
        yield url


if __name__ == "__main__":
    sys.exit(main())
