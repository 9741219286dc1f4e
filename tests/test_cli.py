"""The `scxmlc` command's own behaviour: `--version`, help on a bare `scxmlc`,
`check`'s summary line, whole-file errors, and what it writes on a terminal
(colour, a progress bar) against what it writes elsewhere (plain lines).

Every message is pinned whole, through `main([...])`.
"""

from __future__ import annotations

import io
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from scxmlc.compiler import CompileError, compile_path
from scxmlc.compiler.commands.cli import main, parser

EXAMPLES = Path(__file__).parent.parent / "examples"
GOLDEN = Path(__file__).parent / "cases" / "golden"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

WARNING_DOCUMENT = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" datamodel="ecmascript">
  <state id="s">
    <onentry><log expr="nowhere"/></onentry>
  </state>
</scxml>
"""
ERROR_DOCUMENT = """<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">
  <state id="s">
    <transition event="go" target="nowhere"/>
  </state>
</scxml>
"""


class FakeTerminal(io.StringIO):
    """A stderr that says it is a TTY, keeping what was written."""

    def isatty(self) -> bool:
        return True


def screen(written: str) -> list[str]:
    """The lines a terminal shows after `written`: text, carriage returns,
    newlines, cursor-up (ESC[nA) and erase-line (ESC[2K) are played; colours and
    other escapes are dropped."""
    lines = [""]
    row = column = 0
    for piece in re.split(r"(\n|\r|\x1b\[[0-9;?]*[A-Za-z])", written):
        if piece == "\n":
            row, column = row + 1, 0
            lines += [""] * (row + 1 - len(lines))
        elif piece == "\r":
            column = 0
        elif re.fullmatch(r"\x1b\[\d*A", piece):
            row = max(0, row - int(piece[2:-1] or "1"))
        elif piece == "\x1b[2K":
            lines[row] = ""
        elif piece and not piece.startswith("\x1b"):
            line = lines[row].ljust(column)
            lines[row] = line[:column] + piece + line[column + len(piece) :]
            column += len(piece)
    return [line for line in lines if line]


def only_diagnostic(path: str) -> str:
    """The one diagnostic the compiler reports about the document at `path`,
    as `str()` prints it: what the command must print, character for character
    (the messages themselves are tested with the compiler's)."""
    try:
        diagnostics = compile_path(path).warnings
    except CompileError as error:
        diagnostics = error.diagnostics
    [diagnostic] = diagnostics
    return str(diagnostic)


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """In a new current folder, `warned.scxml` with one warning and
    `broken.scxml` with one error; the line of each."""
    monkeypatch.chdir(tmp_path)
    Path("warned.scxml").write_text(WARNING_DOCUMENT, encoding="utf-8")
    Path("broken.scxml").write_text(ERROR_DOCUMENT, encoding="utf-8")
    return only_diagnostic("warned.scxml"), only_diagnostic("broken.scxml")


def test_version_is_the_installed_package_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"scxmlc {version('scxmlc')}\n"


def test_a_bare_scxmlc_prints_the_help_on_stderr_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err == parser().format_help()
    assert not printed.err.startswith(
        "usage: scxmlc [-h] [--version] COMMAND ...\nscxmlc: error"
    )
    for command in ("compile", "check", "run", "serve", "new"):
        assert re.search(rf"^    {command} ", printed.err, re.MULTILINE), command


def test_help_goes_to_stdout_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == parser().format_help()


def test_check_ends_with_a_summary_line_also_on_success(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = [str(GOLDEN / "traffic_light.scxml"), str(EXAMPLES / "ivr_menu.scxml")]
    assert main(["check", "--no-typecheck", *good]) == 0
    assert capsys.readouterr().err == "2 documents, 0 errors, 0 warnings\n"


def test_check_counts_the_errors_and_warnings_of_every_document(
    capsys: pytest.CaptureFixture[str],
    documents: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    WARNING_LINE, ERROR_LINE = documents
    good = str(GOLDEN / "traffic_light.scxml")
    assert main(["check", "--no-typecheck", "warned.scxml", good]) == 0
    assert capsys.readouterr().err == (
        f"{WARNING_LINE}\n2 documents, 0 errors, 1 warning\n"
    )
    assert main(["check", "--no-typecheck", "warned.scxml", "broken.scxml"]) == 1
    assert capsys.readouterr().err == (
        f"{WARNING_LINE}\n{ERROR_LINE}\n2 documents, 1 error, 1 warning\n"
    )
    assert main(["check", "--no-typecheck", "--strict", "warned.scxml"]) == 1
    assert capsys.readouterr().err == (
        f"{WARNING_LINE.replace(': warning: ', ': error: ')}\n"
        "1 document, 1 error, 0 warnings\n"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["check"],
        ["check", "--no-typecheck"],
        ["compile", "-o", "out"],
        ["run"],
        ["run", "--event", "go"],
    ],
)
def test_a_missing_file_is_an_error_about_the_whole_file(
    command: list[str],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    name, *options = command
    assert main([name, "nosuchfile.scxml", *options]) == 1
    expected = "nosuchfile.scxml: error: no such file\n"
    if name == "check":
        expected += "1 document, 1 error, 0 warnings\n"
    printed = capsys.readouterr()
    assert printed.err == expected
    assert printed.out == ""


def test_a_directory_is_not_a_document(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.scxml").mkdir()
    assert main(["check", "app.scxml"]) == 1
    assert capsys.readouterr().err == (
        "app.scxml: error: not a regular file\n1 document, 1 error, 0 warnings\n"
    )


def run_on_a_terminal(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, **environment: str
) -> tuple[int, str]:
    """main(argv) with a stderr that is a TTY, under `environment`; the status
    and what was written on stderr."""
    screen = FakeTerminal()
    monkeypatch.setattr("sys.stderr", screen)
    for name in ("NO_COLOR", "TERM", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    status = main(argv)
    return status, screen.getvalue()


def test_a_terminal_gets_coloured_severities(
    documents: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    WARNING_LINE, ERROR_LINE = documents
    status, written = run_on_a_terminal(
        ["check", "--no-typecheck", "warned.scxml"], monkeypatch
    )
    assert status == 0
    assert "\x1b[1;33mwarning\x1b[0m" in written  # bold yellow
    assert ANSI.sub("", written) == f"{WARNING_LINE}\n1 document, 0 errors, 1 warning\n"
    assert screen(written) == [WARNING_LINE, "1 document, 0 errors, 1 warning"]
    status, written = run_on_a_terminal(
        ["check", "--no-typecheck", "broken.scxml"], monkeypatch
    )
    assert status == 1
    assert "\x1b[1;31merror\x1b[0m" in written  # bold red
    assert ANSI.sub("", written) == f"{ERROR_LINE}\n1 document, 1 error, 0 warnings\n"


@pytest.mark.parametrize("environment", [{"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_color_or_a_dumb_terminal_get_plain_lines(
    environment: dict[str, str],
    documents: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    WARNING_LINE, ERROR_LINE = documents
    status, written = run_on_a_terminal(
        ["check", "--no-typecheck", "broken.scxml"], monkeypatch, **environment
    )
    assert status == 1
    assert written == f"{ERROR_LINE}\n1 document, 1 error, 0 warnings\n"


def test_many_documents_draw_a_progress_bar_on_a_terminal_only(
    documents: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    WARNING_LINE, ERROR_LINE = documents
    argv = ["check", "--no-typecheck", "warned.scxml", "broken.scxml"]
    assert main(argv) == 1
    assert capsys.readouterr().err == (
        f"{WARNING_LINE}\n{ERROR_LINE}\n2 documents, 1 error, 1 warning\n"
    )
    status, written = run_on_a_terminal(argv, monkeypatch)
    assert status == 1
    assert re.search(r"checking .*[12]/2", ANSI.sub("", written)), written
    # the diagnostics are printed whole above the bar, which is erased at the end
    assert screen(written) == [
        WARNING_LINE,
        ERROR_LINE,
        "2 documents, 1 error, 1 warning",
    ]


def test_compile_draws_its_bar_while_its_lines_go_to_stdout(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = [str(EXAMPLES / "ivr_menu.scxml"), str(GOLDEN / "traffic_light.scxml")]
    status, written = run_on_a_terminal(
        ["compile", *files, "-o", str(tmp_path)], monkeypatch
    )
    assert status == 0
    assert re.search(r"compiling .*[12]/2", ANSI.sub("", written))
    assert screen(written) == []
    assert capsys.readouterr().out == (
        f"{files[0]} -> {tmp_path / 'ivr_menu.py'} (class IvrMenu)\n"
        f"{files[1]} -> {tmp_path / 'traffic_light.py'} (class TrafficLight)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ivr_menu.py",
        "traffic_light.py",
    ]


def test_an_interrupted_command_stops_without_a_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*arguments: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("scxmlc.compiler.commands.cli.compile_path", interrupted)
    assert main(["check", str(GOLDEN / "traffic_light.scxml")]) == 130
    assert capsys.readouterr() == ("", "scxmlc: interrupted\n")
