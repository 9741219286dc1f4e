"""`scxmlc serve APP.scxml...`: the ORS session server, until interrupted.

Compiles the applications, builds a `SessionServer` over the simulated contact
center (`scxmlc.runtime.ors.server`) and serves its REST API, and the Basic
HTTP access URIs of its sessions, on `--host`:`--port`.

Access. Every request authenticates with a credential of `--credentials-file`
(one a line: `bearer TOKEN` or `basic USER:PASSWORD`; `#` comments) or of the
environment (`SCXMLC_SERVE_TOKEN`: a bearer token; `SCXMLC_SERVE_BASIC`:
`USER:PASSWORD`); see `scxmlc.runtime.ors.auth`. Without credentials the
server listens only on a loopback address (and warns that it is open); any
other `--host` is refused with status 1. `--tls-cert CERT --tls-key KEY` (PEM)
serve HTTPS (TLS 1.2 or later).

Documents. `src` of `/scxml/session/start`, `<session:start src>` and
`<invoke srcexpr>` names a served application by its path as given, its file
name, its stem or its `<scxml name>`, or a `.scxml` document under an
application root (`--root DIR`, repeatable; the APPs' directories are not
roots), relative to the starting document or to the roots; nothing else (see
`Applications`). Such a document compiles in a worker thread, once for each
version of the file: the REST API's start, `<session:start src>` and
`<invoke srcexpr>` wait for it. Documents of run-time data (`<invoke><content
expr>`) compile only with `--allow-runtime-documents`, only with the
ecmascript or null datamodel, at most 256 KiB, including no file, at most 100
different ones; they compile in the worker thread too (kept by their text),
and the invoke waits for them. Nothing compiles on the event loop.

With `--scenario`, the contact center has the scenario's configuration, its
applications are provisioned at their resources (the first APP serves the
routing points and queues that have none, as `scxmlc run --scenario` does),
and its timeline plays in real time from the moment the server listens.
Durable sessions. `--store URL` (`sqlite:PATH`, `redis://HOST:PORT/DB`, ...,
docs/persistence.md) keeps every session in a store at the end of each
macrostep, acknowledges each REST event only once the store holds it, and
recovers the node's sessions when the server starts again; `--node NAME` is
the node (one process per name), `--passivate-after SECONDS` lets idle
sessions leave memory, `--lease-ttl` is how long the node's lease lasts,
`--store-ttl` and `--cluster` set the store's TTL and key prefix (`scxmlc.runtime.ors.durable`). Without `--store` nothing is
persisted.

Cluster. Servers started with `--store` on one Redis and different `--node`
names form a cluster (`scxmlc.runtime.ors.cluster`): session ids name the
node that started them, any node takes any call and forwards it to the node
that runs the session (with the caller's credentials), and the sessions of
a node whose lease expired (`--lease-ttl`) are adopted by the others, timers
and queued events included. A node stops serving (503) as soon as its lease
could have expired by its own clock. `--advertise-url URL` names the address
callers reach the cluster by (a load balancer in front of the nodes): the
sessions' Basic HTTP access URIs name it, so they outlive the node that made
them; any node takes a POST to one and forwards it to the session's owner.

`--trace` prints the trace as it happens. One line says where the server
listens; SIGTERM or Ctrl-C stops it: it stops accepting, lets requests under
way finish (`SHUTDOWN_GRACE`, 1 s), closes the connections and exits with
status 0 ("scxmlc serve: stopped" on stderr); a second signal exits at once
with status 1.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import os
import re
import signal
import ssl
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from scxmlc.runtime import Budget, Machine, set_document_resolver
from scxmlc.runtime.basichttp import OriginAllowList, public_origin
from scxmlc.runtime.errors import ExecutionError
from scxmlc.runtime.invoke import DocumentPending
from scxmlc.runtime.ors.auth import (
    BASIC_VARIABLE,
    TOKEN_VARIABLE,
    Credentials,
    CredentialsError,
    is_loopback,
)
from scxmlc.runtime.ors.cluster import ClusterNode
from scxmlc.runtime.ors.durable import LEASE_TTL, Durability
from scxmlc.runtime.ors.server import SessionServer
from scxmlc.runtime.store import (
    DEFAULT_CLUSTER,
    DEFAULT_TTL,
    StoreError,
    check_id,
    open_store,
    store_from_url,
)
from scxmlc.runtime.sim.serving import play_timeline, simulated_server
from scxmlc.runtime.ors.trace import TraceEntry
from scxmlc.runtime.sim import (
    Scenario,
    ScenarioError,
    format_trace,
    load_scenario,
    provision_default,
)

from .. import compile_text
from ..diagnostics import CompileError, Diagnostic
from ..loader import _import, _locate, load, load_module
from ..options import Options

__all__ = [
    "Access",
    "Applications",
    "Limits",
    "NotCompiledYet",
    "Persistence",
    "serve",
]

NOT_SERVED: Final = (
    "src {src!r} is not a served application or a document under an application root"
)
RUNTIME_DOCUMENTS_DISABLED: Final = (
    "compiling documents from run-time data is disabled "
    "(scxmlc serve --allow-runtime-documents)"
)
RUNTIME_DATAMODELS: Final = frozenset({"ecmascript", "null"})
"""The datamodels a document from run-time data may have, when allowed."""

MAX_RUNTIME_DOCUMENT: Final = 256 * 1024
"""The longest document from run-time data compiled (characters)."""

MAX_RUNTIME_DOCUMENTS: Final = 100
"""Distinct documents of run-time data a server compiles in its life (each
stays loaded); more are refused."""

SUFFIX: Final = ".scxml"
"""The file name ending of the documents served from application roots."""


class NotCompiledYet(ExecutionError, DocumentPending):
    """A document under a root, or of run-time data, asked for on the event
    loop before it was compiled: its compilation runs in a worker thread
    (`future`). `<session:start>` and `<invoke>` wait for it (`when_ready`)."""

    def __init__(
        self, message: str, future: concurrent.futures.Future[type[Machine]]
    ) -> None:
        super().__init__(message)
        self.future = future
        self.loop = asyncio.get_running_loop()

    def when_ready(self, callback: Callable[[], object]) -> None:
        """Call `callback` on the loop that asked, once `future` is settled."""
        loop = self.loop

        def settled(_: object) -> None:
            if not loop.is_closed():  # else the server has stopped
                loop.call_soon_threadsafe(callback)

        self.future.add_done_callback(settled)


class _Refused(ExecutionError):
    """A document the server will not serve; the message may go to the caller."""


class Applications:
    """What the server's documents may be: its resolver, (uri, base) -> class.

    `served` are the applications compiled at start (by their path as given);
    `src` names one by that path, its file name, stem or `<scxml name>`.
    Otherwise `src` is the path (or `file:` URL) of a `.scxml` document under
    one of `roots`, relative to the starting document (`base`) or, without one,
    to each root in turn. Paths are checked as text first: `..`, components
    starting with `.`, NUL and control characters, other URL schemes and paths
    outside every root are refused without touching the file system, with the
    same message as a document that does not exist. Symbolic links are then
    resolved and must stay under a root.

    Documents are compiled in a worker thread, one at a time, and kept by
    resolved path, modification time and size. Asked for on the event loop, a
    document not compiled yet raises `NotCompiledYet` while it compiles:
    `<session:start src>` and `<invoke>` wait for it and start the session (or
    fail) once it is compiled. Asked for in any other thread
    (the REST API's start, through `asyncio.to_thread`), the caller waits for
    it. Compile errors go to stderr; the caller learns only their number.

    It is also the runtime's `DocumentResolver` (`load`, `compile_text`):
    `compile_text` (`<invoke><content expr>`) is refused unless
    `allow_runtime_documents`, and then only for the ecmascript and null
    datamodels; it compiles in the same worker thread, kept by the text.
    """

    def __init__(
        self,
        served: dict[str, type[Machine]],
        options: Options,
        *,
        roots: Sequence[str | Path] = (),
        allow_runtime_documents: bool = False,
    ) -> None:
        self.options = options
        self.allow_runtime_documents = allow_runtime_documents
        self.roots = _root_paths(roots)
        self.names: dict[str, type[Machine]] = {}
        for given, cls in served.items():
            path = Path(given)
            absolute = os.path.normpath(os.path.abspath(given))
            for name in (given, absolute, str(path.resolve()), path.name, path.stem):
                self.names.setdefault(name, cls)
            if cls._chart.name:
                self.names.setdefault(cls._chart.name, cls)
        self._compiled: dict[str, tuple[tuple[int, int], type[Machine] | str]] = {}
        self._pending: dict[str, concurrent.futures.Future[type[Machine]]] = {}
        self._texts = 0
        """Documents of run-time data compiled, or compiling (successfully or not)."""
        self._lock = threading.Lock()
        self._compiling = threading.Lock()
        self._closing = threading.Event()

    def __call__(self, uri: str, base: str) -> type[Machine]:
        """The served application `uri` names, else the document under a root
        at that path (relative to the document `base`); `ExecutionError`
        (`NotCompiledYet` among them) saying why not."""
        path = _path_of(uri)
        found = self.names.get(uri) or self.names.get(path)
        if found is not None:
            return found
        for candidate in self._candidates(path, base):
            found = self.names.get(candidate)
            if found is not None:
                return found
            real = _real_file(candidate, self.roots)
            if real is not None:
                return self._class_of(real, uri)
        raise _Refused(NOT_SERVED.format(src=uri))

    def load(self, uri: str, base: str) -> type[Machine]:
        """`DocumentResolver.load`: as calling the resolver."""
        return self(uri, base)

    def compile_text(self, text: str, base: str) -> type[Machine]:
        """`DocumentResolver.compile_text` (`<invoke><content expr>`): refused
        unless `allow_runtime_documents`; then only for the ecmascript and null
        datamodels, at most `MAX_RUNTIME_DOCUMENT` characters, reading no file,
        at most `MAX_RUNTIME_DOCUMENTS` different ones."""
        if not self.allow_runtime_documents:
            raise ExecutionError(RUNTIME_DOCUMENTS_DISABLED)
        if len(text) > MAX_RUNTIME_DOCUMENT:
            raise ExecutionError(
                f"a document from run-time data is longer than "
                f"{MAX_RUNTIME_DOCUMENT} characters"
            )
        key = "text:" + hashlib.sha256(text.encode()).hexdigest()
        kept = self._compiled.get(key)
        if kept is not None:
            return _known_text(kept[1])
        with self._lock:
            if key not in self._pending:
                if self._texts >= MAX_RUNTIME_DOCUMENTS:
                    raise ExecutionError(
                        f"{MAX_RUNTIME_DOCUMENTS} documents of run-time data are "
                        "compiled already: no more"
                    )
                self._texts += 1
        options = self.options
        future = self._compile_later(
            key, (0, 0), lambda: _compile_runtime_text(text, options)
        )
        if _on_event_loop():
            raise NotCompiledYet(
                "the document from run-time data is being compiled: not ready yet",
                future,
            )
        self._wait(future)
        return _known_text(self._compiled[key][1])

    def close(self) -> None:
        """The server stops: callers waiting for a compilation give up."""
        self._closing.set()

    def _candidates(self, path: str, base: str) -> list[str]:
        """The absolute, normalised paths `path` may name under a root (none
        when it names nothing there); no file system access."""
        if _unsafe(path):
            return []
        if os.path.isabs(path):
            places = [os.path.normpath(path)]
        elif base and os.path.isabs(base):
            places = [os.path.normpath(os.path.join(os.path.dirname(base), path))]
            places += [os.path.join(root, path) for root, _ in self.roots]
        else:
            places = [os.path.join(root, path) for root, _ in self.roots]
        normalised = [os.path.normpath(place) for place in places]
        return [place for place in normalised if _inside(place, self.roots)]

    def _class_of(self, real: str, uri: str) -> type[Machine]:
        """The class compiled from the regular file `real` under a root: kept,
        else compiled in a worker thread (refused with `NotCompiledYet` on the
        event loop while it compiles)."""
        try:
            stat = os.stat(real)
        except OSError:
            raise _Refused(NOT_SERVED.format(src=uri)) from None
        version = (stat.st_mtime_ns, stat.st_size)
        kept = self._compiled.get(real)
        if kept is not None and kept[0] == version:
            return _known(kept[1], uri)
        options = self.options
        future = self._compile_later(
            real, version, lambda: _compile_file(real, options)
        )
        if _on_event_loop():
            raise NotCompiledYet(
                f"src {uri!r} is being compiled: not ready yet", future
            )
        self._wait(future)
        return _known(self._compiled[real][1], uri)

    def _wait(self, future: concurrent.futures.Future[type[Machine]]) -> None:
        """Wait for `future` in a thread that is not the event loop's;
        `ExecutionError` when the server stops meanwhile."""
        while not future.done():
            if self._closing.wait(0.05):
                raise ExecutionError("the server is stopping")

    def _compile_later(
        self,
        key: str,
        version: tuple[int, int],
        work: Callable[[], type[Machine]],
    ) -> concurrent.futures.Future[type[Machine]]:
        """The compilation `work` (of the file or text `key` names) in a
        daemon thread (one at a time), the one under way if there is one."""
        with self._lock:
            future = self._pending.get(key)
            if future is None:
                future = self._pending[key] = concurrent.futures.Future()
                thread = threading.Thread(
                    target=self._compile,
                    args=(key, version, work, future),
                    name="scxmlc-compile",
                    daemon=True,
                )
                thread.start()
        return future

    def _compile(
        self,
        key: str,
        version: tuple[int, int],
        work: Callable[[], type[Machine]],
        future: concurrent.futures.Future[type[Machine]],
    ) -> None:
        """Run `work` and keep the class under `key`, or why there is none
        (diagnostics go to stderr); settle `future`."""
        with self._compiling:
            try:
                result: type[Machine] | str = work()
            except ExecutionError as error:  # a document of run-time data refused
                result = str(error)
            except CompileError as error:
                _report(error.diagnostics)
                errors = sum(d.severity == "error" for d in error.diagnostics)
                result = f"does not compile ({_count(errors, 'error')})"
            except Exception as error:  # noqa: BLE001 - the caller learns nothing more
                print(f"scxmlc serve: {key}: {error!r}", file=sys.stderr)
                result = "cannot be compiled"
        with self._lock:
            self._compiled[key] = (version, result)
            del self._pending[key]
        if isinstance(result, str):
            future.set_exception(ExecutionError(result))
        else:
            future.set_result(result)


def _known(result: type[Machine] | str, uri: str) -> type[Machine]:
    """A kept compilation result: the class, or `_Refused` with why not."""
    if isinstance(result, str):
        raise _Refused(f"src {uri!r} {result}")
    return result


def _known_text(result: type[Machine] | str) -> type[Machine]:
    """A kept result for a document of run-time data: the class, or
    `ExecutionError` with why not."""
    if isinstance(result, str):
        raise ExecutionError(result)
    return result


def _count(number: int, noun: str) -> str:
    """`1 error`, `2 errors`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _root_paths(roots: Sequence[str | Path]) -> tuple[tuple[str, str], ...]:
    """Each root as (absolute normalised path, real path)."""
    return tuple(
        (os.path.normpath(os.path.abspath(root)), os.path.realpath(root))
        for root in roots
    )


def _path_of(uri: str) -> str:
    """The path `uri` names: itself, or the path of a `file:` URL (decoded);
    `_Refused` for any other URL."""
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", uri)
    if scheme is None or len(scheme.group(1)) == 1:
        return uri
    parts = urlsplit(uri)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise _Refused(NOT_SERVED.format(src=uri))
    return unquote(parts.path)


def _unsafe(path: str) -> bool:
    """Whether `path` is refused on its face: empty, NUL or control characters,
    a component starting with `.` (`..` among them), not a `.scxml` file."""
    if not path or any(ord(character) < 32 for character in path):
        return True
    parts = PurePosixPath(path).parts
    if any(part.startswith(".") for part in parts):
        return True
    return not path.endswith(SUFFIX)


def _inside(path: str, roots: Sequence[tuple[str, str]]) -> bool:
    """Whether the absolute normalised `path` lies under one of `roots` (either
    form); pure path logic."""
    for root in {form for pair in roots for form in pair}:
        if os.path.commonpath([root, path]) == root and path != root:
            return True
    return False


def _real_file(candidate: str, roots: Sequence[tuple[str, str]]) -> str | None:
    """The real path of `candidate` (already known to be under a root) when it
    is a regular file whose real path is under a root too; else None."""
    real = os.path.realpath(candidate)
    real_roots = tuple((root, root) for _, root in roots)
    if not _inside(real, real_roots) or not os.path.isfile(real):
        return None
    return real


def _on_event_loop() -> bool:
    """Whether this thread runs an asyncio event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _compile_file(path: str, options: Options) -> type[Machine]:
    """The class compiled (or taken from the cache) from the document at
    `path`, located there; the runtime's document resolver stays as it is."""
    module, class_name = load_module(path, options)
    cls = getattr(module, class_name)
    assert isinstance(cls, type) and issubclass(cls, Machine)
    _locate(module, Path(path))
    return cls


def _compile_runtime_text(text: str, options: Options) -> type[Machine]:
    """The class compiled from a document of run-time data, with the ECMAScript
    or null datamodel, reading no file; `ExecutionError` otherwise."""
    datamodel = _declared_datamodel(text) or options.default_datamodel
    if datamodel not in RUNTIME_DATAMODELS:
        raise ExecutionError(
            f"a document from run-time data may use the ecmascript or null "
            f"datamodel, not {datamodel!r}"
        )
    try:
        compilation = compile_text(text, "<run-time document>.scxml", options)
    except CompileError as error:
        _report(error.diagnostics)
        raise ExecutionError(
            f"the document from run-time data does not compile "
            f"({_count(len(error.diagnostics), 'diagnostic')})"
        ) from None
    if len(compilation.files) > 1:
        raise ExecutionError("a document from run-time data may not include files")
    key = hashlib.sha256(text.encode()).hexdigest()[:24]
    module = _import(compilation.source, f"runtime_{key}")
    cls = getattr(module, compilation.class_name)
    assert isinstance(cls, type) and issubclass(cls, Machine)
    return cls


def _declared_datamodel(text: str) -> str | None:
    """The datamodel the `<scxml>` of `text` names (`profile="ecmascript"`:
    ecmascript), None when it names none; `ExecutionError` for text that is
    not XML."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        raise ExecutionError("the document from run-time data is not XML") from None
    declared = root.get("datamodel")
    if declared:
        return str(declared)
    return "ecmascript" if root.get("profile") == "ecmascript" else None


def _report(diagnostics: Sequence[Diagnostic]) -> None:
    """Print diagnostics to the server's stderr (never to a caller)."""
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)


