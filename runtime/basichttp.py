"""The SCXML Basic HTTP Event I/O Processor (SCXML Appendix C.2), on aiohttp.

An `HttpEventProcessor` owns one aiohttp server on a loopback port and one HTTP
client. Sessions running on an `AsyncioClock` register with it; each then has a
`basichttp` entry in `_ioprocessors` (also under the type URI) whose `location` is
its access URI, `http://HOST:PORT/scxml/<sessionid>`.

In: a POST to an access URI puts an event on that session's external queue and is
answered 204 once it is queued (404: no such running session; 400: the message
makes no event); a server that keeps its sessions in a store queues it durably
first (`enqueue`) and brings a session that left memory back (`activate`). The event is named by the first `_scxmleventname` field of a form
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

Only origins on the processor's allow-list are sent to: `allowed_origins`,
entries `scheme://host[:port]` (no port: the scheme's default; `:*`: any port),
besides the processor's own origin, which is always allowed. The default, for
tests and single-host use, is the loopback host on any port
(`LOOPBACK_ORIGINS`); the ORS session server allows only its own origin unless
told otherwise. A target elsewhere is `error.communication` on the sender and
nothing is sent, so a caller cannot make a session that answers
`_event.origin` post to an address of its choosing (169.254.169.254, ...).

Limits, each a constructor parameter; a request over one is refused, with a
text answer naming the limit and its value:

| limit | default | answer |
| --- | --- | --- |
| `max_body_size` | `MAX_BODY_SIZE`, 1 MiB | 413 |
| `body_timeout` | `BODY_TIMEOUT`, 30 s to read the body | 408 |
| `header_timeout` | `HEADER_TIMEOUT`, 15 s to send the request line and headers (and to keep an idle connection) | the connection is closed |
| `max_json_depth` | `MAX_JSON_DEPTH`, 32 nested arrays and objects | 400 |
| `max_fields` | `MAX_FIELDS`, 1000 query and form fields | 400 |
| `max_queued_events` | `MAX_QUEUED_EVENTS`, 1000 events waiting in the session's external queue | 503 |

aiohttp's own limits stay: request line and header fields of at most 8190
bytes, at most 128 headers (400). `reserved_events`, when given, names the
event names callers may not send (400; the ORS server refuses the platform's,
`scxmlc.runtime.ors.reserved`). A message between two sessions of the same
processor meets the same checks, and a refusal is `error.communication` on
the sender.

The runtime imports this module only when a `<send>` names a type other than
SCXML's, and this module imports aiohttp only when a processor starts, so
sessions that do not use HTTP need neither.
"""

from __future__ import annotations

import asyncio
import json
import weakref
import xml.etree.ElementTree as ElementTree
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, quote, unquote_plus, urlencode, urlsplit

from . import io
from .errors import CommunicationError, ExecutionError
from .events import EXTERNAL, AttrDict, Event, EventData
from .interpreted import Anchor
from .machine import SessionTable
from .snapshot import allow

if TYPE_CHECKING:
    from aiohttp import ClientSession, web

    from .machine import Machine

__all__ = [
    "BASICHTTP_TYPE",
    "BASICHTTP_TYPES",
    "BODY_TIMEOUT",
    "HEADER_TIMEOUT",
    "LOOPBACK_ORIGINS",
    "MAX_BODY_SIZE",
    "MAX_FIELDS",
    "MAX_JSON_DEPTH",
    "MAX_QUEUED_EVENTS",
    "HttpEventProcessor",
    "LimitExceeded",
    "Message",
    "OriginAllowList",
    "decode",
    "encode",
    "load_json",
    "queued_events",
    "read_body",
    "send",
]

BASICHTTP_TYPE: Final = "http://www.w3.org/TR/scxml/#BasicHTTPEventProcessor"
BASICHTTP_TYPES: Final = frozenset({BASICHTTP_TYPE, "basichttp"})
EVENT_NAME: Final = "_scxmleventname"
ORIGIN_HEADER: Final = "SCXML-Origin"
FORM: Final = "application/x-www-form-urlencoded"
JSON: Final = "application/json"
XML: Final = "application/xml"

MAX_BODY_SIZE: Final = 1024 * 1024
"""Bytes a request body may have (413 over it)."""

BODY_TIMEOUT: Final = 30.0
"""Seconds a client has to send a request body (408 after it)."""

