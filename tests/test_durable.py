"""Durable sessions in the session server (`runtime/ors/durable.py`): each
macrostep saved with the events it consumed, 204 only after the store holds
the event, `_persist="false"`, passivation and transparent reactivation by an
event, a timer and a REST call, recovery after a restart in-process, and
`kill -9` of a real `scxmlc serve --store sqlite:...` with a few hundred
sessions. Every store: memory, SQLite and a real Redis (tests/redis_server.py)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis_server import redis_server  # noqa: F401  (the fixture)

import scxmlc
from scxmlc.runtime import Machine
from scxmlc.runtime.events import Event
from scxmlc.runtime.ors.durable import Durability, decode_event, encode_event
from scxmlc.runtime.ors.server import SessionServer
from scxmlc.runtime.sim.serving import simulated_server
from scxmlc.runtime.store import (
    MemoryStore,
    SessionStore,
    StoreError,
    StoreUrlError,
    store_from_url,
)

LIMIT = 60.0
"""Seconds a test may last; it only stops one that hangs."""

COUNTER = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="counter" initial="run" {persist}>
  <datamodel><data id="seen" expr="[]"/><data id="ticks" expr="0"/></datamodel>
  <state id="run">
    <onentry><send event="tick" delay="{delay}"/></onentry>
    <transition event="tick"><assign location="ticks" expr="ticks + 1"/></transition>
    <transition event="e"><script>seen.append(int(_event.data['n']))</script></transition>
    <transition event="finish" target="done"/>
  </state>
  <state id="done">
    <transition event="e"><script>seen.append(int(_event.data['n']))</script></transition>
  </state>
</scxml>
"""


def counter(tmp_path: Path, *, delay: str = "1s", persist: str = "") -> Path:
    path = tmp_path / "counter.scxml"
    path.write_text(COUNTER.format(delay=delay, persist=persist), encoding="utf-8")
    return path


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory:"
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'sessions.db'}"
    server = request.getfixturevalue("redis_server")
    url: str = server.url(db=random.randrange(1, 16))
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()  # no sessions of an earlier test: none is recovered
    finally:
        client.close()
    return url


def run(body: Any) -> None:
    asyncio.run(asyncio.wait_for(body, LIMIT))


