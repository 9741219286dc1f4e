"""`scxmlc serve APP.scxml...`: the ORS session server, until interrupted.

Compiles the applications, builds a `SessionServer` over the simulated contact
center (`scxmlc.runtime.ors.server`) and serves its REST API, and the Basic
HTTP access URIs of its sessions, on `--host`:`--port`. `src` of
`/scxml/session/start` and `<session:start src>` name a served application by
its path as given, its file name, its stem or its `<scxml name>`; any other
path (or `file:` URL) is compiled on demand, relative to the starting
document (to the working directory for the REST API).

With `--scenario`, the contact center has the scenario's configuration, its
applications are provisioned at their resources (the first APP serves the
routing points and queues that have none, as `scxmlc run --scenario` does),
and its timeline plays in real time from the moment the server listens.
`--trace` prints the trace as it happens. One line says where the server
listens; Ctrl-C (or SIGTERM) stops it cleanly with status 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from scxmlc.runtime import Machine
from scxmlc.runtime.ors.server import SessionServer
from scxmlc.runtime.sim.serving import play_timeline, simulated_server
from scxmlc.runtime.ors.trace import TraceEntry
from scxmlc.runtime.sim import (
    Scenario,
    ScenarioError,
    format_trace,
    load_scenario,
    provision_default,
)

from ..diagnostics import CompileError
from ..loader import load
from ..options import Options

__all__ = ["Applications", "serve"]


class Applications:
    """The resolver of the server's platform: (uri, base) -> compiled class."""

    def __init__(self, served: dict[str, type[Machine]], options: Options) -> None:
        self.options = options
        self.names: dict[str, type[Machine]] = {}
        for given, cls in served.items():
            path = Path(given)
            for name in (given, str(path.resolve()), path.name, path.stem):
                self.names.setdefault(name, cls)
            if cls._chart.name:
                self.names.setdefault(cls._chart.name, cls)

    def __call__(self, uri: str, base: str) -> type[Machine]:
        """The served application `uri` names, else the document at that path."""
        if uri.startswith(("http:", "https:")):
            raise ValueError("documents are not fetched over HTTP: name a file")
        text = uri.removeprefix("file://") if uri.startswith("file://") else uri
        text = text.removeprefix("file:")
        found = self.names.get(text)
        if found is not None:
            return found
        path = Path(text)
        if not path.is_absolute() and base:
            path = Path(base).parent / path
        found = self.names.get(str(path.resolve()))
        if found is not None:
            return found
        if not path.is_file():
            raise FileNotFoundError(f"no document {text}")
        return load(path, self.options)


def serve(
    applications: Sequence[str],
    options: Options,
    *,
    host: str,
    port: int,
    scenario_path: str | None,
    trace: bool,
) -> int:
    """Compile, provision and serve until interrupted; the exit status (1 for
    compile or scenario errors)."""
    try:
        scenario = load_scenario(scenario_path) if scenario_path else None
        served = {path: load(path, options) for path in applications}
        provisioned = {
            resource: load(path, options)
            for resource, path in (scenario.applications if scenario else {}).items()
        }
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return 1
    except CompileError as error:
        for diagnostic in error.diagnostics:
            print(diagnostic, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"scxmlc serve: {error}", file=sys.stderr)
        return 1
    resolver = Applications(served, options)
    main = next(iter(served.values()))
    try:
        names = ", ".join(Path(path).name for path in applications)
        asyncio.run(
            _serve(resolver, main, provisioned, scenario, host, port, trace, names)
        )
    except KeyboardInterrupt:
        pass
    except OSError as error:  # the address is taken, or cannot be bound
        print(f"scxmlc serve: {error}", file=sys.stderr)
        return 1
    print("scxmlc serve: stopped", file=sys.stderr)
    return 0


async def _serve(
    resolver: Applications,
    main: type[Machine],
    provisioned: dict[str, type[Machine]],
    scenario: Scenario | None,
    host: str,
    port: int,
    trace: bool,
    served: str,
) -> None:
    """Serve until SIGTERM (or, through `asyncio.run`, Ctrl-C)."""
    server = simulated_server(
        resolver,
        config=scenario.config if scenario is not None else None,
        host=host,
        port=port,
    )
    if trace:
        server.platform.trace.listen(_print_entry)
    if scenario is not None:
        _provision(server, main, provisioned, scenario)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        print(f"scxmlc serve: listening on {server.url} ({served})", flush=True)
        if scenario is not None:
            play_timeline(server.platform, scenario.timeline)
        await stop.wait()


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
