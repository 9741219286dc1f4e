"""`SqliteStore`: sessions in one SQLite file, `sqlite:PATH`.

The embedded default for durable sessions: the standard library's sqlite3,
no server. The database runs in WAL mode. Every call runs in the store's
worker thread (its own connection), so the event loop never waits for the
disk. The calls that queued up while the thread was busy run together in one
transaction (`BEGIN IMMEDIATE` ... `COMMIT`: one commit, one fsync, for all
of them), each write in its own savepoint: a save and the removal of the
events it consumed land together or not at all, and a call that fails (a
`Fenced` save) leaves the others of its batch alone. A call returns once its
transaction has committed.

Durability (`synchronous`):

- `full` (the default): each commit is fsynced before the call returns. An
  acknowledged event or a saved macrostep survives `kill -9` of the server and
  a power loss or OS crash.
- `normal`: each commit is written to the WAL file (the OS has it) before the
  call returns, and fsynced at checkpoints. It survives `kill -9` of the
  server, but a power loss or OS crash may lose the last commits (never
  corrupt the database). Several times faster on slow disks.

Several processes may open the same file (WAL readers never block, writers
wait up to `BUSY_TIMEOUT`), but a cluster of machines needs Redis.

Expiry: each session has an `expires` column (now + `ttl`, refreshed by every
save and appended event); reads ignore expired rows and `sweep()` deletes
them with their events.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from .base import (
    DEFAULT_TTL,
    Fenced,
    QueuedEvent,
    SessionRecord,
    StoreError,
    check_record,
    check_id,
)

__all__ = ["BUSY_TIMEOUT", "MAX_BATCH", "SqliteStore"]

BUSY_TIMEOUT: Final = 10.0
"""Seconds a write waits for another process's transaction on the file."""

MAX_BATCH: Final = 256
"""Calls that share one transaction (one commit) when they queue up."""

T = TypeVar("T")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    snapshot BLOB NOT NULL,
    document TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    node TEXT NOT NULL,
    fence INTEGER NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    due REAL,
    expires REAL NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sessions_node_updated ON sessions (node, updated);
