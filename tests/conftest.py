"""Shared test setup: a private compile cache, removed when the tests end, and
the tests folder on sys.path."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
if "SCXMLC_CACHE" not in os.environ:
    _CACHE = tempfile.mkdtemp(prefix="scxmlc-test-cache-")
    os.environ["SCXMLC_CACHE"] = _CACHE
    atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
