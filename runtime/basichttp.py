"""The SCXML Basic HTTP Event I/O Processor (SCXML Appendix C.2), on aiohttp.

An `HttpEventProcessor` owns one aiohttp server on a loopback port and one HTTP
client. Sessions running on an `AsyncioClock` register with it; each then has a
`basichttp` entry in `_ioprocessors` (also under the type URI) whose `location` is
its access URI, `http://HOST:PORT/scxml/<sessionid>`.

In: a POST to an access URI puts an event on that session's external queue and is
answered 204 once it is queued (404: no such running session; 400: the message
makes no event). The event is named by the first `_scxmleventname` field of a form
body, else of the query string, else `HTTP.POST`. Its data are the other form
fields as `EventData` (a field given twice holds a list); field values that are
JSON numbers, `true`, `false`, `null`, objects or arrays are decoded, the rest stay
strings. A body that is not a form is the data itself: JSON decoded, other types as
text, and a form body without `=` as one percent-encoded string (how string
`<content>` is sent). `origintype` is the Basic HTTP type URI; `origin` is the
sender's access URI when it gives one in the `SCXML-Origin` header (this processor
does); `raw` is the request as text: request line, headers, blank line, body.

Out: `<send type="http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor">` (or
`type="basichttp"`) to an `http:` or `https:` target POSTs an
`application/x-www-form-urlencoded` body of `_scxmleventname` (the `event`) and
the `<param>` and `namelist` values: strings as they are, other values as JSON,
spaces as `%20`. A `<content>` is the body instead (a string percent-encoded, XML
as XML, other values as JSON), and the event name goes in the query string.
Delays and `<cancel>` work as for the SCXML processor. No target, a failed
connection, a timeout or an answer other than 2xx is `error.communication` on the
sender, carrying the send's `id`; a target that is not an HTTP URL, content that
cannot be sent, or a session not registered with a processor is `error.execution`.

The runtime imports this module only when a `<send>` names a type other than
SCXML's, and this module imports aiohttp only when a processor starts, so
sessions that do not use HTTP need neither.
"""

from __future__ import annotations

import asyncio
import json
import weakref
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode, urlsplit

from . import io
from .errors import CommunicationError, ExecutionError
from .events import EXTERNAL, AttrDict, Event, EventData

if TYPE_CHECKING:
    from aiohttp import ClientSession, web

    from .machine import Machine

__all__ = [
    "BASICHTTP_TYPE",
    "BASICHTTP_TYPES",
    "HttpEventProcessor",
    "Message",
    "decode",
    "encode",
    "send",
]

BASICHTTP_TYPE: Final = "http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor"
BASICHTTP_TYPES: Final = frozenset({BASICHTTP_TYPE, "basichttp"})
EVENT_NAME: Final = "_scxmleventname"
ORIGIN_HEADER: Final = "SCXML-Origin"
FORM: Final = "application/x-www-form-urlencoded"
JSON: Final = "application/json"
XML: Final = "application/xml"

_PROCESSORS: Final[weakref.WeakKeyDictionary[Machine, HttpEventProcessor]] = (
    weakref.WeakKeyDictionary()
)
"""The processor each registered session sends through."""


# -- sending: <send> to an HTTP request --------------------------------------------


@dataclass(frozen=True)
class Message:
    """One HTTP request of the processor: query fields, body and its content type."""

    query: dict[str, str]
    body: bytes
    content_type: str


