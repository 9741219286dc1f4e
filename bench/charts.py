"""The shared benchmark charts, read in place from ``../shared/bench``.

The chart files, ``spec.py`` and ``handwritten.py`` are owned by the shared bench
directory next to the project; they are never copied into the project. Importing this
module puts that directory on ``sys.path`` so that ``spec`` and ``handwritten`` (which
itself does ``from spec import GUARD_N``) can be imported.
"""

from __future__ import annotations

import importlib
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from types import ModuleType

PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent
SHARED_BENCH: Path = (PROJECT_ROOT / ".." / "shared" / "bench").resolve()
MACHINES: Path = SHARED_BENCH / "machines"

CHARTS: tuple[str, ...] = ("A", "B", "C")
CHART_FILES: dict[str, Path] = {
    "A": MACHINES / "ping_pong.scxml",
    "B": MACHINES / "hierarchical.scxml",
    "C": MACHINES / "parallel.scxml",
}

_SCXML_NS = "{http://www.w3.org/2005/07/scxml}"
_STATE_TAGS = frozenset(_SCXML_NS + tag for tag in ("state", "parallel", "final"))


def _import_shared() -> tuple[ModuleType, ModuleType]:
    """Import ``spec`` and ``handwritten`` from the shared bench directory."""
    if not (SHARED_BENCH / "spec.py").is_file():
        raise SystemExit(f"shared bench directory not found: {SHARED_BENCH}")
    path = str(SHARED_BENCH)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module("spec"), importlib.import_module("handwritten")


spec, handwritten = _import_shared()


def chart_path(chart: str) -> Path:
    """Absolute path of the SCXML file of ``chart`` ("A", "B" or "C")."""
    return CHART_FILES[chart]


@cache
def atomic_state_ids(chart: str) -> frozenset[str]:
    """Ids of the atomic states (no child state) declared in the chart's SCXML file."""
    root = ET.parse(chart_path(chart)).getroot()
    return frozenset(
        element.attrib["id"]
        for element in root.iter()
        if element.tag in _STATE_TAGS
        and "id" in element.attrib
        and not any(child.tag in _STATE_TAGS for child in element)
    )
