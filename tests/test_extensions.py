"""The extension seam: a namespace of action elements, validated and compiled.

The `audit` extension below is complete: it declares `<audit:record>` with a
required expression attribute, an optional literal attribute with a default, and a
location attribute, and compiles it into ordinary runtime calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scxmlc.compiler import CompileError, compile_text
from scxmlc.compiler.extensions import (
    ActionCompiler,
    AttributeDecl,
    ElementDecl,
    Extension,
    register,
    unregister,
)
from scxmlc.compiler.ir import Custom
from scxmlc.compiler.loader import _import
from scxmlc.runtime import Event, Machine, Observer, VirtualClock


def compile_record(node: Custom, compiler: ActionCompiler) -> list[str]:
    level = compiler.literal(node, "level")
    lines = [f"self._log({f'audit.{level}'!r}, {compiler.value(node, 'what')})"]
    if any(name == "countlocation" for name, _, _ in node.attributes):
        lines.extend(compiler.assign(node, "countlocation", "1"))
    return lines


AUDIT = Extension(
    name="audit",
    namespaces=("http://example.com/scxml/audit",),
    elements={
        "record": ElementDecl(
            "record",
            (
                AttributeDecl("what", "expr", required=True),
                AttributeDecl("level", "literal", default="info"),
                AttributeDecl("countlocation", "location"),
            ),
        )
    },
    compile=compile_record,
)


@pytest.fixture(autouse=True)
def audit_extension() -> Iterator[None]:
    register(AUDIT)
    yield
    unregister(AUDIT)


DOCUMENT = """<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:audit="{ns}"
    version="1.0" datamodel="python">
  <datamodel><data id="n" expr="0"/></datamodel>
  <state id="s">
    <onentry>
      <audit:record what="'entered ' + str(n)" countlocation="n"/>
      {extra}
    </onentry>
  </state>
</scxml>
"""


def test_extension_elements_compile_and_run() -> None:
    # The namespace matches without its scheme too.
    text = DOCUMENT.format(
        ns="example.com/scxml/audit", extra='<audit:record what="n" level="warn"/>'
    )
    compilation = compile_text(text, "audit.scxml")
    logs: list[tuple[str | None, Any]] = []

    class Logs(Observer):
        def on_log(self, machine: Machine, label: str | None, value: Any) -> None:
            logs.append((label, value))

        def on_error(
            self, machine: Machine, event: Event, error: BaseException | None
        ) -> None:
            raise AssertionError(error)

    module = _import(compilation.source, "extension_test")
    machine = getattr(module, compilation.class_name)(VirtualClock(), observer=Logs())
    machine.start()
    assert logs == [("audit.info", "entered 0"), ("audit.warn", 1)]


def test_extension_elements_are_validated_against_their_declaration() -> None:
    text = DOCUMENT.format(
        ns="http://example.com/scxml/audit",
        extra='<audit:record level="warn" colour="red"/><audit:erase/>',
    )
    with pytest.raises(CompileError) as raised:
        compile_text(text, "audit.scxml")
    assert [str(d) for d in raised.value.diagnostics] == [
        "audit.scxml:7:7: error: <record>: missing required attribute 'what'",
        "audit.scxml:7:34: error: <record>: unknown attribute 'colour'",
        "audit.scxml:7:48: error: <erase>: not an element of the audit extension",
    ]


def test_unregistered_namespaces_are_errors() -> None:
    unregister(AUDIT)
    with pytest.raises(CompileError) as raised:
        compile_text(DOCUMENT.format(ns="urn:other", extra=""), "audit.scxml")
    assert [str(d) for d in raised.value.diagnostics] == [
        "audit.scxml:6:7: error: <onentry>: unknown element <record> in namespace 'urn:other' (no extension handles it)"
    ]
    register(AUDIT)
