"""Calls through the simulated contact center survive a node killed with
SIGKILL: two `scxmlc serve` nodes on a private Redis (one killed, the other
adopts its sessions), and one node on SQLite (killed and started again).

Each node plays its own scenario: its own agents (`east-1`, ...) and its own
arrivals, a call every few hundredths of a second at routing point 5000, whose
session (ROUTE) queues it for the agent group and waits for the end of the
conversation. While the calls run, the test sends each session a few REST
events (`add`), through either node. A node is killed while calls wait in its
queue and others talk to its agents. Then every call must end as it would
have without the crash: routed to an agent, its session in `ended` having
taken each platform event once (`interaction.added`, `.present`,
`queue.submit.requestid`, `queue.submit.done`, `interaction.deleted`); every
acknowledged REST event taken exactly once, an unacknowledged one at most
once. A call whose session the killed node had not yet saved once is gone
with that node, as the call itself is (the simulated center lived in it); a
session saved, or one that acknowledged an event, must not be.

Loopback only; the waits end when what they wait for happens, the limits
only stop a hang.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from scxmlc.runtime.store import SessionStore, node_of, open_store

from redis_server import RedisServer, redis_server  # noqa: F401  (the fixture)

TOKEN = "fault-center-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIMIT = 150.0
"""Seconds a whole test may take before it counts as hung."""
TTL = 1.5
AGENTS = 30
CALLS = 150
"""Calls each node's scenario brings (a few hundred in all)."""
SPACING = 0.04
TALK = 2.0
EVENTS = 3
"""REST events sent to each call's session."""

ROUTE = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
       xmlns:queue="http://www.genesyslab.com/modules/queue"
       datamodel="ecmascript" name="route" initial="call">
  <datamodel>
    <data id="ixnid" expr="''"/>
    <data id="agent" expr="''"/>
    <data id="seen" expr="[]"/>
    <data id="counts" expr="({})"/>
  </datamodel>
  <parallel id="call">
    <state id="counting">
      <transition event="*" cond="/^(interaction|queue|error)\\./.test(_event.name)">
        <script>counts[_event.name] = (counts[_event.name] || 0) + 1</script>
      </transition>
      <transition event="add">
        <script>seen.push(Number(_event.data.n))</script>
      </transition>
    </state>
    <state id="flow" initial="arriving">
      <state id="arriving">
        <transition event="interaction.present" target="queued">
          <assign location="ixnid" expr="_event.data.interactionid"/>
          <log label="call" expr="_sessionid + ' ' + ixnid"/>
        </transition>
      </state>
      <state id="queued">
        <onentry>
          <queue:submit queue="'VQ_All'">
            <queue:targets type="agentgroup">
              <queue:target name="'Agents'" statserver="'Stat_Server'"/>
            </queue:targets>
          </queue:submit>
        </onentry>
        <transition event="queue.submit.done" target="talking">
          <assign location="agent" expr="_event.data.resource.agent"/>
        </transition>
        <transition event="error.queue.submit" target="failed"/>
      </state>
      <state id="talking">
        <transition event="interaction.deleted" target="ended"/>
      </state>
      <state id="ended"/>
      <state id="failed"/>
    </state>
    <transition event="close" target="closed"/>
  </parallel>
  <final id="closed"/>
</scxml>
"""

EACH_PLATFORM_EVENT_ONCE = {
    "interaction.added": 1,
    "interaction.present": 1,
    "queue.submit.requestid": 1,
    "queue.submit.done": 1,
    "interaction.deleted": 1,
}

_CALL_LINE = re.compile(r"\blog\s+call: (\S+) (\S+)$")


def scenario(node: str, calls: int) -> str:
    """Node `node`'s contact center: AGENTS agents of its own in group
    Agents, and `calls` calls of its own to 5000, SPACING seconds apart."""
    lines = [
        'dns: [{number: "5000", type: RoutingPoint}]',
        "virtual_queues: [VQ_All]",
        "agents:",
    ]
    for n in range(1, AGENTS + 1):
        lines.append(
            f'  - {{id: {node}-{n}, place: P{node}{n}, dn: "{node}{n}", '
            "groups: [Agents], state: ready}"
        )
    lines.append("timeline:" if calls else "timeline: []")
    for n in range(1, calls + 1):
        lines.append(
            f"  - {{at: {n * SPACING:.2f}, call: {{id: {node}-call-{n}, "
            f'to: "5000", ani: "+1555{n:04d}", talk: {TALK}}}}}'
        )
    return "\n".join(lines) + "\n"


class Node:
    """One `scxmlc serve --trace` process: its URL and the calls its trace
    logged (session id -> interaction id), read by a thread as they come."""

    def __init__(self, cwd: Path, store: str, node: str, scenario_file: str) -> None:
        self.name = node
        self.log = cwd / f"{node}-{scenario_file}.log"
        """The node's stderr (its log lines)."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scxmlc.compiler.commands.cli", "serve"]
            + ["route.scxml", "--scenario", scenario_file, "--port", "0"]
            + ["--store", store, "--node", node, "--lease-ttl", str(TTL)]
            + ["--trace"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=self.log.open("w"),
            text=True,
            env={**os.environ, "SCXMLC_SERVE_TOKEN": TOKEN},
        )
        self.calls: dict[str, str] = {}
        self.url = ""
        listening = threading.Event()
        self._reader = threading.Thread(
            target=self._read, args=(listening,), daemon=True
        )
        self._reader.start()
        listening.wait(LIMIT / 3)
        assert self.url, f"{node} did not start"

    def _read(self, listening: threading.Event) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("scxmlc serve: listening on "):
                self.url = line.split()[4]
                listening.set()
                continue
            found = _CALL_LINE.search(line.rstrip("\n"))
            if found:
                self.calls[found.group(1)] = found.group(2)
        listening.set()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._reader.join(LIMIT / 3)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._reader.join(LIMIT / 3)


