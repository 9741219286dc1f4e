"""The `scxmlc` command: compile, check and run SCXML documents.

    scxmlc compile FILE... -o DIR     write one Python module per document
                                      (--native: and its C extension)
    scxmlc check FILE...              the build-time lint: diagnostics, type errors
                                      included (mypy --strict on the generated
                                      module, mapped back to the document); what can
                                      never succeed when run is an error; exit 1 on
                                      any error
    scxmlc run FILE [--event NAME[=JSON] | --wait SECONDS]... [--json]
                                      start a session, send the events in order
                                      (--wait lets virtual time pass), print the trace
    scxmlc run FILE --scenario S.yaml [--json] [--fail-on-error [--allow-error EVENT]...]
                                      run the application against the simulated
                                      contact center at the scenario's routing
                                      points (stderr says which document serves
                                      which); print the trace and a summary; exit 3
                                      if the run failed (docs/scenario.md)
    scxmlc serve APP... [--host H] [--port P] [--scenario S.yaml] [--trace]
                 [--store URL [--node NAME] [--passivate-after SECONDS]]
                 [--credentials-file F] [--tls-cert C --tls-key K] [--root DIR]...
                 [--allow-runtime-documents]
                                      the ORS session server (REST API and Basic
                                      HTTP) over the simulated contact center,
                                      until interrupted; without credentials on
                                      loopback only
    scxmlc new DIR [--kind composer|python]
                                      start a project in a new or empty folder:
                                      an application, a scenario and its test

Diagnostics go to stderr as `file:line:col: severity: message` (`file: error:
message` for a problem with the whole file, such as `app.scxml: error: no such
file`), coloured on a terminal (`terminal`). `check` ends with a summary line,
`3 documents, 0 errors, 2 warnings`. A valid document always compiles; what the
compiler cannot prove right is a warning (and `error.execution` when it runs).
`--strict` makes every warning an error. `scxmlc --version` prints the installed
version. Exit codes: 0 on success, 1 when a document has errors, 2 for usage
errors; a bare `scxmlc` is one, and prints the help on stderr; 3 when `run`
failed (stopped on a runtime error; with `--fail-on-error`, error events in the
trace or an abnormal end).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import Compilation, CompileError, Options, compile_path
from ..diagnostics import Diagnostic, Loc
from ..render import InternalError
from . import terminal

__all__ = ["main"]


def _options(args: argparse.Namespace) -> Options:
    return Options(
        strict=args.strict,
        default_datamodel=args.datamodel,
        native=getattr(args, "native", False),
    )


def _report(diagnostics: Sequence[Diagnostic]) -> None:
    terminal.report(diagnostics)


def _compile(path: str, options: Options) -> Compilation | None:
    """Compile `path`, reporting its diagnostics; None if it has errors."""
    try:
        compilation = compile_path(path, options)
    except CompileError as error:
        _report(error.diagnostics)
        return None
    except InternalError as error:
        print(f"{path}: internal error: {error}", file=sys.stderr)
        return None
    _report(compilation.warnings)
    return compilation


def _lint(path: str, options: Options) -> tuple[Compilation | None, list[Diagnostic]]:
    """Compile `path` as `scxmlc check` does: the compilation (None if it has
    errors) and its diagnostics, in which a warning about code that can never
    succeed when run is an error."""
    try:
        compilation = compile_path(path, options)
    except CompileError as error:
        return None, linted(error.diagnostics)
    except InternalError as error:
        return None, [Diagnostic(Loc(path, 0, 0), "error", f"internal error: {error}")]
    found = linted(compilation.warnings)
    if any(d.severity == "error" for d in found):
        return None, found
    return compilation, found


def linted(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics as `scxmlc check` reports them: a warning about code that can
    never succeed when run is an error."""
    return [
        d.as_error() if d.certain and d.severity == "warning" else d
        for d in diagnostics
    ]


def module_name(path: str) -> str:
    """The module file name generated for `path` (`call-flow.scxml` -> `call_flow.py`)."""
    from ..naming import identifier

    return identifier(Path(path).stem) + ".py"


def command_compile(args: argparse.Namespace) -> int:
    options = _options(args)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    status = 0
    for path in terminal.each(args.files, "compiling"):
        compilation = _compile(path, options)
        if compilation is None:
            status = 1
            continue
        target = output / module_name(path)
        target.write_text(compilation.source, encoding="utf-8")
        print(f"{path} -> {target} (class {compilation.class_name})")
        if options.native:
            _compile_native(path, target)
    return status