class Client:
    def __init__(self, server: SessionServer, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = http

    async def call(self, method: str, path: str, **request: Any) -> tuple[int, Any]:
        async with self.http.request(method, self.server.url + path, **request) as a:
            if a.content_type == "application/json":
                return a.status, await a.json()
            return a.status, await a.text()

    async def start(self, due: float | None = None) -> str:
        """A new counter session's id; `due` (epoch seconds) delays its
        start to then, as the request's `idealtime`."""
        data = {"src": "counter"}
        if due is not None:
            data["idealtime"] = str(int(due * 1000))
        status, body = await self.call("POST", "/scxml/session/start", data=data)
        assert status == 200, body
        sessionid: str = body["sessionid"]
        return sessionid

    async def send(self, sessionid: str, name: str, **data: Any) -> int:
        status, _ = await self.call(
            "POST", f"/scxml/session/{sessionid}/event/{name}", json=data
        )
        return status

    async def query(self, sessionid: str) -> dict[str, Any]:
        status, body = await self.call("GET", f"/scxml/session/{sessionid}/query")
        assert status == 200, body
        result: dict[str, Any] = body
        return result

    async def until(self, sessionid: str, check: Any) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        query = await self.query(sessionid)
        while not check(query) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            query = await self.query(sessionid)
        return query


@asynccontextmanager
async def serving(
    cls: type[Machine],
    store: SessionStore,
    *,
    passivate_after: float = 0.0,
    node: str = "n1",
) -> AsyncIterator[Client]:
    server = simulated_server(lambda uri, base: cls)
    server.attach_durability(
        Durability(
            server.platform,
            store,
            node=node,
            passivate_after=passivate_after,
            tick=0.05,
        )
    )
    async with server, aiohttp.ClientSession() as http:
        yield Client(server, http)


async def opened(url: str) -> SessionStore:
    store = store_from_url(url)
    await store.connect()
    return store


def run_with_store(store_url: str, body: Any) -> None:
    """Run `body(store)` on the store at `store_url`, closed after."""

    async def opened_for_body() -> None:
        store = await opened(store_url)
        try:
            await body(store)
        finally:
            await store.close()

    run(opened_for_body())


async def gone(client: Client) -> None:
    """The process of `client`'s server is gone: once what it was saving is
    saved, none of its sessions runs any more."""
    await asyncio.sleep(0.1)
    for session in list(client.server.platform.sessions.values()):
        session.machine.dispose()


def durability(client: Client) -> Durability:
    found = client.server.durability
    assert found is not None
    return found


def test_events_round_trip_through_the_queue() -> None:
    event = Event("e", {"n": 1, "nested": {"a": [1, "x"]}}, origintype="urn:x")
    again = decode_event(encode_event(event))
    assert (again.name, again.data, again.origintype) == (
        "e",
        {"n": 1, "nested": {"a": [1, "x"]}},
        "urn:x",
    )
    assert again.data.nested.a == [1, "x"]


def test_each_macrostep_is_saved_with_the_events_it_consumed(
    tmp_path: Path, store_url: str
) -> None:
    cls = scxmlc.load(counter(tmp_path))

    async def body(store: SessionStore) -> None:
        async with serving(cls, store) as client:
            sid = await client.start()
            assert await store.load(sid) is not None  # saved before the answer
            for n in range(5):
                assert await client.send(sid, "e", n=n) == 204
            await client.until(sid, lambda q: q["datamodel"]["seen"] == [0, 1, 2, 3, 4])
            await asyncio.sleep(0.1)  # the flush of that macrostep
            record = await store.load(sid)
            assert record is not None and record.node == "n1"
            assert record.document == "counter" and record.due is not None
            assert await store.pending(sid) == []
            restored = cls.restore(record.snapshot)
            assert restored.dm.seen == [0, 1, 2, 3, 4]
            assert durability(client).saves >= 2
            status, _ = await client.call("POST", f"/scxml/session/{sid}/terminate")
            assert status == 200
            await asyncio.sleep(0.1)
            assert await store.load(sid) is None  # an ended session is deleted

    run_with_store(store_url, body)


class SlowStore:
    """A store whose appends wait for `release`, or fail."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.release = asyncio.Event()
        self.fail = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def append(self, sessionid: str, data: bytes) -> int | None:
        await self.release.wait()
        if self.fail:
            raise StoreError("the store is down")
        return await self.store.append(sessionid, data)


def test_an_event_is_answered_only_once_the_store_holds_it(tmp_path: Path) -> None:
    cls = scxmlc.load(counter(tmp_path))

    async def body() -> None:
        slow = SlowStore(await opened(f"sqlite:{tmp_path / 's.db'}"))
        async with serving(cls, slow) as client:  # type: ignore[arg-type]
            sid = await client.start()
            sending = asyncio.ensure_future(client.send(sid, "e", n=1))
            await asyncio.sleep(0.2)
            assert not sending.done()
            query = await client.query(sid)
            assert query["datamodel"]["seen"] == []  # not handed over yet
            slow.release.set()
            assert await sending == 204
            assert [e.seq for e in await slow.store.pending(sid)] in ([1], [])
            await client.until(sid, lambda q: q["datamodel"]["seen"] == [1])
            slow.fail = True
            status, answer = await client.call(
                "POST", f"/scxml/session/{sid}/event/e", json={"n": 2}
            )
            assert status == 503 and answer["error"] == "storeerror"
            await asyncio.sleep(0.1)
            assert (await client.query(sid))["datamodel"]["seen"] == [1]
        await slow.store.close()

    run(body())


class ReversedAppends:
    """A store whose appends take effect at once but return to their
    callers in the reverse order of their `seq`, once `count` are under way:
    the last one queued returns first."""

    def __init__(self, store: SessionStore, count: int) -> None:
        self.store = store
        self.count = count
        self.queued: dict[int, int] = {}
        """`seq` -> the event's `n`."""
        self.returned: list[int] = []
        self._turns: dict[int, asyncio.Event] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def append(self, sessionid: str, data: bytes) -> int | None:
        seq = await self.store.append(sessionid, data)
        assert seq is not None
        self.queued[seq] = decode_event(data).data["n"]
        turn = self._turns[seq] = asyncio.Event()
        if len(self.queued) == self.count:
            self._turns[max(self.queued)].set()
        await turn.wait()
        self.returned.append(seq)
        earlier = self._turns.get(seq - 1)
        if earlier is not None:  # its caller goes on once this one's has
            asyncio.get_running_loop().call_soon(earlier.set)
        return seq


def test_events_reach_the_session_in_seq_order(tmp_path: Path) -> None:
    """Appends that return in the reverse order of their `seq` still hand
    the events to the session in `seq` order."""
    cls = scxmlc.load(counter(tmp_path))
    count = 40

    async def body() -> None:
        store = await opened(f"sqlite:{tmp_path / 's.db'}")
        reversed_appends = ReversedAppends(store, count)
        async with serving(cls, reversed_appends) as client:  # type: ignore[arg-type]
            sid = await client.start()
            statuses = await asyncio.gather(
                *(client.send(sid, "e", n=n) for n in range(count))
            )
            assert set(statuses) == {204}
            assert reversed_appends.returned == sorted(reversed_appends.queued)[::-1]
            query = await client.until(
                sid, lambda q: len(q["datamodel"]["seen"]) == count
            )
            in_seq_order = [n for _, n in sorted(reversed_appends.queued.items())]
            assert query["datamodel"]["seen"] == in_seq_order
        await store.close()

    run(body())


def test_events_to_the_access_uri_are_queued_durably_and_wake_passivated_sessions(
    tmp_path: Path,
) -> None:
    cls = scxmlc.load(counter(tmp_path, delay="3600s"))

    async def body() -> None:
        slow = SlowStore(await opened(f"sqlite:{tmp_path / 's.db'}"))
        async with serving(cls, slow, passivate_after=3600) as client:  # type: ignore[arg-type]
            dur = durability(client)

            async def post(sid: str, name: str, **data: Any) -> tuple[int, Any]:
                return await client.call(
                    "POST", f"/scxml/{sid}", data={"_scxmleventname": name, **data}
                )

            sid = await client.start()
            posting = asyncio.ensure_future(post(sid, "e", n=1))
            await asyncio.sleep(0.2)
            assert not posting.done()  # not answered before the store holds it
            assert (await client.query(sid))["datamodel"]["seen"] == []
            slow.release.set()
            assert (await posting)[0] == 204
            await client.until(sid, lambda q: q["datamodel"]["seen"] == [1])
            # the limits and refusals of Basic HTTP stay as they were
            status, text = await post(sid, "error.platform")
            assert status == 400 and "platform event" in text
            assert (await post("nosuchsession", "e", n=0))[0] == 404
            slow.fail = True
            assert (await post(sid, "e", n=2))[0] == 503
            slow.fail = False
            # a passivated session comes back for a POST to its access URI
            await asyncio.sleep(0.1)
            assert dur.passivate_idle(0.0) == 1
            deadline = time.monotonic() + 5
            while sid not in dur.passive and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert sid in dur.passive
            statuses = [(await post(sid, "e", n=n))[0] for n in range(3, 8)]
            assert statuses == [204] * 5
            query = await client.until(sid, lambda q: len(q["datamodel"]["seen"]) == 6)
            assert query["datamodel"]["seen"] == [1, 3, 4, 5, 6, 7]
            assert dur.reactivated == 1
            await asyncio.sleep(0.1)
            record = await slow.store.load(sid)
            assert record is not None
            assert cls.restore(record.snapshot).dm.seen == [1, 3, 4, 5, 6, 7]
            assert await slow.store.pending(sid) == []
        await slow.store.close()

    run(body())


def test_documents_marked_persist_false_are_never_persisted(
    tmp_path: Path, store_url: str
) -> None:
    cls = scxmlc.load(
        counter(
            tmp_path,
            persist='xmlns:ixn="http://www.genesyslab.com/modules/interaction" '
            '_persist="false"',
        )
    )

    async def body(store: SessionStore) -> None:
        async with serving(cls, store, passivate_after=0.01) as client:
            sid = await client.start()
            assert await client.send(sid, "e", n=1) == 204
            await client.until(sid, lambda q: q["datamodel"]["seen"] == [1])
            assert durability(client).passivate_idle(0.0) == 0
            await asyncio.sleep(0.1)
            assert await store.load(sid) is None
            assert await store.sessions() == []
            assert durability(client).saves == 0

    run_with_store(store_url, body)


def test_passivated_sessions_come_back_for_an_event_a_timer_and_a_query(
    tmp_path: Path, store_url: str
) -> None:
    cls = scxmlc.load(counter(tmp_path, delay="0.6s"))

    async def body(store: SessionStore) -> None:
        async with serving(cls, store, passivate_after=3600) as client:
            dur = durability(client)
            platform = client.server.platform
            by_event, by_query, by_timer = [await client.start() for _ in range(3)]
            await asyncio.sleep(0.7)  # each one's tick fired
            for sid in (by_event, by_query, by_timer):
                await client.until(sid, lambda q: q["datamodel"]["ticks"] == 1)
            for sid in (by_event, by_query):
                assert await client.send(sid, "finish") == 204
                await client.until(sid, lambda q: q["configuration"] == ["done"])
            assert dur.passivate_idle(0.0) == 3
            deadline = time.monotonic() + 10
            while platform.sessions and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert platform.sessions == {}
            assert dur.passive == {by_event, by_query, by_timer}
            # an event brings its session back, and is processed once
            assert await client.send(by_event, "e", n=7) == 204
            query = await client.until(by_event, lambda q: q["datamodel"]["seen"])
            assert query["datamodel"]["seen"] == [7]
            assert query["configuration"] == ["done"]
            # a query reads the session, brought back
            query = await client.query(by_query)
            assert query["configuration"] == ["done"]
            assert query["datamodel"] == {"seen": [], "ticks": 1}
            assert dur.reactivated == 2 and by_timer in dur.passive

    run_with_store(store_url, body)


TIMED = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
    datamodel="python" name="counter" initial="wait">
  <state id="wait">
    <transition event="arm" target="armed"/>
  </state>
  <state id="armed">
    <onentry><send event="ring" delay="0.5s"/></onentry>
    <transition event="ring" target="rung"/>
  </state>
  <state id="rung"/>
</scxml>
"""


def test_a_passivated_session_comes_back_when_its_timer_falls_due(
    tmp_path: Path, store_url: str
) -> None:
    (tmp_path / "timed.scxml").write_text(TIMED, encoding="utf-8")
    cls = scxmlc.load(tmp_path / "timed.scxml")

    async def body(store: SessionStore) -> None:
        async with serving(cls, store, passivate_after=3600) as client:
            dur = durability(client)
            dur.tick = 0.05
            sid = await client.start()
            assert await client.send(sid, "arm") == 204
            await client.until(sid, lambda q: q["configuration"] == ["armed"])
            await asyncio.sleep(0.1)
            assert dur.passivate_idle(0.0) == 1
            deadline = time.monotonic() + 5
            while sid not in dur.passive and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert sid in dur.passive
            while dur.reactivated == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert dur.reactivated == 1  # by the timer, not by a call
            assert sid in client.server.platform.sessions
            query = await client.until(sid, lambda q: q["configuration"] == ["rung"])
            assert query["configuration"] == ["rung"]

    run_with_store(store_url, body)


def test_sessions_resume_after_a_restart_and_overdue_timers_fire(
    tmp_path: Path, store_url: str
) -> None:
    cls = scxmlc.load(counter(tmp_path, delay="1s"))

    async def body(store: SessionStore) -> None:
        async with serving(cls, store) as client:
            sids = [await client.start() for _ in range(5)]
            for n, sid in enumerate(sids):
                assert await client.send(sid, "e", n=n) == 204
            for n, sid in enumerate(sids):
                await client.until(sid, lambda q, n=n: q["datamodel"]["seen"] == [n])
            await gone(client)
        await asyncio.sleep(1.2)  # every tick is overdue now
        async with serving(cls, store) as client:
            for n, sid in enumerate(sids):
                query = await client.until(sid, lambda q: q["datamodel"]["ticks"] == 1)
                assert query["datamodel"] == {"seen": [n], "ticks": 1}
                assert await client.send(sid, "e", n=10 + n) == 204
                query = await client.until(
                    sid, lambda q: len(q["datamodel"]["seen"]) == 2
                )
                assert query["datamodel"]["seen"] == [n, 10 + n]

    run_with_store(store_url, body)


def test_a_delayed_start_survives_a_restart(tmp_path: Path, store_url: str) -> None:
    cls = scxmlc.load(counter(tmp_path, delay="3600s"))

    async def body(store: SessionStore) -> None:
        async with serving(cls, store) as client:
            overdue = await client.start(due=time.time() + 0.6)
            later = await client.start(due=time.time() + 2.0)
            record = await store.load(later)
            assert record is not None and record.due is not None
            assert record.due > time.time() + 1  # the pending start, in the index
            assert await client.send(later, "e", n=1) == 204  # waits in the queue
            await gone(client)
        await asyncio.sleep(0.7)  # the first one's start is overdue now
        async with serving(cls, store) as client:
            query = await client.until(overdue, lambda q: q["configuration"])
            assert query["configuration"] == ["run"]
            await asyncio.sleep(0.3)
            query = await client.query(later)
            assert query["configuration"] == [] and not query["datamodel"]["seen"]
            query = await client.until(later, lambda q: q["datamodel"]["seen"])
            assert query["configuration"] == ["run"]
            assert query["datamodel"]["seen"] == [1]

    run_with_store(store_url, body)


def test_a_delayed_start_brings_its_session_back_from_the_store(
    tmp_path: Path, store_url: str
) -> None:
    cls = scxmlc.load(counter(tmp_path, delay="3600s"))

    async def body(store: SessionStore) -> None:
        async with serving(cls, store) as client:
            due = time.time() + 1.0
            sid = await client.start(due=due)
            await gone(client)
        async with serving(cls, store, passivate_after=3600) as client:
            dur = durability(client)
            assert sid in dur.passive  # not due yet: left in the store
            deadline = time.monotonic() + 5
            while dur.reactivated == 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert dur.reactivated == 1  # by the due index, not by a call
            query = await client.until(sid, lambda q: q["configuration"])
            assert query["configuration"] == ["run"]
            assert time.time() >= due - 0.01  # not before its time

    run_with_store(store_url, body)


def test_passivated_sessions_end_after_the_idle_timeout(
    tmp_path: Path, store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    cls = scxmlc.load(counter(tmp_path, delay="3600s"))

    async def body(store: SessionStore) -> None:
        async with serving(cls, store, passivate_after=3600) as client:
            client.server.idle_timeout = 1.0
            dur = durability(client)
            sid = await client.start()
            assert await client.send(sid, "e", n=1) == 204
            await client.until(sid, lambda q: q["datamodel"]["seen"] == [1])
            await asyncio.sleep(0.1)
            assert dur.passivate_idle(0.0) == 1
            deadline = time.monotonic() + 5
            while sid not in dur.passive and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert sid in dur.passive
            passivated = time.monotonic()
            await asyncio.sleep(0.4)
            assert await store.load(sid) is not None  # not idle for long enough
            while await store.load(sid) is not None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert await store.load(sid) is None
            assert time.monotonic() - passivated >= 0.8
            assert sid not in dur.passive and dur.reactivated == 0
            status, _ = await client.call(
                "POST", f"/scxml/session/{sid}/event/e", json={"n": 2}
            )
            assert status == 404
            status, _ = await client.call(
                "POST", f"/scxml/{sid}", data={"_scxmleventname": "e"}
            )
            assert status == 404
            assert await store.sessions() == []

    with caplog.at_level("WARNING", logger="scxmlc.server"):
        run_with_store(store_url, body)
    assert any(
        "idle_timeout 1 s, passivated" in record.getMessage()
        for record in caplog.records
    )


# -- kill -9 of a real server ----------------------------------------------------------

SESSIONS = 300
EVENTS = 6


def _serve(tmp_path: Path, db: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "scxmlc.compiler.commands.cli", "serve"]
        + ["counter.scxml", "--port", "0", "--store", f"sqlite:{db}"]
        + ["--node", "n1", "--max-sessions-per-caller", "5000"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("scxmlc serve: listening on http://127.0.0.1:"), line
    return process, line.split()[4]


def test_kill_9_loses_or_doubles_no_acknowledged_event(tmp_path: Path) -> None:
    """A few hundred sessions, each sent EVENTS events then `finish`; the
    server is killed with SIGKILL mid-way and started again on the same
    file. Every acknowledged event is processed exactly once; an event whose
    answer was lost in the crash, sent again, at most twice; every session
    ends in `done` with its timer fired once, as without the crash."""
    counter(tmp_path, delay="0.5s")
    db = tmp_path / "sessions.db"
    acked: dict[str, set[int]] = {}
    unsure: dict[str, set[int]] = {}

    async def send_all(url: str, sids: list[str], stop_after: int | None) -> None:
        sent = 0
        connector = aiohttp.TCPConnector(limit=32)
        async with aiohttp.ClientSession(connector=connector) as http:

            async def one(sid: str, n: int) -> None:
                nonlocal sent
                if n in acked[sid]:
                    return
                try:
                    name = "finish" if n == EVENTS else "e"
                    url_ = f"{url}/scxml/session/{sid}/event/{name}"
                    async with http.post(url_, json={"n": n}) as answer:
                        if answer.status == 204:
                            acked[sid].add(n)
                            return
                        unsure[sid].add(n)
                except aiohttp.ClientError:
                    unsure[sid].add(n)

            for n in range(EVENTS + 1):
                await asyncio.gather(*(one(sid, n) for sid in sids))
                sent += 1
                if stop_after is not None and sent >= stop_after:
                    return

    async def start_all(url: str) -> list[str]:
        async with aiohttp.ClientSession() as http:

            async def one() -> str:
                async with http.post(
                    f"{url}/scxml/session/start", data={"src": "counter"}
                ) as answer:
                    assert answer.status == 200
                    sid: str = (await answer.json())["sessionid"]
                    return sid

            return list(await asyncio.gather(*(one() for _ in range(SESSIONS))))

    async def results(url: str, sids: list[str]) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http:

            async def one(sid: str) -> Any:
                async with http.get(f"{url}/scxml/session/{sid}/query") as answer:
                    assert answer.status == 200, sid
                    return await answer.json()

            return dict(zip(sids, await asyncio.gather(*(one(s) for s in sids))))

    process, url = _serve(tmp_path, db)
    try:
        sids = asyncio.run(asyncio.wait_for(start_all(url), LIMIT))
        for sid in sids:
            acked[sid], unsure[sid] = set(), set()

        async def crash_mid_way() -> None:
            sending = asyncio.ensure_future(send_all(url, sids, None))
            await asyncio.sleep(0.4)
            os.kill(process.pid, signal.SIGKILL)
            await asyncio.gather(sending, return_exceptions=True)

        asyncio.run(asyncio.wait_for(crash_mid_way(), LIMIT))
        process.wait(LIMIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    in_flight = sum(len(unsure[sid]) for sid in sids)
    done_before = sum(len(acked[sid]) for sid in sids)
    assert 0 < done_before < SESSIONS * (EVENTS + 1), (done_before, in_flight)
    time.sleep(0.5)  # every timer overdue
    process, url = _serve(tmp_path, db)
    try:
        asyncio.run(asyncio.wait_for(send_all(url, sids, None), LIMIT))

        async def settled() -> dict[str, Any]:
            deadline = time.monotonic() + 20
            while True:
                found = await results(url, sids)
                ready = all(
                    q["configuration"] == ["done"] and q["datamodel"]["ticks"] == 1
                    for q in found.values()
                )
                if ready or time.monotonic() > deadline:
                    return found
                await asyncio.sleep(0.1)

        found = asyncio.run(asyncio.wait_for(settled(), LIMIT))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(LIMIT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    for sid in sids:
        query = found[sid]
        assert query["configuration"] == ["done"], sid
        assert query["datamodel"]["ticks"] == 1, sid
        seen = query["datamodel"]["seen"]
        assert acked[sid] == set(range(EVENTS + 1)), sid
        for n in range(EVENTS):
            expected = (1, 2) if n in unsure[sid] else (1,)
            assert seen.count(n) in expected, (sid, n, seen, unsure[sid])
        assert len(seen) == EVENTS or unsure[sid], (sid, seen)
    assert json.dumps(found)  # plain JSON throughout


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--store", "postgres://h/db"], "unknown scheme 'postgres'"),
        (["--store", "memory:", "--node", "a b"], "node 'a b' may hold only"),
        (["--store", "redis://127.0.0.1:1/0"], "scxmlc serve: store redis://"),
        (["--node", "n1"], "need --store"),
        (["--passivate-after", "60"], "need --store"),
        (
            ["--advertise-url", "ftp://lb.example"],
            "scxmlc serve: --advertise-url: 'ftp://lb.example' is not an http:// "
            "or https:// URL of a host",
        ),
        (
            ["--advertise-url", "https://lb.example/ors"],
            "'https://lb.example/ors' may name a scheme, host and port only",
        ),
        (
            ["--store", "redis://:pw@127.0.0.1/0?retry_on_timeout=true"],
            "scxmlc serve: --store: store URL 'redis://:***@127.0.0.1/0?"
            "retry_on_timeout=true': unknown Redis option 'retry_on_timeout' "
            "(allowed: max_connections, socket_connect_timeout, socket_timeout; "
            "with rediss:// also ssl_ca_certs, ssl_certfile, ssl_keyfile)",
        ),
    ],
)
def test_scxmlc_serve_refuses_a_store_it_cannot_use(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    counter(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "scxmlc.compiler.commands.cli", "serve"]
        + ["counter.scxml", "--port", "0", *flags],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=LIMIT,
    )
    assert done.returncode == 1
    assert message in done.stderr


def test_a_node_that_lost_its_lease_carries_on_under_a_new_one(
    tmp_path: Path,
) -> None:
    """A node paused past its lease, whose sessions another node adopted,
    drops them when it resumes, takes a new lease (a new token) and starts
    and saves sessions under it; its old token is refused."""
    cls = scxmlc.load(counter(tmp_path, delay="3600s"))

    async def body() -> None:
        store = MemoryStore()
        server = simulated_server(lambda uri, base: cls)
        east = Durability(server.platform, store, node="east", lease_ttl=1.0)
        server.attach_durability(east)
        west = await store.acquire_lease("west", 60.0)
        async with server, aiohttp.ClientSession() as http:
            client = Client(server, http)
            sid = await client.start()
            assert await client.send(sid, "e", n=1) == 204
            await east.saved(sid)
            old = east.token
            time.sleep(1.0)  # paused: the loop runs nothing, the lease expires
            assert not east.leased  # no session starts under the old token
            assert await store.adopt("east", "west", west) == [sid]
            for _ in range(200):
                if east.token > old:
                    break
                await asyncio.sleep(0.01)
            assert east.token > old and east.lost == 1 and east.leased
            assert sid not in server.platform.sessions and not east.persists(sid)
            record = await store.load(sid)
            assert record is not None and (record.node, record.fence) == ("west", west)
            assert not await store.renew_lease("east", old, 1.0)
            fresh = await client.start()
            assert await client.send(fresh, "e", n=2) == 204
            query = await client.until(fresh, lambda q: q["datamodel"]["seen"] == [2])
            assert query["datamodel"]["seen"] == [2]
            await east.saved(fresh)
            record = await store.load(fresh)
            assert record is not None
            assert (record.node, record.fence) == ("east", east.token)
            assert set(await store.live_nodes()) == {"east", "west"}

    run(body())


class HeldLeases:
    """A store that holds back new leases while `held` is set."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.held = False
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def acquire_lease(self, node: str, ttl: float, *, address: str = "") -> int:
        if self.held:
            await self.release.wait()
        return await self.store.acquire_lease(node, ttl, address=address)


def test_a_node_whose_lease_lapsed_runs_nothing_of_its_sessions(
    tmp_path: Path,
) -> None:
    """A node paused (its loop blocked, as by SIGSTOP) past the live part of
    its lease drops its sessions before anything of them runs: the timer
    that fell due in the pause does not fire in the old copy, every call is
    answered 503 `unavailable` until the node holds a new lease, and the
    session, recovered under it, takes its timer once."""
    cls = scxmlc.load(counter(tmp_path, delay="1s"))

    async def body() -> None:
        store = HeldLeases(MemoryStore())
        server = simulated_server(lambda uri, base: cls)
        east = Durability(server.platform, store, node="east", lease_ttl=2.0)  # type: ignore[arg-type]
        server.attach_durability(east)
        async with server, aiohttp.ClientSession() as http:
            client = Client(server, http)
            sid = await client.start()
            await east.saved(sid)
            old = server.platform.sessions[sid]
            ticks = old.machine.dm.ticks  # 0, unless the machine is very slow
            store.held = True
            time.sleep(2.0)  # paused: the timer falls due, the lease lapses
            for method, path in (
                ("GET", f"/scxml/session/{sid}/query"),
                ("POST", f"/scxml/session/{sid}/event/e?n=1"),
                ("POST", f"/scxml/{sid}?_scxmleventname=e&n=1"),
                ("POST", "/scxml/session/start?src=counter"),
            ):
                status, answer = await client.call(method, path)
                assert (status, answer["error"]) == (503, "unavailable"), path
                assert "holds no live lease" in answer["description"]
            assert old.machine.dm.ticks == ticks  # its timer did not fire here
            assert east.lost == 1 and not east.leased
            assert sid not in server.platform.sessions and not east.persists(sid)
            store.release.set()
            while not east.leased:
                await asyncio.sleep(0.01)
            query = await client.until(sid, lambda q: q["datamodel"]["ticks"] == 1)
            assert query["datamodel"] == {"seen": [], "ticks": 1}
            assert server.platform.sessions[sid] is not old
            assert await client.send(sid, "e", n=2) == 204
            query = await client.until(sid, lambda q: q["datamodel"]["seen"] == [2])
            assert query["datamodel"] == {"seen": [2], "ticks": 1}

    run(body())


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("retry_on_timeout=true", "unknown Redis option 'retry_on_timeout'"),
        ("ssl_cert_reqs=none", "unknown Redis option 'ssl_cert_reqs'"),
        ("ssl_ca_certs=/ca.pem", "unknown Redis option 'ssl_ca_certs'"),
        ("socket_timeout=0", "socket_timeout is a positive number of seconds, not '0'"),
        ("socket_timeout=nan", "socket_timeout is a positive number of seconds"),
        ("max_connections=1.5", "max_connections is a positive integer, not '1.5'"),
        ("max_connections=2&max_connections=3", "max_connections is given twice"),
    ],
)
def test_a_redis_url_takes_only_the_documented_options(query: str, why: str) -> None:
    with pytest.raises(StoreUrlError) as refused:
        store_from_url(f"redis://:secret@127.0.0.1:6379/0?{query}")
    assert why in str(refused.value) and "secret" not in str(refused.value)


