"""Durable sessions: a platform's sessions kept in a `SessionStore`.

`Durability` persists the sessions of one `Platform` (the node `node`) into a
store (`scxmlc.runtime.store`), brings them back after a restart, and
passivates idle ones: they leave memory and come back when an event, a timer
or a REST call needs them. `SessionServer(durability=...)` wires it in;
`scxmlc serve --store URL` builds one.

- **End of macrostep.** The platform tells its `step_listeners` when a
  session (or a child it invoked) ends a macrostep or ends. Such a session is
  marked; one flush task saves every marked session once per turn of the
  event loop (their saves run concurrently, so SQLite commits them together,
  and Redis in one round trip, under one time limit for the batch).
  A save writes `machine.snapshot()` with `acked` = the last `seq` handed to
  the session: the snapshot holds every event handed over, consumed or still
  in its queue, so the store drops them from its queue in the same step.
- **Events from callers** (REST `/event`, `/request`, Basic HTTP access
  URIs). `deliver` appends the event to the store first (the appends
  of one turn of the loop start together, under one time limit) and
  returns its `seq` once it is durable (the server answers 204 then); only
  then is it handed to the session, in `seq` order: an event whose
  predecessor is still being appended waits for it, and a gap nobody fills
  (an append that failed after it took effect, a restart) is filled from the
  store's queue (`pending`).
- **Recovery.** `start()` takes the node's lease, adopts the node's own
  sessions (fencing out anything a previous life still had in flight) and
  restores them: all of them without passivation, otherwise only those with
  queued events or a timer due soon; the others come back when needed.
  Restored sessions consume their queued events first, in order; their
  overdue timers fire at once. A session waiting for its `idealtime` is
  saved with its start time as the record's `due` and starts then.
- **Lease.** The node renews its lease every third of `lease_ttl` (at once
  when a save is fenced). Its lease is *live* by its own monotonic clock
  until `lease_ttl * (1 - LEASE_MARGIN)` after the start of its last
  accepted renewal: the store cannot have let it expire before then. Once
  that time passes without a renewal (the node was paused, the store is
  unreachable), or a renewal is refused (another node adopted its
  sessions), its sessions may run elsewhere: at the first chance (a
  watchdog timer, and `check_lease`, which the server calls before each
  request and the clock before each timer) it drops them all (no onexit,
  no event to anyone), takes a new lease (a new token), adopts and
  recovers what the store still says is its own, and carries on as a
  fresh node. Without a live lease it serves nothing: the server answers
  503, no session starts, no event is handed over, no timer fires.
- **Store calls** are bounded: a renewal gives up at the lease's end, any
  other lease call after a third of `lease_ttl`, any other call after
  `store_timeout` (`StoreError`; an append given up may still take
  effect).
- **Passivation.** Every `passivate_after / 4` seconds (at most 60), idle
  sessions are saved and disposed. A passivated session is reactivated by
  `activate` (an event, a request, a query, a terminate) or when its earliest
  timer falls due (the store's `due` index, read every `tick` seconds).
  `expire` ends those last saved too long ago (the store's idle index; the
  server's idle timeout).

Sessions of documents marked `_persist="false"` are never persisted (nor
recovered, nor passivated); invoked children are persisted inside their
parent's snapshot. A session that ends is deleted from the store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from typing import Any, Final, TypeVar

from ..basichttp import LimitExceeded, queued_events
from ..events import EXTERNAL, AttrDict, Event
from ..io import pending as pending_sends
from ..machine import Machine
from ..snapshot import SnapshotError
from ..store import Fenced, SessionRecord, SessionStore, StoreError, answered_within
from .platform import OrsSession, Platform

__all__ = [
    "LEASE_MARGIN",
    "LEASE_TTL",
    "MAX_RECOVERY_BATCH",
    "STORE_TIMEOUT",
    "Durability",
    "SessionGone",
    "decode_event",
    "encode_event",
]

LEASE_TTL: Final = 30.0
"""Seconds the node's lease lasts; renewed every third of it."""

LEASE_MARGIN: Final = 0.2
"""The part of `lease_ttl` a node gives up at the end of each lease: it
stops serving `lease_ttl * (1 - LEASE_MARGIN)` after the start of its last
accepted renewal, by its own monotonic clock, so that clocks that run at
slightly different rates (up to 20 %) never let two nodes serve a session."""

STORE_TIMEOUT: Final = 10.0
"""Seconds a store call (an append, a save, a read) may take before the node
gives up on it (`StoreError`); at most `lease_ttl`."""

TICK: Final = 1.0
"""Seconds between two reads of the store's `due` index (passivated sessions
whose timer falls due), and the least time to its next timer a session must
have to be passivated."""

