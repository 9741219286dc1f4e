"""What a session store keeps, and the contract every store meets.

A store keeps, for each session, one *record* (the snapshot of the machine at
the end of its last macrostep, the document it runs, the node that owns it,
timestamps, the due time of its earliest timer) and a durable *queue* of the
events sent to it that it has not yet consumed. For a cluster it also keeps
node *leases*. The session server (`scxmlc serve --store URL`) persists a
session at the end of each macrostep through `SessionStore.save`, which
removes the events the macrostep consumed in the same atomic step, and
answers a REST event (204) only once `SessionStore.append` has returned.

Ownership is fenced. A node takes a lease (`acquire_lease`) and receives a
token, a number no earlier lease of any node had. Every record names its
owner and the token the owner held when it took the session (`fence`); a save
is accepted only from that owner with that token. Adopting the sessions of a
node whose lease expired (`adopt`) rewrites owner and fence, session by
session, so a late save of the old owner is refused (`Fenced`) and can never
overwrite what the new owner wrote.

Keys and ids: everything a store writes lives under a prefix,
`ORS:<cluster>:`. The keys of one session carry its id in braces
(`ORS:<cluster>:{<sessionid>}:rec`), the hash tag that keeps them in one Redis
Cluster slot, so a save is one atomic script even on Redis Cluster. Session
ids and node names are therefore restricted (`check_id`): no braces, no
spaces, at most 200 characters.
"""

from __future__ import annotations

import asyncio
import math
import re
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar, runtime_checkable

__all__ = [
    "answered_within",
    "DEFAULT_CLUSTER",
    "DEFAULT_TTL",
    "Fenced",
    "QueuedEvent",
    "SessionRecord",
    "SessionStore",
    "StoreError",
    "StoreUrlError",
    "check_id",
    "new_session_id",
    "node_of",
]

DEFAULT_TTL: Final = 2 * 24 * 3600.0
"""Seconds a session's keys live after its last save or event: twice the
server's idle timeout (a day), so no running session ever expires, and the
records of a cluster nobody runs any more go away by themselves."""

DEFAULT_CLUSTER: Final = "scxmlc"
"""The cluster name of the key prefix, `ORS:scxmlc:`, unless one is given."""

MAX_ID: Final = 200
"""Characters of a session id or node name."""

_ID: Final = re.compile(r"[A-Za-z0-9._~:@-]+")


class StoreError(Exception):
    """A store that cannot do what was asked: unreachable, refused, closed."""


T = TypeVar("T")


async def answered_within(call: Awaitable[T], limit: float) -> T:
    """The result of store call `call`, given up after `limit` seconds with
    `StoreError`.

    `call` runs in the caller's task (`asyncio.timeout`): `asyncio.wait_for`
    on Python 3.11 runs it in a task of its own and, when a cancellation
    arrives as it finishes, returns its result instead of cancelling, and a
    loop that lost its cancellation so runs on for ever."""
    try:
        async with asyncio.timeout(limit):
            return await call
    except TimeoutError:
        raise StoreError(f"the store did not answer within {limit:g} s") from None


class StoreUrlError(StoreError, ValueError):
    """A `--store` URL that names no store this runtime has; the message says
    which forms there are."""


class Fenced(StoreError):
    """A save refused because the saving node no longer owns the session (its
    lease was taken over, or it restarted since), or because the session no
    longer exists. The caller must drop its copy of the session: another node,
    or nobody, is its owner now."""


def check_id(kind: str, value: str) -> str:
    """`value` if it may name a session or node (letters, digits and
    `._~:@-`, at most `MAX_ID` characters), else `ValueError`: braces would
    break the hash tags that keep one session's keys in one slot."""
    if not (0 < len(value) <= MAX_ID and _ID.fullmatch(value)):
        raise ValueError(
            f"{kind} {value[:MAX_ID]!r} may hold only letters, digits and ._~:@- "
            f"(1 to {MAX_ID} characters)"
        )
    return value


def new_session_id(node: str) -> str:
    """A fresh session id that carries the node that started the session,
    `<node>~<32 hex digits>`, as ORS's ids carry their node: any node can
    tell where to forward a call (after an adoption the record's `node` is
    the owner; the id keeps the first one)."""
    return f"{check_id('node', node)}~{uuid.uuid4().hex}"


