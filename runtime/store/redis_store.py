"""`RedisStore`: sessions in Redis, `redis://HOST:PORT/DB`, for a cluster.

Several servers (`scxmlc serve --store redis://... --node NAME`) share one
Redis, or one Redis Cluster (`redis+cluster://`, redis-py's `RedisCluster`).
Every write that must be atomic is one Lua script over the keys of one hash
slot, so the layout is the same on both:

| key | type | what |
| --- | --- | --- |
| `P{<sessionid>}:rec` | hash | the record: `snapshot`, `document`, `fingerprint`, `node`, `fence`, `created`, `updated`, `due`, and `seq`, the last event number |
| `P{<sessionid>}:events` | stream | the queue: entry `<seq>-0`, field `d` |
| `P{node:<name>}:idle` | sorted set | the sessions of a node, scored by `updated` |
| `P{node:<name>}:due` | sorted set | the sessions of a node that have a timer, scored by `due` |
| `P{nodes}:leases` | sorted set | nodes, scored by lease expiry (ms, Redis's clock) |
| `P{nodes}:tokens` | hash | node -> token of its current lease |
| `P{nodes}:counter` | string | the last token given |
| `P{nodes}:addresses` | hash | node -> the address it gave with its lease |

where `P` is the prefix, `ORS:<cluster>:`. Writes are batched per turn of the
event loop: the saves and appends that callers start in one turn go to Redis
in one pipeline, one round trip, and each caller gets its own answer.

- A save checks owner and fence, writes the record, `XTRIM MINID`s the
  consumed events and refreshes the TTLs, atomically. On one Redis the saves
  of one node in one turn are one script run (`_SAVE`), each save checked and
  applied on its own, and each accepted save updates the node's indexes in
  the same atomic step. On Redis Cluster the indexes live in their own slot:
  they are updated first, in one round trip (a crash in between leaves an
  index entry without a record, which reads filter out and `sweep` removes,
  never a record the index misses), then one script run per slot, the
  pipeline sending each node its share in parallel.
- An append (`HINCRBY seq`, `XADD`) is atomic too; the appends of one turn
  are one script run (`_APPEND`; on Redis Cluster one per slot), in the order
  they were made, so a session's events keep their order.

A script run is atomic as a whole, which is more than each save or append
needs; what matters is that none is half done, and that Redis answers an
append only once it holds the event. Leases use Redis's clock (`TIME`), so
the nodes' clocks need not agree.

Every key carries a TTL (`ttl`, refreshed by each save and append; the
indexes and leases by each update). `delete` removes the session's keys and
index entries at once.

Durability is Redis's: an append has returned once Redis holds the event in
memory. It survives `kill -9` of the server; surviving a crash of Redis needs
`appendonly yes` (and `appendfsync always` for every write).

redis-py (`redis.asyncio`) is imported when the store is created.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .base import (
    DEFAULT_CLUSTER,
    DEFAULT_TTL,
    Fenced,
    QueuedEvent,
    SessionRecord,
    StoreError,
    check_record,
    check_id,
)

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster
    from redis.commands.core import AsyncScript

__all__ = ["MIN_REDIS", "RedisStore"]

MIN_REDIS: Final = (6, 2)
"""The oldest Redis the store runs on (`XTRIM MINID`)."""

SWEEP_GRACE: Final = 60.0
"""Seconds an index entry without a record is left alone by `sweep` (a save
may be writing it)."""

HEALTH_CHECK: Final = 30
"""Seconds a connection may sit idle before it is checked (PING) on its next
use, so that a restarted Redis costs no failed call."""

POOL_WAIT: Final = 20.0
"""Seconds a command waits for a free connection when all `max_connections`
(redis-py's default, 100, unless the URL says) are busy; then `StoreError`.
On one Redis redis-py's `BlockingConnectionPool` waits; on Redis Cluster,
whose client raises `MaxConnectionsError` instead, the store waits for one of
`max_connections` permits before each command or pipeline it sends."""

BATCH: Final = 200
"""Sessions read or reassigned per round trip, saved or appended to per
script run."""

T = TypeVar("T")

_NOW: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

_SAVE: Final = """
local ttl, node, indexed = ARGV[1], ARGV[2], ARGV[3] == '1'
local out = {}
local first = indexed and 3 or 1
local a = 3
for k = first, #KEYS, 2 do
  local rec, events = KEYS[k], KEYS[k + 1]
  local sid, fence, new, acked = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local due, updated = ARGV[a + 5], ARGV[a + 6]
  local cur = redis.call('HMGET', rec, 'node', 'fence')
  local refused = false
  if new == '1' then
    if cur[1] then refused = 'FENCED exists' end
  elseif not cur[1] then
    refused = 'FENCED gone'
  elseif cur[1] ~= node or cur[2] ~= fence then
    refused = 'FENCED owner ' .. cur[1] .. ' ' .. tostring(cur[2])
  end
  if refused then
    out[#out + 1] = refused
  else
    if new == '1' then redis.call('DEL', events) end
    redis.call('HSET', rec, 'node', node, 'fence', fence, 'snapshot', ARGV[a + 8],
      'document', ARGV[a + 9], 'fingerprint', ARGV[a + 10], 'created', ARGV[a + 7],
      'updated', updated, 'due', due)
    if tonumber(acked) > 0 then
      redis.call('XTRIM', events, 'MINID', string.format('%d-0', tonumber(acked) + 1))
    end
    redis.call('PEXPIRE', rec, ttl)
    redis.call('PEXPIRE', events, ttl)
    if indexed then
      redis.call('ZADD', KEYS[1], updated, sid)
      if due == '' then
        redis.call('ZREM', KEYS[2], sid)
      else
        redis.call('ZADD', KEYS[2], due, sid)
      end
    end
    out[#out + 1] = 1
  end
  a = a + 10
end
if indexed then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return out
"""
"""Saves of sessions of one node, each atomic and checked on its own (owner
and fence; `new`: the record must not exist), in order. ARGV: the TTL (ms),
the node, and `1` if KEYS[1] and KEYS[2] are the node's `idle` and `due`
indexes, updated here for each save accepted (one Redis; on Redis Cluster the
caller updates them first, `0`); then per session its `rec` and `events`
keys and ten ARGV (`_save_fields`). Returns per save 1, or why it was refused
(`FENCED ...`)."""

_APPEND: Final = """
local ttl = ARGV[1]
local out = {}
for i = 1, #KEYS / 2 do
  local rec, events = KEYS[2 * i - 1], KEYS[2 * i]
  if redis.call('EXISTS', rec) == 0 then
    out[i] = 0
  else
    local seq = redis.call('HINCRBY', rec, 'seq', 1)
    redis.call('XADD', events, string.format('%d-0', seq), 'd', ARGV[i + 1])
    redis.call('PEXPIRE', rec, ttl)
    redis.call('PEXPIRE', events, ttl)
    out[i] = seq
  end
end
return out
"""
"""Events appended, in order, each to its session's queue if the session
exists. ARGV: the TTL (ms), then the events; KEYS: per event its session's
`rec` and `events`. Returns per event its `seq`, 0 where there is no such
session."""

_DELETE: Final = """
local node = redis.call('HGET', KEYS[1], 'node')
redis.call('DEL', KEYS[1], KEYS[2])
return node
"""

_REASSIGN: Final = """
if redis.call('HGET', KEYS[1], 'node') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'node', ARGV[2], 'fence', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1
"""

_ACQUIRE: Final = (
    _NOW
    + """
local token = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], ARGV[1], token)
redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[1], string.format('%d', now + tonumber(ARGV[2])), ARGV[1])
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return token
"""
)

_RENEW: Final = (
    _NOW
    + """
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expires or tonumber(expires) <= now then return 0 end
redis.call('ZADD', KEYS[1], string.format('%d', now + tonumber(ARGV[3])), ARGV[1])
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
return 1
"""
)

_RELEASE: Final = """
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[2] then
  redis.call('ZADD', KEYS[1], 0, ARGV[1])
