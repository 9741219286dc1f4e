"""A cluster of session servers on one store: ids that name the node, calls
forwarded to the owner (with the caller's credentials, never twice), dead
nodes' sessions adopted with their timers and queued events, and a node that
comes back after its sessions were adopted fenced out.

The nodes are servers in the test's loop, on loopback ports, sharing a
`MemoryStore` (or a private Redis); leases last a fraction of a second.
Waits end when what they wait for happens; their limits only stop a test that
hangs.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import scxmlc
from scxmlc.runtime import Machine
from scxmlc.runtime.ors.auth import Credentials
from scxmlc.runtime.ors.cluster import (
    FORWARDED_HEADER,
    MAX_FORWARDED_ANSWER,
    ClusterNode,
    encode_event,
)
from scxmlc.runtime.ors.server import REST_ORIGIN_TYPE, SessionServer
from scxmlc.runtime.sim.serving import simulated_server
from scxmlc.runtime.store import (
    MemoryStore,
    SessionRecord,
    SessionStore,
    new_session_id,
    node_of,
    open_store,
)

from redis_processes import start_redis, stop_redis
from redis_server import RedisServer, find_redis_server
from redis_server import redis_server  # noqa: F401  (the fixture)

LIMIT = 20.0
TTL = 1.0
TOKEN = "cluster-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

NS = (
    'xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
    'xmlns:session="http://www.genesyslab.com/modules/session"'
)

COUNTER = f"""<scxml {NS} datamodel="ecmascript" name="counter" initial="open">
  <datamodel>
    <data id="seen" expr="[]"/>
  </datamodel>
  <state id="open">
    <transition event="add">
      <script>seen.push(_event.data.n)</script>
    </transition>
    <transition event="arm">
      <send event="'rang'" delay="'400ms'"/>
    </transition>
    <transition event="rang">
      <script>seen.push('rang')</script>
    </transition>
    <transition event="total">
      <session:response requestid="_event.data.requestid">
        <content expr="seen.join(',')"/>
      </session:response>
    </transition>
    <transition event="close" target="closed"/>
  </state>
  <final id="closed"/>
</scxml>
"""


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> type[Machine]:
    path = tmp_path_factory.mktemp("cluster") / "counter.scxml"
    path.write_text(COUNTER, encoding="utf-8")
    cls: type[Machine] = scxmlc.load(path)
    return cls


class Node:
    """One node: its server, its cluster membership and a client of it."""

    def __init__(self, cluster: ClusterNode, http: aiohttp.ClientSession) -> None:
        self.cluster = cluster
        self.server: SessionServer = cluster.server
        self.http = http

    async def call(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: Any = None,
    ) -> tuple[int, Any]:
        async with self.http.request(
            method,
            self.server.url + path,
            headers=AUTH if headers is None else headers,
            data=data,
        ) as answer:
            if answer.content_type == "application/json":
                return answer.status, await answer.json()
            return answer.status, await answer.text()

    async def start(self) -> str:
        status, body = await self.call("POST", "/scxml/session/start?src=counter")
        assert status == 200, body
        sessionid: str = body["sessionid"]
        return sessionid

    async def save(self, sessionid: str, store: SessionStore) -> None:
        """Write the session's record as a persisting server would."""
        session = self.server.platform.session(sessionid)
        assert session is not None
        now = time.time()
        await store.save(
            SessionRecord(
                sessionid,
                session.machine.snapshot(),
                "counter",
                "",
                self.cluster.node,
                self.cluster.token,
                now,
                now,
            ),
            new=await store.load(sessionid) is None,
        )

    def die(self) -> None:
        """Stop renewing and watching, as a killed process would: the lease
        is left to expire, the server stops answering."""
        for task in self.cluster._tasks:
            task.cancel()
        self.cluster._tasks = []


@asynccontextmanager
async def cluster(
    application: type[Machine], store: SessionStore, *names: str
) -> AsyncIterator[list[Node]]:
    def resolve(uri: str, base: str) -> type[Machine]:
        return application

    async with AsyncExitStack() as stack:
        http = await stack.enter_async_context(aiohttp.ClientSession())
        nodes = []
        for name in names:
            server = simulated_server(resolve, auth=Credentials(tokens=(TOKEN,)))
            member = ClusterNode(server, store, name, lease_ttl=TTL)
            await stack.enter_async_context(server)
            nodes.append(Node(member, http))
        yield nodes


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), LIMIT))


