"""The ORS session server: one platform, many sessions, driven over HTTP.

`SessionServer` hosts one `Platform` on an `AsyncioClock` in one process and
serves the REST API of ORS (EXTENSIONS.md §14) with aiohttp, on the paths ORS
has, so existing callers work:

    POST /scxml/session/start                  src=..., [idealtime=ms], params
    POST /scxml/session/<id>/terminate
    POST /scxml/session/<id>/event/<name>      [?params] [form or JSON body]
    POST /scxml/session/<id>/request/<name>    the same, then waits for the reply
    GET  /scxml/session/<id>/query
    GET  /ors/help

The same server (same port) serves the Basic HTTP Event I/O Processor access
URIs of its sessions, `POST /scxml/<id>`, through an `HttpEventProcessor`
every session is registered with, so `_ioprocessors['basichttp'].location`
works for them as for any real-time session.

Parameters come from the query string and the body (form fields as strings, a
JSON object with its types; body fields win). `start` takes `src`, which the
platform's resolver turns into a compiled class (the runtime never compiles),
and `idealtime`; every other parameter is a start parameter, the initial value
of the data id of that name. `event` puts `<name>` with the parameters as
`_event.data` on the session's external queue and answers 204. `request` does
the same with a fresh `requestid` in the data, then waits up to
`request_timeout` seconds for the session's `<session:response>` and answers
it: a string as text, anything else as JSON. Every error answers JSON
`{"error": code, "description": text}` with 400, 404, 405, 408, 413, 429,
503 or 504 (500 for a bug of ours, without a traceback). The JSON shapes are
documented in docs/ors.md, "Session server".

Platform events are the platform's: an event from outside (`/event/<name>`,
`/request/<name>`, Basic HTTP's `_scxmleventname`) whose name falls under
`reserved.RESERVED_EVENTS` (`queue.*`, `interaction.*`, `error.*`, `done.*`,
...) is refused with 400 `reservedevent`. Events from the REST API carry
`_event.origintype` `REST_ORIGIN_TYPE` (`urn:scxmlc:ors:rest`), Basic HTTP
ones the Basic HTTP type URI, the platform's own `platform.ORIGIN_TYPE`
(`http://www.genesyslab.com/modules`). Basic HTTP `<send>`s of served
sessions go only to the server's own origin and `allowed_origins`.

Limits, each a constructor parameter (the default in its constant), each
refusal naming the limit and its value:

| limit | default | refusal |
| --- | --- | --- |
| `max_sessions` | `MAX_SESSIONS`, 10000 sessions at once (REST, `<session:start>`, arrivals) | 503 `toomanysessions` |
| `max_sessions_per_caller` | `MAX_SESSIONS_PER_CALLER`, 1000 running sessions started by one caller (authenticated user, else address) | 429 `toomanysessions` |
| `idle_timeout` | `IDLE_TIMEOUT`, 86400 s without an event: the session is terminated (traced, logged), a passivated one by its last save | - |
| `max_start_delay` | `MAX_START_DELAY`, `idealtime` at most 86400 s ahead; not a finite number: refused | 400 `invalidparameter` |
| `max_queued_events` | `basichttp.MAX_QUEUED_EVENTS`, 1000 events waiting in a session's queue | 503 `queuefull` |
| `max_body_size` | `basichttp.MAX_BODY_SIZE`, 1 MiB | 413 `toolarge` |
| `body_timeout` | `basichttp.BODY_TIMEOUT`, 30 s to send the body | 408 `timeout` |
| `header_timeout` | `basichttp.HEADER_TIMEOUT`, 15 s to send the headers; idle keep-alive | connection closed |
| `max_json_depth` | `basichttp.MAX_JSON_DEPTH`, 32 nested arrays and objects | 400 `toodeep` |
| `max_fields` | `basichttp.MAX_FIELDS`, 1000 query and form fields | 400 `toomanyfields` |
| `request_timeout` | 30 s for `<session:response>` | 504 `timeout` |
| `budget` | each machine's `default_budget`: `Budget()`, 100000 microsteps, 2 s, 10000 raised events per macrostep | `error.execution`, the session terminated (`runtime/budget.py`) |

Events the platform delivers itself (answers to the session's own requests,
interaction events) are never refused or dropped for a full queue: they are
bounded by what the session asks for.

With `durability` (`durable.Durability`, what `scxmlc serve --store URL`
builds) the sessions live in a session store: `/event/<name>`,
`/request/<name>` and the Basic HTTP access URI append the event to the
store and answer (204) only once it is durable, a start answers once the session's first save is done, a
passivated session comes back for any call naming it, and a store that
cannot be reached answers 503 `storeerror` (for an event: it may have been
queued). Without it, nothing is persisted and nothing changes.

Use the server as an async context manager, or `start()` and `close()`, inside
the running loop, over any platform on an asyncio clock of the running loop
(`ServerClock`). The server talks to the platform's backend only through the
Protocols of `services`; `scxmlc.runtime.sim.serving` builds one over the
simulated contact center. aiohttp is imported when the server starts.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl

from ..basichttp import (
    BODY_TIMEOUT,
    FORM,
    HEADER_TIMEOUT,
    JSON,
    MAX_BODY_SIZE,
    MAX_FIELDS,
    MAX_JSON_DEPTH,
    MAX_QUEUED_EVENTS,
    HttpEventProcessor,
    LimitExceeded,
    check_fields,
    count_fields,
    grouped,
    load_json,
    public_origin,
    read_body,
)
from ..budget import Budget
from ..capture import declared_slots
from ..clock import AsyncioClock, Timer
from ..events import EXTERNAL, AttrDict, Event
from .auth import caller_key
from .plain import plain
from .platform import OrsSession, Platform, SessionLimit
from .reserved import reserved_descriptor

if TYPE_CHECKING:
    import ssl

    from aiohttp import web

    from ..machine import Machine
    from .auth import Credentials
    from .durable import Durability

__all__ = ["REST_ORIGIN_TYPE", "Refusal", "ServerClock", "SessionServer"]

SHUTDOWN_GRACE: Final = 1.0
"""Seconds `close()` lets requests under way finish before it cancels them."""

REST_ORIGIN_TYPE: Final = "urn:scxmlc:ors:rest"
"""`_event.origintype` of events sent over the REST API. ORS documents none;
this one tells them apart from the platform's (`platform.ORIGIN_TYPE`) and
Basic HTTP's (`basichttp.BASICHTTP_TYPE`)."""

