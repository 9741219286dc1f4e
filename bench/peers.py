"""One adapter per implementation: build a checked-and-timed :class:`Subject` per chart.

Every adapter imports its library lazily, so a missing peer only skips its rows.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.charts import atomic_state_ids, chart_path, handwritten
from bench.subject import BData, Implementation, Machine, SendFn, Subject, Unavailable

SISMIC_YAML: Path = Path(__file__).resolve().parent / "sismic_yaml"
_YAML_NAMES: dict[str, str] = {"A": "ping_pong", "B": "hierarchical", "C": "parallel"}


def _import(module: str, install_hint: str) -> Any:
    """Import ``module`` or raise :class:`Unavailable` with an install hint."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Unavailable(f"{module} not importable ({exc}); {install_hint}") from exc


def _bound_send(machine: Machine) -> SendFn:
    """``machine.send`` as a bound method (no wrapper call in the timed loop)."""
    send: SendFn = machine.send
    return send


def _attrs_b_data(machine: Machine) -> BData:
    """Chart B datamodel kept as attributes ``count``, ``entries``, ``exits``."""
    return (machine.count, machine.entries, machine.exits)


def _attrs_set_count(machine: Machine, value: int) -> None:
    """Set chart B's ``count`` kept as an attribute."""
    machine.count = value


# ----------------------------------------------------------------- hand-written
_HANDWRITTEN_CLASSES: dict[str, dict[str, str]] = {
    "dict": {"A": "PingPongDict", "B": "HierDict", "C": "ParDict"},
    "if/elif": {"A": "PingPongIf", "B": "HierIf", "C": "ParIf"},
    "rtc": {"A": "PingPongRTC", "B": "HierRTC", "C": "ParRTC"},
}


def _handwritten_leaves(chart: str) -> Callable[[Machine], frozenset[str]]:
    """Decode the integer state(s) of a hand-written machine into leaf ids."""
    if chart == "A":
        return lambda m: frozenset((handwritten.A_NAMES[m.state],))
    if chart == "B":
        return lambda m: frozenset((handwritten.B_NAMES[m.state],))
    names = handwritten.C_NAMES
    return lambda m: frozenset((names[0][m.r1], names[1][m.r2], names[2][m.r3]))


def _handwritten(variant: str) -> Callable[[str], Subject]:
    """Adapter factory for one variant of ``handwritten.py`` (the constructor starts it)."""

    def build(chart: str) -> Subject:
        cls = getattr(handwritten, _HANDWRITTEN_CLASSES[variant][chart])
        is_b = chart == "B"
        return Subject(
            chart=chart,
            new=cls,
            sender=_bound_send,
            leaves=_handwritten_leaves(chart),
            b_data=_attrs_b_data if is_b else None,
            set_count=_attrs_set_count if is_b else None,
        )

    return build


# ----------------------------------------------------------------------- scxmlc
#: Where the ECMAScript copies of the charts are written: a fixed place, because
#: scxmlc's cache is keyed on the document's path, so that a second process (a later
#: round of bench/run.py) finds the module compiled by the first.
ECMASCRIPT_CHARTS: Path = Path(tempfile.gettempdir()) / "scxmlc-bench-ecmascript"


def runtime_is_native() -> bool:
    """Whether the imported ``scxmlc.runtime`` runs its compiled core.

    ``scxmlc.runtime.NATIVE`` says so where the runtime has it; an older runtime
    (a tree measured with ``--pure-tree``) is native if its machine module is an
    extension module.
    """
    runtime = _import("scxmlc.runtime", "install the project with `pip install -e .`")
    native = getattr(runtime, "NATIVE", None)
    if native is not None:
        return bool(native)
    return is_extension(importlib.import_module("scxmlc.runtime.machine"))


def is_extension(module: ModuleType) -> bool:
    """True if ``module`` was loaded from a compiled extension (``.so``, ``.pyd``)."""
    return str(getattr(module, "__file__", "")).endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES)
    )