def test_the_documented_redis_options_reach_the_client(redis_server: Any) -> None:
    tls = store_from_url("rediss://127.0.0.1:6379/0?ssl_ca_certs=/ca.pem")
    assert tls is not None  # accepted over TLS only
    url = redis_server.url(db=2) + "?socket_timeout=5&socket_connect_timeout=2.5"

    async def body() -> None:
        store = await opened(url + "&max_connections=8")
        try:
            pool = store.client.connection_pool  # type: ignore[attr-defined]
            assert pool.connection_kwargs["socket_timeout"] == 5.0
            assert pool.connection_kwargs["socket_connect_timeout"] == 2.5
            assert pool.max_connections == 8
            assert await store.load("nosuch") is None
        finally:
            await store.close()

    run(body())


def test_calls_beyond_max_connections_wait_for_a_connection(redis_server: Any) -> None:
    """A burst larger than the pool (a node adopting a dead node's sessions)
    queues for connections instead of failing with 'Too many connections'."""
    url = redis_server.url(db=2) + "?max_connections=2"

    async def body() -> None:
        store = await opened(url)
        try:
            loads = [store.load(f"nosuch-{n}") for n in range(40)]
            assert await asyncio.gather(*loads) == [None] * 40
            pool = store.client.connection_pool  # type: ignore[attr-defined]
            assert pool.max_connections == 2
        finally:
            await store.close()

    run(body())