MAX_SESSIONS: Final = 10000
"""Sessions the platform of a server runs at once (503 over it)."""

MAX_SESSIONS_PER_CALLER: Final = 1000
"""Running sessions one caller may have started over REST (429 over it). The
caller is the user an authentication middleware put in `request["scxmlc_user"]`,
else the client's address."""

IDLE_TIMEOUT: Final = 24 * 3600.0
"""Seconds a started session may go without taking an event before the server
terminates it (0: never). ORS documents no session timeout; a day outlasts any
call, and ends sessions nobody will ever send to again."""

MAX_START_DELAY: Final = 24 * 3600.0
"""Seconds ahead `idealtime` may ask a session to start (400 beyond)."""


log = logging.getLogger("scxmlc.server")

Handler = Callable[["SessionServer", "web.Request"], Awaitable["web.StreamResponse"]]


class ServerClock(AsyncioClock):
    """Real time on the running loop, counted in seconds from the clock's creation.

    Traces then read like a simulation's (`12.031 S1 event ...`), and the
    simulated contact center's time functions (its `start` plus this clock)
    tell the wall-clock time. Create it inside the running loop.
    """

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        super().__init__(loop)
        self.origin = loop.time()
        self.gate: Callable[[], object] | None = None
        """Called before each timer fires (durable sessions check their
        lease: a node whose lease lapsed drops its sessions, which cancels
        their timers, before any of them runs)."""

    def now(self) -> float:
        return self.loop.time() - self.origin

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        gate = self.gate
        if gate is None:
            return super().call_later(delay, callback)
        handle: asyncio.Handle | None = None

        def gated() -> None:
            gate()
            if handle is None or not handle.cancelled():
                callback()

        loop = self.loop
        handle = loop.call_later(delay, gated) if delay > 0 else loop.call_soon(gated)
        return handle