def node_of(sessionid: str) -> str | None:
    """The node a `new_session_id` names, or None for an id without one."""
    node, tilde, rest = sessionid.rpartition("~")
    if not (tilde and node and re.fullmatch(r"[0-9a-f]{32}", rest)):
        return None
    return node


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One session as the store keeps it.

    `snapshot` is `machine.snapshot()`; `document` names what the server
    restores it into (the application or `src` it was started from) and
    `fingerprint` the compiled version of that document, so a restore into
    another version can be refused. `node` is the owner and `fence` the token
    of its lease when it took the session. Times are seconds since the epoch:
    `created` when the session started, `updated` at its last macrostep (what
    passivation compares), `due` when its earliest timer falls due (None: no
    timer)."""

    sessionid: str
    snapshot: bytes
    document: str
    fingerprint: str
    node: str
    fence: int
    created: float
    updated: float
    due: float | None = None


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """An event in a session's durable queue: `seq` numbers the session's
    events from 1 in the order they were appended; `data` is what the server
    serialised."""

    seq: int
    data: bytes


@runtime_checkable
class SessionStore(Protocol):
    """The contract of `MemoryStore`, `SqliteStore` and `RedisStore`.

    Every method is a coroutine for the server's event loop and never blocks
    it. A method returns once what it did is as durable as the store makes it
    (docs/persistence.md)."""

    ttl: float
    """Seconds a session's keys live after its last save or appended event."""

    async def connect(self) -> None:
        """Connect (open the file, reach the server, authenticate) and check
        what the store needs; `StoreError` saying what failed."""
        ...

    async def save(
        self, record: SessionRecord, *, acked: int = 0, new: bool = False
    ) -> None:
        """Write `record` and, in the same atomic step, remove the session's
        queued events up to and including `acked` (the `seq` of the last event
        its macrostep consumed; 0: none). Refreshes the session's TTL and the
        indexes (`sessions`, `due`).

        `new` creates the session: it must not exist yet. Otherwise it must
        exist, be owned by `record.node` and fenced with `record.fence`, else
        `Fenced` and nothing changes."""
        ...

    async def append(self, sessionid: str, data: bytes) -> int | None:
        """Queue an event for the session; returns its `seq` once it is
        durable, or None if there is no such session (then nothing is
        written). Refreshes the session's TTL."""
        ...

    async def pending(self, sessionid: str, after: int = 0) -> list[QueuedEvent]:
        """The session's queued events with `seq > after`, oldest first."""
        ...

    async def load(self, sessionid: str) -> SessionRecord | None:
        """The session's record, or None if there is none (never saved,
        deleted, or expired)."""
        ...

    async def delete(self, sessionid: str) -> bool:
        """Remove the session, its queue and its index entries; whether it
        existed."""
        ...

    async def sessions(
        self, *, node: str | None = None, idle_since: float | None = None
    ) -> list[str]:
        """Ids of the sessions (of `node`; last saved at or before
        `idle_since`), sorted."""
        ...

    async def due(
        self, until: float, *, node: str | None = None
    ) -> list[tuple[str, float]]:
        """`(sessionid, due)` of the sessions (of `node`) whose earliest timer
        is due at or before `until`, earliest first."""
        ...

    async def acquire_lease(self, node: str, ttl: float, *, address: str = "") -> int:
        """Start a lease for `node` lasting `ttl` seconds and return its
        token, larger than every token before. Always succeeds: a node that
        restarts takes a new lease, and the token of its previous life stops
        being accepted. One process per node name. `address` (the node's
        URL) tells the other nodes where to forward calls (`live_nodes`)."""
        ...

    async def renew_lease(self, node: str, token: int, ttl: float) -> bool:
        """Extend the lease to `ttl` seconds from now if it is still `node`'s
        with `token` and has not expired; False means the node lost it and
        must stop running its sessions."""
        ...

    async def release_lease(self, node: str, token: int) -> None:
        """End the lease now (a node that stops), so its sessions can be
        adopted at once."""
        ...

    async def live_nodes(self) -> dict[str, str]:
        """The nodes whose lease is live, each with the address it gave."""
        ...

    async def expired_nodes(self) -> list[str]:
        """Nodes whose lease has expired and that still own sessions, sorted."""
        ...

    async def adopt(self, dead: str, node: str, token: int) -> list[str]:
        """Make `node` (holding the live lease `token`) the owner of the
        sessions of `dead`, whose lease must have expired, or be `node`
        itself after a restart. The lease of `dead` is revoked first, so it
        can no longer be renewed, then each session is reassigned atomically
        with the new fence. Returns the ids adopted, sorted; [] if the lease
        of `dead` is live or `token` is not `node`'s live lease."""
        ...

    async def sweep(self) -> int:
        """Remove what has expired (records, queues, index entries); how many
        sessions went."""
        ...

    async def close(self) -> None:
        """Release connections and threads; the store is unusable after."""
        ...


def check_record(record: SessionRecord, acked: int) -> str:
    """The record's session id, if the record may be saved with `acked`:
    ids that `check_id` accepts, finite times, a `seq` for `acked`; else
    `ValueError`."""
    check_id("node", record.node)
    times = (record.created, record.updated, record.due or 0.0)
    if not all(math.isfinite(t) for t in times):
        raise ValueError(f"session {record.sessionid}: times must be finite numbers")
    acked_ok(acked)
    return check_id("session id", record.sessionid)


def acked_ok(acked: int) -> int:
    if acked < 0:
        raise ValueError(f"acked must be 0 or a seq, not {acked}")
    return acked


def sorted_ids(ids: Sequence[str]) -> list[str]:
    return sorted(set(ids))
