"""The compiler cannot be made to emit code a document did not ask for.

A document's author is trusted with its expressions and scripts, but nothing
else in it (ids, names, labels, literal strings, file names) may become code:
every such text reaches the generated module escaped, or is refused.
"""

from __future__ import annotations

import builtins
import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_
from hypothesis import strategies as st

from scxmlc.compiler import CompileError, compile_path, compile_text
from scxmlc.compiler.commands.cli import main

SCXML = 'xmlns="http://www.w3.org/2005/07/scxml" version="1.0"'
PAYLOAD = "HIT.append(1)"
BREAKOUTS = ["\n", "\r", '"""', "'''", '"', "'", "\\", "#", ")", "\u2028", "\x85"]
"""What could end a comment, a docstring or a string early."""
XML_CHARACTERS = st.characters(
    blacklist_categories=["Cs"],
    blacklist_characters=[chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
    + ["\ufffe", "\uffff"],
)
"""Any character an XML document may hold."""


def imported(source: str, tmp_path: Path, name: str) -> object:
    """Import generated `source` as a module, run by a fresh interpreter state."""
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hits() -> list[int]:
    """A list injected code would append to (it is a builtin, so any module sees it)."""
    found: list[int] = []
    builtins.HIT = found  # type: ignore[attr-defined]
    yield found
    del builtins.HIT  # type: ignore[attr-defined]


def escape_attribute(text: str) -> str:
    """`text` as an XML attribute value, control characters as references."""
    out = []
    for c in text:
        if c in "&<\"'" or ord(c) < 0x20 or c in "\x85\u2028":
            out.append(f"&#{ord(c)};")
        else:
            out.append(c)
    return "".join(out)


def test_an_id_that_is_not_an_xml_name_is_an_error() -> None:
    text = f"""<scxml {SCXML}><state id="f&#10;{PAYLOAD}&#10;#"/></scxml>"""
    with pytest.raises(CompileError) as raised:
        compile_text(text, "ids.scxml")
    assert [(d.loc.line, d.loc.col, d.severity) for d in raised.value.diagnostics] == [
        (1, 69, "error")
    ]
    assert "is not a valid id" in raised.value.diagnostics[0].message


def test_a_name_cannot_break_out_of_a_docstring(
    tmp_path: Path, hits: list[int]
) -> None:
    name = escape_attribute(f'x"""+{PAYLOAD}+"""\n{PAYLOAD}\n')
    text = f"""<scxml {SCXML} name="{name}"><state id="a"/></scxml>"""
    compilation = compile_text(text, "named.scxml")
    module = imported(compilation.source, tmp_path, "named")
    machine = getattr(module, compilation.class_name)()
    machine.start()
    assert hits == [] and machine.configuration == {"a"}


def test_a_file_name_cannot_break_out_of_a_comment(
    tmp_path: Path, hits: list[int]
) -> None:
    document = tmp_path / f"doc\n{PAYLOAD}\n.scxml"
    document.write_text(f'<scxml {SCXML}><state id="a"/></scxml>', encoding="utf-8")
    module = imported(compile_path(document).source, tmp_path, "filename")
    assert hits == [] and module is not None


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    texts=st.lists(
        st.one_of(
            st.text(XML_CHARACTERS, max_size=12),
            st.sampled_from(BREAKOUTS).map(lambda b: f"{b}{PAYLOAD}{b}"),
        ),
        min_size=6,
        max_size=6,
    ),
    valid_id=st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,10}", fullmatch=True),
    raw_id=st.integers(0, 3),
    datamodel=st.sampled_from(["ecmascript", "python", "null"]),
)
def test_document_text_never_becomes_code(
    texts: list[str],
    valid_id: str,
    raw_id: int,
    datamodel: str,
    tmp_path: Path,
    hits: list[int],
) -> None:
    """Random names, ids, labels, event names, literals and `<content>` text,
    with break-out payloads among them: the document compiles (or is refused
    with diagnostics), imports and runs, and no payload ever runs."""
    name, state, label, event, literal, content = map(escape_attribute, texts)
    if raw_id % 4:  # mostly ids that compile, sometimes anything
        state = valid_id
    quote = repr if datamodel == "python" else _js_string
    value = escape_attribute(quote(texts[4]))
    text = f"""<scxml {SCXML} datamodel="{datamodel}" name="{name}">
  <state id="{state}">
    <onentry>
      <log label="{label}" expr="{value if datamodel != 'null' else escape_attribute(repr(texts[4]))}"/>
      <send event="{event}"><content>{content.replace("&#", "&amp;#")}</content></send>
    </onentry>
    <transition event="{event}" target="the_end"/>
  </state>
  <final id="the_end"/>
</scxml>"""
    try:
        compilation = compile_text(text, "random.scxml")
    except CompileError as error:
        assert all(d.loc.line >= 1 for d in error.diagnostics if d.severity == "error")
        event_("refused")
        return
    event_("compiled")
    module = imported(compilation.source, tmp_path, f"random_{abs(hash(text))}")
    machine = getattr(module, compilation.class_name)()
    machine.start()
    assert hits == []