HEADER_TIMEOUT: Final = 15.0
"""Seconds a client has to send a request line and its headers, and that an
idle kept-alive connection stays open: aiohttp's `keepalive_timeout`, which
runs from the moment a connection opens. A client that sends its headers a
byte at a time (slowloris) is disconnected when it runs out."""

MAX_JSON_DEPTH: Final = 32
"""Arrays and objects a JSON value may nest (400 deeper): sessions, `plain`
and the ECMAScript datamodel walk values recursively."""

MAX_FIELDS: Final = 1000
"""Fields a request may have in its query string and form body together (400)."""

MAX_QUEUED_EVENTS: Final = 1000
"""Events that may wait in a session's external queue before a POST to it is
refused (503): a caller cannot make a session hold unbounded memory."""

LOOPBACK_ORIGINS: Final = (
    "http://127.0.0.1:*",
    "http://localhost:*",
    "http://[::1]:*",
)
"""Where a processor sends by default: the loopback host, any port."""

DEFAULT_PORTS: Final = {"http": 80, "https": 443}

_PROCESSORS: Final[weakref.WeakKeyDictionary[Anchor, HttpEventProcessor]] = (
    weakref.WeakKeyDictionary()
)
"""The processor each registered session sends through, by the session's anchor
(runtime/interpreted.py: a compiled session takes no weak references)."""


def _processor(machine: Machine) -> HttpEventProcessor | None:
    """The processor `machine` is registered with, if any."""
    anchor = machine._anchor
    return None if anchor is None else _PROCESSORS.get(anchor)


# -- sending: <send> to an HTTP request --------------------------------------------


@allow
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
    processor = _processor(machine)
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
    if not processor.allows(url):
        error = CommunicationError(
            f"basichttp: {url}: not an allowed origin (allowed: this processor's "
            f"own, {', '.join(processor.allowed_origins.entries) or 'no other'})"
        )
        io.undeliverable(machine, error, given)
        return sendid
    try:
        message = encode(name, data)
    except ValueError as error:
        raise ExecutionError(f"basichttp: {error}", sendid=given) from None
    if seconds > 0.0:
        io.schedule(machine, sendid, seconds, DELIVERY, (url, message, given))
    else:
        processor.post(machine, url, message, processor.location(machine), given)
    return sendid


DELIVERY: Final = "basichttp"
"""The delivery kind of this processor's delayed sends (`io.register_delivery`)."""


def _deliver_later(machine: Machine, payload: tuple[str, Message, str | None]) -> None:
    """A delayed `<send>` falls due: POST it through the processor the
    session is registered with now (a restored session may have another)."""
    url, message, sendid = payload
    processor = _processor(machine)
    if processor is None:
        _failed(
            machine,
            "basichttp: this session is not registered with an HttpEventProcessor",
            sendid,
        )
        return
    processor.post(machine, url, message, processor.location(machine), sendid)


io.register_delivery(DELIVERY, _deliver_later)


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
    method: str,
    query: Iterable[tuple[str, str]],
    content_type: str,
    body: str,
    *,
    max_depth: int = MAX_JSON_DEPTH,
) -> tuple[str, Any]:
    """The event (name, data) an HTTP request makes; `ValueError` if it makes none
    (`LimitExceeded` for JSON nested deeper than `max_depth`).

    `query` holds the query string's fields, `body` the decoded body text.
    """
    query_fields = list(query)
    if content_type == FORM and "=" in body:
        fields = parse_qsl(body, keep_blank_values=True)
        data = _form_data(fields, max_depth)
    else:
        fields = []
        data = _content_data(content_type, body, max_depth)
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


def _form_data(fields: Iterable[tuple[str, str]], max_depth: int) -> EventData | None:
    """The fields other than `_scxmleventname`; a name given twice keeps a list."""
    data = EventData(
        grouped(
            (key, _field_value(text, max_depth))
            for key, text in fields
            if key != EVENT_NAME
        )
    )
    return data or None