async def until(check: Callable[[], Awaitable[bool] | bool], what: str) -> None:
    """Wait until `check()` is true, polling; after `LIMIT` seconds the test
    fails naming `what` it waited for."""
    deadline = time.monotonic() + LIMIT
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"waited {LIMIT:g} s for {what}")
        await asyncio.sleep(0.02)


def test_ids_name_the_node_and_any_node_answers_for_any_session(
    counter: type[Machine],
) -> None:
    async def body() -> None:
        store = MemoryStore()
        async with cluster(counter, store, "east", "west") as (east, west):
            sid = await east.start()
            assert node_of(sid) == "east"
            assert west.server.platform.session(sid) is None
            assert await west.call("POST", f"/scxml/session/{sid}/event/add?n=1") == (
                204,
                "",
            )
            assert await west.call(
                "POST", f"/scxml/{sid}", data={"_scxmleventname": "add", "n": "2"}
            ) == (
                204,
                "",
            )
            await until(
                lambda: len(east.server.platform.sessions[sid].machine.dm["seen"]) == 2,
                "both events",
            )
            assert await west.call("POST", f"/scxml/session/{sid}/request/total") == (
                200,
                "1,2",
            )
            status, query = await west.call("GET", f"/scxml/session/{sid}/query")
            assert (status, query["configuration"]) == (200, ["open"])
            status, ended = await west.call("POST", f"/scxml/session/{sid}/terminate")
            assert (status, ended) == (200, {"sessionid": sid})
            assert east.server.platform.session(sid) is None
            status, gone = await west.call("POST", f"/scxml/session/{sid}/event/add")
            assert (status, gone["error"]) == (404, "notfound")

    run(body)


def test_forwarding_needs_the_callers_own_credentials(counter: type[Machine]) -> None:
    async def body() -> None:
        store = MemoryStore()
        async with cluster(counter, store, "east", "west") as (east, west):
            sid = await east.start()
            for headers in ({}, {FORWARDED_HEADER: "east"}):
                status, refused = await west.call(
                    "POST", f"/scxml/session/{sid}/event/add?n=1", headers=headers
                )
                assert (status, refused["error"]) == (401, "unauthorized")
            assert east.server.platform.sessions[sid].machine.dm["seen"] == []

    run(body)