@dataclass(frozen=True)
class Access:
    """Who may reach the server and how: `credentials` (none: loopback only),
    TLS from `tls_cert` and `tls_key` (PEM files), the application `roots`,
    whether documents of run-time data compile, the public address access
    URIs name (`advertise_url`; None: where the server listens)."""

    credentials_file: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    roots: tuple[str, ...] = ()
    allow_runtime_documents: bool = False
    advertise_url: str | None = None


@dataclass(frozen=True)
class Limits:
    """The limits `scxmlc serve` sets on its `SessionServer` (None: the
    server's default, see `scxmlc.runtime.ors.server`), the origins Basic HTTP
    `<send>`s may go to besides the server's own, and the budget of each
    macrostep."""

    allowed_origins: tuple[str, ...] = ()
    max_sessions: int | None = None
    max_sessions_per_caller: int | None = None
    idle_timeout: float | None = None
    max_queued_events: int | None = None
    max_body_size: int | None = None
    budget: Budget | None = None

    def server_options(self) -> dict[str, Any]:
        """The keyword arguments of `SessionServer` these limits set."""
        options: dict[str, Any] = {"allowed_origins": self.allowed_origins}
        for name in (
            "max_sessions",
            "max_sessions_per_caller",
            "idle_timeout",
            "max_queued_events",
            "max_body_size",
            "budget",
        ):
            value = getattr(self, name)
            if value is not None:
                options[name] = value
        return options


