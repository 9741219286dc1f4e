"""Bad input never crashes the compiler: every outcome is a module or diagnostics.

The raw W3C `.txml` sources are SCXML with placeholder elements and attributes of
the conformance namespace (`conf:pass`, `conf:datamodel`, ...): documents that are
wrong in many ways at once. Each must end in a `CompileError` (or compile), never
in any other exception.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scxmlc.compiler import CompileError, Options, compile_path

from w3c import SUITE

RAW = sorted((SUITE / "txml").glob("*.txml")) if SUITE.is_dir() else []
pytestmark = pytest.mark.skipif(
    not SUITE.is_dir(), reason=f"W3C suite not found at {SUITE}"
)


@pytest.mark.parametrize("document", RAW, ids=[p.stem for p in RAW])
def test_raw_conformance_sources_give_diagnostics_not_crashes(document: Path) -> None:
    try:
        compile_path(document, Options(default_datamodel="ecmascript"))
    except CompileError as error:
        assert error.diagnostics, "a CompileError without diagnostics"
        for diagnostic in error.diagnostics:
            assert diagnostic.loc.line > 0, f"no position: {diagnostic}"
