"""What real Composer output needs, rule by rule (`../shared/ors/COMPOSER.md`).

Each test pins one rule with a small document of its own; the project under
tests/cases/composer/ (a main IPD workflow, a workflow included by resolveid,
the stock subroutines included as fragments, include/*.js libraries) is run end
to end in test_composer_project.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import scxmlc
from scxmlc.compiler import CompileError, Options, compile_path
from scxmlc.runtime import VirtualClock

from es_session import run
from recording import Recorder

PROJECT = Path(__file__).parent / "cases" / "composer"
SCXML = 'xmlns="http://www.w3.org/2005/07/scxml" version="1.0" profile="ecmascript"'
XI = 'xmlns:xi="http://www.w3.org/2001/XInclude"'


def started(path: Path, *events: tuple[str, Any]) -> tuple[Any, Recorder]:
    """A session of the document at `path`, started, sent `events`, run idle."""
    recorder = Recorder()
    clock = VirtualClock()
    machine = scxmlc.load(path)(clock, observer=recorder)
    machine.start()
    for name, data in events:
        machine.send(name, data)
    clock.run_until_idle(limit=60)
    return machine, recorder


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


WORKFLOW = f"""<scxml {SCXML} initial="_composer_noboot" name="Flow">
  <final id="_composer_noboot"><onentry><log expr="'not the first page'"/></onentry></final>
  <state id="_composer_entry" initial="$$_MY_PREFIX_$$.Entry1">
    <state id="Entry1">
      <onentry>
        <log expr="'prefix=' + _my_prefix"/>
        <send event="'Entry1.done'"><param name="resolveid" expr="_my_prefix"/></send>
      </onentry>
      <transition event="Entry1.done" cond="_event.data.resolveid == _my_prefix"
                  target="$$_MY_PREFIX_$$.Pick"/>
    </state>
    <state id="Pick" initial="$$_MY_PREFIX_$$._reserved_Pick_parallel">
      <parallel id="_reserved_Pick_parallel">
        <state id="One" initial="$$_MY_PREFIX_$$.One.Wait">
          <state id="One.Wait"><transition event="go" target="$$_MY_PREFIX_$$.One.Done"/></state>
          <final id="One.Done"/>
        </state>
        <state id="Two"/>
      </parallel>
      <transition event="done.state.$$_MY_PREFIX_$$.One" target="$$_MY_PREFIX_$$.Exit"/>
    </state>
    <final id="Exit"/>
  </state>
</scxml>
"""


def test_included_ids_are_prefixed_and_the_placeholder_is_replaced(
    tmp_path: Path,
) -> None:
    """COMPOSER 2: every id of the included subtree becomes `resolveid.id`;
    `$$_MY_PREFIX_$$` in targets, initials and event descriptors becomes the
    resolveid; `_my_prefix` reads it."""
    write(tmp_path, "Flow.scxml", WORKFLOW)
    main = write(
        tmp_path,
        "Main.scxml",
        f"""<scxml {SCXML} {XI} initial="Wf">
  <state id="Wf" initial="Wf._composer_entry">
    <xi:include href="Flow.scxml" parse="xml" resolveid="Wf" xpointer="_composer_entry"/>
    <transition event="done.state.Wf._composer_entry" target="end"/>
  </state>
  <final id="end"/>
