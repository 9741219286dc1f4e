"""Session stores: one contract, run against MemoryStore, SqliteStore and a real
RedisStore (a private redis-server, tests/redis_server.py), plus what is
particular to each: atomicity under a failure inside a save, TTLs as Redis
keeps them, hash-tag slots, durability of SQLite after kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from redis_server import (  # noqa: F401  (the fixtures)
    RedisServer,
    redis_cluster,
    redis_server,
)

from scxmlc.runtime.store import (
    DEFAULT_TTL,
    Fenced,
    MemoryStore,
    RedisStore,
    SessionRecord,
    SessionStore,
    SqliteStore,
    StoreError,
    StoreUrlError,
    check_id,
    new_session_id,
    node_of,
    open_store,
    redacted,
    store_from_url,
)

SNAPSHOT = bytes(range(256)) * 16  # 4 KiB, every byte value


def record(sid: str, node: str, fence: int, **changes: Any) -> SessionRecord:
    base = SessionRecord(
        sessionid=sid,
        snapshot=SNAPSHOT,
        document="app.scxml",
        fingerprint="f00d",
        node=node,
        fence=fence,
        created=1000.0,
        updated=1000.0,
        due=None,
    )
    return replace(base, **changes)


class Backend:
    """Makes stores of one kind that share their data (two clients of one
    Redis, two connections to one SQLite file, one MemoryStore)."""

    def __init__(self, kind: str, tmp: Path, redis: RedisServer | None) -> None:
        self.kind = kind
        self.tmp = tmp
        self.redis = redis
        self.cluster = f"test-{uuid.uuid4().hex[:12]}"
        self.memory: dict[float, MemoryStore] = {}

    def make(self, ttl: float = DEFAULT_TTL) -> SessionStore:
        if self.kind == "memory":
            return self.memory.setdefault(ttl, MemoryStore(ttl=ttl))
        if self.kind == "sqlite":
            return SqliteStore(self.tmp / "sessions.db", ttl=ttl)
        assert self.redis is not None
        return RedisStore(
            self.redis.url(),
            cluster=self.cluster,
            ttl=ttl,
            redis_cluster=self.kind == "redis-cluster",
        )

    @asynccontextmanager
    async def open(self, ttl: float = DEFAULT_TTL) -> AsyncIterator[SessionStore]:
        store = self.make(ttl)
        await store.connect()
        try:
            yield store
        finally:
            if self.kind != "memory":
                await store.close()

    async def keys(self) -> list[str]:
        """Every Redis key under the cluster's prefix."""
        assert self.redis is not None
        store = RedisStore(
            self.redis.url(),
            cluster=self.cluster,
            redis_cluster=self.kind == "redis-cluster",
        )
        await store.connect()
        try:
            found = [
                key.decode()
                async for key in store.client.scan_iter(match=f"ORS:{self.cluster}:*")
            ]
            return sorted(found)
        finally:
            await store.close()


@pytest.fixture(params=["memory", "sqlite", "redis", "redis-cluster"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    server = None
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
    elif request.param == "redis-cluster":
        server = request.getfixturevalue("redis_cluster")
    return Backend(request.param, tmp_path, server)


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), 60))


# the contract


