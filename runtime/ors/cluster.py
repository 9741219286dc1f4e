"""A cluster of session servers on one shared store: leases, routing, adoption.

Several `SessionServer`s, each a *node* with a name, share one `SessionStore`
(Redis, for nodes on several machines). `ClusterNode` makes a server one of
them:

- **Lease.** A server that keeps its sessions durably (its `durability`,
  `scxmlc.runtime.ors.durable`) holds the node's lease and saves, restores
  and fences its sessions itself; the cluster uses that lease. Otherwise the
  node takes a lease (`acquire_lease`, with its URL as the address the
  others forward to) and renews it every third of `lease_ttl`. A renewal
  refused (its sessions were adopted while it was slow), or a lease no
  longer live by the node's own clock (`serving`: `lease_ttl * (1 -
  LEASE_MARGIN)` after the start of its last accepted renewal), *fences*
  the node: it drops every session it runs (disposed, no onexit, no event
  to anyone: the new owner goes on with them), answers 503 `unavailable`
  and adopts nothing until it holds a new lease, then serves on with none.
- **Ids and routing.** Sessions started here get ids that name the node
  (`new_session_id`, `<node>~<32 hex>`). A call for a session this node does
  not run (`/scxml/session/<id>/...`, and the Basic HTTP access URI
  `/scxml/<id>`) goes to its owner: the owner the store's record names, else
  the node of the id (an id that names no node is answered here, without a
  store call). Access URIs name the server's advertised address, when it
  has one (`SessionServer(advertise_url=)`), so any node behind it takes
  them. If that node's lease is live the call is forwarded to
  its address with the caller's own `Authorization` and answered with what
  the owner answered; the owner authenticates it as any call. A forwarded
  call carries `FORWARDED_HEADER` and is never forwarded again, so two nodes
  that disagree about an owner answer 404 instead of passing a call back and
  forth; the header grants nothing (a caller that sets it only loses the
  forwarding). An owner whose lease has expired and whose sessions nobody has
  adopted yet, or cannot be connected to, answers 503 `unavailable`:
  nothing reached the owner, and within `lease_ttl` (the time the others
  need to notice) another node runs its sessions, so a retry is safe. An
  owner that fails during the call (the connection breaks after the call
  was sent) answers 502 `nodefailed`, and a call that takes longer than
  `forward_timeout` 504 `timeout`: the call may have taken effect, as with
  any call whose answer is lost.
- **Adoption.** Every `lease_ttl / 3` seconds each node asks the store for
  nodes whose lease expired that still own sessions (`expired_nodes`) and
  adopts them (`adopt`: the store revokes the dead lease and moves each
  session to this node with this node's fence, atomically, so two nodes never
  both adopt one session). Each adopted session is restored from its record
  (through the server's durable sessions, else `Restorer`, by default
  `restore_from_store`; `MAX_ADOPTION_BATCH` at once): its snapshot on this
  node's platform, its timers re-armed for what remains of them (those that
  fell due meanwhile fire at once, in order), its queued events delivered in
  `seq` order. A node that restarts adopts its own sessions the same way.

Limits, each a constructor parameter (its default a constant here):
`lease_ttl` (`LEASE_TTL`, 10 s: the time to detect a dead node),
`forward_timeout` (`FORWARD_TIMEOUT`, 10 s, plus the server's
`request_timeout` for `/request/` calls), `max_forwarded` (`MAX_FORWARDED`,
256 forwarded calls under way at once, 503 `toomanyrequests` over it). A
forwarded body is read within the server's `max_body_size` and `body_timeout`.
Each store call of the lease (taken, renewed, released), of the watch for
dead nodes and of routing a call (the session's record, the live nodes) is
given up after `lease_ttl / 3`; a call whose routing the store did not
answer is 503 `unavailable`. Closing waits at most as long for the node's
renewing and watching tasks to stop, and for its forwarding client to close.

aiohttp is imported when the node starts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar

from ..basichttp import read_body
from ..store import (
    SessionStore,
    StoreError,
    answered_within,
    check_id,
    new_session_id,
    node_of,
)
from .durable import LEASE_MARGIN
from .platform import OrsSession
from .server import Refusal, SessionServer

if TYPE_CHECKING:
    import aiohttp
    from aiohttp import web

__all__ = [
    "FORWARDED_HEADER",
    "FORWARD_TIMEOUT",
    "LEASE_TTL",
    "MAX_FORWARDED",
    "NODES_TTL",
    "ClusterNode",
    "Restorer",
    "decode_event",
    "encode_event",
    "restore_from_store",
]

T = TypeVar("T")

LEASE_TTL: Final = 10.0
"""Seconds a node's lease lasts without renewal: how long a dead node's
sessions wait before another node adopts them."""

FORWARD_TIMEOUT: Final = 10.0
"""Seconds a forwarded call may take (a `/request/` call: this plus the
server's `request_timeout`); 504 `timeout` after it."""

MAX_FORWARDED: Final = 256
"""Forwarded calls one node has under way at once (503 over it)."""

NODES_TTL: Final = 1.0
"""Seconds a node keeps the store's list of live nodes and their addresses
before it reads it again: a node that joined is forwarded to at most this
late, a node that died answers 503 `unavailable` until then."""

FORWARDED_HEADER: Final = "X-Scxmlc-Forwarded-By"
"""Names the node that forwarded a call; a call that has it is answered where
it arrives."""

_SESSION_PATH: Final = re.compile(r"^/scxml/(?:session/)?([^/]+)(?:/|$)")
_NOT_SESSIONS: Final = frozenset({"start"})
_RELAYED: Final = ("Content-Type", "Retry-After", "Allow", "WWW-Authenticate")

log = logging.getLogger("scxmlc.cluster")

MAX_ADOPTION_BATCH: Final = 256
"""Adopted sessions restored at once."""


class Keeper(Protocol):
    """What keeps a server's sessions in the store (`durable.Durability`), as
    the cluster uses it: its lease `token`, the ids of its sessions that are
    in the store only (`passive`), and `activate`, which restores one."""

    token: int
    passive: set[str]

    def check_lease(self) -> bool: ...

    async def activate(self, sid: str) -> OrsSession | None: ...


Restorer = Callable[["ClusterNode", str], Awaitable["OrsSession | None"]]
"""Restores one adopted session on the node from the store (None: nothing to
restore, the record is gone or cannot be restored)."""


def encode_event(name: str, data: Any, origintype: str) -> bytes:
    """An event as a session's queue keeps it: JSON with its name, data and
    origin type."""
    return json.dumps(
        {"name": name, "data": data, "origintype": origintype},
        separators=(",", ":"),
    ).encode()


def decode_event(raw: bytes) -> tuple[str, Any, str]:
    """`(name, data, origintype)` of what `encode_event` wrote."""
    value = json.loads(raw)
    return str(value["name"]), value.get("data"), str(value.get("origintype", ""))


async def restore_from_store(node: ClusterNode, sessionid: str) -> OrsSession | None:
    """Restore `sessionid` from its record: its document loaded through the
    platform's resolver (in a worker thread), its snapshot restored on the
    platform, then its queued events delivered in `seq` order, ahead of its
    timers that fell due meanwhile."""
    store = node.store
    record = await store.load(sessionid)
    if record is None:
        return None
    platform = node.server.platform
    application = await asyncio.to_thread(platform.load, record.document, "")
    pending = await store.pending(sessionid)
    session = platform.restore_session(application, record.snapshot)
    for event in pending:  # queued before any timer of the restored session fires
        name, data, origintype = decode_event(event.data)
        session.deliver(name, data if isinstance(data, dict) else {}, origintype)
    return session


class ClusterNode:
    """`server` as the node `node` of the cluster that shares `store`.

    Make it before `server.start()`: it adds the routing middleware, starts
    once the server listens (its URL is the address the other nodes forward
    to, unless `address` is given) and closes as the server closes. `restore` restores each adopted session (see
    `Restorer`); `on_fenced` is told when the node loses its lease and drops
    its sessions."""

    def __init__(
        self,
        server: SessionServer,
        store: SessionStore,
        node: str,
        *,
        address: str | None = None,
        lease_ttl: float = LEASE_TTL,
        forward_timeout: float = FORWARD_TIMEOUT,
        max_forwarded: int = MAX_FORWARDED,
        restore: Restorer = restore_from_store,
        on_fenced: Callable[[], None] | None = None,
    ) -> None:
        if not (math.isfinite(lease_ttl) and lease_ttl > 0):
            raise ValueError(f"lease_ttl must be a positive number, not {lease_ttl}")
        self.server = server
        self.store = store
        self.node = check_id("node", node)
        self.address = address
        self.lease_ttl = lease_ttl
        self.forward_timeout = forward_timeout
        self.max_forwarded = max_forwarded
        self.restore = restore
        self.on_fenced = on_fenced
        self.keeper: Keeper | None = None
        """The server's durable sessions, if it keeps them: they hold the
        lease, restore and fence; this node only adopts and routes."""
        self.token = 0
        self.fenced = 0
        """How many times this node lost its lease."""
        self.adopted: list[str] = []
        """Ids of the sessions this node adopted, in order."""
        self._renewed = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._client: aiohttp.ClientSession | None = None
        self._forwarding = 0
        self._nodes: dict[str, str] = {}
        self._nodes_read = -math.inf
        server.platform.new_sessionid = lambda: new_session_id(self.node)
        server.middlewares.append(self._middleware())
        server.on_start.append(self.start)
        server.on_close.append(self.close)

    async def start(self) -> None:
        """(Called by the server once it listens.) Take the lease, adopt this node's own sessions (a restart) and
        start renewing and watching for dead nodes."""
        import aiohttp

        if self.address is None:
            self.address = self.server.url
        self._client = aiohttp.ClientSession(auto_decompress=False)
        loop = asyncio.get_running_loop()
        self.keeper = getattr(self.server, "durability", None)
        if self.keeper is None:
            await self._take_lease()
            await self._adopt(self.node)
            self._tasks = [loop.create_task(self._keep_lease(), name="renewing")]
        self._tasks.append(loop.create_task(self._watch(), name="watching"))

    async def close(self) -> None:
        """Stop renewing and watching and release the lease, so the other
        nodes adopt this node's sessions at once (its sessions stay in the
        store as last saved)."""
        await self._stop_tasks()
        if self.token and self.keeper is None:
            try:
                await self._store_call(self.store.release_lease(self.node, self.token))
            except StoreError as error:
                log.warning("node %s: releasing the lease failed: %s", self.node, error)
            self.token = 0
        client, self._client = self._client, None
        if client is not None:
            try:
                async with asyncio.timeout(self.lease_ttl / 3):
                    await client.close()
            except TimeoutError:
                log.warning("node %s: the forwarding client did not close", self.node)

    async def _store_call(self, call: Awaitable[T]) -> T:
        """The result of store call `call`, given up after `lease_ttl / 3` with
        StoreError: every store call of the node is bounded so."""
        return await answered_within(call, self.lease_ttl / 3)

    async def _stop_tasks(self) -> None:
        """Cancel the renewing and watching tasks and wait for them to end, at
        most `lease_ttl / 3` seconds (a task still running then is logged and
        left). A cancellation of the caller is not swallowed."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, running = await asyncio.wait(tasks, timeout=self.lease_ttl / 3)
        for task in tasks:
            if task in running:
                log.error("node %s: %s did not stop", self.node, task.get_name())
            elif not task.cancelled() and task.exception() is not None:
                error = task.exception()
                log.error("node %s: %s failed: %r", self.node, task.get_name(), error)

    # -- the lease -----------------------------------------------------------------

    async def _take_lease(self) -> None:
        self.token = await self.store.acquire_lease(
            self.node, self.lease_ttl, address=self.address or ""
        )
        self._renewed = time.monotonic()

    def serving(self) -> bool:
        """Whether the node's lease is live by its own clock (see
        `durable.LEASE_MARGIN`); when it has just lapsed, the node's sessions
        are dropped first. Through the server's durable sessions if it keeps
        them."""
        if self.keeper is not None:
            return self.keeper.check_lease()
        deadline = self._renewed + self.lease_ttl * (1.0 - LEASE_MARGIN)
        if self.token and time.monotonic() < deadline:
            return True
        if self.token:
            self.token = 0
            self._drop_sessions()
        return False

    async def _keep_lease(self) -> None:
        """Renew every `lease_ttl / 3`; fence the node when a renewal is
        refused or its lease lapsed (`serving`), and take a new one."""
        while True:
            await asyncio.sleep(self.lease_ttl / 3)
            token = self.token
            sent = time.monotonic()
            renewed = False
            if token:
                try:
                    renewed = await self._store_call(
                        self.store.renew_lease(self.node, token, self.lease_ttl)
                    )
                except StoreError as error:
                    log.warning(
                        "node %s: lease renewal failed: %s",
                        self.node,
                        error or "no answer",
                    )
                    if self.serving():
                        continue
            if renewed and self.token == token:
                self._renewed = sent
                continue
            if self.token:
                self.token = 0
                self._drop_sessions()
            await self._relet()

    def _drop_sessions(self) -> None:
        """Drop every session: another node owns them now."""
        platform = self.server.platform
        dropped = list(platform.sessions.values())
        for session in dropped:
            platform.sessions.pop(session.sessionid, None)
            session.machine.dispose()
        self.fenced += 1
        log.error(
            "node %s lost its lease: dropped %d sessions, the cluster runs them",
            self.node,
            len(dropped),
        )
        if self.on_fenced is not None:
            self.on_fenced()

    async def _relet(self) -> None:
        """Take a new lease, once the store answers."""
        while True:
            try:
                await self._store_call(self._take_lease())
                return
            except StoreError as error:
                log.warning(
                    "node %s: taking a lease failed: %s",
                    self.node,
                    error or "no answer",
                )
                await asyncio.sleep(self.lease_ttl / 3)

    # -- adoption -------------------------------------------------------------------

    async def _watch(self) -> None:
        """Adopt the sessions of every node whose lease expired."""
        while True:
            await asyncio.sleep(self.lease_ttl / 3)
            try:
                if not self.serving():
                    continue  # no lease to adopt under
                expired = await self._store_call(self.store.expired_nodes())
                for dead in expired:
                    await self._adopt(dead)
            except StoreError as error:
                log.warning(
                    "node %s: watching for dead nodes: %s",
                    self.node,
                    error or "no answer",
                )

    async def _adopt(self, dead: str) -> None:
        keeper = self.keeper
        token = self.token if keeper is None else keeper.token
        # not bounded: given up half way, the sessions it moved would be
        # this node's without its knowing
        ids = await self.store.adopt(dead, self.node, token)
        if ids:
            log.warning(
                "node %s adopts %d sessions of node %s", self.node, len(ids), dead
            )
        if keeper is not None:
            keeper.passive.update(ids)
        for first in range(0, len(ids), MAX_ADOPTION_BATCH):
            batch = ids[first : first + MAX_ADOPTION_BATCH]
            await asyncio.gather(*(self._restore(sid) for sid in batch))

    async def _restore(self, sessionid: str) -> None:
        """Bring an adopted session into memory (through the keeper, if any)."""
        if self.server.platform.session(sessionid) is not None:
            return
        try:
            if self.keeper is not None:
                session = await self.keeper.activate(sessionid)
            else:
                session = await self.restore(self, sessionid)
        except Exception as error:  # noqa: BLE001 - one session, not the node
            log.error("node %s: cannot restore %s: %s", self.node, sessionid, error)
            return
        if session is not None:
            self.adopted.append(sessionid)

    # -- routing --------------------------------------------------------------------

    async def owner(self, sessionid: str) -> str | None:
        """The node that owns `sessionid`: the store's record, else the id's;
        None, without asking the store, for an id that names no node."""
        found = await self._owner(sessionid)
        return found[0] if found is not None else None

    async def _owner(self, sessionid: str) -> tuple[str, bool] | None:
        """`owner`, and whether the store holds a record of the session
        (False too when the store could not be read)."""
        named = node_of(sessionid)
        if named is None:
            return None
        try:
            record = await self._store_call(self.store.load(sessionid))
        except (StoreError, ValueError):
            return named, False
        return (record.node, True) if record is not None else (named, False)

    async def _never_saved(self, sessionid: str, node: str) -> bool:
        """Whether `sessionid`, of `node` whose lease is not live, is gone for
        good: the store holds no record of it, read after a fresh read of the
        live nodes. A node stops serving before the store lets its lease
        expire, so a session it never saved cannot appear later."""
        self._nodes_read = 0.0
        try:
            if await self.address_of(node):
                return False
            return await self._store_call(self.store.load(sessionid)) is None
        except (StoreError, ValueError):
            return False

    async def address_of(self, node: str) -> str | None:
        """Where `node` listens, if its lease is live; the store's answer is
        kept for `NODES_TTL` seconds. Raises StoreError if the store does not
        answer within `lease_ttl / 3`."""
        now = time.monotonic()
        if now - self._nodes_read > NODES_TTL:
            self._nodes = await self._store_call(self.store.live_nodes())
            self._nodes_read = now
        return self._nodes.get(node)

    def _middleware(self) -> Any:
        from aiohttp import web

        @web.middleware
        async def route(
            request: web.Request,
            handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
        ) -> web.StreamResponse:
            if self.keeper is None and request.path != "/ors/help":
                if not self.serving():  # (a keeper's server refuses itself)
                    raise Refusal(
                        503,
                        "unavailable",
                        f"node {self.node} holds no live lease: nothing was "
                        "done, try again",
                    )
            match = _SESSION_PATH.match(request.path)
            if (
                match is None
                or match.group(1) in _NOT_SESSIONS
                or FORWARDED_HEADER in request.headers
                or self.server.platform.session(match.group(1)) is not None
            ):
                return await handler(request)
            sessionid = match.group(1)
            found = await self._owner(sessionid)
            if found is None or found[0] == self.node:
                return await handler(request)
            owner, recorded = found
            try:
                address = await self.address_of(owner)
                answered = True
            except StoreError:
                address, answered = None, False
            if not address and not recorded and answered:
                if await self._never_saved(sessionid, owner):
                    raise Refusal(
                        404,
                        "notfound",
                        f"no session {sessionid}: its node {owner} stopped and "
                        "the store holds no record of it",
                    )
            if not address:
                raise Refusal(
                    503,
                    "unavailable",
                    f"node {owner}, which runs session {sessionid}, does not "
                    f"answer; the cluster adopts its sessions within "
                    f"{self.lease_ttl:g} s (lease_ttl)",
                )
            return await self._forward(request, owner, address)

        return route

    async def _forward(
        self, request: web.Request, owner: str, address: str
    ) -> web.StreamResponse:
        """Send `request` to `owner` at `address` and answer what it answered."""
        import aiohttp
        from aiohttp import web

        if self._forwarding >= self.max_forwarded:
            raise Refusal(
                503,
                "toomanyrequests",
                f"{self._forwarding} forwarded calls under way, the limit "
                f"(max_forwarded) is {self.max_forwarded}",
            )
        processor = self.server.processor
        body = await read_body(request, processor.max_body_size, processor.body_timeout)
        headers = {FORWARDED_HEADER: self.node}
        for name in ("Authorization", "Content-Type"):
            if name in request.headers:
                headers[name] = request.headers[name]
        timeout = self.forward_timeout
        if "/request/" in request.path:
            timeout += self.server.request_timeout
        client = self._client
        assert client is not None, "the server has not started"
        self._forwarding += 1
        try:
            async with client.request(
                request.method,
                address.rstrip("/") + request.path_qs,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as answer:
                content = await _bounded_read(answer, owner)
                relayed = {
                    name: answer.headers[name]
                    for name in _RELAYED
                    if name in answer.headers
                }
                return web.Response(status=answer.status, body=content, headers=relayed)
        except asyncio.TimeoutError:
            raise Refusal(
                504,
                "timeout",
                f"node {owner} did not answer within {timeout:g} s (forward_timeout)",
            ) from None
        except aiohttp.ClientConnectorError as error:
            raise Refusal(
                503,
                "unavailable",
                f"node {owner} cannot be reached: {type(error).__name__} "
                "(nothing was sent to it)",
            ) from None
        except aiohttp.ClientError as error:
            raise Refusal(
                502,
                "nodefailed",
                f"node {owner} failed during the call ({type(error).__name__}): "
                "it may have taken effect",
            ) from None
        finally:
            self._forwarding -= 1


MAX_FORWARDED_ANSWER: Final = 16 * 1024 * 1024
"""The largest answer a node relays from another (bytes); larger is 502."""


async def _bounded_read(answer: aiohttp.ClientResponse, owner: str) -> bytes:
    """The body of `answer` from node `owner`, at most `MAX_FORWARDED_ANSWER`
    bytes; `Refusal` 502 for a larger one."""
    content = bytearray()
    async for chunk in answer.content.iter_chunked(64 * 1024):
        content += chunk
        if len(content) > MAX_FORWARDED_ANSWER:
            raise Refusal(
                502,
                "nodefailed",
                f"node {owner} answered more than {MAX_FORWARDED_ANSWER} bytes "
                "(MAX_FORWARDED_ANSWER)",
            )
    return bytes(content)
