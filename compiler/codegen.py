"""Code generation: `ChartAnalysis` + datamodel -> the view model the templates render.

Input: the analysed chart of a document (and of the child documents its invokes
carry inline or by a literal `src`). Output: a `ModuleView` in which every name,
annotation, table entry and method body is already decided, so that the jinja2
templates only lay text out. Executable content becomes straight-line Python in
module-level functions named after the state or transition they belong to, each
statement under a `# file.scxml:LINE` comment, that take the session as `self`.
The chart's tables refer to those functions by their module names, and a fused
run calls each handler by name, so that a module compiled with mypyc makes direct
calls (a name in a class body is not visible to a compiled class's other
attributes).
"""

from __future__ import annotations

import ast
import hashlib
import json
import keyword
from collections.abc import Iterable
from dataclasses import dataclass, field

from scxmlc.runtime.chart import (
    ATOMIC,
    COMPOUND,
    DEEP_HISTORY,
    FINAL,
    PARALLEL,
    ROOT,
    SHALLOW_HISTORY,
)
from scxmlc.runtime.errors import ExecutionError
from scxmlc.runtime.io import parse_delay

from . import extensions, ir
from .analysis import ChartAnalysis, StateNode
from .datamodels import (
    SYSTEM_VARIABLES,
    DataField,
    DataRecord,
    Datamodel,
    ExtraMethod,
    datamodel_for,
)
from .events import accepted_events
from .diagnostics import Diagnostics, Loc
from .dispatch import Case, Dispatch, Step, plan_dispatch
from .fusion import handler_runs
from .naming import NameTable, class_name, comment_text, identifier
from .options import Options
from .planner import HandlerNames
from .walk import mentions

__all__ = ["MachineView", "MethodView", "ModuleView", "build_module"]

_KIND_NAMES = {
    ROOT: "ROOT",
    ATOMIC: "ATOMIC",
    COMPOUND: "COMPOUND",
    PARALLEL: "PARALLEL",
    FINAL: "FINAL",
    SHALLOW_HISTORY: "SHALLOW_HISTORY",
    DEEP_HISTORY: "DEEP_HISTORY",
}
_INDENT = "    "
_VALUE_NAMES = frozenset(
    {*SYSTEM_VARIABLES, *keyword.kwlist, "true", "false", "null", "undefined", "this"}
)
"""Plain names that are values of the datamodels' languages, never literal send ids."""


@dataclass
class MethodView:
    """One generated function or method: `def name(self<params>) -> returns:`
    and its body (`self` is annotated with the machine class in a function)."""

    name: str
    returns: str
    body: list[str]
    comment: str
    params: str = ""
    owner: int = -1
    """The state whose element it implements (a transition's source), by
    index; -1 before every state (the datamodel, global scripts)."""


@dataclass
class ConstantView:
    name: str
    value: str
    comment: str


@dataclass
class MachineView:
    """One machine class and its datamodel class."""

    class_name: str
    base: str
    """Its base class: `Machine`, or `ors.OrsMachine` for an ORS document."""
    data_class: str | None
    """The class of the datamodel's typed fields, if it has any."""
    data_doc: str
    fields: list[DataField]
    records: list[DataRecord]
    """Further classes of typed slots (ECMAScript's record of `<data>` values)."""
    docstring: str
    constants: list[ConstantView]
    functions: list[MethodView]
    """The handlers of the chart (executable content, conditions, values of
    invokes and donedata, fused runs): module-level functions before the class."""
    methods: list[MethodView]
    """Methods of the class: what overrides `Machine` (the datamodel's
    creation, global scripts) and the functions of the document's scripts."""
    states: list[str]
    transitions: list[str]
    chart_args: list[str]
    data_ids: list[str]
    source: str
    slots: list[tuple[str, str]] = field(default_factory=list)
    """Attributes the datamodel adds to the machine: (name, annotation)."""
    fingerprint: str = ""
    """sha256 of the layout a snapshot of the class depends on (`_layout`)."""
    persist: bool = True
    """False when the document says `<scxml _persist="false">`."""
    events: list[str] = field(default_factory=list)
    """The event names `send` accepts, declared as the `Literal` `events_alias`
    (none when any name is accepted: see `events.accepted_events`)."""
    events_alias: str | None = None


@dataclass
class ModuleView:
    """Everything the module template needs."""

    source: str
    version: str
    runtime_version: str
    docstring: str
    runtime_imports: list[str]
    machines: list[MachineView] = field(default_factory=list)
    main_class: str = ""
    native: bool = False
    """Whether the module is written to be compiled with mypyc: its classes hold
    only what mypyc compiles (see `build_module`)."""

    @property
    def exported(self) -> list[str]:
        names: list[str] = []
        for machine in self.machines:
            names.append(machine.class_name)
            if machine.data_class:
                names.append(machine.data_class)
            names += [record.name for record in machine.records]
            if machine.events_alias:
                names.append(machine.events_alias)
        return names

    @property
    def typing_imports(self) -> list[str]:
        """What the module imports from `typing`."""
        if not any(machine.events_alias for machine in self.machines):
            return ["Any", "Final"]
        typed = ["Any", "Final", "Literal", "TypeAlias"]
        return typed if self.native else ["TYPE_CHECKING", *typed]