@dataclass
class Ledger:
    """The REST events each session was sent: acknowledged (204) or not
    known to be (the connection broke, the node died under the call)."""

    acked: dict[str, list[int]] = field(default_factory=dict)
    maybe: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Progress:
    """Where a run is, to say what it waited for if it hangs."""

    phase: str = "starting"
    logs: list[Path] = field(default_factory=list)
    """The nodes' stderr, whose ends a hang shows."""
    last: dict[str, Any] = field(default_factory=dict)
    """The last answer to each session's event or query not yet over."""

    def describe(self) -> str:
        waiting = sorted(self.last.items())[:3]
        logs = "".join(
            f"\n--- {log.name}:\n" + "".join(log.read_text().splitlines(True)[-15:])
            for log in self.logs
            if log.exists()
        )
        return f"{self.phase}; {len(self.last)} sessions waited for: {waiting}{logs}"


def bounded(body: Awaitable[Run], progress: Progress) -> Run:
    """Run `body`; past LIMIT, fail saying what it waited for."""
    try:
        return asyncio.run(asyncio.wait_for(body, LIMIT))
    except TimeoutError:
        pytest.fail(f"no end within {LIMIT:g} s: {progress.describe()}")


class Driver:
    """Sends each call's session its REST events through the live nodes."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        urls: Callable[[], list[str]],
        store: SessionStore,
        progress: Progress,
    ):
        self.http = http
        self.urls = urls
        self.store = store
        self.progress = progress
        self.ledger = Ledger()
        self.dead: set[str] = set()
        """The nodes killed so far."""
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self._turn = itertools.count()

    async def post(self, url: str, path: str) -> tuple[int, str]:
        async with self.http.post(url + path) as answer:
            return answer.status, await answer.text()

    async def get(self, url: str, path: str) -> tuple[int, Any]:
        async with self.http.get(url + path) as answer:
            if answer.content_type == "application/json":
                return answer.status, await answer.json()
            return answer.status, await answer.text()

    async def gone(self, sid: str) -> bool:
        """Whether session `sid` died with its node before it was saved
        once: a node of the cluster answers 503 for it (its node is not
        there to ask), but its node was killed and the store has no record
        of it, which nobody but that node could have written."""
        return node_of(sid) in self.dead and await self.store.load(sid) is None

    def follow(self, sids: list[str]) -> None:
        """Start sending events to the sessions not followed yet."""
        for sid in sids:
            if sid not in self.tasks:
                self.tasks[sid] = asyncio.ensure_future(self._events(sid))

    async def _events(self, sid: str) -> None:
        acked = self.ledger.acked.setdefault(sid, [])
        maybe = self.ledger.maybe.setdefault(sid, [])
        for n in range(EVENTS):
            await self._event(sid, n, acked, maybe)
            await asyncio.sleep(0.3)

    async def _event(
        self, sid: str, n: int, acked: list[int], maybe: list[int]
    ) -> None:
        path = f"/scxml/session/{sid}/event/add?n={n}"
        while True:
            urls = self.urls()
            if not urls:  # no node up (a restart): nothing was sent
                await asyncio.sleep(0.1)
                continue
            url = urls[next(self._turn) % len(urls)]
            try:
                status, body = await self.post(url, path)
            except aiohttp.ClientError:
                maybe.append(n)  # it may have been queued
                return
            if status == 204:
                acked.append(n)
                return
            if status == 503 and "storeerror" not in body:
                if await self.gone(sid):
                    self.progress.last.pop(sid, None)
                    return
                self.progress.last[sid] = (n, status, body)
                await asyncio.sleep(0.1)  # no owner answers yet: nothing queued
                continue
            self.progress.last.pop(sid, None)
            if status == 404:
                return  # gone with the killed node before its first save
            maybe.append(n)
            return

    async def outcome(self, sid: str) -> Any:
        """The session's query once its call is over (None: it is unknown,
        404), asked of the live nodes until one answers."""
        last = self.progress.last
        while True:
            urls = self.urls()
            if not urls:
                await asyncio.sleep(0.1)
                continue
            try:
                status, body = await self.get(urls[-1], f"/scxml/session/{sid}/query")
            except aiohttp.ClientError as error:
                last[sid] = repr(error)
                await asyncio.sleep(0.1)
                continue
            if status == 404 or (status == 503 and await self.gone(sid)):
                last.pop(sid, None)
                return None
            if status == 200 and {"ended", "failed"} & set(body["configuration"]):
                last.pop(sid, None)
                return body
            last[sid] = (status, body.get("configuration", body))
            await asyncio.sleep(0.2)


async def saved_among(store_url: str, sids: list[str]) -> set[str]:
    """The sessions of `sids` that have a record in the store now."""
    store = await open_store(store_url)
    try:
        return {sid for sid in sids if await store.load(sid) is not None}
    finally:
        await store.close()


async def kill_after(
    node: Node, calls: int, store_url: str, driver: Driver, nodes: list[Node]
) -> set[str]:
    """Once `node` has logged `calls` calls, kill it (SIGKILL), tell `driver`
    it is dead and take it out of `nodes`: the sessions of its calls that the
    store held just before the kill."""
    await until(lambda: len(node.calls) >= calls)
    saved = await saved_among(store_url, list(node.calls))
    node.kill()
    driver.dead.add(node.name)
    nodes.remove(node)
    return saved


async def until(check: Callable[[], bool]) -> None:
    while not check():
        await asyncio.sleep(0.05)


@dataclass
class Run:
    """What a fault run saw: the sessions of the calls, the sessions saved
    just before the kill, the REST ledger and each session's final query
    (None: unknown after the kill)."""

    sessions: list[str]
    saved: set[str]
    ledger: Ledger
    outcomes: dict[str, Any]


def check(run: Run, killed: str) -> tuple[int, int, int]:
    """Every call ended as without the crash (see the module docstring).
    Of the calls of node `killed` (whose agents are `killed-1`, ...): how
    many were routed by another center's agents, how many by its own and
    went on after it died, and how many were lost with it before it saved
    their sessions once."""
    lost = {sid for sid, outcome in run.outcomes.items() if outcome is None}
    for sid in lost:
        assert node_of(sid) == killed, sid
        assert sid not in run.saved, sid
        assert not run.ledger.acked.get(sid), (sid, run.ledger.acked.get(sid))
    routed_elsewhere = went_on = 0
    for sid, outcome in run.outcomes.items():
        if outcome is None:
            continue
        dm = outcome["datamodel"]
        assert "ended" in outcome["configuration"], (sid, outcome)
        assert dm["counts"] == EACH_PLATFORM_EVENT_ONCE, (sid, dm["counts"])
        assert re.fullmatch(r"(east|west|solo|again)-[0-9]+", dm["agent"]), dm
        seen = dm["seen"]
        acked = run.ledger.acked.get(sid, [])
        maybe = run.ledger.maybe.get(sid, [])
        assert seen == sorted(set(seen)), (sid, seen)  # none twice, in order
        assert set(acked) <= set(seen), (sid, acked, seen)
        assert set(seen) <= set(acked) | set(maybe), (sid, seen, acked, maybe)
        if node_of(sid) == killed:
            if dm["agent"].startswith(f"{killed}-"):
                went_on += 1
            else:
                routed_elsewhere += 1
    return routed_elsewhere, went_on, len(lost)


def write_files(tmp_path: Path, scenarios: dict[str, str]) -> None:
    (tmp_path / "route.scxml").write_text(ROUTE, encoding="utf-8")
    for name, text in scenarios.items():
        (tmp_path / name).write_text(text, encoding="utf-8")


async def drive(
    store_url: str,
    live: Callable[[], list[Node]],
    calls: Callable[[], list[str]],
    crash: Callable[[Driver], Awaitable[set[str]]],
    expected: Callable[[], bool],
    progress: Progress,
) -> Run:
    """Follow every logged call with REST events, let `crash` kill a node
    (it returns the sessions saved just before), wait until `expected()`
    says every call that will arrive has, then for every call's outcome."""
    store = await open_store(store_url)
    try:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            urls = lambda: [node.url for node in live()]  # noqa: E731
            return await _drive(
                Driver(http, urls, store, progress), calls, crash, expected
            )
    finally:
        await store.close()