class Refusal(Exception):
    """A request the server answers with an error: HTTP `status`, JSON
    `{"error": error, "description": description}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class SessionServer:
    """The REST API of ORS over `platform`, on `host`:`port` (0: any free port).

    `request_timeout` bounds how long `/request/<name>` waits for the session's
    `<session:response>` (504 after it); `keep_finished` how many ended
    sessions `/query` still answers for. `allowed_origins` are the origins
    (`scheme://host[:port]`, `:*` for any port) Basic HTTP `<send>`s may go to
    besides the server's own. `budget` bounds each macrostep of the sessions
    (`scxmlc.runtime.Budget`; by default the machines' own).
    `advertise_url` (`scheme://host[:port]`, `basichttp.public_origin`) is
    the address callers reach the server by, a load balancer in front of the
    nodes of a cluster: the sessions' access URIs (`_ioprocessors`) name it
    instead of `host`:`port` (ValueError for anything else). The other
    parameters are the limits of the module docstring; `max_sessions` and
    `budget` become the platform's.
    """

    def __init__(
        self,
        platform: Platform,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        request_timeout: float = 30.0,
        keep_finished: int = 1000,
        allowed_origins: Iterable[str] = (),
        max_sessions: int = MAX_SESSIONS,
        max_sessions_per_caller: int = MAX_SESSIONS_PER_CALLER,
        idle_timeout: float = IDLE_TIMEOUT,
        max_start_delay: float = MAX_START_DELAY,
        max_queued_events: int = MAX_QUEUED_EVENTS,
        max_body_size: int = MAX_BODY_SIZE,
        body_timeout: float = BODY_TIMEOUT,
        header_timeout: float = HEADER_TIMEOUT,
        max_json_depth: int = MAX_JSON_DEPTH,
        max_fields: int = MAX_FIELDS,
        auth: Credentials | None = None,
        ssl_context: ssl.SSLContext | None = None,
        budget: Budget | None = None,
        durability: Durability | None = None,
        advertise_url: str | None = None,
    ) -> None:
        self.platform = platform
        self.durability: Durability | None = None
        """Keeps the sessions in a store (`durable.Durability`); None: in
        memory only."""
        self.auth = auth
        self.ssl_context = ssl_context
        self.host = host
        self.port = port
        self.request_timeout = request_timeout
        self.keep_finished = keep_finished
        self.max_sessions_per_caller = max_sessions_per_caller
        self.idle_timeout = idle_timeout
        self.max_start_delay = max_start_delay
        platform.max_sessions = max_sessions
        if budget is not None:
            platform.budget = budget
        self.processor = HttpEventProcessor(
            host,
            port,
            allowed_origins=allowed_origins,
            reserved_events=reserved_descriptor,
            max_body_size=max_body_size,
            body_timeout=body_timeout,
            header_timeout=header_timeout,
            max_json_depth=max_json_depth,
            max_fields=max_fields,
            max_queued_events=max_queued_events,
        )
        if advertise_url is not None:
            self.processor.advertised = public_origin(advertise_url)
        self._runner: web.AppRunner | None = None
        self._callers: dict[str, set[str]] = {}
        self._sweeper: Timer | None = None
        self._expiring: asyncio.Task[None] | None = None
        self.middlewares: list[Any] = []
        """aiohttp middlewares that run after authentication, inside the error
        answers (a cluster's forwarding); add them before `start()`."""
        self.on_start: list[Callable[[], Awaitable[None]]] = []
        """Awaited, in order, at the end of `start()` (a cluster node joins)."""
        self.on_close: list[Callable[[], Awaitable[None]]] = []
        """Awaited, in order, at the beginning of `close()`."""
        platform.listeners.append(self._joined)
        if durability is not None:
            self.attach_durability(durability)

    def attach_durability(self, durability: Durability) -> None:
        """Keep the sessions in `durability`'s store (before `start()`)."""
        if self._runner is not None:
            raise RuntimeError("attach durability before the server starts")
        self.durability = durability
        durability.on_active.append(self._joined)
        durability.on_passive.append(self.processor.unregister)
        self.processor.activate = self._access_activate
        self.processor.enqueue = self._access_enqueue
        durability.max_queued_events = self.processor.max_queued_events
        if isinstance(self.platform.clock, ServerClock):
            self.platform.clock.gate = durability.check_lease

    @property
    def url(self) -> str:
        """Where the server listens: `http://HOST:PORT` (`https` over TLS)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{host}:{self.port}"

    async def __aenter__(self) -> SessionServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen; afterwards `port` is the port actually bound. Every request
        must authenticate with `auth` (`auth.authentication`), over TLS when
        `ssl_context` is given; without `auth`, only a loopback `host` is
        served (ValueError for any other)."""
        if self._runner is not None:
            raise RuntimeError("SessionServer already started")
        from aiohttp import web

        from .auth import authentication, is_loopback

        if not self.auth and not is_loopback(self.host):
            raise ValueError(
                f"refusing to listen on {self.host or 'every address'} without "
                "credentials: give auth=Credentials(...) or listen on 127.0.0.1"
            )
        checks = [authentication(self.auth)] if self.auth else []
        guards = [] if self.durability is None else [_lease_guard(self.durability)]
        app = web.Application(
            middlewares=[*checks, _answer_errors(), *guards, *self.middlewares]
        )
        for method, path, handler, _ in ROUTES:
            app.router.add_route(method, path, self._bound(handler))
        self.processor.install(app)
        runner = web.AppRunner(
            app,
            access_log=None,
            shutdown_timeout=SHUTDOWN_GRACE,
            **self.processor.handler_options(),
        )
        await runner.setup()
        try:
            await web.TCPSite(
                runner, self.host, self.port, ssl_context=self.ssl_context
            ).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        await self.processor.open(self.port, tls=self.ssl_context is not None)
        for session in list(self.platform.sessions.values()):
            self._joined(session)
        if self.durability is not None:
            self.durability.address = self.durability.address or self.url
            await self.durability.start()
            if self.durability.passive:
                self._sweep_later()
        for hook in self.on_start:
            await hook()

    async def close(self) -> None:
        """Stop serving: requests under way are dropped, sessions stay as they are."""
        for hook in self.on_close:
            await hook()
        if self.durability is not None:
            await self.durability.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._expiring is not None:
            self._expiring.cancel()
        runner, self._runner = self._runner, None
        await self.processor.close()
        if runner is not None:
            await runner.cleanup()

    def _bound(
        self, handler: Handler
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await handler(self, request)

        return handle

    def _joined(self, session: OrsSession) -> None:
        """A new session gets its Basic HTTP access URI (once the server runs),
        and the idle sessions' sweep is due."""
        if self._runner is not None:
            self.processor.register(session.machine)
            self._sweep_later()

    # -- idle sessions -------------------------------------------------------------

    def _sweep_later(self) -> None:
        """Schedule the next sweep for idle sessions, unless one is due or
        `idle_timeout` is 0."""
        if self._sweeper is None and self.idle_timeout > 0:
            interval = min(self.idle_timeout / 4, 60.0)
            self._sweeper = self.platform.clock.call_later(interval, self._sweep)

    def _sweep(self) -> None:
        """Terminate the started sessions that took no event for `idle_timeout`
        seconds; sweep again later while sessions remain."""
        self._sweeper = None
        now = self.platform.clock.now()
        for session in list(self.platform.sessions.values()):
            idle = now - max(session.last_event, session.started)
            if session.machine._started and idle >= self.idle_timeout:
                self._end_idle(session, idle)
        durability = self.durability
        passive = durability is not None and bool(durability.passive)
        if passive and self._expiring is None:
            self._expiring = asyncio.get_running_loop().create_task(
                self._expire_passive()
            )
        if (self.platform.sessions or passive) and self._runner is not None:
            self._sweep_later()

    async def _expire_passive(self) -> None:
        """Terminate the passivated sessions last saved `idle_timeout`
        seconds ago or more: their records are deleted."""
        from ..store import StoreError

        assert self.durability is not None
        try:
            ended = await self.durability.expire(self.idle_timeout)
        except StoreError as error:
            log.warning("idle passivated sessions not read: %s", error)
            return
        finally:
            self._expiring = None
        for sessionid, idle in ended:
            why = (
                f"terminated: no event for {idle:.0f} s "
                f"(idle_timeout {self.idle_timeout:g} s, passivated)"
            )
            self.platform.trace.add("session", why, sessionid=sessionid)
            log.warning("session %s %s", sessionid, why)

    def _end_idle(self, session: OrsSession, idle: float) -> None:
        """Terminate `session`, idle for `idle` seconds, saying why."""
        why = (
            f"terminated: no event for {idle:.0f} s "
            f"(idle_timeout {self.idle_timeout:g} s)"
        )
        self.platform.trace.add("session", why, session.label)
        log.warning("session %s %s", session.sessionid, why)
        self.platform.terminate(session, why)

    # -- the API -----------------------------------------------------------------

    async def start_session(self, request: web.Request) -> web.StreamResponse:
        """`POST /scxml/session/start`: `{"sessionid": ...}`."""
        from aiohttp import web

        caller = self._caller_with_room(request)
        fields = await self._fields(request)
        src = fields.pop("src", None)
        if not isinstance(src, str) or not src:
            raise Refusal(400, "missingparameter", "src (the document) is required")
        delay = _delay(fields.pop("idealtime", None), self.max_start_delay)
        try:
            application = await asyncio.to_thread(self.platform.load, src, "")
        except Exception as error:  # noqa: BLE001 - whatever the resolver raises
            raise Refusal(400, "invalidsrc", f"cannot load {src}: {error}") from None
        try:
            session = self.platform.start_session(
                application, dict(fields), started_by="REST API", delay=delay
            )
        except SessionLimit as refused:
            raise Refusal(503, "toomanysessions", str(refused)) from None
        if self.durability is not None:
            if delay > 0.0:
                self.durability.starts_at(session.sessionid, time.time() + delay)
            await self._persisted(session, src)
        self._callers.setdefault(caller, set()).add(session.sessionid)
        if len(self._callers) > 2 * len(self.platform.sessions) + 16:
            self._forget_callers()
        self._forget_finished()
        return web.json_response({"sessionid": session.sessionid})

    async def terminate(self, request: web.Request) -> web.StreamResponse:
        """`POST /scxml/session/<id>/terminate`: `{"sessionid": ...}`."""
        from aiohttp import web

        session = await self._live(request)
        self.platform.terminate(session, "terminated through the REST API")
        return web.json_response({"sessionid": session.sessionid})

    async def event(self, request: web.Request) -> web.StreamResponse:
        """`POST /scxml/session/<id>/event/<name>`: 204 once the event is queued."""
        from aiohttp import web

        session = await self._live(request)
        name = self._event_name(request, session)
        fields = await self._fields(request)
        if self.durability is not None:
            await self._queue(session, name, fields)
        else:
            session.deliver(name, fields, REST_ORIGIN_TYPE)
        return web.Response(status=204)

    async def request(self, request: web.Request) -> web.StreamResponse:
        """`POST /scxml/session/<id>/request/<name>`: the session's response."""
        session = await self._live(request)
        name = self._event_name(request, session)
        data = await self._fields(request)
        platform = self.platform
        requestid = platform.requestids.new("request")
        answer: asyncio.Future[tuple[bool, Any]] = (
            asyncio.get_running_loop().create_future()
        )

        def settle(outcome: tuple[bool, Any]) -> None:
            if not answer.done():
                answer.set_result(outcome)

        platform.expect_response(
            session,
            requestid,
            lambda value: settle((True, value)),
            lambda: settle((False, None)),
        )
        data["requestid"] = requestid
        try:
            if self.durability is not None:
                await self._queue(session, name, data)
            else:
                session.deliver(name, data, REST_ORIGIN_TYPE)
            replied, value = await asyncio.wait_for(answer, self.request_timeout)
        except asyncio.TimeoutError:
            raise Refusal(
                504,
                "timeout",
                f"session {session.sessionid} did not respond to {name} "
                f"within {self.request_timeout:g}s",
            ) from None
        finally:
            platform.forget_response(requestid)
        if not replied:
            raise Refusal(
                404,
                "sessionended",
                f"session {session.sessionid} ended before it responded",
            )
        return _reply(value)

    async def query(self, request: web.Request) -> web.StreamResponse:
        """`GET /scxml/session/<id>/query`: the session's data (see `describe`)."""
        from aiohttp import web

        sessionid = request.match_info["id"]
        session = self.platform.session(sessionid) or self._finished(sessionid)
        if session is None and self.durability is not None:
            session = await self._activate(sessionid)
        if session is None:
            raise Refusal(404, "notfound", f"no session {sessionid}")
        return web.json_response(self.describe(session))

    async def help(self, request: web.Request) -> web.StreamResponse:
        """`GET /ors/help`: `{"methods": [{"method", "path", "description"}, ...]}`."""
        from aiohttp import web

        methods = [
            {"method": method, "path": path, "description": description}
            for method, path, _, description in ROUTES
        ]
        methods.append(
            {
                "method": "POST",
                "path": "/scxml/{id}",
                "description": "the session's Basic HTTP Event I/O Processor access URI",
            }
        )
        return web.json_response({"methods": methods})

    # -- sessions ----------------------------------------------------------------

    def describe(self, session: OrsSession) -> dict[str, Any]:
        """What `/query` answers for `session`: its id, application, whether it
        runs, when it started and ended (ms since the epoch, null when it has
        not), its configuration (state ids, sorted), its datamodel values as
        plain JSON, and its interactions."""
        machine = session.machine
        return {
            "sessionid": session.sessionid,
            "application": machine._chart.name or type(machine).__name__,
            "running": machine._started and not machine.finished,
            "started": self._epoch_ms(session.started) if machine._started else None,
            "ended": None if session.ended is None else self._epoch_ms(session.ended),
            "configuration": sorted(machine.configuration),
            "datamodel": _datamodel(session),
            "interactions": [plain(i) for i in session.interactions.values()],
        }

    def _epoch_ms(self, when: float) -> int:
        """A time of the platform's clock as milliseconds since the epoch."""
        return round((time.time() - (self.platform.clock.now() - when)) * 1000)

    def _running(self, request: web.Request) -> OrsSession:
        sessionid = request.match_info["id"]
        session = self.platform.session(sessionid)
        if session is None:
            ended = self._finished(sessionid) is not None
            why = "has ended" if ended else "does not exist"
            raise Refusal(404, "notfound", f"session {sessionid} {why}")
        return session

    async def _live(self, request: web.Request) -> OrsSession:
        """The running session the path names, brought back from the store
        if it was passivated; `Refusal` (404) when there is none."""
        if self.durability is not None:
            sessionid = request.match_info["id"]
            if self.platform.session(sessionid) is None:
                await self._activate(sessionid)
        return self._running(request)

    async def _activate(self, sessionid: str) -> OrsSession | None:
        """Session `sessionid` from the store (None: not there); `Refusal`
        (503) when the store cannot be reached or the session restored."""
        from ..store import StoreError

        assert self.durability is not None
        try:
            return await self.durability.activate(sessionid)
        except StoreError as error:
            raise Refusal(503, "storeerror", f"session store: {error}") from None
        except Exception as error:  # noqa: BLE001 - a record that cannot restore
            log.error("session %s cannot be restored: %s", sessionid, error)
            raise Refusal(
                503, "storeerror", f"session {sessionid} cannot be restored"
            ) from None

    async def _persisted(self, session: OrsSession, src: str) -> None:
        """Wait for the first save of a session just started; on a store
        failure end it and refuse (503)."""
        from ..store import StoreError

        assert self.durability is not None
        self.durability.documents.setdefault(type(session.machine), src)
        tracked = self.durability.tracked.get(session.sessionid)
        if tracked is not None and tracked.new:
            tracked.document = src
        try:
            await self.durability.saved(session.sessionid)
        except StoreError as error:
            self.platform.terminate(session, "not persisted")
            raise Refusal(503, "storeerror", f"session store: {error}") from None

    async def _queue(self, session: OrsSession, name: str, data: AttrDict) -> None:
        """Queue event `name` durably for `session` (`Durability.deliver`):
        `Refusal` 404 when its record is gone, 503 when the store fails (the
        event may be queued then)."""
        assert self.durability is not None
        if not self.durability.persists(session.sessionid):  # _persist="false"
            session.deliver(name, data, REST_ORIGIN_TYPE)
            return
        event = Event(name, data, EXTERNAL, origintype=REST_ORIGIN_TYPE)
        try:
            await self.durability.deliver(session.sessionid, event)
        except Exception as error:
            status, code, description = _not_queued(error)
            if status == 404:
                description = f"session {session.sessionid} does not exist"
            raise Refusal(status, code, description) from None

    async def _access_activate(self, sessionid: str) -> Machine | None:
        """The session a POST to an access URI names, brought back from the
        store if it was passivated (it registers again)."""
        session = self.platform.session(sessionid)
        if session is None:
            try:
                session = await self._activate(sessionid)
            except Refusal as refusal:
                raise LimitExceeded(
                    refusal.status, refusal.error, refusal.description
                ) from None
        return None if session is None else session.machine

    async def _access_enqueue(self, machine: Machine, event: Event) -> None:
        """Queue an event posted to an access URI as `/event` does: durably
        first, handed over in `seq` order (`Durability.deliver`)."""
        assert self.durability is not None
        sessionid = machine._sessionid
        if not self.durability.persists(sessionid):  # _persist="false"
            machine.send_event(event)
            return
        try:
            await self.durability.deliver(sessionid, event)
        except Exception as error:
            raise LimitExceeded(*_not_queued(error)) from None

    def _caller_with_room(self, request: web.Request) -> str:
        """Who `request` comes from (see `MAX_SESSIONS_PER_CALLER`); `Refusal`
        (429) when that caller runs `max_sessions_per_caller` sessions already."""
        caller = str(request.get(caller_key()) or request.remote or "unknown")
        started = self._callers.get(caller)
        if started is not None:
            started.intersection_update(self.platform.sessions)
            if not started:
                del self._callers[caller]
            elif len(started) >= self.max_sessions_per_caller:
                raise Refusal(
                    429,
                    "toomanysessions",
                    f"{caller} runs {len(started)} sessions, the limit "
                    f"(max_sessions_per_caller) is {self.max_sessions_per_caller}",
                )
        return caller

    async def _fields(self, request: web.Request) -> AttrDict:
        """The fields of `request` (see `_fields`), within the processor's limits."""
        processor = self.processor
        return await _fields(
            request,
            max_body_size=processor.max_body_size,
            body_timeout=processor.body_timeout,
            max_json_depth=processor.max_json_depth,
            max_fields=processor.max_fields,
        )

    def _event_name(self, request: web.Request, session: OrsSession) -> str:
        """The event name of the path; `Refusal` (400) for a platform event's
        name, (503) when the session's queue is full."""
        name = _event_name(request)
        refusal = self.processor.refusal(session.machine, name)
        if refusal is not None:
            raise Refusal(refusal.status, refusal.code, str(refusal))
        return name

    def _forget_callers(self) -> None:
        """Drop the ended sessions from the callers' counts, and the callers
        left with none."""
        running = self.platform.sessions
        for caller, started in list(self._callers.items()):
            started.intersection_update(running)
            if not started:
                del self._callers[caller]

    def _finished(self, sessionid: str) -> OrsSession | None:
        for session in reversed(self.platform.finished):
            if session.sessionid == sessionid:
                return session
        return None

    def _forget_finished(self) -> None:
        finished = self.platform.finished
        if len(finished) > self.keep_finished:
            del finished[: len(finished) - self.keep_finished]


ROUTES: Final[tuple[tuple[str, str, Handler, str], ...]] = (
    (
        "POST",
        "/scxml/session/start",
        SessionServer.start_session,
        "start a session of document src (idealtime: ms since the epoch to start "
        "at; other parameters: start parameters); answers {sessionid}",
    ),
    (
        "POST",
        "/scxml/session/{id}/terminate",
        SessionServer.terminate,
        "end the session; answers {sessionid}",
    ),
    (
        "POST",
        "/scxml/session/{id}/event/{name}",
        SessionServer.event,
        "send event name, parameters as _event.data; answers 204",
    ),
    (
        "POST",
        "/scxml/session/{id}/request/{name}",
        SessionServer.request,
        "send event name with a requestid in _event.data and answer the "
        "session's <session:response>",
    ),
    (
        "GET",
        "/scxml/session/{id}/query",
        SessionServer.query,
        "the session's state, datamodel and interactions",
    ),
    ("GET", "/ors/help", SessionServer.help, "this list"),
)
"""Method, path, handler and description of every call of the API."""


# -- requests in, answers out ------------------------------------------------------


def _answer_errors() -> Any:
    """The middleware that answers every error as JSON, never a traceback."""
    from aiohttp import web

    @web.middleware
    async def answer_errors(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refusal as refusal:
            return _error(refusal.status, refusal.error, refusal.description)
        except LimitExceeded as refusal:
            return _error(refusal.status, refusal.code, str(refusal))
        except web.HTTPException as error:
            if error.status < 400:
                raise
            return _http_error(request, error)
        except Exception as error:  # noqa: BLE001 - a bug of ours: no traceback out
            return _error(500, "internal", type(error).__name__)

    return answer_errors


def _not_queued(error: Exception) -> tuple[int, str, str]:
    """(status, error, description) of `Durability.deliver`'s `error`: 404
    for a session the store no longer has, 503 for a store that failed (the
    event may be queued then); any other error is raised again. The durable
    modules are imported only then: a server without a store never loads
    them, and an event that is queued does not pay for the imports."""
    from ..store import StoreError
    from .durable import SessionGone

    if isinstance(error, SessionGone):
        return 404, "notfound", "no such session"
    if isinstance(error, StoreError):
        return 503, "storeerror", f"session store: {error}"
    raise error


def _lease_guard(durability: Durability) -> Any:
    """The middleware that answers 503 `unavailable` to every call but
    `/ors/help` while the node holds no live lease (`Durability.check_lease`):
    its sessions may run on another node then, and nothing is done here."""
    from aiohttp import web

    @web.middleware
    async def lease_guard(
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        if request.path != "/ors/help" and not durability.check_lease():
            raise Refusal(
                503,
                "unavailable",
                f"node {durability.node} holds no live lease (its store does not "
                "answer, or it is taking a new lease): nothing was done, try "
                "again",
            )
        return await handler(request)

    return lease_guard


def _http_error(request: web.Request, error: web.HTTPException) -> web.Response:
    """An error of aiohttp's routing (no such path, wrong method) as JSON."""
    where = f"{request.method} {request.path}"
    if error.status == 404:
        answer = _error(404, "notfound", f"no {where}: GET /ors/help lists the API")
    elif error.status == 405:
        allowed = error.headers.get("Allow", "")
        answer = _error(
            405, "methodnotallowed", f"{where}: not allowed (allowed: {allowed})"
        )
        answer.headers["Allow"] = allowed
    else:
        answer = _error(error.status, "badrequest", f"{where}: {error.reason}")
    return answer


def _error(status: int, error: str, description: str) -> web.Response:
    from aiohttp import web

    return web.json_response(
        {"error": error, "description": description}, status=status
    )


def _reply(value: Any) -> web.Response:
    """The HTTP answer to a request: a string as text, anything else as JSON."""
    from aiohttp import web

    if isinstance(value, str):
        return web.Response(text=value, content_type="text/plain")
    return web.json_response(value)


async def _fields(
    request: web.Request,
    *,
    max_body_size: int = MAX_BODY_SIZE,
    body_timeout: float = BODY_TIMEOUT,
    max_json_depth: int = MAX_JSON_DEPTH,
    max_fields: int = MAX_FIELDS,
) -> AttrDict:
    """The query string's fields, then the body's (a form or a JSON object).

    A field given twice holds a list. Raises `Refusal` (400) for a body that is
    not a form or a JSON object, `LimitExceeded` for one over a limit.
    """
    raw = await read_body(request, max_body_size, body_timeout)
    try:
        body = raw.decode(request.charset or "utf-8")
    except (LookupError, UnicodeDecodeError) as error:
        raise Refusal(400, "invalidparameter", f"unreadable body: {error}") from None
    count = count_fields(request.query_string, body, request.content_type)
    check_fields(count, max_fields)
    fields = AttrDict(grouped(request.query.items()))
    if not body.strip():
        return fields
    if request.content_type == FORM:
        fields.update(grouped(parse_qsl(body, keep_blank_values=True)))
    elif request.content_type == JSON:
        fields.update(_json_object(body, max_json_depth))
    else:
        raise Refusal(
            400,
            "invalidparameter",
            f"a body of type {request.content_type} (send {FORM} or {JSON})",
        )
    return fields


def _json_object(body: str, max_depth: int) -> AttrDict:
    """The JSON object `body`; `Refusal` (400) for anything else,
    `LimitExceeded` (400) for one nested deeper than `max_depth`."""
    try:
        value = load_json(body, max_depth)
    except LimitExceeded:
        raise
    except ValueError as error:
        raise Refusal(
            400, "invalidparameter", f"the body is not JSON: {error}"
        ) from None
    if not isinstance(value, AttrDict):
        raise Refusal(400, "invalidparameter", "a JSON body must be an object")
    return value


def _event_name(request: web.Request) -> str:
    name = request.match_info["name"]
    if not name or any(character.isspace() for character in name):
        raise Refusal(400, "invalidparameter", f"{name!r} is not an event name")
    return name


def _delay(idealtime: Any, max_delay: float = MAX_START_DELAY) -> float:
    """Seconds until `idealtime` (ms since the epoch; absent or past: 0);
    `Refusal` (400) for what is no finite number or more than `max_delay`
    seconds ahead."""
    if idealtime is None or idealtime == "":
        return 0.0
    try:
        moment = float(idealtime) / 1000.0
    except (TypeError, ValueError, OverflowError):
        moment = math.nan
    if isinstance(idealtime, bool) or not math.isfinite(moment):
        raise Refusal(
            400,
            "invalidparameter",
            f"idealtime {idealtime!r} is not ms since the epoch",
        ) from None
    delay = max(0.0, moment - time.time())
    if delay > max_delay:
        raise Refusal(
            400,
            "invalidparameter",
            f"idealtime {idealtime!r} is {delay:.0f} s ahead, more than "
            f"{max_delay:g} s (max_start_delay)",
        )
    return delay


def _datamodel(session: OrsSession) -> dict[str, Any]:
    """The session's data ids and their values as plain JSON, in document order."""
    machine = session.machine
    dm = getattr(machine, "dm", None)
    names = list(dm) if isinstance(dm, dict) else list(declared_slots(type(dm)))
    names += sorted(set(machine._data_ids) - set(names))
    values: dict[str, Any] = {}
    for name in names:
        if name in machine._data_ids:
            value = dm.get(name) if isinstance(dm, dict) else getattr(dm, name, None)
            values[name] = plain(value)
    return values