def test_save_creates_then_requires_owner_and_fence(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            token = await store.acquire_lease("n1", 30)
            rec = record("s1", "n1", token)
            with pytest.raises(Fenced):
                await store.save(rec)  # not created yet
            await store.save(rec, new=True)
            assert await store.load("s1") == rec
            with pytest.raises(Fenced):
                await store.save(rec, new=True)  # exists
            later = replace(rec, snapshot=b"x" * 10, updated=1001.5, due=1005.25)
            await store.save(later)
            assert await store.load("s1") == later
            for stranger in (
                replace(later, node="n2"),
                replace(later, fence=token + 1),
            ):
                with pytest.raises(Fenced):
                    await store.save(replace(stranger, snapshot=b"late"))
            assert await store.load("s1") == later
            assert await store.load("nobody") is None

    run(body)


def test_append_needs_a_session_and_keeps_order(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            assert await store.append("ghost", b"e") is None
            assert await store.pending("ghost") == []
            token = await store.acquire_lease("n1", 30)
            await store.save(record("s1", "n1", token), new=True)
            seqs = [await store.append("s1", f"e{i}".encode()) for i in range(1, 6)]
            assert seqs == [1, 2, 3, 4, 5]
            events = await store.pending("s1")
            assert [(e.seq, e.data) for e in events] == [
                (i, f"e{i}".encode()) for i in range(1, 6)
            ]
            assert [e.seq for e in await store.pending("s1", after=3)] == [4, 5]
        if backend.kind.startswith("redis"):
            assert not [k for k in await backend.keys() if "ghost" in k]

    run(body)


def test_writes_started_together_each_get_their_own_answer(backend: Backend) -> None:
    """Saves and appends started in one turn of the event loop (Redis runs
    them as one pipeline, a script run per node or slot): each is checked and
    answered on its own, a refused save changes nothing and indexes nothing,
    and the events of one session keep the order they were appended in."""

    async def body() -> None:
        async with backend.open() as store:
            token = await store.acquire_lease("n1", 30)
            sids = [f"s{i}" for i in range(12)]
            await asyncio.gather(
                *(store.save(record(sid, "n1", token), new=True) for sid in sids)
            )
            await store.append("s1", b"old")
            writes: list[Awaitable[Any]] = []
            for i, sid in enumerate(sids):
                writes.append(store.append(sid, f"{sid}-a".encode()))
                if i == 1:  # a stranger's save among the others
                    stale = record(sid, "n1", token + 1, snapshot=b"stale", due=9.0)
                    writes.append(store.save(stale, acked=1))
                else:
                    saved = record(sid, "n1", token, snapshot=sid.encode(), due=i)
                    writes.append(store.save(saved))
                writes.append(store.append(sid, f"{sid}-b".encode()))
            writes.append(store.append("ghost", b"e"))
            writes.append(store.save(record("new", "n1", token, due=3.0), new=True))
            outcomes = await asyncio.gather(*writes, return_exceptions=True)
            assert isinstance(outcomes[4], Fenced)
            assert outcomes[-2:] == [None, None]
            appended = [o for i, o in enumerate(outcomes[:-2]) if i % 3 != 1]
            assert appended == [1, 2, 2, 3] + [1, 2] * 10
            assert all(
                o is None for i, o in enumerate(outcomes[:-2]) if i % 3 == 1 and i != 4
            )
            for i, sid in enumerate(sids):
                loaded = await store.load(sid)
                assert loaded is not None
                assert loaded.snapshot == (SNAPSHOT if i == 1 else sid.encode())
                queued = [e.data for e in await store.pending(sid)]
                first = [b"old"] if i == 1 else []
                assert queued == first + [f"{sid}-a".encode(), f"{sid}-b".encode()]
            due = await store.due(100.0, node="n1")
            assert due == sorted(
                [(sid, float(i)) for i, sid in enumerate(sids) if i != 1]
                + [("new", 3.0)],
                key=lambda pair: (pair[1], pair[0]),
            )

    run(body)


def test_save_acknowledges_the_consumed_events_exactly_once(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            token = await store.acquire_lease("n1", 30)
            rec = record("s1", "n1", token)
            await store.save(rec, new=True)
            for i in range(1, 5):
                await store.append("s1", f"e{i}".encode())
            # a macrostep consumes e1 and e2
            await store.save(replace(rec, snapshot=b"after-2"), acked=2)
            assert [e.seq for e in await store.pending("s1")] == [3, 4]
            # an event that arrives meanwhile stays queued behind the others
            assert await store.append("s1", b"e5") == 5
            # a save acknowledging less (a retry) removes nothing more
            await store.save(replace(rec, snapshot=b"after-2"), acked=1)
            assert [e.seq for e in await store.pending("s1")] == [3, 4, 5]
            # a refused save acknowledges nothing
            with pytest.raises(Fenced):
                await store.save(replace(rec, fence=token + 7), acked=5)
            assert [e.seq for e in await store.pending("s1")] == [3, 4, 5]
            assert (await store.load("s1")).snapshot == b"after-2"  # type: ignore[union-attr]
            # the server's loop: each event consumed once, in order
            consumed = []
            while events := await store.pending("s1"):
                consumed.append(events[0].data)
                await store.save(rec, acked=events[0].seq)
            assert consumed == [b"e3", b"e4", b"e5"]
            assert await store.append("s1", b"e6") == 6

    run(body)


def test_delete_removes_every_key_of_a_session(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            token = await store.acquire_lease("n1", 30)
            await store.save(record("s1", "n1", token, due=1500.0), new=True)
            await store.save(record("s2", "n1", token, due=1600.0), new=True)
            await store.append("s1", b"e1")
            await store.append("s2", b"e1")
            assert await store.delete("s1") is True
            assert await store.delete("s1") is False
            assert await store.load("s1") is None
            assert await store.pending("s1") == []
            assert await store.append("s1", b"again") is None
            assert await store.sessions() == ["s2"]
            assert await store.due(2000.0) == [("s2", 1600.0)]
            # a deleted session can be created anew, with an empty queue
            await store.save(record("s1", "n1", token), new=True)
            assert await store.pending("s1") == []
            await store.delete("s1")
            await store.delete("s2")
        if backend.kind.startswith("redis"):
            left = await backend.keys()
            assert not [k for k in left if "{s1}" in k or "{s2}" in k], left
            assert all("{nodes}" in k or "{node:n1}" in k for k in left), left
        if backend.kind == "sqlite":
            db = sqlite3.connect(backend.tmp / "sessions.db")
            assert db.execute("SELECT count(*) FROM sessions").fetchone() == (0,)
            assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)
            db.close()

    run(body)


def test_sessions_by_node_and_idleness(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            t1 = await store.acquire_lease("n1", 30)
            t2 = await store.acquire_lease("n2", 30)
            await store.save(record("a", "n1", t1, updated=100.0), new=True)
            await store.save(record("b", "n1", t1, updated=200.0), new=True)
            await store.save(record("c", "n2", t2, updated=150.0), new=True)
            assert await store.sessions() == ["a", "b", "c"]
            assert await store.sessions(node="n1") == ["a", "b"]
            assert await store.sessions(node="n3") == []
            assert await store.sessions(idle_since=150.0) == ["a", "c"]
            assert await store.sessions(node="n1", idle_since=150.0) == ["a"]
            await store.save(record("a", "n1", t1, updated=300.0))
            assert await store.sessions(idle_since=250.0) == ["b", "c"]

    run(body)


def test_due_timer_index(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            t1 = await store.acquire_lease("n1", 30)
            t2 = await store.acquire_lease("n2", 30)
            await store.save(record("a", "n1", t1, due=50.5), new=True)
            await store.save(record("b", "n1", t1, due=20.25), new=True)
            await store.save(record("c", "n2", t2, due=30.0), new=True)
            await store.save(record("d", "n2", t2), new=True)  # no timer
            assert await store.due(100.0) == [("b", 20.25), ("c", 30.0), ("a", 50.5)]
            assert await store.due(30.0) == [("b", 20.25), ("c", 30.0)]
            assert await store.due(100.0, node="n2") == [("c", 30.0)]
            await store.save(record("b", "n1", t1, due=None))
            await store.save(record("c", "n2", t2, due=99.0))
            assert await store.due(100.0) == [("a", 50.5), ("c", 99.0)]

    run(body)


def test_leases_tokens_renewal_and_release(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            t1 = await store.acquire_lease("n1", 30, address="http://10.0.0.1:80")
            assert await store.renew_lease("n1", t1, 30)
            assert await store.live_nodes() == {"n1": "http://10.0.0.1:80"}
            t2 = await store.acquire_lease("n1", 30)  # a restart
            assert t2 > t1
            assert not await store.renew_lease("n1", t1, 30)
            assert await store.renew_lease("n1", t2, 30)
            assert not await store.renew_lease("n9", t2, 30)
            assert await store.expired_nodes() == []
            await store.save(record("s1", "n1", t2), new=True)
            await store.release_lease("n1", t1)  # not the current one: no effect
            assert await store.expired_nodes() == []
            tx = await store.acquire_lease("x", 30, address="https://x:8443")
            assert await store.live_nodes() == {"n1": "", "x": "https://x:8443"}
            await store.release_lease("n1", t2)
            assert await store.expired_nodes() == ["n1"]
            assert await store.live_nodes() == {"x": "https://x:8443"}
            await store.release_lease("x", tx)
            assert await store.live_nodes() == {}
            assert not await store.renew_lease("n1", t2, 30)
            await store.delete("s1")
            assert await store.expired_nodes() == []  # it owns nothing

    run(body)


def test_expired_lease_adoption_fences_the_old_owner(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            ta = await store.acquire_lease("a", 1.0)
            tb = await store.acquire_lease("b", 30)
            old1 = record("s1", "a", ta, due=42.0)
            await store.save(old1, new=True)
            await store.save(record("s2", "a", ta), new=True)
            await store.save(record("s3", "b", tb), new=True)
            await store.append("s1", b"e1")
            assert await store.adopt("a", "b", tb) == []  # a is alive
            assert await store.sessions(node="a") == ["s1", "s2"]
            await asyncio.sleep(1.1)
            assert await store.expired_nodes() == ["a"]
            assert await store.adopt("a", "b", tb + 100) == []  # not b's token
            assert await store.adopt("a", "b", tb) == ["s1", "s2"]
            assert await store.expired_nodes() == []
            assert await store.sessions(node="a") == []
            assert await store.sessions(node="b") == ["s1", "s2", "s3"]
            assert await store.due(100.0, node="b") == [("s1", 42.0)]
            assert await store.due(100.0, node="a") == []
            adopted = await store.load("s1")
            assert adopted == replace(old1, node="b", fence=tb)
            # the old owner wakes up: its writes lose, its lease is gone
            with pytest.raises(Fenced):
                await store.save(replace(old1, snapshot=b"late"), acked=1)
            assert await store.load("s1") == adopted
            assert [e.data for e in await store.pending("s1")] == [b"e1"]
            assert await store.sessions(node="a") == []
            assert await store.expired_nodes() == []
            assert not await store.renew_lease("a", ta, 30)
            # the new owner goes on
            await store.save(replace(adopted, snapshot=b"new"), acked=1)
            assert await store.pending("s1") == []
            assert await store.adopt("a", "b", tb) == []  # nothing left

    run(body)


def test_two_nodes_adopting_at_once_split_the_sessions(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as one, backend.open() as two:
            ta = await one.acquire_lease("a", 0.2)
            tb = await one.acquire_lease("b", 30)
            tc = await one.acquire_lease("c", 30)
            sids = [f"s{i}" for i in range(20)]
            for sid in sids:
                await one.save(record(sid, "a", ta), new=True)
            await asyncio.sleep(0.3)
            by_b, by_c = await asyncio.gather(
                one.adopt("a", "b", tb), two.adopt("a", "c", tc)
            )
            assert sorted(by_b + by_c) == sorted(sids)
            assert not set(by_b) & set(by_c)
            assert await one.sessions(node="b") == sorted(by_b)
            assert await one.sessions(node="c") == sorted(by_c)
            for sid in sids:
                owner = await two.load(sid)
                assert owner is not None
                assert (owner.node, owner.fence) in (("b", tb), ("c", tc))

    run(body)


def test_a_restarted_node_takes_its_sessions_back(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            first = await store.acquire_lease("n1", 30)
            rec = record("s1", "n1", first)
            await store.save(rec, new=True)
            second = await store.acquire_lease("n1", 30)  # kill -9, restart
            assert await store.adopt("n1", "n1", first) == []  # stale token
            assert await store.adopt("n1", "n1", second) == ["s1"]
            with pytest.raises(Fenced):
                await store.save(rec)  # the previous life
            await store.save(replace(rec, fence=second))
            assert (await store.load("s1")).fence == second  # type: ignore[union-attr]

    run(body)


def test_records_expire_after_their_ttl_unless_refreshed(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open(ttl=1.0) as store:
            token = await store.acquire_lease("n1", 30)
            await store.save(record("s1", "n1", token, due=5.0), new=True)
            await store.save(record("s2", "n1", token), new=True)
            await asyncio.sleep(0.6)
            await store.append("s1", b"keep me")  # refreshes s1
            await store.save(record("s2", "n1", token))  # refreshes s2
            await asyncio.sleep(0.6)
            assert await store.load("s1") is not None
            assert await store.sessions() == ["s1", "s2"]
            await store.save(record("s2", "n1", token))
            await asyncio.sleep(0.6)  # s1 expired, s2 not
            assert await store.load("s1") is None
            assert await store.pending("s1") == []
            assert await store.append("s1", b"late") is None
            assert await store.sessions() == ["s2"]
            assert await store.due(10.0) == []
            with pytest.raises(Fenced):
                await store.save(record("s1", "n1", token))
            if not backend.kind.startswith("redis"):
                assert await store.sweep() == 1
            await store.save(record("s1", "n1", token), new=True)  # a new life
            assert await store.pending("s1") == []

    run(body)


def test_two_clients_append_concurrently(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as one, backend.open() as two:
            token = await one.acquire_lease("n1", 30)
            await one.save(record("s1", "n1", token), new=True)

            async def send(store: SessionStore, name: str) -> list[int]:
                seqs = []
                for i in range(40):
                    seq = await store.append("s1", f"{name}{i}".encode())
                    assert seq is not None
                    seqs.append(seq)
                return seqs

            a, b = await asyncio.gather(send(one, "a"), send(two, "b"))
            assert sorted(a + b) == list(range(1, 81))
            assert a == sorted(a) and b == sorted(b)
            events = await two.pending("s1")
            assert [e.seq for e in events] == list(range(1, 81))
            for name, seqs in (("a", a), ("b", b)):
                mine = [e for e in events if e.data.startswith(name.encode())]
                assert [e.seq for e in mine] == seqs
                assert [e.data for e in mine] == [
                    f"{name}{i}".encode() for i in range(40)
                ]

    run(body)


def test_ids_that_would_break_hash_tags_are_refused(backend: Backend) -> None:
    async def body() -> None:
        async with backend.open() as store:
            token = await store.acquire_lease("n1", 30)
            for bad in ("a{b}", "", "x y", "s" * 201, "é"):
                with pytest.raises(ValueError):
                    await store.save(record(bad, "n1", token), new=True)
            with pytest.raises(ValueError):
                await store.acquire_lease("node}", 30)
            for bad_time in (float("nan"), float("inf")):
                with pytest.raises(ValueError):
                    await store.save(record("s1", "n1", token, due=bad_time), new=True)
            with pytest.raises(ValueError):
                await store.save(record("s1", "n1", token), acked=-1, new=True)
            assert await store.load("s1") is None

    run(body)


# URLs


@pytest.mark.parametrize(
    "url, message",
    [
        ("postgres://h/db", "unknown scheme 'postgres'"),
        ("/tmp/x.db", "no scheme"),
        ("sqlite:", "needs a file path"),
        ("sqlite://host/x.db", "names a file, not a host"),
        ("sqlite:x.db?synchronous=off", "full or normal"),
        ("sqlite:x.db?mode=ro", "unknown sqlite option 'mode'"),
        ("memory:x", "takes nothing"),
        ("redis://", "needs a host"),
        ("redis://h:99999/0", "port"),
        ("redis://h:6379/zero", "database is a number"),
        ("redis+cluster://h:7000/3", "database 0 only"),
    ],
)
def test_bad_store_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(StoreUrlError) as caught:
        store_from_url(url)
    assert message in str(caught.value)
    assert "sqlite:PATH" in str(caught.value)


def test_store_urls() -> None:
    assert isinstance(store_from_url("memory:"), MemoryStore)
    sqlite = store_from_url("sqlite:///tmp/a.db?synchronous=normal")
    assert isinstance(sqlite, SqliteStore)
    assert (sqlite.path, sqlite.synchronous) == (Path("/tmp/a.db"), "normal")
    assert isinstance(store_from_url("sqlite:rel/a.db"), SqliteStore)
    redis = store_from_url("redis://:sekret@h:1234/2", cluster="east", ttl=60)
    assert isinstance(redis, RedisStore)
    assert redis.prefix == "ORS:east:" and redis.ttl == 60
    assert redis.session_keys("s1") == ("ORS:east:{s1}:rec", "ORS:east:{s1}:events")
    cluster = store_from_url("rediss+cluster://:pw@h:7000")
    assert isinstance(cluster, RedisStore) and cluster.redis_cluster
    assert cluster.url == "rediss://:pw@h:7000"
    assert not redis.redis_cluster
    assert redacted("redis://u:sekret@h:1/0") == "redis://u:***@h:1/0"
    with pytest.raises(StoreUrlError) as caught:
        store_from_url("redis://:sekret@h:1/x")
    assert "sekret" not in str(caught.value)


def test_an_unreachable_redis_is_a_store_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: refused

        async def body() -> None:
            with pytest.raises(StoreError) as caught:
                await open_store(f"redis://:sekret@127.0.0.1:{port}/0")
            assert "sekret" not in str(caught.value)

        run(body)


# Redis


def test_redis_wrong_password_is_refused_without_showing_it(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    async def body() -> None:
        with pytest.raises(StoreError) as caught:
            await open_store(redis_server.url(password="wrong-password"))
        assert "wrong-password" not in str(caught.value)
        with pytest.raises(StoreError):
            await open_store(redis_server.url().replace(redis_server.password, ""))
        store = await open_store(redis_server.url())
        assert isinstance(store, RedisStore)
        retry = store.client.get_retry()
        assert retry is not None
        assert getattr(retry, "_retries", 0) == 0  # an append never runs twice
        await store.close()

    run(body)


def test_redis_every_key_has_a_ttl_refreshed_by_saves(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    async def body() -> None:
        store = RedisStore(
            redis_server.url(), cluster=f"t{uuid.uuid4().hex[:8]}", ttl=100
        )
        await store.connect()
        try:
            token = await store.acquire_lease("n1", 30)
            await store.save(record("s1", "n1", token, due=7.0), new=True)
            await store.append("s1", b"e")
            keys = [k async for k in store.client.scan_iter(match=f"{store.prefix}*")]
            # rec, events, idle, due, leases, tokens, counter, addresses
            assert len(keys) == 8
            for key in keys:
                assert 0 < await store.client.pttl(key) <= 300_000, key
            rec, events = store.session_keys("s1")
            await store.client.pexpire(rec, 5000)
            await store.client.pexpire(events, 5000)
            await store.save(record("s1", "n1", token), acked=1)
            assert 95_000 < await store.client.pttl(rec) <= 100_000
            assert 95_000 < await store.client.pttl(events) <= 100_000
        finally:
            await store.close()

    run(body)


def test_redis_keys_of_a_session_share_one_cluster_slot() -> None:
    from redis.crc import key_slot

    store = RedisStore("redis://h/0", cluster="c1")
    for sid in ("s1", "node7~4f0c9a", "x.y:z@w"):
        slots = {key_slot(k.encode()) for k in store.session_keys(sid)}
        assert len(slots) == 1
    assert len({key_slot(k.encode()) for k in store.node_keys("n1")}) == 1
    assert len({key_slot(k.encode()) for k in store.lease_keys()}) == 1


def test_redis_a_save_cut_off_with_its_connection_changes_nothing(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    """The client's connection is killed while its save waits at the server
    (writes paused): the script never runs, so neither the record nor the
    queue changes; a save either happened whole or not at all."""

    async def body() -> None:
        cluster = f"t{uuid.uuid4().hex[:8]}"
        store = RedisStore(redis_server.url(), cluster=cluster)
        admin = RedisStore(redis_server.url(), cluster=cluster)
        await store.connect()
        await admin.connect()
        try:
            token = await store.acquire_lease("n1", 30)
            rec = record("s1", "n1", token)
            await store.save(rec, new=True)
            await store.append("s1", b"e1")
            await store.append("s1", b"e2")
            await store.client.client_setname("doomed")
            await admin.client.client_pause(2000, all=False)  # WRITE: writes wait
            saving = asyncio.ensure_future(
                store.save(replace(rec, snapshot=b"new"), acked=2)
            )
            await asyncio.sleep(0.2)
            assert not saving.done()
            victims = [
                c["id"]
                for c in await admin.client.client_list()
                if c.get("name") == "doomed"
            ]
            for victim in victims:
                await admin.client.client_kill_filter(_id=victim)
            await admin.client.client_unpause()
            with pytest.raises(StoreError):
                await saving
            assert (await admin.load("s1")) == rec
            assert [e.data for e in await admin.pending("s1")] == [b"e1", b"e2"]
        finally:
            await admin.client.client_unpause()
            await store.close()
            await admin.close()

    run(body)


# SQLite


def test_sqlite_a_failure_inside_a_save_rolls_it_back(tmp_path: Path) -> None:
    """A failure between writing the record and removing the consumed events
    (a trigger that aborts the delete) leaves both as they were."""

    async def body() -> None:
        store = SqliteStore(tmp_path / "s.db")
        token = await store.acquire_lease("n1", 30)
        rec = record("s1", "n1", token)
        await store.save(rec, new=True)
        await store.append("s1", b"e1")
        db = sqlite3.connect(tmp_path / "s.db")
        db.execute(
            "CREATE TRIGGER crash BEFORE DELETE ON events"
            " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
        db.commit()
        with pytest.raises(StoreError, match="disk on fire"):
            await store.save(replace(rec, snapshot=b"new"), acked=1)
        assert await store.load("s1") == rec
        assert [e.data for e in await store.pending("s1")] == [b"e1"]
        db.execute("DROP TRIGGER crash")
        db.commit()
        db.close()
        await store.save(replace(rec, snapshot=b"new"), acked=1)
        assert await store.pending("s1") == []
        await store.close()

    run(body)


def test_sqlite_is_in_wal_mode_and_sweeps_expired_rows(tmp_path: Path) -> None:
    now = [1000.0]
    store = SqliteStore(tmp_path / "s.db", ttl=10, clock=lambda: now[0])

    async def body() -> None:
        token = await store.acquire_lease("n1", 1e9)
        await store.save(record("s1", "n1", token), new=True)
        await store.append("s1", b"e1")
        now[0] += 11
        assert await store.load("s1") is None
        assert await store.sweep() == 1
        await store.close()

    run(body)
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("SELECT count(*) FROM events").fetchone() == (0,)
    db.close()


def test_sqlite_acknowledged_events_survive_kill_9(tmp_path: Path) -> None:
    """A process appends events and prints each seq once `append` returned
    (the server's 204), then is killed with SIGKILL mid-stream: every event
    it acknowledged is in the file, and the saved macrostep with it."""
    path = tmp_path / "s.db"
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from scxmlc.runtime.store import SqliteStore, SessionRecord

        async def main():
            store = SqliteStore({str(path)!r}, synchronous="normal")
            token = await store.acquire_lease("n1", 60)
            rec = SessionRecord("s1", b"snap", "app", "f", "n1", token, 1.0, 1.0)
            await store.save(rec, new=True)
            await store.save(rec, acked=0)
            print("saved", flush=True)
            i = 0
            while True:
                i += 1
                seq = await store.append("s1", b"e%d" % i)
                print(seq, flush=True)

        asyncio.run(main())
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    acknowledged = []
    deadline = time.monotonic() + 30
    for line in process.stdout:
        if line.strip().isdigit():
            acknowledged.append(int(line))
        if len(acknowledged) >= 50 or time.monotonic() > deadline:
            break
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert len(acknowledged) >= 50

    async def body() -> None:
        store = SqliteStore(path)
        assert (await store.load("s1")) is not None
        events = await store.pending("s1")
        assert [e.seq for e in events][: len(acknowledged)] == acknowledged
        await store.close()

    run(body)


def test_redis_saves_and_appends_after_the_script_cache_is_flushed(
    redis_server: RedisServer,  # noqa: F811
) -> None:
    """A Redis that restarted (or ran SCRIPT FLUSH) has forgotten the
    scripts: the store loads them again."""

    async def body() -> None:
        store = RedisStore(redis_server.url(), cluster=f"t{uuid.uuid4().hex[:8]}")
        await store.connect()
        try:
            token = await store.acquire_lease("n1", 30)
            await store.client.script_flush()
            await store.save(record("s1", "n1", token), new=True)
            await store.client.script_flush()
            assert await store.append("s1", b"e1") == 1
            await store.client.script_flush()
            await store.save(record("s1", "n1", token), acked=1)
            assert await store.pending("s1") == []
        finally:
            await store.close()

    run(body)


def test_the_store_package_imports_redis_only_for_a_redis_store() -> None:
    code = (
        "import sys\n"
        "from scxmlc.runtime.store import open_store, store_from_url\n"
        "store_from_url('sqlite:x.db'); store_from_url('redis://h:1/0')\n"
        "assert 'redis' not in sys.modules, 'redis imported'\n"
        "import scxmlc.runtime\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    core = (
        "import sys, scxmlc.runtime\nassert 'scxmlc.runtime.store' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", core], check=True, timeout=60)


def test_session_ids_carry_their_node() -> None:
    sid = new_session_id("east-1")
    assert node_of(sid) == "east-1"
    assert check_id("session id", sid) == sid
    assert node_of(new_session_id("a~b")) == "a~b"
    assert new_session_id("n") != new_session_id("n")
    for plain in ("4f0c9a", "~" + "0" * 32, "n~xyz", "n~" + "0" * 31):
        assert node_of(plain) is None
    with pytest.raises(ValueError):
        new_session_id("no{de}")


def test_redis_cluster_url_opens_a_cluster_client(
    redis_cluster: RedisServer,  # noqa: F811
) -> None:
    from redis.asyncio.cluster import RedisCluster

    async def body() -> None:
        store = await open_store(redis_cluster.url(scheme="redis+cluster"))
        try:
            assert isinstance(store, RedisStore)
            assert isinstance(store.client, RedisCluster)
            nodes = store.client.get_primaries()
            assert len(nodes) == 3
            token = await store.acquire_lease("n1", 30)
            sids = [f"s{i}" for i in range(12)]
            for sid in sids:
                await store.save(record(sid, "n1", token), new=True)
                await store.append(sid, b"e")
            # the sessions live on different nodes of the cluster
            homes = {
                store.client.get_node_from_key(store.session_keys(sid)[0]).name
                for sid in sids
            }
            assert len(homes) > 1
            assert await store.sessions(node="n1") == sorted(sids)
            for sid in sids:
                assert await store.delete(sid)
        finally:
            await store.close()

    run(body)


def test_sqlite_a_file_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    async def body() -> None:
        for url in (f"sqlite:{blocker}/sub/s.db", f"sqlite:{blocker}"):
            with pytest.raises(StoreError) as caught:
                await open_store(url)
            assert str(blocker) in str(caught.value)
        store = await open_store(f"sqlite:{tmp_path}/new/folder/s.db")
        assert await store.sessions() == []
        await store.close()

    run(body)