CREATE INDEX IF NOT EXISTS sessions_due ON sessions (due) WHERE due IS NOT NULL;
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);
CREATE TABLE IF NOT EXISTS events (
    session TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (session, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
    node TEXT PRIMARY KEY,
    token INTEGER NOT NULL,
    expires REAL NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

_COLUMNS: Final = (
    "id, snapshot, document, fingerprint, node, fence, created, updated, due"
)

SYNCHRONOUS: Final = ("full", "normal")


class SqliteStore:
    """Sessions in the SQLite database `path` (created if missing).
    `synchronous` is `full` or `normal` (module docstring); `clock` gives
    seconds since the epoch."""

    def __init__(
        self,
        path: str | Path,
        *,
        ttl: float = DEFAULT_TTL,
        synchronous: str = "full",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, not {ttl}")
        if synchronous not in SYNCHRONOUS:
            raise ValueError(
                f"synchronous must be one of {', '.join(SYNCHRONOUS)}, "
                f"not {synchronous!r}"
            )
        self.path = Path(path)
        self.ttl = ttl
        self.synchronous = synchronous
        self._clock = clock
        self._jobs: queue.SimpleQueue[_Job | None] | None = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._db: sqlite3.Connection | None = None

    async def _run(self, fn: Callable[..., T], *args: Any, write: bool = False) -> T:
        if self._jobs is None:
            raise StoreError(f"sqlite store {self.path} is closed")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._work, name="scxmlc-sqlite", daemon=True
            )
            self._thread.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(fn, args, write, future, loop))
        return await future

    def _work(self) -> None:
        """The worker thread: runs the jobs queued meanwhile (at most
        `MAX_BATCH`) in one transaction, so one commit (one fsync) serves
        them all; each write job runs in its own savepoint, so a failing one
        leaves the others' writes alone. A job's future is settled after the
        commit: its writes are durable when its caller resumes."""
        assert self._jobs is not None
        jobs = self._jobs
        stop = False
        while not stop:
            first = jobs.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    job = jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                batch.append(job)
            self._run_batch(batch)
        if self._db is not None:
            self._db.close()
            self._db = None

    def _run_batch(self, batch: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE" if any(j.write for j in batch) else "BEGIN")
            try:
                for job in batch:
                    try:
                        outcomes.append((True, job.fn(db, *job.args)))
                    except sqlite3.Error as e:
                        outcomes.append((False, self._error(e)))
                    except Exception as e:
                        outcomes.append((False, e))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            outcomes = [(False, self._error(e))] * len(batch)
        except StoreError as e:
            outcomes = [(False, e)] * len(batch)
        except Exception as e:  # the file cannot be made: a folder, a permission
            error = StoreError(f"sqlite store {self.path}: {e}")
            error.__cause__ = e
            outcomes = [(False, error)] * len(batch)
        for job, (ok, value) in zip(batch, outcomes):
            try:
                job.loop.call_soon_threadsafe(_settle, job.future, ok, value)
            except RuntimeError:
                pass  # its loop has closed: nobody waits for the answer

    def _error(self, e: sqlite3.Error) -> StoreError:
        error = StoreError(f"sqlite store {self.path}: {e}")
        error.__cause__ = e
        return error

    def _connection(self) -> sqlite3.Connection:
        # only ever called in the worker thread
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT,
                isolation_level=None,
                check_same_thread=False,
            )
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                db.close()
                raise StoreError(f"sqlite store {self.path}: WAL mode refused")
            db.execute(f"PRAGMA synchronous={self.synchronous.upper()}")
            db.execute("BEGIN IMMEDIATE")
            _create(db)
            db.execute("COMMIT")
            self._db = db
        return self._db

    async def connect(self) -> None:
        """Open (or create) the database now, so that a bad path fails at
        start rather than at the first save."""
        await self._run(lambda db: None)

    async def save(
        self, record: SessionRecord, *, acked: int = 0, new: bool = False
    ) -> None:
        check_record(record, acked)
        await self._run(self._save, record, acked, new, self._clock(), write=True)

    def _save(
        self,
        db: sqlite3.Connection,
        r: SessionRecord,
        acked: int,
        new: bool,
        now: float,
    ) -> None:
        with _transaction(db):
            row = db.execute(
                "SELECT node, fence, expires FROM sessions WHERE id = ?",
                (r.sessionid,),
            ).fetchone()
            live = row is not None and row[2] > now
            values = (
                r.snapshot,
                r.document,
                r.fingerprint,
                r.node,
                r.fence,
                r.created,
                r.updated,
                r.due,
                now + self.ttl,
            )
            if new:
                if live:
                    raise Fenced(f"session {r.sessionid} exists already")
                if row is not None:  # an expired leftover
                    _purge(db, r.sessionid)
                db.execute(
                    "INSERT INTO sessions (snapshot, document, fingerprint, node,"
                    " fence, created, updated, due, expires, id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, r.sessionid),
                )
                return
            if not live:
                raise Fenced(f"session {r.sessionid} does not exist")
            if (row[0], row[1]) != (r.node, r.fence):
                raise Fenced(
                    f"session {r.sessionid} is owned by {row[0]} (fence {row[1]}), "
                    f"not {r.node} (fence {r.fence})"
                )
            db.execute(
                "UPDATE sessions SET snapshot = ?, document = ?, fingerprint = ?,"
                " node = ?, fence = ?, created = ?, updated = ?, due = ?,"
                " expires = ? WHERE id = ?",
                (*values, r.sessionid),
            )
            if acked:
                db.execute(
                    "DELETE FROM events WHERE session = ? AND seq <= ?",
                    (r.sessionid, acked),
                )

    async def append(self, sessionid: str, data: bytes) -> int | None:
        return await self._run(
            self._append, sessionid, bytes(data), self._clock(), write=True
        )

    def _append(
        self, db: sqlite3.Connection, sessionid: str, data: bytes, now: float
    ) -> int | None:
        with _transaction(db):
            row = db.execute(
                "UPDATE sessions SET seq = seq + 1, expires = ?"
                " WHERE id = ? AND expires > ? RETURNING seq",
                (now + self.ttl, sessionid, now),
            ).fetchone()
            if row is None:
                return None
            seq: int = row[0]
            db.execute(
                "INSERT INTO events (session, seq, data) VALUES (?, ?, ?)",
                (sessionid, seq, data),
            )
            return seq

    async def pending(self, sessionid: str, after: int = 0) -> list[QueuedEvent]:
        return await self._run(self._pending, sessionid, after, self._clock())

    @staticmethod
    def _pending(
        db: sqlite3.Connection, sessionid: str, after: int, now: float
    ) -> list[QueuedEvent]:
        rows = db.execute(
            "SELECT e.seq, e.data FROM events e JOIN sessions s ON s.id = e.session"
            " WHERE e.session = ? AND e.seq > ? AND s.expires > ? ORDER BY e.seq",
            (sessionid, after, now),
        ).fetchall()
        return [QueuedEvent(seq, data) for seq, data in rows]

    async def load(self, sessionid: str) -> SessionRecord | None:
        return await self._run(self._load, sessionid, self._clock())

    @staticmethod
    def _load(
        db: sqlite3.Connection, sessionid: str, now: float
    ) -> SessionRecord | None:
        row = db.execute(
            f"SELECT {_COLUMNS} FROM sessions WHERE id = ? AND expires > ?",
            (sessionid, now),
        ).fetchone()
        return None if row is None else SessionRecord(*row)

    async def delete(self, sessionid: str) -> bool:
        return await self._run(self._delete, sessionid, self._clock(), write=True)

    @staticmethod
    def _delete(db: sqlite3.Connection, sessionid: str, now: float) -> bool:
        with _transaction(db):
            row = db.execute(
                "SELECT expires FROM sessions WHERE id = ?", (sessionid,)
            ).fetchone()
            _purge(db, sessionid)
            return row is not None and bool(row[0] > now)

    async def sessions(
        self, *, node: str | None = None, idle_since: float | None = None
    ) -> list[str]:
        return await self._run(self._sessions, node, idle_since, self._clock())

    @staticmethod
    def _sessions(
        db: sqlite3.Connection, node: str | None, idle_since: float | None, now: float
    ) -> list[str]:
        sql = "SELECT id FROM sessions WHERE expires > ?"
        args: list[Any] = [now]
        if node is not None:
            sql += " AND node = ?"
            args.append(node)
        if idle_since is not None:
            sql += " AND updated <= ?"
            args.append(idle_since)
        return [row[0] for row in db.execute(sql + " ORDER BY id", args)]

    async def due(
        self, until: float, *, node: str | None = None
    ) -> list[tuple[str, float]]:
        return await self._run(self._due, until, node, self._clock())

    @staticmethod
    def _due(
        db: sqlite3.Connection, until: float, node: str | None, now: float
    ) -> list[tuple[str, float]]:
        sql = "SELECT id, due FROM sessions WHERE due IS NOT NULL AND due <= ?"
        args: list[Any] = [until]
        if node is not None:
            sql += " AND node = ?"
            args.append(node)
        sql += " AND expires > ? ORDER BY due, id"
        args.append(now)
        return [(row[0], row[1]) for row in db.execute(sql, args)]

    async def acquire_lease(self, node: str, ttl: float, *, address: str = "") -> int:
        check_id("node", node)
        return await self._run(
            self._acquire, node, ttl, address, self._clock(), write=True
        )

    @staticmethod
    def _acquire(
        db: sqlite3.Connection, node: str, ttl: float, address: str, now: float
    ) -> int:
        with _transaction(db):
            token = _next_token(db)
            db.execute(
                "INSERT INTO leases (node, token, expires, address) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (node) DO UPDATE SET token = excluded.token,"
                " expires = excluded.expires, address = excluded.address",
                (node, token, now + ttl, address),
            )
            return token

    async def renew_lease(self, node: str, token: int, ttl: float) -> bool:
        return await self._run(self._renew, node, token, ttl, self._clock(), write=True)

    @staticmethod
    def _renew(
        db: sqlite3.Connection, node: str, token: int, ttl: float, now: float
    ) -> bool:
        with _transaction(db):
            cursor = db.execute(
                "UPDATE leases SET expires = ?"
                " WHERE node = ? AND token = ? AND expires > ?",
                (now + ttl, node, token, now),
            )
            return cursor.rowcount == 1

    async def release_lease(self, node: str, token: int) -> None:
        await self._run(self._release, node, token, write=True)

    @staticmethod
    def _release(db: sqlite3.Connection, node: str, token: int) -> None:
        with _transaction(db):
            db.execute(
                "UPDATE leases SET expires = 0 WHERE node = ? AND token = ?",
                (node, token),
            )

    async def live_nodes(self) -> dict[str, str]:
        return await self._run(self._live_nodes, self._clock())

    @staticmethod
    def _live_nodes(db: sqlite3.Connection, now: float) -> dict[str, str]:
        rows = db.execute(
            "SELECT node, address FROM leases WHERE expires > ? ORDER BY node", (now,)
        )
        return {node: address for node, address in rows}

    async def expired_nodes(self) -> list[str]:
        return await self._run(self._expired, self._clock())

    @staticmethod
    def _expired(db: sqlite3.Connection, now: float) -> list[str]:
        rows = db.execute(
            "SELECT node FROM leases l WHERE expires <= ? AND EXISTS"
            " (SELECT 1 FROM sessions s WHERE s.node = l.node AND s.expires > ?)"
            " ORDER BY node",
            (now, now),
        )
        return [row[0] for row in rows]

    async def adopt(self, dead: str, node: str, token: int) -> list[str]:
        return await self._run(
            self._adopt, dead, node, token, self._clock(), write=True
        )

    def _adopt(
        self, db: sqlite3.Connection, dead: str, node: str, token: int, now: float
    ) -> list[str]:
        with _transaction(db):
            mine = db.execute(
                "SELECT 1 FROM leases WHERE node = ? AND token = ? AND expires > ?",
                (node, token, now),
            ).fetchone()
            if mine is None:
                return []
            if dead != node:
                theirs = db.execute(
                    "SELECT expires FROM leases WHERE node = ?", (dead,)
                ).fetchone()
                if theirs is not None and theirs[0] > now:
                    return []
                db.execute(
                    "UPDATE leases SET token = ?, expires = 0 WHERE node = ?",
                    (_next_token(db), dead),
                )
            rows = db.execute(
                "UPDATE sessions SET node = ?, fence = ?, expires = ?"
                " WHERE node = ? AND expires > ? RETURNING id",
                (node, token, now + self.ttl, dead, now),
            ).fetchall()
            return sorted(row[0] for row in rows)

    async def sweep(self) -> int:
        return await self._run(self._sweep, self._clock(), write=True)

    @staticmethod
    def _sweep(db: sqlite3.Connection, now: float) -> int:
        with _transaction(db):
            db.execute(
                "DELETE FROM events WHERE session IN"
                " (SELECT id FROM sessions WHERE expires <= ?)",
                (now,),
            )
            return db.execute(
                "DELETE FROM sessions WHERE expires <= ?", (now,)
            ).rowcount

    async def close(self) -> None:
        jobs, self._jobs = self._jobs, None
        if jobs is None:
            return
        jobs.put(None)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)


@dataclass(slots=True)
class _Job:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    write: bool
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class _transaction:
    """One write job inside the worker's transaction: a savepoint, released
    when the job succeeds, rolled back to when it raises (`Fenced`, or a
    failure halfway through its statements), so nothing of a failed job
    stays while the other jobs of its batch commit."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("SAVEPOINT job")

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is not None:
            self.db.execute("ROLLBACK TO job")
        self.db.execute("RELEASE job")


def _create(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def _purge(db: sqlite3.Connection, sessionid: str) -> None:
    db.execute("DELETE FROM events WHERE session = ?", (sessionid,))
    db.execute("DELETE FROM sessions WHERE id = ?", (sessionid,))


def _next_token(db: sqlite3.Connection) -> int:
    row = db.execute(
        "INSERT INTO counters (name, value) VALUES ('token', 1)"
        " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value"
    ).fetchone()
    value: int = row[0]
    return value