RETRY: Final = 1.0
"""Seconds before a save that failed with `StoreError` is tried again."""

MAX_RECOVERY_BATCH: Final = 256
"""Sessions whose records and queues recovery reads at once."""

log = logging.getLogger("scxmlc.durable")

ActiveListener = Callable[[OrsSession], None]
T = TypeVar("T")


class SessionGone(LookupError):
    """No such session on this node: never started, ended, or another
    node's."""


_COMPACT: Final = json.JSONEncoder(separators=(",", ":"))
"""`json.dumps(..., separators=(",", ":"))` without a new encoder per call."""


def encode_event(event: Event) -> bytes:
    """An external event from a caller, as the store queues it (JSON)."""
    fields: dict[str, Any] = {"name": event.name, "data": event.data}
    for name in ("origin", "origintype", "raw"):
        value = getattr(event, name, None)
        if value:
            fields[name] = value
    return _COMPACT.encode(fields).encode()


def decode_event(data: bytes) -> Event:
    """The event `encode_event` made `data` of."""
    fields = json.loads(data, object_hook=AttrDict)
    return Event(
        fields["name"],
        fields.get("data"),
        EXTERNAL,
        origin=fields.get("origin"),
        origintype=fields.get("origintype"),
        raw=fields.get("raw"),
    )


class _Tracked:
    """What the node knows of one persisted session it runs."""

    __slots__ = (
        "document",
        "created",
        "new",
        "delivered",
        "buffer",
        "inflight",
        "filling",
        "ended",
        "passivate",
        "fresh",
        "start_at",
    )

    def __init__(self, document: str, created: float, *, new: bool) -> None:
        self.document = document
        self.created = created
        self.new = new
        """Not saved yet: the next save creates the record."""
        self.delivered = 0
        """The `seq` of the last queued event handed to the session."""
        self.buffer: dict[int, Event] | None = None
        """Events appended whose predecessors were not handed over yet."""
        self.inflight = 0
        self.filling = False
        self.ended = False
        self.passivate = False
        self.fresh = False
        """Restored with an empty queue: the first event appended alone is
        the next one."""
        self.start_at: float | None = None
        """Wall-clock time a session not started yet (an `idealtime`) is
        due to start."""


class _Append:
    """An event to append for a session, and its caller's answer."""

    __slots__ = ("sid", "tracked", "event", "data", "answer")

    def __init__(
        self,
        sid: str,
        tracked: _Tracked,
        event: Event,
        data: bytes,
        answer: asyncio.Future[int],
    ) -> None:
        self.sid = sid
        self.tracked = tracked
        self.event = event
        self.data = data
        """`event` as the store queues it (`encode_event`)."""
        self.answer = answer


class _Deadline:
    """Cancels the store calls `calls` of one batch still running `limit`
    seconds from now: one timer for the batch, not one per call."""

    __slots__ = ("left", "timer")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        calls: list[asyncio.Task[Any]],
        limit: float,
    ) -> None:
        self.left = len(calls)
        self.timer = loop.call_later(limit, _cancel, calls)

    def done(self) -> None:
        """One call of the batch is done; the timer goes with the last."""
        self.left -= 1
        if not self.left:
            self.timer.cancel()


def _cancel(calls: list[asyncio.Task[Any]]) -> None:
    for call in calls:
        call.cancel()


def _wake(batch: asyncio.Future[None] | None) -> None:
    """Wake those waiting for `batch` (None: nobody)."""
    if batch is not None and not batch.done():
        batch.set_result(None)


def _root(machine: Machine) -> Machine:
    while machine._parent is not None:
        machine = machine._parent
    return machine


def _due(machine: Machine) -> float | None:
    """Wall-clock time of the session's earliest delayed send (its
    children's included), None without one."""
    times = [delayed.due for delayed in pending_sends(machine)]
    for invocation in (machine._invocations or {}).values():
        if invocation.child is not None:
            child = _due(invocation.child)
            if child is not None:
                times.append(child)
    return min(times) if times else None


