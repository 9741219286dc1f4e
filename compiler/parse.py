"""Parse phase: SCXML text -> `ir.Document`, validating the language as it reads.

Input: a file path (or text). Output: the IR with a `Loc` on every node and every
expression attribute. Checked here: well-formed XML, known elements in the places the
SCXML schema allows, known attributes with legal literal values, required
attributes, mutually exclusive attributes (`event`/`eventexpr`, ...), extension
elements against their declarations. Not checked here: ids and targets (analysis)
and expressions (the datamodel). Files named by `<script src>`, `<data src>` and a
literal `<invoke src>` are read at compile time, relative to the document.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from . import ir
from .diagnostics import Diagnostics, Loc
from .parse_actions import ActionReader
from .positions import SourceMap, scan_tags
from .reader import (
    _STATE_CHILDREN,
    SCXML_NS,
    SCXMLC_NS,
    _has_content,
    _local,
    _normalise_descriptor,
    document_problem,
    substitute_prefix,
)

__all__ = ["SCXML_NS", "SCXMLC_NS", "parse_file", "parse_text"]


def parse_file(path: str | Path, diagnostics: Diagnostics) -> ir.Document | None:
    """Read and parse the document at `path`; None if it is not well-formed XML."""
    path = Path(path)
    problem = document_problem(path)
    if problem is not None:
        diagnostics.error(Loc(str(path), 0, 0), problem)
        return None
    try:
        raw = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        diagnostics.error(Loc(str(path), 0, 0), reason[:1].lower() + reason[1:])
        return None
    return parse_text(raw, str(path), diagnostics)


def parse_text(
    raw: bytes | str, path: str, diagnostics: Diagnostics
) -> ir.Document | None:
    """Parse SCXML source `raw` as if read from `path`."""
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    text = data.decode("utf-8-sig", errors="replace")
    parser = etree.XMLParser(
        remove_comments=True,
        remove_pis=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        line, column = error.position
        message = re.sub(r", line \d+, column \d+$", "", error.msg)
        diagnostics.error(Loc(path, line, column + 1), f"malformed XML: {message}")
        return None
    substitute_prefix(root, None)  # a Composer workflow compiled on its own
    positions = scan_tags(text, path)
    reader = _DocumentReader(path, diagnostics, root, positions)
    return reader.document(root)


class _DocumentReader(ActionReader):
    """Walks the lxml tree and builds IR, reporting every problem it meets."""

    def document(self, root: etree._Element) -> ir.Document | None:
        name = self.scxml_name(root)
        if name != "scxml":
            self.diag.error(
                self.loc(root),
                f"the root element must be <scxml>, not <{_local(root)[1]}>",
            )
            return None
        self.check_attributes(root, "scxml")
        datamodel = root.get("datamodel") or (
            "ecmascript" if root.get("profile") == "ecmascript" else None
        )
        binding = self.choice(root, "scxml", "binding", ("early", "late")) or "early"
        version = root.get("version")
        if version is not None and version != "1.0":
            self.diag.error(
                self.attr_loc(root, "version"),
                f"<scxml version>: '{version}' is not '1.0'",
            )
        states: list[ir.State] = []
        data: list[ir.Data] = []
        scripts: list[ir.Script] = []
        for child in self.children(root):
            local = self.scxml_name(child)
            if local in ("state", "parallel", "final"):
                states.append(self.state(child, local))
            elif local == "datamodel":
                data.extend(self.datamodel(child))
            elif local == "script":
                script = self.script(child)
                if script is not None:
                    scripts.append(script)
            else:
                self.unexpected(child, "scxml")
        initial = tuple((root.get("initial") or "").split())
        return ir.Document(
            loc=self.loc(root),
            path=self.path,
            name=root.get("name"),
            datamodel=datamodel,
            binding="late" if binding == "late" else "early",
            initial=initial,
            initial_loc=self.attr_loc(root, "initial") if initial else None,
            children=tuple(states),
            data=tuple(data),
            scripts=tuple(scripts),
            ors=self.ors,
            persist=(root.get("_persist") or "").strip().lower() != "false",
            files=tuple(dict.fromkeys(self.files)),
            sources=SourceMap(self.positions.values()),
        )

    def state_id(self, element: etree._Element) -> tuple[str, bool]:
        value = element.get("id")
        if value:
            self.check_id(element, _local(element)[1], value)
            return value, False
        self.generated += 1
        return f"_state{self.generated}", True

    def state(self, element: etree._Element, kind: str) -> ir.State:
        self.check_attributes(element, kind)
        state_id, generated = self.state_id(element)
        loc = self.loc(element)
        if kind == "history":
            return self.history(element, state_id, generated, loc)
        allowed = _STATE_CHILDREN[kind]
        children: list[ir.State] = []
        transitions: list[ir.Transition] = []
        onentry: list[tuple[ir.Action, ...]] = []
        onexit: list[tuple[ir.Action, ...]] = []
        data: list[ir.Data] = []
        invokes: list[ir.Invoke] = []
        initial_transition: ir.Transition | None = None
        donedata: ir.DoneData | None = None
        for child in self.children(element):
            local = self.scxml_name(child)
            if local is None or local not in allowed:
                self.unexpected(child, kind)
                continue
            if local in ("state", "parallel", "final", "history"):
                children.append(self.state(child, local))
            elif local == "transition":
                transitions.append(self.transition(child))
            elif local == "onentry":
                self.check_attributes(child, "onentry")
                onentry.append(self.block(child, "onentry"))
            elif local == "onexit":
                self.check_attributes(child, "onexit")
                onexit.append(self.block(child, "onexit"))
            elif local == "datamodel":
                data.extend(self.datamodel(child))
            elif local == "invoke":
                invokes.append(self.invoke(child))
            elif local == "initial":
                if initial_transition is not None:
                    self.diag.error(
                        self.loc(child),
                        f'<{kind} id="{state_id}">: more than one <initial>',
                    )
                initial_transition = self.initial_element(child)
            elif local == "donedata":
                if donedata is not None:
                    self.diag.error(
                        self.loc(child), "<final>: more than one <donedata>"
                    )
                donedata = self.donedata(child)
        initial = tuple((element.get("initial") or "").split())
        if initial and initial_transition is not None:
            self.diag.error(
                self.attr_loc(element, "initial"),
                f"<state id=\"{state_id}\">: 'initial' attribute and <initial> element cannot be used together",
            )
        return ir.State(
            loc=loc,
            kind=kind,  # type: ignore[arg-type]
            id=state_id,
            children=tuple(children),
            transitions=tuple(transitions),
            onentry=tuple(onentry),
            onexit=tuple(onexit),
            data=tuple(data),
            invokes=tuple(invokes),
            initial=initial,
            initial_loc=self.attr_loc(element, "initial") if initial else None,
            initial_transition=initial_transition,
            donedata=donedata,
            generated_id=generated,
        )

    def history(
        self, element: etree._Element, state_id: str, generated: bool, loc: Loc
    ) -> ir.State:
        kind = self.choice(element, "history", "type", ("shallow", "deep"))
        transitions = []
        for child in self.children(element):
            if self.scxml_name(child) == "transition":
                transitions.append(self.transition(child))
            else:
                self.unexpected(child, "history")
        if len(transitions) != 1:
            self.diag.error(
                loc,
                f'<history id="{state_id}">: needs exactly one <transition> (its default)',
            )
        default = transitions[0] if transitions else None
        if default is not None and (default.events or default.cond):
            self.diag.error(
                default.loc,
                "<history> <transition>: must have neither 'event' nor 'cond'",
            )
        return ir.State(
            loc=loc,
            kind="history",
            id=state_id,
            initial_transition=default,
            deep=kind == "deep",
            generated_id=generated,
        )

    def initial_element(self, element: etree._Element) -> ir.Transition | None:
        self.check_attributes(element, "initial")
        transitions = []
        for child in self.children(element):
            if self.scxml_name(child) == "transition":
                transitions.append(self.transition(child))
            else:
                self.unexpected(child, "initial")
        if len(transitions) != 1:
            self.diag.error(
                self.loc(element), "<initial>: needs exactly one <transition>"
            )
            return None
        transition = transitions[0]
        if transition.events or transition.cond:
            self.diag.error(
                transition.loc,
                "<initial> <transition>: must have neither 'event' nor 'cond'",
            )
        if not transition.targets:
            self.diag.error(transition.loc, "<initial> <transition>: needs a 'target'")
        return transition

    def transition(self, element: etree._Element) -> ir.Transition:
        self.check_attributes(element, "transition")
        kind = self.choice(element, "transition", "type", ("internal", "external"))
        events = tuple(
            _normalise_descriptor(d) for d in (element.get("event") or "").split()
        )
        cond = self.expr(element, "cond")
        targets = tuple((element.get("target") or "").split())
        return ir.Transition(
            loc=self.loc(element),
            events=events,
            cond=cond,
            targets=targets,
            internal=kind == "internal",
            body=self.block(element, "transition"),
            targets_loc=self.attr_loc(element, "target") if targets else None,
            events_loc=self.attr_loc(element, "event") if events else None,
        )

    def datamodel(self, element: etree._Element) -> list[ir.Data]:
        self.check_attributes(element, "datamodel")
        result = []
        for child in self.children(element):
            if self.scxml_name(child) == "data":
                result.append(self.data(child))
            else:
                self.unexpected(child, "datamodel")
        return result

    def data(self, element: etree._Element) -> ir.Data:
        self.check_attributes(element, "data")
        data_id = self.required(element, "data", "id")
        if data_id:
            self.check_id(element, "data", data_id)
        content = self.content_of(element) if _has_content(element) else None
        present = [n for n in ("expr", "src") if element.get(n) is not None]
        if len(present) + (content is not None) > 1:
            self.diag.error(
                self.loc(element),
                f"<data id=\"{data_id}\">: use only one of 'expr', 'src' and content",
            )
        src_text = None
        src = element.get("src")
        if src is not None:
            src_text = self.read_relative(element, "data", "src", src)
        return ir.Data(
            loc=self.loc(element),
            id=data_id,
            expr=self.expr(element, "expr"),
            content=content,
            src_text=src_text,
            type=element.get(f"{{{SCXMLC_NS}}}type"),
        )

    def donedata(self, element: etree._Element) -> ir.DoneData:
        self.check_attributes(element, "donedata")
        content = None
        params = []
        for child in self.children(element):
            local = self.scxml_name(child)
            if local == "content":
                content = self.content(child)
            elif local == "param":
                params.append(self.param(child))
            else:
                self.unexpected(child, "donedata")
        if content is not None and params:
            self.diag.error(
                self.loc(element),
                "<donedata>: <content> and <param> cannot be used together",
            )
        return ir.DoneData(self.loc(element), content, tuple(params))

    def invoke(self, element: etree._Element) -> ir.Invoke:
        self.check_attributes(element, "invoke")
        self.exclusive(element, "invoke", "type", "typeexpr")
        self.exclusive(element, "invoke", "src", "srcexpr")
        self.exclusive(element, "invoke", "id", "idlocation")
        autoforward = (
            self.choice(element, "invoke", "autoforward", ("true", "false")) == "true"
        )
        params: list[ir.Param] = []
        content: ir.Content | None = None
        child_document: ir.Document | None = None
        finalize: tuple[ir.Action, ...] = ()
        for child in self.children(element):
            local = self.scxml_name(child)
            if local == "param":
                params.append(self.param(child))
            elif local == "finalize":
                self.check_attributes(child, "finalize")
                finalize = self.block(child, "finalize")
            elif local == "content":
                nested = [c for c in self.children(child)]
                if len(nested) == 1 and self.scxml_name(nested[0]) == "scxml":
                    self.check_attributes(child, "content")
                    child_document = self.document(nested[0])
                else:
                    content = self.content(child)
            else:
                self.unexpected(child, "invoke")
        src = element.get("src")
        if src is not None and child_document is None and content is None:
            path = self.locate_file(element, "invoke", "src", src)
            if path is not None:
                child_document = parse_file(path, self.diag)
            if child_document is not None:
                self.files.extend(child_document.files)
        if (child_document is not None and src is None or content is not None) and (
            src is not None or element.get("srcexpr") is not None
        ):
            self.diag.error(
                self.loc(element),
                "<invoke>: <content> and 'src'/'srcexpr' cannot be used together",
            )
        if params and element.get("namelist") is not None:
            self.diag.error(
                self.attr_loc(element, "namelist"),
                "<invoke>: 'namelist' and <param> cannot be used together",
            )
        return ir.Invoke(
            loc=self.loc(element),
            type=element.get("type"),
            typeexpr=self.expr(element, "typeexpr"),
            src=element.get("src"),
            srcexpr=self.expr(element, "srcexpr"),
            id=element.get("id"),
            idlocation=self.expr(element, "idlocation"),
            namelist=self.namelist(element),
            autoforward=autoforward,
            params=tuple(params),
            content=content,
            child=child_document,
            finalize=finalize,
        )
