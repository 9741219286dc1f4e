"""The benchmark charts, compiled by scxmlc, behave as ../shared/bench/spec.py says.

This is the check `bench/run.py` makes before timing anything; here it runs without
the peers and without timing (performance is measured by bench/, never asserted).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_BENCH = ROOT.parent / "shared" / "bench"

pytestmark = pytest.mark.skipif(
    not SHARED_BENCH.is_dir(), reason="../shared/bench not found"
)


@pytest.mark.parametrize("datamodel", ["python", "ecmascript"])
@pytest.mark.parametrize("chart", ["A", "B", "C"])
def test_scxmlc_passes_the_spec_check(chart: str, datamodel: str) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.checks import check
        from bench.peers import build_scxmlc, build_scxmlc_ecmascript
    finally:
        sys.path.remove(str(ROOT))
    build = build_scxmlc_ecmascript if datamodel == "ecmascript" else build_scxmlc
    subject = build(chart)
    check(subject)
    assert subject.load_seconds is not None and subject.load_seconds >= 0