def build_module(
    chart: ChartAnalysis,
    diagnostics: Diagnostics,
    *,
    version: str,
    runtime_version: str,
    options: Options,
    native: bool = False,
) -> ModuleView:
    """The module's view model for the analysed `chart` (and its children).

    `native`: the module is to be compiled with mypyc, which refuses an `if`
    in a class body. A chart with a closed set of events then declares its
    typed `send` as a real override that calls the base class's (a direct
    call once compiled), where a pure module declares it to type checkers
    alone (`if TYPE_CHECKING:`), which costs nothing at run time."""
    document = chart.document
    module_names = NameTable()
    machines: list[MachineView] = []
    imports: set[str] = {
        "Chart",
        "StateSpec",
        "TransitionSpec",
        "check_version",
    }
    main = _MachineBuilder(
        chart, diagnostics, module_names, machines, imports, options, None
    ).build()
    source = document.path.rsplit("/", 1)[-1]
    return ModuleView(
        source=source,
        version=version,
        runtime_version=runtime_version,
        docstring=f"State machine {main.chart_args[0]} compiled from {source}.",
        runtime_imports=sorted(imports),
        machines=machines,
        main_class=main.class_name,
        native=native,
    )


class _MachineBuilder:
    """Builds the view of one document's machine class (children first)."""

    def __init__(
        self,
        chart: ChartAnalysis,
        diagnostics: Diagnostics,
        module_names: NameTable,
        machines: list[MachineView],
        imports: set[str],
        options: Options,
        parent_class: str | None,
        suffix: str = "",
    ) -> None:
        self.chart = chart
        self.document = chart.document
        self.diag = diagnostics
        self.module_names = module_names
        self.machines = machines
        self.imports = imports
        self.options = options
        base = class_name(self.chart.name)
        if parent_class is not None:
            base = f"{parent_class}{suffix}"
        self.class_name = module_names.new(base)
        self.function_prefix = "" if parent_class is None else f"_{self.class_name}"
        """What the names of a child machine's functions start with (its class),
        so that they do not take the names of its parent's."""
        self.functions: list[MethodView] = []
        self.methods: list[MethodView] = []
        self.method_names = NameTable(
            {"start", "send", "configuration", "finished", "clock", "cancel"}
        )
        self.constants: list[ConstantView] = []
        self.onentry_names: dict[int, tuple[str, ...]] = {}
        self.onexit_names: dict[int, tuple[str, ...]] = {}
        self.content_names: dict[int, str] = {}
        self.cond_names: dict[int, str] = {}
        self.invoke_layout: list[tuple[int, int, str | None, str | None]] = []
        """(state, number, id, child class) of each `<invoke>`, for the fingerprint."""
        self.has_custom_actions = False
        self.handlers_read_configuration = False
        self.owner = -1
        """The state the functions made now belong to (see `MethodView.owner`)."""
        self.state_constants: dict[str, str] = {}
        self.file = self.document.path.rsplit("/", 1)[-1]
        prefix = (
            "STATE"
            if parent_class is None
            else f"{identifier(self.class_name).upper()}_STATE"
        )
        for state in self.chart.states[1:]:
            if state.is_history:
                continue
            name = module_names.new(f"{prefix}_{identifier(state.id).upper()}")
            self.state_constants[state.id] = name
            self.constants.append(
                ConstantView(
                    name,
                    f"1 << {state.index}",
                    f'<{_tag(state)} id="{state.id}"> {state.loc.short()}',
                )
            )
        self.datamodel = self._datamodel()

    def _datamodel(self) -> Datamodel:
        name = self.document.datamodel or self.options.default_datamodel
        cls = datamodel_for(name)
        if cls is None:
            from .datamodels.null import NullDatamodel

            self.diag.error(
                self.document.loc,
                f"<scxml datamodel>: unsupported datamodel '{name}' (supported: ecmascript, null, python)",
            )
            cls = NullDatamodel
        return cls(
            self.chart,
            self.diag,
            self.state_constants,
            native=self.options.native,
            machine_class=self.class_name,
        )

    # -- the whole class ----------------------------------------------------

    def build(self) -> MachineView:
        chart = self.chart
        dm = self.datamodel
        data_class = (
            self.class_name + dm.variables_suffix if dm.has_datamodel_object else None
        )
        self.emit_datamodel_init(data_class)
        self.emit_global_scripts()
        self.imports.update(dm.imports)
        states = [self.state_entry(state) for state in chart.states]
        transitions = [self.transition_entry(t.index) for t in chart.transitions]
        self.owner = len(chart.states)  # fused runs come after every state's methods
        uses_event = dm.uses_event or any(
            s.node is not None and s.node.invokes for s in chart.states
        )
        state_notes = [self.state_note(state) for state in chart.states]
        transition_notes = [
            comment_text(_describe(chart, t.index)) for t in chart.transitions
        ]
        chart_args = [
            repr(chart.name),
            "states=(\n"
            + "".join(
                f"{_INDENT}# {n}\n{_INDENT}{s},\n" for s, n in zip(states, state_notes)
            )
            + ")",
            "transitions=(\n"
            + "".join(
                f"{_INDENT}# {n}\n{_INDENT}{t},\n"
                for t, n in zip(transitions, transition_notes)
            )
            + ")",
            f"source={self.file!r}",
        ]
        if self.document.binding == "late":
            chart_args.append("binding='late'")
        chart_args.append(f"uses_event={uses_event}")
        events = accepted_events(chart)
        if not self.observes_configuration():
            chart_args.append("observes_configuration=False")
            fused = self.emit_fused()
            if fused:
                chart_args.append(_fused_table(fused))
            if self.emit_dispatch(fused, events or _descriptor_names(chart)):
                chart_args.append("dispatches=True")
        for extra in self.datamodel.drain_methods():
            self.add_datamodel_method(extra)
        self.imports.update(dm.imports)  # and what the handlers' code needs
        base = "ors.OrsMachine" if self.uses_ors() else "Machine"
        self.imports.add(base.split(".")[0])
        view = MachineView(
            class_name=self.class_name,
            base=base,
            data_class=data_class,
            data_doc=dm.variables_doc.format(machine=self.class_name),
            fields=dm.fields(),
            records=dm.records(),
            docstring=f"The state machine {chart.name!r} of {self.file} (datamodel {dm.name!r}).",
            constants=self.constants,
            functions=sorted(self.functions, key=lambda function: function.owner),
            methods=sorted(self.methods, key=lambda method: method.owner),
            states=states,
            transitions=transitions,
            chart_args=chart_args,
            data_ids=[d.id for d in self.document.data],
            source=self.file,
            slots=[
                *([(dm.variables_attribute, data_class)] if data_class else []),
                *dm.machine_slots().items(),
            ],
            persist=self.document.persist,
        )
        view.events = events or []
        if view.events:
            view.events_alias = self.module_names.new(f"{self.class_name}Event")
        view.fingerprint = self.fingerprint(view)
        self.machines.append(view)
        return view

    def fingerprint(self, view: MachineView) -> str:
        """The sha256 (hex) of what a snapshot of this class means: the
        states (ids, kinds, parents, in document order), the invokes and the
        classes of their children, the datamodel, its variables and their
        types, and the machine's slots. Executable content, expressions and
        transitions are not part of it: a session snapshotted before they
        changed restores into the new code."""
        layout = {
            "layout": 1,
            "class": view.class_name,
            "name": self.chart.name,
            "datamodel": self.datamodel.name,
            "binding": self.document.binding,
            "states": [(s.id, s.kind, s.parent) for s in self.chart.states],
            "invokes": self.invoke_layout,
            "data": view.data_ids,
            "fields": [(f.name, f.layout or f.annotation) for f in view.fields],
            "slots": view.slots,
            "base": view.base,
        }
        text = json.dumps(layout, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def uses_ors(self) -> bool:
        """Whether the document is written for ORS: a Genesys namespace or a
        `profile`, or `_genesys` in its code."""
        return self.document.ors or mentions(self.document, "_genesys")

    def function(
        self,
        base: str,
        returns: str,
        body: list[str],
        comment: str,
        params: str = "",
    ) -> str:
        """A handler: a module-level function `base` (numbered if taken, after
        the machine's prefix) of the session `self` and `params`, running
        `body`. Returns its name, which the chart's tables use."""
        for extra in self.datamodel.drain_methods():
            self.add_datamodel_method(extra)
        name = self.module_names.new(self.function_prefix + base)
        self.functions.append(
            MethodView(
                name, returns, _with_statement(body), comment, params, self.owner
            )
        )
        return name

    def method(self, name: str, body: list[str], comment: str) -> None:
        """A method `name(self) -> None` of the machine class running `body`
        (an override of `Machine`'s)."""
        for extra in self.datamodel.drain_methods():
            self.add_datamodel_method(extra)
        taken = self.method_names.new(name)
        assert taken == name, f"{name} is taken"
        self.methods.append(
            MethodView(name, "None", _with_statement(body), comment, "", self.owner)
        )

    def add_datamodel_method(self, extra: ExtraMethod) -> None:
        """A method the datamodel made (a function of the document's scripts),
        placed in the class in the order of the handlers whose translation made
        it."""
        name = self.method_names.new(extra.name)
        assert name == extra.name, f"{extra.name} is taken"
        params = ", this: Any, *args: Any"
        self.methods.append(
            MethodView(name, "Any", extra.body, extra.comment, params, self.owner)
        )

    def emit_fused(self) -> list[tuple[tuple[str, ...], str]]:
        """Fused functions for the handler runs of microsteps (see `fusion`):
        each calls the handlers of its run by name, each under its own `try`."""
        runs = handler_runs(
            self.chart,
            self.onentry_names,
            self.onexit_names,
            self.content_names,
            self.document.binding == "late",
        )
        bodies = {f.name: f for f in self.functions}
        fused: list[tuple[tuple[str, ...], str]] = []
        for run in runs:
            body: list[str] = []
            for handler in run:
                body += [
                    "try:",
                    f"{_INDENT}{handler}(self)",
                    "except Exception as error:",
                    f"{_INDENT}self._fail(error)",
                ]
            comment = "fused: " + ", then ".join(bodies[h].comment for h in run)
            fused.append((run, self.function("_fused", "None", body, comment)))
        return fused

    def emit_dispatch(
        self, fused: list[tuple[tuple[str, ...], str]], events: list[str]
    ) -> bool:
        """The method `_dispatch(name)` of the chart's own dispatch of external
        events (see `dispatch`), if it handles any; returns whether it does."""
        dispatch = plan_dispatch(
            self.chart,
            HandlerNames(
                self.onentry_names,
                self.onexit_names,
                self.content_names,
                self.cond_names,
            ),
            dict(fused),
            events,
            self.document.binding == "late",
        )
        if dispatch is None:
            return False
        name = self.method_names.new("_dispatch")
        assert name == "_dispatch", "_dispatch is taken"
        body = ["config = self._config"]
        for number, event in enumerate(dispatch.events):
            keyword = "if" if number == 0 else "elif"
            body.append(f"{keyword} name == {event.name!r}:")
            for case in event.cases:
                body += _indented(self.dispatch_case(dispatch, case))
        body.append("return False")
        self.methods.append(
            MethodView(
                name,
                "bool",
                body,
                "the chart's own dispatch of external events, planned at build time",
                ", name: str",
                self.owner,
            )
        )
        return True

    def dispatch_case(self, dispatch: Dispatch, case: Case) -> list[str]:
        """`if config == ...:` and the candidates of one case of `_dispatch`."""
        test = " or ".join(f"config == {_mask(config)}" for config in case.configs)
        where = "; ".join(dispatch.describe(config) for config in case.configs)
        lines = [f"# {comment_text(where)}", f"if {test}:"]
        body: list[str] = []
        for candidate in case.candidates:
            step = self.dispatch_step(dispatch, candidate.step, case.configs)
            if candidate.cond is None:
                body += step
                break
            body += [
                "try:",
                f"{_INDENT}holds = {candidate.cond}(self)",
                "except Exception as error:",
                f"{_INDENT}self._fail(error)",
                f"{_INDENT}holds = False",
                "if holds:",
                *_indented(step),
            ]
        else:
            body.append("return True")
        return lines + _indented(body)

    def dispatch_step(
        self, dispatch: Dispatch, step: Step, configs: list[int]
    ) -> list[str]:
        """The microstep of one candidate, taken in one of `configs`: its
        handlers, each under `try` (a fused run has its own), the configuration
        after (a constant where it is one, else the exited states exchanged
        for the entered ones; none for a targetless transition), the macrostep."""
        lines = [
            f"# {comment_text(_describe(self.chart, t))}" for t in step.transitions
        ]
        for call in step.calls:
            if step.fused:
                lines.append(f"{call}(self)")
                continue
            lines += [
                "try:",
                f"{_INDENT}{call}(self)",
                "except Exception as error:",
                f"{_INDENT}self._fail(error)",
            ]
        afters = {step.after(config) for config in configs}
        if not step.exits and not step.entered:
            pass  # targetless: the configuration stays
        elif len(afters) == 1:
            (after,) = afters
            where = comment_text(dispatch.describe(after))
            lines.append(f"self._config = {_mask(after)}  # {where}")
        else:
            entered = comment_text(dispatch.describe(step.entered))
            lines.append(
                f"self._config = config & ~{_mask(step.exits)} | {_mask(step.entered)}"
                f"  # enters {entered}"
            )
        if step.settle:
            lines.append("self._macrostep()")
        lines.append("return True")
        return lines

    def observes_configuration(self) -> bool:
        """Whether executable content may read the configuration while a microstep runs.

        Conditions of transitions are evaluated between microsteps and do not
        count; what the datamodel reported while it translated executable
        content does (`In()`). Extension actions might read it, so their
        presence counts.
        """
        return self.handlers_read_configuration or self.has_custom_actions

    # -- datamodel ------------------------------------------------------------

    def emit_datamodel_init(self, data_class: str | None) -> None:
        body: list[str] = list(self.datamodel.prologue())
        if data_class is not None:
            variables = f"self.{self.datamodel.variables_attribute}"
            body.append(f"{variables} = {data_class}()")
            body += [
                f"{variables}.{f.name} = {f.default}"
                for f in self.datamodel.fields()
                if f.default is not None
            ]
        late = self.document.binding == "late"
        body.extend(self.data_statements(self.document.data))
        if not late:
            for state in self.chart.states[1:]:
                if state.node is not None:
                    body.extend(self.data_statements(state.node.data))
        if body:
            self.method("_init_datamodel", body, "the datamodel, created at start")

    def data_statements(self, items: tuple[ir.Data, ...]) -> list[str]:
        lines: list[str] = []
        default = self.datamodel.field_default()
        empty = f", {default}" if default is not None else ""
        for data in items:
            lines.append(comment_text(f'# {data.loc.short()} <data id="{data.id}">'))
            value = self.datamodel.data_value(data)
            target = self.datamodel.data_target(data)
            lines += self.datamodel.drain()
            if value is None:
                lines.append(f"{target} = {default if default is not None else 'None'}")
            elif _is_literal(value):
                lines.append(f"{target} = {value}")
            else:
                lines += [
                    "try:",
                    f"{_INDENT}{target} = {value}",
                    "except Exception as error:",
                    f"{_INDENT}self._data_failed({self.datamodel.field_name(data.id)!r}, error{empty})",
                ]
        return lines

    def emit_global_scripts(self) -> None:
        """`_run_global_scripts`: each `<script>` child of `<scxml>` is a block of
        its own, whose failure is error.execution and leaves the others to run."""
        body: list[str] = []
        for script in self.document.scripts:
            body.append(f"# {script.loc.short()} <script>")
            body.append("try:")
            body.extend(_indent(self.datamodel.script(script) or ["pass"]))
            body.append("except Exception as error:  # noqa: BLE001 - becomes an event")
            body.append(f"{_INDENT}self._fail(error)")
        if body:
            self.method("_run_global_scripts", body, "the <script> children of <scxml>")

    # -- table entries --------------------------------------------------------

    def state_note(self, state: StateNode) -> str:
        """The comment of a state's table entry: `<state id="menu"> app.scxml:28`."""
        if state.node is None:
            return comment_text(f"<scxml> {self.file}")
        return comment_text(f'<{_tag(state)} id="{state.id}"> {state.loc.short()}')

    def state_entry(self, state: StateNode) -> str:
        self.owner = state.index
        self.imports.add(_KIND_NAMES[state.kind])
        args = [repr(state.id), _KIND_NAMES[state.kind], f"parent={state.parent}"]
        node = state.node
        if node is not None:
            name = identifier(state.id)
            onentry = [
                self.block_function(
                    f"_onentry_{name}", block, f"<onentry> of {state.id!r}"
                )
                for block in node.onentry
            ]
            onexit = [
                self.block_function(
                    f"_onexit_{name}", block, f"<onexit> of {state.id!r}"
                )
                for block in node.onexit
            ]
            if onentry:
                self.onentry_names[state.index] = tuple(onentry)
                args.append(f"onentry={_tuple(onentry)}")
            if onexit:
                self.onexit_names[state.index] = tuple(onexit)
                args.append(f"onexit={_tuple(onexit)}")
        if state.initial >= 0:
            args.append(f"initial={state.initial}")
        if node is not None:
            if node.donedata is not None:
                args.append(f"donedata={self.donedata_function(state, node.donedata)}")
            if node.invokes:
                specs = [
                    self.invoke_spec(state, inv, n)
                    for n, inv in enumerate(node.invokes, 1)
                ]
                self.imports.add("InvokeSpec")
                args.append(f"invokes={_tuple(specs)}")
            if node.data and self.document.binding == "late":
                body = self.data_statements(node.data)
                args.append(
                    "datamodel="
                    + self.function(
                        f"_datamodel_{identifier(state.id)}",
                        "None",
                        body,
                        f"the <datamodel> of {state.id!r}",
                    )
                )
        args.append(f"line={state.loc.line}")
        return f"StateSpec({', '.join(args)})"

    def transition_entry(self, index: int) -> str:
        t = self.chart.transitions[index]
        self.owner = t.source
        args = [f"source={t.source}"]
        if t.targets:
            args.append(f"targets={_tuple(str(x) for x in t.targets)}")
        if t.events:
            args.append(f"events={_tuple(repr(e) for e in t.events)}")
        described = _describe(self.chart, index)
        node = t.node
        if node is not None and node.cond is not None:
            cond = self.datamodel.cond(node.cond)
            name = self.function(
                f"_cond_{index}",
                "bool",
                [
                    f"# {node.cond.loc.short()}",
                    *self.datamodel.drain(),
                    f"return {cond}",
                ],
                f"cond of {described}",
            )
            self.cond_names[index] = name
            args.append(f"cond={name}")
        if node is not None and node.body:
            name = self.block_function(f"_transition_{index}", node.body, described)
            self.content_names[index] = name
            args.append(f"content={name}")
        if t.internal:
            args.append("internal=True")
        if t.initial:
            args.append("initial=True")
        if t.domain >= 0:
            args.append(f"domain={t.domain}")
        args.append(f"entry={_mask(t.entry)}")
        if t.default_entry:
            args.append(f"default_entry={_mask(t.default_entry)}")
        args.append(f"line={t.loc.line}")
        if node is not None and node.cond is not None:
            args.append(f"cond_text={node.cond.text!r}")
        return f"TransitionSpec({', '.join(args)})"

    def donedata_function(self, state: StateNode, donedata: ir.DoneData) -> str:
        if donedata.content is not None:
            value = self.datamodel.content(donedata.content)
        else:
            value = self.params_value(donedata.params, ())
        return self.function(
            f"_donedata_{identifier(state.id)}",
            "Any",
            [
                f"# {donedata.loc.short()} <donedata>",
                *self.datamodel.drain(),
                f"return {value}",
            ],
            f"<donedata> of {state.id!r}",
        )

    def invoke_spec(self, state: StateNode, invoke: ir.Invoke, number: int) -> str:
        name = f"{identifier(state.id)}_{number}"
        args = [f"state={state.index}"]
        dm = self.datamodel
        if invoke.id is not None:
            args.append(f"id={invoke.id!r}")
        if invoke.idlocation is not None:
            body = dm.assign(invoke.idlocation, "value")
            args.append(
                "idlocation="
                + self.function(
                    f"_invoke_idlocation_{name}",
                    "None",
                    body,
                    "invoke idlocation",
                    ", value: str",
                )
            )
        if invoke.type is not None:
            args.append(f"type={invoke.type!r}")
        if invoke.typeexpr is not None:
            args.append(
                "typeexpr="
                + self.value_function(f"_invoke_type_{name}", invoke.typeexpr)
            )
        if invoke.src is not None:
            args.append(f"src={invoke.src!r}")
        if invoke.srcexpr is not None:
            args.append(
                "srcexpr=" + self.value_function(f"_invoke_src_{name}", invoke.srcexpr)
            )
        child_class: str | None = None
        if invoke.child is not None:
            child = _MachineBuilder(
                self.chart.child(invoke.child),
                self.diag,
                self.module_names,
                self.machines,
                self.imports,
                self.options,
                self.class_name,
                f"Invoke{identifier(state.id).title().replace('_', '')}{number}",
            ).build()
            args.append(f"child={child.class_name}")
            child_class = child.class_name
        self.invoke_layout.append((state.index, number, invoke.id, child_class))
        if invoke.content is not None:
            value = dm.content(invoke.content)
            args.append(
                "contentexpr="
                + self.function(
                    f"_invoke_content_{name}",
                    "Any",
                    [*dm.drain(), f"return {value}"],
                    "invoke <content>",
                )
            )
        if invoke.params or invoke.namelist:
            value = self.params_value(invoke.params, invoke.namelist)
            args.append(
                "data="
                + self.function(
                    f"_invoke_data_{name}",
                    "Any",
                    [
                        f"# {invoke.loc.short()}",
                        *dm.drain(),
                        f"return {value}",
                    ],
                    "invoke <param>/namelist",
                )
            )
        if invoke.autoforward:
            args.append("autoforward=True")
        if invoke.finalize:
            args.append(
                "finalize="
                + self.block_function(
                    f"_finalize_{name}",
                    invoke.finalize,
                    f"<finalize> of invoke {number} in {state.id!r}",
                )
            )
        args.append(f"line={invoke.loc.line}")
        return f"InvokeSpec({', '.join(args)})"

    def value_function(self, base: str, expr: ir.Expr) -> str:
        value = self.datamodel.value(expr)
        return self.function(
            base,
            "Any",
            [
                f"# {expr.loc.short()}",
                *self.datamodel.drain(),
                f"return {value}",
            ],
            expr.attribute,
        )

    def params_value(
        self, params: tuple[ir.Param, ...], namelist: tuple[ir.Expr, ...]
    ) -> str:
        self.imports.add("EventData")
        items: list[str] = []
        for expr in namelist:
            items.append(f"{expr.text.strip()!r}: {self.datamodel.value(expr)}")
        for param in params:
            source = param.expr or param.location
            value = self.datamodel.value(source) if source is not None else "None"
            items.append(f"{param.name!r}: {value}")
        return "EventData({" + ", ".join(items) + "})"

    # -- executable content -----------------------------------------------------

    def block_function(
        self, base: str, block: tuple[ir.Action, ...], comment: str
    ) -> str:
        """The function running a block of executable content (a handler)."""
        reads = self.datamodel.configuration_reads
        body = self.actions(block)
        if self.datamodel.configuration_reads != reads:
            self.handlers_read_configuration = True
        return self.function(base, "None", body, comment)

    def actions(self, block: tuple[ir.Action, ...]) -> list[str]:
        lines: list[str] = []
        for action in block:
            lines.extend(self.action(action))
        return lines

    def action(self, action: ir.Action) -> list[str]:
        lines = self.action_lines(action)
        prelude = self.datamodel.drain()
        return [lines[0], *prelude, *lines[1:]] if prelude else lines

    def action_lines(self, action: ir.Action) -> list[str]:
        dm = self.datamodel
        head = f"# {action.loc.short()} <{_action_tag(action)}>"
        match action:
            case ir.Raise(event=event, params=params):
                if params:
                    return [
                        head,
                        f"self._raise({event!r}, {self.params_value(params, ())})",
                    ]
                return [head, f"self._raise({event!r})"]
            case ir.Log(label=label, expr=expr):
                value = dm.value(expr) if expr is not None else "None"
                return [head, f"self._log({label!r}, {value})"]
            case ir.Assign(location=location, expr=expr, content=content):
                if expr is not None:
                    value = dm.value(expr)
                elif content is not None:
                    value = dm.content(content)
                else:
                    value = "None"
                return [head, *dm.assign(location, value)]
            case ir.Script():
                return [head, *dm.script(action)]
            case ir.Send():
                return [head, *self.send(action)]
            case ir.Cancel():
                return [head, self.cancel(action)]
            case ir.If(branches=branches):
                return [head, *self.if_(branches)]
            case ir.Foreach():
                return [head, *self.foreach(action)]
            case ir.Custom():
                self.has_custom_actions = True
                return [head, *self.custom(action)]
        raise AssertionError(f"unhandled action {action!r}")

    def cancel(self, cancel: ir.Cancel) -> str:
        """The statement of a `<cancel>`: `self._cancel(sendid)`, or for an ORS
        cancel `self._cancel_answered(sendid)`.

        An ORS `sendid` that is a plain name the document does not declare
        (`sendid="no_input"`) is read as that literal send id, with a warning.
        """
        expr = cancel.sendidexpr
        if expr is None:
            value = repr(cancel.sendid)
        elif expr.attribute == "sendid" and self.undeclared_name(expr):
            name = expr.text.strip()
            self.diag.warning(
                expr.loc,
                f"<cancel sendid>: '{name}' names no variable of the document; "
                "read as the literal send id (write \"'" + name + "'\" to say so)",
            )
            value = repr(name)
        else:
            value = self.datamodel.value(expr)
        method = "_cancel_answered" if cancel.answered else "_cancel"
        return f"self.{method}({value})"

    def undeclared_name(self, expr: ir.Expr) -> bool:
        """Whether `expr` is a plain identifier that is no variable of the document
        (no `<data>`, script global or `<foreach>` variable, no system variable)."""
        name = expr.text.strip()
        if not name.replace("$", "_").isidentifier() or name in _VALUE_NAMES:
            return False
        return not self.datamodel.declares(name)

    def send(self, send: ir.Send) -> list[str]:
        dm = self.datamodel
        lines: list[str] = []

        def literal_or_expression(literal: str | None, expr: ir.Expr | None) -> str:
            return repr(literal) if expr is None else dm.value(expr)

        args = [literal_or_expression(send.event, send.eventexpr)]
        if send.target is not None or send.targetexpr is not None:
            args.append("target=" + literal_or_expression(send.target, send.targetexpr))
        if send.type is not None or send.typeexpr is not None:
            args.append("type=" + literal_or_expression(send.type, send.typeexpr))
        if send.delay is not None:
            args.append(f"delay={_seconds(send.delay)!r}")  # a bad literal was reported
        elif send.delayexpr is not None:
            args.append(f"delay={dm.value(send.delayexpr)}")
        if send.id is not None:
            args.append(f"id={send.id!r}")
        elif send.idlocation is not None:
            lines.append("sendid = self._new_sendid()")
            lines.extend(dm.assign(send.idlocation, "sendid"))
            args.append("id=sendid")
        if send.content is not None:
            args.append(f"data={dm.content(send.content)}")
        elif send.params or send.namelist:
            args.append(f"data={self.params_value(send.params, send.namelist)}")
        lines.append(f"self._send({', '.join(args)})")
        return lines

    def if_(
        self, branches: tuple[tuple[ir.Expr | None, tuple[ir.Action, ...]], ...]
    ) -> list[str]:
        lines: list[str] = []
        for number, (cond, body) in enumerate(branches):
            if cond is None:
                lines.append("else:")
            else:
                source = self.datamodel.cond(cond)
                test = self.function(
                    f"_cond_{'if' if number == 0 else 'elseif'}_{cond.loc.line}",
                    "bool",
                    [
                        f"# {cond.loc.short()}",
                        *self.datamodel.drain(),
                        f"return {source}",
                    ],
                    f"<{'if' if number == 0 else 'elseif'} cond>",
                )
                keyword = "if" if number == 0 else "elif"
                lines.append(f"{keyword} self._test({test}):")
            lines.extend(_indent(self.actions(body) or ["pass"]))
        return lines

    def foreach(self, loop: ir.Foreach) -> list[str]:
        dm = self.datamodel
        array = dm.value(loop.array)
        item = dm.foreach_target(loop.item)
        if item is None:
            return ["self._invalid('foreach: illegal item')"]
        body = _indent(self.actions(loop.body) or ["pass"])
        if loop.index is None:
            return [f"for {item} in self._iterate({array}):", *body]
        index = dm.foreach_target(loop.index)
        if index is None:
            return ["self._invalid('foreach: illegal index')"]
        return [f"for {index}, {item} in enumerate(self._iterate({array})):", *body]

    def custom(self, node: ir.Custom) -> list[str]:
        extension = extensions.lookup(node.namespace)
        if extension is None:  # the parser reported it
            return ["pass"]
        return extension.compile(node, _ActionCompiler(self))


class _ActionCompiler(extensions.ActionCompiler):
    def __init__(self, builder: _MachineBuilder) -> None:
        self.builder = builder

    def _attribute(self, node: ir.Custom, name: str) -> tuple[str, Loc] | None:
        for key, value, loc in node.attributes:
            if key == name:
                return value, loc
        return None

    def literal(self, node: ir.Custom, attribute: str) -> str | None:
        found = self._attribute(node, attribute)
        if found is not None:
            return found[0]
        extension = extensions.lookup(node.namespace)
        element = extension.elements.get(node.name) if extension else None
        decl = element.attribute(attribute) if element else None
        return decl.default if decl else None

    def value(self, node: ir.Custom, attribute: str) -> str:
        found = self._attribute(node, attribute)
        if found is None:
            return "None"
        return self.builder.datamodel.value(
            ir.Expr(found[0], found[1], attribute, node.name)
        )

    def require(self, runtime_name: str) -> None:
        self.builder.imports.add(runtime_name)

    def assign(self, node: ir.Custom, attribute: str, value_source: str) -> list[str]:
        found = self._attribute(node, attribute)
        if found is None:
            return []
        return self.builder.datamodel.assign(
            ir.Expr(found[0], found[1], attribute, node.name), value_source
        )


def _with_statement(body: list[str]) -> list[str]:
    """`body`, with `pass` after it when it holds only comments."""
    if all(line.lstrip().startswith("#") for line in body):
        return [*body, "pass"]
    return body


def _fused_table(fused: list[tuple[tuple[str, ...], str]]) -> str:
    """The `fused={run: function}` argument of the chart."""
    return "fused={" + ", ".join(f"{_tuple(run)}: {name}" for run, name in fused) + "}"


def _describe(chart: ChartAnalysis, index: int) -> str:
    """`transition 6: s111 -> s112 on e1`, for comments."""
    t = chart.transitions[index]
    source = chart.states[t.source].id or "scxml"
    targets = " ".join(chart.states[x].id for x in t.targets) or "(targetless)"
    on = f" on {' '.join(t.events)}" if t.events else ""
    return f"transition {index}: {source} -> {targets}{on}"


def _descriptor_names(chart: ChartAnalysis) -> list[str]:
    """The event names the transitions' descriptors spell, `*` left out, in
    document order: what a chart that accepts any name dispatches itself."""
    names = (d for t in chart.transitions for d in t.events if d != "*")
    return list(dict.fromkeys(names))


def _indented(lines: list[str]) -> list[str]:
    return [_INDENT + line for line in lines]


def _tag(state: StateNode) -> str:
    return state.node.kind if state.node is not None else "scxml"


def _action_tag(action: ir.Action) -> str:
    if isinstance(action, ir.Custom):
        return action.name
    return type(action).__name__.lower()


def _indent(lines: list[str]) -> list[str]:
    return [_INDENT + line for line in lines]


def _tuple(items: Iterable[str]) -> str:
    """A tuple display of `items`: `()`, `(x,)`, `(x, y)` (no trailing comma
    after several items, which the formatter would keep, one item a line)."""
    texts = list(items)
    return f"({texts[0]},)" if len(texts) == 1 else f"({', '.join(texts)})"


def _mask(value: int) -> str:
    return "-1" if value < 0 else hex(value)


def _is_literal(source: str) -> bool:
    try:
        ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


def _seconds(delay: str) -> float | str:
    """A literal delay in seconds (left as text when illegal: the parser reported it)."""
    try:
        return parse_delay(delay)
    except ExecutionError:
        return delay