async def serving(app: web.Application) -> web.AppRunner:
    """`app` served on a free loopback port (the runner's first address);
    the caller cleans the runner up."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def ghost_session(store: SessionStore, owner: web.AppRunner) -> str:
    """The id of a session of node `ghost`, whose lease in `store` names the
    server `owner` runs as its address: calls for it are forwarded there."""
    port = owner.addresses[0][1]
    await store.acquire_lease("ghost", 60, address=f"http://127.0.0.1:{port}")
    return new_session_id("ghost")


def test_a_forwarded_call_is_never_forwarded_again(counter: type[Machine]) -> None:
    async def body() -> None:
        store = MemoryStore()
        seen: list[dict[str, str]] = []

        async def ghost(request: web.Request) -> web.Response:
            seen.append(dict(request.headers))
            if request.path.endswith("/crash"):
                assert request.transport is not None
                request.transport.close()  # fails during the call
            return web.json_response({"path": request.path_qs}, status=202)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", ghost)
        runner = await serving(app)
        try:
            async with cluster(counter, store, "west") as (west,):
                sid = await ghost_session(store, runner)
                path = f"/scxml/session/{sid}/event/add?n=1"
                assert await west.call("POST", path) == (202, {"path": path})
                assert seen[0]["Authorization"] == AUTH["Authorization"]
                assert seen[0][FORWARDED_HEADER] == "west"
                status, answer = await west.call(
                    "POST", path, headers={**AUTH, FORWARDED_HEADER: "east"}
                )
                assert (status, answer["error"]) == (404, "notfound")
                assert len(seen) == 1
                crash = f"/scxml/session/{sid}/event/crash"
                status, answer = await west.call("POST", crash)
                assert (status, answer["error"]) == (502, "nodefailed")
                await runner.cleanup()
                status, answer = await west.call("POST", path)
                assert (status, answer["error"]) == (503, "unavailable")
        finally:
            await runner.cleanup()

    run(body)


def test_a_relayed_answer_is_at_most_16_mib(counter: type[Machine]) -> None:
    """An owner's answer of MAX_FORWARDED_ANSWER bytes is relayed whole; one
    byte more is 502 `nodefailed`, naming the limit."""

    async def body() -> None:
        store = MemoryStore()

        async def ghost(request: web.Request) -> web.Response:
            size = int(request.match_info["size"])
            return web.Response(body=b"x" * size, content_type="text/plain")

        app = web.Application()
        app.router.add_route("POST", "/scxml/session/{id}/request/{size}", ghost)
        runner = await serving(app)
        try:
            async with cluster(counter, store, "west") as (west,):
                sid = await ghost_session(store, runner)
                path = f"/scxml/session/{sid}/request/{MAX_FORWARDED_ANSWER}"
                status, text = await west.call("POST", path)
                assert (status, len(text)) == (200, MAX_FORWARDED_ANSWER)
                path = f"/scxml/session/{sid}/request/{MAX_FORWARDED_ANSWER + 1}"
                status, answer = await west.call("POST", path)
                assert (status, answer["error"]) == (502, "nodefailed")
                assert "MAX_FORWARDED_ANSWER" in answer["description"]
        finally:
            await runner.cleanup()

    run(body)


class ClosingOnAnswer(MemoryStore):
    """A `MemoryStore` that closes `server` (once it is set) the moment its
    `method` answers: the close starts before the node's task that called
    resumes, as when a server is closed just as the store answers."""

    def __init__(self, method: str) -> None:
        super().__init__()
        self.method = method
        self.server: SessionServer | None = None
        self.closing: asyncio.Task[None] | None = None
        self.closed_on_answer = asyncio.Event()

    def _answered(self, method: str) -> None:
        if method == self.method and self.server and self.closing is None:
            self.closing = asyncio.get_running_loop().create_task(self.server.close())
            self.closed_on_answer.set()

    async def renew_lease(self, node: str, token: int, ttl: float) -> bool:
        renewed = await super().renew_lease(node, token, ttl)
        self._answered("renew_lease")
        return renewed

    async def expired_nodes(self) -> list[str]:
        expired = await super().expired_nodes()
        self._answered("expired_nodes")
        return expired


@pytest.mark.parametrize("method", ["renew_lease", "expired_nodes"])
def test_a_node_closed_as_the_store_answers_stops(
    counter: type[Machine], method: str
) -> None:
    """A node closed while its lease keeper or its watch for dead nodes is
    taking the store's answer stops: the answer does not swallow the
    cancellation (as `asyncio.wait_for` did on Python 3.11, when a
    cancellation met an inner call that had just finished), and closing
    does not wait for ever on a task that goes on."""

    async def body() -> None:
        store = ClosingOnAnswer(method)
        async with cluster(counter, store, "west") as (west,):
            tasks = list(west.cluster._tasks)
            store.server = west.server
            await asyncio.wait_for(store.closed_on_answer.wait(), LIMIT)
            assert store.closing is not None
            done, _ = await asyncio.wait({store.closing}, timeout=LIMIT / 4)
            running = [task.get_name() for task in tasks if not task.done()]
            for task in tasks:  # so that a failing test ends
                task.cancel()
            waited = f"closing waited {LIMIT / 4:g} s for {running}"
            assert store.closing in done, waited
            assert running == [], "tasks of the node went on after it closed"
            await store.closing
            assert await store.live_nodes() == {}

    run(body)


class SilentReads(MemoryStore):
    """A `MemoryStore` whose reads that route a call (`load`, `live_nodes`)
    never answer once `silent` is set, as a store that hangs without
    closing the connection."""

    def __init__(self) -> None:
        super().__init__()
        self.silent = False
        self.asked: list[str] = []

    async def _hang_if_silent(self, method: str) -> None:
        if self.silent:
            self.asked.append(method)
            await asyncio.Event().wait()

    async def load(self, sessionid: str) -> SessionRecord | None:
        await self._hang_if_silent("load")
        return await super().load(sessionid)

    async def live_nodes(self) -> dict[str, str]:
        await self._hang_if_silent("live_nodes")
        return await super().live_nodes()


def test_a_call_whose_routing_the_store_does_not_answer_is_unavailable(
    counter: type[Machine],
) -> None:
    """A node routing a call for another node's session asks the store for
    the session's record and the live nodes; a store that stops answering
    makes it answer 503 `unavailable` after `lease_ttl / 3` a read, not hang."""

    async def body() -> None:
        store = SilentReads()
        async with cluster(counter, store, "east", "west") as (east, west):
            sessionid = await west.start()
            east.cluster._nodes_read = -math.inf  # the live nodes read anew
            store.silent = True
            status, answer = await east.call(
                "POST", f"/scxml/session/{sessionid}/event/add?n=1"
            )
            assert status == 503 and answer["error"] == "unavailable", answer
            assert store.asked == ["load", "live_nodes"]
            store.silent = False
            assert await east.call(
                "POST", f"/scxml/session/{sessionid}/event/add?n=2"
            ) == (204, "")

    run(body)


def test_a_dead_nodes_sessions_go_on_elsewhere_with_timers_and_queued_events(
    counter: type[Machine],
) -> None:
    async def body() -> None:
        store = MemoryStore()
        async with cluster(counter, store, "east", "west") as (east, west):
            sid = await east.start()
            await east.call("POST", f"/scxml/session/{sid}/event/add?n=1")
            await east.call("POST", f"/scxml/session/{sid}/event/arm")
            await until(
                lambda: east.server.platform.sessions[sid].machine.dm["seen"] == ["1"],
                "the first event",
            )
            await east.save(sid, store)
            await store.append(sid, encode_event("add", {"n": 2}, REST_ORIGIN_TYPE))
            unsaved = await east.start()  # dies with east: never saved
            east.die()
            for session in east.server.platform.sessions.values():
                session.machine.dispose()
            east.server.platform.sessions.clear()
            await east.server.close()
            status, answer = await west.call("GET", f"/scxml/session/{sid}/query")
            assert (status, answer["error"]) == (503, "unavailable")
            await until(lambda: sid in west.cluster.adopted, "the adoption")
            assert await west.call("GET", f"/scxml/session/{unsaved}/query") == (
                404,
                {
                    "error": "notfound",
                    "description": f"no session {unsaved}: its node east stopped "
                    "and the store holds no record of it",
                },
            )
            record = await store.load(sid)
            assert record is not None and record.node == "west"
            await until(
                lambda: west.server.platform.sessions[sid].machine.dm["seen"]
                == ["1", 2, "rang"],
                "the timer",
            )
            assert await west.call("POST", f"/scxml/session/{sid}/request/total") == (
                200,
                "1,2,rang",
            )

    run(body)


def test_a_node_that_comes_back_after_its_sessions_were_adopted_drops_them(
    counter: type[Machine],
) -> None:
    async def body() -> None:
        store = MemoryStore()
        async with cluster(counter, store, "east", "west") as (east, west):
            sid = await east.start()
            await east.save(sid, store)
            tasks = east.cluster._tasks
            east.die()
            await until(lambda: sid in west.cluster.adopted, "the adoption")
            old = east.cluster.token
            east.cluster._tasks = [asyncio.create_task(east.cluster._keep_lease())]
            await until(lambda: east.cluster.fenced == 1, "the fencing")
            assert not tasks or all(task.cancelled() for task in tasks)
            assert east.server.platform.sessions == {}
            assert east.cluster.token > old
            assert await east.call("POST", f"/scxml/session/{sid}/request/total") == (
                200,
                "",
            )
            assert (await store.live_nodes()).keys() == {"east", "west"}

    run(body)


def test_over_redis(counter: type[Machine], redis_server: RedisServer) -> None:
    async def body() -> None:
        store = await open_store(redis_server.url(3), cluster="clustertest", ttl=60)
        try:
            async with cluster(counter, store, "east", "west") as (east, west):
                sid = await west.start()
                assert node_of(sid) == "west"
                assert await east.call(
                    "POST", f"/scxml/session/{sid}/event/add?n=7"
                ) == (204, "")
                await west.save(sid, store)
                west.die()
                west.server.platform.sessions[sid].machine.dispose()
                west.server.platform.sessions.clear()
                await until(lambda: sid in east.cluster.adopted, "the adoption")
                assert await east.call(
                    "POST", f"/scxml/session/{sid}/request/total"
                ) == (200, "7")
        finally:
            await store.close()

    run(body)


# -- two `scxmlc serve` processes, one killed ---------------------------------------

CALLS = f"""<scxml {NS} datamodel="ecmascript" name="calls" initial="open">
  <datamodel>
    <data id="seen" expr="[]"/>
  </datamodel>
  <state id="open">
    <onentry>
      <send event="'rang'" delay="'4s'"/>
    </onentry>
    <transition event="add">
      <script>seen.push(Number(_event.data.n))</script>
    </transition>
    <transition event="rang">
      <script>seen.push('rang')</script>
    </transition>
    <transition event="total">
      <session:response requestid="_event.data.requestid">
        <content expr="JSON.stringify(seen)"/>
      </session:response>
    </transition>
    <transition event="where">
      <session:response requestid="_event.data.requestid">
        <content expr="_ioprocessors['basichttp'].location"/>
      </session:response>
    </transition>
    <transition event="close" target="closed"/>
  </state>
  <final id="closed"/>
