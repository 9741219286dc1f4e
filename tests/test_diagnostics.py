"""Diagnostics: each bad document in tests/cases/errors/ with its exact expected output.

`NAME.errors` holds what `scxmlc check NAME.scxml` prints, one diagnostic a line,
position and message pinned. Regenerate with SCXMLC_UPDATE_GOLDEN=1 and review the
diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scxmlc.compiler import CompileError, compile_path
from scxmlc.compiler.commands.cli import linted, main

CASES = Path(__file__).parent / "cases" / "errors"
DOCUMENTS = sorted(CASES.glob("*.scxml"))


def diagnostics_of(document: Path) -> str:
    """What `scxmlc check` reports for `document`, named by its bare file name."""
    cwd = Path.cwd()
    os.chdir(document.parent)
    try:
        found = linted(compile_path(document.name).warnings)
    except CompileError as error:
        found = linted(error.diagnostics)
    finally:
        os.chdir(cwd)
    return "".join(f"{d}\n" for d in found)


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.stem for d in DOCUMENTS])
def test_diagnostics(document: Path) -> None:
    expected_file = document.with_suffix(".errors")
    actual = diagnostics_of(document)
    if os.environ.get("SCXMLC_UPDATE_GOLDEN"):
        expected_file.write_text(actual, encoding="utf-8")
    assert actual, "a bad document compiled without errors"
    assert actual == expected_file.read_text(encoding="utf-8")


def test_check_reports_every_error_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = CASES / "many_errors.scxml"
    assert main(["check", str(document)]) == 1
    *lines, summary = capsys.readouterr().err.splitlines()
    assert len(lines) == 13
    assert all(line.startswith(f"{document}:") for line in lines)
    severities = [line.split(": ")[1] for line in lines]
    assert severities.count("error") == 11 and severities.count("warning") == 2
    assert summary == "1 document, 11 errors, 2 warnings"


def test_check_exits_0_on_a_good_document(capsys: pytest.CaptureFixture[str]) -> None:
    good = Path(__file__).parent / "cases" / "golden" / "traffic_light.scxml"
    assert main(["check", str(good)]) == 0
    assert capsys.readouterr().err == "1 document, 0 errors, 0 warnings\n"


def test_unreadable_file_is_a_diagnostic(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.scxml"
    assert main(["check", str(missing)]) == 1
    assert capsys.readouterr().err == (
        f"{missing}: error: no such file\n1 document, 1 error, 0 warnings\n"
    )


def test_check_reports_type_errors_at_document_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = Path(__file__).parent / "cases" / "typed_errors.scxml"
    assert main(["check", str(document)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{document}:8:38: error: type error: Incompatible types in assignment"
        ' (expression has type "str", variable has type "int")',
        f"{document}:9:47: error: type error: List item 0 has incompatible type"
        ' "int"; expected "str"',
        "1 document, 2 errors, 0 warnings",
    ]
    assert main(["check", "--no-typecheck", str(document)]) == 0


def test_check_is_the_lint_compile_the_build(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A valid document with an expression that cannot parse compiles (a
    warning; error.execution when it runs); `check` reports that as an error
    and exits 1; a name it cannot find stays a warning there; `--strict` makes
    every warning an error."""
    document = tmp_path / "doc.scxml"
    document.write_text(
        """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
  <state id="s">
    <onentry><log expr="1 +"/></onentry>
    <onentry><log expr="nowhere"/></onentry>
  </state>
</scxml>
""",
        encoding="utf-8",
    )
    assert main(["compile", str(document), "-o", str(tmp_path / "out")]) == 0
    assert [line.split(": ")[1] for line in capsys.readouterr().err.splitlines()] == [
        "warning",
        "warning",
    ]
    assert (tmp_path / "out" / "doc.py").exists()
    assert main(["check", "--no-typecheck", str(document)]) == 1
    *lines, summary = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[1] for line in lines] == ["error", "warning"]
    assert summary == "1 document, 1 error, 1 warning"
    good = tmp_path / "good.scxml"
    good.write_text(document.read_text().replace('"1 +"', '"1 + 1"'), encoding="utf-8")
    assert main(["check", "--no-typecheck", str(good)]) == 0
    assert "warning: <log expr>: 'nowhere' is not defined" in capsys.readouterr().err
    assert main(["check", "--no-typecheck", "--strict", str(good)]) == 1
    assert "error: <log expr>: 'nowhere' is not defined" in capsys.readouterr().err
    assert main(["compile", "--strict", str(good), "-o", str(tmp_path / "o2")]) == 1
    assert not (tmp_path / "o2" / "good.py").exists()


def test_pythons_own_warnings_are_compiler_warnings(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """What Python warns about in an expression or script (an invalid escape,
    `1if`) is a warning at its place, not a line of Python's on stderr."""
    document = tmp_path / "warned.scxml"
    document.write_text(
        '<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" '
        'datamodel="python">\n'
        '<datamodel><data id="x" expr="1if True else 2"/></datamodel>\n'
        "<state id=\"s\"><onentry><script>y = '\\d'</script></onentry></state>\n"
        "</scxml>\n",
        encoding="utf-8",
    )
    compilation = compile_path(document)
    assert [str(d) for d in compilation.warnings] == [
        f"{document}:2:31: warning: <data expr>: invalid decimal literal",
        f"{document}:3:32: warning: <script>: invalid escape sequence '\\d'",
    ]
    assert capfd.readouterr().err == ""
