"""A Composer-style project compiles unmodified and runs.

tests/cases/composer/ follows the conventions of Composer output: an IPD main
document with a parallel application leg and event-handler leg, a workflow
included with XInclude (`xpointer`, `resolveid`, `$$_MY_PREFIX_$$` ids), a helper
library included as script text, `profile="ecmascript"`, `_data.<id>`, and
`<send>`/`<raise>` in the ORS dialect.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import scxmlc
from scxmlc.compiler import CompileError, Options, compile_path
from scxmlc.runtime import VirtualClock

from recording import Recorder

PROJECT = Path(__file__).parent / "cases" / "composer"


def test_composer_project_runs_end_to_end() -> None:
    recorder = Recorder()
    clock = VirtualClock()
    session = scxmlc.load(PROJECT / "src-gen" / "default.scxml")(
        clock, observer=recorder
    )
    session.start()
    assert "_composer_wait" in session.configuration
    session.send("interaction.added", {"interactionid": "ix-1"})
    assert "MainWorkflow.Begin" in session.configuration  # the included, prefixed ids
    clock.advance(0.2)  # the workflow's '200ms' timer
    assert session.finished and session.configuration == {"_composer_exit"}
    assert session.dm["result"] == "sales"
    assert list(session.globals._js__logs) == [
        "workflow started for ix-1",
        "routing to sales",
    ]
    assert recorder.values == ["routing to sales"] and recorder.errors == []


def test_a_missing_include_is_a_diagnostic_at_its_position(tmp_path: Path) -> None:
    main = tmp_path / "main.scxml"
    main.write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:xi="http://www.w3.org/2001/XInclude"
       version="1.0" profile="ecmascript">
  <script><xi:include href="lib/missing.js" parse="text"/></script>
  <state id="s">
    <xi:include href="Workflow.scxml" parse="xml" xpointer="entry"/>
  </state>
</scxml>
""",
        encoding="utf-8",
    )
    (tmp_path / "Workflow.scxml").write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0"><state id="other"/></scxml>',
        encoding="utf-8",
    )
    with pytest.raises(CompileError) as raised:
        compile_path(main)
    assert [
        f"{d.loc.line}:{d.loc.col}: {d.message}" for d in raised.value.diagnostics
    ] == [
        "3:23: <xi:include href>: cannot read 'lib/missing.js': No such file or directory",
        "5:51: <xi:include xpointer>: no element with id 'entry' in 'Workflow.scxml'",
    ]


def test_positions_in_script_text_name_the_included_file(tmp_path: Path) -> None:
    """Script text joined from several included files: each position names the
    file and line it was written at, in diagnostics and in the generated code."""
    (tmp_path / "one.js").write_text(
        "var a = 1;\nvar b = 2;\nvar c = 3;\n", encoding="utf-8"
    )
    (tmp_path / "two.js").write_text("var d = 4;\nvar [e] = [d];\n", encoding="utf-8")
    (tmp_path / "three.js").write_text("var f = 6;\n\nvar g = ;\n", encoding="utf-8")
    (tmp_path / "fine.js").write_text(
        "// helpers\nfunction helper() { return 1; }\n", encoding="utf-8"
    )
    main = tmp_path / "main.scxml"
    main.write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:xi="http://www.w3.org/2001/XInclude"
       version="1.0" profile="ecmascript">
  <script><xi:include href="one.js" parse="text"/><xi:include href="two.js" parse="text"/></script>
  <script><xi:include href="one.js" parse="text"/><xi:include href="three.js" parse="text"/></script>
  <state id="s"/>
</scxml>
""",
        encoding="utf-8",
    )
    with pytest.raises(CompileError) as raised:
        compile_path(main, Options(strict=True))
    assert [
        f"{Path(d.loc.file).name}:{d.loc.line}:{d.loc.col}: {d.message}"
        for d in raised.value.diagnostics
    ] == [
        "three.js:3:9: <script>: invalid ECMAScript: Unexpected token ; "
        "(evaluating it raises error.execution)",
        "two.js:2:5: <script>: destructuring is not supported "
        "(evaluating it raises error.execution)",
    ]
    main.write_text(
        main.read_text(encoding="utf-8")
        .replace("two.js", "fine.js")
        .replace("three.js", "fine.js"),
        encoding="utf-8",
    )
    source = compile_path(main).source
    assert "# one.js:3\n" in source and "# fine.js:2\n" in source


def test_run_time_errors_in_included_libraries_name_the_library_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "lib.js").write_text(
        "function first() { return 1; }\n"
        "function broken(x) {\n"
        "  return x.missing.value;\n"
        "}\n",
        encoding="utf-8",
    )
    (tmp_path / "main.scxml").write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" xmlns:xi="http://www.w3.org/2001/XInclude"
       version="1.0" profile="ecmascript" initial="s">
  <datamodel><data id="where" expr="''"/></datamodel>
  <script><xi:include href="lib.js" parse="text"/></script>
  <state id="s">
    <onentry><script>broken({})</script></onentry>
    <transition event="error.execution" target="t">
      <assign location="where" expr="_event.data.location"/>
    </transition>
  </state>
  <final id="t"/>
</scxml>
""",
        encoding="utf-8",
    )
    session = scxmlc.load(tmp_path / "main.scxml")(VirtualClock())
    session.start()
    assert session.finished
    assert session.dm["where"] == "lib.js:3"
