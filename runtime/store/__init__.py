"""Session stores: where the session server keeps sessions between macrosteps.

`SessionStore` is the contract (`base.py`); `MemoryStore` keeps sessions in
the process, `SqliteStore` in a SQLite file, `RedisStore` in a Redis shared by
a cluster of servers. `open_store(url)` makes and connects the store a
`--store` URL names:

    memory:                     MemoryStore (nothing survives the process)
    sqlite:PATH                 SqliteStore; ?synchronous=full (default) or normal
    redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]   RedisStore (rediss:// over TLS);
                                options REDIS_OPTIONS (and REDISS_OPTIONS over TLS)
    redis+cluster://[[USER]:PASSWORD@]HOST[:PORT]  RedisStore on Redis Cluster
                                (any node of it; rediss+cluster:// over TLS)

docs/persistence.md tells what each keeps, how durably, and the key layout.
The core runtime does not import this package; redis-py is imported only by
`RedisStore`.
"""

from __future__ import annotations

import math
from typing import Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .base import DEFAULT_CLUSTER as DEFAULT_CLUSTER
from .base import DEFAULT_TTL as DEFAULT_TTL
from .base import Fenced as Fenced
from .base import QueuedEvent as QueuedEvent
from .base import SessionRecord as SessionRecord
from .base import SessionStore as SessionStore
from .base import StoreError as StoreError
from .base import StoreUrlError as StoreUrlError
from .base import answered_within as answered_within
from .base import check_id as check_id
from .base import new_session_id as new_session_id
from .base import node_of as node_of
from .memory import MemoryStore as MemoryStore
from .redis_store import RedisStore as RedisStore
from .sqlite_store import SqliteStore as SqliteStore

__all__ = [
    "DEFAULT_CLUSTER",
    "DEFAULT_TTL",
    "Fenced",
    "MemoryStore",
    "QueuedEvent",
    "RedisStore",
    "SessionRecord",
    "SessionStore",
    "SqliteStore",
    "StoreError",
    "StoreUrlError",
    "check_id",
    "new_session_id",
    "node_of",
    "open_store",
    "redacted",
    "store_from_url",
]

FORMS = "memory:, sqlite:PATH, redis://HOST:PORT/DB or redis+cluster://HOST:PORT"


def redacted(url: str) -> str:
    """`url` with any password replaced by `***`, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<malformed URL>"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def store_from_url(
    url: str, *, cluster: str = DEFAULT_CLUSTER, ttl: float = DEFAULT_TTL
) -> SessionStore:
    """The store `url` names, not yet connected (`connect()`); `StoreUrlError`
    saying what is wrong with it and which forms there are."""
    shown = redacted(url)

    def bad(why: str) -> StoreUrlError:
        return StoreUrlError(f"store URL {shown!r}: {why} (use {FORMS})")

    if not ttl > 0:
        raise bad(f"the TTL must be positive, not {ttl}")
    try:
        check_id("cluster", cluster)
    except ValueError as e:
        raise bad(str(e)) from None
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise bad(str(e)) from None
    scheme = parts.scheme.lower()
    if scheme == "memory":
        if parts.netloc or parts.path or parts.query:
            raise bad("memory: takes nothing after the colon")
        return MemoryStore(ttl=ttl)
    if scheme == "sqlite":
        if parts.netloc:
            raise bad(
                "sqlite: names a file, not a host (sqlite:/abs/path.db, "
                "sqlite:relative.db or sqlite:///abs/path.db)"
            )
        if not parts.path:
            raise bad("sqlite: needs a file path")
        options = dict(parse_qsl(parts.query, keep_blank_values=True))
        synchronous = options.pop("synchronous", "full").lower()
        if options:
            raise bad(f"unknown sqlite option {sorted(options)[0]!r} (synchronous=)")
        if synchronous not in ("full", "normal"):
            raise bad(f"synchronous is full or normal, not {synchronous!r}")
        return SqliteStore(parts.path, ttl=ttl, synchronous=synchronous)
    if scheme in ("redis", "rediss", "redis+cluster", "rediss+cluster"):
        if not parts.hostname:
            raise bad("a Redis URL needs a host")
        try:
            port = parts.port
        except ValueError:
            raise bad("the port is not a number from 1 to 65535") from None
        if port == 0:
            raise bad("the port is not a number from 1 to 65535")
        db = parts.path.strip("/")
        if db and not (db.isdigit() and db.isascii()):
            raise bad(f"the database is a number, not {db!r}")
        why = _bad_redis_options(parts.query, tls=scheme.startswith("rediss"))
        if why is not None:
            raise bad(why)
        if scheme.endswith("+cluster"):
            if db not in ("", "0"):
                raise bad("Redis Cluster has database 0 only")
            plain = urlunsplit(parts._replace(scheme=scheme.removesuffix("+cluster")))
            return RedisStore(
                plain, cluster=cluster, ttl=ttl, display=shown, redis_cluster=True
            )
        return RedisStore(url, cluster=cluster, ttl=ttl, display=shown)
    if not scheme:
        raise bad("no scheme")
    raise bad(f"unknown scheme {scheme!r}")


REDIS_OPTIONS: Final = {
    "socket_timeout": "seconds",
    "socket_connect_timeout": "seconds",
    "max_connections": "count",
}
"""The query parameters a `redis://` URL may have, each passed to redis-py
(seconds: a positive number; count: a positive integer)."""

REDISS_OPTIONS: Final = {
    "ssl_ca_certs": "path",
    "ssl_certfile": "path",
    "ssl_keyfile": "path",
}
"""What a `rediss://` URL may have besides `REDIS_OPTIONS`: the CA
certificates to verify the server with, and a client certificate and key
(files, PEM)."""


def _bad_redis_options(query: str, *, tls: bool) -> str | None:
    """What is wrong with the query of a Redis URL (None: nothing). Only the
    documented options pass: others would reach redis-py unchecked, and some
    (`retry_on_timeout`, `ssl_cert_reqs`) would break what the store
    promises (no command run twice, a verified server)."""
    allowed = {**REDIS_OPTIONS, **(REDISS_OPTIONS if tls else {})}
    seen: set[str] = set()
    for name, value in parse_qsl(query, keep_blank_values=True):
        kind = allowed.get(name)
        if kind is None:
            names = ", ".join(sorted(REDIS_OPTIONS))
            extra = ", ".join(sorted(REDISS_OPTIONS))
            return (
                f"unknown Redis option {name!r} (allowed: {names}; with rediss:// "
                f"also {extra})"
            )
        if name in seen:
            return f"the Redis option {name} is given twice"
        seen.add(name)
        if kind == "seconds" and not _positive(value, float):
            return f"{name} is a positive number of seconds, not {value!r}"
        if kind == "count" and not _positive(value, int):
            return f"{name} is a positive integer, not {value!r}"
        if kind == "path" and not value:
            return f"{name} needs a file path"
    return None


def _positive(text: str, kind: type[int] | type[float]) -> bool:
    try:
        number = kind(text)
    except ValueError:
        return False
    return bool(0 < number < math.inf)


async def open_store(
    url: str, *, cluster: str = DEFAULT_CLUSTER, ttl: float = DEFAULT_TTL
) -> SessionStore:
    """The store `url` names, connected and checked: `StoreUrlError` for a
    URL that names none, `StoreError` for one that cannot be reached."""
    store = store_from_url(url, cluster=cluster, ttl=ttl)
    try:
        await store.connect()
    except BaseException:
        await store.close()
        raise
    return store