def ecmascript_chart(chart: str) -> Path:
    """The shared chart with only its ``datamodel`` attribute switched to ECMAScript.

    The charts' expressions (``count < N``, ``count + 1``) mean the same in both
    languages. The copy is written to :data:`ECMASCRIPT_CHARTS` (the shared charts
    are never copied into the project), and rewritten only when its text changed.
    """
    text = chart_path(chart).read_text(encoding="utf-8")
    converted = text.replace('datamodel="python"', 'datamodel="ecmascript"')
    if converted == text:
        raise Unavailable('the chart does not declare datamodel="python"')
    path = ECMASCRIPT_CHARTS / chart_path(chart).name
    if not path.is_file() or path.read_text(encoding="utf-8") != converted:
        ECMASCRIPT_CHARTS.mkdir(parents=True, exist_ok=True)
        staged = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        staged.write_text(converted, encoding="utf-8")
        staged.replace(path)  # atomic: another process may be reading it
    return path


def build_scxmlc(chart: str) -> Subject:
    """scxmlc: ``scxmlc.load(path)`` returns a class; ``m = cls(); m.start()``.

    ``m.send(event)`` processes one external event to completion, ``m.configuration``
    is a frozenset of the ids of all active states (filtered here to the atomic ones
    the SCXML file declares) and chart B's datamodel is ``m.dm.count/entries/exits``
    (in the ECMAScript datamodel, slots of its record, or items of the ``_data``
    dict where the document names ``_data``).
    """
    return _scxmlc_subject(chart, chart_path(chart), native_module=False)


def build_scxmlc_ecmascript(chart: str) -> Subject:
    """scxmlc with the chart's datamodel switched to ECMAScript (see ecmascript_chart)."""
    return _scxmlc_subject(chart, ecmascript_chart(chart), native_module=False)


def scxmlc_builder(
    datamodel: str, *, native_runtime: bool, native_module: bool
) -> Callable[[str], Subject]:
    """Adapter factory: scxmlc on the runtime and with the module kind given.

    The runtime is whatever this process imported (``SCXMLC_PURE=1`` in its
    environment makes it the pure one): a row that needs the other kind is
    :class:`Unavailable`, as is a native module where ``scxmlc.load(path,
    native=True)`` cannot build one.
    """

    def build(chart: str) -> Subject:
        native = runtime_is_native()
        if native_runtime and not native:
            raise Unavailable(
                "the runtime core is not compiled here (scxmlc.runtime.NATIVE is "
                "False): install the package where mypyc and a C compiler work"
            )
        if native and not native_runtime:
            raise Unavailable(
                "the compiled runtime core was imported despite SCXMLC_PURE=1"
            )
        path = (
            ecmascript_chart(chart) if datamodel == "ecmascript" else chart_path(chart)
        )
        return _scxmlc_subject(chart, path, native_module=native_module)

    return build


def _load_class(path: Path, native_module: bool) -> tuple[Any, float]:
    """``scxmlc.load(path)`` (``native=True`` for a native module) and its seconds."""
    scxmlc = _import("scxmlc", "install the project with `pip install -e .`")
    importlib.import_module("scxmlc.compiler.loader")  # not part of the time to load
    options = {"native": True} if native_module else {}
    started = time.perf_counter()
    try:
        cls = scxmlc.load(str(path), **options)
    except Exception as exc:
        raise Unavailable(f"scxmlc.load raised {type(exc).__name__}: {exc}") from exc
    seconds = time.perf_counter() - started
    if native_module and not is_extension(sys.modules[cls.__module__]):
        raise Unavailable("scxmlc.load(path, native=True) returned a pure module")
    return cls, seconds