@dataclass(frozen=True)
class Persistence:
    """Where `scxmlc serve` keeps its sessions: the store's `url` (None:
    nowhere), the `node`, `passivate_after` seconds idle (0: never), the
    store's `ttl` and `cluster` prefix, the node's `lease_ttl`."""

    url: str | None = None
    node: str = "scxmlc"
    passivate_after: float = 0.0
    lease_ttl: float = LEASE_TTL
    ttl: float = DEFAULT_TTL
    cluster: str = DEFAULT_CLUSTER


def serve(
    applications: Sequence[str],
    options: Options,
    *,
    host: str,
    port: int,
    scenario_path: str | None,
    trace: bool,
    access: Access = Access(),
    limits: Limits = Limits(),
    persistence: Persistence = Persistence(),
) -> int:
    """Compile, provision and serve until interrupted; the exit status (1 for
    compile, scenario, credentials, TLS or root errors, and for a non-loopback
    `host` without credentials, or an allowed origin that is not one)."""
    try:
        _check_origins(limits.allowed_origins)
        _check_advertised(access.advertise_url)
        _check_store(persistence)
        credentials = _credentials(access, host)
        ssl_context = _tls(access)
        roots = _roots(access.roots)
        scenario = load_scenario(scenario_path) if scenario_path else None
        served = {path: load(path, options) for path in applications}
        provisioned = {
            resource: load(path, options)
            for resource, path in (scenario.applications if scenario else {}).items()
        }
    except (ScenarioError, CredentialsError, _StartError) as error:
        print(f"scxmlc serve: {error}", file=sys.stderr)
        return 1
    except CompileError as error:
        _report(error.diagnostics)
        return 1
    except OSError as error:
        print(f"scxmlc serve: {error}", file=sys.stderr)
        return 1
    resolver = Applications(
        served,
        options,
        roots=roots,
        allow_runtime_documents=access.allow_runtime_documents,
    )
    set_document_resolver(resolver)
    main = next(iter(served.values()))
    listen = _Listen(
        host, port, credentials, ssl_context, limits, persistence, access.advertise_url
    )
    try:
        names = ", ".join(Path(path).name for path in applications)
        asyncio.run(_serve(resolver, main, provisioned, scenario, listen, trace, names))
    except KeyboardInterrupt:
        pass
    except (OSError, StoreError) as error:  # the address is taken; no store
        print(f"scxmlc serve: {error}", file=sys.stderr)
        return 1
    finally:
        resolver.close()
    print("scxmlc serve: stopped", file=sys.stderr)
    return 0