def test_events_being_stored_count_against_max_queued_events(tmp_path: Path) -> None:
    """`max_queued_events` counts the events a session has in memory and
    those on their way through the store: with three appends held back, a
    fourth event is refused (REST and Basic HTTP alike), and taken once the
    three reached the session."""
    cls = scxmlc.load(counter(tmp_path))

    async def body() -> None:
        slow = SlowStore(await opened(f"sqlite:{tmp_path / 's.db'}"))
        server = simulated_server(lambda uri, base: cls, max_queued_events=3)
        server.attach_durability(Durability(server.platform, slow, node="n1"))  # type: ignore[arg-type]
        async with server, aiohttp.ClientSession() as http:
            client = Client(server, http)
            sid = await client.start()
            held = [asyncio.ensure_future(client.send(sid, "e", n=n)) for n in range(3)]
            while durability(client).queued(sid) < 3:
                await asyncio.sleep(0.01)
            status, answer = await client.call(
                "POST", f"/scxml/session/{sid}/event/e", json={"n": 3}
            )
            assert (status, answer["error"]) == (503, "queuefull")
            assert (
                "3 events waiting, in its queue and in the store"
                in answer["description"]
            )
            status, text = await client.call(
                "POST", f"/scxml/{sid}", data={"_scxmleventname": "e", "n": "3"}
            )
            assert status == 503 and "max_queued_events 3" in text
            slow.release.set()
            assert await asyncio.gather(*held) == [204] * 3
            await client.until(sid, lambda q: len(q["datamodel"]["seen"]) == 3)
            assert await client.send(sid, "e", n=3) == 204
            query = await client.until(sid, lambda q: len(q["datamodel"]["seen"]) == 4)
            assert sorted(query["datamodel"]["seen"]) == [0, 1, 2, 3]
        await slow.store.close()

    run(body())


