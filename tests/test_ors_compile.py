"""ORS extension elements: validation with positions, what they compile to, typing."""

from __future__ import annotations

import ast

import pytest

from scxmlc.compiler import CompileError, compile_text
from scxmlc.compiler.typecheck import typecheck_module

from generated import unparsed
from ors_harness import NAMESPACES

BAD = """<scxml {ns} profile="ecmascript" initial="s">
  <state id="s">
    <onentry>
      <ixn:redirect interactionid="'x'"/>
      <queue:target name="'Sales'"/>
      <queue:submit colour="'red'">
        <queue:targets><queue:bogus/><log expr="1"/></queue:targets>
      </queue:submit>
      <statistic:subscribe object="'a@.A'"/>
      <dialog:pause duration="2"/>
      <ixn:frobnicate/>
    </onentry>
  </state>
</scxml>"""


def test_every_error_of_the_genesys_elements_is_reported_with_its_position() -> None:
    with pytest.raises(CompileError) as raised:
        compile_text(BAD.replace("{ns}", NAMESPACES), "bad.scxml")
    assert [str(d) for d in raised.value.diagnostics] == [
        "bad.scxml:4:7: error: <redirect>: missing required attribute 'to'",
        "bad.scxml:5:7: error: <target>: only allowed inside <targets>",
        "bad.scxml:6:21: warning: <submit>: unknown attribute 'colour' (ignored)",
        "bad.scxml:7:24: error: <targets>: unexpected child element <bogus> (namespace http://www.genesyslab.com/modules/queue)",
        "bad.scxml:7:38: error: <targets>: unexpected child element <log>",
        "bad.scxml:9:7: error: <subscribe>: missing required attribute 'statistic'",
        "bad.scxml:10:7: error: <pause>: only allowed inside <runtreatments>",
        "bad.scxml:11:7: warning: <frobnicate>: not an element of the interaction extension (raises error.unsupported.element when run)",
    ]


def test_unknown_attributes_and_elements_are_warnings() -> None:
    text = """<scxml {ns} profile="ecmascript" initial="s">
  <state id="s">
    <onentry>
      <queue:submit colour="'red'" queue="'VQ'"/>
      <ixn:frobnicate/>
    </onentry>
  </state>
</scxml>""".replace(
        "{ns}", NAMESPACES
    )
    compilation = compile_text(text, "warn.scxml")
    assert [str(d) for d in compilation.warnings] == [
        "warn.scxml:4:21: warning: <submit>: unknown attribute 'colour' (ignored)",
        "warn.scxml:5:7: warning: <frobnicate>: not an element of the interaction extension (raises error.unsupported.element when run)",
    ]
    code = unparsed(compilation.source)
    assert "self._genesys.queue.submit(queue='VQ')" in code
    assert "self._genesys.unsupported('ixn', 'frobnicate')" in code


def test_namespaces_match_with_or_without_the_scheme() -> None:
    for uri in (
        "www.genesyslab.com/modules/queue",
        "http://www.genesyslab.com/modules/queue",
        "https://www.genesyslab.com/modules/queue/",
    ):
        text = f"""<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:q="{uri}"
    version="1.0" profile="ecmascript"><state id="s"><onentry>
    <q:query requestid="'queue-1'"/></onentry></state></scxml>"""
        source = compile_text(text, "ns.scxml").source
        assert "self._genesys.queue.query(requestid='queue-1')" in unparsed(source)


def test_actions_compile_to_calls_with_children_and_the_requestid_location() -> None:
    text = """<scxml {ns} profile="ecmascript" initial="s">
  <datamodel><data id="reqid"/><data id="who" expr="'x'"/></datamodel>
  <state id="s">
    <onentry>
      <session:fetch requestid="_data.reqid" srcexpr="'http://crm/api'" method="'post'" maxage="5">
        <param name="ani" expr="who"/>
        <content _expr="'{}'"/>
      </session:fetch>
      <dialog:playandcollect interactionid="who" language="'en'">
        <dialog:prompts type="ann"><dialog:prompt intid="101"/></dialog:prompts>
        <dialog:input max_digits="4"/>
      </dialog:playandcollect>
      <ixn:redirect from="'5000'" to="who" detach="true"/>
    </onentry>
  </state>
</scxml>""".replace(
        "{ns}", NAMESPACES
    )
    source = compile_text(text, "calls.scxml").source
    assert statements(source, "_onentry_s") == [
        "requestid = self._genesys.session.fetch(srcexpr='http://crm/api', "
        "method='post', params={'ani': self.dm['who']}, content='{}')",
        "self.dm['reqid'] = requestid",
        "self._genesys.dialog.action('playandcollect', interactionid=self.dm['who'], "
        "attributes={'language': 'en'}, children=[ors.Treatment('prompts', "
        "{'type': 'ann'}, children=(ors.Treatment('prompt', {'intid': 101}),)), "
        "ors.Treatment('input', {'max_digits': 4})])",
        "self._genesys.ixn.redirect(from_='5000', to=self.dm['who'], detach=True)",
    ]


def statements(source: str, method: str) -> list[str]:
    """The statements of `method` of the machine class in `source`, as
    `ast.unparse` writes them (whatever the formatting)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == method:
            return [ast.unparse(statement) for statement in node.body]
    raise AssertionError(f"no method {method}")


def test_python_datamodel_documents_are_type_checked_against_genesys() -> None:
    text = """<scxml {ns} datamodel="python" initial="s">
  <datamodel><data id="agents" expr="0.0"/><data id="label" expr="''"/></datamodel>
  <state id="s">
    <onentry>
      <assign location="agents" expr="_genesys.statistic.sData('Sales@.GA', 'StatAgentsAvailable')"/>
      <assign location="label" expr="_genesys.statistic.sData('Sales@.GA', 'StatAgentsTotal')"/>
      <assign location="label" expr="_genesys.session.timeInZone('EST')"/>
      <queue:submit priority="'high'"/>
    </onentry>
  </state>
</scxml>""".replace(
        "{ns}", NAMESPACES
    )
    compilation = compile_text(text, "typed.scxml")
    errors = [str(e) for e in typecheck_module(compilation.source, "typed.scxml")]
    assert errors == [
        'typed.scxml:6:1: error: type error: Incompatible types in assignment (expression has type "float", variable has type "str")',
        'typed.scxml:8:1: error: type error: Argument "priority" to "submit" of "QueueModule" has incompatible type "str"; expected "float | None"',
    ]
