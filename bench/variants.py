"""The processes of a run: which build of scxmlc each one measures.

A process imports ``scxmlc.runtime`` once, pure or compiled, so the builds cannot
share one: ``bench/run.py`` starts a child process per variant and round. Every
child also measures the hand-written dict and if/elif dispatchers, so that each
ratio compares two numbers taken in the same process under the same load.

| variant | environment | rows |
| --- | --- | --- |
| ``pure`` | ``SCXMLC_PURE=1`` | hand-written (dict, if/elif, RTC), scxmlc pure, peers |
| ``native-runtime`` | | scxmlc on the compiled runtime, generated modules pure |
| ``native`` | | scxmlc on the compiled runtime, ``scxmlc.load(path, native=True)`` |
| ``base`` | ``SCXMLC_PURE=1``, another tree first on ``PYTHONPATH`` | scxmlc pure of that tree |
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.peers import (
    peer_implementations,
    reference_implementations,
    rtc_implementation,
    scxmlc_implementations,
)
from bench.subject import Implementation

PURE_SWITCH = "SCXMLC_PURE"
"""Set to 1, ``import scxmlc.runtime`` takes the .py sources of the core."""

REFERENCE_VARIANT = "pure"
"""The variant whose process reports the hand-written rows and the peers."""


@dataclass(frozen=True)
class Variant:
    """One kind of child process: its environment and the rows it measures.

    ``rows`` takes the label of the variant (the commit of a ``base`` tree) and
    returns the rows after the hand-written dict and if/elif, which every
    variant measures first.
    """

    name: str
    description: str
    pure: bool
    rows: Callable[[str], tuple[Implementation, ...]]

    def implementations(
        self, label: str = "", peers: bool = True
    ) -> tuple[Implementation, ...]:
        """Every row this variant's process measures, the references first.

        ``peers=False`` leaves the peer libraries' rows out.
        """
        rows = self.rows(label)
        if not peers:
            names = {impl.name for impl in peer_implementations()}
            rows = tuple(impl for impl in rows if impl.name not in names)
        return reference_implementations() + rows


def _pure_rows(label: str) -> tuple[Implementation, ...]:
    return (
        rtc_implementation(),
        *scxmlc_implementations(
            "scxmlc pure", native_runtime=False, native_module=False
        ),
        *peer_implementations(),
    )


def _native_runtime_rows(label: str) -> tuple[Implementation, ...]:
    return scxmlc_implementations(
        "scxmlc native runtime, pure module", native_runtime=True, native_module=False
    )


def _native_rows(label: str) -> tuple[Implementation, ...]:
    return scxmlc_implementations(
        "scxmlc native", native_runtime=True, native_module=True
    )


def _base_rows(label: str) -> tuple[Implementation, ...]:
    return scxmlc_implementations(
        f"scxmlc pure at {label}", native_runtime=False, native_module=False
    )


VARIANTS: dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant(
            "pure",
            "pure runtime, pure modules (SCXMLC_PURE=1)",
            True,
            _pure_rows,
        ),
        Variant(
            "native-runtime",
            "compiled runtime core, pure generated modules",
            False,
            _native_runtime_rows,
        ),
        Variant(
            "native",
            "compiled runtime core, generated modules compiled by scxmlc.load(path, native=True)",
            False,
            _native_rows,
        ),
        Variant(
            "base",
            "pure build of another source tree (--pure-tree)",
            True,
            _base_rows,
        ),
    )
}

DEFAULT_VARIANTS: tuple[str, ...] = ("pure", "native-runtime", "native")
"""What a run measures unless ``--variants`` says otherwise (``base`` needs a tree)."""


def child_environment(
    variant: Variant, cache: Path, python_path: Path | None = None
) -> dict[str, str]:
    """The environment of a child process of ``variant``.

    ``cache`` becomes ``SCXMLC_CACHE`` (each variant its own, so that the first
    round compiles into an empty cache); ``python_path`` goes first on
    ``PYTHONPATH`` (a staged tree for ``base``).
    """
    env = dict(os.environ)
    env.pop(PURE_SWITCH, None)
    if variant.pure:
        env[PURE_SWITCH] = "1"
    env["SCXMLC_CACHE"] = str(cache)
    if python_path is not None:
        rest = env.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join(
            [str(python_path), *([rest] if rest else [])]
        )
    return env


def stage_tree(tree: Path, into: Path) -> Path:
    """Copy source tree ``tree`` (repository layout) into ``into`` in import layout.

    The repository keeps ``compiler/toplevel`` (the ``scxmlc`` package),
    ``compiler/``, ``runtime/`` and ``templates/`` side by side; importing them as
    ``scxmlc``, ``scxmlc.compiler``, ... needs them nested. Returns the directory
    to put on ``PYTHONPATH``. Extension modules are left out: the copy is pure.
    """
    package = into / "scxmlc"
    if package.exists():
        shutil.rmtree(package)
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "toplevel")
    shutil.copytree(tree / "compiler" / "toplevel", package, ignore=ignore)
    for part in ("compiler", "runtime", "templates"):
        shutil.copytree(tree / part, package / part, ignore=ignore)
    return into


def tree_label(tree: Path) -> str:
    """The short commit of ``tree`` (a git checkout or worktree), else its name."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return tree.name
    return completed.stdout.strip() or tree.name