class HangingSaves:
    """A store whose saves never answer while `hang` is set."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store
        self.hang = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def save(self, record: Any, *, acked: int = 0, new: bool = False) -> None:
        if self.hang:
            await asyncio.Event().wait()
        await self.store.save(record, acked=acked, new=new)


def test_store_calls_that_do_not_answer_are_given_up_after_store_timeout(
    tmp_path: Path,
) -> None:
    """A batch of saves and a batch of appends the store does not answer
    fail with `storeerror` once `store_timeout` has passed (the start and
    the event are refused, 503); the same calls go through once the store
    answers again."""
    cls = scxmlc.load(counter(tmp_path))

    async def body() -> None:
        hanging = HangingSaves(MemoryStore())
        server = simulated_server(lambda uri, base: cls)
        server.attach_durability(
            Durability(server.platform, hanging, node="n1", store_timeout=0.2)  # type: ignore[arg-type]
        )
        async with server, aiohttp.ClientSession() as http:
            client = Client(server, http)
            status, answer = await client.call(
                "POST", "/scxml/session/start", data={"src": "counter"}
            )
            assert (status, answer["error"]) == (503, "storeerror")
            assert "could not be saved" in answer["description"]
            hanging.hang = False
            sid = await client.start()
            slow = SlowStore(hanging.store)
            durability(client).store = slow  # type: ignore[assignment]
            sends = [client.send(sid, "e", n=n) for n in range(3)]
            assert await asyncio.gather(*sends) == [503] * 3
            slow.release.set()
            assert await client.send(sid, "e", n=3) == 204
            query = await client.until(sid, lambda q: 3 in q["datamodel"]["seen"])
            assert query["datamodel"]["seen"][-1] == 3

    run(body())


def test_an_event_whose_caller_stopped_waiting_is_still_handed_over(
    tmp_path: Path,
) -> None:
    """A caller that gives up on `deliver` while the append is under way
    stops neither the append nor the handing over."""
    cls = scxmlc.load(counter(tmp_path))

    async def body() -> None:
        slow = SlowStore(MemoryStore())
        async with serving(cls, slow) as client:  # type: ignore[arg-type]
            sid = await client.start()
            delivering = asyncio.ensure_future(
                durability(client).deliver(sid, Event("e", {"n": 7}))
            )
            while durability(client).queued(sid) < 1:
                await asyncio.sleep(0.01)
            delivering.cancel()
            slow.release.set()
            query = await client.until(sid, lambda q: q["datamodel"]["seen"] == [7])
            assert query["datamodel"]["seen"] == [7]
            assert [e.seq for e in await slow.store.pending(sid)] in ([1], [])
            assert durability(client).queued(sid) == 0

    run(body())