</scxml>""",
    )
    machine, recorder = started(main)
    assert machine.configuration >= {
        "Wf.Pick",
        "Wf.One",
        "Wf.Two",
        "Wf._composer_entry",
    }
    assert recorder.values == ["prefix=Wf"]
    machine.send("go")
    assert machine.finished and machine.configuration == {"end"}
    assert "done.state.Wf.One" in recorder.events
    assert recorder.errors == []


def test_each_include_reads_its_own_prefix(tmp_path: Path) -> None:
    """COMPOSER 2: `_my_prefix` is per include, not per session: the same
    workflow included twice under two resolveids sees two prefixes, and each
    copy takes only its own `Entry1.done`."""
    write(tmp_path, "Flow.scxml", WORKFLOW)
    main = write(
        tmp_path,
        "Main.scxml",
        f"""<scxml {SCXML} {XI} initial="both">
  <parallel id="both">
    <state id="A" initial="A._composer_entry">
      <xi:include href="Flow.scxml" parse="xml" resolveid="A" xpointer="_composer_entry"/>
    </state>
    <state id="B" initial="B._composer_entry">
      <xi:include href="Flow.scxml" parse="xml" resolveid="B" xpointer="_composer_entry"/>
    </state>
  </parallel>
</scxml>""",
    )
    machine, recorder = started(main)
    assert sorted(recorder.values) == ["prefix=A", "prefix=B"]
    assert {"A.Pick", "B.Pick"} <= machine.configuration


def test_a_workflow_compiled_on_its_own_has_no_prefix(tmp_path: Path) -> None:
    """COMPOSER 1-2: compiled on its own, a workflow starts at its
    `_composer_noboot`; `$$_MY_PREFIX_$$.` is removed, so its prefixed targets
    name its own states, and `_my_prefix` is ''."""
    flow = write(
        tmp_path,
        "Flow.scxml",
        WORKFLOW.replace('initial="_composer_noboot"', 'initial="_composer_entry"'),
    )
    machine, recorder = started(flow)
    assert recorder.values == ["prefix="]
    assert {"Pick", "One", "Two"} <= machine.configuration
    machine.send("go")
    assert machine.configuration == {"_composer_entry", "Exit"}
    assert "done.state._composer_entry" in recorder.events
    noboot = write(tmp_path, "NoBoot.scxml", WORKFLOW)
    machine, recorder = started(noboot)
    assert machine.finished and recorder.values == ["not the first page"]


def test_an_href_differing_in_case_is_found_with_a_warning(tmp_path: Path) -> None:
    """COMPOSER 1: ORS ran on file systems that ignore case."""
    write(tmp_path, "flow.scxml", WORKFLOW)
    write(tmp_path, "include/Lib.js", "function seven() { return 7; }\n")
    main = write(
        tmp_path,
        "Main.scxml",
        f"""<scxml {SCXML} {XI} initial="Wf">
  <script><xi:include href="Include/lib.JS" parse="text"/></script>
  <state id="Wf" initial="Wf._composer_entry">
    <onentry><log expr="seven()"/></onentry>
    <xi:include href="Flow.scxml" parse="xml" resolveid="Wf" xpointer="_composer_entry"/>
  </state>
