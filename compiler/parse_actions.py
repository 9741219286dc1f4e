"""Reading executable content: `<raise>`, `<send>`, `<if>`, ... and extensions.

Part of the parse phase: `ActionReader` turns the children of `<onentry>`,
`<onexit>`, `<transition>`, `<finalize>` and `<foreach>` into `ir.Action`s,
validating each element (and each extension element against its declaration).
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from . import extensions, ir
from .diagnostics import Loc
from .extensions import ElementDecl
from .suggestions import did_you_mean
from .reader import (
    _DELAY,
    _ORS_SEND_EXPRESSIONS,
    EXECUTABLE,
    SCXML_NS,
    XINCLUDE_NS,
    ReaderBase,
    _has_content,
    _local,
    _attributes,
)


class ActionReader(ReaderBase):
    """Builds `ir.Action`s from executable content."""

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
            path = self.locate_file(element, "script", "src", src)
            if path is None:
                return None
            source = self.read_file(element, "script", "src", src, path)
            if source is None:
                return None
            return ir.Script(self.loc(element), source, Loc(str(path), 1, 1))
        text = element.text or ""
        line = self.loc(element).line
        return ir.Script(self.loc(element), text, Loc(self.base(element), line, 1))

    def included_script(
        self, element: etree._Element, includes: list[etree._Element]
    ) -> ir.Script | None:
        """`<script><xi:include href="lib.js" parse="text"/></script>` (Composer libraries)."""
        sources: list[str] = []
        parts: list[tuple[int, Loc]] = []
        line = 1
        for include in includes:
            if include.get("parse") != "text":
                self.diag.error(
                    self.loc(include),
                    '<script> <xi:include>: only parse="text" can include script source',
                )
                continue
            href = include.get("href") or ""
            path = self.locate_file(include, "xi:include", "href", href)
            if path is None:
                continue
            source = self.read_file(include, "xi:include", "href", href, path)
            if source is not None:
                sources.append(source)
                parts.append((line, Loc(str(path), 1, 1)))
                line += source.count("\n") + 1  # the files are joined by newlines
        if not sources:
            return None
        source = "\n".join(sources)
        return ir.Script(self.loc(element), source, parts[0][1], tuple(parts))

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
        if self.ors:  # ORS: `sendid` is an expression, and the cancel is answered
            return ir.Cancel(
                self.loc(element),
                sendidexpr=self.expr(element, "sendid")
                or self.expr(element, "sendidexpr"),
                answered=True,
            )
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

    def custom(
        self,
        element: etree._Element,
        parent: str,
        parent_decl: ElementDecl | None = None,
    ) -> ir.Custom | None:
        """An extension element, validated against its declaration; `parent_decl`
        is the declaration of the extension element it is a child of, if any."""
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
            hint = did_you_mean(local, extension.elements)
            message = (
                f"<{local}>: not an element of the {extension.name} extension{hint}"
            )
            if not extension.lenient:
                self.diag.error(self.loc(element), message)
                return None
            self.diag.warning(
                self.loc(element),
                message + " (raises error.unsupported.element when run)",
            )
            return ir.Custom(self.loc(element), namespace, local, ())
        if decl.parents and (parent_decl is None or parent not in decl.parents):
            allowed = ", ".join(f"<{name}>" for name in decl.parents)
            self.diag.error(
                self.loc(element), f"<{local}>: only allowed inside {allowed}"
            )
            return None
        attributes = self.custom_attributes(element, local, decl, extension.lenient)
        children: list[ir.Custom] = []
        for child in self.children(element):
            child_ns, child_local = _local(child)
            if child_local not in decl.children:
                self.unexpected(child, local)
                continue
            nested = (
                self.custom(child, local, decl)
                if child_ns and child_ns != SCXML_NS
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

    def custom_attributes(
        self, element: etree._Element, local: str, decl: ElementDecl, lenient: bool
    ) -> list[tuple[str, str, Loc]]:
        """The attributes of an extension element; unknown ones are reported (as
        warnings for a lenient extension, and then left out) and required ones checked.
        """
        attributes: list[tuple[str, str, Loc]] = []
        for key, value in _attributes(element):
            if key.startswith("{"):
                continue
            loc = self.attr_loc(element, key)
            if decl.attribute(key) is None:
                hint = did_you_mean(key, (a.name for a in decl.attributes))
                if lenient:
                    self.diag.warning(
                        loc,
                        f"<{local}>: unknown attribute '{key}'{hint}",
                        consequence="ignored",
                    )
                    continue
                self.diag.error(loc, f"<{local}>: unknown attribute '{key}'{hint}")
            attributes.append((key, value, loc))
        for attribute in decl.attributes:
            if attribute.required and element.get(attribute.name) is None:
                self.diag.error(
                    self.loc(element),
                    f"<{local}>: missing required attribute '{attribute.name}'",
                )
        return attributes

    def custom_child(self, element: etree._Element, namespace: str) -> ir.Custom:
        _, local = _local(element)
        attributes = tuple(
            (k, v, self.attr_loc(element, k)) for k, v in _attributes(element)
        )
        return ir.Custom(
            self.loc(element), namespace, local, attributes, (), element.text or ""
        )