def _scxmlc_subject(chart: str, path: Path, *, native_module: bool) -> Subject:
    cls, load_seconds = _load_class(path, native_module)
    atomic = atomic_state_ids(chart)

    def new() -> Machine:
        machine = cls()
        machine.start()
        return machine

    def leaves(machine: Machine) -> frozenset[str]:
        return frozenset(machine.configuration) & atomic

    def b_data(machine: Machine) -> BData:
        dm = machine.dm
        if isinstance(dm, dict):  # ECMAScript's _data, where the chart names it
            return (dm["count"], dm["entries"], dm["exits"])
        return (dm.count, dm.entries, dm.exits)

    def set_count(machine: Machine, value: int) -> None:
        machine._set_data("count", value)

    is_b = chart == "B"
    return Subject(
        chart=chart,
        new=new,
        sender=_bound_send,
        leaves=leaves,
        b_data=b_data if is_b else None,
        set_count=set_count if is_b else None,
        load_seconds=load_seconds,
    )


# ---------------------------------------------------------- python-statemachine
_PSM_HINT = "pip install 'python-statemachine>=3'"


def _psm_leaves(machine: Machine) -> frozenset[str]:
    """Ids of the active atomic states of a python-statemachine ``StateChart``."""
    return frozenset(state.id for state in machine.configuration if state.is_atomic)


def build_psm_scxml(chart: str) -> Subject:
    """python-statemachine's SCXML loader (``statemachine.io.load``) on the chart file.

    Loaded with the library defaults (``trusted=False``: restricted expression
    evaluator). The datamodel lives on ``machine.model``.
    """
    psm_io = _import("statemachine.io", _PSM_HINT)
    cls = psm_io.load(chart_path(chart))

    def b_data(machine: Machine) -> BData:
        return _attrs_b_data(machine.model)

    def set_count(machine: Machine, value: int) -> None:
        machine.model.count = value

    is_b = chart == "B"
    return Subject(
        chart=chart,
        new=cls,
        sender=_bound_send,
        leaves=_psm_leaves,
        b_data=b_data if is_b else None,
        set_count=set_count if is_b else None,
    )


def build_psm_native(chart: str) -> Subject:
    """python-statemachine ``StateChart`` classes written by hand (bench/psm_native.py)."""
    _import("statemachine", _PSM_HINT)
    from bench.psm_native import CHART_CLASSES

    is_b = chart == "B"
    return Subject(
        chart=chart,
        new=CHART_CLASSES[chart],
        sender=_bound_send,
        leaves=_psm_leaves,
        b_data=_attrs_b_data if is_b else None,
        set_count=_attrs_set_count if is_b else None,
    )


# ----------------------------------------------------------------------- sismic
def build_sismic(chart: str) -> Subject:
    """sismic: the chart as sismic YAML (bench/sismic_yaml/) run by its Python evaluator.

    Sending an event is ``interpreter.queue(event)`` then ``interpreter.execute_once()``
    (one macro step: these charts raise no internal events, so one step processes the
    event to completion). Starting is the first ``execute_once()``. The guarded ``e3``
    has ``priority: high`` so that it wins over the unguarded fallback (sismic has no
    document order: two enabled transitions of one state are otherwise non-deterministic).
    """
    sismic_io = _import("sismic.io", "pip install sismic")
    sismic_interpreter = _import("sismic.interpreter", "pip install sismic")
    sismic_model = _import("sismic.model", "pip install sismic")
    statechart = sismic_io.import_from_yaml(
        filepath=SISMIC_YAML / f"{_YAML_NAMES[chart]}.yaml"
    )
    interpreter_cls = sismic_interpreter.Interpreter
    atomic = frozenset(
        name
        for name in statechart.states
        if isinstance(statechart.state_for(name), sismic_model.BasicState)
    )

    def new() -> Machine:
        interpreter = interpreter_cls(statechart)
        interpreter.execute_once()
        return interpreter

    def sender(interpreter: Machine) -> SendFn:
        queue = interpreter.queue
        execute_once = interpreter.execute_once

        def send(event: str) -> None:
            queue(event)
            execute_once()

        return send

    def leaves(interpreter: Machine) -> frozenset[str]:
        return frozenset(interpreter.configuration) & atomic

    def b_data(interpreter: Machine) -> BData:
        context = interpreter.context
        return (context["count"], context["entries"], context["exits"])

    def set_count(interpreter: Machine, value: int) -> None:
        interpreter.context["count"] = value  # the evaluator's live context dict

    is_b = chart == "B"
    return Subject(
        chart=chart,
        new=new,
        sender=sender,
        leaves=leaves,
        b_data=b_data if is_b else None,
        set_count=set_count if is_b else None,
        note=(
            "the guarded e3 has `priority: high` over its fallback (sismic has no document "
            "order); send = queue(event) + execute_once()"
            if is_b
            else ""
        ),
    )


