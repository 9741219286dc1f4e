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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from lxml import etree

from . import extensions, ir
from .diagnostics import Diagnostics, Loc
from .positions import TagPosition, scan_tags

__all__ = ["SCXML_NS", "SCXMLC_NS", "parse_file", "parse_text"]

SCXML_NS: Final = "http://www.w3.org/2005/07/scxml"
SCXMLC_NS: Final = "urn:scxmlc"
XINCLUDE_NS: Final = "http://www.w3.org/2001/XInclude"
COMPOSER_PREFIX: Final = "$$_MY_PREFIX_$$"
MAX_INCLUDES: Final = 1000
"""XIncludes per document at most (a cycle of includes stops here)."""

EXECUTABLE: Final = frozenset(
    {"raise", "if", "foreach", "log", "assign", "script", "send", "cancel"}
)
_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "scxml": frozenset(
        {"initial", "name", "version", "datamodel", "binding", "exmode", "profile"}
    ),
    "state": frozenset({"id", "initial"}),
    "parallel": frozenset({"id"}),
    "final": frozenset({"id"}),
    "history": frozenset({"id", "type"}),
    "initial": frozenset({"id"}),
    "transition": frozenset({"event", "cond", "target", "type"}),
    "onentry": frozenset(),
    "onexit": frozenset(),
    "datamodel": frozenset(),
    "data": frozenset({"id", "src", "expr"}),
    "assign": frozenset({"location", "expr", "type", "attr"}),
    "raise": frozenset({"event"}),
    "if": frozenset({"cond"}),
    "elseif": frozenset({"cond"}),
    "else": frozenset(),
    "foreach": frozenset({"array", "item", "index"}),
    "log": frozenset({"label", "expr", "level"}),
    "script": frozenset({"src"}),
    "send": frozenset(
        {
            "event",
            "eventexpr",
            "target",
            "targetexpr",
            "type",
            "typeexpr",
            "id",
            "idlocation",
            "delay",
            "delayexpr",
            "namelist",
        }
    ),
    "cancel": frozenset({"sendid", "sendidexpr"}),
    "invoke": frozenset(
        {
            "type",
            "typeexpr",
            "src",
            "srcexpr",
            "id",
            "idlocation",
            "namelist",
            "autoforward",
        }
    ),
    "finalize": frozenset(),
    "param": frozenset({"name", "expr", "location"}),
    "content": frozenset({"expr"}),
    "donedata": frozenset(),
}
_ORS_ATTRIBUTES: Final[dict[str, frozenset[str]]] = {
    "scxml": frozenset({"_type", "_persist"}),
    "state": frozenset({"_type", "_persist"}),
    "parallel": frozenset({"_type", "_persist"}),
    "final": frozenset({"_type", "_persist"}),
    "data": frozenset({"_type"}),
    "send": frozenset({"targettype", "timeout", "hints"}),
    "cancel": frozenset({"id"}),
}
"""Attributes ORS adds to SCXML elements, accepted in ORS documents only."""
_ORS_SEND_EXPRESSIONS: Final = (
    ("event", "eventexpr"),
    ("target", "targetexpr"),
    ("delay", "delayexpr"),
    ("targettype", "typeexpr"),
)
"""In ORS documents these `<send>` attributes are expressions (`event="'x'"`)."""

_STATE_CHILDREN: Final = {
    "scxml": frozenset({"state", "parallel", "final", "datamodel", "script"}),
    "state": frozenset(
        {
            "onentry",
            "onexit",
            "transition",
            "initial",
            "state",
            "parallel",
            "final",
            "history",
            "datamodel",
            "invoke",
        }
    ),
    "parallel": frozenset(
        {
            "onentry",
            "onexit",
            "transition",
            "state",
            "parallel",
            "history",
            "datamodel",
            "invoke",
        }
    ),
    "final": frozenset({"onentry", "onexit", "donedata"}),
}
_DELAY: Final = re.compile(r"^\s*(\d*\.?\d+|\d+\.)\s*(ms|s|m|h|d)?\s*$")


