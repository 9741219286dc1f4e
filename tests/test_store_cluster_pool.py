"""A burst that needs more connections than `max_connections` waits for them,
on one Redis (redis-py's `BlockingConnectionPool`) and on a Redis Cluster
(the store's own bound on the commands it has in flight), instead of
failing; past `POOL_WAIT` it is a `StoreError`."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis_server import (  # noqa: F401  (the fixtures)
    RedisServer,
    redis_cluster,
    redis_server,
)
from test_store import record, run

from scxmlc.runtime.store import RedisStore, StoreError
from scxmlc.runtime.store import redis_store

BURST = 50
MAX_CONNECTIONS = 2


def _store(server: RedisServer, *, cluster: bool) -> RedisStore:
    """A store on `server` allowed `MAX_CONNECTIONS` connections (per node on
    a cluster), under a prefix of its own."""
    return RedisStore(
        f"{server.url()}?max_connections={MAX_CONNECTIONS}",
        cluster=f"t{uuid.uuid4().hex[:8]}",
        redis_cluster=cluster,
    )


async def _burst(store: RedisStore) -> None:
    """`BURST` saves, each started in a turn of the event loop of its own (so
    each is a pipeline of its own, all in flight at once), then as many
    concurrent loads, appends and saves again: every one completes."""
    token = await store.acquire_lease("n1", 30)
    sids = [f"s{i}" for i in range(BURST)]

    async def save(i: int, sid: str) -> None:
        for _ in range(i):
            await asyncio.sleep(0)
        await store.save(record(sid, "n1", token), new=True)

    await asyncio.gather(*(save(i, sid) for i, sid in enumerate(sids)))
    loaded = await asyncio.gather(*(store.load(sid) for sid in sids))
    assert all(r is not None and r.node == "n1" for r in loaded)
    seqs = await asyncio.gather(*(store.append(sid, b"e") for sid in sids))
    assert seqs == [1] * BURST
    again = [record(sid, "n1", token, snapshot=b"again") for sid in sids]

    async def resave(i: int) -> None:
        for _ in range(i):
            await asyncio.sleep(0)
        await store.save(again[i], acked=1)

    await asyncio.gather(*(resave(i) for i in range(BURST)))
    assert await store.sessions(node="n1") == sorted(sids)
    pending = await asyncio.gather(*(store.pending(sid) for sid in sids))
    assert pending == [[]] * BURST


@pytest.mark.parametrize("kind", ["redis", "redis-cluster"])
def test_a_burst_beyond_max_connections_waits_for_a_connection(
    kind: str, request: pytest.FixtureRequest
) -> None:
    cluster = kind == "redis-cluster"
    server = request.getfixturevalue("redis_cluster" if cluster else "redis_server")

    async def body() -> None:
        store = _store(server, cluster=cluster)
        await store.connect()
        try:
            await _burst(store)
        finally:
            await store.close()

    run(body)


def test_a_cluster_command_waiting_past_pool_wait_is_a_store_error(
    redis_cluster: RedisServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With every connection taken for longer than `POOL_WAIT`, a command
    fails with a `StoreError` saying so, and was never sent."""
    monkeypatch.setattr(redis_store, "POOL_WAIT", 0.2)

    async def body() -> None:
        store = _store(redis_cluster, cluster=True)
        await store.connect()
        try:
            permits = store._permits
            assert permits is not None
            for _ in range(MAX_CONNECTIONS):
                await permits.acquire()
            with pytest.raises(StoreError) as caught:
                await store.load("s0")
            assert "no free connection" in str(caught.value)
            assert "0.2 s" in str(caught.value)
            for _ in range(MAX_CONNECTIONS):
                permits.release()
            assert await store.load("s0") is None
        finally:
            await store.close()

    run(body)