def grouped(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Fields from (name, value) pairs; a name given twice keeps a list."""
    values: dict[str, list[Any]] = {}
    for key, value in pairs:
        values.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in values.items()}


def _field_value(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A form field's value: JSON numbers, literals, objects and arrays decoded
    (`LimitExceeded` for JSON nested deeper than `max_depth`)."""
    try:
        value = load_json(text, max_depth)
    except LimitExceeded:
        raise
    except ValueError:
        return text
    return text if isinstance(value, str) else value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _content_data(content_type: str, body: str, max_depth: int) -> Any:
    """A body that is not a form: JSON decoded, a bare encoded value, or text."""
    if not body:
        return None
    if content_type == JSON:
        return load_json(body, max_depth)
    if content_type == FORM:
        return unquote_plus(body)
    return body


# -- limits and the allow-list --------------------------------------------------------


class LimitExceeded(ValueError):
    """A request over one of the limits, or with a reserved event name: HTTP
    `status`, an error `code` (`toolarge`, `timeout`, `toodeep`,
    `toomanyfields`, `queuefull`, `reservedevent`) and a message that names the
    limit and its value (or the reserved descriptor)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


async def read_body(request: web.Request, max_size: int, timeout: float) -> bytes:
    """The body of `request`, read within `timeout` seconds; `LimitExceeded`
    (413) when it has more than `max_size` bytes, (408) when it comes too slowly.

    Reads the stream itself, so the limit is `max_size` whatever the
    application's `client_max_size`.
    """
    declared = request.content_length
    if declared is not None and declared > max_size:
        raise _too_large(max_size)
    try:
        return await asyncio.wait_for(_read_at_most(request, max_size), timeout)
    except asyncio.TimeoutError:
        raise LimitExceeded(
            408, "timeout", f"the body took longer than {timeout:g} s (body_timeout)"
        ) from None


async def _read_at_most(request: web.Request, max_size: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(65536):
        size += len(chunk)
        if size > max_size:
            raise _too_large(max_size)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_size: int) -> LimitExceeded:
    return LimitExceeded(
        413, "toolarge", f"the body is larger than {max_size} bytes (max_body_size)"
    )


def load_json(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of `text` (objects as `AttrDict`); `ValueError` if it is
    not JSON, `LimitExceeded` (400) if it nests deeper than `max_depth`."""
    try:
        value = json.loads(text, object_hook=AttrDict, parse_constant=_no_constant)
    except RecursionError:
        raise _too_deep(max_depth) from None
    if _depth(value, max_depth) > max_depth:
        raise _too_deep(max_depth)
    return value


def _depth(value: Any, give_up: int) -> int:
    """How many arrays and objects nest in `value` (at most `give_up` + 1)."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            depth += 1
            if depth > give_up:
                return depth
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth) for child in children)
    return deepest


def _too_deep(max_depth: int) -> LimitExceeded:
    return LimitExceeded(
        400,
        "toodeep",
        f"JSON nested deeper than {max_depth} arrays and objects (max_json_depth)",
    )


def count_fields(query_string: str, body: str, content_type: str) -> int:
    """How many fields a request has: query string fields, and form fields if
    the body is a form."""
    count = len([f for f in query_string.split("&") if f])
    if content_type == FORM and "=" in body:
        count += len([f for f in body.split("&") if f])
    return count


def check_fields(count: int, max_fields: int) -> None:
    """`LimitExceeded` (400) when `count` fields are more than `max_fields`."""
    if count > max_fields:
        raise LimitExceeded(
            400,
            "toomanyfields",
            f"{count} fields, more than {max_fields} (max_fields)",
        )


def queued_events(machine: Machine) -> int:
    """How many events wait in `machine`'s external queue."""
    return len(machine._external or ())


def check_queue(machine: Machine, max_queued: int) -> None:
    """`LimitExceeded` (503) when `machine`'s external queue is full."""
    if queued_events(machine) >= max_queued:
        raise LimitExceeded(
            503,
            "queuefull",
            f"session {machine._sessionid} has {max_queued} events waiting "
            f"(max_queued_events)",
        )


class OriginAllowList:
    """The origins a processor may send to: entries `scheme://host[:port]`
    (http or https; no port: the scheme's default; `:*`: any port). Hosts
    compare without regard to case; nothing else of a URL counts.

    `ValueError` for an entry that is not such an origin.
    """

    def __init__(self, entries: Iterable[str]) -> None:
        self.entries = tuple(entries)
        self._rules = frozenset(_origin_rule(entry) for entry in self.entries)

    def allows(self, url: str) -> bool:
        """Whether `url` (an absolute http or https URL) is on the list."""
        origin = _origin_of(url)
        if origin is None:
            return False
        scheme, host, port = origin
        return (scheme, host, port) in self._rules or (
            scheme,
            host,
            None,
        ) in self._rules

    def __repr__(self) -> str:
        return f"OriginAllowList({list(self.entries)!r})"


def _origin_rule(entry: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of an allow-list entry; port None: any."""
    any_port = entry.rstrip("/").endswith(":*")
    text = entry.rstrip("/")[:-2] if any_port else entry
    origin = _origin_of(text)
    parts = urlsplit(text)
    if origin is None or parts.path not in ("", "/") or parts.query or "@" in text:
        raise ValueError(
            f"{entry!r} is not an origin (scheme://host[:port], port * for any)"
        )
    scheme, host, port = origin
    return scheme, host, None if any_port else port


def _origin_of(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http or https URL, None if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def public_origin(url: str) -> str:
    """`url`, an `http` or `https` URL of a host (and port) and nothing else
    (no user, path, query or fragment), as the origin `scheme://host[:port]`
    access URIs may name; `ValueError` saying what is wrong."""
    try:
        parts = urlsplit(url)
        parts.port
    except ValueError as error:
        raise ValueError(f"{url!r} is not a URL: {error}") from None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL of a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{url!r} may not carry a user or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r} may name a scheme, host and port only")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


# -- the processor ------------------------------------------------------------------


class HttpEventProcessor:
    """One aiohttp server on `host`:`port` (0: any free port) for registered sessions.

    Use it as an async context manager, or call `start()` and `close()`, on the
    loop the sessions' `AsyncioClock`s run on. `timeout` bounds each outgoing
    POST, in seconds. A server with routes of its own (the ORS session server)
    shares its port instead: `install(app)` before it serves, `open(port)` after.

    `allowed_origins` are the origins `<send>` may POST to besides the
    processor's own (None: `LOOPBACK_ORIGINS`; `()`: its own only);
    `reserved_events(name)` names the reserved descriptor an incoming event
    name falls under, None when it is free (default: every name is free); the
    other parameters are the limits of the module docstring.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        timeout: float = 10.0,
        allowed_origins: Iterable[str] | None = None,
        reserved_events: Callable[[str], str | None] | None = None,
        max_body_size: int = MAX_BODY_SIZE,
        body_timeout: float = BODY_TIMEOUT,
        header_timeout: float = HEADER_TIMEOUT,
        max_json_depth: int = MAX_JSON_DEPTH,
        max_fields: int = MAX_FIELDS,
        max_queued_events: int = MAX_QUEUED_EVENTS,
    ) -> None:
        self.host = host
        self.port = port
        self.scheme = "http"
        self.advertised: str | None = None
        """The origin access URIs name instead of `host`:`port` (`public_origin`:
        a load balancer in front of several servers); None: `host`:`port`."""
        self.timeout = timeout
        self.allowed_origins = OriginAllowList(
            LOOPBACK_ORIGINS if allowed_origins is None else allowed_origins
        )
        self.reserved_events = reserved_events
        self.max_body_size = max_body_size
        self.body_timeout = body_timeout
        self.header_timeout = header_timeout
        self.max_json_depth = max_json_depth
        self.max_fields = max_fields
        self.max_queued_events = max_queued_events
        self._sessions = SessionTable()
        self.activate: Callable[[str], Awaitable[Machine | None]] | None = None
        """Finds a session no longer registered (passivated, or recovered but
        not yet in memory), registering it again; None: none but the
        registered ones. `LimitExceeded` answers the POST."""
        self.enqueue: Callable[[Machine, Event], Awaitable[None]] | None = None
        """Queues an accepted event durably, returning once it is (the POST
        is answered 204 then); None: onto the session's queue at once.
        `LimitExceeded` answers the POST."""
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
        runner = web.AppRunner(app, access_log=None, **self.handler_options())
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        await self.open(runner.addresses[0][1])

    def handler_options(self) -> dict[str, Any]:
        """The options of aiohttp's `AppRunner` that enforce `header_timeout`."""
        return {"keepalive_timeout": self.header_timeout}

    def install(self, app: web.Application) -> None:
        """Serve the access URIs on `app`, for a server that runs more than this
        processor; then call `open` with the port it listens on."""
        app.router.add_post("/scxml/{session}", self._receive)

    async def open(self, port: int, *, tls: bool = False) -> None:
        """Start the client: access URIs name `host`:`port` from now on, with
        the `https` scheme when the server serves TLS (`tls`). `start` does
        this; a server that `install`ed the processor calls it itself."""
        from aiohttp import ClientSession, ClientTimeout

        self.port = port
        self.scheme = "https" if tls else "http"
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
        _PROCESSORS[machine._anchored()] = self
        location = self.location(machine)
        entry = AttrDict(location=location)
        processors = machine._ioprocessors
        processors["basichttp"] = processors[BASICHTTP_TYPE] = entry
        return location

    def unregister(self, sessionid: str) -> None:
        """Forget session `sessionid` (it left memory): its access URI
        answers 404 until it is registered again, unless `activate` brings
        it back."""
        self._sessions.pop(sessionid)

    def location(self, machine: Machine) -> str:
        """The access URI of `machine` at this processor."""
        return f"{self.origin}/scxml/{machine._sessionid}"

    @property
    def origin(self) -> str:
        """The origin access URIs name: `advertised`, else this processor's
        own (`local_origin`)."""
        return self.advertised or self.local_origin

    @property
    def local_origin(self) -> str:
        """Where this processor listens, `http://HOST:PORT` (`https` over TLS)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def _own(self, url: str) -> bool:
        """Whether `url` is at this processor's own origin (or `localhost` on
        its port) or at the advertised one."""
        target = _origin_of(url)
        if target is None:
            return False
        if self.advertised is not None and target == _origin_of(self.advertised):
            return True
        own = _origin_of(self.local_origin)
        scheme, host, port = target
        return own is not None and (
            (scheme, port) == (own[0], own[2]) and host in (own[1], "localhost")
        )

    def allows(self, url: str) -> bool:
        """Whether `<send>` may POST to `url`: its origin is this processor's
        (or `localhost` on its port), the advertised one, or on
        `allowed_origins`."""
        return self._own(url) or self.allowed_origins.allows(url)

    def refusal(self, machine: Machine, name: str) -> LimitExceeded | None:
        """Why an event `name` may not go on `machine`'s queue, if it may not:
        a reserved name (400 `reservedevent`) or a full queue (503)."""
        reserved = self.reserved_events(name) if self.reserved_events else None
        if reserved is not None:
            return LimitExceeded(
                400,
                "reservedevent",
                f"{name!r} is the name of a platform event ({reserved}.*): "
                "callers may not send it",
            )
        try:
            check_queue(machine, self.max_queued_events)
        except LimitExceeded as full:
            return full
        return None

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
        if not self._own(url):
            return None
        parts = urlsplit(url)
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
            name, data = decode(
                "POST",
                message.query.items(),
                content_type,
                body,
                max_depth=self.max_json_depth,
            )
        except ValueError as error:
            _failed(sender, f"basichttp: {url}: {error}", sendid)
            return
        refusal = self.refusal(recipient, name)
        if refusal is not None:
            _failed(sender, f"basichttp: {url}: {refusal}", sendid)
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

        sessionid = request.match_info["session"]
        machine = self._sessions.get(sessionid)
        try:
            if (machine is None or machine.finished) and self.activate is not None:
                machine = await self.activate(sessionid)
        except LimitExceeded as refusal:
            return web.Response(status=refusal.status, text=f"{refusal}\n")
        if machine is None or machine.finished:
            return web.Response(status=404, text="no such session\n")
        try:
            body, name, data = await self._event_of(request, machine)
        except LimitExceeded as refusal:
            return web.Response(status=refusal.status, text=f"{refusal}\n")
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
        if self.enqueue is None:
            machine.send_event(event)
            return web.Response(status=204)
        try:
            await self.enqueue(machine, event)
        except LimitExceeded as refusal:
            return web.Response(status=refusal.status, text=f"{refusal}\n")
        return web.Response(status=204)

    async def _event_of(
        self, request: web.Request, machine: Machine
    ) -> tuple[str, str, Any]:
        """(body text, event name, data) of a POST to `machine`'s access URI.

        `LimitExceeded` for a request over a limit, a reserved name or a full
        queue; `LookupError` or `ValueError` for one that makes no event.
        """
        raw = await read_body(request, self.max_body_size, self.body_timeout)
        body = raw.decode(request.charset or "utf-8")
        content_type = request.content_type
        count = count_fields(request.query_string, body, content_type)
        check_fields(count, self.max_fields)
        name, data = decode(
            request.method,
            request.query.items(),
            content_type,
            body,
            max_depth=self.max_json_depth,
        )
        refusal = self.refusal(machine, name)
        if refusal is not None:
            raise refusal
        return body, name, data


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
