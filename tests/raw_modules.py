"""Generated modules as codegen writes them, before black formats them."""

from __future__ import annotations

from pathlib import Path

import pytest

from scxmlc.compiler import CompileError, compile_path, render

ROOT = Path(__file__).resolve().parents[1]
CORPUS = sorted(
    [
        *(ROOT / "tests" / "cases" / "golden").glob("*.scxml"),
        *(ROOT / "examples").glob("**/*.scxml"),
        ROOT
        / "tests"
        / "cases"
        / "composer"
        / "src-gen"
        / "IPD_default_RoutingWorkflow.scxml",
    ]
)
"""The golden documents, the examples and the Composer project."""


def raw_modules(document: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The unformatted text of every module compiling `document` renders (none
    if it does not compile)."""
    texts: list[str] = []
    monkeypatch.setattr(
        render, "format_source", lambda text: texts.append(text) or text
    )
    try:
        compile_path(document)
    except CompileError:
        return []
    return texts
