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
