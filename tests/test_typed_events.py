"""Typed events: a generated module declares the events its chart accepts, so a
misspelt `send` is a type error in the code that uses it; `check` warns of
transitions waiting for events nothing can send."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from scxmlc.compiler import CompileError, Options, compile_path, compile_text
from scxmlc.compiler.typecheck import mypy_strict

ROOT = Path(__file__).resolve().parents[1]
IVR_MENU = ROOT / "examples" / "ivr_menu.scxml"


def chart(body: str, *, namespaces: str = "", datamodel: str = "python") -> str:
    return (
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
        f'datamodel="{datamodel}"{namespaces}>\n{textwrap.dedent(body)}</scxml>\n'
    )


def warnings_of(text: str, name: str = "doc.scxml") -> list[str]:
    return [str(d) for d in compile_text(text, name).warnings]


def test_a_misspelt_event_sent_to_a_generated_machine_is_a_type_error(
    tmp_path: Path,
) -> None:
    """The README's IVR menu: a user's code that sends `dtfm` fails `mypy
    --strict`; the same code sending `dtmf` passes."""
    (tmp_path / "ivr_menu.py").write_text(compile_path(IVR_MENU).source)
    code = (
        "from scxmlc.runtime import VirtualClock\n"
        "from ivr_menu import IvrMenu\n"
        "\n"
        "call = IvrMenu(VirtualClock())\n"
        "call.start()\n"
        'call.send("call.incoming", {"ani": "+15550123"})\n'
        'call.send("dtfm", "2")\n'
    )
    (tmp_path / "misspelt.py").write_text(code)
    (tmp_path / "spelt.py").write_text(code.replace('"dtfm"', '"dtmf"'))
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert mypy_strict(["misspelt.py", "ivr_menu.py"]) == (
            1,
            'misspelt.py:7:11: error: Argument 1 to "send" of "IvrMenu" has '
            "incompatible type \"Literal['dtfm']\"; expected "
            "\"Literal['call.hangup', 'call.incoming', 'dtmf', 'menu.timeout']\""
            "  [arg-type]\n",
        )
        assert mypy_strict(["spelt.py", "ivr_menu.py"]) == (0, "")
    finally:
        os.chdir(cwd)


def test_the_declared_events_are_the_descriptors_and_the_names_they_match() -> None:
    """`queue` accepts `queue.submit.done` (a platform event) and the
    `queue.custom` the document raises; the alias is exported."""
    source = compile_text(
        chart(
            """\
            <state id="s">
              <onentry><raise event="queue.custom"/></onentry>
              <transition event="queue" target="s"/>
              <transition event="go.*" target="s"/>
            </state>
            """,
            namespaces=' xmlns:queue="http://www.genesyslab.com/modules/queue"',
        ),
        "queued.scxml",
    ).source
    declared = source.split("QueuedEvent: TypeAlias = Literal[", 1)[1].split("]")[0]
    names = [name.strip().strip('"') for name in declared.split(",") if name.strip()]
    assert names == [
        "go",
        "queue",
        "queue.cancel.done",
        "queue.custom",
        "queue.query.done",
        "queue.submit.done",
        "queue.submit.requestid",
        "queue.update.done",
    ]
    assert '__all__ = ["Queued", "QueuedData", "QueuedEvent"]' in source
    assert "def send(self, name: QueuedEvent, data: Any = None) -> None:" in source


def test_a_chart_that_accepts_any_name_keeps_the_untyped_send() -> None:
    source = compile_text(
        chart('<state id="s"><transition event="*" target="s"/></state>\n'),
        "any.scxml",
    ).source
    assert "TYPE_CHECKING" not in source and "AnyEvent" not in source
    assert "from typing import Any, Final\n" in source


def test_an_autoforwarding_parent_accepts_its_childs_events() -> None:
    source = compile_text(
        chart(
            """\
            <state id="s">
              <invoke autoforward="true">
                <content>
                  <scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"
                         datamodel="python">
                    <state id="c"><transition event="child.go" target="c"/></state>
                  </scxml>
                </content>
              </invoke>
              <transition event="parent.go" target="s"/>
            </state>
            """
        ),
        "forward.scxml",
    ).source
    assert 'ForwardEvent: TypeAlias = Literal["child.go", "parent.go"]' in source


ORS = ' xmlns:queue="http://www.genesyslab.com/modules/queue"'


def test_check_warns_of_events_nothing_can_send() -> None:
    """Platform events not in the extension tables, `done.state` of no
    compound state, and a near miss of an event the document raises: each a
    warning at its descriptor, with the closest known name; the document still
    compiles."""
    text = chart(
        """\
        <state id="s">
          <onentry><raise event="checked"/></onentry>
          <transition event="queue.submitted.done" target="f"/>
          <transition event="interaction.added error.queue.sumbit" target="f"/>
          <transition event="chekced" target="f"/>
          <transition event="done.state.S" target="f"/>
          <transition event="from.outside" target="f"/>
        </state>
        <final id="f"/>
        """,
        namespaces=ORS,
        datamodel="ecmascript",
    )
    assert warnings_of(text) == [
        "doc.scxml:4:22: warning: <transition event>: no event the platform or "
        "the document sends matches 'queue.submitted.done' (did you mean "
        "'queue.submit.done'?): only the platform sends 'queue.*' events, so the "
        "transition never fires",
        "doc.scxml:5:40: warning: <transition event>: no event the platform or "
        "the document sends matches 'error.queue.sumbit' (did you mean "
        "'error.queue.submit'?): only the platform sends 'error.*' events, so the "
        "transition never fires",
        "doc.scxml:6:22: warning: <transition event>: nothing in the document "
        "raises or sends 'chekced' (did you mean 'checked'?): the transition "
        "fires only on an event sent from outside",
        "doc.scxml:7:22: warning: <transition event>: no event the platform or "
        "the document sends matches 'done.state.S': only the platform sends "
        "'done.*' events, so the transition never fires",
    ]


def test_events_something_can_send_are_not_reported() -> None:
    """Prefix descriptors, `done.state` of a compound state, `done.invoke` of
    an invoke, an ORS `<send event>` expression, names from outside."""
    text = chart(
        """\
        <state id="s">
          <state id="inner"><final id="end"/></state>
          <invoke id="job"><content>
            <scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><final/></scxml>
          </content></invoke>
          <onentry><send event="'queue.mine'"/></onentry>
          <transition event="queue.submit queue.mine interaction" target="f"/>
          <transition event="done.state.inner done.invoke.job error" target="f"/>
          <transition event="customer.called" target="f"/>
        </state>
        <final id="f"/>
        """,
        namespaces=ORS,
        datamodel="ecmascript",
    )
    assert warnings_of(text) == []


def test_a_name_sent_by_an_expression_silences_the_near_misses() -> None:
    """`eventexpr` may send any name: a near miss may be one of them."""
    text = chart(
        """\
        <datamodel><data id="which" expr="'checked'"/></datamodel>
        <state id="s">
          <onentry><raise event="checked"/><send eventexpr="which"/></onentry>
          <transition event="chekced" target="s"/>
        </state>
        """
    )
    assert warnings_of(text) == []


def test_event_names_reach_the_literal_as_python_strings() -> None:
    """Quotes and backslashes of a document's event names are escaped, so
    the declaration stays one `Literal` of exactly those names."""
    text = chart(
        '<state id="s"><transition event="a&quot;b c\\d e\'f" target="s"/></state>\n'
    )
    source = compile_text(text, "doc.scxml").source
    declaration = next(line for line in source.splitlines() if "Literal[" in line)
    assert declaration == 'DocEvent: TypeAlias = Literal[\'a"b\', "c\\\\d", "e\'f"]'


def test_strict_builds_refuse_a_transition_that_never_fires() -> None:
    text = chart(
        '<state id="s"><transition event="done.state.x" target="s"/></state>\n'
    )
    with pytest.raises(CompileError) as raised:
        compile_text(text, "doc.scxml", Options(strict=True))
    assert [str(d) for d in raised.value.diagnostics] == [
        "doc.scxml:2:34: error: <transition event>: no event the platform or the "
        "document sends matches 'done.state.x': only the platform sends 'done.*' "
        "events, so the transition never fires"
    ]
