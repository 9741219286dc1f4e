"""bench/es_functions.py on a few calls: the library computes what node does.

Nothing is timed; the result of `run(3)` is checked against node's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_function_benchmark_computes_what_node_computes() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "es_functions.py")]
        + ["--calls", "3", "--passes", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.rstrip().endswith("result 1698")  # node: run(3)