def _compile_native(path: str, target: Path) -> None:
    """Build the native module of the generated module `target` beside it
    and say what it wrote; where it cannot, a one-line note (the pure module
    stays, and is what imports). The extension reads its source lines for
    tracebacks and error locations from the `.py` beside it, found through
    `sys.path` as the extension is: the folder can move."""
    from .. import native

    try:
        build = native.runtime_build()
        library, module = native.build_extension(
            target, target.parent, build, portable=True
        )
    except native.NativeUnavailable as error:
        native.note(str(error))
        return
    print(f"{path} -> {module} + {library.name} (native)")


def command_check(args: argparse.Namespace) -> int:
    """Report every document's diagnostics, then the summary line; 1 on any error."""
    options = _options(args)
    found: list[Diagnostic] = []
    for path in terminal.each(args.files, "checking"):
        compilation, diagnostics = _lint(path, options)
        if compilation is not None and args.typecheck:
            from ..typecheck import typecheck_module

            diagnostics += typecheck_module(compilation.source, path)
        _report(diagnostics)
        found += diagnostics
    errors = sum(d.severity == "error" for d in found)
    warnings = sum(d.severity == "warning" for d in found)
    style = "bold red" if errors else "bold yellow" if warnings else "bold green"
    terminal.say(terminal.summary(len(args.files), errors, warnings), style=style)
    return 1 if errors else 0


def _parse_event(text: str) -> tuple[str, Any]:
    name, separator, payload = text.partition("=")
    if not separator:
        return name, None
    try:
        return name, json.loads(payload)
    except json.JSONDecodeError as error:
        raise SystemExit(
            f"scxmlc run: --event {name}: data is not JSON: {error}"
        ) from None