def send(
    machine: Machine,
    name: str | None,
    *,
    target: str | None,
    delay: float | str | None,
    sendid: str | None,
    data: Any,
) -> str:
    """Dispatch one Basic HTTP `<send>` of `machine`; returns its send id.

    `data` is the `EventData` of `<param>`/`namelist`, the `<content>` value, or
    None. Raises `ExecutionError` for what SCXML makes `error.execution`; queues
    `error.communication` when there is no target.
    """
    given = sendid
    sendid = sendid if sendid is not None else machine._new_sendid()
    processor = _PROCESSORS.get(machine)
    if processor is None:
        raise ExecutionError(
            "basichttp: this session is not registered with an HttpEventProcessor",
            sendid=given,
        )
    seconds = io.parse_delay(delay) if delay is not None else 0.0
    if target is None:
        error = CommunicationError("basichttp: <send> without a target")
        io.undeliverable(machine, error, given)
        return sendid
    url = _checked_target(str(target), given)
    try:
        message = encode(name, data)
    except ValueError as error:
        raise ExecutionError(f"basichttp: {error}", sendid=given) from None
    origin = processor.location(machine)

    def deliver() -> None:
        processor.post(machine, url, message, origin, given)

    if seconds > 0.0:
        io.schedule(machine, sendid, seconds, deliver)
    else:
        deliver()
    return sendid


def _checked_target(target: str, sendid: str | None) -> str:
    """`target` if it is an absolute `http:` or `https:` URL, else `ExecutionError`."""
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ExecutionError(f"basichttp: invalid target {target!r}", sendid=sendid)
    return target


def encode(name: str | None, data: Any) -> Message:
    """The request for an event `name` (None: no `_scxmleventname`) with `data`.

    `EventData` (from `<param>`/`namelist`) and None make a form; any other value
    is `<content>` and becomes the body. `ValueError` if that value cannot be sent.
    """
    named = [(EVENT_NAME, name)] if name is not None else []
    if data is None or isinstance(data, EventData):
        fields = named + [(key, _field_text(value)) for key, value in _items(data)]
        return Message({}, urlencode(fields, quote_via=quote).encode("ascii"), FORM)
    body, content_type = _content_body(data)
    return Message(dict(named), body, content_type)


def _items(data: EventData | None) -> Iterable[tuple[str, Any]]:
    return data.items() if data is not None else ()


def _field_text(value: Any) -> str:
    """A form field's text: a string as it is, XML serialised, anything else JSON."""
    if isinstance(value, str):
        return value
    if _is_xml(value):
        return _xml_text(value)
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError):
        return str(value)


def _content_body(value: Any) -> tuple[bytes, str]:
    """A `<content>` value as (body, content type)."""
    if isinstance(value, str):
        return quote(value, safe="").encode("ascii"), FORM
    if _is_xml(value):
        return _xml_text(value).encode("utf-8"), XML + "; charset=utf-8"
    try:
        return json.dumps(value, separators=(",", ":")).encode("utf-8"), JSON
    except (TypeError, ValueError):
        raise ValueError(
            f"a {type(value).__name__} cannot be sent as content"
        ) from None


def _is_xml(value: Any) -> bool:
    """Whether `value` is XML content: an element or a non-empty list of elements."""
    if isinstance(value, list):
        return bool(value) and all(_is_xml(item) for item in value)
    return isinstance(value, ElementTree.Element)


def _xml_text(value: Any) -> str:
    elements = value if isinstance(value, list) else [value]
    return "".join(ElementTree.tostring(e, encoding="unicode") for e in elements)


# -- receiving: an HTTP request to an event -----------------------------------------


def decode(
    method: str, query: Iterable[tuple[str, str]], content_type: str, body: str
) -> tuple[str, Any]:
    """The event (name, data) an HTTP request makes; `ValueError` if it makes none.

    `query` holds the query string's fields, `body` the decoded body text.
    """
    query_fields = list(query)
    if content_type == FORM and "=" in body:
        fields = parse_qsl(body, keep_blank_values=True)
        data = _form_data(fields)
    else:
        fields = []
        data = _content_data(content_type, body)
    name = _first(EVENT_NAME, fields)
    if name is None:
        name = _first(EVENT_NAME, query_fields)
    if name is None:
        name = "HTTP." + method.upper()
    if not name or any(character.isspace() for character in name):
        raise ValueError(f"{EVENT_NAME} {name!r} is not an event name")
    return name, data


def _first(key: str, fields: Iterable[tuple[str, str]]) -> str | None:
    return next((value for name, value in fields if name == key), None)


