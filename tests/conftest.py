"""Shared test setup: a private compile cache, the tests folder on sys.path."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("SCXMLC_CACHE", tempfile.mkdtemp(prefix="scxmlc-test-cache-"))