def command_run(args: argparse.Namespace) -> int:
    if args.scenario is not None:
        if args.steps:
            raise SystemExit("scxmlc run: --event and --wait do not go with --scenario")
        from .simulate import run_scenario

        return run_scenario(
            args.file,
            args.scenario,
            _options(args),
            as_json=args.json,
            fail_on_error=args.fail_on_error,
            allowed_errors=args.allowed_errors,
            html=args.html,
        )
    from scxmlc.runtime import Event, Machine, MicroStep, Observer, VirtualClock
    from scxmlc.runtime.ors.trace import datamodel_data, microstep_data

    from .simulate import EXIT_FAILED, compile_reporting

    steps = [
        (kind, _parse_event(value) if kind == "event" else (value, None))
        for kind, value in args.steps
    ]
    try:
        machine_class = compile_reporting(Path(args.file), _options(args))
    except CompileError as error:
        _report(error.diagnostics)
        return 1
    trace: list[dict[str, Any]] = []

    class Tracer(Observer):
        def on_event(self, machine: Machine, event: Event) -> None:
            trace.append(
                {
                    "session": machine._name,
                    "event": event.name,
                    "data": _jsonable(event.data),
                }
            )

        def on_log(self, machine: Machine, label: str | None, value: Any) -> None:
            trace.append(
                {
                    "session": machine._name,
                    "log": label or "",
                    "value": _jsonable(value),
                }
            )

        def on_error(
            self, machine: Machine, event: Event, error: BaseException | None
        ) -> None:
            trace.append(
                {
                    "session": machine._name,
                    "error": event.name,
                    "message": str(error or ""),
                }
            )

        def on_microstep(self, machine: Machine, step: MicroStep) -> None:
            trace.append({"session": machine._name, **microstep_data(step)})

    def snapshot(after: str) -> None:
        trace.append({"after": after, "configuration": sorted(machine.configuration)})
        if args.html:
            trace[-1]["datamodel"] = datamodel_data(machine)

    clock = VirtualClock()
    machine = machine_class(clock, observer=Tracer())
    machine.start()
    snapshot("start")
    for kind, (name, data) in steps:
        if kind == "wait":
            clock.advance(float(name))
            snapshot(f"{float(name):g}s")
        else:
            machine.send(name, data)
            snapshot(name)
    result = {
        "trace": trace,
        "configuration": sorted(machine.configuration),
        "finished": machine.finished,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_trace(result)
    if args.html:
        from .html import steps_from_run, write_page

        if write_page(args.file, steps_from_run(trace), args.html):
            return 1
    if args.fail_on_error and _failed(trace, args.allowed_errors):
        return EXIT_FAILED
    return 0


def _failed(trace: list[dict[str, Any]], allowed: Sequence[str]) -> bool:
    """Whether a session's trace holds an error event `allowed` does not
    match, saying so on stderr (`run --fail-on-error` without a scenario)."""
    from .simulate import error_allowed

    errors = [
        entry.get("error") or entry["event"]
        for entry in trace
        if "error" in entry or str(entry.get("event", "")).startswith("error.")
    ]
    failed = [name for name in errors if not error_allowed(name, allowed)]
    for name in failed:
        print(f"scxmlc run: error event {name}", file=sys.stderr)
    return bool(failed)


def command_graph(args: argparse.Namespace) -> int:
    from .graph import command_graph as graph

    return graph(args.file, args.output)


def command_new(args: argparse.Namespace) -> int:
    from .new import command_new as new

    return new(args.directory, args.kind)


def command_serve(args: argparse.Namespace) -> int:
    from scxmlc.runtime import Budget

    from .serve import Access, Limits, Persistence, serve

    durable: dict[str, Any] = {
        field: value
        for field, value in (
            ("node", args.node),
            ("passivate_after", args.passivate_after),
            ("lease_ttl", args.lease_ttl),
            ("ttl", args.store_ttl),
            ("cluster", args.cluster),
        )
        if value is not None
    }
    if durable and args.store is None:
        print(
            "scxmlc serve: --node, --passivate-after, --lease-ttl, --store-ttl "
            "and --cluster need --store",
            file=sys.stderr,
        )
        return 1
    budget = None
    if args.budget_seconds is not None or args.budget_microsteps is not None:
        default = Budget()
        budget = Budget(
            microsteps=args.budget_microsteps or default.microsteps,
            seconds=args.budget_seconds or default.seconds,
        )
    return serve(
        args.files,
        _options(args),
        host=args.host,
        port=args.port,
        scenario_path=args.scenario,
        trace=args.trace,
        access=Access(
            credentials_file=args.credentials_file,
            tls_cert=args.tls_cert,
            tls_key=args.tls_key,
            roots=tuple(args.roots),
            allow_runtime_documents=args.allow_runtime_documents,
            advertise_url=args.advertise_url,
        ),
        limits=Limits(
            allowed_origins=tuple(args.allowed_origins),
            max_sessions=args.max_sessions,
            max_sessions_per_caller=args.max_sessions_per_caller,
            idle_timeout=args.idle_timeout,
            max_queued_events=args.max_queued_events,
            max_body_size=args.max_body_size,
            budget=budget,
        ),
        persistence=Persistence(url=args.store, **durable),
    )


def _print_trace(result: dict[str, Any]) -> None:
    for entry in result["trace"]:
        if "after" in entry:
            print(f"after {entry['after']}: [{', '.join(entry['configuration'])}]")
        elif "event" in entry:
            data = f" {json.dumps(entry['data'])}" if entry["data"] is not None else ""
            print(f"  event {entry['event']}{data}")
        elif "step" in entry:
            print(f"  {_step_text(entry)}")
        elif "log" in entry:
            print(f"  log {entry['log']}: {json.dumps(entry['value'])}")
        else:
            print(f"  {entry['error']}: {entry['message']}")
    state = "finished" if result["finished"] else "running"
    print(f"final configuration ({state}): [{', '.join(result['configuration'])}]")


def _step_text(entry: dict[str, Any]) -> str:
    """A microstep of `run`'s trace: `step s1 -> s2; exit s1; enter s2`."""
    taken = ", ".join(
        f"{t['source'] or 'scxml'} -> {' '.join(t['targets']) or '(targetless)'}"
        for t in entry["transitions"]
    )
    return (
        f"step {taken}; exit {' '.join(entry['exited']) or '-'}; "
        f"enter {' '.join(entry['entered']) or '-'}"
    )


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _positive_int(text: str) -> int:
    """An argument that must be a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return value


def _positive_seconds(text: str) -> float:
    """An argument that must be a finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


class _Step(argparse.Action):
    """Keeps --event and --wait in the order they were given."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        kind = "wait" if option_string == "--wait" else "event"
        if kind == "wait":
            try:
                float(str(values))
            except ValueError:
                parser.error(f"--wait: {values!r} is not a number of seconds")
        steps = list(getattr(namespace, self.dest, None) or [])
        steps.append((kind, str(values)))
        setattr(namespace, self.dest, steps)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="scxmlc",
        description="Compile SCXML statecharts into typed Python modules.",
        epilog="'scxmlc COMMAND --help' tells a command's options; docs/tutorial.md "
        "takes a first project from an empty folder to a routed call.",
    )
    top.add_argument("--version", action="version", version=f"scxmlc {_version()}")
    commands = top.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--datamodel",
            default="null",
            help="datamodel of documents that name none (default: null)",
        )
        sub.add_argument(
            "--strict",
            action="store_true",
            help="treat every warning as an error",
        )

    compile_ = commands.add_parser(
        "compile", help="compile documents to Python modules"
    )
    compile_.add_argument("files", nargs="+", metavar="FILE")
    compile_.add_argument("-o", "--output", required=True, metavar="DIR")
    compile_.add_argument(
        "--native",
        action="store_true",
        help="also build each module as a C extension with mypyc, against the "
        "native runtime (it imports in place of the .py beside it)",
    )
    common(compile_)
    compile_.set_defaults(run=command_compile)

    check = commands.add_parser(
        "check", help="report diagnostics, type errors included; write nothing"
    )
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument(
        "--no-typecheck",
        dest="typecheck",
        action="store_false",
        help="skip type-checking the generated module with mypy --strict",
    )
    common(check)
    check.set_defaults(run=command_check)

    run = commands.add_parser("run", help="run a session and print its trace")
    run.add_argument("file", metavar="FILE")
    run.add_argument(
        "--event",
        dest="steps",
        action=_Step,
        default=[],
        metavar="NAME[=JSON]",
        help="send an external event (repeatable)",
    )
    run.add_argument(
        "--wait",
        dest="steps",
        action=_Step,
        metavar="SECONDS",
        help="let virtual time pass, firing due timers (repeatable)",
    )
    run.add_argument(
        "--scenario",
        metavar="YAML",
        help="run against the simulated contact center driven by this scenario",
    )
    run.add_argument("--json", action="store_true", help="print the trace as JSON")
    run.add_argument(
        "--fail-on-error",
        action="store_true",
        help="exit 3 when the trace holds error events (error.*) or the run ends "
        "abnormally (a session left waiting for nothing, timers past the limit)",
    )
    run.add_argument(
        "--allow-error",
        dest="allowed_errors",
        action="append",
        default=[],
        metavar="EVENT",
        help="with --fail-on-error, error events this descriptor matches do not "
        "fail the run (error.queue.submit, error.dialog; repeatable)",
    )
    run.add_argument(
        "--html",
        metavar="PAGE",
        help="also write the run as one self-contained HTML page: the chart, "
        "stepped through event by event",
    )
    common(run)
    run.set_defaults(run=command_run)

    serve = commands.add_parser(
        "serve", help="serve applications over the ORS REST API until interrupted"
    )
    serve.add_argument("files", nargs="+", metavar="APP")
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="default: 127.0.0.1; an address that is not loopback needs credentials",
    )
    serve.add_argument(
        "--port", type=int, default=8080, help="default: 8080; 0 for any free port"
    )
    serve.add_argument(
        "--scenario",
        metavar="YAML",
        help="configure the simulated contact center and play its timeline",
    )
    serve.add_argument(
        "--trace", action="store_true", help="print the trace as it happens"
    )
    serve.add_argument(
        "--credentials-file",
        metavar="PATH",
        help="credentials every request must give, one a line: 'bearer TOKEN' "
        "(16 characters or more) or 'basic USER:PASSWORD' (password: 8 or "
        "more); also $SCXMLC_SERVE_TOKEN (a token) and $SCXMLC_SERVE_BASIC "
        "(USER:PASSWORD). Without any, only a loopback --host is served",
    )
    serve.add_argument(
        "--tls-cert", metavar="CERT", help="serve HTTPS with this PEM certificate"
    )
    serve.add_argument(
        "--tls-key", metavar="KEY", help="the PEM private key of --tls-cert"
    )
    serve.add_argument(
        "--root",
        dest="roots",
        action="append",
        default=[],
        metavar="DIR",
        help="a directory whose .scxml documents src may name besides the APPs "
        "(repeatable; by default none)",
    )
    serve.add_argument(
        "--allow-runtime-documents",
        action="store_true",
        help="compile documents of run-time data (<invoke><content expr>), "
        "ecmascript and null datamodels only (default: refused)",
    )
    serve.add_argument(
        "--allow-origin",
        dest="allowed_origins",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="an origin (scheme://host[:port], :* for any port) Basic HTTP "
        "<send>s may post to besides the server's own (repeatable; by default "
        "none)",
    )
    durable = serve.add_argument_group(
        "durable sessions", "docs/persistence.md and docs/ors.md tell what survives"
    )
    durable.add_argument(
        "--store",
        metavar="URL",
        help="keep every session in this store: sqlite:PATH (no server needed), "
        "redis://HOST:PORT/DB, redis+cluster://HOST:PORT, memory: (default: "
        "nothing is persisted)",
    )
    durable.add_argument(
        "--node",
        metavar="NAME",
        help="this server's node name in the store; one process per name "
        "(default: scxmlc)",
    )
    durable.add_argument(
        "--passivate-after",
        type=_positive_seconds,
        metavar="SECONDS",
        help="a session without an event this long leaves memory until an event, "
        "a timer or a call needs it (with --store; default: never)",
    )
    durable.add_argument(
        "--lease-ttl",
        type=_positive_seconds,
        metavar="SECONDS",
        help="how long the node's lease in the store lasts, renewed every "
        "third of it; without a renewal the node stops serving (503) after "
        "80%% of it, by its own clock (default 30)",
    )
    durable.add_argument(
        "--store-ttl",
        type=_positive_seconds,
        metavar="SECONDS",
        help="a session nobody saves or sends to is dropped from the store "
        "after this long (default 172800)",
    )
    durable.add_argument(
        "--cluster",
        metavar="NAME",
        help="the store's key prefix ORS:NAME: (default: scxmlc)",
    )
    durable.add_argument(
        "--advertise-url",
        metavar="URL",
        help="the address callers reach the server by, scheme://host[:port] "
        "(a load balancer in front of a cluster's nodes): Basic HTTP access "
        "URIs and _ioprocessors name it, so they outlive the node that made "
        "them (default: where the server listens)",
    )
    limits = serve.add_argument_group(
        "limits", "each refusal names its limit; docs/security.md lists them all"
    )
    limits.add_argument(
        "--max-sessions",
        type=_positive_int,
        metavar="N",
        help="sessions running at once (default 10000; more: 503)",
    )
    limits.add_argument(
        "--max-sessions-per-caller",
        type=_positive_int,
        metavar="N",
        help="running sessions one caller started (default 1000; more: 429)",
    )
    limits.add_argument(
        "--idle-timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help="a session without an event this long is terminated (default 86400)",
    )
    limits.add_argument(
        "--max-queued-events",
        type=_positive_int,
        metavar="N",
        help="events waiting for one session, in its queue and, with --store, "
        "on their way through the store (default 1000; more: 503)",
    )
    limits.add_argument(
        "--max-body-size",
        type=_positive_int,
        metavar="BYTES",
        help="request body size (default 1048576; more: 413)",
    )
    limits.add_argument(
        "--budget-seconds",
        type=_positive_seconds,
        metavar="SECONDS",
        help="wall time of one macrostep of a session (default 2)",
    )
    limits.add_argument(
        "--budget-microsteps",
        type=_positive_int,
        metavar="N",
        help="microsteps of one macrostep of a session (default 100000)",
    )
    common(serve)
    serve.set_defaults(run=command_serve)

    new = commands.add_parser(
        "new", help="start a project: an application, a scenario and a test"
    )
    new.add_argument("directory", metavar="DIR", help="a new or empty folder")
    new.add_argument(
        "--kind",
        choices=["composer", "python"],
        default="composer",
        help="composer: an ECMAScript application in Composer's shape (a main "
        "document, a workflow, a JavaScript library); python: one document in "
        "the python datamodel (default: composer)",
    )
    new.set_defaults(run=command_new)

    graph = commands.add_parser(
        "graph", help="draw a statechart (SVG, PNG or Mermaid by OUT's extension)"
    )
    graph.add_argument("file", metavar="FILE")
    graph.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="the picture to write: .svg or .png (Graphviz), .mmd (Mermaid)",
    )
    graph.set_defaults(run=command_graph)
    return top


def _version() -> str:
    """The installed package's version (`0.1.0`)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scxmlc")
    except PackageNotFoundError:  # pragma: no cover - a checkout never installed
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command of `argv` (default: the process's arguments); the exit
    status. Without a command, the help goes to stderr and the status is 2;
    interrupted (Ctrl-C), a command stops without a traceback, status 130."""
    top = parser()
    args = top.parse_args(argv)
    if args.command is None:
        top.print_help(sys.stderr)
        return 2
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        print("scxmlc: interrupted", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
