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
`{"error": code, "description": text}` with 400, 404, 405 or 504 (500 for a
bug of ours, without a traceback). The JSON shapes are documented in
docs/ors.md, "Session server".

Use the server as an async context manager, or `start()` and `close()`, inside
the running loop, over any platform on an asyncio clock of the running loop
(`ServerClock`). The server talks to the platform's backend only through the
Protocols of `services`; `scxmlc.runtime.sim.serving` builds one over the
simulated contact center. aiohttp is imported when the server starts.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl

from ..basichttp import FORM, JSON, HttpEventProcessor, grouped
from ..clock import AsyncioClock
from ..events import AttrDict
from .plain import plain
from .platform import OrsSession, Platform

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["Refusal", "ServerClock", "SessionServer"]

SHUTDOWN_GRACE: Final = 1.0
"""Seconds `close()` lets requests under way finish before it cancels them."""

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

    def now(self) -> float:
        return self.loop.time() - self.origin


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
    sessions `/query` still answers for.
    """

    def __init__(
        self,
        platform: Platform,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        request_timeout: float = 30.0,
        keep_finished: int = 1000,
    ) -> None:
        self.platform = platform
        self.host = host
        self.port = port
        self.request_timeout = request_timeout
        self.keep_finished = keep_finished
        self.processor = HttpEventProcessor(host, port)
        self._runner: web.AppRunner | None = None
        platform.listeners.append(self._joined)

    @property
    def url(self) -> str:
        """Where the server listens: `http://HOST:PORT`."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def __aenter__(self) -> SessionServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen; afterwards `port` is the port actually bound."""
        if self._runner is not None:
            raise RuntimeError("SessionServer already started")
        from aiohttp import web

        app = web.Application(middlewares=[_answer_errors()])
        for method, path, handler, _ in ROUTES:
            app.router.add_route(method, path, self._bound(handler))
        self.processor.install(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_GRACE)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = runner.addresses[0][1]
        await self.processor.open(self.port)
        for session in list(self.platform.sessions.values()):
            self._joined(session)

    async def close(self) -> None:
        """Stop serving: requests under way are dropped, sessions stay as they are."""
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
        """A new session gets its Basic HTTP access URI (once the server runs)."""
        if self._runner is not None:
            self.processor.register(session.machine)

    # -- the API -----------------------------------------------------------------

    async def start_session(self, request: web.Request) -> web.StreamResponse:
        """`POST /scxml/session/start`: `{"sessionid": ...}`."""
        from aiohttp import web

        fields = await _fields(request)
        src = fields.pop("src", None)
        if not isinstance(src, str) or not src:
            raise Refusal(400, "missingparameter", "src (the document) is required")
        delay = _delay(fields.pop("idealtime", None))
        try:
            application = self.platform.load(src, "")
        except Exception as error:  # noqa: BLE001 - whatever the resolver raises
            raise Refusal(400, "invalidsrc", f"cannot load {src}: {error}") from None
        session = self.platform.start_session(
            application, dict(fields), started_by="REST API", delay=delay
        )
        self._forget_finished()
        return web.json_response({"sessionid": session.sessionid})

    async def terminate(self, request: web.Request) -> web.StreamResponse:
        """`POST /scxml/session/<id>/terminate`: `{"sessionid": ...}`."""
        from aiohttp import web

        session = self._running(request)
        self.platform.terminate(session)
        return web.json_response({"sessionid": session.sessionid})

    async def event(self, request: web.Request) -> web.StreamResponse:
        """`POST /scxml/session/<id>/event/<name>`: 204 once the event is queued."""
        from aiohttp import web

        session = self._running(request)
        name = _event_name(request)
        session.deliver(name, await _fields(request))
        return web.Response(status=204)

    async def request(self, request: web.Request) -> web.StreamResponse:
        """`POST /scxml/session/<id>/request/<name>`: the session's response."""
        session = self._running(request)
        name = _event_name(request)
        data = await _fields(request)
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
            session.deliver(name, data)
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
        except web.HTTPException as error:
            if error.status < 400:
                raise
            return _http_error(request, error)
        except Exception as error:  # noqa: BLE001 - a bug of ours: no traceback out
            return _error(500, "internal", type(error).__name__)

    return answer_errors


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


async def _fields(request: web.Request) -> AttrDict:
    """The query string's fields, then the body's (a form or a JSON object).

    A field given twice holds a list. Raises `Refusal` (400) for a body that is
    not a form or a JSON object.
    """
    fields = AttrDict(grouped(request.query.items()))
    try:
        body = (await request.read()).decode(request.charset or "utf-8")
    except (LookupError, UnicodeDecodeError) as error:
        raise Refusal(400, "invalidparameter", f"unreadable body: {error}") from None
    if not body.strip():
        return fields
    if request.content_type == FORM:
        fields.update(grouped(parse_qsl(body, keep_blank_values=True)))
    elif request.content_type == JSON:
        fields.update(_json_object(body))
    else:
        raise Refusal(
            400,
            "invalidparameter",
            f"a body of type {request.content_type} (send {FORM} or {JSON})",
        )
    return fields


def _json_object(body: str) -> AttrDict:
    try:
        value = json.loads(body, object_hook=AttrDict)
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


def _delay(idealtime: Any) -> float:
    """Seconds until `idealtime` (ms since the epoch; absent or past: 0)."""
    if idealtime is None or idealtime == "":
        return 0.0
    try:
        moment = float(idealtime) / 1000.0
    except (TypeError, ValueError):
        raise Refusal(
            400,
            "invalidparameter",
            f"idealtime {idealtime!r} is not ms since the epoch",
        ) from None
    return max(0.0, moment - time.time())


def _datamodel(session: OrsSession) -> dict[str, Any]:
    """The session's data ids and their values as plain JSON, in document order."""
    machine = session.machine
    dm = getattr(machine, "dm", None)
    names = (
        list(dm) if isinstance(dm, dict) else list(getattr(type(dm), "__slots__", ()))
    )
    names += sorted(set(machine._data_ids) - set(names))
    values: dict[str, Any] = {}
    for name in names:
        if name in machine._data_ids:
            value = dm.get(name) if isinstance(dm, dict) else getattr(dm, name, None)
            values[name] = plain(value)
    return values
