"""The shared part of the SCXML reader: the schema tables, positions, attributes.

`ReaderBase` walks an lxml tree with the positions `positions.scan_tags` found,
and offers what both the structure reader (`parse`) and the executable-content
reader (`parse_actions`) need: element and attribute positions, attribute checks
against the SCXML schema (and the ORS additions in ORS documents), children with
`<xi:include parse="xml">` resolved, files read relative to the document.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from lxml import etree

from . import ir
from .diagnostics import Diagnostics, Loc
from .naming import is_xml_name
from .positions import TagPosition, scan_tags
from .suggestions import did_you_mean

__all__ = ["SCXML_NS", "SCXMLC_NS", "XINCLUDE_NS", "ReaderBase", "resolve_uri"]

SCXML_NS: Final = "http://www.w3.org/2005/07/scxml"
SCXMLC_NS: Final = "urn:scxmlc"
XINCLUDE_NS: Final = "http://www.w3.org/2001/XInclude"
COMPOSER_PREFIX: Final = "$$_MY_PREFIX_$$"
MAX_INCLUDES: Final = 1000
"""XIncludes per document at most (a cycle of includes stops here)."""
MAX_FILE_BYTES: Final = 16 * 1024 * 1024
"""The largest document, included file or `src` file the compiler reads."""


def document_problem(path: Path) -> str | None:
    """Why the compiler will not read the document at `path`, as the message
    of a whole-file error (`no such file`, `permission denied`, `not a regular
    file`, `larger than 16 MiB`), or None."""
    if not os.path.exists(path):
        return "no such file"
    problem = file_problem(path)
    if problem is None:
        return None
    return problem[:1].lower() + problem[1:]


def file_problem(path: Path) -> str | None:
    """Why the compiler will not read the file at `path` (not a regular file,
    larger than `MAX_FILE_BYTES`), or None."""
    try:
        info = path.stat()
    except OSError as error:
        return error.strerror or str(error)
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB"
    return None


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


def _local(element: etree._Element) -> tuple[str, str]:
    qname = etree.QName(element)
    return qname.namespace or "", qname.localname


def _attributes(element: etree._Element) -> list[tuple[str, str]]:
    """The attributes of `element` as (`{namespace}name` or `name`, value) text pairs."""
    return [(_text(key), _text(value)) for key, value in element.attrib.items()]


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


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


def find_ignoring_case(path: Path) -> Path | None:
    """The file `path` names when letter case is ignored, if exactly one does
    (ORS ran on file systems that ignore case, and Composer projects rely on it:
    `href="Main3.scxml"` for `main3.scxml`); None otherwise."""
    found = Path(path.anchor) if path.is_absolute() else Path(".")
    for part in path.parts[1:] if path.is_absolute() else path.parts:
        if part in ("", ".", ".."):
            found = found / part
            continue
        exact = found / part
        if exact.exists():
            found = exact
            continue
        try:
            matches = [
                c for c in found.iterdir() if c.name.casefold() == part.casefold()
            ]
        except OSError:
            return None
        if len(matches) != 1:
            return None
        found = matches[0]
    return found if found.is_file() else None


def substitute_prefix(root: etree._Element, prefix: str | None) -> None:
    """Replace Composer's `$$_MY_PREFIX_$$` in every attribute and text of
    `root`'s tree by `prefix` (an include's `resolveid`); without a prefix (a
    document compiled on its own) `$$_MY_PREFIX_$$.` and its dot go."""

    def replaced(text: str) -> str:
        if prefix is not None:
            return text.replace(COMPOSER_PREFIX, prefix)
        return text.replace(COMPOSER_PREFIX + ".", "").replace(COMPOSER_PREFIX, "")

    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if COMPOSER_PREFIX in _text(value):
                element.set(name, replaced(_text(value)))
        if element.text and COMPOSER_PREFIX in element.text:
            element.text = replaced(element.text)
        if element.tail and COMPOSER_PREFIX in element.tail:
            element.tail = replaced(element.tail)


_STATE_TAGS: Final = frozenset(
    f"{{{SCXML_NS}}}{name}" for name in ("state", "parallel", "final", "history")
)


def prefix_ids(root: etree._Element, prefix: str) -> None:
    """Composer inclusion: the id of every state, parallel, final and history
    element of `root`'s tree (`root` included) becomes `prefix.id`."""
    for element in root.iter(*_STATE_TAGS):
        state_id = element.get("id")
        if state_id is not None:
            element.set("id", f"{prefix}.{state_id}")


