"""`scxmlc new`: a project of each kind that checks clean, compiles, draws,
runs its scenario, and passes its own test; a folder with anything in it is
refused."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from scxmlc.compiler.commands.cli import main
from scxmlc.compiler.commands.new import KINDS

XI = "{http://www.w3.org/2001/XInclude}include"

FILES = {
    "composer": [
        "README.md",
        "include/routing.js",
        "pyproject.toml",
        "scenarios/routed.yaml",
        "src-gen/IPD_default_RoutingWorkflow.scxml",
        "src-gen/Routing.scxml",
        "tests/test_routing.py",
    ],
    "python": [
        "README.md",
        "pyproject.toml",
        "routing.scxml",
        "scenarios/routed.yaml",
        "tests/test_routing.py",
    ],
}


def written(project: Path) -> list[str]:
    return sorted(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )


@pytest.mark.parametrize("kind", ["composer", "python"])
def test_a_new_project_checks_clean_runs_its_scenario_and_passes_its_test(
    kind: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tmp_path / "hello"
    assert main(["new", str(project), "--kind", kind]) == 0
    application = KINDS[kind].application
    assert capsys.readouterr().out == "".join(
        [
            f"created {KINDS[kind].description} in {project}:\n",
            *(f"  {project / name}\n" for name in FILES[kind]),
            "next:\n",
            f"  cd {project}\n",
            f"  scxmlc check {KINDS[kind].documents}\n",
            f"  scxmlc run {application} --scenario scenarios/routed.yaml\n",
            f"  scxmlc graph {application} -o routing.svg\n",
            "  python -m pytest\n",
        ]
    )
    assert written(project) == FILES[kind]
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# hello\n") and "{{" not in readme

    monkeypatch.chdir(project)
    documents = sorted(
        str(p.relative_to(project)) for p in project.glob(KINDS[kind].documents)
    )
    assert main(["check", *documents]) == 0
    assert capsys.readouterr().err == (
        f"{len(documents)} document{'s' if len(documents) > 1 else ''}, "
        "0 errors, 0 warnings\n"
    )
    assert main(["compile", application, "-o", "build"]) == 0
    assert main(["graph", application, "-o", "routing.svg"]) == 0
    assert 'id="state:' in Path("routing.svg").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["run", application, "--scenario", "scenarios/routed.yaml"]) == 0
    printed = capsys.readouterr()
    summary = printed.out.split("\nSummary after ", 1)[1]
    assert "  call-1     voice  at 5000           routed to anna after 0s\n" in summary
    assert (
        "  call-2     voice  at 5000           routed to DN 8000 after 30s\n" in summary
    )
    assert "  routed 2, abandoned 0, average wait 15s, longest 30s\n" in summary
    # no warning: only the line saying which document serves the routing point
    assert printed.err == (
        f"scenarios/routed.yaml: routing point 5000 is served by {application}\n"
    )

    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "1 passed" in tested.stdout


def test_the_composer_project_has_composer_s_shape(tmp_path: Path) -> None:
    """The main document is ECMAScript (`profile`), includes its library by
    XInclude as text and the workflow by `resolveid`; the workflow names its
    targets with the prefix placeholder."""
    assert main(["new", str(tmp_path / "p"), "--kind", "composer"]) == 0
    main_document = etree.parse(
        str(tmp_path / "p" / "src-gen" / "IPD_default_RoutingWorkflow.scxml")
    ).getroot()
    assert main_document.get("profile") == "ecmascript"
    includes = [
        (i.get("href"), i.get("parse"), i.get("resolveid"))
        for i in main_document.iter(XI)
    ]
    assert includes == [
        ("../include/routing.js", "text", None),
        ("Routing.scxml", "xml", "RoutingWorkflow"),
    ]
    workflow = (tmp_path / "p" / "src-gen" / "Routing.scxml").read_text(
        encoding="utf-8"
    )
    assert 'initial="$$_MY_PREFIX_$$.Entry1"' in workflow
    assert 'expr="_my_prefix"' in workflow


@pytest.mark.parametrize("kind", ["composer", "python"])
def test_a_folder_with_anything_in_it_is_refused_and_left_alone(
    kind: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("taken").mkdir()
    Path("taken", "notes.txt").write_text("mine\n", encoding="utf-8")
    assert main(["new", "taken", "--kind", kind]) == 1
    assert capsys.readouterr() == (
        "",
        "scxmlc new: taken: not empty; nothing was written\n",
    )
    assert written(tmp_path / "taken") == ["notes.txt"]
    Path("file").write_text("mine\n", encoding="utf-8")
    assert main(["new", "file", "--kind", kind]) == 1
    assert capsys.readouterr() == ("", "scxmlc new: file: not a directory\n")
    assert Path("file").read_text(encoding="utf-8") == "mine\n"


def test_an_empty_folder_or_the_current_one_is_fine(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path / "empty")
    assert main(["new", ".", "--kind", "python"]) == 0
    assert written(tmp_path / "empty") == FILES["python"]
    readme = (tmp_path / "empty" / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# empty\n")


def test_an_unknown_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["new", "x", "--kind", "java"])
    assert exited.value.code == 2
    choices = r"'composer', 'python'|composer, python"  # quoted by some Python versions
    assert re.fullmatch(
        r"usage: scxmlc new \[-h\] \[--kind \{composer,python\}\] DIR\n"
        rf"scxmlc new: error: argument --kind: invalid choice: 'java' \(choose from ({choices})\)\n",
        capsys.readouterr().err,
    )