async def _drive(
    driver: Driver,
    calls: Callable[[], list[str]],
    crash: Callable[[Driver], Awaitable[set[str]]],
    expected: Callable[[], bool],
) -> Run:
    """The body of `drive`, with its driver."""
    progress = driver.progress

    async def follow() -> None:
        while True:
            driver.follow(list(calls()))
            await asyncio.sleep(0.05)

    following = asyncio.ensure_future(follow())
    try:
        progress.phase = "waiting for the kill"
        saved = await crash(driver)
        progress.phase = "waiting for the calls still to come"
        await until(expected)
        driver.follow(list(calls()))
    finally:
        following.cancel()
    progress.phase = "sending REST events"
    await asyncio.gather(*driver.tasks.values())
    progress.phase = "waiting for the calls to end"
    sessions = calls()
    outcomes = dict(zip(sessions, await asyncio.gather(*map(driver.outcome, sessions))))
    for sid, outcome in outcomes.items():
        if outcome is not None:
            status, _ = await driver.post(
                driver.urls()[-1], f"/scxml/session/{sid}/event/close"
            )
            assert status == 204, sid
    return Run(sessions, saved, driver.ledger, outcomes)


def test_calls_of_a_killed_node_end_on_the_node_that_adopts_them(
    tmp_path: Path, redis_server: RedisServer  # noqa: F811
) -> None:
    store = redis_server.url(11)
    _flush(store)
    write_files(
        tmp_path,
        {"east.yaml": scenario("east", CALLS), "west.yaml": scenario("west", CALLS)},
    )
    east = Node(tmp_path, store, "east", "east.yaml")
    west = Node(tmp_path, store, "west", "west.yaml")
    nodes = [east, west]
    try:

        async def crash(driver: Driver) -> set[str]:
            return await kill_after(east, CALLS // 3, store, driver, nodes)

        progress = Progress(logs=[east.log, west.log])
        run = bounded(
            drive(
                store,
                lambda: nodes,
                lambda: list(east.calls) + list(west.calls),
                crash,
                lambda: sum(node_of(s) == "west" for s in list(west.calls)) >= CALLS,
                progress,
            ),
            progress,
        )
        assert {node_of(sid) for sid in run.sessions} == {"east", "west"}
        routed_elsewhere, went_on, lost = check(run, "east")
        # east's queued calls were routed by west's agents; the calls talking
        # to east's agents when it died ended on west
        assert routed_elsewhere > 0 and went_on > 0, (routed_elsewhere, went_on)
        # west's calls, and the third of east's that arrived before the kill
        assert len(run.sessions) >= CALLS + CALLS // 3
        asyncio.run(asyncio.wait_for(_no_keys(store, run.sessions), LIMIT))
    finally:
        for node in (east, west):
            node.stop()


def test_calls_survive_a_kill_9_and_restart_on_sqlite(tmp_path: Path) -> None:
    """The same for one node on SQLite, started again after the kill with
    a scenario of new agents (`again-1`, ...) and new calls: the first life's
    center, its agents and its timeline died with it."""
    store = f"sqlite:{tmp_path / 'sessions.db'}"
    write_files(
        tmp_path,
        {
            "solo.yaml": scenario("solo", CALLS),
            "again.yaml": scenario("again", CALLS // 2),
        },
    )
    first = Node(tmp_path, store, "solo", "solo.yaml")
    nodes = [first]
    try:

        async def crash(driver: Driver) -> set[str]:
            saved = await kill_after(first, CALLS // 2, store, driver, nodes)
            nodes.append(Node(tmp_path, store, "solo", "again.yaml"))
            return saved

        def calls() -> list[str]:
            return list(
                dict.fromkeys(
                    sid for node in nodes + [first] for sid in list(node.calls)
                )
            )

        progress = Progress(logs=[first.log, tmp_path / "solo-again.yaml.log"])
        run = bounded(
            drive(
                store,
                lambda: nodes,
                calls,
                crash,
                lambda: len(nodes[-1].calls) >= CALLS // 2,
                progress,
            ),
            progress,
        )
        routed_elsewhere, went_on, lost = check(run, "solo")
        assert routed_elsewhere > 0 and went_on > 0, (routed_elsewhere, went_on)
        assert len(run.sessions) - lost >= CALLS
    finally:
        for node in nodes + [first]:
            node.stop()


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


async def _no_keys(url: str, sessions: list[str]) -> None:
    """Wait until Redis holds no key of any of `sessions` (they ended)."""
    import redis.asyncio

    client = redis.asyncio.from_url(url)
    try:
        while True:
            keys = [key async for key in client.scan_iter(match="*{*~*}:*")]
            left = {key.decode().split("{")[1].split("}")[0] for key in keys}
            if not left & set(sessions):
                return
            await asyncio.sleep(0.1)
    finally:
        await client.aclose()


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