</scxml>""",
    )
    warnings = compile_path(main).warnings
    assert [(d.loc.line, d.message) for d in warnings] == [
        (
            2,
            "<xi:include href>: no file 'lib.JS'; read 'Lib.js', whose name differs "
            "in letter case (rename one of them: a file system that minds case "
            "will not find it)",
        ),
        (
            5,
            "<xi:include href>: no file 'Flow.scxml'; read 'flow.scxml', whose name "
            "differs in letter case (rename one of them: a file system that minds "
            "case will not find it)",
        ),
    ]
    _, recorder = started(main)
    assert recorder.values == [7, "prefix=Wf"]
    with pytest.raises(CompileError):
        compile_path(main, Options(strict=True))


def test_data_is_an_ordinary_object(tmp_path: Path) -> None:
    """COMPOSER 4: `_data` holds the `<data>` values; an undeclared property
    reads undefined; scripts add properties that later code reads; it can be
    passed whole and stringified."""
    assert (
        run(
            tmp_path,
            """<script>
             if (typeof _data.baseURL == 'undefined') _data.baseURL = 'http://x';
             _data.blockList = ['a', 'b'];
           </script>
           <log expr="_data.keepAlive == true"/>
           <log expr="typeof _data.keepAlive"/>
           <log expr="JSON.stringify(_data)"/>
           <log expr="Object.keys(_data).join()"/>
           <log expr="blockList.length"/>
           <log expr="(function (d) { return d.count + 1; })(_data)"/>
           <log expr="count"/>""",
            data='<data id="count" expr="1"/><data id="name"/>',
        )
        == [
            False,
            "undefined",
            '{"count":1,"baseURL":"http://x","blockList":["a","b"]}',
            "count,name,baseURL,blockList",
            2,
            2,
            1,
        ]
    )


def test_a_script_var_is_not_the_data_of_the_same_name(tmp_path: Path) -> None:
    """COMPOSER 4: `var system` of a script is a different variable from
    `<data id="system">`: `_data.system.context = system` makes no cycle, and
    stringifying `_data` (what every main document's start-up does) works.
    Until a script declares it, `system` reads the `<data>`."""
    assert (
        run(
            tmp_path,
            """<log expr="typeof system.context"/>
           <script>
             var system = new Object();
             system.SessionID = 'S1';
             _data.system.context = system;
           </script>
           <log expr="JSON.stringify(_data)"/>
           <log expr="system === _data.system.context"/>
           <log expr="system.SessionID"/>""",
            data='<data id="system" expr="({kind: \'data\'})"/>',
        )
        == [
            "undefined",
            '{"system":{"kind":"data","context":{"SessionID":"S1"}}}',
            True,
            "S1",
        ]
    )


def test_assign_to_an_undeclared_name_creates_a_global(tmp_path: Path) -> None:
    """COMPOSER 4: `<assign location="x">` to a name declared nowhere creates
    a global, which scripts and later expressions read."""
    assert (
        run(
            tmp_path,
            """<assign location="lastRoute" expr="'7001'"/>
           <script>var copy = lastRoute + '!';</script>
           <log expr="copy"/>""",
        )
        == ["7001!"]
    )


def test_locations_may_name_object_properties(tmp_path: Path) -> None:
    """COMPOSER 4: `requestid`, `idlocation` and `<assign location>` write
    into object properties (`App_Exit1['requestid']`)."""
    assert (
        run(
            tmp_path,
            """<script>var App_Exit1 = new Object(); var App_Send = {};</script>
           <send event="later" delay="1s" idlocation="App_Send['sendid']"/>
           <assign location="App_Exit1['requestid']" expr="'r-1'"/>
           <assign location="App_Exit1.reason" expr="'done'"/>
           <log expr="App_Exit1.requestid + ' ' + App_Exit1['reason']"/>
           <log expr="typeof App_Send.sendid"/>""",
        )
        == ["r-1 done", "string"]
    )


def test_free_names_resolve_when_the_code_runs(tmp_path: Path) -> None:
    """COMPOSER 4: a library function that names a global no document defines
    compiles, with a warning, and fails only if it is called: a ReferenceError,
    which is error.execution."""
    document = write(
        tmp_path,
        "free.scxml",
        f"""<scxml {SCXML}>
  <script>
    function gvpOnly() {{ return AppState.recording; }}
    function later() {{ return definedLater; }}
  </script>
  <state id="s">
    <onentry><log expr="typeof AppState"/></onentry>
    <onentry><script>_data.definedLater = 'found';</script><log expr="later()"/></onentry>
    <onentry><log expr="gvpOnly()"/></onentry>
    <onentry><log expr="'still running'"/></onentry>
  </state>
</scxml>""",
    )
    warnings = compile_path(document).warnings
    assert [d.message.split(":")[1].strip() for d in warnings] == [
        "'AppState' is not defined (not a <data> id, a script variable or a built-in)",
        "'definedLater' is not defined (not a <data> id, a script variable or a built-in)",
    ]
    _, recorder = started(document)
    assert recorder.values == ["undefined", "found", "still running"]
    assert recorder.errors == [
        ("error.execution", "ReferenceError: AppState is not defined")
    ]


def test_args_reads_undefined_inputs_when_no_caller_gives_them(tmp_path: Path) -> None:
    """COMPOSER 3: a subroutine reads its inputs from `args_`, which no
    document declares; without a caller's value its properties are undefined.
    A caller's block assigns it."""
    assert (
        run(
            tmp_path,
            """<script>var vQueue = args_.vQueue;</script>
           <log expr="typeof vQueue"/>
           <script>args_ = {vQueue: 'VQ_1'};</script>
           <log expr="args_.vQueue"/>""",
        )
        == ["undefined", "VQ_1"]
    )


def test_a_labelled_expression_is_the_expression_after_its_label(
    tmp_path: Path,
) -> None:
    """COMPOSER 4: `expr="caller_id: x"` parses as a labelled statement; ORS
    evaluated the expression after the label (with a warning here)."""
    assert run(tmp_path, """<log expr="caller_id: 'abc'.length"/>""") == [3]


def test_the_ors_built_in_functions(tmp_path: Path) -> None:
    """COMPOSER 5: `__Log(message, label, level)`, `__Raise(name, params)`,
    `__GetDocumentURL()`, `__GetCurrentStates()`."""
    document = write(
        tmp_path,
        "builtins.scxml",
        f"""<scxml {SCXML} initial="p">
  <parallel id="p">
    <state id="a">
      <onentry>
        <script>
          __Log('hello ' + 42, 'greeting', 'info');
          __Raise('custom.event', {{answer: 42}});
        </script>
        <log label="url" expr="__GetDocumentURL()"/>
        <log label="states" expr="__GetCurrentStates().join()"/>
      </onentry>
    </state>
    <state id="b"/>
    <transition event="custom.event" target="end">
      <log label="raised" expr="_event.data.answer"/>
    </transition>
  </parallel>
  <final id="end"/>
</scxml>""",
    )
    _, recorder = started(document)
    assert recorder.logs == [
        ("greeting info", "hello 42"),
        ("url", document.resolve().as_uri()),
        ("states", "p,a"),  # b is entered after a
        ("raised", 42),
    ]


def test_a_library_may_define_its_own_log_function(tmp_path: Path) -> None:
    """A document's own `__Log` is the one its code calls."""
    assert run(
        tmp_path,
        """<log expr="__Log('x')"/>""",
        script="function __Log(message) { return 'own ' + message; }",
    ) == ["own x"]


def test_editing_an_included_library_recompiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COMPOSER 1 / the compile cache: a document is recompiled when any file
    it reads changes (here a library and an included workflow), not only when
    the document itself does; unchanged, it is taken from the cache."""
    monkeypatch.setenv("SCXMLC_CACHE", str(tmp_path / "cache"))
    library = write(
        tmp_path, "include/common.js", "function greeting() { return 'v1'; }\n"
    )
    flow = write(tmp_path, "src-gen/Flow.scxml", WORKFLOW)
    main = write(
        tmp_path,
        "src-gen/Main.scxml",
        f"""<scxml {SCXML} {XI} initial="Wf">
  <script><xi:include href="../include/common.js" parse="text"/></script>
  <state id="Wf" initial="Wf._composer_entry">
    <onentry><log expr="greeting()"/></onentry>
    <xi:include href="Flow.scxml" parse="xml" resolveid="Wf" xpointer="_composer_entry"/>
  </state>
</scxml>""",
    )
    _, recorder = started(main)
    assert recorder.values == ["v1", "prefix=Wf"]
    first = scxmlc.load(main)
    assert scxmlc.load(main) is first
    library.write_text("function greeting() { return 'v2'; }\n", encoding="utf-8")
    _, recorder = started(main)
    assert recorder.values == ["v2", "prefix=Wf"]
    flow.write_text(WORKFLOW.replace("'prefix='", "'now '"), encoding="utf-8")
    _, recorder = started(main)
    assert recorder.values == ["v2", "now Wf"]
    assert scxmlc.load(main) is not first