def _js_string(text: str) -> str:
    """`text` as an ECMAScript string literal."""
    escaped = "".join(
        f"\\u{ord(c):04x}" if not c.isalnum() and c != " " else c for c in text
    )
    return f"'{escaped}'"


def test_nesting_deeper_than_python_allows_is_a_diagnostic(tmp_path: Path) -> None:
    ifs = "<if cond='true'>" * 120 + "<log expr='1'/>" + "</if>" * 120
    loops = "".join(f"for (var i{n} = 0; i{n} &lt; 1; i{n}++) {{\n" for n in range(25))
    document = tmp_path / "deep.scxml"
    document.write_text(
        f"""<scxml {SCXML} datamodel="ecmascript">
  <state id="a"><onentry>{ifs}</onentry></state>
</scxml>""",
        encoding="utf-8",
    )
    with pytest.raises(CompileError) as raised:
        compile_path(document)
    (problem,) = raised.value.diagnostics
    assert problem.loc.file == str(document) and problem.loc.line == 2
    assert "nested too deeply for Python" in problem.message
    document.write_text(
        f"""<scxml {SCXML} datamodel="ecmascript">
  <script>
{loops}x = 1;{"}" * 25}
  </script>
  <state id="a"/>
</scxml>""",
        encoding="utf-8",
    )
    with pytest.raises(CompileError) as raised:
        compile_path(document)
    assert "too many statically nested blocks" in raised.value.diagnostics[0].message


def test_only_regular_files_of_bounded_size_are_read(tmp_path: Path) -> None:
    big = tmp_path / "big.js"
    with big.open("wb") as handle:
        handle.truncate(17 * 1024 * 1024)  # sparse: no disk used
    document = tmp_path / "includes.scxml"
    document.write_text(
        f"""<scxml {SCXML} datamodel="ecmascript" xmlns:xi="http://www.w3.org/2001/XInclude">
  <script><xi:include href="/dev/zero" parse="text"/></script>
  <script><xi:include href="big.js" parse="text"/></script>
  <state id="a"><xi:include href="{tmp_path}" parse="xml"/></state>
</scxml>""",
        encoding="utf-8",
    )
    with pytest.raises(CompileError) as raised:
        compile_path(document)
    assert [d.message.split(": ", 2)[-1] for d in raised.value.diagnostics] == [
        "not a regular file",
        "larger than 16 MiB",
        "not a regular file",
    ]


def test_commands_report_missing_files_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.scxml"
    assert main(["run", str(missing)]) == 1
    assert main(["compile", str(tmp_path), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{missing}: error: no such file\n" in err
    assert f"{tmp_path}: error: not a regular file\n" in err