class _StartError(Exception):
    """The server cannot start as asked; the message says why."""


@dataclass(frozen=True)
class _Listen:
    """Where and how the server listens."""

    host: str
    port: int
    credentials: Credentials | None
    ssl_context: ssl.SSLContext | None
    limits: Limits
    persistence: Persistence = Persistence()
    advertise_url: str | None = None


def _check_advertised(url: str | None) -> None:
    """`_StartError` for an `--advertise-url` that is not an origin."""
    if url is not None:
        try:
            public_origin(url)
        except ValueError as error:
            raise _StartError(f"--advertise-url: {error}") from None


def _check_store(persistence: Persistence) -> None:
    """`_StartError` for a `--store` URL or `--node` the store would refuse."""
    if persistence.url is None:
        return
    try:
        check_id("node", persistence.node)
        store_from_url(
            persistence.url, cluster=persistence.cluster, ttl=persistence.ttl
        )
    except (StoreError, ValueError) as error:
        raise _StartError(f"--store: {error}") from None


def _check_origins(origins: Sequence[str]) -> None:
    """`_StartError` for an `--allow-origin` that is not an origin."""
    try:
        OriginAllowList(origins)
    except ValueError as error:
        raise _StartError(f"--allow-origin: {error}") from None


def _credentials(access: Access, host: str) -> Credentials | None:
    """The credentials of the file and the environment (None: none); warnings
    on stderr for an open loopback server and for credentials over plain HTTP;
    `_StartError` for a non-loopback `host` without credentials."""
    found = Credentials.from_environment()
    if access.credentials_file:
        _warn_if_readable(access.credentials_file)
        found += Credentials.from_file(access.credentials_file)
    if not found:
        if not is_loopback(host):
            raise _StartError(
                f"refusing to listen on {host or 'every address'} without "
                f"credentials: give --credentials-file or set {TOKEN_VARIABLE} "
                f"or {BASIC_VARIABLE}"
            )
        _warn(
            f"no credentials: every local user and program may start and drive "
            f"sessions on {host} (give --credentials-file or set {TOKEN_VARIABLE})"
        )
        return None
    if access.tls_cert is None and not is_loopback(host):
        _warn(
            "credentials travel in clear text over plain HTTP: "
            "give --tls-cert and --tls-key"
        )
    return found