end
return 1
"""

_EXPIRED: Final = (
    _NOW
    + """
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))
"""
)

_LIVE: Final = (
    _NOW
    + """
local nodes = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('(%d', now), '+inf')
local live = {}
for _, node in ipairs(nodes) do
  live[#live + 1] = node
  live[#live + 1] = redis.call('HGET', KEYS[4], node) or ''
end
return live
"""
)

_CLAIM: Final = (
    _NOW
    + """
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[3] then return 0 end
local mine = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not mine or tonumber(mine) <= now then return 0 end
if ARGV[1] ~= ARGV[2] then
  local theirs = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if theirs and tonumber(theirs) > now then return 0 end
  redis.call('HSET', KEYS[2], ARGV[1], redis.call('INCR', KEYS[3]))
  redis.call('ZADD', KEYS[1], 0, ARGV[1])
end
return 1
"""
)


class RedisStore:
    """Sessions in the Redis at `url` (`redis://[[USER]:PASSWORD@]HOST:PORT/DB`,
    or `rediss://` for TLS), under `ORS:<cluster>:`; with `redis_cluster`, in
    the Redis Cluster that node belongs to (`open_store` makes one for
    `redis+cluster://`). Use `connect()` (or `open_store`) before anything
    else."""

    def __init__(
        self,
        url: str,
        *,
        cluster: str = DEFAULT_CLUSTER,
        ttl: float = DEFAULT_TTL,
        display: str | None = None,
        redis_cluster: bool = False,
    ) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, not {ttl}")
        check_id("cluster", cluster)
        self.url = url
        self.display = display or "redis"
        self.redis_cluster = redis_cluster
        self.ttl = ttl
        self.prefix = f"ORS:{cluster}:"
        self._ttl_ms = str(max(1, round(ttl * 1000)))
        self._client: Redis | RedisCluster | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._closed = False
        self._saves: list[_Save] = []
        self._appends: list[_Append] = []
        self._turn_scheduled = False
        self._batches: set[asyncio.Task[None]] = set()
        self._pipelined_scripts = True
        self._permits: asyncio.Semaphore | None = None

    # keys

    def session_keys(self, sessionid: str) -> tuple[str, str]:
        """The record and queue keys of a session (one slot: `{sessionid}`)."""
        tag = f"{self.prefix}{{{sessionid}}}"
        return f"{tag}:rec", f"{tag}:events"

    def node_keys(self, node: str) -> tuple[str, str]:
        """The `idle` and `due` index keys of a node (one slot)."""
        tag = f"{self.prefix}{{node:{node}}}"
        return f"{tag}:idle", f"{tag}:due"

    def lease_keys(self) -> tuple[str, str, str, str]:
        """The leases, tokens, counter and addresses keys (one slot:
        `{nodes}`)."""
        tag = f"{self.prefix}{{nodes}}"
        return f"{tag}:leases", f"{tag}:tokens", f"{tag}:counter", f"{tag}:addresses"

    # connection

    async def connect(self) -> None:
        """Connect, authenticate and check the server's version; `StoreError`
        saying what failed (never the password). Connecting again does
        nothing."""
        if self._client is not None:
            return
        if self._closed:
            raise StoreError(f"store {self.display} is closed")
        from redis import asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        from redis.asyncio.cluster import RedisCluster

        # No retries by the client: a command whose answer was lost may have
        # run, and an append run twice would queue its event twice.
        # Connections idle for HEALTH_CHECK seconds are checked first.
        options: dict[str, Any] = {
            "decode_responses": False,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": HEALTH_CHECK,
        }
        client: Redis | RedisCluster
        try:
            if self.redis_cluster:
                client = RedisCluster.from_url(self.url, **options)
            else:
                # A burst (a node adopting a dead node's sessions) waits for a
                # free connection instead of failing at max_connections.
                pool = aioredis.BlockingConnectionPool.from_url(
                    self.url, timeout=POOL_WAIT, **options
                )
                client = aioredis.Redis.from_pool(pool)
        except ValueError as e:
            raise StoreError(f"store {self.display}: {e}") from None
        if isinstance(client, RedisCluster):
            self._permits = _cluster_permits(client)
        try:
            if isinstance(client, RedisCluster):
                await self._do(client.initialize())
            info = await self._do(client.info("server"))
        except BaseException:
            await client.aclose()
            raise
        version = tuple(int(p) for p in str(info["redis_version"]).split(".")[:2])
        if version < MIN_REDIS:
            await client.aclose()
            raise StoreError(
                f"store {self.display}: Redis {info['redis_version']} is too old "
                f"(needs {MIN_REDIS[0]}.{MIN_REDIS[1]} or later)"
            )
        for name, source in (
            ("save", _SAVE),
            ("append", _APPEND),
            ("delete", _DELETE),
            ("reassign", _REASSIGN),
            ("acquire", _ACQUIRE),
            ("renew", _RENEW),
            ("release", _RELEASE),
            ("expired", _EXPIRED),
            ("live", _LIVE),
            ("claim", _CLAIM),
        ):
            self._scripts[name] = client.register_script(source)
        self._pipelined_scripts = _pipelines_scripts(client)
        self._client = client

    @property
    def client(self) -> Redis | RedisCluster:
        if self._client is None:
            raise StoreError(
                f"store {self.display} is "
                + ("closed" if self._closed else "not connected")
            )
        return self._client

    async def _do(self, awaitable: Any) -> Any:
        """The result of `awaitable`, a command or pipeline sent to Redis,
        with Redis's errors as `Fenced` or `StoreError` (`_failure`). On Redis
        Cluster a command first takes one of the store's `max_connections`
        permits (`_wait_permit`), so that no node is asked for more
        connections than it may open."""
        permits = self._permits
        if permits is not None:
            await self._wait_permit(permits, awaitable)
        try:
            return await awaitable
        except Exception as error:
            failure = self._failure(error)
            if failure is error:
                raise
            raise failure from error
        finally:
            if permits is not None:
                permits.release()

    def _failure(self, error: Exception) -> Exception:
        """What a store caller sees of `error`, raised by Redis or answered
        in a pipeline's results: `Fenced` for a fenced save, `StoreError` for
        Redis's errors and the socket's; anything else as it is."""
        from redis import exceptions

        if isinstance(error, exceptions.ResponseError):
            text = str(error)
            if text.startswith("FENCED"):
                return Fenced(text)
            return StoreError(f"store {self.display}: {text}")
        if isinstance(error, (exceptions.RedisError, OSError)):
            return StoreError(f"store {self.display}: {error}")
        return error

    async def _wait_permit(self, permits: asyncio.Semaphore, awaitable: Any) -> None:
        """Take one of `permits`, waiting up to `POOL_WAIT` seconds; else
        `StoreError`, `awaitable` closed unsent. A command or pipeline holds
        at most one connection per node at a time, so `max_connections`
        permits keep every node within its `max_connections`, and a burst
        waits instead of failing (redis-py's cluster client does not wait).
        Nothing is retried: a command that times out here was never sent."""
        try:
            async with asyncio.timeout(POOL_WAIT):
                await permits.acquire()
        except BaseException as error:
            if isinstance(awaitable, Coroutine):
                awaitable.close()
            if isinstance(error, TimeoutError):
                raise StoreError(
                    f"store {self.display}: no free connection within "
                    f"{POOL_WAIT:g} s (all max_connections busy)"
                ) from None
            raise

    async def _script(self, name: str, keys: Iterable[str], args: Iterable[Any]) -> Any:
        self.client
        return await self._do(self._scripts[name](keys=list(keys), args=list(args)))

    async def _run_scripts(self, calls: list[_Call]) -> list[Any]:
        """Run each call's script in one pipeline (on Redis Cluster, one round
        trip per node, the nodes in parallel), loading a script again where
        Redis answers NOSCRIPT (a restart, a failover, SCRIPT FLUSH): the
        scripts' results, errors as values."""
        from redis import exceptions

        client = self.client
        if not self._pipelined_scripts:
            # an older cluster client (redis-py 5.0) refuses scripts in
            # pipelines: one call per script, each to its slot's node
            return list(
                await asyncio.gather(
                    *(
                        self._do(self._scripts[c.script](keys=c.keys, args=c.args))
                        for c in calls
                    ),
                    return_exceptions=True,
                )
            )
        results: list[Any] = [None] * len(calls)
        waiting = list(range(len(calls)))
        for attempt in range(2):
            pipe = client.pipeline(transaction=False)
            for i in waiting:
                call = calls[i]
                sha = self._scripts[call.script].sha
                pipe.evalsha(sha, len(call.keys), *call.keys, *call.args)
            out = await self._do(pipe.execute(raise_on_error=False))
            again = []
            for i, outcome in zip(waiting, out):
                if isinstance(outcome, exceptions.NoScriptError) and not attempt:
                    again.append(i)
                else:
                    results[i] = outcome
            if not again:
                break
            for name in sorted({calls[i].script for i in again}):
                await self._do(client.script_load(self._scripts[name].script))
            waiting = again
        return results

    # the writes of one turn of the event loop

    def _queued(self) -> asyncio.Future[Any]:
        """A future for a write queued for this turn of the event loop; the
        first one of the turn schedules `_start_turn`."""
        self.client
        loop = asyncio.get_running_loop()
        if not self._turn_scheduled:
            self._turn_scheduled = True
            loop.call_soon(self._start_turn)
        return loop.create_future()

    def _start_turn(self) -> None:
        saves, appends = self._saves, self._appends
        self._saves, self._appends = [], []
        self._turn_scheduled = False
        task = asyncio.get_running_loop().create_task(self._write(saves, appends))
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    async def _write(self, saves: list[_Save], appends: list[_Append]) -> None:
        """Run the saves and appends of one turn: their scripts in one
        pipeline (on Redis Cluster after the saves' index updates), and give
        each caller its own outcome, an error as a value."""
        if saves and self.redis_cluster:
            try:
                await self._index_first([item.record for item in saves])
            except BaseException as error:
                _fail([item.future for item in saves], error)
                if not isinstance(error, Exception):
                    raise
                saves = []
        calls = self._save_calls(saves) + self._append_calls(appends)
        if not calls:
            return
        try:
            outcomes = await self._run_scripts(calls)
        except BaseException as error:
            for call in calls:
                _fail(call.futures, error)
            if not isinstance(error, Exception):
                raise
            return
        for call, outcome in zip(calls, outcomes):
            results = (
                outcome if isinstance(outcome, list) else [outcome] * len(call.futures)
            )
            for future, result in zip(call.futures, results):
                if not future.done():
                    future.set_result(result)

    def _slot(self, sessionid: str) -> int:
        """The Redis Cluster slot of a session's keys (0 on one Redis)."""
        if not self.redis_cluster:
            return 0
        from redis.crc import key_slot

        return int(key_slot(self.session_keys(sessionid)[0].encode()))

    def _groups(
        self, items: list[T], by: Callable[[T], tuple[str, int]]
    ) -> list[tuple[tuple[str, int], list[T]]]:
        """`items` grouped by `by`, in order, in groups of at most `BATCH`."""
        grouped: dict[tuple[str, int], list[T]] = {}
        for item in items:
            grouped.setdefault(by(item), []).append(item)
        return [
            (key, group[start : start + BATCH])
            for key, group in grouped.items()
            for start in range(0, len(group), BATCH)
        ]

    def _save_calls(self, saves: list[_Save]) -> list[_Call]:
        """One save script per node and slot (one Redis: per node, indexes
        included; Redis Cluster: per slot, its keys being in one slot)."""
        calls = []
        indexed = not self.redis_cluster
        for (node, _), group in self._groups(
            saves, lambda item: (item.record.node, self._slot(item.record.sessionid))
        ):
            keys = list(self.node_keys(node)) if indexed else []
            args: list[Any] = [self._ttl_ms, node, "1" if indexed else "0"]
            for item in group:
                keys += self.session_keys(item.record.sessionid)
                args += item.args
            calls.append(_Call("save", keys, args, [item.future for item in group]))
        return calls

    def _append_calls(self, appends: list[_Append]) -> list[_Call]:
        """One append script per slot (one Redis: one for all)."""
        calls = []
        for _, group in self._groups(
            appends, lambda item: ("", self._slot(item.sessionid))
        ):
            keys: list[str] = []
            args: list[Any] = [self._ttl_ms]
            for item in group:
                keys.extend(self.session_keys(item.sessionid))
                args.append(item.data)
            calls.append(_Call("append", keys, args, [item.future for item in group]))
        return calls

    # sessions

    async def save(
        self, record: SessionRecord, *, acked: int = 0, new: bool = False
    ) -> None:
        sid = check_record(record, acked)
        args = (
            sid,
            str(record.fence),
            "1" if new else "0",
            str(acked),
            "" if record.due is None else repr(record.due),
            repr(record.updated),
            repr(record.created),
            record.snapshot,
            record.document,
            record.fingerprint,
        )
        # The saves of one turn of the event loop (a server's flush) share
        # one script run per node (on Redis Cluster, per slot), each save
        # atomic and checked on its own, in one pipeline with the turn's
        # appends.
        future = self._queued()
        self._saves.append(_Save(record, args, future))
        outcome = await future
        if outcome == 1:
            return
        try:
            if isinstance(outcome, bytes):
                raise Fenced(outcome.decode())
            raise self._failure(outcome)
        except Fenced:
            current = await self.load(sid)
            if current is None or current.node != record.node:
                await self._unindex(record.node, [sid])
            elif self.redis_cluster:  # indexed before it was refused: undo
                await self._index(record.node, [(sid, current.updated, current.due)])
            raise

    async def _index_first(self, records: list[SessionRecord]) -> None:
        """On Redis Cluster, the index entries of the records about to be
        saved, one command per node and index, before the records: a crash
        in between leaves an entry without a record (reads filter it out,
        `sweep` removes it), never a record the index misses."""
        nodes: dict[str, dict[str, SessionRecord]] = {}
        for record in records:  # a session saved twice: its last save
            nodes.setdefault(record.node, {})[record.sessionid] = record
        ttl = int(self._ttl_ms)
        pipe = self.client.pipeline(transaction=False)
        for node, latest in nodes.items():
            idle, due = self.node_keys(node)
            pipe.zadd(idle, {r.sessionid: r.updated for r in latest.values()})
            timed = {s: r.due for s, r in latest.items() if r.due is not None}
            untimed = [s for s, r in latest.items() if r.due is None]
            if timed:
                pipe.zadd(due, timed)
            if untimed:
                pipe.zrem(due, *untimed)
            pipe.pexpire(idle, ttl)
            pipe.pexpire(due, ttl)
        for outcome in await self._do(pipe.execute(raise_on_error=False)):
            if isinstance(outcome, Exception):
                raise self._failure(outcome)

    async def _index(
        self, node: str, entries: list[tuple[str, float, float | None]]
    ) -> None:
        idle, due = self.node_keys(node)
        pipe = self.client.pipeline(transaction=not self.redis_cluster)
        for sid, updated, when in entries:
            pipe.zadd(idle, {sid: updated})
            if when is None:
                pipe.zrem(due, sid)
            else:
                pipe.zadd(due, {sid: when})
        pipe.pexpire(idle, int(self._ttl_ms))
        pipe.pexpire(due, int(self._ttl_ms))
        await self._do(pipe.execute())

    async def _unindex(self, node: str, sids: list[str]) -> None:
        if sids:
            idle, due = self.node_keys(node)
            pipe = self.client.pipeline(transaction=not self.redis_cluster)
            pipe.zrem(idle, *sids)
            pipe.zrem(due, *sids)
            await self._do(pipe.execute())

    async def append(self, sessionid: str, data: bytes) -> int | None:
        # The appends of one turn of the event loop share one script run (on
        # Redis Cluster, one per slot), each event appended atomically on its
        # own; each caller has its answer once Redis ran it.
        future = self._queued()
        self._appends.append(_Append(sessionid, bytes(data), future))
        seq = await future
        if isinstance(seq, Exception):
            raise self._failure(seq)
        return int(seq) or None

    async def pending(self, sessionid: str, after: int = 0) -> list[QueuedEvent]:
        _, events = self.session_keys(sessionid)
        entries = await self._do(self.client.xrange(events, f"{after + 1}-0", "+"))
        return [
            QueuedEvent(int(ident.split(b"-")[0]), fields[b"d"])
            for ident, fields in entries
        ]

    async def load(self, sessionid: str) -> SessionRecord | None:
        rec, _ = self.session_keys(sessionid)
        fields = await self._do(self.client.hgetall(rec))
        if not fields or b"node" not in fields:
            return None
        due = fields[b"due"]
        return SessionRecord(
            sessionid=sessionid,
            snapshot=fields[b"snapshot"],
            document=fields[b"document"].decode(),
            fingerprint=fields[b"fingerprint"].decode(),
            node=fields[b"node"].decode(),
            fence=int(fields[b"fence"]),
            created=float(fields[b"created"]),
            updated=float(fields[b"updated"]),
            due=float(due) if due else None,
        )

    async def delete(self, sessionid: str) -> bool:
        node = await self._script("delete", self.session_keys(sessionid), ())
        if node is not None:
            await self._unindex(node.decode(), [sessionid])
            return True
        for known in await self._nodes():
            await self._unindex(known, [sessionid])
        return False

    async def _nodes(self) -> list[str]:
        leases = self.lease_keys()[0]
        names = await self._do(self.client.zrange(leases, 0, -1))
        return [name.decode() for name in names]

    async def _owned(self, node: str, sids: list[str]) -> list[str]:
        """Those of `sids` whose record exists and names `node` (the indexes
        may be ahead of the records, or behind an adoption)."""
        owned = []
        for start in range(0, len(sids), BATCH):
            batch = sids[start : start + BATCH]
            pipe = self.client.pipeline(transaction=False)
            for sid in batch:
                pipe.hget(self.session_keys(sid)[0], "node")
            owners = await self._do(pipe.execute())
            owned += [
                sid
                for sid, owner in zip(batch, owners)
                if owner is not None and owner.decode() == node
            ]
        return owned

    async def sessions(
        self, *, node: str | None = None, idle_since: float | None = None
    ) -> list[str]:
        found: set[str] = set()
        for name in [node] if node is not None else await self._nodes():
            idle, _ = self.node_keys(name)
            top = "+inf" if idle_since is None else repr(idle_since)
            sids = await self._do(self.client.zrangebyscore(idle, "-inf", top))
            found.update(await self._owned(name, [s.decode() for s in sids]))
        return sorted(found)

    async def due(
        self, until: float, *, node: str | None = None
    ) -> list[tuple[str, float]]:
        found = []
        for name in [node] if node is not None else await self._nodes():
            _, due = self.node_keys(name)
            pairs = await self._do(
                self.client.zrangebyscore(due, "-inf", repr(until), withscores=True)
            )
            when = {sid.decode(): score for sid, score in pairs}
            found += [(when[sid], sid) for sid in await self._owned(name, list(when))]
        return [(sid, when) for when, sid in sorted(found)]

    # leases

    def _lease_ttl(self, ttl: float) -> tuple[str, str]:
        ms = max(1, round(ttl * 1000))
        return str(ms), str(max(int(self._ttl_ms), 10 * ms))

    async def acquire_lease(self, node: str, ttl: float, *, address: str = "") -> int:
        check_id("node", node)
        return int(
            await self._script(
                "acquire", self.lease_keys(), (node, *self._lease_ttl(ttl), address)
            )
        )

    async def renew_lease(self, node: str, token: int, ttl: float) -> bool:
        return bool(
            await self._script(
                "renew", self.lease_keys(), (node, str(token), *self._lease_ttl(ttl))
            )
        )

    async def release_lease(self, node: str, token: int) -> None:
        await self._script("release", self.lease_keys(), (node, str(token)))

    async def live_nodes(self) -> dict[str, str]:
        flat = await self._script("live", self.lease_keys(), ())
        return {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}

    async def expired_nodes(self) -> list[str]:
        names = await self._script("expired", self.lease_keys(), ())
        expired = []
        for name in sorted(n.decode() for n in names):
            idle, _ = self.node_keys(name)
            if await self._do(self.client.zcard(idle)):
                if await self.sessions(node=name):
                    expired.append(name)
        return expired

    async def adopt(self, dead: str, node: str, token: int) -> list[str]:
        claimed = await self._script(
            "claim", self.lease_keys(), (dead, node, str(token))
        )
        if not claimed:
            return []
        idle, _ = self.node_keys(dead)
        sids = [s.decode() for s in await self._do(self.client.zrange(idle, 0, -1))]
        adopted = []
        for start in range(0, len(sids), BATCH):
            batch = sids[start : start + BATCH]
            pipe = self.client.pipeline(transaction=False)
            for sid in batch:
                pipe.hmget(self.session_keys(sid)[0], ["node", "updated", "due"])
            rows = await self._do(pipe.execute())
            entries = [
                (sid, float(updated), float(due) if due else None)
                for sid, (owner, updated, due) in zip(batch, rows)
                if owner is not None and owner.decode() == dead
            ]
            if not entries:
                continue
            await self._index(node, entries)
            done = await self._run_scripts(
                [
                    _Call(
                        "reassign",
                        list(self.session_keys(sid)),
                        [dead, node, str(token), self._ttl_ms],
                    )
                    for sid, _, _ in entries
                ]
            )
            for outcome in done:
                if isinstance(outcome, Exception):
                    raise self._failure(outcome)
            moved = [sid for (sid, _, _), ok in zip(entries, done) if ok]
            adopted += moved
            if dead != node:
                await self._unindex(dead, moved)
            lost = [sid for (sid, _, _), ok in zip(entries, done) if not ok]
            if lost:
                await self._unindex(node, await self._not_owned(node, lost))
        return sorted(adopted)

    async def _not_owned(self, node: str, sids: list[str]) -> list[str]:
        owned = set(await self._owned(node, sids))
        return [sid for sid in sids if sid not in owned]

    async def sweep(self) -> int:
        horizon = time.time() - SWEEP_GRACE
        removed = 0
        for name in await self._nodes():
            idle, _ = self.node_keys(name)
            sids = await self._do(self.client.zrangebyscore(idle, "-inf", horizon))
            stale = await self._not_owned(name, [s.decode() for s in sids])
            await self._unindex(name, stale)
            removed += len(stale)
        return removed

    async def close(self) -> None:
        client, self._client = self._client, None
        self._closed = True
        if client is not None:
            await client.aclose()


@dataclass(slots=True)
class _Save:
    """A save waiting for its turn's pipeline: the record, its script
    arguments, and the caller's future."""

    record: SessionRecord
    args: tuple[Any, ...]
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Append:
    """An append waiting for its turn's pipeline."""

    sessionid: str
    data: bytes
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Call:
    """One run of the script `script` in a pipeline, and the futures of the
    callers it answers, one per element of its result."""

    script: str
    keys: list[str]
    args: list[Any]
    futures: list[asyncio.Future[Any]] = field(default_factory=list)


def _cluster_permits(client: RedisCluster) -> asyncio.Semaphore:
    """As many permits as `client` may open connections to each node (its
    `max_connections`, from the URL or redis-py's default)."""
    return asyncio.Semaphore(int(client.connection_kwargs.get("max_connections", 100)))


def _pipelines_scripts(client: Any) -> bool:
    """Whether `client`'s pipelines take scripts (the cluster client of
    redis-py 5.0, for one, refuses them)."""
    from redis.exceptions import RedisClusterException

    try:
        client.pipeline(transaction=False).evalsha("0" * 40, 0)
    except RedisClusterException:
        return False
    return True


def _fail(futures: list[asyncio.Future[Any]], error: BaseException) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(error)