class ReaderBase:
    """Positions, attribute checks and children for the readers built on it."""

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
        self.files: list[str] = [path]
        """Every file read for the document, itself first (for cache keys)."""
        nsmap = root.nsmap.values()
        self.ors = root.get("profile") is not None or any(
            ns is not None and "genesyslab.com/modules" in ns for ns in nsmap
        )

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
                    self.attr_loc(element, key),
                    f"<{name}>: unknown attribute '{key}'{did_you_mean(key, allowed)}",
                )

    def get(self, element: etree._Element, name: str) -> str | None:
        value = element.get(name)
        return value

    def expr(self, element: etree._Element, name: str) -> ir.Expr | None:
        value = element.get(name)
        if value is None:
            return None
        return ir.Expr(value, self.attr_loc(element, name), name, _local(element)[1])

    def check_id(self, element: etree._Element, tag: str, value: str) -> None:
        """An id must be an XML name (SCXML's `xsd:ID`)."""
        if not is_xml_name(value):
            self.diag.error(
                self.attr_loc(element, "id"),
                f"<{tag} id>: {value!r} is not a valid id (an id is an XML name: "
                "a letter or '_', then letters, digits, '.', '-' and '_')",
            )

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

        `xpointer` names the element by id. With a `resolveid` (Composer's
        prefix), the id of every state of the included subtree becomes
        `resolveid.id`, and `$$_MY_PREFIX_$$` is replaced by `resolveid`
        wherever it appears (targets, initials, event descriptors); its
        elements' positions carry the prefix for `_my_prefix` (`Loc.include`).
        """
        href = element.get("href")
        if not href:
            self.diag.error(
                self.loc(element), "<xi:include>: missing required attribute 'href'"
            )
            return None
        self.includes += 1
        if self.includes > MAX_INCLUDES:
            self.diag.error(
                self.attr_loc(element, "href"),
                f"<xi:include href>: more than {MAX_INCLUDES} includes (do they include each other?)",
            )
            return None
        path = self.locate_file(element, "xi:include", "href", href)
        if path is None:
            return None
        if str(path) == self.base(element):
            self.diag.error(
                self.attr_loc(element, "href"),
                f"<xi:include href>: '{href}' includes itself",
            )
            return None
        text = self.read_file(element, "xi:include", "href", href, path)
        if text is None:
            return None
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
        prefix = element.get("resolveid")
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        positions = scan_tags(text, str(path), prefix or "")
        for included, position in zip(elements, positions):
            self.positions[included] = position
        pointer = element.get("xpointer")
        found = root
        if pointer is not None:
            matches = [e for e in elements if e.get("id") == pointer]
            if not matches:
                self.diag.error(
                    self.attr_loc(element, "xpointer"),
                    f"<xi:include xpointer>: no element with id '{pointer}' in '{href}'",
                )
                return None
            found = matches[0]
        substitute_prefix(found, prefix)
        if prefix:
            prefix_ids(found, prefix)
        return found

    def locate_file(
        self, element: etree._Element, tag: str, attribute: str, uri: str
    ) -> Path | None:
        """The file `uri` of `element` names, relative to its document; found
        ignoring letter case, with a warning, when no file has its exact name
        (None, reported, when none is found)."""
        path = resolve_uri(uri, self.base(element))
        if path.exists():
            return path
        found = find_ignoring_case(path)
        if found is None:
            self.diag.error(
                self.attr_loc(element, attribute),
                f"<{tag} {attribute}>: cannot read '{uri}': No such file or directory",
            )
            return None
        self.diag.warning(
            self.attr_loc(element, attribute),
            f"<{tag} {attribute}>: no file '{path.name}'; read '{found.name}', "
            "whose name differs in letter case (rename one of them: a file "
            "system that minds case will not find it)",
        )
        return found

    def read_file(
        self, element: etree._Element, tag: str, attribute: str, uri: str, path: Path
    ) -> str | None:
        """The text of the file at `path` (`uri` of `element`), recorded among the
        document's files; None, reported, if it cannot be read."""
        problem = file_problem(path)
        if problem is not None:
            self.diag.error(
                self.attr_loc(element, attribute),
                f"<{tag} {attribute}>: cannot read '{uri}': {problem}",
            )
            return None
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            self.diag.error(
                self.attr_loc(element, attribute),
                f"<{tag} {attribute}>: cannot read '{uri}': {reason}",
            )
            return None
        self.files.append(str(path))
        return text

    def unexpected(self, child: etree._Element, parent: str) -> None:
        namespace, local = _local(child)
        where = (
            f" (namespace {namespace})" if namespace and namespace != SCXML_NS else ""
        )
        if not where and local not in _ATTRIBUTES:  # a misspelt SCXML element?
            where = did_you_mean(local, _ATTRIBUTES)
        self.diag.error(
            self.loc(child), f"<{parent}>: unexpected child element <{local}>{where}"
        )

    def read_relative(
        self, element: etree._Element, tag: str, attribute: str, uri: str
    ) -> str | None:
        """The text of the file `uri` of `element` names, relative to its
        document (see `locate_file`); None, reported, if it cannot be read."""
        path = self.locate_file(element, tag, attribute, uri)
        if path is None:
            return None
        return self.read_file(element, tag, attribute, uri, path)

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

    def namelist(self, element: etree._Element) -> tuple[ir.Expr, ...]:
        value = element.get("namelist")
        if value is None:
            return ()
        loc = self.attr_loc(element, "namelist")
        tag = _local(element)[1]
        return tuple(ir.Expr(name, loc, "namelist", tag) for name in value.split())

    def no_children(self, element: etree._Element, tag: str) -> None:
        for child in self.children(element):
            self.unexpected(child, tag)