# ------------------------------------------------------------------ transitions
def build_transitions(chart: str) -> Subject:
    """transitions: ``Machine`` for A, ``HierarchicalMachine`` for B and C.

    See bench/transitions_machines.py for how each chart is written.
    """
    _import("transitions", "pip install transitions")
    from bench.transitions_machines import MACHINE_CLASSES, leaf_names

    cls = MACHINE_CLASSES[chart]
    separator: str = getattr(cls.state_cls, "separator", "_")

    def sender(machine: Machine) -> SendFn:
        trigger: SendFn = machine.trigger
        return trigger

    def leaves(machine: Machine) -> frozenset[str]:
        return leaf_names(machine.state, separator)

    is_b = chart == "B"
    kind = "Machine" if chart == "A" else "HierarchicalMachine"
    return Subject(
        chart=chart,
        new=cls,
        sender=sender,
        leaves=leaves,
        b_data=_attrs_b_data if is_b else None,
        set_count=_attrs_set_count if is_b else None,
        note=(
            f"{kind}; started by an explicit `start` transition (the constructor does not "
            "run the initial state's entry callbacks)"
            + (
                "; the e1 action runs after the entries, not between exits and entries"
                if is_b
                else ""
            )
        ),
    )


# --------------------------------------------------------------------- registry
BASELINE = "hand-written dict (baseline)"
"""The row every ratio is against (measured in the same process as the row)."""
IF_ELIF = "hand-written if/elif"
"""The second reference: every process measures it too, for the ratio to it."""


def reference_implementations() -> tuple[Implementation, ...]:
    """The hand-written dict (baseline) and if/elif dispatchers, in that order."""
    return (
        Implementation(BASELINE, _handwritten("dict"), baseline=True, must_pass=True),
        Implementation(IF_ELIF, _handwritten("if/elif"), must_pass=True),
    )


def rtc_implementation() -> Implementation:
    """The hand-written dict with the run-to-completion guard."""
    return Implementation(
        "hand-written dict + RTC", _handwritten("rtc"), must_pass=True
    )


def scxmlc_implementations(
    title: str, *, native_runtime: bool, native_module: bool
) -> tuple[Implementation, ...]:
    """Two rows of scxmlc: the charts as they are, and with the ECMAScript datamodel."""
    return tuple(
        Implementation(
            name,
            scxmlc_builder(
                datamodel, native_runtime=native_runtime, native_module=native_module
            ),
            distribution="scxmlc",
            must_pass=True,
        )
        for name, datamodel in (
            (title, "python"),
            (f"{title}, ECMAScript", "ecmascript"),
        )
    )


def peer_implementations() -> tuple[Implementation, ...]:
    """The peer libraries' rows (a missing library skips its rows)."""
    psm = "python-statemachine"
    return (
        Implementation(
            "python-statemachine, SCXML loader", build_psm_scxml, distribution=psm
        ),
        Implementation(
            "python-statemachine, native StateChart", build_psm_native, distribution=psm
        ),
        Implementation(
            "sismic (YAML, Python evaluator)", build_sismic, distribution="sismic"
        ),
        Implementation("transitions", build_transitions, distribution="transitions"),
    )