def parse_file(path: str | Path, diagnostics: Diagnostics) -> ir.Document | None:
    """Read and parse the document at `path`; None if it is not well-formed XML."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        diagnostics.error(Loc(str(path), 0, 0), f"cannot read file: {error.strerror}")
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
    positions = scan_tags(text, path)
    reader = _Reader(path, diagnostics, root, positions)
    return reader.document(root)


def _local(element: etree._Element) -> tuple[str, str]:
    qname = etree.QName(element)
    return qname.namespace or "", qname.localname


def _attributes(element: etree._Element) -> list[tuple[str, str]]:
    """The attributes of `element` as (`{namespace}name` or `name`, value) text pairs."""
    return [(_text(key), _text(value)) for key, value in element.attrib.items()]


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class _Reader:
    """Walks the lxml tree and builds IR, reporting every problem it meets."""

    def __init__(
        self,
        path: str,
        diagnostics: Diagnostics,
        root: etree._Element,
        positions: list[TagPosition],
    ) -> None:
        self.path = path
        self.diag = diagnostics
        self.positions: dict[etree._Element, TagPosition] = {}
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        for element, position in zip(elements, positions):
            self.positions[element] = position
        self.warned_namespace = False
        self.generated = 0
        self.includes = 0
        nsmap = root.nsmap.values()
        self.ors = root.get("profile") is not None or any(
            ns is not None and "genesyslab.com/modules" in ns for ns in nsmap
        )

    # -- positions ----------------------------------------------------------

    def loc(self, element: etree._Element) -> Loc:
        found = self.positions.get(element)
        line = element.sourceline
        return (
            found.loc
            if found
            else Loc(self.path, line if isinstance(line, int) else 0, 1)
        )

    def attr_loc(self, element: etree._Element, name: str) -> Loc:
        found = self.positions.get(element)
        if found is None:
            return self.loc(element)
        if name in found.attributes:
            return found.attributes[name]
        local = name.rsplit("}", 1)[-1]
        for key, loc in found.attributes.items():
            if key.rsplit(":", 1)[-1] == local:
                return loc
        return found.loc

    # -- attributes ---------------------------------------------------------

    def check_attributes(self, element: etree._Element, name: str) -> None:
        allowed = _ATTRIBUTES[name]
        if self.ors:
            allowed = allowed | _ORS_ATTRIBUTES.get(name, frozenset())
        for key, _ in _attributes(element):
            if key.startswith("{"):
                namespace, local = key[1:].split("}", 1)
                if namespace == SCXMLC_NS and not (name == "data" and local == "type"):
                    self.diag.error(
                        self.attr_loc(element, key),
                        f"<{name}>: unknown scxmlc attribute '{local}'",
                    )
                continue
            if key not in allowed:
                self.diag.error(
                    self.attr_loc(element, key), f"<{name}>: unknown attribute '{key}'"
                )

    def get(self, element: etree._Element, name: str) -> str | None:
        value = element.get(name)
        return value

    def expr(self, element: etree._Element, name: str) -> ir.Expr | None:
        value = element.get(name)
        if value is None:
            return None
        return ir.Expr(value, self.attr_loc(element, name), name, _local(element)[1])

    def required(self, element: etree._Element, tag: str, name: str) -> str:
        value = element.get(name)
        if value is None:
            self.diag.error(
                self.loc(element), f"<{tag}>: missing required attribute '{name}'"
            )
            return ""
        return value

    def exclusive(
        self, element: etree._Element, tag: str, *names: str, required: bool = False
    ) -> None:
        present = [n for n in names if element.get(n) is not None]
        if len(present) > 1:
            self.diag.error(
                self.attr_loc(element, present[1]),
                f"<{tag}>: attributes {' and '.join(repr(n) for n in present)} cannot be used together",
            )
        elif required and not present:
            self.diag.error(
                self.loc(element),
                f"<{tag}>: one of the attributes {', '.join(repr(n) for n in names)} is required",
            )

    def choice(
        self, element: etree._Element, tag: str, name: str, allowed: tuple[str, ...]
    ) -> str | None:
        value = element.get(name)
        if value is not None and value not in allowed:
            self.diag.error(
                self.attr_loc(element, name),
                f"<{tag} {name}>: '{value}' is not one of {', '.join(repr(a) for a in allowed)}",
            )
            return None
        return value

    # -- elements -----------------------------------------------------------

    def scxml_name(self, element: etree._Element) -> str | None:
        """The local name if `element` is an SCXML element, else None."""
        namespace, local = _local(element)
        if namespace == SCXML_NS:
            return local
        if namespace == "":
            if not self.warned_namespace:
                self.warned_namespace = True
                self.diag.warning(
                    self.loc(element),
                    f"<{local}> has no namespace; read as SCXML ({SCXML_NS})",
                )
            return local
        return None

    def children(self, element: etree._Element) -> Iterator[etree._Element]:
        """The child elements, with `<xi:include parse="xml">` replaced by what it includes."""
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if (
                _local(child) == (XINCLUDE_NS, "include")
                and (child.get("parse") or "xml") == "xml"
            ):
                included = self.include_xml(child)
                if included is not None:
                    yield included
                continue
            yield child

    def base(self, element: etree._Element) -> str:
        """The file an element was read from (includes have their own)."""
        return self.loc(element).file

    def include_xml(self, element: etree._Element) -> etree._Element | None:
        """XInclude of an element of another document (Composer's workflow include).

        `xpointer` names the element by id; `$$_MY_PREFIX_$$` in the included text is
        replaced by `resolveid`, as ORS does for Composer fragments.
        """
        href = element.get("href")
        if not href:
            self.diag.error(
                self.loc(element), "<xi:include>: missing required attribute 'href'"
            )
            return None
        path = resolve_uri(href, self.base(element))
        self.includes += 1
        if str(path) == self.base(element) or self.includes > MAX_INCLUDES:
            self.diag.error(
                self.attr_loc(element, "href"),
                f"<xi:include href>: '{href}' includes itself",
            )
            return None
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as error:
            self.diag.error(
                self.attr_loc(element, "href"),
                f"<xi:include href>: cannot read '{href}': {error.strerror or error}",
            )
            return None
        prefix = element.get("resolveid")
        if prefix is not None:
            text = text.replace(COMPOSER_PREFIX, prefix)
        try:
            root = etree.fromstring(
                text.encode("utf-8"),
                etree.XMLParser(
                    remove_comments=True,
                    remove_pis=True,
                    resolve_entities=False,
                    no_network=True,
                ),
            )
        except etree.XMLSyntaxError as error:
            line, column = error.position
            message = re.sub(r", line \d+, column \d+$", "", error.msg)
            self.diag.error(
                Loc(str(path), line, column + 1), f"malformed XML: {message}"
            )
            return None
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        for included, position in zip(elements, scan_tags(text, str(path))):
            self.positions[included] = position
        pointer = element.get("xpointer")
        if pointer is None:
            return root
        for candidate in elements:
            if candidate.get("id") == pointer:
                return candidate
        self.diag.error(
            self.attr_loc(element, "xpointer"),
            f"<xi:include xpointer>: no element with id '{pointer}' in '{href}'",
        )
        return None

    def unexpected(self, child: etree._Element, parent: str) -> None:
        namespace, local = _local(child)
        where = (
            f" (namespace {namespace})" if namespace and namespace != SCXML_NS else ""
        )
        self.diag.error(
            self.loc(child), f"<{parent}>: unexpected child element <{local}>{where}"
        )

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
        )

    def state_id(self, element: etree._Element) -> tuple[str, bool]:
        value = element.get("id")
        if value:
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

    def read_relative(
        self, element: etree._Element, tag: str, attribute: str, uri: str
    ) -> str | None:
        path = resolve_uri(uri, self.base(element))
        try:
            return path.read_text(encoding="utf-8")
        except OSError as error:
            self.diag.error(
                self.attr_loc(element, attribute),
                f"<{tag} {attribute}>: cannot read '{uri}': {error.strerror or error}",
            )
            return None

    def script(self, element: etree._Element) -> ir.Script | None:
        self.check_attributes(element, "script")
        src = element.get("src")
        included = [
            c
            for c in element
            if isinstance(c.tag, str) and _local(c) == (XINCLUDE_NS, "include")
        ]
        if included:
            return self.included_script(element, included)
        for child in self.children(element):
            self.unexpected(child, "script")
        if src is not None:
            if (element.text or "").strip():
                self.diag.error(
                    self.attr_loc(element, "src"),
                    "<script>: 'src' and inline source cannot be used together",
                )
            source = self.read_relative(element, "script", "src", src)
            if source is None:
                return None
            return ir.Script(
                self.loc(element),
                source,
                Loc(str(resolve_uri(src, self.base(element))), 1, 1),
            )
        text = element.text or ""
        line = self.loc(element).line
        return ir.Script(self.loc(element), text, Loc(self.base(element), line, 1))

    def included_script(
        self, element: etree._Element, includes: list[etree._Element]
    ) -> ir.Script | None:
        """`<script><xi:include href="lib.js" parse="text"/></script>` (Composer libraries)."""
        sources: list[str] = []
        first: Loc | None = None
        for include in includes:
            if include.get("parse") != "text":
                self.diag.error(
                    self.loc(include),
                    '<script> <xi:include>: only parse="text" can include script source',
                )
                continue
            href = include.get("href") or ""
            source = self.read_relative(include, "xi:include", "href", href)
            if source is not None:
                sources.append(source)
                first = first or Loc(str(resolve_uri(href, self.base(include))), 1, 1)
        if not sources or first is None:
            return None
        return ir.Script(self.loc(element), "\n".join(sources), first)

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

    def param(self, element: etree._Element) -> ir.Param:
        self.check_attributes(element, "param")
        self.exclusive(element, "param", "expr", "location", required=True)
        for child in self.children(element):
            self.unexpected(child, "param")
        return ir.Param(
            self.loc(element),
            self.required(element, "param", "name"),
            self.expr(element, "expr"),
            self.expr(element, "location"),
        )

    def content(self, element: etree._Element) -> ir.Content:
        self.check_attributes(element, "content")
        if element.get("expr") is not None and _has_content(element):
            self.diag.error(
                self.attr_loc(element, "expr"),
                "<content>: 'expr' and a body cannot be used together",
            )
        if element.get("expr") is not None:
            return ir.Content(self.loc(element), expr=self.expr(element, "expr"))
        return self.content_of(element)

    def content_of(self, element: etree._Element) -> ir.Content:
        """The body of `<content>` or `<data>`: text, or XML."""
        children = list(self.children(element))
        if children:
            xml = "".join(
                etree.tostring(child, encoding="unicode", with_tail=False)
                for child in children
            )
            return ir.Content(self.loc(element), xml=xml)
        return ir.Content(self.loc(element), text=element.text or "")

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
            path = resolve_uri(src, self.base(element))
            if path.is_file():
                child_document = parse_file(path, self.diag)
            else:
                self.diag.error(
                    self.attr_loc(element, "src"), f"<invoke src>: cannot read '{src}'"
                )
        has_source = child_document is not None or content is not None
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

    def namelist(self, element: etree._Element) -> tuple[ir.Expr, ...]:
        value = element.get("namelist")
        if value is None:
            return ()
        loc = self.attr_loc(element, "namelist")
        tag = _local(element)[1]
        return tuple(ir.Expr(name, loc, "namelist", tag) for name in value.split())

    # -- executable content -------------------------------------------------

    def block(self, element: etree._Element, parent: str) -> tuple[ir.Action, ...]:
        actions: list[ir.Action] = []
        for child in self.children(element):
            action = self.action(child, parent)
            if action is not None:
                actions.append(action)
        return tuple(actions)

    def action(self, element: etree._Element, parent: str) -> ir.Action | None:
        local = self.scxml_name(element)
        if local is None:
            return self.custom(element, parent)
        if local not in EXECUTABLE:
            self.unexpected(element, parent)
            return None
        reader: Callable[[etree._Element], ir.Action | None] = getattr(
            self, f"action_{local}"
        )
        return reader(element)

    def action_raise(self, element: etree._Element) -> ir.Action:
        self.check_attributes(element, "raise")
        params: list[ir.Param] = []
        for child in self.children(element):
            if (
                self.ors and self.scxml_name(child) == "param"
            ):  # ORS: <raise> carries data
                params.append(self.param(child))
            else:
                self.unexpected(child, "raise")
        return ir.Raise(
            self.loc(element), self.required(element, "raise", "event"), tuple(params)
        )

    def action_log(self, element: etree._Element) -> ir.Action:
        self.check_attributes(element, "log")
        self.no_children(element, "log")
        return ir.Log(
            self.loc(element), element.get("label"), self.expr(element, "expr")
        )

    def action_assign(self, element: etree._Element) -> ir.Action:
        self.check_attributes(element, "assign")
        location = self.required(element, "assign", "location")
        content = self.content_of(element) if _has_content(element) else None
        if content is not None and element.get("expr") is not None:
            self.diag.error(
                self.attr_loc(element, "expr"),
                "<assign>: 'expr' and a body cannot be used together",
            )
        return ir.Assign(
            self.loc(element),
            ir.Expr(location, self.attr_loc(element, "location"), "location", "assign"),
            self.expr(element, "expr"),
            content,
        )

    def action_script(self, element: etree._Element) -> ir.Action | None:
        return self.script(element)

    def action_cancel(self, element: etree._Element) -> ir.Action:
        self.check_attributes(element, "cancel")
        self.no_children(element, "cancel")
        self.exclusive(element, "cancel", "sendid", "sendidexpr", required=True)
        return ir.Cancel(
            self.loc(element), element.get("sendid"), self.expr(element, "sendidexpr")
        )

    def action_send(self, element: etree._Element) -> ir.Action:
        self.check_attributes(element, "send")
        pairs = (
            ("event", "eventexpr"),
            ("target", "targetexpr"),
            ("type", "typeexpr"),
            ("id", "idlocation"),
            ("delay", "delayexpr"),
        )
        for pair in pairs:
            self.exclusive(element, "send", *pair)
        if self.ors:
            self.exclusive(element, "send", "type", "targettype")
        params: list[ir.Param] = []
        content: ir.Content | None = None
        for child in self.children(element):
            local = self.scxml_name(child)
            if local == "param":
                params.append(self.param(child))
            elif local == "content":
                if content is not None:
                    self.diag.error(self.loc(child), "<send>: more than one <content>")
                content = self.content(child)
            else:
                self.unexpected(child, "send")
        has_event = (
            element.get("event") is not None or element.get("eventexpr") is not None
        )
        has_type = any(
            element.get(n) is not None for n in ("type", "typeexpr", "targettype")
        )
        if content is not None:
            if params or element.get("namelist") is not None:
                self.diag.error(
                    self.loc(element),
                    "<send>: <content> cannot be used with 'namelist' or <param>",
                )
        elif not has_event and not has_type:
            self.diag.error(
                self.loc(element),
                "<send>: one of 'event' and 'eventexpr' (or <content>) is required",
            )
        expressions = {
            expr_name: ir.Expr(value, self.attr_loc(element, name), name, "send")
            for name, expr_name in (_ORS_SEND_EXPRESSIONS if self.ors else ())
            if (value := element.get(name)) is not None
        }
        literal = {
            name: None if expr_name in expressions else element.get(name)
            for name, expr_name in _ORS_SEND_EXPRESSIONS
        }
        delay = literal["delay"]
        if delay is not None and _DELAY.match(delay) is None:
            self.diag.error(
                self.attr_loc(element, "delay"),
                f"<send delay>: '{delay}' is not a duration such as '500ms' or '2s'",
            )
        target = literal["target"]
        if delay is not None or element.get("delayexpr") is not None:
            if target == "#_internal":
                self.diag.error(
                    self.attr_loc(element, "target"),
                    "<send>: a delayed event cannot target '#_internal'",
                )
        return ir.Send(
            loc=self.loc(element),
            event=literal["event"],
            eventexpr=expressions.get("eventexpr") or self.expr(element, "eventexpr"),
            target=target,
            targetexpr=expressions.get("targetexpr")
            or self.expr(element, "targetexpr"),
            type=element.get("type"),
            typeexpr=expressions.get("typeexpr") or self.expr(element, "typeexpr"),
            id=element.get("id"),
            idlocation=self.expr(element, "idlocation"),
            delay=delay,
            delayexpr=expressions.get("delayexpr") or self.expr(element, "delayexpr"),
            namelist=self.namelist(element),
            params=tuple(params),
            content=content,
        )

    def action_if(self, element: etree._Element) -> ir.Action:
        self.check_attributes(element, "if")
        cond = ir.Expr(
            self.required(element, "if", "cond"),
            self.attr_loc(element, "cond"),
            "cond",
            "if",
        )
        branches: list[tuple[ir.Expr | None, tuple[ir.Action, ...]]] = []
        current_cond: ir.Expr | None = cond
        body: list[ir.Action] = []
        seen_else = False
        for child in self.children(element):
            local = self.scxml_name(child)
            if local in ("elseif", "else"):
                self.check_attributes(child, local)
                self.no_children(child, local)
                if seen_else:
                    self.diag.error(self.loc(child), f"<if>: <{local}> after <else>")
                branches.append((current_cond, tuple(body)))
                body = []
                if local == "else":
                    seen_else = True
                    current_cond = None
                else:
                    current_cond = ir.Expr(
                        self.required(child, "elseif", "cond"),
                        self.attr_loc(child, "cond"),
                        "cond",
                        "elseif",
                    )
                continue
            action = self.action(child, "if")
            if action is not None:
                body.append(action)
        branches.append((current_cond, tuple(body)))
        return ir.If(self.loc(element), tuple(branches))

    def action_foreach(self, element: etree._Element) -> ir.Action:
        self.check_attributes(element, "foreach")
        array = self.required(element, "foreach", "array")
        item = self.required(element, "foreach", "item")
        return ir.Foreach(
            self.loc(element),
            ir.Expr(array, self.attr_loc(element, "array"), "array", "foreach"),
            ir.Expr(item, self.attr_loc(element, "item"), "item", "foreach"),
            self.expr(element, "index"),
            self.block(element, "foreach"),
        )

    def no_children(self, element: etree._Element, tag: str) -> None:
        for child in self.children(element):
            self.unexpected(child, tag)

    def custom(self, element: etree._Element, parent: str) -> ir.Custom | None:
        namespace, local = _local(element)
        extension = extensions.lookup(namespace)
        if extension is None:
            self.diag.error(
                self.loc(element),
                f"<{parent}>: unknown element <{local}> in namespace '{namespace}' (no extension handles it)",
            )
            return None
        decl = extension.elements.get(local)
        if decl is None:
            self.diag.error(
                self.loc(element),
                f"<{local}>: not an element of the {extension.name} extension",
            )
            return None
        attributes: list[tuple[str, str, Loc]] = []
        for key, value in _attributes(element):
            if key.startswith("{"):
                continue
            if decl.attribute(key) is None:
                self.diag.error(
                    self.attr_loc(element, key), f"<{local}>: unknown attribute '{key}'"
                )
            attributes.append((key, value, self.attr_loc(element, key)))
        for attribute in decl.attributes:
            if attribute.required and element.get(attribute.name) is None:
                self.diag.error(
                    self.loc(element),
                    f"<{local}>: missing required attribute '{attribute.name}'",
                )
        children: list[ir.Custom] = []
        for child in self.children(element):
            child_ns, child_local = _local(child)
            if child_local not in decl.children:
                self.unexpected(child, local)
                continue
            nested = (
                self.custom(child, local)
                if child_ns
                else self.custom_child(child, namespace)
            )
            if nested is not None:
                children.append(nested)
        return ir.Custom(
            self.loc(element),
            namespace,
            local,
            tuple(attributes),
            tuple(children),
            element.text or "",
        )

    def custom_child(self, element: etree._Element, namespace: str) -> ir.Custom:
        _, local = _local(element)
        attributes = tuple(
            (k, v, self.attr_loc(element, k)) for k, v in _attributes(element)
        )
        return ir.Custom(
            self.loc(element), namespace, local, attributes, (), element.text or ""
        )


def _has_content(element: etree._Element) -> bool:
    return bool((element.text or "").strip()) or any(
        isinstance(c.tag, str) for c in element
    )


def _normalise_descriptor(descriptor: str) -> str:
    """`a.b.*` and `a.b.` mean `a.b`; `*` and `.*` stay a wildcard."""
    if descriptor in ("*", ".*"):
        return "*"
    if descriptor.endswith(".*"):
        return descriptor[:-2]
    return descriptor.rstrip(".") or descriptor


def resolve_uri(uri: str, base: str) -> Path:
    """A `file:` URI or relative path, resolved against the document at `base`."""
    path = uri[len("file:") :] if uri.startswith("file:") else uri
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = Path(base).parent / candidate
    return candidate