class Durability:
    """Keeps the sessions of `platform` in `store` as node `node`.

    `passivate_after` (seconds, 0: never) is how long a session may go
    without an event before it leaves memory; `lease_ttl` how long the node's
    lease lasts; `address` the URL other nodes may forward calls to.
    `store_timeout` bounds each store call but the lease's (at most
    `lease_ttl`). `documents` maps each application class to the name the
    platform's resolver finds it by again (else the class's `<scxml name>`).
    `on_active` hears of each session brought back to memory (the server
    registers it with its Basic HTTP processor), `on_passive` of each that
    left it."""

    def __init__(
        self,
        platform: Platform,
        store: SessionStore,
        *,
        node: str,
        passivate_after: float = 0.0,
        lease_ttl: float = LEASE_TTL,
        address: str = "",
        tick: float = TICK,
        store_timeout: float = STORE_TIMEOUT,
    ) -> None:
        self.platform = platform
        self.store = store
        self.node = node
        self.passivate_after = passivate_after
        self.lease_ttl = lease_ttl
        self.address = address
        self.tick = tick
        self.store_timeout = min(store_timeout, lease_ttl)
        self.max_queued_events: int | None = None
        """Events that may wait for one session (`queued`), None: any number;
        the server sets its own limit."""
        self.token = 0
        """The token of the node's lease; 0 while it holds none."""
        self.lost = 0
        """How many times the node lost its lease."""
        self._renewed = 0.0
        self._watchdog: asyncio.TimerHandle | None = None
        self._check = asyncio.Event()
        self.documents: dict[type[Machine], str] = {}
        self.on_active: list[ActiveListener] = []
        self.on_passive: list[Callable[[str], None]] = []
        self.tracked: dict[str, _Tracked] = {}
        self.passive: set[str] = set()
        """Ids of this node's sessions that are in the store only."""
        self.saves = 0
        self.passivated = 0
        self.reactivated = 0
        self._dirty: dict[str, None] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._next_batch: asyncio.Future[None] | None = None
        """Done when the next batch of saves is (`saved`)."""
        self._appends: list[_Append] = []
        """Events to append in the next batch of appends."""
        self._activating: dict[str, asyncio.Future[OrsSession | None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._running = False
        platform.listeners.append(self._joined)
        platform.step_listeners.append(self._stepped)

    # -- life ----------------------------------------------------------------------

    async def start(self) -> None:
        """Take the node's lease, adopt its sessions and recover them; then
        renew the lease, watch timers and passivate, in the background."""
        self._running = True
        ids = await self._lease()
        self._background(self._renew())  # renewed while the recovery goes on
        await self._recover_all(ids)
        if self.passivate_after > 0:
            self._background(self._watch())

    @property
    def leased(self) -> bool:
        """Whether the node holds a lease that is live by its own clock: less
        than `lease_ttl * (1 - LEASE_MARGIN)` since the start of its last
        accepted renewal. Only then does it serve."""
        return bool(self.token) and time.monotonic() < self._deadline()

    def _deadline(self) -> float:
        """When the node's lease stops being live by its monotonic clock."""
        return self._renewed + self.lease_ttl * (1.0 - LEASE_MARGIN)

    def check_lease(self) -> bool:
        """Whether the node may serve now (`leased`); if its lease has just
        lapsed, its sessions are dropped first, so nothing of them runs
        here any more."""
        if self.leased:
            return True
        if self.token:
            self._lapse(
                f"no renewal accepted for {time.monotonic() - self._renewed:.3g} s "
                f"(lease_ttl {self.lease_ttl:g} s)"
            )
        return False

    def _lapse(self, why: str) -> None:
        """The lease is gone or may be: drop every session (another node may
        run them now) and have `_renew` take a new lease."""
        self.token = 0
        self.lost += 1
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        dropped = len(self.tracked) + len(self.passive)
        self._drop_all()
        log.error(
            "node %s lost its lease (%s): it dropped %d sessions (the cluster "
            "runs them) and takes a new lease",
            self.node,
            why,
            dropped,
        )
        self._check.set()

    def _renewed_at(self, sent: float) -> None:
        """A renewal sent at monotonic time `sent` was accepted: the lease is
        live until `_deadline()`, when the watchdog checks it."""
        self._renewed = sent
        if self._watchdog is not None:
            self._watchdog.cancel()
        loop = asyncio.get_running_loop()
        delay = self._deadline() - time.monotonic()
        self._watchdog = loop.call_later(max(delay, 0.0), self.check_lease)

    async def _bounded(self, call: Awaitable[T], timeout: float | None = None) -> T:
        """The result of store call `call`, given up after `timeout` seconds
        (by default `store_timeout`) with `StoreError`."""
        return await answered_within(
            call, self.store_timeout if timeout is None else timeout
        )

    async def _lease(self) -> list[str]:
        """Take a new lease and adopt what the node still owns under its
        name (its earlier lease's sessions nobody adopted): their ids, to
        recover (`_recover_all`), are passive until then."""
        store = self.store
        quick = self.lease_ttl / 3
        sent = time.monotonic()
        token = await self._bounded(
            store.acquire_lease(self.node, self.lease_ttl, address=self.address), quick
        )
        await self._bounded(store.adopt(self.node, self.node, token), quick)
        self.token = token
        self._renewed_at(sent)
        ids = await self._bounded(store.sessions(node=self.node))
        self.passive.update(ids)
        return ids

    async def _recover_all(self, ids: list[str]) -> None:
        """Restore the sessions `ids` just adopted under the current lease:
        all of them without passivation, else those with queued events or a
        timer due soon; `MAX_RECOVERY_BATCH` at a time, while the lease
        lasts (a store that fails: again after `RETRY`)."""
        token = self.token
        while True:
            try:
                if self.passivate_after > 0:
                    wanted = await self._wanted(ids)
                else:
                    wanted = ids
                break
            except StoreError as error:
                log.warning("sessions not recovered yet: %s", error)
                await asyncio.sleep(RETRY)
                if self.token != token or not self._running:
                    return
        for first in range(0, len(wanted), MAX_RECOVERY_BATCH):
            if self.token != token:
                return  # the lease lapsed: the next one recovers them
            batch = wanted[first : first + MAX_RECOVERY_BATCH]
            await asyncio.gather(*(self._recover(sid) for sid in batch))

    async def _wanted(self, ids: list[str]) -> list[str]:
        """Of `ids`, those with queued events or a timer due within a tick."""
        store = self.store
        soon = {
            sid
            for sid, _ in await self._bounded(
                store.due(time.time() + 2 * self.tick, node=self.node)
            )
        }
        wanted = [sid for sid in ids if sid in soon]
        rest = [sid for sid in ids if sid not in soon]
        for first in range(0, len(rest), MAX_RECOVERY_BATCH):
            batch = rest[first : first + MAX_RECOVERY_BATCH]
            queues = await asyncio.gather(
                *(self._bounded(store.pending(sid)) for sid in batch)
            )
            wanted += [sid for sid, queue in zip(batch, queues) if queue]
        return wanted

    async def _recover(self, sid: str) -> None:
        try:
            await self.activate(sid)
        except Exception as error:  # noqa: BLE001 - one bad record stops no other
            log.error("session %s not recovered: %s", sid, error)

    async def close(self) -> None:
        """Save what is marked, stop the background tasks and release the
        lease; the sessions stay in memory as they are."""
        self._running = False
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for task in list(self._tasks):
            task.cancel()
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        if self.token:
            try:
                await self._bounded(
                    self.store.release_lease(self.node, self.token), self.lease_ttl / 3
                )
            except StoreError as error:
                log.warning("lease of %s not released: %s", self.node, error)

    def _background(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _renew(self) -> None:
        """Renew every third of `lease_ttl` (at once when a save was fenced);
        when the lease lapsed or a renewal was refused, take a new one (tried
        again every third of `lease_ttl` while the store does not answer)."""
        while self._running:
            if not self.token:
                await self._relet()
                continue
            try:  # in this task: wait_for could lose a cancellation (3.11)
                async with asyncio.timeout(self.lease_ttl / 3):
                    await self._check.wait()
            except TimeoutError:
                pass
            self._check.clear()
            if self.token:
                await self._renew_once()

    async def _renew_once(self) -> None:
        token = self.token
        sent = time.monotonic()
        try:  # a slow renewal may take until the lease's end, no longer
            kept = await self._bounded(
                self.store.renew_lease(self.node, token, self.lease_ttl),
                max(self._deadline() - sent, self.lease_ttl / 10),
            )
        except StoreError as error:
            log.warning("lease of %s not renewed: %s", self.node, error)
            self.check_lease()
            return
        if self.token != token:
            return  # it lapsed while the renewal was under way
        if kept:
            self._renewed_at(sent)
            self.check_lease()
        else:
            self._lapse("a renewal was refused: another node adopted its sessions")

    async def _relet(self) -> None:
        """Take a new lease, once the store answers."""
        while self._running and not self.token:
            try:
                self._background(self._recover_all(await self._lease()))
            except StoreError as error:
                log.error("node %s takes no new lease yet: %s", self.node, error)
                self.token = 0
                await asyncio.sleep(self.lease_ttl / 3)
        if self.token:
            log.warning("node %s runs again under lease %d", self.node, self.token)

    def _drop_all(self) -> None:
        """The lease is gone: another node owns these sessions now."""
        for sid in list(self.tracked):
            self._drop(sid)
        self.passive.clear()

    def _drop(self, sid: str) -> None:
        """Forget session `sid` here without ending it (another node, or
        nobody, owns it)."""
        self.tracked.pop(sid, None)
        self._dirty.pop(sid, None)
        session = self.platform.sessions.pop(sid, None)
        if session is not None:
            session.machine.dispose()
            for listener in self.on_passive:
                listener(sid)

    # -- the end of each macrostep -------------------------------------------------

    def _joined(self, session: OrsSession) -> None:
        """A new session: persist it unless its document says not to; an
        invoked child lives in its parent's snapshot."""
        machine = session.machine
        if machine._parent is not None or not type(machine)._persist:
            return
        cls = type(machine)
        document = self.documents.get(cls) or cls._chart.name or cls.__name__
        self.tracked[session.sessionid] = _Tracked(document, time.time(), new=True)
        self._mark(session.sessionid)

    def _stepped(self, machine: Machine) -> None:
        """A session (or one of its children) ended a macrostep, or ended."""
        root = _root(machine)
        sid = root._sid
        if sid is None:
            return
        tracked = self.tracked.get(sid)
        if tracked is None:
            return
        if root is machine and machine.finished:
            tracked.ended = True
        self._mark(sid)

    def _mark(self, sid: str) -> None:
        self._dirty[sid] = None
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        """Save the marked sessions, a batch per turn of the loop, until none
        is marked; each batch ends by waking those who wait for it
        (`saved`)."""
        batch_done: asyncio.Future[None] | None = None
        try:
            while self._dirty:
                batch = list(self._dirty)
                self._dirty.clear()
                batch_done, self._next_batch = self._next_batch, None
                await self._save_batch(batch)
                _wake(batch_done)
        finally:
            _wake(batch_done)
            self._flusher = None
            if self._dirty:
                self._mark(next(iter(self._dirty)))
            else:
                _wake(self._next_batch)
                self._next_batch = None

    async def _save_batch(self, batch: list[str]) -> None:
        """Save (or delete, once ended) the sessions `batch`: all their store
        calls at once, given up together after `store_timeout`."""
        if not self.check_lease():
            return  # all dropped; `saved` refuses a new one: no lease, no start
        writes: list[tuple[str, _Tracked, Coroutine[Any, Any, Any]]] = []
        for sid in batch:
            tracked = self.tracked.get(sid)
            if tracked is None:
                continue
            try:
                write = self._write(sid, tracked)
            except Exception as failure:  # noqa: BLE001 - one stops no other
                self._written(sid, tracked, failure)
                continue
            if write is not None:
                writes.append((sid, tracked, write))
        if not writes:
            return
        loop = asyncio.get_running_loop()
        calls = [loop.create_task(write) for _, _, write in writes]
        _, late = await asyncio.wait(calls, timeout=self.store_timeout)
        for call in late:
            call.cancel()
        for (sid, tracked, _), call in zip(writes, calls):
            if call in late:
                error: BaseException | None = StoreError(
                    f"the store did not answer within {self.store_timeout:g} s"
                )
            else:
                error = call.exception()
            self._written(sid, tracked, error)

    def _write(self, sid: str, tracked: _Tracked) -> Coroutine[Any, Any, Any] | None:
        """The store call that persists session `sid` as it is now: its
        save, or its record's deletion once it ended (or can no longer be
        snapshot); None when there is nothing to write."""
        store = self.store
        if tracked.ended:
            self.tracked.pop(sid, None)
            return None if tracked.new else store.delete(sid)
        session = self.platform.sessions.get(sid)
        if session is None:
            return None
        machine = session.machine
        try:
            data = machine.snapshot()
        except SnapshotError as error:
            log.error("session %s is no longer persisted: %s", sid, error)
            self.tracked.pop(sid, None)
            return None if tracked.new else store.delete(sid)
        due = _due(machine)
        if not machine._started and tracked.start_at is not None:
            due = tracked.start_at  # the due index brings it back to start
        record = SessionRecord(
            sid,
            data,
            tracked.document,
            type(machine)._fingerprint,
            self.node,
            self.token,
            tracked.created,
            time.time(),
            due,
        )
        return store.save(record, acked=tracked.delivered, new=tracked.new)

    def _written(
        self, sid: str, tracked: _Tracked, error: BaseException | None
    ) -> None:
        """Session `sid`'s save (or deletion) is done, failed with `error`."""
        if error is None:
            if self.tracked.get(sid) is not tracked:
                return  # deleted, or dropped meanwhile
            tracked.new = False
            self.saves += 1
            if tracked.passivate and sid not in self._dirty:  # else: the next save
                tracked.passivate = False
                session = self.platform.sessions.get(sid)
                if session is not None:
                    self._leave_memory(sid, tracked, session)
        elif isinstance(error, Fenced):
            log.error("session %s: another node owns it now", sid)
            self._drop(sid)
            self._check.set()  # the node's lease may be gone: renew now
        elif isinstance(error, StoreError):
            log.warning("session %s not saved (again in %g s): %s", sid, RETRY, error)
            tracked.passivate = False
            asyncio.get_running_loop().call_later(RETRY, self._retry, sid)
        else:
            log.error("session %s not saved: %r", sid, error)

    def _retry(self, sid: str) -> None:
        if sid in self.tracked and self._running:
            self._mark(sid)

    async def saved(self, sid: str) -> None:
        """Wait until session `sid` has been saved since it was last marked
        (its record exists); `StoreError` if it could not be."""
        tracked = self.tracked.get(sid)
        if tracked is None or (not tracked.new and sid not in self._dirty):
            return
        self._mark(sid)
        if self._next_batch is None:
            self._next_batch = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._next_batch)
        if tracked.new and not tracked.ended:
            if not self.leased:
                raise StoreError(
                    f"node {self.node} holds no lease (it is taking a new one): "
                    "no session starts here until it has"
                )
            raise StoreError(f"session {sid} could not be saved")

    # -- events from callers ----------------------------------------------------------

    def persists(self, sid: str) -> bool:
        """Whether session `sid` is kept in the store (in memory or not)."""
        return sid in self.tracked or sid in self.passive

    async def deliver(self, sid: str, event: Event) -> int:
        """Queue `event` for session `sid` durably, then hand it to the
        session in `seq` order; its `seq`. `SessionGone` when the store has no
        such session, `StoreError` when it cannot be reached (the event may or
        may not be queued; the node holds no live lease), `LimitExceeded`
        (503 `queuefull`) when `max_queued_events` wait for it already."""
        if not self.check_lease():
            raise StoreError(f"node {self.node} holds no live lease")
        tracked = self.tracked.get(sid)
        if tracked is None and sid in self.passive:  # passivated meanwhile
            await self.activate(sid)
            tracked = self.tracked.get(sid)
        if tracked is None:
            raise SessionGone(sid)
        waiting = self.queued(sid)
        if self.max_queued_events is not None and waiting >= self.max_queued_events:
            raise LimitExceeded(
                503,
                "queuefull",
                f"session {sid} has {waiting} events waiting, in its queue and "
                f"in the store (max_queued_events {self.max_queued_events})",
            )
        tracked.inflight += 1
        if tracked.new:  # its record first: appends need it
            return await asyncio.shield(self._append_when_saved(sid, tracked, event))
        return await self._append(sid, tracked, event)

    def queued(self, sid: str) -> int:
        """How many events wait for session `sid`: in its external queue,
        being appended to the store, and in the store but not handed over
        yet (waiting for an earlier one). A passivated session's queued
        events are handed over when it comes back, so count once it has."""
        tracked = self.tracked.get(sid)
        session = self.platform.sessions.get(sid)
        waiting = 0 if session is None else queued_events(session.machine)
        if tracked is not None:
            waiting += tracked.inflight + len(tracked.buffer or ())
        return waiting

    def _append(self, sid: str, tracked: _Tracked, event: Event) -> asyncio.Future[int]:
        """Append `event` for session `sid` in this turn's batch of appends:
        its `seq` once it is durable (and handed over). A caller that stops
        waiting stops nothing: the append and the handing over go on."""
        try:
            data = encode_event(event)
        except Exception:
            self._appended(sid, tracked)
            raise
        loop = asyncio.get_running_loop()
        appended: asyncio.Future[int] = loop.create_future()
        if not self._appends:
            loop.call_soon(self._append_batch)
        self._appends.append(_Append(sid, tracked, event, data, appended))
        return appended

    async def _append_when_saved(
        self, sid: str, tracked: _Tracked, event: Event
    ) -> int:
        try:
            await self.saved(sid)
        except BaseException:
            self._appended(sid, tracked)
            raise
        return await self._append(sid, tracked, event)

    def _append_batch(self) -> None:
        """Start the appends queued in this turn, all at once (a store that
        batches them writes them together), given up together after
        `store_timeout`; each is handed over and answered as it is done."""
        batch, self._appends = self._appends, []
        loop = asyncio.get_running_loop()
        store = self.store
        calls = [loop.create_task(store.append(item.sid, item.data)) for item in batch]
        deadline = _Deadline(loop, calls, self.store_timeout)
        for item, call in zip(batch, calls):
            call.add_done_callback(partial(self._append_done, item, deadline))

    def _append_done(
        self, item: _Append, deadline: _Deadline, call: asyncio.Task[int | None]
    ) -> None:
        """The store call appending `item` is done: hand the event over (in
        `seq` order) and answer its caller."""
        deadline.done()
        answer = item.answer
        try:
            if call.cancelled():
                raise StoreError(
                    f"the store did not answer within {self.store_timeout:g} s"
                )
            seq = call.result()
            if seq is None:
                raise SessionGone(item.sid)
            self._hand(item.sid, item.tracked, seq, item.event)
            if not answer.done():
                answer.set_result(seq)
        except Exception as error:  # noqa: BLE001 - its caller's to raise
            if not answer.done():
                answer.set_exception(error)
        finally:
            self._appended(item.sid, item.tracked)

    def _appended(self, sid: str, tracked: _Tracked) -> None:
        """An append for `sid` is over: fill any gap once none is under way."""
        tracked.inflight -= 1
        if tracked.buffer and not tracked.inflight and not tracked.filling:
            self._background(self._fill(sid, tracked))

    def _hand(self, sid: str, tracked: _Tracked, seq: int, event: Event) -> None:
        """Give the session event `seq`, and those waiting for it, in order
        (nothing once the lease lapsed: the session is not this node's then)."""
        if seq <= tracked.delivered or not self._current(sid, tracked):
            return
        if tracked.fresh:
            tracked.fresh = False
            if tracked.inflight == 1 and not tracked.buffer:
                tracked.delivered = seq - 1
        if seq != tracked.delivered + 1 or tracked.buffer:
            buffer = tracked.buffer
            if buffer is None:
                buffer = tracked.buffer = {}
            buffer[seq] = event
            while tracked.delivered + 1 in buffer:
                tracked.delivered += 1
                self._give(sid, buffer.pop(tracked.delivered))
            if not buffer:
                tracked.buffer = None
            return
        tracked.delivered = seq
        self._give(sid, event)

    def _current(self, sid: str, tracked: _Tracked) -> bool:
        """Whether `tracked` is what this node knows of `sid` now, under a
        live lease (not what it knew before it dropped the session)."""
        return self.check_lease() and self.tracked.get(sid) is tracked

    def _give(self, sid: str, event: Event) -> None:
        session = self.platform.sessions.get(sid)
        if session is not None:
            session.machine._deliver(event)

    async def _fill(self, sid: str, tracked: _Tracked) -> None:
        """Hand over what the store queued after the last event handed over
        (a gap no append under way will fill)."""
        tracked.filling = True
        try:
            queued = await self._bounded(
                self.store.pending(sid, after=tracked.delivered)
            )
        except StoreError as error:
            log.warning("session %s: queued events not read: %s", sid, error)
            return
        finally:
            tracked.filling = False
        if not self._current(sid, tracked):
            return
        buffer = tracked.buffer or {}
        for item in queued:
            if item.seq > tracked.delivered:
                event = buffer.pop(item.seq, None) or decode_event(item.data)
                tracked.delivered = item.seq
                self._give(sid, event)
        for seq in [seq for seq in buffer if seq <= tracked.delivered]:
            del buffer[seq]
        tracked.buffer = buffer or None

    # -- bringing sessions back ---------------------------------------------------------

    async def activate(self, sid: str) -> OrsSession | None:
        """The session `sid` in memory: as it is, or restored from the store
        if it was passivated (or recovered after a restart); None if this
        node has no such session."""
        session = self.platform.sessions.get(sid)
        if session is not None or sid not in self.passive:
            return session
        under_way = self._activating.get(sid)
        if under_way is not None:
            return await asyncio.shield(under_way)
        future: asyncio.Future[OrsSession | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._activating[sid] = future
        try:
            session = await self._restore(sid)
            future.set_result(session)
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: the caller raises it
            raise
        finally:
            del self._activating[sid]
        return session

    async def _restore(self, sid: str) -> OrsSession | None:
        store = self.store
        record = await self._bounded(store.load(sid))
        if record is None or record.node != self.node:
            self.passive.discard(sid)
            return None
        platform = self.platform
        application = await asyncio.to_thread(platform.load, record.document, "")
        self.documents.setdefault(application, record.document)
        queued = await self._bounded(store.pending(sid))
        if not self.check_lease():
            return None  # the lease lapsed meanwhile: nothing runs here
        if sid in platform.sessions or sid not in self.passive:
            return platform.sessions.get(sid)  # raced with another activation
        session = platform.restore_session(application, record.snapshot)
        self.passive.discard(sid)
        tracked = _Tracked(record.document, record.created, new=False)
        self.tracked[sid] = tracked
        self.reactivated += 1
        for listener in self.on_active:
            listener(session)
        session.started = platform.clock.now() - max(0.0, time.time() - record.created)
        for item in queued:
            tracked.delivered = item.seq
            self._give(sid, decode_event(item.data))
        tracked.fresh = not queued
        if not session.machine._started:  # waits for its idealtime
            tracked.start_at = record.due
            self._start_later(session, record.due)
        return session

    def starts_at(self, sid: str, when: float) -> None:
        """Session `sid`, just created, starts at wall-clock time `when` (its
        `idealtime`): its records say so until it has started, so it starts
        then after a restart too."""
        tracked = self.tracked.get(sid)
        if tracked is not None:
            tracked.start_at = when
            self._mark(sid)

    def _start_later(self, session: OrsSession, when: float | None) -> None:
        """Start restored `session` at wall-clock time `when` (None or past:
        at once)."""
        machine = session.machine
        platform = self.platform

        def start() -> None:
            if machine._started or platform.sessions.get(session.sessionid) is not (
                session
            ):
                return  # terminated, or gone from memory, meanwhile
            session.started = platform.clock.now()
            if platform.trace.active:
                platform.trace.add(
                    "session",
                    f"started {machine._chart.name or type(machine).__name__} "
                    "(idealtime, restored)",
                    session.label,
                    sessionid=session.sessionid,
                )
            machine.start()

        delay = 0.0 if when is None else when - time.time()
        if delay > 0.0:
            platform.clock.call_later(delay, start)
        else:
            start()

    # -- passivation ---------------------------------------------------------------------

    async def _watch(self) -> None:
        """Every tick: bring back passivated sessions whose timer falls due;
        every `passivate_after / 4` (at most 60 s): passivate idle ones."""
        every = min(self.passivate_after / 4, 60.0)
        last = time.monotonic()
        while self._running:
            await asyncio.sleep(self.tick)
            try:
                due = await self._bounded(
                    self.store.due(time.time() + 2 * self.tick, node=self.node)
                )
            except StoreError as error:
                log.warning("timers of passivated sessions not read: %s", error)
                due = []
            for sid, _ in due:
                if sid in self.passive:
                    await self._recover(sid)
            if time.monotonic() - last >= every:
                last = time.monotonic()
                self.passivate_idle()

    def passivate_idle(self, idle: float | None = None) -> int:
        """Mark for passivation every session idle for `idle` seconds (by
        default `passivate_after`): it leaves memory once it is saved. How
        many were marked."""
        limit = self.passivate_after if idle is None else idle
        platform = self.platform
        now = platform.clock.now()
        horizon = time.time() + 2 * self.tick
        marked = 0
        for sid, session in list(platform.sessions.items()):
            tracked = self.tracked.get(sid)
            if tracked is None or tracked.ended or tracked.passivate:
                continue
            if now - max(session.last_event, session.started) < limit:
                continue
            if not self._may_leave(session, tracked):
                continue
            due = _due(session.machine)
            if due is not None and due < horizon:
                continue
            tracked.passivate = True
            self._mark(sid)
            marked += 1
        return marked

    def _may_leave(self, session: OrsSession, tracked: _Tracked) -> bool:
        """Whether nothing but the store holds the session: it waits for an
        event, owns no interaction, has no child, made no request that is
        still under way, has no request waiting for it, and no event is on
        its way to it."""
        machine = session.machine
        return bool(
            machine._started
            and machine._idle
            and not machine._scheduled
            and not machine._external
            and not machine._invocations
            and session.invoker is None
            and next(session.interactions.ids(), None) is None
            and not session.requests
            and not tracked.inflight
            and not tracked.buffer
            and not self.platform.waiting_for(session)
        )

    def _leave_memory(self, sid: str, tracked: _Tracked, session: OrsSession) -> None:
        """Dispose of session `sid`, just saved, if nothing happened to it
        since its snapshot was taken."""
        if not self._may_leave(session, tracked):
            return
        if self.platform.sessions.get(sid) is not session:
            return
        del self.platform.sessions[sid]
        self.tracked.pop(sid, None)
        session.machine.dispose()
        self.passive.add(sid)
        self.passivated += 1
        for listener in self.on_passive:
            listener(sid)

    # -- idle passivated sessions ---------------------------------------------------------

    async def expire(self, idle: float) -> list[tuple[str, float]]:
        """End the passivated sessions saved last `idle` seconds ago or more
        (the store's idle index): their records are deleted, and calls naming
        them answer as for a session that ended. Each one's id and how long it
        was idle, in seconds."""
        store = self.store
        now = time.time()
        ended: list[tuple[str, float]] = []
        for sid in await store.sessions(node=self.node, idle_since=now - idle):
            if sid not in self.passive or sid in self._activating:
                continue
            record = await store.load(sid)
            if record is None or record.node != self.node:
                self.passive.discard(sid)
                continue
            if record.updated > now - idle:
                continue  # back in memory and passivated again meanwhile
            if sid not in self.passive or sid in self._activating:
                continue
            self.passive.discard(sid)  # from now on no call brings it back
            try:
                await store.delete(sid)
            except StoreError:
                self.passive.add(sid)
                raise
            ended.append((sid, now - record.updated))
        return ended