def _form_data(fields: Iterable[tuple[str, str]]) -> EventData | None:
    """The fields other than `_scxmleventname`; a name given twice keeps a list."""
    data = EventData(
        grouped((key, _field_value(text)) for key, text in fields if key != EVENT_NAME)
    )
    return data or None


def grouped(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Fields from (name, value) pairs; a name given twice keeps a list."""
    values: dict[str, list[Any]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in values.items()}


def _field_value(text: str) -> Any:
    """A form field's value: JSON numbers, literals, objects and arrays decoded."""
    try:
        value = json.loads(text, object_hook=AttrDict, parse_constant=_no_constant)
    except ValueError:
        return text
    return text if isinstance(value, str) else value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _content_data(content_type: str, body: str) -> Any:
    """A body that is not a form: JSON decoded, a bare encoded value, or text."""
    if not body:
        return None
    if content_type == JSON:
        return json.loads(body, object_hook=AttrDict)
    if content_type == FORM:
        return unquote_plus(body)
    return body


# -- the processor ------------------------------------------------------------------


class HttpEventProcessor:
    """One aiohttp server on `host`:`port` (0: any free port) for registered sessions.

    Use it as an async context manager, or call `start()` and `close()`, on the
    loop the sessions' `AsyncioClock`s run on. `timeout` bounds each outgoing
    POST, in seconds. A server with routes of its own (the ORS session server)
    shares its port instead: `install(app)` before it serves, `open(port)` after.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, timeout: float = 10.0
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._sessions: weakref.WeakValueDictionary[str, Machine] = (
            weakref.WeakValueDictionary()
        )
        self._posts: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None

    async def __aenter__(self) -> HttpEventProcessor:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on `host`:`port`; afterwards `port` is the port actually bound."""
        if self._client is not None:
            raise RuntimeError("HttpEventProcessor already started")
        from aiohttp import web

        app = web.Application()
        self.install(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        await self.open(runner.addresses[0][1])

    def install(self, app: web.Application) -> None:
        """Serve the access URIs on `app`, for a server that runs more than this
        processor; then call `open` with the port it listens on."""
        app.router.add_post("/scxml/{session}", self._receive)

    async def open(self, port: int) -> None:
        """Start the client: access URIs name `host`:`port` from now on. `start`
        does this; a server that `install`ed the processor calls it itself."""
        from aiohttp import ClientSession, ClientTimeout

        self.port = port
        self._loop = asyncio.get_running_loop()
        self._client = ClientSession(timeout=ClientTimeout(total=self.timeout))

    async def close(self) -> None:
        """Wait for the POSTs under way, then stop the client and the server (the
        server only if `start` started it)."""
        while self._posts:
            await asyncio.gather(*self._posts, return_exceptions=True)
        client, runner = self._client, self._runner
        self._client = self._runner = None
        if client is not None:
            await client.close()
        if runner is not None:
            await runner.cleanup()

    def register(self, machine: Machine) -> str:
        """Give `machine` an access URI and let it send; returns the access URI.

        The `_ioprocessors` entry is added under `basichttp` and the type URI.
        """
        if self._client is None:
            raise RuntimeError("start the HttpEventProcessor before registering")
        self._sessions[machine._sessionid] = machine
        _PROCESSORS[machine] = self
        location = self.location(machine)
        entry = AttrDict(location=location)
        processors = machine._ioprocessors
        processors["basichttp"] = processors[BASICHTTP_TYPE] = entry
        return location

    def location(self, machine: Machine) -> str:
        """The access URI of `machine` at this processor."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/scxml/{machine._sessionid}"

    # -- out ----------------------------------------------------------------------

    def post(
        self,
        machine: Machine,
        url: str,
        message: Message,
        origin: str,
        sendid: str | None,
    ) -> None:
        """Start POSTing `message` to `url` for `machine`; failures come back as
        `error.communication` with `sendid`.

        A message to the location of a session this processor serves is
        delivered at once, as the POST would deliver it, so it keeps its order
        against the sender's later sends (what W3C test 201 expects).
        """
        recipient = self._served(url)
        if recipient is not None:
            self._deliver_here(recipient, machine, url, message, origin, sendid)
            return
        loop, client = self._loop, self._client
        if loop is None or client is None or loop.is_closed():
            _failed(machine, f"basichttp: {url}: the processor is closed", sendid)
            return
        task = loop.create_task(
            self._post(client, machine, url, message, origin, sendid)
        )
        self._posts.add(task)
        task.add_done_callback(self._posts.discard)

    def _served(self, url: str) -> Machine | None:
        """The running session whose location `url` is, if this processor serves it."""
        parts = urlsplit(url)
        if parts.port != self.port or parts.hostname not in (self.host, "localhost"):
            return None
        if not parts.path.startswith("/scxml/"):
            return None
        machine = self._sessions.get(parts.path[len("/scxml/") :])
        return machine if machine is not None and not machine.finished else None

    def _deliver_here(
        self,
        recipient: Machine,
        sender: Machine,
        url: str,
        message: Message,
        origin: str,
        sendid: str | None,
    ) -> None:
        """What `_receive` does with a POST, for a message that need not travel."""
        content_type = message.content_type.split(";")[0].strip()
        body = message.body.decode("utf-8")
        try:
            name, data = decode("POST", message.query.items(), content_type, body)
        except ValueError as error:
            _failed(sender, f"basichttp: {url}: {error}", sendid)
            return
        path = urlsplit(url).path + (
            "?" + urlencode(message.query) if message.query else ""
        )
        raw = (
            f"POST {path} HTTP/1.1\r\nContent-Type: {message.content_type}\r\n"
            f"{ORIGIN_HEADER}: {origin}\r\n\r\n{body}"
        )
        event = Event(
            name, data, EXTERNAL, origin=origin, origintype=BASICHTTP_TYPE, raw=raw
        )
        recipient._deliver(event)

    async def _post(
        self,
        client: ClientSession,
        machine: Machine,
        url: str,
        message: Message,
        origin: str,
        sendid: str | None,
    ) -> None:
        headers = {"Content-Type": message.content_type, ORIGIN_HEADER: origin}
        try:
            async with client.post(
                url,
                params=message.query,
                data=message.body,
                headers=headers,
                allow_redirects=False,
            ) as response:
                status = response.status
        except asyncio.CancelledError:
            _failed(machine, f"basichttp: {url}: cancelled", sendid)
            raise
        except Exception as error:  # noqa: BLE001 - every failure becomes an event
            reason = str(error) or type(error).__name__
            _failed(machine, f"basichttp: {url}: {reason}", sendid)
            return
        if not 200 <= status < 300:
            _failed(machine, f"basichttp: {url}: HTTP status {status}", sendid)

    # -- in -----------------------------------------------------------------------

    async def _receive(self, request: web.Request) -> web.Response:
        """Queue the event a POST makes on the session its path names."""
        from aiohttp import web

        machine = self._sessions.get(request.match_info["session"])
        if machine is None or machine.finished:
            return web.Response(status=404, text="no such session\n")
        try:
            body = (await request.read()).decode(request.charset or "utf-8")
            name, data = decode(
                request.method, request.query.items(), request.content_type, body
            )
        except (LookupError, ValueError) as error:  # a bad charset, body or name
            return web.Response(status=400, text=f"{error}\n")
        event = Event(
            name,
            data,
            EXTERNAL,
            origin=request.headers.get(ORIGIN_HEADER),
            origintype=BASICHTTP_TYPE,
            raw=_raw(request, body),
        )
        machine.send_event(event)
        return web.Response(status=204)


def _raw(request: web.Request, body: str) -> str:
    """The request as text: request line, headers, a blank line, the body."""
    version = f"HTTP/{request.version.major}.{request.version.minor}"
    lines = [f"{request.method} {request.path_qs} {version}"]
    lines.extend(f"{key}: {value}" for key, value in request.headers.items())
    return "\r\n".join(lines) + "\r\n\r\n" + body


def _failed(machine: Machine, message: str, sendid: str | None) -> None:
    """`error.communication` on `machine`, unless it has finished meanwhile."""
    if not machine.finished:
        io.undeliverable(machine, CommunicationError(message), sendid)
