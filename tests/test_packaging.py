"""Packaging: every package of the source tree ships, the runtime stands alone."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_source_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"
    ]["setuptools"]
    listed = set(config["packages"])
    mapping = config["package-dir"]
    found = {"scxmlc"}
    for prefix, folder in (
        ("scxmlc.compiler", "compiler"),
        ("scxmlc.runtime", "runtime"),
    ):
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            if relative.parts and relative.parts[0] == "toplevel":
                continue
            found.add(".".join([prefix, *relative.parts]))
    found.add("scxmlc.templates")
    assert found == listed
    assert mapping["scxmlc"] == "compiler/toplevel"


def test_scxmlc_itself_passes_mypy_strict() -> None:
    from scxmlc.compiler.typecheck import mypy_strict

    status, report = mypy_strict([], ["scxmlc"])
    assert status == 0, report


def test_scxmlc_itself_is_black_formatted() -> None:
    import black

    folders = [ROOT / "compiler", ROOT / "runtime", ROOT / "tests", ROOT / "bench"]
    unformatted = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            if "cases" in path.parts:
                continue  # generated golden modules have their own test
            source = path.read_text(encoding="utf-8")
            if black.format_str(source, mode=black.Mode()) != source:
                unformatted.append(str(path.relative_to(ROOT)))
    assert unformatted == []
