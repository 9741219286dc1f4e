"""`MemoryStore`: the contract of `SessionStore` in one process's memory.

What the server uses without `--store`, and what tests use: every method
runs to completion without awaiting, so each is atomic on the event loop.
Nothing survives the process. Expiry is honoured by every read, and `sweep`
frees what expired.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .base import (
    DEFAULT_TTL,
    Fenced,
    QueuedEvent,
    SessionRecord,
    StoreError,
    check_record,
    check_id,
)

__all__ = ["MemoryStore"]


@dataclass
class _Session:
    record: SessionRecord
    expires: float
    seq: int = 0
    events: deque[QueuedEvent] = field(default_factory=deque)


class MemoryStore:
    """Sessions, queues and leases in dicts. `clock` gives seconds since the
    epoch (tests pass a fake one)."""

    def __init__(
        self, *, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.time
    ) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, not {ttl}")
        self.ttl = ttl
        self._clock = clock
        self._sessions: dict[str, _Session] = {}
        self._leases: dict[str, tuple[int, float]] = {}
        self._addresses: dict[str, str] = {}
        self._tokens = 0
        self._closed = False

    async def connect(self) -> None:
        """Nothing to connect: the store is ready."""
        self._check_open()

    def _live(self, sessionid: str) -> _Session | None:
        self._check_open()
        entry = self._sessions.get(sessionid)
        if entry is not None and entry.expires <= self._clock():
            return None  # gone for every read; `sweep` frees it
        return entry

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    async def save(
        self, record: SessionRecord, *, acked: int = 0, new: bool = False
    ) -> None:
        check_record(record, acked)
        entry = self._live(record.sessionid)
        expires = self._clock() + self.ttl
        if new:
            if entry is not None:
                raise Fenced(f"session {record.sessionid} exists already")
            self._sessions[record.sessionid] = _Session(record, expires)
            return
        if entry is None:
            raise Fenced(f"session {record.sessionid} does not exist")
        if (entry.record.node, entry.record.fence) != (record.node, record.fence):
            raise Fenced(
                f"session {record.sessionid} is owned by {entry.record.node} "
                f"(fence {entry.record.fence}), not {record.node} "
                f"(fence {record.fence})"
            )
        entry.record = record
        entry.expires = expires
        while entry.events and entry.events[0].seq <= acked:
            entry.events.popleft()

    async def append(self, sessionid: str, data: bytes) -> int | None:
        entry = self._live(sessionid)
        if entry is None:
            return None
        entry.seq += 1
        entry.events.append(QueuedEvent(entry.seq, bytes(data)))
        entry.expires = self._clock() + self.ttl
        return entry.seq

    async def pending(self, sessionid: str, after: int = 0) -> list[QueuedEvent]:
        entry = self._live(sessionid)
        if entry is None:
            return []
        return [e for e in entry.events if e.seq > after]

    async def load(self, sessionid: str) -> SessionRecord | None:
        entry = self._live(sessionid)
        return None if entry is None else entry.record

    async def delete(self, sessionid: str) -> bool:
        entry = self._live(sessionid)
        self._sessions.pop(sessionid, None)
        return entry is not None

    def _records(self) -> list[SessionRecord]:
        records = []
        for sessionid in list(self._sessions):
            entry = self._live(sessionid)
            if entry is not None:
                records.append(entry.record)
        return records

    async def sessions(
        self, *, node: str | None = None, idle_since: float | None = None
    ) -> list[str]:
        return sorted(
            r.sessionid
            for r in self._records()
            if (node is None or r.node == node)
            and (idle_since is None or r.updated <= idle_since)
        )

    async def due(
        self, until: float, *, node: str | None = None
    ) -> list[tuple[str, float]]:
        found = [
            (r.due, r.sessionid)
            for r in self._records()
            if r.due is not None and r.due <= until and (node is None or r.node == node)
        ]
        return [(sessionid, due) for due, sessionid in sorted(found)]

    def _token(self) -> int:
        self._tokens += 1
        return self._tokens

    async def acquire_lease(self, node: str, ttl: float, *, address: str = "") -> int:
        check_id("node", node)
        self._check_open()
        token = self._token()
        self._leases[node] = (token, self._clock() + ttl)
        self._addresses[node] = address
        return token

    async def renew_lease(self, node: str, token: int, ttl: float) -> bool:
        self._check_open()
        held = self._leases.get(node)
        now = self._clock()
        if held is None or held[0] != token or held[1] <= now:
            return False
        self._leases[node] = (token, now + ttl)
        return True

    async def release_lease(self, node: str, token: int) -> None:
        self._check_open()
        held = self._leases.get(node)
        if held is not None and held[0] == token:
            self._leases[node] = (token, 0.0)

    async def live_nodes(self) -> dict[str, str]:
        self._check_open()
        now = self._clock()
        return {
            node: self._addresses.get(node, "")
            for node, (_, expires) in sorted(self._leases.items())
            if expires > now
        }

    async def expired_nodes(self) -> list[str]:
        now = self._clock()
        owners = {r.node for r in self._records()}
        return sorted(
            n
            for n, (_, expires) in self._leases.items()
            if expires <= now and n in owners
        )

    async def adopt(self, dead: str, node: str, token: int) -> list[str]:
        self._check_open()
        now = self._clock()
        mine = self._leases.get(node)
        if mine is None or mine[0] != token or mine[1] <= now:
            return []
        if dead != node:
            theirs = self._leases.get(dead)
            if theirs is not None and theirs[1] > now:
                return []
            # revoke: the dead node's token stops being renewable
            self._leases[dead] = (self._token(), 0.0)
        adopted = []
        for sessionid in list(self._sessions):
            entry = self._live(sessionid)
            if entry is not None and entry.record.node == dead:
                entry.record = replace(entry.record, node=node, fence=token)
                entry.expires = now + self.ttl
                adopted.append(sessionid)
        return sorted(adopted)

    async def sweep(self) -> int:
        now = self._clock()
        expired = [s for s, e in self._sessions.items() if e.expires <= now]
        for sessionid in expired:
            del self._sessions[sessionid]
        return len(expired)

    async def close(self) -> None:
        self._closed = True
        self._sessions.clear()
        self._leases.clear()