def _warn_if_readable(path: str) -> None:
    """A warning when the credentials file at `path` may be read by others."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # reading it says why
    if mode & 0o077:
        _warn(f"{path} may be read by other users: chmod 600 it")


def _tls(access: Access) -> ssl.SSLContext | None:
    """The server's TLS context of `tls_cert` and `tls_key` (TLS 1.2 or later),
    None without them; `_StartError` when they cannot be loaded."""
    if access.tls_cert is None and access.tls_key is None:
        return None
    if access.tls_cert is None or access.tls_key is None:
        raise _StartError("--tls-cert and --tls-key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(access.tls_cert, access.tls_key)
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "strerror", None) or getattr(error, "reason", None)
        raise _StartError(
            f"cannot load the TLS certificate {access.tls_cert} and key "
            f"{access.tls_key}: {reason or type(error).__name__}"
        ) from None
    return context


def _roots(roots: Sequence[str]) -> tuple[str, ...]:
    """The application roots, each an existing directory; `_StartError` else."""
    for root in roots:
        if not os.path.isdir(root):
            raise _StartError(f"--root {root}: not a directory")
    return tuple(roots)


def _warn(message: str) -> None:
    print(f"scxmlc serve: warning: {message}", file=sys.stderr, flush=True)


async def _serve(
    resolver: Applications,
    main: type[Machine],
    provisioned: dict[str, type[Machine]],
    scenario: Scenario | None,
    listen: _Listen,
    trace: bool,
    served: str,
) -> None:
    """Serve until SIGTERM or SIGINT; a second one exits at once (status 1)."""
    server = simulated_server(
        resolver,
        config=scenario.config if scenario is not None else None,
        host=listen.host,
        port=listen.port,
        auth=listen.credentials,
        ssl_context=listen.ssl_context,
        advertise_url=listen.advertise_url,
        **listen.limits.server_options(),
    )
    if trace:
        server.platform.trace.listen(_print_entry)
    if scenario is not None:
        _provision(server, main, provisioned, scenario)
    stop = asyncio.Event()
    _on_signals(stop)
    store = await _durable(server, listen.persistence)
    try:
        await _run(server, scenario, stop, resolver, served)
    finally:
        if store is not None:
            await store.close()


async def _durable(server: SessionServer, persistence: Persistence) -> Any:
    """Open the store and make the server keep its sessions there, as a node
    of the cluster of the servers that share it; the store (None without
    `--store`). `StoreError` when it cannot be reached."""
    if persistence.url is None:
        return None
    store = await open_store(
        persistence.url, cluster=persistence.cluster, ttl=persistence.ttl
    )
    server.attach_durability(
        Durability(
            server.platform,
            store,
            node=persistence.node,
            passivate_after=persistence.passivate_after,
            lease_ttl=persistence.lease_ttl,
        )
    )
    ClusterNode(server, store, persistence.node, lease_ttl=persistence.lease_ttl)
    return store


async def _run(
    server: SessionServer,
    scenario: Scenario | None,
    stop: asyncio.Event,
    resolver: Applications,
    served: str,
) -> None:
    async with server:
        print(f"scxmlc serve: listening on {server.url} ({served})", flush=True)
        if scenario is not None:
            play_timeline(server.platform, scenario.timeline)
        await stop.wait()
        print("scxmlc serve: stopping", file=sys.stderr, flush=True)
        resolver.close()


def _on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop`; the second one ends the process at once."""
    loop = asyncio.get_running_loop()

    def stop_or_exit() -> None:
        if stop.is_set():
            print("scxmlc serve: stopped at once", file=sys.stderr, flush=True)
            os._exit(1)
        stop.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop_or_exit)


def _provision(
    server: SessionServer,
    main: type[Machine],
    provisioned: dict[str, type[Machine]],
    scenario: Scenario,
) -> None:
    """The scenario's applications at their resources; `main` where none is."""
    platform = server.platform
    for resource, cls in provisioned.items():
        platform.provision(resource, cls)
    provision_default(platform, scenario, main)


def _print_entry(entry: TraceEntry) -> None:
    print(format_trace([entry]), flush=True)