</scxml>
"""

FAULT_SESSIONS = 240
FAULT_EVENTS = 6
FAULT_TTL = 1.5
FAULT_LIMIT = 120.0


Call = Callable[[str, str], Awaitable[tuple[int, str]]]


def poster(http: aiohttp.ClientSession) -> Call:
    """`call(base, path)`: a POST to `base + path` through `http`, to the
    answer's status and text."""

    async def call(base: str, path: str) -> tuple[int, str]:
        async with http.post(base + path) as answer:
            return answer.status, await answer.text()

    return call


def serve_node(tmp_path: Path, store: str, node: str, *flags: str) -> tuple[Any, str]:
    """An `scxmlc serve` process, node `node` of the cluster on `store` (and
    `flags`), and its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scxmlc.compiler.commands.cli", "serve", "calls.scxml"]
        + ["--port", "0", "--store", store, "--node", node]
        + ["--lease-ttl", str(FAULT_TTL), *flags],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "SCXMLC_SERVE_TOKEN": TOKEN},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("scxmlc serve: listening on http://127.0.0.1:"), line
    return process, line.split()[4]


def run_two_nodes(tmp_path: Path, store: str, scenario: Any) -> Any:
    """Serve CALLS on nodes east and west of the cluster on `store`, run
    `scenario(east, east_url, west_url, store)` within FAULT_LIMIT and return
    its result; both nodes are resumed (a stopped one) and killed after."""
    (tmp_path / "calls.scxml").write_text(CALLS, encoding="utf-8")
    processes = []
    try:
        east, east_url = serve_node(tmp_path, store, "east")
        processes.append(east)
        west, west_url = serve_node(tmp_path, store, "west")
        processes.append(west)
        return asyncio.run(
            asyncio.wait_for(scenario(east, east_url, west_url, store), FAULT_LIMIT)
        )
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.kill()
            process.wait()


def test_a_killed_node_loses_no_acknowledged_event(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """Sessions started on both nodes take events through both (forwarded
    to the owner) while one node is killed with SIGKILL: every session ends
    with each acknowledged event exactly once, in order, an unacknowledged one
    at most once, and its timer fired once; ended sessions leave no key."""
    store = redis_server.url(5)
    results = run_two_nodes(tmp_path, store, drive)
    sessions, acked, maybe, totals = results
    assert len(sessions) == FAULT_SESSIONS
    for sid in sessions:
        seen = totals[sid]
        assert seen.count("rang") == 1, (sid, seen)
        numbers = [n for n in seen if n != "rang"]
        assert numbers == sorted(set(numbers)), (sid, seen)
        assert set(acked[sid]) <= set(numbers), (sid, acked[sid], seen)
        assert set(numbers) <= set(acked[sid]) | set(maybe[sid]), (sid, seen)
    lost = sum(len(maybe[sid]) for sid in sessions)
    assert lost < FAULT_SESSIONS  # only calls under way when the node died


async def drive(
    east: Any, east_url: str, west_url: str, store: str
) -> tuple[list[str], dict[str, list[int]], dict[str, list[int]], dict[str, list[Any]]]:
    urls = [east_url, west_url]
    acked: dict[str, list[int]] = {}
    maybe: dict[str, list[int]] = {}
    adopted: set[str] = set()
    dead = asyncio.Event()
    async with aiohttp.ClientSession(headers=AUTH) as http:
        call = poster(http)

        async def start(index: int) -> str:
            status, body = await call(urls[index % 2], "/scxml/session/start?src=calls")
            assert status == 200, body
            sid: str = json.loads(body)["sessionid"]
            return sid

        sessions = list(
            await asyncio.gather(*(start(i) for i in range(FAULT_SESSIONS)))
        )
        assert {node_of(sid) for sid in sessions} == {"east", "west"}

        async def events(index: int, sid: str) -> None:
            acked[sid], maybe[sid] = [], []
            for n in range(FAULT_EVENTS):
                url = west_url if dead.is_set() else urls[(index + n) % 2]
                path = f"/scxml/session/{sid}/event/add?n={n}"
                while True:
                    try:
                        status, body = await call(url, path)
                    except aiohttp.ClientError:
                        maybe[sid].append(n)  # it may have been queued
                        break
                    if status == 204:
                        acked[sid].append(n)
                        if dead.is_set() and node_of(sid) == "east":
                            adopted.add(sid)
                        break
                    if status == 503 and "storeerror" not in body:
                        # the owner does not answer yet: nothing was queued
                        url = west_url
                        await asyncio.sleep(0.1)
                        continue
                    maybe[sid].append(n)
                    break
                await asyncio.sleep(0.01)

        async def kill() -> None:
            while (
                sum(len(a) for a in acked.values()) < FAULT_SESSIONS * FAULT_EVENTS // 2
            ):
                await asyncio.sleep(0.01)
            east.kill()
            dead.set()

        limit = asyncio.Semaphore(48)

        async def bounded(index: int, sid: str) -> None:
            async with limit:
                await events(index, sid)

        await asyncio.gather(
            kill(), *(bounded(i, sid) for i, sid in enumerate(sessions))
        )
        await asyncio.sleep(5.0)  # every timer is due by now, adopted or not

        async def total(sid: str) -> list[Any]:
            while True:
                status, body = await call(
                    west_url, f"/scxml/session/{sid}/request/total"
                )
                if status == 200:
                    seen: list[Any] = json.loads(body)
                    return seen
                assert status == 503, body
                await asyncio.sleep(0.1)

        totals = {sid: await total(sid) for sid in sessions}
        for sid in sessions:
            status, _ = await call(west_url, f"/scxml/session/{sid}/event/close")
            assert status == 204
        await until(lambda: no_keys(store, sessions), "the ended sessions' keys")
    # sessions of the killed node took events after it died, on the survivor
    assert len(adopted) > FAULT_SESSIONS // 8, len(adopted)
    return sessions, acked, maybe, totals


async def no_keys(store: str, sessions: list[str]) -> bool:
    """Whether Redis holds no key of any of `sessions`."""
    import redis.asyncio

    client = redis.asyncio.from_url(store)
    try:
        keys = [key async for key in client.scan_iter(match="ORS:scxmlc:{*~*}:*")]
    finally:
        await client.aclose()
    left = {key.decode().split("{")[1].split("}")[0] for key in keys}
    return not left & set(sessions)


async def start_sessions(call: Call, url: str, count: int) -> list[str]:
    """Start `count` sessions of CALLS, one after another, through
    `call(url, path)`: their ids, in order."""
    sessions = []
    for _ in range(count):
        status, body = await call(url, "/scxml/session/start?src=calls")
        assert status == 200, body
        sessions.append(json.loads(body)["sessionid"])
    return sessions


async def held_by(store: SessionStore, sessions: list[str], node: str) -> bool:
    """Whether `store` holds a record of each of `sessions` naming `node`."""
    records = [await store.load(sid) for sid in sessions]
    return all(r is not None and r.node == node for r in records)


def test_a_node_paused_past_its_lease_is_fenced_out(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """A node stopped (SIGSTOP) for longer than its lease has its sessions
    adopted; resumed (SIGCONT), it drops them instead of running them on,
    and every event sent afterwards through either node is taken once, by
    the adopter."""
    totals = run_two_nodes(tmp_path, redis_server.url(6), pause)
    assert totals and all(seen == [0, 1, "rang", 2, 3] for seen in totals), totals


async def pause(east: Any, east_url: str, west_url: str, url: str) -> list[Any]:
    store = await open_store(url)
    try:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            call = poster(http)
            sessions = await start_sessions(call, east_url, 20)
            for sid in sessions:
                for n in (0, 1):
                    path = f"/scxml/session/{sid}/event/add?n={n}"
                    assert await call(west_url, path) == (204, "")
            east.send_signal(signal.SIGSTOP)
            await until(lambda: held_by(store, sessions, "west"), "the adoption")
            await asyncio.sleep(4.0)  # every session's timer fires, on west
            east.send_signal(signal.SIGCONT)
            await asyncio.sleep(FAULT_TTL)  # east's next renewal is refused
            for sid in sessions:
                for n, base in ((2, east_url), (3, west_url)):
                    path = f"/scxml/session/{sid}/event/add?n={n}"
                    assert await call(base, path) == (204, ""), (sid, n)
            totals = []
            for sid in sessions:
                for base in (east_url, west_url):
                    status, body = await call(
                        base, f"/scxml/session/{sid}/request/total"
                    )
                    assert status == 200, body
                totals.append(json.loads(body))
            # east carries on under a new lease: it starts sessions again,
            # saved under its new token, and serves them through either node
            status, body = await call(east_url, "/scxml/session/start?src=calls")
            assert status == 200, body
            fresh = json.loads(body)["sessionid"]
            record = await store.load(fresh)
            assert record is not None and record.node == "east"
            assert record.fence > max(
                r.fence for r in [await store.load(sid) for sid in sessions] if r
            )
            assert "east" in await store.live_nodes()
            path = f"/scxml/session/{fresh}/event/add?n=7"
            assert await call(west_url, path) == (204, "")
            assert await call(west_url, f"/scxml/session/{fresh}/request/total") == (
                200,
                "[7]",
            )
            return totals
    finally:
        await store.close()


def test_calls_that_reach_a_node_while_it_is_stopped_never_see_its_stale_sessions(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """Calls sent to a node stopped (SIGSTOP) past its lease, whose sessions
    another node adopted meanwhile, wait in its socket; when it resumes it
    answers none of them from its stale copies: each is refused (503
    `unavailable`, nothing done) or, once it holds a new lease, forwarded to
    the adopter, and a start is refused or saved under the new lease."""
    run_two_nodes(tmp_path, redis_server.url(7), resumed)


async def resumed(east: Any, east_url: str, west_url: str, url: str) -> None:
    store = await open_store(url)
    try:
        async with aiohttp.ClientSession(headers=AUTH) as http:
            call = poster(http)
            sessions = await start_sessions(call, east_url, 8)
            for sid in sessions:
                path = f"/scxml/session/{sid}/event/add?n=0"
                assert await call(east_url, path) == (204, "")
            fences = {(await store.load(sid)).fence for sid in sessions}  # type: ignore[union-attr]
            east.send_signal(signal.SIGSTOP)
            await until(lambda: held_by(store, sessions, "west"), "the adoption")
            for sid in sessions:
                path = f"/scxml/session/{sid}/event/add?n=1"
                assert await call(west_url, path) == (204, "")
            waiting = [
                asyncio.ensure_future(
                    call(east_url, f"/scxml/session/{sid}/request/total")
                )
                for sid in sessions
            ]
            starting = asyncio.ensure_future(
                call(east_url, "/scxml/session/start?src=calls")
            )
            await asyncio.sleep(0.5)  # the calls wait in the stopped node's socket
            east.send_signal(signal.SIGCONT)
            for status, body in await asyncio.gather(*waiting):
                if status == 503:
                    assert json.loads(body)["error"] == "unavailable", body
                else:  # forwarded to west, which took n=1
                    assert status == 200 and json.loads(body)[:2] == [0, 1], body
            status, body = await starting
            if status == 503:
                assert json.loads(body)["error"] == "unavailable", body
            else:
                assert status == 200, body
                record = await store.load(json.loads(body)["sessionid"])
                assert record is not None and record.fence > max(fences)
    finally:
        await store.close()


def test_a_node_whose_store_stops_answering_acknowledges_nothing_and_recovers(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """The private Redis of a node is stopped (SIGSTOP) for twice the lease
    TTL: every call meanwhile is answered 503 (`storeerror` while a store
    call waits, `unavailable` once the lease lapsed), none 204; resumed,
    the node takes a new lease, recovers its sessions and serves on, and
    every session holds each event acknowledged before and after, once, in
    order (an event answered 503: at most once) and its timer fired once."""
    binary = find_redis_server()
    # (the shared redis_server skips or fails without a binary; this test
    # stops a Redis of its own)
    assert binary, "no redis-server"
    password = secrets.token_hex(16)
    redis_process, port = start_redis(binary, str(tmp_path / "redis"), password, 10)
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    (tmp_path / "calls.scxml").write_text(CALLS, encoding="utf-8")
    east, east_url = serve_node(tmp_path, url, "east")
    try:
        asyncio.run(
            asyncio.wait_for(stalled_store(redis_process, east_url, url), FAULT_LIMIT)
        )
    finally:
        redis_process.send_signal(signal.SIGCONT)
        east.kill()
        east.wait()
        stop_redis(redis_process)


async def stalled_store(redis_process: Any, east_url: str, url: str) -> None:
    async with aiohttp.ClientSession(headers=AUTH) as http:

        async def call(path: str) -> tuple[int, str]:
            async with http.post(east_url + path) as answer:
                return answer.status, await answer.text()

        sessions = []
        for _ in range(10):
            status, body = await call("/scxml/session/start?src=calls")
            assert status == 200, body
            sessions.append(json.loads(body)["sessionid"])
        acked = {sid: [0, 1] for sid in sessions}
        maybe: dict[str, list[int]] = {sid: [] for sid in sessions}
        for sid in sessions:
            for n in (0, 1):
                assert await call(f"/scxml/session/{sid}/event/add?n={n}") == (204, "")
        redis_process.send_signal(signal.SIGSTOP)
        errors = set()
        stalled = time.monotonic()
        n = 2
        while time.monotonic() - stalled < 2 * FAULT_TTL:
            answers = await asyncio.gather(
                *(call(f"/scxml/session/{sid}/event/add?n={n}") for sid in sessions)
            )
            for sid, (status, body) in zip(sessions, answers):
                assert status == 503, (status, body)  # never acknowledged
                errors.add(json.loads(body)["error"])
                maybe[sid].append(n)
            n += 1
        assert errors <= {"storeerror", "unavailable"} and "unavailable" in errors
        redis_process.send_signal(signal.SIGCONT)

        async def serving() -> bool:
            status, _ = await call(f"/scxml/session/{sessions[0]}/request/total")
            return status == 200

        await until(serving, "the node serving again")
        for sid in sessions:
            assert await call(f"/scxml/session/{sid}/event/add?n=99") == (204, "")
            acked[sid].append(99)

        async def total(sid: str) -> list[Any]:
            status, body = await call(f"/scxml/session/{sid}/request/total")
            assert status == 200, body
            seen: list[Any] = json.loads(body)
            return seen

        async def rang() -> bool:
            totals = [await total(sid) for sid in sessions]
            return all("rang" in seen for seen in totals)

        await until(rang, "every session's timer")
        for sid in sessions:
            seen = await total(sid)
            assert seen.count("rang") == 1, seen
            numbers = [n for n in seen if n != "rang"]
            assert numbers == sorted(set(numbers)), seen
            assert set(acked[sid]) <= set(numbers) <= set(acked[sid] + maybe[sid])


def test_an_access_uri_names_the_advertised_address_and_outlives_its_node(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """Two nodes serve with `--advertise-url` naming a load balancer (a TCP
    proxy to one of them): a session's access URI names the balancer, a POST
    to it reaches the session through a node that does not run it, and,
    once that node is killed and the session adopted, through the adopter."""
    balancer = socket.socket()
    balancer.bind(("127.0.0.1", 0))
    balancer.listen(64)
    advertised = f"http://127.0.0.1:{balancer.getsockname()[1]}"
    (tmp_path / "calls.scxml").write_text(CALLS, encoding="utf-8")
    store = redis_server.url(8)
    processes = []
    try:
        for node in ("east", "west"):
            process, address = serve_node(
                tmp_path, store, node, "--advertise-url", advertised
            )
            processes.append((process, address))
        (east, east_url), (_, west_url) = processes
        asyncio.run(
            asyncio.wait_for(
                advertised_uri(balancer, advertised, east, east_url, west_url, store),
                FAULT_LIMIT,
            )
        )
    finally:
        for process, _ in processes:
            process.kill()
            process.wait()
        balancer.close()


async def advertised_uri(
    balancer: socket.socket,
    advertised: str,
    east: Any,
    east_url: str,
    west_url: str,
    url: str,
) -> None:
    west_port = int(west_url.rsplit(":", 1)[1])
    proxy = await asyncio.start_server(proxy_to(west_port), sock=balancer)
    store = await open_store(url)
    try:
        async with aiohttp.ClientSession(headers=AUTH) as http:

            async def call(address: str, path: str, **data: str) -> tuple[int, str]:
                async with http.post(address + path, data=data) as answer:
                    return answer.status, await answer.text()

            status, body = await call(east_url, "/scxml/session/start?src=calls")
            assert status == 200, body
            sid = json.loads(body)["sessionid"]
            where = await call(advertised, f"/scxml/session/{sid}/request/where")
            assert where == (200, f"{advertised}/scxml/{sid}")
            location = where[1]
            post = {"_scxmleventname": "add", "n": "1"}
            assert await call(location, "", **post) == (204, "")
            record = await store.load(sid)
            assert record is not None and record.node == "east"
            east.kill()
            east.wait()
            await until(lambda: held_by(store, [sid], "west"), "the adoption")
            post = {"_scxmleventname": "add", "n": "2"}
            assert await call(location, "", **post) == (204, "")
            status, body = await call(advertised, f"/scxml/session/{sid}/request/total")
            assert status == 200, body
            assert [n for n in json.loads(body) if n != "rang"] == [1, 2]
            where = await call(advertised, f"/scxml/session/{sid}/request/where")
            assert where == (200, location)
    finally:
        await store.close()
        proxy.close()
        await proxy.wait_closed()


def proxy_to(
    port: int,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """A TCP proxy's connection handler: each connection piped to `port` on
    loopback."""

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            sink.close()

    async def connect(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", port
            )
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            pipe(reader, upstream_writer), pipe(upstream_reader, writer)
        )

    return connect
